/*
 * The log module on its own: escaping, clipping, secret redaction, the
 * rate limiter's accounting, a stdout pipe nobody reads (no block, whole
 * lines, every line written or counted, the inherited description left
 * blocking) and a log file that hits RLIMIT_FSIZE (whole lines only).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "common/log-int.h"
#include "common/log.h"
#include "protocol/shm-layout.h"
#include "t/unit/tap.h"

static void
test_escape(void)
{
	char   out[64];
	size_t n;

	n = log_escape(out, sizeof(out), "a\nb\x1b[2J\x7f", 8);
	ok(strcmp(out, "a\\x0ab\\x1b[2J\\x7f") == 0, "controls and DEL: %s",
	    out);
	is_int(n, strlen(out), "length returned");
	log_escape(out, sizeof(out),
	    "caf\xc3\xa9 \xc2\x9b"
	    "1m \xff",
	    12);
	ok(strcmp(out, "caf\xc3\xa9 \\xc2\\x9b1m \\xff") == 0,
	    "UTF-8 kept, C1 and stray bytes escaped: %s", out);
	log_escape(out, 8, "\n\n\n", 3);
	ok(strcmp(out, "\\x0a") == 0, "cut at a whole escape: %s", out);
}

static void
test_clip(void)
{
	char b[LOG_CLIP_SIZE], p[LOG_PATH_SIZE], big[300];

	ok(strcmp(log_clip(b, "short"), "short") == 0, "short kept");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(strlen(log_clip(b, big)), LOG_CLIP_MAX + 3, "clipped + ...");
	ok(strcmp(log_clip(b, NULL), "(null)") == 0, "NULL");
	ok(strcmp(log_clip_path(p, "/healthz?token=T"), "/healthz?...") == 0,
	    "query dropped");
	ok(strcmp(log_clip_path(p, "/a/b"), "/a/b") == 0, "path kept");
	is_int(strlen(log_clip_path(p, big)), LOG_PATH_MAX + 3, "long path");
}

static void
test_redact(void)
{
	char out[128];

	log_secret_add("tok", 3);
	log_secret_add("tokenlong", 9);
	log_redact(out, sizeof(out), "a tokenlong b tok c to", 22);
	ok(strcmp(out, "a *** b *** c to") == 0, "secrets replaced: %s", out);
	log_redact(out, sizeof(out), "xxtokenlongtok", 14);
	ok(strcmp(out, "xx******") == 0, "adjacent, at the end: %s", out);
	log_redact(out, 6, "abtokcd", 7);
	ok(strcmp(out, "ab***") == 0, "cut after a whole ***: %s", out);
	is_int(log_secrets_longest(), 9, "longest secret");
	log_secrets_clear();
	log_redact(out, sizeof(out), "tok", 3);
	ok(strcmp(out, "tok") == 0, "cleared");
}

/* Everything readable now from fd, NUL-terminated (heap). */
static char *
drain(int fd)
{
	size_t  len = 0, cap = 1 << 16;
	char   *buf = malloc(cap);
	ssize_t n;

	for (;;) {
		if (len + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		if ((n = read(fd, buf + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* Many addresses, 2 lines each: the kind's own bound holds them. */
static void
test_limit_many(int rfd)
{
	char addr[32], want[96], *out;
	int  i, allowed = 0;

	usleep(1100 * 1000);
	for (i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "10.1.0.%d", i);
		allowed += log_limit("spray", addr);
		allowed += log_limit("spray", addr);
	}
	is_int(allowed, LOG_LIMIT_KIND_PER_SEC, "50 of 200 from 100 addresses");
	usleep(1100 * 1000);
	ok(log_limit("spray", "10.1.0.1"), "a new second");
	out = drain(rfd);
	snprintf(want, sizeof(want),
	    "suppressed %d similar lines (spray from any address)",
	    200 - LOG_LIMIT_KIND_PER_SEC);
	is_int(count(out, want), 1, "one summary for the kind");
	free(out);
}

static void
test_limit(int rfd)
{
	char *out;
	int   i, allowed = 0;

	for (i = 0; i < 8; i++)
		allowed += log_limit("kind", "10.0.0.1");
	is_int(allowed, LOG_LIMIT_PER_SEC, "5 of 8 in a second");
	ok(log_limit("kind", "10.0.0.2"), "another address has its own");
	ok(log_limit("other", "10.0.0.1"), "another kind has its own");
	usleep(1100 * 1000);
	ok(log_limit("kind", "10.0.0.1"), "a new second");
	out = drain(rfd);
	is_int(count(out, "suppressed 3 similar lines (kind from 10.0.0.1)"), 1,
	    "one summary of the 3 suppressed");
	free(out);
	test_limit_many(rfd);
}

static int
whole_lines(const char *s)
{
	const char *nl;

	for (; *s != '\0'; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			return 0;
		if (strncmp(s, "20", 2) != 0 || nl - s < 30)
			return 0;
	}
	return 1;
}

/* stdout is p[1], p[0] is not read until the lines are written. */
static void
test_blocked(int p[2], const char *what)
{
	struct shm_log_drops d;
	struct event_base   *base;
	int                  i, lines;
	char                *out, *all;

	memset(&d, 0, sizeof(d));
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	log_sink_set(LOG_SINK_STDOUT, p[1]);
	log_set_drop_counters(&d);
	ok((fcntl(p[1], F_GETFL) & O_NONBLOCK) == 0,
	    "%s: the inherited description stays blocking", what);
	alarm(20); /* a blocking write would hang here */
	for (i = 0; i < 4000; i++)
		log_info("line %d of a stdout nobody reads, padded to about "
		         "a hundred bytes",
		    i);
	alarm(0);
	ok(atomic_load(&d.stdout_lines) > 0, "%s: lines dropped: %llu", what,
	    (unsigned long long)atomic_load(&d.stdout_lines));
	/* The reader comes back; the event loop flushes the rest. */
	base = event_base_new();
	log_attach(base);
	all = calloc(1, 1);
	for (i = 0; i < 100; i++) {
		out = drain(p[0]);
		all = realloc(all, strlen(all) + strlen(out) + 1);
		strcat(all, out);
		free(out);
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	log_info("after");
	out = drain(p[0]);
	all = realloc(all, strlen(all) + strlen(out) + 1);
	strcat(all, out);
	log_detach();
	event_base_free(base);
	ok(whole_lines(all), "%s: whole lines only", what);
	lines = count(all, "\n");
	ok(count(all, "dropped ") == 1 && count(all, "(stdout blocked)") == 1,
	    "%s: one report of the drop", what);
	is_int(lines, 4000 - (int)atomic_load(&d.stdout_lines) + 2,
	    "%s: every line written or counted (+ after + report)", what);
	free(out);
	free(all);
	log_set_drop_counters(NULL);
}

static void
test_blocked_stdout(void)
{
	int p[2];

	if (pipe(p) == -1)
		abort();
	test_blocked(p, "pipe");
	log_sink_set(LOG_SINK_STDOUT, p[1]);
	test_limit(p[0]);
	log_sink_set(LOG_SINK_STDOUT, -1);
	close(p[0]);
	close(p[1]);
	/* journald's stdout: MSG_DONTWAIT, no description changed. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) == -1)
		abort();
	test_blocked(p, "socket");
	log_sink_set(LOG_SINK_STDOUT, -1);
	close(p[0]);
	close(p[1]);
}

/* In a child: RLIMIT_FSIZE cuts a write short, as a full disk does. */
static void
fsize_child(const char *path)
{
	struct rlimit rl = { 2000, RLIM_INFINITY };
	int           fd, i;

	signal(SIGXFSZ, SIG_IGN);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600)) ==
	    -1)
		_exit(2);
	log_sink_set(LOG_SINK_STDOUT, -1);
	log_set_file_fd(fd);
	setrlimit(RLIMIT_FSIZE, &rl);
	for (i = 0; i < 40; i++)
		log_info("file line %d", i);
	rl.rlim_cur = RLIM_INFINITY;
	setrlimit(RLIMIT_FSIZE, &rl);
	log_info("space is back");
	_exit(0);
}

static void
test_file_full(void)
{
	char         path[] = "/tmp/test-log-XXXXXX", *text, *s, *nl, *r;
	int          fd, st, bad = 0, n = 0, written, dropped = 0;
	pid_t        pid;
	json_object *o;

	if ((fd = mkstemp(path)) == -1)
		abort();
	close(fd);
	if ((pid = fork()) == 0)
		fsize_child(path);
	waitpid(pid, &st, 0);
	fd = open(path, O_RDONLY);
	text = drain(fd);
	close(fd);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer exited");
	ok(text[0] != '\0' && text[strlen(text) - 1] == '\n',
	    "ends with a whole line");
	written = count(text, "\"message\":\"file line ");
	if ((r = strstr(text, "dropped ")) != NULL)
		dropped = atoi(r + 8);
	ok(dropped > 0 && strstr(text, "(log file: ") != NULL,
	    "space back: %d lost lines reported", dropped);
	is_int(written + dropped, 40, "every line written or counted");
	for (s = text; (nl = strchr(s, '\n')) != NULL; s = nl + 1, n++) {
		*nl = '\0';
		if ((o = json_tokener_parse(s)) == NULL)
			bad++;
		json_object_put(o);
	}
	is_int(bad, 0, "%d lines, each whole JSON", n);
	free(text);
	unlink(path);
}

int
main(void)
{
	log_init("test", 0);
	test_escape();
	test_clip();
	test_redact();
	test_blocked_stdout();
	test_file_full();
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
