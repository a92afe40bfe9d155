/*
 * `openclaw gateway status` for a terminal, printed from the JSON the
 * command gathered, in the stock CLI's order and words
 * (src/cli/daemon-cli/status.print.ts): the service, the configs, the
 * gateway and its probe target and dashboard, the runtime, the RPC
 * probe, then the warnings on stderr.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"

static json_object *
jget(json_object *o, const char *k)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v = jget(o, k);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) :
	    NULL;
}

static long
jint(json_object *o, const char *k, long dflt)
{
	json_object *v = jget(o, k);

	return v != NULL && json_object_is_type(v, json_type_int) ?
	    (long)json_object_get_int64(v) :
	    dflt;
}

static int
jbool(json_object *o, const char *k)
{
	json_object *v = jget(o, k);

	return v != NULL && json_object_get_boolean(v);
}

static void
print_service(FILE *out, json_object *svc)
{
	json_object *env = jget(svc, "environment");
	int          first = 1;

	fprintf(out, "Service: %s %s %s (%s)\n", jstr(svc, "manager"),
	    jstr(svc, "scope"), jstr(svc, "label"),
	    !jbool(svc, "installed") ? "not installed" :
	        jbool(svc, "loaded") ? "enabled" :
	                               "disabled");
	fprintf(out, "Service file: %s%s\n", jstr(svc, "file"),
	    jbool(svc, "installed") ? "" : " (missing)");
	if (env == NULL || json_object_object_length(env) == 0)
		return;
	fputs("Service env:", out);
	json_object_object_foreach(env, k, v)
	{
		fprintf(out, "%s%s=%s", first ? " " : " ", k,
		    json_object_get_string(v));
		first = 0;
	}
	fputc('\n', out);
}

static void
print_config(FILE *out, FILE *err, const char *label, json_object *c)
{
	fprintf(out, "Config (%s): %s%s%s\n", label, jstr(c, "path"),
	    jbool(c, "exists") ? "" : " (missing)",
	    jbool(c, "valid") ? "" : " (invalid)");
	if (!jbool(c, "valid") && jstr(c, "error") != NULL)
		fprintf(err, "Config issue: %s\n", jstr(c, "error"));
}

static void
print_runtime(FILE *out, json_object *rt)
{
	char   buf[256];
	size_t n = 0;

	buf[0] = '\0';
	if (jint(rt, "pid", 0) > 0)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", pid %ld",
		    jint(rt, "pid", 0));
	if (jstr(rt, "state") != NULL && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", state %s",
		    jstr(rt, "state"));
	if (jstr(rt, "subState") != NULL && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", sub %s",
		    jstr(rt, "subState"));
	if (jint(rt, "lastExitStatus", -1) >= 0 && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    ", last exit %ld", jint(rt, "lastExitStatus", -1));
	if (jstr(rt, "lastExitReason") != NULL && n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ", reason %s",
		    jstr(rt, "lastExitReason"));
	fprintf(out, "Runtime: %s", jstr(rt, "status"));
	if (buf[0] != '\0')
		fprintf(out, " (%s)", buf + 2);
	if (jstr(rt, "detail") != NULL)
		fprintf(out, " -- %s", jstr(rt, "detail"));
	fputc('\n', out);
}

static void
print_rpc(FILE *out, FILE *err, json_object *rpc)
{
	if (rpc == NULL)
		return;
	if (jbool(rpc, "ok")) {
		fprintf(out, "RPC probe: ok");
		if (jstr(rpc, "version") != NULL)
			fprintf(out, " (version %s)", jstr(rpc, "version"));
		fputc('\n', out);
		return;
	}
	fprintf(err, "RPC probe: failed\nRPC target: %s\n  %s\n",
	    jstr(rpc, "url"), jstr(rpc, "error"));
}

/* The service looks up, its port is closed: why, and where to look. */
static void
print_port_closed(FILE *err, json_object *st)
{
	json_object *svc = jget(st, "service"), *port = jget(st, "port");

	if (strcmp(jstr(jget(svc, "runtime"), "status"), "running") != 0 ||
	    strcmp(jstr(port, "status"), "busy") == 0)
		return;
	fprintf(err,
	    "Gateway port %ld is not listening (service appears running).\n",
	    jint(port, "port", 0));
	if (jstr(st, "lastError") != NULL)
		fprintf(err, "Last gateway error: %s\n", jstr(st, "lastError"));
	if (strcmp(jstr(svc, "manager"), "systemd") == 0)
		fprintf(err, "Logs: journalctl %s-u %s -n 200 --no-pager\n",
		    strcmp(jstr(svc, "scope"), "user") == 0 ? "--user " : "",
		    jstr(svc, "label"));
	fprintf(err, "File logs: %s\n", jstr(st, "logFile"));
}

static void
print_extra(FILE *err, json_object *extra)
{
	json_object *e;
	size_t       i, n = extra ? json_object_array_length(extra) : 0;

	if (n == 0)
		return;
	fputs("Other gateway-like services detected (best effort):\n", err);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(extra, i);
		fprintf(err, "- %s (%s, %s)\n", jstr(e, "label"),
		    jstr(e, "scope"), jstr(e, "detail"));
	}
	fputs("Recommendation: run a single gateway per machine; to run "
	      "several, isolate ports and\nconfig/state with profiles "
	      "(OPENCLAW_PROFILE) and remove the ones not used.\n",
	    err);
}

void
status_print(FILE *out, FILE *err, json_object *st)
{
	json_object *gw = jget(st, "gateway"), *cfg = jget(st, "config");

	print_service(out, jget(st, "service"));
	fprintf(out, "File logs: %s\n\n", jstr(st, "logFile"));
	print_config(out, err, "cli", jget(cfg, "cli"));
	print_config(out, err, "service", jget(cfg, "daemon"));
	if (jbool(cfg, "mismatch"))
		fputs("Root cause: CLI and service are using different config "
		      "paths (likely a profile/state-dir mismatch).\nFix: rerun "
		      "`openclaw gateway install --force` from the same "
		      "OPENCLAW_PROFILE / OPENCLAW_STATE_DIR you expect.\n",
		    err);
	fprintf(out,
	    "\nGateway: bind=%s (%s), port=%ld (%s)\nProbe target: %s\n"
	    "Dashboard: %s\n\n",
	    jstr(gw, "bindMode"), jstr(gw, "bindHost"), jint(gw, "port", 0),
	    jstr(gw, "portSource"), jstr(gw, "probeUrl"),
	    jstr(gw, "dashboardUrl"));
	print_runtime(out, jget(jget(st, "service"), "runtime"));
	fflush(out);
	print_rpc(out, err, jget(st, "rpc"));
	print_port_closed(err, st);
	print_extra(err, jget(st, "extraServices"));
}
