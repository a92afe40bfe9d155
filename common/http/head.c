#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/http/head.h"
#include "common/xmalloc.h"

/*
 * Strings are copied into one growing buffer, so pieces are located by
 * offset while parsing (realloc may move the buffer) and turned into
 * pointers once, when the head is complete.
 */

/* Which callback delivered the last piece: a new piece either continues it
 * (split across feeds or http-parser's internal chunks) or starts a string. */
enum {
	CB_NONE,
	CB_URL,
	CB_FIELD,
	CB_VALUE
};

/* Strings + NULs (< MAX_BYTES + 2 * MAX_FIELDS + 1) + the path copy. */
#define HEAD_BUF_MAX (2 * HTTP_HEAD_MAX_BYTES + 2 * HTTP_HEAD_MAX_FIELDS + 8)

static int head_on_url(http_parser *, const char *, size_t);
static int head_on_field(http_parser *, const char *, size_t);
static int head_on_value(http_parser *, const char *, size_t);
static int head_on_complete(http_parser *);

static const http_parser_settings head_settings = {
	.on_url = head_on_url,
	.on_header_field = head_on_field,
	.on_header_value = head_on_value,
	.on_headers_complete = head_on_complete,
};

static void
head_reserve(struct http_head *h, size_t more)
{
	size_t need, cap;

	need = h->buf_len + more;
	if (need <= h->buf_cap)
		return;
	cap = h->buf_cap ? h->buf_cap : 512;
	while (cap < need)
		cap *= 2;
	if (cap > HEAD_BUF_MAX && need <= HEAD_BUF_MAX)
		cap = HEAD_BUF_MAX;
	h->buf = xrealloc(h->buf, cap);
	h->buf_cap = cap;
}

static void
head_append(struct http_head *h, const char *at, size_t len)
{
	head_reserve(h, len);
	memcpy(h->buf + h->buf_len, at, len);
	h->buf_len += len;
}

static void
head_nul(struct http_head *h)
{
	head_append(h, "", 1);
}

/* The value is complete: http-parser skips leading blanks, not trailing. */
static void
head_end_value(struct http_head *h)
{
	size_t start;

	start = h->field_off[h->nfields - 1][1];
	while (h->buf_len > start &&
	    (h->buf[h->buf_len - 1] == ' ' || h->buf[h->buf_len - 1] == '\t'))
		h->buf_len--;
	head_nul(h);
}

static void
head_end_piece(struct http_head *h)
{
	switch (h->last_cb) {
	case CB_URL:
		head_nul(h);
		break;
	case CB_FIELD:
		/* a name whose value was empty: no value callback came */
		head_nul(h);
		h->field_off[h->nfields - 1][1] = h->buf_len;
		head_nul(h);
		break;
	case CB_VALUE:
		head_end_value(h);
		break;
	}
}

static int
head_on_url(http_parser *p, const char *at, size_t len)
{
	struct http_head *h = p->data;

	if (h->last_cb == CB_NONE) {
		h->url_off = h->buf_len;
		h->last_cb = CB_URL;
	}
	head_append(h, at, len);
	return 0;
}

static int
head_on_field(http_parser *p, const char *at, size_t len)
{
	struct http_head *h = p->data;
	size_t            pos;

	/*
	 * A name goes on where the last piece ended (http-parser hands
	 * partial names over at the end of each feed); anywhere else it is
	 * a new field, even after an empty value, which has no callback.
	 */
	pos = h->feed_off + (size_t)(at - h->feed_base);
	if (h->last_cb == CB_FIELD && pos == h->field_end) {
		h->field_end = pos + len;
		if (!h->too_many)
			head_append(h, at, len);
		return 0;
	}
	h->field_end = pos + len;
	/*
	 * Too many fields fail at the end of the head (431), once the
	 * parser has checked every byte: http-parser hands pieces over at
	 * the end of each feed, and a verdict taken in a callback would
	 * depend on how the head was cut.  The head stays bounded by
	 * HTTP_HEAD_MAX_BYTES meanwhile.
	 */
	if (h->nfields == HTTP_HEAD_MAX_FIELDS) {
		h->too_many = 1;
		h->last_cb = CB_FIELD;
		return 0;
	}
	head_end_piece(h);
	h->field_off[h->nfields++][0] = h->buf_len;
	h->last_cb = CB_FIELD;
	head_append(h, at, len);
	return 0;
}

static int
head_on_value(http_parser *p, const char *at, size_t len)
{
	struct http_head *h = p->data;

	if (h->too_many)
		return 0;
	if (h->last_cb != CB_VALUE) {
		if (h->last_cb != CB_FIELD) {
			h->status = 400;
			return -1;
		}
		head_nul(h);
		h->field_off[h->nfields - 1][1] = h->buf_len;
		h->last_cb = CB_VALUE;
	}
	head_append(h, at, len);
	return 0;
}

static void
head_fixup(struct http_head *h)
{
	size_t ulen, path_off;
	int    i;

	/* path = url up to the query (or a fragment, which clients should
	 * not send); copied last because it is the last growth of buf */
	ulen = strcspn(h->buf + h->url_off, "?#");
	head_reserve(h, ulen + 1);
	path_off = h->buf_len;
	memcpy(h->buf + path_off, h->buf + h->url_off, ulen);
	h->buf_len += ulen;
	head_nul(h);

	h->url = h->buf + h->url_off;
	h->path = h->buf + path_off;
	for (i = 0; i < h->nfields; i++) {
		h->fields[i].name = h->buf + h->field_off[i][0];
		h->fields[i].value = h->buf + h->field_off[i][1];
	}
}

static int
head_count(const struct http_head *h, const char *name)
{
	int i, n;

	for (i = n = 0; i < h->nfields; i++)
		if (strcasecmp(h->fields[i].name, name) == 0)
			n++;
	return n;
}

/*
 * Message framing must be unambiguous, or a proxy in front of us and we
 * could disagree on where this request ends (request smuggling).  Checked
 * here whatever http-parser's own leniency.
 */
static int
head_check_framing(struct http_head *h)
{
	int ncl, nte;

	ncl = head_count(h, "Content-Length");
	nte = head_count(h, "Transfer-Encoding");
	if (ncl > 1 || (ncl && nte))
		return -1;
	if (nte && !h->chunked)
		return -1; /* RFC 9112 6.3: final coding must be chunked */
	return 0;
}

/* host [":" port] (RFC 9110 7.2, RFC 3986 3.2.2): an IP literal in
 * brackets or a reg-name, so nothing can ride after the name. */
static int
head_host_syntax(const char *v)
{
	static const char regname[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~%!$&'()*+,;=";
	size_t n;

	if (*v == '[') {
		n = 1 + strspn(v + 1, "0123456789abcdefABCDEF:.");
		if (v[n] != ']')
			return -1;
		v += n + 1;
	} else
		v += strspn(v, regname);
	if (*v == ':')
		v += 1 + strspn(v + 1, "0123456789");
	return *v == '\0' ? 0 : -1;
}

/*
 * Host and Origin decide what is served and to whom: two of either (RFC
 * 9112 3.2 for Host), and two checks, or a proxy and us, may each read a
 * different one; a Host that is not a host[:port] may carry anything
 * after the name a check looks at.
 */
static int
head_check_authority(const struct http_head *h)
{
	const char *host;

	if (head_count(h, "Host") > 1 || head_count(h, "Origin") > 1)
		return -1;
	if ((host = http_head_get(h, "Host")) != NULL &&
	    head_host_syntax(host) == -1)
		return -1;
	return 0;
}

/*
 * Non-strict http-parser accepts blanks in names ("Content-Length :") and
 * tab or form feed in the request target.
 */
static int
head_check_syntax(const struct http_head *h)
{
	static const char tchar[] =
	    "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *name;
	int         i;

	for (name = h->url; *name != '\0'; name++)
		if ((unsigned char)*name <= ' ' || *name == 0x7f)
			return -1;
	for (i = 0; i < h->nfields; i++) {
		name = h->fields[i].name;
		if (name[0] == '\0' || name[strspn(name, tchar)] != '\0')
			return -1;
	}
	return 0;
}

static int
head_on_complete(http_parser *p)
{
	struct http_head *h = p->data;

	if (h->too_many) {
		h->status = 431;
		return -1;
	}
	if (h->last_cb == CB_NONE) {
		h->status = 400;
		return -1;
	}
	head_end_piece(h);
	head_fixup(h);

	h->method = p->method;
	h->method_name = http_method_str(p->method);
	h->http_major = p->http_major;
	h->http_minor = p->http_minor;
	h->keep_alive = http_should_keep_alive(p) != 0;
	h->chunked = (p->flags & F_CHUNKED) != 0;
	h->has_content_length = (p->flags & F_CONTENTLENGTH) != 0;
	h->content_length = h->has_content_length ? p->content_length : 0;
	h->state = HTTP_HEAD_DONE; /* fields are usable from here on */
	h->upgrade = http_head_get(h, "Upgrade") != NULL &&
	    http_head_has_token(h, "Connection", "upgrade");

	if (head_check_syntax(h) == -1 || head_check_framing(h) == -1 ||
	    head_check_authority(h) == -1) {
		h->state = HTTP_HEAD_MORE;
		h->status = 400;
		return -1;
	}
	if (h->http_major != 1) {
		h->state = HTTP_HEAD_MORE;
		h->status = 505;
		return -1;
	}
	/* Stop right after the head: the rest belongs to the caller. */
	http_parser_pause(p, 1);
	return 0;
}

static int
head_fail(struct http_head *h, int status)
{
	h->state = HTTP_HEAD_ERROR;
	h->status = status;
	return HTTP_HEAD_ERROR;
}

static int
head_errno_status(const http_parser *p)
{
	switch (HTTP_PARSER_ERRNO(p)) {
	case HPE_INVALID_VERSION:
		return 505;
	default: /* our 16 KiB limit comes long before http-parser's */
		return 400;
	}
}

/*
 * Line-level ambiguities that http-parser (built non-strict) lets through
 * and that let two parsers see different headers: obsolete line folding
 * (a line starting with a blank) and a bare CR, which it takes for a LF.
 */
static size_t
head_bad_index(const struct http_head *h, const char *data, size_t len)
{
	size_t i;
	char   prev;

	prev = h->last_byte;
	for (i = 0; i < len; i++) {
		if (prev == '\n' && (data[i] == ' ' || data[i] == '\t'))
			return i;
		if (prev == '\r' && data[i] != '\n')
			return i;
		prev = data[i];
	}
	return len;
}

void
http_head_init(struct http_head *h)
{
	memset(h, 0, sizeof(*h));
	http_parser_init(&h->parser, HTTP_REQUEST);
	h->parser.data = h;
	h->state = HTTP_HEAD_MORE;
	h->last_cb = CB_NONE;
}

void
http_head_free(struct http_head *h)
{
	free(h->buf);
	h->buf = NULL;
	h->buf_len = h->buf_cap = 0;
}

void
http_head_reset(struct http_head *h)
{
	http_head_free(h);
	http_head_init(h);
}

int
http_head_feed(struct http_head *h, const char *data, size_t len, size_t *used)
{
	size_t n, nparsed, bad;

	*used = 0;
	if (h->state != HTTP_HEAD_MORE)
		return h->state;
	if (len == 0)
		return HTTP_HEAD_MORE; /* 0 bytes would mean EOF to http-parser */
	if (h->head_bytes >= HTTP_HEAD_MAX_BYTES)
		return head_fail(h, 431);

	/* Never parse past the limit, so a huge head costs at most 16 KiB. */
	n = HTTP_HEAD_MAX_BYTES - h->head_bytes;
	if (n > len)
		n = len;
	/*
	 * Parse up to and including the first bad byte, as if bytes came
	 * one at a time: a parser error on or before it wins, else the bad
	 * byte does, so the answer does not depend on how the head was cut.
	 */
	bad = head_bad_index(h, data, n);
	h->feed_base = data;
	h->feed_off = h->head_bytes;
	nparsed = http_parser_execute(&h->parser, &head_settings, data,
	    bad < n ? bad + 1 : n);

	if (h->state == HTTP_HEAD_DONE) {
		/* Paused in on_headers_complete, http-parser returns the
		 * offset of the head's final LF, not past it. */
		nparsed++;
	} else if (h->status != 0)
		return head_fail(h, h->status);
	else if (HTTP_PARSER_ERRNO(&h->parser) != HPE_OK)
		return head_fail(h, head_errno_status(&h->parser));
	else if (bad < n)
		return head_fail(h, 400);
	if (nparsed > 0)
		h->last_byte = data[nparsed - 1];
	h->head_bytes += nparsed;
	if (h->state == HTTP_HEAD_DONE) {
		*used = nparsed;
		return HTTP_HEAD_DONE;
	}
	if (n < len)
		return head_fail(h, 431);
	*used = n;
	return HTTP_HEAD_MORE;
}

const char *
http_head_get(const struct http_head *h, const char *name)
{
	int i;

	if (h->state != HTTP_HEAD_DONE)
		return NULL;
	for (i = 0; i < h->nfields; i++)
		if (strcasecmp(h->fields[i].name, name) == 0)
			return h->fields[i].value;
	return NULL;
}

static int
head_list_has(const char *list, const char *token)
{
	const char *p, *end, *e;
	size_t      tlen;

	tlen = strlen(token);
	for (p = list; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		p += strspn(p, " \t");
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (e = end; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if ((size_t)(e - p) == tlen && strncasecmp(p, token, tlen) == 0)
			return 1;
	}
	return 0;
}

int
http_head_has_token(const struct http_head *h, const char *name,
    const char *token)
{
	int i;

	if (h->state != HTTP_HEAD_DONE)
		return 0;
	/* A list header may be split over several lines (RFC 9110 5.3). */
	for (i = 0; i < h->nfields; i++)
		if (strcasecmp(h->fields[i].name, name) == 0 &&
		    head_list_has(h->fields[i].value, token))
			return 1;
	return 0;
}
