/*
 * libFuzzer target: the JSON config loader (common/json-relaxed.c, then
 * common/cfg.c as config_load runs it on openclaw.json).
 *
 * Checked (abort() otherwise):
 * - json_relaxed_parse returns a value, or NULL with "<line>:<col>: why";
 * - relaxed JSON is a superset of strict JSON: text that a strict json-c
 *   parse (depth 64) takes whole is accepted, with the same value;
 * - a value it returns, printed by json-c and parsed again, is the same;
 * - config_parse on a .json path fails exactly when the relaxed parse
 *   does or the value does not fit the config table, with "<path>:" in
 *   front of the message; a config it accepts survives the master ->
 *   worker round trip (config_to_json, config_from_json) unchanged.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/cfg.h"
#include "common/json-relaxed.h"

#define PATH	"/nonexistent/openclaw.json"

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-config-json: invariant violated: %s\n",
		    what);
		abort();
	}
}

/* "<line>:<col>: " */
static int
position_ok(const char *s)
{
	char	*end;
	long	 line, col;

	line = strtol(s, &end, 10);
	if (end == s || *end != ':' || line < 1)
		return 0;
	s = end + 1;
	col = strtol(s, &end, 10);
	if (end == s || *end != ':' || end[1] != ' ' || col < 1)
		return 0;
	return 1;
}

/* NaN and infinities do not print as JSON. */
static int
has_nonfinite(struct json_object *o)
{
	struct json_object_iterator	 it, end;
	size_t				 i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (has_nonfinite(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			if (has_nonfinite(json_object_iter_peek_value(&it)))
				return 1;
		return 0;
	default:
		return 0;
	}
}

static struct json_object *
parse_strict(const char *text, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*o;

	tok = json_tokener_new_ex(64);
	check(tok != NULL, "json_tokener_new_ex");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o != NULL && json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static void
check_reprint(struct json_object *v)
{
	struct json_object	*again;
	const char		*s;
	char			 err[256];
	size_t			 len;

	/*
	 * json-c cannot end a bare top-level number without a byte after
	 * it ("2" is "unexpected end of input", "2 " is 2): only objects
	 * and arrays print as text that parses alone.
	 */
	if (has_nonfinite(v) || (!json_object_is_type(v, json_type_object) &&
	    !json_object_is_type(v, json_type_array)))
		return;
	s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &len);
	check(s != NULL, "print");
	again = json_relaxed_parse(s, len, err, sizeof(err));
	check(again != NULL, "printed value not accepted again");
	check(json_object_equal(v, again), "printed value parses differently");
	json_object_put(again);
}

static void
check_config(const char *text, size_t len, int parsed)
{
	struct gw_config	 cfg, back;
	struct json_object	*j1, *j2;
	char			 err[512];
	int			 rv;

	config_init(&cfg);
	err[0] = '\0';
	rv = config_parse(&cfg, PATH, text, len, err, sizeof(err));
	check(rv == 0 || rv == -1, "config_parse result");
	if (!parsed)
		check(rv == -1, "config_parse took what json_relaxed_parse refused");
	if (rv == -1) {
		check(strncmp(err, PATH ":", strlen(PATH) + 1) == 0,
		    "config error without the path");
		config_free(&cfg);
		return;
	}
	/* what the master sends a worker */
	j1 = config_to_json(&cfg);
	check(config_from_json(&back, j1) == 0, "config_from_json refused");
	j2 = config_to_json(&back);
	check(json_object_equal(j1, j2), "config changed on the way to a worker");
	json_object_put(j1);
	json_object_put(j2);
	config_free(&back);
	config_free(&cfg);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*text = (const char *)data;
	struct json_object	*v, *strict;
	char			 err[256];

	if (size > 1 << 20)
		return 0;
	memset(err, 0x55, sizeof(err));
	v = json_relaxed_parse(text, size, err, sizeof(err));
	if (v == NULL) {
		check((unsigned char)err[0] != 0x55,
		    "NULL returned without an error message");
		check(memchr(err, '\0', sizeof(err)) != NULL,
		    "error not terminated");
		check(position_ok(err), "error without line:col");
#ifndef FUZZ_SKIP_KNOWN
		/*
		 * Reported (fuzz/crashes/README): a null root ("null ")
		 * comes back as NULL with the message "success".  Define
		 * FUZZ_SKIP_KNOWN to fuzz past it.
		 */
		check(strstr(err, "success") == NULL,
		    "error message 'success'");
#endif
	} else
		check_reprint(v);
	/*
	 * json-c takes single-quoted strings even in strict mode; the
	 * relaxed parser refuses them on purpose.
	 */
	if (memchr(text, '\'', size) == NULL &&
	    (strict = parse_strict(text, size)) != NULL) {
		check(v != NULL, "strict JSON refused");
		/* json-c takes NaN, which equals nothing, itself included */
		check(has_nonfinite(strict) || json_object_equal(v, strict),
		    "strict JSON parsed differently");
		json_object_put(strict);
	}
	check_config(text, size, v != NULL);
	json_object_put(v);
	return 0;
}
