#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/http/head.h"
#include "common/http/server.h"
#include "t/unit/tap.h"

#define GET_SIMPLE                     \
	"GET /index.html HTTP/1.1\r\n" \
	"Host: example.com\r\n"        \
	"User-Agent: tap  \r\n"        \
	"\r\n"

/* Feed a whole string at once; returns the feed result. */
static int
feed_all(struct http_head *h, const char *s, size_t *used)
{
	return http_head_feed(h, s, strlen(s), used);
}

/* Feed n bytes at a time; returns the last result and the total used. */
static int
feed_chunks(struct http_head *h, const char *s, size_t len, size_t n,
    size_t *total)
{
	size_t off, k, used;
	int    r = HTTP_HEAD_MORE;

	*total = 0;
	for (off = 0; off < len; off += k) {
		k = len - off < n ? len - off : n;
		r = http_head_feed(h, s + off, k, &used);
		*total += used;
		if (r != HTTP_HEAD_MORE)
			break;
	}
	return r;
}

static char *
big_head(size_t value_len)
{
	static const char pre[] = "GET / HTTP/1.1\r\nX-Big: ";
	char             *s;
	size_t            n;

	n = strlen(pre);
	if ((s = malloc(n + value_len + 5)) == NULL)
		abort();
	memcpy(s, pre, n);
	memset(s + n, 'a', value_len);
	memcpy(s + n + value_len, "\r\n\r\n", 5);
	return s;
}

static char *
many_fields(int nfields)
{
	char  *s;
	size_t len;
	int    i;

	if ((s = malloc(32 + (size_t)nfields * 16)) == NULL)
		abort();
	len = (size_t)sprintf(s, "GET / HTTP/1.1\r\n");
	for (i = 0; i < nfields; i++)
		len += (size_t)sprintf(s + len, "X-F%d: %d\r\n", i, i);
	strcpy(s + len, "\r\n");
	return s;
}

static void
test_simple(void)
{
	struct http_head h;
	size_t           used;

	http_head_init(&h);
	is_int(feed_all(&h, GET_SIMPLE, &used), HTTP_HEAD_DONE,
	    "simple GET: done");
	is_int(used, strlen(GET_SIMPLE), "simple GET: whole feed used");
	is_int(h.method, HTTP_GET, "simple GET: method");
	is_str(h.method_name, "GET", "simple GET: method name");
	is_str(h.url, "/index.html", "simple GET: url");
	is_str(h.path, "/index.html", "simple GET: path");
	ok(h.http_major == 1 && h.http_minor == 1, "simple GET: HTTP/1.1");
	is_int(h.keep_alive, 1, "simple GET: HTTP/1.1 keeps alive");
	is_int(h.nfields, 2, "simple GET: two fields");
	is_str(h.fields[1].value, "tap", "trailing blanks trimmed from values");
	ok(!h.upgrade && !h.chunked && !h.has_content_length,
	    "simple GET: no upgrade, no body");
	is_int(feed_all(&h, "GET", &used), HTTP_HEAD_DONE,
	    "feeding after done keeps done");
	is_int(used, 0, "... and uses nothing");
	http_head_free(&h);
}

static void
test_byte_at_a_time(void)
{
	struct http_head h;
	const char      *s = GET_SIMPLE;
	size_t           i, len, used, total = 0;
	int              r = HTTP_HEAD_MORE, early = 0;

	http_head_init(&h);
	len = strlen(s);
	for (i = 0; i < len; i++) {
		r = http_head_feed(&h, s + i, 1, &used);
		total += used;
		if (r != HTTP_HEAD_MORE && i + 1 < len)
			early = 1;
	}
	ok(r == HTTP_HEAD_DONE && !early,
	    "byte at a time: done on the last byte");
	is_int(total, len, "byte at a time: every byte used");
	is_str(h.url, "/index.html", "byte at a time: url glued");
	is_str(http_head_get(&h, "host"), "example.com",
	    "byte at a time: value glued");
	http_head_free(&h);
}

static void
test_all_splits(void)
{
	static const char s[] =
	    "POST /api/x?y=1 HTTP/1.1\r\nHost: h\r\nEmpty:\r\n"
	    "Content-Length: 3\r\nConnection: a, b\r\n\r\nabc";
	struct http_head h;
	size_t           len, cut, used1, used2;
	int              r, bad = 0;

	len = strlen(s);
	for (cut = 1; cut < len; cut++) {
		http_head_init(&h);
		r = http_head_feed(&h, s, cut, &used1);
		used2 = 0;
		if (r == HTTP_HEAD_MORE)
			r = http_head_feed(&h, s + cut, len - cut, &used2);
		if (r != HTTP_HEAD_DONE || used1 + used2 != len - 3 ||
		    strcmp(h.url, "/api/x?y=1") != 0 ||
		    strcmp(h.path, "/api/x") != 0 ||
		    strcmp(http_head_get(&h, "empty"), "") != 0 ||
		    !http_head_has_token(&h, "Connection", "b") ||
		    h.content_length != 3)
			bad++;
		http_head_free(&h);
	}
	is_int(bad, 0, "every two-feed split gives the same head");
}

static void
test_pipelined(void)
{
	static const char s[] = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
	                        "GET /two HTTP/1.1\r\nHost: b\r\n\r\n";
	struct http_head  h;
	size_t            used, used2;

	http_head_init(&h);
	is_int(feed_all(&h, s, &used), HTTP_HEAD_DONE, "pipelined: first done");
	is_int(used, strlen("GET /one HTTP/1.1\r\nHost: a\r\n\r\n"),
	    "pipelined: used stops at the end of the first head");
	is_str(h.url, "/one", "pipelined: first url");
	http_head_reset(&h);
	ok(h.buf == NULL, "reset keeps no heap memory");
	is_int(http_head_feed(&h, s + used, strlen(s) - used, &used2),
	    HTTP_HEAD_DONE, "pipelined: second done after reset");
	is_int(used + used2, strlen(s), "pipelined: second uses the rest");
	is_str(h.url, "/two", "pipelined: second url");
	is_str(http_head_get(&h, "Host"), "b", "pipelined: second host");
	http_head_free(&h);
}

static void
test_upgrade(void)
{
	static const char head[] =
	    "GET /ws HTTP/1.1\r\n"
	    "Host: x\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: keep-alive, Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "\r\n";
	static const char frame[] =
	    "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
	struct http_head h;
	char             buf[512];
	size_t           hlen, flen, used;

	hlen = strlen(head);
	flen = sizeof(frame) - 1;
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, frame, flen);
	http_head_init(&h);
	is_int(http_head_feed(&h, buf, hlen + flen, &used), HTTP_HEAD_DONE,
	    "upgrade: done");
	is_int(used, hlen, "upgrade: frame bytes left to the caller");
	ok(memcmp(buf + used, frame, flen) == 0, "upgrade: frame intact");
	is_int(h.upgrade, 1, "upgrade: flagged");
	ok(http_head_has_token(&h, "connection", "upgrade"),
	    "token list: case-insensitive, blanks trimmed");
	ok(http_head_has_token(&h, "Connection", "keep-alive"),
	    "token list: first token");
	ok(!http_head_has_token(&h, "Connection", "upgr"),
	    "token list: no prefix match");
	ok(!http_head_has_token(&h, "X-Missing", "upgrade"),
	    "token list: missing header");
	is_str(http_head_get(&h, "SEC-WEBSOCKET-KEY"),
	    "dGhlIHNhbXBsZSBub25jZQ==", "lookup is case-insensitive");
	ok(http_head_get(&h, "X-Missing") == NULL, "missing header is NULL");
	http_head_free(&h);

	http_head_init(&h);
	feed_all(&h, "GET / HTTP/1.1\r\nConnection: Upgrade\r\n\r\n", &used);
	is_int(h.upgrade, 0,
	    "Connection: upgrade without Upgrade is no upgrade");
	http_head_free(&h);
}

static void
test_limits(void)
{
	struct http_head h;
	size_t           used, total;
	char            *s;

	/* 16384 bytes exactly is allowed, one more is not */
	s = big_head(
	    HTTP_HEAD_MAX_BYTES - strlen("GET / HTTP/1.1\r\nX-Big: ") - 4);
	http_head_init(&h);
	is_int(feed_all(&h, s, &used), HTTP_HEAD_DONE,
	    "16384-byte head accepted");
	is_int(used, HTTP_HEAD_MAX_BYTES, "... all of it used");
	http_head_free(&h);
	free(s);

	s = big_head(HTTP_HEAD_MAX_BYTES);
	http_head_init(&h);
	is_int(feed_all(&h, s, &used), HTTP_HEAD_ERROR, ">16 KiB head refused");
	is_int(h.status, 431, "... with 431");
	http_head_free(&h);
	http_head_init(&h);
	is_int(feed_chunks(&h, s, strlen(s), 7, &total), HTTP_HEAD_ERROR,
	    ">16 KiB head refused when trickled");
	is_int(h.status, 431, "... with 431");
	http_head_free(&h);
	free(s);

	s = many_fields(HTTP_HEAD_MAX_FIELDS);
	http_head_init(&h);
	is_int(feed_all(&h, s, &used), HTTP_HEAD_DONE, "100 fields accepted");
	is_str(h.fields[99].name, "X-F99", "... last field kept");
	http_head_free(&h);
	free(s);

	s = many_fields(HTTP_HEAD_MAX_FIELDS + 1);
	http_head_init(&h);
	is_int(feed_all(&h, s, &used), HTTP_HEAD_ERROR, "101 fields refused");
	is_int(h.status, 431, "... with 431");
	http_head_free(&h);
	free(s);
}

static int
status_of(const char *s)
{
	struct http_head h;
	size_t           used;
	int              r;

	http_head_init(&h);
	r = feed_all(&h, s, &used);
	if (r == HTTP_HEAD_ERROR)
		r = h.status;
	else if (r == HTTP_HEAD_DONE)
		r = 200;
	http_head_free(&h);
	return r;
}

static void
test_errors(void)
{
	struct http_head h;
	size_t           used;

	is_int(status_of("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400,
	    "garbage (a TLS hello) is 400");
	is_int(status_of("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 400,
	    "space in a field name is 400");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length : 4\r\n\r\n"), 400,
	    "blank before the colon is 400");
	is_int(status_of("GET / HTTP/1.1\r\nX-A: a\rContent-Length: 4\r\n\r\n"),
	    400, "bare CR is 400");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: 4\r\n"
	                 "Transfer-Encoding: chunked\r\n\r\n"),
	    400, "Content-Length with Transfer-Encoding is 400");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: 4\r\n"
	                 "Content-Length: 4\r\n\r\n"),
	    400, "duplicate Content-Length is 400");
	is_int(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400,
	    "two Host fields is 400");
	is_int(status_of("GET / HTTP/1.1\r\nOrigin: http://a\r\n"
	                 "Origin: http://b\r\n\r\n"),
	    400, "two Origin fields is 400");
	is_int(status_of("GET / HTTP/1.1\r\nHost: a:1 evil\r\n\r\n"), 400,
	    "a space inside Host is 400");
	is_int(status_of("GET / HTTP/1.1\r\nHost: a:1x\r\n\r\n"), 400,
	    "a port that is not digits is 400");
	is_int(status_of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400,
	    "a slash in Host is 400");
	is_int(status_of("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400,
	    "an unclosed IP literal is 400");
	is_int(status_of("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), 200,
	    "an IPv6 literal with a port is fine");
	is_int(status_of("GET / HTTP/1.1\r\nHost: LocalHost.:80\r\n\r\n"), 200,
	    "a name with a trailing dot and a port is fine");
	is_int(status_of("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 200,
	    "an empty Host is fine (RFC 9112 3.2; the route decides)");
	is_int(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
	    400, "Transfer-Encoding not ending in chunked is 400");
	is_int(status_of("GET /a\tb HTTP/1.1\r\n\r\n"), 400,
	    "tab in the request target is 400");
	is_int(status_of("GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n"), 400,
	    "obsolete line folding is 400");
	is_int(status_of("GET / HTTP/2.0\r\n\r\n"), 505,
	    "HTTP/2.0 text is 505");

	http_head_init(&h);
	feed_all(&h, "BLAH\r\n", &used);
	is_int(feed_all(&h, "GET / HTTP/1.1\r\n\r\n", &used), HTTP_HEAD_ERROR,
	    "an error is sticky");
	is_int(http_head_feed(&h, "", 0, &used), HTTP_HEAD_ERROR,
	    "... even for an empty feed");
	http_head_free(&h);
}

static void
test_body_and_versions(void)
{
	static const char post[] =
	    "POST /v1/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
	struct http_head h;
	size_t           used;

	http_head_init(&h);
	is_int(http_head_feed(&h, "", 0, &used), HTTP_HEAD_MORE,
	    "empty feed is not EOF");
	is_int(feed_all(&h, post, &used), HTTP_HEAD_DONE, "POST: done");
	is_int(used, strlen(post) - 5, "POST: body left to the caller");
	ok(h.has_content_length && h.content_length == 5,
	    "POST: content length 5");
	is_int(h.method, HTTP_POST, "POST: method");

	http_head_reset(&h);
	feed_all(&h, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    &used);
	is_int(h.chunked, 1, "chunked flagged");

	http_head_reset(&h);
	feed_all(&h, "GET / HTTP/1.0\r\n\r\n", &used);
	is_int(h.keep_alive, 0, "HTTP/1.0 closes by default");
	http_head_reset(&h);
	feed_all(&h, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &used);
	is_int(h.keep_alive, 1, "HTTP/1.0 with Connection: keep-alive keeps");
	http_head_reset(&h);
	feed_all(&h, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &used);
	is_int(h.keep_alive, 0, "HTTP/1.1 with Connection: close closes");

	http_head_reset(&h);
	feed_all(&h, "GET /a/b.html?x=1&y=/z HTTP/1.1\r\n\r\n", &used);
	is_str(h.path, "/a/b.html", "query stripped into path");
	is_str(h.url, "/a/b.html?x=1&y=/z", "url keeps the query");
	http_head_free(&h);
}

/* An empty value has no callback: the next name must not glue onto it. */
static void
test_empty_values(void)
{
	struct http_head h;
	const char      *s = "GET / HTTP/1.1\r\nX-A:\r\nX-B: v\r\n\r\n";
	size_t           i, used;
	int              mode, r = HTTP_HEAD_MORE;

	for (mode = 0; mode < 2; mode++) {
		http_head_init(&h);
		if (mode == 0)
			r = http_head_feed(&h, s, strlen(s), &used);
		else
			for (i = 0; s[i] != '\0'; i++)
				r = http_head_feed(&h, s + i, 1, &used);
		ok(r == HTTP_HEAD_DONE && h.nfields == 2, "%s: two fields",
		    mode ? "byte at a time" : "whole");
		is_str(http_head_get(&h, "x-a"), "", "%s: empty value",
		    mode ? "byte at a time" : "whole");
		is_str(http_head_get(&h, "x-b"), "v", "%s: next field intact",
		    mode ? "byte at a time" : "whole");
		http_head_free(&h);
	}
}

/* The Host rule (common/http/host.c) of a default config. */
static void
test_host_rule(void)
{
	static const char *const yes[] = { "localhost", "LOCALHOST:1",
		"localhost.", "127.0.0.1", "127.9.9.9:80", "[::1]:8",
		"gw.example", "GW.EXAMPLE.:443", NULL };
	static const char *const no[] = { "", ":80", "evil.example",
		"localhost.evil", "localhost..", "10.0.0.1", "[::2]",
		"gw.example.evil", "127.0.0.1.evil", NULL };
	struct gw_config         cfg;
	char                    *list[] = { "gw.example" };
	int                      i;

	config_init(&cfg);
	cfg.allowed_hosts.v = list;
	cfg.allowed_hosts.n = 1;
	for (i = 0; yes[i] != NULL; i++)
		ok(http_host_allowed(&cfg, yes[i]), "Host %s allowed", yes[i]);
	for (i = 0; no[i] != NULL; i++)
		ok(!http_host_allowed(&cfg, no[i]), "Host '%s' refused", no[i]);
	ok(!http_host_allowed(&cfg, NULL), "no Host refused");
	free(cfg.bind);
	cfg.bind = strdup("lan");
	ok(http_host_allowed(&cfg, "10.0.0.1:80"), "bind lan: IPv4 literal");
	ok(!http_host_allowed(&cfg, "evil.example"), "bind lan: a name is not");
	cfg.allowed_hosts.v = NULL;
	cfg.allowed_hosts.n = 0;
	config_free(&cfg);
}

int
main(void)
{
	test_simple();
	test_byte_at_a_time();
	test_all_splits();
	test_pipelined();
	test_upgrade();
	test_limits();
	test_errors();
	test_body_and_versions();
	test_empty_values();
	test_host_rule();
	return tap_done();
}
