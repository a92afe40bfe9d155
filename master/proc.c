/*
 * Worker processes: spawning, the setup messages, peer channels, reaping
 * and respawning.  The table is flat, in the manner of nginx's
 * ngx_processes[]: one slot per child, keyed by role and generation, so
 * that a new generation can later run beside one that is draining.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "master/master.h"
#include "protocol/roles.h"

static void proc_dispatch(struct ipc_chan *, const struct ipc_msg *, void *);
static void proc_timer_cb(evutil_socket_t, short, void *);
static void proc_start_set(struct master *, struct proc **, int);

extern char **environ;

/*
 * What to exec for a worker.  /proc/self/exe names our own image even
 * if the file was replaced or removed since we started.
 */
int
proc_exe_init(struct master *m)
{
#if defined(__APPLE__)
	char     buf[PATH_MAX], real[PATH_MAX];
	uint32_t len = sizeof(buf);

	if (_NSGetExecutablePath(buf, &len) != 0 || realpath(buf, real) == NULL)
		return -1;
	m->m_exe = xstrdup(real);
	return 0;
#else
	if (access("/proc/self/exe", X_OK) == -1)
		return -1;
	m->m_exe = xstrdup("/proc/self/exe");
	return 0;
#endif
}

/* 1 if the "NAME=value" entry e sets name. */
static int
proc_env_is(const char *e, const char *name)
{
	size_t len = strlen(name);

	return strncmp(e, name, len) == 0 && e[len] == '=';
}

/*
 * The service manager talks to the main PID only: a worker that
 * inherited NOTIFY_SOCKET could tell systemd READY=1 or feed the
 * watchdog for a master that hangs.
 */
static int
proc_env_master_only(const char *e)
{
	return proc_env_is(e, "NOTIFY_SOCKET") ||
	    proc_env_is(e, "WATCHDOG_USEC") || proc_env_is(e, "WATCHDOG_PID");
}

/*
 * The workers' environment: ours without the variables that carry
 * secrets.  Workers get secrets only in IMSG_CONFIG, never where
 * /proc/<pid>/environ or a core dump would show them.  Built before
 * fork, since the child must not allocate.
 */
static char **
proc_worker_env(void)
{
	const struct cfg_key *k;
	char                **env;
	size_t                n = 0, i, j = 0;
	int                   skip;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		skip = proc_env_master_only(environ[i]);
		for (k = cfg_keys; k->path != NULL; k++)
			if (k->type == CFG_SECRET && k->env != NULL &&
			    proc_env_is(environ[i], k->env))
				skip = 1;
		if (!skip)
			env[j++] = environ[i];
	}
	return env;
}

static struct proc *
proc_alloc(struct master *m, enum worker_role role, uint32_t gen)
{
	struct proc *p;
	int          i;

	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (p->p_used)
			continue;
		memset(p, 0, sizeof(*p));
		p->p_used = 1;
		p->p_role = role;
		p->p_gen = gen;
		p->p_backoff = PROC_BACKOFF_MIN;
		p->p_master = m;
		if ((p->p_timer = evtimer_new(m->m_base, proc_timer_cb, p)) ==
		    NULL)
			fatalx(EXIT_RUNTIME, "cannot create a timer");
		return p;
	}
	return NULL;
}

static void
proc_release(struct proc *p)
{
	if (p->p_chan != NULL)
		ipc_chan_free(p->p_chan);
	if (p->p_timer != NULL)
		event_free(p->p_timer);
	memset(p, 0, sizeof(*p));
}

static struct proc *
proc_find_pid(struct master *m, pid_t pid)
{
	int i;

	for (i = 0; i < MASTER_MAXPROC; i++)
		if (m->m_procs[i].p_used && m->m_procs[i].p_pid == pid)
			return &m->m_procs[i];
	return NULL;
}

/* Running, talking to us, and not on its way out. */
int
proc_live(const struct proc *p)
{
	return p->p_used && p->p_pid > 0 && p->p_chan != NULL &&
	    !(p->p_flags & PROC_EXITING);
}

static struct proc *
proc_find_live(struct master *m, enum worker_role role, uint32_t gen)
{
	struct proc *p;
	int          i;

	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (proc_live(p) && p->p_role == role && p->p_gen == gen)
			return p;
	}
	return NULL;
}

int
proc_alive(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < MASTER_MAXPROC; i++)
		if (m->m_procs[i].p_used && m->m_procs[i].p_pid > 0)
			n++;
	return n;
}

/*
 * posix_spawn rather than fork: a fork copies the master's page tables
 * and then both sides pay a copy-on-write fault per page they touch,
 * 1-2 ms per worker on a paravirtualised guest, for a child that execs
 * at once.  What a forked child did before exec is spawn attributes
 * here (default signals, descriptors); the death signal is the worker's
 * own first step (worker_main).  The signals a worker ignores are
 * blocked until it has set them to SIG_IGN: a SIGUSR1 or a group's
 * SIGINT in between would otherwise kill it at their default.
 */
static pid_t
proc_spawn(const char *exe, char *const argv[], char *const envp[], int fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t          sa;
	sigset_t                   all, held;
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	pid_t pid = -1;
	int   rv;
#if !defined(HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP) && \
    defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
	int i;
#endif

	if ((rv = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = rv;
		return -1;
	}
	if ((rv = posix_spawnattr_init(&sa)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = rv;
		return -1;
	}
	sigfillset(&all);
	util_master_sigset(&held);
	/* fd is never WORKER_MASTER_FD itself (proc_fork), so dup2 acts. */
	rv = posix_spawn_file_actions_adddup2(&fa, fd, WORKER_MASTER_FD);
	/*
	 * Our own descriptors are close-on-exec; this is for whatever our
	 * parent leaked to us.
	 */
#if defined(HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP)
	if (rv == 0)
		rv = posix_spawn_file_actions_addclosefrom_np(&fa,
		    WORKER_MASTER_FD + 1);
#elif defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
	for (i = 0; rv == 0 && i < WORKER_MASTER_FD; i++)
		rv = posix_spawn_file_actions_addinherit_np(&fa, i);
	flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#endif
	if (rv == 0)
		rv = posix_spawnattr_setsigdefault(&sa, &all);
	if (rv == 0)
		rv = posix_spawnattr_setsigmask(&sa, &held);
	if (rv == 0)
		rv = posix_spawnattr_setflags(&sa, flags);
	if (rv == 0)
		rv = posix_spawn(&pid, exe, &fa, &sa, argv, envp);
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	if (rv != 0) {
		errno = rv;
		return -1;
	}
	return pid;
}

static int
proc_respawn_flag(const struct proc *p)
{
	const struct role *r = role_get(p->p_role);

	return r != NULL && r->r_respawn == ROLE_RESPAWN_BACKOFF ?
	    PROC_RESPAWN :
	    0;
}

/* Spawn one worker into slot p and open its channel. */
static int
proc_fork(struct master *m, struct proc *p)
{
	static char **envp;
	char         *argv[4], name[32];
	pid_t         pid;
	int           sv[2], saved, nfd;

	if (envp == NULL)
		envp = proc_worker_env();
	argv[0] = (char *)"openclaw";
	argv[1] = (char *)"__worker";
	argv[2] = (char *)role_name(p->p_role);
	argv[3] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("worker %s: socketpair", argv[2]);
		return -1;
	}
	if (sv[1] == WORKER_MASTER_FD) {
		nfd = fcntl(sv[1], F_DUPFD_CLOEXEC, WORKER_MASTER_FD + 1);
		close(sv[1]);
		sv[1] = nfd;
	}
	pid = sv[1] == -1 ? -1 : proc_spawn(m->m_exe, argv, envp, sv[1]);
	saved = errno;
	if (sv[1] != -1)
		close(sv[1]);
	if (pid == -1) {
		errno = saved;
		log_warn("worker %s: spawn", argv[2]);
		close(sv[0]);
		return -1;
	}
	p->p_pid = pid;
	p->p_flags = PROC_RUNNING | proc_respawn_flag(p);
	p->p_started = util_mono_ms();
	p->p_ready = 0;
	p->p_ping = 0;
	p->p_phase = PHASE_STARTING;
	snprintf(name, sizeof(name), "worker %s (pid %ld)", argv[2], (long)pid);
	if ((p->p_chan = ipc_chan_new(m->m_base, sv[0], name, role_to_master,
	         proc_dispatch, p)) == NULL) {
		close(sv[0]);
		/* Reaped and respawned like any other death. */
		kill(pid, SIGKILL);
		return -1;
	}
	log_debug("started worker %s (pid %ld, generation %u)", argv[2],
	    (long)pid, p->p_gen);
	return 0;
}

/* A duplicate for ipc_send to own and close. */
static int
proc_dup(int fd)
{
	int nfd;

	if (fd == -1)
		return -1;
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		log_warn("dup");
	return nfd;
}

static int
proc_send_fd(struct proc *p, uint32_t type, int fd, const void *data,
    size_t len)
{
	int nfd;

	if ((nfd = proc_dup(fd)) == -1)
		return -1;
	return ipc_send(p->p_chan, type, nfd, data, len);
}

/* The running config as JSON text: IMSG_CONFIG, IMSG_CONFIG_UPDATE. */
int
proc_send_config_json(struct master *m, struct proc *p, uint32_t type)
{
	struct json_object *o;
	const char         *text;
	size_t              len;
	int                 rv;

	o = config_to_json(&m->m_cfg);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	rv = ipc_send(p->p_chan, type, -1, text, len);
	/* It holds the secrets: do not leave them in freed memory. */
	memset((char *)text, 0, len);
	json_object_put(o);
	return rv;
}

static int
proc_send_config(struct master *m, struct proc *p)
{
	if (proc_send_config_json(m, p, IMSG_CONFIG) == -1)
		return -1;
	return privs_send_config_fd(m, p->p_chan);
}

/* HELLO .. FD_LISTEN: everything but the peers and START. */
static int
proc_send_setup(struct master *m, struct proc *p)
{
	struct imsg_hello hello;
	uint64_t          size = m->m_shm_size;
	uint32_t          kind;
	uint32_t          want = role_get(p->p_role)->r_listen;
	int               fd;

	memset(&hello, 0, sizeof(hello));
	hello.version = IPC_VERSION;
	hello.role = p->p_role;
	hello.generation = p->p_gen;
	hello.master_pid = (uint32_t)m->m_pid;
	hello.boot_ms = m->m_boot_ms;
	memcpy(hello.boot_id, m->m_boot_id, sizeof(hello.boot_id));
	privs_hello(&hello);
	if (ipc_send(p->p_chan, IMSG_HELLO, -1, &hello, sizeof(hello)) == -1 ||
	    proc_send_config(m, p) == -1)
		return -1;
	if (m->m_log_fd != -1 &&
	    proc_send_fd(p, IMSG_FD_LOG, m->m_log_fd, m->m_logfile.lf_path,
	        strlen(m->m_logfile.lf_path)) == -1)
		return -1;
	if (proc_send_fd(p, IMSG_FD_SHM, m->m_shm_fd, &size, sizeof(size)) ==
	    -1)
		return -1;
	for (kind = 1; kind < LISTEN_MAX; kind++) {
		if (!(want & ROLE_LISTENS(kind)) ||
		    (fd = listen_fd(m, (enum listener_kind)kind)) == -1)
			continue;
		if (proc_send_fd(p, IMSG_FD_LISTEN, fd, &kind, sizeof(kind)) ==
		    -1)
			return -1;
	}
	return 0;
}

/*
 * A new log file (rotated, rolled over, reopened): every worker with a
 * channel writes to it from now on, draining ones included.
 */
void
proc_send_log_fd(struct master *m)
{
	struct proc *p;
	int          i;

	if (m->m_log_fd == -1)
		return;
	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (p->p_used && p->p_pid > 0 && p->p_chan != NULL)
			proc_send_fd(p, IMSG_FD_LOG, m->m_log_fd,
			    m->m_logfile.lf_path, strlen(m->m_logfile.lf_path));
	}
}

/* A direct socketpair between two workers, one end to each. */
static int
proc_peer(struct proc *a, struct proc *b)
{
	uint32_t ra = a->p_role, rb = b->p_role;
	int      sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("peer channel %s-%s: socketpair", role_name(a->p_role),
		    role_name(b->p_role));
		return -1;
	}
	if (ipc_send(a->p_chan, IMSG_FD_PEER, sv[0], &rb, sizeof(rb)) == -1) {
		close(sv[1]);
		return -1;
	}
	return ipc_send(b->p_chan, IMSG_FD_PEER, sv[1], &ra, sizeof(ra));
}

/*
 * One channel for every pair of roles the table names, where both sides
 * run in the generation and either is new (as relayd's proc_connect).
 * A side that already ran gets the new end in place of its old one.
 */
static void
proc_peer_all(struct master *m, uint32_t gen, struct proc **new, int n)
{
	const struct role_pair *rp;
	struct proc            *a, *b;
	int                     j, fresh;

	for (rp = role_pairs; rp->p_a != 0; rp++) {
		if ((a = proc_find_live(m, rp->p_a, gen)) == NULL ||
		    (b = proc_find_live(m, rp->p_b, gen)) == NULL)
			continue;
		fresh = 0;
		for (j = 0; j < n; j++)
			if (new[j] == a || new[j] == b)
				fresh = 1;
		if (fresh && proc_peer(a, b) == -1)
			log_warnx("no %s-%s channel", role_name(rp->p_a),
			    role_name(rp->p_b));
	}
}

static void
proc_schedule_respawn(struct master *m, struct proc *p)
{
	struct timeval tv;
	uint64_t       delay;

	if (m->m_state == MASTER_STOPPING || !(p->p_flags & PROC_RESPAWN))
		return;
	delay = supervise_next_delay(p);
	log_info("respawning worker %s in %llu ms", role_name(p->p_role),
	    (unsigned long long)delay);
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000 * 1000);
	evtimer_add(p->p_timer, &tv);
}

/* Carry out what supervise.c decided about the dead (or unborn) p. */
static void
proc_supervise(struct master *m, struct proc *p, enum supervise_action a)
{
	switch (a) {
	case SUPERVISE_RESPAWN:
		proc_schedule_respawn(m, p);
		return;
	case SUPERVISE_STOP_CONFIG:
		proc_release(p);
		master_stop(m, EXIT_CONFIG, "gateway stopping");
		return;
	case SUPERVISE_STOP_LOOP:
		proc_release(p);
		master_stop(m, EXIT_RUNTIME, "gateway stopping");
		return;
	case SUPERVISE_RELEASE:
		proc_release(p);
		return;
	}
}

/* A worker that cannot be set up is killed and respawned like a crash. */
static void
proc_abort(struct master *m, struct proc *p)
{
	(void)m;
	log_warnx("worker %s (pid %ld): setup failed", role_name(p->p_role),
	    (long)p->p_pid);
	kill(p->p_pid, SIGKILL);
	if (p->p_chan != NULL) {
		ipc_chan_free(p->p_chan);
		p->p_chan = NULL;
	}
}

/*
 * Start the workers in slots new[0..n): fork them, send each its setup,
 * then the peer channels (which need both sides forked), then START.
 */
static void
proc_start_set(struct master *m, struct proc **new, int n)
{
	struct proc *p;
	uint32_t     flags;
	int          i;

	for (i = 0; i < n; i++) {
		p = new[i];
		if (m->m_state == MASTER_STOPPING)
			return; /* a crash loop, found on a failed spawn */
		p->p_flags = proc_respawn_flag(p);
		if (proc_fork(m, p) == -1) {
			if (p->p_pid == 0)
				proc_supervise(m, p, supervise_spawn_failed(p));
			continue;
		}
		if (proc_send_setup(m, p) == -1)
			proc_abort(m, p);
	}
	proc_peer_all(m, new[0]->p_gen, new, n);
	for (i = 0; i < n; i++) {
		p = new[i];
		if (!proc_live(p))
			continue;
		flags = p->p_gen == m->m_next_gen ? START_DEFER_ACCEPT : 0;
		/*
		 * A worker replacing a crashed one joins a gateway that is
		 * serving: what it is handed as soon as it starts (clients
		 * that waited for it) must not be told "gateway starting".
		 */
		if (m->m_state == MASTER_RUNNING && p->p_gen != m->m_next_gen)
			proc_send_phase(m, p, PHASE_READY);
		if (ipc_send(p->p_chan, IMSG_START, -1, &flags,
		        sizeof(flags)) == -1)
			proc_abort(m, p);
	}
}

int
proc_start_generation(struct master *m, uint32_t gen)
{
	const struct role *r;
	struct proc *new[ROLE_MAX];
	int n = 0;

	/* In the table's order: the slowest to get ready first. */
	for (r = roles; r->r_name != NULL; r++) {
		if (!role_wanted(r, &m->m_cfg))
			continue;
		if ((new[n++] = proc_alloc(m, r->r_role, gen)) == NULL) {
			log_warnx("worker table full");
			return -1;
		}
	}
	if (n > 0)
		proc_start_set(m, new, n);
	return 0;
}

void
proc_send_phase(struct master *m, struct proc *p, uint32_t phase)
{
	(void)m;
	if (!proc_live(p) || p->p_phase == phase)
		return;
	if (ipc_send(p->p_chan, IMSG_PHASE, -1, &phase, sizeof(phase)) == 0)
		p->p_phase = phase;
}

static void
proc_ready(struct master *m, struct proc *p, const struct ipc_msg *msg)
{
	struct imsg_ready r;

	if (msg->len != sizeof(r)) {
		log_warnx("worker %s (pid %ld): bad READY (%zu bytes)",
		    role_name(p->p_role), (long)p->p_pid, msg->len);
		return;
	}
	memcpy(&r, msg->data, sizeof(r));
	if (r.role != (uint32_t)p->p_role)
		log_warnx("worker %s (pid %ld): READY for role %u",
		    role_name(p->p_role), (long)p->p_pid, r.role);
	p->p_ready = 1;
	log_debug("worker %s (pid %ld) ready in %llu ms", role_name(p->p_role),
	    (long)p->p_pid,
	    (unsigned long long)(util_mono_ms() - p->p_started));
	master_check_ready(m);
}

static void
proc_dispatch(struct ipc_chan *chan, const struct ipc_msg *msg, void *arg)
{
	struct proc   *p = arg;
	struct master *m = p->p_master;
	struct timeval tv;

	if (msg == NULL) {
		/* It is dying, or it should be: SIGCHLD does the rest. */
		log_debug("worker %s (pid %ld): channel closed",
		    role_name(p->p_role), (long)p->p_pid);
		ipc_chan_free(chan);
		p->p_chan = NULL;
		restart_handover(m, p);
		if (p->p_pid > 0 && m->m_state != MASTER_STOPPING) {
			tv.tv_sec = PROC_EOF_KILL_MS / 1000;
			tv.tv_usec = PROC_EOF_KILL_MS % 1000 * 1000;
			evtimer_add(p->p_timer, &tv);
		}
		return;
	}
	if (msg->fd != -1)
		close(msg->fd);
	switch (msg->type) {
	case IMSG_READY:
		proc_ready(m, p, msg);
		break;
	case IMSG_PONG:
		watchdog_pong(p, msg);
		break;
	case IMSG_DRAINED:
		log_debug("worker %s (pid %ld) drained", role_name(p->p_role),
		    (long)p->p_pid);
		break;
	case IMSG_LOG_FULL:
		logfile_check(m);
		break;
	case IMSG_HANDOVER:
		restart_handover(m, p);
		break;
	}
}

/* Respawn a dead slot, or kill a live one whose channel closed. */
static void
proc_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct proc *p = arg;
	struct proc *set[1];

	(void)fd;
	(void)ev;
	if (p->p_pid > 0) {
		log_warnx("worker %s (pid %ld) closed its channel but did not "
		          "exit; killing it",
		    role_name(p->p_role), (long)p->p_pid);
		kill(p->p_pid, SIGKILL);
		return;
	}
	if (p->p_master->m_state == MASTER_STOPPING)
		return;
	set[0] = p;
	proc_start_set(p->p_master, set, 1);
}

static const char *
proc_signame(int sig, char *buf, size_t len)
{
	static const struct {
		int         sig;
		const char *name;
	} names[] = {
		{ SIGHUP, "SIGHUP" },
		{ SIGINT, "SIGINT" },
		{ SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" },
		{ SIGTRAP, "SIGTRAP" },
		{ SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" },
		{ SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" },
		{ SIGUSR1, "SIGUSR1" },
		{ SIGSEGV, "SIGSEGV" },
		{ SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" },
		{ SIGALRM, "SIGALRM" },
		{ SIGTERM, "SIGTERM" },
		{ SIGSYS, "SIGSYS" },
		{ SIGXCPU, "SIGXCPU" },
		{ SIGXFSZ, "SIGXFSZ" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(buf, len, "%d", sig);
	return buf;
}

static void
proc_log_exit(struct master *m, struct proc *p, int status)
{
	const char *role = role_name(p->p_role);
	char        buf[16];
	int         expected;

	/* Exits we asked for are news; the others are trouble. */
	expected = m->m_state == MASTER_STOPPING || (p->p_flags & PROC_EXITING);
	if (WIFEXITED(status)) {
		if (expected && WEXITSTATUS(status) == 0)
			log_info("worker %s (pid %ld) exited with status 0",
			    role, (long)p->p_pid);
		else
			log_warnx("worker %s (pid %ld) exited with status %d",
			    role, (long)p->p_pid, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		log_warnx("worker %s (pid %ld) killed by signal %s%s", role,
		    (long)p->p_pid,
		    proc_signame(WTERMSIG(status), buf, sizeof(buf)),
#ifdef WCOREDUMP
		    WCOREDUMP(status) ? " (core dumped)" :
#endif
		                        "");
	}
}

static void
proc_exited(struct master *m, struct proc *p, int status)
{
	uint64_t ran;

	proc_log_exit(m, p, status);
	ran = util_mono_ms() - p->p_started;
	p->p_pid = 0;
	p->p_flags &= ~PROC_RUNNING;
	p->p_ready = 0;
	evtimer_del(p->p_timer);
	if (p->p_chan != NULL) {
		ipc_chan_free(p->p_chan);
		p->p_chan = NULL;
	}
	if (restart_proc_exited(m, p))
		p->p_flags |= PROC_EXITING;
	/* Deaths we caused are not the supervisor's business. */
	if (m->m_state == MASTER_STOPPING || (p->p_flags & PROC_EXITING)) {
		proc_release(p);
		return;
	}
	proc_supervise(m, p, supervise_exit(p, status, ran));
}

void
proc_reap(struct master *m)
{
	struct proc *p;
	pid_t        pid;
	int          status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if ((p = proc_find_pid(m, pid)) == NULL) {
			log_debug("reaped unknown child %ld", (long)pid);
			continue;
		}
		proc_exited(m, p, status);
	}
	restart_check(m);
	master_check_done(m);
}

/* Tell every worker to finish what it holds and exit; no respawns. */
void
proc_drain_all(struct master *m, uint32_t deadline_ms, const char *reason)
{
	struct imsg_drain d;

	memset(&d, 0, sizeof(d));
	d.deadline_ms = deadline_ms;
	d.restart_expected_ms = 0;
	snprintf(d.reason, sizeof(d.reason), "%s", reason);
	proc_drain_gen(m, 0, &d);
}

/* The same for the workers of one generation (0: all of them). */
void
proc_drain_gen(struct master *m, uint32_t gen, const struct imsg_drain *d)
{
	struct proc *p;
	int          i;

	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (!p->p_used || (gen != 0 && p->p_gen != gen))
			continue;
		if (p->p_pid == 0) {
			/* Waiting to be respawned: never will be. */
			proc_release(p);
			continue;
		}
		evtimer_del(p->p_timer);
		p->p_flags |= PROC_EXITING;
		p->p_flags &= ~PROC_RESPAWN;
		if (p->p_chan != NULL)
			(void)ipc_send(p->p_chan, IMSG_DRAIN, -1, d,
			    sizeof(*d));
	}
}

int
proc_gen_alive(const struct master *m, uint32_t gen)
{
	int i, n = 0;

	for (i = 0; i < MASTER_MAXPROC; i++)
		if (m->m_procs[i].p_used && m->m_procs[i].p_gen == gen &&
		    m->m_procs[i].p_pid > 0)
			n++;
	return n;
}

void
proc_kill_gen(struct master *m, uint32_t gen, int sig)
{
	struct proc *p;
	int          i;

	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (!p->p_used || p->p_gen != gen)
			continue;
		p->p_flags |= PROC_EXITING;
		p->p_flags &= ~PROC_RESPAWN;
		if (p->p_pid > 0)
			kill(p->p_pid, sig);
		else
			proc_release(p);
	}
}

/* The roles that hand over (roles.c r_handover): take over now. */
void
proc_send_takeover(struct master *m, uint32_t gen)
{
	const struct role *r;
	struct proc       *p;

	for (r = roles; r->r_name != NULL; r++)
		if (r->r_handover &&
		    (p = proc_find_live(m, r->r_role, gen)) != NULL)
			(void)ipc_send(p->p_chan, IMSG_TAKEOVER, -1, NULL, 0);
}

/*
 * A worker of the previous image's table, on the channel descriptor the
 * exec kept: t has everything but the events, which are ours to make.
 */
struct proc *
proc_adopt(struct master *m, const struct proc *t, int fd)
{
	struct proc *p;
	char         name[32];

	if ((p = proc_alloc(m, t->p_role, t->p_gen)) == NULL) {
		log_warnx("worker table full");
		return NULL;
	}
	p->p_pid = t->p_pid;
	p->p_flags = t->p_flags;
	p->p_started = t->p_started;
	p->p_backoff = t->p_backoff;
	p->p_ready = t->p_ready;
	p->p_phase = t->p_phase;
	snprintf(name, sizeof(name), "worker %s (pid %ld)",
	    role_name(p->p_role), (long)p->p_pid);
	if (fd != -1 &&
	    (p->p_chan = ipc_chan_new(m->m_base, fd, name, role_to_master,
	         proc_dispatch, p)) == NULL)
		close(fd);
	return p;
}

void
proc_kill_all(struct master *m, int sig)
{
	int i;

	for (i = 0; i < MASTER_MAXPROC; i++)
		if (m->m_procs[i].p_used && m->m_procs[i].p_pid > 0)
			kill(m->m_procs[i].p_pid, sig);
}

/*
 * 1 if every role of the generation that runs here and gates readiness
 * has a live worker that is ready.
 */
int
proc_gen_ready(struct master *m, uint32_t gen)
{
	const struct role *r;
	struct proc       *p;

	for (r = roles; r->r_name != NULL; r++) {
		if (!r->r_gates_ready || !role_wanted(r, &m->m_cfg))
			continue;
		if ((p = proc_find_live(m, r->r_role, gen)) == NULL ||
		    !p->p_ready)
			return 0;
	}
	return 1;
}

/* PHASE_READY to every ready worker of the generation that lacks it. */
void
proc_phase_ready(struct master *m, uint32_t gen)
{
	struct proc *p;
	int          i;

	for (i = 0; i < MASTER_MAXPROC; i++) {
		p = &m->m_procs[i];
		if (proc_live(p) && p->p_gen == gen && p->p_ready)
			proc_send_phase(m, p, PHASE_READY);
	}
}

void
proc_cleanup(struct master *m)
{
	int i;

	for (i = 0; i < MASTER_MAXPROC; i++)
		if (m->m_procs[i].p_used)
			proc_release(&m->m_procs[i]);
}
