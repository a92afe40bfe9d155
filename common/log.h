/*
 * Logging: one line per event on stdout ("time level subsystem message")
 * and, when a file is open, one JSON object per line with the keys stock
 * `openclaw logs` reads (time, level, subsystem, message).  Secrets must
 * never be passed here.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR
};

/* Process-wide subsystem ("gateway", "gateway/ws", ...); not copied. */
void log_init(const char *subsystem, int verbose);
/* Append JSON lines to path (0600, created if needed); -1 on failure. */
int log_open_file(const char *path);
/* Use an already-open descriptor for the JSON lines (workers inherit it). */
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
