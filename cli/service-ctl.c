/*
 * The service manager, driven through its own command as an operator
 * would: `systemctl [--user] VERB UNIT`, `launchctl VERB gui/UID/LABEL`.
 * Found on PATH; its output is read back (bounded) for `show`/`print`,
 * and shown to the operator when it fails.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/service.h"

#define SVC_CTL_MAX_ARGS 16
#define SVC_CTL_MAX_OUT  (256 * 1024)
#define SVC_CTL_NOTFOUND 127

static void
svc_ctl_child(int out, char *const *argv)
{
	int null;

	if ((null = open("/dev/null", O_RDONLY)) != -1 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	dup2(out, 1);
	dup2(out, 2);
	if (out > 2)
		close(out);
	execvp(argv[0], argv);
	dprintf(2, "%s: %s\n", argv[0], strerror(errno));
	_exit(SVC_CTL_NOTFOUND);
}

/* All the child writes, at most SVC_CTL_MAX_OUT of it kept. */
static char *
svc_ctl_read(int fd)
{
	char   *buf = xmalloc(SVC_CTL_MAX_OUT + 1), chunk[4096];
	size_t  len = 0;
	ssize_t n;

	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n > SVC_CTL_MAX_OUT - len)
			n = (ssize_t)(SVC_CTL_MAX_OUT - len);
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static int
svc_ctl_argv(const struct svc *s, const char *const *args, char **argv)
{
	int n = 0;

	argv[n++] = s->manager == SVC_SYSTEMD ? "systemctl" : "launchctl";
	if (s->manager == SVC_SYSTEMD && s->scope == SVC_USER)
		argv[n++] = "--user";
	for (; *args != NULL && n < SVC_CTL_MAX_ARGS - 1; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	return n;
}

/* The manager's command with args (NULL-terminated): svc_run(). */
int
svc_ctl(const struct svc *s, char **out, const char *const *args)
{
	char *argv[SVC_CTL_MAX_ARGS];

	svc_ctl_argv(s, args, argv);
	return svc_run(argv, out);
}

/*
 * Run argv[0] (found on PATH) with argv, stdin /dev/null, its stdout and
 * stderr in *out (heap, NUL-terminated, bounded) when out is not NULL.
 * Its exit status; 127 when it could not be run; -1 on our own failure.
 */
int
svc_run(char *const *argv, char **out)
{
	char *text;
	int   p[2], status;
	pid_t pid;

	if (out != NULL)
		*out = xstrdup(
		    "cannot run it: out of processes or descriptors");
	if (pipe(p) == -1)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (out != NULL)
		free(*out);
	if (pid == 0) {
		close(p[0]);
		svc_ctl_child(p[1], argv);
	}
	close(p[1]);
	text = svc_ctl_read(p[0]);
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (out != NULL)
		*out = text;
	else
		free(text);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The manager's output, as one trimmed line per line, on stderr. */
static void
svc_ctl_show(const char *text)
{
	const char *l, *nl;

	for (l = text; *l != '\0'; l = *nl ? nl + 1 : nl) {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l);
		if (nl > l)
			fprintf(stderr, "  %.*s\n", (int)(nl - l), l);
	}
}

/*
 * `systemctl [--user] VERB UNIT`; for launchd the caller passes its own
 * args to svc_ctl().  0, or -1 with what the manager said on stderr
 * (unless quiet).
 */
int
svc_ctl_verb(const struct svc *s, const char *verb, int quiet)
{
	const char *args[] = { verb, s->name, NULL };
	char       *out;
	int         rv;

	if (s->manager == SVC_LAUNCHD)
		args[1] = s->target;
	rv = svc_ctl(s, &out, args);
	if (rv != 0 && !quiet) {
		if (rv == SVC_CTL_NOTFOUND &&
		    strstr(out, "No such file") != NULL)
			fprintf(stderr, "openclaw: %s is not on PATH\n",
			    s->manager == SVC_SYSTEMD ? "systemctl" :
			                                "launchctl");
		else {
			fprintf(stderr, "openclaw: %s %s failed (exit %d):\n",
			    s->manager == SVC_SYSTEMD ? "systemctl" :
			                                "launchctl",
			    verb, rv);
			svc_ctl_show(out);
		}
	}
	free(out);
	return rv == 0 ? 0 : -1;
}

int
svc_daemon_reload(const struct svc *s)
{
	const char *args[] = { "daemon-reload", NULL };
	char       *out;
	int         rv;

	if (s->manager != SVC_SYSTEMD)
		return 0;
	if ((rv = svc_ctl(s, &out, args)) != 0) {
		fprintf(stderr,
		    "openclaw: systemctl daemon-reload failed "
		    "(exit %d):\n",
		    rv);
		svc_ctl_show(out);
	}
	free(out);
	return rv == 0 ? 0 : -1;
}

/* The value of "key=value" (systemd) or "key = value" (launchd). */
static int
svc_prop(const char *text, const char *key, const char *sep, char *buf,
    size_t len)
{
	const char *l, *nl, *v;
	size_t      klen = strlen(key), slen = strlen(sep);

	for (l = text; *l != '\0'; l = *nl ? nl + 1 : nl) {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l);
		v = l + strspn(l, " \t");
		if (strncmp(v, key, klen) != 0 || strncmp(v + klen, sep, slen))
			continue;
		v += klen + slen;
		snprintf(buf, len, "%.*s", (int)(nl - v), v);
		return 0;
	}
	if (len > 0)
		buf[0] = '\0';
	return -1;
}

static long
svc_prop_long(const char *text, const char *key, const char *sep, long dflt)
{
	char buf[32];
	long v;

	if (svc_prop(text, key, sep, buf, sizeof(buf)) == -1 ||
	    util_parse_long(buf, -1, 0x7fffffffL, &v) == -1)
		return dflt;
	return v;
}

static void
svc_runtime_systemd(const char *out, struct svc_runtime *rt)
{
	svc_prop(out, "ActiveState", "=", rt->state, sizeof(rt->state));
	svc_prop(out, "SubState", "=", rt->sub, sizeof(rt->sub));
	svc_prop(out, "ExecMainCode", "=", rt->exit_code,
	    sizeof(rt->exit_code));
	svc_prop(out, "LoadState", "=", rt->load_state, sizeof(rt->load_state));
	svc_prop(out, "UnitFileState", "=", rt->file_state,
	    sizeof(rt->file_state));
	rt->pid = svc_prop_long(out, "MainPID", "=", 0);
	rt->exit_status = svc_prop_long(out, "ExecMainStatus", "=", -1);
	rt->missing = strcmp(rt->load_state, "not-found") == 0;
	rt->running = strcmp(rt->state, "active") == 0 ||
	    strcmp(rt->state, "reloading") == 0;
	rt->loaded = strncmp(rt->file_state, "enabled", 7) == 0;
}

static void
svc_runtime_launchd(const char *out, struct svc_runtime *rt)
{
	svc_prop(out, "state", " = ", rt->state, sizeof(rt->state));
	rt->pid = svc_prop_long(out, "pid", " = ", 0);
	rt->exit_status = svc_prop_long(out, "last exit code", " = ", -1);
	rt->running = strcmp(rt->state, "running") == 0;
	rt->loaded = 1;
}

/* What the manager says of the service, in rt. */
void
svc_runtime(const struct svc *s, struct svc_runtime *rt)
{
	const char *sd[] = { "show", s->name, "--no-pager", "--property",
		"ActiveState,SubState,MainPID,ExecMainStatus,ExecMainCode,"
		"LoadState,UnitFileState",
		NULL };
	const char *ld[] = { "print", s->target, NULL };
	char       *out = NULL;
	int         rv;

	memset(rt, 0, sizeof(*rt));
	rt->exit_status = -1;
	rv = svc_ctl(s, &out, s->manager == SVC_SYSTEMD ? sd : ld);
	if (rv == 0) {
		rt->known = 1;
		if (s->manager == SVC_SYSTEMD)
			svc_runtime_systemd(out, rt);
		else
			svc_runtime_launchd(out, rt);
	} else if (s->manager == SVC_LAUNCHD && rv != SVC_CTL_NOTFOUND &&
	    rv != -1) {
		/* launchctl print: 113, "Could not find service" */
		rt->known = rt->missing = 1;
	} else
		snprintf(rt->detail, sizeof(rt->detail), "%s",
		    out != NULL && *out ? strtok(out, "\n") :
		                          "the service manager did not answer");
	free(out);
}
