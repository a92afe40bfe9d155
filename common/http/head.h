/*
 * Incremental HTTP/1.1 request-head reader on top of http-parser, with the
 * limits an exposed daemon needs: bounded head size and header count.
 * Used by the HTTP server (common/http/conn.c), for the http worker's
 * main port and the canvas worker alike; request bodies are read on by
 * common/http/body.c with the same parser.
 *
 * Bytes are fed as they arrive; only new bytes are parsed (no rescans, so
 * a byte-at-a-time client costs O(n)).  Once the head is complete, the
 * parser pauses: the caller learns how many of the fed bytes belonged to
 * the head, and what follows (body, pipelined requests, WebSocket frames)
 * stays the caller's.
 */
#ifndef COMMON_HTTP_HEAD_H
#define COMMON_HTTP_HEAD_H

#include <stddef.h>
#include <stdint.h>
#include <http_parser.h>

#define HTTP_HEAD_MAX_BYTES  16384
#define HTTP_HEAD_MAX_FIELDS 100

struct http_field {
	const char *name;  /* points into http_head.buf, NUL-terminated */
	const char *value; /* idem; leading/trailing blanks trimmed */
};

struct http_head {
	/* filled when http_head_feed returns HTTP_HEAD_DONE */
	int         method;      /* enum http_method */
	const char *method_name; /* "GET", ... */
	const char *url;         /* raw request target, in buf */
	const char
	        *path; /* url up to '?' or '#', still percent-encoded, in buf */
	int      http_major, http_minor;
	int      keep_alive; /* per version and Connection header */
	int      upgrade;    /* Connection: upgrade + Upgrade header present */
	int      chunked;    /* Transfer-Encoding: chunked */
	int      has_content_length;
	uint64_t content_length;
	struct http_field fields[HTTP_HEAD_MAX_FIELDS];
	int               nfields;

	/* private */
	http_parser parser;
	char  *buf; /* heap: strings + path copy, < 2 * MAX_BYTES + slack */
	size_t buf_len, buf_cap;
	size_t head_bytes; /* raw bytes consumed so far */
	int    state;
	int    status;         /* HTTP status to answer on error */
	int    too_many;       /* a field past HTTP_HEAD_MAX_FIELDS */
	const char *feed_base; /* the bytes being fed ... */
	size_t      feed_off;  /* ... start at this stream offset */
	size_t      field_end; /* stream offset after the last name piece */
	int         last_cb;   /* url, field or value: glues split pieces */
	char        last_byte; /* of the previous feed, for obs-fold */
	uint32_t    url_off;   /* offsets into buf until the head is done */
	uint32_t    field_off[HTTP_HEAD_MAX_FIELDS][2];
};

enum {
	HTTP_HEAD_MORE = 0, /* all bytes consumed, head not complete yet */
	/* head complete; *used = bytes of this feed that belong to the head;
	 * the parser is paused on the head's final LF (see body.c) */
	HTTP_HEAD_DONE = 1,
	HTTP_HEAD_ERROR =
	    -1, /* bad request: answer head->status (400, 431, 505, ...) and close */
};

void http_head_init(struct http_head *);
/* Release buf; the struct may be reused after http_head_init. */
void http_head_free(struct http_head *);
/* Reset for the next request on a keep-alive connection (keeps no memory). */
void http_head_reset(struct http_head *);
int
http_head_feed(struct http_head *, const char *data, size_t len, size_t *used);
/* Case-insensitive header lookup; NULL if absent.  First occurrence. */
const char *http_head_get(const struct http_head *, const char *name);
/* 1 if a comma-separated header contains token (case-insensitive). */
int http_head_has_token(const struct http_head *, const char *name,
    const char *token);

#endif
