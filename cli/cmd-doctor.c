/*
 * `openclaw doctor [--fix] [--json]`: the runbook's audit of this
 * machine's gateway, without talking to it.  One line per finding, with
 * the command that mends it; exit 0 when all is well, 1 otherwise.
 *
 *  service      the installed unit or plist against what `gateway
 *               install` writes today (--fix rewrites it, daemon-reload)
 *  config       `openclaw gateway --check` run on the service's config:
 *               what stops the gateway, and unknown keys
 *  permissions  the start-up's StrictModes (master/perms.c) on the state
 *               directory and the config file (--fix: chmod)
 *  port         the port taken by something that is not this gateway
 *  lock         <state>/gateway.lock not ours, not a file, or held by a
 *               process while the port is closed
 *  logs         a log directory that is not ours
 *
 * The service's instance (state directory, config path) is the one its
 * installed file names, else the environment's.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/cli.h"
#include "cli/doctor.h"
#include "cli/gateway-local.h"
#include "cli/service.h"

#define DOCTOR_FILE_MAX (1024 * 1024)

void
cmd_doctor_usage(FILE *fp, int full)
{
	fputs("usage: openclaw doctor [--fix] [--json] [--system]\n", fp);
	if (!full)
		return;
	fputs("\nAudit the gateway of this machine: the installed service "
	      "against what\n`openclaw gateway install` writes today, the "
	      "config, file permissions,\nthe port, the lock and the log "
	      "directory.  One line per finding with the\ncommand that mends "
	      "it; exit 0 when all is well, 1 otherwise.\n\n"
	      "  --fix               rewrite a stale service file, chmod "
	      "what is too open\n"
	      "  --json              {ok, findings: [{check, message, fix, "
	      "fixed}]}\n"
	      "  --system            the system-wide service\n"
	      "  -h, --help          show this help\n",
	    fp);
}

void
doctor_finding(struct doctor *d, const char *check, const char *msg,
    const char *fix, int fixed)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "fix",
	    fix != NULL ? json_object_new_string(fix) : NULL);
	json_object_object_add(o, "fixed", json_object_new_boolean(fixed));
	json_object_array_add(d->findings, o);
	if (!fixed)
		d->failed++;
	if (d->json)
		return;
	if (fixed)
		printf("fixed %s: %s\n", check, msg);
	else
		printf("%s: %s%s%s\n", check, msg, fix ? "; fix: " : "",
		    fix ? fix : "");
}

/* The first line where a and b differ, for the finding's message. */
static size_t
doctor_first_diff(const char *a, const char *b)
{
	size_t n = 1;

	for (; *a != '\0' && *a == *b; a++, b++)
		if (*a == '\n')
			n++;
	return n;
}

/* The installed file against what install writes today. */
static void
doctor_service(struct doctor *d, const struct svc *s, const char *text)
{
	struct svc_opts o = { NULL, 0 };
	char           *want, err[512], msg[1024];
	int             n;

	/* a system unit keeps the User= it was installed with */
	o.user = s->scope == SVC_SYSTEM ? svc_unit_key(text, "User") : NULL;
	if ((want = svc_unit_text(s, &o, err, sizeof(err))) == NULL) {
		snprintf(msg, sizeof(msg),
		    "%s: cannot tell what install would write: %s", s->path,
		    err);
		doctor_finding(d, "service", msg, "openclaw gateway --check",
		    0);
		free((char *)o.user);
		return;
	}
	if (strcmp(want, text) != 0) {
		n = snprintf(msg, sizeof(msg),
		    "%s differs from what `openclaw gateway install` writes "
		    "today (from line %zu)",
		    s->path, doctor_first_diff(want, text));
		if (d->fix && svc_write(s, want) == 0 &&
		    svc_daemon_reload(s) == 0) {
			snprintf(msg + n, sizeof(msg) - (size_t)n,
			    ": rewritten; a stop and start of the service "
			    "puts it in effect");
			doctor_finding(d, "service", msg, NULL, 1);
		} else
			doctor_finding(d, "service", msg,
			    "openclaw doctor --fix (or openclaw gateway "
			    "install --force)",
			    0);
	}
	free((char *)o.user);
	free(want);
}

/* The config the service reads, as far as it loads. */
static void
doctor_load(struct gw_config *cfg)
{
	char err[512];

	memset(cfg, 0, sizeof(*cfg));
	if (config_load(cfg, err, sizeof(err)) == -1)
		cfg->exists = access(cfg->path, F_OK) == 0;
}

static void
doctor_report(struct doctor *d)
{
	json_object *o;

	if (d->json) {
		o = json_object_new_object();
		json_object_object_add(o, "ok",
		    json_object_new_boolean(!d->failed));
		json_object_object_add(o, "findings",
		    json_object_get(d->findings));
		cli_json_print(stdout, o);
		json_object_put(o);
	} else if (d->failed == 0)
		printf("No problems %s.\n",
		    json_object_array_length(d->findings) ? "left" : "found");
	else
		printf("%d problem%s found.\n", d->failed,
		    d->failed == 1 ? "" : "s");
}

int
cmd_doctor(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args  a;
	struct doctor    d;
	struct svc       s;
	struct gw_config cfg;
	char             err[256], *text;
	size_t           len;
	int              rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	if (svc_resolve(&s, a.system ? SVC_SYSTEM : SVC_SCOPE_AUTO, err,
	        sizeof(err)) == -1) {
		fprintf(stderr, "openclaw: %s\n", err);
		return EXIT_RUNTIME;
	}
	memset(&d, 0, sizeof(d));
	d.findings = json_object_new_array();
	d.json = a.conn.json;
	d.fix = a.fix;
	if ((text = util_read_file(s.path, DOCTOR_FILE_MAX, &len)) != NULL) {
		svc_env_apply(text, 0);
		doctor_service(&d, &s, text);
	}
	doctor_load(&cfg);
	/* before --check, which stops at the first refusal of perms.c */
	doctor_perms(&d, &cfg);
	doctor_config(&d);
	doctor_port(&d, &cfg);
	doctor_lock(&d, &cfg);
	doctor_logs(&d, &cfg);
	doctor_report(&d);
	rv = d.failed ? EXIT_RUNTIME : EXIT_OK;
	config_free(&cfg);
	json_object_put(d.findings);
	free(text);
	svc_free(&s);
	return rv;
}
