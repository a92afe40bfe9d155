/*
 * Canvas worker: serves the static files of <workspace>/canvas under
 * CANVAS_PREFIX/, on the canvas port and on sockets the http worker
 * hands over, with the HTTP server of common/http.  Built as a library
 * on the caller's event_base and sockio base so the worker main (and
 * tests) only wire sockets to it.
 */
#ifndef WORKERS_CANVAS_CANVAS_H
#define WORKERS_CANVAS_CANVAS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

struct event_base;
struct sockio_base;
struct canvas_server;
struct gw_config;

/* canvas.c */
/* root_dir need not exist yet: until it does, every file is 404. */
/* drained(arg) runs when the last connection goes after
 * canvas_server_drain (it may be NULL).  cfg gives the Host rule (NULL:
 * none) and outlives the server. */
struct canvas_server *canvas_server_new(struct event_base *,
    struct sockio_base *, const struct gw_config *, const char *root_dir,
    void (*drained)(void *), void *arg);
void                  canvas_server_free(struct canvas_server *);
/* Serve a socket just accepted (taken over, closed on failure). */
int canvas_server_accept(struct canvas_server *, int fd,
    const struct sockaddr *, socklen_t);
/* Serve an accepted socket (taken over, closed on failure) whose first
 * prelen bytes were already read by someone else. */
int canvas_server_adopt(struct canvas_server *, int fd, const struct sockaddr *,
    socklen_t, const void *pre, size_t prelen);
/* Stop accepting, close idle connections, finish in-flight responses. */
void canvas_server_drain(struct canvas_server *, int restart);
int  canvas_server_nconns(struct canvas_server *);

#endif
