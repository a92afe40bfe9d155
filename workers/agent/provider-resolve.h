/*
 * From configuration to a provider config: the model ref
 * ("provider/model"), the built-in provider ids that need no
 * models.providers entry, and where an API key comes from (features.md
 * 1.1-1.2).  Plain C structs in, so the config layer stays its own.
 */
#ifndef WORKERS_AGENT_PROVIDER_RESOLVE_H
#define WORKERS_AGENT_PROVIDER_RESOLVE_H

#include <stddef.h>

#include "workers/agent/provider.h"

/* openai: https://api.openai.com/v1, openai-completions;
 * anthropic: https://api.anthropic.com, anthropic-messages. */
struct prov_builtin {
	const char   *id;
	const char   *base_url;
	enum prov_api api;
};
const struct prov_builtin *prov_builtin_find(const char *id);

/*
 * "provider/model", split at the FIRST '/' (the model id may hold more:
 * "lmstudio/openai/gpt-oss-20b").  0 with two heap strings, or -1 (no
 * '/', an empty side).
 */
int prov_ref_parse(const char *ref, char **provider, char **model);

/*
 * The API key of a provider, highest priority first:
 * OPENCLAW_LIVE_<P>_KEY, <P>_API_KEYS (the first of a list separated by
 * commas, semicolons or spaces), <P>_API_KEY, <P>_API_KEY_* (the first
 * by name), then config_key.  <P> is the id upper-cased, anything but
 * letters and digits as '_'.  envp NULL: the environment.  A heap copy,
 * or NULL; where it came from (a variable's name or "config") goes to
 * src, which may then be logged.
 */
char *prov_key_lookup(const char *provider, const char *config_key,
    char *const *envp, char *src, size_t srclen);

/* models.providers.<id>, as the config layer read it (NULLs: unset). */
struct prov_provider_entry {
	const char               *base_url;
	const char               *api; /* "openai-completions", ... */
	const char               *api_key;
	const struct prov_header *headers;
	size_t                    nheaders;
	long                      max_tokens;
};

struct prov_resolved {
	struct prov_config cfg;      /* points into the strings below */
	char              *provider; /* the id */
	char              *base_url, *api_key, *model;
	char               key_src[64];
};

/*
 * ref and its provider's entry (NULL when there is none) to a config.
 * -1 with a message naming the config key to set: an unknown provider,
 * a custom one without baseUrl, an api this client does not speak, a
 * built-in provider without a key.  A custom provider may have no key
 * (local servers).
 */
int  prov_resolve(const char *ref, const struct prov_provider_entry *,
     char *const *envp, struct prov_resolved *, char *err, size_t errlen);
void prov_resolved_free(struct prov_resolved *);

#endif
