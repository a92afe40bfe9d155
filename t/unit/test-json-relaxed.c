/* Config parsing: JSON with comments and trailing commas, YAML, the table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/json-relaxed.h"
#include "common/yaml-json.h"
#include "t/unit/tap.h"

static struct json_object *
parse(const char *s, char *err, size_t len)
{
	err[0] = '\0';
	return json_relaxed_parse(s, strlen(s), err, len);
}

static void
test_relaxed(void)
{
	struct json_object *o;
	char                err[256];

	o = parse("{\"a\": 1}", err, sizeof(err));
	ok(o != NULL, "plain JSON");
	json_object_put(o);
	o = parse("// head\n{\n  \"a\": 1, /* inline */\n  \"b\": [1, 2,],\n}\n",
	    err, sizeof(err));
	ok(o != NULL, "comments and trailing commas");
	is_int(json_object_array_length(json_object_object_get(o, "b")), 2,
	    "trailing comma dropped from array");
	json_object_put(o);
	o = parse("{\"u\": \"http://x/*not a comment*/\"}", err, sizeof(err));
	is_str(json_object_get_string(json_object_object_get(o, "u")),
	    "http://x/*not a comment*/", "comment markers inside strings kept");
	json_object_put(o);
	o = parse("{\"a\": \"x\\\"//y\"}", err, sizeof(err));
	ok(o != NULL, "escaped quote then // inside a string");
	json_object_put(o);
	o = parse("{\n  'a': 1\n}", err, sizeof(err));
	ok(o == NULL, "single quotes refused");
	is_str(strncmp(err, "2:3:", 4) == 0 ? "2:3:" : err,
	    "2:3:", "error names line 2 column 3");
	o = parse("{\n  a: 1\n}", err, sizeof(err));
	ok(o == NULL && strncmp(err, "2:", 2) == 0, "unquoted key refused: %s",
	    err);
	o = parse("{\"a\": 1} x", err, sizeof(err));
	ok(o == NULL && strncmp(err, "1:", 2) == 0, "trailing text refused: %s",
	    err);
	o = parse("{\"a\": /* open", err, sizeof(err));
	ok(o == NULL && strstr(err, "unterminated comment") != NULL,
	    "unterminated comment: %s", err);
	o = parse("{\"a\": ", err, sizeof(err));
	ok(o == NULL && strstr(err, "end of input") != NULL,
	    "truncated input: %s", err);
	o = parse("{\"a\": 0x10}", err, sizeof(err));
	ok(o == NULL, "hex numbers refused");
}

static void
test_yaml(void)
{
	struct json_object *o;
	char                err[256];
	const char         *y = "gateway:\n  mode: local\n  port: 19001\n"
	                        "  auth:\n    token: \"007\"\n  list: [a, b]\n";

	o = yaml_to_json(y, strlen(y), err, sizeof(err));
	ok(o != NULL, "YAML parses");
	is_int(json_object_get_int(
	           json_object_object_get(json_object_object_get(o, "gateway"),
	               "port")),
	    19001, "plain scalar typed as integer");
	ok(json_object_is_type(json_object_object_get(
	                           json_object_object_get(json_object_object_get(o,
	                                                      "gateway"),
	                               "auth"),
	                           "token"),
	       json_type_string),
	    "quoted scalar stays a string");
	json_object_put(o);
	o = yaml_to_json("a: [1, 2\n", 9, err, sizeof(err));
	ok(o == NULL && err[0] != '\0', "broken YAML: %s", err);
	o = yaml_to_json("a: &x 1\nb: *x\n", 14, err, sizeof(err));
	ok(o == NULL && strstr(err, "aliases") != NULL, "aliases refused");
}

static void
test_config(void)
{
	struct gw_config cfg;
	char             err[256];
	const char      *ok_cfg =
	    "{\"gateway\": {\"mode\": \"local\", "
	    "\"port\": 19001, \"bind\": \"lan\", \"controlUi\": "
	    "{\"allowedOrigins\": [\"https://a\"]}}, \"unknown\": {\"x\": 1}}";
	struct json_object *j;

	config_init(&cfg);
	is_int(cfg.port, 18789, "default port");
	is_int(cfg.tick_ms, 30000, "default tick");
	ok(config_parse(&cfg, "t.json", ok_cfg, strlen(ok_cfg), err,
	       sizeof(err)) == 0,
	    "config parses");
	is_int(cfg.port, 19001, "gateway.port");
	is_str(cfg.bind, "lan", "gateway.bind");
	is_int(cfg.allowed_origins.n, 1, "allowedOrigins");
	j = config_to_json(&cfg);
	config_free(&cfg);
	ok(config_from_json(&cfg, j) == 0 && cfg.port == 19001 &&
	        cfg.allowed_origins.n == 1,
	    "round trip through the worker message");
	json_object_put(j);
	config_free(&cfg);

	config_init(&cfg);
	ok(config_parse(&cfg, "t.json", "{\"gateway\": {\"port\": \"x\"}}", 27,
	       err, sizeof(err)) == -1 &&
	        strstr(err, "gateway.port") != NULL,
	    "wrong type names the key: %s", err);
	config_free(&cfg);
	config_init(&cfg);
	ok(config_parse(&cfg, "t.json", "{\"gateway\": {\"bind\": \"moon\"}}",
	       29, err, sizeof(err)) == -1 &&
	        strstr(err, "loopback|lan") != NULL,
	    "enum lists the choices: %s", err);
	config_free(&cfg);
	config_init(&cfg);
	ok(config_parse(&cfg, "t.json", "{\"gateway\": {\"port\": 70000}}", 28,
	       err, sizeof(err)) == -1,
	    "out of range port refused");
	config_free(&cfg);
}

/* Where a path's value starts, as "line:col", or "-". */
static const char *
at(struct json_object *pos, const char *path)
{
	static char         buf[32];
	struct json_object *p;
	int64_t             v;

	if (pos == NULL || !json_object_object_get_ex(pos, path, &p))
		return "-";
	v = json_object_get_int64(p);
	snprintf(buf, sizeof(buf), "%d:%d", JSON_POS_LINE(v), JSON_POS_COL(v));
	return buf;
}

static void
test_positions(void)
{
	const char *j = "{\n  // c, \"x\": 1\n  \"a\": {\"b\\\"q\": [1, {\"c\": "
	                "true}],},\n\t\"s\": \"}\\\"]\"\n}";
	const char         *y = "a:\n  b: [1, 2]\n  c:\n    - x\n    - d: 3\n";
	struct json_object *o, *pos;
	char                err[256];

	o = json_relaxed_parse_pos(j, strlen(j), &pos, err, sizeof(err));
	ok(o != NULL && pos != NULL, "parsed with positions: %s", err);
	is_str(at(pos, "a"), "3:8", "object value");
	is_str(at(pos, "a.b\"q"), "3:17", "escaped key");
	is_str(at(pos, "a.b\"q[1].c"), "3:27", "inside an array");
	is_str(at(pos, "s"), "4:7", "after a tab and a tricky string");
	is_str(at(pos, "x"), "-", "nothing from a comment");
	json_object_put(o);
	json_object_put(pos);
	o = yaml_to_json_pos(y, strlen(y), &pos, err, sizeof(err));
	ok(o != NULL && pos != NULL, "YAML with positions: %s", err);
	is_str(at(pos, "a.b[1]"), "2:10", "YAML flow sequence element");
	is_str(at(pos, "a.c[1].d"), "5:10", "YAML block sequence mapping");
	json_object_put(o);
	json_object_put(pos);
}

static int
parse_cfg(struct gw_config *cfg, const char *text, char *err, size_t len)
{
	config_init(cfg);
	err[0] = '\0';
	return config_parse(cfg, "t.json", text, strlen(text), err, len);
}

static void
test_subst(void)
{
	struct gw_config cfg;
	char             err[512];

	setenv("T_UNIT_TOK", "val", 1);
	setenv("T_UNIT_EMPTY", "", 1);
	unsetenv("T_UNIT_UNSET");
	ok(parse_cfg(&cfg,
	       "{\"gateway\":{\"auth\":{\"token\":"
	       "\"a${T_UNIT_TOK}b$${T_UNIT_TOK}${lower}$x$\"}}}",
	       err, sizeof(err)) == 0,
	    "${VAR} parses: %s", err);
	is_str(cfg.auth_token, "avalb${T_UNIT_TOK}${lower}$x$",
	    "substituted, escaped, others as written");
	ok(cfg.file_secret, "literal text around: the file holds a secret");
	config_free(&cfg);
	ok(parse_cfg(&cfg,
	       "{\"gateway\":{\"auth\":{\"token\":"
	       "\"${T_UNIT_TOK}\"}}}",
	       err, sizeof(err)) == 0 &&
	        !cfg.file_secret,
	    "only ${VAR}: the file holds no secret");
	config_free(&cfg);
	ok(parse_cfg(&cfg,
	       "{\"gateway\":{\"controlUi\":{\"allowedOrigins\":"
	       "[\"x\", \"https://${T_UNIT_UNSET}\"]}}}",
	       err, sizeof(err)) == -1,
	    "unset in a list refused");
	is_str(err,
	    "t.json:1:43: gateway.controlUi.allowedOrigins: "
	    "environment variable T_UNIT_UNSET is not set",
	    "the message");
	config_free(&cfg);
	ok(parse_cfg(&cfg, "{\"gateway\":{\"mode\":\"${T_UNIT_EMPTY}\"}}", err,
	       sizeof(err)) == -1 &&
	        strstr(err, "T_UNIT_EMPTY is not set") != NULL,
	    "an empty variable is unset: %s", err);
	config_free(&cfg);
}

#define like(got, sub, name) \
	ok(strstr((got), (sub)) != NULL, "%s: %s", (name), (got))

static void
test_unknown(void)
{
	struct gw_config cfg;
	char             err[512];
	const char      *t = "{\"gateway\": {\"prot\": 1, \"nodes\": {},"
	                     " \"auht\": {}}, \"logging\": {\"lvl\": 1},"
	                     " \"gatway\": 1, \"agents\": {\"defaults\": "
	                     "{\"model\": 1}}, \"channels\": {\"a\": {}}}";

	ok(parse_cfg(&cfg, t, err, sizeof(err)) == 0, "unknown keys parse");
	is_int(cfg.warnings.n, 5, "five warnings");
	is_int(cfg.unused.n, 2, "two unused");
	if (cfg.warnings.n == 5) {
		is_str(cfg.warnings.v[0],
		    "t.json:1:22: unknown key gateway.prot (did you mean "
		    "gateway.port?)",
		    "transposition");
		is_str(cfg.warnings.v[1],
		    "t.json:1:34: unknown key gateway.nodes (not used by this "
		    "gateway)",
		    "no far-fetched suggestion (nodes/mode)");
		like(cfg.warnings.v[2], "(did you mean gateway.auth?)",
		    "a section");
		like(cfg.warnings.v[3], "logging.lvl (not used", "lvl: none");
		like(cfg.warnings.v[4], "gatway (did you mean gateway?)",
		    "top level");
	}
	if (cfg.unused.n == 2) {
		like(cfg.unused.v[0], "agents.defaults.model is not used",
		    "agents.defaults.model");
		like(cfg.unused.v[1], "channels is not used", "channels");
	}
	config_free(&cfg);
}

int
main(void)
{
	test_relaxed();
	test_yaml();
	test_config();
	test_positions();
	test_subst();
	test_unknown();
	return tap_done();
}
