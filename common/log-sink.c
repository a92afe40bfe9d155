/*
 * Where lines go: stdout and the log file, without ever blocking the
 * event loop, whole lines or none.
 *
 * A pipe or terminal gets a private non-blocking file description,
 * reopened through /proc/self/fd (setting O_NONBLOCK on the description
 * we inherited would change it for the shell or supervisor sharing it);
 * only where that fails is O_NONBLOCK set on the inherited one.  A socket
 * (journald's stdout) is sent to with MSG_DONTWAIT, which changes no
 * description.  What the reader does not take waits in a bounded buffer
 * (LOG_SINK_BUF) that the event loop flushes when the fd is writable; a
 * line that does not fit is dropped whole and counted, and once the
 * buffer is empty again one line says how many were lost.
 *
 * A regular file never makes write(2) wait for a reader, but a full disk
 * (or RLIMIT_FSIZE) cuts a line short and the next one would continue it.
 * The file is written through a private O_APPEND description, so after a
 * short write of k bytes lseek(SEEK_CUR) is where OUR bytes end; if the
 * file still ends there (no other process appended after us), it is cut
 * back by k bytes and the line counts as dropped.  Another process would
 * have to append in the microseconds between our write and the truncate,
 * on a disk that just refused us: then the torn line stays (and counts).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log-int.h"
#include "common/log.h"
#include "common/util.h"
#include "protocol/shm-layout.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define LOG_SINK_BUF     (128 * 1024) /* per sink and process */
#define LOG_SINK_EXIT_MS 500          /* at exit, for what is buffered */

enum log_sink_kind {
	SINK_FILE,   /* regular file: direct, cut back on a short write */
	SINK_STREAM, /* pipe, terminal: non-blocking, buffered */
	SINK_SOCK,   /* socket: MSG_DONTWAIT, buffered */
};

struct log_sink {
	const char        *name; /* in the drop report */
	int                fd;   /* written; -1: no sink */
	int                own;  /* fd is a private description of ours */
	enum log_sink_kind kind;
	char              *buf; /* lines not yet written (SINK_STREAM, _SOCK) */
	size_t             len;
	int                torn;   /* buf starts inside a half-written line */
	int                ok;     /* the last write went through */
	uint64_t           missed; /* dropped since the last report */
	int                err;    /* why the last drop: errno, 0: short */
	uint64_t           local;  /* dropped, not yet in shared memory */
	struct event      *ev;
};

static struct log_sink log_sinks[LOG_SINK_N] = {
	{ "stdout", -1, 0, SINK_FILE, NULL, 0, 0, 1, 0, 0, 0, NULL },
	{ "log file", -1, 0, SINK_FILE, NULL, 0, 0, 1, 0, 0, 0, NULL },
};
static struct event_base    *log_base;
static struct shm_log_drops *log_drops;

static int
sink_again(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

static size_t
sink_lines(const char *p, size_t len)
{
	const char *end = p + len;
	size_t      n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

static void
sink_count(struct log_sink *s, uint64_t lines)
{
	_Atomic uint64_t *c;

	if (log_drops == NULL) {
		s->local += lines;
		return;
	}
	c = s == &log_sinks[LOG_SINK_STDOUT] ? &log_drops->stdout_lines :
	                                       &log_drops->file_lines;
	atomic_fetch_add(c, lines);
}

static void
sink_drop(struct log_sink *s, int err, uint64_t lines)
{
	if (lines == 0)
		return;
	s->missed += lines;
	s->err = err;
	s->ok = 0;
	sink_count(s, lines);
}

static ssize_t
sink_write(struct log_sink *s, const char *p, size_t len)
{
	ssize_t n;

	do {
		if (s->kind == SINK_SOCK)
			n = send(s->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(s->fd, p, len);
	} while (n == -1 && errno == EINTR);
	return n;
}

/* The reader is gone or the fd broken: what waits is lost. */
static void
sink_fail(struct log_sink *s, int err)
{
	sink_drop(s, err, sink_lines(s->buf, s->len));
	s->len = 0;
	s->torn = 0;
}

/* Write what is buffered, as far as the fd takes it. */
static void
sink_flush(struct log_sink *s)
{
	ssize_t n;

	while (s->len > 0) {
		if ((n = sink_write(s, s->buf, s->len)) <= 0) {
			if (n == -1 && !sink_again(errno))
				sink_fail(s, errno);
			return;
		}
		s->torn = s->buf[n - 1] != '\n';
		memmove(s->buf, s->buf + n, s->len - (size_t)n);
		s->len -= (size_t)n;
	}
	s->ok = 1;
}

static void
sink_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct log_sink *s = arg;

	(void)fd;
	(void)ev;
	sink_flush(s);
	if (s->len == 0)
		event_del(s->ev);
	log_reports();
}

static void
sink_arm(struct log_sink *s)
{
	if (s->len == 0 || log_base == NULL || s->fd == -1)
		return;
	if (s->ev == NULL &&
	    (s->ev = event_new(log_base, s->fd, EV_WRITE | EV_PERSIST, sink_cb,
	         s)) == NULL)
		return; /* the next line or the exit flushes */
	if (!event_pending(s->ev, EV_WRITE, NULL))
		event_add(s->ev, NULL);
}

static void
sink_stream_put(struct log_sink *s, const char *line, size_t len)
{
	ssize_t n = 0;

	if (s->len > 0)
		sink_flush(s);
	if (s->len == 0 && s->fd != -1) {
		if ((n = sink_write(s, line, len)) == (ssize_t)len) {
			s->ok = 1;
			return;
		}
		if (n == -1 && !sink_again(errno)) {
			sink_drop(s, errno, 1);
			return;
		}
		if (n == -1)
			n = 0;
		line += n;
		len -= (size_t)n;
	}
	/* A line begun must be finished: the buffer is empty then. */
	if (s->buf == NULL || (n == 0 && s->len + len > LOG_SINK_BUF)) {
		sink_drop(s, EAGAIN, 1);
		return;
	}
	memcpy(s->buf + s->len, line, len);
	s->len += len;
	if (n > 0)
		s->torn = 1;
	sink_arm(s);
}

/* After a short write of k bytes: take them back if they end the file. */
static void
sink_untear(struct log_sink *s, size_t k)
{
	struct stat st;
	off_t       end;

	if (!s->own || (end = lseek(s->fd, 0, SEEK_CUR)) == -1 ||
	    (size_t)end < k || fstat(s->fd, &st) == -1 || st.st_size != end)
		return;
	if (ftruncate(s->fd, end - (off_t)k) == -1)
		return;
}

static void
sink_file_put(struct log_sink *s, const char *line, size_t len)
{
	ssize_t n;

	if ((n = sink_write(s, line, len)) == (ssize_t)len) {
		s->ok = 1;
		return;
	}
	if (n > 0)
		sink_untear(s, (size_t)n);
	sink_drop(s, n >= 0 ? 0 : errno, sink_lines(line, len));
}

void
log_sink_put(enum log_sink_id id, const char *line, size_t len)
{
	struct log_sink *s = &log_sinks[id];

	if (s->fd == -1)
		return;
	if (s->kind == SINK_FILE)
		sink_file_put(s, line, len);
	else
		sink_stream_put(s, line, len);
}

long long
log_sink_end(enum log_sink_id id)
{
	const struct log_sink *s = &log_sinks[id];

	if (s->fd == -1)
		return -1;
	return (long long)lseek(s->fd, 0, SEEK_CUR);
}

int
log_sink_active(enum log_sink_id id)
{
	return log_sinks[id].fd != -1;
}

/* A private description of fd's file (Linux); -1 if there is none. */
static int
sink_reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_WRONLY | O_CLOEXEC | O_NOCTTY);
}

static void
sink_open(struct log_sink *s, int fd)
{
	struct stat st;
	int         fl;

	if (fd == -1 || fstat(fd, &st) == -1)
		return;
	s->fd = fd;
	if (S_ISSOCK(st.st_mode)) {
		s->kind = SINK_SOCK;
	} else if (S_ISREG(st.st_mode)) {
		s->kind = SINK_FILE;
		if ((s->fd = sink_reopen(fd, O_APPEND)) == -1)
			s->fd = fd;
	} else {
		s->kind = SINK_STREAM;
		if ((s->fd = sink_reopen(fd, O_NONBLOCK)) == -1) {
			s->fd = fd;
			if ((fl = fcntl(fd, F_GETFL)) != -1)
				(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		}
	}
	s->own = s->fd != fd;
	if (s->kind != SINK_FILE && s->buf == NULL)
		s->buf = malloc(LOG_SINK_BUF);
}

/*
 * What is buffered was meant for the old fd: the rest of a line begun
 * there is dropped, whole lines go to the new one.
 */
void
log_sink_set(enum log_sink_id id, int fd)
{
	struct log_sink *s = &log_sinks[id];
	char            *nl;
	size_t           cut;

	if (s->ev != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (s->torn && (nl = memchr(s->buf, '\n', s->len)) != NULL) {
		cut = (size_t)(nl - s->buf) + 1;
		memmove(s->buf, s->buf + cut, s->len - cut);
		s->len -= cut;
		sink_drop(s, EAGAIN, 1);
	}
	s->torn = 0;
	if (s->own)
		close(s->fd);
	s->fd = -1;
	s->own = 0;
	sink_open(s, fd);
	if (s->len == 0)
		return;
	if (s->fd == -1 || s->kind == SINK_FILE) {
		if (s->fd != -1)
			sink_file_put(s, s->buf, s->len);
		else
			sink_drop(s, EBADF, sink_lines(s->buf, s->len));
		s->len = 0;
		return;
	}
	sink_arm(s);
}

int
log_sink_report(enum log_sink_id id, uint64_t *n, char *why, size_t len)
{
	struct log_sink *s = &log_sinks[id];

	if (s->missed == 0 || !s->ok || s->len > 0 || s->fd == -1)
		return 0;
	*n = s->missed;
	s->missed = 0;
	if (sink_again(s->err))
		snprintf(why, len, "%s blocked", s->name);
	else if (s->err == 0)
		snprintf(why, len, "%s: short write", s->name);
	else
		snprintf(why, len, "%s: %s", s->name, strerror(s->err));
	return 1;
}

void
log_sink_attach(struct event_base *base)
{
	int i;

	log_base = base;
	for (i = 0; i < LOG_SINK_N; i++)
		sink_arm(&log_sinks[i]);
}

void
log_sink_detach(void)
{
	int i;

	for (i = 0; i < LOG_SINK_N; i++) {
		if (log_sinks[i].ev != NULL)
			event_free(log_sinks[i].ev);
		log_sinks[i].ev = NULL;
	}
	log_base = NULL;
	log_drops = NULL;
}

struct event_base *
log_sink_base(void)
{
	return log_base;
}

void
log_sink_counters(struct shm_log_drops *d)
{
	int i;

	log_drops = d;
	if (d == NULL)
		return;
	for (i = 0; i < LOG_SINK_N; i++) {
		sink_count(&log_sinks[i], log_sinks[i].local);
		log_sinks[i].local = 0;
	}
}

void
log_sink_exit(void)
{
	struct log_sink *s;
	struct pollfd    pfd;
	uint64_t         end = util_mono_ms() + LOG_SINK_EXIT_MS, now;
	int              i;

	for (i = 0; i < LOG_SINK_N; i++) {
		s = &log_sinks[i];
		while (
		    s->len > 0 && s->fd != -1 && (now = util_mono_ms()) < end) {
			pfd.fd = s->fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)(end - now)) <= 0)
				break;
			sink_flush(s);
		}
	}
}
