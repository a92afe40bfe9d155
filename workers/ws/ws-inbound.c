/*
 * The global budget of inbound bytes (gateway.maxInboundBytes).  The
 * per-message limit bounds what one socket may make us hold; this bounds
 * all of them together: many clients that each start a 25 MiB message
 * would otherwise grow the worker by 25 MiB each.
 *
 * What is counted is each socket's reassembly buffer as allocated (the
 * read buffer is drained into it within the same callback, so it holds at
 * most one read between two callbacks).  Over the budget, a socket that
 * holds more than its share (the budget over the sockets holding a
 * partial message) is no longer read: TCP pushes back on its sender.  One
 * still above its share WS_INBOUND_STALL_MS later is closed with 1008
 * and its buffer freed.  Back under the budget, every socket is read
 * again.  A tick does the scan while anything is paused or over.
 */
#include "config.h"

#include <sys/queue.h>

#include "common/log.h"
#include "common/sockio.h"
#include "common/util.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

static size_t
ws_inbound_budget(struct ws_server *s)
{
	return (size_t)s->w->cfg.max_inbound_bytes;
}

static size_t
ws_inbound_share(struct ws_server *s)
{
	return ws_inbound_budget(s) /
	    (size_t)(s->in_holders > 0 ? s->in_holders : 1);
}

static int
ws_inbound_over(struct ws_server *s)
{
	return s->in_bytes > ws_inbound_budget(s);
}

static void ws_inbound_tick(evutil_socket_t, short, void *);

static void
ws_inbound_arm(struct ws_server *s)
{
	struct timeval tv = { 0, WS_INBOUND_TICK_MS * 1000 };

	if (s->inbound_timer == NULL &&
	    (s->inbound_timer = evtimer_new(s->base, ws_inbound_tick, s)) ==
	        NULL)
		fatalx(EXIT_RUNTIME, "out of memory (inbound timer)");
	if (!evtimer_pending(s->inbound_timer, NULL))
		evtimer_add(s->inbound_timer, &tv);
}

static void
ws_inbound_pause(struct ws_conn *c, uint64_t now)
{
	if (c->in_paused)
		return;
	c->in_paused = 1;
	c->in_paused_ms = now;
	c->srv->in_npaused++;
	sockio_set_reading(c->sio, 0);
	ws_inbound_arm(c->srv);
}

static void
ws_inbound_resume(struct ws_conn *c)
{
	if (!c->in_paused)
		return;
	c->in_paused = 0;
	c->srv->in_npaused--;
	/* A closing socket is freed by its grace timer; let it be. */
	if (c->state != WSC_CLOSING && !c->dead)
		sockio_set_reading(c->sio, 1);
}

/* Count what c's decoder holds now. */
static void
ws_inbound_count(struct ws_conn *c, size_t held)
{
	struct ws_server *s = c->srv;

	if (held == c->in_held)
		return;
	if (c->in_held == 0)
		s->in_holders++;
	else if (held == 0)
		s->in_holders--;
	s->in_bytes = s->in_bytes - c->in_held + held;
	c->in_held = held;
}

void
ws_inbound_update(struct ws_conn *c)
{
	struct ws_server *s = c->srv;

	ws_inbound_count(c, c->dec.msg_cap);
	if (!ws_inbound_over(s))
		return;
	/* The tick also finds the quiet sockets above their share. */
	ws_inbound_arm(s);
	if (c->in_held > ws_inbound_share(s))
		ws_inbound_pause(c, util_mono_ms());
}

void
ws_inbound_forget(struct ws_conn *c)
{
	if (c->in_paused) {
		c->in_paused = 0;
		c->srv->in_npaused--;
	}
	ws_inbound_count(c, 0);
}

/* Its sender kept it above its share for too long: close, free now. */
static void
ws_inbound_cut(struct ws_conn *c)
{
	log_info("conn %s from %s: %zu bytes of a partial message held over "
	         "the inbound budget for %d ms (share %zu)",
	    c->conn_id, c->ip, c->in_held, WS_INBOUND_STALL_MS,
	    ws_inbound_share(c->srv));
	ws_conn_close(c, WS_CLOSE_POLICY, "inbound budget exceeded");
	/* Never read again (paused), so the decoder is not fed again. */
	ws_decoder_free(&c->dec);
	ws_inbound_count(c, 0);
}

static void
ws_inbound_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_server *s = arg;
	struct ws_conn   *c;
	uint64_t          now = util_mono_ms();
	size_t            share = ws_inbound_share(s);
	int               over = ws_inbound_over(s);

	(void)fd;
	(void)ev;
	/* Past the deadline and still above the share they stopped at. */
	TAILQ_FOREACH(c, &s->conns, entry)
		if (over && c->in_paused && c->in_held > share &&
		    c->state != WSC_CLOSING &&
		    now - c->in_paused_ms >= WS_INBOUND_STALL_MS)
			ws_inbound_cut(c);
	/* The cuts may have made room for the others. */
	TAILQ_FOREACH(c, &s->conns, entry)
		if (!ws_inbound_over(s) || c->in_held <= ws_inbound_share(s))
			ws_inbound_resume(c);
		else
			ws_inbound_pause(c, now);
	if (s->in_npaused > 0 || ws_inbound_over(s))
		ws_inbound_arm(s);
}

void
ws_inbound_stop(struct ws_server *s)
{
	if (s->inbound_timer != NULL)
		event_free(s->inbound_timer);
	s->inbound_timer = NULL;
}
