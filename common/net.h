/* Small socket helpers shared by the master and the workers. */
#ifndef COMMON_NET_H
#define COMMON_NET_H

#include <stddef.h>

struct sockaddr;

/*
 * Listening TCP socket on an IPv4 address (SO_REUSEADDR, nonblocking,
 * close-on-exec).  Returns the fd, or -1 with a message in err such as
 * "127.0.0.1:18789: Address already in use".
 */
int net_listen_tcp(const char *host, int port, int backlog, char *err,
    size_t errlen);
int net_set_nonblock(int fd);
int net_set_cloexec(int fd);
/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
int net_is_loopback(const struct sockaddr *sa);
/* The address (no port) as text in buf; "?" if it has none. */
const char *net_ntop(const struct sockaddr *sa, char *buf, size_t len);

#endif
