/* Config parsing: JSON with comments and trailing commas, YAML, the table. */
#include "config.h"

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

int
main(void)
{
	test_relaxed();
	test_yaml();
	test_config();
	return tap_done();
}
