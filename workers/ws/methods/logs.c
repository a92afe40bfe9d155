/*
 * The logs family: logs.tail (protocol.md 6.10), the end of the JSON-lines
 * log file read back, as the reference's src/logging/log-tail.ts does:
 * without a cursor the last maxBytes; with one, from it on (a cursor past
 * the end means a new file: reset, and the tail again; more than maxBytes
 * behind: reset, truncated, skippedBytes); a line cut by the window's
 * start is dropped, so is the unfinished last one (the next cursor points
 * at it); the last `limit` lines are kept.
 *
 * The file is the one the master writes (its path comes with IMSG_FD_LOG,
 * again after each rotation or new day); in the dated mode a missing file
 * (being rotated, or removed) gives way to the newest of its family.  It
 * is opened without following a symlink and without blocking on a FIFO,
 * and must be a regular file.  One pread of at most 1 MB per call.
 *
 * The lines already went through the log filters when written; they go
 * through them again, for a secret configured since (log_redact) and for
 * bytes nobody should receive (log_escape, for a line with control
 * characters or bytes that are not UTF-8: a text frame must be UTF-8).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/ws/frame.h"
#include "common/xmalloc.h"
#include "protocol/call.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

#define LOGS_DEFAULT_LIMIT     500
#define LOGS_DEFAULT_MAX_BYTES 250000

/* What part of the file a call reads, and what it says about it. */
struct logs_slice {
	long long size;
	long long start;   /* first byte read */
	long long cursor;  /* the next call's: after the last whole line */
	long long skipped; /* bytes jumped over; -1: none */
	int       truncated;
	int       reset;
};

static long long
logs_param(struct json_object *params, const char *key, long long def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, key, &v))
		return def;
	return json_object_get_int64(v);
}

/* The window: cursor -1 when the call has none. */
static void
logs_window(struct logs_slice *sl, long long cursor, long long max)
{
	long long tail = sl->size > max ? sl->size - max : 0;

	sl->skipped = -1;
	sl->truncated = sl->reset = 0;
	if (cursor < 0 || cursor > sl->size) {
		sl->reset = cursor > sl->size;
		sl->start = tail;
		sl->truncated = tail > 0;
	} else if (sl->size - cursor > max) {
		sl->reset = sl->truncated = 1;
		sl->skipped = tail - cursor;
		sl->start = tail;
	} else
		sl->start = cursor;
}

/* A regular file at path, never through a symlink; -1 and errno. */
static int
logs_open(const char *path, struct stat *st)
{
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Modification time in ns: a rotation renames several files in a second. */
static long long
logs_mtime(const struct stat *st)
{
#ifdef __APPLE__
	const struct timespec *ts = &st->st_mtimespec;
#else
	const struct timespec *ts = &st->st_mtim;
#endif

	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* In the dated file's directory, the newest regular file of the family. */
static char *
logs_newest(const char *path)
{
	const char    *slash = strrchr(path, '/');
	struct dirent *de;
	struct stat    st;
	DIR           *d;
	char           dir[PATH_MAX], *best = NULL;
	long long      best_t = 0;
	int            dfd;

	if (slash == NULL ||
	    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) < 0)
		return NULL;
	dfd = open(dir[0] != '\0' ? dir : "/",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (!log_file_family(de->d_name) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode) ||
		    (best != NULL && logs_mtime(&st) <= best_t))
			continue;
		free(best);
		xasprintf(&best, "%s/%s", dir, de->d_name);
		best_t = logs_mtime(&st);
	}
	closedir(d);
	return best;
}

/* len bytes at off, or fewer at the end of the file; -1 on error. */
static ssize_t
logs_pread(int fd, char *buf, size_t len, off_t off)
{
	size_t  got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Whether s can go out as it is: UTF-8 without control characters. */
static int
logs_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t               i;

	for (i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f ||
		    (p[i] == 0xc2 && i + 1 < len && p[i + 1] < 0xa0))
			return 0;
	return ws_utf8_valid(p, len);
}

/* One line through the filters, as a JSON string. */
static struct json_object *
logs_line(const char *p, size_t len)
{
	struct json_object *o;
	char               *r, *e;
	size_t              n, size = 3 * len + 1; /* "***" for 1-byte ones */

	r = xmalloc(size);
	n = log_redact(r, size, p, len);
	if (!logs_clean(r, n)) {
		e = xmalloc(4 * n + 1);
		n = log_escape(e, 4 * n + 1, r, n);
		free(r);
		r = xmalloc(n + 1);
		n = log_redact(r, n + 1, e, n);
		free(e);
	}
	o = json_object_new_string_len(r, (int)n);
	free(r);
	return o;
}

/*
 * The lines of data[0..len) (whole lines only: len ends after a newline),
 * the first dropped if cut, the last `limit` kept.
 */
static struct json_object *
logs_lines(const char *data, size_t len, int cut, long long limit,
    int *truncated)
{
	struct json_object *a = json_object_new_array();
	const char         *p = data, *end = data + len, *nl;
	long long           n = 0;

	if (cut && (nl = memchr(p, '\n', len)) != NULL)
		p = nl + 1;
	for (nl = p; nl < end;
	     nl = (const char *)memchr(nl, '\n', end - nl) + 1)
		n++;
	for (; n > limit; n--) {
		p = (const char *)memchr(p, '\n', end - p) + 1;
		*truncated = 1;
	}
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		json_object_array_add(a, logs_line(p, nl - p));
	}
	return a;
}

static struct json_object *
logs_result(const char *file, const struct logs_slice *sl,
    struct json_object *lines)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "cursor", json_object_new_int64(sl->cursor));
	json_object_object_add(o, "size", json_object_new_int64(sl->size));
	json_object_object_add(o, "lines",
	    lines != NULL ? lines : json_object_new_array());
	json_object_object_add(o, "truncated",
	    json_object_new_boolean(sl->truncated));
	json_object_object_add(o, "reset", json_object_new_boolean(sl->reset));
	if (sl->skipped >= 0)
		json_object_object_add(o, "skippedBytes",
		    json_object_new_int64(sl->skipped));
	return o;
}

/* Read the slice of fd; NULL (errno) on a read error. */
static struct json_object *
logs_read(int fd, struct logs_slice *sl, long long limit)
{
	struct json_object *lines;
	size_t              pre = sl->start > 0, len;
	char               *buf, *last;
	ssize_t             n;

	sl->cursor = sl->size;
	if (sl->size <= sl->start)
		return json_object_new_array();
	len = (size_t)(sl->size - sl->start) + pre;
	buf = xmalloc(len);
	if ((n = logs_pread(fd, buf, len, (off_t)(sl->start - pre))) == -1) {
		free(buf);
		return NULL;
	}
	sl->cursor = sl->start;
	lines = json_object_new_array();
	for (last = buf + n - 1; last >= buf + pre && *last != '\n'; last--)
		;
	if (last >= buf + pre) {
		sl->cursor += last + 1 - (buf + pre);
		json_object_put(lines);
		lines = logs_lines(buf + pre, last + 1 - (buf + pre),
		    pre && buf[0] != '\n', limit, &sl->truncated);
	}
	free(buf);
	return lines;
}

static void
logs_fail(struct gw_call *call, const char *file, const char *why)
{
	char msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), "log read failed: %s: %s", file, why);
	gw_call_error(call, "UNAVAILABLE", msg);
}

static void
m_logs_tail(struct gw_call *call, void *ctx)
{
	struct ws_server   *s = ctx;
	struct json_object *params = gw_call_params(call), *lines;
	struct logs_slice   sl;
	struct stat         st;
	const char         *path = s->w->log_path;
	char               *other = NULL;
	int                 fd, err;

	if (path == NULL) {
		gw_call_error(call, "UNAVAILABLE",
		    "log read failed: the gateway writes no log file");
		return;
	}
	fd = logs_open(path, &st);
	err = fd == -1 ? errno : 0;
	if (err == ENOENT &&
	    (s->w->cfg.log_file == NULL || s->w->cfg.log_file[0] == '\0') &&
	    (other = logs_newest(path)) != NULL) {
		path = other;
		fd = logs_open(path, &st);
		err = fd == -1 ? errno : 0;
	}
	if (fd == -1 && err != ENOENT) {
		logs_fail(call, path,
		    err == EINVAL    ? "not a regular file" :
		        err == ELOOP ? "a symbolic link" :
		                       strerror(err));
		free(other);
		return;
	}
	sl.size = fd == -1 ? 0 : (long long)st.st_size;
	logs_window(&sl, logs_param(params, "cursor", -1),
	    logs_param(params, "maxBytes", LOGS_DEFAULT_MAX_BYTES));
	sl.cursor = sl.size;
	lines = fd == -1 ?
	    json_object_new_array() :
	    logs_read(fd, &sl, logs_param(params, "limit", LOGS_DEFAULT_LIMIT));
	if (lines == NULL)
		logs_fail(call, path, strerror(errno));
	else
		gw_call_ok(call, logs_result(path, &sl, lines));
	if (fd != -1)
		close(fd);
	free(other);
}

const struct gw_method ws_methods_logs[] = {
	{ "logs.tail", "operator.read", "method.logs.tail", m_logs_tail },
	{ NULL, NULL, NULL, NULL },
};
