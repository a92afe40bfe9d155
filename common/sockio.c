/*
 * Buffered socket I/O: see sockio.h.  A bufferevent toggles write interest
 * around every write and sizes every read with FIONREAD; at one request
 * per connection that is most of a worker's system time.  Here a
 * connection costs one epoll_ctl to start reading and one to stop, reads
 * are plain read(2) into the input buffer, and output waits on the base's
 * flush list until the callbacks of the current batch are done.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/sockio.h"
#include "common/xmalloc.h"

#define SOCKIO_IOV 64 /* buffer chains per sendmsg */
/*
 * First read size: libevent adds its chain header and rounds up to a
 * power of two, so this is one 4 KiB allocation.  Most requests fit; a
 * read that fills it doubles the next one, up to the read maximum.
 */
#define SOCKIO_READ_START 4000

struct sockio {
	struct sockio_base     *sio_base;
	int                     sio_fd;
	struct event           *sio_rev; /* persistent, EV_READ */
	struct event           *sio_wev; /* only while the kernel is full */
	struct evbuffer        *sio_in;
	struct evbuffer        *sio_out;
	const struct sockio_cb *sio_cb;
	void                   *sio_arg;
	size_t                  sio_read_max;
	size_t                  sio_read_want; /* next reservation */
	int                     sio_busy;      /* callbacks running on it */
	uint8_t                 sio_reading;
	uint8_t                 sio_wev_on;
	uint8_t                 sio_listed; /* on the flush list */
	uint8_t                 sio_failed; /* error: no more I/O */
	uint8_t                 sio_eof;    /* the peer sends no more */
	uint8_t                 sio_dead;   /* freed inside a callback */
	TAILQ_ENTRY(sockio) sio_entry;
};

struct sockio_base {
	struct event_base *sb_base;
	struct event      *sb_flush; /* made active, never added */
	int                sb_active;
	TAILQ_HEAD(, sockio) sb_flushq;
};

static void sockio_flush_list(evutil_socket_t, short, void *);

struct sockio_base *
sockio_base_new(struct event_base *base)
{
	struct sockio_base *sb;

	sb = xcalloc(1, sizeof(*sb));
	sb->sb_base = base;
	TAILQ_INIT(&sb->sb_flushq);
	if ((sb->sb_flush = event_new(base, -1, 0, sockio_flush_list, sb)) ==
	    NULL) {
		log_warnx("sockio: cannot allocate the flush event");
		free(sb);
		return NULL;
	}
	return sb;
}

void
sockio_base_free(struct sockio_base *sb)
{
	if (sb == NULL)
		return;
	event_free(sb->sb_flush);
	free(sb);
}

static void
sockio_unlist(struct sockio *so)
{
	if (so->sio_listed) {
		TAILQ_REMOVE(&so->sio_base->sb_flushq, so, sio_entry);
		so->sio_listed = 0;
	}
}

/* No more events for so: it failed or its owner let go of it. */
static void
sockio_stop(struct sockio *so)
{
	if (so->sio_reading) {
		event_del(so->sio_rev);
		so->sio_reading = 0;
	}
	if (so->sio_wev_on) {
		event_del(so->sio_wev);
		so->sio_wev_on = 0;
	}
	sockio_unlist(so);
}

static void
sockio_destroy(struct sockio *so)
{
	sockio_stop(so);
	event_free(so->sio_rev);
	event_free(so->sio_wev);
	evbuffer_free(so->sio_in);
	evbuffer_free(so->sio_out);
	close(so->sio_fd);
	free(so);
}

void
sockio_free(struct sockio *so)
{
	if (so == NULL)
		return;
	if (so->sio_busy > 0) {
		/* The callback's caller still uses so; it frees on return. */
		so->sio_dead = 1;
		sockio_stop(so);
		return;
	}
	sockio_destroy(so);
}

/*
 * Callbacks are bracketed so the owner may free so inside them; after
 * sockio_leave the caller must not touch so again.
 */
static void
sockio_enter(struct sockio *so)
{
	so->sio_busy++;
}

static void
sockio_leave(struct sockio *so)
{
	if (--so->sio_busy == 0 && so->sio_dead)
		sockio_destroy(so);
}

/*
 * The peer is done sending, but may still read: a half-closed HTTP
 * client waits for its response, so output keeps flowing.
 */
static void
sockio_eof(struct sockio *so)
{
	sockio_set_reading(so, 0);
	so->sio_eof = 1;
	sockio_enter(so);
	so->sio_cb->on_close(so, 0, so->sio_arg);
	sockio_leave(so);
}

static void
sockio_fail(struct sockio *so, int error)
{
	so->sio_failed = 1;
	sockio_stop(so);
	sockio_enter(so);
	so->sio_cb->on_close(so, error, so->sio_arg);
	sockio_leave(so);
}

/*
 * Returns 0 once the output is empty, 1 when the kernel took less than
 * offered (its buffer is full: wait for the write event), -1 on an error
 * with errno set.
 */
static int
sockio_write(struct sockio *so)
{
	struct evbuffer_iovec v[SOCKIO_IOV];
	struct iovec          iov[SOCKIO_IOV];
	struct msghdr         msg;
	size_t                offered;
	ssize_t               n;
	int                   i, nv;

	while (evbuffer_get_length(so->sio_out) > 0) {
		nv = evbuffer_peek(so->sio_out, -1, NULL, v, SOCKIO_IOV);
		if (nv > SOCKIO_IOV)
			nv = SOCKIO_IOV;
		offered = 0;
		for (i = 0; i < nv; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
			offered += v[i].iov_len;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)nv;
		/* MSG_NOSIGNAL: a peer gone is an error here, not a signal. */
		n = sendmsg(so->sio_fd, &msg, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		evbuffer_drain(so->sio_out, (size_t)n);
		if ((size_t)n < offered)
			return 1;
	}
	return 0;
}

static void
sockio_flush(struct sockio *so)
{
	int rv;

	if (evbuffer_get_length(so->sio_out) == 0)
		return;
	if ((rv = sockio_write(so)) == -1) {
		sockio_fail(so, errno);
		return;
	}
	if (rv == 1) {
		if (!so->sio_wev_on && event_add(so->sio_wev, NULL) == 0)
			so->sio_wev_on = 1;
		return;
	}
	if (so->sio_wev_on) {
		event_del(so->sio_wev);
		so->sio_wev_on = 0;
	}
	if (so->sio_cb->on_drain != NULL) {
		sockio_enter(so);
		so->sio_cb->on_drain(so, so->sio_arg);
		sockio_leave(so);
	}
}

/*
 * Runs once per loop iteration in which output was queued, after the
 * callbacks that queued it.  A connection listed again by a callback run
 * from here is flushed in the same pass.
 */
static void
sockio_flush_list(evutil_socket_t fd, short ev, void *arg)
{
	struct sockio_base *sb = arg;
	struct sockio      *so;

	(void)fd;
	(void)ev;
	while ((so = TAILQ_FIRST(&sb->sb_flushq)) != NULL) {
		sockio_unlist(so);
		sockio_flush(so);
	}
	sb->sb_active = 0;
}

/*
 * Output callback: whatever is appended joins the flush list, so no
 * caller can forget to send.  While the write event waits for room, the
 * list would only earn an EAGAIN.
 */
static void
sockio_out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct sockio      *so = arg;
	struct sockio_base *sb = so->sio_base;

	(void)buf;
	if (info->n_added == 0 || so->sio_listed || so->sio_wev_on ||
	    so->sio_failed || so->sio_dead)
		return;
	TAILQ_INSERT_TAIL(&sb->sb_flushq, so, sio_entry);
	so->sio_listed = 1;
	if (!sb->sb_active) {
		event_active(sb->sb_flush, EV_WRITE, 0);
		sb->sb_active = 1;
	}
}

static void
sockio_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sockio        *so = arg;
	struct evbuffer_iovec v;
	ssize_t               n;

	(void)ev;
	if (evbuffer_reserve_space(so->sio_in, (ev_ssize_t)so->sio_read_want,
	        &v, 1) != 1) {
		log_warnx("sockio: fd %d: cannot grow the input buffer", fd);
		sockio_fail(so, ENOMEM);
		return;
	}
	if (v.iov_len > so->sio_read_max)
		v.iov_len = so->sio_read_max;
	if ((n = read(fd, v.iov_base, v.iov_len)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			sockio_fail(so, errno);
		return;
	}
	if (n == 0) {
		sockio_eof(so);
		return;
	}
	if ((size_t)n == v.iov_len && so->sio_read_want < so->sio_read_max) {
		so->sio_read_want *= 2;
		if (so->sio_read_want > so->sio_read_max)
			so->sio_read_want = so->sio_read_max;
	}
	v.iov_len = (size_t)n;
	evbuffer_commit_space(so->sio_in, &v, 1);
	sockio_enter(so);
	so->sio_cb->on_read(so, so->sio_in, so->sio_arg);
	sockio_leave(so);
}

static void
sockio_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	sockio_flush(arg);
}

struct sockio *
sockio_new(struct sockio_base *sb, int fd, const struct sockio_cb *cb,
    void *arg)
{
	struct sockio *so;

	so = xcalloc(1, sizeof(*so));
	so->sio_base = sb;
	so->sio_fd = fd;
	so->sio_cb = cb;
	so->sio_arg = arg;
	sockio_set_read_max(so, SOCKIO_READ_MAX);
	so->sio_rev = event_new(sb->sb_base, fd, EV_READ | EV_PERSIST,
	    sockio_read_cb, so);
	so->sio_wev = event_new(sb->sb_base, fd, EV_WRITE | EV_PERSIST,
	    sockio_write_cb, so);
	so->sio_in = evbuffer_new();
	so->sio_out = evbuffer_new();
	if (so->sio_rev == NULL || so->sio_wev == NULL || so->sio_in == NULL ||
	    so->sio_out == NULL ||
	    evbuffer_add_cb(so->sio_out, sockio_out_cb, so) == NULL ||
	    event_add(so->sio_rev, NULL) == -1) {
		log_warnx("sockio: fd %d: cannot allocate events or buffers",
		    fd);
		goto fail;
	}
	so->sio_reading = 1;
	return so;
fail:
	if (so->sio_rev != NULL)
		event_free(so->sio_rev);
	if (so->sio_wev != NULL)
		event_free(so->sio_wev);
	if (so->sio_in != NULL)
		evbuffer_free(so->sio_in);
	if (so->sio_out != NULL)
		evbuffer_free(so->sio_out);
	free(so);
	return NULL;
}

void
sockio_set_read_max(struct sockio *so, size_t max)
{
	so->sio_read_max = max > 0 ? max : SOCKIO_READ_MAX;
	so->sio_read_want = so->sio_read_max < SOCKIO_READ_START ?
	    so->sio_read_max :
	    SOCKIO_READ_START;
}

void
sockio_set_reading(struct sockio *so, int on)
{
	if (on && !so->sio_reading && !so->sio_failed && !so->sio_eof &&
	    !so->sio_dead) {
		if (event_add(so->sio_rev, NULL) == 0)
			so->sio_reading = 1;
	} else if (!on && so->sio_reading) {
		event_del(so->sio_rev);
		so->sio_reading = 0;
	}
}

int
sockio_fd(struct sockio *so)
{
	return so->sio_fd;
}

struct evbuffer *
sockio_input(struct sockio *so)
{
	return so->sio_in;
}

struct evbuffer *
sockio_output(struct sockio *so)
{
	return so->sio_out;
}

size_t
sockio_queued(struct sockio *so)
{
	return evbuffer_get_length(so->sio_out);
}
