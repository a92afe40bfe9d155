/*
 * Socket activation (sd_listen_fds(3), without libsystemd): when
 * LISTEN_PID is our PID, LISTEN_FDS sockets wait at descriptors 3 ..
 * 3+N-1, named by LISTEN_FDNAMES (colon-separated, FileDescriptorName=
 * of the .socket unit).  "main" and "canvas" take the place of the
 * sockets the master would bind; a single socket not named "canvas" is
 * the main one (a unit without FileDescriptorName= names it after
 * itself).  Each must be a listening TCP socket: anything else is a
 * unit written wrong, refused with EXIT_CONFIG before a client waits
 * on it.  The main socket's port becomes gateway.port, so that logs,
 * the canvas port derived from it and the workers' own-origin checks
 * name the port clients actually reach.
 *
 * LISTEN_* are removed from the environment at once: the workers and
 * anything they start must not take descriptor 3 (WORKER_MASTER_FD in
 * a worker) for a socket.  The sockets are made close-on-exec like the
 * ones we bind; a worker gets its own copy over the channel.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "master/master.h"
#include "protocol/roles.h"

#define ACTIVATE_FD0 3 /* SD_LISTEN_FDS_START */

/*
 * The kind a LISTEN_FDNAMES entry names; 0 if none of ours.  A lone
 * socket of another name is the main one.
 */
static enum listener_kind
activate_kind(const char *name, int nfds)
{
	enum listener_kind kind = listener_by_name(name);

	return kind == 0 && nfds == 1 ? LISTEN_MAIN : kind;
}

/* The port of a listening TCP socket; -1 with err set otherwise. */
static int
activate_check(int fd, const char *name, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);
	int                     v = 0, type = 0;
	socklen_t               vlen = sizeof(v), tlen = sizeof(type);

	memset(&ss, 0, sizeof(ss));
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    type != SOCK_STREAM || !v ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		snprintf(err, errlen,
		    "socket activation: descriptor %d (%s) is not a "
		    "listening TCP socket; check the .socket unit "
		    "(ListenStream=, FileDescriptorName=)",
		    fd, name);
		return -1;
	}
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
}

/*
 * A socket on a non-loopback address while gateway.bind is loopback
 * would serve the network without the check that requires auth there.
 */
static int
activate_bind_ok(const struct master *m, int fd, const char *name, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);
	const char *bind = m->m_cfg.bind ? m->m_cfg.bind : "loopback";
	char        addr[64];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    net_is_loopback((struct sockaddr *)&ss) ||
	    strcmp(bind, "loopback") != 0)
		return 0;
	snprintf(err, errlen,
	    "socket activation: descriptor %d (%s) listens on %s, not "
	    "loopback, but gateway.bind is loopback; use "
	    "ListenStream=127.0.0.1:PORT or set gateway.bind to lan",
	    fd, name, net_ntop((struct sockaddr *)&ss, addr, sizeof(addr)));
	return -1;
}

static int
activate_one(struct master *m, int fd, const char *name, int nfds, char *err,
    size_t errlen)
{
	enum listener_kind kind = activate_kind(name, nfds);
	struct listener   *l;
	int                port;

	if (kind == 0) {
		snprintf(err, errlen,
		    "socket activation: descriptor %d is named "
		    "\"%s\"; name the sockets main and canvas "
		    "(FileDescriptorName=)",
		    fd, name);
		return -1;
	}
	if (listen_fd(m, kind) != -1) {
		snprintf(err, errlen,
		    "socket activation: two descriptors named "
		    "\"%s\"",
		    name);
		return -1;
	}
	if ((port = activate_check(fd, name, err, errlen)) == -1 ||
	    activate_bind_ok(m, fd, name, err, errlen) == -1)
		return -1;
	if (net_set_nonblock(fd) == -1 || net_set_cloexec(fd) == -1) {
		snprintf(err, errlen, "socket activation: descriptor %d: fcntl",
		    fd);
		return -1;
	}
	if (kind == LISTEN_CANVAS && !m->m_cfg.canvas_enabled) {
		log_warnx("socket activation: canvas socket passed but "
		          "canvasHost.enabled is false; closing it");
		close(fd);
		return 0;
	}
	l = &m->m_listen[m->m_nlisten++];
	l->l_kind = kind;
	l->l_fd = fd;
	if (kind == LISTEN_MAIN)
		m->m_cfg.port = port;
	else
		m->m_cfg.canvas_port = port;
	m->m_activated |= 1u << kind; /* a reload keeps the port (reload.c) */
	log_info("socket activation: %s socket on port %d (descriptor %d)",
	    listener_name(kind), port, fd);
	return 0;
}

/* N names from LISTEN_FDNAMES (split in place), or "unknown" each. */
static int
activate_names(char *names, char **name, int nfds, char *err, size_t errlen)
{
	char *s = names;
	int   i, n = 0;

	for (i = 0; i < nfds; i++)
		name[i] = (char *)"unknown";
	while (s != NULL) {
		if (n < nfds)
			name[n] = s;
		n++;
		if ((s = strchr(s, ':')) != NULL)
			*s++ = '\0';
	}
	if (names != NULL && n != nfds) {
		snprintf(err, errlen,
		    "socket activation: LISTEN_FDNAMES names %d "
		    "descriptors, LISTEN_FDS=%d",
		    n, nfds);
		return -1;
	}
	return 0;
}

/*
 * Adopt the sockets passed to us, before the config is checked and the
 * missing ones bound.  -1 with err set: exit EXIT_CONFIG.
 */
int
activate_listeners(struct master *m, char *err, size_t errlen)
{
	const char *spid = getenv("LISTEN_PID"), *sfds = getenv("LISTEN_FDS");
	char       *names, *name[LISTEN_MAX];
	long        pid, nfds;
	int         i, rv = 0;

	if (spid == NULL || sfds == NULL ||
	    util_parse_long(spid, 1, 0x7fffffffL, &pid) == -1 ||
	    (pid_t)pid != getpid()) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		return 0;
	}
	if (util_parse_long(sfds, 1, LISTEN_MAX - 1, &nfds) == -1) {
		snprintf(err, errlen,
		    "socket activation: LISTEN_FDS=%s: between 1 "
		    "and %d sockets (main, canvas)",
		    sfds, LISTEN_MAX - 1);
		return -1;
	}
	names = getenv("LISTEN_FDNAMES") != NULL ?
	    xstrdup(getenv("LISTEN_FDNAMES")) :
	    NULL;
	rv = activate_names(names, name, (int)nfds, err, errlen);
	for (i = 0; rv == 0 && i < nfds; i++)
		rv = activate_one(m, ACTIVATE_FD0 + i, name[i], (int)nfds, err,
		    errlen);
	free(names);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rv;
}
