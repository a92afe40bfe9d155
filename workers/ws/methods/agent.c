/*
 * The methods the agent worker serves (workers/agent/): ws checks the
 * caller's scope and the params here, as for its own, and forwards the
 * call (ws-agent.c).  A method is served only once its row is here and
 * in the agent worker's table, so hello-ok never advertises more.
 */
#include "config.h"

#include "workers/ws/ws.h"

const struct gw_method ws_methods_agent[] = {
	{ "agents.list", "operator.read", "method.agents.list",
	    ws_agent_forward },
	{ NULL, NULL, NULL, NULL },
};
