#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "common/util.h"
#include "common/ws/frame.h"
#include "common/xmalloc.h"
#include "protocol/frame.h"
#include "protocol/scopes.h"
#include "cli/rpc-client.h"
#include "cli/ws-client.h"

#ifdef __APPLE__
#define CLI_PLATFORM "darwin"
#else
#define CLI_PLATFORM "linux"
#endif

/* One connection: what every exchange on it needs. */
struct rpc_client {
	struct ws_client *ws;
	uint64_t          deadline;   /* of the whole session */
	int               timeout_ms; /* for messages */
	int               seq;        /* request ids "<seq>:<uuid>" */
	int               failed;     /* maybe the server is gone */
};

/* What the stock CLI asks for when it cannot name one scope (§7). */
static const char *const cli_default_scopes[] = {
	"operator.admin",
	"operator.read",
	"operator.write",
	"operator.approvals",
	"operator.questions",
	"operator.pairing",
	"operator.talk.secrets",
};
#define CLI_NDEFAULT_SCOPES \
	(int)(sizeof(cli_default_scopes) / sizeof(cli_default_scopes[0]))

/*
 * Least privilege: the method's own operator scope when it has one; node,
 * dynamic and unknown methods get the stock CLI's default set.
 */
int
rpc_method_scopes(const char *method, const char **out, int max)
{
	const char *scope;
	int         i;

	if (strcmp(method, "health") == 0)
		scope = "operator.read";
	else
		scope = proto_method_scope(method);
	if (scope != NULL && strncmp(scope, "operator.", 9) == 0 && max >= 1) {
		out[0] = scope;
		return 1;
	}
	for (i = 0; i < CLI_NDEFAULT_SCOPES && i < max; i++)
		out[i] = cli_default_scopes[i];
	return i;
}

static void
rpc_fail(struct cli_rpc_result *res, enum cli_rpc_status status,
    const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

static json_object *
connect_frame(const struct cli_target *t, const char *id, const char *method)
{
	json_object *params, *client, *auth, *scopes;
	const char  *sv[CLI_NDEFAULT_SCOPES];
	char         instance[37];
	int          i, n;

	util_uuid(instance);
	client = json_object_new_object();
	json_object_object_add(client, "id",
	    json_object_new_string(
	        t->client_id != NULL ? t->client_id : "cli"));
	json_object_object_add(client, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(client, "platform",
	    json_object_new_string(CLI_PLATFORM));
	json_object_object_add(client, "mode",
	    json_object_new_string(
	        t->client_mode != NULL ? t->client_mode : "cli"));
	json_object_object_add(client, "instanceId",
	    json_object_new_string(instance));

	params = json_object_new_object();
	json_object_object_add(params, "minProtocol",
	    json_object_new_int(PROTO_VERSION));
	json_object_object_add(params, "maxProtocol",
	    json_object_new_int(PROTO_VERSION));
	json_object_object_add(params, "client", client);
	json_object_object_add(params, "caps", json_object_new_array());
	if (t->token != NULL || t->password != NULL) {
		auth = json_object_new_object();
		if (t->token != NULL)
			json_object_object_add(auth, "token",
			    json_object_new_string(t->token));
		if (t->password != NULL)
			json_object_object_add(auth, "password",
			    json_object_new_string(t->password));
		json_object_object_add(params, "auth", auth);
	}
	json_object_object_add(params, "role",
	    json_object_new_string("operator"));
	scopes = json_object_new_array();
	n = rpc_method_scopes(method, sv, CLI_NDEFAULT_SCOPES);
	for (i = 0; i < n; i++)
		json_object_array_add(scopes, json_object_new_string(sv[i]));
	json_object_object_add(params, "scopes", scopes);
	return frame_req(id, "connect", params);
}

static int
ms_left(uint64_t deadline)
{
	uint64_t now = util_mono_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* The next request id: "<seq>:<uuid>". */
static void
rpc_next_id(struct rpc_client *rc, char *id, size_t len)
{
	char uuid[37];

	util_uuid(uuid);
	snprintf(id, len, "%d:%s", ++rc->seq, uuid);
}

/* Sends and frees frame. */
static int
rpc_send(struct rpc_client *rc, json_object *frame, struct cli_rpc_result *res)
{
	struct ws_client *c = rc->ws;
	const char       *s;
	size_t            len;
	int               rv;

	ws_client_set_send_timeout(c, ms_left(rc->deadline));
	s = frame_text(frame, &len);
	rv = ws_client_send_text(c, s, len);
	/* the connect frame holds the secret; wipe the serialized copy */
	OPENSSL_cleanse((char *)s, len);
	json_object_put(frame);
	if (rv == -1)
		rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
		    "gateway connection "
		    "failed: %s",
		    ws_client_error(c));
	return rv;
}

/*
 * The next req, res or event from the server, classified into f (views
 * into the returned object); anything else is skipped.
 */
static json_object *
rpc_next(struct rpc_client *rc, struct frame *f, struct cli_rpc_result *res)
{
	struct ws_client *c = rc->ws;
	json_object      *o;
	const char       *data, *reason, *hint;
	size_t            len;
	uint16_t          code;
	int               op, rv;

	for (;;) {
		rv = ws_client_recv(c, ms_left(rc->deadline), &op, &data, &len);
		switch (rv) {
		case WS_CLIENT_MSG:
			if (op != WS_OP_TEXT ||
			    (o = frame_json_parse(data, len, 0, NULL)) == NULL)
				continue;
			if (frame_classify(o, f) != FRAME_OTHER)
				return o;
			json_object_put(o);
			continue;
		case WS_CLIENT_TIMEOUT:
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
			    "gateway timeout after %dms", rc->timeout_ms);
			return NULL;
		case WS_CLIENT_CLOSED:
			code = ws_client_close_code(c);
			reason = ws_client_close_reason(c);
			hint = code == 1006 ? " abnormal closure (no close "
			                      "frame)" :
			    code == 1000    ? " normal closure" :
			                      "";
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
			    "gateway closed (%u%s): %s", code, hint,
			    *reason != '\0' ? reason : "no close reason");
			return NULL;
		default:
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
			    "gateway "
			    "connection failed: %s",
			    ws_client_error(c));
			return NULL;
		}
	}
}

static int
rpc_wait_challenge(struct rpc_client *rc, struct cli_rpc_result *res)
{
	json_object *o;
	struct frame f;
	const char  *nonce;

	for (;;) {
		if ((o = rpc_next(rc, &f, res)) == NULL)
			return -1;
		if (f.type != FRAME_EVENT || f.event == NULL ||
		    strcmp(f.event, "connect.challenge") != 0) {
			json_object_put(o);
			continue;
		}
		nonce = frame_str(f.payload, "nonce");
		if (nonce == NULL || *nonce == '\0') {
			json_object_put(o);
			ws_client_close(rc->ws, WS_CLOSE_POLICY,
			    "connect challenge missing nonce");
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
			    "connect challenge missing nonce");
			return -1;
		}
		json_object_put(o);
		return 0;
	}
}

/* A failed res: keep the ErrorShape for --json, its message for humans. */
static void
rpc_request_error(const struct frame *f, struct cli_rpc_result *res)
{
	const char *msg = NULL;

	if (json_object_is_type(f->error, json_type_object)) {
		res->error = json_object_get(f->error);
		msg = frame_str(f->error, "message");
	}
	rpc_fail(res, CLI_RPC_REQUEST_ERROR, "%s",
	    msg != NULL ? msg : "request failed");
}

/*
 * Wait for the res with this id, skipping events and other ids.  With
 * expect_final an ok res whose payload.status is "accepted" is only the
 * acknowledgement of a two-stage method; the final one follows.
 */
static int
rpc_wait_res(struct rpc_client *rc, const char *id, int expect_final,
    struct cli_rpc_result *res)
{
	json_object *o;
	struct frame f;
	const char  *status;

	for (;;) {
		if ((o = rpc_next(rc, &f, res)) == NULL)
			return -1;
		if (f.type != FRAME_RES || f.id == NULL ||
		    strcmp(f.id, id) != 0) {
			json_object_put(o);
			continue;
		}
		if (!f.ok) {
			rpc_request_error(&f, res);
			json_object_put(o);
			return -1;
		}
		status = frame_str(f.payload, "status");
		if (expect_final && status != NULL &&
		    strcmp(status, "accepted") == 0) {
			json_object_put(o);
			continue;
		}
		res->status = CLI_RPC_OK;
		res->payload = json_object_get(f.payload);
		json_object_put(o);
		return 0;
	}
}

struct rpc_client *
rpc_connect(const struct cli_target *t, const char *method, int timeout_ms,
    struct cli_rpc_result *res)
{
	struct rpc_client *rc;
	char               err[512], id[64];

	memset(res, 0, sizeof(*res));
	rc = xcalloc(1, sizeof(*rc));
	rc->deadline = util_mono_ms() + (uint64_t)timeout_ms;
	rc->timeout_ms = timeout_ms;
	if ((rc->ws = ws_client_connect(t->url, timeout_ms, err,
	         sizeof(err))) == NULL) {
		if (ms_left(rc->deadline) == 0)
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
			    "gateway timeout after %dms", timeout_ms);
		else
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR, "%s", err);
		free(rc);
		return NULL;
	}
	rpc_next_id(rc, id, sizeof(id));
	if (rpc_wait_challenge(rc, res) == -1 ||
	    rpc_send(rc, connect_frame(t, id, method), res) == -1 ||
	    rpc_wait_res(rc, id, 0, res) == -1) {
		rc->failed = 1;
		rpc_close(rc);
		return NULL;
	}
	json_object_put(res->payload); /* hello-ok: nothing we need */
	res->payload = NULL;
	return rc;
}

int
rpc_request(struct rpc_client *rc, const char *method, json_object *params,
    int expect_final, struct cli_rpc_result *res)
{
	char id[64];

	memset(res, 0, sizeof(*res));
	rpc_next_id(rc, id, sizeof(id));
	if (rpc_send(rc, frame_req(id, method, json_object_get(params)), res) ==
	        -1 ||
	    rpc_wait_res(rc, id, expect_final, res) == -1) {
		rc->failed = 1;
		return -1;
	}
	return 0;
}

void
rpc_close(struct rpc_client *rc)
{
	if (rc == NULL)
		return;
	/* after a timeout the server may be gone: no closing handshake */
	if (!rc->failed || ms_left(rc->deadline) > 0)
		ws_client_close(rc->ws, WS_CLOSE_NORMAL, "");
	ws_client_free(rc->ws);
	free(rc);
}

int
rpc_call(const struct cli_target *t, const char *method, json_object *params,
    int timeout_ms, int expect_final, struct cli_rpc_result *res)
{
	struct rpc_client *rc;
	int                rv;

	if ((rc = rpc_connect(t, method, timeout_ms, res)) == NULL)
		return -1;
	rv = rpc_request(rc, method, params, expect_final, res);
	rpc_close(rc);
	return rv;
}

void
cli_rpc_result_free(struct cli_rpc_result *res)
{
	json_object_put(res->payload);
	json_object_put(res->error);
	memset(res, 0, sizeof(*res));
}
