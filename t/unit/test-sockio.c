/*
 * Connection I/O without bufferevents: reads reach on_read, what one
 * batch of callbacks appends leaves in one sendmsg after the batch,
 * output the kernel cannot take waits on the write event and on_drain
 * comes once it is all out, EOF (output still drains to a half-closed
 * peer) and errors reach on_close, a connection may free itself from its
 * own callbacks.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/net.h"
#include "common/sockio.h"
#include "t/unit/tap.h"

#define BIG (4 * 1024 * 1024)

static struct event_base  *base;
static struct sockio_base *sb;

/* What the callbacks of one connection saw, and what they should do. */
struct probe {
	struct sockio *so;
	size_t         nread;
	char           data[256];
	int            reads, drains, closes, error;
	int            reply;  /* on_read: append three pieces */
	int            peer;   /* the other end, or -1 */
	int            early;  /* the peer had bytes before the end */
	size_t         queued; /* at the end of on_read */
	int            free_on_read, free_on_drain;
	int            reply_on_eof; /* on_close(0): answer, free on drain */
	int            after_free;   /* a callback after the free */
	int            freed;
};

static void
probe_read(struct sockio *so, struct evbuffer *in, void *arg)
{
	struct probe *p = arg;
	size_t        n = evbuffer_get_length(in);

	if (p->freed)
		p->after_free++;
	p->reads++;
	if (p->nread + n < sizeof(p->data))
		evbuffer_copyout(in, p->data + p->nread, n);
	p->nread += n;
	evbuffer_drain(in, n);
	if (p->reply) {
		evbuffer_add(sockio_output(so), "one ", 4);
		evbuffer_add(sockio_output(so), "two ", 4);
		evbuffer_add_printf(sockio_output(so), "%s", "three");
		if (p->peer != -1 &&
		    recv(p->peer, p->data, 1, MSG_DONTWAIT | MSG_PEEK) != -1)
			p->early++;
		p->queued = sockio_queued(so);
	}
	if (p->free_on_read) {
		/* appended just before: dropped with the connection */
		evbuffer_add(sockio_output(so), "lost", 4);
		sockio_free(so);
		p->freed = 1;
	}
	event_base_loopbreak(base);
}

static void
probe_drain(struct sockio *so, void *arg)
{
	struct probe *p = arg;

	if (p->freed)
		p->after_free++;
	p->drains++;
	if (p->free_on_drain) {
		sockio_free(so);
		p->freed = 1;
	}
	event_base_loopbreak(base);
}

static void
probe_close(struct sockio *so, int error, void *arg)
{
	struct probe *p = arg;

	if (p->freed)
		p->after_free++;
	p->closes++;
	p->error = error;
	event_base_loopbreak(base);
	if (error == 0 && p->reply_on_eof) {
		evbuffer_add(sockio_output(so), "bye", 3);
		p->free_on_drain = 1;
		return;
	}
	sockio_free(so);
	p->freed = 1;
}

static const struct sockio_cb probe_cb = {
	probe_read,
	probe_drain,
	probe_close,
};

static void
spin_done(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(int *)arg = 1;
	event_base_loopbreak(base);
}

/*
 * Run the loop for ms: until a callback breaks it, or (all) whatever
 * callbacks do.
 */
static void
spin_loop(int ms, int all)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event  *t;
	int            expired = 0;

	t = evtimer_new(base, spin_done, &expired);
	evtimer_add(t, &tv);
	if (!all)
		event_base_dispatch(base);
	while (all && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}

#define spin(ms)     spin_loop((ms), 0)
#define spin_all(ms) spin_loop((ms), 1)

/* Test bytes from the peer; MSG_NOSIGNAL, as the other end may be gone. */
static void
put(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) == -1 && errno != EPIPE)
		printf("# send: %s\n", strerror(errno));
}

static struct sockio *
probe_start(struct probe *p, int fd)
{
	memset(p, 0, sizeof(*p));
	p->peer = -1;
	net_set_nonblock(fd);
	p->so = sockio_new(sb, fd, &probe_cb, p);
	return p->so;
}

static void
test_read_and_coalesce(void)
{
	struct probe p;
	char         buf[256];
	ssize_t      n;
	int          sv[2];

	/* SEQPACKET: each sendmsg arrives as one record */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	ok(probe_start(&p, sv[0]) != NULL, "sockio_new");
	p.reply = 1;
	p.peer = sv[1];
	put(sv[1], "hello");
	spin(2000);
	ok(p.reads == 1 && p.nread == 5 && memcmp(p.data, "hello", 5) == 0,
	    "a read delivers the bytes");
	ok(p.early == 0 && p.queued == 13,
	    "appends inside a callback are queued, not sent");
	spin(2000);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	ok(n == 13 && memcmp(buf, "one two three", 13) == 0,
	    "three appends leave in one sendmsg after the batch");
	is_int(p.drains, 1, "on_drain once the output is empty");
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	ok(n == -1 && errno == EAGAIN, "and nothing else was sent");
	close(sv[1]);
	spin(2000);
	ok(p.closes == 1 && p.error == 0, "EOF reaches on_close with 0");
	is_int(p.after_free, 0, "no callback after the free");
}

/* The peer reads everything, then stops the loop. */
struct sink {
	int    fd;
	size_t got;
	int    bad;
};

static void
sink_read(evutil_socket_t fd, short ev, void *arg)
{
	struct sink  *k = arg;
	unsigned char buf[65536];
	ssize_t       n, i;

	(void)ev;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] !=
			    (unsigned char)((k->got + (size_t)i) % 251))
				k->bad++;
		k->got += (size_t)n;
	}
	if (k->got >= BIG)
		event_base_loopbreak(base);
}

/* A probe on one end of a fresh socketpair; the test writes to sv[1]. */
static void
probe_pair(struct probe *p, int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	probe_start(p, sv[0]);
}

/* A half-closed peer still gets its answer. */
static void
test_half_close(void)
{
	struct probe p;
	char         buf[64];
	ssize_t      n;
	int          sv[2];

	probe_pair(&p, sv);
	p.reply_on_eof = 1;
	put(sv[1], "req");
	shutdown(sv[1], SHUT_WR);
	spin_all(200);
	ok(p.nread == 3 && p.closes == 1 && p.error == 0,
	    "the request, then EOF");
	ok(p.drains == 1 && p.freed, "output after EOF drains");
	n = read(sv[1], buf, sizeof(buf));
	ok(n == 3 && memcmp(buf, "bye", 3) == 0 &&
	        read(sv[1], buf, sizeof(buf)) == 0,
	    "the half-closed peer reads the answer, then EOF");
	is_int(p.after_free, 0, "no callback after the free");
	close(sv[1]);
}

static void
test_big_output(void)
{
	struct probe   p;
	struct sink    k;
	struct event  *ev;
	unsigned char *big;
	size_t         i;
	int            sv[2], sz = 8192;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	probe_start(&p, sv[0]);
	big = malloc(BIG);
	for (i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i % 251);
	evbuffer_add(sockio_output(p.so), big, BIG);
	free(big);
	spin_all(200);
	ok(sockio_queued(p.so) > 0 && sockio_queued(p.so) < BIG,
	    "the kernel took part of %d bytes, the rest waits", BIG);
	is_int(p.drains, 0, "no on_drain while output remains");
	memset(&k, 0, sizeof(k));
	net_set_nonblock(sv[1]);
	ev = event_new(base, sv[1], EV_READ | EV_PERSIST, sink_read, &k);
	event_add(ev, NULL);
	spin(10000);
	spin_all(100); /* the write event's last flush */
	is_int(k.got, BIG, "all of it arrives once the peer reads");
	is_int(k.bad, 0, "in order, uncorrupted");
	is_int(sockio_queued(p.so), 0, "the output is empty");
	is_int(p.drains, 1, "on_drain fired once");
	event_free(ev);
	sockio_free(p.so);
	close(sv[1]);
}

static void
test_errors(void)
{
	struct sockaddr_in sin;
	struct linger      lg = { 1, 0 };
	struct probe       p;
	socklen_t          len = sizeof(sin);
	int                sv[2], l, c, s, one = 1;

	/* a write to a gone peer: EPIPE, and no SIGPIPE kills us */
	probe_pair(&p, sv);
	sockio_set_reading(p.so, 0);
	close(sv[1]);
	evbuffer_add(sockio_output(p.so), "x", 1);
	spin(2000);
	ok(p.closes == 1 && p.error == EPIPE,
	    "a write error reaches on_close "
	    "(%s)",
	    strerror(p.error));

	/* a reset on loopback TCP: a read error */
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1) {
		ok(0, "loopback listener: %s", strerror(errno));
		return;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (s = accept(l, NULL, NULL)) == -1) {
		ok(0, "loopback connection: %s", strerror(errno));
		return;
	}
	probe_start(&p, s);
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
	spin(2000);
	ok(p.closes == 1 && p.error == ECONNRESET,
	    "a reset reaches on_close (%s)", strerror(p.error));
	is_int(p.reads, 0, "with no read callback");
	close(l);
}

static void
test_free_inside(void)
{
	struct probe p;
	char         buf[64];
	ssize_t      n;
	int          sv[2];

	probe_pair(&p, sv);
	p.free_on_read = 1;
	put(sv[1], "abc");
	spin(2000);
	ok(p.reads == 1 && p.freed, "freed from inside on_read");
	put(sv[1], "more");
	spin_all(100);
	is_int(p.after_free, 0, "no callback after a free inside on_read");
	n = read(sv[1], buf, sizeof(buf));
	is_int(n, 0, "the socket is closed, what was queued dropped");
	close(sv[1]);

	probe_pair(&p, sv);
	p.reply = 1;
	p.free_on_drain = 1;
	put(sv[1], "abc");
	spin(2000);
	spin(2000);
	ok(p.drains == 1 && p.freed, "freed from inside on_drain");
	put(sv[1], "more");
	spin_all(100);
	is_int(p.after_free, 0, "no callback after a free inside on_drain");
	n = read(sv[1], buf, sizeof(buf));
	ok(n == 13 && memcmp(buf, "one two three", 13) == 0,
	    "what drained before the free arrived");
	is_int(read(sv[1], buf, sizeof(buf)), 0, "then EOF");
	close(sv[1]);
}

int
main(void)
{
	log_init("test", 0);
	base = event_base_new();
	sb = sockio_base_new(base);
	test_read_and_coalesce();
	test_half_close();
	test_big_output();
	test_errors();
	test_free_inside();
	sockio_base_free(sb);
	event_base_free(base);
	return tap_done();
}
