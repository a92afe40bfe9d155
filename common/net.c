#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/net.h"

int
net_set_nonblock(int fd)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int
net_set_cloexec(int fd)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return -1;
	if (flags & FD_CLOEXEC)
		return 0;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int
net_listen_tcp(const char *host, int port, int backlog, char *err,
    size_t errlen)
{
	struct sockaddr_in sin;
	int                fd, on = 1, saved;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "%s:%d: invalid address", host, port);
		errno = EINVAL;
		return -1;
	}
#ifdef SOCK_CLOEXEC
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
	fd = socket(AF_INET, SOCK_STREAM, 0);
#endif
	if (fd == -1)
		goto fail;
	if (net_set_nonblock(fd) == -1 || net_set_cloexec(fd) == -1)
		goto fail;
	/* A restart must not wait for TIME_WAIT sockets of the last run. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto fail;
	/* The kernel clamps to somaxconn; asking for more costs nothing. */
	if (listen(fd, backlog) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	snprintf(err, errlen, "%s:%d: %s", host, port, strerror(saved));
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

int
net_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in  *sin;
	const struct sockaddr_in6 *sin6;
	const uint8_t             *a;

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		a = sin6->sin6_addr.s6_addr;
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && a[12] == 127;
	default:
		return 0;
	}
}

const char *
net_ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *addr;

	switch (sa->sa_family) {
	case AF_INET:
		addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		break;
	case AF_INET6:
		addr =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		break;
	default:
		addr = NULL;
		break;
	}
	if (addr == NULL ||
	    inet_ntop(sa->sa_family, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}
