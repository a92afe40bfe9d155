#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/xmalloc.h"
#include "workers/http/http.h"
#include "workers/worker.h"

static struct http_server http_srv;

static void
http_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	(void)lev;
	http_conn_accept(arg, fd, sa, socklen);
}

static int
http_start(struct worker *w)
{
	struct http_server	*s = &http_srv;
	const char		*host;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->base = w->base;
	TAILQ_INIT(&s->waiting);
	TAILQ_INIT(&s->handed);
	w->ctx = s;
	if ((s->sio = sockio_base_new(s->base)) == NULL)
		return -1;
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
http_server_check_drained(struct http_server *s)
{
	if (s->w->draining && s->nconns == 0)
		worker_finish(s->w);
}

static void
http_drain_deadline(void *arg)
{
	struct http_server	*s = arg;

	log_info("drain deadline: closing %d connection(s)", s->nconns);
	while (s->conns != NULL)
		http_conn_free(s->conns);
}

static void
http_drain(struct worker *w, const struct imsg_drain *d)
{
	struct http_server	*s = w->ctx;
	struct http_conn	*c, *next;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (http_conn_idle(c))
			http_conn_free(c);
	}
	worker_drain_deadline(w, d, http_drain_deadline, s);
	http_server_check_drained(s);
}

static void
http_stop(struct worker *w)
{
	struct http_server	*s = w->ctx;

	if (s == NULL)
		return;
	while (s->conns != NULL)
		http_conn_free(s->conns);
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
