/* Small utilities: clocks, randomness, encodings. */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

uint64_t util_now_ms(void);  /* wall clock, epoch ms */
uint64_t util_mono_ms(void); /* monotonic ms */

/*
 * The signals the master acts on and workers leave to it (SIGHUP,
 * SIGINT, SIGTERM, SIGUSR1, SIGUSR2): a worker is spawned with them
 * blocked and unblocks them once its dispositions are set.
 */
void util_master_sigset(sigset_t *);
/* Cryptographically random bytes; -1 on failure. */
int util_random(void *buf, size_t len);
/* base64url without padding, heap string. */
char *util_b64url(const void *buf, size_t len);
/* Random RFC 4122 version 4 UUID, 36 characters + NUL. */
void util_uuid(char out[37]);
/*
 * Constant-time comparison of two secrets, length-delimited byte strings
 * (lengths may differ; a NUL is a byte like any other).  b is the
 * expected one: the time depends on its length only.
 */
int util_secret_eq(const void *a, size_t la, const void *b, size_t lb);
/* 1 if len bytes hold no control character (NUL, C0, DEL): a secret must
 * survive every C string, header, argv and file line it goes through. */
int util_secret_text_ok(const void *s, size_t len);
/* Parse a decimal long in [min,max]; -1 if not one. */
int util_parse_long(const char *s, long min, long max, long *out);
/*
 * Read a whole regular file (at most max bytes); heap, NUL-terminated.
 * NULL with errno set; a FIFO, a directory or a device is refused at
 * once with errno UTIL_ENOTREG (never waited on).
 */
#define UTIL_ENOTREG EINVAL
char *util_read_file(const char *path, size_t max, size_t *lenp);
/*
 * The same from an open descriptor, from its start (pread: the offset
 * is not moved, so a descriptor can be read again).
 */
char *util_read_fd(int fd, size_t max, size_t *lenp);
/* strerror for util_read_file's errno: "not a regular file" for its own. */
const char *util_read_error(int err);
/* Write a file atomically: temp in the same dir, fsync, rename, fsync dir. */
int util_write_atomic(const char *path, const void *data, size_t len, int mode);

#endif
