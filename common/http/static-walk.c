#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "common/http/server.h"

/*
 * Files are reached only by walking down from the root directory fd one
 * segment at a time with O_NOFOLLOW, so neither "..", nor a symlink
 * anywhere in the path, nor a rename race can lead outside the root.
 */

#define STATIC_INDEX "index.html"

/* The root itself may be a symlink: it comes from the operator's config. */
int
http_static_root_open(const char *root_dir)
{
	return open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX escapes; -1 on a malformed escape or an encoded NUL. */
int
http_path_decode(const char *raw, char **decoded)
{
	const char *p;
	char       *out, *q;
	int         hi, lo;

	out = q = xmalloc(strlen(raw) + 1);
	for (p = raw; *p != '\0'; p++) {
		if (*p != '%') {
			*q++ = *p;
			continue;
		}
		/* hexval('\0') is -1, so p[2] is never read past the end */
		if ((hi = hexval(p[1])) == -1 || (lo = hexval(p[2])) == -1 ||
		    (hi == 0 && lo == 0)) {
			free(out);
			return -1;
		}
		*q++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*q = '\0';
	*decoded = out;
	return 0;
}

/*
 * Look before opening: opening a FIFO blocks and opening a device may act,
 * so only directories and regular files are opened, and checked again on
 * the descriptor in case the name changed in between.
 */
static int
files_openat(int dirfd, const char *name, struct stat *st)
{
	int fd;

	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode)) {
		errno = ENOENT;
		return -1;
	}
	fd = openat(dirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 ||
	    (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode))) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

static int
files_errno_status(const char *name)
{
	char pb[LOG_PATH_SIZE];

	switch (errno) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:  /* a symlink, refused by O_NOFOLLOW */
	case EMLINK: /* idem on FreeBSD */
	case EACCES:
	case EPERM:
	case ENAMETOOLONG:
		return 404;
	default:
		log_warn("static: open %s", log_clip_path(pb, name));
		return 500;
	}
}

/* Dot files stay private, as with most static servers; this also covers
 * "." and "..". */
static int
files_bad_segment(const char *seg)
{
	return seg[0] == '\0' || seg[0] == '.';
}

static int
files_found(int fd, const struct stat *st, const char *name,
    struct http_file *f)
{
	f->fd = fd;
	f->st = *st;
	f->type = http_mime_type(name);
	return 200;
}

/* A directory asked for with its trailing slash: serve its index. */
static int
files_index(int dirfd, struct http_file *f)
{
	struct stat st;
	int         fd;

	if ((fd = files_openat(dirfd, STATIC_INDEX, &st)) == -1)
		return files_errno_status(STATIC_INDEX);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return 404;
	}
	return files_found(fd, &st, STATIC_INDEX, f);
}

static int
files_walk(int root_fd, char *path, struct http_file *f)
{
	struct stat st;
	char       *seg, *end;
	int         dirfd, fd, status;

	dirfd = root_fd;
	for (seg = path; *seg != '\0'; seg = end + 1) {
		if ((end = strchr(seg, '/')) != NULL)
			*end = '\0';
		if (files_bad_segment(seg)) {
			status = 404;
			goto out;
		}
		if ((fd = files_openat(dirfd, seg, &st)) == -1) {
			status = files_errno_status(seg);
			goto out;
		}
		if (dirfd != root_fd)
			close(dirfd);
		dirfd = fd;
		if (S_ISREG(st.st_mode)) {
			/* "file/" and "file/more" name no file */
			if (end != NULL) {
				status = 404;
				goto out;
			}
			return files_found(fd, &st, seg, f);
		}
		if (end == NULL) {
			status = 301;
			goto out;
		}
	}
	status = files_index(dirfd, f);
out:
	if (dirfd != root_fd)
		close(dirfd);
	return status;
}

int
http_static_open(int root_fd, const char *rel, struct http_file *f)
{
	char *path;
	int   status;

	f->fd = -1;
	if (http_path_decode(rel, &path) == -1)
		return 400;
	if (root_fd == -1)
		status = 404;
	else
		status = files_walk(root_fd, path, f);
	free(path);
	return status;
}
