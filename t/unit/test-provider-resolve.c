/*
 * Model refs, built-in providers and API key lookup (workers/agent/
 * provider-resolve.c; features.md 1.1-1.2): the first '/' splits, the
 * key sources in their order, the errors that name the config key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "t/unit/tap.h"
#include "workers/agent/provider-resolve.h"

static void
test_ref(void)
{
	char *p, *m;

	is_int(prov_ref_parse("openai/gpt-5", &p, &m), 0, "openai/gpt-5");
	is_str(p, "openai", "provider");
	is_str(m, "gpt-5", "model");
	free(p);
	free(m);
	is_int(prov_ref_parse("lmstudio/openai/gpt-oss-20b", &p, &m), 0,
	    "a model id with a slash");
	is_str(p, "lmstudio", "split at the first slash: provider");
	is_str(m, "openai/gpt-oss-20b", "the rest is the model");
	free(p);
	free(m);
	is_int(prov_ref_parse("gpt-5", &p, &m), -1, "no slash");
	ok(p == NULL && m == NULL, "nothing allocated");
	is_int(prov_ref_parse("/gpt-5", &p, &m), -1, "empty provider");
	is_int(prov_ref_parse("openai/", &p, &m), -1, "empty model");
	is_int(prov_ref_parse(NULL, &p, &m), -1, "NULL");
}

static char *
key(const char *prov, const char *cfg, char **env, char *src)
{
	return prov_key_lookup(prov, cfg, env, src, 64);
}

static void
check_key(const char *prov, const char *cfg, char **env, const char *want,
    const char *want_src, const char *name)
{
	char  src[64];
	char *k = key(prov, cfg, env, src);

	if (want == NULL)
		ok(k == NULL, "%s: no key", name);
	else
		is_str(k, want, "%s: the key", name);
	is_str(src, want_src, "%s: from %s", name, want_src);
	free(k);
}

static void
test_keys(void)
{
	char *all[] = { "OPENAI_API_KEY_B=kb", "OPENAI_API_KEY=k3",
		"OPENAI_API_KEYS= k2a, k2b", "OPENCLAW_LIVE_OPENAI_KEY=k1",
		"OPENAI_API_KEY_A=ka", NULL };
	char *none[] = { "PATH=/bin", "OPENAI_API_KEY=", "OPENAI_API_KEYS=,; ",
		"XOPENAI_API_KEY=no", NULL };
	char *dash[] = { "MY_PROV_2_API_KEY=dk", NULL };

	check_key("openai", "cfg", all, "k1", "OPENCLAW_LIVE_OPENAI_KEY",
	    "OPENCLAW_LIVE_<P>_KEY first");
	all[3] = "X=1";
	check_key("openai", "cfg", all, "k2a", "OPENAI_API_KEYS",
	    "then the first of <P>_API_KEYS");
	all[2] = "Y=1";
	check_key("openai", "cfg", all, "k3", "OPENAI_API_KEY",
	    "then <P>_API_KEY");
	all[1] = "Z=1";
	check_key("openai", "cfg", all, "ka", "OPENAI_API_KEY_A",
	    "then <P>_API_KEY_* (the first by name)");
	check_key("openai", "cfg", none, "cfg", "config",
	    "empty variables skipped, then config apiKey");
	check_key("openai", NULL, none, NULL, "none", "nothing anywhere");
	check_key("openai", "", none, NULL, "none", "an empty apiKey");
	check_key("my-prov.2", NULL, dash, "dk", "MY_PROV_2_API_KEY",
	    "an id's other characters as '_'");
	check_key("anthropic", NULL, all, NULL, "none",
	    "another provider's variables are not taken");
}

static void
test_resolve(void)
{
	char *env[] = { "OPENAI_API_KEY=ok-1", "ANTHROPIC_API_KEY=ak-1", NULL };
	char *noenv[] = { NULL };
	struct prov_resolved       r;
	struct prov_provider_entry e;
	struct prov_header         h = { "X-Extra", "1" };
	char                       err[256];

	is_int(prov_resolve("openai/gpt-5", NULL, env, &r, err, sizeof(err)), 0,
	    "built-in openai, no entry");
	is_str(r.cfg.base_url, "https://api.openai.com/v1", "its baseUrl");
	is_int(r.cfg.api, PROV_API_OPENAI_COMPLETIONS, "openai-completions");
	is_str(r.cfg.api_key, "ok-1", "OPENAI_API_KEY");
	is_str(r.cfg.model, "gpt-5", "model");
	prov_resolved_free(&r);
	is_int(prov_resolve("anthropic/claude-x", NULL, env, &r, err,
	           sizeof(err)),
	    0, "built-in anthropic");
	is_str(r.cfg.base_url, "https://api.anthropic.com", "its baseUrl");
	is_int(r.cfg.api, PROV_API_ANTHROPIC_MESSAGES, "anthropic-messages");
	is_str(r.cfg.api_key, "ak-1", "ANTHROPIC_API_KEY");
	prov_resolved_free(&r);
	is_int(prov_resolve("openai/gpt-5", NULL, noenv, &r, err, sizeof(err)),
	    -1, "built-in without a key: refused");
	ok(strstr(err, "OPENAI_API_KEY") != NULL &&
	        strstr(err, "models.providers.openai.apiKey") != NULL,
	    "the error names both places: %s", err);
	is_int(prov_resolve("local/m1", NULL, env, &r, err, sizeof(err)), -1,
	    "unknown provider without an entry");
	ok(strstr(err, "models.providers.local") != NULL, "names it: %s", err);
	is_int(prov_resolve("gpt-5", NULL, env, &r, err, sizeof(err)), -1,
	    "a ref without provider");
	ok(strstr(err, "agents.defaults.model") != NULL, "names it: %s", err);
	memset(&e, 0, sizeof(e));
	is_int(prov_resolve("local/m1", &e, env, &r, err, sizeof(err)), -1,
	    "custom provider without baseUrl");
	ok(strstr(err, "models.providers.local.baseUrl") != NULL, "%s", err);
	e.base_url = "http://127.0.0.1:8000/v1";
	e.api = "google-generative-ai";
	is_int(prov_resolve("local/m1", &e, env, &r, err, sizeof(err)), -1,
	    "an api this client does not speak");
	ok(strstr(err, "models.providers.local.api") != NULL, "%s", err);
	e.api = NULL;
	e.headers = &h;
	e.nheaders = 1;
	e.max_tokens = 4096;
	is_int(prov_resolve("local/org/m1", &e, noenv, &r, err, sizeof(err)), 0,
	    "custom provider, no key (a local server)");
	ok(r.cfg.api_key == NULL && r.cfg.api == PROV_API_OPENAI_COMPLETIONS &&
	        r.cfg.nheaders == 1 && r.cfg.max_tokens == 4096 &&
	        strcmp(r.cfg.model, "org/m1") == 0,
	    "openai-completions by default, headers, maxTokens, model id");
	prov_resolved_free(&r);
	e.api_key = "cfg-key";
	e.api = "anthropic-messages";
	e.base_url = "https://proxy.example/anthropic";
	is_int(prov_resolve("anthropic/c", &e, env, &r, err, sizeof(err)), 0,
	    "an entry for a built-in id");
	is_str(r.cfg.base_url, "https://proxy.example/anthropic",
	    "its baseUrl wins");
	is_str(r.cfg.api_key, "ak-1", "the environment wins over apiKey");
	is_str(r.key_src, "ANTHROPIC_API_KEY", "and says where it came from");
	prov_resolved_free(&r);
	ok(prov_builtin_find("openai") && prov_builtin_find("anthropic") &&
	        !prov_builtin_find("ollama"),
	    "the built-in ids");
}

int
main(void)
{
	test_ref();
	test_keys();
	test_resolve();
	return tap_done();
}
