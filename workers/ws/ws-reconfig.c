/*
 * A reload changed live keys (workers/worker.c has swapped them into
 * w->cfg): what reads the config at each use follows by itself; the
 * periodic timers started from it are re-armed here, so that an open
 * connection sees the new tick, ping and presence periods without being
 * dropped.
 */
#include "config.h"

#include <event2/event.h>

#include "common/log.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

static void
reconfig_timer(struct event *ev, long old_ms, long ms, const char *what)
{
	struct timeval tv;

	if (ev == NULL || old_ms == ms)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	/* Adding a pending timer again reschedules it. */
	evtimer_add(ev, &tv);
	log_debug("%s every %ld ms (was %ld)", what, ms, old_ms);
}

void
ws_reconfig(struct worker *w, const struct gw_config *old)
{
	struct ws_server *s = w->ctx;

	if (s == NULL)
		return;
	reconfig_timer(s->tick_timer, old->tick_ms, w->cfg.tick_ms, "tick");
	reconfig_timer(s->ping_timer, old->ping_ms, w->cfg.ping_ms, "ping");
	reconfig_timer(s->health_timer, old->health_refresh_ms,
	    w->cfg.health_refresh_ms, "health refresh");
	reconfig_timer(s->prune_timer, ws_presence_prune_ms(old),
	    ws_presence_prune_ms(&w->cfg), "presence prune");
}
