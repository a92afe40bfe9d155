/*
 * The worker side of the master protocol, shared by every role: read the
 * master's HELLO, CONFIG and descriptors from fd 3, start serving on
 * START, follow PHASE and DRAIN, and exit when the master goes away.
 */
#ifndef WORKERS_WORKER_H
#define WORKERS_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "protocol/ipc-msg.h"

struct event_base;
struct ipc_chan;
struct shm_region;
struct worker;

struct worker_ops {
	const char	*name;		/* "http", "ws", "canvas" */
	/* Everything received: start serving; -1 ends the worker (exit 1). */
	int		(*start)(struct worker *);
	/* A channel to another worker (may come again after a respawn). */
	void		(*peer)(struct worker *, int role, int fd);
	void		(*phase)(struct worker *, enum gw_phase);
	void		(*drain)(struct worker *, const struct imsg_drain *);
	/* Free everything; called once before exit. */
	void		(*stop)(struct worker *);
};

struct worker {
	struct event_base	*base;
	struct ipc_chan		*master;
	const struct worker_ops	*ops;
	int			 role;
	struct imsg_hello	 hello;
	struct gw_config	 cfg;
	struct shm_region	*shm;
	int			 listen_fd[3];	/* by enum listener_kind */
	int			 peer_fd[4];	/* by role, until start */
	enum gw_phase		 phase;
	int			 started;
	int			 draining;
	long			 nofile;	/* descriptor limit */
	void			*ctx;		/* the role's state */
};

int	 worker_main(const char *role);
/*
 * Check and acknowledge an IMSG_HANDOFF from http (the ack is cumulative
 * and leaves once the channel's current read is dispatched).  0 and the
 * header in h if the message is sound (the socket is then m->fd, the
 * bytes read so far follow the header); -1, socket closed, otherwise.
 */
struct ipc_msg;
int	 worker_handoff_recv(struct ipc_chan *, const struct ipc_msg *,
	    struct imsg_handoff *);
/* Tell the master we serve. */
void	 worker_ready(struct worker *);
/* Tell the master we are done draining, clean up and exit 0. */
void	 worker_finish(struct worker *) __attribute__((noreturn));

/* Role entry points. */
extern const struct worker_ops http_worker_ops;
extern const struct worker_ops ws_worker_ops;
extern const struct worker_ops canvas_worker_ops;

#endif
