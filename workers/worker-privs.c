/*
 * A worker's privilege drop (gateway.user; master/privs.c resolved the
 * user): on IMSG_HELLO, before any descriptor, the config or a client
 * byte, the worker takes the user's groups, then its gid, then its uid
 * (the order matters: once the uid is gone, the groups can no longer be
 * changed), and then checks that it worked and cannot be undone.  Any
 * failure ends the worker with EXIT_CONFIG: a worker never runs as root
 * when a user is configured, and the master stops the gateway.
 */
#include "config.h"

#include <sys/types.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "workers/worker.h"

/* 0 if we are exactly uid/gid and root cannot be had back. */
static int
worker_privs_check(uid_t uid, gid_t gid, char *err, size_t len)
{
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		snprintf(err, len,
		    "ids after the switch: uid %ld/%ld gid %ld/%ld",
		    (long)getuid(), (long)geteuid(), (long)getgid(),
		    (long)getegid());
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1) {
		snprintf(err, len, "setuid(0) still succeeds");
		return -1;
	}
	return 0;
}

static int
worker_privs_switch(const struct imsg_hello *h, char *err, size_t len)
{
	gid_t  groups[HELLO_MAXGROUPS];
	uid_t  uid = (uid_t)h->uid;
	gid_t  gid = (gid_t)h->gid;
	size_t i;

	if (h->ngroups > HELLO_MAXGROUPS) {
		snprintf(err, len, "%u groups", h->ngroups);
		return -1;
	}
	for (i = 0; i < h->ngroups; i++)
		groups[i] = (gid_t)h->groups[i];
	if (setgroups(h->ngroups > 0 ? h->ngroups : 1,
	        h->ngroups > 0 ? groups : &gid) == -1) {
		snprintf(err, len, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setgid(gid) == -1) {
		snprintf(err, len, "setgid(%ld): %s", (long)gid,
		    strerror(errno));
		return -1;
	}
	if (setuid(uid) == -1) {
		snprintf(err, len, "setuid(%ld): %s", (long)uid,
		    strerror(errno));
		return -1;
	}
	return worker_privs_check(uid, gid, err, len);
}

void
worker_drop_privs(struct worker *w)
{
	char err[160];

	if (w->hello.uid == HELLO_KEEP_USER)
		return;
	/* A HELLO again (a master of a later version may send one): done. */
	if (getuid() == (uid_t)w->hello.uid && geteuid() == getuid() &&
	    getuid() != 0)
		return;
	if (worker_privs_switch(&w->hello, err, sizeof(err)) == -1) {
		log_errorx("cannot run as uid %u gid %u (gateway.user): %s",
		    w->hello.uid, w->hello.gid, err);
		worker_exit(w, EXIT_CONFIG);
	}
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_PDEATHSIG)
	/* A change of credentials clears the death signal: again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal(EXIT_RUNTIME, "prctl(PR_SET_PDEATHSIG)");
#endif
	log_debug("running as uid %u gid %u", w->hello.uid, w->hello.gid);
}
