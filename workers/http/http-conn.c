#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "common/net.h"
#include "common/sockio.h"
#include "common/xmalloc.h"
#include "workers/http/http.h"
#include "workers/worker.h"

static void	http_conn_process(struct http_conn *);

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

static void
http_conn_timer(struct http_conn *c, int ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

void
http_conn_free(struct http_conn *c)
{
	struct http_server	*s = c->srv;

	http_handoff_forget(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	sockio_free(c->sio);
	event_free(c->timer);
	http_head_free(&c->head);
	free(c);
	http_server_check_drained(s);
}

int
http_conn_idle(const struct http_conn *c)
{
	return c->state == HC_READING && c->fed == 0 &&
	    evbuffer_get_length(sockio_input(c->sio)) == 0;
}

void
http_conn_respond(struct http_conn *c, int status, const char *extra,
    const char *ctype, const char *body, size_t len)
{
	struct evbuffer	*out = sockio_output(c->sio);
	int		 head_only = c->head.method == HTTP_HEAD;

	if (c->state == HC_READING && c->head.method_name != NULL &&
	    (c->head.chunked || c->head.content_length > 0))
		c->close_after = 1;	/* we never read request bodies */
	if (status >= 400 && status != 404 && status != 405 && status != 503)
		c->close_after = 1;
	if (!c->head.keep_alive || c->srv->w->draining || c->peer_eof)
		c->close_after = 1;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s"
	    "Connection: %s\r\n\r\n", status, http_reason(status), ctype, len,
	    extra ? extra : "", c->close_after ? "close" : "keep-alive");
	if (!head_only && len > 0)
		evbuffer_add(out, body, len);
	if (log_verbose())
		log_debug("%s %s -> %d", c->head.method_name ?
		    c->head.method_name : "-", c->head.url ? c->head.url : "-",
		    status);
	evbuffer_drain(sockio_input(c->sio), c->fed);
	c->fed = 0;
	c->state = HC_WRITING;
	/*
	 * Reading goes on while the response goes out (toggling it costs
	 * two epoll_ctl per request); http_conn_read_cb bounds what waits.
	 */
	evtimer_del(c->timer);
}

void
http_conn_json(struct http_conn *c, int status, const char *extra,
    const char *body)
{
	http_conn_respond(c, status, extra, "application/json; charset=utf-8",
	    body, strlen(body));
}

/*
 * Closing with unread request bytes makes the kernel answer with a RST
 * that can destroy the response in flight: shut our side and swallow
 * input for a while first (a lingering close).
 */
static void
http_conn_linger(struct http_conn *c)
{
	struct evbuffer	*in = sockio_input(c->sio);

	if (c->peer_eof || shutdown(sockio_fd(c->sio), SHUT_WR) == -1) {
		http_conn_free(c);
		return;
	}
	c->state = HC_LINGER;
	c->lingered = evbuffer_get_length(in);
	evbuffer_drain(in, c->lingered);
	http_conn_timer(c, HTTP_LINGER_MS);
	sockio_set_reading(c->sio, 1);
}

/* The response is out: close, or on to the next request. */
static void
http_conn_drain_cb(struct sockio *so, void *arg)
{
	struct http_conn	*c = arg;

	if (c->state != HC_WRITING)
		return;
	if (c->close_after) {
		http_conn_linger(c);
		return;
	}
	http_head_reset(&c->head);
	c->state = HC_READING;
	sockio_set_reading(so, 1);
	http_conn_timer(c, HTTP_IDLE_TIMEOUT_MS);
	if (evbuffer_get_length(sockio_input(so)) > 0)
		http_conn_process(c);	/* pipelined request */
}

static void
http_conn_route(struct http_conn *c)
{
	evtimer_del(c->timer);
	if (http_handoff_route(c))
		return;
	if (http_probe_route(c))
		return;
	http_conn_json(c, 404, NULL,
	    "{\"error\":{\"message\":\"Not Found\",\"type\":\"not_found\"}}");
}

/* Feed only the bytes the head parser has not seen yet. */
static void
http_conn_process(struct http_conn *c)
{
	struct evbuffer		*in = sockio_input(c->sio);
	struct evbuffer_ptr	 p;
	struct evbuffer_iovec	 v[8];
	size_t			 total, used;
	int			 i, n, rv;

	while (c->state == HC_READING &&
	    (total = evbuffer_get_length(in)) > c->fed) {
		if (c->fed == 0)	/* a head's clock starts at its first byte */
			http_conn_timer(c, HTTP_HEAD_TIMEOUT_MS);
		if (evbuffer_ptr_set(in, &p, c->fed, EVBUFFER_PTR_SET) == -1)
			return;
		n = evbuffer_peek(in, (ev_ssize_t)(total - c->fed), &p, v, 8);
		for (i = 0; i < n && i < 8; i++) {
			rv = http_head_feed(&c->head, v[i].iov_base,
			    v[i].iov_len, &used);
			if (rv == HTTP_HEAD_ERROR) {
				c->close_after = 1;
				c->fed += v[i].iov_len;
				http_conn_json(c, c->head.status, NULL,
				    "{\"error\":{\"message\":\"bad request\","
				    "\"type\":\"invalid_request_error\"}}");
				return;
			}
			if (rv == HTTP_HEAD_DONE) {
				c->fed += used;
				http_conn_route(c);
				return;
			}
			c->fed += v[i].iov_len;
		}
	}
}

static void
http_conn_read_cb(struct sockio *so, struct evbuffer *in, void *arg)
{
	struct http_conn	*c = arg;
	size_t			 n;

	switch (c->state) {
	case HC_LINGER:
		n = evbuffer_get_length(in);
		evbuffer_drain(in, n);
		if ((c->lingered += n) > HTTP_LINGER_MAX)
			http_conn_free(c);
		break;
	case HC_READING:
		http_conn_process(c);
		break;
	default:
		/*
		 * Pipelined bytes wait for the response in flight; a client
		 * that sends without reading must not grow them for ever.
		 */
		if (evbuffer_get_length(in) > HTTP_HEAD_MAX_BYTES)
			sockio_set_reading(so, 0);
		break;
	}
}

/* A half-closed client still gets the response it is waiting for. */
static void
http_conn_close_cb(struct sockio *so, int error, void *arg)
{
	struct http_conn	*c = arg;

	(void)so;
	c->peer_eof = 1;
	if (error == 0 && c->state == HC_WRITING) {
		c->close_after = 1;
		return;
	}
	http_conn_free(c);
}

static const struct sockio_cb http_conn_io = {
	http_conn_read_cb,
	http_conn_drain_cb,
	http_conn_close_cb,
};

static void
http_conn_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (c->state == HC_READING && c->fed > 0) {
		c->close_after = 1;
		http_conn_json(c, 408, NULL,
		    "{\"error\":{\"message\":\"request head timeout\","
		    "\"type\":\"timeout\"}}");
		return;
	}
	if (c->state == HC_WAITING) {
		log_warnx("hand-off target did not come back in time");
		c->close_after = 1;
		http_conn_json(c, 503, "Retry-After: 1\r\n",
		    "{\"error\":{\"message\":\"gateway worker restarting\","
		    "\"type\":\"unavailable\"}}");
		return;
	}
	http_conn_free(c);
}

void
http_conn_accept(struct http_server *s, int fd, struct sockaddr *sa,
    int socklen)
{
	struct http_conn	*c;
	int			 one = 1;

	if (s->w->draining) {
		close(fd);
		return;
	}
	/*
	 * Responses and events are whole messages: Nagle would hold a
	 * large one's last segment for the peer's delayed ACK (40 ms).  Set
	 * here, it goes with the socket to ws and canvas.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	if (socklen > 0 && (size_t)socklen <= sizeof(c->peer)) {
		memcpy(&c->peer, sa, (size_t)socklen);
		c->peer_len = (socklen_t)socklen;
		c->local = net_is_loopback(sa);
	}
	http_head_init(&c->head);
	c->sio = sockio_new(s->sio, fd, &http_conn_io, c);
	c->timer = evtimer_new(s->base, http_conn_timeout, c);
	if (c->sio == NULL || c->timer == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (connection)");
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	http_conn_timer(c, HTTP_IDLE_TIMEOUT_MS);
}
