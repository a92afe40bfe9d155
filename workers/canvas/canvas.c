#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/http-head.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/xmalloc.h"
#include "workers/canvas/canvas.h"

#define CANVAS_HEAD_TIMEOUT	10	/* s from a head's first byte to its end */
#define CANVAS_IDLE_TIMEOUT	30	/* s of keep-alive silence */
#define CANVAS_WRITE_TIMEOUT	30	/* s without write progress */
#define CANVAS_LINGER_TIMEOUT	2	/* s to swallow what the client still sends */
#define CANVAS_LINGER_MAX	(256 * 1024)
/*
 * File bytes queued at once.  libevent adds its chain header and rounds
 * up to a power of two: this is one 64 KiB allocation, under malloc's
 * mmap threshold.
 */
#define CANVAS_FILE_CHUNK	(64 * 1024 - 512)

/*
 * One request at a time: a connection reads a head, queues the response,
 * and reads again only once the response is out, so a pipelining client
 * gets backpressure instead of an ever-growing output buffer.
 */
enum canvas_conn_state {
	CONN_HEAD,		/* reading a request head (or idle) */
	CONN_WRITE,		/* response queued, reading off */
	CONN_LINGER,		/* response sent, write side shut, draining */
};

struct canvas_conn {
	TAILQ_ENTRY(canvas_conn) cc_entry;
	struct canvas_server	*cc_srv;
	struct sockio		*cc_sio;
	struct event		*cc_timer;
	struct http_head	 cc_head;
	enum canvas_conn_state	 cc_state;
	int			 cc_started;	/* a byte of this head arrived */
	int			 cc_close;	/* close once the response is out */
	size_t			 cc_lingered;
	int			 cc_file_fd;	/* body being sent, or -1 */
	off_t			 cc_file_off;
	off_t			 cc_file_left;
};

struct canvas_server {
	struct event_base	*cs_base;
	struct sockio_base	*cs_sio;
	char			*cs_root;
	int			 cs_root_fd;
	int			 cs_root_warned;
	int			 cs_draining;
	int			 cs_nconns;
	TAILQ_HEAD(, canvas_conn) cs_conns;
};

static void	conn_process(struct canvas_conn *);
static void	conn_free(struct canvas_conn *);

static const char *
status_text(int status)
{
	switch (status) {
	case 200:	return "OK";
	case 301:	return "Moved Permanently";
	case 304:	return "Not Modified";
	case 400:	return "Bad Request";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 408:	return "Request Timeout";
	case 431:	return "Request Header Fields Too Large";
	case 505:	return "HTTP Version Not Supported";
	default:	return "Internal Server Error";
	}
}

static const char *
status_body(int status)
{
	switch (status) {
	case 400:	return "{\"error\":\"bad request\"}";
	case 404:	return "{\"error\":\"not found\"}";
	case 405:	return "{\"error\":\"method not allowed\"}";
	case 408:	return "{\"error\":\"request timeout\"}";
	case 431:	return "{\"error\":\"request header fields too large\"}";
	case 505:	return "{\"error\":\"http version not supported\"}";
	default:	return "{\"error\":\"internal error\"}";
	}
}

/* RFC 9110 IMF-fixdate, without strftime so the locale cannot matter. */
static void
http_date(time_t t, char *buf, size_t len)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* the modulos bound every field, for the compiler's sake */
	snprintf(buf, len, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT",
	    days[(unsigned)tm.tm_wday % 7], (unsigned)tm.tm_mday % 32,
	    months[(unsigned)tm.tm_mon % 12],
	    (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 24,
	    (unsigned)tm.tm_min % 60, (unsigned)tm.tm_sec % 61);
}

static void
conn_timer_set(struct canvas_conn *c, int seconds)
{
	struct timeval	 tv = { seconds, 0 };

	evtimer_add(c->cc_timer, &tv);
}

/* HEAD gets the headers GET would get, without the body. */
static int
conn_head_only(struct canvas_conn *c)
{
	return c->cc_head.state == HTTP_HEAD_DONE &&
	    c->cc_head.method == HTTP_HEAD;
}

/*
 * Status line and the headers every response has; extra is more header
 * lines ("Name: value\r\n"), length -1 means no Content-Length (304).
 */
static void
conn_headers(struct canvas_conn *c, int status, const char *type,
    long long length, const char *extra)
{
	struct evbuffer	*out = sockio_output(c->cc_sio);
	struct http_head *h = &c->cc_head;
	char		 date[64];

	if (h->state != HTTP_HEAD_DONE || !h->keep_alive ||
	    c->cc_srv->cs_draining)
		c->cc_close = 1;
	http_date(time(NULL), date, sizeof(date));
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n",
	    status, status_text(status), date);
	if (type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", type);
	if (length >= 0)
		evbuffer_add_printf(out, "Content-Length: %lld\r\n", length);
	if (c->cc_close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (h->http_minor == 0)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	evbuffer_add_printf(out, "Cache-Control: no-cache\r\n"
	    "X-Content-Type-Options: nosniff\r\n%s\r\n", extra ? extra : "");
}

/*
 * The response is queued: stop reading until it is out.  From here the
 * timer is the write timeout, restarted by every byte the client takes.
 */
static void
conn_sent(struct canvas_conn *c, int status)
{
	struct http_head *h = &c->cc_head;

	if (log_verbose())
		log_debug("canvas: %s %.200s -> %d",
		    h->state == HTTP_HEAD_DONE ? h->method_name : "-",
		    h->state == HTTP_HEAD_DONE ? h->url : "-", status);
	c->cc_state = CONN_WRITE;
	conn_timer_set(c, CANVAS_WRITE_TIMEOUT);
	sockio_set_reading(c->cc_sio, 0);
}

static void
conn_reply_json(struct canvas_conn *c, int status, const char *extra)
{
	const char	*body = status_body(status);
	size_t		 len = strlen(body);

	conn_headers(c, status, "application/json; charset=utf-8",
	    (long long)len, extra);
	if (!conn_head_only(c))
		evbuffer_add(sockio_output(c->cc_sio), body, len);
	conn_sent(c, status);
}

/* Errors before or instead of a usable head: answer, then close. */
static void
conn_error(struct canvas_conn *c, int status)
{
	c->cc_close = 1;
	conn_reply_json(c, status, NULL);
}

static void
conn_redirect(struct canvas_conn *c, const char *path)
{
	const char	*query;
	char		*extra;

	/* http-head refused blanks and controls in the target, so the
	 * Location line cannot be split */
	query = strchr(c->cc_head.url, '?');
	xasprintf(&extra, "Location: %s/%s\r\n", path, query ? query : "");
	conn_headers(c, 301, NULL, 0, extra);
	free(extra);
	conn_sent(c, 301);
}

/*
 * Queue the next piece of the body.  The output holds one piece at most,
 * read once the kernel has taken the one before, so a large file costs
 * no more memory than a small one.
 */
static void
conn_file_more(struct canvas_conn *c)
{
	struct evbuffer		*out = sockio_output(c->cc_sio);
	struct evbuffer_iovec	 v;
	size_t			 want = CANVAS_FILE_CHUNK;
	ssize_t			 n = -1;

	if (c->cc_file_left < (off_t)want)
		want = (size_t)c->cc_file_left;
	if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) != 1)
		errno = ENOMEM;
	else if ((n = pread(c->cc_file_fd, v.iov_base, want,
	    c->cc_file_off)) > 0) {
		v.iov_len = (size_t)n;
		evbuffer_commit_space(out, &v, 1);
		c->cc_file_off += n;
		c->cc_file_left -= n;
	}
	if (n <= 0) {
		if (n == 0)
			log_warnx("canvas: %s shrank while being sent",
			    c->cc_head.path);
		else
			log_warn("canvas: cannot send %s", c->cc_head.path);
		c->cc_close = 1;	/* the head promised more */
		c->cc_file_left = 0;
	}
	if (c->cc_file_left == 0) {
		close(c->cc_file_fd);
		c->cc_file_fd = -1;
	}
}

static void
conn_reply_file(struct canvas_conn *c, struct canvas_file *f)
{
	const char	*ims;
	char		 mtime[64], *extra;
	long long	 size = (long long)f->cf_st.st_size;

	http_date(f->cf_st.st_mtime, mtime, sizeof(mtime));
	xasprintf(&extra, "Last-Modified: %s\r\n", mtime);

	/* Browsers echo Last-Modified verbatim; no-cache makes them ask. */
	ims = http_head_get(&c->cc_head, "If-Modified-Since");
	if (ims != NULL && strcmp(ims, mtime) == 0) {
		close(f->cf_fd);
		conn_headers(c, 304, NULL, -1, extra);
		free(extra);
		conn_sent(c, 304);
		return;
	}
	conn_headers(c, 200, f->cf_type, size, extra);
	free(extra);
	if (conn_head_only(c) || size == 0) {
		close(f->cf_fd);
		conn_sent(c, 200);
		return;
	}
	/* Sent by pieces as the output drains; the first joins the head. */
	c->cc_file_fd = f->cf_fd;
	c->cc_file_off = 0;
	c->cc_file_left = f->cf_st.st_size;
	conn_file_more(c);
	conn_sent(c, 200);
}

/* The root is opened lazily, so a canvas directory created after start
 * (by the master or the operator) is picked up without a restart. */
static int
srv_root_fd(struct canvas_server *srv)
{
	if (srv->cs_root_fd != -1)
		return srv->cs_root_fd;
	srv->cs_root_fd = canvas_root_open(srv->cs_root);
	if (srv->cs_root_fd == -1 && !srv->cs_root_warned) {
		log_warn("canvas: root %s", srv->cs_root);
		srv->cs_root_warned = 1;
	}
	return srv->cs_root_fd;
}

/* Absolute-form targets (RFC 9112 3.2.2) carry the path after the
 * authority. */
static const char *
request_path(const char *path)
{
	const char	*p;

	if (strncasecmp(path, "http://", 7) == 0)
		p = path + 7;
	else if (strncasecmp(path, "https://", 8) == 0)
		p = path + 8;
	else
		return path;
	return (p = strchr(p, '/')) != NULL ? p : "/";
}

static void
conn_request(struct canvas_conn *c)
{
	struct http_head	*h = &c->cc_head;
	struct canvas_file	 f;
	const char		*path;
	size_t			 plen = strlen(CANVAS_PREFIX);
	int			 status;

	/* Bodies are never read, so the connection cannot be reused. */
	if (h->chunked || h->content_length > 0)
		c->cc_close = 1;

	path = request_path(h->path);
	if (strncmp(path, CANVAS_PREFIX, plen) != 0 ||
	    (path[plen] != '\0' && path[plen] != '/')) {
		conn_reply_json(c, 404, NULL);
		return;
	}
	if (h->method != HTTP_GET && h->method != HTTP_HEAD) {
		conn_reply_json(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	if (path[plen] == '\0') {
		conn_redirect(c, path);
		return;
	}
	status = canvas_file_open(srv_root_fd(c->cc_srv), path + plen + 1, &f);
	if (status == 200)
		conn_reply_file(c, &f);
	else if (status == 301)
		conn_redirect(c, path);
	else
		conn_reply_json(c, status, NULL);
}

static void
conn_process(struct canvas_conn *c)
{
	struct evbuffer		*in = sockio_input(c->cc_sio);
	struct evbuffer_iovec	 v;
	size_t			 used;
	int			 r;

	/* Feed only the new bytes, chunk by chunk, and drain what the head
	 * took: what follows it stays for the next request. */
	while (c->cc_state == CONN_HEAD && evbuffer_get_length(in) > 0) {
		if (!c->cc_started) {
			c->cc_started = 1;
			conn_timer_set(c, CANVAS_HEAD_TIMEOUT);
		}
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		r = http_head_feed(&c->cc_head, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (r == HTTP_HEAD_ERROR)
			conn_error(c, c->cc_head.status);
		else if (r == HTTP_HEAD_DONE)
			conn_request(c);
	}
}

/*
 * Closing with unread request bytes would make the kernel send a RST that
 * can destroy the response in flight; shut the write side and swallow
 * input for a while instead (what httpd calls a lingering close).
 */
static void
conn_linger(struct canvas_conn *c)
{
	struct evbuffer	*in = sockio_input(c->cc_sio);

	c->cc_state = CONN_LINGER;
	if (shutdown(sockio_fd(c->cc_sio), SHUT_WR) == -1) {
		conn_free(c);
		return;
	}
	c->cc_lingered = evbuffer_get_length(in);
	evbuffer_drain(in, c->cc_lingered);
	conn_timer_set(c, CANVAS_LINGER_TIMEOUT);
	sockio_set_reading(c->cc_sio, 1);
}

/* The response is out: next request, or close. */
static void
conn_done(struct canvas_conn *c)
{
	if (c->cc_close) {
		conn_linger(c);
		return;
	}
	http_head_reset(&c->cc_head);
	c->cc_state = CONN_HEAD;
	c->cc_started = 0;
	conn_timer_set(c, CANVAS_IDLE_TIMEOUT);
	sockio_set_reading(c->cc_sio, 1);
	conn_process(c);	/* a pipelined request may be buffered */
}

static void
conn_readcb(struct sockio *so, struct evbuffer *in, void *arg)
{
	struct canvas_conn	*c = arg;
	size_t			 n;

	(void)so;
	if (c->cc_state == CONN_LINGER) {
		n = evbuffer_get_length(in);
		evbuffer_drain(in, n);
		if ((c->cc_lingered += n) > CANVAS_LINGER_MAX)
			conn_free(c);
		return;
	}
	conn_process(c);
}

/* The output is empty: the next piece of the body, or the next request. */
static void
conn_draincb(struct sockio *so, void *arg)
{
	struct canvas_conn	*c = arg;

	(void)so;
	if (c->cc_state != CONN_WRITE)
		return;
	if (c->cc_file_fd != -1) {
		conn_file_more(c);
		if (sockio_queued(c->cc_sio) > 0)
			return;
	}
	conn_done(c);
}

static void
conn_closecb(struct sockio *so, int error, void *arg)
{
	struct canvas_conn	*c = arg;

	(void)so;
	if (error != 0 && c->cc_state != CONN_LINGER && error != EPIPE &&
	    error != ECONNRESET) {
		errno = error;
		log_warn("canvas: connection");
	}
	/* EOF while reading a head, or a write error: nothing left to say
	 * to this client */
	conn_free(c);
}

static const struct sockio_cb conn_io = {
	conn_readcb,
	conn_draincb,
	conn_closecb,
};

/* Every byte the client takes restarts the write timeout. */
static void
conn_outcb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct canvas_conn	*c = arg;

	(void)buf;
	if (info->n_deleted > 0 && c->cc_state == CONN_WRITE)
		conn_timer_set(c, CANVAS_WRITE_TIMEOUT);
}

static void
conn_timercb(evutil_socket_t fd, short what, void *arg)
{
	struct canvas_conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->cc_state == CONN_HEAD && c->cc_started)
		conn_error(c, 408);
	else
		conn_free(c);
}

static struct canvas_conn *
conn_new(struct canvas_server *srv, int fd)
{
	struct canvas_conn	*c;

	c = xcalloc(1, sizeof(*c));
	c->cc_srv = srv;
	c->cc_file_fd = -1;
	c->cc_timer = evtimer_new(srv->cs_base, conn_timercb, c);
	c->cc_sio = sockio_new(srv->cs_sio, fd, &conn_io, c);
	if (c->cc_sio == NULL || c->cc_timer == NULL ||
	    evbuffer_add_cb(sockio_output(c->cc_sio), conn_outcb, c) == NULL) {
		log_warnx("canvas: cannot set up a connection");
		if (c->cc_sio != NULL)
			sockio_free(c->cc_sio);
		else
			close(fd);
		if (c->cc_timer != NULL)
			event_free(c->cc_timer);
		free(c);
		return NULL;
	}
	http_head_init(&c->cc_head);
	c->cc_state = CONN_HEAD;
	conn_timer_set(c, CANVAS_IDLE_TIMEOUT);
	TAILQ_INSERT_TAIL(&srv->cs_conns, c, cc_entry);
	srv->cs_nconns++;
	return c;
}

static void
conn_free(struct canvas_conn *c)
{
	struct canvas_server	*srv = c->cc_srv;

	TAILQ_REMOVE(&srv->cs_conns, c, cc_entry);
	srv->cs_nconns--;
	event_free(c->cc_timer);
	/* Freed from one of its callbacks, the socket outlives c until the
	 * callback returns: nothing of it may point at c. */
	evbuffer_remove_cb(sockio_output(c->cc_sio), conn_outcb, c);
	sockio_free(c->cc_sio);
	if (c->cc_file_fd != -1)
		close(c->cc_file_fd);
	http_head_free(&c->cc_head);
	free(c);
}

struct canvas_server *
canvas_server_new(struct event_base *base, struct sockio_base *sio,
    const char *root_dir)
{
	struct canvas_server	*srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->cs_base = base;
	srv->cs_sio = sio;
	srv->cs_root = xstrdup(root_dir);
	srv->cs_root_fd = -1;
	TAILQ_INIT(&srv->cs_conns);
	(void)srv_root_fd(srv);		/* warn early if it is missing */
	return srv;
}

void
canvas_server_free(struct canvas_server *srv)
{
	struct canvas_conn	*c;

	if (srv == NULL)
		return;
	while ((c = TAILQ_FIRST(&srv->cs_conns)) != NULL)
		conn_free(c);
	if (srv->cs_root_fd != -1)
		close(srv->cs_root_fd);
	free(srv->cs_root);
	free(srv);
}

int
canvas_server_accept(struct canvas_server *srv, int fd)
{
	return conn_new(srv, fd) == NULL ? -1 : 0;
}

int
canvas_server_adopt(struct canvas_server *srv, int fd, const void *pre,
    size_t prelen)
{
	struct canvas_conn	*c;

	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1) {
		log_warn("canvas: adopted socket");
		close(fd);
		return -1;
	}
	if ((c = conn_new(srv, fd)) == NULL)
		return -1;
	/* The bytes go where the socket's would have. */
	if (prelen > 0 && evbuffer_add(sockio_input(c->cc_sio), pre,
	    prelen) == -1) {
		log_warnx("canvas: cannot buffer %zu handed-over bytes", prelen);
		conn_free(c);
		return -1;
	}
	conn_process(c);
	return 0;
}

void
canvas_server_drain(struct canvas_server *srv)
{
	struct canvas_conn	*c, *next;

	srv->cs_draining = 1;
	for (c = TAILQ_FIRST(&srv->cs_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, cc_entry);
		if (c->cc_state == CONN_HEAD && !c->cc_started)
			conn_free(c);	/* idle between requests */
		else if (c->cc_state == CONN_WRITE)
			c->cc_close = 1;
		/* a head being read is answered with Connection: close */
	}
}

int
canvas_server_nconns(struct canvas_server *srv)
{
	return srv->cs_nconns;
}
