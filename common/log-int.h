/*
 * Inside the log module: the text filters (log-text.c, log-secrets.c),
 * the sinks (log-sink.c) and the rate limiter (log-limit.c).  Everything
 * else includes common/log.h only.
 */
#ifndef COMMON_LOG_INT_H
#define COMMON_LOG_INT_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct shm_log_drops;

/* Length of the longest registered secret (0: none). */
size_t log_secrets_longest(void);

enum log_sink_id {
	LOG_SINK_STDOUT,
	LOG_SINK_FILE,
	LOG_SINK_N
};

/*
 * Write to the sink on fd from now on (-1: none).  A regular file gets
 * a private O_APPEND description, a pipe or terminal a private
 * non-blocking one where the system can reopen it, a socket sends with
 * MSG_DONTWAIT.  fd stays the caller's.
 */
void log_sink_set(enum log_sink_id, int fd);
int  log_sink_active(enum log_sink_id);
/*
 * Where this process's last line to the sink ended: the file's size
 * then (its description is O_APPEND); -1 if unknown.
 */
long long log_sink_end(enum log_sink_id);
/* One whole line (with its newline): written, buffered or dropped. */
void log_sink_put(enum log_sink_id, const char *line, size_t len);
/*
 * 1 once a sink that dropped lines writes again: the count, and why in
 * why; the count restarts.
 */
int  log_sink_report(enum log_sink_id, uint64_t *n, char *why, size_t);
void log_sink_attach(struct event_base *);
void log_sink_detach(void);
struct event_base *log_sink_base(void);
void               log_sink_counters(struct shm_log_drops *);
/* At exit: give buffered lines a short, bounded chance to leave. */
void log_sink_exit(void);

/* log.c: log the reports log_sink_report has (a sink drained). */
void log_reports(void);

/* log-limit.c: the summary timer goes with the event loop. */
void log_limit_detach(void);

#endif
