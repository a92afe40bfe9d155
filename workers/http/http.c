#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/ws-frame.h"
#include "common/xmalloc.h"
#include "workers/http/http.h"
#include "workers/worker.h"

static struct http_worker http_wk;

static void
http_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct http_worker	*hw = arg;

	(void)lev;
	(void)http_server_accept(hw->srv, fd, sa, (socklen_t)socklen);
}

static void
http_accept_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct http_worker	*s = arg;

	(void)fd;
	(void)ev;
	if (!s->w->draining)
		evconnlistener_enable(s->lev);
}

/*
 * Out of descriptors: stop accepting for a while instead of spinning on
 * a listener that stays readable.
 */
static void
http_accept_error(struct evconnlistener *lev, void *arg)
{
	struct http_worker	*s = arg;
	struct timeval		 tv = { 0, 100000 };
	int			 err = EVUTIL_SOCKET_ERROR();

	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		log_warnx("accept: %s; pausing accepts for 100 ms",
		    strerror(err));
		evconnlistener_disable(lev);
		evtimer_add(s->accept_retry, &tv);
		return;
	}
	if (err != EAGAIN && err != ECONNABORTED && err != EINTR)
		log_warnx("accept: %s", strerror(err));
}

static int
http_start(struct worker *w)
{
	struct http_worker	*s = &http_wk;
	const char		*host;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->base = w->base;
	TAILQ_INIT(&s->waiting);
	TAILQ_INIT(&s->handed);
	w->ctx = s;
	if ((s->sio = sockio_base_new(s->base)) == NULL)
		return -1;
	s->srv = http_server_new(s->base, s->sio, &http_routes_cb, s);
	/* The upgrade's accept key is computed here (see the hand-off);
	 * OpenSSL's lazy set-up would otherwise delay the first client. */
	if (ws_handshake_init() == -1)
		log_warnx("SHA-1 unavailable: WebSocket upgrades will fail");
	host = strcmp(w->cfg.bind, "lan") == 0 ? "0.0.0.0" : "127.0.0.1";
	snprintf(s->host_port, sizeof(s->host_port), "%s:%ld", host,
	    w->cfg.port);
	if (w->listen_fd[LISTEN_MAIN] == -1) {
		log_warnx("no listening socket from master");
		return -1;
	}
	s->lev = evconnlistener_new(s->base, http_accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0,
	    w->listen_fd[LISTEN_MAIN]);
	if (s->lev == NULL) {
		log_warnx("cannot listen on the main socket");
		return -1;
	}
	w->listen_fd[LISTEN_MAIN] = -1;
	evconnlistener_set_error_cb(s->lev, http_accept_error);
	s->accept_retry = evtimer_new(s->base, http_accept_retry, s);
	worker_ready(w);
	return 0;
}

static void
http_peer(struct worker *w, int role, int fd)
{
	http_handoff_peer(w->ctx, role, fd);
}

void
http_worker_check_drained(struct http_worker *s)
{
	if (s->w->draining && http_server_nconns(s->srv) == 0)
		worker_finish(s->w);
}

static void
http_drain_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct http_worker	*s = arg;

	(void)fd;
	(void)ev;
	log_info("drain deadline: closing %d connection(s)",
	    http_server_nconns(s->srv));
	http_server_close_all(s->srv);
	worker_finish(s->w);
}

static void
http_drain(struct worker *w, const struct imsg_drain *d)
{
	struct http_worker	*s = w->ctx;
	struct timeval		 tv;

	evconnlistener_disable(s->lev);
	http_server_drain(s->srv);
	tv.tv_sec = d->deadline_ms / 1000;
	tv.tv_usec = (d->deadline_ms % 1000) * 1000;
	s->drain_timer = evtimer_new(s->base, http_drain_deadline, s);
	evtimer_add(s->drain_timer, &tv);
	http_worker_check_drained(s);
}

static void
http_stop(struct worker *w)
{
	struct http_worker	*s = w->ctx;

	if (s == NULL)
		return;
	http_server_free(s->srv);
	s->srv = NULL;
	http_handoff_close_peers(s);
	sockio_base_free(s->sio);
	s->sio = NULL;
	if (s->lev != NULL)
		evconnlistener_free(s->lev);
	if (s->accept_retry != NULL)
		event_free(s->accept_retry);
	if (s->drain_timer != NULL)
		event_free(s->drain_timer);
}

const struct worker_ops http_worker_ops = {
	.name = "http",
	.start = http_start,
	.peer = http_peer,
	.phase = NULL,
	.drain = http_drain,
	.stop = http_stop,
};
