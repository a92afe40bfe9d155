/*
 * The server object: the connections of one role, an accept entry for
 * sockets from the role's own listener and an adopt entry for sockets
 * another worker accepted (and read from) before handing them over.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/util.h>

#include "common/http/conn.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/xmalloc.h"

struct http_server *
http_server_new(struct event_base *base, struct sockio_base *sio,
    const struct http_server_cb *cb, void *arg)
{
	struct http_server *s;

	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->sio = sio;
	s->cb = cb;
	s->arg = arg;
	TAILQ_INIT(&s->conns);
	return s;
}

void
http_server_close_all(struct http_server *s)
{
	struct http_conn *c;

	while ((c = TAILQ_FIRST(&s->conns)) != NULL)
		http_conn_free(c);
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	s->draining = 0; /* no drained callback from here */
	http_server_close_all(s);
	free(s);
}

struct http_conn *
http_server_accept(struct http_server *s, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	int one = 1;

	/* In the same accept batch as a restart's drain: served, once. */
	if (s->draining && !s->restarting) {
		close(fd);
		return NULL;
	}
	/*
	 * Responses and events are whole messages: Nagle would hold a
	 * large one's last segment for the peer's delayed ACK (40 ms).  Set
	 * here, it goes with the socket to the worker it may be handed to.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return http_conn_new(s, fd, sa, salen);
}

struct http_conn *
http_server_adopt(struct http_server *s, int fd, const struct sockaddr *sa,
    socklen_t salen, const void *pre, size_t prelen)
{
	struct http_conn *c;

	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1) {
		log_warn("adopted socket");
		close(fd);
		return NULL;
	}
	c = http_conn_new(s, fd, sa, salen);
	/* The bytes go where the socket's would have. */
	if (prelen > 0 &&
	    evbuffer_add(sockio_input(c->sio), pre, prelen) == -1) {
		log_warnx("cannot buffer %zu handed-over bytes", prelen);
		http_conn_free(c);
		return NULL;
	}
	http_conn_process(c);
	return c;
}

/*
 * Between requests.  Under a restart, a connection that has not had its
 * first request yet is not idle: its client has just connected to send
 * one, and the new generation cannot answer it on this socket.
 */
static int
http_conn_idle(const struct http_conn *c, int restart)
{
	return c->state == HTTP_READ_HEAD && c->fed == 0 &&
	    evbuffer_get_length(sockio_input(c->sio)) == 0 &&
	    (!restart || c->served > 0);
}

void
http_server_drain(struct http_server *s, int restart)
{
	struct http_conn *c, *next;

	s->restarting = restart;
	for (c = TAILQ_FIRST(&s->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (http_conn_idle(c, restart))
			http_conn_free(c);
		else
			c->close_after = 1;
	}
	/* Set after the loop: the caller learns of an empty server itself,
	 * not from a callback in the middle of it. */
	s->draining = 1;
}

void
http_server_check_host(struct http_server *s, const struct gw_config *cfg)
{
	s->host_cfg = cfg;
}

int
http_server_nconns(const struct http_server *s)
{
	return s->nconns;
}

int
http_server_draining(const struct http_server *s)
{
	return s->draining;
}
