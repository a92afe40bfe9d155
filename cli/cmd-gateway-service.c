/*
 * `openclaw gateway install|uninstall|start|stop|restart`: the gateway
 * as a native service (systemd unit or launchd plist; cli/service.h).
 *
 *  install    writes the file (atomically, 0644), then daemon-reload and
 *             enable --now (systemd) or bootstrap (launchd).  The same
 *             content already there: nothing to do, said so.  Another
 *             content: refused unless --force, which replaces it and
 *             restarts the service (a new environment needs a new
 *             process).
 *  uninstall  disable --now (bootout), removes the file, daemon-reload.
 *  restart    of a running service is the in-place restart: `systemctl
 *             reload` (ExecReload sends SIGUSR1) or `launchctl kill
 *             SIGUSR1`, so the port never closes; of a stopped one, start.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/cli.h"
#include "cli/service.h"

#define SVC_FILE_MAX (1024 * 1024)

static const char svc_scope_help[] =
    "  --system            the system-wide service (/etc/systemd/system,\n"
    "                      /Library/LaunchDaemons); default: the user's,\n"
    "                      else the system's when only that is installed\n"
    "  -h, --help          show this help\n";

void
cmd_gateway_install_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway install [--force] [--system] "
	      "[--user NAME] [--port PORT]\n"
	      "           [--json]\n",
	    fp);
	if (!full)
		return;
	fputs("\nWrite the gateway's systemd unit (launchd plist on macOS), "
	      "then enable and\nstart it.  Already installed with the same "
	      "content: nothing to do.\n\n"
	      "  --force             replace a unit whose content differs\n"
	      "  --system            a system service (/etc/systemd/system) "
	      "instead of the\n"
	      "                      user's (~/.config/systemd/user)\n"
	      "  --user NAME         User= of a system service (default: "
	      "openclaw)\n"
	      "  --port PORT         the service's port (default: the "
	      "config's)\n"
	      "  --json              machine-readable output\n"
	      "  -h, --help          show this help\n",
	    fp);
}

void
cmd_gateway_service_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway uninstall|start|stop|restart "
	      "[--system]\n",
	    fp);
	if (!full)
		return;
	fputs("\nDrive the installed service through systemctl (launchctl "
	      "on macOS).\nrestart of a running service is the in-place "
	      "restart (SIGUSR1 through\n`systemctl reload`): the port "
	      "never closes.\n\n",
	    fp);
	fputs(svc_scope_help, fp);
}

static int
svc_open(const struct cli_args *a, int scope, struct svc *s)
{
	char err[256];

	if (svc_resolve(s, a->system ? SVC_SYSTEM : scope, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "openclaw: %s\n", err);
		return -1;
	}
	return 0;
}

/* mkdir -p of path's directory, 0755 (a unit directory is public). */
static int
svc_mkdirs(const char *path)
{
	char *dir = xstrdup(path), *p;

	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			fprintf(stderr, "openclaw: mkdir %s: %s\n", dir,
			    strerror(errno));
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

static int
svc_launchd_load(const struct svc *s, int replace)
{
	const char *out[] = { "bootout", s->target, NULL };
	const char *in[] = { "bootstrap", s->domain, s->path, NULL };
	char       *text, *log;
	size_t      len;

	/* launchd opens StandardOutPath but makes no directory for it */
	if ((text = util_read_file(s->path, SVC_FILE_MAX, &len)) != NULL &&
	    (log = svc_unit_key(text, "StandardOutPath")) != NULL) {
		(void)svc_mkdirs(log);
		free(log);
	}
	free(text);
	if (replace)
		(void)svc_ctl(s, NULL, out);
	if (svc_ctl(s, NULL, in) != 0) {
		fprintf(stderr, "openclaw: launchctl bootstrap %s %s failed\n",
		    s->domain, s->path);
		return -1;
	}
	return 0;
}

/* After the file is written: the manager loads, enables, starts it. */
static int
svc_activate(const struct svc *s, int replaced)
{
	const char *now[] = { "enable", "--now", s->name, NULL };
	const char *en[] = { "enable", s->name, NULL };

	if (s->manager == SVC_LAUNCHD)
		return svc_launchd_load(s, replaced);
	if (svc_daemon_reload(s) == -1)
		return -1;
	if (svc_ctl(s, NULL, replaced ? en : now) != 0) {
		fprintf(stderr, "openclaw: systemctl enable %s failed\n",
		    s->name);
		return -1;
	}
	return replaced ? svc_ctl_verb(s, "restart", 0) : 0;
}

static void
svc_install_report(const struct svc *s, const char *action, int json)
{
	json_object *o;

	if (!json) {
		if (strcmp(action, "unchanged") == 0)
			printf("Service already installed and up to date: %s "
			       "(nothing to do; --force rewrites it)\n",
			    s->path);
		else
			printf("%s %s service: %s\n",
			    strcmp(action, "replaced") == 0 ? "Replaced" :
			                                      "Installed",
			    svc_manager_name(s), s->path);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "manager",
	    json_object_new_string(svc_manager_name(s)));
	json_object_object_add(o, "scope",
	    json_object_new_string(s->scope == SVC_SYSTEM ? "system" : "user"));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "path", json_object_new_string(s->path));
	cli_json_print(stdout, o);
	json_object_put(o);
}

/* Write text as s's file; 0, or -1 said on stderr. */
int
svc_write(const struct svc *s, const char *text)
{
	if (svc_mkdirs(s->path) == -1)
		return -1;
	if (util_write_atomic(s->path, text, strlen(text), 0644) == -1) {
		fprintf(stderr, "openclaw: cannot write %s: %s\n", s->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
svc_install(const struct svc *s, const struct cli_args *a)
{
	struct svc_opts o = { a->user, 0 };
	char           *text, *old, err[512];
	size_t          len;
	int             rv = EXIT_RUNTIME, replace;

	/* cli-opts.c checked it: 1 to 65535 */
	if (a->conn.port != NULL)
		o.port = strtol(a->conn.port, NULL, 10);
	if ((text = svc_unit_text(s, &o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "openclaw: %s\n", err);
		return EXIT_RUNTIME;
	}
	old = util_read_file(s->path, SVC_FILE_MAX, &len);
	if (old == NULL && errno != ENOENT) {
		fprintf(stderr, "openclaw: %s: %s\n", s->path,
		    util_read_error(errno));
		goto out;
	}
	if ((replace = old != NULL) && strcmp(old, text) == 0) {
		svc_install_report(s, "unchanged", a->conn.json);
		rv = EXIT_OK;
		goto out;
	}
	if (replace && !a->force) {
		fprintf(stderr,
		    "openclaw: %s exists and differs from what install "
		    "writes today; `openclaw doctor` says how, `openclaw "
		    "gateway install --force` replaces it\n",
		    s->path);
		goto out;
	}
	if (svc_write(s, text) == 0 && svc_activate(s, replace) == 0) {
		svc_install_report(s, replace ? "replaced" : "installed",
		    a->conn.json);
		rv = EXIT_OK;
	}
out:
	free(old);
	free(text);
	return rv;
}

int
cmd_gateway_install(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct svc      s;
	int             rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	if (svc_open(&a, SVC_USER, &s) == -1)
		return EXIT_RUNTIME;
	rv = svc_install(&s, &a);
	svc_free(&s);
	return rv;
}

static int
svc_uninstall(const struct svc *s)
{
	const char *off[] = { "disable", "--now", s->name, NULL };
	const char *out[] = { "bootout", s->target, NULL };
	int         had = svc_installed(s);

	/* a manager that still knows the unit forgets it either way */
	(void)svc_ctl(s, NULL, s->manager == SVC_SYSTEMD ? off : out);
	if (had && unlink(s->path) == -1) {
		fprintf(stderr, "openclaw: cannot remove %s: %s\n", s->path,
		    strerror(errno));
		return EXIT_RUNTIME;
	}
	if (svc_daemon_reload(s) == -1)
		return EXIT_RUNTIME;
	if (had)
		printf("Removed %s service: %s\n", svc_manager_name(s),
		    s->path);
	else
		printf("No %s service at %s: nothing to remove\n",
		    svc_manager_name(s), s->path);
	return EXIT_OK;
}

static int
svc_start(const struct svc *s)
{
	const char        *kick[] = { "kickstart", s->target, NULL };
	struct svc_runtime rt;

	if (s->manager == SVC_SYSTEMD)
		return svc_ctl_verb(s, "start", 0);
	svc_runtime(s, &rt);
	if (rt.missing)
		return svc_launchd_load(s, 0);
	return svc_ctl(s, NULL, kick) == 0 ? 0 : -1;
}

/*
 * `systemctl reload`; a unit without ExecReload= (written by hand, or
 * by an old install) refuses it, and then the main process gets SIGUSR1
 * from systemctl itself: the same restart, still in place.
 */
static int
svc_reload(const struct svc *s)
{
	const char *kill[] = { "kill", "--kill-whom=main", "--signal=SIGUSR1",
		s->name, NULL };

	if (svc_ctl_verb(s, "reload", 1) == 0)
		return 0;
	fprintf(stderr,
	    "openclaw: systemctl reload %s failed (no ExecReload=? "
	    "`openclaw doctor` checks the unit); sending SIGUSR1 "
	    "instead\n",
	    s->name);
	return svc_ctl(s, NULL, kill) == 0 ? 0 : -1;
}

/* Running: SIGUSR1, the in-place restart.  Else: start. */
static int
svc_restart(const struct svc *s, int *inplace)
{
	const char        *usr1[] = { "kill", "SIGUSR1", s->target, NULL };
	struct svc_runtime rt;

	svc_runtime(s, &rt);
	if (!(*inplace = rt.running))
		return svc_start(s);
	if (s->manager == SVC_SYSTEMD)
		return svc_reload(s);
	return svc_ctl(s, NULL, usr1) == 0 ? 0 : -1;
}

static int
svc_control(const struct svc *s, const char *verb)
{
	int inplace = 0;

	if (strcmp(verb, "start") == 0) {
		if (svc_start(s) == -1)
			return EXIT_RUNTIME;
		printf("Started %s service: %s\n", svc_manager_name(s),
		    s->name);
	} else if (strcmp(verb, "stop") == 0) {
		if (svc_ctl_verb(s,
		        s->manager == SVC_SYSTEMD ? "stop" : "bootout",
		        0) == -1)
			return EXIT_RUNTIME;
		printf("Stopped %s service: %s\n", svc_manager_name(s),
		    s->name);
	} else {
		if (svc_restart(s, &inplace) == -1)
			return EXIT_RUNTIME;
		if (inplace)
			printf("Restarted %s service in place: %s (SIGUSR1; "
			       "the port stays open)\n",
			    svc_manager_name(s), s->name);
		else
			printf("Started %s service: %s (it was not running)\n",
			    svc_manager_name(s), s->name);
	}
	return EXIT_OK;
}

/* uninstall, start, stop, restart: argv[0] says which. */
int
cmd_gateway_service(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct svc      s;
	int             rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	if (svc_open(&a, SVC_SCOPE_AUTO, &s) == -1)
		return EXIT_RUNTIME;
	if (strcmp(argv[0], "uninstall") == 0)
		rv = svc_uninstall(&s);
	else if (!svc_installed(&s)) {
		fprintf(stderr,
		    "openclaw: the gateway service is not installed (no "
		    "%s); run `openclaw gateway install` first\n",
		    s.path);
		rv = EXIT_RUNTIME;
	} else
		rv = svc_control(&s, argv[0]);
	svc_free(&s);
	return rv;
}
