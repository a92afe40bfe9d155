/* The canvas worker's side of the master protocol. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/xmalloc.h"
#include "workers/canvas/canvas.h"
#include "workers/worker.h"

struct canvas_worker {
	struct worker        *w;
	struct canvas_server *srv;
	struct sockio_base   *sio;
	struct ipc_chan      *http;
};

static struct canvas_worker cw;

/* mkdir -p, so a fresh state directory serves an empty canvas. */
static int
canvas_mkdirs(const char *path, mode_t mode)
{
	char *p, *s;

	p = xstrdup(path);
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST)
			break;
		*s = '/';
	}
	free(p);
	return mkdir(path, mode) == -1 && errno != EEXIST ? -1 : 0;
}

static char *
canvas_root(const struct gw_config *cfg)
{
	char *root;

	if (cfg->workspace != NULL && *cfg->workspace != '\0')
		xasprintf(&root, "%s/canvas", cfg->workspace);
	else
		xasprintf(&root, "%s/workspace/canvas", cfg->state_dir);
	return root;
}

static void canvas_check_drained(struct canvas_worker *);

static void
canvas_on_http(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct canvas_worker *c = arg;
	struct imsg_handoff   h;

	if (m == NULL) {
		if (c->http == ch)
			c->http = NULL;
		ipc_chan_free(ch);
		canvas_check_drained(c);
		return;
	}
	if (worker_handoff_recv(ch, m, &h) == -1)
		return;
	canvas_server_adopt(c->srv, m->fd, (const struct sockaddr *)&h.peer,
	    (socklen_t)h.peer_len, m->data + sizeof(h), m->len - sizeof(h));
}

static void
canvas_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct canvas_worker *c = arg;

	(void)lev;
	(void)canvas_server_accept(c->srv, fd, sa, (socklen_t)socklen);
}

/* As ws_server_check_drained: http's close is the last word. */
static void
canvas_check_drained(struct canvas_worker *c)
{
	if (c->w->draining && canvas_server_nconns(c->srv) == 0 &&
	    !(c->w->restarting && c->http != NULL))
		worker_finish(c->w);
}

/* The last connection went after DRAIN. */
static void
canvas_drained(void *arg)
{
	canvas_check_drained(arg);
}

static int
canvas_start(struct worker *w)
{
	char *root;

	memset(&cw, 0, sizeof(cw));
	cw.w = w;
	w->ctx = &cw;
	root = canvas_root(&w->cfg);
	if (canvas_mkdirs(root, 0700) == -1)
		log_warn("cannot create %s", root);
	if ((cw.sio = sockio_base_new(w->base)) == NULL) {
		free(root);
		return -1;
	}
	cw.srv = canvas_server_new(w->base, cw.sio, &w->cfg, root,
	    canvas_drained, &cw);
	free(root);
	if (cw.srv == NULL)
		return -1;
	if (w->listen_fd[LISTEN_CANVAS] != -1 &&
	    worker_listen(w, LISTEN_CANVAS, canvas_accept_cb, &cw) == NULL)
		return -1;
	worker_ready(w);
	return 0;
}

static void
canvas_peer(struct worker *w, int role, int fd)
{
	struct canvas_worker *c = w->ctx;

	/* The table pairs canvas with http only. */
	if (c->http != NULL)
		ipc_chan_free(c->http);
	c->http = worker_peer_open(w, role, fd, canvas_on_http, c);
}

static void
canvas_drain(struct worker *w, const struct imsg_drain *d)
{
	struct canvas_worker *c = w->ctx;

	canvas_server_drain(c->srv, w->restarting);
	worker_drain_deadline(w, d, NULL, NULL);
	canvas_check_drained(c);
}

static void
canvas_stop(struct worker *w)
{
	struct canvas_worker *c = w->ctx;

	if (c == NULL)
		return;
	if (c->http != NULL)
		ipc_chan_free(c->http);
	if (c->srv != NULL)
		canvas_server_free(c->srv);
	c->srv = NULL;
	/* after the connections that use it */
	sockio_base_free(c->sio);
	c->sio = NULL;
}

const struct worker_ops canvas_worker_ops = {
	.start = canvas_start,
	.peer = canvas_peer,
	.phase = NULL,
	.drain = canvas_drain,
	.stop = canvas_stop,
};
