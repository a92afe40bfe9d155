/*
 * The response writer: the headers every response of every role carries
 * are decided here, once (see server.h), then a fixed body, a chunked
 * one, or one fed by a writer callback as the output drains.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/http/conn.h"
#include "common/log.h"
#include "common/sockio.h"

static const char *
http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 416:
		return "Range Not Satisfiable";
	case 426:
		return "Upgrade Required";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Error";
}

/* RFC 9110 IMF-fixdate, without strftime so the locale cannot matter. */
void
http_date(time_t t, char *buf, size_t len)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm         tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* the modulos bound every field, for the compiler's sake */
	snprintf(buf, len, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT",
	    days[(unsigned)tm.tm_wday % 7], (unsigned)tm.tm_mday % 32,
	    months[(unsigned)tm.tm_mon % 12],
	    (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 24,
	    (unsigned)tm.tm_min % 60, (unsigned)tm.tm_sec % 61);
}

void
http_resp_reset(struct http_conn *c)
{
	if (c->resp.file_fd != -1)
		close(c->resp.file_fd);
	memset(&c->resp, 0, sizeof(c->resp));
	c->resp.file_fd = -1;
}

void
http_respond_close(struct http_conn *c)
{
	c->close_after = 1;
}

void
http_respond_cache(struct http_conn *c, const char *cache)
{
	c->resp.cache = cache;
}

int
http_respond_bodiless(const struct http_conn *c)
{
	return c->resp.bodiless;
}

size_t
http_respond_queued(const struct http_conn *c)
{
	return sockio_queued(c->sio);
}

/* Whether the connection can carry another request after this one. */
static void
http_resp_decide_close(struct http_conn *c, int status)
{
	const struct http_head *h = &c->head;

	if (h->state != HTTP_HEAD_DONE || !h->keep_alive || c->srv->draining ||
	    c->peer_eof)
		c->close_after = 1;
	/* A body left unread would be taken for the next request. */
	if (h->state == HTTP_HEAD_DONE &&
	    (h->chunked || h->content_length > 0) && !c->body.done)
		c->close_after = 1;
	if (status >= 400 && status != 404 && status != 405 && status != 503)
		c->close_after = 1;
}

/* The request line as a client sent it, without its query (tokens). */
static void
http_resp_log(const struct http_conn *c, int status)
{
	char mb[LOG_CLIP_SIZE], pb[LOG_PATH_SIZE];
	int  done = c->head.state == HTTP_HEAD_DONE;

	log_debug("%s %s -> %d", done ? log_clip(mb, c->head.method_name) : "-",
	    done ? log_clip_path(pb, c->head.url) : "-", status);
}

static void
http_resp_framing(struct http_conn *c, struct evbuffer *out, long long length)
{
	if (length >= 0)
		evbuffer_add_printf(out, "Content-Length: %lld\r\n", length);
	else if (length == -1 && c->head.http_minor == 0) {
		c->close_after = 1; /* HTTP/1.0: the close ends the body */
	} else if (length == -1) {
		c->resp.chunked = 1;
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
	}
}

void
http_respond_head(struct http_conn *c, int status, const char *extra,
    const char *ctype, long long length)
{
	struct evbuffer *out = sockio_output(c->sio);
	char             date[64];

	http_resp_decide_close(c, status);
	c->resp.status = status;
	c->resp.bodiless = status == 304 ||
	    (c->head.state == HTTP_HEAD_DONE && c->head.method == HTTP_HEAD);
	http_date(time(NULL), date, sizeof(date));
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
	    http_reason(status), date);
	if (ctype != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	http_resp_framing(c, out, length);
	evbuffer_add_printf(out,
	    "Cache-Control: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n%sConnection: %s\r\n\r\n",
	    c->resp.cache != NULL ? c->resp.cache : "no-store",
	    extra != NULL ? extra : "",
	    c->close_after ? "close" : "keep-alive");
	if (log_verbose())
		http_resp_log(c, status);
	/* What the request used is answered; what follows stays. */
	evbuffer_drain(sockio_input(c->sio), c->fed);
	c->fed = 0;
	c->state = HTTP_WRITING;
	http_conn_timer(c, HTTP_WRITE_TIMEOUT_MS);
}

void
http_respond_chunk(struct http_conn *c, const void *data, size_t len)
{
	struct evbuffer *out = sockio_output(c->sio);

	if (c->resp.bodiless || len == 0)
		return;
	if (c->resp.chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	if (c->resp.chunked)
		evbuffer_add(out, "\r\n", 2);
}

void
http_respond_end(struct http_conn *c)
{
	if (c->resp.chunked && !c->resp.bodiless)
		evbuffer_add(sockio_output(c->sio), "0\r\n\r\n", 5);
	c->resp.ended = 1;
	c->resp.writer = NULL;
	/* Nothing left to flush means no drain callback: finish from the
	 * loop, not from inside the caller. */
	if (sockio_queued(c->sio) == 0)
		event_active(c->wev, EV_WRITE, 1);
}

void
http_respond(struct http_conn *c, int status, const char *extra,
    const char *ctype, const void *body, size_t len)
{
	http_respond_head(c, status, extra, ctype, (long long)len);
	http_respond_chunk(c, body, len);
	http_respond_end(c);
}

void
http_respond_json(struct http_conn *c, int status, const char *extra,
    const char *body)
{
	http_respond(c, status, extra, "application/json; charset=utf-8", body,
	    strlen(body));
}

/* message and type are literals: nothing in them needs JSON escaping. */
void
http_respond_error(struct http_conn *c, int status, const char *extra,
    const char *message, const char *type)
{
	char body[512];

	snprintf(body, sizeof(body),
	    "{\"error\":{\"message\":\"%s\","
	    "\"type\":\"%s\"}}",
	    message, type);
	http_respond_json(c, status, extra, body);
}

void
http_respond_writer(struct http_conn *c, size_t mark, http_writer_fn *fn,
    void *arg)
{
	c->resp.writer = fn;
	c->resp.writer_arg = arg;
	c->resp.mark = mark;
	if (fn != NULL && sockio_queued(c->sio) < mark)
		event_active(c->wev, EV_WRITE, 1);
}

/* Bytes left the output: the client is reading. */
void
http_resp_progress(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn *c = arg;

	if (info->n_deleted == 0 || c->state != HTTP_WRITING)
		return;
	http_conn_timer(c, HTTP_WRITE_TIMEOUT_MS);
	/* Never call out from inside libevent's drain of this buffer. */
	if (c->resp.writer != NULL && evbuffer_get_length(buf) < c->resp.mark)
		event_active(c->wev, EV_WRITE, 1);
}

void
http_resp_wakeup(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)ev;
	if (c->state != HTTP_WRITING)
		return;
	if (c->resp.ended) {
		if (sockio_queued(c->sio) == 0)
			http_conn_done(c);
		return;
	}
	if (c->resp.writer != NULL && sockio_queued(c->sio) < c->resp.mark)
		c->resp.writer(c, c->resp.writer_arg);
}

/* The output is empty: the next piece of a file, or the next request. */
void
http_resp_drained(struct http_conn *c)
{
	if (c->state != HTTP_WRITING)
		return;
	if (c->resp.file_fd != -1) {
		http_static_more(c);
		if (sockio_queued(c->sio) > 0)
			return;
	}
	if (c->resp.ended) {
		http_conn_done(c);
		return;
	}
	/* An idle stream (events come when they come): no write timeout. */
	evtimer_del(c->timer);
	if (c->resp.writer != NULL)
		c->resp.writer(c, c->resp.writer_arg);
}
