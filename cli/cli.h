/*
 * The openclaw command line: private header, prototypes grouped by file.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdio.h>

#include <json-c/json.h>

#define CLI_DEFAULT_PORT	18789
#define CLI_DEFAULT_TIMEOUT_MS	10000

/* Where to connect and with what; every string on the heap. */
struct cli_target {
	char		*url;
	char		*token;
	char		*password;
};

/* The options every gateway RPC command shares. */
struct cli_conn_opts {
	const char	*url;		/* --url */
	const char	*port;		/* --port */
	const char	*token;		/* --token */
	const char	*password;	/* --password */
	int		 timeout_ms;	/* --timeout */
	int		 json;		/* --json */
};

struct cli_rpc {
	const char	*method;
	json_object	*params;	/* borrowed; NULL: omitted */
	int		 timeout_ms;	/* the whole exchange */
	int		 expect_final;	/* skip an "accepted" ack */
};

enum cli_rpc_status {
	CLI_RPC_OK,
	CLI_RPC_REQUEST_ERROR,		/* a res with ok:false */
	CLI_RPC_TRANSPORT_ERROR,	/* connect, close, timeout, ... */
};

struct cli_rpc_result {
	enum cli_rpc_status	 status;
	json_object		*payload;	/* OK: owned, NULL if absent */
	json_object		*error;		/* REQUEST_ERROR: ErrorShape */
	char			 message[512];	/* the error in one line */
};

/* cli-gateway.c */
int	 cli_gateway_main(int, char **);
void	 cli_gateway_usage(FILE *);

/* cli-call.c */
int	 cli_target_resolve(struct cli_target *, const struct cli_conn_opts *,
	    char *, size_t);
void	 cli_target_free(struct cli_target *);
int	 cli_method_scopes(const char *, const char **, int);
int	 cli_rpc_call(const struct cli_target *, const struct cli_rpc *,
	    struct cli_rpc_result *);
void	 cli_rpc_result_free(struct cli_rpc_result *);
int	 cli_rpc_report(const char *, const struct cli_target *,
	    const struct cli_rpc_result *, int);
void	 cli_json_print(FILE *, json_object *);

#endif
