/*
 * Master <-> worker messages: framing survives partial writes and split
 * reads, every descriptor arrives with its own message, a burst gets one
 * batched reply, and a peer that breaks the rules (unknown type,
 * oversized length, missing fd) loses its channel.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/ipc.h"
#include "common/log.h"
#include "t/unit/tap.h"

#define N 300

static struct event_base *base;
static int                got, bad, eofs, fds_ok;
static const uint32_t     allow[] = { 10, 11, 0 };

/* A descriptor whose content names the message it rides with. */
static int
fd_with(size_t v)
{
	char path[] = "/tmp/ocgw-ipc-XXXXXX", b[32];
	int  fd;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	snprintf(b, sizeof(b), "%zu", v);
	if (write(fd, b, strlen(b)) == -1)
		bad++;
	return fd;
}

static void
check_fd(const struct ipc_msg *m, size_t idx)
{
	char    buf[32];
	ssize_t n;

	if (m->fd == -1) {
		bad++;
		return;
	}
	n = pread(m->fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if ((size_t)atol(buf) == idx && (fcntl(m->fd, F_GETFD) & FD_CLOEXEC))
		fds_ok++;
	else
		bad++;
	close(m->fd);
}

static void
cb(struct ipc_chan *c, const struct ipc_msg *m, void *arg)
{
	size_t i, idx;

	(void)arg;
	if (m == NULL) {
		eofs++;
		ipc_chan_free(c);
		event_base_loopbreak(base);
		return;
	}
	memcpy(&idx, m->data, sizeof(idx));
	if (m->len < sizeof(idx) || idx != (size_t)got)
		bad++;
	for (i = sizeof(idx); i < m->len; i++)
		if (m->data[i] != (uint8_t)(idx + i)) {
			bad++;
			break;
		}
	if (m->type == 11)
		check_fd(m, idx);
	else if (m->fd != -1)
		bad++;
	if (++got == N)
		event_base_loopbreak(base);
}

static void
test_stream(uint8_t *buf)
{
	struct ipc_chan *a, *b;
	int              sv[2], sz = 4096, i, fd;
	size_t           len, j, idx;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	/* small socket buffers force partial writes and split reads */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	a = ipc_chan_new(base, sv[0], "a", allow, cb, NULL);
	b = ipc_chan_new(base, sv[1], "b", allow, cb, NULL);
	for (i = 0; i < N; i++) {
		idx = (size_t)i;
		len = sizeof(idx) +
		    (i % 7 == 0 ? (size_t)rand() % 200000 :
		                  (size_t)rand() % 100);
		if (i == 5)
			len = IPC_MAX_PAYLOAD;
		memcpy(buf, &idx, sizeof(idx));
		for (j = sizeof(idx); j < len; j++)
			buf[j] = (uint8_t)(idx + j);
		fd = i % 3 == 0 ? fd_with(idx) : -1;
		if (i >= N / 2) {
			ipc_send(a, fd != -1 ? 11 : 10, fd, buf, len);
			continue;
		}
		/* Lent, not given: written whole, partly, or queued. */
		if (ipc_send_now(a, fd != -1 ? 11 : 10, fd, buf, len) == -1)
			bad++;
		if (fd != -1 && close(fd) == -1)
			bad++;
	}
	ok(ipc_send(a, 10, -1, buf, IPC_MAX_PAYLOAD + 1) == -1,
	    "oversized payload refused by the sender");
	event_base_dispatch(base);
	is_int(got, N, "every message arrived, in order");
	is_int(fds_ok, N / 3, "every descriptor arrived with its message");
	is_int(bad, 0, "no corrupt payload or stray descriptor");
	ipc_send(a, 99, fd_with(1), "x", 1);
	event_base_dispatch(base);
	is_int(eofs, 1, "a type outside the allow-list ends the channel");
	(void)b;
	ipc_chan_free(a);
}

/*
 * Cumulative acknowledgements: the receiver of a burst of descriptors
 * answers each with ipc_send_batched, and the sender gets one reply for
 * the burst, carrying the last value.
 */
#define BURST 20
static const uint32_t allow_ack[] = { 12, 0 };
static int            acks;
static size_t         last_ack;

static void
ack_cb(struct ipc_chan *c, const struct ipc_msg *m, void *arg)
{
	(void)c;
	(void)arg;
	if (m == NULL || m->len != sizeof(last_ack)) {
		bad++;
		event_base_loopbreak(base);
		return;
	}
	acks++;
	memcpy(&last_ack, m->data, sizeof(last_ack));
	event_base_loopbreak(base);
}

static void
burst_cb(struct ipc_chan *c, const struct ipc_msg *m, void *arg)
{
	size_t idx;

	(void)arg;
	if (m == NULL || m->len != sizeof(idx)) {
		bad++;
		return;
	}
	memcpy(&idx, m->data, sizeof(idx));
	check_fd(m, idx);
	if (ipc_send_batched(c, 12, &idx, sizeof(idx)) == -1)
		bad++;
}

static void
test_batched(void)
{
	struct ipc_chan *a, *b;
	uint8_t          big[IPC_BATCHED_MAX + 1];
	int              sv[2], fd, lent = 0, bad0 = bad, ok0 = fds_ok;
	size_t           i;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	a = ipc_chan_new(base, sv[0], "sender", allow_ack, ack_cb, NULL);
	b = ipc_chan_new(base, sv[1], "receiver", allow, burst_cb, NULL);
	for (i = 0; i < BURST; i++) {
		fd = fd_with(i);
		if (ipc_send_now(a, 11, fd, &i, sizeof(i)) == -1)
			bad++;
		if (fcntl(fd, F_GETFD) != -1)
			lent++;
		close(fd);
	}
	is_int(lent, BURST, "ipc_send_now leaves the descriptor to the caller");
	event_base_dispatch(base);
	is_int(fds_ok - ok0, BURST, "a burst of descriptors arrives whole");
	is_int(acks, 1, "one batched reply for the burst");
	is_int(last_ack, BURST - 1, "carrying the last value");
	i = 77;
	ok(ipc_send_batched(b, 12, &i, sizeof(i)) == 0 && ipc_pending(b) == 0,
	    "outside a callback a batched message leaves at once");
	event_base_dispatch(base);
	ok(acks == 2 && last_ack == 77, "and arrives");
	memset(big, 0, sizeof(big));
	ok(ipc_send_batched(b, 12, big, sizeof(big)) == -1,
	    "a batched message is small");
	is_int(bad, bad0, "no stray message or descriptor");
	ipc_chan_free(a);
	ipc_chan_free(b);
}

static void
test_rogue(const struct ipc_hdr *h, const char *name)
{
	int sv[2], before = eofs;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ipc_chan_new(base, sv[1], "rogue", allow, cb, NULL);
	if (write(sv[0], h, sizeof(*h)) == -1)
		bad++;
	event_base_dispatch(base);
	is_int(eofs, before + 1, "%s ends the channel", name);
	close(sv[0]);
}

int
main(void)
{
	struct ipc_hdr   big = { 10, IPC_MAX_PAYLOAD + 1, 0, 0 };
	struct ipc_hdr   nofd = { 11, 0, IPC_F_FD, 0 };
	struct ipc_chan *a;
	uint8_t         *buf;
	int              sv[2];

	log_init("test", 0);
	srand(1);
	base = event_base_new();
	buf = malloc(IPC_MAX_PAYLOAD + 10);
	test_stream(buf);
	test_batched();
	test_rogue(&big, "an oversized length");
	test_rogue(&nofd, "a missing descriptor");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	a = ipc_chan_new(base, sv[0], "flush", allow, cb, NULL);
	ipc_send(a, 10, -1, buf, 1000);
	ok(ipc_flush(a) == 0 && ipc_pending(a) == 0, "flush sends everything");
	ipc_chan_free(a);
	close(sv[1]);
	event_base_free(base);
	free(buf);
	return tap_done();
}
