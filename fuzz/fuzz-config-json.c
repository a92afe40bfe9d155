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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json-relaxed.h"
#include "protocol/frame.h"
#include "fuzz/fuzz-common.h"

#define PATH "/nonexistent/openclaw.json"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char         *text = (const char *)data;
	struct json_object *v, *strict;
	char                err[256];

	if (size > 1 << 20)
		return 0;
	memset(err, 0x55, sizeof(err));
	v = json_relaxed_parse(text, size, err, sizeof(err));
	if (v == NULL) {
		fuzz_check_error(err, sizeof(err));
#ifndef FUZZ_SKIP_KNOWN
		/*
		 * Reported (fuzz/crashes/README): a null root ("null ")
		 * comes back as NULL with the message "success".  Define
		 * FUZZ_SKIP_KNOWN to fuzz past it.
		 */
		fuzz_check(strstr(err, "success") == NULL,
		    "error message 'success'");
#endif
	} else
		fuzz_check_as_json(v);
	/*
	 * json-c takes single-quoted strings even in strict mode; the
	 * relaxed parser refuses them on purpose.
	 */
	if (memchr(text, '\'', size) == NULL &&
	    (strict = frame_json_parse(text, size, 0, NULL)) != NULL) {
		fuzz_check(v != NULL, "strict JSON refused");
		/* json-c takes NaN, which equals nothing, itself included */
		fuzz_check(fuzz_has_nonfinite(strict) ||
		        json_object_equal(v, strict),
		    "strict JSON parsed differently");
		json_object_put(strict);
	}
	fuzz_check_config(PATH, text, size, v != NULL);
	json_object_put(v);
	return 0;
}
