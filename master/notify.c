/*
 * sd_notify(3) without libsystemd: the protocol is one datagram of
 * "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or "@name" for the abstract namespace).  The master says
 * READY=1 once the first generation serves, STOPPING=1 when the drain
 * starts, STATUS= a line for `systemctl status`, and WATCHDOG=1 every
 * WATCHDOG_USEC / 2 when the unit has WatchdogSec= set.
 *
 * Telling the supervisor is a courtesy, never a condition: the socket
 * is nonblocking, a send that fails is logged once, and the gateway
 * serves whatever happens here.  Workers never see NOTIFY_SOCKET
 * (proc_worker_env): only the main PID may talk to systemd.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/net.h"
#include "common/util.h"
#include "master/master.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

static struct {
	int                fd; /* -1: no supervisor listens */
	struct sockaddr_un sun;
	socklen_t          sunlen;
	int                failed; /* a send failed: said once */
	struct event      *wd;     /* WATCHDOG=1 timer */
	long               conns;  /* in the last STATUS=; -1: none yet */
} notify = { -1, { 0 }, 0, 0, NULL, -1 };

/* The address of $NOTIFY_SOCKET; -1 if it is not one we can use. */
static int
notify_addr(const char *path)
{
	size_t len = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(notify.sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET=%s: not an absolute path or "
		          "@abstract name that fits a socket address; not "
		          "notifying the service manager",
		    path);
		return -1;
	}
	memset(&notify.sun, 0, sizeof(notify.sun));
	notify.sun.sun_family = AF_UNIX;
	memcpy(notify.sun.sun_path, path, len);
	if (path[0] == '@')
		notify.sun.sun_path[0] = '\0'; /* abstract: no NUL after */
	notify.sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (path[0] == '/'));
	return 0;
}

/* Send state lines ("READY=1\nSTATUS=..."); never blocks, never fails. */
void
notify_send(const char *state)
{
	if (notify.fd == -1)
		return;
	if (sendto(notify.fd, state, strlen(state), MSG_NOSIGNAL,
	        (struct sockaddr *)&notify.sun, notify.sunlen) != -1)
		return;
	if (!notify.failed)
		log_warn("cannot notify the service manager (NOTIFY_SOCKET)");
	notify.failed = 1;
}

/* The serving generation's WebSocket connections, as its workers said. */
static long
notify_conns(const struct master *m)
{
	long n = 0;
	int  i;

	for (i = 0; i < MASTER_MAXPROC; i++)
		if (proc_live(&m->m_procs[i]) && m->m_procs[i].p_gen == m->m_gen)
			n += m->m_procs[i].p_conns;
	return n;
}

/* READY=1, or any state, with the STATUS= line of a serving gateway. */
void
notify_status(const struct master *m, const char *state)
{
	char buf[512];

	notify.conns = notify_conns(m);
	snprintf(buf, sizeof(buf),
	    "%sSTATUS=serving on ws://%s:%d, generation %u, %ld WebSocket "
	    "connection%s",
	    state, m->m_host, m->m_port, m->m_gen, notify.conns,
	    notify.conns == 1 ? "" : "s");
	notify_send(buf);
}

/*
 * After the watchdog's round of answers: STATUS= again when the count
 * changed, once READY=1 was sent and while no restart or stop has a
 * STATUS= of its own.
 */
void
notify_conns_changed(const struct master *m)
{
	if (notify.fd == -1 || notify.conns == -1 ||
	    m->m_state != MASTER_RUNNING || m->m_next_gen != 0)
		return;
	if (notify_conns(m) != notify.conns)
		notify_status(m, "");
}

/*
 * WATCHDOG_USEC in microseconds, 0 if the watchdog is not ours: unset,
 * not a number, or armed for another process (WATCHDOG_PID).
 */
static uint64_t
notify_watchdog_usec(void)
{
	const char *s, *pid;
	long        v;

	if ((s = getenv("WATCHDOG_USEC")) == NULL)
		return 0;
	if ((pid = getenv("WATCHDOG_PID")) != NULL &&
	    (util_parse_long(pid, 1, 0x7fffffffL, &v) == -1 ||
	        (pid_t)v != getpid()))
		return 0;
	if (util_parse_long(s, 1, 0x7fffffffffffL, &v) == -1) {
		log_warnx("WATCHDOG_USEC=%s is not a number of "
		          "microseconds; no watchdog pings",
		    s);
		return 0;
	}
	return (uint64_t)v;
}

static void
notify_watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	notify_send("WATCHDOG=1");
}

static void
notify_watchdog_start(struct master *m)
{
	struct timeval tv;
	uint64_t       usec;

	if ((usec = notify_watchdog_usec()) == 0)
		return;
	usec /= 2; /* as sd_watchdog_enabled(3) advises */
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	if ((notify.wd = event_new(m->m_base, -1, EV_PERSIST,
	         notify_watchdog_cb, NULL)) == NULL ||
	    event_add(notify.wd, &tv) == -1) {
		log_warnx("cannot arm the service manager's watchdog");
		return;
	}
	log_debug("service manager watchdog: WATCHDOG=1 every %llu us",
	    (unsigned long long)usec);
}

/* After the event loop exists: open the socket if we are supervised. */
void
notify_init(struct master *m)
{
	const char *path;
	int         fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0' ||
	    notify_addr(path) == -1)
		return;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		return;
	}
	if (net_set_nonblock(fd) == -1 || net_set_cloexec(fd) == -1) {
		log_warn("NOTIFY_SOCKET: fcntl");
		close(fd);
		return;
	}
	notify.fd = fd;
	notify_send("STATUS=starting workers");
	notify_watchdog_start(m);
}

void
notify_cleanup(void)
{
	if (notify.wd != NULL)
		event_free(notify.wd);
	notify.wd = NULL;
	if (notify.fd != -1)
		close(notify.fd);
	notify.fd = -1;
}
