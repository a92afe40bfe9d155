/*
 * What the fuzz targets share: the invariant check, an FNV-1a hash for
 * comparing runs, json-c helpers, and the config checks both config
 * loaders' targets make (fuzz-config-common.c).
 */
#ifndef FUZZ_FUZZ_COMMON_H
#define FUZZ_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define FUZZ_FNV_BASIS 0xcbf29ce484222325ULL

/* abort(), which libFuzzer reports as a crash, unless cond holds. */
void     fuzz_check(int cond, const char *what);
uint64_t fuzz_fnv(uint64_t h, const void *p, size_t n);
/*
 * How many of the left bytes to feed next, so that a parser sees its
 * input cut every way: style 0 a byte at a time, 1 and 2 small and
 * medium pieces, 3 any size; the seed (xorshift) comes from the input.
 */
size_t fuzz_chunk(uint32_t *seed, int style, size_t left);
/* Starts with "<line>:<col>: ". */
int fuzz_position_ok(const char *);
/*
 * A loader's failure message in err[size], filled with 0x55 before the
 * call: written, terminated, and with a position.
 */
void fuzz_check_error(const char *err, size_t size);
/* NaN or an infinity somewhere inside (they do not print as JSON). */
int fuzz_has_nonfinite(struct json_object *);

/* fuzz-config-common.c */
/* v printed as JSON reads back, through the JSON loader, as itself. */
void fuzz_check_as_json(struct json_object *v);
/*
 * config_parse on path fails exactly when the loader failed (parsed 0)
 * or the value does not fit the config table, with "<path>:" first; an
 * accepted config survives the master -> worker round trip unchanged.
 */
void
fuzz_check_config(const char *path, const char *text, size_t len, int parsed);

#endif
