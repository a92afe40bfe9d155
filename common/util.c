#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/util.h"
#include "common/xmalloc.h"

uint64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
util_master_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

#if defined(HAVE_GETRANDOM)
/*
 * The kernel's generator, read 256 bytes at a time: a handshake takes a
 * connection id and a nonce, and a system call each was a tenth of a
 * worker's calls per connection.  (OpenSSL's RAND_bytes also called
 * getpid() twice per call to notice forks; ours exec, so a pool is never
 * shared with a child.)  Taken bytes are wiped from the pool.
 */
static int
util_random_fill(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t        n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
util_random(void *buf, size_t len)
{
	static unsigned char pool[256];
	static size_t        left;
	unsigned char       *out = buf;
	size_t               n;

	if (len > sizeof(pool))
		return util_random_fill(buf, len);
	while (len > 0) {
		if (left == 0) {
			if (util_random_fill(pool, sizeof(pool)) == -1)
				return -1;
			left = sizeof(pool);
		}
		n = len < left ? len : left;
		memcpy(out, pool + sizeof(pool) - left, n);
		OPENSSL_cleanse(pool + sizeof(pool) - left, n);
		left -= n;
		out += n;
		len -= n;
	}
	return 0;
}
#elif defined(HAVE_ARC4RANDOM_BUF)
int
util_random(void *buf, size_t len)
{
	arc4random_buf(buf, len);
	return 0;
}
#else
int
util_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}
#endif

char *
util_b64url(const void *buf, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = buf;
	char                *out, *o;
	size_t               i;
	uint32_t             v;

	out = o = xmalloc(len / 3 * 4 + 5);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
		*o++ = tab[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

void
util_uuid(char out[37])
{
	unsigned char b[16];

	if (util_random(b, sizeof(b)) == -1)
		abort();
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

int
util_secret_eq(const void *a, size_t la, const void *b, size_t lb)
{
	const unsigned char *pa = a, *pb = b;
	unsigned char        diff = la != lb;
	size_t               i;

	/* Walk the expected secret's length whatever the guess is. */
	for (i = 0; i < lb; i++)
		diff |= (unsigned char)(pb[i] ^ (i < la ? pa[i] : 0));
	return diff == 0;
}

int
util_secret_text_ok(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t               i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int
util_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long  v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Only a regular file is read: a FIFO would block us (the open, then
 * every read) and a directory or a device is no file of ours.  The
 * open does not wait for a writer; the descriptor is made blocking
 * again once fstat has seen a regular file.
 */
static FILE *
util_open_regular(const char *path)
{
	struct stat st;
	FILE       *f;
	int         fd, flags;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) ==
	    -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = UTIL_ENOTREG;
		return NULL;
	}
	if ((flags = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if ((f = fdopen(fd, "r")) == NULL)
		close(fd);
	return f;
}

const char *
util_read_error(int err)
{
	return err == UTIL_ENOTREG ? "not a regular file" : strerror(err);
}

char *
util_read_file(const char *path, size_t max, size_t *lenp)
{
	FILE  *f;
	char  *buf;
	size_t len = 0, cap = 4096, n;

	if ((f = util_open_regular(path)) == NULL)
		return NULL;
	buf = xmalloc(cap);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len > max) {
			fclose(f);
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		if (cap - len - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

char *
util_read_fd(int fd, size_t max, size_t *lenp)
{
	struct stat st;
	char       *buf;
	size_t      len = 0, cap = 4096;
	ssize_t     n;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = UTIL_ENOTREG;
		return NULL;
	}
	buf = xmalloc(cap);
	while ((n = pread(fd, buf + len, cap - len - 1, (off_t)len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || (len += (size_t)n) > max) {
			errno = n == -1 ? EIO : EFBIG;
			free(buf);
			return NULL;
		}
		if (cap - len - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

static int
util_fsync_dir(const char *path)
{
	char *dir, *slash;
	int   fd, rv;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd == -1)
		return -1;
	rv = fsync(fd);
	close(fd);
	return rv;
}

int
util_write_atomic(const char *path, const void *data, size_t len, int mode)
{
	char       *tmp;
	const char *p = data;
	ssize_t     n;
	int         fd, saved;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1) {
		free(tmp);
		return -1;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	return util_fsync_dir(path);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}
