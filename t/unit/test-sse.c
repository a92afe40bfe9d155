/*
 * The SSE parser (workers/agent/sse.c): every chunking of a sample
 * stream, down to one byte at a time and every two-way split, gives the
 * same events; line ends CRLF, LF and CR; comments, names, multi-line
 * data, a final event without its blank line; the limits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/unit/tap.h"
#include "workers/agent/sse.h"

struct rec {
	char   out[8192];
	size_t len;
	int    n, stop_after;
};

static int
on_event(void *arg, const char *name, const char *data, size_t len)
{
	struct rec *r = arg;

	if (strlen(data) != len)
		return -1;
	r->len += snprintf(r->out + r->len, sizeof(r->out) - r->len, "[%s|%s]",
	    name, data);
	r->n++;
	return r->stop_after && r->n >= r->stop_after ? -1 : 0;
}

/* Feed s in pieces of the given sizes (cycled); the events as text. */
static int
run(const char *s, size_t len, const size_t *sizes, size_t nsizes,
    struct rec *r, size_t max_line, size_t max_event)
{
	struct sse_parser *p;
	size_t             off = 0, k = 0, n;
	int                rc = 0;

	memset(r, 0, sizeof(*r));
	p = sse_new(max_line, max_event, on_event, r);
	while (off < len && rc == 0) {
		n = sizes[k++ % nsizes];
		if (n > len - off)
			n = len - off;
		rc = sse_feed(p, s + off, n);
		off += n;
	}
	if (rc == 0)
		rc = sse_finish(p);
	sse_free(p);
	return rc;
}

static const char sample[] = "\xef\xbb\xbf: a comment first\r\n"
                             "event: message_start\r\n"
                             "data: {\"a\":1}\r\n"
                             "\r\n"
                             "data: line one\n"
                             "data:line two\n"
                             "data:  two spaces\n"
                             "id: 7\n"
                             "retry: 100\n"
                             "\n"
                             "event: ping\r"
                             "data\r"
                             "\r"
                             "event: empty-is-skipped\n"
                             "\n"
                             ":keepalive\n\n"
                             "event: x\n"
                             "data: last, no blank line";

static const char want[] = "[message_start|{\"a\":1}]"
                           "[message|line one\nline two\n two spaces]"
                           "[ping|]"
                           "[x|last, no blank line]";

static void
test_chunkings(void)
{
	struct rec r;
	size_t     len = sizeof(sample) - 1, i, sz[2];
	int        bad = 0;

	sz[0] = len;
	is_int(run(sample, len, sz, 1, &r, 1024, 1024), 0, "whole: ok");
	is_str(r.out, want, "whole: the events");
	for (i = 1; i <= 7; i++) {
		sz[0] = i;
		if (run(sample, len, sz, 1, &r, 1024, 1024) != 0 ||
		    strcmp(r.out, want) != 0)
			bad++;
	}
	is_int(bad, 0, "pieces of 1..7 bytes: the same events");
	bad = 0;
	for (i = 1; i < len; i++) {
		sz[0] = i;
		sz[1] = len;
		if (run(sample, len, sz, 2, &r, 1024, 1024) != 0 ||
		    strcmp(r.out, want) != 0)
			bad++;
	}
	is_int(bad, 0, "every split in two: the same events");
	bad = 0;
	for (i = 0; i < 200; i++) {
		size_t rs[5] = { 1 + i % 3, 2 + i % 5, 1, 3 + i % 11, 13 };
		if (run(sample, len, rs, 5, &r, 1024, 1024) != 0 ||
		    strcmp(r.out, want) != 0)
			bad++;
	}
	is_int(bad, 0, "mixed piece sizes: the same events");
}

static void
test_line_ends(void)
{
	static const char *const s[] = { "data: a\n\ndata: b\n\n",
		"data: a\r\n\r\ndata: b\r\n\r\n", "data: a\r\rdata: b\r\r",
		"data: a\r\n\rdata: b\n\r\n" };
	struct rec               r;
	size_t                   i, one = 1;

	for (i = 0; i < 4; i++) {
		run(s[i], strlen(s[i]), &one, 1, &r, 64, 64);
		is_str(r.out, "[message|a][message|b]", "line ends %zu", i);
	}
	/* CR then LF in the next buffer is one line end, not two. */
	run("data: a\r\ndata: b\r\n\r\n", 20, (size_t[]){ 8 }, 1, &r, 64, 64);
	is_str(r.out, "[message|a\nb]", "CR|LF across buffers: one line end");
}

static void
like_err(struct sse_parser *p)
{
	ok(sse_error(p) != NULL && strstr(sse_error(p), "name") != NULL,
	    "the reason names it: %s", sse_error(p) ? sse_error(p) : "(null)");
}

static void
test_limits(void)
{
	struct rec r;
	char       big[300];
	size_t     one = 1, all = 1000;

	memset(big, 'x', sizeof(big));
	memcpy(big, "data: ", 6);
	big[sizeof(big) - 1] = '\n';
	is_int(run(big, sizeof(big), &all, 1, &r, 100, 1000), -1,
	    "a line over max_line (whole): error");
	is_int(run(big, sizeof(big), &one, 1, &r, 100, 1000), -1,
	    "a line over max_line (bytewise): error");
	is_int(run(big, sizeof(big), &one, 1, &r, 1000, 1000), 0,
	    "the same line under the limit: ok");
	is_int(run("data: 0123456789\ndata: 0123456789\n\n", 35, &one, 1, &r,
	           100, 20),
	    -1, "an event over max_event: error");
	is_int(run("data: 0123456789\n\ndata: 0123456789\n\n", 36, &one, 1, &r,
	           100, 20),
	    0, "two events each under max_event: ok");
	{
		struct sse_parser *p = sse_new(100, 100, on_event, &r);
		char               name[80];

		memset(&r, 0, sizeof(r));
		snprintf(name, sizeof(name), "event: %070d\n", 0);
		is_int(sse_feed(p, name, strlen(name)), -1,
		    "an event name over 63 bytes: error");
		like_err(p);
		sse_free(p);
	}
}

static void
test_stop_and_after(void)
{
	struct sse_parser *p;
	struct rec         r;

	memset(&r, 0, sizeof(r));
	r.stop_after = 1;
	p = sse_new(64, 64, on_event, &r);
	is_int(sse_feed(p, "data: a\n\ndata: b\n\n", 18), -1,
	    "callback stop: feed says -1");
	is_int(r.n, 1, "no event after the stop");
	ok(sse_error(p) == NULL, "a stop is not a parse error");
	is_int(sse_feed(p, "data: c\n\n", 9), -1, "no input after the stop");
	sse_free(p);
	memset(&r, 0, sizeof(r));
	p = sse_new(64, 64, on_event, &r);
	sse_feed(p, "data: a", 7);
	ok(sse_held(p) > 0, "a partial line is held");
	is_int(sse_finish(p), 0, "finish");
	is_str(r.out, "[message|a]", "EOF ends the last line and event");
	sse_free(p);
}

int
main(void)
{
	test_chunkings();
	test_line_ends();
	test_limits();
	test_stop_and_after();
	return tap_done();
}
