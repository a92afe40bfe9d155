/*
 * Inside the HTTP server: the connection and server structures, shared by
 * the files of common/http/ only.  Applications use server.h.
 */
#ifndef COMMON_HTTP_CONN_H
#define COMMON_HTTP_CONN_H

#include <sys/queue.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#include <event2/buffer.h>
#include <event2/util.h>

#include "common/http/server.h"

struct event;

enum http_conn_state {
	HTTP_READ_HEAD, /* reading a request head (or idle) */
	HTTP_READ_BODY, /* reading the body of a routed request */
	HTTP_HANDLING,  /* the handler has it; nothing queued yet */
	HTTP_HELD,      /* idem, reading off, no timer (hand-off) */
	HTTP_WRITING,   /* response head queued; body may follow */
	HTTP_LINGER,    /* answered; swallowing input before close */
};

/* A request body being read: http-parser goes on after the head. */
struct http_body {
	struct evbuffer *buf; /* the body so far */
	size_t           max;
	int              started; /* parser fed the head's LF */
	int              done;
	int              too_big;
};

/* The response in flight. */
struct http_resp {
	int             status;
	int             chunked;
	int             bodiless; /* HEAD, 304: headers only */
	int             ended;    /* http_respond_end came */
	const char     *cache;
	http_writer_fn *writer;
	void           *writer_arg;
	size_t          mark;
	int             file_fd; /* body being sent, or -1 */
	off_t           file_off;
	off_t           file_left;
};

struct http_conn {
	TAILQ_ENTRY(http_conn) entry;
	struct http_server      *srv;
	struct sockio           *sio;
	struct event            *timer;
	struct event            *wev; /* writer wake-up, end of a response */
	struct http_head         head;
	struct http_body         body;
	struct http_resp         resp;
	const struct http_route *route;
	struct sockaddr_storage  peer;
	socklen_t                peer_len;
	int                      local;
	enum http_conn_state     state;
	size_t                   fed; /* input bytes given to head/body */
	size_t                   lingered;
	int                      close_after;
	int                      peer_eof;
	unsigned                 served; /* requests answered */
	void                    *data;
};

TAILQ_HEAD(http_conn_list, http_conn);

struct http_server {
	struct event_base           *base;
	struct sockio_base          *sio;
	const struct http_server_cb *cb;
	void                        *arg;
	struct http_conn_list        conns;
	int                          nconns;
	int                          draining;
	int                          restarting; /* draining for a restart */
	const struct gw_config      *host_cfg;   /* the Host rule, or NULL */
};

/* conn.c */
struct http_conn *
http_conn_new(struct http_server *, int fd, const struct sockaddr *, socklen_t);
void http_conn_process(struct http_conn *);
void http_conn_timer(struct http_conn *, int ms);
void http_conn_done(struct http_conn *);

/* body.c */
/* 1: the body is complete (or there is none to read); 0: more to come;
 * -1: answered with an error. */
int  http_body_begin(struct http_conn *);
int  http_body_feed(struct http_conn *);
void http_body_free(struct http_body *);

/* response.c */
void http_resp_reset(struct http_conn *);
/* Output byte accounting: write timeout, the writer's mark. */
void
http_resp_progress(struct evbuffer *, const struct evbuffer_cb_info *, void *);
void http_resp_wakeup(evutil_socket_t, short, void *);
/* The output drained: more of the body, or the end. */
void http_resp_drained(struct http_conn *);

/* RFC 9110 IMF-fixdate */
void http_date(time_t, char *, size_t);

/* static.c */
/* Queue the next piece of a file body (output drained). */
void http_static_more(struct http_conn *);

#endif
