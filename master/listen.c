/*
 * Listening sockets.  The master binds them once and keeps them open for
 * its whole life, whatever happens to the workers: while a worker is down
 * or restarting, connections wait in the kernel's backlog instead of
 * being refused ("never close a listening socket before its replacement
 * serves").
 */
#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "common/xmalloc.h"
#include "protocol/http-paths.h"
#include "master/master.h"

static int
listen_open(struct master *m, enum listener_kind kind, int port, char *err,
    size_t errlen)
{
	struct listener *l;
	char             why[256];
	int              fd;

	if ((fd = net_listen_tcp(m->m_host, port, MASTER_BACKLOG, why,
	         sizeof(why))) == -1) {
		snprintf(err, errlen, "cannot listen on %s", why);
		return -1;
	}
	l = &m->m_listen[m->m_nlisten++];
	l->l_kind = kind;
	l->l_fd = fd;
	log_debug("listening socket %s:%d (fd %d)", m->m_host, port, fd);
	return 0;
}

/*
 * Bind the main port, then the canvas port if the canvas is wanted,
 * unless the service manager passed them (activate.c).  A
 * canvas port that cannot be bound (taken by another program, or below
 * 1024) is not worth refusing to start for: the main port serves the
 * canvas under CANVAS_PREFIX all the same.  It is a warning, and the
 * workers learn why from their config (health's canvasHost says so).
 */
int
listen_open_all(struct master *m, char *err, size_t errlen)
{
	char why[512];

	if (listen_fd(m, LISTEN_MAIN) == -1 &&
	    listen_open(m, LISTEN_MAIN, m->m_port, err, errlen) == -1)
		return -1;
	free(m->m_cfg.canvas_listen_error);
	m->m_cfg.canvas_listen_error = NULL;
	if (!m->m_canvas || listen_fd(m, LISTEN_CANVAS) != -1 ||
	    listen_open(m, LISTEN_CANVAS, m->m_canvas_port, why, sizeof(why)) ==
	        0)
		return 0;
	log_warnx("canvas port %d: %s; the canvas is served on the main port "
	          "%d only, under " CANVAS_PREFIX "/",
	    m->m_canvas_port, why, m->m_port);
	m->m_cfg.canvas_listen_error = xstrdup(why);
	return 0;
}

int
listen_fd(const struct master *m, enum listener_kind kind)
{
	int i;

	for (i = 0; i < m->m_nlisten; i++)
		if (m->m_listen[i].l_kind == kind)
			return m->m_listen[i].l_fd;
	return -1;
}

void
listen_close_all(struct master *m)
{
	int i;

	for (i = 0; i < m->m_nlisten; i++)
		close(m->m_listen[i].l_fd);
	m->m_nlisten = 0;
}
