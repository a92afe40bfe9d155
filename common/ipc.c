/*
 * Typed messages over a Unix stream socketpair (see ipc.h).
 *
 * Framing: struct ipc_hdr, then hdr.len payload bytes.  A descriptor rides
 * as SCM_RIGHTS on the sendmsg() that carries the first byte of its
 * message's header, so the kernel hands it to the reader no later than
 * that byte.  A stream socket may merge or split messages arbitrarily on
 * the way in, so received descriptors go into a FIFO and each message
 * whose header says IPC_F_FD takes the oldest one: fds and messages are
 * both in send order, so they pair up whatever the read boundaries were.
 *
 * A readable channel is read until it is empty (or IPC_READS_PER_CB), so
 * that a reply meant for a whole burst (ipc_send_batched) goes once, when
 * every message of the burst has been dispatched.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/net.h"
#include "common/util.h"
#include "common/xmalloc.h"

#define IPC_RBUF_INIT (64 * 1024)
#define IPC_RBUF_MAX  (sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD)
/* Descriptors received per recvmsg (one per message, several messages). */
#define IPC_CMSG_FDS 16
/* Received descriptors waiting for their message; more is abuse. */
#define IPC_FDQ_MAX 256
/*
 * Reads per readable event.  Linux ends a recvmsg after a message that
 * carries descriptors, so a hand-off per read: reading on lets one wake-up
 * take a burst of them (and one batched reply answer it), without
 * starving the other events of the loop.
 */
#define IPC_READS_PER_CB 32

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

struct ipc_wmsg {
	TAILQ_ENTRY(ipc_wmsg) w_entry;
	uint8_t *w_buf;
	size_t   w_len;
	size_t   w_off;
	int      w_fd; /* -1, or sent with byte 0 */
};

struct ipc_chan {
	struct event_base *c_base;
	int                c_fd;
	char              *c_name;
	uint32_t          *c_allowed;
	ipc_cb             c_cb;
	void              *c_arg;
	struct event      *c_rev;
	struct event      *c_wev;

	uint8_t *c_rbuf;
	size_t   c_rlen;
	size_t   c_rcap;

	int c_fdq[IPC_FDQ_MAX];
	int c_fdq_head;
	int c_fdq_n;

	TAILQ_HEAD(ipc_wq, ipc_wmsg) c_wq;
	size_t c_wpending;

	uint32_t c_btype; /* ipc_send_batched; 0: none */
	size_t   c_blen;
	uint8_t  c_bdata[IPC_BATCHED_MAX];

	int c_dead;     /* no more I/O */
	int c_eof_sent; /* callback saw msg == NULL */
	int c_busy;     /* inside a callback */
	int c_freed;    /* freed inside a callback */
	int c_primed;   /* ipc_chan_prime: dispatch before reading */
};

static void ipc_read_cb(evutil_socket_t, short, void *);
static void ipc_write_cb(evutil_socket_t, short, void *);

struct ipc_chan *
ipc_chan_new(struct event_base *base, int fd, const char *name,
    const uint32_t *allowed, ipc_cb cb, void *arg)
{
	struct ipc_chan *c;
	size_t           n = 0;

	if (net_set_nonblock(fd) == -1 || net_set_cloexec(fd) == -1) {
		log_warn("%s: fcntl", name);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->c_base = base;
	c->c_fd = fd;
	c->c_name = xstrdup(name);
	/* A NULL list accepts nothing: a send-only channel. */
	while (allowed != NULL && allowed[n] != 0)
		n++;
	c->c_allowed = xcalloc(n + 1, sizeof(uint32_t));
	if (n > 0)
		memcpy(c->c_allowed, allowed, n * sizeof(uint32_t));
	c->c_cb = cb;
	c->c_arg = arg;
	TAILQ_INIT(&c->c_wq);
	c->c_rev = event_new(base, fd, EV_READ | EV_PERSIST, ipc_read_cb, c);
	c->c_wev = event_new(base, fd, EV_WRITE | EV_PERSIST, ipc_write_cb, c);
	if (c->c_rev == NULL || c->c_wev == NULL ||
	    event_add(c->c_rev, NULL) == -1) {
		log_warnx("%s: cannot register channel events", name);
		if (c->c_rev != NULL)
			event_free(c->c_rev);
		if (c->c_wev != NULL)
			event_free(c->c_wev);
		free(c->c_allowed);
		free(c->c_name);
		free(c);
		return NULL;
	}
	return c;
}

static void
ipc_wq_clear(struct ipc_chan *c)
{
	struct ipc_wmsg *w;

	while ((w = TAILQ_FIRST(&c->c_wq)) != NULL) {
		TAILQ_REMOVE(&c->c_wq, w, w_entry);
		if (w->w_fd != -1)
			close(w->w_fd);
		free(w->w_buf);
		free(w);
	}
	c->c_wpending = 0;
}

static void
ipc_fdq_clear(struct ipc_chan *c)
{
	while (c->c_fdq_n > 0) {
		close(c->c_fdq[c->c_fdq_head]);
		c->c_fdq_head = (c->c_fdq_head + 1) % IPC_FDQ_MAX;
		c->c_fdq_n--;
	}
	c->c_fdq_head = 0;
}

static void
ipc_chan_destroy(struct ipc_chan *c)
{
	event_free(c->c_rev);
	event_free(c->c_wev);
	ipc_wq_clear(c);
	/* Descriptors that arrived but whose message never did. */
	ipc_fdq_clear(c);
	close(c->c_fd);
	free(c->c_rbuf);
	free(c->c_allowed);
	free(c->c_name);
	free(c);
}

void
ipc_chan_free(struct ipc_chan *c)
{
	if (c == NULL)
		return;
	/* Freed from its own callback: finish once the callback returns. */
	if (c->c_busy) {
		c->c_freed = 1;
		c->c_dead = 1;
		event_del(c->c_rev);
		event_del(c->c_wev);
		return;
	}
	ipc_chan_destroy(c);
}

/*
 * Run the callback; returns -1 if the channel was freed meanwhile and
 * must not be touched again.
 */
static int
ipc_call(struct ipc_chan *c, const struct ipc_msg *msg)
{
	c->c_busy++;
	c->c_cb(c, msg, c->c_arg);
	c->c_busy--;
	if (c->c_busy == 0 && c->c_freed) {
		ipc_chan_destroy(c);
		return -1;
	}
	return 0;
}

/* Stop all I/O and tell the owner once; it is expected to free us. */
static void
ipc_fail(struct ipc_chan *c)
{
	c->c_dead = 1;
	event_del(c->c_rev);
	event_del(c->c_wev);
	ipc_wq_clear(c);
	if (c->c_eof_sent)
		return;
	c->c_eof_sent = 1;
	(void)ipc_call(c, NULL);
}

static int
ipc_allowed(const struct ipc_chan *c, uint32_t type)
{
	const uint32_t *t;

	for (t = c->c_allowed; *t != 0; t++)
		if (*t == type)
			return 1;
	return 0;
}

static int
ipc_fdq_push(struct ipc_chan *c, int fd)
{
	if (c->c_fdq_n == IPC_FDQ_MAX) {
		close(fd);
		return -1;
	}
	c->c_fdq[(c->c_fdq_head + c->c_fdq_n) % IPC_FDQ_MAX] = fd;
	c->c_fdq_n++;
	return 0;
}

static int
ipc_fdq_pop(struct ipc_chan *c)
{
	int fd;

	if (c->c_fdq_n == 0)
		return -1;
	fd = c->c_fdq[c->c_fdq_head];
	c->c_fdq_head = (c->c_fdq_head + 1) % IPC_FDQ_MAX;
	c->c_fdq_n--;
	return fd;
}

/*
 * Take the descriptors out of one recvmsg's control data: how many, or -1
 * if the queue overflowed.
 */
static int
ipc_take_fds(struct ipc_chan *c, struct msghdr *mh)
{
	struct cmsghdr *cm;
	int            *fds, i, n, got = 0, rv = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)(void *)CMSG_DATA(cm);
		n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < n; i++) {
#ifndef MSG_CMSG_CLOEXEC
			(void)net_set_cloexec(fds[i]);
#endif
			if (ipc_fdq_push(c, fds[i]) == -1)
				rv = -1;
			got++;
		}
	}
	return rv == -1 ? -1 : got;
}

/*
 * Hand every complete message in the buffer to the callback.  Returns -1
 * if the channel failed or was freed.
 */
static int
ipc_dispatch(struct ipc_chan *c)
{
	struct ipc_hdr hdr;
	struct ipc_msg msg;
	size_t         off = 0, need;

	while (!c->c_dead && c->c_rlen - off >= sizeof(hdr)) {
		memcpy(&hdr, c->c_rbuf + off, sizeof(hdr));
		/* Checked before anything is copied or allocated for it. */
		if (hdr.len > IPC_MAX_PAYLOAD) {
			log_warnx("%s: message type %u too long (%u bytes)",
			    c->c_name, hdr.type, hdr.len);
			goto fail;
		}
		if (!ipc_allowed(c, hdr.type)) {
			log_warnx("%s: unexpected message type %u", c->c_name,
			    hdr.type);
			goto fail;
		}
		need = sizeof(hdr) + hdr.len;
		if (need > c->c_rcap) {
			/* Grow for this message; the bound is IPC_RBUF_MAX. */
			c->c_rbuf = xrealloc(c->c_rbuf, need);
			c->c_rcap = need;
		}
		if (c->c_rlen - off < need)
			break;
		msg.type = hdr.type;
		msg.fd = -1;
		msg.data = c->c_rbuf + off + sizeof(hdr);
		msg.len = hdr.len;
		if (hdr.flags & IPC_F_FD) {
			if ((msg.fd = ipc_fdq_pop(c)) == -1) {
				log_warnx("%s: message type %u without its "
				          "descriptor",
				    c->c_name, hdr.type);
				goto fail;
			}
		}
		off += need;
		if (ipc_call(c, &msg) == -1)
			return -1;
	}
	if (c->c_dead)
		return -1;
	if (off > 0) {
		memmove(c->c_rbuf, c->c_rbuf + off, c->c_rlen - off);
		c->c_rlen -= off;
	}
	return 0;
fail:
	ipc_fail(c);
	return -1;
}

/*
 * One recvmsg, and dispatch what it completed.  1 if more may be waiting,
 * 0 if not, -1 if the channel failed or was freed (do not touch it).
 */
static int
ipc_read_once(struct ipc_chan *c)
{
	struct msghdr mh;
	struct iovec  iov;
	union {
		struct cmsghdr hdr;
		char           buf[CMSG_SPACE(sizeof(int) * IPC_CMSG_FDS)];
	} cmsgbuf;
	ssize_t n;
	int     nfds, flags = 0;

	if (c->c_rbuf == NULL) {
		c->c_rcap = IPC_RBUF_INIT;
		c->c_rbuf = xmalloc(c->c_rcap);
	}
	/* The dispatcher grows the buffer for a partial message. */
	if (c->c_rlen == c->c_rcap) {
		if (c->c_rcap >= IPC_RBUF_MAX) {
			log_warnx("%s: input buffer full", c->c_name);
			ipc_fail(c);
			return -1;
		}
		c->c_rcap = c->c_rcap * 2 > IPC_RBUF_MAX ? IPC_RBUF_MAX :
		                                           c->c_rcap * 2;
		c->c_rbuf = xrealloc(c->c_rbuf, c->c_rcap);
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = c->c_rbuf + c->c_rlen;
	iov.iov_len = c->c_rcap - c->c_rlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
#ifdef MSG_CMSG_CLOEXEC
	flags |= MSG_CMSG_CLOEXEC;
#endif
	if ((n = recvmsg(c->c_fd, &mh, flags)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		/* A peer that died with our bytes unread: just an EOF. */
		if (errno != ECONNRESET)
			log_warn("%s: recvmsg", c->c_name);
		ipc_fail(c);
		return -1;
	}
	if ((nfds = ipc_take_fds(c, &mh)) == -1) {
		log_warnx("%s: too many descriptors queued", c->c_name);
		ipc_fail(c);
		return -1;
	}
	/* Lost descriptors would pair the rest with the wrong messages. */
	if (mh.msg_flags & MSG_CTRUNC) {
		log_warnx("%s: descriptor lost in transit (out of fds?)",
		    c->c_name);
		ipc_fail(c);
		return -1;
	}
	if (n == 0) {
		if (c->c_rlen > 0)
			log_warnx("%s: channel closed inside a message",
			    c->c_name);
		ipc_fail(c);
		return -1;
	}
	c->c_rlen += (size_t)n;
	if (ipc_dispatch(c) == -1)
		return -1;
	/* Give back what one large message needed. */
	if (c->c_rlen == 0 && c->c_rcap > IPC_RBUF_INIT) {
		free(c->c_rbuf);
		c->c_rbuf = NULL;
		c->c_rcap = 0;
	}
	/* A short read without descriptors emptied the socket. */
	return nfds > 0 || (size_t)n == iov.iov_len;
}

/* Send what ipc_send_batched kept for the end of the batch. */
static void
ipc_batch_flush(struct ipc_chan *c)
{
	uint32_t type = c->c_btype;

	if (type == 0)
		return;
	c->c_btype = 0;
	/* A dead peer is reported by the event loop. */
	(void)ipc_send_now(c, type, -1, c->c_bdata, c->c_blen);
}

static void
ipc_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ipc_chan *c = arg;
	int              i, rv = 0;

	(void)fd;
	(void)ev;
	if (c->c_primed) {
		c->c_primed = 0;
		if (ipc_dispatch(c) == -1)
			return;
	}
	for (i = 0; i < IPC_READS_PER_CB; i++)
		if ((rv = ipc_read_once(c)) != 1)
			break;
	if (rv != -1)
		ipc_batch_flush(c);
}

/*
 * One sendmsg of iov, with fd (or -1) on its first byte.  Bytes written,
 * 0 if the socket is full, -1 on error.
 */
static ssize_t
ipc_sendmsg(int s, struct iovec *iov, int iovcnt, int fd)
{
	struct msghdr mh;
	union {
		struct cmsghdr hdr;
		char           buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr *cm;
	ssize_t         n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = iovcnt;
	if (fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	for (;;) {
		if ((n = sendmsg(s, &mh, MSG_NOSIGNAL)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		return -1;
	}
}

/* Write one queued message (or what fits); -1 on error, 1 if blocked. */
static int
ipc_write_one(struct ipc_chan *c, struct ipc_wmsg *w)
{
	struct iovec iov;
	ssize_t      n;

	iov.iov_base = w->w_buf + w->w_off;
	iov.iov_len = w->w_len - w->w_off;
	if ((n = ipc_sendmsg(c->c_fd, &iov, 1, w->w_fd)) == -1)
		return -1;
	if (n == 0)
		return 1;
	/* The descriptor left with the first byte; the kernel holds it. */
	if (w->w_fd != -1) {
		close(w->w_fd);
		w->w_fd = -1;
	}
	w->w_off += (size_t)n;
	c->c_wpending -= (size_t)n;
	return 0;
}

/* Write until the queue is empty (0), blocked (1) or broken (-1). */
static int
ipc_write_queue(struct ipc_chan *c)
{
	struct ipc_wmsg *w;
	int              rv;

	while ((w = TAILQ_FIRST(&c->c_wq)) != NULL) {
		if ((rv = ipc_write_one(c, w)) != 0)
			return rv;
		if (w->w_off == w->w_len) {
			TAILQ_REMOVE(&c->c_wq, w, w_entry);
			free(w->w_buf);
			free(w);
		}
	}
	return 0;
}

static void
ipc_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ipc_chan *c = arg;
	int              rv;

	(void)fd;
	(void)ev;
	/* Dead already: ipc_send_now met the error and said so. */
	if (c->c_dead) {
		ipc_fail(c);
		return;
	}
	if ((rv = ipc_write_queue(c)) == -1) {
		if (errno != EPIPE && errno != ECONNRESET)
			log_warn("%s: sendmsg", c->c_name);
		ipc_fail(c);
		return;
	}
	if (rv == 0)
		event_del(c->c_wev);
}

/*
 * Queue header and payload from byte skip on, with fd (owned by the
 * queue from here on) on the first of them.
 */
static void
ipc_enqueue(struct ipc_chan *c, const struct ipc_hdr *hdr, const void *data,
    size_t skip, int fd)
{
	struct ipc_wmsg *w;
	size_t           len = hdr->len, hskip;

	hskip = skip < sizeof(*hdr) ? skip : sizeof(*hdr);
	w = xcalloc(1, sizeof(*w));
	w->w_len = sizeof(*hdr) + len - skip;
	w->w_buf = xmalloc(w->w_len);
	memcpy(w->w_buf, (const uint8_t *)hdr + hskip, sizeof(*hdr) - hskip);
	if (len > skip - hskip)
		memcpy(w->w_buf + sizeof(*hdr) - hskip,
		    (const uint8_t *)data + (skip - hskip),
		    len - (skip - hskip));
	w->w_fd = fd;
	TAILQ_INSERT_TAIL(&c->c_wq, w, w_entry);
	c->c_wpending += w->w_len;
}

static void
ipc_hdr_init(struct ipc_hdr *hdr, uint32_t type, int fd, size_t len)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->type = type;
	hdr->len = (uint32_t)len;
	hdr->flags = fd != -1 ? IPC_F_FD : 0;
}

int
ipc_send(struct ipc_chan *c, uint32_t type, int fd, const void *data,
    size_t len)
{
	struct ipc_hdr hdr;

	if (c->c_dead || len > IPC_MAX_PAYLOAD) {
		if (!c->c_dead)
			log_warnx("%s: message type %u too long (%zu bytes)",
			    c->c_name, type, len);
		if (fd != -1)
			close(fd);
		return -1;
	}
	ipc_hdr_init(&hdr, type, fd, len);
	ipc_enqueue(c, &hdr, data, 0, fd);
	/*
	 * Written from the event loop, never here: a write error must reach
	 * the owner through the callback, not in the middle of its caller.
	 */
	if (event_add(c->c_wev, NULL) == -1) {
		log_warnx("%s: cannot schedule write", c->c_name);
		return -1;
	}
	return 0;
}

/*
 * Hand a message over now if nothing is queued before it, so that a dead
 * peer is known here rather than later (a client socket can then wait
 * for the respawned peer instead of being lost with the queue).  Written
 * straight from the caller's buffer: a message the socket takes whole
 * costs one sendmsg, no copy and no write event.  The owner hears of a
 * failure from the event loop as usual.
 */
int
ipc_send_now(struct ipc_chan *c, uint32_t type, int fd, const void *data,
    size_t len)
{
	struct ipc_hdr hdr;
	struct iovec   iov[2];
	ssize_t        n = 0;
	int            qfd = -1;

	if (c->c_dead)
		return -1;
	if (len > IPC_MAX_PAYLOAD) {
		log_warnx("%s: message type %u too long (%zu bytes)", c->c_name,
		    type, len);
		return -1;
	}
	ipc_hdr_init(&hdr, type, fd, len);
	if (TAILQ_EMPTY(&c->c_wq)) {
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)(uintptr_t)data;
		iov[1].iov_len = len;
		if ((n = ipc_sendmsg(c->c_fd, iov, len > 0 ? 2 : 1, fd)) ==
		    -1) {
			c->c_dead = 1;
			event_active(c->c_wev, EV_WRITE, 0);
			return -1;
		}
		if ((size_t)n == sizeof(hdr) + len)
			return 0;
	}
	/* Not a byte out: the queue needs a descriptor of its own. */
	if (n == 0 && fd != -1 && (qfd = dup(fd)) == -1) {
		log_warn("%s: dup", c->c_name);
		return -1;
	}
	ipc_enqueue(c, &hdr, data, (size_t)n, qfd);
	if (event_add(c->c_wev, NULL) == -1)
		log_warnx("%s: cannot schedule write", c->c_name);
	return 0;
}

int
ipc_send_batched(struct ipc_chan *c, uint32_t type, const void *data,
    size_t len)
{
	if (c->c_dead)
		return -1;
	if (len > sizeof(c->c_bdata)) {
		log_warnx("%s: batched message type %u too long (%zu bytes)",
		    c->c_name, type, len);
		return -1;
	}
	/* Not from this channel's read callback: no batch to wait for. */
	if (c->c_busy == 0)
		return ipc_send_now(c, type, -1, data, len);
	if (c->c_btype != 0 && c->c_btype != type)
		ipc_batch_flush(c);
	c->c_btype = type;
	c->c_blen = len;
	if (len > 0)
		memcpy(c->c_bdata, data, len);
	return 0;
}

size_t
ipc_pending(const struct ipc_chan *c)
{
	return c->c_wpending;
}

int
ipc_flush(struct ipc_chan *c)
{
	return ipc_flush_within(c, -1);
}

int
ipc_flush_within(struct ipc_chan *c, int timeout_ms)
{
	struct ipc_hdr hdr;
	struct pollfd  pfd;
	uint64_t       now, end = util_mono_ms() + (uint64_t)timeout_ms;
	int            rv, wait = timeout_ms;

	if (c->c_dead)
		return -1;
	if (c->c_btype != 0) {
		ipc_hdr_init(&hdr, c->c_btype, -1, c->c_blen);
		ipc_enqueue(c, &hdr, c->c_bdata, 0, -1);
		c->c_btype = 0;
	}
	while ((rv = ipc_write_queue(c)) == 1) {
		if (timeout_ms >= 0) {
			if ((now = util_mono_ms()) >= end)
				return -1;
			wait = (int)(end - now);
		}
		pfd.fd = c->c_fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, wait) == -1 && errno != EINTR)
			return -1;
	}
	if (rv == -1)
		return -1;
	event_del(c->c_wev);
	return 0;
}

int
ipc_chan_fd(const struct ipc_chan *c)
{
	return c->c_fd;
}

const uint8_t *
ipc_chan_unread(const struct ipc_chan *c, size_t *len)
{
	*len = c->c_rlen;
	return c->c_rbuf;
}

void
ipc_chan_prime(struct ipc_chan *c, const void *data, size_t len)
{
	if (len == 0 || len > IPC_RBUF_MAX)
		return;
	c->c_rcap = len > IPC_RBUF_INIT ? len : IPC_RBUF_INIT;
	c->c_rbuf = xrealloc(c->c_rbuf, c->c_rcap);
	memcpy(c->c_rbuf, data, len);
	c->c_rlen = len;
	c->c_primed = 1;
	event_active(c->c_rev, EV_READ, 0);
}
