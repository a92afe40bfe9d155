/*
 * Calls forwarded by ws: rebuilt on this side's transport, whose
 * "caller" is the connection id itself (the connection lives in ws), and
 * whose send carries each res frame back to ws with that id.  An answer
 * given while ws is being respawned has nowhere to go: dropped and
 * counted, as for a closed connection (ws failed the call already when
 * the channel closed).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/ipc.h"
#include "common/log.h"
#include "protocol/frame.h"
#include "protocol/ipc-msg.h"
#include "workers/agent/agent.h"

static void *
agent_call_lookup(void *arg, const char *key)
{
	struct agent_server *s = arg;

	return s->ws != NULL ? (void *)key : NULL;
}

static struct json_object *
agent_res_msg(const char *key, struct json_object *frame)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "key", json_object_new_string(key));
	json_object_object_add(m, "frame", json_object_get(frame));
	return m;
}

/*
 * One answer to ws.  One over the channel's message limit becomes an
 * error the caller can read (ws would otherwise keep the call pending).
 */
static int
agent_call_send(void *arg, void *caller, struct json_object *frame)
{
	struct agent_server *s = arg;
	struct json_object  *m, *err;
	const char          *text;
	size_t               len;
	int                  rv;

	if (s->ws == NULL)
		return -1;
	m = agent_res_msg(caller, frame);
	text = frame_text(m, &len);
	if (len > IPC_MAX_PAYLOAD) {
		log_warnx("an answer of %zu bytes is over the channel's limit",
		    len);
		json_object_put(m);
		err = frame_res_err(frame_str(frame, "id"),
		    frame_error("UNAVAILABLE",
		        "the answer is too large to pass to the gateway"));
		m = agent_res_msg(caller, err);
		json_object_put(err);
		text = frame_text(m, &len);
	}
	rv = ipc_send(s->ws, IMSG_AGENT_RES, -1, text, len);
	json_object_put(m);
	return rv;
}

void
agent_calls_init(struct agent_server *s)
{
	s->calls.lookup = agent_call_lookup;
	s->calls.send = agent_call_send;
	s->calls.arg = s;
	s->calls.dropped = 0;
}

static void
agent_call_run(struct agent_server *s, struct gw_call *call)
{
	const struct gw_method *m;
	char                    msg[200];

	if ((m = agent_method_lookup(gw_call_method(call))) == NULL) {
		/* ws forwards only what both tables have: a version skew. */
		snprintf(msg, sizeof(msg), "unknown method: %.100s",
		    gw_call_method(call));
		gw_call_error(call, "INVALID_REQUEST", msg);
		return;
	}
	m->fn(call, s);
}

void
agent_call_recv(struct agent_server *s, const char *text, size_t len)
{
	struct json_object *o;
	struct gw_call     *call;

	if ((o = frame_json_parse(text, len, 0, NULL)) == NULL ||
	    (call = gw_call_from_json(&s->calls, o)) == NULL) {
		log_warnx("ws: a malformed call ignored");
		json_object_put(o);
		return;
	}
	json_object_put(o);
	agent_call_run(s, call);
	if (gw_call_deferred(call))
		return;
	if (!gw_call_done(call))
		log_warnx("%s neither answered nor deferred",
		    gw_call_method(call));
	gw_call_free(call);
}
