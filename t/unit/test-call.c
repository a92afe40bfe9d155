#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "protocol/call.h"
#include "protocol/frame.h"
#include "protocol/scopes.h"
#include "protocol/validate.h"
#include "workers/ws/ws.h"
#include "t/unit/tap.h"

/*
 * The transport-independent method call (protocol/call.c) on a fake
 * transport: callers are slots that record the frames they were sent,
 * and a caller "goes away" by being marked gone.  The method table of
 * the ws worker is checked against the scope and schema tables.
 */

#define NCALLERS 3
#define NFRAMES  4

struct fake_caller {
	const char *key;
	int         gone;
	int         closing; /* found, but takes nothing */
	int         nframes;
	char       *frames[NFRAMES];
};

static struct fake_caller callers[NCALLERS] = {
	{ "conn-a", 0, 0, 0, { NULL } },
	{ "conn-b", 0, 0, 0, { NULL } },
	{ "conn-c", 0, 0, 0, { NULL } },
};

static void *
fake_lookup(void *arg, const char *key)
{
	int i;

	(void)arg;
	for (i = 0; i < NCALLERS; i++)
		if (!callers[i].gone && strcmp(callers[i].key, key) == 0)
			return &callers[i];
	return NULL;
}

static int
fake_send(void *arg, void *caller, struct json_object *frame)
{
	struct fake_caller *fc = caller;
	size_t              len;

	(void)arg;
	if (fc->closing || fc->nframes == NFRAMES)
		return -1;
	fc->frames[fc->nframes++] = strdup(frame_text(frame, &len));
	return 0;
}

static struct gw_transport here = { fake_lookup, fake_send, NULL, 0 };

/*
 * The other process: every caller is reached through the ipc channel
 * back, which carries {key, frame} as text; pipe_msgs[] is that channel.
 * Its lookup hands the key itself to send: the frame does not name its
 * caller.
 */
static char *pipe_msgs[NFRAMES];
static int   npipe;

static void *
remote_lookup(void *arg, const char *key)
{
	(void)arg;
	return (void *)(uintptr_t)key;
}

static int
remote_send(void *arg, void *caller, struct json_object *frame)
{
	struct json_object *m;
	size_t              len;

	(void)arg;
	m = json_object_new_object();
	json_object_object_add(m, "key", json_object_new_string(caller));
	json_object_object_add(m, "frame", json_object_get(frame));
	pipe_msgs[npipe++] = strdup(frame_text(m, &len));
	json_object_put(m);
	return 0;
}

static struct gw_transport there = { remote_lookup, remote_send, NULL, 0 };

static void
reset(void)
{
	int i, j;

	for (i = 0; i < NCALLERS; i++) {
		for (j = 0; j < callers[i].nframes; j++)
			free(callers[i].frames[j]);
		callers[i].nframes = 0;
		callers[i].gone = callers[i].closing = 0;
	}
	for (j = 0; j < npipe; j++)
		free(pipe_msgs[j]);
	npipe = 0;
	here.dropped = there.dropped = 0;
}

static struct gw_call *
new_call(const char *key, const char *id, const char *method)
{
	static const char *const scopes[] = { "operator.read" };
	struct gw_caller who = { key, 0, scopes, 1, "cli", "cli", NULL };

	return gw_call_new(&here, &who, id, method, json_object_new_object());
}

/* The params reference is the call's own: drop ours at once. */
static struct gw_call *
call_for(const char *key, const char *id, const char *method)
{
	struct gw_call *call = new_call(key, id, method);

	json_object_put(gw_call_params(call));
	return call;
}

static void
test_immediate(void)
{
	struct gw_call *call;

	reset();
	call = call_for("conn-a", "1", "health");
	is_str(gw_call_id(call), "1", "the call has the request id");
	is_str(gw_call_method(call), "health", "and the method");
	ok(gw_call_has_scope(call, "operator.read"), "and the scopes");
	ok(!gw_call_has_scope(call, "operator.admin"), "only those");
	is_str(gw_call_client_id(call), "cli", "and the client");
	is_int(gw_call_ok(call, json_object_new_int(7)), 0, "answered");
	ok(gw_call_done(call), "the call is done");
	is_int(callers[0].nframes, 1, "the caller got one frame");
	is_str(callers[0].frames[0],
	    "{\"type\":\"res\",\"id\":\"1\",\"ok\":true,\"payload\":7}",
	    "a res frame with the payload");
	is_int(gw_call_error(call, "X", "y"), -1, "a second final refused");
	is_int(callers[0].nframes, 1, "and not sent");
	gw_call_free(call);
}

static struct gw_call *held;

/* A handler that answers later: it keeps the call. */
static void
m_later(struct gw_call *call, void *ctx)
{
	(void)ctx;
	gw_call_defer(call);
	held = call;
}

static void
test_deferred(void)
{
	struct gw_call *call;

	reset();
	call = call_for("conn-b", "2", "later");
	m_later(call, NULL);
	ok(gw_call_deferred(call), "the handler deferred the call");
	is_int(callers[1].nframes, 0, "nothing sent yet");
	/* ... a timer fires ... */
	is_int(gw_call_error(held, "UNAVAILABLE", "not yet"), 0,
	    "answered later");
	is_str(callers[1].frames[0],
	    "{\"type\":\"res\",\"id\":\"2\","
	    "\"ok\":false,\"error\":{\"code\":\"UNAVAILABLE\","
	    "\"message\":\"not yet\"}}",
	    "an error frame");
	gw_call_free(held);
}

/*
 * A call made with its caller at hand answers it without a lookup while
 * the handler runs; deferred, it keeps copies of the caller's strings
 * and finds the caller by key again.
 */
static void
test_live(void)
{
	static const char *const scopes[] = { "operator.read" };
	struct gw_caller         who = { "conn-x", 0, scopes, 1, "cli", "cli",
		        &callers[0] };
	struct gw_call          *call;
	char                    *id = strdup("7"), *method = strdup("later");

	reset();
	call = gw_call_new(&here, &who, "6", "now", NULL);
	is_int(gw_call_ok(call, NULL), 0, "live caller: answered");
	is_int(callers[0].nframes, 1, "... without a lookup (key unknown)");
	gw_call_free(call);
	call = gw_call_new(&here, &who, id, method, NULL);
	gw_call_defer(call);
	free(id);
	free(method);
	is_str(gw_call_method(call), "later", "deferred: its own copy");
	is_int(gw_call_ok(call, NULL), 1, "deferred: looked up by key");
	is_int((int)here.dropped, 1, "... and dropped, counted");
	gw_call_free(call);
}

static void
test_twice(void)
{
	struct gw_call     *call;
	struct json_object *st;

	reset();
	call = call_for("conn-a", "3", "agent");
	gw_call_defer(call);
	st = json_object_new_object();
	json_object_object_add(st, "status",
	    json_object_new_string("accepted"));
	is_int(gw_call_ack(call, st), 0, "ack");
	ok(!gw_call_done(call), "an ack does not finish the call");
	is_int(gw_call_ack(call, NULL), -1, "a second ack refused");
	is_int(gw_call_ok(call, json_object_new_string("done")), 0, "final");
	is_int(gw_call_ok(call, NULL), -1, "a third answer refused");
	is_int(gw_call_ack(call, NULL), -1, "an ack after the final refused");
	is_int(callers[0].nframes, 2, "two frames reached the caller");
	is_str(callers[0].frames[0],
	    "{\"type\":\"res\",\"id\":\"3\","
	    "\"ok\":true,\"payload\":{\"status\":\"accepted\"}}",
	    "the ack");
	is_str(callers[0].frames[1],
	    "{\"type\":\"res\",\"id\":\"3\","
	    "\"ok\":true,\"payload\":\"done\"}",
	    "the final answer");
	gw_call_free(call);
}

static void
test_vanished(void)
{
	struct gw_call     *call;
	struct json_object *frame;

	reset();
	call = call_for("conn-c", "4", "later");
	gw_call_defer(call);
	callers[2].gone = 1; /* the connection closed meanwhile */
	is_int(gw_call_ack(call, json_object_new_int(1)), 1, "ack dropped");
	is_int(gw_call_ok(call, json_object_new_int(2)), 1, "final dropped");
	is_int(here.dropped, 2, "both drops counted");
	is_int(callers[2].nframes, 0, "nothing sent to the gone caller");
	ok(gw_call_done(call), "the call is done all the same");
	is_int(gw_call_ok(call, NULL), -1, "and answers no more");
	gw_call_free(call);
	frame = json_object_new_object(); /* route borrows it */
	is_int(gw_call_route(&here, "no-such-conn", frame), 1,
	    "a reply for an unknown key");
	json_object_put(frame);
	is_int(here.dropped, 3, "is counted too");
	call = call_for("conn-a", "4b", "health");
	callers[0].closing = 1;
	is_int(gw_call_ok(call, NULL), 1, "an answer to a closing caller");
	is_int(here.dropped, 4, "is dropped and counted");
	gw_call_free(call);
}

/* The other process: rebuild the call, answer it there (ack, final). */
static void
remote_handle(const char *wire)
{
	struct json_object *o;
	struct gw_call     *call;

	o = json_tokener_parse(wire);
	call = gw_call_from_json(&there, o);
	json_object_put(o);
	ok(call != NULL, "the forwarded call rebuilt");
	if (call == NULL)
		return;
	is_str(gw_call_id(call), "5", "with its id");
	is_str(gw_call_method(call), "agent", "its method");
	ok(gw_call_has_scope(call, "operator.read"), "the caller's scopes");
	is_str(gw_call_client_mode(call), "cli", "and client");
	is_int(json_object_get_int(
	           json_object_object_get(gw_call_params(call), "n")),
	    9, "and params");
	gw_call_ack(call, json_object_new_string("accepted"));
	gw_call_ok(call, json_object_new_string("result"));
	is_int(npipe, 2, "two replies went back over the channel");
	gw_call_free(call);
}

/* Back here: each reply finds its caller by key. */
static void
route_replies(void)
{
	struct json_object *m;
	int                 i;

	for (i = 0; i < npipe; i++) {
		m = json_tokener_parse(pipe_msgs[i]);
		gw_call_route(&here, frame_str(m, "key"),
		    json_object_object_get(m, "frame"));
		json_object_put(m);
	}
}

static void
test_forwarded(void)
{
	struct gw_call     *call;
	struct json_object *wire;
	char               *text;
	size_t              len;

	reset();
	call = new_call("conn-b", "5", "agent");
	json_object_object_add(gw_call_params(call), "n",
	    json_object_new_int(9));
	json_object_put(gw_call_params(call));
	wire = gw_call_to_json(call);
	text = strdup(frame_text(wire, &len));
	json_object_put(wire);
	gw_call_free(call); /* this side keeps nothing but the key */
	remote_handle(text);
	free(text);
	route_replies();
	is_int(callers[1].nframes, 2, "the caller got both answers");
	is_str(callers[1].frames[1],
	    "{\"type\":\"res\",\"id\":\"5\","
	    "\"ok\":true,\"payload\":\"result\"}",
	    "the final one last");
	callers[1].gone = 1;
	route_replies();
	is_int(here.dropped, 2, "replies after the caller left: dropped");
	ok(gw_call_from_json(&there, NULL) == NULL, "no call from nothing");
}

static void
test_method_table(void)
{
	struct json_object     *names;
	const struct gw_method *m;
	const char             *name;
	size_t                  i, n;

	names = ws_methods_list();
	n = json_object_array_length(names);
	ok(n >= 6, "the table has today's methods");
	is_str(json_object_to_json_string_ext(names, JSON_C_TO_STRING_PLAIN),
	    "[\"health\",\"status\",\"system-presence\",\"system-event\","
	    "\"last-heartbeat\",\"config.get\",\"logs.tail\",\"agents.list\"]",
	    "in hello-ok's order");
	for (i = 0; i < n; i++) {
		name = json_object_get_string(
		    json_object_array_get_idx(names, i));
		m = ws_method_lookup(name);
		ok(m != NULL && m->fn != NULL, "%s: a row with a handler",
		    name);
		if (m == NULL)
			continue;
		is_str(m->scope, proto_method_scope(name),
		    "%s: scope as method-scopes.tsv", name);
		ok(proto_schema_exists(m->schema), "%s: schema %s exists", name,
		    m->schema);
	}
	ok(ws_method_lookup("chat.send") == NULL, "no row: not served");
	json_object_put(names);
}

int
main(void)
{
	if (proto_schemas_load() == -1)
		return 1;
	test_immediate();
	test_deferred();
	test_live();
	test_twice();
	test_vanished();
	test_forwarded();
	test_method_table();
	reset();
	proto_schemas_free();
	return tap_done();
}
