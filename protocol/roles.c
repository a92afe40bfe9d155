/*
 * The role table (see roles.h).  Rows are in spawn order: ws first, as
 * it takes longest to get ready and the generation's readiness waits for
 * it.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "common/cfg.h"
#include "protocol/ipc-msg.h"
#include "protocol/roles.h"
#include "workers/worker.h"

static int
role_canvas_wanted(const struct gw_config *cfg)
{
	return cfg->canvas_enabled;
}

const struct role roles[] = {
	{ ROLE_WS, "ws", "gateway/ws", 0, NULL, 1, ROLE_RESPAWN_BACKOFF,
	    &ws_worker_ops, 1 },
	{ ROLE_HTTP, "http", "gateway/http", ROLE_LISTENS(LISTEN_MAIN), NULL, 1,
	    ROLE_RESPAWN_BACKOFF, &http_worker_ops, 0 },
	{ ROLE_CANVAS, "canvas", "gateway/canvas", ROLE_LISTENS(LISTEN_CANVAS),
	    role_canvas_wanted, 1, ROLE_RESPAWN_BACKOFF, &canvas_worker_ops,
	    0 },
	{ ROLE_AGENT, "agent", "gateway/agent", 0, NULL, 1,
	    ROLE_RESPAWN_BACKOFF, &agent_worker_ops, 0 },
	{ 0, NULL, NULL, 0, NULL, 0, ROLE_RESPAWN_NEVER, NULL, 0 },
};

const uint32_t role_from_master[] = { IMSG_HELLO, IMSG_CONFIG, IMSG_FD_LISTEN,
	IMSG_FD_SHM, IMSG_FD_PEER, IMSG_FD_LOG, IMSG_START, IMSG_PHASE,
	IMSG_DRAIN, IMSG_PING, IMSG_TAKEOVER, IMSG_FD_CONFIG, IMSG_CONFIG_UPDATE,
	0 };

const uint32_t role_to_master[] = { IMSG_READY, IMSG_DRAINED, IMSG_PONG,
	IMSG_LOG_FULL, IMSG_HANDOVER, 0 };

/* http hands sockets over; the receiver acknowledges them. */
static const uint32_t role_handoff_in[] = { IMSG_HANDOFF, 0 };
static const uint32_t role_handoff_ack[] = { IMSG_HANDOFF_ACK, 0 };

/* ws forwards calls to agent, which answers them and sends events. */
static const uint32_t role_agent_in[] = { IMSG_AGENT_CALL, 0 };
static const uint32_t role_agent_out[] = { IMSG_AGENT_RES, IMSG_AGENT_EVENT,
	0 };

const struct role_pair role_pairs[] = {
	{ ROLE_HTTP, ROLE_WS, role_handoff_ack, role_handoff_in },
	{ ROLE_HTTP, ROLE_CANVAS, role_handoff_ack, role_handoff_in },
	{ ROLE_WS, ROLE_AGENT, role_agent_out, role_agent_in },
	{ 0, 0, NULL, NULL },
};

const struct role *
role_get(uint32_t role)
{
	const struct role *r;

	for (r = roles; r->r_name != NULL; r++)
		if ((uint32_t)r->r_role == role)
			return r;
	return NULL;
}

const struct role *
role_by_name(const char *name)
{
	const struct role *r;

	for (r = roles; r->r_name != NULL; r++)
		if (strcmp(r->r_name, name) == 0)
			return r;
	return NULL;
}

const char *
role_name(uint32_t role)
{
	const struct role *r;

	return (r = role_get(role)) == NULL ? "?" : r->r_name;
}

int
role_wanted(const struct role *r, const struct gw_config *cfg)
{
	return r->r_wanted == NULL || r->r_wanted(cfg);
}

/* By enum listener_kind. */
static const char *const listener_names[LISTEN_MAX] = {
	[LISTEN_MAIN] = "main",
	[LISTEN_CANVAS] = "canvas",
};

const char *
listener_name(uint32_t kind)
{
	return kind > 0 && kind < LISTEN_MAX ? listener_names[kind] : "?";
}

enum listener_kind
listener_by_name(const char *name)
{
	uint32_t k;

	for (k = 1; k < LISTEN_MAX; k++)
		if (strcmp(listener_names[k], name) == 0)
			return (enum listener_kind)k;
	return 0;
}

const uint32_t *
role_peer_accepts(uint32_t self, uint32_t other)
{
	const struct role_pair *p;

	for (p = role_pairs; p->p_a != 0; p++) {
		if ((uint32_t)p->p_a == self && (uint32_t)p->p_b == other)
			return p->p_a_accepts;
		if ((uint32_t)p->p_b == self && (uint32_t)p->p_a == other)
			return p->p_b_accepts;
	}
	return NULL;
}

int
role_peer_sends(uint32_t self, uint32_t other, uint32_t type)
{
	const uint32_t *t = role_peer_accepts(self, other);

	for (; t != NULL && *t != 0; t++)
		if (*t == type)
			return 1;
	return 0;
}
