/*
 * The agent worker: agent runs, model providers, tools, sessions and
 * transcripts (DESIGN.md section 3).  ws owns the connections and
 * forwards the methods this worker serves over their channel
 * (IMSG_AGENT_CALL); the answers go back as IMSG_AGENT_RES {key, frame}
 * and events as IMSG_AGENT_EVENT {event, payload}.
 */
#ifndef WORKERS_AGENT_AGENT_H
#define WORKERS_AGENT_AGENT_H

#include "protocol/call.h"

struct worker;
struct ipc_chan;

struct agent_server {
	struct worker      *w;
	struct ipc_chan    *ws;    /* NULL while ws is being respawned */
	struct gw_transport calls; /* answers, back to ws by key */
};

/* agent-call.c */
void agent_calls_init(struct agent_server *);
void agent_call_recv(struct agent_server *, const char *text, size_t len);

/* agent-methods.c */
const struct gw_method *agent_method_lookup(const char *name);

/* methods/: one family per file */
extern const struct gw_method agent_methods_agents[];

#endif
