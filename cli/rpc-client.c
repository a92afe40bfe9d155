#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "common/util.h"
#include "common/ws-frame.h"
#include "common/xmalloc.h"
#include "protocol/scopes.h"
#include "cli/rpc-client.h"
#include "cli/ws-client.h"

#define CLI_PROTOCOL	4

#ifdef __APPLE__
#define CLI_PLATFORM	"darwin"
#else
#define CLI_PLATFORM	"linux"
#endif

/* One connection: what every exchange on it needs. */
struct rpc_client {
	struct ws_client	*ws;
	uint64_t		 deadline;	/* of the whole session */
	int			 timeout_ms;	/* for messages */
	int			 seq;		/* request ids "<seq>:<uuid>" */
	int			 failed;	/* maybe the server is gone */
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
	const char	*scope;
	int		 i;

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
	va_list	ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
connect_frame(const struct cli_target *t, const char *id, const char *method)
{
	json_object	*frame, *params, *client, *auth, *scopes;
	const char	*sv[CLI_NDEFAULT_SCOPES];
	char		 instance[37];
	int		 i, n;

	util_uuid(instance);
	client = json_object_new_object();
	json_object_object_add(client, "id", json_object_new_string("cli"));
	json_object_object_add(client, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(client, "platform",
	    json_object_new_string(CLI_PLATFORM));
	json_object_object_add(client, "mode", json_object_new_string("cli"));
	json_object_object_add(client, "instanceId",
	    json_object_new_string(instance));

	params = json_object_new_object();
	json_object_object_add(params, "minProtocol",
	    json_object_new_int(CLI_PROTOCOL));
	json_object_object_add(params, "maxProtocol",
	    json_object_new_int(CLI_PROTOCOL));
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

	frame = json_object_new_object();
	json_object_object_add(frame, "type", json_object_new_string("req"));
	json_object_object_add(frame, "id", json_object_new_string(id));
	json_object_object_add(frame, "method",
	    json_object_new_string("connect"));
	json_object_object_add(frame, "params", params);
	return frame;
}

static json_object *
request_frame(const char *id, const char *method, json_object *params)
{
	json_object	*frame;

	frame = json_object_new_object();
	json_object_object_add(frame, "type", json_object_new_string("req"));
	json_object_object_add(frame, "id", json_object_new_string(id));
	json_object_object_add(frame, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(frame, "params",
		    json_object_get(params));
	return frame;
}

static int
ms_left(uint64_t deadline)
{
	uint64_t	now = util_mono_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* The next request id: "<seq>:<uuid>". */
static void
rpc_next_id(struct rpc_client *rc, char *id, size_t len)
{
	char	uuid[37];

	util_uuid(uuid);
	snprintf(id, len, "%d:%s", ++rc->seq, uuid);
}

/* Sends and frees frame. */
static int
rpc_send(struct rpc_client *rc, json_object *frame,
    struct cli_rpc_result *res)
{
	struct ws_client	*c = rc->ws;
	const char		*s;
	size_t			 len;
	int			 rv;

	ws_client_set_send_timeout(c, ms_left(rc->deadline));
	s = json_object_to_json_string_length(frame, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	rv = ws_client_send_text(c, s, len);
	/* the connect frame holds the secret; wipe the serialized copy */
	OPENSSL_cleanse((char *)s, len);
	json_object_put(frame);
	if (rv == -1)
		rpc_fail(res, CLI_RPC_TRANSPORT_ERROR, "gateway connection "
		    "failed: %s", ws_client_error(c));
	return rv;
}

/* The next JSON object from the server; anything else is skipped. */
static json_object *
rpc_next(struct rpc_client *rc, struct cli_rpc_result *res)
{
	struct ws_client	*c = rc->ws;
	json_object		*o;
	const char		*data, *reason, *hint;
	size_t			 len;
	uint16_t		 code;
	int			 op, rv;

	for (;;) {
		rv = ws_client_recv(c, ms_left(rc->deadline), &op, &data, &len);
		switch (rv) {
		case WS_CLIENT_MSG:
			if (op != WS_OP_TEXT ||
			    (o = json_tokener_parse(data)) == NULL)
				continue;
			if (json_object_is_type(o, json_type_object))
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
			    "frame)" : code == 1000 ? " normal closure" : "";
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
			    "gateway closed (%u%s): %s", code, hint,
			    *reason != '\0' ? reason : "no close reason");
			return NULL;
		default:
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR, "gateway "
			    "connection failed: %s", ws_client_error(c));
			return NULL;
		}
	}
}

static int
rpc_wait_challenge(struct rpc_client *rc, struct cli_rpc_result *res)
{
	json_object	*o, *payload;
	const char	*type, *event, *nonce;

	for (;;) {
		if ((o = rpc_next(rc, res)) == NULL)
			return -1;
		type = jstr(o, "type");
		event = jstr(o, "event");
		if (type == NULL || strcmp(type, "event") != 0 ||
		    event == NULL || strcmp(event, "connect.challenge") != 0) {
			json_object_put(o);
			continue;
		}
		nonce = NULL;
		if (json_object_object_get_ex(o, "payload", &payload))
			nonce = jstr(payload, "nonce");
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
rpc_request_error(json_object *frame, struct cli_rpc_result *res)
{
	json_object	*error;
	const char	*msg = NULL;

	if (json_object_object_get_ex(frame, "error", &error) &&
	    json_object_is_type(error, json_type_object)) {
		res->error = json_object_get(error);
		msg = jstr(error, "message");
	}
	rpc_fail(res, CLI_RPC_REQUEST_ERROR, "%s", msg != NULL ? msg :
	    "request failed");
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
	json_object	*o, *ok, *payload;
	const char	*type, *rid, *status;

	for (;;) {
		if ((o = rpc_next(rc, res)) == NULL)
			return -1;
		type = jstr(o, "type");
		rid = jstr(o, "id");
		if (type == NULL || strcmp(type, "res") != 0 || rid == NULL ||
		    strcmp(rid, id) != 0) {
			json_object_put(o);
			continue;
		}
		if (!json_object_object_get_ex(o, "ok", &ok) ||
		    !json_object_get_boolean(ok)) {
			rpc_request_error(o, res);
			json_object_put(o);
			return -1;
		}
		payload = NULL;
		json_object_object_get_ex(o, "payload", &payload);
		status = payload != NULL ? jstr(payload, "status") : NULL;
		if (expect_final && status != NULL &&
		    strcmp(status, "accepted") == 0) {
			json_object_put(o);
			continue;
		}
		res->status = CLI_RPC_OK;
		res->payload = json_object_get(payload);
		json_object_put(o);
		return 0;
	}
}

struct rpc_client *
rpc_connect(const struct cli_target *t, const char *method, int timeout_ms,
    struct cli_rpc_result *res)
{
	struct rpc_client	*rc;
	char			 err[512], id[64];

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
	json_object_put(res->payload);	/* hello-ok: nothing we need */
	res->payload = NULL;
	return rc;
}

int
rpc_request(struct rpc_client *rc, const char *method, json_object *params,
    int expect_final, struct cli_rpc_result *res)
{
	char	id[64];

	memset(res, 0, sizeof(*res));
	rpc_next_id(rc, id, sizeof(id));
	if (rpc_send(rc, request_frame(id, method, params), res) == -1 ||
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
	struct rpc_client	*rc;
	int			 rv;

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

/* json_tokener_get_parse_end() arrived in json-c 0.15; configure takes 0.13 */
static size_t
json_parse_end(struct json_tokener *tok)
{
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	return json_tokener_get_parse_end(tok);
#else
	return (size_t)tok->char_offset;
#endif
}

/*
 * json-c takes single quotes and NaN even when strict; JSON.parse, which
 * the stock CLI uses, does not.  Returns 0 if the text outside strings
 * has only JSON's words.
 */
static int
json_words_ok(const char *t)
{
	size_t	n;
	int	instr = 0;

	for (; *t != '\0'; t++) {
		if (instr) {
			if (*t == '\\' && t[1] != '\0')
				t++;
			else if (*t == '"')
				instr = 0;
			continue;
		}
		if (*t == '"') {
			instr = 1;
			continue;
		}
		if (*t == '\'')
			return -1;
		if (!isalpha((unsigned char)*t))
			continue;
		n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (!((n == 4 && (strncmp(t, "true", 4) == 0 ||
		    strncmp(t, "null", 4) == 0)) ||
		    (n == 5 && strncmp(t, "false", 5) == 0) ||
		    (n == 1 && (*t == 'e' || *t == 'E'))))
			return -1;
		t += n - 1;
	}
	return 0;
}

/*
 * One strict json-c pass over text[0..len) (len past the end: the NUL
 * completes a bare number); *end is where the value ended.
 */
static json_object *
json_parse_strict(const char *text, size_t len, enum json_tokener_error *jerr,
    size_t *end)
{
	struct json_tokener	*tok;
	json_object		*o;

	tok = json_tokener_new();
	/* JSON as the gateway reads it: no single quotes, no trailing commas. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	*jerr = json_tokener_get_error(tok);
	*end = json_parse_end(tok);
	json_tokener_free(tok);
	return o;
}

int
rpc_json_parse(const char *text, json_object **out, char *err, size_t errlen)
{
	enum json_tokener_error	 jerr;
	json_object		*o;
	size_t			 len, end;

	*out = NULL;
	if (json_words_ok(text) == -1) {
		snprintf(err, errlen, "unexpected word or quote");
		return -1;
	}
	len = strlen(text);
	o = json_parse_strict(text, len, &jerr, &end);
	/* a bare number is only complete once the input ends */
	if (jerr == json_tokener_continue && o == NULL && len > 0) {
		o = json_parse_strict(text, len + 1, &jerr, &end);
		end = len;
	}
	if (jerr != json_tokener_success) {
		json_object_put(o);
		snprintf(err, errlen, "%s", jerr == json_tokener_continue ?
		    "unexpected end of input" : json_tokener_error_desc(jerr));
		return -1;
	}
	if (text[end + strspn(text + end, " \t\r\n")] != '\0') {
		json_object_put(o);
		snprintf(err, errlen, "trailing characters after the value");
		return -1;
	}
	*out = o;
	return 0;
}
