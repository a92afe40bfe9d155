/*
 * Typed messages between processes over a Unix stream socketpair, in the
 * manner of OpenBSD's imsg: a fixed header, a bounded payload, and at most
 * one file descriptor per message (passed with SCM_RIGHTS on the message's
 * first byte).  Driven by libevent; nothing blocks.
 */
#ifndef COMMON_IPC_H
#define COMMON_IPC_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define IPC_MAX_PAYLOAD (1024 * 1024)
#define IPC_BATCHED_MAX 64 /* payload of ipc_send_batched */

struct ipc_hdr {
	uint32_t type;
	uint32_t len;   /* payload bytes after the header */
	uint32_t flags; /* IPC_F_FD: a descriptor rides with it */
	uint32_t pad;
};
#define IPC_F_FD 0x1

struct ipc_msg {
	uint32_t       type;
	int            fd;   /* -1 if none; owned by the callback */
	const uint8_t *data; /* valid during the callback only */
	size_t         len;
};

struct ipc_chan;

/*
 * Called once per received message, and once with msg == NULL when the
 * peer closed the channel or it failed (the channel must then be freed).
 */
typedef void (*ipc_cb)(struct ipc_chan *, const struct ipc_msg *msg, void *arg);

/*
 * Wrap fd (nonblocking, close-on-exec set here).  allowed is the list of
 * message types this side accepts, terminated by 0: anything else closes
 * the channel with a warning naming the type (a compromised peer cannot
 * drive us with messages meant for someone else).
 */
struct ipc_chan *ipc_chan_new(struct event_base *, int fd, const char *name,
    const uint32_t *allowed, ipc_cb, void *arg);
void             ipc_chan_free(struct ipc_chan *);
/*
 * Queue a message.  fd (or -1) is owned by the channel from here on and
 * closed once sent.  Returns -1 if the payload is too large or the
 * channel is dead.
 */
int ipc_send(struct ipc_chan *, uint32_t type, int fd, const void *data,
    size_t len);
/*
 * As ipc_send, but written at once when nothing is queued; returns -1
 * if the peer is gone (or the message could not even be queued).  fd is
 * lent, not given: the caller keeps it whatever the outcome (the queue
 * takes a dup if the message has to wait).
 */
int ipc_send_now(struct ipc_chan *, uint32_t type, int fd, const void *data,
    size_t len);
/*
 * For cumulative replies, such as acknowledgements.  Called from this
 * channel's callback, keep the message (at most IPC_BATCHED_MAX bytes,
 * no descriptor) until every message of the current read is dispatched,
 * then send it with ipc_send_now before returning to the event loop; a
 * later call with the same type replaces it meanwhile.  Called from
 * anywhere else, just ipc_send_now.
 */
int ipc_send_batched(struct ipc_chan *, uint32_t type, const void *data,
    size_t len);
/* Bytes queued and not yet written. */
size_t ipc_pending(const struct ipc_chan *);
/* Send everything queued, blocking; for the last words before exit. */
int ipc_flush(struct ipc_chan *);
/* The same, giving up after timeout_ms (-1: never). */
int ipc_flush_within(struct ipc_chan *, int timeout_ms);

/*
 * Across the master's re-exec: the descriptor, and the bytes read but
 * not dispatched yet (a message cut in two by the exec), which the next
 * image gives back with ipc_chan_prime to a channel on the same fd.
 */
int            ipc_chan_fd(const struct ipc_chan *);
const uint8_t *ipc_chan_unread(const struct ipc_chan *, size_t *);
void           ipc_chan_prime(struct ipc_chan *, const void *, size_t);

#endif
