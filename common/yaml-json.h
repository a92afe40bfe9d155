/* YAML configuration files (openclaw.yaml) read into the same JSON model. */
#ifndef COMMON_YAML_JSON_H
#define COMMON_YAML_JSON_H

#include <stddef.h>
#include <json-c/json.h>

/* NULL on error, with "<line>:<col>: <reason>" in err. */
struct json_object *
yaml_to_json(const char *text, size_t len, char *err, size_t errlen);
/* The same with positions, as json_relaxed_parse_pos gives them. */
struct json_object *yaml_to_json_pos(const char *text, size_t len,
    struct json_object **pos, char *err, size_t errlen);

#endif
