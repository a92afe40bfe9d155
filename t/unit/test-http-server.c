/*
 * The HTTP server of common/http on real socketpairs and a real event
 * loop, for what the two engines before it did not do: request bodies
 * (Content-Length and chunked, 413 over the route's limit, 408 when the
 * body stalls), pipelined requests answered in order, chunked responses,
 * server-sent events paced by the writer callback, static files with a
 * byte range; the answer a half-closed client still gets, and draining.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/http/server.h"
#include "common/log.h"
#include "common/net.h"
#include "common/sockio.h"
#include "t/unit/tap.h"

static struct event_base  *base;
static struct sockio_base *sb;
static struct http_server *srv;
static int                 root_fd = -1;

/* The client end of the current exchange and what it received. */
static int         cfd = -1;
static char        got[1 << 20];
static size_t      ngot;
static size_t      ntotal; /* over the whole exchange */
static int         got_eof;
static const char *want;        /* stop once this many ... */
static int         want_n;      /* ... occurrences arrived */
static int         reading = 1; /* the client reads */

static int sse_calls, sse_sent, big_calls;

static void route_echo(struct http_conn *, void *);
static void route_path(struct http_conn *, void *);
static void route_chunked(struct http_conn *, void *);
static void route_sse(struct http_conn *, void *);
static void route_big(struct http_conn *, void *);
static void route_static(struct http_conn *, void *);

static const struct http_route r_echo = { route_echo, NULL, 64, 0, 0 };
static const struct http_route r_slow = { route_echo, NULL, 64, 200, 0 };
static const struct http_route r_path = { route_path, NULL, 0, 0, 0 };
static const struct http_route r_chunked = { route_chunked, NULL, 0, 0, 0 };
static const struct http_route r_sse = { route_sse, NULL, 0, 0, 0 };
static const struct http_route r_big = { route_big, NULL, 0, 0, 0 };
static const struct http_route r_static = { route_static, NULL, 0, 0, 0 };

static void
route_echo(struct http_conn *c, void *arg)
{
	struct evbuffer *b = http_conn_body(c);
	size_t           len = evbuffer_get_length(b);

	(void)arg;
	http_respond(c, 200, NULL, "text/plain", evbuffer_pullup(b, -1), len);
}

static void
route_path(struct http_conn *c, void *arg)
{
	const char *p = http_conn_head(c)->path;

	(void)arg;
	http_respond(c, 200, NULL, "text/plain", p, strlen(p));
}

static void
route_chunked(struct http_conn *c, void *arg)
{
	(void)arg;
	http_respond_head(c, 200, NULL, "text/plain", -1);
	http_respond_chunk(c, "first", 5);
	http_respond_chunk(c, "second", 6);
	http_respond_end(c);
}

/* An event each time the output drains, three in all. */
static void
sse_write(struct http_conn *c, void *arg)
{
	char data[32];

	(void)arg;
	sse_calls++;
	snprintf(data, sizeof(data), "n=%d\nline2", ++sse_sent);
	http_sse_event(c, "tick", data);
	if (sse_sent == 3)
		http_respond_end(c);
}

static void
route_sse(struct http_conn *c, void *arg)
{
	(void)arg;
	http_sse_start(c, NULL);
	http_respond_writer(c, 1024, sse_write, NULL);
}

/* 256 KiB a call, 16 calls: more than a socket buffer holds. */
static void
big_write(struct http_conn *c, void *arg)
{
	static char piece[256 * 1024];

	(void)arg;
	memset(piece, 'x', sizeof(piece));
	http_respond_chunk(c, piece, sizeof(piece));
	if (++big_calls == 16)
		http_respond_end(c);
}

static void
route_big(struct http_conn *c, void *arg)
{
	(void)arg;
	http_respond_head(c, 200, NULL, "application/octet-stream",
	    16LL * 256 * 1024);
	http_respond_writer(c, 64 * 1024, big_write, NULL);
}

static void
route_static(struct http_conn *c, void *arg)
{
	const char *p = http_conn_head(c)->path;

	(void)arg;
	http_static_serve(c, root_fd, p + strlen("/static/"), p);
}

static const struct http_route *
test_route(struct http_conn *c, void *arg)
{
	const char *p = http_conn_head(c)->path;

	(void)arg;
	if (strcmp(p, "/echo") == 0)
		return &r_echo;
	if (strcmp(p, "/slow") == 0)
		return &r_slow;
	if (strcmp(p, "/chunked") == 0)
		return &r_chunked;
	if (strcmp(p, "/sse") == 0)
		return &r_sse;
	if (strcmp(p, "/big") == 0)
		return &r_big;
	if (strncmp(p, "/static/", 8) == 0)
		return &r_static;
	return &r_path;
}

static const struct http_server_cb test_cb = { .route = test_route };

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
client_read(evutil_socket_t fd, short ev, void *arg)
{
	ssize_t n;

	(void)ev;
	(void)arg;
	if (!reading)
		return;
	for (;;) {
		/* a long body: keep its tail only */
		if (sizeof(got) - 1 - ngot < 65536) {
			memmove(got, got + ngot - 64, 64);
			ngot = 64;
		}
		if ((n = read(fd, got + ngot, sizeof(got) - 1 - ngot)) <= 0)
			break;
		ngot += (size_t)n;
		ntotal += (size_t)n;
	}
	got[ngot] = '\0';
	if (n == 0)
		got_eof = 1;
	if (n == 0 || (want != NULL && count(got, want) >= want_n))
		event_base_loopbreak(base);
}

/* Run the loop until want arrived n times, EOF, or ms passed. */
static void
run(const char *w, int n, int ms)
{
	struct event  *rev;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	want = w;
	want_n = n;
	rev = event_new(base, cfd, EV_READ | EV_PERSIST, client_read, NULL);
	event_add(rev, NULL);
	event_base_loopexit(base, &tv);
	if (reading)
		client_read(cfd, EV_READ, NULL);
	if (!got_eof && (want == NULL || count(got, want) < want_n))
		event_base_dispatch(base);
	event_free(rev);
}

/* A fresh connection (server end adopted) with req already sent. */
static void
start(const char *req)
{
	size_t len = strlen(req);
	int    sv[2];

	if (cfd != -1)
		close(cfd);
	ngot = ntotal = 0;
	got[0] = '\0';
	got_eof = 0;
	reading = 1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fatal(1, "socketpair");
	net_set_nonblock(sv[0]);
	cfd = sv[1];
	net_set_nonblock(cfd);
	if (len > 0 && write(cfd, req, len) != (ssize_t)len)
		fatal(1, "write");
	http_server_adopt(srv, sv[0], NULL, 0, NULL, 0);
}

static void
exchange(const char *req, const char *w, int n, int ms)
{
	start(req);
	run(w, n, ms);
}

static void
test_bodies(void)
{
	exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
	         "hello",
	    "hello", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0 &&
	        strstr(got, "\r\n\r\nhello") != NULL,
	    "Content-Length body read and echoed");
	ok(strstr(got, "Connection: keep-alive\r\n") != NULL,
	    "... and the connection is kept");

	exchange("POST /echo HTTP/1.1\r\nHost: x\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n"
	         "0\r\nTrailer: t\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n",
	    "/after", 1, 2000);
	ok(strstr(got, "Content-Length: 5\r\n") != NULL &&
	        strstr(got, "\r\n\r\nhello") != NULL,
	    "chunked body (extension, trailer) decoded");
	ok(strstr(got, "hello") < strstr(got, "/after"),
	    "the request after a chunked body is read and answered next");

	exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
	         "Expect: 100-continue\r\n\r\nok",
	    "\r\n\r\nok", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ", 38) == 0,
	    "Expect: 100-continue gets its interim answer first");

	exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n",
	    "\r\n\r\n", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 413 ", 13) == 0 &&
	        strstr(got, "Connection: close") != NULL,
	    "Content-Length over the route's limit: 413, close");

	exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	         "chunked\r\n\r\n20\r\n0123456789abcdef0123456789abcdef\r\n"
	         "20\r\n0123456789abcdef0123456789abcdef\r\n1\r\nx\r\n",
	    "\r\n\r\n", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 413 ", 13) == 0,
	    "chunked body over the limit: 413");

	exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	         "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
	    "\r\n\r\n", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 400 ", 13) == 0 &&
	        strstr(got, "bad request body") != NULL &&
	        strstr(got, "Connection: close") != NULL,
	    "a chunk size that is no number: 400, close");

	exchange("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
	         "abc",
	    "\r\n\r\n", 1, 3000);
	ok(strncmp(got, "HTTP/1.1 408 ", 13) == 0 &&
	        strstr(got, "request body timeout") != NULL,
	    "stalled body: 408 after the route's body timeout");

	exchange("POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"
	         "abcGET /x HTTP/1.1\r\n\r\n",
	    "\r\n\r\n", 2, 2000);
	ok(strncmp(got, "HTTP/1.1 200 ", 13) == 0 &&
	        strstr(got, "Connection: close") != NULL &&
	        count(got, "HTTP/") == 1,
	    "a route taking no body answers, then closes (body never read)");
}

static void
test_pipelining(void)
{
	exchange("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\n"
	         "Host: x\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: x\r\n\r\n"
	         "GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    NULL, 0, 2000);
	ok(strstr(got, "\r\n\r\n/1") < strstr(got, "\r\n\r\n/2") &&
	        strstr(got, "\r\n\r\n/2") != NULL &&
	        strstr(got, "\r\n\r\n/4") != NULL &&
	        strstr(got, "\r\n\r\n/2") < strstr(got, "\r\n\r\n/4"),
	    "pipelined requests answered in order");
	is_int(count(got, "HTTP/1.1 200"), 4, "four answers");
	ok(strstr(got, "/3") == NULL, "HEAD got headers only");
	ok(got_eof, "closed after Connection: close");

	start("GET /half HTTP/1.1\r\nHost: x\r\n\r\n");
	shutdown(cfd, SHUT_WR);
	run(NULL, 0, 2000);
	ok(strstr(got, "\r\n\r\n/half") != NULL && got_eof,
	    "a half-closed client gets its answer, then EOF");
}

static void
test_streams(void)
{
	int i;

	exchange("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", "0\r\n\r\n", 1,
	    2000);
	ok(strstr(got, "Transfer-Encoding: chunked\r\n") != NULL &&
	        strstr(got, "\r\n\r\n5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n") !=
	            NULL,
	    "chunked response");

	exchange("GET /sse HTTP/1.1\r\nHost: x\r\n\r\n", "0\r\n\r\n", 1, 2000);
	ok(strstr(got, "Content-Type: text/event-stream") != NULL,
	    "SSE: event-stream");
	ok(strstr(got, "event: tick\ndata: n=1\ndata: line2\n\n") != NULL &&
	        strstr(got, "data: n=3\n") != NULL,
	    "SSE: events, lines split");
	is_int(sse_calls, 3, "SSE: the writer ran at each drain");

	start("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
	reading = 0;
	run(NULL, 0, 300);
	ok(big_calls > 0 && big_calls < 4,
	    "writer held back while the client does not read (%d calls)",
	    big_calls);
	reading = 1;
	for (i = 0; i < 50 && ntotal < 16 * 256 * 1024; i++)
		run(NULL, 0, 100);
	is_int(big_calls, 16, "... and resumed as it reads: all pieces sent");
	ok(ntotal > 16 * 256 * 1024, "... and received (%zu bytes)", ntotal);
}

static void
test_static(void)
{
	char dir[] = "/tmp/test-http-server.XXXXXX", path[128];
	int  fd;

	if (mkdtemp(dir) == NULL)
		fatal(1, "mkdtemp");
	snprintf(path, sizeof(path), "%s/f.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd == -1 || write(fd, "0123456789", 10) != 10)
		fatal(1, "%s", path);
	close(fd);
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0700);
	root_fd = http_static_root_open(dir);

	exchange("GET /static/f.txt HTTP/1.1\r\nHost: x\r\n\r\n", "0123456789",
	    1, 2000);
	ok(strncmp(got, "HTTP/1.1 200 ", 13) == 0 &&
	        strstr(got, "Content-Type: text/plain") != NULL &&
	        strstr(got, "Cache-Control: no-cache") != NULL,
	    "static file, its type, no-cache");
	exchange("GET /static/f.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=2-4"
	         "\r\n\r\n",
	    "\r\n\r\n234", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 206 ", 13) == 0 &&
	        strstr(got, "Content-Range: bytes 2-4/10\r\n") != NULL &&
	        strstr(got, "Content-Length: 3\r\n") != NULL,
	    "Range: 206");
	exchange("GET /static/f.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=-3"
	         "\r\n\r\n",
	    "\r\n\r\n789", 1, 2000);
	ok(strstr(got, "Content-Range: bytes 7-9/10\r\n") != NULL,
	    "suffix range");
	exchange("GET /static/f.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=10-"
	         "\r\n\r\n",
	    "}}", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 416 ", 13) == 0 &&
	        strstr(got, "Content-Range: bytes */10\r\n") != NULL,
	    "unsatisfiable range: 416");
	exchange("GET /static/sub?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n",
	    1, 2000);
	ok(strncmp(got, "HTTP/1.1 301 ", 13) == 0 &&
	        strstr(got, "Location: /static/sub/?q=1\r\n") != NULL,
	    "a directory: 301 to its slash form");
	exchange("GET /static/nope HTTP/1.1\r\nHost: x\r\n\r\n", "}}", 1, 2000);
	ok(strncmp(got, "HTTP/1.1 404 ", 13) == 0 &&
	        strstr(got,
	            "{\"error\":{\"message\":\"not found\",\"type\":\"not_found\"}}") !=
	            NULL,
	    "404 with the one error body");
	close(root_fd);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/f.txt", dir);
	unlink(path);
	rmdir(dir);
}

/* Draining: an idle connection goes at once, a busy one after its answer. */
static void
test_drain(void)
{
	struct timeval tv = { 0, 100000 };
	int            sv[2], idle;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fatal(1, "socketpair");
	net_set_nonblock(sv[0]);
	idle = sv[1];
	http_server_accept(srv, sv[0], NULL, 0);
	start("GET /last HTTP/1.1\r\nHost: x\r\n");
	run(NULL, 0, 100);
	is_int(http_server_nconns(srv), 2, "two connections before the drain");
	http_server_drain(srv, 0);
	is_int(http_server_nconns(srv), 1, "the idle one closed at once");
	if (write(cfd, "\r\n", 2) != 2)
		fatal(1, "write");
	run(NULL, 0, 2000);
	ok(strstr(got, "Connection: close\r\n") != NULL &&
	        strstr(got, "\r\n\r\n/last") != NULL && got_eof,
	    "the one reading a head answered with Connection: close, closed");
	close(cfd); /* ends its lingering close */
	cfd = -1;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	is_int(http_server_nconns(srv), 0, "none left once the client closed");
	close(idle);
}

/*
 * A restart's drain: a connection that has not been served yet (it may
 * be the one the client just opened) is answered once, with
 * Connection: close, rather than closed under the client.
 */
static void
test_drain_restart(void)
{
	const char *req = "GET /fresh HTTP/1.1\r\nHost: x\r\n\r\n";

	http_server_free(srv);
	srv = http_server_new(base, sb, &test_cb, NULL);
	start("");
	run(NULL, 0, 50);
	http_server_drain(srv, 1);
	is_int(http_server_nconns(srv), 1, "restart: a fresh connection kept");
	if (write(cfd, req, strlen(req)) != (ssize_t)strlen(req))
		fatal(1, "write");
	run(NULL, 0, 2000);
	ok(strstr(got, "Connection: close\r\n") != NULL &&
	        strstr(got, "\r\n\r\n/fresh") != NULL && got_eof,
	    "restart: its first request answered with Connection: close");
	close(cfd);
	cfd = -1;
}

int
main(void)
{
	log_init("test", 0);
	base = event_base_new();
	sb = sockio_base_new(base);
	srv = http_server_new(base, sb, &test_cb, NULL);
	test_bodies();
	test_pipelining();
	test_streams();
	test_static();
	test_drain();
	test_drain_restart();
	if (cfd != -1)
		close(cfd);
	http_server_free(srv);
	sockio_base_free(sb);
	event_base_free(base);
	return tap_done();
}
