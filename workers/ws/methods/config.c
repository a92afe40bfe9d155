/*
 * The config family: config.get (protocol.md 6.11): the config file as it is on disk, with
 * every secret replaced, and the hash of what the gateway runs with.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cfg.h"
#include "common/json-relaxed.h"
#include "common/util.h"
#include "common/yaml-json.h"
#include "protocol/call.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

#define CONFIG_GET_MAX (8 * 1024 * 1024)
#define REDACTED       "__OPENCLAW_REDACTED__"

/* Keys whose values are secrets wherever they appear. */
static int
config_key_secret(const char *key)
{
	static const char *const words[] = { "token", "password", "secret",
		"apikey", "api_key", "privatekey", "private_key", "credential",
		NULL };
	char                     low[128];
	size_t                   i;

	for (i = 0; key[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	low[i] = '\0';
	for (i = 0; words[i] != NULL; i++)
		if (strstr(low, words[i]) != NULL)
			return 1;
	return 0;
}

static void
config_redact(struct json_object *o, int depth)
{
	size_t i;

	if (depth > 64)
		return;
	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			config_redact(json_object_array_get_idx(o, i),
			    depth + 1);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val)
	{
		if (config_key_secret(key) &&
		    !json_object_is_type(val, json_type_object) &&
		    !json_object_is_type(val, json_type_null))
			json_object_object_add(o, key,
			    json_object_new_string(REDACTED));
		else
			config_redact(val, depth + 1);
	}
}

static struct json_object *
config_parse_file(const char *path, const char *text, size_t len, char *err,
    size_t errlen)
{
	size_t n = strlen(path);

	if ((n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(path + n - 4, ".yml") == 0))
		return yaml_to_json(text, len, err, errlen);
	return json_relaxed_parse(text, len, err, errlen);
}

static struct json_object *
config_get(struct ws_server *s)
{
	const struct gw_config *cfg = &s->w->cfg;
	struct json_object     *o, *parsed = NULL, *issues;
	char                   *text, err[256], hash[65];
	size_t                  len;

	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(cfg->path));
	issues = json_object_new_array();
	text = util_read_file(cfg->path, CONFIG_GET_MAX, &len);
	json_object_object_add(o, "exists",
	    json_object_new_boolean(text != NULL));
	if (text != NULL) {
		config_hash(text, len, hash);
		parsed = config_parse_file(cfg->path, text, len, err,
		    sizeof(err));
		if (parsed == NULL)
			json_object_array_add(issues,
			    json_object_new_string(err));
		free(text);
	}
	json_object_object_add(o, "valid",
	    json_object_new_boolean(text == NULL || parsed != NULL));
	if (parsed != NULL)
		config_redact(parsed, 0);
	/* The redacted text: comments do not survive, secrets must not. */
	json_object_object_add(o, "raw",
	    parsed == NULL ?
	        NULL :
	        json_object_new_string(json_object_to_json_string_ext(parsed,
	            JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_object_add(o, "parsed", json_object_get(parsed));
	json_object_object_add(o, "config", parsed);
	json_object_object_add(o, "issues", issues);
	json_object_object_add(o, "hash",
	    text == NULL ? NULL : json_object_new_string(hash));
	json_object_object_add(o, "configRevisionHash",
	    text == NULL ? NULL : json_object_new_string(hash));
	json_object_object_add(o, "appliedConfigHash",
	    cfg->hash == NULL ? NULL : json_object_new_string(cfg->hash));
	return o;
}

static void
m_config_get(struct gw_call *call, void *ctx)
{
	gw_call_ok(call, config_get(ctx));
}

const struct gw_method ws_methods_config[] = {
	{ "config.get", "operator.read", "method.config.get", m_config_get },
	{ NULL, NULL, NULL, NULL },
};
