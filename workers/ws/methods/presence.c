/*
 * The presence family (protocol.md section 5): system-presence lists the
 * table, system-event records a beacon line in it.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "protocol/call.h"
#include "workers/ws/ws.h"

/* Readers see the table; anyone else an empty list. */
static void
m_system_presence(struct gw_call *call, void *ctx)
{
	if (!gw_call_has_scope(call, "operator.read")) {
		gw_call_ok(call, json_object_new_array());
		return;
	}
	gw_call_ok(call, ws_presence_list(ctx));
}

static int
presence_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static void
m_system_event(struct gw_call *call, void *ctx)
{
	struct json_object *r, *text, *wake, *params = gw_call_params(call);

	text = json_object_object_get(params, "text");
	if (presence_blank(json_object_get_string(text))) {
		gw_call_error(call, "INVALID_REQUEST", "text required");
		return;
	}
	wake = json_object_object_get(params, "wake");
	if (wake != NULL && json_object_get_boolean(wake) &&
	    strncmp(json_object_get_string(text), "Node:", 5) == 0) {
		gw_call_error(call, "INVALID_REQUEST",
		    "wake is not allowed for node presence lines");
		return;
	}
	if (ws_presence_system_event(ctx, params) == -1) {
		gw_call_error(call, "INVALID_REQUEST",
		    "presence entry too large");
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	gw_call_ok(call, r);
}

const struct gw_method ws_methods_presence[] = {
	{ "system-presence", "operator.read", "method.system-presence",
	    m_system_presence },
	{ "system-event", "operator.admin", "method.system-event",
	    m_system_event },
	{ NULL, NULL, NULL, NULL },
};
