#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "protocol/method-scopes.h"
#include "protocol/scopes.h"
#include "protocol/validate.h"
#include "t/unit/tap.h"

/*
 * JSON Schema validation (protocol/schema/ through protocol/validate.c)
 * and the method scope table.
 *
 * Test documents are written with single quotes to keep them readable;
 * J() turns them into double quotes before parsing.
 */

static char err[512];

static struct json_object *
J(const char *text)
{
	struct json_object     *v;
	enum json_tokener_error jerr;
	char                   *s, *p;

	if ((s = strdup(text)) == NULL)
		abort();
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	v = json_tokener_parse_verbose(s, &jerr);
	if (jerr != json_tokener_success) {
		printf("# bad test JSON: %s\n", s);
		abort();
	}
	free(s);
	return v;
}

/* Validate text against schema id; err holds the message. */
static int
check(const char *id, const char *text)
{
	struct json_object *v = J(text);
	int                 r;

	r = proto_validate(id, v, err, sizeof(err));
	json_object_put(v);
	return r;
}

#define valid(id, text, ...)                            \
	do {                                            \
		int valid_r_ = check(id, text);         \
		is_int(valid_r_, 0, __VA_ARGS__);       \
		if (valid_r_ != 0)                      \
			printf("#   error: %s\n", err); \
	} while (0)

#define invalid(id, text, want, ...)                                         \
	do {                                                                 \
		int invalid_r_ = check(id, text);                            \
		ok(invalid_r_ == -1 && strcmp(err, want) == 0, __VA_ARGS__); \
		if (invalid_r_ != -1 || strcmp(err, want) != 0)              \
			printf("#   got %d '%s', want '%s'\n", invalid_r_,   \
			    err, want);                                      \
	} while (0)

/* The connect frame of protocol.md 10.1, as the CLI sends it. */
static const char cli_frame[] =
    "{'type':'req','id':'1:6f1c2a0e-2b1d-4c4e-9a57-0d5e7c3b9a10',"
    "'method':'connect','params':{"
    "'minProtocol':4,'maxProtocol':4,"
    "'client':{'id':'cli','version':'2026.9.6','platform':'linux',"
    "'mode':'cli','instanceId':'0b0e7f0c-58a4-4a43-bd4b-6a3cbd1d1f3e'},"
    "'caps':[],'auth':{'token':'s3cret'},'role':'operator',"
    "'scopes':['operator.read']}}";

static void
test_frames(void)
{
	struct json_object *frame, *params;

	valid("frame.req", cli_frame, "10.1 connect frame is a valid req");
	frame = J(cli_frame);
	json_object_object_get_ex(frame, "params", &params);
	is_int(proto_validate("connect.params", params, err, sizeof(err)), 0,
	    "10.1 connect params are valid");
	json_object_put(frame);

	valid("frame.req", "{'type':'req','id':'1','method':'health'}",
	    "req without params");
	valid("frame.req",
	    "{'type':'req','id':'1','method':'x','params':[1,null]}",
	    "params may be any value");
	valid("frame.req",
	    "{'type':'req','id':'1','method':'x','params':null,"
	    "'traceparent':'00-abc','expectedProfileId':'p'}",
	    "req with traceparent and expectedProfileId");
	invalid("frame.req", "{'type':'res','id':'1','method':'x'}",
	    "at /type: must be equal to constant", "type must be req");
	invalid("frame.req", "{'type':'req','id':'','method':'x'}",
	    "at /id: must NOT have fewer than 1 characters", "empty id");
	invalid("frame.req", "{'type':'req','id':1,'method':'x'}",
	    "at /id: must be string", "numeric id");
	invalid("frame.req", "{'type':'req','id':'1'}",
	    "at /: must have required property 'method'", "missing method");
	invalid("frame.req", "{'type':'req','id':'1','method':'x','foo':1}",
	    "at /: must NOT have additional properties (foo)",
	    "req frame is closed");
	invalid("frame.req",
	    "{'type':'req','id':'1','method':'x',"
	    "'expectedProfileId':''}",
	    "at /expectedProfileId: must NOT have fewer than 1 characters",
	    "empty expectedProfileId");
	invalid("frame.req", "[1]", "at /: must be object", "array frame");

	valid("frame.any", "{'type':'event','event':'x','seq':1}",
	    "frame.any accepts any typed object");
	invalid("frame.any", "{'type':3}", "at /type: must be string",
	    "frame.any wants a string type");
	invalid("frame.any", "{'id':'1'}",
	    "at /: must have required property 'type'",
	    "frame.any without type");
}

static void
test_traceparent(void)
{
	char doc[512];

	snprintf(doc, sizeof(doc),
	    "{'type':'req','id':'1','method':'x',"
	    "'traceparent':'%0128d'}",
	    0);
	valid("frame.req", doc, "traceparent of 128 characters");
	snprintf(doc, sizeof(doc),
	    "{'type':'req','id':'1','method':'x',"
	    "'traceparent':'%0129d'}",
	    0);
	invalid("frame.req", doc,
	    "at /traceparent: must NOT have more than 128 characters",
	    "traceparent of 129 characters");
}

#define CLIENT                                                   \
	"'client':{'id':'cli','version':'1','platform':'linux'," \
	"'mode':'cli'}"
#define PROTO "'minProtocol':4,'maxProtocol':4"

static void
test_connect_variants(void)
{
	valid("connect.params",
	    "{'minProtocol':3,'maxProtocol':4,"
	    "'client':{'id':'cli','version':'dev','platform':'linux',"
	    "'mode':'probe'},'caps':[],'auth':{'token':'t'},"
	    "'role':'operator','scopes':['operator.read']}",
	    "gateway probe variant (mode probe, protocol 3..4)");
	valid("connect.params",
	    "{" PROTO ",'client':{'id':'gateway-client',"
	    "'displayName':'gateway:agent','version':'2026.9.6',"
	    "'platform':'linux','mode':'backend'},'caps':[],"
	    "'auth':{'token':'t'},'role':'operator',"
	    "'scopes':['operator.admin']}",
	    "agent backend variant");
	valid("connect.params",
	    "{" PROTO "," CLIENT ",'device':{'id':'d',"
	    "'publicKey':'k','signature':'s','signedAt':1737000000000,"
	    "'nonce':'n'},'role':'operator','scopes':['operator.read']}",
	    "device identity instead of auth");
	valid("connect.params",
	    "{" PROTO ",'client':{'id':'node-host',"
	    "'version':'1','platform':'linux','mode':'node',"
	    "'buildId':'b','deviceFamily':'Linux','modelIdentifier':'m',"
	    "'timeZone':'Europe/Paris'},'role':'node',"
	    "'caps':['camera','canvas'],'commands':['system.run'],"
	    "'permissions':{'camera':true},'pathEnv':'/bin',"
	    "'workerRuns':{},'computerUse':{'a':[1,{'b':null}]},"
	    "'locale':'fr','userAgent':'ua'}",
	    "node variant");
	valid("connect.params",
	    "{" PROTO "," CLIENT ",'auth':{'token':'t',"
	    "'bootstrapToken':'b','deviceToken':'d','password':'p',"
	    "'approvalRuntimeToken':'a','agentRuntimeIdentityToken':'i'}}",
	    "every auth field");
	valid("connect.params",
	    "{'minProtocol':4.0,'maxProtocol':4," CLIENT "}",
	    "4.0 is an integer");
}

/* Every client.id and client.mode of protocol.md 2.2 is accepted. */
static void
test_client_enums(void)
{
	static const char *const ids[] = {
		"webchat-ui",
		"openclaw-control-ui",
		"openclaw-browser-copilot",
		"openclaw-tui",
		"webchat",
		"cli",
		"gateway-client",
		"openclaw-macos",
		"openclaw-linux",
		"openclaw-ios",
		"openclaw-watchos",
		"openclaw-android",
		"node-host",
		"openclaw-worker",
		"test",
		"fingerprint",
		"openclaw-probe",
	};
	static const char *const modes[] = {
		"webchat",
		"cli",
		"ui",
		"backend",
		"node",
		"worker",
		"probe",
		"test",
	};
	char   doc[512];
	size_t i;
	int    bad = 0;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(doc, sizeof(doc),
		    "{" PROTO ",'client':{'id':'%s',"
		    "'version':'1','platform':'linux','mode':'probe'}}",
		    ids[i]);
		if (check("connect.params", doc) != 0)
			bad++;
	}
	is_int(bad, 0, "all 17 client ids are accepted");
	bad = 0;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(doc, sizeof(doc),
		    "{" PROTO ",'client':{'id':'cli',"
		    "'version':'1','platform':'linux','mode':'%s'}}",
		    modes[i]);
		if (check("connect.params", doc) != 0)
			bad++;
	}
	is_int(bad, 0, "all 8 client modes are accepted");
	valid("connect.params",
	    "{'minProtocol':3,'maxProtocol':4,"
	    "'client':{'id':'openclaw-probe','version':'dev',"
	    "'platform':'darwin','mode':'probe'},'scopes':['operator.read']}",
	    "openclaw-probe client without credentials");
}

static void
test_connect_errors(void)
{
	invalid("connect.params", "{'maxProtocol':4," CLIENT "}",
	    "at /: must have required property 'minProtocol'",
	    "missing minProtocol");
	invalid("connect.params",
	    "{'minProtocol':'4','maxProtocol':4," CLIENT "}",
	    "at /minProtocol: must be integer", "string minProtocol");
	invalid("connect.params",
	    "{'minProtocol':4.5,'maxProtocol':4," CLIENT "}",
	    "at /minProtocol: must be integer", "fractional minProtocol");
	invalid("connect.params",
	    "{'minProtocol':0,'maxProtocol':4," CLIENT "}",
	    "at /minProtocol: must be >= 1", "minProtocol below 1");
	invalid("connect.params",
	    "{" PROTO ",'client':{'id':'cli',"
	    "'version':'1','platform':'linux','mode':'cli',"
	    "'transports':['ws']}}",
	    "at /client: must NOT have additional properties (transports)",
	    "client is closed");
	invalid("connect.params", "{" PROTO "," CLIENT ",'extra':1}",
	    "at /: must NOT have additional properties (extra)",
	    "params are closed");
	invalid("connect.params",
	    "{" PROTO ",'client':{'id':'cli',"
	    "'version':'1','platform':'linux','mode':'operator'}}",
	    "at /client/mode: must be equal to one of the allowed values",
	    "client.mode enum (docs' 'operator')");
	invalid("connect.params",
	    "{" PROTO ",'client':{'id':'ios-node',"
	    "'version':'1','platform':'ios','mode':'node'}}",
	    "at /client/id: must be equal to one of the allowed values",
	    "client.id enum (docs' 'ios-node')");
	invalid("connect.params",
	    "{" PROTO ",'client':{'id':'cli',"
	    "'version':'','platform':'linux','mode':'cli'}}",
	    "at /client/version: must NOT have fewer than 1 characters",
	    "empty client.version through $ref");
	invalid("connect.params",
	    "{" PROTO ",'client':{'id':'cli',"
	    "'platform':'linux','mode':'cli'}}",
	    "at /client: must have required property 'version'",
	    "nested required");
	invalid("connect.params", "{" PROTO ",'client':[]}",
	    "at /client: must be object", "client not an object");
	invalid("connect.params",
	    "{" PROTO "," CLIENT ",'scopes':['operator.read','']}",
	    "at /scopes/1: must NOT have fewer than 1 characters",
	    "array item pointer");
	invalid("connect.params", "{" PROTO "," CLIENT ",'caps':['a',7]}",
	    "at /caps/1: must be string", "array item type");
	invalid("connect.params", "{" PROTO "," CLIENT ",'caps':'camera'}",
	    "at /caps: must be array", "caps not an array");
	invalid("connect.params",
	    "{" PROTO "," CLIENT ",'device':{'id':'d',"
	    "'publicKey':'k','signature':'s','signedAt':1}}",
	    "at /device: must have required property 'nonce'",
	    "device without nonce");
	invalid("connect.params",
	    "{" PROTO "," CLIENT ",'device':{'id':'d',"
	    "'publicKey':'k','signature':'s','signedAt':-1,'nonce':'n'}}",
	    "at /device/signedAt: must be >= 0", "negative signedAt");
	invalid("connect.params",
	    "{" PROTO "," CLIENT ",'auth':{'token':'t','apiKey':'k'}}",
	    "at /auth: must NOT have additional properties (apiKey)",
	    "auth is closed");
	invalid("connect.params",
	    "{" PROTO "," CLIENT ",'permissions':{'camera':'yes'}}",
	    "at /permissions/camera: must be boolean",
	    "additionalProperties schema");
	invalid("connect.params",
	    "{" PROTO "," CLIENT ",'permissions':{'a/b~c':1}}",
	    "at /permissions/a~1b~0c: must be boolean",
	    "pointer escapes ~ and /");
	invalid("connect.params", "null", "at /: must be object",
	    "null params");
}

static void
test_order(void)
{
	invalid("connect.params", "{'minProtocol':'x'}",
	    "at /: must have required property 'maxProtocol'",
	    "required is checked before properties");
	invalid("connect.params",
	    "{'zzz':1," PROTO ",'client':{'id':'cli',"
	    "'version':'1','platform':'linux','mode':'x'}}",
	    "at /client/mode: must be equal to one of the allowed values",
	    "properties are checked before additionalProperties");
	invalid("connect.params",
	    "{" PROTO ",'client':{'mode':'x','id':'y',"
	    "'version':'1','platform':'linux'}}",
	    "at /client/id: must be equal to one of the allowed values",
	    "properties follow schema order, not instance order");
}

static void
test_lengths(void)
{
	char doc[1024], tz[512];
	int  i;

	/* 64 code points of two bytes each: 128 bytes, still 64 characters. */
	tz[0] = '\0';
	for (i = 0; i < 64; i++)
		strcat(tz, "\xc3\xa9");
	snprintf(doc, sizeof(doc),
	    "{" PROTO ",'client':{'id':'cli',"
	    "'version':'1','platform':'linux','mode':'cli','timeZone':'%s'}}",
	    tz);
	valid("connect.params", doc, "length counts code points, not bytes");
	strcat(tz, "\xc3\xa9");
	snprintf(doc, sizeof(doc),
	    "{" PROTO ",'client':{'id':'cli',"
	    "'version':'1','platform':'linux','mode':'cli','timeZone':'%s'}}",
	    tz);
	invalid("connect.params", doc,
	    "at /client/timeZone: must NOT have more than 64 characters",
	    "maxLength 64");
}

static void
test_anyof(void)
{
	valid("connect.params", "{" PROTO "," CLIENT ",'modelCatalog':{}}",
	    "modelCatalog first form (empty)");
	valid("connect.params",
	    "{" PROTO "," CLIENT
	    ",'modelCatalog':{'agentId':'a','sessionKey':'s'}}",
	    "modelCatalog first form");
	valid("connect.params",
	    "{" PROTO "," CLIENT
	    ",'modelCatalog':{'agentId':'a','shortId':'x','slugHint':'h'}}",
	    "modelCatalog second form");
	invalid("connect.params",
	    "{" PROTO "," CLIENT
	    ",'modelCatalog':{'sessionKey':'s','shortId':'x'}}",
	    "at /modelCatalog: must match a schema in anyOf",
	    "modelCatalog mixing both forms");
	invalid("connect.params", "{" PROTO "," CLIENT ",'modelCatalog':'x'}",
	    "at /modelCatalog: must match a schema in anyOf",
	    "modelCatalog not an object");
}

/* [[[...1...]]] nested n deep, built directly (json-c parses 32 levels). */
static struct json_object *
nested_arrays(int n)
{
	struct json_object *v = json_object_new_int(1), *a;

	while (n-- > 0) {
		a = json_object_new_array();
		json_object_array_add(a, v);
		v = a;
	}
	return v;
}

static void
test_depth(void)
{
	struct json_object *params, *frame;
	char                want[512];
	int                 i, r;

	params = J("{" PROTO "," CLIENT "}");
	json_object_object_add(params, "computerUse", nested_arrays(60));
	is_int(proto_validate("connect.params", params, err, sizeof(err)), 0,
	    "computerUse 60 levels deep is fine");
	json_object_object_add(params, "computerUse", nested_arrays(200));
	r = proto_validate("connect.params", params, err, sizeof(err));
	strcpy(want, "at /computerUse");
	for (i = 0; i < 64; i++)
		strcat(want, "/0");
	strcat(want, ": nesting too deep");
	is_int(r, -1, "computerUse 200 levels deep is rejected");
	is_str(err, want, "depth error names the 65th level");

	json_object_put(params);

	/* Params of a req frame are not walked: any depth passes there. */
	frame = J("{'type':'req','id':'1','method':'x'}");
	json_object_object_add(frame, "params", nested_arrays(10000));
	is_int(proto_validate("frame.req", frame, err, sizeof(err)), 0,
	    "frame.req does not walk params");
	json_object_put(frame);
}

static void
test_methods(void)
{
	/*
	 * A request may omit params; the dispatcher validates {} in that
	 * case, which is what these empty objects stand for.
	 */
	valid("method.health", "{}", "health without params");
	valid("method.health", "{'probe':true}", "health probe");
	valid("method.health", "{'other':1}", "health params are open");
	invalid("method.health", "{'probe':'yes'}",
	    "at /probe: must be boolean", "health probe must be boolean");
	invalid("method.health", "[]", "at /: must be object",
	    "health params must be an object");

	valid("method.status", "{}", "status without params");
	valid("method.status",
	    "{'includeChannelSummary':false,"
	    "'includeCliProjection':true}",
	    "status with both flags");
	invalid("method.status", "{'verbose':true}",
	    "at /: must NOT have additional properties (verbose)",
	    "status params are closed");

	valid("method.system-presence", "{}", "system-presence without params");
	invalid("method.system-presence", "{'a':1}",
	    "at /: must NOT have additional properties (a)",
	    "system-presence takes nothing");
	valid("method.last-heartbeat", "{}", "last-heartbeat without params");
	invalid("method.last-heartbeat", "{'x':null}",
	    "at /: must NOT have additional properties (x)",
	    "last-heartbeat takes nothing");

	invalid("method.system-event", "{}",
	    "at /: must have required property 'text'",
	    "system-event without text");
	valid("method.system-event",
	    "{'text':'Node: h (10.0.0.2) · app 1 · "
	    "mode ui · reason periodic','idempotencyKey':'k','sessionKey':'s',"
	    "'wake':false,'deviceId':'d','instanceId':'i','host':'h',"
	    "'ip':'10.0.0.2','mode':'ui','version':'1','platform':'linux',"
	    "'deviceFamily':'Linux','modelIdentifier':'m',"
	    "'lastInputSeconds':12.5,'reason':'periodic','roles':['node'],"
	    "'scopes':[],'tags':['system-presence-clear-last-input']}",
	    "system-event with every field");
	invalid("method.system-event", "{'text':'x','lastInputSeconds':'3'}",
	    "at /lastInputSeconds: must be number",
	    "lastInputSeconds must be a number");
	invalid("method.system-event", "{'text':'x','tags':['a',1]}",
	    "at /tags/1: must be string", "tags are strings");
	invalid("method.system-event", "{'text':'x','wake':'yes'}",
	    "at /wake: must be boolean", "wake is boolean");
	invalid("method.system-event", "{'text':'x','color':'red'}",
	    "at /: must NOT have additional properties (color)",
	    "system-event params are closed");
}

static void
test_api_edges(void)
{
	struct json_object *v = J("{}");
	char                small[8];

	is_int(proto_validate("no.such", v, err, sizeof(err)), -2,
	    "unknown schema id");
	is_int(proto_validate(NULL, v, err, sizeof(err)), -2, "NULL schema id");
	ok(proto_schema_exists("connect.params"), "connect.params exists");
	ok(!proto_schema_exists("no.such"), "no.such does not exist");
	is_int(proto_validate("method.system-event", v, NULL, 0), -1,
	    "no error buffer is fine");
	is_int(proto_validate("method.system-event", v, small, sizeof(small)),
	    -1, "short error buffer is fine");
	is_str(small, "at /: m", "message truncated to the buffer");
	json_object_put(v);
}

static void
test_scopes(void)
{
	static const char *const rw[] = { "operator.read", "operator.write" };
	static const char *const w[] = { "operator.write" };
	static const char *const r[] = { "operator.read" };
	static const char *const a[] = { "operator.admin" };
	static const char *const rp[] = { "operator.read", "operator.pairing" };
	static const char *const t[] = { "operator.talk" };
	size_t                   i, sorted = 1;

	is_str(proto_method_scope("health"), "operator.read", "health scope");
	is_str(proto_method_scope("status"), "operator.read", "status scope");
	is_str(proto_method_scope("system-event"), "operator.admin",
	    "system-event scope");
	is_str(proto_method_scope("node.invoke.result"), "node",
	    "node.invoke.result is node-only");
	is_str(proto_method_scope("agent"), "dynamic", "agent is dynamic");
	is_str(proto_method_scope("worktrees.restore"), "operator.admin",
	    "last table entry is found");
	ok(proto_method_scope("no.such") == NULL, "unknown method");
	ok(proto_method_scope("") == NULL, "empty method");
	ok(proto_method_scope(NULL) == NULL, "NULL method");
	for (i = 1; i < proto_method_scopes_count; i++)
		if (strcmp(proto_method_scopes[i - 1].method,
		        proto_method_scopes[i].method) >= 0)
			sorted = 0;
	ok(sorted && proto_method_scopes_count > 400,
	    "generated table is sorted and complete");

	ok(proto_scope_known("operator.read"), "operator.read is known");
	ok(proto_scope_known("operator.talk.secrets"), "talk.secrets is known");
	ok(proto_scope_known("operator.sessions.write"),
	    "sessions.write is known");
	ok(!proto_scope_known("operator.root"), "operator.root is not");
	ok(!proto_scope_known("node"), "node is not an operator scope");
	ok(!proto_scope_known(NULL), "NULL is not a scope");

	ok(proto_scope_satisfied(a, 1, "operator.talk.secrets"),
	    "admin satisfies talk.secrets");
	ok(proto_scope_satisfied(a, 1, "operator.pairing"),
	    "admin satisfies pairing");
	ok(proto_scope_satisfied(w, 1, "operator.read"), "write implies read");
	ok(proto_scope_satisfied(w, 1, "operator.talk"), "write implies talk");
	ok(proto_scope_satisfied(w, 1, "operator.sessions.read"),
	    "write implies sessions.read");
	ok(proto_scope_satisfied(w, 1, "operator.sessions.write"),
	    "write implies sessions.write");
	ok(!proto_scope_satisfied(w, 1, "operator.admin"),
	    "write does not imply admin");
	ok(!proto_scope_satisfied(w, 1, "operator.approvals"),
	    "write does not imply approvals");
	ok(!proto_scope_satisfied(w, 1, "operator.talk.secrets"),
	    "write does not imply talk.secrets");
	ok(proto_scope_satisfied(r, 1, "operator.sessions.read"),
	    "read implies sessions.read");
	ok(!proto_scope_satisfied(r, 1, "operator.write"),
	    "read does not imply write");
	ok(!proto_scope_satisfied(r, 1, "operator.sessions.write"),
	    "read does not imply sessions.write");
	ok(!proto_scope_satisfied(t, 1, "operator.talk.secrets"),
	    "talk does not imply talk.secrets");
	ok(proto_scope_satisfied(rp, 2, "operator.pairing"),
	    "any granted scope may match");
	ok(proto_scope_satisfied(rw, 2, "operator.write"), "exact match");
	ok(!proto_scope_satisfied(rw, 0, "operator.read"), "nothing granted");
	ok(!proto_scope_satisfied(a, 1, NULL), "NULL required");
}

int
main(void)
{
	is_int(proto_schemas_load(), 0, "schemas load");
	is_int(proto_schemas_load(), 0, "loading again is a no-op");
	ok(proto_schema_exists("frame.req") &&
	        proto_schema_exists("frame.any") &&
	        proto_schema_exists("method.health") &&
	        proto_schema_exists("method.status") &&
	        proto_schema_exists("method.system-presence") &&
	        proto_schema_exists("method.system-event") &&
	        proto_schema_exists("method.last-heartbeat"),
	    "every schema id is indexed");

	test_frames();
	test_traceparent();
	test_connect_variants();
	test_client_enums();
	test_connect_errors();
	test_order();
	test_lengths();
	test_anyof();
	test_depth();
	test_methods();
	test_api_edges();
	test_scopes();

	proto_schemas_free();
	ok(!proto_schema_exists("frame.req"), "nothing left after free");
	is_int(proto_validate("frame.req", NULL, err, sizeof(err)), -2,
	    "validation after free finds no schema");
	is_int(proto_schemas_load(), 0, "schemas load again after free");
	proto_schemas_free();
	return tap_done();
}
