/*
 * A method call that does not know its transport.  The call carries who
 * called (a caller key that finds the connection again, role, scopes,
 * client), the request id and params; a handler answers it at once,
 * later, twice (an ack, then the final answer), or from another process
 * (gw_call_to_json there, gw_call_route back here).  An answer whose
 * caller is gone is dropped and counted in the transport.
 *
 * Ownership: the dispatcher creates a call and frees it when the handler
 * returns, unless the handler called gw_call_defer(); then the handler
 * owns it and frees it with gw_call_free() once it has answered.
 */
#ifndef PROTOCOL_CALL_H
#define PROTOCOL_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define GW_CALL_KEY_MAX 64

/*
 * How answers reach callers.  lookup finds a live caller by key (NULL:
 * gone); send hands it one res frame (borrowed) and returns 0, or -1 if
 * the caller could not take it (closing): counted as dropped too.  One transport per process side; it
 * outlives its calls.
 */
struct gw_transport {
	void *(*lookup)(void *arg, const char *key);
	int (*send)(void *arg, void *caller, struct json_object *frame);
	void    *arg;
	uint64_t dropped; /* answers whose caller was gone */
};

/*
 * Who called.  The call borrows these (and id, method) until it is
 * deferred, and keeps its own copies from then on.
 */
struct gw_caller {
	const char        *key;     /* connection id */
	int                is_node; /* role node, else operator */
	const char *const *scopes;
	int                nscopes;
	const char        *client_id;   /* may be NULL */
	const char        *client_mode; /* may be NULL */
	/*
	 * The caller as lookup would find it, or NULL: answers given before
	 * the handler returns go to it without a lookup (it cannot be gone
	 * then); a deferred call looks its caller up by key every time.
	 */
	void *live;
};

struct gw_call;

struct gw_call *gw_call_new(struct gw_transport *, const struct gw_caller *,
    const char *id, const char *method, struct json_object *params);
void            gw_call_free(struct gw_call *);

/* The handler keeps the call past its return; it frees it later. */
void gw_call_defer(struct gw_call *);
int  gw_call_deferred(const struct gw_call *);

/*
 * Answers; each takes ownership of payload / err.  At most one ack, then
 * exactly one final answer (ok or fail).  Return 0: delivered; 1: the
 * caller is gone (dropped, counted); -1: refused (too many answers).
 */
int gw_call_ack(struct gw_call *, struct json_object *payload);
int gw_call_ok(struct gw_call *, struct json_object *payload);
int gw_call_fail(struct gw_call *, struct json_object *err);
/* gw_call_fail with frame_error(code, message). */
int gw_call_error(struct gw_call *, const char *code, const char *message);
/* 1 once the final answer went (or was dropped). */
int gw_call_done(const struct gw_call *);
/*
 * The call went to another process (gw_call_to_json), which answers it:
 * done here; its answers come back through gw_call_route.
 */
void gw_call_forwarded(struct gw_call *);

/* What the handler reads. */
const char         *gw_call_id(const struct gw_call *);
const char         *gw_call_method(const struct gw_call *);
const char         *gw_call_key(const struct gw_call *);
struct json_object *gw_call_params(const struct gw_call *);
int                 gw_call_is_node(const struct gw_call *);
/* 1 if the caller's scopes satisfy need (protocol/scopes.h rules). */
int         gw_call_has_scope(const struct gw_call *, const char *need);
const char *gw_call_client_id(const struct gw_call *);
const char *gw_call_client_mode(const struct gw_call *);

/*
 * Forwarding: the call as JSON for another process ({key, id, method,
 * params, caller}); there, gw_call_from_json rebuilds it on that side's
 * transport, whose send carries each res frame back with the key; here,
 * gw_call_route delivers it to the caller, or drops and counts it.
 */
struct json_object *gw_call_to_json(const struct gw_call *);
struct gw_call *gw_call_from_json(struct gw_transport *, struct json_object *);
int             gw_call_route(struct gw_transport *, const char *key,
                struct json_object *frame);

/*
 * The method table is data: one row per method, NULL-terminated arrays,
 * one family per file.  scope is the method's class in
 * protocol/method-scopes.tsv; schema the params schema id.
 */
typedef void gw_method_fn(struct gw_call *, void *ctx);
struct gw_method {
	const char   *name;
	const char   *scope;
	const char   *schema;
	gw_method_fn *fn;
};

#endif
