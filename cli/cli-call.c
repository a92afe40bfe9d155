#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/util.h"
#include "common/ws-frame.h"
#include "common/xmalloc.h"
#include "protocol/scopes.h"
#include "cli/cli.h"
#include "cli/ws-client.h"

#define CLI_PROTOCOL	4

#ifdef __APPLE__
#define CLI_PLATFORM	"darwin"
#else
#define CLI_PLATFORM	"linux"
#endif

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

static const char *
env_value(const char *name)
{
	const char	*v;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return NULL;
	return v;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* "ws://127.0.0.1:<port>" from OPENCLAW_GATEWAY_PORT ("port" or "host:port"). */
static char *
env_port_url(void)
{
	const char	*v, *colon;
	char		*url;
	long		 port;

	if ((v = env_value("OPENCLAW_GATEWAY_PORT")) == NULL)
		return NULL;
	if ((colon = strrchr(v, ':')) != NULL)
		v = colon + 1;
	if (util_parse_long(v, 1, 65535, &port) == -1)
		return NULL;
	xasprintf(&url, "ws://127.0.0.1:%ld", port);
	return url;
}

/* The host part of a ws:// URL names this machine. */
static int
url_is_loopback(const char *url)
{
	const char	*h;
	size_t		 n;

	if (strncasecmp(url, "ws://", 5) != 0)
		return 0;
	h = url + 5;
	if (strlen(h) >= 5 && memcmp(h, "[::1]", 5) == 0)
		return 1;
	n = strcspn(h, ":/?#");
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	return strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") == n;
}

/*
 * URL: --url > --port > OPENCLAW_GATEWAY_URL > gateway.remote.url (remote
 * mode) > ws://127.0.0.1:<port>, port from OPENCLAW_GATEWAY_PORT >
 * gateway.port > 18789.  Credentials: flags > environment > config.
 * Secrets from the config file only go to the gateway it describes or to
 * this machine, never to an arbitrary --url (the stock CLI refuses the
 * same way); the config file is read only when something is missing.
 */
int
cli_target_resolve(struct cli_target *t, const struct cli_conn_opts *o,
    char *err, size_t errlen)
{
	struct gw_config	 cfg;
	const char		*url = NULL, *token, *password;
	char			*fallback = NULL, cerr[512];
	int			 override = 0, loaded = 0, remote = 0, cfg_creds;

	memset(t, 0, sizeof(*t));
	memset(&cfg, 0, sizeof(cfg));
	if ((url = nonempty(o->url)) != NULL)
		override = 1;
	else if (o->port != NULL)
		xasprintf(&t->url, "ws://127.0.0.1:%s", o->port);
	else if ((url = env_value("OPENCLAW_GATEWAY_URL")) != NULL)
		override = 1;

	token = nonempty(o->token);
	password = nonempty(o->password);
	if (token == NULL && password == NULL) {
		token = env_value("OPENCLAW_GATEWAY_TOKEN");
		password = env_value("OPENCLAW_GATEWAY_PASSWORD");
	}
	cfg_creds = token == NULL && password == NULL &&
	    (!override || url_is_loopback(url));

	if ((url == NULL && t->url == NULL) || cfg_creds) {
		fallback = env_port_url();
		if (config_load(&cfg, cerr, sizeof(cerr)) == 0)
			loaded = 1;
		else if (cfg_creds || (url == NULL && t->url == NULL &&
		    fallback == NULL)) {
			snprintf(err, errlen, "%s", cerr);
			config_free(&cfg);
			free(fallback);
			return -1;
		}
	}
	if (url == NULL && t->url == NULL) {
		if (loaded && cfg.mode != NULL && strcmp(cfg.mode, "remote") ==
		    0 && nonempty(cfg.remote_url) != NULL) {
			url = cfg.remote_url;
			remote = 1;
		} else if (loaded)
			xasprintf(&t->url, "ws://127.0.0.1:%ld", cfg.port);
		else
			url = fallback;
	}
	if (cfg_creds && loaded) {
		if (!remote) {
			token = nonempty(cfg.auth_token);
			password = nonempty(cfg.auth_password);
		}
		/* gateway.remote.* also serves when gateway.auth.* is unset */
		if (token == NULL && password == NULL) {
			token = nonempty(cfg.remote_token);
			password = nonempty(cfg.remote_password);
		}
	}
	if (t->url == NULL)
		t->url = xstrdup(url);
	t->token = token != NULL ? xstrdup(token) : NULL;
	t->password = password != NULL ? xstrdup(password) : NULL;
	config_free(&cfg);
	free(fallback);
	return 0;
}

void
cli_target_free(struct cli_target *t)
{
	free(t->url);
	/* secrets do not linger in freed memory */
	if (t->token != NULL) {
		OPENSSL_cleanse(t->token, strlen(t->token));
		free(t->token);
	}
	if (t->password != NULL) {
		OPENSSL_cleanse(t->password, strlen(t->password));
		free(t->password);
	}
	memset(t, 0, sizeof(*t));
}

/*
 * Least privilege: the method's own operator scope when it has one; node,
 * dynamic and unknown methods get the stock CLI's default set.
 */
int
cli_method_scopes(const char *method, const char **out, int max)
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
	n = cli_method_scopes(method, sv, CLI_NDEFAULT_SCOPES);
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
rpc_send(struct ws_client *c, json_object *frame, struct cli_rpc_result *res)
{
	const char	*s;
	size_t		 len;
	int		 rv;

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

static int
ms_left(uint64_t deadline)
{
	uint64_t	now = util_mono_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* The next JSON object from the server; anything else is skipped. */
static json_object *
rpc_next(struct ws_client *c, uint64_t deadline, int timeout_ms,
    struct cli_rpc_result *res)
{
	json_object	*o;
	const char	*data, *reason, *hint;
	size_t		 len;
	uint16_t	 code;
	int		 op, rv;

	for (;;) {
		rv = ws_client_recv(c, ms_left(deadline), &op, &data, &len);
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
			    "gateway timeout after %dms", timeout_ms);
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
rpc_wait_challenge(struct ws_client *c, uint64_t deadline, int timeout_ms,
    struct cli_rpc_result *res)
{
	json_object	*o, *payload;
	const char	*type, *event, *nonce;

	for (;;) {
		if ((o = rpc_next(c, deadline, timeout_ms, res)) == NULL)
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
			ws_client_close(c, WS_CLOSE_POLICY,
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
rpc_wait_res(struct ws_client *c, uint64_t deadline, int timeout_ms,
    const char *id, int expect_final, struct cli_rpc_result *res)
{
	json_object	*o, *ok, *payload;
	const char	*type, *rid, *status;

	for (;;) {
		if ((o = rpc_next(c, deadline, timeout_ms, res)) == NULL)
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

int
cli_rpc_call(const struct cli_target *t, const struct cli_rpc *r,
    struct cli_rpc_result *res)
{
	struct ws_client	*c;
	uint64_t		 deadline;
	char			 err[512], uuid[37], id[48];
	int			 rv = -1;

	memset(res, 0, sizeof(*res));
	deadline = util_mono_ms() + (uint64_t)r->timeout_ms;
	if ((c = ws_client_connect(t->url, r->timeout_ms, err,
	    sizeof(err))) == NULL) {
		if (ms_left(deadline) == 0)
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR,
			    "gateway timeout after %dms", r->timeout_ms);
		else
			rpc_fail(res, CLI_RPC_TRANSPORT_ERROR, "%s", err);
		return -1;
	}
	if (rpc_wait_challenge(c, deadline, r->timeout_ms, res) == -1)
		goto out;

	util_uuid(uuid);
	snprintf(id, sizeof(id), "1:%s", uuid);
	ws_client_set_send_timeout(c, ms_left(deadline));
	if (rpc_send(c, connect_frame(t, id, r->method), res) == -1 ||
	    rpc_wait_res(c, deadline, r->timeout_ms, id, 0, res) == -1)
		goto out;
	json_object_put(res->payload);	/* hello-ok: nothing we need */
	res->payload = NULL;

	util_uuid(uuid);
	snprintf(id, sizeof(id), "2:%s", uuid);
	ws_client_set_send_timeout(c, ms_left(deadline));
	if (rpc_send(c, request_frame(id, r->method, r->params), res) == -1 ||
	    rpc_wait_res(c, deadline, r->timeout_ms, id, r->expect_final,
	    res) == -1)
		goto out;
	rv = 0;
out:
	/* after a timeout the server may be gone: no closing handshake */
	if (rv == 0 || ms_left(deadline) > 0)
		ws_client_close(c, WS_CLOSE_NORMAL, "");
	ws_client_free(c);
	return rv;
}

void
cli_rpc_result_free(struct cli_rpc_result *res)
{
	json_object_put(res->payload);
	json_object_put(res->error);
	memset(res, 0, sizeof(*res));
}

static void
json_indent(FILE *fp, int depth)
{
	int	i;

	for (i = 0; i < depth; i++)
		fputs("  ", fp);
}

static void
json_print_scalar(FILE *fp, json_object *o)
{
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE), fp);
}

/* JSON.stringify(v, null, 2), so output matches the stock CLI. */
static void
json_print_value(FILE *fp, json_object *o, int depth)
{
	json_object	*key;
	size_t		 i, n;
	int		 first = 1;

	switch (json_object_get_type(o)) {
	case json_type_object:
		if (json_object_object_length(o) == 0) {
			fputs("{}", fp);
			break;
		}
		fputs("{\n", fp);
		json_object_object_foreach(o, k, v) {
			if (!first)
				fputs(",\n", fp);
			first = 0;
			json_indent(fp, depth + 1);
			key = json_object_new_string(k);
			json_print_scalar(fp, key);
			json_object_put(key);
			fputs(": ", fp);
			json_print_value(fp, v, depth + 1);
		}
		fputc('\n', fp);
		json_indent(fp, depth);
		fputc('}', fp);
		break;
	case json_type_array:
		if ((n = json_object_array_length(o)) == 0) {
			fputs("[]", fp);
			break;
		}
		fputs("[\n", fp);
		for (i = 0; i < n; i++) {
			json_indent(fp, depth + 1);
			json_print_value(fp, json_object_array_get_idx(o, i),
			    depth + 1);
			fputs(i + 1 < n ? ",\n" : "\n", fp);
		}
		json_indent(fp, depth);
		fputc(']', fp);
		break;
	case json_type_null:
		fputs("null", fp);
		break;
	default:
		json_print_scalar(fp, o);
		break;
	}
}

void
cli_json_print(FILE *fp, json_object *o)
{
	json_print_value(fp, o, 0);
	fputc('\n', fp);
}

/* Error text for a terminal: one line, no control characters. */
static void
print_line(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(iscntrl((unsigned char)*s) ? ' ' : *s, fp);
	fputc('\n', fp);
}

static void
copy_key(json_object *to, json_object *from, const char *key)
{
	json_object	*v;

	if (json_object_object_get_ex(from, key, &v))
		json_object_object_add(to, key, json_object_get(v));
}

/*
 * Report a failed call (what is the command's name: "gateway call
 * health").  Returns the exit status.
 */
int
cli_rpc_report(const char *what, const struct cli_target *t,
    const struct cli_rpc_result *res, int json)
{
	json_object	*out, *error, *gw;
	char		 line[1024];

	if (!json) {
		if (res->status == CLI_RPC_REQUEST_ERROR)
			snprintf(line, sizeof(line), "openclaw: %s failed: %s",
			    what, res->message);
		else
			snprintf(line, sizeof(line), "openclaw: %s",
			    res->message);
		print_line(stderr, line);
		return EXIT_RUNTIME;
	}
	out = json_object_new_object();
	json_object_object_add(out, "ok", json_object_new_boolean(0));
	error = json_object_new_object();
	if (res->status == CLI_RPC_REQUEST_ERROR) {
		json_object_object_add(error, "type",
		    json_object_new_string("gateway_request_error"));
		if (res->error != NULL) {
			copy_key(error, res->error, "code");
			copy_key(error, res->error, "message");
			copy_key(error, res->error, "details");
			copy_key(error, res->error, "retryable");
			copy_key(error, res->error, "retryAfterMs");
		} else
			json_object_object_add(error, "message",
			    json_object_new_string(res->message));
		json_object_object_add(out, "error", error);
	} else {
		json_object_object_add(error, "type",
		    json_object_new_string("gateway_transport_error"));
		json_object_object_add(error, "message",
		    json_object_new_string(res->message));
		json_object_object_add(out, "error", error);
		gw = json_object_new_object();
		json_object_object_add(gw, "url",
		    json_object_new_string(t->url));
		json_object_object_add(out, "gateway", gw);
	}
	cli_json_print(stdout, out);
	json_object_put(out);
	return EXIT_RUNTIME;
}
