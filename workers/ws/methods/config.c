/*
 * The config family: config.get (protocol.md 6.11): the config file as it is on disk, with
 * every secret replaced, and the hash of what the gateway runs with.
 */
#include "config.h"

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
	/* As gateway.user: the master's descriptor of the root-only file. */
	text = s->w->config_fd != -1 ?
	    util_read_fd(s->w->config_fd, CONFIG_GET_MAX, &len) :
	    util_read_file(cfg->path, CONFIG_GET_MAX, &len);
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
		ws_config_redact(parsed);
	/*
	 * The redacted text is the redacted tree written out: comments do
	 * not survive, secrets cannot (a search-and-replace of values in the
	 * file would miss the ones spelt with escapes or YAML quoting).
	 */
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
