/*
 * The watchdog: a worker that is stopped (SIGSTOP) or stuck in a loop
 * still holds its clients and its sockets, and nothing else notices.
 * Every gateway.watchdogMs / 4 each ready worker is sent IMSG_PING,
 * which its event loop answers IMSG_PONG; one ping at a time per
 * worker.  A worker whose ping is unanswered for gateway.watchdogMs is
 * killed with SIGKILL (the one signal a stopped process cannot hold
 * off) and the reaper respawns it like any crash.  Workers that are
 * draining are left to the drain deadline.
 */
#include "config.h"

#include <sys/types.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>

#include <event2/event.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/util.h"
#include "master/master.h"
#include "protocol/roles.h"

#define WATCHDOG_TICK_MIN_MS 10

static uint64_t
watchdog_tick_ms(const struct master *m)
{
	uint64_t t = (uint64_t)m->m_cfg.watchdog_ms / 4;

	return t < WATCHDOG_TICK_MIN_MS ? WATCHDOG_TICK_MIN_MS : t;
}

static void
watchdog_kill(struct master *m, struct proc *p, uint64_t waited)
{
	log_warnx("worker %s (pid %ld) did not answer the watchdog for %llu "
	          "ms (gateway.watchdogMs %ld); killing it",
	    role_name(p->p_role), (long)p->p_pid, (unsigned long long)waited,
	    m->m_cfg.watchdog_ms);
	p->p_flags |= PROC_WDKILL;
	kill(p->p_pid, SIGKILL);
}

static void
watchdog_check(struct master *m, struct proc *p, uint64_t now)
{
	uint64_t deadline = (uint64_t)m->m_cfg.watchdog_ms;

	if (!proc_live(p) || !p->p_ready || (p->p_flags & PROC_WDKILL))
		return;
	if (p->p_ping == 0) {
		if (ipc_send(p->p_chan, IMSG_PING, -1, NULL, 0) == 0)
			p->p_ping = now;
		return;
	}
	if (now - p->p_ping >= deadline)
		watchdog_kill(m, p, now - p->p_ping);
}

static void
watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = arg;
	uint64_t       now = util_mono_ms();
	int            i, late;

	(void)fd;
	(void)ev;
	/*
	 * The master itself did not run for a while (stopped, or starved):
	 * the answers may be waiting unread, so no worker is judged on it.
	 */
	late = now - m->m_wd_last > 2 * watchdog_tick_ms(m);
	m->m_wd_last = now;
	for (i = 0; i < MASTER_MAXPROC; i++) {
		if (late && m->m_procs[i].p_ping != 0)
			m->m_procs[i].p_ping = now;
		watchdog_check(m, &m->m_procs[i], now);
	}
}

void
watchdog_start(struct master *m)
{
	struct timeval tv;
	uint64_t       t;

	if (m->m_cfg.watchdog_ms <= 0)
		return;
	m->m_watchdog = event_new(m->m_base, -1, EV_PERSIST, watchdog_cb, m);
	if (m->m_watchdog == NULL)
		master_fail(m, EXIT_RUNTIME,
		    "cannot create the watchdog timer");
	t = watchdog_tick_ms(m);
	tv.tv_sec = (time_t)(t / 1000);
	tv.tv_usec = (suseconds_t)(t % 1000 * 1000);
	m->m_wd_last = util_mono_ms();
	evtimer_add(m->m_watchdog, &tv);
}

void
watchdog_stop(struct master *m)
{
	if (m->m_watchdog != NULL)
		evtimer_del(m->m_watchdog);
}

void
watchdog_pong(struct proc *p, const struct ipc_msg *msg)
{
	p->p_ping = 0;
	if (msg->len == sizeof(p->p_conns))
		memcpy(&p->p_conns, msg->data, sizeof(p->p_conns));
	notify_conns_changed(p->p_master);
}
