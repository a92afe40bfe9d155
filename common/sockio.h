/*
 * Buffered socket I/O on libevent without bufferevents: one persistent
 * read event added once, a write event only while the kernel holds our
 * output back, and writes coalesced per event base.  Anything appended to
 * a connection's output goes out at the end of the current batch of
 * callbacks, in one sendmsg with whatever else was queued meanwhile.
 *
 * A callback may free its own connection: the free is then deferred until
 * the callback returns, and no further callback runs for it.
 */
#ifndef COMMON_SOCKIO_H
#define COMMON_SOCKIO_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct sockio;
struct sockio_base;

#define SOCKIO_READ_MAX 16384 /* default bytes per read callback */

struct sockio_cb {
	/* New bytes are in in; what is left there comes again with the next. */
	void (*on_read)(struct sockio *, struct evbuffer *in, void *arg);
	/* A flush emptied the output (may be NULL). */
	void (*on_drain)(struct sockio *, void *arg);
	/*
	 * End of file (error 0): reading has stopped, output still goes
	 * out (the peer may have only half-closed).  A read or write error
	 * (an errno): no more reading nor writing.  Either way the owner
	 * frees the connection, at once or once its output has drained.
	 */
	void (*on_close)(struct sockio *, int error, void *arg);
};

/* The flush list of one event base; free it after its connections. */
struct sockio_base *sockio_base_new(struct event_base *);
void                sockio_base_free(struct sockio_base *);

/*
 * Own fd (nonblocking already) and start reading.  Returns NULL, with a
 * message logged and fd still the caller's, if libevent could not
 * allocate.
 */
struct sockio *
sockio_new(struct sockio_base *, int fd, const struct sockio_cb *, void *arg);
/* Close the fd; what the output still holds is dropped. */
void sockio_free(struct sockio *);
/* Bytes one read callback takes at most, so no socket starves others. */
void sockio_set_read_max(struct sockio *, size_t);
/* Stop (0) or resume (1) reading. */
void             sockio_set_reading(struct sockio *, int);
int              sockio_fd(struct sockio *);
struct evbuffer *sockio_input(struct sockio *);
/*
 * Append here; the bytes are sent at the end of the callback batch.  An
 * owner may hang its own evbuffer callback on it (byte accounting), and
 * removes it before sockio_free if its argument dies first.
 */
struct evbuffer *sockio_output(struct sockio *);
size_t           sockio_queued(struct sockio *);

#endif
