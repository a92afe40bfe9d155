#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "cli/cli.h"

/* gw_args.flags: which options a command takes */
#define GW_CALL		0x1
#define GW_HEALTH	0x2

struct gw_args {
	struct cli_conn_opts	 conn;
	const char		*method;
	const char		*params;
	int			 expect_final;
};

struct gw_opt {
	const char	*name;
	int		 has_arg;
	int		 cmds;		/* GW_CALL | GW_HEALTH */
};

static const struct gw_opt gw_opts[] = {
	{ "params",		1, GW_CALL },
	{ "url",		1, GW_CALL | GW_HEALTH },
	{ "port",		1, GW_CALL | GW_HEALTH },
	{ "token",		1, GW_CALL | GW_HEALTH },
	{ "password",		1, GW_CALL | GW_HEALTH },
	{ "timeout",		1, GW_CALL | GW_HEALTH },
	{ "json",		0, GW_CALL | GW_HEALTH },
	{ "expect-final",	0, GW_CALL },
	{ "help",		0, GW_CALL | GW_HEALTH },
	{ NULL,			0, 0 },
};

static const char gw_conn_help[] =
    "  --url URL           gateway WebSocket URL (default: OPENCLAW_GATEWAY_URL,\n"
    "                      else ws://127.0.0.1:PORT with PORT from\n"
    "                      OPENCLAW_GATEWAY_PORT, gateway.port or 18789)\n"
    "  --port PORT         shorthand for --url ws://127.0.0.1:PORT\n"
    "  --token TOKEN       gateway token (default: OPENCLAW_GATEWAY_TOKEN,\n"
    "                      else gateway.auth.token from the config)\n"
    "  --password PASS     gateway password (default: OPENCLAW_GATEWAY_PASSWORD,\n"
    "                      else gateway.auth.password from the config)\n"
    "  --timeout MS        time allowed for the whole exchange (default 10000)\n"
    "  --json              machine-readable output\n"
    "  -h, --help          show this help\n";

static void
gw_call_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway call <method> [--params JSON] "
	    "[--url URL] [--port PORT]\n"
	    "           [--token TOKEN] [--password PASS] [--timeout MS] "
	    "[--expect-final] [--json]\n", fp);
	if (!full)
		return;
	fputs("\nCall a gateway RPC method and print its result as JSON.\n\n"
	    "  --params JSON       method parameters (any JSON value)\n"
	    "  --expect-final      wait past an \"accepted\" acknowledgement "
	    "for the final\n"
	    "                      result (two-stage methods such as agent)\n",
	    fp);
	fputs(gw_conn_help, fp);
}

static void
gw_health_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway health [--url URL] [--port PORT] "
	    "[--token TOKEN]\n"
	    "           [--password PASS] [--timeout MS] [--json]\n", fp);
	if (!full)
		return;
	fputs("\nAsk the gateway for its health snapshot: a summary, or the "
	    "raw JSON\nwith --json.\n\n", fp);
	fputs(gw_conn_help, fp);
}

void
cli_gateway_usage(FILE *fp)
{
	fputs("usage: openclaw gateway [run] [options]   run the gateway\n"
	    "       openclaw gateway call <method> [--params JSON] [options]\n"
	    "       openclaw gateway health [--json] [options]\n"
	    "Run `openclaw gateway <command> --help` for the options.\n", fp);
}

static int
gw_usage_error(int cmd, const char *fmt, const char *arg)
{
	fputs("openclaw: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (cmd == GW_CALL)
		gw_call_usage(stderr, 0);
	else
		gw_health_usage(stderr, 0);
	return EXIT_USAGE;
}

static const struct gw_opt *
gw_find_opt(const char *name, size_t len, int cmd)
{
	const struct gw_opt	*o;

	for (o = gw_opts; o->name != NULL; o++) {
		if ((o->cmds & cmd) && strlen(o->name) == len &&
		    strncmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

static int
gw_set_opt(struct gw_args *a, const char *name, const char *val)
{
	long	v;

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
	return 0;
}

/*
 * Options may come before or after the method, as in the stock CLI, so
 * this is a small hand-rolled parser rather than getopt (whose argument
 * permutation is a GNU extension).  Returns -1 for --help, else an exit
 * status (EXIT_OK to go on).
 */
static int
gw_parse(int argc, char **argv, int cmd, struct gw_args *a)
{
	const struct gw_opt	*o;
	const char		*arg, *name, *val, *eq;
	size_t			 len;
	int			 i, opts = 1;

	memset(a, 0, sizeof(*a));
	a->conn.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (opts && strcmp(arg, "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && strcmp(arg, "-h") == 0)
			return -1;
		if (!opts || arg[0] != '-' || arg[1] == '\0') {
			if (cmd != GW_CALL || a->method != NULL)
				return gw_usage_error(cmd,
				    "unexpected argument: %s", arg);
			a->method = arg;
			continue;
		}
		if (arg[1] != '-')
			return gw_usage_error(cmd, "unknown option: %s", arg);
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if ((o = gw_find_opt(name, len, cmd)) == NULL)
			return gw_usage_error(cmd, "unknown option: %s", arg);
		if (strcmp(o->name, "help") == 0)
			return -1;
		val = NULL;
		if (o->has_arg) {
			if (eq != NULL)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return gw_usage_error(cmd,
				    "option %s needs a value", arg);
		} else if (eq != NULL)
			return gw_usage_error(cmd,
			    "option --%s takes no value", o->name);
		if (gw_set_opt(a, o->name, val) == -1)
			return gw_usage_error(cmd, "invalid value for --%s",
			    o->name);
	}
	if (cmd == GW_CALL && (a->method == NULL || *a->method == '\0'))
		return gw_usage_error(cmd, "%s", "missing method");
	return EXIT_OK;
}

/* json_tokener_get_parse_end() arrived in json-c 0.15; configure takes 0.13 */
static size_t
gw_parse_end(struct json_tokener *tok)
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
gw_json_words_ok(const char *t)
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

/* The whole of --params must be one JSON value (NULL out for null). */
static int
gw_parse_params(const char *text, json_object **out)
{
	struct json_tokener	*tok;
	enum json_tokener_error	 jerr;
	json_object		*o;
	size_t			 len, end;

	*out = NULL;
	if (gw_json_words_ok(text) == -1) {
		fprintf(stderr, "openclaw: --params is not valid JSON: "
		    "unexpected word or quote\n");
		return -1;
	}
	len = strlen(text);
	tok = json_tokener_new();
	/* JSON as the gateway reads it: no single quotes, no trailing commas. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = gw_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		/* a bare number is only complete once the input ends */
		if (o == NULL && len > 0) {
			tok = json_tokener_new();
			json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
			o = json_tokener_parse_ex(tok, text, (int)len + 1);
			jerr = json_tokener_get_error(tok);
			end = len;
			json_tokener_free(tok);
		}
	}
	if (jerr != json_tokener_success) {
		json_object_put(o);
		fprintf(stderr, "openclaw: --params is not valid JSON: %s\n",
		    jerr == json_tokener_continue ? "unexpected end of input" :
		    json_tokener_error_desc(jerr));
		return -1;
	}
	if (text[end + strspn(text + end, " \t\r\n")] != '\0') {
		json_object_put(o);
		fprintf(stderr, "openclaw: --params is not valid JSON: "
		    "trailing characters after the value\n");
		return -1;
	}
	*out = o;
	return 0;
}

static int
gw_target(const struct gw_args *a, struct cli_target *t)
{
	char	err[512];

	if (cli_target_resolve(t, &a->conn, err, sizeof(err)) == -1) {
		fprintf(stderr, "openclaw: %s\n", err);
		return -1;
	}
	return 0;
}

static int
gw_call(const struct gw_args *a)
{
	struct cli_target	 t;
	struct cli_rpc		 r;
	struct cli_rpc_result	 res;
	json_object		*params;
	char			 what[256];
	int			 rv;

	if (a->params != NULL && gw_parse_params(a->params, &params) == -1) {
		gw_call_usage(stderr, 0);
		return EXIT_USAGE;
	}
	if (a->params == NULL)
		params = NULL;
	if (gw_target(a, &t) == -1) {
		json_object_put(params);
		return EXIT_RUNTIME;
	}
	memset(&r, 0, sizeof(r));
	r.method = a->method;
	r.params = params;
	r.timeout_ms = a->conn.timeout_ms;
	r.expect_final = a->expect_final;
	if (cli_rpc_call(&t, &r, &res) == 0) {
		cli_json_print(stdout, res.payload);
		rv = EXIT_OK;
	} else {
		snprintf(what, sizeof(what), "gateway call %s", a->method);
		rv = cli_rpc_report(what, &t, &res, a->conn.json);
	}
	cli_rpc_result_free(&res);
	cli_target_free(&t);
	json_object_put(params);
	return rv;
}

static json_object *
jget(json_object *o, const char *key, enum json_type type)
{
	json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static void
print_duration(const char *label, int64_t ms)
{
	int64_t	s = ms / 1000;

	fputs(label, stdout);
	if (s >= 86400)
		printf(" %lldd", (long long)(s / 86400));
	if (s >= 3600)
		printf(" %lldh", (long long)(s / 3600 % 24));
	if (s >= 60)
		printf(" %lldm", (long long)(s / 60 % 60));
	printf(" %llds\n", (long long)(s % 60));
}

static void
health_agents(json_object *p)
{
	json_object	*agents, *ag, *def;
	const char	*id;
	size_t		 i, n;

	if ((agents = jget(p, "agents", json_type_array)) == NULL ||
	    (n = json_object_array_length(agents)) == 0)
		return;
	printf("Agents:");
	for (i = 0; i < n; i++) {
		ag = json_object_array_get_idx(agents, i);
		if ((id = json_object_get_string(jget(ag, "agentId",
		    json_type_string))) == NULL)
			continue;
		def = jget(ag, "isDefault", json_type_boolean);
		printf("%s %s%s", i > 0 ? "," : "", id,
		    def != NULL && json_object_get_boolean(def) ?
		    " (default)" : "");
	}
	putchar('\n');
}

static void
health_channels(json_object *p)
{
	json_object	*order, *labels, *label;
	const char	*id;
	size_t		 i, n = 0;

	order = jget(p, "channelOrder", json_type_array);
	labels = jget(p, "channelLabels", json_type_object);
	if (order != NULL)
		n = json_object_array_length(order);
	printf("Channels:%s", n == 0 ? " none" : "");
	for (i = 0; i < n; i++) {
		id = json_object_get_string(json_object_array_get_idx(order,
		    i));
		label = jget(labels, id != NULL ? id : "", json_type_string);
		printf("%s %s", i > 0 ? "," : "", label != NULL ?
		    json_object_get_string(label) : id);
	}
	putchar('\n');
}

/* A short human summary; returns 0 unless the gateway says it is not ok. */
static int
health_summary(const char *url, json_object *p, uint64_t ms)
{
	json_object	*ok, *sessions, *v;
	const char	*path;
	int		 healthy;

	ok = jget(p, "ok", json_type_boolean);
	healthy = ok == NULL || json_object_get_boolean(ok);
	printf("Gateway: %s (%s, %llums)\n", healthy ? "ok" : "not ok", url,
	    (unsigned long long)ms);
	if ((sessions = jget(p, "sessions", json_type_object)) != NULL) {
		v = jget(sessions, "count", json_type_int);
		path = json_object_get_string(jget(sessions, "path",
		    json_type_string));
		printf("Sessions: %lld", (long long)json_object_get_int64(v));
		if (path != NULL && *path != '\0')
			printf(" (%s)", path);
		putchar('\n');
	}
	health_agents(p);
	health_channels(p);
	if ((v = jget(p, "heartbeatSeconds", json_type_int)) != NULL) {
		if (json_object_get_int64(v) > 0)
			print_duration("Heartbeat: every",
			    json_object_get_int64(v) * 1000);
		else
			printf("Heartbeat: off\n");
	}
	if ((v = jget(p, "uptimeMs", json_type_int)) != NULL)
		print_duration("Uptime:", json_object_get_int64(v));
	return healthy ? EXIT_OK : EXIT_RUNTIME;
}

static int
gw_health(const struct gw_args *a)
{
	struct cli_target	 t;
	struct cli_rpc		 r;
	struct cli_rpc_result	 res;
	uint64_t		 start;
	int			 rv;

	if (gw_target(a, &t) == -1)
		return EXIT_RUNTIME;
	memset(&r, 0, sizeof(r));
	r.method = "health";
	r.timeout_ms = a->conn.timeout_ms;
	start = util_mono_ms();
	if (cli_rpc_call(&t, &r, &res) == -1)
		rv = cli_rpc_report("gateway health", &t, &res, a->conn.json);
	else if (a->conn.json) {
		cli_json_print(stdout, res.payload);
		rv = EXIT_OK;
	} else
		rv = health_summary(t.url, res.payload, util_mono_ms() - start);
	cli_rpc_result_free(&res);
	cli_target_free(&t);
	return rv;
}

/* argv[0] is the gateway subcommand: "call" or "health". */
int
cli_gateway_main(int argc, char **argv)
{
	struct gw_args	a;
	int		rv;

	if (argc < 1) {
		cli_gateway_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "call") == 0) {
		if ((rv = gw_parse(argc, argv, GW_CALL, &a)) == -1) {
			gw_call_usage(stdout, 1);
			return EXIT_OK;
		}
		return rv != EXIT_OK ? rv : gw_call(&a);
	}
	if (strcmp(argv[0], "health") == 0) {
		if ((rv = gw_parse(argc, argv, GW_HEALTH, &a)) == -1) {
			gw_health_usage(stdout, 1);
			return EXIT_OK;
		}
		return rv != EXIT_OK ? rv : gw_health(&a);
	}
	if (strcmp(argv[0], "help") == 0) {
		cli_gateway_usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "openclaw: unknown gateway command: %s\n", argv[0]);
	cli_gateway_usage(stderr);
	return EXIT_USAGE;
}
