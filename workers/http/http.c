#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/ws/frame.h"
#include "common/xmalloc.h"
#include "workers/http/http.h"
#include "workers/worker.h"

static struct http_worker http_wk;

static void
http_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct http_worker *hw = arg;

	(void)lev;
	(void)http_server_accept(hw->srv, fd, sa, (socklen_t)socklen);
}

static int
http_start(struct worker *w)
{
	struct http_worker *s = &http_wk;
	const char         *host;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->base = w->base;
	TAILQ_INIT(&s->waiting);
	TAILQ_INIT(&s->handed);
	w->ctx = s;
	if ((s->sio = sockio_base_new(s->base)) == NULL)
		return -1;
	s->srv = http_server_new(s->base, s->sio, &http_routes_cb, s);
	http_server_check_host(s->srv, &w->cfg);
	/* The upgrade's accept key is computed here (see the hand-off);
	 * OpenSSL's lazy set-up would otherwise delay the first client. */
	if (ws_handshake_init() == -1)
		log_warnx("SHA-1 unavailable: WebSocket upgrades will fail");
	host = strcmp(w->cfg.bind, "lan") == 0 ? "0.0.0.0" : "127.0.0.1";
	snprintf(s->host_port, sizeof(s->host_port), "%s:%ld", host,
	    w->cfg.port);
	if (worker_listen(w, LISTEN_MAIN, http_accept_cb, s) == NULL)
		return -1;
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
http_drain_deadline(void *arg)
{
	struct http_worker *s = arg;

	log_info("drain deadline: closing %d connection(s)",
	    http_server_nconns(s->srv));
	http_server_close_all(s->srv);
}

static void
http_drain(struct worker *w, const struct imsg_drain *d)
{
	struct http_worker *s = w->ctx;

	http_server_drain(s->srv, w->restarting);
	worker_drain_deadline(w, d, http_drain_deadline, s);
	http_worker_check_drained(s);
}

static void
http_stop(struct worker *w)
{
	struct http_worker *s = w->ctx;

	if (s == NULL)
		return;
	http_server_free(s->srv);
	s->srv = NULL;
	http_handoff_close_peers(s);
	sockio_base_free(s->sio);
	s->sio = NULL;
}

const struct worker_ops http_worker_ops = {
	.start = http_start,
	.peer = http_peer,
	.phase = NULL,
	.drain = http_drain,
	.stop = http_stop,
};
