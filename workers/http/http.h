/*
 * The http worker: the only acceptor of the main port.  It reads each
 * request head, answers the probe routes, and hands WebSocket upgrades to
 * ws and canvas paths to canvas, with every byte already read.
 */
#ifndef WORKERS_HTTP_HTTP_H
#define WORKERS_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "common/http-head.h"
#include "protocol/roles.h"

struct worker;
struct ipc_chan;
struct sockio;
struct sockio_base;

#define HTTP_HEAD_TIMEOUT_MS	10000
#define HTTP_IDLE_TIMEOUT_MS	30000
#define HTTP_PEER_WAIT_MS	10000	/* hand-off waiting for a respawn */
#define HTTP_ACK_WAIT_MS	5000	/* a peer alive but silent (to 2x) */
#define HTTP_MAX_WAITING	4096
#define HTTP_LINGER_MS		2000
#define HTTP_LINGER_MAX		(256 * 1024)

enum http_conn_state {
	HC_READING,	/* reading a request head */
	HC_WRITING,	/* response queued; close or next request after */
	HC_WAITING,	/* hand-off target not up yet */
	HC_HANDED,	/* sent to a peer; kept until it acknowledges */
	HC_LINGER,	/* response sent; swallowing input before close */
};

struct http_conn {
	struct http_server	*srv;
	struct sockio		*sio;
	struct sockaddr_storage	 peer;
	socklen_t		 peer_len;
	int			 local;		/* loopback client */
	enum http_conn_state	 state;
	struct http_head	 head;
	size_t			 fed;		/* input bytes given to head */
	size_t			 lingered;	/* bytes swallowed in HC_LINGER */
	int			 close_after;
	int			 peer_eof;	/* the client sends no more */
	int			 target;	/* hand-off role */
	uint64_t		 handoff_id;
	struct event		*timer;
	struct http_conn	*next, *prev;	/* all connections */
	TAILQ_ENTRY(http_conn)	 hentry;	/* waiting or handed list */
};

TAILQ_HEAD(http_conn_list, http_conn);

struct http_server {
	struct worker		*w;
	struct event_base	*base;
	struct sockio_base	*sio;
	struct ipc_chan		*peer[ROLE_MAX];	/* by role */
	struct http_conn	*conns;
	int			 nconns;
	struct http_conn_list	 waiting;	/* for a peer to come up */
	struct http_conn_list	 handed;	/* for a peer's ack, by id */
	int			 nwaiting;
	uint64_t		 handoff_seq;	/* last id, for every peer */
	struct event		*ack_timer;	/* for a silent peer */
	uint64_t		 ack_due;	/* handed ids released at it */
	char			 host_port[64];	/* "127.0.0.1:18789" */
};

/* http.c */
void	http_server_check_drained(struct http_server *);

/* http-conn.c */
void	http_conn_accept(struct http_server *, int fd, struct sockaddr *,
	    int socklen);
void	http_conn_free(struct http_conn *);
void	http_conn_respond(struct http_conn *, int status, const char *extra,
	    const char *ctype, const char *body, size_t len);
void	http_conn_json(struct http_conn *, int status, const char *extra,
	    const char *body);
int	http_conn_idle(const struct http_conn *);

/* http-probes.c */
int	http_probe_route(struct http_conn *);

/* http-handoff.c */
int	http_handoff_route(struct http_conn *);
void	http_handoff_peer(struct http_server *, int role, int fd);
void	http_handoff_flush(struct http_server *);
void	http_handoff_close_peers(struct http_server *);
void	http_handoff_forget(struct http_conn *);

#endif
