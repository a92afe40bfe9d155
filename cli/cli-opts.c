/*
 * The options of the RPC commands, parsed once for all of them: each
 * command says in its table row (cli_cmd.options) which ones it takes.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "cli/cli.h"

struct cli_opt {
	const char *name;
	int         has_arg;
	int         set; /* CLI_OPT_*: the set it belongs to */
};

static const struct cli_opt cli_opts[] = {
	{ "params", 1, CLI_OPT_PARAMS },
	{ "url", 1, CLI_OPT_CONN },
	{ "port", 1, CLI_OPT_CONN | CLI_OPT_PORT },
	{ "token", 1, CLI_OPT_CONN },
	{ "password", 1, CLI_OPT_CONN },
	{ "timeout", 1, CLI_OPT_CONN },
	{ "json", 0, CLI_OPT_CONN | CLI_OPT_JSON },
	{ "expect-final", 0, CLI_OPT_EXPECT_FINAL },
	{ "follow", 0, CLI_OPT_LOGS },
	{ "limit", 1, CLI_OPT_LOGS },
	{ "max-bytes", 1, CLI_OPT_LOGS },
	{ "interval", 1, CLI_OPT_LOGS },
	{ "plain", 0, CLI_OPT_LOGS },
	{ "utc", 0, CLI_OPT_LOGS },
	{ "local-time", 0, CLI_OPT_LOGS },
	{ "no-color", 0, CLI_OPT_LOGS },
	{ "show", 0, CLI_OPT_SHOW },
	{ "no-open", 0, CLI_OPT_NO_OPEN },
	{ "system", 0, CLI_OPT_SYSTEM },
	{ "force", 0, CLI_OPT_INSTALL },
	{ "user", 1, CLI_OPT_INSTALL },
	{ "deep", 0, CLI_OPT_STATUS },
	{ "no-probe", 0, CLI_OPT_STATUS },
	{ "fix", 0, CLI_OPT_FIX },
	{ "help", 0, 0 }, /* every command */
	{ NULL, 0, 0 },
};

const char cli_conn_help[] =
    "  --url URL           gateway WebSocket URL (default: OPENCLAW_GATEWAY_URL,\n"
    "                      else ws://127.0.0.1:PORT with PORT from\n"
    "                      OPENCLAW_GATEWAY_PORT, gateway.port, the\n"
    "                      profile's or 18789)\n"
    "  --port PORT         shorthand for --url ws://127.0.0.1:PORT\n"
    "  --token TOKEN       gateway token (default: OPENCLAW_GATEWAY_TOKEN,\n"
    "                      else gateway.auth.token from the config)\n"
    "  --password PASS     gateway password (default: OPENCLAW_GATEWAY_PASSWORD,\n"
    "                      else gateway.auth.password from the config)\n"
    "  --timeout MS        time allowed for the whole exchange (default 10000)\n"
    "  --json              machine-readable output\n"
    "  -h, --help          show this help\n";

/* "openclaw: <why>" and the command's short usage on stderr. */
int
cli_usage_error(const struct cli_cmd *cmd, const char *fmt, const char *arg)
{
	fputs("openclaw: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (cmd->usage != NULL)
		cmd->usage(stderr, 0);
	return EXIT_USAGE;
}

static const struct cli_opt *
cli_opt_find(const char *name, size_t len, int options)
{
	const struct cli_opt *o;

	for (o = cli_opts; o->name != NULL; o++) {
		if ((o->set == 0 || (o->set & options)) &&
		    strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

/* CLI_OPT_LOGS: the numbers are positive integers, as the stock CLI's. */
static int
cli_opt_set_logs(struct cli_args *a, const char *name, const char *val)
{
	long *n = NULL;

	if (strcmp(name, "follow") == 0)
		a->logs_follow = 1;
	else if (strcmp(name, "limit") == 0)
		n = &a->logs_limit;
	else if (strcmp(name, "max-bytes") == 0)
		n = &a->logs_max_bytes;
	else if (strcmp(name, "interval") == 0)
		n = &a->logs_interval;
	else if (strcmp(name, "plain") == 0)
		a->logs_plain = 1;
	else if (strcmp(name, "utc") == 0)
		a->logs_utc = 1;
	else if (strcmp(name, "local-time") == 0)
		a->logs_utc = 0;
	/* --no-color: we print no colours anyway */
	if (n != NULL && util_parse_long(val, 1, INT_MAX, n) == -1)
		return -1;
	return 0;
}

/* The service commands' flags; -1: not one of them. */
static int
cli_opt_set_service(struct cli_args *a, const char *name, const char *val)
{
	if (strcmp(name, "system") == 0)
		a->system = 1;
	else if (strcmp(name, "force") == 0)
		a->force = 1;
	else if (strcmp(name, "user") == 0)
		a->user = val;
	else if (strcmp(name, "deep") == 0)
		a->deep = 1;
	else if (strcmp(name, "no-probe") == 0)
		a->no_probe = 1;
	else if (strcmp(name, "fix") == 0)
		a->fix = 1;
	else
		return -1;
	return 0;
}

static int
cli_opt_set(struct cli_args *a, const char *name, const char *val)
{
	long v;

	if (strcmp(name, "params") == 0)
		a->params = val;
	else if (strcmp(name, "url") == 0)
		a->conn.url = val;
	else if (strcmp(name, "port") == 0) {
		if (util_parse_long(val, 1, 65535, &v) == -1)
			return -1;
		a->conn.port = val;
	} else if (strcmp(name, "token") == 0)
		a->conn.token = val;
	else if (strcmp(name, "password") == 0)
		a->conn.password = val;
	else if (strcmp(name, "timeout") == 0) {
		if (util_parse_long(val, 1, INT_MAX, &v) == -1)
			return -1;
		a->conn.timeout_ms = (int)v;
	} else if (strcmp(name, "json") == 0)
		a->conn.json = 1;
	else if (strcmp(name, "expect-final") == 0)
		a->expect_final = 1;
	else if (strcmp(name, "show") == 0)
		a->show = 1;
	else if (strcmp(name, "no-open") == 0)
		a->no_open = 1;
	else if (cli_opt_set_service(a, name, val) == 0)
		;
	else
		return cli_opt_set_logs(a, name, val);
	return 0;
}

/* "--name[=value]" at argv[*i]; -1 for --help, else an exit status. */
static int
cli_opt_parse(const struct cli_cmd *cmd, int argc, char **argv, int *i,
    struct cli_args *a)
{
	const struct cli_opt *o;
	const char           *arg = argv[*i], *name, *val = NULL, *eq;
	size_t                len;

	if (arg[1] != '-')
		return cli_usage_error(cmd, "unknown option: %s", arg);
	name = arg + 2;
	eq = strchr(name, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	if ((o = cli_opt_find(name, len, cmd->options)) == NULL)
		return cli_usage_error(cmd, "unknown option: %s", arg);
	if (strcmp(o->name, "help") == 0)
		return -1;
	if (o->has_arg) {
		if (eq != NULL)
			val = eq + 1;
		else if (*i + 1 < argc)
			val = argv[++*i];
		else
			return cli_usage_error(cmd, "option %s needs a value",
			    arg);
	} else if (eq != NULL)
		return cli_usage_error(cmd, "option --%s takes no value",
		    o->name);
	if (cli_opt_set(a, o->name, val) == -1)
		return cli_usage_error(cmd, "invalid value for --%s", o->name);
	return EXIT_OK;
}

/*
 * Options may come before or after the method, as in the stock CLI, so
 * this is a small hand-rolled parser rather than getopt (whose argument
 * permutation is a GNU extension).  argv[0] is the command's word.
 * Returns 0 to run the command, or -1 to exit with *status (--help has
 * printed the full usage on stdout; a usage error has said why).
 */
int
cli_args_parse(const struct cli_cmd *cmd, int argc, char **argv,
    struct cli_args *a, int *status)
{
	const char *arg;
	int         i, opts = 1, rv = EXIT_OK;

	memset(a, 0, sizeof(*a));
	a->conn.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
	for (i = 1; i < argc && rv == EXIT_OK; i++) {
		arg = argv[i];
		if (opts && strcmp(arg, "--") == 0)
			opts = 0;
		else if (opts && strcmp(arg, "-h") == 0)
			rv = -1;
		else if (opts && arg[0] == '-' && arg[1] != '\0')
			rv = cli_opt_parse(cmd, argc, argv, &i, a);
		else if (!(cmd->options & CLI_OPT_METHOD) || a->method != NULL)
			rv = cli_usage_error(cmd, "unexpected argument: %s",
			    arg);
		else
			a->method = arg;
	}
	if (rv == EXIT_OK && (cmd->options & CLI_OPT_METHOD) &&
	    (a->method == NULL || *a->method == '\0'))
		rv = cli_usage_error(cmd, "%s", "missing method");
	if (rv == -1) {
		cmd->usage(stdout, 1);
		*status = EXIT_OK;
		return -1;
	}
	*status = rv;
	return rv == EXIT_OK ? 0 : -1;
}

/* The target the options (then the environment and config) name. */
int
cli_target_open(const struct cli_args *a, struct cli_target *t)
{
	char err[512];

	if (cli_target_resolve(t, &a->conn, err, sizeof(err)) == -1) {
		fprintf(stderr, "openclaw: %s\n", err);
		return -1;
	}
	return 0;
}
