/*
 * The connect handshake (protocol.md section 2): the first frame must be
 * a valid connect request; then protocol negotiation, start-up and drain
 * gates, authentication, scopes, and hello-ok.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "protocol/frame.h"
#include "protocol/scopes.h"
#include "protocol/validate.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

/* Send an error res, then close with the message as reason. */
static void
ws_connect_fail(struct ws_conn *c, const char *id, struct json_object *err,
    uint16_t code, const char *reason)
{
	ws_send_err(c, id, err);
	ws_conn_close(c, code, reason);
}

static int
ws_connect_protocol_ok(struct json_object *params, const char *role,
    const char *mode)
{
	int64_t lo, hi;

	lo = json_object_get_int64(
	    json_object_object_get(params, "minProtocol"));
	hi = json_object_get_int64(
	    json_object_object_get(params, "maxProtocol"));
	if (hi >= PROTO_VERSION && lo <= PROTO_VERSION)
		return 1;
	if (strcmp(mode, "probe") == 0 && hi >= PROTO_MIN_PROBE &&
	    lo <= PROTO_VERSION)
		return 1;
	if (strcmp(role, "node") == 0 && strcmp(mode, "node") == 0 &&
	    hi >= PROTO_MIN_NODE && lo <= PROTO_MIN_NODE)
		return 1;
	return 0;
}

static void
ws_connect_mismatch(struct ws_conn *c, const char *id,
    struct json_object *params)
{
	struct json_object *err, *d;

	err = frame_error("INVALID_REQUEST", "protocol mismatch");
	d = json_object_new_object();
	json_object_object_add(d, "code",
	    json_object_new_string("PROTOCOL_MISMATCH"));
	json_object_object_add(d, "clientMinProtocol",
	    json_object_get(json_object_object_get(params, "minProtocol")));
	json_object_object_add(d, "clientMaxProtocol",
	    json_object_get(json_object_object_get(params, "maxProtocol")));
	json_object_object_add(d, "expectedProtocol",
	    json_object_new_int(PROTO_VERSION));
	json_object_object_add(d, "minimumProbeProtocol",
	    json_object_new_int(PROTO_MIN_PROBE));
	frame_error_details(err, d);
	ws_connect_fail(c, id, err, WS_CLOSE_PROTOCOL, "protocol mismatch");
}

/* Start-up and drain: the client retries after retryAfterMs. */
static int
ws_connect_phase_gate(struct ws_conn *c, const char *id)
{
	struct worker      *w = c->srv->w;
	struct json_object *err, *d;

	if ((w->phase == PHASE_READY && !w->draining) || w->restarting)
		return 0;
	d = json_object_new_object();
	if (w->phase == PHASE_STARTING) {
		err = frame_error("UNAVAILABLE",
		    "gateway starting; retry shortly");
		json_object_object_add(err, "retryAfterMs",
		    json_object_new_int(500));
		json_object_object_add(d, "reason",
		    json_object_new_string("startup-sidecars"));
	} else {
		err = frame_error("UNAVAILABLE",
		    "connect unavailable during gateway restart");
		json_object_object_add(err, "retryAfterMs",
		    json_object_new_int(1000));
		json_object_object_add(d, "method",
		    json_object_new_string("connect"));
		json_object_object_add(d, "reason",
		    json_object_new_string("gateway-restarting"));
		json_object_object_add(d, "phase",
		    json_object_new_string("draining"));
	}
	json_object_object_add(err, "retryable", json_object_new_boolean(1));
	frame_error_details(err, d);
	ws_connect_fail(c, id, err, WS_CLOSE_TRY_LATER,
	    w->phase == PHASE_STARTING ? "gateway starting" :
	                                 "gateway restart in progress");
	return -1;
}

static int
ws_connect_auth(struct ws_conn *c, const char *id, struct json_object *params)
{
	struct ws_auth_result r;
	struct json_object   *err, *d;

	ws_auth_check(c, params, &r);
	if (r.ok) {
		c->auth_method = r.method;
		return 0;
	}
	if (r.counts)
		ws_ip_failed(c->srv, c->ip, c->rl_exempt);
	if (log_limit("auth failed", c->ip))
		log_info("conn %s from %s: auth failed (%s)", c->conn_id, c->ip,
		    r.reason);
	err = frame_error(strcmp(r.detail, "DEVICE_IDENTITY_REQUIRED") == 0 ?
	        "NOT_PAIRED" :
	        "INVALID_REQUEST",
	    r.message);
	d = json_object_new_object();
	json_object_object_add(d, "code", json_object_new_string(r.detail));
	json_object_object_add(d, "authReason",
	    json_object_new_string(r.reason));
	/* No device tokens are issued yet: nothing to retry with. */
	json_object_object_add(d, "canRetryWithDeviceToken",
	    json_object_new_boolean(0));
	if (strcmp(r.reason, "rate_limited") == 0) {
		json_object_object_add(err, "retryable",
		    json_object_new_boolean(1));
		json_object_object_add(err, "retryAfterMs",
		    json_object_new_int64(
		        (int64_t)ws_ip_locked(c->srv, c->ip, c->rl_exempt)));
		json_object_object_add(d, "recommendedNextStep",
		    json_object_new_string("wait_then_retry"));
	} else if (strstr(r.detail, "MISMATCH") != NULL)
		json_object_object_add(d, "recommendedNextStep",
		    json_object_new_string("update_auth_credentials"));
	else if (strstr(r.detail, "NOT_CONFIGURED") != NULL)
		json_object_object_add(d, "recommendedNextStep",
		    json_object_new_string("update_auth_configuration"));
	frame_error_details(err, d);
	ws_connect_fail(c, id, err, WS_CLOSE_POLICY, r.message);
	return -1;
}

/* Granted scopes: exactly those requested, filtered to the known set. */
static void
ws_connect_scopes(struct ws_conn *c, struct json_object *params)
{
	struct json_object *a, *v;
	const char         *s;
	size_t              i, n;
	int                 j, dup;

	if (!json_object_object_get_ex(params, "scopes", &a) || c->is_node)
		return;
	n = json_object_array_length(a);
	c->scopes = xcalloc(n ? n : 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		s = json_object_get_string(v);
		if (!proto_scope_known(s) || strncmp(s, "operator.", 9) != 0)
			continue;
		for (dup = 0, j = 0; j < c->nscopes; j++)
			dup |= strcmp(c->scopes[j], s) == 0;
		if (!dup)
			c->scopes[c->nscopes++] = xstrdup(s);
	}
	c->can_read = proto_scope_satisfied((const char *const *)c->scopes,
	    c->nscopes, "operator.read");
}

static void
ws_connect_admit(struct ws_conn *c, const char *id, struct json_object *params)
{
	struct ws_server   *s = c->srv;
	struct json_object *hello;

	ws_connect_scopes(c, params);
	ws_ip_preauth_dec(s, c->ip);
	c->state = WSC_AUTHED;
	s->nauthed++;
	evtimer_del(c->timer);
	c->dec.max_message = WS_MAX_PAYLOAD;
	hello = ws_hello_ok(c);
	ws_send_res(c, id, hello);
	log_debug("conn %s from %s: hello-ok (%s, %d scope(s))", c->conn_id,
	    c->ip, c->auth_method, c->nscopes);
	if (s->w->restarting) {
		ws_conn_shutdown(c, &s->drain);
		return;
	}
	ws_presence_connect(c, params);
}

void
ws_connect_frame(struct ws_conn *c, const char *text, size_t len)
{
	struct json_object *frame, *params, *client;
	const char         *id, *method, *role, *mode, *cid;
	char                err[256], msg[300];
	char cb[LOG_CLIP_SIZE], mb[LOG_CLIP_SIZE], rb[LOG_CLIP_SIZE];

	if ((frame = frame_json_parse(text, len, 0, NULL)) == NULL) {
		if (log_limit("malformed first frame", c->ip))
			log_info("conn %s from %s: malformed first frame",
			    c->conn_id, c->ip);
		ws_conn_close(c, WS_CLOSE_NORMAL, "");
		return;
	}
	if (proto_validate("frame.req", frame, err, sizeof(err)) != 0) {
		ws_conn_close(c, WS_CLOSE_POLICY, "invalid request frame");
		goto done;
	}
	id = frame_str(frame, "id");
	method = frame_str(frame, "method");
	if (strcmp(method, "connect") != 0) {
		ws_connect_fail(c, id,
		    frame_error("INVALID_REQUEST",
		        "invalid handshake: first request must be connect"),
		    WS_CLOSE_POLICY,
		    "invalid handshake: first request must be connect");
		goto done;
	}
	if (!json_object_object_get_ex(frame, "params", &params))
		params = NULL;
	if (params == NULL ||
	    proto_validate("connect.params", params, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "invalid connect params: %s",
		    params == NULL ? "at /: must be object" : err);
		ws_connect_fail(c, id, frame_error("INVALID_REQUEST", msg),
		    WS_CLOSE_POLICY, msg);
		goto done;
	}
	client = json_object_object_get(params, "client");
	role = frame_str(params, "role") ? frame_str(params, "role") :
	                                   "operator";
	mode = frame_str(client, "mode");
	cid = frame_str(client, "id");
	if (strcmp(role, "worker") == 0 || strcmp(mode, "worker") == 0 ||
	    strcmp(cid, "openclaw-worker") == 0) {
		ws_conn_close(c, WS_CLOSE_POLICY, "invalid-handshake");
		goto done;
	}
	if (strcmp(role, "operator") != 0 && strcmp(role, "node") != 0) {
		ws_connect_fail(c, id,
		    frame_error("INVALID_REQUEST", "invalid role"),
		    WS_CLOSE_POLICY, "invalid role");
		goto done;
	}
	c->is_node = strcmp(role, "node") == 0;
	free(c->client_id);
	free(c->client_mode);
	c->client_id = xstrdup(cid);
	c->client_mode = xstrdup(mode);
	if (log_verbose())
		log_debug("conn %s from %s: connect client %s mode %s role %s",
		    c->conn_id, c->ip, log_clip(cb, cid), log_clip(mb, mode),
		    log_clip(rb, role));
	if (!ws_connect_protocol_ok(params, role, mode))
		ws_connect_mismatch(c, id, params);
	else if (ws_connect_phase_gate(c, id) == 0 &&
	    ws_connect_auth(c, id, params) == 0)
		ws_connect_admit(c, id, params);
done:
	json_object_put(frame);
}
