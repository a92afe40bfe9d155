/*
 * The secrets of a configuration, for the log filter: every CFG_SECRET
 * key of the table, so that a secret key added there is filtered too;
 * each also as it is spelt inside a JSON string, for the lines read back
 * from the JSON log file (logs.tail): a secret with a quote or a
 * backslash is written escaped there.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "common/cfg.h"
#include "common/log.h"

static void
log_secret_add_json(const char *v)
{
	struct json_object *o = json_object_new_string(v);
	const char         *s;
	size_t              len;

	s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(s);
	if (len > 2 && (len - 2 != strlen(v) || memcmp(s + 1, v, len - 2) != 0))
		log_secret_add(s + 1, len - 2);
	json_object_put(o);
}

void
log_secrets_from_config(const struct gw_config *cfg)
{
	const struct cfg_key *k;
	const char           *v;

	log_secrets_clear();
	for (k = cfg_keys; k->path != NULL; k++) {
		if (k->type != CFG_SECRET)
			continue;
		memcpy(&v, (const char *)cfg + k->offset, sizeof(v));
		if (v == NULL)
			continue;
		log_secret_add(v, strlen(v));
		log_secret_add_json(v);
	}
}
