#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "t/unit/tap.h"
#include "workers/ws/ws.h"

/*
 * The rules of config.get's redaction (workers/ws/methods/config-redact.c)
 * on one value at a time: which names are secrets, what a URL keeps.
 */

#define R "__OPENCLAW_REDACTED__"

/* {"<key>": <json>} redacted, the value printed back. */
static const char *
redact(const char *key, const char *json)
{
	static char         out[512];
	struct json_object *o, *v;

	o = json_object_new_object();
	json_object_object_add(o, key, json_tokener_parse(json));
	ws_config_redact(o);
	v = json_object_object_get(o, key);
	snprintf(out, sizeof(out), "%s",
	    json_object_to_json_string_ext(v,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

static void
test_names(void)
{
	static const char *const secret[] = { "token", "botToken",
		"access_token", "Authorization", "Proxy-Authorization",
		"Cookie", "set-cookie", "passwd", "password", "pass", "pwd",
		"apiKey", "API_KEY", "x-api-key", "key", "privateKey",
		"signingKey", "clientSecret", "credentials", "auth",
		"basicAuth", "authHeader", "oauth", "sig", "passphrase", NULL };
	static const char *const plain[] = { "author", "mode", "bind",
		"monkeyBusiness", "url", "design", "bypass", "passthrough",
		"name", "keyboardLayout", NULL };
	int                      i;

	for (i = 0; secret[i] != NULL; i++)
		is_str(redact(secret[i], "\"v\""), "\"" R "\"",
		    "%s: a secret's name", secret[i]);
	for (i = 0; plain[i] != NULL; i++)
		is_str(redact(plain[i], "\"v\""), "\"v\"", "%s: not a secret",
		    plain[i]);
}

static void
test_values(void)
{
	is_str(redact("password", "1234"), "\"" R "\"", "a number is hidden");
	is_str(redact("token", "true"), "true", "a boolean is not a secret");
	is_str(redact("token", "null"), "null", "nor is null");
	is_str(redact("maxTokens", "4096"), "4096", "maxTokens: a count");
	is_str(redact("maxTokens", "\"x\""), "\"" R "\"",
	    "maxTokens as a string is hidden");
	is_str(redact("credentials", "{\"a\":\"x\",\"b\":[1,{\"c\":\"y\"}]}"),
	    "{\"a\":\"" R "\",\"b\":[\"" R "\",{\"c\":\"" R "\"}]}",
	    "credentials: everything below it");
	is_str(redact("auth", "{\"mode\":\"token\",\"token\":\"t\"}"),
	    "{\"mode\":\"token\",\"token\":\"" R "\"}",
	    "auth: an object is searched, not hidden whole");
	is_str(redact("auth", "[\"a\",\"b\"]"), "[\"" R "\",\"" R "\"]",
	    "auth: the elements of an array are hidden");
	is_str(redact("list", "[{\"n\":\"a\",\"apiKey\":\"k\"}]"),
	    "[{\"n\":\"a\",\"apiKey\":\"" R "\"}]", "a list of objects");
}

static void
test_urls(void)
{
	is_str(redact("url", "\"https://u:p@h.example:1/x?a=1&token=t#key=v\""),
	    "\"https://" R "@h.example:1/x?a=1&token=" R "#key=" R "\"",
	    "URL: userinfo, token= and a fragment key= hidden");
	is_str(redact("url", "\"https://tok@h/\""), "\"https://" R "@h/\"",
	    "URL: a user alone is hidden too");
	is_str(redact("url", "\"https://h/p@q?x=1\""), "\"https://h/p@q?x=1\"",
	    "URL: an @ in the path is no userinfo");
	is_str(redact("url", "\"x?%74oken=t&API_KEY=k&Sig=s&page=2\""),
	    "\"x?%74oken=" R "&API_KEY=" R "&Sig=" R "&page=2\"",
	    "parameters: names decoded and compared as keys are");
	is_str(redact("url", "\"a?token=&b=1\""), "\"a?token=&b=1\"",
	    "an empty value stays empty");
	is_str(redact("note", "\"see http://a:b@h and http://c@h2?key=z x\""),
	    "\"see http://" R "@h and http://" R "@h2?key=" R " x\"",
	    "every URL of a text");
	is_str(redact("url", "\"://@\""), "\"://" R "@\"", "a bare ://@");
	is_str(redact("url", "\"?=x&&=\""), "\"?=x&&=\"", "nameless params");
}

int
main(void)
{
	test_names();
	test_values();
	test_urls();
	return tap_done();
}
