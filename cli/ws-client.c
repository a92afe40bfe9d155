#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/util.h"
#include "common/ws/frame.h"
#include "common/xmalloc.h"
#include "cli/ws-client.h"

/* Upgrade responses are a few hundred bytes; this bounds a hostile one. */
#define WS_CLIENT_HEAD_MAX  16384
#define WS_CLIENT_READ_SIZE 16384
#define WS_NO_DEADLINE      UINT64_MAX

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE instead */
#endif

struct ws_client_msg {
	struct ws_client_msg *next;
	int                   opcode;
	size_t                len;
	char                  data[]; /* len bytes + NUL */
};

struct ws_client {
	int               fd;
	int               send_timeout_ms;
	struct ws_decoder dec;

	/* messages decoded but not yet returned by ws_client_recv */
	struct ws_client_msg *q_head;
	struct ws_client_msg *q_tail;
	struct ws_client_msg *delivered; /* freed by the next recv */

	int      failed;
	int      closing; /* we sent close: drop data */
	int      close_sent;
	int      close_received; /* close frame or EOF */
	uint16_t close_code;
	char     close_reason[124];
	char     error[256];
};

struct ws_url {
	char *host; /* brackets stripped */
	char *port;
	char *path;      /* request target, "/" at least */
	char *authority; /* Host header: as written in the URL */
};

static int ws_client_on_message(void *, int, const uint8_t *, size_t);
static int ws_client_on_control(void *, int, const uint8_t *, size_t);

static const struct ws_decoder_cb ws_client_cb = {
	ws_client_on_message,
	ws_client_on_control,
};

static uint64_t
deadline_in(int timeout_ms)
{
	if (timeout_ms < 0)
		return WS_NO_DEADLINE;
	return util_mono_ms() + (uint64_t)timeout_ms;
}

/* Milliseconds left for poll(): -1 without a deadline, 0 once past. */
static int
deadline_left(uint64_t deadline)
{
	uint64_t now;

	if (deadline == WS_NO_DEADLINE)
		return -1;
	now = util_mono_ms();
	if (now >= deadline)
		return 0;
	if (deadline - now > INT32_MAX)
		return INT32_MAX;
	return (int)(deadline - now);
}

/* 1 when fd is ready (or in error: the next call reports it), 0 on timeout. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd;
	int           rv;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rv = poll(&pfd, 1, deadline_left(deadline));
		if (rv > 0)
			return 1;
		if (rv == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static void
ws_client_fail(struct ws_client *c, const char *fmt, ...)
{
	va_list ap;

	/* the first error is the cause; later ones are consequences */
	if (c->failed)
		return;
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

static void
ws_url_free(struct ws_url *u)
{
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->authority);
	memset(u, 0, sizeof(*u));
}

/* No blanks or controls: these strings end up in the request head. */
static int
ws_url_clean(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	}
	return 1;
}

static int
ws_url_port(const char *s, size_t len, char **out)
{
	long   v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	xasprintf(out, "%ld", v);
	return 0;
}

static int
ws_url_parse(const char *url, struct ws_url *u, char *err, size_t errlen)
{
	const char *p, *end, *host, *hend, *after, *frag;
	char       *path;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "wss://", 6) == 0) {
		snprintf(err, errlen,
		    "%s: wss:// is not supported by this "
		    "client (use ws://)",
		    url);
		return -1;
	}
	if (strncasecmp(url, "ws://", 5) != 0)
		goto bad;
	p = url + 5;
	end = p + strcspn(p, "/?#");
	if (end == p || !ws_url_clean(p, end - p) ||
	    memchr(p, '@', end - p) != NULL)
		goto bad;
	if (*p == '[') {
		if ((hend = memchr(p, ']', end - p)) == NULL)
			goto bad;
		host = p + 1;
		after = hend + 1;
	} else {
		host = p;
		if ((hend = memchr(p, ':', end - p)) == NULL)
			hend = end;
		after = hend;
	}
	if (hend == host)
		goto bad;
	if (after == end)
		u->port = xstrdup("80");
	else if (*after != ':' ||
	    ws_url_port(after + 1, end - after - 1, &u->port) == -1)
		goto bad;
	u->host = xstrndup(host, hend - host);
	u->authority = xstrndup(p, end - p);

	/* the fragment is never sent; a bare "?query" gets a "/" path */
	frag = end + strcspn(end, "#");
	if (!ws_url_clean(end, frag - end))
		goto bad;
	xasprintf(&path, "%s%.*s", *end == '/' ? "" : "/", (int)(frag - end),
	    end);
	u->path = path;
	return 0;
bad:
	ws_url_free(u);
	snprintf(err, errlen,
	    "invalid gateway URL: %s (expected "
	    "ws://host:port)",
	    url);
	return -1;
}

static int
tcp_try(const struct addrinfo *ai, uint64_t deadline)
{
	socklen_t sl;
	int       fd, soerr, one = 1, rv, saved;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) ==
	    -1)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		goto fail;
#ifdef SO_NOSIGPIPE
	setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		if ((rv = wait_fd(fd, POLLOUT, deadline)) <= 0) {
			if (rv == 0)
				errno = ETIMEDOUT;
			goto fail;
		}
		sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	/* requests are small and latency-bound */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
tcp_connect(const struct ws_url *u, uint64_t deadline, char *why, size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	int             fd = -1, rv, saved = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rv = getaddrinfo(u->host, u->port, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s", gai_strerror(rv));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = tcp_try(ai, deadline)) != -1)
			break;
		saved = errno;
		if (saved == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(why, whylen, "%s", strerror(saved));
	return fd;
}

static int
ws_write_all(struct ws_client *c, const uint8_t *buf, size_t len,
    uint64_t deadline)
{
	ssize_t n;
	int     rv;

	while (len > 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((rv = wait_fd(c->fd, POLLOUT, deadline)) == 1)
				continue;
			if (rv == 0)
				ws_client_fail(c, "send timed out");
			else
				ws_client_fail(c, "poll: %s", strerror(errno));
			return -1;
		}
		ws_client_fail(c, "send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Frame, mask and write; ignores "failed" so a close can follow an error. */
static int
ws_send_raw(struct ws_client *c, int opcode, const void *data, size_t len)
{
	uint8_t mask[4], *buf;
	size_t  hl;
	int     rv;

	if (c->fd == -1)
		return -1;
	/* the masks must be unpredictable to the peer (RFC 6455 10.3) */
	if (util_random(mask, sizeof(mask)) == -1) {
		ws_client_fail(c, "no randomness for the frame mask");
		return -1;
	}
	buf = xmalloc(14 + len);
	hl = ws_frame_header(buf, 1, opcode, len, mask);
	if (len > 0)
		memcpy(buf + hl, data, len);
	ws_mask(buf + hl, len, mask, 0);
	rv = ws_write_all(c, buf, hl + len, deadline_in(c->send_timeout_ms));
	free(buf);
	if (rv == 0 && opcode == WS_OP_CLOSE)
		c->close_sent = 1;
	return rv;
}

static void
ws_send_close(struct ws_client *c, uint16_t code, const char *reason)
{
	uint8_t pl[125];
	size_t  len = 0;

	if (c->close_sent)
		return;
	if (code != 0)
		len = ws_close_payload(pl, code, reason ? reason : "", 123);
	ws_send_raw(c, WS_OP_CLOSE, pl, len);
	c->close_sent = 1;
}

static int
ws_client_on_message(void *arg, int opcode, const uint8_t *data, size_t len)
{
	struct ws_client     *c = arg;
	struct ws_client_msg *m;

	if (c->closing)
		return 0;
	m = xmalloc(sizeof(*m) + len + 1);
	m->next = NULL;
	m->opcode = opcode;
	m->len = len;
	if (len > 0)
		memcpy(m->data, data, len);
	m->data[len] = '\0';
	if (c->q_tail != NULL)
		c->q_tail->next = m;
	else
		c->q_head = m;
	c->q_tail = m;
	return 0;
}

static int
ws_client_on_control(void *arg, int opcode, const uint8_t *data, size_t len)
{
	struct ws_client *c = arg;
	size_t            rlen;

	switch (opcode) {
	case WS_OP_PING:
		if (c->close_sent)
			return 0;
		return ws_send_raw(c, WS_OP_PONG, data, len);
	case WS_OP_CLOSE:
		/* 1005: the pseudo-code for "no status" (RFC 6455 7.1.5) */
		c->close_code = 1005;
		c->close_reason[0] = '\0';
		if (len >= 2) {
			c->close_code = (uint16_t)(data[0] << 8 | data[1]);
			rlen = len - 2;
			if (rlen > sizeof(c->close_reason) - 1)
				rlen = sizeof(c->close_reason) - 1;
			memcpy(c->close_reason, data + 2, rlen);
			c->close_reason[rlen] = '\0';
		}
		c->close_received = 1;
		/* echo the code, as the RFC asks; nothing is read after this */
		ws_send_close(c, len >= 2 ? c->close_code : 0, "");
		return -1;
	default:
		return 0;
	}
}

static void
ws_client_feed(struct ws_client *c, const uint8_t *buf, size_t len)
{
	uint16_t code;

	if (ws_decoder_feed(&c->dec, buf, len) == 0 || c->close_received ||
	    c->failed)
		return;
	code = c->dec.close_code != 0 ? c->dec.close_code : WS_CLOSE_PROTOCOL;
	ws_send_close(c, code, c->dec.error);
	ws_client_fail(c, "WebSocket protocol error from the server: %s",
	    c->dec.error != NULL ? c->dec.error : "invalid frame");
}

/* Read once and decode: 1 progress, 0 deadline passed, -1 failed. */
static int
ws_client_read(struct ws_client *c, uint64_t deadline)
{
	uint8_t buf[WS_CLIENT_READ_SIZE];
	ssize_t n;
	int     rv;

	for (;;) {
		if ((rv = wait_fd(c->fd, POLLIN, deadline)) == 0)
			return 0;
		if (rv == -1) {
			ws_client_fail(c, "poll: %s", strerror(errno));
			return -1;
		}
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0)
			break;
		if (n == 0) {
			/* 1006: closed without a close frame (RFC 6455 7.1.5) */
			c->close_received = 1;
			c->close_code = 1006;
			c->close_reason[0] = '\0';
			return 1;
		}
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		ws_client_fail(c, "recv: %s", strerror(errno));
		return -1;
	}
	ws_client_feed(c, buf, (size_t)n);
	return c->failed ? -1 : 1;
}

/* Case-insensitive search for a comma-separated token (Connection). */
static int
header_has_token(const char *value, const char *token)
{
	size_t tl = strlen(token), n;

	while (*value != '\0') {
		value += strspn(value, " \t,");
		n = strcspn(value, ",");
		while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
			n--;
		if (n == tl && strncasecmp(value, token, tl) == 0)
			return 1;
		value += strcspn(value, ",");
	}
	return 0;
}

/* Copy the status line for a message, printable characters only. */
static void
status_line(const char *head, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i + 1 < outlen && head[i] != '\r' && head[i] != '\n' &&
	     head[i] != '\0';
	     i++)
		out[i] = isprint((unsigned char)head[i]) ? head[i] : '?';
	out[i] = '\0';
}

/* Check a NUL-terminated response head. */
static int
ws_check_head(char *head, const char *accept, char *why, size_t whylen)
{
	char line[100], *p, *eol, *name, *value, *e;
	int  upgrade = 0, connection = 0, accepted = 0;

	status_line(head, line, sizeof(line));
	if (strncmp(head, "HTTP/1.", 7) != 0 || strlen(line) < 12) {
		snprintf(why, whylen, "not an HTTP response: %s", line);
		return -1;
	}
	if (strncmp(line + 8, " 101", 4) != 0 ||
	    isdigit((unsigned char)line[12])) {
		snprintf(why, whylen, "server refused the upgrade: %s", line);
		return -1;
	}
	for (p = strstr(head, "\r\n"); p != NULL && p[2] != '\0'; p = eol) {
		name = p + 2;
		if ((eol = strstr(name, "\r\n")) == NULL)
			break;
		*eol = '\0';
		if ((value = strchr(name, ':')) != NULL) {
			*value++ = '\0';
			value += strspn(value, " \t");
			for (e = value + strlen(value);
			     e > value && (e[-1] == ' ' || e[-1] == '\t'); e--)
				e[-1] = '\0';
			if (strcasecmp(name, "Upgrade") == 0)
				upgrade = strcasecmp(value, "websocket") == 0;
			else if (strcasecmp(name, "Connection") == 0)
				connection = header_has_token(value, "upgrade");
			else if (strcasecmp(name, "Sec-WebSocket-Accept") == 0)
				accepted = strcmp(value, accept) == 0;
			else if (strcasecmp(name, "Sec-WebSocket-Extensions") ==
			        0 ||
			    strcasecmp(name, "Sec-WebSocket-Protocol") == 0) {
				/* we offered neither (RFC 6455 4.1) */
				snprintf(why, whylen,
				    "server selected %s we "
				    "did not offer",
				    name);
				return -1;
			}
		}
		*eol = '\r';
	}
	if (!upgrade || !connection) {
		snprintf(why, whylen,
		    "101 response without Upgrade: "
		    "websocket / Connection: Upgrade");
		return -1;
	}
	if (!accepted) {
		snprintf(why, whylen, "bad or missing Sec-WebSocket-Accept");
		return -1;
	}
	return 0;
}

/*
 * Read the response head.  Frames the server sends right after the 101
 * (connect.challenge does exactly that) may share a segment with it, so
 * whatever follows the head is fed to the decoder.
 */
static int
ws_read_upgrade(struct ws_client *c, const char *accept, uint64_t deadline,
    char *why, size_t whylen)
{
	char   *buf, *end;
	size_t  got = 0, headlen;
	ssize_t n;
	int     rv;

	buf = xmalloc(WS_CLIENT_HEAD_MAX + 1);
	for (;;) {
		if ((rv = wait_fd(c->fd, POLLIN, deadline)) <= 0) {
			snprintf(why, whylen, "%s",
			    rv == 0 ? "timed out "
			              "waiting for the upgrade response" :
			              strerror(errno));
			goto fail;
		}
		n = recv(c->fd, buf + got, WS_CLIENT_HEAD_MAX - got, 0);
		if (n == -1 &&
		    (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "%s",
			    n == 0 ? "connection closed "
			             "before the upgrade response" :
			             strerror(errno));
			goto fail;
		}
		got += (size_t)n;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (got == WS_CLIENT_HEAD_MAX || strlen(buf) != got) {
			snprintf(why, whylen, "malformed upgrade response");
			goto fail;
		}
	}
	headlen = (size_t)(end - buf) + 4;
	end[2] = '\0';
	if (ws_check_head(buf, accept, why, whylen) == -1)
		goto fail;
	if (got > headlen)
		ws_client_feed(c, (uint8_t *)buf + headlen, got - headlen);
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

struct ws_client *
ws_client_connect(const char *url, int timeout_ms, char *err, size_t errlen)
{
	struct ws_client *c;
	struct ws_url     u;
	uint64_t          deadline;
	char              key[25], accept[29], why[256], *req;
	int               rv;

	if (ws_url_parse(url, &u, err, errlen) == -1)
		return NULL;
	deadline = deadline_in(timeout_ms);
	c = xcalloc(1, sizeof(*c));
	c->send_timeout_ms = timeout_ms;
	ws_decoder_init(&c->dec, &ws_client_cb, c, 0, WS_CLIENT_MAX_MESSAGE);
	if ((c->fd = tcp_connect(&u, deadline, why, sizeof(why))) == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", url, why);
		goto fail;
	}
	ws_client_key(key);
	ws_accept_key(key, accept);
	xasprintf(&req,
	    "GET %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "\r\n",
	    u.path, u.authority, key);
	rv = ws_write_all(c, (uint8_t *)req, strlen(req), deadline);
	free(req);
	if (rv == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", url,
		    c->error);
		goto fail;
	}
	if (ws_read_upgrade(c, accept, deadline, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "WebSocket upgrade to %s failed: %s", url,
		    why);
		goto fail;
	}
	if (c->failed) {
		snprintf(err, errlen, "%s: %s", url, c->error);
		goto fail;
	}
	ws_url_free(&u);
	return c;
fail:
	ws_url_free(&u);
	ws_client_free(c);
	return NULL;
}

void
ws_client_set_send_timeout(struct ws_client *c, int timeout_ms)
{
	c->send_timeout_ms = timeout_ms;
}

int
ws_client_send_frame(struct ws_client *c, int opcode, const void *data,
    size_t len)
{
	if (c->failed)
		return -1;
	if (c->close_sent) {
		snprintf(c->error, sizeof(c->error), "connection is closing");
		return -1;
	}
	if ((opcode & 0x8) && len > 125) {
		snprintf(c->error, sizeof(c->error), "control frame too long");
		return -1;
	}
	return ws_send_raw(c, opcode, data, len);
}

int
ws_client_send_text(struct ws_client *c, const void *data, size_t len)
{
	return ws_client_send_frame(c, WS_OP_TEXT, data, len);
}

int
ws_client_recv(struct ws_client *c, int timeout_ms, int *opcode,
    const char **data, size_t *len)
{
	struct ws_client_msg *m;
	uint64_t              deadline;

	free(c->delivered);
	c->delivered = NULL;
	deadline = deadline_in(timeout_ms);
	for (;;) {
		/* what was decoded before a close or an error comes first */
		if ((m = c->q_head) != NULL) {
			if ((c->q_head = m->next) == NULL)
				c->q_tail = NULL;
			c->delivered = m;
			*opcode = m->opcode;
			*data = m->data;
			*len = m->len;
			return WS_CLIENT_MSG;
		}
		if (c->close_received)
			return WS_CLIENT_CLOSED;
		if (c->failed)
			return WS_CLIENT_ERROR;
		if (ws_client_read(c, deadline) == 0)
			return WS_CLIENT_TIMEOUT;
	}
}

uint16_t
ws_client_close_code(const struct ws_client *c)
{
	return c->close_code;
}

const char *
ws_client_close_reason(const struct ws_client *c)
{
	return c->close_reason;
}

const char *
ws_client_error(const struct ws_client *c)
{
	return c->error;
}

int
ws_client_close(struct ws_client *c, uint16_t code, const char *reason)
{
	uint64_t deadline;

	if (c->fd == -1 || c->failed)
		return -1;
	if (c->closing)
		return 0; /* done once already, grace period included */
	c->closing = 1;
	if (!c->close_sent) {
		ws_send_close(c, code, reason);
		if (c->failed)
			return -1;
	}
	/* the server answers with its own close; then the TCP close is its */
	deadline = deadline_in(WS_CLIENT_CLOSE_GRACE_MS);
	while (!c->close_received && !c->failed) {
		if (ws_client_read(c, deadline) == 0)
			break;
	}
	return 0;
}

void
ws_client_free(struct ws_client *c)
{
	struct ws_client_msg *m;

	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	while ((m = c->q_head) != NULL) {
		c->q_head = m->next;
		free(m);
	}
	free(c->delivered);
	ws_decoder_free(&c->dec);
	free(c);
}
