/*
 * The methods this gateway implements.  features.methods in hello-ok is
 * built from this table, so we never advertise what we do not serve.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "protocol/scopes.h"
#include "workers/ws/ws.h"

static struct json_object *
m_health(struct ws_conn *c, struct json_object *params,
    struct json_object **err)
{
	struct json_object	*probe;

	(void)err;
	probe = json_object_object_get(params, "probe");
	return ws_health_get(c->srv, probe != NULL &&
	    json_object_get_boolean(probe));
}

static struct json_object *
m_status(struct ws_conn *c, struct json_object *params,
    struct json_object **err)
{
	(void)params;
	(void)err;
	return ws_status_get(c->srv, proto_scope_satisfied(
	    (const char *const *)c->scopes, c->nscopes, "operator.admin"));
}

static struct json_object *
m_system_presence(struct ws_conn *c, struct json_object *params,
    struct json_object **err)
{
	(void)params;
	(void)err;
	if (!c->can_read)
		return json_object_new_array();
	return ws_presence_list(c->srv);
}

static int
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static struct json_object *
m_system_event(struct ws_conn *c, struct json_object *params,
    struct json_object **err)
{
	struct json_object	*r, *text, *wake;

	text = json_object_object_get(params, "text");
	if (blank(json_object_get_string(text))) {
		*err = ws_error("INVALID_REQUEST", "text required");
		return NULL;
	}
	wake = json_object_object_get(params, "wake");
	if (wake != NULL && json_object_get_boolean(wake) &&
	    strncmp(json_object_get_string(text), "Node:", 5) == 0) {
		*err = ws_error("INVALID_REQUEST",
		    "wake is not allowed for node presence lines");
		return NULL;
	}
	if (ws_presence_system_event(c->srv, params) == -1) {
		*err = ws_error("INVALID_REQUEST", "presence entry too large");
		return NULL;
	}
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	return r;
}

static struct json_object *
m_last_heartbeat(struct ws_conn *c, struct json_object *params,
    struct json_object **err)
{
	(void)c;
	(void)params;
	(void)err;
	return NULL;	/* no heartbeat has run: JSON null */
}

static struct json_object *
m_config_get(struct ws_conn *c, struct json_object *params,
    struct json_object **err)
{
	(void)params;
	(void)err;
	return ws_config_get(c->srv);
}

static const struct {
	const char	*name;
	ws_method_fn	 fn;
} ws_methods[] = {
	{ "health", m_health },
	{ "status", m_status },
	{ "system-presence", m_system_presence },
	{ "system-event", m_system_event },
	{ "last-heartbeat", m_last_heartbeat },
	{ "config.get", m_config_get },
};

static const char *const ws_events[] = {
	"connect.challenge", "tick", "shutdown", "presence", "health",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

ws_method_fn
ws_method_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < NELEM(ws_methods); i++)
		if (strcmp(ws_methods[i].name, name) == 0)
			return ws_methods[i].fn;
	return NULL;
}

struct json_object *
ws_methods_list(void)
{
	struct json_object	*a = json_object_new_array();
	size_t			 i;

	for (i = 0; i < NELEM(ws_methods); i++)
		json_object_array_add(a,
		    json_object_new_string(ws_methods[i].name));
	return a;
}

struct json_object *
ws_events_list(void)
{
	struct json_object	*a = json_object_new_array();
	size_t			 i;

	for (i = 0; i < NELEM(ws_events); i++)
		json_object_array_add(a, json_object_new_string(ws_events[i]));
	return a;
}
