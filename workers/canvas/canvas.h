/*
 * Canvas worker: serves the static files of <workspace>/canvas under
 * /__openclaw__/canvas/, on the canvas port and on sockets the http worker
 * hands over.  Built as a library on the caller's event_base and sockio
 * base so the worker main (and tests) only wire sockets to it.
 *
 * Responses go out through common/sockio (sendmsg with MSG_NOSIGNAL), and
 * file bodies by bounded pieces read as the output drains.
 */
#ifndef WORKERS_CANVAS_CANVAS_H
#define WORKERS_CANVAS_CANVAS_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>

struct event_base;
struct sockio_base;
struct canvas_server;

#define CANVAS_PREFIX		"/__openclaw__/canvas"

/* A file found under the root, ready to send. */
struct canvas_file {
	int		 cf_fd;
	struct stat	 cf_st;
	const char	*cf_type;	/* Content-Type */
};

/* canvas.c */
/* root_dir need not exist yet: until it does, every file is 404. */
struct canvas_server *canvas_server_new(struct event_base *,
	    struct sockio_base *, const char *root_dir);
void	 canvas_server_free(struct canvas_server *);
/* Serve a socket just accepted (taken over, closed on failure). */
int	 canvas_server_accept(struct canvas_server *, int fd);
/* Serve an accepted socket (taken over, closed on failure) whose first
 * prelen bytes were already read by someone else. */
int	 canvas_server_adopt(struct canvas_server *, int fd, const void *pre,
	    size_t prelen);
/* Stop accepting, close idle connections, finish in-flight responses. */
void	 canvas_server_drain(struct canvas_server *);
int	 canvas_server_nconns(struct canvas_server *);

/* canvas-files.c */
int	 canvas_root_open(const char *root_dir);
int	 canvas_path_decode(const char *raw, char **decoded);
/* rel: raw (still percent-encoded) path below CANVAS_PREFIX "/".  Returns
 * an HTTP status: 200 (f filled, f->cf_fd to close), 301 (a directory,
 * ask for the slash form), 400, 404 or 500. */
int	 canvas_file_open(int root_fd, const char *rel, struct canvas_file *f);

/* canvas-mime.c */
const char *canvas_mime_type(const char *name);

#endif
