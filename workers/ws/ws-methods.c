/*
 * The method table: the families in methods/, in the order hello-ok's
 * features.methods lists them, so we never advertise what we do not
 * serve.  Adding a family is a file there and a line here.
 */
#include "config.h"

#include <string.h>

#include "workers/ws/ws.h"

static const struct gw_method *const ws_families[] = {
	ws_methods_health,
	ws_methods_presence,
	ws_methods_heartbeat,
	ws_methods_config,
	ws_methods_logs,
	ws_methods_agent,
};

static const char *const ws_events[] = {
	"connect.challenge",
	"tick",
	"shutdown",
	"presence",
	"health",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct gw_method *
ws_method_lookup(const char *name)
{
	const struct gw_method *m;
	size_t                  i;

	for (i = 0; i < NELEM(ws_families); i++)
		for (m = ws_families[i]; m->name != NULL; m++)
			if (strcmp(m->name, name) == 0)
				return m;
	return NULL;
}

struct json_object *
ws_methods_list(void)
{
	struct json_object     *a = json_object_new_array();
	const struct gw_method *m;
	size_t                  i;

	for (i = 0; i < NELEM(ws_families); i++)
		for (m = ws_families[i]; m->name != NULL; m++)
			json_object_array_add(a,
			    json_object_new_string(m->name));
	return a;
}

struct json_object *
ws_events_list(void)
{
	struct json_object *a = json_object_new_array();
	size_t              i;

	for (i = 0; i < NELEM(ws_events); i++)
		json_object_array_add(a, json_object_new_string(ws_events[i]));
	return a;
}
