/* hello-ok (protocol.md 2.6, 2.7): what a client learns on connect. */
#include "config.h"

#include <string.h>

#include "common/shm.h"
#include "common/util.h"
#include "protocol/frame.h"
#include "protocol/scopes.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

static struct json_object *
hello_snapshot(struct ws_conn *c)
{
	struct ws_server   *s = c->srv;
	struct json_object *o, *d;
	uint64_t            now = util_now_ms();

	o = json_object_new_object();
	json_object_object_add(o, "presence",
	    c->can_read ? ws_presence_list(s) : json_object_new_array());
	json_object_object_add(o, "health", ws_health_get(s, 0));
	json_object_object_add(o, "stateVersion", ws_state_version(s));
	json_object_object_add(o, "uptimeMs",
	    json_object_new_int64((int64_t)(now - s->w->hello.boot_ms)));
	d = json_object_new_object();
	json_object_object_add(d, "defaultAgentId",
	    json_object_new_string("main"));
	json_object_object_add(d, "mainKey", json_object_new_string("main"));
	json_object_object_add(d, "mainSessionKey",
	    json_object_new_string("agent:main:main"));
	json_object_object_add(d, "scope",
	    json_object_new_string("per-sender"));
	json_object_object_add(o, "sessionDefaults", d);
	if (proto_scope_satisfied((const char *const *)c->scopes, c->nscopes,
	        "operator.admin"))
		json_object_object_add(o, "configPath",
		    json_object_new_string(s->w->cfg.path));
	return o;
}

struct json_object *
ws_hello_ok(struct ws_conn *c)
{
	struct ws_server   *s = c->srv;
	struct json_object *o, *srv, *f, *a, *sc, *p;
	int                 i;

	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("hello-ok"));
	json_object_object_add(o, "protocol",
	    json_object_new_int(PROTO_VERSION));
	srv = json_object_new_object();
	json_object_object_add(srv, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(srv, "bootId",
	    json_object_new_string(s->w->hello.boot_id));
	json_object_object_add(srv, "connId",
	    json_object_new_string(c->conn_id));
	json_object_object_add(o, "server", srv);
	f = json_object_new_object();
	json_object_object_add(f, "methods", ws_methods_list());
	json_object_object_add(f, "events", ws_events_list());
	json_object_object_add(f, "capabilities", json_object_new_array());
	json_object_object_add(o, "features", f);
	json_object_object_add(o, "snapshot", hello_snapshot(c));
	a = json_object_new_object();
	json_object_object_add(a, "method",
	    json_object_new_string(c->auth_method));
	json_object_object_add(a, "role",
	    json_object_new_string(c->is_node ? "node" : "operator"));
	sc = json_object_new_array();
	for (i = 0; i < c->nscopes; i++)
		json_object_array_add(sc, json_object_new_string(c->scopes[i]));
	json_object_object_add(a, "scopes", sc);
	json_object_object_add(o, "auth", a);
	p = json_object_new_object();
	json_object_object_add(p, "maxPayload",
	    json_object_new_int(WS_MAX_PAYLOAD));
	json_object_object_add(p, "maxBufferedBytes",
	    json_object_new_int(WS_MAX_BUFFERED));
	json_object_object_add(p, "tickIntervalMs",
	    json_object_new_int64(s->w->cfg.tick_ms));
	json_object_object_add(o, "policy", p);
	return o;
}
