#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz/fuzz-common.h"

void
fuzz_check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz: invariant violated: %s\n", what);
		abort();
	}
}

uint64_t
fuzz_fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t         i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint32_t
fuzz_rnd(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

size_t
fuzz_chunk(uint32_t *seed, int style, size_t left)
{
	size_t n;

	switch (style) {
	case 0:
		n = 1;
		break;
	case 1:
		n = 1 + fuzz_rnd(seed) % 16;
		break;
	case 2:
		n = 1 + fuzz_rnd(seed) % 200;
		break;
	default:
		n = 1 + fuzz_rnd(seed) % (left ? left : 1);
		break;
	}
	return n < left ? n : left;
}

void
fuzz_check_error(const char *err, size_t size)
{
	fuzz_check((unsigned char)err[0] != 0x55,
	    "NULL returned without an error message");
	fuzz_check(memchr(err, '\0', size) != NULL, "error not terminated");
	fuzz_check(fuzz_position_ok(err), "error without line:col");
}

int
fuzz_position_ok(const char *s)
{
	char *end;
	long  line, col;

	line = strtol(s, &end, 10);
	if (end == s || *end != ':' || line < 1)
		return 0;
	s = end + 1;
	col = strtol(s, &end, 10);
	if (end == s || *end != ':' || end[1] != ' ' || col < 1)
		return 0;
	return 1;
}

int
fuzz_has_nonfinite(struct json_object *o)
{
	struct json_object_iterator it, end;
	size_t                      i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (fuzz_has_nonfinite(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it))
			if (fuzz_has_nonfinite(
			        json_object_iter_peek_value(&it)))
				return 1;
		return 0;
	default:
		return 0;
	}
}
