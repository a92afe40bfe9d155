/*
 * `openclaw gateway status`: what the service manager says of the
 * service, reported apart from whether the gateway answers (a WebSocket
 * connect and a `status` RPC), as the runbook asks; the config paths the
 * CLI and the service use; the probe target and the dashboard URL; when
 * the service looks up but its port is closed, the last error line of
 * the log file; other gateway-like services.  Everything is gathered
 * into one JSON object (the --json output, documented in openclaw(1))
 * that the text output is printed from (gateway-status-print.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/cli.h"
#include "cli/gateway-local.h"
#include "cli/service.h"

#define STATUS_FILE_MAX (1024 * 1024)

void
cmd_gateway_status_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway status [--json] [--deep] [--no-probe] "
	      "[--system]\n"
	      "           [--url URL] [--port PORT] [--token TOKEN] "
	      "[--password PASS]\n"
	      "           [--timeout MS]\n",
	    fp);
	if (!full)
		return;
	fputs("\nThe service manager's view of the gateway service, then "
	      "whether the\ngateway answers a WebSocket connect and a status "
	      "RPC.\n\n"
	      "  --deep              also scan the system-level units for "
	      "other gateways\n"
	      "  --no-probe          skip the RPC probe\n"
	      "  --system            the system-wide service\n",
	    fp);
	fputs(cli_conn_help, fp);
}

static void
jadd_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void
jadd_int(json_object *o, const char *k, long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void
jadd_bool(json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

/* {path, exists, valid, error?} of the config the environment names. */
static json_object *
status_config(struct gw_config *cfg)
{
	json_object *o = json_object_new_object();
	char         err[512];
	int          ok;

	memset(cfg, 0, sizeof(*cfg));
	ok = config_load(cfg, err, sizeof(err)) == 0;
	jadd_str(o, "path", cfg->path);
	jadd_bool(o, "exists", cfg->exists);
	jadd_bool(o, "valid", ok);
	if (!ok)
		jadd_str(o, "error", err);
	return o;
}

static json_object *
status_runtime(const struct svc *s, int installed, struct svc_runtime *rt)
{
	json_object *o = json_object_new_object();

	memset(rt, 0, sizeof(*rt));
	if (!installed) {
		jadd_str(o, "status", "not-installed");
		return o;
	}
	svc_runtime(s, rt);
	jadd_str(o, "status",
	    rt->missing                            ? "not-found" :
	        !rt->known || rt->state[0] == '\0' ? "unknown" :
	        rt->running                        ? "running" :
	                                             "stopped");
	if (rt->state[0] != '\0')
		jadd_str(o, "state", rt->state);
	if (rt->sub[0] != '\0')
		jadd_str(o, "subState", rt->sub);
	if (rt->pid > 0)
		jadd_int(o, "pid", rt->pid);
	if (rt->exit_status >= 0)
		jadd_int(o, "lastExitStatus", rt->exit_status);
	if (rt->exit_code[0] != '\0')
		jadd_str(o, "lastExitReason", rt->exit_code);
	if (rt->missing)
		jadd_bool(o, "missingUnit", 1);
	if (rt->detail[0] != '\0')
		jadd_str(o, "detail", rt->detail);
	return o;
}

/* The markers and instance an installed file gives its environment. */
static json_object *
status_env(const char *text)
{
	static const char *const keys[] = { "OPENCLAW_SERVICE_MARKER",
		"OPENCLAW_SERVICE_KIND", "OPENCLAW_SERVICE_VERSION",
		"OPENCLAW_PROFILE", "OPENCLAW_STATE_DIR",
		"OPENCLAW_CONFIG_PATH", "OPENCLAW_GATEWAY_PORT", NULL };
	json_object             *o = json_object_new_object();
	char                    *v;
	int                      i;

	for (i = 0; keys[i] != NULL; i++)
		if ((v = svc_unit_env(text, keys[i])) != NULL) {
			jadd_str(o, keys[i], v);
			free(v);
		}
	return o;
}

static json_object *
status_service(const struct svc *s, const char *text, struct svc_runtime *rt)
{
	json_object *o = json_object_new_object();

	jadd_str(o, "manager", svc_manager_name(s));
	jadd_str(o, "label", s->name);
	jadd_str(o, "scope", s->scope == SVC_SYSTEM ? "system" : "user");
	jadd_str(o, "file", s->path);
	jadd_bool(o, "installed", text != NULL);
	json_object_object_add(o, "runtime",
	    status_runtime(s, text != NULL, rt));
	jadd_bool(o, "loaded", rt->loaded);
	if (text != NULL)
		json_object_object_add(o, "environment", status_env(text));
	return o;
}

static json_object *
status_gateway(const struct gw_config *cfg, const char *probe, int from_unit)
{
	json_object *o = json_object_new_object();
	const char  *bind = cfg->bind ? cfg->bind : "loopback";
	char        *dash;

	jadd_str(o, "bindMode", bind);
	jadd_str(o, "bindHost",
	    strcmp(bind, "lan") == 0 ? "0.0.0.0" : "127.0.0.1");
	jadd_int(o, "port", cfg->port);
	jadd_str(o, "portSource", from_unit ? "service env" : "env/config");
	jadd_str(o, "probeUrl", probe);
	xasprintf(&dash, "http://127.0.0.1:%ld/", cfg->port);
	jadd_str(o, "dashboardUrl", dash);
	free(dash);
	return o;
}

/* The WebSocket connect and `status` RPC, as the stock CLI's probe. */
static json_object *
status_rpc(const struct cli_args *a, const char *probe)
{
	struct cli_conn_opts  c = a->conn;
	struct cli_target     t;
	struct cli_rpc_result res;
	json_object          *o = json_object_new_object(), *v;
	char                  err[512];

	if (c.url == NULL && c.port == NULL)
		c.url = probe;
	jadd_str(o, "url", c.url ? c.url : probe);
	if (cli_target_resolve(&t, &c, err, sizeof(err)) == -1) {
		jadd_bool(o, "ok", 0);
		jadd_str(o, "error", err);
		return o;
	}
	t.client_id = "cli";
	t.client_mode = "probe";
	json_object_object_add(o, "url", json_object_new_string(t.url));
	if (rpc_call(&t, "status", NULL, c.timeout_ms, 0, &res) == 0) {
		jadd_bool(o, "ok", 1);
		if (json_object_object_get_ex(res.payload, "runtimeVersion",
		        &v))
			jadd_str(o, "version", json_object_get_string(v));
		if (json_object_object_get_ex(res.payload, "pid", &v))
			jadd_int(o, "pid", json_object_get_int64(v));
	} else {
		jadd_bool(o, "ok", 0);
		jadd_str(o, "error", res.message);
	}
	cli_rpc_result_free(&res);
	cli_target_free(&t);
	return o;
}

struct status_run {
	struct svc         s;
	struct svc_runtime rt;
	char              *text; /* the installed file, or NULL */
	json_object       *out;
};

/* The CLI's config, then the service's (its file's environment). */
static void
status_configs(struct status_run *r, struct gw_config *dcfg, int *from_unit)
{
	struct gw_config ccfg;
	json_object     *cfgs = json_object_new_object(), *cli, *dmn;
	char            *port;

	cli = status_config(&ccfg);
	*from_unit = 0;
	if (r->text != NULL) {
		port = svc_unit_env(r->text, "OPENCLAW_GATEWAY_PORT");
		*from_unit = port != NULL;
		free(port);
		svc_env_apply(r->text, 1);
	}
	dmn = status_config(dcfg);
	json_object_object_add(cfgs, "cli", cli);
	json_object_object_add(cfgs, "daemon", dmn);
	if (strcmp(ccfg.path, dcfg->path) != 0)
		jadd_bool(cfgs, "mismatch", 1);
	json_object_object_add(r->out, "config", cfgs);
	config_free(&ccfg);
}

static void
status_gather(struct status_run *r, const struct cli_args *a)
{
	struct gw_config dcfg;
	char            *probe, *log, *last = NULL;
	int              from_unit, busy;
	json_object     *port;

	json_object_object_add(r->out, "service",
	    status_service(&r->s, r->text, &r->rt));
	status_configs(r, &dcfg, &from_unit);
	xasprintf(&probe, "ws://127.0.0.1:%ld", dcfg.port);
	json_object_object_add(r->out, "gateway",
	    status_gateway(&dcfg, probe, from_unit));
	busy = local_port_busy((int)dcfg.port);
	port = json_object_new_object();
	jadd_int(port, "port", dcfg.port);
	jadd_str(port, "status", busy ? "busy" : "free");
	json_object_object_add(r->out, "port", port);
	log = local_log_path(&dcfg);
	jadd_str(r->out, "logFile", log);
	if (r->rt.running && !busy)
		last = local_last_error(log);
	jadd_str(r->out, "lastError", last);
	if (!a->no_probe)
		json_object_object_add(r->out, "rpc", status_rpc(a, probe));
	json_object_object_add(r->out, "extraServices",
	    svc_extra_services(&r->s, a->deep));
	free(last);
	free(log);
	free(probe);
	config_free(&dcfg);
}

int
cmd_gateway_status(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args   a;
	struct status_run r;
	char              err[256];
	size_t            len;
	int               rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	memset(&r, 0, sizeof(r));
	if (svc_resolve(&r.s, a.system ? SVC_SYSTEM : SVC_SCOPE_AUTO, err,
	        sizeof(err)) == -1) {
		fprintf(stderr, "openclaw: %s\n", err);
		return EXIT_RUNTIME;
	}
	r.text = util_read_file(r.s.path, STATUS_FILE_MAX, &len);
	r.out = json_object_new_object();
	status_gather(&r, &a);
	if (a.conn.json)
		cli_json_print(stdout, r.out);
	else
		status_print(stdout, stderr, r.out);
	rv = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	json_object_put(r.out);
	free(r.text);
	svc_free(&r.s);
	return rv;
}
