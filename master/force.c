/*
 * `openclaw gateway --force`: free the port before binding it.  lsof(8)
 * names the processes listening on the port (and the canvas port); each
 * gets a SIGTERM, once per process tree: a gateway's workers hold its
 * listening sockets too, and it is their master that must be asked to
 * stop (it drains them), so the signal goes to the topmost ancestor that
 * still holds one of the ports.  Then we wait, bounded, until every
 * process signalled is gone, and start.  Never ourselves, our ancestors
 * or PID 1.  lsof and ps run with a fixed argv through posix_spawnp(3),
 * no shell: only numbers we formatted reach them.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "master/master.h"

extern char **environ;

#define FORCE_MAXPID   64
#define FORCE_TOOL_MS  10000 /* lsof or ps taking longer: give up */
#define FORCE_WAIT_MIN 5000  /* ms after SIGTERM, at least */
#define FORCE_POLL_MS  50
#define FORCE_COMM     64 /* a command name, as we print it */

struct force_pids {
	pid_t v[FORCE_MAXPID];
	int   n;
};

static int
force_has(const struct force_pids *s, pid_t p)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == p)
			return 1;
	return 0;
}

static void
force_add(struct force_pids *s, pid_t p)
{
	if (p > 0 && s->n < FORCE_MAXPID && !force_has(s, p))
		s->v[s->n++] = p;
}

/* Read what the child writes on fd until EOF or the deadline. */
static int
force_read(int fd, char *out, size_t outlen, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char          spill[512];
	size_t        len = 0;
	ssize_t       n;
	uint64_t      now;

	for (;;) {
		if ((now = util_mono_ms()) >= deadline)
			return -1;
		if (poll(&pfd, 1, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		/* Past what out holds: drained, dropped. */
		if (len < outlen - 1)
			n = read(fd, out + len, outlen - 1 - len);
		else
			n = read(fd, spill, sizeof(spill));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < outlen - 1)
			len += (size_t)n;
	}
	out[len] = '\0';
	return 0;
}

/*
 * Run argv[0] from PATH, its stdout into out, stderr to /dev/null.
 * Returns its exit status, -1 with errno (ENOENT: not on PATH), or -2
 * when it took longer than FORCE_TOOL_MS (it is killed).
 */
static int
force_tool(char *const argv[], char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	pid_t                      pid;
	int                        p[2], rv, st, timed_out;

	if (pipe(p) == -1)
		return -1;
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
	    O_WRONLY, 0);
	rv = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rv != 0) {
		close(p[0]);
		errno = rv;
		return -1;
	}
	timed_out = force_read(p[0], out, outlen,
	                util_mono_ms() + FORCE_TOOL_MS) == -1;
	close(p[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (timed_out)
		return -2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
force_tool_fail(struct master *m, const char *tool, int rv)
{
	if (rv == -1 && errno == ENOENT)
		master_fail(m, EXIT_CONFIG,
		    "--force needs %s(8) to find the listeners, and there is "
		    "none on PATH; install it (Debian: apt install %s) or "
		    "stop the other gateway yourself",
		    tool, tool);
	if (rv == -1)
		master_fail(m, EXIT_RUNTIME, "--force: cannot run %s: %s", tool,
		    strerror(errno));
	if (rv == -2)
		master_fail(m, EXIT_RUNTIME,
		    "--force: %s took more than %d ms; giving up", tool,
		    FORCE_TOOL_MS);
	master_fail(m, EXIT_RUNTIME, "--force: %s failed (exit status %d)",
	    tool, rv);
}

/* The PIDs listening on TCP port (lsof -t: one per line). */
static void
force_listeners(struct master *m, long port, struct force_pids *s)
{
	char  arg[32], out[4096], *line, *next;
	char *argv[] = { "lsof", "-nP", arg, "-sTCP:LISTEN", "-t", NULL };
	long  pid;
	int   rv;

	snprintf(arg, sizeof(arg), "-iTCP:%ld", port);
	/* 1: nothing matched (or an error lsof also reports on stderr) */
	if ((rv = force_tool(argv, out, sizeof(out))) != 0 && rv != 1)
		force_tool_fail(m, "lsof", rv);
	for (line = out; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next != '\0')
			*next++ = '\0';
		if (util_parse_long(line, 1, (long)INT32_MAX, &pid) == 0)
			force_add(s, (pid_t)pid);
	}
}

/*
 * Parent, state and command name of pid: /proc/PID/stat where there is
 * one ("pid (comm) state ppid ...", comm may hold spaces and
 * parentheses), else ps(1).  -1 when the process is gone.
 */
static int
force_proc(pid_t pid, pid_t *ppid, char comm[FORCE_COMM], char *state)
{
	char path[64], buf[512], st[16], *l, *r;
	char arg[32],
	    *argv[] = { "ps", "-o", "ppid=,stat=,comm=", "-p", arg, NULL };
	FILE *f;
	long  pp;
	int   n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		n = fgets(buf, sizeof(buf), f) != NULL;
		fclose(f);
		if (!n || (l = strchr(buf, '(')) == NULL ||
		    (r = strrchr(buf, ')')) == NULL || r[1] == '\0' ||
		    sscanf(r + 2, "%c %ld", state, &pp) != 2)
			return -1;
		*r = '\0';
		snprintf(comm, FORCE_COMM, "%s", l + 1);
		*ppid = (pid_t)pp;
		return 0;
	}
	if (access("/proc/self/stat", F_OK) == 0)
		return -1; /* a /proc, and pid is not in it */
	snprintf(arg, sizeof(arg), "%ld", (long)pid);
	if (force_tool(argv, buf, sizeof(buf)) != 0 ||
	    sscanf(buf, "%ld %15s %63s", &pp, st, comm) != 3)
		return -1;
	*state = st[0];
	*ppid = (pid_t)pp;
	return 0;
}

/* Gone, or a zombie: it holds no socket any more. */
static int
force_gone(pid_t pid)
{
	char  comm[FORCE_COMM], state;
	pid_t pp;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	if (force_proc(pid, &pp, comm, &state) == -1)
		return 1;
	return state == 'Z';
}

/* Our own ancestry: never to be signalled (we would end ourselves). */
static void
force_ancestors(struct force_pids *anc)
{
	char  comm[FORCE_COMM], state;
	pid_t p = getpid(), pp;

	force_add(anc, p);
	while (p > 1 && anc->n < FORCE_MAXPID &&
	    force_proc(p, &pp, comm, &state) == 0 && pp != p) {
		force_add(anc, pp);
		p = pp;
	}
}

/* The topmost ancestor of pid that is in held (a holder itself). */
static pid_t
force_top(pid_t pid, const struct force_pids *held)
{
	char  comm[FORCE_COMM], state;
	pid_t pp;
	int   i;

	for (i = 0; i < FORCE_MAXPID; i++) {
		if (force_proc(pid, &pp, comm, &state) == -1 || pp <= 1 ||
		    pp == pid || !force_has(held, pp))
			break;
		pid = pp;
	}
	return pid;
}

static void
force_comm(pid_t pid, char comm[FORCE_COMM])
{
	char  state;
	pid_t pp;

	if (force_proc(pid, &pp, comm, &state) == -1)
		snprintf(comm, FORCE_COMM, "?");
}

static void
force_signal(struct master *m, pid_t pid, const char *comm, long port)
{
	log_info("--force: pid %ld (%s) listens on port %ld: sending SIGTERM",
	    (long)pid, comm, port);
	if (kill(pid, SIGTERM) == -1 && errno != ESRCH)
		master_fail(m, EXIT_RUNTIME,
		    "--force: cannot stop pid %ld (%s) on port %ld: %s",
		    (long)pid, comm, port, strerror(errno));
}

/*
 * Until each is gone; a gateway drains first, for its
 * gateway.drainTimeoutMs (ours is the best guess of its).
 */
static void
force_wait(struct master *m, const struct force_pids *tops,
    char comms[][FORCE_COMM])
{
	uint64_t wait_ms, start = util_mono_ms();
	int      i, left;

	wait_ms = (uint64_t)m->m_cfg.drain_ms + MASTER_KILL_GRACE_MS + 1000;
	if (wait_ms < FORCE_WAIT_MIN)
		wait_ms = FORCE_WAIT_MIN;
	for (;;) {
		for (i = 0, left = -1; i < tops->n && left == -1; i++)
			if (!force_gone(tops->v[i]))
				left = i;
		if (left == -1)
			break;
		if (util_mono_ms() - start >= wait_ms)
			master_fail(m, EXIT_RUNTIME,
			    "--force: pid %ld (%s) still runs %llu ms after "
			    "SIGTERM; the port is not free",
			    (long)tops->v[left], comms[left],
			    (unsigned long long)wait_ms);
		usleep(FORCE_POLL_MS * 1000);
	}
	for (i = 0; i < tops->n; i++)
		log_info("--force: stopped pid %ld (%s)", (long)tops->v[i],
		    comms[i]);
}

/* The ports this start will bind: main, and canvas unless it is off. */
static int
force_port_list(const struct master *m, long port, long ports[2])
{
	long canvas;
	int  n = 0;

	ports[n++] = port;
	canvas = m->m_cfg.canvas_port != 0 ? m->m_cfg.canvas_port : port + 4;
	if (m->m_cfg.canvas_enabled && canvas != port && canvas <= 65535)
		ports[n++] = canvas;
	return n;
}

/* Anything listening again once ours are gone: not ours to fight. */
static void
force_check_holders(struct master *m, const long *ports, int nports)
{
	struct force_pids held;
	char              comm[FORCE_COMM];
	int               i;

	for (i = 0; i < nports; i++) {
		memset(&held, 0, sizeof(held));
		force_listeners(m, ports[i], &held);
		if (held.n == 0)
			continue;
		force_comm(held.v[0], comm);
		master_fail(m, EXIT_RUNTIME,
		    "--force: port %ld is in use again, by pid %ld (%s): "
		    "something started it again (a service manager?); stop "
		    "that instead",
		    ports[i], (long)held.v[0], comm);
	}
}

/*
 * The top of each tree holding one of the ports, once per tree.  Every
 * holder of every port is known before the first signal: a gateway
 * whose master is already gone would otherwise show its workers as
 * trees of their own.
 */
static void
force_tops(struct master *m, const long *ports, int nports,
    struct force_pids *tops, long *tport)
{
	struct force_pids held, anc;
	long              hport[FORCE_MAXPID];
	pid_t             top;
	int               i, j, n;

	memset(&held, 0, sizeof(held));
	memset(&anc, 0, sizeof(anc));
	force_ancestors(&anc);
	for (i = 0; i < nports; i++) {
		n = held.n;
		force_listeners(m, ports[i], &held);
		for (j = n; j < held.n; j++)
			hport[j] = ports[i];
	}
	for (j = 0; j < held.n; j++) {
		top = force_top(held.v[j], &held);
		if (top <= 1 || force_has(&anc, top))
			master_fail(m, EXIT_RUNTIME,
			    "--force: port %ld is held by pid %ld, this "
			    "process or one of its ancestors; not stopping it",
			    hport[j], (long)top);
		if (force_has(tops, top))
			continue;
		if (tops->n == FORCE_MAXPID)
			master_fail(m, EXIT_RUNTIME,
			    "--force: more than %d processes listen on port "
			    "%ld; stop them yourself",
			    FORCE_MAXPID, hport[j]);
		tport[tops->n] = hport[j];
		tops->v[tops->n++] = top;
	}
}

/*
 * Called before the lock is taken (the gateway we stop may hold it) and
 * before anything binds.  port is --port, or 0 for the config's.
 */
void
force_ports(struct master *m, long port)
{
	struct force_pids tops;
	char              comms[FORCE_MAXPID][FORCE_COMM];
	long              ports[2], tport[FORCE_MAXPID];
	const char       *lp = getenv("LISTEN_PID");
	int               i, nports;

	if (lp != NULL && atol(lp) == (long)getpid()) {
		log_info("--force: the service manager passed the sockets; "
		         "nothing to free");
		return;
	}
	nports = force_port_list(m, port != 0 ? port : m->m_cfg.port, ports);
	memset(&tops, 0, sizeof(tops));
	force_tops(m, ports, nports, &tops, tport);
	for (i = 0; i < tops.n; i++) {
		force_comm(tops.v[i], comms[i]);
		force_signal(m, tops.v[i], comms[i], tport[i]);
	}
	if (tops.n == 0)
		return;
	force_wait(m, &tops, comms);
	force_check_holders(m, ports, nports);
}
