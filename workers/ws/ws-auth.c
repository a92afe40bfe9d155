/*
 * Shared-secret authentication of connect (protocol.md section 2.5): the
 * messages and details codes are the reference's, since clients match
 * them by prefix.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "workers/worker.h"
#include "protocol/frame.h"
#include "workers/ws/ws.h"

static const char *
auth_hint(struct json_object *params, const char *kind, int local)
{
	const char *id = frame_str(json_object_object_get(params, "client"),
	    "id");

	/* A CLI on this machine reads the same config file as we do. */
	if (id != NULL && strcmp(id, "cli") == 0 && local)
		return strcmp(kind, "token") == 0 ?
		    "use this gateway's gateway.auth.token or pair the device" :
		    "use this gateway's gateway.auth.password";
	if (id != NULL && strcmp(id, "cli") == 0)
		return strcmp(kind, "token") == 0 ?
		    "set gateway.remote.token to match gateway.auth.token" :
		    "set gateway.remote.password to match gateway.auth.password";
	if (id != NULL &&
	    (strcmp(id, "openclaw-control-ui") == 0 ||
	        strcmp(id, "webchat-ui") == 0 || strcmp(id, "webchat") == 0))
		return strcmp(kind, "token") == 0 ?
		    "open the dashboard URL and paste the token in Control UI "
		    "settings" :
		    "enter the gateway password in Control UI "
		    "settings";
	return strcmp(kind, "token") == 0 ? "provide gateway auth token" :
	                                    "provide gateway auth password";
}

static void
auth_fail(struct ws_auth_result *r, const char *reason, const char *detail,
    int counts, const char *fmt, const char *arg)
{
	r->ok = 0;
	r->reason = reason;
	r->detail = detail;
	r->counts = counts;
	snprintf(r->message, sizeof(r->message), fmt, arg);
}

/* The client's secret: a JSON string, which may hold "\u0000". */
static const char *
auth_given(struct json_object *auth, const char *key, size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(auth, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/*
 * expected was checked at load (no NUL, no control character), so strlen
 * is its length; given is compared over its JSON length, so a NUL in it
 * does not turn a longer guess into a prefix that matches.
 */
static void
auth_secret(struct ws_auth_result *r, struct json_object *params, int local,
    const char *kind, const char *expected)
{
	struct json_object *auth = json_object_object_get(params, "auth");
	int                 tok = strcmp(kind, "token") == 0;
	const char         *given;
	size_t              glen = 0;

	given = auth_given(auth, kind, &glen);

	if (expected == NULL || *expected == '\0') {
		auth_fail(r,
		    tok ? "token_missing_config" : "password_missing_config",
		    tok ? "AUTH_TOKEN_NOT_CONFIGURED" :
		          "AUTH_PASSWORD_NOT_CONFIGURED",
		    0, "%s", "");
		snprintf(r->message, sizeof(r->message),
		    "unauthorized: "
		    "gateway %s not configured on gateway (set gateway.auth.%s)",
		    kind, kind);
	} else if (given == NULL)
		auth_fail(r, tok ? "token_missing" : "password_missing",
		    tok ? "AUTH_TOKEN_MISSING" : "AUTH_PASSWORD_MISSING", 1,
		    tok ?
		        "unauthorized: gateway token missing (use this gateway's "
		        "gateway.auth.token or pair the device)%s" :
		        "unauthorized: gateway password missing (%s)",
		    tok ? "" : auth_hint(params, kind, local));
	else if (!util_secret_eq(given, glen, expected, strlen(expected)))
		auth_fail(r, tok ? "token_mismatch" : "password_mismatch",
		    tok ? "AUTH_TOKEN_MISMATCH" : "AUTH_PASSWORD_MISMATCH", 1,
		    tok ? "unauthorized: gateway token mismatch (%s)" :
		          "unauthorized: gateway password mismatch (%s)",
		    auth_hint(params, kind, local));
	else {
		r->ok = 1;
		r->method = kind;
	}
}

void
ws_auth_check(struct ws_conn *c, struct json_object *params,
    struct ws_auth_result *r)
{
	const struct gw_config *cfg = &c->srv->w->cfg;
	const char             *mode = config_auth_mode(cfg);

	memset(r, 0, sizeof(*r));
	if (c->is_node && json_object_object_get(params, "device") == NULL) {
		auth_fail(r, "device_identity_required",
		    "DEVICE_IDENTITY_REQUIRED", 0, "%s",
		    "device identity required");
		return;
	}
	if (strcmp(mode, "none") == 0) {
		r->ok = 1;
		r->method = "none";
		return;
	}
	if (ws_ip_locked(c->srv, c->ip, c->rl_exempt) > 0) {
		auth_fail(r, "rate_limited", "AUTH_RATE_LIMITED", 0, "%s",
		    "unauthorized: too many failed authentication attempts "
		    "(retry later)");
		return;
	}
	if (strcmp(mode, "password") == 0)
		auth_secret(r, params, c->local, "password",
		    cfg->auth_password);
	else
		auth_secret(r, params, c->local, "token", cfg->auth_token);
}
