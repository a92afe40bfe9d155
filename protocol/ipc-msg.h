/*
 * Master <-> worker and worker <-> worker message types.  Numbered in
 * bands by direction; each side accepts only what the role table's
 * lists give it (protocol/roles.c; ipc_chan_new's allow-list).  The
 * first message on every master channel is IMSG_HELLO carrying
 * IPC_VERSION; a mismatch ends the worker with EXIT_CONFIG (an old
 * binary must never run with a new master).  One exception: after an
 * in-place restart onto a new binary, the old generation's workers (of
 * the old binary) talk to the new master image until they have drained.
 * So new types are appended to their band, never inserted, and new
 * payload fields are optional (IMSG_PONG's count, IMSG_START's flags).
 */
#ifndef PROTOCOL_IPC_MSG_H
#define PROTOCOL_IPC_MSG_H

#include <stdint.h>
#include <sys/socket.h>

#include "protocol/roles.h"

#define IPC_VERSION 4

/* The master channel is always this descriptor in a worker. */
#define WORKER_MASTER_FD 3

enum gw_phase {
	PHASE_STARTING = 0,
	PHASE_READY = 1,
	PHASE_DRAINING = 2,
};

/*
 * IMSG_START flags.  A generation started beside a serving one (the
 * in-place restart) accepts nothing before PHASE_READY: until then the
 * old generation serves, and a client must not meet "starting".
 */
#define START_DEFER_ACCEPT 0x1

enum imsg_type {
	/* master -> worker: 100-199 */
	IMSG_HELLO = 100, /* struct imsg_hello */
	IMSG_CONFIG,      /* JSON text of config_to_json() */
	IMSG_FD_LISTEN,   /* fd: listening socket; uint32 listener kind */
	IMSG_FD_SHM,      /* fd: shared memory; uint64 size */
	IMSG_FD_PEER,     /* fd: channel to another worker; uint32 role */
	IMSG_FD_LOG,      /* fd: JSON-lines log file; its path (no NUL);
	                     again at any time */
	IMSG_START,       /* everything sent; start serving; uint32
	                     START_* flags (optional) */
	IMSG_PHASE,       /* uint32 enum gw_phase */
	IMSG_DRAIN,       /* struct imsg_drain; then exit when done */
	IMSG_PING,        /* watchdog: answer IMSG_PONG from the event loop */
	IMSG_TAKEOVER,    /* ws of a new generation: the old one stopped
	                     writing presence; take the rows over */
	/*
	 * fd: the config file, read-only, after IMSG_CONFIG when workers
	 * run as gateway.user: the file is root's and 0600, so config.get
	 * reads it through this descriptor, not by path.
	 */
	IMSG_FD_CONFIG,
	/* config_to_json() text after a reload: its live keys apply */
	IMSG_CONFIG_UPDATE,

	/* worker -> master: 200-299 */
	IMSG_READY = 200, /* serving (struct imsg_ready) */
	IMSG_DRAINED,     /* nothing left in flight; about to exit */
	IMSG_PONG,        /* answer to IMSG_PING; uint32 WebSocket
	                     connections (optional) */
	IMSG_LOG_FULL,    /* the log file reached logging.maxFileBytes */
	IMSG_HANDOVER,    /* ws draining for a restart: it will not write
	                     presence again */

	/* worker -> worker: 300-399 */
	IMSG_HANDOFF = 300, /* fd: client socket; struct imsg_handoff + bytes */
	/*
	 * uint64 id, cumulative: the peer holds every socket handed to it
	 * on this channel with an id up to this one (ids increase on each
	 * channel).  One per batch of hand-offs read together, not one each.
	 */
	IMSG_HANDOFF_ACK,
	/*
	 * ws -> agent: a method call from a WebSocket client, the JSON of
	 * gw_call_to_json ({key, id, method, params, caller}).
	 */
	IMSG_AGENT_CALL,
	/* agent -> ws: one res frame for a call, JSON {key, frame}. */
	IMSG_AGENT_RES,
	/*
	 * agent -> ws: an event frame for the operators with read scope,
	 * JSON {event, payload}.
	 */
	IMSG_AGENT_EVENT,
};

#define HELLO_KEEP_USER UINT32_MAX
#define HELLO_MAXGROUPS 64 /* a user in more is refused at start-up */

struct imsg_hello {
	uint32_t version;
	uint32_t role;
	uint32_t generation; /* worker generation (SIGUSR1 restarts) */
	uint32_t master_pid;
	uint64_t boot_ms;     /* master start, epoch ms: uptime base */
	char     boot_id[40]; /* per master run, for hello-ok.server.bootId */
	/*
	 * gateway.user: the worker takes these groups, gid and uid before
	 * it reads anything else, or exits EXIT_CONFIG; HELLO_KEEP_USER:
	 * no user configured, it keeps the master's.
	 */
	uint32_t uid;
	uint32_t gid;
	uint32_t ngroups;
	uint32_t groups[HELLO_MAXGROUPS];
};

struct imsg_ready {
	uint32_t role;
	uint32_t pid;
};

struct imsg_drain {
	uint32_t deadline_ms; /* cut what is still in flight after this */
	uint32_t restart_expected_ms; /* 0: not a restart */
	char     reason[96];          /* shutdown event reason */
};

/*
 * A client connection handed from the http worker to ws (WebSocket
 * upgrade) or canvas (canvas path on the main port).  The bytes already
 * read from the socket follow the struct: the whole request head, then
 * anything the client sent after it (for ws: the first frames).
 */
/*
 * What http learned from the request head travels with it, so the peer
 * does not parse the head again.
 */
#define HANDOFF_BROWSER 0x1 /* the request has an Origin */

struct imsg_handoff {
	uint64_t                id; /* increasing; see IMSG_HANDOFF_ACK */
	struct sockaddr_storage peer;
	uint32_t                peer_len;
	uint32_t                head_len;      /* bytes of the request head */
	uint32_t                pre_len;       /* bytes after the head */
	uint32_t                flags;         /* HANDOFF_* */
	char                    ws_accept[32]; /* Sec-WebSocket-Accept, or "" */
};

#endif
