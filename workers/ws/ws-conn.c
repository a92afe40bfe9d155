/*
 * One WebSocket connection: the 101 answer, frame decoding, bounded
 * output, the close handshake.  Nothing here frees a connection while
 * the decoder is running on it: callbacks mark it dead instead.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "common/net.h"
#include "common/sockio.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "protocol/frame.h"
#include "protocol/ipc-msg.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

static int ws_conn_on_message(void *, int, const uint8_t *, size_t);
static int ws_conn_on_control(void *, int, const uint8_t *, size_t);
static void
ws_conn_out_cb(struct evbuffer *, const struct evbuffer_cb_info *, void *);

static const struct ws_decoder_cb ws_conn_cb = {
	ws_conn_on_message,
	ws_conn_on_control,
};

static size_t
ws_conn_queued(struct ws_conn *c)
{
	return sockio_queued(c->sio);
}

static void
ws_conn_send_frame(struct ws_conn *c, int opcode, const void *data, size_t len)
{
	struct evbuffer *out = sockio_output(c->sio);
	uint8_t          hdr[14];
	size_t           n;

	n = ws_frame_header(hdr, 1, opcode, len, NULL);
	evbuffer_add(out, hdr, n);
	if (len > 0)
		evbuffer_add(out, data, len);
}

/*
 * Over the global cap, the socket with the largest backlog is the one in
 * the way: close it.  Returns 1 if c itself was the one.
 */
static int
ws_conn_cut_largest(struct ws_conn *c)
{
	struct ws_conn *v, *worst = c;
	size_t          q, most = 0;

	TAILQ_FOREACH(v, &c->srv->conns, entry)
		if (v->state != WSC_CLOSING && (q = ws_conn_queued(v)) > most) {
			most = q;
			worst = v;
		}
	log_info("conn %s: slow consumer (%zu bytes queued; outbound memory "
	         "cap reached)",
	    worst->conn_id, most);
	ws_conn_close(worst, WS_CLOSE_POLICY, "slow consumer");
	return worst == c;
}

/*
 * Room for a control reply: a peer that pings without reading would
 * otherwise grow our output without bound.  Before auth a socket gets
 * what a handshake needs; after, what any message may take.
 */
static int
ws_conn_room(struct ws_conn *c, size_t len)
{
	size_t queued = ws_conn_queued(c);
	size_t cap = c->state == WSC_PREAUTH ? WS_MAX_PREAUTH_PAYLOAD :
	                                       WS_MAX_BUFFERED;

	if (queued + len <= cap &&
	    c->srv->out_bytes + len <=
	        (size_t)c->srv->w->cfg.max_outbound_bytes)
		return 1;
	log_info("conn %s: slow consumer (%zu bytes queued, pinging)",
	    c->conn_id, queued);
	ws_conn_close(c, WS_CLOSE_POLICY, "slow consumer");
	return 0;
}

/*
 * May a message of len bytes be queued on c?  0: yes; 1: no, drop it (a
 * droppable message); -1: no, and c is closing.  Non-droppable messages
 * over the global cap close the largest backlogs until they fit.
 */
static int
ws_conn_admit(struct ws_conn *c, size_t len, int droppable)
{
	struct ws_server *s = c->srv;
	size_t            queued, cap = (size_t)s->w->cfg.max_outbound_bytes;

	if (c->state == WSC_CLOSING)
		return -1;
	queued = ws_conn_queued(c);
	if (droppable && queued > WS_DROP_BACKLOG)
		return 1;
	if (queued + len > WS_MAX_BUFFERED) {
		if (droppable)
			return 1;
		log_info("conn %s: slow consumer (%zu bytes queued)",
		    c->conn_id, queued);
		ws_conn_close(c, WS_CLOSE_POLICY, "slow consumer");
		return -1;
	}
	while (s->out_bytes + len > cap) {
		if (droppable)
			return 1;
		if (ws_conn_cut_largest(c))
			return -1;
	}
	return 0;
}

int
ws_conn_send(struct ws_conn *c, const char *text, size_t len, int droppable)
{
	int rv;

	if ((rv = ws_conn_admit(c, len, droppable)) != 0)
		return rv;
	ws_conn_send_frame(c, WS_OP_TEXT, text, len);
	return 0;
}

struct ws_shared *
ws_shared_new(const char *data, size_t len)
{
	struct ws_shared *sh;

	sh = xmalloc(sizeof(*sh) + len);
	sh->refs = 1;
	sh->len = len;
	memcpy(sh->data, data, len);
	return sh;
}

void
ws_shared_unref(struct ws_shared *sh)
{
	if (sh != NULL && --sh->refs == 0)
		free(sh);
}

/* libevent drops a reference once its bytes were sent or discarded. */
static void
ws_shared_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	ws_shared_unref(arg);
}

int
ws_conn_send_shared(struct ws_conn *c, struct ws_shared *sh, const char *tail,
    size_t tail_len, int droppable)
{
	struct evbuffer *out;
	uint8_t          hdr[14];
	size_t           len = sh->len + tail_len, n;
	int              rv;

	if ((rv = ws_conn_admit(c, len, droppable)) != 0)
		return rv;
	out = sockio_output(c->sio);
	n = ws_frame_header(hdr, 1, WS_OP_TEXT, len, NULL);
	evbuffer_add(out, hdr, n);
	sh->refs++;
	if (evbuffer_add_reference(out, sh->data, sh->len, ws_shared_cleanup,
	        sh) == -1)
		fatalx(EXIT_RUNTIME, "out of memory (shared output)");
	if (tail_len > 0)
		evbuffer_add(out, tail, tail_len);
	return 0;
}

int
ws_conn_send_json(struct ws_conn *c, struct json_object *o, int droppable)
{
	const char *s;
	size_t      len;

	s = frame_text(o, &len);
	return ws_conn_send(c, s, len, droppable);
}

void
ws_conn_ping(struct ws_conn *c)
{
	ws_conn_send_frame(c, WS_OP_PING, NULL, 0);
}

static void
ws_conn_leave_preauth(struct ws_conn *c)
{
	if (c->state == WSC_PREAUTH)
		ws_ip_preauth_dec(c->srv, c->ip);
}

static void
ws_conn_grace(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	ws_conn_free(arg);
}

void
ws_conn_close(struct ws_conn *c, uint16_t code, const char *reason)
{
	uint8_t        payload[125];
	size_t         n;
	struct timeval tv = { WS_CLOSE_GRACE_MS / 1000,
		(WS_CLOSE_GRACE_MS % 1000) * 1000 };

	if (c->state == WSC_CLOSING)
		return;
	if (log_verbose())
		log_debug("conn %s: closing %u %s", c->conn_id, code, reason);
	n = ws_close_payload(payload, code, reason, WS_REASON_MAX);
	ws_conn_send_frame(c, WS_OP_CLOSE, payload, n);
	/*
	 * What a closing socket still holds is freed within the grace time
	 * at most: it no longer counts against the others' cap.
	 */
	c->srv->out_bytes -= ws_conn_queued(c);
	c->uncounted = 1;
	ws_conn_leave_preauth(c);
	if (c->state == WSC_AUTHED) {
		c->srv->nauthed--;
		ws_presence_disconnect(c);
	}
	c->state = WSC_CLOSING;
	/* The peer has this long to answer our close before we cut. */
	event_del(c->timer);
	evtimer_assign(c->timer, c->srv->base, ws_conn_grace, c);
	evtimer_add(c->timer, &tv);
}

void
ws_conn_free(struct ws_conn *c)
{
	struct ws_server *s = c->srv;
	int               i;

	if (c->in_feed) {
		c->dead = 1;
		return;
	}
	ws_conn_leave_preauth(c);
	if (c->state == WSC_AUTHED) {
		s->nauthed--;
		ws_presence_disconnect(c);
	}
	TAILQ_REMOVE(&s->conns, c, entry);
	ws_call_unregister(c);
	s->nconns--;
	/* Account for what dies unsent. */
	if (!c->uncounted)
		s->out_bytes -= ws_conn_queued(c);
	/*
	 * Freed from inside one of its callbacks, the socket outlives c
	 * until that callback returns: nothing of it may point at c.
	 */
	evbuffer_remove_cb(sockio_output(c->sio), ws_conn_out_cb, c);
	sockio_free(c->sio);
	event_free(c->timer);
	ws_inbound_forget(c);
	ws_decoder_free(&c->dec);
	for (i = 0; i < c->nscopes; i++)
		free(c->scopes[i]);
	free(c->scopes);
	free(c->presence_key);
	free(c->client_id);
	free(c->client_mode);
	free(c);
	ws_server_check_drained(s);
}

static int
ws_conn_on_message(void *arg, int opcode, const uint8_t *data, size_t len)
{
	struct ws_conn *c = arg;

	/*
	 * Binary frames are read like text, as the reference server does;
	 * bytes that are not UTF-8 then fail as malformed JSON.
	 */
	if (opcode == WS_OP_BINARY && !ws_utf8_valid(data, len))
		data = (const uint8_t *)"\x01", len = 1;
	if (c->state == WSC_PREAUTH)
		ws_connect_frame(c, (const char *)data, len);
	else if (c->state == WSC_AUTHED)
		ws_dispatch_frame(c, (const char *)data, len);
	return c->dead ? -1 : 0;
}

static int
ws_conn_on_control(void *arg, int opcode, const uint8_t *data, size_t len)
{
	struct ws_conn *c = arg;
	uint16_t        code = WS_CLOSE_NORMAL;

	switch (opcode) {
	case WS_OP_PING:
		if (c->state == WSC_CLOSING)
			return -1;
		if (!ws_conn_room(c, len + 2))
			return -1;
		ws_conn_send_frame(c, WS_OP_PONG, data, len);
		break;
	case WS_OP_PONG:
		c->awaiting_pong = 0;
		if (c->state == WSC_AUTHED)
			ws_presence_touch(c);
		break;
	case WS_OP_CLOSE:
		if (c->state == WSC_CLOSING) {
			c->dead = 1; /* answer to our close */
			return -1;
		}
		if (len >= 2)
			code = (uint16_t)(data[0] << 8 | data[1]);
		ws_conn_close(c, code, "");
		c->free_on_drain = 1;
		return -1;
	}
	return 0;
}

/* Returns -1 when the decoder stopped for good. */
static int
ws_conn_feed(struct ws_conn *c, const uint8_t *data, size_t len)
{
	int rv;

	c->in_feed = 1;
	rv = ws_decoder_feed(&c->dec, data, len);
	c->in_feed = 0;
	ws_inbound_update(c);
	if (rv == -1 && c->dec.close_code != 0 && !c->dead) {
		if (log_limit("frame error", c->ip))
			log_info("conn %s from %s: %s", c->conn_id, c->ip,
			    c->dec.error);
		ws_conn_close(c, c->dec.close_code,
		    c->state == WSC_PREAUTH &&
		            c->dec.close_code == WS_CLOSE_TOO_BIG ?
		        "preauth payload too large" :
		        c->dec.error);
	}
	if (rv == -1)
		sockio_set_reading(c->sio, 0);
	return rv;
}

static void
ws_conn_read_cb(struct sockio *so, struct evbuffer *in, void *arg)
{
	struct ws_conn       *c = arg;
	struct evbuffer_iovec v;
	int                   rv = 0;

	(void)so;
	while (rv == 0 && evbuffer_peek(in, -1, NULL, &v, 1) > 0) {
		rv = ws_conn_feed(c, v.iov_base, v.iov_len);
		evbuffer_drain(in, v.iov_len);
	}
	if (rv == -1)
		evbuffer_drain(in, evbuffer_get_length(in));
	if (c->dead)
		ws_conn_free(c);
}

static void
ws_conn_drain_cb(struct sockio *so, void *arg)
{
	struct ws_conn *c = arg;

	(void)so;
	if (c->free_on_drain)
		ws_conn_free(c);
}

static void
ws_conn_close_cb(struct sockio *so, int error, void *arg)
{
	struct ws_conn *c = arg;

	(void)so;
	if (error != 0 && log_verbose())
		log_debug("conn %s: %s", c->conn_id, strerror(error));
	ws_conn_free(c);
}

static const struct sockio_cb ws_conn_io = {
	ws_conn_read_cb,
	ws_conn_drain_cb,
	ws_conn_close_cb,
};

static void
ws_conn_out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct ws_conn *c = arg;

	(void)buf;
	if (c->uncounted)
		return;
	c->srv->out_bytes += info->n_added;
	c->srv->out_bytes -= info->n_deleted;
}

static void
ws_conn_handshake_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_conn *c = arg;

	(void)fd;
	(void)ev;
	if (log_limit("handshake timeout", c->ip))
		log_info("conn %s from %s: handshake timeout", c->conn_id,
		    c->ip);
	ws_conn_close(c, WS_CLOSE_NORMAL, "");
}

/* Refuse an upgrade before 101; a best-effort write, then close. */
static void
ws_conn_refuse(int fd, const char *why)
{
	char body[256], buf[512];
	int  n;

	snprintf(body, sizeof(body),
	    "{\"error\":{\"message\":\"%s\","
	    "\"type\":\"unavailable\"}}",
	    why);
	n = snprintf(buf, sizeof(buf),
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nRetry-After: 1\r\nConnection: close\r\n"
	    "\r\n%s",
	    strlen(body), body);
	if (write(fd, buf, (size_t)n) == -1)
		log_debug("refusing upgrade: %s", strerror(errno));
	close(fd);
}

static void
ws_conn_challenge(struct ws_conn *c)
{
	struct json_object *o, *p, *caps;

	util_uuid(c->nonce);
	p = json_object_new_object();
	json_object_object_add(p, "nonce", json_object_new_string(c->nonce));
	json_object_object_add(p, "ts",
	    json_object_new_int64((int64_t)util_now_ms()));
	caps = json_object_new_array();
	json_object_object_add(p, "capabilities", caps);
	/* No seq: the challenge precedes the numbered events. */
	o = frame_event("connect.challenge", p, -1, NULL);
	ws_conn_send_json(c, o, 0);
	json_object_put(o);
}

static struct ws_conn *
ws_conn_new(struct ws_server *s, int fd, const char *ip, int local)
{
	struct ws_conn *c;

	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	c->local = (uint8_t)local;
	util_uuid(c->conn_id);
	ws_decoder_init(&c->dec, &ws_conn_cb, c, 1, WS_MAX_PREAUTH_PAYLOAD);
	c->sio = sockio_new(s->sio, fd, &ws_conn_io, c);
	c->timer = evtimer_new(s->base, ws_conn_handshake_timeout, c);
	if (c->sio == NULL || c->timer == NULL ||
	    evbuffer_add_cb(sockio_output(c->sio), ws_conn_out_cb, c) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (connection)");
	TAILQ_INSERT_HEAD(&s->conns, c, entry);
	ws_call_register(c);
	s->nconns++;
	return c;
}

void
ws_conn_adopt(struct ws_server *s, int fd, const struct imsg_handoff *h,
    const uint8_t *data)
{
	struct gw_config *cfg = &s->w->cfg;
	struct ws_conn   *c;
	struct timeval    tv;
	char              ip[48];
	int               local, browser;

	/*
	 * No fcntl here: the http worker accepts with SOCK_NONBLOCK, and
	 * O_NONBLOCK belongs to the open file description, which SCM_RIGHTS
	 * passes along with the descriptor.
	 */
	net_ntop((const struct sockaddr *)&h->peer, ip, sizeof(ip));
	local = net_is_loopback((const struct sockaddr *)&h->peer);
	/* http checked the upgrade and computed the key (see its hand-off) */
	if (h->ws_accept[0] == '\0' ||
	    memchr(h->ws_accept, '\0', sizeof(h->ws_accept)) == NULL) {
		ws_conn_refuse(fd, "bad upgrade request");
		return;
	}
	browser = (h->flags & HANDOFF_BROWSER) != 0;
	/*
	 * Refusing before the descriptor limit keeps room for the next
	 * hand-off: a descriptor lost in recvmsg would cost the channel.
	 */
	if ((s->w->draining && !s->w->restarting) ||
	    s->nconns >= cfg->max_connections ||
	    s->nconns >= s->w->nofile - WS_FD_RESERVE) {
		ws_conn_refuse(fd, "too many connections");
		return;
	}
	if (ws_ip_preauth_inc(s, ip, cfg->max_preauth_per_ip) == -1 &&
	    (ws_ip_preauth_evict(s, ip) == -1 ||
	        ws_ip_preauth_inc(s, ip, cfg->max_preauth_per_ip) == -1)) {
		if (log_limit("pre-auth budget", ip))
			log_info("%s: too many unauthenticated connections",
			    ip);
		ws_conn_refuse(fd, "too many unauthenticated connections");
		return;
	}
	c = ws_conn_new(s, fd, ip, local);
	/* Browsers on loopback are not exempt from the rate limiter. */
	c->rl_exempt = local && !browser && cfg->rl_exempt_loopback;
	evbuffer_add_printf(sockio_output(c->sio),
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
	    h->ws_accept);
	ws_conn_challenge(c);
	tv.tv_sec = cfg->handshake_ms / 1000;
	tv.tv_usec = (cfg->handshake_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	if (log_verbose())
		log_debug("conn %s from %s: upgraded", c->conn_id, ip);
	/*
	 * Frames the client sent along with its upgrade request: the http
	 * worker read them off the socket before the hand-off.  The 101 and
	 * the challenge above leave in one write, after this callback.
	 */
	if (h->pre_len > 0) {
		ws_conn_feed(c, data + h->head_len, h->pre_len);
		if (c->dead)
			ws_conn_free(c);
	}
}
