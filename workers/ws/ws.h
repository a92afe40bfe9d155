/*
 * The ws worker: the WebSocket control plane (protocol.md sections 1-7).
 * Sockets arrive from the http worker already upgraded-to-be; this worker
 * answers 101, runs the connect handshake, authenticates, dispatches
 * requests, and keeps presence in the shared-memory region.
 */
#ifndef WORKERS_WS_WS_H
#define WORKERS_WS_WS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "common/cfg.h"
#include "common/ws/frame.h"
#include "protocol/call.h"
#include "protocol/ipc-msg.h"

struct worker;
struct ipc_chan;
struct ws_server;
struct sockio;
struct sockio_base;

#define WS_MAX_PAYLOAD  26214400 /* 25 MiB */
#define WS_MAX_BUFFERED 52428800 /* 50 MiB */
/*
 * A droppable event (presence, health) is dropped, its seq consumed, for a
 * socket with more than this queued: the client refreshes on the gap, and
 * a fresher copy is due soon anyway, so queueing a 58 KB presence table
 * behind megabytes the peer has not read only costs memory.
 */
#define WS_DROP_BACKLOG        1048576 /* 1 MiB */
#define WS_MAX_PREAUTH_PAYLOAD 65536
#define WS_CLOSE_GRACE_MS      1000
#define WS_MAX_UNAUTHORIZED    10
#define WS_PRESENCE_MAX        200
#define WS_PRESENCE_MIN_GAP_MS 100
#define WS_REASON_MAX          120
#define WS_FD_RESERVE          64 /* descriptors kept free of clients */
/*
 * Over the inbound budget, a socket above its share that is not back
 * under it this long after it stopped being read is closed (1008).
 */
#define WS_INBOUND_STALL_MS 3000
#define WS_INBOUND_TICK_MS  250

enum ws_conn_state {
	WSC_PREAUTH,
	WSC_AUTHED,
	WSC_CLOSING,
};

struct ws_conn {
	struct ws_server  *srv;
	struct sockio     *sio;
	struct ws_decoder  dec;
	enum ws_conn_state state;
	struct event      *timer; /* handshake, then close grace */
	char               ip[48];
	uint8_t            local;
	uint8_t            rl_exempt; /* not rate limited */
	uint8_t            awaiting_pong;
	uint8_t            is_node;
	uint8_t            can_read;      /* operator.read: presence */
	uint8_t            unauthorized;  /* consecutive role errors */
	uint8_t            dead;          /* free once the decoder returns */
	uint8_t            free_on_drain; /* free once output is written */
	uint8_t            in_feed;       /* inside ws_decoder_feed */
	uint8_t            uncounted;     /* output left out of out_bytes */
	char              *presence_key;  /* NULL: not tracked */
	uint64_t           seq;           /* last event seq sent */
	char               conn_id[37];
	char               nonce[37];
	char             **scopes;
	int                nscopes;
	char              *client_id; /* connect's client.id, mode */
	char              *client_mode;
	const char        *auth_method;
	TAILQ_ENTRY(ws_conn) entry; /* ws_server.conns */
	LIST_ENTRY(ws_conn) by_id;  /* ws_server.by_id */

	/* the inbound budget (ws-inbound.c) */
	size_t   in_held;      /* reassembly bytes counted in in_bytes */
	uint64_t in_paused_ms; /* when reading stopped */
	uint8_t  in_paused;    /* not read: over the budget */
};

TAILQ_HEAD(ws_conn_list, ws_conn);
LIST_HEAD(ws_conn_bucket, ws_conn);
#define WS_CONN_BUCKETS 1024 /* by connection id */

struct ws_ipent;

struct ws_presence {
	char               *key;
	struct json_object *entry; /* PresenceEntry */
	uint64_t            ts;
	int                 row;       /* shm row */
	int                 inherited; /* loaded from a previous ws */
};

struct ws_agent_call;
LIST_HEAD(ws_agent_calls, ws_agent_call);
#define WS_AGENT_BUCKETS   256
#define WS_AGENT_CALLS_MAX 16384 /* forwarded, not finally answered */

struct ws_server {
	struct worker        *w;
	struct event_base    *base;
	struct sockio_base   *sio; /* flush list for the clients */
	struct ipc_chan      *http;
	struct ipc_chan      *agent; /* ws-agent.c */
	struct ws_agent_calls agent_calls[WS_AGENT_BUCKETS];
	int                   nagent_calls;
	struct ws_conn_list   conns;
	struct ws_conn_bucket by_id[WS_CONN_BUCKETS];
	struct gw_transport   calls; /* answers to our clients */
	int                   nconns;
	int                   nauthed;
	size_t                out_bytes; /* over all sockets */
	struct ws_ipent     **ips;       /* hash buckets */
	struct event         *tick_timer;
	struct event         *ping_timer;
	struct event         *presence_timer;
	struct event         *prune_timer;
	struct event         *health_timer;
	struct ws_presence    presence[WS_PRESENCE_MAX + 1];
	int                   npresence;
	int                   presence_pending;
	int                   presence_frozen; /* shm is another ws's */
	struct imsg_drain     drain; /* what the drain said, for late ones */
	uint64_t              presence_last_ms;
	struct json_object   *health; /* cached snapshot */
	uint64_t              health_ms;
	/* The `health` answer: that snapshot plus logDropped, rebuilt when
	 * either changes (methods/health.c). */
	struct json_object *health_res;
	struct json_object *health_res_of; /* the snapshot it holds */
	uint64_t            health_res_drops;
	struct json_object *events; /* queued system events */
	char                hostname[256];
	char                instance_id[37];

	/* the inbound budget (ws-inbound.c) */
	size_t        in_bytes;   /* partial messages, all sockets */
	int           in_holders; /* sockets holding some */
	int           in_npaused;
	struct event *inbound_timer;
};

/* ws.c */
void ws_server_check_drained(struct ws_server *);

/* ws-conn.c */
struct imsg_handoff;
void ws_conn_adopt(struct ws_server *, int fd, const struct imsg_handoff *,
    const uint8_t *data);
void ws_conn_free(struct ws_conn *);
/* 0: queued; 1: dropped (droppable only); -1: the socket is closing. */
int ws_conn_send(struct ws_conn *, const char *text, size_t len, int droppable);
int ws_conn_send_json(struct ws_conn *, struct json_object *, int droppable);
/*
 * Bytes queued on many sockets at once (a broadcast): their output
 * buffers refer to data, and the last reference frees it.
 */
struct ws_shared {
	int    refs;
	size_t len;
	char   data[];
};
struct ws_shared *ws_shared_new(const char *data, size_t len);
void              ws_shared_unref(struct ws_shared *);
/* One text frame: sh's bytes, then tail.  Returns as ws_conn_send. */
int  ws_conn_send_shared(struct ws_conn *, struct ws_shared *sh,
     const char *tail, size_t tail_len, int droppable);
void ws_conn_close(struct ws_conn *, uint16_t code, const char *reason);
void ws_conn_ping(struct ws_conn *);

/* ws-inbound.c: the global budget of inbound bytes. */
void ws_inbound_update(struct ws_conn *);
void ws_inbound_forget(struct ws_conn *);
void ws_inbound_stop(struct ws_server *);

/* ws-connect.c */
void ws_connect_frame(struct ws_conn *, const char *text, size_t len);

/* ws-auth.c */
struct ws_auth_result {
	int         ok;
	const char *method; /* hello-ok.auth.method */
	const char *reason; /* internal reason, for logs */
	const char *detail; /* details.code */
	char        message[200];
	int         counts; /* a failure the rate limiter counts */
};
void ws_auth_check(struct ws_conn *, struct json_object *params,
    struct ws_auth_result *);

/* ws-ratelimit.c */
int  ws_ip_preauth_inc(struct ws_server *, const char *ip, long max);
void ws_ip_preauth_dec(struct ws_server *, const char *ip);
/* Budget full: make room on the local CLI's address; 0 if it did. */
int ws_ip_preauth_evict(struct ws_server *, const char *ip);
/* ms until the lockout of ip ends, 0 if not locked. */
uint64_t ws_ip_locked(struct ws_server *, const char *ip, int exempt);
void     ws_ip_failed(struct ws_server *, const char *ip, int exempt);
void     ws_ip_sweep(struct ws_server *);
void     ws_ip_free_all(struct ws_server *);

/* ws-dispatch.c */
void ws_dispatch_frame(struct ws_conn *, const char *text, size_t len);
/* Both take ownership of payload / err. */
void ws_send_res(struct ws_conn *, const char *id, struct json_object *payload);
void ws_send_err(struct ws_conn *, const char *id, struct json_object *err);

/* ws-call.c: the calls' transport, and the connections by id. */
void ws_call_init(struct ws_server *);
void ws_call_register(struct ws_conn *);
void ws_call_unregister(struct ws_conn *);
/* A new call from c (the dispatcher frees it unless deferred). */
struct gw_call *ws_call_new(struct ws_conn *, const char *id,
    const char *method, struct json_object *params);

/* ws-methods.c: the method table, from the families in methods/. */
const struct gw_method *ws_method_lookup(const char *name);
struct json_object     *ws_methods_list(void);
struct json_object     *ws_events_list(void);

/* methods/health.c */
extern const struct gw_method ws_methods_health[];
extern const struct gw_method ws_methods_heartbeat[];
struct json_object           *ws_health_get(struct ws_server *, int fresh);
void                          ws_health_start(struct ws_server *);

/* methods/presence.c */
extern const struct gw_method ws_methods_presence[];

/* methods/config.c */
extern const struct gw_method ws_methods_config[];

/* methods/logs.c */
extern const struct gw_method ws_methods_logs[];
/* methods/agent.c: served by the agent worker */
extern const struct gw_method ws_methods_agent[];

/* ws-agent.c */
void ws_agent_init(struct ws_server *);
void ws_agent_peer(struct ws_server *, int role, int fd);
void ws_agent_stop(struct ws_server *);
void ws_agent_forward(struct gw_call *, void *ctx);

/* methods/config-redact.c: every secret of a parsed config file replaced
 * by "__OPENCLAW_REDACTED__", in place (the rules are in the file). */
void ws_config_redact(struct json_object *);

/* ws-hello.c */
struct json_object *ws_hello_ok(struct ws_conn *);

/* ws-presence.c */
void ws_presence_start(struct ws_server *);
long ws_presence_prune_ms(const struct gw_config *);
void ws_presence_stop(struct ws_server *);
void ws_presence_freeze(struct ws_server *);
void ws_presence_takeover(struct ws_server *);
void ws_presence_connect(struct ws_conn *, struct json_object *params);
void ws_presence_disconnect(struct ws_conn *);
void ws_presence_touch(struct ws_conn *);
int  ws_presence_system_event(struct ws_server *, struct json_object *params);
struct json_object *ws_presence_list(struct ws_server *);

/* ws-reconfig.c: a reload changed live keys (worker_ops.reconfig) */
void ws_reconfig(struct worker *, const struct gw_config *old);

/* ws-broadcast.c */
struct json_object *ws_state_version(struct ws_server *);
void                ws_broadcast_start(struct ws_server *);
void                ws_broadcast_stop(struct ws_server *);
int                 ws_send_event(struct ws_conn *, const char *event,
                    struct json_object *payload, int with_state, int droppable);
void                ws_broadcast(struct ws_server *, const char *event,
                   struct json_object *payload, int need_read, int with_state, int droppable);
void                ws_broadcast_presence_soon(struct ws_server *);
void ws_broadcast_shutdown(struct ws_server *, const struct imsg_drain *);
void ws_conn_shutdown(struct ws_conn *, const struct imsg_drain *);

#endif
