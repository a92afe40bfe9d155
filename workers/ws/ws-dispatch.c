/*
 * Requests after the handshake, in the reference's order (protocol.md
 * section 3): parse, frame validation, role gate, scope gate, method
 * lookup, params validation, handler.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "protocol/call.h"
#include "protocol/frame.h"
#include "protocol/scopes.h"
#include "protocol/validate.h"
#include "workers/ws/ws.h"

/* Both take ownership of payload / err. */
void
ws_send_res(struct ws_conn *c, const char *id, struct json_object *payload)
{
	struct json_object *o = frame_res(id, payload);

	c->srv->calls.send(c->srv, c, o);
	json_object_put(o);
}

void
ws_send_err(struct ws_conn *c, const char *id, struct json_object *err)
{
	struct json_object *o = frame_res_err(id, err);

	c->srv->calls.send(c->srv, c, o);
	json_object_put(o);
}

/* 0 if the caller's role may call a method of this scope class. */
static int
dispatch_role_gate(struct ws_conn *c, const char *id, const char *method,
    const char *class)
{
	char msg[64];
	int  node_method = class != NULL && strcmp(class, "node") == 0;

	if (strcmp(method, "health") == 0 || node_method == c->is_node) {
		c->unauthorized = 0;
		return 0;
	}
	snprintf(msg, sizeof(msg), "unauthorized role: %s",
	    c->is_node ? "node" : "operator");
	ws_send_err(c, id, frame_error("INVALID_REQUEST", msg));
	if (++c->unauthorized > WS_MAX_UNAUTHORIZED)
		ws_conn_close(c, WS_CLOSE_POLICY,
		    "repeated unauthorized calls");
	return -1;
}

static int
dispatch_scope_gate(struct ws_conn *c, const char *id, const char *method,
    const char *class)
{
	struct json_object *err, *d, *req;
	const char         *need;
	char                msg[96];

	if (c->is_node || strcmp(method, "health") == 0)
		return 0;
	/* Unclassified names need admin; dynamic ones at least write. */
	if (class == NULL)
		need = "operator.admin";
	else if (strcmp(class, "dynamic") == 0)
		need = "operator.write";
	else
		need = class;
	if (proto_scope_satisfied((const char *const *)c->scopes, c->nscopes,
	        need))
		return 0;
	snprintf(msg, sizeof(msg), "missing scope: %s", need);
	err = frame_error("FORBIDDEN", msg);
	d = json_object_new_object();
	json_object_object_add(d, "code",
	    json_object_new_string("MISSING_SCOPE"));
	json_object_object_add(d, "missingScope", json_object_new_string(need));
	req = json_object_new_array();
	json_object_array_add(req, json_object_new_string(need));
	json_object_object_add(d, "requiredScopes", req);
	frame_error_details(err, d);
	ws_send_err(c, id, err);
	return -1;
}

static void
dispatch_call(struct ws_conn *c, const char *id, const char *method,
    struct json_object *params)
{
	const struct gw_method *m;
	struct gw_call         *call;
	struct json_object     *empty = NULL;
	char                    verr[256], msg[400];

	if ((m = ws_method_lookup(method)) == NULL) {
		snprintf(msg, sizeof(msg), "unknown method: %s", method);
		ws_send_err(c, id, frame_error("INVALID_REQUEST", msg));
		return;
	}
	if (params == NULL)
		params = empty = json_object_new_object();
	if (proto_validate(m->schema, params, verr, sizeof(verr)) == -1) {
		snprintf(msg, sizeof(msg), "invalid %s params: %s", method,
		    verr);
		ws_send_err(c, id, frame_error("INVALID_REQUEST", msg));
		json_object_put(empty);
		return;
	}
	call = ws_call_new(c, id, method, params);
	json_object_put(empty);
	m->fn(call, c->srv);
	if (gw_call_deferred(call))
		return;
	if (!gw_call_done(call))
		log_warnx("conn %s: %s neither answered nor deferred",
		    c->conn_id, method);
	gw_call_free(call);
}

void
ws_dispatch_frame(struct ws_conn *c, const char *text, size_t len)
{
	struct json_object *o;
	struct frame        f;
	const char         *id, *class;
	char                err[256], msg[300];
	char                idb[LOG_CLIP_SIZE], mb[LOG_CLIP_SIZE];

	if ((o = frame_json_parse(text, len, 0, NULL)) == NULL) {
		log_info("conn %s: malformed JSON ignored", c->conn_id);
		return;
	}
	frame_classify(o, &f);
	id = f.id != NULL ? f.id : "invalid";
	if (proto_validate("frame.req", o, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "invalid request frame: %s", err);
		ws_send_err(c, id, frame_error("INVALID_REQUEST", msg));
		json_object_put(o);
		return;
	}
	class = proto_method_scope(f.method);
	if (log_verbose())
		log_debug("conn %s: req %s %s", c->conn_id, log_clip(idb, id),
		    log_clip(mb, f.method));
	if (dispatch_role_gate(c, id, f.method, class) == 0 &&
	    dispatch_scope_gate(c, id, f.method, class) == 0)
		dispatch_call(c, id, f.method, f.params);
	json_object_put(o);
}
