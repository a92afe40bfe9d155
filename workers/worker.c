#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/proctitle.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "workers/worker.h"

static void
worker_cleanup(struct worker *w)
{
	int i;

	log_set_file_limit(0, NULL, NULL); /* w->master goes away */
	if (w->ops->stop != NULL && w->started)
		w->ops->stop(w);
	worker_listeners_free(w);
	for (i = 0; i < ROLE_MAX; i++)
		if (w->peer_fd[i] != -1)
			close(w->peer_fd[i]);
	if (w->drain_timer != NULL)
		event_free(w->drain_timer);
	if (w->sigterm != NULL)
		event_free(w->sigterm);
	if (w->master != NULL)
		ipc_chan_free(w->master);
	if (w->config_fd != -1)
		close(w->config_fd);
	log_detach();
	shm_unmap(w->shm);
	config_free(&w->cfg);
	free(w->log_path);
	event_base_free(w->base);
	libevent_global_shutdown();
}

void
worker_exit(struct worker *w, int status)
{
	worker_cleanup(w);
	exit(status);
}

static int
worker_get_u32(const struct ipc_msg *m, uint32_t *v)
{
	if (m->len < sizeof(*v))
		return -1;
	memcpy(v, m->data, sizeof(*v));
	return 0;
}

/*
 * "openclaw-gateway: ws worker (gen 3)" in ps and pgrep -f, and
 * "openclaw-ws" in top and ss -p, rather than "exe"; gen 0: not known
 * yet (before HELLO).
 */
static void
worker_title(struct worker *w, uint32_t gen)
{
	const char *role = role_name((uint32_t)w->role);
	char        comm[16];

	snprintf(comm, sizeof(comm), "openclaw-%s", role);
	if (gen == 0)
		proctitle_set(comm, "openclaw-gateway: %s worker", role);
	else
		proctitle_set(comm, "openclaw-gateway: %s worker (gen %u)",
		    role, gen);
}

static int
worker_on_hello(struct worker *w, const struct ipc_msg *m)
{
	uint32_t version;

	/* The version first: another version may have another size. */
	if (worker_get_u32(m, &version) == 0 && version != IPC_VERSION) {
		log_errorx("master speaks ipc version %u, this binary %u",
		    version, IPC_VERSION);
		worker_exit(w, EXIT_CONFIG);
	}
	if (m->len != sizeof(w->hello)) {
		log_warnx("master hello: bad size %zu", m->len);
		return -1;
	}
	memcpy(&w->hello, m->data, sizeof(w->hello));
	w->hello.boot_id[sizeof(w->hello.boot_id) - 1] = '\0';
	/* Before anything else the master sends, and any client. */
	worker_drop_privs(w);
	/* The master died before worker_main asked for its death signal. */
	if (getppid() != (pid_t)w->hello.master_pid) {
		log_warnx("master %u is gone", w->hello.master_pid);
		worker_exit(w, EXIT_RUNTIME);
	}
	worker_title(w, w->hello.generation);
	return 0;
}

/* The log file is full: the master rotates it and sends IMSG_FD_LOG. */
static void
worker_log_full(void *arg)
{
	struct worker *w = arg;

	if (w->master != NULL)
		ipc_send_now(w->master, IMSG_LOG_FULL, -1, NULL, 0);
}

/* The text of IMSG_CONFIG or IMSG_CONFIG_UPDATE into cfg; -1: none. */
static int
worker_config_parse(const struct ipc_msg *m, struct gw_config *cfg)
{
	struct json_object *o;
	char               *text;
	int                 rv;

	text = xstrndup((const char *)m->data, m->len);
	o = json_tokener_parse(text);
	OPENSSL_cleanse(text, m->len); /* it holds the secrets */
	free(text);
	if (o == NULL)
		return -1;
	if ((rv = config_from_json(cfg, o)) == -1)
		config_free(cfg);
	json_object_put(o);
	return rv;
}

static int
worker_on_config(struct worker *w, const struct ipc_msg *m)
{
	struct gw_config cfg;

	if (worker_config_parse(m, &cfg) == -1)
		return -1;
	config_free(&w->cfg);
	w->cfg = cfg;
	log_set_file_limit(w->cfg.log_max_file_bytes, worker_log_full, w);
	log_secrets_from_config(&w->cfg);
	return 0;
}

/*
 * A reload's live keys (master/reload.c): swapped into w->cfg in place,
 * so that what points to the struct (http_server_check_host) reads the
 * new values from the next request on, and nothing else changes.  The
 * old values are freed once the role has re-armed its timers.
 */
static int
worker_on_config_update(struct worker *w, const struct ipc_msg *m)
{
	struct gw_config old;

	if (worker_config_parse(m, &old) == -1)
		return -1;
	config_take(&w->cfg, &old, CFG_RELOAD_HOT);
	log_set_verbose(strcmp(w->cfg.log_level, "debug") == 0);
	if (w->started && w->ops->reconfig != NULL)
		w->ops->reconfig(w, &old);
	config_free(&old);
	return 0;
}

/* The path of the new log file, for logs.tail; an old master sends none. */
static void
worker_log_path(struct worker *w, const struct ipc_msg *m)
{
	free(w->log_path);
	w->log_path = NULL;
	if (m->len > 0 && m->len < PATH_MAX &&
	    memchr(m->data, '\0', m->len) == NULL)
		w->log_path = xstrndup((const char *)m->data, m->len);
}

static int
worker_on_fd(struct worker *w, const struct ipc_msg *m)
{
	uint32_t kind;
	uint64_t size;

	if (m->fd == -1)
		return -1;
	switch (m->type) {
	case IMSG_FD_LOG:
		log_set_file_fd(m->fd);
		worker_log_path(w, m);
		return 0;
	case IMSG_FD_CONFIG:
		if (w->config_fd != -1)
			close(w->config_fd);
		w->config_fd = m->fd;
		return 0;
	case IMSG_FD_SHM:
		if (m->len != sizeof(size))
			return -1;
		memcpy(&size, m->data, sizeof(size));
		log_set_drop_counters(NULL);
		shm_unmap(w->shm);
		w->shm = shm_map(m->fd, (size_t)size);
		close(m->fd);
		log_set_drop_counters(shm_log_drops(w->shm, w->role));
		return w->shm == NULL ? -1 : 0;
	case IMSG_FD_LISTEN:
		if (worker_get_u32(m, &kind) == -1 || kind < 1 ||
		    kind >= LISTEN_MAX)
			return -1;
		if (w->listen_fd[kind] != -1)
			close(w->listen_fd[kind]);
		w->listen_fd[kind] = m->fd;
		return 0;
	case IMSG_FD_PEER:
		if (worker_get_u32(m, &kind) == -1 || role_get(kind) == NULL)
			return -1;
		if (role_peer_accepts((uint32_t)w->role, kind) == NULL) {
			log_warnx("master sent a channel to %s, no peer of ours",
			    role_name(kind));
			close(m->fd);
			return 0;
		}
		if (w->started) {
			w->ops->peer(w, (int)kind, m->fd);
			return 0;
		}
		if (w->peer_fd[kind] != -1)
			close(w->peer_fd[kind]);
		w->peer_fd[kind] = m->fd;
		return 0;
	}
	return -1;
}

static int
worker_on_start(struct worker *w, const struct ipc_msg *m)
{
	uint32_t flags = 0;
	int      i;

	if (w->started || w->shm == NULL || w->cfg.path == NULL) {
		log_warnx("master sent start before the setup was complete");
		return -1;
	}
	if (m->len != 0 && worker_get_u32(m, &flags) == -1)
		return -1;
	w->defer_accept = (flags & START_DEFER_ACCEPT) != 0;
	log_set_verbose(
	    log_verbose() || strcmp(w->cfg.log_level, "debug") == 0);
	w->started = 1;
	if (w->ops->start(w) == -1)
		worker_exit(w, EXIT_RUNTIME);
	for (i = 0; i < ROLE_MAX; i++) {
		if (w->peer_fd[i] != -1) {
			w->ops->peer(w, i, w->peer_fd[i]);
			w->peer_fd[i] = -1;
		}
	}
	return 0;
}

static void
worker_drain(struct worker *w, const struct imsg_drain *d)
{
	if (w->draining)
		return;
	w->phase = PHASE_DRAINING;
	w->draining = 1;
	w->restarting = d->restart_expected_ms > 0;
	if (!w->started)
		worker_finish(w);
	worker_listeners_disable(w);
	w->ops->drain(w, d);
}

static void
worker_on_master(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct worker    *w = arg;
	struct imsg_drain d;
	uint32_t          v, conns;
	int               rv = 0;

	(void)ch;
	if (m == NULL) {
		/* The master is gone (even kill -9): never outlive it. */
		log_info("master channel closed; exiting");
		w->master = NULL;
		ipc_chan_free(ch);
		worker_exit(w, EXIT_RUNTIME);
	}
	switch (m->type) {
	case IMSG_HELLO:
		rv = worker_on_hello(w, m);
		break;
	case IMSG_CONFIG:
		rv = worker_on_config(w, m);
		break;
	case IMSG_CONFIG_UPDATE:
		rv = worker_on_config_update(w, m);
		break;
	case IMSG_START:
		rv = worker_on_start(w, m);
		break;
	case IMSG_PHASE:
		if ((rv = worker_get_u32(m, &v)) == 0 && v <= PHASE_DRAINING &&
		    !w->draining) {
			w->phase = (enum gw_phase)v;
			if (w->phase == PHASE_READY && w->defer_accept) {
				w->defer_accept = 0;
				worker_listeners_enable(w);
			}
			if (w->started && w->ops->phase != NULL)
				w->ops->phase(w, w->phase);
		}
		break;
	case IMSG_DRAIN:
		if (m->len != sizeof(d)) {
			rv = -1;
			break;
		}
		memcpy(&d, m->data, sizeof(d));
		d.reason[sizeof(d.reason) - 1] = '\0';
		worker_drain(w, &d);
		break;
	case IMSG_PING:
		/* From the event loop: a stuck loop misses the deadline. */
		conns = w->ops->conns != NULL ? w->ops->conns(w) : 0;
		rv = ipc_send(w->master, IMSG_PONG, -1, &conns, sizeof(conns));
		break;
	case IMSG_TAKEOVER:
		if (w->started && w->ops->takeover != NULL)
			w->ops->takeover(w);
		break;
	default:
		rv = worker_on_fd(w, m);
		break;
	}
	if (rv == -1) {
		log_warnx("bad message %u from master", m->type);
		if (m->fd != -1 && m->type != IMSG_FD_LOG &&
		    m->type != IMSG_FD_LISTEN && m->type != IMSG_FD_PEER &&
		    m->type != IMSG_FD_CONFIG)
			close(m->fd);
		worker_exit(w, EXIT_RUNTIME);
	}
}

int
worker_handoff_recv(struct ipc_chan *ch, const struct ipc_msg *m,
    struct imsg_handoff *h)
{
	if (m->fd == -1 || m->len < sizeof(*h)) {
		log_warnx("bad hand-off message from http");
		if (m->fd != -1)
			close(m->fd);
		return -1;
	}
	memcpy(h, m->data, sizeof(*h));
	/*
	 * http may drop its copy now.  One cumulative ack for all the
	 * hand-offs of this read: ids increase on the channel, so the last
	 * one kept is the highest.  It is written before control returns to
	 * the event loop, so before the client sees anything we queue for
	 * it; a crash before then has http hand these sockets over again.
	 */
	ipc_send_batched(ch, IMSG_HANDOFF_ACK, &h->id, sizeof(h->id));
	if ((size_t)h->head_len + h->pre_len != m->len - sizeof(*h)) {
		log_warnx("hand-off: length mismatch");
		close(m->fd);
		return -1;
	}
	return 0;
}

void
worker_ready(struct worker *w)
{
	struct imsg_ready r;

	r.role = (uint32_t)w->role;
	r.pid = (uint32_t)getpid();
	ipc_send(w->master, IMSG_READY, -1, &r, sizeof(r));
}

void
worker_finish(struct worker *w)
{
	if (w->master != NULL) {
		ipc_send(w->master, IMSG_DRAINED, -1, NULL, 0);
		ipc_flush(w->master);
	}
	worker_exit(w, EXIT_OK);
}

struct ipc_chan *
worker_peer_open(struct worker *w, int role, int fd, ipc_cb cb, void *arg)
{
	struct ipc_chan *ch;

	ch = ipc_chan_new(w->base, fd, role_name((uint32_t)role),
	    role_peer_accepts((uint32_t)w->role, (uint32_t)role), cb, arg);
	if (ch == NULL)
		close(fd);
	return ch;
}

static void
worker_drain_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)ev;
	if (w->drain_cut != NULL)
		w->drain_cut(w->drain_arg);
	worker_finish(w);
}

void
worker_drain_deadline(struct worker *w, const struct imsg_drain *d,
    void (*cut)(void *), void                                   *arg)
{
	struct timeval tv;

	tv.tv_sec = d->deadline_ms / 1000;
	tv.tv_usec = (d->deadline_ms % 1000) * 1000;
	w->drain_cut = cut;
	w->drain_arg = arg;
	if (w->drain_timer == NULL &&
	    (w->drain_timer = evtimer_new(w->base, worker_drain_timeout, w)) ==
	        NULL)
		fatalx(EXIT_RUNTIME, "out of memory (drain timer)");
	evtimer_add(w->drain_timer, &tv);
}

/*
 * Ctrl-C, timeout(1), systemd's default KillMode and a careless kill
 * signal the whole group or a worker by pid: what the master handles
 * (restart, log reopen, stop) is its business alone, and clients must
 * get their shutdown event from the master's drain, so a worker takes
 * none of those signals.  The master spawns us with them blocked
 * (proc_spawn), so none can land at its default before this.
 */
static void
worker_signals_ignore(void)
{
	static const int ign[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2,
		SIGPIPE, SIGXFSZ };
	size_t           i;

	for (i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		signal(ign[i], SIG_IGN);
}

static pid_t worker_parent; /* the master that spawned us */

/*
 * SIGTERM while the master lives: the master got it too (a group
 * signal) or will drain us when it stops; ignored.  With the master
 * gone (no PDEATHSIG on this system, and its channel not closed yet)
 * it is ours to obey: a clean drain.
 */
static void
worker_sigterm_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct worker    *w = arg;
	struct imsg_drain d;

	(void)sig;
	(void)ev;
	if (getppid() == worker_parent) {
		log_debug("SIGTERM ignored: the master decides when we stop");
		return;
	}
	log_info("SIGTERM and the master is gone; draining");
	memset(&d, 0, sizeof(d));
	d.deadline_ms = (uint32_t)w->cfg.drain_ms;
	snprintf(d.reason, sizeof(d.reason), "gateway stopping");
	worker_drain(w, &d);
}

static void
worker_sigterm(struct worker *w)
{
	sigset_t set;

	w->sigterm = evsignal_new(w->base, SIGTERM, worker_sigterm_cb, w);
	if (w->sigterm == NULL || evsignal_add(w->sigterm, NULL) == -1)
		fatalx(EXIT_RUNTIME, "cannot handle SIGTERM");
	util_master_sigset(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Sockets are what a worker holds: take every descriptor allowed. */
static void
worker_raise_nofile(struct worker *w)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	w->nofile = rl.rlim_cur == RLIM_INFINITY ? 1048576 : (long)rl.rlim_cur;
}

int
worker_main(const char *role)
{
	static struct worker w;
	const struct role   *r;
	int                  i;

	if ((r = role_by_name(role)) == NULL) {
		fprintf(stderr, "openclaw: unknown worker role %s\n", role);
		return EXIT_USAGE;
	}
	log_init(r->r_subsys, 0);
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_PDEATHSIG)
	/* A master killed with SIGKILL takes its workers with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal(EXIT_RUNTIME, "prctl(PR_SET_PDEATHSIG)");
#endif
	worker_parent = getppid();
	worker_signals_ignore();
	memset(&w, 0, sizeof(w));
	w.ops = r->r_ops;
	w.role = (int)r->r_role;
	worker_title(&w, 0);
	w.config_fd = -1;
	for (i = 0; i < LISTEN_MAX; i++)
		w.listen_fd[i] = -1;
	for (i = 0; i < ROLE_MAX; i++)
		w.peer_fd[i] = -1;
	config_init(&w.cfg);
	worker_raise_nofile(&w);
	if ((w.base = event_base_new()) == NULL)
		fatalx(EXIT_RUNTIME, "event_base_new failed");
	log_attach(w.base);
	w.master = ipc_chan_new(w.base, WORKER_MASTER_FD, "master",
	    role_from_master, worker_on_master, &w);
	if (w.master == NULL)
		fatalx(EXIT_RUNTIME, "no master channel on fd %d",
		    WORKER_MASTER_FD);
	worker_sigterm(&w);
	event_base_dispatch(w.base);
	worker_exit(&w, EXIT_OK);
}
