/*
 * The http worker: the only acceptor of the main port.  It runs the HTTP
 * server of common/http with a route table: the probe routes answered
 * here, WebSocket upgrades handed to ws and canvas paths to canvas, with
 * every byte already read.
 */
#ifndef WORKERS_HTTP_HTTP_H
#define WORKERS_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "common/http/server.h"
#include "protocol/roles.h"

struct worker;
struct ipc_chan;
struct sockio_base;

#define HTTP_PEER_WAIT_MS 10000 /* hand-off waiting for a respawn */
#define HTTP_ACK_WAIT_MS  5000  /* a peer alive but silent (to 2x) */
#define HTTP_MAX_WAITING  4096

/* A request held for a hand-off; owned by its connection's data. */
struct http_handoff {
	TAILQ_ENTRY(http_handoff) entry; /* waiting or handed list */
	struct http_worker *hw;
	struct http_conn   *c;
	int                 target; /* role */
	enum {
		HO_NONE,
		HO_WAITING,
		HO_HANDED
	} where;
	uint64_t      id;
	struct event *timer; /* waiting for a respawn; made when needed */
	uint32_t      flags; /* HANDOFF_* */
	char          ws_accept[29];
};

TAILQ_HEAD(http_handoff_list, http_handoff);

struct http_worker {
	struct worker           *w;
	struct event_base       *base;
	struct sockio_base      *sio;
	struct http_server      *srv;
	struct ipc_chan         *peer[ROLE_MAX]; /* by role */
	struct http_handoff_list waiting;        /* for a peer to come up */
	struct http_handoff_list handed;         /* for a peer's ack, by id */
	int                      nwaiting;
	uint64_t                 handoff_seq;   /* last id, for every peer */
	struct event            *ack_timer;     /* for a silent peer */
	uint64_t                 ack_due;       /* handed ids released at it */
	char                     host_port[64]; /* "127.0.0.1:18789" */
};

/* http.c */
void http_worker_check_drained(struct http_worker *);

/* http-routes.c */
extern const struct http_server_cb http_routes_cb;

/* http-probes.c */
enum http_probe_kind {
	PROBE_LIVE = 1,
	PROBE_READY,
	PROBE_STARTUP
};
/* A route's arg for http_probe. */
#define HTTP_PROBE(kind) ((void *)(intptr_t)(kind))
void http_probe(struct http_conn *, void *kind);

/* http-handoff.c */
/* A route's arg for http_handoff_to. */
#define HTTP_HANDOFF_TO(role) ((void *)(intptr_t)(role))
void http_handoff_to(struct http_conn *, void *role);
void http_handoff_upgrade(struct http_conn *, void *);
void http_handoff_peer(struct http_worker *, int role, int fd);
void http_handoff_flush(struct http_worker *);
void http_handoff_close_peers(struct http_worker *);
void http_handoff_forget(struct http_conn *, void *);

#endif
