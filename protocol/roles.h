/*
 * The worker roles, in one table (protocol/roles.c): what each is
 * called, which listening sockets it gets, whether it runs and whether
 * the gateway waits for it, how it is respawned, its entry point, and
 * which message types cross each channel (master <-> worker and the
 * worker <-> worker pairs).  The master and workers/worker.c read only
 * this; adding a role is a row here (and a pair row per peer) plus its
 * folder under workers/.
 */
#ifndef PROTOCOL_ROLES_H
#define PROTOCOL_ROLES_H

#include <stdint.h>

struct gw_config;
struct worker_ops;

/* On the wire (IMSG_FD_PEER, imsg_hello.role): never renumber. */
enum worker_role {
	ROLE_HTTP = 1,
	ROLE_WS = 2,
	ROLE_CANVAS = 3,
	ROLE_AGENT = 4,
	ROLE_MAX /* one past the last: arrays by role */
};

/* On the wire (IMSG_FD_LISTEN). */
enum listener_kind {
	LISTEN_MAIN = 1,
	LISTEN_CANVAS = 2,
	LISTEN_MAX /* one past the last: arrays by kind */
};

#define ROLE_LISTENS(kind) (1U << (kind))

enum role_respawn {
	ROLE_RESPAWN_BACKOFF, /* after a crash, PROC_BACKOFF_MIN doubling */
	ROLE_RESPAWN_NEVER,
};

struct role {
	enum worker_role r_role;
	const char      *r_name;   /* argv of `__worker`, logs */
	const char      *r_subsys; /* log subsystem */
	uint32_t         r_listen; /* ROLE_LISTENS(kind) bits */
	/* Runs in this configuration; NULL: always. */
	int (*r_wanted)(const struct gw_config *);
	int                      r_gates_ready; /* generation waits for it */
	enum role_respawn        r_respawn;
	const struct worker_ops *r_ops;
	/*
	 * Writes presence to shared memory: in a restart, the next
	 * generation serves once this role of the old one let go
	 * (IMSG_HANDOVER) and is told to take over (IMSG_TAKEOVER).
	 */
	int r_handover;
};

/* Rows in spawn order; the last row has r_name NULL. */
extern const struct role roles[];

/* The row of a role, or NULL if it is no role. */
const struct role *role_get(uint32_t role);
const struct role *role_by_name(const char *);
/* "http", ...; "?" for what is no role. */
const char *role_name(uint32_t role);
int         role_wanted(const struct role *, const struct gw_config *);
/*
 * A listener kind's name ("main", "canvas": LISTEN_FDNAMES of socket
 * activation, logs); "?" for none.  By name: 0 for none.
 */
const char        *listener_name(uint32_t kind);
enum listener_kind listener_by_name(const char *);

/*
 * Worker <-> worker channels, one per pair of roles the table names.
 * a_accepts is what a takes from b, b_accepts what b takes from a
 * (0-terminated; NULL: nothing).
 */
struct role_pair {
	enum worker_role p_a;
	enum worker_role p_b;
	const uint32_t  *p_a_accepts;
	const uint32_t  *p_b_accepts;
};

/* Pair rows; the last has p_a 0. */
extern const struct role_pair role_pairs[];

/*
 * What self accepts from its peer other (0-terminated), or NULL if the
 * two are no pair.
 */
const uint32_t *role_peer_accepts(uint32_t self, uint32_t other);
/*
 * 1 if self accepts message type from its peer other: how a worker
 * tells its peers apart without naming roles (the one that hands it
 * sockets, the one that answers its calls).
 */
int role_peer_sends(uint32_t self, uint32_t other, uint32_t type);

/* What a worker accepts from the master, and the master from a worker. */
extern const uint32_t role_from_master[];
extern const uint32_t role_to_master[];

#endif
