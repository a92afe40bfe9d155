/*
 * Hand-off of accepted sockets to the ws and canvas workers, with every
 * byte already read: the request head and whatever followed it in the
 * same segments (a client may send its first WebSocket frame right
 * behind the upgrade request), and what http learned from the head (the
 * WebSocket accept key, whether a browser sent it) so the peer does not
 * parse it again.  The connection is held (http_conn_hold) until the
 * peer acknowledges; its struct http_handoff hangs on it meanwhile.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/net.h"
#include "common/ws/frame.h"
#include "common/xmalloc.h"
#include "protocol/http-paths.h"
#include "workers/http/http.h"
#include "workers/worker.h"

static void handoff_wait(struct http_handoff *);

static void
handoff_unlink(struct http_handoff *ho)
{
	struct http_worker *hw = ho->hw;

	if (ho->where == HO_HANDED)
		TAILQ_REMOVE(&hw->handed, ho, entry);
	else if (ho->where == HO_WAITING) {
		TAILQ_REMOVE(&hw->waiting, ho, entry);
		hw->nwaiting--;
	}
	ho->where = HO_NONE;
	if (ho->timer != NULL)
		evtimer_del(ho->timer);
}

/* The connection goes (answered, acknowledged, closed): so does ho. */
void
http_handoff_forget(struct http_conn *c, void *arg)
{
	struct http_handoff *ho = http_conn_data(c);

	(void)arg;
	if (ho == NULL)
		return;
	handoff_unlink(ho);
	if (ho->timer != NULL)
		event_free(ho->timer);
	free(ho);
	http_conn_set_data(c, NULL);
}

/*
 * The peer has its own descriptor now: ours can go.  The ack is
 * cumulative, and the handed list is in id order (one counter for every
 * peer, so the ids on each channel increase too): release that peer's
 * hand-offs from the head up to the id.
 */
static void
handoff_acked(struct http_worker *hw, int role, const struct ipc_msg *m)
{
	struct http_handoff *ho, *next;
	uint64_t             id;

	if (m->len != sizeof(id))
		return;
	memcpy(&id, m->data, sizeof(id));
	for (ho = TAILQ_FIRST(&hw->handed); ho != NULL && ho->id <= id;
	     ho = next) {
		next = TAILQ_NEXT(ho, entry);
		if (ho->target == role)
			http_conn_free(ho->c);
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
	struct http_worker  *hw = arg;
	struct http_handoff *ho;
	struct timeval       tv = { HTTP_ACK_WAIT_MS / 1000,
		      (HTTP_ACK_WAIT_MS % 1000) * 1000 };
	int                  n = 0;

	(void)fd;
	(void)ev;
	while (
	    (ho = TAILQ_FIRST(&hw->handed)) != NULL && ho->id <= hw->ack_due) {
		http_conn_free(ho->c);
		n++;
	}
	if (n > 0)
		log_warnx("%d hand-off(s) not acknowledged in time; releasing "
		          "our copies of the sockets",
		    n);
	if (!TAILQ_EMPTY(&hw->handed)) {
		hw->ack_due = hw->handoff_seq;
		evtimer_add(hw->ack_timer, &tv);
	}
}

static void
handoff_ack_wait(struct http_worker *hw, uint64_t id)
{
	struct timeval tv = { HTTP_ACK_WAIT_MS / 1000,
		(HTTP_ACK_WAIT_MS % 1000) * 1000 };

	if (evtimer_pending(hw->ack_timer, NULL))
		return;
	hw->ack_due = id;
	evtimer_add(hw->ack_timer, &tv);
}

/*
 * A peer died: what it had not acknowledged may never have been read,
 * so it waits for the respawned peer, bytes and all.
 */
static void
handoff_peer_lost(struct http_worker *hw, int role)
{
	struct http_handoff *ho, *next;

	for (ho = TAILQ_FIRST(&hw->handed); ho != NULL; ho = next) {
		next = TAILQ_NEXT(ho, entry);
		if (ho->target != role)
			continue;
		handoff_unlink(ho);
		handoff_wait(ho);
	}
}

static void
handoff_peer_cb(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct http_worker *hw = arg;
	int                 i;

	for (i = 0; i < ROLE_MAX && hw->peer[i] != ch; i++)
		;
	if (m != NULL) {
		if (i < ROLE_MAX)
			handoff_acked(hw, i, m);
		return;
	}
	if (i < ROLE_MAX) {
		hw->peer[i] = NULL;
		handoff_peer_lost(hw, i);
	}
	ipc_chan_free(ch);
}

/* role is a peer the role table pairs with http (worker.c checked). */
void
http_handoff_peer(struct http_worker *hw, int role, int fd)
{
	if (hw->peer[role] != NULL) {
		ipc_chan_free(hw->peer[role]);
		handoff_peer_lost(hw, role);
	}
	if (hw->ack_timer == NULL &&
	    (hw->ack_timer = evtimer_new(hw->base, handoff_ack_timeout, hw)) ==
	        NULL)
		fatalx(EXIT_RUNTIME, "out of memory (hand-off timer)");
	hw->peer[role] = worker_peer_open(hw->w, role, fd, handoff_peer_cb, hw);
	http_handoff_flush(hw);
}

void
http_handoff_close_peers(struct http_worker *hw)
{
	int i;

	for (i = 0; i < ROLE_MAX; i++)
		if (hw->peer[i] != NULL) {
			ipc_chan_free(hw->peer[i]);
			hw->peer[i] = NULL;
		}
	if (hw->ack_timer != NULL) {
		event_free(hw->ack_timer);
		hw->ack_timer = NULL;
	}
}

/*
 * Send the descriptor, what http learned from the head, and every byte
 * read so far; ours stays open until the peer acknowledges (the kernel
 * passes a reference of its own, so no dup is needed).  -1 if the peer
 * is gone: the channel's callback then reports it from the event loop.
 */
static int
handoff_send(struct http_handoff *ho)
{
	struct http_worker    *hw = ho->hw;
	struct evbuffer       *in = http_conn_input(ho->c);
	struct imsg_handoff    h;
	const struct sockaddr *sa;
	socklen_t              salen;
	size_t                 total = evbuffer_get_length(in);
	uint8_t               *msg;
	int                    rv;

	memset(&h, 0, sizeof(h));
	sa = http_conn_peer(ho->c, &salen);
	memcpy(&h.peer, sa, sizeof(h.peer));
	h.peer_len = salen;
	h.head_len = (uint32_t)http_conn_head_len(ho->c);
	h.pre_len = (uint32_t)(total - h.head_len);
	h.id = hw->handoff_seq + 1;
	h.flags = ho->flags;
	memcpy(h.ws_accept, ho->ws_accept, sizeof(ho->ws_accept));
	msg = xmalloc(sizeof(h) + total);
	memcpy(msg, &h, sizeof(h));
	evbuffer_copyout(in, msg + sizeof(h), total);
	rv = ipc_send_now(hw->peer[ho->target], IMSG_HANDOFF,
	    http_conn_fd(ho->c), msg, sizeof(h) + total);
	free(msg);
	if (rv == -1)
		return -1;
	hw->handoff_seq = h.id;
	ho->id = h.id;
	ho->where = HO_HANDED;
	/* The bytes are the peer's now; ours goes when it acknowledges. */
	TAILQ_INSERT_TAIL(&hw->handed, ho, entry);
	handoff_ack_wait(hw, h.id);
	return 0;
}

/* The peer did not come back in time, or too many wait: answer here. */
static void
handoff_unavailable(struct http_handoff *ho, const char *msg)
{
	struct http_conn *c = ho->c;

	http_handoff_forget(c, NULL);
	http_respond_close(c);
	http_respond_error(c, 503, "Retry-After: 1\r\n", msg, "unavailable");
}

static void
handoff_wait_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	log_warnx("hand-off target did not come back in time");
	handoff_unavailable(arg, "gateway worker restarting");
}

static void
handoff_wait(struct http_handoff *ho)
{
	struct http_worker *hw = ho->hw;
	struct timeval      tv = { HTTP_PEER_WAIT_MS / 1000,
		     (HTTP_PEER_WAIT_MS % 1000) * 1000 };

	if (hw->nwaiting >= HTTP_MAX_WAITING) {
		handoff_unavailable(ho, "gateway busy");
		return;
	}
	/* Made here: nearly every hand-off goes at once and never waits. */
	if (ho->timer == NULL &&
	    (ho->timer = evtimer_new(hw->base, handoff_wait_timeout, ho)) ==
	        NULL)
		fatalx(EXIT_RUNTIME, "out of memory (hand-off)");
	ho->where = HO_WAITING;
	TAILQ_INSERT_TAIL(&hw->waiting, ho, entry);
	hw->nwaiting++;
	evtimer_add(ho->timer, &tv);
}

static void
handoff_go(struct http_handoff *ho)
{
	if (ho->hw->peer[ho->target] == NULL || handoff_send(ho) == -1)
		handoff_wait(ho);
}

void
http_handoff_flush(struct http_worker *hw)
{
	struct http_handoff *ho, *next;

	for (ho = TAILQ_FIRST(&hw->waiting); ho != NULL; ho = next) {
		next = TAILQ_NEXT(ho, entry);
		if (hw->peer[ho->target] == NULL)
			continue;
		handoff_unlink(ho);
		handoff_go(ho);
	}
}

/* Hold the request for role: it leaves with every byte read. */
static struct http_handoff *
handoff_new(struct http_conn *c, int role)
{
	struct http_handoff *ho;

	ho = xcalloc(1, sizeof(*ho));
	ho->hw = http_conn_ctx(c);
	ho->c = c;
	ho->target = role;
	http_conn_set_data(c, ho);
	http_conn_hold(c);
	return ho;
}

/* A route's handler: arg is the target role (HTTP_HANDOFF_TO). */
void
http_handoff_to(struct http_conn *c, void *arg)
{
	handoff_go(handoff_new(c, (int)(intptr_t)arg));
}

static int
handoff_origin_allowed(struct http_conn *c, const char *origin,
    const char *host)
{
	const struct gw_config *cfg =
	    &((struct http_worker *)http_conn_ctx(c))->w->cfg;
	int i;

	if (origin == NULL)
		return 1; /* not a browser */
	for (i = 0; i < cfg->allowed_origins.n; i++)
		if (strcmp(cfg->allowed_origins.v[i], "*") == 0 ||
		    strcasecmp(cfg->allowed_origins.v[i], origin) == 0)
			return 1;
	/*
	 * Our own origin: the Control UI is served from this host:port.  The
	 * server checked Host (its rule, one field, valid syntax) before the
	 * route ran.
	 */
	if (host != NULL &&
	    ((strncasecmp(origin, "http://", 7) == 0 &&
	         strcasecmp(origin + 7, host) == 0) ||
	        (strncasecmp(origin, "https://", 8) == 0 &&
	            strcasecmp(origin + 8, host) == 0)))
		return 1;
	return 0;
}

static int
handoff_key_ok(const char *key)
{
	size_t n;

	if (key == NULL || (n = strlen(key)) != 24 || key[22] != '=' ||
	    key[23] != '=')
		return 0;
	return strspn(key,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	           "wxyz0123456789+/") == 22;
}

static void
handoff_refuse(struct http_conn *c, int status, const char *extra,
    const char *msg)
{
	char      ip[48];
	socklen_t len;

	net_ntop(http_conn_peer(c, &len), ip, sizeof(ip));
	if (log_limit("upgrade refused", ip))
		log_info("websocket upgrade from %s refused (%d): %s", ip,
		    status, msg);
	http_respond_close(c);
	http_respond_error(c, status, extra, msg,
	    status == 403     ? "forbidden" :
	        status == 404 ? "not_found" :
	                        "invalid_request_error");
}

/* The accept key, and whether a browser sent the request (it has an
 * Origin): ws needs them and no longer reads the head. */
static void
handoff_ws(struct http_conn *c, const char *key, const char *origin)
{
	struct http_handoff *ho;

	ho = handoff_new(c, ROLE_WS);
	ws_accept_key(key, ho->ws_accept);
	if (origin != NULL)
		ho->flags |= HANDOFF_BROWSER;
	handoff_go(ho);
}

void
http_handoff_upgrade(struct http_conn *c, void *arg)
{
	const struct http_head *h = http_conn_head(c);
	const char             *host = http_head_get(h, "host");
	const char             *ver = http_head_get(h, "sec-websocket-version");
	const char             *key = http_head_get(h, "sec-websocket-key");
	const char             *origin = http_head_get(h, "origin");

	(void)arg;
	if (strncmp(h->path, WORKER_PREFIX, strlen(WORKER_PREFIX)) == 0)
		handoff_refuse(c, 404, NULL, "not found");
	else if (h->method != HTTP_GET || h->http_major != 1 ||
	    h->http_minor < 1)
		handoff_refuse(c, 400, NULL,
		    "websocket upgrade needs GET "
		    "and HTTP/1.1");
	else if (!http_head_has_token(h, "upgrade", "websocket"))
		handoff_refuse(c, 400, NULL, "unsupported upgrade");
	else if (ver == NULL || strcmp(ver, "13") != 0)
		handoff_refuse(c, 426, "Sec-WebSocket-Version: 13\r\n",
		    "unsupported websocket version");
	else if (!handoff_key_ok(key))
		handoff_refuse(c, 400, NULL, "bad Sec-WebSocket-Key");
	else if (!handoff_origin_allowed(c, origin, host))
		handoff_refuse(c, 403, NULL, "origin not allowed");
	else
		handoff_ws(c, key, origin);
}
