/*
 * Load generator for the gateway: many non-blocking WebSocket clients on
 * one libevent loop, framed with the project's own codec (common/ws/frame.h,
 * client mode: masked frames out, unmasked frames in), speaking the control
 * protocol (connect.challenge, connect req, hello-ok).  Loopback only.
 * Socket I/O is common/sockio (one read event per connection, output sent
 * once per loop pass), and what every connection sends is formatted once,
 * so a handshake costs the client little beyond its 13 system calls.
 *
 *	loadgen [-u URL] [-t TOKEN] [options] latency N
 *	loadgen ... handshakes C SECONDS
 *	loadgen ... idle N [SECONDS]
 *	loadgen ... rps W SECONDS
 *	loadgen ... fanout N
 *
 * Every figure is printed as one machine-readable line
 * "RESULT name=value unit=U" followed by a human line starting with "#".
 * Everything is bounded: connects time out, modes end by count or time,
 * SIGINT/SIGTERM end any mode (idle prints what it held).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/sockio.h"
#include "common/ws/frame.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define HEAD_MAX    16384 /* upgrade response bound */
#define MAX_MESSAGE (25 * 1024 * 1024)
#define SRC_COUNT   253          /* 127.0.0.2 .. 127.0.0.254 */
#define READ_MAX    (256 * 1024) /* bytes per read callback at most */

enum {
	ST_CONNECTING,
	ST_UPGRADE,
	ST_CHALLENGE,
	ST_HELLO,
	ST_AUTHED
};
enum {
	DEAD_NO,
	DEAD_FAIL,
	DEAD_BYE
};

struct conn {
	int               state;
	int               slot; /* mode-defined */
	int               role; /* mode-defined (fanout: 1 = the extra) */
	int               dead; /* set inside decoder callbacks */
	int               got;  /* fanout: presence seen this round */
	const char       *why;  /* failure reason (static or saved) */
	int               fd;   /* until so owns it */
	struct sockio    *so;
	struct ws_decoder dec;
	char              accept[29];
	double            t_start, t_up, t_sent, t_hello, deadline;
	struct conn      *prev, *next;
};

struct mode {
	const char *name;
	void (*hello)(struct conn *);
	void (*msg)(struct conn *, const uint8_t *, size_t);
	/* after the conn was freed: bye = closed on purpose */
	void (*gone)(int slot, int role, int bye, int authed, const char *why);
};

/* A connect request formatted once but for its instanceId's pointer. */
struct tmpl {
	char  *pre, *post;
	size_t prelen, postlen;
};

static struct {
	struct event_base  *base;
	struct sockio_base *sb;
	char               *upgrade; /* the request, key to splice */
	size_t              upgrade_len, upgrade_key;
	struct tmpl         connect_req[2]; /* [role == 1] */
	char               *connect_buf;    /* big enough for either */
	const struct mode  *mode;
	struct sockaddr_in  dst;
	char                host[64];
	char                path[256];
	const char         *token;
	const char         *client_id;
	const char         *client_mode;
	const char         *extra_id; /* fanout: the extra client */
	const char         *extra_mode;
	const char         *scopes; /* JSON array text */
	int                 spread; /* -1: mode default */
	unsigned            src_next;
	unsigned            src_off;
	int                 inflight;
	double              timeout; /* seconds, per handshake */
	int                 rounds;
	double              quiet;
	double              deadline; /* -d: whole run, seconds */
	int                 verbose;
	struct conn        *conns;
	int                 nconns;
	int                 stop;
	double              t0;
	uint64_t            rng;
	/* failure reasons */
	struct {
		const char *why;
		long        n;
	} fails[32];
	int  nfails;
	long nfail;
} g;

/* ---------- small helpers ---------- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t
rnd32(void)
{
	/* xorshift64*: mask keys need not be secret from ourselves */
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	return (uint32_t)((g.rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct samples {
	double *v;
	size_t  n, cap;
};

static void
samples_add(struct samples *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		if ((s->v = realloc(s->v, s->cap * sizeof(*s->v))) == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	s->v[s->n++] = x;
}

static double
pct(const struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)s->n);
	if (i >= s->n)
		i = s->n - 1;
	return s->v[i];
}

static void
result(const char *name, double v, const char *unit)
{
	printf("RESULT %s=%.6g unit=%s\n", name, v, unit);
}

static void
count_fail(const char *why)
{
	int i;

	g.nfail++;
	for (i = 0; i < g.nfails; i++)
		if (strcmp(g.fails[i].why, why) == 0) {
			g.fails[i].n++;
			return;
		}
	if (g.nfails < (int)(sizeof(g.fails) / sizeof(g.fails[0]))) {
		g.fails[g.nfails].why = strdup(why);
		g.fails[g.nfails++].n = 1;
	}
}

static void
print_fails(void)
{
	int i;

	if (g.nfails == 0)
		return;
	fprintf(stderr, "loadgen: failures:");
	for (i = 0; i < g.nfails; i++)
		fprintf(stderr, " [%s] x%ld", g.fails[i].why, g.fails[i].n);
	fprintf(stderr, "\n");
}

static const void *
find(const uint8_t *d, size_t len, const char *needle)
{
	return memmem(d, len, needle, strlen(needle));
}

/* ---------- output ---------- */

/*
 * Output goes through common/sockio: appended here, sent at the end of
 * the loop pass in one sendmsg, a write event only while the kernel is
 * full.
 */
static void
queue_raw(struct conn *c, const void *data, size_t len)
{
	evbuffer_add(sockio_output(c->so), data, len);
}

/* A masked client frame, built in a reserved extent of the output. */
static void
queue_frame(struct conn *c, int opcode, const void *data, size_t len)
{
	struct evbuffer      *out = sockio_output(c->so);
	struct evbuffer_iovec v;
	uint8_t               mask[4], *p;
	uint32_t              m = rnd32();
	size_t                hl;

	memcpy(mask, &m, 4);
	if (evbuffer_reserve_space(out, (ev_ssize_t)(len + 14), &v, 1) != 1) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(1);
	}
	p = v.iov_base;
	hl = ws_frame_header(p, 1, opcode, len, mask);
	memcpy(p + hl, data, len);
	ws_mask(p + hl, len, mask, 0);
	v.iov_len = hl + len;
	evbuffer_commit_space(out, &v, 1);
}

/* ---------- connections ---------- */

static void conn_read(struct sockio *, struct evbuffer *, void *);
static void conn_drained(struct sockio *, void *);
static void conn_closed(struct sockio *, int, void *);
static int  dec_message(void *, int, const uint8_t *, size_t);
static int  dec_control(void *, int, const uint8_t *, size_t);

static const struct ws_decoder_cb dec_cb = { dec_message, dec_control };
static const struct sockio_cb     conn_cb = { conn_read, conn_drained,
	    conn_closed };

static void
conn_free(struct conn *c)
{
	if (c->so != NULL)
		sockio_free(c->so); /* closes the fd */
	else if (c->fd != -1)
		close(c->fd);
	ws_decoder_free(&c->dec);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (g.conns == c)
		g.conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	g.nconns--;
	free(c);
}

/*
 * End a connection: bye = on purpose, with a close frame (1000) written
 * now, behind whatever output is still queued; the fd is closed right
 * after, as the gateway's answer needs no reading.
 */
static void
conn_end(struct conn *c, int bye)
{
	const struct mode *m = g.mode;
	int                slot = c->slot, role = c->role;
	int                authed = c->state == ST_AUTHED;
	char               why[160];
	uint8_t            fr[14 + 2], mask[4];
	uint32_t           rm;
	size_t             n;
	struct evbuffer   *out;

	snprintf(why, sizeof(why), "%s", c->why ? c->why : "closed");
	if (bye && c->state >= ST_CHALLENGE && c->so != NULL) {
		rm = rnd32();
		memcpy(mask, &rm, 4);
		n = ws_frame_header(fr, 1, WS_OP_CLOSE, 2, mask);
		fr[n] = 0x03; /* 1000 */
		fr[n + 1] = 0xe8;
		ws_mask(fr + n, 2, mask, 0);
		n += 2;
		out = sockio_output(c->so);
		if (evbuffer_get_length(out) == 0)
			(void)send(sockio_fd(c->so), fr, n, MSG_NOSIGNAL);
		else {
			evbuffer_add(out, fr, n);
			(void)evbuffer_write(out, sockio_fd(c->so));
		}
	}
	conn_free(c);
	if (!bye && !g.stop)
		count_fail(why);
	if (m->gone != NULL)
		m->gone(slot, role, bye, authed, why);
}

/* A Sec-WebSocket-Key: 16 random bytes in base64 (a nonce, not a secret). */
static void
client_key(char out[25])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t  n[18];
	uint32_t r;
	int      i, o;

	for (i = 0; i < 16; i += 4) {
		r = rnd32();
		memcpy(n + i, &r, 4);
	}
	n[16] = n[17] = 0;
	for (i = o = 0; i < 18; i += 3) {
		r = (uint32_t)n[i] << 16 | (uint32_t)n[i + 1] << 8 | n[i + 2];
		out[o++] = b64[r >> 18 & 63];
		out[o++] = b64[r >> 12 & 63];
		out[o++] = b64[r >> 6 & 63];
		out[o++] = b64[r & 63];
	}
	out[22] = out[23] = '=';
	out[24] = '\0';
}

static void
upgrade_request(struct conn *c)
{
	char key[25];

	client_key(key);
	ws_accept_key(key, c->accept);
	/* the request around the key was formatted once, in main */
	memcpy(g.upgrade + g.upgrade_key, key, 24);
	queue_raw(c, g.upgrade, g.upgrade_len);
}

/*
 * Start a connection.  Returns the conn, or NULL after counting the
 * failure (the mode's gone() is NOT called in that case).  The upgrade
 * request is queued at once: on loopback the connect is done when
 * connect() returns, and if not, the send waits for the write event.
 */
static struct conn *
conn_start(int slot, int role, int spread)
{
	struct conn       *c;
	struct sockaddr_in src;
	int                one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		perror("calloc");
		exit(1);
	}
	c->slot = slot;
	c->role = role;
	c->fd = -1;
	c->t_start = now();
	c->deadline = c->t_start + g.timeout;
	c->next = g.conns;
	if (g.conns != NULL)
		g.conns->prev = c;
	g.conns = c;
	g.nconns++;
	ws_decoder_init(&c->dec, &dec_cb, c, 0, MAX_MESSAGE);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		c->why = errno == EMFILE ? "socket: EMFILE" : "socket error";
		goto fail;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (spread) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(
		    0x7f000002u + (g.src_off + g.src_next++) % SRC_COUNT);
		(void)setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
		    &one, sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			c->why = "bind error";
			goto fail;
		}
	}
	if (connect(c->fd, (struct sockaddr *)&g.dst, sizeof(g.dst)) == -1 &&
	    errno != EINPROGRESS) {
		c->why = errno == ECONNREFUSED ? "connect: refused" :
		    errno == EADDRNOTAVAIL     ? "connect: EADDRNOTAVAIL" :
		                                 "connect error";
		goto fail;
	}
	if ((c->so = sockio_new(g.sb, c->fd, &conn_cb, c)) == NULL) {
		c->why = "sockio_new";
		goto fail;
	}
	c->fd = -1; /* sockio's now */
	sockio_set_read_max(c->so, READ_MAX);
	c->state = ST_CONNECTING;
	upgrade_request(c);
	return c;
fail:
	count_fail(c->why);
	conn_free(c);
	return NULL;
}

static void
send_connect(struct conn *c)
{
	const struct tmpl *t = &g.connect_req[c->role == 1];
	char              *buf = g.connect_buf, *p;
	uintptr_t          v = (uintptr_t)c;
	int                i, n;

	/* instanceId "loadgen-PID-%p", the rest formatted once in main */
	p = buf;
	memcpy(p, t->pre, t->prelen);
	p += t->prelen;
	*p++ = '0';
	*p++ = 'x';
	for (n = 1; n < (int)sizeof(v) * 2 && (v >> (4 * n)) != 0; n++)
		;
	for (i = n - 1; i >= 0; i--)
		*p++ = "0123456789abcdef"[(v >> (4 * i)) & 15];
	memcpy(p, t->post, t->postlen);
	p += t->postlen;
	queue_frame(c, WS_OP_TEXT, buf, (size_t)(p - buf));
	c->t_sent = now();
	c->state = ST_HELLO;
}

static int
dec_message(void *arg, int opcode, const uint8_t *data, size_t len)
{
	struct conn *c = arg;
	static int   shown;

	(void)opcode;
	switch (c->state) {
	case ST_CHALLENGE:
		if (find(data, len, "connect.challenge") == NULL) {
			c->why = "no connect.challenge first";
			c->dead = DEAD_FAIL;
			return -1;
		}
		send_connect(c);
		return 0;
	case ST_HELLO:
		if (find(data, len, "\"hello-ok\"") == NULL) {
			if (find(data, len, "\"type\":\"event\"") != NULL)
				return 0; /* an event before the res */
			if (!shown++)
				fprintf(stderr,
				    "loadgen: connect refused: "
				    "%.*s\n",
				    (int)(len > 400 ? 400 : len),
				    (const char *)data);
			c->why = "connect rejected";
			c->dead = DEAD_FAIL;
			return -1;
		}
		c->t_hello = now();
		c->state = ST_AUTHED;
		if (g.mode->hello != NULL)
			g.mode->hello(c);
		return c->dead ? -1 : 0;
	case ST_AUTHED:
		if (g.mode->msg != NULL)
			g.mode->msg(c, data, len);
		return c->dead ? -1 : 0;
	}
	return 0;
}

static int
dec_control(void *arg, int opcode, const uint8_t *data, size_t len)
{
	struct conn *c = arg;

	if (opcode == WS_OP_PING)
		queue_frame(c, WS_OP_PONG, data, len);
	else if (opcode == WS_OP_CLOSE) {
		c->why = "closed by server";
		if (len >= 2) {
			static char buf[32][160];
			static int  k;
			char       *b = buf[k++ % 32];

			snprintf(b, 160, "closed by server %u %.*s",
			    (unsigned)(data[0] << 8 | data[1]), (int)len - 2,
			    (const char *)data + 2);
			c->why = b;
		}
		c->dead = DEAD_FAIL;
		return -1;
	}
	return 0;
}

/*
 * The upgrade response, h[0..len) (not NUL-terminated): 101 and the
 * right accept key.  1 with *used = the head's length, 0 for more, -1.
 */
static int
upgrade_done(struct conn *c, const char *h, size_t len, size_t *used)
{
	const char *end, *p, *line;
	int         status = 0, i;
	static char why[64];

	if ((end = memmem(h, len < HEAD_MAX ? len : HEAD_MAX, "\r\n\r\n", 4)) ==
	    NULL) {
		if (len >= HEAD_MAX) {
			c->why = "upgrade response too big";
			return -1;
		}
		return 0;
	}
	*used = (size_t)(end + 4 - h);
	/* "HTTP/1.x NNN" */
	p = h + 7;
	if (end - h >= 9 && memcmp(h, "HTTP/1.", 7) == 0 && p[0] >= '0' &&
	    p[0] <= '9') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
		for (; *p == ' '; p++)
			;
		for (i = 0; p < end && i < 9 && *p >= '0' && *p <= '9';
		     p++, i++)
			status = status * 10 + (*p - '0');
	}
	if (status != 101) {
		snprintf(why, sizeof(why), "upgrade: HTTP %d", status);
		c->why = why;
		return -1;
	}
	/* header lines up to the blank one: end points at its CRLF */
	for (line = h;
	     (p = memmem(line, (size_t)(end - line), "\r\n", 2)) != NULL;
	     line = p) {
		p += 2;
		if ((size_t)(end - p) >= 21 &&
		    strncasecmp(p, "Sec-WebSocket-Accept:", 21) == 0) {
			p += 21;
			while (p < end && *p == ' ')
				p++;
			if ((size_t)(end - p) < 28 ||
			    memcmp(p, c->accept, 28) != 0) {
				c->why = "bad Sec-WebSocket-Accept";
				return -1;
			}
			return 1;
		}
	}
	c->why = "no Sec-WebSocket-Accept";
	return -1;
}

/* The upgrade request went out whole: the connect is done. */
static void
conn_drained(struct sockio *so, void *arg)
{
	struct conn *c = arg;

	(void)so;
	if (c->state == ST_CONNECTING)
		c->state = ST_UPGRADE;
}

static void
conn_read(struct sockio *so, struct evbuffer *in, void *arg)
{
	struct conn          *c = arg;
	struct evbuffer_iovec v[8];
	size_t                len, used = 0, fed;
	int                   i, nv, r;

	(void)so;
	if (c->state < ST_CHALLENGE) {
		len = evbuffer_get_length(in);
		r = upgrade_done(c,
		    (const char *)evbuffer_pullup(in,
		        (ev_ssize_t)(len < HEAD_MAX ? len : HEAD_MAX)),
		    len, &used);
		if (r <= 0) {
			if (r < 0)
				conn_end(c, 0);
			return;
		}
		evbuffer_drain(in, used);
		c->state = ST_CHALLENGE;
		c->t_up = now();
	}
	/* frames: fed straight from the input's chains */
	while (c->dead == DEAD_NO && evbuffer_get_length(in) > 0) {
		nv = evbuffer_peek(in, -1, NULL, v, 8);
		if (nv > 8)
			nv = 8;
		fed = 0;
		for (i = 0; i < nv && c->dead == DEAD_NO; i++) {
			if (ws_decoder_feed(&c->dec, v[i].iov_base,
			        v[i].iov_len) == -1 &&
			    c->dead == DEAD_NO) {
				c->why = c->dec.error ? c->dec.error :
				                        "ws protocol error";
				c->dead = DEAD_FAIL;
			}
			fed += v[i].iov_len;
		}
		evbuffer_drain(in, fed);
	}
	if (c->dead != DEAD_NO)
		conn_end(c, c->dead == DEAD_BYE);
}

/* End of file or a socket error, at any stage. */
static void
conn_closed(struct sockio *so, int error, void *arg)
{
	struct conn *c = arg;

	(void)so;
	if (error == 0)
		c->why = c->state == ST_AUTHED ? "eof after hello" :
		                                 "eof before hello";
	else if (c->state == ST_CONNECTING)
		c->why = error == ECONNREFUSED ? "connect: refused" :
		    error == ETIMEDOUT         ? "connect: timed out" :
		                                 "connect error";
	else
		c->why = error == EPIPE || error == ECONNRESET ?
		    "reset by peer" :
		    "socket error";
	conn_end(c, 0);
}

/* Handshakes that take too long fail. */
static void
sweep(evutil_socket_t fd, short ev, void *arg)
{
	struct conn *c, *next;
	double       t = now();

	(void)fd;
	(void)ev;
	(void)arg;
	for (c = g.conns; c != NULL; c = next) {
		next = c->next;
		if (c->state != ST_AUTHED && t > c->deadline) {
			c->why = c->state == ST_CONNECTING ?
			    "timeout connecting" :
			    c->state == ST_UPGRADE   ? "timeout in upgrade" :
			    c->state == ST_CHALLENGE ? "timeout for challenge" :
			                               "timeout for hello-ok";
			conn_end(c, 0);
		}
	}
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	g.stop = 1;
	event_base_loopbreak(g.base);
}

static void
later(double secs, event_callback_fn fn, void *arg)
{
	struct timeval tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	event_base_once(g.base, -1, EV_TIMEOUT, fn, arg, &tv);
}

static void
stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	event_base_loopbreak(g.base);
}

static void
deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	fprintf(stderr, "loadgen: deadline of %.0f s reached\n", g.deadline);
	g.stop = 1;
	event_base_loopbreak(g.base);
}

static int
spread_for(int dflt)
{
	return g.spread == -1 ? dflt : g.spread;
}

/* ---------- latency N ---------- */

static struct {
	long           n, done, started, warm;
	struct samples s;
} lat;

static void lat_next(void);

static void
lat_hello(struct conn *c)
{
	if (lat.done++ >= lat.warm)
		samples_add(&lat.s, (c->t_hello - c->t_start) * 1e3);
	c->dead = DEAD_BYE;
}

static void
lat_gone(int slot, int role, int bye, int authed, const char *why)
{
	(void)slot;
	(void)role;
	(void)bye;
	(void)authed;
	(void)why;
	lat_next();
}

static void
lat_next(void)
{
	while (!g.stop && lat.started < lat.n + lat.warm) {
		lat.started++;
		if (conn_start(0, 0, spread_for(0)) != NULL)
			return;
	}
	event_base_loopbreak(g.base);
}

static const struct mode lat_mode = { "latency", lat_hello, NULL, lat_gone };

static int
run_latency(long n)
{
	lat.n = n;
	lat.warm = n >= 100 ? 20 : 0;
	lat_next();
	event_base_dispatch(g.base);
	if (lat.s.n == 0) {
		print_fails();
		fprintf(stderr, "loadgen: no handshake succeeded\n");
		return 1;
	}
	qsort(lat.s.v, lat.s.n, sizeof(double), dcmp);
	result("hello_p50", pct(&lat.s, 50), "ms");
	result("hello_p90", pct(&lat.s, 90), "ms");
	result("hello_p99", pct(&lat.s, 99), "ms");
	result("hello_max", lat.s.v[lat.s.n - 1], "ms");
	result("hello_ok", (double)lat.s.n, "count");
	result("hello_failed", (double)g.nfail, "count");
	printf("# connect->hello-ok over %zu sequential connections (%ld "
	       "failed, %ld warm-up not counted): p50 %.3f ms  p90 %.3f ms  "
	       "p99 %.3f ms  max %.3f ms\n",
	    lat.s.n, g.nfail, lat.warm, pct(&lat.s, 50), pct(&lat.s, 90),
	    pct(&lat.s, 99), lat.s.v[lat.s.n - 1]);
	print_fails();
	return 0;
}

/* ---------- handshakes C SECONDS ---------- */

static struct {
	int            c;
	double         t_warm, t_end;
	long           count, failed, total;
	struct samples s;
} hs;

static void hs_start(int slot);

static void
hs_retry(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	hs_start((int)(intptr_t)arg);
}

static void
hs_start(int slot)
{
	if (g.stop)
		return;
	if (conn_start(slot, 0, spread_for(1)) == NULL) {
		hs.failed++;
		later(0.01, hs_retry, (void *)(intptr_t)slot);
	}
}

static void
hs_hello(struct conn *c)
{
	hs.total++;
	if (c->t_hello >= hs.t_warm && c->t_hello < hs.t_end) {
		hs.count++;
		samples_add(&hs.s, (c->t_hello - c->t_start) * 1e3);
	}
	c->dead = DEAD_BYE;
}

static void
hs_gone(int slot, int role, int bye, int authed, const char *why)
{
	(void)role;
	(void)authed;
	(void)why;
	if (g.stop)
		return;
	if (bye)
		hs_start(slot);
	else {
		hs.failed++;
		later(0.01, hs_retry, (void *)(intptr_t)slot);
	}
}

static const struct mode hs_mode = { "handshakes", hs_hello, NULL, hs_gone };

static int
run_handshakes(int cc, double secs)
{
	double warm = secs * 0.1 < 1.0 ? secs * 0.1 : 1.0, t;
	int    i;

	hs.c = cc;
	t = now();
	hs.t_warm = t + warm;
	hs.t_end = t + secs;
	for (i = 0; i < cc; i++)
		hs_start(i);
	later(secs, stop_cb, NULL);
	event_base_dispatch(g.base);
	g.stop = 1;
	t = secs - warm;
	qsort(hs.s.v, hs.s.n, sizeof(double), dcmp);
	result("handshakes_per_s", (double)hs.count / t, "1/s");
	result("handshakes_p50", pct(&hs.s, 50), "ms");
	result("handshakes_p99", pct(&hs.s, 99), "ms");
	result("handshakes_failed", (double)hs.failed, "count");
	result("handshakes_total", (double)hs.total, "count");
	printf("# %d concurrent clients looping connect->hello-ok->close: "
	       "%.0f handshakes/s over %.1f s (%ld counted, %ld failed; "
	       "p50 %.3f ms, p99 %.3f ms each)\n",
	    cc, (double)hs.count / t, t, hs.count, hs.failed, pct(&hs.s, 50),
	    pct(&hs.s, 99));
	print_fails();
	return hs.count > 0 ? 0 : 1;
}

/* ---------- idle N [SECONDS] ---------- */

static struct {
	long   n, started, up, failed, lost;
	double secs, t_up;
	int    ready;
} idl;

static void idle_fill(void);

static void
idle_check_ready(void)
{
	if (idl.ready || idl.up + idl.failed < idl.n)
		return;
	idl.ready = 1;
	idl.t_up = now();
	result("idle_up", (double)idl.up, "clients");
	result("idle_failed", (double)idl.failed, "clients");
	result("idle_ramp", idl.t_up - g.t0, "s");
	printf("# READY %ld of %ld idle clients authenticated in %.2f s "
	       "(%ld failed)\n",
	    idl.up, idl.n, idl.t_up - g.t0, idl.failed);
	fflush(stdout);
	print_fails();
	if (idl.secs > 0)
		later(idl.secs, stop_cb, NULL);
}

static void
idle_hello(struct conn *c)
{
	(void)c;
	idl.up++;
}

static void
idle_gone(int slot, int role, int bye, int authed, const char *why)
{
	(void)slot;
	(void)role;
	(void)bye;
	if (g.stop)
		return;
	if (authed) {
		idl.up--;
		idl.lost++;
		if (idl.lost <= 3)
			fprintf(stderr, "loadgen: idle client lost: %s\n", why);
	} else
		idl.failed++;
	idle_fill();
	idle_check_ready();
}

static void
idle_fill(void)
{
	long pending = idl.started - idl.up - idl.failed - idl.lost;

	while (!g.stop && idl.started < idl.n && pending < g.inflight) {
		idl.started++;
		if (conn_start((int)idl.started, 0, spread_for(1)) == NULL)
			idl.failed++;
		else
			pending++;
	}
}

static void
idle_hello_fill(struct conn *c)
{
	idle_hello(c);
	idle_fill();
	idle_check_ready();
}

static const struct mode idle_mode = { "idle", idle_hello_fill, NULL,
	idle_gone };

static int
run_idle(long n, double secs)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (rlim_t)n + 16 > rl.rlim_cur)
		fprintf(stderr,
		    "loadgen: warning: %ld clients but a "
		    "descriptor limit of %lu\n",
		    n, (unsigned long)rl.rlim_cur);
	idl.n = n;
	idl.secs = secs;
	idle_fill();
	idle_check_ready();
	event_base_dispatch(g.base);
	result("idle_held", (double)idl.up, "clients");
	result("idle_lost", (double)idl.lost, "clients");
	printf("# idle: held %ld clients at the end (%ld lost while held)\n",
	    idl.up, idl.lost);
	return idl.up > 0 ? 0 : 1;
}

/* ---------- rps W SECONDS ---------- */

static struct {
	int          w;
	double       secs, t_begin, t_warm, t_end;
	long         sent, recv, counted, errors;
	int          shown;
	struct conn *c;
} rps;

static void
rps_send(struct conn *c)
{
	char buf[96];
	int  n;

	n = snprintf(buf, sizeof(buf),
	    "{\"type\":\"req\",\"id\":\"h%ld\","
	    "\"method\":\"health\"}",
	    ++rps.sent);
	queue_frame(c, WS_OP_TEXT, buf, (size_t)n);
}

static void
rps_hello(struct conn *c)
{
	int    i;
	double warm = rps.secs * 0.1 < 1.0 ? rps.secs * 0.1 : 1.0;

	rps.c = c;
	rps.t_begin = now();
	rps.t_warm = rps.t_begin + warm;
	rps.t_end = rps.t_begin + rps.secs;
	for (i = 0; i < rps.w; i++)
		rps_send(c);
	later(rps.secs, stop_cb, NULL);
}

static void
rps_msg(struct conn *c, const uint8_t *d, size_t len)
{
	double t;

	if (find(d, len < 64 ? len : 64, "\"res\"") == NULL)
		return; /* an event */
	if (find(d, len < 128 ? len : 128, "\"ok\":true") == NULL) {
		rps.errors++;
		if (!rps.shown++)
			fprintf(stderr, "loadgen: health failed: %.*s\n",
			    (int)(len > 300 ? 300 : len), (const char *)d);
	}
	rps.recv++;
	t = now();
	if (t >= rps.t_warm && t < rps.t_end)
		rps.counted++;
	if (t < rps.t_end)
		rps_send(c);
}

static void
rps_gone(int slot, int role, int bye, int authed, const char *why)
{
	(void)slot;
	(void)role;
	(void)bye;
	(void)authed;
	fprintf(stderr, "loadgen: rps connection ended: %s\n", why);
	rps.c = NULL;
	event_base_loopbreak(g.base);
}

static const struct mode rps_mode = { "rps", rps_hello, rps_msg, rps_gone };

static int
run_rps(int w, double secs)
{
	double t;

	rps.w = w;
	rps.secs = secs;
	if (conn_start(0, 0, spread_for(0)) == NULL) {
		print_fails();
		return 1;
	}
	event_base_dispatch(g.base);
	t = rps.t_end - rps.t_warm;
	if (rps.recv == 0 || t <= 0) {
		print_fails();
		fprintf(stderr, "loadgen: no health response\n");
		return 1;
	}
	result("health_rps", (double)rps.counted / t, "1/s");
	result("health_errors", (double)rps.errors, "count");
	result("health_total", (double)rps.recv, "count");
	printf("# one connection, %d health requests in flight: %.0f round "
	       "trips/s over %.1f s (%ld responses, %ld not ok)\n",
	    w, (double)rps.counted / t, t, rps.recv, rps.errors);
	return rps.errors == rps.recv ? 1 : 0;
}

/* ---------- fanout N ---------- */

static struct {
	long           n, started, up, failed;
	int            round, active, ready;
	long           remaining;
	double         t_round, t_last_presence, t_quiet_from;
	size_t         last_len;
	struct conn   *extra;
	struct samples from_sent, from_hello;
	long           incomplete;
} fo;

static void fo_fill(void);
static void fo_quiet_check(evutil_socket_t, short, void *);

static void
fo_round_end(evutil_socket_t fd, short ev, void *arg)
{
	struct conn *c;

	(void)fd;
	(void)ev;
	(void)arg;
	if (fo.extra != NULL) {
		c = fo.extra;
		fo.extra = NULL;
		conn_end(c, 1);
	}
	fo.t_quiet_from = now();
	later(0.05, fo_quiet_check, NULL);
}

static void
fo_round_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	if ((intptr_t)arg != fo.round || !fo.active)
		return;
	fo.active = 0;
	fo.incomplete++;
	fprintf(stderr,
	    "loadgen: fanout round %d: %ld of %ld clients got no "
	    "presence within 30 s\n",
	    fo.round, fo.remaining, fo.up);
	fo_round_end(-1, 0, NULL);
}

static void
fo_start_round(void)
{
	struct conn *c;

	fo.round++;
	fo.remaining = 0;
	for (c = g.conns; c != NULL; c = c->next)
		if (c->role == 0 && c->state == ST_AUTHED) {
			c->got = 0;
			fo.remaining++;
		}
	fo.active = 1;
	fo.t_round = now();
	fo.extra = conn_start(-1, 1, spread_for(1));
	if (fo.extra == NULL) {
		fprintf(stderr, "loadgen: fanout: extra client failed\n");
		event_base_loopbreak(g.base);
		return;
	}
	later(30, fo_round_timeout, (void *)(intptr_t)fo.round);
}

static void
fo_quiet_check(evutil_socket_t fd, short ev, void *arg)
{
	double t = now();

	(void)fd;
	(void)ev;
	(void)arg;
	if (g.stop)
		return;
	if (fo.round >= g.rounds) {
		event_base_loopbreak(g.base);
		return;
	}
	if (t - fo.t_quiet_from >= g.quiet &&
	    t - fo.t_last_presence >= g.quiet) {
		fo_start_round();
		return;
	}
	if (t - fo.t_quiet_from > 60) {
		fprintf(stderr, "loadgen: fanout: presence never went quiet\n");
		event_base_loopbreak(g.base);
		return;
	}
	later(0.05, fo_quiet_check, NULL);
}

static void
fo_check_ready(void)
{
	if (fo.ready || fo.up + fo.failed < fo.n)
		return;
	fo.ready = 1;
	printf("# fanout: %ld clients (%s/%s, operator.read) up in %.2f s "
	       "(%ld failed)\n",
	    fo.up, g.client_id, g.client_mode, now() - g.t0, fo.failed);
	fflush(stdout);
	if (fo.up == 0) {
		event_base_loopbreak(g.base);
		return;
	}
	fo.t_quiet_from = now();
	later(0.05, fo_quiet_check, NULL);
}

static void
fo_hello(struct conn *c)
{
	if (c->role == 1)
		return;
	fo.up++;
	fo_fill();
	fo_check_ready();
}

static void
fo_msg(struct conn *c, const uint8_t *d, size_t len)
{
	double t;

	if (c->role != 0 ||
	    find(d, len < 80 ? len : 80, "\"event\":\"presence\"") == NULL)
		return;
	t = now();
	fo.t_last_presence = t;
	fo.last_len = len;
	if (!fo.active || c->got || fo.extra == NULL || fo.extra->t_sent == 0)
		return;
	c->got = 1;
	if (--fo.remaining > 0)
		return;
	fo.active = 0;
	samples_add(&fo.from_sent, (t - fo.extra->t_sent) * 1e3);
	samples_add(&fo.from_hello,
	    (t - (fo.extra->t_hello > 0 ? fo.extra->t_hello : t)) * 1e3);
	if (g.verbose)
		fprintf(stderr,
		    "fanout round %d: %.3f ms (extra: upgrade "
		    "%.3f ms, challenge+connect sent %.3f ms, hello-ok %.3f "
		    "ms after start)\n",
		    fo.round, (t - fo.extra->t_sent) * 1e3,
		    (fo.extra->t_up - fo.extra->t_start) * 1e3,
		    (fo.extra->t_sent - fo.extra->t_start) * 1e3,
		    (fo.extra->t_hello - fo.extra->t_start) * 1e3);
	later(0, fo_round_end, NULL);
}

static void
fo_gone(int slot, int role, int bye, int authed, const char *why)
{
	(void)slot;
	(void)bye;
	if (g.stop)
		return;
	if (role == 1) {
		if (fo.extra != NULL) {
			/* the extra failed during its round */
			fo.extra = NULL;
			fprintf(stderr, "loadgen: fanout extra: %s\n", why);
		}
		return;
	}
	if (authed)
		fo.up--;
	else
		fo.failed++;
	if (!fo.ready) {
		fo_fill();
		fo_check_ready();
	}
}

static void
fo_fill(void)
{
	long pending = fo.started - fo.up - fo.failed;

	while (!g.stop && fo.started < fo.n && pending < g.inflight) {
		fo.started++;
		if (conn_start((int)fo.started, 0, spread_for(1)) == NULL)
			fo.failed++;
		else
			pending++;
	}
}

static const struct mode fo_mode = { "fanout", fo_hello, fo_msg, fo_gone };

static int
run_fanout(long n)
{
	fo.n = n;
	fo_fill();
	fo_check_ready();
	event_base_dispatch(g.base);
	if (fo.from_sent.n == 0) {
		print_fails();
		fprintf(stderr, "loadgen: fanout: no complete round\n");
		return 1;
	}
	qsort(fo.from_sent.v, fo.from_sent.n, sizeof(double), dcmp);
	qsort(fo.from_hello.v, fo.from_hello.n, sizeof(double), dcmp);
	result("fanout_ms", pct(&fo.from_sent, 50), "ms");
	result("fanout_min_ms", fo.from_sent.v[0], "ms");
	result("fanout_max_ms", fo.from_sent.v[fo.from_sent.n - 1], "ms");
	result("fanout_after_hello_ms", pct(&fo.from_hello, 50), "ms");
	result("fanout_clients", (double)fo.up, "clients");
	result("fanout_event_bytes", (double)fo.last_len, "bytes");
	printf("# presence fan-out to %ld %s/%s clients, %zu rounds (%ld "
	       "incomplete): median %.2f ms from the new %s/%s client's connect "
	       "request to the last delivery (min %.2f, max %.2f; %.2f ms after "
	       "its hello-ok); event %zu bytes\n",
	    fo.up, g.client_id, g.client_mode, fo.from_sent.n, fo.incomplete,
	    pct(&fo.from_sent, 50), g.extra_id ? g.extra_id : g.client_id,
	    g.extra_mode ? g.extra_mode : g.client_mode, fo.from_sent.v[0],
	    fo.from_sent.v[fo.from_sent.n - 1], pct(&fo.from_hello, 50),
	    fo.last_len);
	print_fails();
	return 0;
}

/* ---------- main ---------- */

static char *
fmt(size_t *lenp, const char *f, ...)
{
	va_list ap;
	char   *p;
	int     n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0 || (p = malloc((size_t)n + 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	va_start(ap, f);
	(void)vsnprintf(p, (size_t)n + 1, f, ap);
	va_end(ap);
	*lenp = (size_t)n;
	return p;
}

/*
 * What every connection sends, formatted once: the upgrade request with
 * room for its key, and the connect request of either role around its
 * instanceId's pointer.
 */
static void
make_templates(void)
{
	static const char keyhole[] = "Sec-WebSocket-Key: ";
	struct tmpl      *t;
	size_t            max = 0;
	int               role;

	g.upgrade = fmt(&g.upgrade_len,
	    "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "%s0123456789012345678901==\r\nSec-WebSocket-Version: 13\r\n"
	    "User-Agent: openclaw-loadgen\r\n\r\n",
	    g.path, g.host, keyhole);
	g.upgrade_key = (size_t)(strstr(g.upgrade, keyhole) - g.upgrade) +
	    sizeof(keyhole) - 1;
	for (role = 0; role < 2; role++) {
		t = &g.connect_req[role];
		t->pre = fmt(&t->prelen,
		    "{\"type\":\"req\",\"id\":\"c1\","
		    "\"method\":\"connect\",\"params\":{\"minProtocol\":4,"
		    "\"maxProtocol\":4,\"client\":{\"id\":\"%s\","
		    "\"version\":\"bench\",\"platform\":\"linux\","
		    "\"mode\":\"%s\",\"instanceId\":\"loadgen-%d-",
		    role == 1 && g.extra_id ? g.extra_id : g.client_id,
		    role == 1 && g.extra_mode ? g.extra_mode : g.client_mode,
		    (int)getpid());
		t->post = fmt(&t->postlen,
		    "\"},\"role\":\"operator\","
		    "\"scopes\":%s,\"auth\":{\"token\":\"%s\"}}}",
		    g.scopes, g.token);
		if (t->prelen + t->postlen > max)
			max = t->prelen + t->postlen;
	}
	/* 2 + 16 hex digits of the pointer */
	if ((g.connect_buf = malloc(max + 2 + 2 * sizeof(uintptr_t))) == NULL) {
		perror("malloc");
		exit(1);
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen [-u ws://127.0.0.1:PORT] [-t TOKEN] [-i INFLIGHT]\n"
	    "               [-s 0|1] [-o SRC_OFFSET] [-T TIMEOUT_S] [-r ROUNDS]\n"
	    "               [-c CLIENT_ID] [-m CLIENT_MODE] [-C EXTRA_ID]\n"
	    "               [-M EXTRA_MODE] [-q QUIET_S] [-d DEADLINE_S] [-v]\n"
	    "               MODE ARGS\n"
	    "modes: latency N | handshakes C SECONDS | idle N [SECONDS] |\n"
	    "       rps W SECONDS | fanout N\n"
	    "-s 1 spreads source addresses over 127.0.0.2-254 (default for\n"
	    "idle, handshakes, fanout); -o shifts where the spread begins.\n"
	    "fanout: N clients (-c/-m, default openclaw-control-ui/ui) with\n"
	    "operator.read; then, -r times, one more (-C/-M, default the same)\n"
	    "connects, after -q seconds without presence events.\n");
	exit(2);
}

static void
parse_url(const char *url)
{
	const char *p, *slash, *colon;
	char        host[64];
	long        port = 80;
	size_t      hl;

	if (strncmp(url, "ws://", 5) != 0)
		usage();
	p = url + 5;
	slash = strchr(p, '/');
	colon = strchr(p, ':');
	if (colon != NULL && (slash == NULL || colon < slash)) {
		hl = (size_t)(colon - p);
		port = strtol(colon + 1, NULL, 10);
	} else
		hl = slash ? (size_t)(slash - p) : strlen(p);
	if (hl == 0 || hl >= sizeof(host))
		usage();
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	memset(&g.dst, 0, sizeof(g.dst));
	g.dst.sin_family = AF_INET;
	g.dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &g.dst.sin_addr) != 1 ||
	    (ntohl(g.dst.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "loadgen: only 127.0.0.0/8 addresses\n");
		exit(2);
	}
	snprintf(g.host, sizeof(g.host), "%s:%ld", host, port);
	snprintf(g.path, sizeof(g.path), "%s", slash ? slash : "/");
}

int
main(int argc, char **argv)
{
	const char    *url = "ws://127.0.0.1:18789";
	struct event  *sv, *si, *st;
	struct timeval tv = { 0, 250000 };
	int            ch, rv = 2;

	g.token = getenv("OPENCLAW_GATEWAY_TOKEN");
	g.client_id = NULL;
	g.client_mode = NULL;
	g.spread = -1;
	g.inflight = 256;
	g.timeout = 20;
	g.rounds = 7;
	g.quiet = 0.4;
	while ((ch = getopt(argc, argv, "u:t:i:s:o:T:r:c:m:C:M:q:d:v")) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 't':
			g.token = optarg;
			break;
		case 'i':
			g.inflight = atoi(optarg);
			break;
		case 's':
			g.spread = atoi(optarg) != 0;
			break;
		case 'o':
			g.src_off = (unsigned)atoi(optarg);
			break;
		case 'T':
			g.timeout = atof(optarg);
			break;
		case 'r':
			g.rounds = atoi(optarg);
			break;
		case 'c':
			g.client_id = optarg;
			break;
		case 'm':
			g.client_mode = optarg;
			break;
		case 'C':
			g.extra_id = optarg;
			break;
		case 'M':
			g.extra_mode = optarg;
			break;
		case 'q':
			g.quiet = atof(optarg);
			break;
		case 'd':
			g.deadline = atof(optarg);
			break;
		case 'v':
			g.verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || g.token == NULL || g.inflight < 1)
		usage();
	parse_url(url);
	g.rng = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL ^
	    (uint64_t)(now() * 1e9);
	if (g.rng == 0)
		g.rng = 1;
	signal(SIGPIPE, SIG_IGN);
	log_init("loadgen", 0);
	if ((g.base = event_base_new()) == NULL ||
	    (g.sb = sockio_base_new(g.base)) == NULL) {
		fprintf(stderr, "loadgen: event_base_new failed\n");
		return 1;
	}
	sv = event_new(g.base, -1, EV_PERSIST, sweep, NULL);
	event_add(sv, &tv);
	si = evsignal_new(g.base, SIGINT, on_signal, NULL);
	st = evsignal_new(g.base, SIGTERM, on_signal, NULL);
	event_add(si, NULL);
	event_add(st, NULL);
	g.t0 = now();
	if (g.deadline > 0)
		later(g.deadline, deadline_cb, NULL);
	g.scopes = "[\"operator.read\"]";
	if (strcmp(argv[0], "fanout") != 0) {
		if (g.client_id == NULL)
			g.client_id = "cli";
		if (g.client_mode == NULL)
			g.client_mode = "cli";
	} else {
		if (g.client_id == NULL)
			g.client_id = "openclaw-control-ui";
		if (g.client_mode == NULL)
			g.client_mode = "ui";
	}
	make_templates();
	if (strcmp(argv[0], "latency") == 0) {
		g.mode = &lat_mode;
		rv = run_latency(atol(argv[1]));
	} else if (strcmp(argv[0], "handshakes") == 0 && argc >= 3) {
		g.mode = &hs_mode;
		rv = run_handshakes(atoi(argv[1]), atof(argv[2]));
	} else if (strcmp(argv[0], "idle") == 0) {
		g.mode = &idle_mode;
		rv = run_idle(atol(argv[1]), argc > 2 ? atof(argv[2]) : 0);
	} else if (strcmp(argv[0], "rps") == 0 && argc >= 3) {
		g.mode = &rps_mode;
		rv = run_rps(atoi(argv[1]), atof(argv[2]));
	} else if (strcmp(argv[0], "fanout") == 0) {
		g.mode = &fo_mode;
		rv = run_fanout(atol(argv[1]));
	} else
		usage();
	fflush(stdout);
	/* the remaining connections close with the process */
	return rv;
}
