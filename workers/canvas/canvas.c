/*
 * The canvas role on the common HTTP server: one route, the files under
 * the canvas root, and the canvas port's own listener.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "common/http/server.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "protocol/http-paths.h"
#include "workers/canvas/canvas.h"

struct canvas_server {
	struct event_base  *cs_base;
	struct http_server *cs_http;
	struct http_route   cs_route;
	char               *cs_root;
	int                 cs_root_fd;
	int                 cs_root_warned;
	void (*cs_drained)(void *); /* the last connection went, draining */
	void *cs_drained_arg;
};

/* The root is opened lazily, so a canvas directory created after start
 * (by the master or the operator) is picked up without a restart. */
static int
srv_root_fd(struct canvas_server *srv)
{
	if (srv->cs_root_fd != -1)
		return srv->cs_root_fd;
	srv->cs_root_fd = http_static_root_open(srv->cs_root);
	if (srv->cs_root_fd == -1 && !srv->cs_root_warned) {
		log_warn("canvas: root %s", srv->cs_root);
		srv->cs_root_warned = 1;
	}
	return srv->cs_root_fd;
}

/* Absolute-form targets (RFC 9112 3.2.2) carry the path after the
 * authority. */
static const char *
request_path(const char *path)
{
	const char *p;

	if (strncasecmp(path, "http://", 7) == 0)
		p = path + 7;
	else if (strncasecmp(path, "https://", 8) == 0)
		p = path + 8;
	else
		return path;
	return (p = strchr(p, '/')) != NULL ? p : "/";
}

static void
canvas_request(struct http_conn *c, void *arg)
{
	struct canvas_server   *srv = arg;
	const struct http_head *h = http_conn_head(c);
	const char             *path;
	size_t                  plen = strlen(CANVAS_PREFIX);

	path = request_path(h->path);
	if (strncmp(path, CANVAS_PREFIX, plen) != 0 ||
	    (path[plen] != '\0' && path[plen] != '/'))
		http_respond_error(c, 404, NULL, "not found", "not_found");
	else if (h->method != HTTP_GET && h->method != HTTP_HEAD)
		http_respond_error(c, 405, "Allow: GET, HEAD\r\n",
		    "method not allowed", "method_not_allowed");
	else if (path[plen] == '\0')
		http_redirect_slash(c, path);
	else
		http_static_serve(c, srv_root_fd(srv), path + plen + 1, path);
}

static const struct http_route *
canvas_route(struct http_conn *c, void *arg)
{
	struct canvas_server *srv = arg;

	(void)c;
	return &srv->cs_route;
}

static void
canvas_drained(void *arg)
{
	struct canvas_server *srv = arg;

	if (srv->cs_drained != NULL)
		srv->cs_drained(srv->cs_drained_arg);
}

static const struct http_server_cb canvas_http_cb = {
	.route = canvas_route,
	.drained = canvas_drained,
};

struct canvas_server *
canvas_server_new(struct event_base *base, struct sockio_base *sio,
    const struct gw_config *cfg, const char *root_dir, void (*drained)(void *),
    void *arg)
{
	struct canvas_server *srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->cs_base = base;
	srv->cs_root = xstrdup(root_dir);
	srv->cs_root_fd = -1;
	srv->cs_drained = drained;
	srv->cs_drained_arg = arg;
	srv->cs_route.fn = canvas_request;
	srv->cs_route.arg = srv;
	srv->cs_http = http_server_new(base, sio, &canvas_http_cb, srv);
	/* The canvas port too: the files are content a rebinding page wants. */
	http_server_check_host(srv->cs_http, cfg);
	(void)srv_root_fd(srv); /* warn early if it is missing */
	return srv;
}

void
canvas_server_free(struct canvas_server *srv)
{
	if (srv == NULL)
		return;
	http_server_free(srv->cs_http);
	if (srv->cs_root_fd != -1)
		close(srv->cs_root_fd);
	free(srv->cs_root);
	free(srv);
}

int
canvas_server_accept(struct canvas_server *srv, int fd,
    const struct sockaddr *sa, socklen_t salen)
{
	return http_server_accept(srv->cs_http, fd, sa, salen) == NULL ? -1 : 0;
}

int
canvas_server_adopt(struct canvas_server *srv, int fd,
    const struct sockaddr *sa, socklen_t salen, const void *pre, size_t prelen)
{
	return http_server_adopt(srv->cs_http, fd, sa, salen, pre, prelen) ==
	        NULL ?
	    -1 :
	    0;
}

void
canvas_server_drain(struct canvas_server *srv, int restart)
{
	http_server_drain(srv->cs_http, restart);
}

int
canvas_server_nconns(struct canvas_server *srv)
{
	return http_server_nconns(srv->cs_http);
}
