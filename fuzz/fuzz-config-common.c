#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "common/cfg.h"
#include "common/json-relaxed.h"
#include "fuzz/fuzz-common.h"

void
fuzz_check_as_json(struct json_object *v)
{
	struct json_object *again;
	const char         *s;
	char                err[256];
	size_t              len;

	/*
	 * json-c prints NaN and infinities as bare words, and cannot end a
	 * bare top-level number without a byte after it ("2" is "unexpected
	 * end of input", "2 " is 2): only objects and arrays print as text
	 * that parses alone.
	 */
	if (fuzz_has_nonfinite(v) ||
	    (!json_object_is_type(v, json_type_object) &&
	        !json_object_is_type(v, json_type_array)))
		return;
	s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &len);
	fuzz_check(s != NULL, "print");
	again = json_relaxed_parse(s, len, err, sizeof(err));
	fuzz_check(again != NULL, "value printed as JSON refused");
	fuzz_check(json_object_equal(v, again),
	    "value printed as JSON parses differently");
	json_object_put(again);
}

void
fuzz_check_config(const char *path, const char *text, size_t len, int parsed)
{
	struct gw_config    cfg, back;
	struct json_object *j1, *j2;
	char                err[512];
	int                 rv;

	config_init(&cfg);
	err[0] = '\0';
	rv = config_parse(&cfg, path, text, len, err, sizeof(err));
	fuzz_check(rv == 0 || rv == -1, "config_parse result");
	if (!parsed)
		fuzz_check(rv == -1,
		    "config_parse took what its loader refused");
	if (rv == -1) {
		fuzz_check(strncmp(err, path, strlen(path)) == 0 &&
		        err[strlen(path)] == ':',
		    "config error without the path");
		config_free(&cfg);
		return;
	}
	/* what the master sends a worker */
	j1 = config_to_json(&cfg);
	fuzz_check(config_from_json(&back, j1) == 0,
	    "config_from_json refused");
	j2 = config_to_json(&back);
	fuzz_check(json_object_equal(j1, j2),
	    "config changed on the way to a worker");
	json_object_put(j1);
	json_object_put(j2);
	config_free(&back);
	config_free(&cfg);
}
