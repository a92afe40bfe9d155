#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"

#define LOG_LINE_MAX 4096

static const char *log_subsystem = "gateway";
static int         log_verbose_flag;
static int         log_fd = -1;
static long long   log_fd_max;  /* 0: no limit */
static int         log_fd_full; /* full() called for this log_fd */
static void (*log_full_cb)(void *);
static void *log_full_arg;

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *subsystem, int verbose)
{
	log_subsystem = subsystem;
	log_verbose_flag = verbose;
}

int
log_open_file(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return -1;
	log_set_file_fd(fd);
	return 0;
}

void
log_set_file_fd(int fd)
{
	if (log_fd != -1 && log_fd != fd)
		close(log_fd);
	if (log_fd != fd)
		log_fd_full = 0;
	log_fd = fd;
}

void
log_set_file_limit(long long max, void (*full)(void *), void *arg)
{
	log_fd_max = max;
	log_full_cb = full;
	log_full_arg = arg;
}

/*
 * The descriptor is shared by every process (one open file, O_APPEND),
 * so after a write its offset is the size of the file: one cheap lseek
 * per line tells the writer that crossed the limit, and the file is
 * rotated at once rather than at a timer's next tick, whatever the rate
 * of the lines.
 */
static void
log_file_check_full(void)
{
	off_t end;

	if (log_full_cb == NULL || log_fd_max <= 0 || log_fd_full)
		return;
	if ((end = lseek(log_fd, 0, SEEK_CUR)) == -1 ||
	    (long long)end < log_fd_max)
		return;
	log_fd_full = 1; /* first: full() may log */
	log_full_cb(log_full_arg);
}

int
log_file_fd(void)
{
	return log_fd;
}

void
log_set_verbose(int verbose)
{
	log_verbose_flag = verbose;
}

int
log_verbose(void)
{
	return log_verbose_flag;
}

static void
log_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm       tm;
	char            tmp[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.19s.%03dZ", tmp, (int)(ts.tv_nsec / 1000000));
}

/* One write(2) per line, so lines from several processes never mix. */
static void
log_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void
log_file_line(const char *ts, enum log_level lvl, const char *msg)
{
	struct json_object *o, *meta;
	char                name[128];
	const char         *s;
	size_t              len;
	char               *line;

	o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(ts));
	json_object_object_add(o, "level",
	    json_object_new_string(log_names[lvl]));
	json_object_object_add(o, "subsystem",
	    json_object_new_string(log_subsystem));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "0", json_object_new_string(msg));
	meta = json_object_new_object();
	snprintf(name, sizeof(name), "{\"subsystem\":\"%s\"}", log_subsystem);
	json_object_object_add(meta, "name", json_object_new_string(name));
	json_object_object_add(meta, "date", json_object_new_string(ts));
	json_object_object_add(meta, "logLevelName",
	    json_object_new_string(lvl == LOG_LVL_DEBUG ? "DEBUG" :
	            lvl == LOG_LVL_INFO                 ? "INFO" :
	            lvl == LOG_LVL_WARN                 ? "WARN" :
	                                                  "ERROR"));
	json_object_object_add(o, "_meta", meta);
	s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(s);
	if ((line = malloc(len + 1)) != NULL) {
		memcpy(line, s, len);
		line[len] = '\n';
		log_write_all(log_fd, line, len + 1);
		free(line);
		log_file_check_full();
	}
	json_object_put(o);
}

static void
log_vemit(enum log_level lvl, const char *fmt, va_list ap, int with_errno)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128], ts[40];
	int  saved = errno, n;

	if (lvl == LOG_LVL_DEBUG && !log_verbose_flag)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = (int)strlen(msg);
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(saved));
	}
	log_timestamp(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s %-5s %s %s\n", ts, log_names[lvl],
	    log_subsystem, msg);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	log_write_all(STDOUT_FILENO, line, (size_t)n);
	if (log_fd != -1)
		log_file_line(ts, lvl, msg);
	errno = saved;
}

#define LOG_FN(fn, lvl, err)                  \
	void fn(const char *fmt, ...)         \
	{                                     \
		va_list ap;                   \
                                              \
		va_start(ap, fmt);            \
		log_vemit(lvl, fmt, ap, err); \
		va_end(ap);                   \
	}

LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_errorx, LOG_LVL_ERROR, 0)

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, fmt, ap, 0);
	va_end(ap);
	exit(status);
}

void
fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, fmt, ap, 1);
	va_end(ap);
	exit(status);
}
