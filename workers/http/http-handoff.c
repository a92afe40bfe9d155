/*
 * Hand-off of accepted sockets to the ws and canvas workers, with every
 * byte already read: the request head and whatever followed it in the
 * same segments (a client may send its first WebSocket frame right
 * behind the upgrade request).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <event2/buffer.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/xmalloc.h"
#include "workers/http/http.h"
#include "workers/worker.h"

#define CANVAS_PREFIX	"/__openclaw__/canvas"
#define WORKER_PREFIX	"/__openclaw__/worker"

static void	handoff_wait(struct http_conn *, int);

void
http_handoff_forget(struct http_conn *c)
{
	struct http_server	*s = c->srv;

	if (c->state == HC_WAITING) {
		TAILQ_REMOVE(&s->waiting, c, hentry);
		s->nwaiting--;
	} else if (c->state == HC_HANDED)
		TAILQ_REMOVE(&s->handed, c, hentry);
}

/*
 * The peer has its own descriptor now: ours can go.  The ack is
 * cumulative, and the handed list is in id order (one counter for every
 * peer, so the ids on each channel increase too): release that peer's
 * hand-offs from the head up to the id.
 */
static void
handoff_acked(struct http_server *s, int role, const struct ipc_msg *m)
{
	struct http_conn	*c, *next;
	uint64_t		 id;

	if (m->len != sizeof(id))
		return;
	memcpy(&id, m->data, sizeof(id));
	for (c = TAILQ_FIRST(&s->handed); c != NULL && c->handoff_id <= id;
	    c = next) {
		next = TAILQ_NEXT(c, hentry);
		if (c->target == role)
			http_conn_free(c);
	}
}

/*
 * A peer alive but silent: stop waiting for its ack and release our
 * copies (it may well hold the sockets).  One timer for every hand-off:
 * each tick releases what was already pending at the previous one, so a
 * copy is kept from HTTP_ACK_WAIT_MS to twice that.
 */
static void
handoff_ack_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct http_server	*s = arg;
	struct http_conn	*c;
	struct timeval		 tv = { HTTP_ACK_WAIT_MS / 1000,
				    (HTTP_ACK_WAIT_MS % 1000) * 1000 };
	int			 n = 0;

	(void)fd;
	(void)ev;
	while ((c = TAILQ_FIRST(&s->handed)) != NULL &&
	    c->handoff_id <= s->ack_due) {
		http_conn_free(c);
		n++;
	}
	if (n > 0)
		log_warnx("%d hand-off(s) not acknowledged in time; releasing "
		    "our copies of the sockets", n);
	if (!TAILQ_EMPTY(&s->handed)) {
		s->ack_due = s->handoff_seq;
		evtimer_add(s->ack_timer, &tv);
	}
}

static void
handoff_ack_wait(struct http_server *s, uint64_t id)
{
	struct timeval	tv = { HTTP_ACK_WAIT_MS / 1000,
			    (HTTP_ACK_WAIT_MS % 1000) * 1000 };

	if (evtimer_pending(s->ack_timer, NULL))
		return;
	s->ack_due = id;
	evtimer_add(s->ack_timer, &tv);
}

/*
 * A peer died: what it had not acknowledged may never have been read,
 * so it waits for the respawned peer, bytes and all.
 */
static void
handoff_peer_lost(struct http_server *s, int role)
{
	struct http_conn	*c, *next;

	for (c = TAILQ_FIRST(&s->handed); c != NULL; c = next) {
		next = TAILQ_NEXT(c, hentry);
		if (c->target != role)
			continue;
		TAILQ_REMOVE(&s->handed, c, hentry);
		c->state = HC_READING;
		handoff_wait(c, role);
	}
}

static void
handoff_peer_cb(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct http_server	*s = arg;
	int			 i;

	for (i = 0; i < ROLE_MAX && s->peer[i] != ch; i++)
		;
	if (m != NULL) {
		if (i < ROLE_MAX)
			handoff_acked(s, i, m);
		return;
	}
	if (i < ROLE_MAX) {
		s->peer[i] = NULL;
		handoff_peer_lost(s, i);
	}
	ipc_chan_free(ch);
}

/* role is a peer the role table pairs with http (worker.c checked). */
void
http_handoff_peer(struct http_server *s, int role, int fd)
{
	if (s->peer[role] != NULL) {
		ipc_chan_free(s->peer[role]);
		handoff_peer_lost(s, role);
	}
	if (s->ack_timer == NULL &&
	    (s->ack_timer = evtimer_new(s->base, handoff_ack_timeout, s)) ==
	    NULL)
		fatalx(EXIT_RUNTIME, "out of memory (hand-off timer)");
	s->peer[role] = worker_peer_open(s->w, role, fd, handoff_peer_cb, s);
	http_handoff_flush(s);
}

void
http_handoff_close_peers(struct http_server *s)
{
	int	i;

	for (i = 0; i < ROLE_MAX; i++)
		if (s->peer[i] != NULL) {
			ipc_chan_free(s->peer[i]);
			s->peer[i] = NULL;
		}
	if (s->ack_timer != NULL) {
		event_free(s->ack_timer);
		s->ack_timer = NULL;
	}
}

static void
handoff_timer(struct http_conn *c, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

/*
 * Send the descriptor and every byte read so far; ours stays open until
 * the peer acknowledges (the kernel passes a reference of its own, so no
 * dup is needed).  -1 if the peer is gone: the channel's callback then
 * reports it from the event loop.
 */
static int
handoff_send(struct http_conn *c, int role)
{
	struct http_server	*s = c->srv;
	struct evbuffer		*in = sockio_input(c->sio);
	struct imsg_handoff	 h;
	size_t			 total = evbuffer_get_length(in);
	uint8_t			*msg;
	int			 rv;

	memset(&h, 0, sizeof(h));
	memcpy(&h.peer, &c->peer, sizeof(h.peer));
	h.peer_len = c->peer_len;
	h.head_len = (uint32_t)c->fed;
	h.pre_len = (uint32_t)(total - c->fed);
	h.id = s->handoff_seq + 1;
	msg = xmalloc(sizeof(h) + total);
	memcpy(msg, &h, sizeof(h));
	evbuffer_copyout(in, msg + sizeof(h), total);
	rv = ipc_send_now(s->peer[role], IMSG_HANDOFF, sockio_fd(c->sio), msg,
	    sizeof(h) + total);
	free(msg);
	if (rv == -1)
		return -1;
	s->handoff_seq = h.id;
	c->state = HC_HANDED;
	c->target = role;
	c->handoff_id = h.id;
	/* The bytes are the peer's now; ours goes when it acknowledges. */
	sockio_set_reading(c->sio, 0);
	TAILQ_INSERT_TAIL(&s->handed, c, hentry);
	handoff_ack_wait(s, h.id);
	return 0;
}

static void
handoff_wait(struct http_conn *c, int role)
{
	struct http_server	*s = c->srv;

	if (s->nwaiting >= HTTP_MAX_WAITING) {
		c->close_after = 1;
		http_conn_json(c, 503, "Retry-After: 1\r\n",
		    "{\"error\":{\"message\":\"gateway busy\","
		    "\"type\":\"unavailable\"}}");
		return;
	}
	c->state = HC_WAITING;
	c->target = role;
	sockio_set_reading(c->sio, 0);
	TAILQ_INSERT_TAIL(&s->waiting, c, hentry);
	s->nwaiting++;
	handoff_timer(c, HTTP_PEER_WAIT_MS);
}

static void
handoff_to(struct http_conn *c, int role)
{
	if (c->srv->peer[role] == NULL || handoff_send(c, role) == -1)
		handoff_wait(c, role);
}

void
http_handoff_flush(struct http_server *s)
{
	struct http_conn	*c, *next;

	for (c = TAILQ_FIRST(&s->waiting); c != NULL; c = next) {
		next = TAILQ_NEXT(c, hentry);
		if (s->peer[c->target] == NULL)
			continue;
		TAILQ_REMOVE(&s->waiting, c, hentry);
		s->nwaiting--;
		c->state = HC_READING;
		evtimer_del(c->timer);
		handoff_to(c, c->target);
	}
}

/* The host part of a Host header, lower-cased, without port or brackets. */
static int
handoff_hostname(const char *host, char *out, size_t len)
{
	const char	*end;
	size_t		 n, i;

	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return -1;
		host++;
	} else if ((end = strchr(host, ':')) == NULL)
		end = host + strlen(host);
	n = (size_t)(end - host);
	if (n == 0 || n >= len)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[n] = '\0';
	return 0;
}

static int
handoff_host_allowed(struct http_conn *c, const char *host)
{
	const struct gw_config	*cfg = &c->srv->w->cfg;
	struct in_addr		 a;
	char			 name[256];
	int			 i;

	if (host == NULL || handoff_hostname(host, name, sizeof(name)) == -1)
		return 0;
	if (strcmp(name, "localhost") == 0 || strcmp(name, "::1") == 0)
		return 1;
	if (inet_pton(AF_INET, name, &a) == 1) {
		if ((ntohl(a.s_addr) >> 24) == 127)
			return 1;
		/* Bound to every address: an IP literal is not a rebinding. */
		if (strcmp(cfg->bind, "lan") == 0)
			return 1;
	}
	for (i = 0; i < cfg->allowed_hosts.n; i++)
		if (strcasecmp(cfg->allowed_hosts.v[i], name) == 0)
			return 1;
	return 0;
}

static int
handoff_origin_allowed(struct http_conn *c, const char *origin,
    const char *host)
{
	const struct gw_config	*cfg = &c->srv->w->cfg;
	int			 i;

	if (origin == NULL)
		return 1;	/* not a browser */
	for (i = 0; i < cfg->allowed_origins.n; i++)
		if (strcmp(cfg->allowed_origins.v[i], "*") == 0 ||
		    strcasecmp(cfg->allowed_origins.v[i], origin) == 0)
			return 1;
	/* Our own origin: the Control UI is served from this host:port. */
	if (host != NULL && ((strncasecmp(origin, "http://", 7) == 0 &&
	    strcasecmp(origin + 7, host) == 0) ||
	    (strncasecmp(origin, "https://", 8) == 0 &&
	    strcasecmp(origin + 8, host) == 0)))
		return 1;
	return 0;
}

static int
handoff_key_ok(const char *key)
{
	size_t	n;

	if (key == NULL || (n = strlen(key)) != 24 || key[22] != '=' ||
	    key[23] != '=')
		return 0;
	return strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789+/") == 22;
}

static void
handoff_refuse(struct http_conn *c, int status, const char *extra,
    const char *msg)
{
	char	body[256];

	log_info("websocket upgrade refused (%d): %s", status, msg);
	snprintf(body, sizeof(body), "{\"error\":{\"message\":\"%s\","
	    "\"type\":\"%s\"}}", msg, status == 403 ? "forbidden" :
	    status == 404 ? "not_found" : "invalid_request_error");
	c->close_after = 1;
	http_conn_json(c, status, extra, body);
}

static void
handoff_upgrade(struct http_conn *c)
{
	const struct http_head	*h = &c->head;
	const char		*host = http_head_get(h, "host");
	const char		*ver = http_head_get(h, "sec-websocket-version");

	if (strncmp(h->path, WORKER_PREFIX, strlen(WORKER_PREFIX)) == 0)
		handoff_refuse(c, 404, NULL, "not found");
	else if (h->method != HTTP_GET || h->http_major != 1 ||
	    h->http_minor < 1)
		handoff_refuse(c, 400, NULL, "websocket upgrade needs GET "
		    "and HTTP/1.1");
	else if (!http_head_has_token(h, "upgrade", "websocket"))
		handoff_refuse(c, 400, NULL, "unsupported upgrade");
	else if (ver == NULL || strcmp(ver, "13") != 0)
		handoff_refuse(c, 426, "Sec-WebSocket-Version: 13\r\n",
		    "unsupported websocket version");
	else if (!handoff_key_ok(http_head_get(h, "sec-websocket-key")))
		handoff_refuse(c, 400, NULL, "bad Sec-WebSocket-Key");
	else if (!handoff_host_allowed(c, host))
		handoff_refuse(c, 403, NULL, "host not allowed");
	else if (!handoff_origin_allowed(c, http_head_get(h, "origin"), host))
		handoff_refuse(c, 403, NULL, "origin not allowed");
	else
		handoff_to(c, ROLE_WS);
}

int
http_handoff_route(struct http_conn *c)
{
	const char	*path = c->head.path;
	size_t		 n = strlen(CANVAS_PREFIX);

	if (c->head.upgrade) {
		handoff_upgrade(c);
		return 1;
	}
	if (c->srv->w->cfg.canvas_enabled && strncmp(path, CANVAS_PREFIX,
	    n) == 0 && (path[n] == '\0' || path[n] == '/')) {
		handoff_to(c, ROLE_CANVAS);
		return 1;
	}
	return 0;
}
