/*
 * gateway.user (or --user): the master stays root, since it binds,
 * re-executes itself for restarts and owns the lock, and every worker
 * drops to the user before it reads anything a client sent
 * (workers/worker-privs.c).  Here, at start-up and again in a
 * restart's new image: the user is resolved (getpwnam, getgrouplist),
 * the state directory must be the user's (the workers read and create
 * files there), and what the workers need to read of the master's is
 * opened to the user's group:
 * the log file (logs.tail reads it by path) and, for the dated log, its
 * directory.  The uid, gid and groups reach the workers in IMSG_HELLO.
 * A master that is not root cannot switch users: a user other than its
 * own is refused.  A gateway run as root without a user is warned about:
 * the workers, which parse what clients send, would run as root.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "master/master.h"

/* One master per process: what the workers become. */
static struct {
	int   set; /* a user to drop to */
	uid_t uid;
	gid_t gid;
	int   ngroups;
	gid_t groups[HELLO_MAXGROUPS];
	char  name[64];
} privs;

static int
privs_groups(const struct passwd *pw, char *err, size_t errlen)
{
	int n = HELLO_MAXGROUPS;

#ifdef __APPLE__
	if (getgrouplist(pw->pw_name, (int)pw->pw_gid, (int *)privs.groups,
	        &n) == -1) {
#else
	if (getgrouplist(pw->pw_name, pw->pw_gid, privs.groups, &n) == -1) {
#endif
		snprintf(err, errlen,
		    "gateway.user %s is in more than %d groups; remove it "
		    "from some",
		    pw->pw_name, HELLO_MAXGROUPS);
		return -1;
	}
	privs.ngroups = n;
	return 0;
}

/* The state directory must be the user's: -1 with err otherwise. */
static int
privs_state_dir(const char *dir, const struct passwd *pw, char *err,
    size_t errlen)
{
	struct stat st;

	if (dir == NULL || stat(dir, &st) == -1) {
		if (dir != NULL && errno == ENOENT)
			return 0; /* --check: not created yet */
		snprintf(err, errlen, "state directory %s: %s",
		    dir != NULL ? dir : "(none)", strerror(errno));
		return -1;
	}
	if (st.st_uid == pw->pw_uid)
		return 0;
	snprintf(err, errlen,
	    "state directory %s belongs to uid %ld, not to gateway.user %s "
	    "(uid %ld), whose workers use it; run: chown -R %s %s",
	    dir, (long)st.st_uid, pw->pw_name, (long)pw->pw_uid, pw->pw_name,
	    dir);
	return -1;
}

/* Not root: only our own user is possible, and then nothing changes. */
static int
privs_unprivileged(const struct passwd *pw, char *err, size_t errlen)
{
	if (pw->pw_uid == geteuid())
		return 0;
	snprintf(err, errlen,
	    "gateway.user is %s (uid %ld) but the gateway runs as uid %ld, "
	    "not root, so it cannot switch users; start it as root or as %s, "
	    "or remove gateway.user",
	    pw->pw_name, (long)pw->pw_uid, (long)geteuid(), pw->pw_name);
	return -1;
}

int
privs_init(struct master *m, const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	/* Again on a restart, whose config may name another user, or none. */
	memset(&privs, 0, sizeof(privs));
	if (user == NULL || *user == '\0')
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "gateway.user %s: %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen,
		    "gateway.user %s is root: workers never run as root when "
		    "a user is set; name an unprivileged user",
		    user);
		return -1;
	}
	if (geteuid() != 0)
		return privs_unprivileged(pw, err, errlen);
	if (privs_state_dir(m->m_cfg.state_dir, pw, err, errlen) == -1 ||
	    privs_groups(pw, err, errlen) == -1)
		return -1;
	privs.uid = pw->pw_uid;
	privs.gid = pw->pw_gid;
	snprintf(privs.name, sizeof(privs.name), "%s", pw->pw_name);
	privs.set = 1;
	privs_share_log(m);
	log_info("workers run as %s (uid %ld, gid %ld)", privs.name,
	    (long)privs.uid, (long)privs.gid);
	return 0;
}

/* At start (not under --check): root with no user to drop to. */
void
privs_warn_root(void)
{
	if (geteuid() == 0 && !privs.set)
		log_warnx("running as root without gateway.user: the workers, "
		          "which read what clients send, run as root too; set "
		          "gateway.user (or --user) to an unprivileged user");
}

/* The user, groups and ids a worker takes, in its HELLO. */
void
privs_hello(struct imsg_hello *h)
{
	int i;

	h->uid = h->gid = HELLO_KEEP_USER;
	h->ngroups = 0;
	if (!privs.set)
		return;
	h->uid = (uint32_t)privs.uid;
	h->gid = (uint32_t)privs.gid;
	h->ngroups = (uint32_t)privs.ngroups;
	for (i = 0; i < privs.ngroups; i++)
		h->groups[i] = (uint32_t)privs.groups[i];
}

/*
 * Workers that run as the user cannot open the config (root's, 0600):
 * config.get reads the descriptor sent here, with each IMSG_CONFIG.
 * -1 only if the channel failed; a config we cannot open is left out.
 */
int
privs_send_config_fd(struct master *m, struct ipc_chan *chan)
{
	int fd;

	if (!privs.set || !m->m_cfg.exists || m->m_cfg.path == NULL)
		return 0;
	fd = open(m->m_cfg.path,
	    O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		log_warn("%s", m->m_cfg.path);
		return 0;
	}
	return ipc_send(chan, IMSG_FD_CONFIG, fd, NULL, 0);
}

/* Group-readable by the user's group, owner still root. */
static void
privs_share_fd(int fd, mode_t mode, const char *what)
{
	if (fchown(fd, (uid_t)-1, privs.gid) == -1 || fchmod(fd, mode) == -1)
		log_warn("cannot open %s to gateway.user %s", what, privs.name);
}

/*
 * The log file, and the directory of dated log files (ours, made by
 * logfile.c; a logging.file's directory is the operator's), readable by
 * the user's group: logs.tail reads them by path.  Again for each new
 * file (logfile_install).
 */
void
privs_share_log(struct master *m)
{
	int dfd;

	if (!privs.set || m->m_log_fd == -1)
		return;
	privs_share_fd(m->m_log_fd, 0640, m->m_logfile.lf_path);
	if ((m->m_cfg.log_file != NULL && *m->m_cfg.log_file != '\0') ||
	    m->m_logfile.lf_dir[0] == '\0')
		return;
	dfd = open(m->m_logfile.lf_dir,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1) {
		log_warn("%s", m->m_logfile.lf_dir);
		return;
	}
	privs_share_fd(dfd, 0750, m->m_logfile.lf_dir);
	close(dfd);
}
