/*
 * libFuzzer target: the YAML config loader (common/yaml-json.c, then
 * common/cfg.c as config_load runs it on openclaw.yaml).
 *
 * Checked (abort() otherwise):
 * - yaml_to_json returns an object tree, or NULL with "<line>:<col>: why";
 * - the tree, printed as JSON and read back by the JSON loader, is the
 *   same (so a YAML config means what the same config in JSON means);
 * - config_parse on a .yaml path fails exactly when yaml_to_json does or
 *   the value does not fit the config table, with "<path>:" in front of
 *   the message, and an accepted config survives the master -> worker
 *   round trip unchanged.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/yaml-json.h"
#include "fuzz/fuzz-common.h"

#define PATH "/nonexistent/openclaw.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *v;
	char                err[256];

	if (size > 1 << 20)
		return 0;
	memset(err, 0x55, sizeof(err));
	v = yaml_to_json((const char *)data, size, err, sizeof(err));
#ifdef FUZZ_SKIP_KNOWN
	/*
	 * Reported (fuzz/crashes/README): a null root ("~", "---") comes
	 * back as NULL with no message, and config_parse then prints its
	 * uninitialized message buffer.  Define this to fuzz past it.
	 */
	if (v == NULL && (unsigned char)err[0] == 0x55)
		return 0;
#endif
	if (v == NULL) {
		fuzz_check_error(err, sizeof(err));
	} else {
		fuzz_check(json_object_is_type(v, json_type_object) ||
		        json_object_is_type(v, json_type_array) ||
		        json_object_is_type(v, json_type_string) ||
		        json_object_is_type(v, json_type_int) ||
		        json_object_is_type(v, json_type_double) ||
		        json_object_is_type(v, json_type_boolean),
		    "value type");
		fuzz_check_as_json(v);
	}
	fuzz_check_config(PATH, (const char *)data, size, v != NULL);
	json_object_put(v);
	return 0;
}
