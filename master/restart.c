/*
 * The in-place restart: SIGUSR1 (SIGUSR2 alike), or a config change of
 * the restart class.  As HAProxy's master does, the master executes its
 * binary again under the same PID, keeping what the clients depend on:
 *
 *  1. master_restart: one restart at a time (another asked meanwhile
 *     follows it, once).  The worker channels are flushed, the state is
 *     written (restart-state.c), the descriptors it lists lose
 *     close-on-exec, systemd hears RELOADING=1, and the binary's path is
 *     executed with our arguments.  If the exec fails, this image serves
 *     on and says why.
 *  2. restart_resume, in the new image: it adopts the lock, the shared
 *     memory, the listening sockets and the worker table; reads the
 *     config (refused: generation N serves on); binds what the config
 *     newly asks for (a port change); starts generation N+1 beside N,
 *     accepting nothing yet (START_DEFER_ACCEPT).
 *  3. N+1 all ready: N is drained with restartExpectedMs.  Its ws stops
 *     writing presence and says so (IMSG_HANDOVER).
 *  4. The hand-over (or N's ws gone, or RESTART_HANDOVER_MS): N+1 moves
 *     to PHASE_READY and starts accepting; its ws takes the presence
 *     rows over (IMSG_TAKEOVER); systemd hears READY=1.
 *  5. N's last worker gone: listening sockets the config no longer names
 *     are closed, and a restart asked meanwhile begins.
 * N+1 failing before step 4 (a worker exits, or is not ready within
 * RESTART_READY_MS) is killed, and N serves on.  The listening sockets
 * stay open throughout: between 3 and 4, connections wait in the
 * backlog, so none is refused.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/net.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "master/master.h"
#include "protocol/roles.h"

#define RESTART_READY_MS    30000 /* the new generation's start-up */
#define RESTART_HANDOVER_MS 1000  /* the old ws's IMSG_HANDOVER */
#define RESTART_EXPECTED_MS 1000  /* shutdown.restartExpectedMs */
#define RESTART_FLUSH_MS    200   /* per worker channel, before exec */

enum restart_timer {
	RT_NONE,
	RT_READY,
	RT_HANDOVER
};

static enum restart_timer restart_timer_kind;

static void restart_exec_cb(evutil_socket_t, short, void *);
static void restart_timer_cb(evutil_socket_t, short, void *);
static void restart_kill_cb(evutil_socket_t, short, void *);
static void restart_fail(struct master *, const char *);

void
restart_init(struct master *m)
{
	m->m_rs_exec = evtimer_new(m->m_base, restart_exec_cb, m);
	m->m_rs_timer = evtimer_new(m->m_base, restart_timer_cb, m);
	m->m_rs_kill = evtimer_new(m->m_base, restart_kill_cb, m);
	if (m->m_rs_exec == NULL || m->m_rs_timer == NULL ||
	    m->m_rs_kill == NULL)
		fatalx(EXIT_RUNTIME, "cannot create the restart timers");
}

void
restart_cleanup(struct master *m)
{
	if (m->m_rs_exec != NULL)
		event_free(m->m_rs_exec);
	if (m->m_rs_timer != NULL)
		event_free(m->m_rs_timer);
	if (m->m_rs_kill != NULL)
		event_free(m->m_rs_kill);
	json_object_put(m->m_prev_cfg);
	m->m_prev_cfg = NULL;
}

static void
restart_after(struct event *ev, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	evtimer_add(ev, &tv);
}

static unsigned long long
restart_since(const struct master *m)
{
	return (unsigned long long)(util_mono_ms() - m->m_restart_mono);
}

/* A generation starting beside the serving one, or one still draining. */
int
restart_busy(const struct master *m)
{
	return m->m_state == MASTER_STARTING || m->m_next_gen != 0 ||
	    m->m_old_gen != 0 || evtimer_pending(m->m_rs_exec, NULL);
}

void
master_restart(struct master *m, const char *why)
{
	if (m->m_state == MASTER_STOPPING)
		return;
	if (restart_busy(m)) {
		if (!m->m_restart_again)
			log_info("%s: a restart is under way; one more "
			         "follows it",
			    why);
		m->m_restart_again = 1;
		return;
	}
	log_info("%s: restarting in place (generation %u to %u)", why, m->m_gen,
	    m->m_gen + 1);
	m->m_restart_mono = util_mono_ms();
	m->m_restart_again = 0;
	snprintf(m->m_restart_why, sizeof(m->m_restart_why), "%s", why);
	/* Not from inside a channel's callback: its buffer is ours to pass. */
	restart_after(m->m_rs_exec, 0);
}

static int
restart_cloexec(int fd, int on)
{
	int flags;

	if (fd == -1 || (flags = fcntl(fd, F_GETFD)) == -1)
		return -1;
	flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
	return fcntl(fd, F_SETFD, flags);
}

/* What the exec keeps (on == 0), or no longer (on == 1). */
static void
restart_fds_cloexec(struct master *m, int state_fd, int on)
{
	int i;

	restart_cloexec(state_fd, on);
	restart_cloexec(m->m_lock_fd, on);
	restart_cloexec(m->m_shm_fd, on);
	for (i = 0; i < m->m_nlisten; i++)
		restart_cloexec(m->m_listen[i].l_fd, on);
	for (i = 0; i < MASTER_MAXPROC; i++)
		if (m->m_procs[i].p_used && m->m_procs[i].p_chan != NULL)
			restart_cloexec(ipc_chan_fd(m->m_procs[i].p_chan), on);
}

/*
 * A message half written when the exec comes would leave the worker's
 * side of the stream cut: a channel that cannot be flushed in time is
 * not passed on, and its worker, which then cannot be told anything,
 * is killed (and respawned by the new image).
 */
static void
restart_flush(struct master *m)
{
	struct proc *p;
	int          i;

	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (!p->p_used || p->p_chan == NULL ||
		    ipc_flush_within(p->p_chan, RESTART_FLUSH_MS) == 0)
			continue;
		log_warnx("restart: worker %s (pid %ld) does not read its "
		          "channel; killing it",
		    role_name(p->p_role), (long)p->p_pid);
		kill(p->p_pid, SIGKILL);
		ipc_chan_free(p->p_chan);
		p->p_chan = NULL;
	}
}

static void
restart_notify_reloading(void)
{
	struct timespec ts;
	char            msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg),
	    "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=restarting in place",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	        (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_send(msg);
}

static void
restart_exec_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = arg;
	sigset_t       set, old;
	int            sfd, saved;

	(void)fd;
	(void)ev;
	if (m->m_next_gen != 0 || m->m_old_gen != 0) {
		/* Cannot be: one generation at a time is the rule. */
		log_warnx("restart: generation %u is not alone; later",
		    m->m_gen);
		m->m_restart_again = 1;
		return;
	}
	if (m->m_exe_path == NULL) {
		log_warnx("restart: our executable's path is unknown; "
		          "generation %u serves on",
		    m->m_gen);
		return;
	}
	restart_flush(m);
	if ((sfd = restart_state_save(m, m->m_restart_why)) == -1) {
		log_warnx("restart: cannot save the state; generation %u "
		          "serves on",
		    m->m_gen);
		return;
	}
	restart_notify_reloading();
	restart_fds_cloexec(m, sfd, 0);
	log_flush();
	/* Held until the new image has its handlers (master_loop_init). */
	util_master_sigset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (restart_state_env(sfd) == 0)
		execv(m->m_exe_path, m->m_argv);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	restart_state_unenv();
	restart_fds_cloexec(m, sfd, 1);
	close(sfd);
	log_errorx("restart: cannot execute %s: %s; generation %u serves on",
	    m->m_exe_path, strerror(saved), m->m_gen);
	notify_status(m, "READY=1\n");
}

/* The previous image's workers, back in the table with their channels. */
static void
restart_adopt_procs(struct master *m, struct json_object *st)
{
	struct json_object *a, *o;
	struct proc         t, *p;
	uint8_t            *unread;
	size_t              i, len;
	int                 fd;

	if (!json_object_object_get_ex(st, "procs", &a))
		return;
	for (i = 0; i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		memset(&t, 0, sizeof(t));
		t.p_role = (enum worker_role)restart_state_int(o, "role", 0);
		t.p_gen = (uint32_t)restart_state_int(o, "gen", 0);
		t.p_pid = (pid_t)restart_state_int(o, "pid", 0);
		t.p_flags = (int)restart_state_int(o, "flags", 0);
		t.p_started = (uint64_t)restart_state_int(o, "started", 0);
		t.p_backoff = (uint64_t)restart_state_int(o, "backoff", 0);
		t.p_ready = (int)restart_state_int(o, "ready", 0);
		t.p_phase = (uint32_t)restart_state_int(o, "phase", 0);
		fd = (int)restart_state_int(o, "chan", -1);
		if (t.p_pid <= 0 || (p = proc_adopt(m, &t, fd)) == NULL)
			continue;
		if (p->p_chan == NULL) {
			kill(p->p_pid, SIGKILL);
			continue;
		}
		if ((unread = restart_state_bytes(o, "unread", &len)) != NULL) {
			ipc_chan_prime(p->p_chan, unread, len);
			free(unread);
		}
	}
}

/* Port and address of a listening socket; -1 if they cannot be told. */
static int
restart_sock_port(int fd, char *host, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t               sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	net_ntop((struct sockaddr *)&ss, host, len);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* 1 if the inherited socket l is what the config asks for. */
static int
restart_listen_wanted(const struct master *m, const struct listener *l)
{
	char host[64];
	int  port = restart_sock_port(l->l_fd, host, sizeof(host));

	if (port == -1 || strcmp(host, m->m_host) != 0)
		return 0;
	if (l->l_kind == LISTEN_MAIN)
		return port == m->m_port;
	return l->l_kind == LISTEN_CANVAS && m->m_canvas &&
	    port == m->m_canvas_port;
}

static int
restart_listen_has(const struct listener *v, int n, int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].l_fd == fd)
			return 1;
	return 0;
}

static void
restart_listen_inherit(struct master *m, struct json_object *st)
{
	struct json_object *a, *o;
	struct listener    *l;
	size_t              i;

	m->m_nlisten = m->m_nprev_listen = 0;
	if (!json_object_object_get_ex(st, "listeners", &a))
		return;
	for (i = 0; i < json_object_array_length(a) && i < LISTEN_MAX - 1;
	     i++) {
		o = json_object_array_get_idx(a, i);
		l = &m->m_prev_listen[m->m_nprev_listen++];
		l->l_kind = (enum listener_kind)restart_state_int(o, "kind", 0);
		l->l_fd = (int)restart_state_int(o, "fd", -1);
		net_set_cloexec(l->l_fd);
	}
}

/*
 * The inherited sockets the new config still names serve the new
 * generation too; what it names anew is bound now, before anything is
 * closed (a port change).  The others close with the old generation.
 */
static int
restart_listen(struct master *m, char *err, size_t errlen)
{
	int i;

	m->m_nlisten = 0;
	for (i = 0; i < m->m_nprev_listen; i++)
		if (restart_listen_wanted(m, &m->m_prev_listen[i]))
			m->m_listen[m->m_nlisten++] = m->m_prev_listen[i];
	return listen_open_all(m, err, errlen);
}

/*
 * The old generation's sockets are the master's again, and the config
 * it runs: a new generation refused, or failed to start.
 */
static void
restart_revert(struct master *m)
{
	char why[512];
	int  i;

	for (i = 0; i < m->m_nlisten; i++)
		if (!restart_listen_has(m->m_prev_listen, m->m_nprev_listen,
		        m->m_listen[i].l_fd))
			close(m->m_listen[i].l_fd);
	memcpy(m->m_listen, m->m_prev_listen, sizeof(m->m_listen));
	m->m_nlisten = m->m_nprev_listen;
	m->m_nprev_listen = 0;
	config_free(&m->m_cfg);
	if (config_from_json(&m->m_cfg, m->m_prev_cfg) == -1 ||
	    master_check_listen(m, why, sizeof(why)) == -1)
		log_warnx("restart: the running config is unreadable");
	else if (privs_init(m, m->m_cfg.user, why, sizeof(why)) == -1)
		log_warnx("restart: the running config's %s", why);
	json_object_put(m->m_prev_cfg);
	m->m_prev_cfg = NULL;
}

/* Step 5: the old generation's sockets the new config does not name. */
static void
restart_listen_retire(struct master *m)
{
	int i;

	for (i = 0; i < m->m_nprev_listen; i++)
		if (!restart_listen_has(m->m_listen, m->m_nlisten,
		        m->m_prev_listen[i].l_fd))
			close(m->m_prev_listen[i].l_fd);
	m->m_nprev_listen = 0;
}

static void
restart_shm(struct master *m, struct json_object *st)
{
	m->m_lock_fd = (int)restart_state_int(st, "lock", -1);
	m->m_shm_fd = (int)restart_state_int(st, "shm", -1);
	m->m_shm_size = (size_t)restart_state_int(st, "shmSize", 0);
	net_set_cloexec(m->m_lock_fd);
	net_set_cloexec(m->m_shm_fd);
	if ((m->m_shm = shm_map(m->m_shm_fd, m->m_shm_size)) == NULL) {
		/*
		 * A binary with another layout: the new generation gets a
		 * region of its own (presence starts afresh); the old one
		 * keeps its mapping until it exits.
		 */
		log_warnx("restart: the shared memory is of another layout; "
		          "starting a new region");
		close(m->m_shm_fd);
		if ((m->m_shm_fd = shm_create(&m->m_shm_size)) == -1 ||
		    (m->m_shm = shm_map(m->m_shm_fd, m->m_shm_size)) == NULL)
			master_fail(m, EXIT_RUNTIME,
			    "cannot create shared memory: %s", strerror(errno));
	}
	log_set_drop_counters(shm_log_drops(m->m_shm, 0));
}

static void
restart_identity(struct master *m, struct json_object *st)
{
	struct json_object *v;

	m->m_gen = (uint32_t)restart_state_int(st, "gen", 1);
	m->m_boot_ms = (uint64_t)restart_state_int(st, "bootMs", 0);
	if (json_object_object_get_ex(st, "bootId", &v))
		snprintf(m->m_boot_id, sizeof(m->m_boot_id), "%s",
		    json_object_get_string(v));
	if (json_object_object_get_ex(st, "why", &v))
		snprintf(m->m_restart_why, sizeof(m->m_restart_why), "%s",
		    json_object_get_string(v));
	m->m_restart_mono = (uint64_t)restart_state_int(st, "asked", 0);
	m->m_restart_again = (int)restart_state_int(st, "again", 0);
	if (json_object_object_get_ex(st, "token", &v))
		m->m_opts.token = xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(st, "password", &v))
		m->m_opts.password = xstrdup(json_object_get_string(v));
	m->m_activated = (unsigned)restart_state_int(st, "activated", 0);
	if (json_object_object_get_ex(st, "deaths", &v))
		supervise_restore(v);
	/* The running config until the new one is read and checked. */
	if (json_object_object_get_ex(st, "config", &v)) {
		m->m_prev_cfg = json_object_get(v);
		if (config_from_json(&m->m_cfg, v) == -1)
			log_warnx("restart: the running config is unreadable");
	}
}

/* Step 2, in the new image. */
void
restart_resume(struct master *m, struct json_object *st)
{
	char err[1024];
	int  rv;

	restart_identity(m, st);
	restart_shm(m, st);
	master_loop_init(m);
	m->m_forked = 1;
	m->m_state = MASTER_RUNNING;
	restart_adopt_procs(m, st);
	restart_listen_inherit(m, st);
	/* Before the file is read: an edit from here on is seen. */
	watch_start(m);
	if ((rv = master_reconfigure(m, err, sizeof(err))) == 0)
		rv = restart_listen(m, err, sizeof(err));
	if (rv == -1) {
		log_errorx("restart: %s; generation %u serves on", err,
		    m->m_gen);
		restart_revert(m);
	}
	logfile_open(m);
	if (logfile_start(m) == -1)
		master_fail(m, EXIT_RUNTIME, "cannot watch the log file");
	proc_send_log_fd(m);
	watchdog_start(m);
	watch_start(m); /* the mode the config now in force names */
	if (rv == 0) {
		m->m_next_gen = m->m_gen + 1;
		restart_timer_kind = RT_READY;
		restart_after(m->m_rs_timer, RESTART_READY_MS);
		if (proc_start_generation(m, m->m_next_gen) == -1)
			restart_fail(m, "cannot start its workers");
	} else
		notify_status(m, "READY=1\n");
	/* Exits during the exec: their SIGCHLD may be merged with others. */
	proc_reap(m);
}

/* Before step 4: generation N+1 goes, N serves on as it was. */
static void
restart_fail(struct master *m, const char *why)
{
	uint32_t gen = m->m_next_gen;

	if (gen == 0 || m->m_old_gen != 0)
		return;
	log_errorx("restart: generation %u %s; generation %u serves on", gen,
	    why, m->m_gen);
	m->m_next_gen = 0;
	restart_timer_kind = RT_NONE;
	evtimer_del(m->m_rs_timer);
	proc_kill_gen(m, gen, SIGKILL);
	restart_revert(m);
	notify_status(m, "READY=1\n");
}

/* Step 4. */
static void
restart_serve(struct master *m)
{
	restart_timer_kind = RT_NONE;
	evtimer_del(m->m_rs_timer);
	m->m_gen = m->m_next_gen;
	m->m_next_gen = 0;
	proc_phase_ready(m, m->m_gen);
	proc_send_takeover(m, m->m_gen);
	log_info("restart: generation %u serving, %llu ms after %s", m->m_gen,
	    restart_since(m), m->m_restart_why);
	master_log_listening(m);
	notify_status(m, "READY=1\n");
	json_object_put(m->m_prev_cfg);
	m->m_prev_cfg = NULL;
}

static int
restart_hands_over(const struct proc *p)
{
	const struct role *r = role_get(p->p_role);

	return r != NULL && r->r_handover;
}

/* A worker of the old generation that will say when it let go. */
static int
restart_old_holder(const struct master *m)
{
	const struct proc *p;
	int                i;

	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (p->p_used && p->p_gen == m->m_old_gen &&
		    restart_hands_over(p) && p->p_pid > 0 && p->p_chan != NULL)
			return 1;
	}
	return 0;
}

/* Step 3. */
static void
restart_switch(struct master *m)
{
	struct imsg_drain d;

	memset(&d, 0, sizeof(d));
	d.deadline_ms = (uint32_t)m->m_cfg.drain_ms;
	d.restart_expected_ms = RESTART_EXPECTED_MS;
	snprintf(d.reason, sizeof(d.reason), "restart");
	m->m_old_gen = m->m_gen;
	log_info("restart: generation %u ready in %llu ms; draining "
	         "generation %u",
	    m->m_next_gen, restart_since(m), m->m_old_gen);
	proc_drain_gen(m, m->m_old_gen, &d);
	restart_after(m->m_rs_kill,
	    (uint64_t)m->m_cfg.drain_ms + MASTER_KILL_GRACE_MS);
	if (!restart_old_holder(m)) {
		restart_serve(m);
		return;
	}
	restart_timer_kind = RT_HANDOVER;
	restart_after(m->m_rs_timer, RESTART_HANDOVER_MS);
}

/* Step 5. */
static void
restart_gone(struct master *m)
{
	evtimer_del(m->m_rs_kill);
	restart_listen_retire(m);
	log_info("restart: generation %u gone, %llu ms after %s", m->m_old_gen,
	    restart_since(m), m->m_restart_why);
	m->m_old_gen = 0;
}

/* After a READY or a death: the next step, if its time has come. */
void
restart_check(struct master *m)
{
	if (m->m_state != MASTER_RUNNING)
		return;
	if (m->m_next_gen != 0 && m->m_old_gen == 0 &&
	    proc_gen_ready(m, m->m_next_gen))
		restart_switch(m);
	if (m->m_old_gen != 0 && m->m_next_gen == 0 &&
	    proc_gen_alive(m, m->m_old_gen) == 0)
		restart_gone(m);
	if (m->m_restart_again && !restart_busy(m)) {
		m->m_restart_again = 0;
		master_restart(m, "a restart asked during the last one");
	}
}

/* IMSG_HANDOVER, or the old ws's channel or life ended. */
void
restart_handover(struct master *m, struct proc *p)
{
	if (m->m_next_gen == 0 || m->m_old_gen == 0 ||
	    p->p_gen != m->m_old_gen || !restart_hands_over(p))
		return;
	restart_serve(m);
}

/*
 * A worker died (already reaped).  1 if it belonged to a generation
 * still starting: the restart fails, and the death is not the
 * gateway's (no respawn, not even a stop on exit status 78).
 */
int
restart_proc_exited(struct master *m, struct proc *p)
{
	char why[64];

	if (m->m_state != MASTER_RUNNING)
		return 0;
	if (p->p_gen == m->m_old_gen && m->m_next_gen != 0)
		restart_handover(m, p);
	if (p->p_gen != m->m_next_gen || m->m_old_gen != 0)
		return 0;
	snprintf(why, sizeof(why), "lost its %s worker while starting",
	    role_name(p->p_role));
	restart_fail(m, why);
	return 1;
}

static void
restart_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)ev;
	if (m->m_state != MASTER_RUNNING)
		return;
	if (restart_timer_kind == RT_READY) {
		restart_fail(m, "was not ready in time");
	} else if (restart_timer_kind == RT_HANDOVER && m->m_next_gen != 0) {
		log_warnx("restart: no hand-over from generation %u's ws "
		          "within %d ms",
		    m->m_old_gen, RESTART_HANDOVER_MS);
		restart_serve(m);
	}
	restart_check(m);
}

static void
restart_kill_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)ev;
	if (m->m_old_gen == 0 || proc_gen_alive(m, m->m_old_gen) == 0)
		return;
	log_warnx("restart: drain deadline passed; killing %d worker(s) of "
	          "generation %u",
	    proc_gen_alive(m, m->m_old_gen), m->m_old_gen);
	proc_kill_gen(m, m->m_old_gen, SIGKILL);
}
