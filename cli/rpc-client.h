/*
 * The CLI's gateway RPC client, under every command that talks to a
 * gateway: connect over cli/ws-client, take the challenge, send connect
 * with the credentials, then one req at a time, each waiting for its res;
 * one deadline covers the whole session.
 */
#ifndef CLI_RPC_CLIENT_H
#define CLI_RPC_CLIENT_H

#include <json-c/json.h>

/* Where to connect and with what; every string on the heap. */
struct cli_target {
	char *url;
	char *token;
	char *password;
	/* connect's client.id and mode, static strings; NULL: "cli" */
	const char *client_id;
	const char *client_mode;
};

/* The options every gateway RPC command shares. */
struct cli_conn_opts {
	const char *url;        /* --url */
	const char *port;       /* --port */
	const char *token;      /* --token */
	const char *password;   /* --password */
	int         timeout_ms; /* --timeout */
	int         json;       /* --json */
};

enum cli_rpc_status {
	CLI_RPC_OK,
	CLI_RPC_REQUEST_ERROR,   /* a res with ok:false */
	CLI_RPC_TRANSPORT_ERROR, /* connect, close, timeout, ... */
};

struct cli_rpc_result {
	enum cli_rpc_status status;
	json_object        *payload;      /* OK: owned, NULL if absent */
	json_object        *error;        /* REQUEST_ERROR: ErrorShape */
	char                message[512]; /* the error in one line */
};

struct rpc_client;

/*
 * Connect to t and complete the connect handshake, asking for the scopes
 * that method needs, within timeout_ms (which then bounds the whole
 * session).  NULL on failure, with res filled in.  The client copies
 * nothing from t but uses it only during this call.
 */
struct rpc_client *rpc_connect(const struct cli_target *t, const char *method,
    int timeout_ms, struct cli_rpc_result *res);
/*
 * Send one req and wait for its res (skipping events and other ids; with
 * expect_final, past an "accepted" acknowledgement).  params is borrowed
 * (NULL: omitted).  0, or -1 with res filled in; free res either way.
 */
int rpc_request(struct rpc_client *, const char *method, json_object *params,
    int expect_final, struct cli_rpc_result *res);
/* Close (with the closing handshake unless the deadline passed) and free. */
void rpc_close(struct rpc_client *);
/* rpc_connect, rpc_request, rpc_close: one call on its own connection. */
int rpc_call(const struct cli_target *, const char *method, json_object *params,
    int timeout_ms, int expect_final, struct cli_rpc_result *res);
void cli_rpc_result_free(struct cli_rpc_result *);

/* The scopes the CLI asks for to call method (least privilege). */
int rpc_method_scopes(const char *method, const char **out, int max);

#endif
