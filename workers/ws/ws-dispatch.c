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
#include "protocol/scopes.h"
#include "protocol/validate.h"
#include "workers/ws/ws.h"

struct json_object *
ws_error(const char *code, const char *message)
{
	struct json_object	*e;

	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	return e;
}

const char *
ws_jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void
ws_send_frame_res(struct ws_conn *c, const char *id, int ok,
    struct json_object *payload, struct json_object *err)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("res"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (payload != NULL || ok)
		json_object_object_add(o, "payload", payload);
	if (err != NULL)
		json_object_object_add(o, "error", err);
	if (log_verbose())
		log_debug("conn %s: res %.64s %s", c->conn_id, id, ok ? "ok" :
		    json_object_get_string(json_object_object_get(err, "code")));
	ws_conn_send_json(c, o, 0);
	json_object_put(o);
}

/* Both take ownership of payload / err. */
void
ws_send_res(struct ws_conn *c, const char *id, struct json_object *payload)
{
	ws_send_frame_res(c, id, 1, payload, NULL);
}

void
ws_send_err(struct ws_conn *c, const char *id, struct json_object *err)
{
	ws_send_frame_res(c, id, 0, NULL, err);
}

static const char *
dispatch_id(struct json_object *frame)
{
	struct json_object	*v;

	if (json_object_is_type(frame, json_type_object) &&
	    json_object_object_get_ex(frame, "id", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		return json_object_get_string(v);
	return "invalid";
}

/* 0 if the caller's role may call a method of this scope class. */
static int
dispatch_role_gate(struct ws_conn *c, const char *id, const char *method,
    const char *class)
{
	char	msg[64];
	int	node_method = class != NULL && strcmp(class, "node") == 0;

	if (strcmp(method, "health") == 0 || node_method == c->is_node) {
		c->unauthorized = 0;
		return 0;
	}
	snprintf(msg, sizeof(msg), "unauthorized role: %s",
	    c->is_node ? "node" : "operator");
	ws_send_err(c, id, ws_error("INVALID_REQUEST", msg));
	if (++c->unauthorized > WS_MAX_UNAUTHORIZED)
		ws_conn_close(c, WS_CLOSE_POLICY, "repeated unauthorized calls");
	return -1;
}

static int
dispatch_scope_gate(struct ws_conn *c, const char *id, const char *method,
    const char *class)
{
	struct json_object	*err, *d, *req;
	const char		*need;
	char			 msg[96];

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
	err = ws_error("FORBIDDEN", msg);
	d = json_object_new_object();
	json_object_object_add(d, "code", json_object_new_string(
	    "MISSING_SCOPE"));
	json_object_object_add(d, "missingScope", json_object_new_string(need));
	req = json_object_new_array();
	json_object_array_add(req, json_object_new_string(need));
	json_object_object_add(d, "requiredScopes", req);
	json_object_object_add(err, "details", d);
	ws_send_err(c, id, err);
	return -1;
}

static void
dispatch_call(struct ws_conn *c, const char *id, const char *method,
    struct json_object *params)
{
	ws_method_fn		 fn;
	struct json_object	*res, *err = NULL, *empty = NULL;
	char			 schema[128], verr[256], msg[400];

	if ((fn = ws_method_lookup(method)) == NULL) {
		snprintf(msg, sizeof(msg), "unknown method: %s", method);
		ws_send_err(c, id, ws_error("INVALID_REQUEST", msg));
		return;
	}
	if (params == NULL)
		params = empty = json_object_new_object();
	snprintf(schema, sizeof(schema), "method.%s", method);
	if (proto_validate(schema, params, verr, sizeof(verr)) == -1) {
		snprintf(msg, sizeof(msg), "invalid %s params: %s", method, verr);
		ws_send_err(c, id, ws_error("INVALID_REQUEST", msg));
		json_object_put(empty);
		return;
	}
	res = fn(c, params, &err);
	if (err != NULL)
		ws_send_err(c, id, err);
	else
		ws_send_res(c, id, res);
	json_object_put(empty);
}

void
ws_dispatch_frame(struct ws_conn *c, const char *text, size_t len)
{
	struct json_object	*frame, *params;
	const char		*id, *method, *class;
	char			 err[256], msg[300];

	if ((frame = ws_parse_json(text, len)) == NULL) {
		log_info("conn %s: malformed JSON ignored", c->conn_id);
		return;
	}
	id = dispatch_id(frame);
	if (proto_validate("frame.req", frame, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "invalid request frame: %s", err);
		ws_send_err(c, id, ws_error("INVALID_REQUEST", msg));
		json_object_put(frame);
		return;
	}
	method = json_object_get_string(json_object_object_get(frame,
	    "method"));
	params = json_object_object_get(frame, "params");
	class = proto_method_scope(method);
	log_debug("conn %s: req %.64s %.64s", c->conn_id, id, method);
	if (dispatch_role_gate(c, id, method, class) == 0 &&
	    dispatch_scope_gate(c, id, method, class) == 0)
		dispatch_call(c, id, method, params);
	json_object_put(frame);
}
