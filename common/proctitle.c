/*
 * Process titles, as nginx's ngx_setproctitle does it on Linux.  Workers
 * are spawned through /proc/self/exe, so ps and top would call every one
 * of them "exe".  The title goes to two places:
 *  - comm (prctl(PR_SET_NAME), 15 bytes): top, ps -e, pgrep NAME, ss -p;
 *  - the argument area, which /proc/<pid>/cmdline reads: ps -f, pgrep -f.
 * The argument strings and, right after them, the environment strings
 * are one contiguous block the kernel gave us.  proctitle_init() copies
 * both to the heap and points argv[] and environ at the copies, so the
 * block is ours to overwrite and every option value (optarg points into
 * argv) stays valid.  A title longer than the block is cut.
 * Elsewhere: setproctitle(3) where the system has it, else nothing.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#if defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
#include <stdlib.h>
#define PROCTITLE_NATIVE 1
#endif

#include "common/proctitle.h"
#include "common/xmalloc.h"

extern char **environ;

static char  *title_start; /* the block: argv[0] .. title_end */
static size_t title_len;
/*
 * The environment's heap copies, owned here: unsetenv() takes a string
 * out of environ without freeing it (socket activation unsets LISTEN_*),
 * and the copy must not become a leak.  Only ever written: volatile, so
 * that no optimiser drops it.
 */
static char **volatile title_env;
/*
 * And the array itself: setenv() of a new variable moves environ to an
 * array of its own without freeing ours (the service commands set the
 * service's OPENCLAW_* before they load its config).
 */
static char **volatile title_environ;

/* Point each of v[0..n) at a heap copy; returns the end of the block. */
static char *
proctitle_move(char **v, int n, char *end)
{
	int i;

	for (i = 0; i < n; i++) {
		/* Only strings that follow each other are one block. */
		if (v[i] == end)
			end = v[i] + strlen(v[i]) + 1;
		v[i] = xstrdup(v[i]);
	}
	return end;
}

void
proctitle_init(int argc, char **argv)
{
#if defined(__linux__)
	char **env;
	char  *start, *end;
	int    n = 0;

	if (argc < 1 || argv[0] == NULL || title_start != NULL)
		return;
	start = argv[0];
	end = proctitle_move(argv, argc, start);
	while (environ[n] != NULL)
		n++;
	env = xcalloc((size_t)n + 1, sizeof(char *));
	memcpy(env, environ, (size_t)n * sizeof(char *));
	end = proctitle_move(env, n, end);
	title_env = xcalloc((size_t)n + 1, sizeof(char *));
	memcpy(title_env, env, (size_t)n * sizeof(char *));
	environ = title_environ = env;
	title_start = start;
	title_len = (size_t)(end - start);
#else
	(void)argc;
	(void)argv;
#endif
}

/*
 * comm is the short name (NULL: leave it); fmt the full title.  The
 * rest of the block is zeroed: the kernel reads the title up to its
 * NUL, and no old argument or variable (a token!) is left behind.
 */
void
proctitle_set(const char *comm, const char *fmt, ...)
{
	char    buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_NAME)
	if (comm != NULL)
		(void)prctl(PR_SET_NAME, comm, 0, 0, 0);
#else
	(void)comm;
#endif
#if defined(PROCTITLE_NATIVE)
	setproctitle("-%s", buf);
#else
	if (title_start == NULL || title_len < 2)
		return;
	memset(title_start, 0, title_len);
	memcpy(title_start, buf, strnlen(buf, title_len - 1));
#endif
}
