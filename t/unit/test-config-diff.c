#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "t/unit/tap.h"

/*
 * What a reload compares (common/cfg-diff.c): changed keys by the table,
 * secrets by value, lists element by element, unknown keys by their
 * value's fingerprint; and config_take moving one reload class only.
 */

/* The text with ' for ", parsed; a parse error fails the test. */
static void
parse(struct gw_config *cfg, const char *text)
{
	char *t, *p, err[256];
	int   rv;

	t = strdup(text);
	for (p = t; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	config_init(cfg);
	rv = config_parse(cfg, "t.json", t, strlen(t), err, sizeof(err));
	ok(rv == 0, "parses: %s", t);
	if (rv == -1)
		printf("# %s\n", err);
	free(t);
}

/* "a b c": the changed keys' paths, table rows then unknown keys. */
static const char *
diff(const char *a, const char *b)
{
	static char            out[512];
	struct gw_config       ca, cb;
	const struct cfg_key **keys;
	struct strlist         other;
	int                    i;

	parse(&ca, a);
	parse(&cb, b);
	config_diff(&ca, &cb, &keys, &other);
	out[0] = '\0';
	for (i = 0; keys[i] != NULL; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
		    *out ? " " : "", keys[i]->path);
	for (i = 0; i < other.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
		    *out ? " " : "", other.v[i]);
	free(keys);
	config_strlist_free(&other);
	config_free(&ca);
	config_free(&cb);
	return out;
}

static void
test_diff(void)
{
	is_str(diff("{}", "{}"), "", "nothing: no change");
	is_str(diff("{'gateway': {'port': 1}}",
	           "{/* c */ 'gateway': {'port': 1,},}"),
	    "", "comments and commas: no change");
	is_str(diff("{}", "{'gateway': {'port': 18789}}"), "",
	    "a default written out: no change");
	is_str(diff("{'gateway': {'auth': {'token': 'a'}}}",
	           "{'gateway': {'auth': {'token': 'b'}}}"),
	    "gateway.auth.token", "a secret compared by value");
	is_str(diff("{'gateway': {'controlUi': {'allowedOrigins': ['a', 'b']}}}",
	           "{'gateway': {'controlUi': {'allowedOrigins': ['b', 'a']}}}"),
	    "gateway.controlUi.allowedOrigins", "a list: order counts");
	is_str(diff("{'gateway': {'tickIntervalMs': 100}, 'logging': {'level': "
	            "'debug'}}",
	           "{'gateway': {'tickIntervalMs': 200}}"),
	    "logging.level gateway.tickIntervalMs", "two keys, table order");
	is_str(diff("{'channels': {'x': {'botToken': '1'}}}",
	           "{'channels': {'x': {'botToken': '2'}}}"),
	    "channels", "an unknown section changed: named, once");
	is_str(diff("{'gateway': {'prot': 1}}", "{}"), "gateway.prot",
	    "an unknown key removed");
	is_str(diff("{}", "{'gateway': {'prot': 1}}"), "gateway.prot",
	    "an unknown key added");
	is_str(diff("{'agents': {'a': 1}, 'gateway': {'prot': 1}}",
	           "{'gateway': {'prot': 1}, 'agents': {'a': 1}}"),
	    "", "unknown keys moved, not changed: no change");
}

static void
test_take(void)
{
	struct gw_config run, next;

	parse(&run,
	    "{'gateway': {'port': 1000, 'tickIntervalMs': 100, "
	    "'controlUi': {'allowedOrigins': ['a']}, 'reload': {'mode': "
	    "'hot'}}}");
	parse(&next,
	    "{'gateway': {'port': 2000, 'tickIntervalMs': 200, "
	    "'controlUi': {'allowedOrigins': ['b', 'c']}}}");
	config_take(&run, &next, CFG_RELOAD_HOT);
	is_int(run.tick_ms, 200, "live key taken");
	is_int(run.allowed_origins.n, 2, "live list taken");
	is_str(run.allowed_origins.v[1], "c", "its elements");
	is_int(run.port, 1000, "restart-class key left");
	is_str(run.reload_mode, "hot", "class none left");
	is_int(next.tick_ms, 100, "the old value is in the other");
	is_str(next.allowed_origins.v[0], "a", "the old list too");
	config_take(&run, &next, CFG_RELOAD_NONE);
	is_str(run.reload_mode, "hybrid", "class none taken when asked");
	config_free(&run);
	config_free(&next);
}

int
main(void)
{
	test_diff();
	test_take();
	return tap_done();
}
