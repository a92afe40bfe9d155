/*
 * JSON with comments and trailing commas (the subset of JSON5 the stock
 * config files use).  Comments and trailing commas are blanked in place,
 * keeping byte offsets, so a strict json-c parse then reports positions
 * that map back to the original text.  Any other JSON5 syntax is an
 * error with line:column.
 */
#ifndef COMMON_JSON_RELAXED_H
#define COMMON_JSON_RELAXED_H

#include <stddef.h>
#include <json-c/json.h>

/*
 * Parse text (len bytes, need not be NUL-terminated).  On error returns
 * NULL and writes "<line>:<col>: <reason>" into err.
 */
struct json_object *
json_relaxed_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
