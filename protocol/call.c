/* The transport-independent method call: see call.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "protocol/call.h"
#include "protocol/frame.h"
#include "protocol/scopes.h"

enum gw_call_state {
	GW_CALL_OPEN,
	GW_CALL_ACKED,
	GW_CALL_DONE,
};

/*
 * The strings are the caller's until the call is deferred: a call
 * answered before its handler returns (nearly all of them) costs one
 * allocation, and gw_call_defer copies what the caller may take away.
 */
struct gw_call {
	struct gw_transport *tr;
	char                 key[GW_CALL_KEY_MAX];
	const char          *id;
	const char          *method;
	struct json_object  *params; /* own reference */
	int                  is_node;
	const char *const   *scopes;
	int                  nscopes;
	const char          *client_id;
	const char          *client_mode;
	enum gw_call_state   state;
	int                  deferred;
	int                  owned; /* the strings are our copies */
	void                *live;  /* the caller, until deferred */
};

static char *
gw_strdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct gw_call *
gw_call_new(struct gw_transport *tr, const struct gw_caller *who,
    const char *id, const char *method, struct json_object *params)
{
	struct gw_call *call;

	call = xcalloc(1, sizeof(*call));
	call->tr = tr;
	snprintf(call->key, sizeof(call->key), "%s", who->key);
	call->id = id;
	call->method = method;
	call->params = json_object_get(params);
	call->is_node = who->is_node;
	call->scopes = who->scopes;
	call->nscopes = who->nscopes;
	call->client_id = who->client_id;
	call->client_mode = who->client_mode;
	call->live = who->live;
	return call;
}

/* Take copies of the caller's strings, which may go before we answer. */
static void
gw_call_own(struct gw_call *call)
{
	char **scopes;
	int    i;

	if (call->owned)
		return;
	scopes = xcalloc(call->nscopes > 0 ? (size_t)call->nscopes : 1,
	    sizeof(char *));
	for (i = 0; i < call->nscopes; i++)
		scopes[i] = xstrdup(call->scopes[i]);
	call->scopes = (const char *const *)scopes;
	call->id = xstrdup(call->id);
	call->method = xstrdup(call->method);
	call->client_id = gw_strdup_or_null(call->client_id);
	call->client_mode = gw_strdup_or_null(call->client_mode);
	call->owned = 1;
}

void
gw_call_free(struct gw_call *call)
{
	int i;

	if (call == NULL)
		return;
	json_object_put(call->params);
	if (call->owned) {
		for (i = 0; i < call->nscopes; i++)
			free((char *)call->scopes[i]);
		free((char **)call->scopes);
		free((char *)call->id);
		free((char *)call->method);
		free((char *)call->client_id);
		free((char *)call->client_mode);
	}
	free(call);
}

void
gw_call_defer(struct gw_call *call)
{
	gw_call_own(call);
	call->live = NULL;
	call->deferred = 1;
}

int
gw_call_deferred(const struct gw_call *call)
{
	return call->deferred;
}

/* One res frame to a caller found live; a closing one drops it too. */
static int
gw_call_send(struct gw_transport *tr, void *caller, const char *key,
    struct json_object *frame)
{
	if (caller == NULL || tr->send(tr->arg, caller, frame) == -1) {
		tr->dropped++;
		log_debug("call: answer for %.64s dropped: caller gone", key);
		return 1;
	}
	return 0;
}

int
gw_call_route(struct gw_transport *tr, const char *key,
    struct json_object *frame)
{
	return gw_call_send(tr, tr->lookup(tr->arg, key), key, frame);
}

/* Send one res frame (owned) if the call may still answer. */
static int
gw_call_answer(struct gw_call *call, enum gw_call_state next,
    struct json_object *frame)
{
	int rv;

	if (call->state >= next) {
		log_warnx("call %.64s %s: answer refused (already answered)",
		    call->id, call->method);
		json_object_put(frame);
		return -1;
	}
	call->state = next;
	if (call->live != NULL) {
		rv = gw_call_send(call->tr, call->live, call->key, frame);
		json_object_put(frame);
		return rv;
	}
	rv = gw_call_route(call->tr, call->key, frame);
	json_object_put(frame);
	return rv;
}

int
gw_call_ack(struct gw_call *call, struct json_object *payload)
{
	return gw_call_answer(call, GW_CALL_ACKED,
	    frame_res(call->id, payload));
}

int
gw_call_ok(struct gw_call *call, struct json_object *payload)
{
	return gw_call_answer(call, GW_CALL_DONE, frame_res(call->id, payload));
}

int
gw_call_fail(struct gw_call *call, struct json_object *err)
{
	return gw_call_answer(call, GW_CALL_DONE, frame_res_err(call->id, err));
}

int
gw_call_error(struct gw_call *call, const char *code, const char *message)
{
	return gw_call_fail(call, frame_error(code, message));
}

int
gw_call_done(const struct gw_call *call)
{
	return call->state == GW_CALL_DONE;
}

void
gw_call_forwarded(struct gw_call *call)
{
	call->state = GW_CALL_DONE;
}

const char *
gw_call_id(const struct gw_call *call)
{
	return call->id;
}

const char *
gw_call_method(const struct gw_call *call)
{
	return call->method;
}

const char *
gw_call_key(const struct gw_call *call)
{
	return call->key;
}

struct json_object *
gw_call_params(const struct gw_call *call)
{
	return call->params;
}

int
gw_call_is_node(const struct gw_call *call)
{
	return call->is_node;
}

int
gw_call_has_scope(const struct gw_call *call, const char *need)
{
	return proto_scope_satisfied(call->scopes, call->nscopes, need);
}

const char *
gw_call_client_id(const struct gw_call *call)
{
	return call->client_id;
}

const char *
gw_call_client_mode(const struct gw_call *call)
{
	return call->client_mode;
}

static void
gw_add_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

struct json_object *
gw_call_to_json(const struct gw_call *call)
{
	struct json_object *o, *who, *sc;
	int                 i;

	who = json_object_new_object();
	json_object_object_add(who, "role",
	    json_object_new_string(call->is_node ? "node" : "operator"));
	sc = json_object_new_array();
	for (i = 0; i < call->nscopes; i++)
		json_object_array_add(sc,
		    json_object_new_string(call->scopes[i]));
	json_object_object_add(who, "scopes", sc);
	gw_add_str(who, "clientId", call->client_id);
	gw_add_str(who, "clientMode", call->client_mode);
	o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(call->key));
	json_object_object_add(o, "id", json_object_new_string(call->id));
	json_object_object_add(o, "method",
	    json_object_new_string(call->method));
	json_object_object_add(o, "params", json_object_get(call->params));
	json_object_object_add(o, "caller", who);
	return o;
}

struct gw_call *
gw_call_from_json(struct gw_transport *tr, struct json_object *o)
{
	struct json_object *who, *sc;
	struct gw_caller    c;
	struct gw_call     *call;
	const char         *scopes[32];
	size_t              i, n;

	memset(&c, 0, sizeof(c));
	who = json_object_object_get(o, "caller");
	c.key = frame_str(o, "key");
	if (c.key == NULL || frame_str(o, "id") == NULL ||
	    frame_str(o, "method") == NULL ||
	    !json_object_is_type(who, json_type_object))
		return NULL;
	c.is_node = frame_str(who, "role") != NULL &&
	    strcmp(frame_str(who, "role"), "node") == 0;
	sc = json_object_object_get(who, "scopes");
	n = json_object_is_type(sc, json_type_array) ?
	    json_object_array_length(sc) :
	    0;
	for (i = 0; i < n && i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if ((scopes[c.nscopes] = json_object_get_string(
		         json_object_array_get_idx(sc, i))) != NULL)
			c.nscopes++;
	c.scopes = scopes;
	c.client_id = frame_str(who, "clientId");
	c.client_mode = frame_str(who, "clientMode");
	call = gw_call_new(tr, &c, frame_str(o, "id"), frame_str(o, "method"),
	    json_object_object_get(o, "params"));
	gw_call_own(call); /* o and the scopes array go when we return */
	return call;
}
