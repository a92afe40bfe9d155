/*
 * Server-sent events (the HTML "text/event-stream" format) on a chunked
 * response; back-pressure is the writer callback of response.c.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>

#include "common/http/conn.h"
#include "common/log.h"

void
http_sse_start(struct http_conn *c, const char *extra)
{
	http_respond_head(c, 200, extra, "text/event-stream; charset=utf-8",
	    -1);
}

/* Each line of data is a "data:" field; a blank line ends the event. */
void
http_sse_event(struct http_conn *c, const char *event, const char *data)
{
	struct evbuffer *ev;
	const char      *p, *nl;
	size_t           len;

	if ((ev = evbuffer_new()) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (event)");
	if (event != NULL)
		evbuffer_add_printf(ev, "event: %s\n", event);
	for (p = data;; p = nl + 1) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		evbuffer_add(ev, "data: ", 6);
		evbuffer_add(ev, p, len);
		evbuffer_add(ev, "\n", 1);
		if (nl == NULL)
			break;
	}
	evbuffer_add(ev, "\n", 1);
	len = evbuffer_get_length(ev);
	http_respond_chunk(c, evbuffer_pullup(ev, -1), len);
	evbuffer_free(ev);
}
