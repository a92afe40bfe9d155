/*
 * The command table: every command's words, help lines and entry point,
 * in one place.  A command is one row here plus its cli/cmd-*.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "cli/cli.h"

static const struct cli_cmd cli_cmds[] = {
	{ "gateway run", "gateway [run] [options]",
	    "run the gateway in the foreground",
	    "gateway [run] [options]   run the gateway", CLI_CMD_DEFAULT, 0,
	    cmd_gateway_run, NULL },
	{ "gateway call", "gateway call <method> [...]",
	    "call a gateway RPC method, print the result",
	    "gateway call <method> [--params JSON] [options]", 0,
	    CLI_OPT_CONN | CLI_OPT_METHOD | CLI_OPT_PARAMS |
	        CLI_OPT_EXPECT_FINAL,
	    cmd_gateway_call, cmd_gateway_call_usage },
	{ "gateway health", "gateway health [--json]",
	    "show the gateway's health", "gateway health [--json] [options]", 0,
	    CLI_OPT_CONN, cmd_gateway_health, cmd_gateway_health_usage },
	{ "logs", "logs [--follow] [...]", "tail the gateway's log file",
	    "logs [--follow] [--limit N] [--json] [options]", 0,
	    CLI_OPT_CONN | CLI_OPT_LOGS, cmd_logs, cmd_logs_usage },
	{ "gateway auth-token", "gateway auth-token",
	    "print the gateway token of the config",
	    "gateway auth-token [--show]", 0, CLI_OPT_SHOW,
	    cmd_gateway_auth_token, cmd_gateway_auth_token_usage },
	{ "dashboard", "dashboard [--json]", "print the dashboard URL", NULL, 0,
	    CLI_OPT_CONN | CLI_OPT_NO_OPEN, cmd_dashboard,
	    cmd_dashboard_usage },
	{ "gateway install", "gateway install [...]",
	    "install the gateway as a service (systemd, launchd)",
	    "gateway install [--force] [--system] [--user NAME] [--port PORT]",
	    0, CLI_OPT_INSTALL | CLI_OPT_SYSTEM | CLI_OPT_PORT | CLI_OPT_JSON,
	    cmd_gateway_install, cmd_gateway_install_usage },
	{ "gateway uninstall", "gateway uninstall [--system]",
	    "stop, disable and remove the service",
	    "gateway uninstall|start|stop|restart [--system]", 0,
	    CLI_OPT_SYSTEM, cmd_gateway_service, cmd_gateway_service_usage },
	{ "gateway start", "gateway start [--system]", "start the service",
	    NULL, 0, CLI_OPT_SYSTEM, cmd_gateway_service,
	    cmd_gateway_service_usage },
	{ "gateway stop", "gateway stop [--system]", "stop the service", NULL,
	    0, CLI_OPT_SYSTEM, cmd_gateway_service, cmd_gateway_service_usage },
	{ "gateway restart", "gateway restart [--system]",
	    "restart the service in place (SIGUSR1)", NULL, 0, CLI_OPT_SYSTEM,
	    cmd_gateway_service, cmd_gateway_service_usage },
	{ "gateway status", "gateway status [...]",
	    "the service's state and the gateway's reachability",
	    "gateway status [--json] [--deep] [--no-probe] [options]", 0,
	    CLI_OPT_CONN | CLI_OPT_STATUS | CLI_OPT_SYSTEM, cmd_gateway_status,
	    cmd_gateway_status_usage },
	{ "doctor", "doctor [--fix] [--json]",
	    "audit the service, config, permissions, port and lock", NULL, 0,
	    CLI_OPT_FIX | CLI_OPT_JSON | CLI_OPT_SYSTEM, cmd_doctor,
	    cmd_doctor_usage },
	{ "__worker", NULL, NULL, NULL, 0, 0, cmd_worker, NULL },
};
#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

/* The length of path's first word. */
static size_t
cmd_group_len(const char *path)
{
	return strcspn(path, " ");
}

/* Does the command's first word equal word? */
static int
cmd_in_group(const struct cli_cmd *c, const char *word)
{
	size_t n = cmd_group_len(c->path);

	return strlen(word) == n && strncmp(c->path, word, n) == 0;
}

/* The command whose words are argv[0..], or NULL; *nwords: how many. */
static const struct cli_cmd *
cmd_find(int argc, char **argv, int *nwords)
{
	const struct cli_cmd *c;
	const char           *sub;
	size_t                i;

	for (i = 0; i < CLI_NCMDS; i++) {
		c = &cli_cmds[i];
		if (!cmd_in_group(c, argv[0]))
			continue;
		sub = c->path + cmd_group_len(c->path);
		if (*sub == '\0') {
			*nwords = 1;
			return c;
		}
		if (argc > 1 && strcmp(sub + 1, argv[1]) == 0) {
			*nwords = 2;
			return c;
		}
	}
	return NULL;
}

/* A group's default command: `gateway` alone or followed by options. */
static const struct cli_cmd *
cmd_group_default(const char *group)
{
	size_t i;

	for (i = 0; i < CLI_NCMDS; i++)
		if ((cli_cmds[i].flags & CLI_CMD_DEFAULT) &&
		    cmd_in_group(&cli_cmds[i], group))
			return &cli_cmds[i];
	return NULL;
}

static void
cmd_group_usage(FILE *fp, const char *group)
{
	size_t i;
	int    first = 1;

	for (i = 0; i < CLI_NCMDS; i++) {
		if (cli_cmds[i].group_usage == NULL ||
		    !cmd_in_group(&cli_cmds[i], group))
			continue;
		fprintf(fp, "%s openclaw %s\n", first ? "usage:" : "      ",
		    cli_cmds[i].group_usage);
		first = 0;
	}
	fprintf(fp, "Run `openclaw %s <command> --help` for the options.\n",
	    group);
}

/* The commands' lines of `openclaw --help`. */
void
cli_cmd_list(FILE *fp)
{
	size_t i;

	for (i = 0; i < CLI_NCMDS; i++)
		if (cli_cmds[i].synopsis != NULL)
			fprintf(fp, "  %-29s %s\n", cli_cmds[i].synopsis,
			    cli_cmds[i].summary);
}

/*
 * Run the command argv[0..] names (argv[0] is a known first word), or
 * say what is wrong with it.  -1: argv[0] names no command at all.
 */
int
cli_cmd_dispatch(int argc, char **argv)
{
	const struct cli_cmd *c;
	int                   n;

	if ((c = cmd_find(argc, argv, &n)) != NULL)
		return c->exec(c, argc - (n - 1), argv + (n - 1));
	if ((c = cmd_group_default(argv[0])) == NULL)
		return -1;
	if (argc < 2 || argv[1][0] == '-')
		return c->exec(c, argc, argv);
	if (strcmp(argv[1], "help") == 0) {
		cmd_group_usage(stdout, argv[0]);
		return EXIT_OK;
	}
	fprintf(stderr, "openclaw: unknown %s command: %s\n", argv[0], argv[1]);
	cmd_group_usage(stderr, argv[0]);
	return EXIT_USAGE;
}
