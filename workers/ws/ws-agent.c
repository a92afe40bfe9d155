/*
 * The channel to the agent worker.  The methods it serves
 * (methods/agent.c) are forwarded to it as the call's JSON; each res
 * frame it sends back is routed to its caller by connection id
 * (protocol/call.h), and its events go to the operators with read scope.
 * A forwarded call without its final answer yet is pending here: when
 * the channel closes (the agent worker died, or is being respawned),
 * each gets UNAVAILABLE, so that no client waits for an answer that
 * cannot come.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "protocol/frame.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

struct ws_agent_call {
	LIST_ENTRY(ws_agent_call) entry;
	char *key; /* the caller's connection id */
	char *id;  /* the request id */
};

static uint32_t
ws_agent_hash(const char *key, const char *id)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	h *= 16777619u; /* a NUL between the two */
	for (; *id != '\0'; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h % WS_AGENT_BUCKETS;
}

static struct ws_agent_call *
ws_agent_find(struct ws_server *s, const char *key, const char *id)
{
	struct ws_agent_call *p;

	LIST_FOREACH(p, &s->agent_calls[ws_agent_hash(key, id)], entry)
		if (strcmp(p->key, key) == 0 && strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

static void
ws_agent_forget(struct ws_server *s, struct ws_agent_call *p)
{
	LIST_REMOVE(p, entry);
	s->nagent_calls--;
	free(p->key);
	free(p->id);
	free(p);
}

/* The first stage of a two-stage answer (protocol.md 6.6): not final. */
static int
ws_agent_is_ack(struct json_object *frame)
{
	struct json_object *ok, *pl;
	const char         *st;

	if (!json_object_object_get_ex(frame, "ok", &ok) ||
	    !json_object_get_boolean(ok) ||
	    !json_object_object_get_ex(frame, "payload", &pl))
		return 0;
	st = frame_str(pl, "status");
	return st != NULL && strcmp(st, "accepted") == 0;
}

static void
ws_agent_res(struct ws_server *s, struct json_object *m)
{
	struct json_object   *frame;
	struct ws_agent_call *p;
	const char           *key = frame_str(m, "key"), *id;

	if (key == NULL || !json_object_object_get_ex(m, "frame", &frame) ||
	    (id = frame_str(frame, "id")) == NULL) {
		log_warnx("agent: an answer without key or id ignored");
		return;
	}
	if (!ws_agent_is_ack(frame) && (p = ws_agent_find(s, key, id)) != NULL)
		ws_agent_forget(s, p);
	gw_call_route(&s->calls, key, frame);
}

static void
ws_agent_event(struct ws_server *s, struct json_object *m)
{
	struct json_object *payload = NULL;
	const char         *event = frame_str(m, "event");

	if (event == NULL) {
		log_warnx("agent: an event without a name ignored");
		return;
	}
	json_object_object_get_ex(m, "payload", &payload);
	ws_broadcast(s, event, payload, 1, 0, 1);
}

/* Every pending call gets its final answer: the agent cannot give it. */
static void
ws_agent_fail_all(struct ws_server *s)
{
	struct json_object   *frame;
	struct ws_agent_call *p;
	int                   i;

	for (i = 0; i < WS_AGENT_BUCKETS; i++)
		while ((p = LIST_FIRST(&s->agent_calls[i])) != NULL) {
			frame = frame_res_err(p->id,
			    frame_error("UNAVAILABLE",
			        "the agent worker stopped before answering; "
			        "retry"));
			gw_call_route(&s->calls, p->key, frame);
			json_object_put(frame);
			ws_agent_forget(s, p);
		}
}

static void
ws_on_agent(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct ws_server   *s = arg;
	struct json_object *o;

	if (m == NULL) {
		if (s->agent == ch)
			s->agent = NULL;
		ipc_chan_free(ch);
		ws_agent_fail_all(s);
		return;
	}
	if ((o = frame_json_parse((const char *)m->data, m->len, 0, NULL)) ==
	    NULL) {
		log_warnx("agent: malformed message %u ignored", m->type);
		return;
	}
	if (m->type == IMSG_AGENT_RES)
		ws_agent_res(s, o);
	else
		ws_agent_event(s, o);
	json_object_put(o);
}

void
ws_agent_init(struct ws_server *s)
{
	int i;

	for (i = 0; i < WS_AGENT_BUCKETS; i++)
		LIST_INIT(&s->agent_calls[i]);
	s->nagent_calls = 0;
}

/* A new channel (the agent worker started, or was started again). */
void
ws_agent_peer(struct ws_server *s, int role, int fd)
{
	if (s->agent != NULL) {
		ipc_chan_free(s->agent);
		ws_agent_fail_all(s);
	}
	s->agent = worker_peer_open(s->w, role, fd, ws_on_agent, s);
}

void
ws_agent_stop(struct ws_server *s)
{
	struct ws_agent_call *p;
	int                   i;

	if (s->agent != NULL)
		ipc_chan_free(s->agent);
	s->agent = NULL;
	for (i = 0; i < WS_AGENT_BUCKETS; i++)
		while ((p = LIST_FIRST(&s->agent_calls[i])) != NULL)
			ws_agent_forget(s, p);
}

static int
ws_agent_send(struct ws_server *s, struct gw_call *call)
{
	struct json_object *o = gw_call_to_json(call);
	const char         *text;
	size_t              len;
	int                 rv;

	text = frame_text(o, &len);
	rv = ipc_send(s->agent, IMSG_AGENT_CALL, -1, text, len);
	json_object_put(o);
	return rv;
}

/* The handler of every method the agent worker serves. */
void
ws_agent_forward(struct gw_call *call, void *ctx)
{
	struct ws_server     *s = ctx;
	struct ws_agent_call *p;
	char                  msg[160];

	if (s->agent == NULL || s->nagent_calls >= WS_AGENT_CALLS_MAX ||
	    ws_agent_find(s, gw_call_key(call), gw_call_id(call)) != NULL) {
		snprintf(msg, sizeof(msg), "%s unavailable: %s",
		    gw_call_method(call),
		    s->agent == NULL ? "the agent worker is not running" :
		        s->nagent_calls >= WS_AGENT_CALLS_MAX ?
		                       "too many agent calls in flight" :
		                       "a call with this id is in flight");
		gw_call_error(call, "UNAVAILABLE", msg);
		return;
	}
	if (ws_agent_send(s, call) == -1) {
		snprintf(msg, sizeof(msg),
		    "%s unavailable: the call could not be passed to the agent "
		    "worker (too large, or the worker is gone)",
		    gw_call_method(call));
		gw_call_error(call, "UNAVAILABLE", msg);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->key = xstrdup(gw_call_key(call));
	p->id = xstrdup(gw_call_id(call));
	LIST_INSERT_HEAD(&s->agent_calls[ws_agent_hash(p->key, p->id)], p,
	    entry);
	s->nagent_calls++;
	gw_call_forwarded(call);
}
