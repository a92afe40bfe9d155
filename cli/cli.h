/*
 * The openclaw command line: the command table, the options the RPC
 * commands share and the output helpers; private header, prototypes
 * grouped by file.  Each command is one cli/cmd-*.c; the RPC client they
 * share is cli/rpc-client.h.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdio.h>

#include <json-c/json.h>

#include "cli/rpc-client.h"

struct svc;

#define CLI_DEFAULT_TIMEOUT_MS 10000

/* cli_cmd.options: what the shared parser accepts for a command */
#define CLI_OPT_CONN \
	0x1                      /* --url --port --token --password
					   --timeout --json */
#define CLI_OPT_METHOD       0x2 /* one positional <method> */
#define CLI_OPT_PARAMS       0x4 /* --params JSON */
#define CLI_OPT_EXPECT_FINAL 0x8 /* --expect-final */
#define CLI_OPT_LOGS \
	0x10                   /* --follow --limit --max-bytes --interval
	        --plain --utc --local-time --no-color */
#define CLI_OPT_SHOW    0x20   /* --show */
#define CLI_OPT_NO_OPEN 0x40   /* --no-open */
#define CLI_OPT_JSON    0x80   /* --json alone */
#define CLI_OPT_PORT    0x100  /* --port alone */
#define CLI_OPT_SYSTEM  0x200  /* --system */
#define CLI_OPT_INSTALL 0x400  /* --force --user */
#define CLI_OPT_STATUS  0x800  /* --deep --no-probe */
#define CLI_OPT_FIX     0x1000 /* --fix */

/* cli_cmd.flags */
#define CLI_CMD_DEFAULT \
	0x1 /* its group's command when none is
					   named: `gateway [--flags]` */

/*
 * One command.  path is its words ("gateway call"); exec gets argv from
 * the last word given (for a group's default command, the group's word)
 * and returns the exit status.
 */
struct cli_cmd {
	const char *path;
	const char *synopsis; /* in `openclaw --help`; NULL: hidden */
	const char *summary;
	const char *group_usage; /* in `openclaw <group> help` */
	int         flags;       /* CLI_CMD_* */
	int         options;     /* CLI_OPT_* */
	int (*exec)(const struct cli_cmd *, int, char **);
	/* short (full 0) or --help (full 1) usage; NULL: none */
	void (*usage)(FILE *, int full);
};

/* The parsed arguments of an RPC command. */
struct cli_args {
	struct cli_conn_opts conn;
	const char          *method; /* CLI_OPT_METHOD */
	const char          *params; /* --params, NULL if absent */
	int                  expect_final;
	int                  logs_follow; /* CLI_OPT_LOGS; 0: unset */
	long                 logs_limit;
	long                 logs_max_bytes;
	long                 logs_interval;
	int                  logs_plain;
	int                  logs_utc;
	int                  show;    /* CLI_OPT_SHOW */
	int                  no_open; /* CLI_OPT_NO_OPEN */
	int                  system;  /* CLI_OPT_SYSTEM */
	int                  force;   /* CLI_OPT_INSTALL */
	const char          *user;
	int                  deep; /* CLI_OPT_STATUS */
	int                  no_probe;
	int                  fix; /* CLI_OPT_FIX */
};

/* cli-cmd.c: the command table and the dispatch */
int  cli_cmd_dispatch(int, char **);
void cli_cmd_list(FILE *);

/* cli-opts.c: the options RPC commands share */
extern const char cli_conn_help[];
int
cli_args_parse(const struct cli_cmd *, int, char **, struct cli_args *, int *);
int cli_usage_error(const struct cli_cmd *, const char *, const char *);
int cli_target_open(const struct cli_args *, struct cli_target *);

/* cli-output.c: what a command prints */
void cli_json_print(FILE *, json_object *);
int  cli_rpc_report(const char *, const struct cli_target *,
     const struct cli_rpc_result *, int);

/* cli-target.c */
int  cli_target_resolve(struct cli_target *, const struct cli_conn_opts *,
     char *, size_t);
void cli_target_free(struct cli_target *);

/* cmd-*.c: one command each */
int  cmd_gateway_run(const struct cli_cmd *, int, char **);
int  cmd_gateway_call(const struct cli_cmd *, int, char **);
void cmd_gateway_call_usage(FILE *, int);
int  cmd_gateway_health(const struct cli_cmd *, int, char **);
void cmd_gateway_health_usage(FILE *, int);
int  cmd_gateway_auth_token(const struct cli_cmd *, int, char **);
void cmd_gateway_auth_token_usage(FILE *, int);
int  cmd_dashboard(const struct cli_cmd *, int, char **);
void cmd_dashboard_usage(FILE *, int);
int  cmd_worker(const struct cli_cmd *, int, char **);
int  cmd_logs(const struct cli_cmd *, int, char **);
void cmd_logs_usage(FILE *, int);
int  cmd_gateway_install(const struct cli_cmd *, int, char **);
void cmd_gateway_install_usage(FILE *, int);
int  cmd_gateway_service(const struct cli_cmd *, int, char **);
void cmd_gateway_service_usage(FILE *, int);
int  svc_write(const struct svc *, const char *);
int  cmd_gateway_status(const struct cli_cmd *, int, char **);
void cmd_gateway_status_usage(FILE *, int);
void status_print(FILE *, FILE *, json_object *);
int  cmd_doctor(const struct cli_cmd *, int, char **);
void cmd_doctor_usage(FILE *, int);

#endif
