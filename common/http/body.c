/*
 * Request bodies: the head's http-parser goes on past the head, so
 * Content-Length and chunked framing are decoded by the same parser that
 * checked them.  The route bounds the size (413) and the time without a
 * byte (408); the parser pauses at the end of the message, so what a
 * pipelining client sent next stays in the input.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>

#include "common/http/conn.h"
#include "common/log.h"
#include "common/sockio.h"

static int body_on_data(http_parser *, const char *, size_t);
static int body_on_complete(http_parser *);

static const http_parser_settings body_settings = {
	.on_body = body_on_data,
	.on_message_complete = body_on_complete,
};

struct evbuffer *
http_conn_body(const struct http_conn *c)
{
	return c->body.done ? c->body.buf : NULL;
}

void
http_body_free(struct http_body *b)
{
	if (b->buf != NULL)
		evbuffer_free(b->buf);
	memset(b, 0, sizeof(*b));
}

static int
body_on_data(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (evbuffer_get_length(c->body.buf) + len > c->body.max) {
		c->body.too_big = 1;
		return -1;
	}
	evbuffer_add(c->body.buf, at, len);
	return 0;
}

static int
body_on_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	c->body.done = 1;
	http_parser_pause(p, 1);
	return 0;
}

static int
body_timeout(const struct http_conn *c)
{
	return c->route->body_timeout_ms > 0 ? c->route->body_timeout_ms :
	                                       HTTP_BODY_TIMEOUT_MS;
}

static int
body_too_big(struct http_conn *c)
{
	c->close_after = 1;
	http_respond_error(c, 413, NULL, "request body too large",
	    "invalid_request_error");
	return -1;
}

int
http_body_begin(struct http_conn *c)
{
	const struct http_head *h = &c->head;

	if (!h->chunked && h->content_length == 0) {
		c->body.done = 1; /* nothing to read */
		return 1;
	}
	/* Not read: answered as is, then closed (see response.c). */
	if (c->route->body_max == 0 || h->upgrade)
		return 1;
	if (h->has_content_length && h->content_length > c->route->body_max)
		return body_too_big(c);
	if ((c->body.buf = evbuffer_new()) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (request body)");
	c->body.max = c->route->body_max;
	if (h->http_minor >= 1 &&
	    http_head_has_token(h, "Expect", "100-continue"))
		evbuffer_add_printf(sockio_output(c->sio),
		    "HTTP/1.1 100 Continue\r\n\r\n");
	c->state = HTTP_READ_BODY;
	http_conn_timer(c, body_timeout(c));
	return 0;
}

/*
 * Paused in on_headers_complete, the parser still has to see the head's
 * final LF (head.c counted it as used): it learns the framing there.
 */
static size_t
body_execute(struct http_conn *c, const char *data, size_t len)
{
	http_parser *p = &c->head.parser;

	p->data = c;
	http_parser_pause(p, 0);
	if (!c->body.started) {
		c->body.started = 1;
		(void)http_parser_execute(p, &body_settings, "\n", 1);
		if (c->body.done || HTTP_PARSER_ERRNO(p) != HPE_OK)
			return 0;
	}
	return http_parser_execute(p, &body_settings, data, len);
}

/* 1: the body is complete; 0: more to come; -1: answered (an error). */
static int
body_verdict(struct http_conn *c, size_t len, size_t nparsed)
{
	http_parser *p = &c->head.parser;

	if (c->body.too_big)
		return body_too_big(c);
	if (c->body.done) {
		c->fed += nparsed;
		return 1;
	}
	if (HTTP_PARSER_ERRNO(p) != HPE_OK) {
		c->close_after = 1;
		http_respond_error(c, 400, NULL, "bad request body",
		    "invalid_request_error");
		return -1;
	}
	c->fed += len;
	return 0;
}

int
http_body_feed(struct http_conn *c)
{
	struct evbuffer      *in = sockio_input(c->sio);
	struct evbuffer_ptr   p;
	struct evbuffer_iovec v[8];
	size_t                total, nparsed;
	int                   i, n, rv;

	if (c->body.done)
		return 1;
	while ((total = evbuffer_get_length(in)) > c->fed) {
		http_conn_timer(c, body_timeout(c)); /* progress */
		if (evbuffer_ptr_set(in, &p, c->fed, EVBUFFER_PTR_SET) == -1)
			return 0;
		n = evbuffer_peek(in, (ev_ssize_t)(total - c->fed), &p, v, 8);
		for (i = 0; i < n && i < 8; i++) {
			nparsed = body_execute(c, v[i].iov_base, v[i].iov_len);
			if ((rv = body_verdict(c, v[i].iov_len, nparsed)) != 0)
				return rv;
		}
	}
	return c->body.done ? 1 : 0;
}
