/*
 * The agent worker's method table: its families in methods/.  ws's
 * methods/agent.c lists the same names, with their scopes and schemas.
 */
#include "config.h"

#include <string.h>

#include "workers/agent/agent.h"

static const struct gw_method *const agent_families[] = {
	agent_methods_agents,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct gw_method *
agent_method_lookup(const char *name)
{
	const struct gw_method *m;
	size_t                  i;

	for (i = 0; i < NELEM(agent_families); i++)
		for (m = agent_families[i]; m->name != NULL; m++)
			if (strcmp(m->name, name) == 0)
				return m;
	return NULL;
}
