/*
 * Static files: the answer for a file found by static-walk.c, revalidated
 * by If-Modified-Since, a single byte range if asked, and the body read
 * in bounded pieces as the output drains, so a large file costs no more
 * memory than a small one.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/http/conn.h"
#include "common/log.h"
#include "common/sockio.h"
#include "common/xmalloc.h"

/*
 * File bytes queued at once.  libevent adds its chain header and rounds
 * up to a power of two: this is one 64 KiB allocation, under malloc's
 * mmap threshold.
 */
#define STATIC_CHUNK (64 * 1024 - 512)

/* Browsers echo Last-Modified verbatim; no-cache makes them ask. */
#define STATIC_CACHE "no-cache"

void
http_static_more(struct http_conn *c)
{
	struct http_resp     *r = &c->resp;
	struct evbuffer      *out = sockio_output(c->sio);
	struct evbuffer_iovec v;
	size_t                want = STATIC_CHUNK;
	ssize_t               n = -1;
	char                  pb[LOG_PATH_SIZE];

	if (r->file_left < (off_t)want)
		want = (size_t)r->file_left;
	if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) != 1)
		errno = ENOMEM;
	else if ((n = pread(r->file_fd, v.iov_base, want, r->file_off)) > 0) {
		v.iov_len = (size_t)n;
		evbuffer_commit_space(out, &v, 1);
		r->file_off += n;
		r->file_left -= n;
	}
	if (n <= 0) {
		if (n == 0)
			log_warnx("static: %s shrank while being sent",
			    log_clip_path(pb, c->head.path));
		else
			log_warn("static: cannot send %s",
			    log_clip_path(pb, c->head.path));
		c->close_after = 1; /* the head promised more */
		r->file_left = 0;
	}
	if (r->file_left == 0) {
		close(r->file_fd);
		r->file_fd = -1;
		http_respond_end(c);
	}
}

/*
 * "bytes=first-last", "bytes=first-" or "bytes=-suffix", one range only
 * (several would need multipart/byteranges).  1: a range, in *off and
 * *len; 0: no usable Range header (send it all); -1: unsatisfiable.
 */
static int
static_range(const char *v, off_t size, off_t *off, off_t *len)
{
	uintmax_t a, b;
	char     *end;

	if (v == NULL || strncmp(v, "bytes=", 6) != 0 || strchr(v, ',') != NULL)
		return 0;
	v += 6;
	if (*v == '-') {
		b = strtoumax(v + 1, &end, 10);
		if (end == v + 1 || *end != '\0')
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*len = b < (uintmax_t)size ? (off_t)b : size;
		*off = size - *len;
		return 1;
	}
	a = strtoumax(v, &end, 10);
	if (end == v || *end != '-')
		return 0;
	v = end + 1;
	b = *v == '\0' ? UINTMAX_MAX : strtoumax(v, &end, 10);
	if ((*v != '\0' && *end != '\0') || b < a)
		return 0;
	if (a >= (uintmax_t)size)
		return -1;
	if (b >= (uintmax_t)size)
		b = (uintmax_t)size - 1;
	*off = (off_t)a;
	*len = (off_t)(b - a + 1);
	return 1;
}

/* The head for the bytes [off, off + len) of the file; 0 if sent. */
static int
static_head(struct http_conn *c, struct http_file *f, off_t *off, off_t *len)
{
	const char *ims;
	char        mtime[64], extra[256];
	long long   size = (long long)f->st.st_size;
	int         rv;

	http_date(f->st.st_mtime, mtime, sizeof(mtime));
	http_respond_cache(c, STATIC_CACHE);
	ims = http_head_get(&c->head, "If-Modified-Since");
	if (ims != NULL && strcmp(ims, mtime) == 0) {
		snprintf(extra, sizeof(extra), "Last-Modified: %s\r\n", mtime);
		http_respond_head(c, 304, extra, NULL, -2);
		return 0;
	}
	*off = 0;
	*len = f->st.st_size;
	rv = static_range(http_head_get(&c->head, "Range"), f->st.st_size, off,
	    len);
	if (rv == -1) {
		snprintf(extra, sizeof(extra),
		    "Content-Range: bytes */%lld\r\n", size);
		http_respond_error(c, 416, extra, "range not satisfiable",
		    "invalid_request_error");
		return 0;
	}
	if (rv == 1)
		snprintf(extra, sizeof(extra),
		    "Last-Modified: %s\r\n"
		    "Accept-Ranges: bytes\r\nContent-Range: bytes %lld-%lld/%lld"
		    "\r\n",
		    mtime, (long long)*off, (long long)(*off + *len - 1), size);
	else
		snprintf(extra, sizeof(extra),
		    "Last-Modified: %s\r\n"
		    "Accept-Ranges: bytes\r\n",
		    mtime);
	http_respond_head(c, rv == 1 ? 206 : 200, extra, f->type,
	    (long long)*len);
	return 1;
}

void
http_static_send(struct http_conn *c, struct http_file *f)
{
	off_t off = 0, len = 0;

	if (!static_head(c, f, &off, &len) || http_respond_bodiless(c) ||
	    len == 0) {
		close(f->fd);
		http_respond_end(c);
		return;
	}
	/* Sent by pieces as the output drains; the first joins the head. */
	c->resp.file_fd = f->fd;
	c->resp.file_off = off;
	c->resp.file_left = len;
	http_static_more(c);
}

void
http_redirect_slash(struct http_conn *c, const char *path)
{
	const char *query;
	char       *extra;

	/* head.c refused blanks and controls in the target, so the
	 * Location line cannot be split */
	query = strchr(c->head.url, '?');
	xasprintf(&extra, "Location: %s/%s\r\n", path, query ? query : "");
	http_respond_head(c, 301, extra, NULL, 0);
	free(extra);
	http_respond_end(c);
}

void
http_static_serve(struct http_conn *c, int root_fd, const char *rel,
    const char *dir)
{
	struct http_file f;
	int              status;

	status = http_static_open(root_fd, rel, &f);
	switch (status) {
	case 200:
		http_static_send(c, &f);
		break;
	case 301:
		http_redirect_slash(c, dir);
		break;
	case 400:
		http_respond_error(c, 400, NULL, "bad request",
		    "invalid_request_error");
		break;
	case 404:
		http_respond_error(c, 404, NULL, "not found", "not_found");
		break;
	default:
		http_respond_error(c, 500, NULL, "internal error",
		    "server_error");
		break;
	}
}
