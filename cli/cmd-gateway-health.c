/* `openclaw gateway health`: the health snapshot, summed up or as JSON. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "cli/cli.h"

void
cmd_gateway_health_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway health [--url URL] [--port PORT] "
	      "[--token TOKEN]\n"
	      "           [--password PASS] [--timeout MS] [--json]\n",
	    fp);
	if (!full)
		return;
	fputs("\nAsk the gateway for its health snapshot: a summary, or the "
	      "raw JSON\nwith --json.\n\n",
	    fp);
	fputs(cli_conn_help, fp);
}

static json_object *
jget(json_object *o, const char *key, enum json_type type)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static void
print_duration(const char *label, int64_t ms)
{
	int64_t s = ms / 1000;

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
	json_object *agents, *ag, *def;
	const char  *id;
	size_t       i, n;

	if ((agents = jget(p, "agents", json_type_array)) == NULL ||
	    (n = json_object_array_length(agents)) == 0)
		return;
	printf("Agents:");
	for (i = 0; i < n; i++) {
		ag = json_object_array_get_idx(agents, i);
		if ((id = json_object_get_string(
		         jget(ag, "agentId", json_type_string))) == NULL)
			continue;
		def = jget(ag, "isDefault", json_type_boolean);
		printf("%s %s%s", i > 0 ? "," : "", id,
		    def != NULL && json_object_get_boolean(def) ? " (default)" :
		                                                  "");
	}
	putchar('\n');
}

static void
health_channels(json_object *p)
{
	json_object *order, *labels, *label;
	const char  *id;
	size_t       i, n = 0;

	order = jget(p, "channelOrder", json_type_array);
	labels = jget(p, "channelLabels", json_type_object);
	if (order != NULL)
		n = json_object_array_length(order);
	printf("Channels:%s", n == 0 ? " none" : "");
	for (i = 0; i < n; i++) {
		id = json_object_get_string(
		    json_object_array_get_idx(order, i));
		label = jget(labels, id != NULL ? id : "", json_type_string);
		printf("%s %s", i > 0 ? "," : "",
		    label != NULL ? json_object_get_string(label) : id);
	}
	putchar('\n');
}

/* A short human summary; returns 0 unless the gateway says it is not ok. */
static int
health_summary(const char *url, json_object *p, uint64_t ms)
{
	json_object *ok, *sessions, *v;
	const char  *path;
	int          healthy;

	ok = jget(p, "ok", json_type_boolean);
	healthy = ok == NULL || json_object_get_boolean(ok);
	printf("Gateway: %s (%s, %llums)\n", healthy ? "ok" : "not ok", url,
	    (unsigned long long)ms);
	if ((sessions = jget(p, "sessions", json_type_object)) != NULL) {
		v = jget(sessions, "count", json_type_int);
		path = json_object_get_string(
		    jget(sessions, "path", json_type_string));
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

int
cmd_gateway_health(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args       a;
	struct cli_target     t;
	struct cli_rpc_result res;
	uint64_t              start;
	int                   rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	if (cli_target_open(&a, &t) == -1)
		return EXIT_RUNTIME;
	start = util_mono_ms();
	if (rpc_call(&t, "health", NULL, a.conn.timeout_ms, 0, &res) == -1)
		rv = cli_rpc_report("gateway health", &t, &res, a.conn.json);
	else if (a.conn.json) {
		cli_json_print(stdout, res.payload);
		rv = EXIT_OK;
	} else
		rv = health_summary(t.url, res.payload, util_mono_ms() - start);
	cli_rpc_result_free(&res);
	cli_target_free(&t);
	return rv;
}
