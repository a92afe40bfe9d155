/*
 * One HTTP/1.1 connection: a request at a time, read, routed, answered;
 * what a pipelining client sends meanwhile waits in the input (bounded)
 * and is read once the answer is out, so answers keep the order.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/http/conn.h"
#include "common/log.h"
#include "common/net.h"
#include "common/sockio.h"
#include "common/xmalloc.h"

void
http_conn_timer(struct http_conn *c, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

const struct http_head *
http_conn_head(const struct http_conn *c)
{
	return &c->head;
}

int
http_conn_local(const struct http_conn *c)
{
	return c->local;
}

const struct sockaddr *
http_conn_peer(const struct http_conn *c, socklen_t *len)
{
	*len = c->peer_len;
	return (const struct sockaddr *)&c->peer;
}

int
http_conn_fd(const struct http_conn *c)
{
	return sockio_fd(c->sio);
}

struct evbuffer *
http_conn_input(const struct http_conn *c)
{
	return sockio_input(c->sio);
}

size_t
http_conn_head_len(const struct http_conn *c)
{
	return c->fed;
}

void
http_conn_set_data(struct http_conn *c, void *data)
{
	c->data = data;
}

void *
http_conn_data(const struct http_conn *c)
{
	return c->data;
}

void *
http_conn_ctx(const struct http_conn *c)
{
	return c->srv->arg;
}

void
http_conn_hold(struct http_conn *c)
{
	c->state = HTTP_HELD;
	evtimer_del(c->timer);
	sockio_set_reading(c->sio, 0);
}

void
http_conn_free(struct http_conn *c)
{
	struct http_server *s = c->srv;

	if (s->cb->conn_gone != NULL)
		s->cb->conn_gone(c, s->arg);
	TAILQ_REMOVE(&s->conns, c, entry);
	s->nconns--;
	/*
	 * Freed from one of its callbacks, the socket outlives c until the
	 * callback returns: nothing of it may point at c.
	 */
	evbuffer_remove_cb(sockio_output(c->sio), http_resp_progress, c);
	sockio_free(c->sio);
	event_free(c->timer);
	event_free(c->wev);
	http_head_free(&c->head);
	http_body_free(&c->body);
	http_resp_reset(c);
	free(c);
	if (s->draining && s->nconns == 0 && s->cb->drained != NULL)
		s->cb->drained(s->arg);
}

/*
 * Closing with unread request bytes makes the kernel answer with a RST
 * that can destroy the response in flight: shut our side and swallow
 * input for a while first (a lingering close).
 */
static void
http_conn_linger(struct http_conn *c)
{
	struct evbuffer *in = sockio_input(c->sio);

	if (c->peer_eof || shutdown(sockio_fd(c->sio), SHUT_WR) == -1) {
		http_conn_free(c);
		return;
	}
	c->state = HTTP_LINGER;
	c->lingered = evbuffer_get_length(in);
	evbuffer_drain(in, c->lingered);
	http_conn_timer(c, HTTP_LINGER_MS);
	sockio_set_reading(c->sio, 1);
}

/* The response is out: close, or on to the next request. */
void
http_conn_done(struct http_conn *c)
{
	c->served++;
	if (c->close_after) {
		http_conn_linger(c);
		return;
	}
	http_head_reset(&c->head);
	http_body_free(&c->body);
	http_resp_reset(c);
	c->route = NULL;
	c->state = HTTP_READ_HEAD;
	sockio_set_reading(c->sio, 1);
	http_conn_timer(c, HTTP_IDLE_TIMEOUT_MS);
	if (evbuffer_get_length(sockio_input(c->sio)) > 0)
		http_conn_process(c); /* pipelined request */
}

static void
http_conn_dispatch(struct http_conn *c)
{
	c->state = HTTP_HANDLING;
	evtimer_del(c->timer);
	c->route->fn(c, c->route->arg);
}

/* A name that is not ours: what the route serves is not for this page. */
static int
http_conn_host_refused(struct http_conn *c)
{
	const struct gw_config *cfg = c->srv->host_cfg;
	char                    ip[64];

	if (cfg == NULL || c->route->any_host ||
	    http_host_request_allowed(cfg, &c->head))
		return 0;
	net_ntop((const struct sockaddr *)&c->peer, ip, sizeof(ip));
	if (log_limit("host refused", ip))
		log_info("request from %s refused (403): host not allowed", ip);
	c->close_after = 1;
	http_respond_error(c, 403, NULL, "host not allowed", "forbidden");
	return 1;
}

static void
http_conn_route(struct http_conn *c)
{
	int rv;

	evtimer_del(c->timer);
	c->route = c->srv->cb->route(c, c->srv->arg);
	if (http_conn_host_refused(c))
		return;
	if ((rv = http_body_begin(c)) == 1)
		http_conn_dispatch(c);
	else if (rv == 0 && http_body_feed(c) == 1)
		http_conn_dispatch(c);
}

static void
http_conn_bad_head(struct http_conn *c)
{
	c->close_after = 1;
	http_respond_error(c, c->head.status, NULL, "bad request",
	    "invalid_request_error");
}

/* Feed only the bytes the head parser has not seen yet. */
static void
http_conn_read_head(struct http_conn *c)
{
	struct evbuffer      *in = sockio_input(c->sio);
	struct evbuffer_ptr   p;
	struct evbuffer_iovec v[8];
	size_t                total, used;
	int                   i, n, rv;

	while (c->state == HTTP_READ_HEAD &&
	    (total = evbuffer_get_length(in)) > c->fed) {
		if (c->fed == 0) /* a head's clock starts at its first byte */
			http_conn_timer(c, HTTP_HEAD_TIMEOUT_MS);
		if (evbuffer_ptr_set(in, &p, c->fed, EVBUFFER_PTR_SET) == -1)
			return;
		n = evbuffer_peek(in, (ev_ssize_t)(total - c->fed), &p, v, 8);
		for (i = 0; i < n && i < 8; i++) {
			rv = http_head_feed(&c->head, v[i].iov_base,
			    v[i].iov_len, &used);
			if (rv == HTTP_HEAD_ERROR) {
				c->fed += v[i].iov_len;
				http_conn_bad_head(c);
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

void
http_conn_process(struct http_conn *c)
{
	if (c->state == HTTP_READ_HEAD)
		http_conn_read_head(c);
	else if (c->state == HTTP_READ_BODY && http_body_feed(c) == 1)
		http_conn_dispatch(c);
}

static void
http_conn_read_cb(struct sockio *so, struct evbuffer *in, void *arg)
{
	struct http_conn *c = arg;
	size_t            n;

	switch (c->state) {
	case HTTP_LINGER:
		n = evbuffer_get_length(in);
		evbuffer_drain(in, n);
		if ((c->lingered += n) > HTTP_LINGER_MAX)
			http_conn_free(c);
		break;
	case HTTP_READ_HEAD:
	case HTTP_READ_BODY:
		http_conn_process(c);
		break;
	default:
		/*
		 * Pipelined bytes wait for the response in flight; a client
		 * that sends without reading must not grow them for ever.
		 */
		if (evbuffer_get_length(in) > c->fed + HTTP_PIPELINE_MAX)
			sockio_set_reading(so, 0);
		break;
	}
}

static void
http_conn_drain_cb(struct sockio *so, void *arg)
{
	(void)so;
	http_resp_drained(arg);
}

/* A half-closed client still gets the response it is waiting for. */
static void
http_conn_close_cb(struct sockio *so, int error, void *arg)
{
	struct http_conn *c = arg;

	(void)so;
	c->peer_eof = 1;
	if (error == 0 &&
	    (c->state == HTTP_WRITING || c->state == HTTP_HANDLING ||
	        c->state == HTTP_HELD)) {
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
	struct http_conn *c = arg;

	(void)fd;
	(void)ev;
	if (c->state == HTTP_READ_HEAD && c->fed > 0) {
		c->close_after = 1;
		http_respond_error(c, 408, NULL, "request head timeout",
		    "timeout");
	} else if (c->state == HTTP_READ_BODY) {
		c->close_after = 1;
		http_respond_error(c, 408, NULL, "request body timeout",
		    "timeout");
	} else
		http_conn_free(c);
}

struct http_conn *
http_conn_new(struct http_server *s, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct http_conn *c;

	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->resp.file_fd = -1;
	if (sa != NULL && salen > 0 && (size_t)salen <= sizeof(c->peer)) {
		memcpy(&c->peer, sa, (size_t)salen);
		c->peer_len = salen;
		c->local = net_is_loopback(sa);
	}
	http_head_init(&c->head);
	c->timer = evtimer_new(s->base, http_conn_timeout, c);
	c->wev = event_new(s->base, -1, 0, http_resp_wakeup, c);
	c->sio = sockio_new(s->sio, fd, &http_conn_io, c);
	if (c->sio == NULL || c->timer == NULL || c->wev == NULL ||
	    evbuffer_add_cb(sockio_output(c->sio), http_resp_progress, c) ==
	        NULL)
		fatalx(EXIT_RUNTIME, "out of memory (connection)");
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->nconns++;
	http_conn_timer(c, HTTP_IDLE_TIMEOUT_MS);
	return c;
}
