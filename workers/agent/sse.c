/*
 * Server-sent events, incrementally: a line is processed straight from
 * the caller's buffer when it is whole there, and copied only when it
 * straddles two buffers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "workers/agent/sse.h"

/* Buffers larger than this are given back after each event, so a long
 * event early in a stream does not pin its memory for the rest of it. */
#define SSE_KEEP_MAX 16384

struct sse_buf {
	char  *b;
	size_t len, cap;
};

struct sse_parser {
	size_t         max_line, max_event;
	sse_event_cb   cb;
	void          *arg;
	struct sse_buf line, data;
	char           event[SSE_EVENT_NAME_MAX];
	int            after_cr;   /* a CR ended the last line: skip an LF */
	int            first_line; /* a BOM may open the stream */
	int            failed;
	const char    *err;
};

static const char bom[] = "\xef\xbb\xbf";

struct sse_parser *
sse_new(size_t max_line, size_t max_event, sse_event_cb cb, void *arg)
{
	struct sse_parser *p;

	p = xcalloc(1, sizeof(*p));
	p->max_line = max_line;
	p->max_event = max_event;
	p->cb = cb;
	p->arg = arg;
	p->first_line = 1;
	return p;
}

void
sse_free(struct sse_parser *p)
{
	if (p == NULL)
		return;
	free(p->line.b);
	free(p->data.b);
	free(p);
}

const char *
sse_error(const struct sse_parser *p)
{
	return p->err;
}

size_t
sse_held(const struct sse_parser *p)
{
	return sizeof(*p) + p->line.cap + p->data.cap;
}

static int
fail(struct sse_parser *p, const char *why)
{
	p->failed = 1;
	p->err = why;
	return -1;
}

/* Append n bytes, room for a NUL kept; -1 past max. */
static int
buf_add(struct sse_buf *sb, const char *s, size_t n, size_t max)
{
	size_t cap;

	if (n > max || sb->len > max - n)
		return -1;
	if (sb->len + n + 1 > sb->cap) {
		cap = sb->cap ? sb->cap : 256;
		while (cap < sb->len + n + 1)
			cap *= 2;
		sb->b = xrealloc(sb->b, cap);
		sb->cap = cap;
	}
	memcpy(sb->b + sb->len, s, n);
	sb->len += n;
	return 0;
}

static void
buf_reset(struct sse_buf *sb)
{
	sb->len = 0;
	if (sb->cap > SSE_KEEP_MAX) {
		free(sb->b);
		sb->b = NULL;
		sb->cap = 0;
	}
}

static int
dispatch(struct sse_parser *p)
{
	const char *name;
	size_t      len;
	int         rc;

	if (p->data.len == 0) {
		p->event[0] = '\0';
		return 0;
	}
	len = p->data.len - 1; /* the LF after the last data line */
	p->data.b[len] = '\0';
	name = p->event[0] != '\0' ? p->event : "message";
	rc = p->cb(p->arg, name, p->data.b, len);
	buf_reset(&p->data);
	p->event[0] = '\0';
	if (rc != 0) {
		p->failed = 1;
		p->err = NULL;
		return -1;
	}
	return 0;
}

static int
field(struct sse_parser *p, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	if (nlen == 4 && memcmp(name, "data", 4) == 0) {
		if (buf_add(&p->data, v, vlen, p->max_event) == -1 ||
		    buf_add(&p->data, "\n", 1, p->max_event) == -1)
			return fail(p, "event too long");
	} else if (nlen == 5 && memcmp(name, "event", 5) == 0) {
		if (vlen >= sizeof(p->event))
			return fail(p, "event name too long");
		memcpy(p->event, v, vlen);
		p->event[vlen] = '\0';
	}
	return 0;
}

static int
line(struct sse_parser *p, const char *s, size_t n)
{
	const char *colon, *v;
	size_t      nlen, vlen;

	if (p->first_line) {
		p->first_line = 0;
		if (n >= 3 && memcmp(s, bom, 3) == 0) {
			s += 3;
			n -= 3;
		}
	}
	if (n == 0)
		return dispatch(p);
	if (s[0] == ':')
		return 0;
	if ((colon = memchr(s, ':', n)) == NULL)
		return field(p, s, n, "", 0);
	nlen = colon - s;
	v = colon + 1;
	vlen = n - nlen - 1;
	if (vlen > 0 && v[0] == ' ') {
		v++;
		vlen--;
	}
	return field(p, s, nlen, v, vlen);
}

static size_t
line_end(const char *buf, size_t i, size_t len)
{
	while (i < len && buf[i] != '\n' && buf[i] != '\r')
		i++;
	return i;
}

/* A line whose end is at buf[j]: straight from buf, or joined. */
static int
whole_line(struct sse_parser *p, const char *s, size_t n)
{
	int rc;

	if (p->line.len == 0)
		return line(p, s, n);
	if (buf_add(&p->line, s, n, p->max_line) == -1)
		return fail(p, "line too long");
	rc = line(p, p->line.b, p->line.len);
	buf_reset(&p->line);
	return rc;
}

int
sse_feed(struct sse_parser *p, const char *buf, size_t len)
{
	size_t i, j;

	if (p->failed)
		return -1;
	for (i = 0; i < len; i = j + 1) {
		if (p->after_cr) {
			p->after_cr = 0;
			if (buf[i] == '\n') {
				j = i;
				continue;
			}
		}
		j = line_end(buf, i, len);
		if (j == len) {
			if (buf_add(&p->line, buf + i, j - i, p->max_line) ==
			    -1)
				return fail(p, "line too long");
			return 0;
		}
		if (j - i > p->max_line)
			return fail(p, "line too long");
		if (whole_line(p, buf + i, j - i) == -1)
			return -1;
		p->after_cr = buf[j] == '\r';
	}
	return 0;
}

int
sse_finish(struct sse_parser *p)
{
	if (p->failed)
		return -1;
	if (p->line.len > 0) {
		if (line(p, p->line.b, p->line.len) == -1)
			return -1;
		buf_reset(&p->line);
	}
	return dispatch(p);
}
