/*
 * An incremental parser of server-sent events (text/event-stream, as the
 * WHATWG HTML standard defines it) for the bytes a model provider
 * streams.  It never assumes a line or an event is whole in one buffer:
 * any chunking, down to one byte at a time, gives the same events.
 * Lines end in CRLF, LF or CR; "data:" lines join with LF; lines that
 * start with ':' are comments; "event:" names the event ("message" when
 * none); "id:" and "retry:" are read and ignored.  Unlike a browser, an
 * event left without its blank line at EOF is still dispatched by
 * sse_finish (providers that close right after the last "data:").
 *
 * Memory is bounded: a line longer than max_line or an event whose data
 * exceeds max_event is an error, not growth.
 */
#ifndef WORKERS_AGENT_SSE_H
#define WORKERS_AGENT_SSE_H

#include <stddef.h>

#define SSE_EVENT_NAME_MAX 64

/*
 * One event: its name and its data (NUL-terminated, len bytes, the
 * final LF removed).  Return 0 to go on, -1 to stop: sse_feed then
 * returns -1 and the parser takes no more input.
 */
typedef int (
    *sse_event_cb)(void *arg, const char *event, const char *data, size_t len);

struct sse_parser;

struct sse_parser      *
sse_new(size_t max_line, size_t max_event, sse_event_cb, void *arg);
void sse_free(struct sse_parser *);
/* 0, or -1: a limit was passed (sse_error says which) or cb stopped. */
int sse_feed(struct sse_parser *, const char *buf, size_t len);
/* End of stream: the last line and event without their terminators. */
int sse_finish(struct sse_parser *);
/* Why the last -1 (a constant string); NULL when the callback stopped. */
const char *sse_error(const struct sse_parser *);
/* Bytes held now (for the memory figures). */
size_t sse_held(const struct sse_parser *);

#endif
