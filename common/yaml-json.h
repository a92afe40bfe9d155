/* YAML configuration files (openclaw.yaml) read into the same JSON model. */
#ifndef COMMON_YAML_JSON_H
#define COMMON_YAML_JSON_H

#include <stddef.h>
#include <json-c/json.h>

/* NULL on error, with "<line>:<col>: <reason>" in err. */
struct json_object *
yaml_to_json(const char *text, size_t len, char *err, size_t errlen);

#endif
