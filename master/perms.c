/*
 * File modes at start-up, in the manner of sshd's StrictModes: the
 * gateway refuses to start (exit 78) on
 *  - a config, token file or password file that holds a secret and that
 *    group or others can read;
 *  - a config, token file or password file that group or others can
 *    write, or that belongs to a user other than the one running the
 *    master (or root): whoever can write it chooses the credentials;
 *  - a state directory that group or others can write (and so replace
 *    the config or the lock in).
 * Each refusal names the path, its mode or owner, and the fix.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <stdio.h>
#include <unistd.h>

#include "common/cfg.h"
#include "master/master.h"

static const char *
perms_who(mode_t mode, mode_t grp, mode_t oth)
{
	return (mode & oth) ? "everyone" : (mode & grp) ? "its group" : "";
}

/* -1 with err when the file at path must not be trusted; 0 otherwise. */
static int
perms_file(const char *path, const char *what, const char *secret, char *err,
    size_t errlen)
{
	struct stat st;
	unsigned    mode;

	if (path == NULL || stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return 0; /* reading it says what is wrong */
	mode = (unsigned)(st.st_mode & 07777);
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen,
		    "refusing %s %s: owned by uid %ld, not by the user running "
		    "the gateway (uid %ld); run: chown %ld %s",
		    what, path, (long)st.st_uid, (long)geteuid(),
		    (long)geteuid(), path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
		    "refusing %s %s: writable by %s (mode %04o); run: chmod "
		    "go-w %s",
		    what, path, perms_who(st.st_mode, S_IWGRP, S_IWOTH), mode,
		    path);
		return -1;
	}
	if (secret != NULL && (st.st_mode & (S_IRGRP | S_IROTH))) {
		snprintf(err, errlen,
		    "refusing %s %s: it holds a secret%s%s and is readable by "
		    "%s (mode %04o); run: chmod 600 %s",
		    what, path, *secret ? " at " : "", secret,
		    perms_who(st.st_mode, S_IRGRP, S_IROTH), mode, path);
		return -1;
	}
	return 0;
}

int
perms_check_secret(const char *path, const char *what, char *err, size_t errlen)
{
	return perms_file(path, what, "", err, errlen);
}

static int
perms_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (dir == NULL || stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	snprintf(err, errlen,
	    "refusing state directory %s: writable by %s (mode %04o), so "
	    "another user can replace the config; run: chmod 700 %s",
	    dir, perms_who(st.st_mode, S_IWGRP, S_IWOTH),
	    (unsigned)(st.st_mode & 07777), dir);
	return -1;
}

int
perms_check(const struct gw_config *cfg, char *err, size_t errlen)
{
	if (perms_check_dir(cfg->state_dir, err, errlen) == -1)
		return -1;
	if (cfg->exists &&
	    perms_file(cfg->path, "config file",
	        cfg->file_secret ? cfg->file_secret_key : NULL, err,
	        errlen) == -1)
		return -1;
	return 0;
}
