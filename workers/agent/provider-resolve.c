/*
 * Model refs, built-in providers and API keys (provider-resolve.h).
 * Keys are read, copied and handed on: never printed, and the name of
 * the variable they came from is what a diagnostic may show.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "workers/agent/http-client.h"
#include "workers/agent/provider-resolve.h"

extern char **environ;

static const struct prov_builtin builtins[] = {
	{ "openai", "https://api.openai.com/v1", PROV_API_OPENAI_COMPLETIONS },
	{ "anthropic", "https://api.anthropic.com",
	    PROV_API_ANTHROPIC_MESSAGES },
};

const struct prov_builtin *
prov_builtin_find(const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < sizeof(builtins) / sizeof(builtins[0]);
	     i++)
		if (strcmp(id, builtins[i].id) == 0)
			return &builtins[i];
	return NULL;
}

int
prov_ref_parse(const char *ref, char **provider, char **model)
{
	const char *slash;

	*provider = *model = NULL;
	if (ref == NULL || (slash = strchr(ref, '/')) == NULL || slash == ref ||
	    slash[1] == '\0')
		return -1;
	*provider = xstrndup(ref, slash - ref);
	*model = xstrdup(slash + 1);
	return 0;
}

/* The variable's value in envp, or NULL. */
static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* The first entry of "k1,k2 k3;k4"; NULL when none. */
static char *
first_of_list(const char *v)
{
	static const char sep[] = ", ;\t\n";
	size_t            n;

	v += strspn(v, sep);
	if ((n = strcspn(v, sep)) == 0)
		return NULL;
	return xstrndup(v, n);
}

/* <P>_API_KEY_*: the smallest such name with a non-empty value. */
static const char *
env_prefixed(char *const *envp, const char *prefix, char *src, size_t srclen)
{
	const char *best = NULL, *eq;
	size_t      n = strlen(prefix), bn = 0;

	for (; *envp != NULL; envp++) {
		if (strncmp(*envp, prefix, n) != 0 ||
		    (eq = strchr(*envp, '=')) == NULL || eq[1] == '\0' ||
		    eq == *envp + n)
			continue;
		if (best == NULL || strncmp(*envp, best, bn) < 0) {
			best = *envp;
			bn = eq - *envp;
		}
	}
	if (best == NULL)
		return NULL;
	snprintf(src, srclen, "%.*s", (int)bn, best);
	return best + bn + 1;
}

static void
env_stem(char *dst, size_t size, const char *provider)
{
	size_t i;

	for (i = 0; provider[i] != '\0' && i + 1 < size; i++)
		dst[i] = isalnum((unsigned char)provider[i]) ?
		    toupper((unsigned char)provider[i]) :
		    '_';
	dst[i] = '\0';
}

char *
prov_key_lookup(const char *provider, const char *config_key, char *const *envp,
    char *src, size_t srclen)
{
	char        stem[64], name[96];
	const char *v;
	char       *k;

	if (envp == NULL)
		envp = environ;
	env_stem(stem, sizeof(stem), provider);
	snprintf(name, sizeof(name), "OPENCLAW_LIVE_%s_KEY", stem);
	if ((v = env_get(envp, name)) != NULL && *v != '\0')
		goto found;
	snprintf(name, sizeof(name), "%s_API_KEYS", stem);
	if ((v = env_get(envp, name)) != NULL &&
	    (k = first_of_list(v)) != NULL) {
		snprintf(src, srclen, "%s", name);
		return k;
	}
	snprintf(name, sizeof(name), "%s_API_KEY", stem);
	if ((v = env_get(envp, name)) != NULL && *v != '\0')
		goto found;
	snprintf(name, sizeof(name), "%s_API_KEY_", stem);
	if ((v = env_prefixed(envp, name, src, srclen)) != NULL)
		return xstrdup(v);
	if (config_key != NULL && *config_key != '\0') {
		snprintf(src, srclen, "config");
		return xstrdup(config_key);
	}
	snprintf(src, srclen, "none");
	return NULL;
found:
	snprintf(src, srclen, "%s", name);
	return xstrdup(v);
}

static int
resolve_api(const char *id, const struct prov_provider_entry *e,
    const struct prov_builtin *b, struct prov_resolved *out, char *err,
    size_t errlen)
{
	int api;

	if (e != NULL && e->api != NULL) {
		if ((api = prov_api_parse(e->api)) == -1) {
			snprintf(err, errlen,
			    "models.providers.%.64s.api "
			    "\"%.64s\" is not supported (openai-completions, "
			    "anthropic-messages, openai-responses)",
			    id, e->api);
			return -1;
		}
		out->cfg.api = api;
	} else if (b != NULL)
		out->cfg.api = b->api;
	else
		out->cfg.api = PROV_API_OPENAI_COMPLETIONS;
	return 0;
}

static int
resolve_entry(const char *id, const struct prov_provider_entry *e,
    char *const *envp, struct prov_resolved *out, char *err, size_t errlen)
{
	const struct prov_builtin *b = prov_builtin_find(id);
	const char                *base;

	if (b == NULL && e == NULL) {
		snprintf(err, errlen,
		    "model provider \"%.64s\" is not "
		    "configured (models.providers.%.64s)",
		    id, id);
		return -1;
	}
	base = e != NULL && e->base_url != NULL && *e->base_url != '\0' ?
	    e->base_url :
	    b != NULL ? b->base_url :
	                NULL;
	if (base == NULL) {
		snprintf(err, errlen,
		    "models.providers.%.64s.baseUrl is "
		    "missing",
		    id);
		return -1;
	}
	if (resolve_api(id, e, b, out, err, errlen) == -1)
		return -1;
	out->base_url = xstrdup(base);
	out->api_key = prov_key_lookup(id, e ? e->api_key : NULL, envp,
	    out->key_src, sizeof(out->key_src));
	if (out->api_key == NULL && b != NULL) {
		snprintf(err, errlen,
		    "no API key for provider \"%s\" (set "
		    "%s_API_KEY or models.providers.%s.apiKey)",
		    id, strcmp(id, "openai") == 0 ? "OPENAI" : "ANTHROPIC", id);
		return -1;
	}
	if (e != NULL) {
		out->cfg.headers = e->headers;
		out->cfg.nheaders = e->nheaders;
		out->cfg.max_tokens = e->max_tokens;
	}
	return 0;
}

int
prov_resolve(const char *ref, const struct prov_provider_entry *e,
    char *const *envp, struct prov_resolved *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (prov_ref_parse(ref, &out->provider, &out->model) == -1) {
		snprintf(err, errlen,
		    "model \"%.64s\" is not of the form "
		    "provider/model (agents.defaults.model)",
		    ref ? ref : "");
		return -1;
	}
	if (resolve_entry(out->provider, e, envp, out, err, errlen) == -1) {
		prov_resolved_free(out);
		return -1;
	}
	out->cfg.base_url = out->base_url;
	out->cfg.api_key = out->api_key;
	out->cfg.model = out->model;
	return 0;
}

void
prov_resolved_free(struct prov_resolved *r)
{
	if (r->api_key != NULL)
		hc_wipe(r->api_key, strlen(r->api_key));
	free(r->api_key);
	free(r->provider);
	free(r->base_url);
	free(r->model);
	memset(r, 0, sizeof(*r));
}
