/*
 * One gateway per state directory: a POSIX record lock on
 * <stateDir>/gateway.lock, holding our PID for whoever finds it taken.
 * The kernel drops the lock when the process dies, so a crash never
 * leaves a stale lock behind (unlike a PID file alone).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "master/master.h"

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif

/*
 * The holder's PID: the kernel's lock table knows it for sure (the file
 * may still be empty an instant after the lock was taken); the file is
 * the fallback across PID namespaces, where F_GETLK reports 0.
 */
static long
lock_holder(int fd)
{
	struct flock fl;
	char         buf[32];
	ssize_t      n;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
	    fl.l_pid > 0)
		return (long)fl.l_pid;
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		return strtol(buf, NULL, 10);
	}
	return 0;
}

static int
lock_write_pid(int fd)
{
	char buf[32];
	int  len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len)
		return -1;
	return 0;
}

/*
 * Returns the lock descriptor, to stay open (close-on-exec) for the
 * master's life: closing any descriptor of the file would release the
 * lock.  -1 with a message in err.
 */
int
lock_acquire(const char *state_dir, char *err, size_t errlen)
{
	struct flock fl;
	char        *path;
	int          fd, saved;

	xasprintf(&path, "%s/gateway.lock", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == -1) {
		saved = errno;
		if (saved == EAGAIN || saved == EACCES)
			snprintf(err, errlen,
			    "another gateway (pid %ld) holds %s",
			    lock_holder(fd), path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(saved));
		close(fd);
		free(path);
		return -1;
	}
	if (lock_write_pid(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	return fd;
}
