#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log-int.h"
#include "common/log.h"

/*
 * A message is formatted into LOG_RAW_MAX bytes, its secrets replaced,
 * then escaped into LOG_LINE_MAX: a secret the format cut short at the
 * end of the raw text is beyond what is kept.
 */
#define LOG_LINE_MAX 4096
#define LOG_RAW_MAX  (2 * LOG_LINE_MAX)

static const char *log_subsystem = "gateway";
static int         log_verbose_flag;
static int         log_fd = -1;
static long long   log_fd_max;  /* 0: no limit */
static int         log_fd_full; /* full() called for this log_fd */
static void (*log_full_cb)(void *);
static void *log_full_arg;

static const char *const log_names[] = { "debug", "info", "warn", "error" };

static int log_started;

/* stdout as a sink; lines before log_init (a library's) need it too. */
static void
log_start(void)
{
	log_sink_set(LOG_SINK_STDOUT, STDOUT_FILENO);
	if (!log_started++)
		atexit(log_sink_exit);
}

void
log_init(const char *subsystem, int verbose)
{
	log_subsystem = subsystem;
	log_verbose_flag = verbose;
	log_start();
}

void
log_attach(struct event_base *base)
{
	log_sink_attach(base);
}

void
log_flush(void)
{
	log_sink_exit();
}

void
log_detach(void)
{
	log_limit_detach();
	log_sink_detach();
}

void
log_set_drop_counters(struct shm_log_drops *d)
{
	log_sink_counters(d);
}

void
log_set_file_fd(int fd)
{
	/* Even for the same number: it may name another file now. */
	log_sink_set(LOG_SINK_FILE, fd);
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
 * Every process appends to the same file (O_APPEND), so after a write
 * the offset of the description written through is the size of the
 * file: one cheap lseek per line tells the writer that crossed the limit, and the file is
 * rotated at once rather than at a timer's next tick, whatever the rate
 * of the lines.
 */
static void
log_file_check_full(void)
{
	long long end;

	if (log_full_cb == NULL || log_fd_max <= 0 || log_fd_full)
		return;
	if ((end = log_sink_end(LOG_SINK_FILE)) == -1 || end < log_fd_max)
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
		log_sink_put(LOG_SINK_FILE, line, len + 1);
		free(line);
		log_file_check_full();
	}
	json_object_put(o);
}

/*
 * The message of a line: secrets replaced, then escaped, then (a secret
 * could be spelt with escapes) replaced again.
 */
static void
log_message(char *msg, size_t size, const char *fmt, va_list ap, int with_errno,
    int saved)
{
	char   raw[LOG_RAW_MAX], tmp[LOG_RAW_MAX];
	size_t n, cut;
	int    rv;

	rv = vsnprintf(raw, sizeof(raw), fmt, ap);
	n = rv < 0 ? 0 : (size_t)rv;
	if (n >= sizeof(raw)) {
		/* Whatever the cut left of a secret must not show. */
		n = sizeof(raw) - 1;
		cut = log_secrets_longest();
		n = cut < n ? n - cut : 0;
		raw[n] = '\0';
	}
	if (with_errno)
		n += (size_t)snprintf(raw + n, sizeof(raw) - n, ": %s",
		    strerror(saved));
	if (n >= sizeof(raw))
		n = sizeof(raw) - 1;
	n = log_redact(tmp, sizeof(tmp), raw, n);
	n = log_escape(raw, size, tmp, n);
	log_redact(msg, size, raw, n);
}

static void
log_vemit(enum log_level lvl, const char *fmt, va_list ap, int with_errno)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128], ts[40];
	int  saved = errno, n;

	if (lvl == LOG_LVL_DEBUG && !log_verbose_flag)
		return;
	if (!log_started)
		log_start();
	log_message(msg, sizeof(msg), fmt, ap, with_errno, saved);
	log_timestamp(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s %-5s %s %s\n", ts, log_names[lvl],
	    log_subsystem, msg);
	if (n > (int)sizeof(line) - 1) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	log_sink_put(LOG_SINK_STDOUT, line, (size_t)n);
	if (log_fd != -1)
		log_file_line(ts, lvl, msg);
	log_reports();
	errno = saved;
}

void
log_reports(void)
{
	static int busy;
	char       why[128];
	uint64_t   n;
	int        i;

	if (busy)
		return;
	busy = 1;
	for (i = 0; i < LOG_SINK_N; i++)
		if (log_sink_report(i, &n, why, sizeof(why)))
			log_warnx("dropped %llu log line%s (%s)",
			    (unsigned long long)n, n == 1 ? "" : "s", why);
	busy = 0;
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
