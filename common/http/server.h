/*
 * The HTTP/1.1 server every role that speaks HTTP runs on (the http
 * worker's main port, the canvas worker): connections on common/sockio,
 * request heads by common/http/head.c, bodies, keep-alive, pipelined
 * requests answered strictly in order, and one response writer, so the
 * headers every response carries are decided here once.
 *
 * Ownership: the server owns its connections; a connection owns its
 * socket, its timer and what it reads.  The application hangs its own
 * state on a connection (http_conn_set_data) and is told when the
 * connection goes (cb->conn_gone), whoever frees it.
 */
#ifndef COMMON_HTTP_SERVER_H
#define COMMON_HTTP_SERVER_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <stddef.h>

#include "common/http/head.h"

struct event_base;
struct evbuffer;
struct sockio_base;
struct http_server;
struct http_conn;
struct gw_config;

#define HTTP_HEAD_TIMEOUT_MS  10000 /* from a head's first byte to its end */
#define HTTP_IDLE_TIMEOUT_MS  30000 /* keep-alive silence */
#define HTTP_BODY_TIMEOUT_MS  30000 /* without a byte of the body: 408 */
#define HTTP_WRITE_TIMEOUT_MS 30000 /* queued output without progress */
#define HTTP_LINGER_MS        2000
#define HTTP_LINGER_MAX       (256 * 1024)
/* Input held while a response is pending (pipelining, a client that
 * sends without reading): reading stops above it. */
#define HTTP_PIPELINE_MAX HTTP_HEAD_MAX_BYTES

typedef void http_handler_fn(struct http_conn *, void *arg);
/* The output fell under the writer's mark: queue more (or end). */
typedef void http_writer_fn(struct http_conn *, void *arg);

/* What to do with a request, chosen once its head is in. */
struct http_route {
	http_handler_fn *fn; /* called once the body is in */
	void            *arg;
	/*
	 * Largest body read (413 above it).  0: the route takes no body;
	 * the handler runs at once and the connection closes after the
	 * answer, since the body was never read.
	 */
	size_t body_max;
	int    body_timeout_ms; /* 0: HTTP_BODY_TIMEOUT_MS */
	/*
	 * Answered whatever the Host (probes, a 404): the route serves
	 * nothing a rebinding page could read.  0: with a Host rule set
	 * (http_server_check_host), a request it refuses gets 403.
	 */
	int any_host;
};

struct http_server_cb {
	/* A head is in: its route (never NULL). */
	const struct http_route *(*route)(struct http_conn *, void *arg);
	/* A connection is about to go (may be NULL). */
	void (*conn_gone)(struct http_conn *, void *arg);
	/* The last connection went while draining (may be NULL). */
	void (*drained)(void *arg);
};

/* server.c */
/* The sockio base is the caller's and outlives the server. */
struct http_server *http_server_new(struct event_base *, struct sockio_base *,
    const struct http_server_cb *, void *arg);
void                http_server_free(struct http_server *);
/* An accepted socket (nonblocking): served, or closed on failure. */
struct http_conn *http_server_accept(struct http_server *, int fd,
    const struct sockaddr *, socklen_t);
/* A socket someone else accepted, whose first prelen bytes it read. */
struct http_conn *http_server_adopt(struct http_server *, int fd,
    const struct sockaddr *, socklen_t, const void *pre, size_t prelen);
/*
 * The Host rule (host.c) for every route without any_host, read from cfg
 * at each request (it follows a reload); cfg outlives the server.
 */
void http_server_check_host(struct http_server *, const struct gw_config *);
/*
 * Refuse new sockets, close idle ones, close the others once answered.
 * restart: the sockets of the accept batch under way are still served,
 * and so is the first request of a connection that has had none.
 */
void http_server_drain(struct http_server *, int restart);
void http_server_close_all(struct http_server *);
int  http_server_nconns(const struct http_server *);
int  http_server_draining(const struct http_server *);

/* conn.c */
const struct http_head *http_conn_head(const struct http_conn *);
int http_conn_local(const struct http_conn *); /* loopback peer */
const struct sockaddr *http_conn_peer(const struct http_conn *, socklen_t *);
int                    http_conn_fd(const struct http_conn *);
/* Everything read and not answered yet: the head (head_len bytes) first. */
struct evbuffer *http_conn_input(const struct http_conn *);
size_t           http_conn_head_len(const struct http_conn *);
void             http_conn_set_data(struct http_conn *, void *);
void            *http_conn_data(const struct http_conn *);
/* The arg the server was made with. */
void *http_conn_ctx(const struct http_conn *);
/*
 * The handler keeps the request unanswered for a while (a hand-off):
 * reading stops and no timer runs until it answers or frees.
 */
void http_conn_hold(struct http_conn *);
void http_conn_free(struct http_conn *);

/* body.c */
/* The request body, complete (chunked framing removed), or NULL. */
struct evbuffer *http_conn_body(const struct http_conn *);

/* response.c */
/*
 * Every response: Date, Content-Type, Content-Length or chunked,
 * Cache-Control (no-store unless http_respond_cache said otherwise),
 * X-Content-Type-Options: nosniff, Connection (keep-alive or close),
 * then extra ("Name: value\r\n" lines).  HEAD gets no body.
 */
void http_respond(struct http_conn *, int status, const char *extra,
    const char *ctype, const void *body, size_t len);
void http_respond_json(struct http_conn *, int status, const char *extra,
    const char *body);
/* The one error body: {"error":{"message":...,"type":...}}. */
void http_respond_error(struct http_conn *, int status, const char *extra,
    const char *message, const char *type);
/* This response ends the connection, whatever the request asked. */
void http_respond_close(struct http_conn *);
/* Cache-Control of this response (a static string). */
void http_respond_cache(struct http_conn *, const char *);
/* A response head with length bytes to come (-1: chunked, -2: none). */
void http_respond_head(struct http_conn *, int status, const char *extra,
    const char *ctype, long long length);
/* Body bytes of a chunked response (or of a known length, in pieces). */
void http_respond_chunk(struct http_conn *, const void *, size_t);
/* The body is complete: close, or on to the next request. */
void http_respond_end(struct http_conn *);
/* Called when the output drains under mark bytes, until the end. */
void http_respond_writer(struct http_conn *, size_t mark, http_writer_fn *,
    void *arg);
/* 1 if this response has no body on the wire (HEAD, 304). */
int    http_respond_bodiless(const struct http_conn *);
size_t http_respond_queued(const struct http_conn *);

/* sse.c */
/* A text/event-stream response; events follow with http_sse_event. */
void http_sse_start(struct http_conn *, const char *extra);
/* One event (event may be NULL); data may hold newlines. */
void http_sse_event(struct http_conn *, const char *event, const char *data);

/* A file found under a static root, ready to send. */
struct http_file {
	int         fd;
	struct stat st;
	const char *type; /* Content-Type */
};

/* static-walk.c */
/* The root itself may be a symlink: it comes from the operator. */
int http_static_root_open(const char *dir);
int http_path_decode(const char *raw, char **decoded);
/* rel: raw (percent-encoded) path below the root.  Returns an HTTP
 * status: 200 (f filled, f->fd to close), 301 (a directory, ask for the
 * slash form), 400, 404 or 500. */
int http_static_open(int root_fd, const char *rel, struct http_file *f);

/* static.c */
/* Answer with the file below root_fd named by rel (raw); dir is the
 * request path, for the redirect of a directory to its slash form. */
void http_static_serve(struct http_conn *, int root_fd, const char *rel,
    const char *dir);
/* Answer with an open file (taken over); Range and If-Modified-Since. */
void http_static_send(struct http_conn *, struct http_file *);
void http_redirect_slash(struct http_conn *, const char *path);

/* host.c */
/* Host (a field value, or NULL) names this gateway by cfg's rule. */
int http_host_allowed(const struct gw_config *, const char *host);
/* Its Host field and an absolute-form target's authority both do. */
int
http_host_request_allowed(const struct gw_config *, const struct http_head *);

/* mime.c */
const char *http_mime_type(const char *name);

#endif
