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
/*
 * The same, and when pos is not NULL, *pos maps the key path of every
 * value ("gateway.port", "a.list[2]") to where it starts in text, as
 * JSON_POS(line, col) in an int64 (duplicate keys: the last, as json-c).
 */
struct json_object *json_relaxed_parse_pos(const char *text, size_t len,
    struct json_object **pos, char *err, size_t errlen);

/* A position of a pos map: line and column from 1. */
#define JSON_POS(line, col) (((int64_t)(line) << 32) | (int64_t)(col))
#define JSON_POS_LINE(p)    ((int)((p) >> 32))
#define JSON_POS_COL(p)     ((int)((p)&0xffffffff))

#endif
