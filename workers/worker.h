/*
 * The worker side of the master protocol, shared by every role: read the
 * master's HELLO, CONFIG and descriptors from fd 3, start serving on
 * START, follow PHASE and DRAIN, and exit when the master goes away.
 */
#ifndef WORKERS_WORKER_H
#define WORKERS_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/listener.h>

#include "common/cfg.h"
#include "common/ipc.h"
#include "protocol/ipc-msg.h"
#include "protocol/roles.h"

struct event;
struct event_base;
struct shm_region;
struct worker;

struct worker_ops {
	/* Everything received: start serving; -1 ends the worker (exit 1). */
	int (*start)(struct worker *);
	/*
	 * A channel to a peer role the table pairs with ours (may come
	 * again after a respawn); worker_peer_open makes it a channel.
	 */
	void (*peer)(struct worker *, int role, int fd);
	void (*phase)(struct worker *, enum gw_phase);
	void (*drain)(struct worker *, const struct imsg_drain *);
	/* IMSG_TAKEOVER (ws only): the previous generation let go. */
	void (*takeover)(struct worker *);
	/*
	 * A reload changed live keys, now in w->cfg (old: the values
	 * before): re-arm what was derived from them.  May be NULL.
	 */
	void (*reconfig)(struct worker *, const struct gw_config *old);
	/* WebSocket connections, for the master's STATUS=.  May be NULL. */
	uint32_t (*conns)(struct worker *);
	/* Free everything; called once before exit. */
	void (*stop)(struct worker *);
};

/* A listening socket of the worker's: accepts pause when out of fds. */
struct worker_listener {
	struct worker         *wl_worker;
	struct evconnlistener *wl_lev;
	evconnlistener_cb      wl_cb; /* the role's, with wl_arg */
	void                  *wl_arg;
	struct event          *wl_retry;  /* re-enables after a pause */
	time_t                 wl_logged; /* last pause logged */
};

struct worker {
	struct event_base       *base;
	struct ipc_chan         *master;
	const struct worker_ops *ops;
	int                      role;
	struct imsg_hello        hello;
	struct gw_config         cfg;
	struct shm_region       *shm;
	int listen_fd[LISTEN_MAX];                   /* by kind, until listen */
	struct worker_listener listener[LISTEN_MAX]; /* by kind */
	int                    peer_fd[ROLE_MAX];    /* by role, until start */
	struct event          *drain_timer;          /* worker_drain_deadline */
	struct event          *sigterm;              /* worker_sigterm_cb */
	void (*drain_cut)(void *);
	void         *drain_arg;
	enum gw_phase phase;
	int           started;
	int           draining;
	int           restarting;   /* draining for an in-place restart */
	int           defer_accept; /* START_DEFER_ACCEPT until PHASE_READY */
	long          nofile;       /* descriptor limit */
	void         *ctx;          /* the role's state */
	char         *log_path;  /* the log file's (IMSG_FD_LOG); NULL: none */
	int           config_fd; /* IMSG_FD_CONFIG, or -1: read by path */
};

int worker_main(const char *role);
/*
 * Check and acknowledge an IMSG_HANDOFF from http (the ack is cumulative
 * and leaves once the channel's current read is dispatched).  0 and the
 * header in h if the message is sound (the socket is then m->fd, the
 * bytes read so far follow the header); -1, socket closed, otherwise.
 */
struct ipc_msg;
int worker_handoff_recv(struct ipc_chan *, const struct ipc_msg *,
    struct imsg_handoff *);
/*
 * Accept on the listening socket of this kind the master sent; the
 * worker owns the listener (disabled on DRAIN, freed at exit) and its
 * pause-and-retry when accept runs out of descriptors or memory.
 * NULL (and logged) if there is no such socket or no listener.
 */
struct evconnlistener *
worker_listen(struct worker *, enum listener_kind, evconnlistener_cb, void *);
/*
 * The channel to peer role `role` on fd, taking what the role table
 * lets us accept from that role; the caller owns it.  NULL (fd closed)
 * on failure.
 */
struct ipc_chan *
worker_peer_open(struct worker *, int role, int fd, ipc_cb, void *);
/*
 * After the drain deadline in d: cut(arg) (may be NULL), then
 * worker_finish.  The timer is the worker's.
 */
void worker_drain_deadline(struct worker *, const struct imsg_drain *,
    void (*cut)(void *), void *);
/* worker-listen.c, for worker.c: on DRAIN, and at exit. */
void worker_listeners_disable(struct worker *);
void worker_listeners_enable(struct worker *);
void worker_listeners_free(struct worker *);
/* worker-privs.c: take gateway.user's ids from HELLO, or exit 78. */
void worker_drop_privs(struct worker *);
/* Clean up and exit with status. */
void worker_exit(struct worker *, int) __attribute__((noreturn));
/* Tell the master we serve. */
void worker_ready(struct worker *);
/* Tell the master we are done draining, clean up and exit 0. */
void worker_finish(struct worker *) __attribute__((noreturn));

/* Role entry points. */
extern const struct worker_ops http_worker_ops;
extern const struct worker_ops ws_worker_ops;
extern const struct worker_ops canvas_worker_ops;
extern const struct worker_ops agent_worker_ops;

#endif
