/*
 * The checks of `openclaw doctor` on what the gateway of this machine
 * reads and holds: its config (through `openclaw gateway --check`, so
 * the verdict is the start-up's own), the modes of its files (the
 * start-up's StrictModes, master/perms.c), its port, its lock and its
 * log directory.  Each adds its findings (cli/doctor.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/xmalloc.h"
#include "master/master.h"
#include "cli/doctor.h"
#include "cli/gateway-local.h"
#include "cli/service.h"

/* perms.c's refusals: reported by doctor_perms, not twice. */
static int
doctor_is_perms(const char *line)
{
	return strstr(line, "refusing config file ") != NULL ||
	    strstr(line, "refusing state directory ") != NULL;
}

/* One line of `gateway --check`'s output. */
static void
doctor_check_line(struct doctor *d, const char *l, size_t n, int failed)
{
	static const char pfx[] = "openclaw gateway: ",
	                  end[] = "configuration test failed";
	char *line, *msg;

	if (n >= sizeof(pfx) - 1 && memcmp(l, pfx, sizeof(pfx) - 1) == 0) {
		l += sizeof(pfx) - 1;
		n -= sizeof(pfx) - 1;
	}
	msg = line = xstrndup(l, n);
	if (n == sizeof(end) - 1 && memcmp(l, end, n) == 0)
		;
	else if (strncmp(line, "warning: ", 9) == 0)
		doctor_finding(d, "config", line + 9,
		    "edit the key in the config (openclaw gateway --check)", 0);
	else if (failed && !doctor_is_perms(msg) &&
	    strncmp(msg, "note: ", 6) != 0 && *msg != '\0')
		doctor_finding(d, "config", msg,
		    "mend the config, then openclaw gateway --check", 0);
	free(line);
}

/* `openclaw gateway --check` on the service's config and environment. */
void
doctor_config(struct doctor *d)
{
	char       *self, *out = NULL, *argv[4];
	const char *l, *nl;
	int         rv;

	if ((self = svc_self_path()) == NULL)
		return;
	argv[0] = self;
	argv[1] = "gateway";
	argv[2] = "--check";
	argv[3] = NULL;
	rv = svc_run(argv, &out);
	for (l = out; l != NULL && *l != '\0'; l = *nl ? nl + 1 : nl) {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l);
		doctor_check_line(d, l, (size_t)(nl - l), rv != 0);
	}
	free(out);
	free(self);
}

/* chmod path to mode when it is ours; 0 when done. */
static int
doctor_chmod(const char *path, mode_t mode)
{
	struct stat st;

	if (stat(path, &st) == -1 || st.st_uid != geteuid())
		return -1;
	return chmod(path, mode);
}

static void
doctor_perm(struct doctor *d, const struct gw_config *c, const char *path,
    mode_t mode)
{
	char err[1024], *fix;

	if (perms_check(c, err, sizeof(err)) == 0)
		return;
	if (d->fix && doctor_chmod(path, mode) == 0 &&
	    perms_check(c, err, sizeof(err)) == 0) {
		xasprintf(&fix, "chmod %o %s", (unsigned)mode, path);
		doctor_finding(d, "permissions", fix, NULL, 1);
		free(fix);
		return;
	}
	/* perms.c's message ends with "; run: <the fix>" */
	fix = strstr(err, "; run: ");
	if (fix != NULL)
		*fix = '\0';
	doctor_finding(d, "permissions", err, fix ? fix + 7 : NULL, 0);
}

/* The state directory, then the config file, each on its own. */
void
doctor_perms(struct doctor *d, const struct gw_config *cfg)
{
	struct gw_config c = *cfg;

	c.exists = 0;
	doctor_perm(d, &c, cfg->state_dir, 0700);
	c.exists = cfg->exists;
	c.state_dir = NULL;
	doctor_perm(d, &c, cfg->path, 0600);
}

static char *
doctor_lock_path(const struct gw_config *cfg)
{
	char *p;

	xasprintf(&p, "%s/gateway.lock", cfg->state_dir);
	return p;
}

/* The PID holding the gateway's lock, 0 if none (or no lock file). */
static long
doctor_lock_holder(const char *path)
{
	struct flock fl;
	int          fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK) {
		close(fd);
		return 0;
	}
	close(fd);
	return fl.l_pid > 0 ? (long)fl.l_pid : -1;
}

void
doctor_port(struct doctor *d, const struct gw_config *cfg)
{
	char *lock, msg[512], fix[256];
	int   port = (int)cfg->port;

	if (!local_port_busy(port))
		return;
	lock = doctor_lock_path(cfg);
	if (doctor_lock_holder(lock) == 0) {
		snprintf(msg, sizeof(msg),
		    "port %d is taken by something that is not the gateway "
		    "of %s (nobody holds %s)",
		    port, cfg->state_dir, lock);
		snprintf(fix, sizeof(fix),
		    "lsof -nP -iTCP:%d -sTCP:LISTEN names it: stop it, or "
		    "start with openclaw gateway --force, or set gateway.port",
		    port);
		doctor_finding(d, "port", msg, fix, 0);
	}
	free(lock);
}

static void
doctor_lock_owner(struct doctor *d, const char *lock, const struct stat *st)
{
	char msg[512], fix[512];

	if (!S_ISREG(st->st_mode))
		snprintf(msg, sizeof(msg),
		    "%s is not a regular file: the gateway cannot take its "
		    "lock",
		    lock);
	else
		snprintf(msg, sizeof(msg),
		    "%s belongs to uid %ld, not to this user (uid %ld): a "
		    "gateway run as this user cannot take it",
		    lock, (long)st->st_uid, (long)geteuid());
	if (d->fix && doctor_lock_holder(lock) == 0 && unlink(lock) == 0) {
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		    ": removed (the next start makes it again)");
		doctor_finding(d, "lock", msg, NULL, 1);
		return;
	}
	snprintf(fix, sizeof(fix), "rm %s (the next start makes it again)",
	    lock);
	doctor_finding(d, "lock", msg, fix, 0);
}

/*
 * The kernel drops a record lock with its process, so a lock file alone
 * is never stale; what stops a start is a file this user cannot lock,
 * or a process that holds the lock and does not serve the port.
 */
void
doctor_lock(struct doctor *d, const struct gw_config *cfg)
{
	struct stat st;
	char       *lock = doctor_lock_path(cfg), msg[512], fix[256];
	long        pid;

	if (lstat(lock, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		doctor_lock_owner(d, lock, &st);
		goto out;
	}
	if ((pid = doctor_lock_holder(lock)) != 0 &&
	    !local_port_busy((int)cfg->port)) {
		snprintf(msg, sizeof(msg),
		    "%s is held by pid %ld, but nothing listens on port %ld: "
		    "a gateway that hangs, or another program",
		    lock, pid, cfg->port);
		snprintf(fix, sizeof(fix),
		    "openclaw gateway status; if it hangs: kill %ld", pid);
		doctor_finding(d, "lock", msg, fix, 0);
	}
out:
	free(lock);
}

static void
doctor_logfile_dir(struct doctor *d, const char *file)
{
	struct stat st;
	char       *dir, msg[512], fix[512];
	const char *slash = strrchr(file, '/');

	dir = slash != NULL && slash != file ?
	    xstrndup(file, (size_t)(slash - file)) :
	    xstrdup("/");
	msg[0] = '\0';
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(msg, sizeof(msg),
		    "%s, the directory of logging.file, does not exist", dir);
		snprintf(fix, sizeof(fix), "mkdir -p -m 700 %s", dir);
	} else if (access(dir, W_OK) == -1) {
		snprintf(msg, sizeof(msg),
		    "%s, the directory of logging.file, is not writable by "
		    "this user",
		    dir);
		snprintf(fix, sizeof(fix), "chown %ld %s", (long)geteuid(),
		    dir);
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(st.st_mode & S_ISVTX)) {
		snprintf(msg, sizeof(msg),
		    "%s, the directory of logging.file, is writable by "
		    "others (mode %04o): they can replace the log",
		    dir, (unsigned)(st.st_mode & 07777));
		snprintf(fix, sizeof(fix), "chmod go-w %s", dir);
	}
	if (msg[0] != '\0')
		doctor_finding(d, "logs", msg, fix, 0);
	free(dir);
}

void
doctor_logs(struct doctor *d, const struct gw_config *cfg)
{
	struct stat st;
	char       *dir, msg[512], fix[512];
	int         ours;

	if (cfg->log_file != NULL && *cfg->log_file != '\0') {
		doctor_logfile_dir(d, cfg->log_file);
		return;
	}
	dir = local_log_dir(&ours);
	if (!ours && lstat(dir, &st) == 0) {
		snprintf(msg, sizeof(msg),
		    "%s is not a directory of ours closed to others (owner "
		    "uid %ld, mode %04o): the gateway logs to %s-%ld instead",
		    dir, (long)st.st_uid, (unsigned)(st.st_mode & 07777), dir,
		    (long)getuid());
		snprintf(fix, sizeof(fix),
		    "remove %s if nothing in it is needed, or set "
		    "logging.file",
		    dir);
		doctor_finding(d, "logs", msg, fix, 0);
	}
	free(dir);
}
