#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "protocol/frame.h"
#include "t/unit/tap.h"

/*
 * The JSON frame layer (protocol/frame.c): the strict parser as ws reads
 * message bodies and as the CLI reads a whole argument, classification,
 * and the frames the builders write, byte for byte.
 */

/* Parse text with flags; the value printed back, or "!<reason>". */
static const char *
parse(const char *text, int flags)
{
	static char         out[256];
	struct json_object *o;
	const char         *why;
	size_t              len;

	o = frame_json_parse(text, strlen(text), flags, &why);
	if (why != NULL)
		snprintf(out, sizeof(out), "!%s", why);
	else
		snprintf(out, sizeof(out), "%s",
		    o == NULL ? "null" : frame_text(o, &len));
	json_object_put(o);
	return out;
}

static char *
nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 1);
	int   i;

	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	s[depth * 2] = '\0';
	return s;
}

static void
test_parse(void)
{
	const char *why = NULL;
	char       *deep;

	is_str(parse("{\"a\":[1,\"x\"]}", 0), "{\"a\":[1,\"x\"]}", "object");
	is_str(parse("{\"a\":1} \n", 0), "{\"a\":1}",
	    "whitespace after a value (json-c reads it)");
	ok(parse("{\"a\":1}{}", 0)[0] == '!', "two values");
	is_str(parse("{\"a\":1,}", 0)[0] == '!' ? "!" : "", "!",
	    "trailing comma");
	is_str(parse("{\"a\":1", 0), "!unexpected end of input", "truncated");
	is_str(parse("", 0), "!unexpected end of input", "empty");
	is_str(parse("{\"a\":\"\xc3\x28\"}", 0)[0] == '!' ? "!" : "", "!",
	    "invalid UTF-8");
	is_str(parse("42", 0), "!unexpected end of input",
	    "a bare number in a message body may go on");
	is_str(parse("42", FRAME_JSON_WHOLE), "42",
	    "a bare number ends with the whole input");
	is_str(parse(" [1] \n", FRAME_JSON_WHOLE), "[1]",
	    "whitespace around a whole input");
	ok(parse("[1] x", FRAME_JSON_WHOLE)[0] == '!', "but nothing else");
	ok(parse("\"a\"x", 0)[0] == '!', "a value then bytes");
	ok(frame_json_parse("{}\0x", 4, 0, &why) == NULL && why != NULL,
	    "a value, NUL, bytes: %s", why);
	is_str(parse("null", FRAME_JSON_WHOLE), "null",
	    "null is a value, not an error");
	is_str(parse("null", 0), "!unexpected end of input",
	    "though a message body might go on after it");
	deep = nested(FRAME_JSON_DEPTH);
	ok(parse(deep, 0)[0] == '[', "nested %d deep", FRAME_JSON_DEPTH);
	free(deep);
	deep = nested(FRAME_JSON_DEPTH + 1);
	ok(parse(deep, 0)[0] == '!', "nested %d deep refused",
	    FRAME_JSON_DEPTH + 1);
	free(deep);
}

/* What the CLI's --params takes: JSON.parse's words only. */
static void
test_parse_pure(void)
{
	const int fl = FRAME_JSON_WHOLE | FRAME_JSON_PURE;

	is_str(parse("{'a': 1}", FRAME_JSON_WHOLE), "{\"a\":1}",
	    "json-c takes single quotes even when strict");
	is_str(parse("{'a': 1}", fl), "!unexpected word or quote",
	    "pure: single quotes refused");
	is_str(parse("NaN", FRAME_JSON_WHOLE), "NaN", "json-c takes NaN");
	is_str(parse("NaN", fl), "!unexpected word or quote",
	    "pure: NaN refused");
	is_str(parse("[-Infinity]", fl), "!unexpected word or quote",
	    "pure: Infinity refused");
	is_str(parse("{bad", fl), "!unexpected word or quote",
	    "pure: the word check comes first");
	is_str(parse("[true,false,null,1e5,1E-2]", fl),
	    "[true,false,null,1e5,1E-2]",
	    "pure: JSON's own words and exponents");
	is_str(parse("{\"it's\":\"NaN \\\" 'x'\"}", fl),
	    "{\"it's\":\"NaN \\\" 'x'\"}", "pure: strings are not looked into");
	is_str(parse("{\"a\": 1,}", fl), "!unexpected character",
	    "pure: json-c's own reasons otherwise");
	is_str(parse("", fl), "!unexpected end of input", "pure: empty");
	is_str(parse("{} ", fl), "{}", "pure: whitespace after the value");
	is_str(parse("{} x", fl), "!unexpected word or quote",
	    "pure: a word after the value");
	is_str(parse("[1] 2", fl), "!unexpected character",
	    "pure: a second value");
}

static struct json_object *
J(const char *text)
{
	return frame_json_parse(text, strlen(text), 0, NULL);
}

static void
test_classify(void)
{
	struct json_object *o;
	struct frame        f;

	o = J("{\"type\":\"req\",\"id\":\"1\",\"method\":\"health\","
	      "\"params\":{\"probe\":true}}");
	is_int(frame_classify(o, &f), FRAME_REQ, "req");
	is_str(f.id, "1", "req id");
	is_str(f.method, "health", "req method");
	ok(json_object_is_type(f.params, json_type_object), "req params");
	json_object_put(o);
	o = J("{\"type\":\"res\",\"id\":\"2\",\"ok\":false,"
	      "\"error\":{\"code\":\"X\",\"message\":\"m\"}}");
	is_int(frame_classify(o, &f), FRAME_RES, "res");
	ok(!f.ok && f.error != NULL, "res error");
	is_str(frame_str(f.error, "code"), "X", "res error code");
	json_object_put(o);
	o = J("{\"type\":\"event\",\"event\":\"tick\",\"payload\":{},"
	      "\"seq\":5}");
	is_int(frame_classify(o, &f), FRAME_EVENT, "event");
	is_str(f.event, "tick", "event name");
	is_int(f.seq, 5, "event seq");
	json_object_put(o);
	o = J("{\"type\":\"req\",\"id\":\"\"}");
	frame_classify(o, &f);
	ok(f.id == NULL && f.method == NULL, "empty id, no method: NULL");
	json_object_put(o);
	o = J("[1]");
	is_int(frame_classify(o, &f), FRAME_OTHER, "not an object");
	json_object_put(o);
	o = J("{\"type\":\"hello\"}");
	is_int(frame_classify(o, &f), FRAME_OTHER, "unknown type");
	json_object_put(o);
}

static void
is_frame(struct json_object *o, const char *want, const char *what)
{
	size_t len;

	is_str(frame_text(o, &len), want, "%s", what);
	json_object_put(o);
}

static void
test_build(void)
{
	struct json_object *e, *sv;

	is_frame(frame_req("7", "status", NULL),
	    "{\"type\":\"req\",\"id\":\"7\",\"method\":\"status\"}", "req");
	is_frame(frame_req("7", "health", json_object_new_object()),
	    "{\"type\":\"req\",\"id\":\"7\",\"method\":\"health\","
	    "\"params\":{}}",
	    "req with params");
	is_frame(frame_res("1", NULL),
	    "{\"type\":\"res\",\"id\":\"1\",\"ok\":true,\"payload\":null}",
	    "res without payload: null");
	e = frame_error("FORBIDDEN", "missing scope: a/b");
	json_object_object_add(e, "retryable", json_object_new_boolean(0));
	frame_error_details(e, json_object_new_object());
	is_frame(frame_res_err("1", e),
	    "{\"type\":\"res\",\"id\":\"1\","
	    "\"ok\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":"
	    "\"missing scope: a/b\",\"retryable\":false,\"details\":{}}}",
	    "error res (no slash escapes)");
	is_frame(frame_event("tick", json_object_new_object(), -1, NULL),
	    "{\"type\":\"event\",\"event\":\"tick\",\"payload\":{}}",
	    "event without seq");
	sv = json_object_new_object();
	json_object_object_add(sv, "presence", json_object_new_int(1));
	is_frame(frame_event("presence", NULL, 3, sv),
	    "{\"type\":\"event\",\"event\":\"presence\",\"payload\":null,"
	    "\"seq\":3,\"stateVersion\":{\"presence\":1}}",
	    "event with seq");
	is_int(PROTO_VERSION, 4, "protocol v4");
	ok(PROTO_MIN_PROBE <= PROTO_VERSION && PROTO_MIN_NODE <= PROTO_VERSION,
	    "older versions below it");
}

int
main(void)
{
	test_parse();
	test_parse_pure();
	test_classify();
	test_build();
	return tap_done();
}
