/*
 * Logging: one line per event on stdout ("time level subsystem message")
 * and, when a file is open, one JSON object per line with the keys stock
 * `openclaw logs` reads (time, level, subsystem, message).
 *
 * What a client sends cannot shape a line: every message is escaped
 * (control characters, DEL, C1 controls and bytes that are not UTF-8 as
 * \xNN, common/log-text.c) and every registered secret is replaced by
 * "***" (common/log-secrets.c) before it reaches a sink.  No sink blocks:
 * stdout is written without blocking through a bounded buffer, whole
 * lines or none (common/log-sink.c); what does not fit is dropped, counted
 * and reported once writing resumes.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR
};

/* Process-wide subsystem ("gateway", "gateway/ws", ...); not copied. */
void log_init(const char *subsystem, int verbose);
/*
 * Use an already-open descriptor for the JSON lines (workers inherit it);
 * the previous one is closed.  Safe at any time, lines buffered or not.
 */
void log_set_file_fd(int fd);
int  log_file_fd(void);
/*
 * Once a line written to the file leaves it at max bytes or more, call
 * full(arg), once per descriptor: the master rotates the file and hands
 * out a new descriptor (master/logfile.c).  max 0: never.
 */
void log_set_file_limit(long long max, void (*full)(void *), void *arg);
void log_set_verbose(int verbose);
int  log_verbose(void);

/*
 * The event loop that flushes what a blocked sink holds and ends the
 * rate limiter's windows; before it, buffered lines wait for the next
 * line or the exit.  log_detach before the base is freed.
 */
struct event_base;
void log_attach(struct event_base *);
/* Write what is buffered, within half a second (before an exec). */
void log_flush(void);
void log_detach(void);
/*
 * Count dropped lines in the shared memory (this process's row of
 * struct shm_log_drops), from now on and what was dropped before.
 * NULL: count here only (before the region is mapped, after unmapping).
 */
struct shm_log_drops;
void log_set_drop_counters(struct shm_log_drops *);

/*
 * Secrets no line may show: each occurrence becomes "***".  The copy is
 * ours; log_secrets_clear() forgets them all (before a new config).
 */
void log_secret_add(const char *, size_t);
void log_secrets_clear(void);
/*
 * The dated log files (no logging.file): <dir>/openclaw-YYYY-MM-DD.log,
 * openclaw-NAME-YYYY-MM-DD.log under the profile NAME (as the stock
 * gateway names them).  log_file_family: 1 for a name of the active
 * profile's family, archives (openclaw[-NAME]-YYYY-MM-DD.N.log)
 * included; log_file_dated: the path of day's file, -1 if it does not
 * fit (common/log-family.c).
 */
#define LOG_FILE_PREFIX "openclaw"
int log_file_family(const char *name);
int log_file_dated(char *buf, size_t len, const char *dir, const char *day);

/*
 * The two filters every line goes through, for text read back from the
 * log file (logs.tail).  log_redact: every registered secret in
 * src[0..len) replaced by "***" into dst (size bytes, NUL-terminated);
 * log_escape: control characters, DEL, C1 controls and non-UTF-8 bytes
 * as \xNN, cut at a whole character or escape when dst is full.  Both
 * return the length written.
 */
size_t log_redact(char *dst, size_t size, const char *src, size_t len);
size_t log_escape(char *dst, size_t size, const char *src, size_t len);
/* Those of a configuration: every CFG_SECRET key (common/log-config.c). */
struct gw_config;
void log_secrets_from_config(const struct gw_config *);

/*
 * A client string for a "%s": at most LOG_CLIP_MAX bytes of s (cut on a
 * character boundary, "..." marks the cut), in buf; "(null)" for NULL.
 * Escaping is done for every line anyway; this bounds the length.
 */
#define LOG_CLIP_MAX  64
#define LOG_CLIP_SIZE (LOG_CLIP_MAX + 4)
const char *log_clip(char buf[LOG_CLIP_SIZE], const char *s);
/* A request target without its query string ("?..." marks one), clipped. */
#define LOG_PATH_MAX  200
#define LOG_PATH_SIZE (LOG_PATH_MAX + 8)
const char *log_clip_path(char buf[LOG_PATH_SIZE], const char *target);

/*
 * Lines an unauthenticated client can cause: 1 if one of this kind (a
 * string constant) about this address may be logged now.  At most
 * LOG_LIMIT_PER_SEC per second per kind and address, and
 * LOG_LIMIT_KIND_PER_SEC per kind from all addresses together; the rest
 * are counted and summed up in one "suppressed K similar lines" line
 * when the second is over.
 */
#define LOG_LIMIT_PER_SEC      5
#define LOG_LIMIT_KIND_PER_SEC 50
int log_limit(const char *kind, const char *addr);

void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* As log_warnx, with ": strerror(errno)" appended. */
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Log and exit(status); only where a process ends. */
void fatalx(int status, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void fatal(int status, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Exit statuses, master and workers alike. */
#define EXIT_OK      0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2
#define EXIT_CONFIG  78

#endif
