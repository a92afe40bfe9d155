/*
 * libFuzzer target: a text frame's JSON as the ws worker handles it.
 *
 * The input is the payload of a text message.  It is parsed by the
 * production parser, frame_json_parse (protocol/frame.c), as the ws worker
 * calls it and as the CLI does (a whole input), classified by
 * frame_classify, then validated as the worker validates it: "frame.req" on the frame, "connect.params" on
 * its params (handshake), "method.<name>" when a method schema exists
 * (dispatch), the method's scope class looked up; and, for more reach,
 * the frame and its params against every embedded schema.
 *
 * Checked: a parse gives a value or a reason, never both; the whole-input
 * parse accepts whatever the message parse does, as the same value; a
 * valid request classifies as a req with its id and method; and
 * proto_validate returns 0, -1 or -2 only; a known id never
 * gives -2; the result and message are the same on a second run and do
 * not depend on the size of the message buffer; a message starts with
 * "at /", is NUL-terminated within the buffer, and a truncated message is
 * a prefix of the full one that stays valid UTF-8 when the full one is.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/ws/frame.h"
#include "protocol/frame.h"
#include "protocol/schemas.h"
#include "protocol/scopes.h"
#include "protocol/validate.h"
#include "fuzz/fuzz-common.h"

static char ids[32][64];
static int  nids;

static void
cleanup(void)
{
	proto_schemas_free();
}

int LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *name;
	size_t      n;
	int         i;

	(void)argc;
	(void)argv;
	if (proto_schemas_load() == -1)
		abort();
	atexit(cleanup);
	for (i = 0; proto_schema_srcs[i].name != NULL && nids < 32; i++) {
		name = proto_schema_srcs[i].name;
		n = strlen(name);
		if (n > 5 && strcmp(name + n - 5, ".json") == 0)
			n -= 5;
		if (n >= sizeof(ids[0]))
			continue;
		memcpy(ids[nids], name, n);
		ids[nids][n] = '\0';
		if (proto_schema_exists(ids[nids]))
			nids++;
	}
	fuzz_check(nids > 0, "no schema ids");
	return 0;
}

/* Validate, and check the message against smaller buffers. */
static int
validate(const char *id, struct json_object *v)
{
	static const size_t sizes[] = { 1, 2, 5, 9, 17, 64, 100 };
	char                full[1024], again[1024], small[128];
	size_t              i, flen;
	int                 rv, rv2;

	memset(full, 0x55, sizeof(full));
	rv = proto_validate(id, v, full, sizeof(full));
	fuzz_check(rv == 0 || rv == -1 || rv == -2, "result out of range");
	fuzz_check(memchr(full, '\0', sizeof(full)) != NULL,
	    "message not terminated");
	if (rv == -2) {
		fuzz_check(!proto_schema_exists(id), "-2 for a known schema");
		return rv;
	}
	flen = strlen(full);
	if (rv == 0)
		fuzz_check(flen == 0, "message on success");
	else
		fuzz_check(strncmp(full, "at /", 4) == 0,
		    "message not 'at /...'");
	rv2 = proto_validate(id, v, again, sizeof(again));
	fuzz_check(rv2 == rv && strcmp(full, again) == 0,
	    "validation not repeatable");
	fuzz_check(proto_validate(id, v, NULL, 0) == rv,
	    "result depends on err");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(small, 0x55, sizeof(small));
		fuzz_check(proto_validate(id, v, small, sizes[i]) == rv,
		    "result depends on the buffer size");
		fuzz_check(memchr(small, '\0', sizes[i]) != NULL,
		    "message not terminated in its buffer");
		fuzz_check(small[sizes[i]] == 0x55, "wrote past the buffer");
		fuzz_check(strncmp(full, small, strlen(small)) == 0,
		    "truncated message not a prefix");
		if (ws_utf8_valid((const uint8_t *)full, flen))
			fuzz_check(ws_utf8_valid((const uint8_t *)small,
			               strlen(small)),
			    "truncation broke UTF-8");
	}
	return rv;
}

/* The message parse, checked against the whole-input one. */
static struct json_object *
parse(const uint8_t *data, size_t size)
{
	struct json_object *o, *whole;
	const char         *why, *wwhy;

	o = frame_json_parse((const char *)data, size, 0, &why);
	fuzz_check(o == NULL || why == NULL, "a value and a reason");
	whole = frame_json_parse((const char *)data, size, FRAME_JSON_WHOLE,
	    &wwhy);
	fuzz_check(whole == NULL || wwhy == NULL, "a value and a reason");
	if (o != NULL)
		fuzz_check(wwhy == NULL &&
		        (fuzz_has_nonfinite(o) || json_object_equal(o, whole)),
		    "whole parse differs");
	json_object_put(whole);
	return o;
}

/* A valid request is a req, with the id and method it was checked for. */
static void
classify(struct json_object *frame, int valid)
{
	struct frame f;

	(void)frame_classify(frame, &f);
	if (valid)
		fuzz_check(f.type == FRAME_REQ && f.id != NULL &&
		        f.method != NULL,
		    "valid request misclassified");
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *frame, *params, *empty = NULL;
	const char         *method;
	char                schema[160];
	int                 i, rv;

	if ((frame = parse(data, size)) == NULL)
		return 0;
	rv = validate("frame.req", frame);
	classify(frame, rv == 0);
	/* the handshake */
	if (json_object_object_get_ex(frame, "params", &params) &&
	    params != NULL)
		(void)validate("connect.params", params);
	/* dispatch, for a valid request */
	if (rv == 0) {
		method = json_object_get_string(
		    json_object_object_get(frame, "method"));
		fuzz_check(method != NULL, "valid frame without a method");
		(void)proto_method_scope(method);
		snprintf(schema, sizeof(schema), "method.%s", method);
		params = json_object_object_get(frame, "params");
		if (params == NULL)
			params = empty = json_object_new_object();
		if (proto_schema_exists(schema))
			(void)validate(schema, params);
		else
			fuzz_check(validate(schema, params) == -2,
			    "unknown schema validated");
		json_object_put(empty);
	}
	/* everything against everything */
	for (i = 0; i < nids; i++) {
		(void)validate(ids[i], frame);
		if (json_object_is_type(frame, json_type_object) &&
		    json_object_object_get_ex(frame, "params", &params))
			(void)validate(ids[i], params);
	}
	json_object_put(frame);
	return 0;
}
