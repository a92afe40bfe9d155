/*
 * File modes at start-up, in the manner of sshd's StrictModes: a file
 * holding a secret that group or others can read, or a state directory
 * they can write (and so replace the config or the lock in), gets a loud
 * warning naming the path, its mode and the fix.  A warning for now; the
 * lifecycle work makes it a refusal.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include "common/cfg.h"
#include "common/log.h"
#include "master/master.h"

void
perms_check_secret(const char *path, const char *what)
{
	struct stat st;

	if (path == NULL || stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return;
	if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0)
		return;
	log_warnx("INSECURE: %s %s holds a secret and is readable by %s "
	          "(mode %04o); run: chmod 600 %s",
	    what, path, (st.st_mode & S_IROTH) ? "everyone" : "its group",
	    (unsigned)(st.st_mode & 07777), path);
}

static void
perms_check_dir(const char *dir)
{
	struct stat st;

	if (dir == NULL || stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return;
	log_warnx("INSECURE: state directory %s is writable by %s (mode "
	          "%04o): another user can replace the config; run: chmod 700 "
	          "%s",
	    dir, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
	    (unsigned)(st.st_mode & 07777), dir);
}

void
perms_check(const struct gw_config *cfg)
{
	perms_check_dir(cfg->state_dir);
	if (cfg->exists && cfg->file_secret)
		perms_check_secret(cfg->path, "config file");
}
