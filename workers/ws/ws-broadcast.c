/*
 * Events to clients (protocol.md section 4): per-connection seq, scope
 * guards, droppable presence, the tick and keepalive pings, coalesced
 * presence broadcasts, and the shutdown event.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "protocol/frame.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

struct json_object *
ws_state_version(struct ws_server *s)
{
	struct json_object *v = json_object_new_object();

	json_object_object_add(v, "presence",
	    json_object_new_int64((int64_t)shm_presence_version(s->w->shm)));
	json_object_object_add(v, "health",
	    json_object_new_int64((int64_t)shm_health_version(s->w->shm)));
	return v;
}

/*
 * An event serialized once for all its recipients, who differ only in
 * seq: each output buffer refers to the shared envelope, then gets its
 * own tail.  A 58 KB presence table to 1,000 clients is one serialization
 * and no copy instead of 58 MB of JSON.
 */
struct ws_event_out {
	const char         *event;
	struct json_object *payload; /* until serialized */
	int                 with_state;
	struct ws_shared   *env;        /* the frame up to its last '}' */
	char                state[128]; /* ,"stateVersion":{...} or "" */
};

static void
ws_event_init(struct ws_event_out *e, const char *event,
    struct json_object *payload, int with_state)
{
	memset(e, 0, sizeof(*e));
	e->event = event;
	e->payload = payload;
	e->with_state = with_state;
}

/*
 * Key order as the per-recipient objects had it: type, event, payload,
 * seq, stateVersion.  Done at the first recipient, so nobody listening
 * costs nothing.
 */
static void
ws_event_serialize(struct ws_server *s, struct ws_event_out *e)
{
	struct json_object *o, *v;
	const char         *str;
	size_t              len;

	o = frame_event(e->event, e->payload, -1, NULL);
	e->payload = NULL;
	/* A plain object ends in '}': drop it, the tail closes the frame. */
	str = frame_text(o, &len);
	e->env = ws_shared_new(str, len - 1);
	json_object_put(o);
	if (e->with_state) {
		/* Two integers: the buffer always holds them. */
		v = ws_state_version(s);
		snprintf(e->state, sizeof(e->state), ",\"stateVersion\":%s",
		    frame_text(v, &len));
		json_object_put(v);
	}
}

static void
ws_event_done(struct ws_event_out *e)
{
	json_object_put(e->payload);
	ws_shared_unref(e->env);
}

/* A dropped event still consumes its seq: the client sees the gap. */
static int
ws_event_send(struct ws_conn *c, struct ws_event_out *e, int droppable)
{
	char tail[160];
	int  n, rv;

	if (e->env == NULL)
		ws_event_serialize(c->srv, e);
	n = snprintf(tail, sizeof(tail), ",\"seq\":%llu%s}",
	    (unsigned long long)++c->seq, e->state);
	rv = ws_conn_send_shared(c, e->env, tail, (size_t)n, droppable);
	if (log_verbose())
		log_debug("conn %s: event %s seq %llu%s", c->conn_id, e->event,
		    (unsigned long long)c->seq, rv == 1 ? " (dropped)" : "");
	return rv;
}

/* Send one event; takes ownership of payload. */
int
ws_send_event(struct ws_conn *c, const char *event, struct json_object *payload,
    int with_state, int droppable)
{
	struct ws_event_out e;
	int                 rv;

	ws_event_init(&e, event, payload, with_state);
	rv = ws_event_send(c, &e, droppable);
	ws_event_done(&e);
	return rv;
}

void
ws_broadcast(struct ws_server *s, const char *event,
    struct json_object *payload, int need_read, int with_state, int droppable)
{
	struct ws_event_out e;
	struct ws_conn     *c, *next;

	ws_event_init(&e, event, payload, with_state);
	for (c = TAILQ_FIRST(&s->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state != WSC_AUTHED || (need_read && !c->can_read))
			continue;
		ws_event_send(c, &e, droppable);
	}
	ws_event_done(&e);
}

static void
bc_presence_now(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_server   *s = arg;
	struct json_object *p;

	(void)fd;
	(void)ev;
	s->presence_pending = 0;
	s->presence_last_ms = util_mono_ms();
	p = json_object_new_object();
	json_object_object_add(p, "presence", ws_presence_list(s));
	ws_broadcast(s, "presence", p, 1, 1, 1);
}

/*
 * At most one presence broadcast per 100 ms: a mass reconnect after a
 * restart then costs O(n) events per window instead of O(n^2).
 */
void
ws_broadcast_presence_soon(struct ws_server *s)
{
	struct timeval tv = { 0, 0 };
	uint64_t       now = util_mono_ms(), due;

	if (s->presence_pending || s->presence_timer == NULL)
		return;
	s->presence_pending = 1;
	due = s->presence_last_ms + WS_PRESENCE_MIN_GAP_MS;
	if (due > now)
		tv.tv_usec = (suseconds_t)((due - now) * 1000);
	evtimer_add(s->presence_timer, &tv);
}

static void
bc_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_server   *s = arg;
	struct json_object *p;

	(void)fd;
	(void)ev;
	p = json_object_new_object();
	json_object_object_add(p, "ts",
	    json_object_new_int64((int64_t)util_now_ms()));
	ws_broadcast(s, "tick", p, 0, 0, 0);
}

/* A pong must come back before the next sweep, or the socket is cut. */
static void
bc_ping_sweep(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_server *s = arg;
	struct ws_conn   *c, *next;

	(void)fd;
	(void)ev;
	for (c = TAILQ_FIRST(&s->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state != WSC_AUTHED)
			continue;
		if (c->awaiting_pong) {
			log_info("conn %s: no pong; closing", c->conn_id);
			ws_conn_free(c);
			continue;
		}
		c->awaiting_pong = 1;
		ws_conn_ping(c);
	}
}

static struct event *
bc_every(struct ws_server *s, long ms, event_callback_fn fn)
{
	struct event  *ev;
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	ev = event_new(s->base, -1, EV_PERSIST, fn, s);
	evtimer_add(ev, &tv);
	return ev;
}

void
ws_broadcast_start(struct ws_server *s)
{
	s->presence_timer = evtimer_new(s->base, bc_presence_now, s);
	s->tick_timer = bc_every(s, s->w->cfg.tick_ms, bc_tick);
	s->ping_timer = bc_every(s, s->w->cfg.ping_ms, bc_ping_sweep);
}

void
ws_broadcast_stop(struct ws_server *s)
{
	if (s->presence_timer != NULL)
		event_free(s->presence_timer);
	if (s->tick_timer != NULL)
		event_free(s->tick_timer);
	if (s->ping_timer != NULL)
		event_free(s->ping_timer);
	s->presence_timer = s->tick_timer = s->ping_timer = NULL;
}

/* The shutdown event of the drain (to a client past hello-ok), then 1012. */
void
ws_conn_shutdown(struct ws_conn *c, const struct imsg_drain *d)
{
	struct json_object *p;

	if (c->state == WSC_AUTHED) {
		p = json_object_new_object();
		json_object_object_add(p, "reason",
		    json_object_new_string(d->reason));
		if (d->restart_expected_ms > 0)
			json_object_object_add(p, "restartExpectedMs",
			    json_object_new_int64(d->restart_expected_ms));
		ws_send_event(c, "shutdown", p, 0, 0);
	}
	ws_conn_close(c, WS_CLOSE_RESTART, "service restart");
}

/*
 * Under a restart, a client still in its handshake finishes it first:
 * it gets hello-ok, then the shutdown event (ws_connect_admit), rather
 * than a close it would have to count as a failure.
 */
void
ws_broadcast_shutdown(struct ws_server *s, const struct imsg_drain *d)
{
	struct ws_conn *c, *next;

	ws_broadcast_stop(s);
	for (c = TAILQ_FIRST(&s->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == WSC_AUTHED || !s->w->restarting)
			ws_conn_shutdown(c, d);
	}
}
