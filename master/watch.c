/*
 * The master watches its config file and reads it again (reload.c) once
 * it has stopped changing for gateway.reload.debounceMs.
 *
 * The DIRECTORY is watched, and its events filtered by the file's name:
 * an editor that writes a new file and renames it over the old one, and
 * a file deleted and then created again, replace the inode a watch on
 * the file would hold.  inotify on Linux, kqueue where it exists (the
 * directory for entries, the file for writes, reopened after each
 * event), else a stat() of the file every second.  Every event only arms
 * the debounce timer; when it fires, the file's identity (device, inode,
 * size, mtime, or absence) is compared with what the last reload saw, so
 * the directory's other traffic (the lock, the log) reads nothing.
 * gateway.reload.mode "off": nothing is watched.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SYS_INOTIFY_H
#include <sys/inotify.h>
#elif defined(HAVE_SYS_EVENT_H)
#include <sys/event.h>
#endif

#include <event2/event.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/master.h"

#define WATCH_POLL_MS 1000

/* What the file is now; all zero when it does not exist. */
struct watch_sig {
	dev_t  dev;
	ino_t  ino;
	off_t  size;
	time_t mtime;
	long   mtime_ns;
	mode_t mode;
	int    exists;
};

struct watch {
	struct master   *w_m;
	char            *w_path;
	char            *w_dir;
	const char      *w_name;            /* in w_path */
	int              w_fd;              /* inotify or kqueue; -1: polling */
	int              w_dirfd, w_filefd; /* kqueue's */
	struct event    *w_ev;              /* w_fd readable */
	struct event    *w_poll;            /* no inotify nor kqueue */
	struct event    *w_debounce;
	struct watch_sig w_sig; /* at the last reload */
};

static void
watch_sig_get(const char *path, struct watch_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) == -1)
		return;
	s->exists = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mode = st.st_mode;
#if defined(__APPLE__)
	s->mtime = st.st_mtimespec.tv_sec;
	s->mtime_ns = st.st_mtimespec.tv_nsec;
#else
	s->mtime = st.st_mtim.tv_sec;
	s->mtime_ns = st.st_mtim.tv_nsec;
#endif
}

static int
watch_sig_same(const struct watch_sig *a, const struct watch_sig *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime == b->mtime &&
	    a->mtime_ns == b->mtime_ns && a->mode == b->mode;
}

/* Something moved: read the file once it has been quiet for a while. */
static void
watch_changed(struct watch *w)
{
	struct timeval tv;
	long           ms = w->w_m->m_cfg.reload_debounce_ms;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->w_debounce, &tv);
}

static void
watch_debounce_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct watch    *w = arg;
	struct watch_sig now;

	(void)fd;
	(void)ev;
	watch_sig_get(w->w_path, &now);
	if (watch_sig_same(&now, &w->w_sig))
		return;
	w->w_sig = now;
	/* May free w (mode off): nothing after this. */
	master_reload(w->w_m, "file changed");
}

static void
watch_poll_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct watch    *w = arg;
	struct watch_sig now;

	(void)fd;
	(void)ev;
	watch_sig_get(w->w_path, &now);
	if (!watch_sig_same(&now, &w->w_sig) &&
	    !evtimer_pending(w->w_debounce, NULL))
		watch_changed(w);
}

static int
watch_poll_start(struct watch *w)
{
	struct timeval tv = { WATCH_POLL_MS / 1000,
		WATCH_POLL_MS % 1000 * 1000 };

	if (w->w_poll == NULL &&
	    (w->w_poll = event_new(w->w_m->m_base, -1, EV_PERSIST,
	         watch_poll_cb, w)) == NULL)
		return -1;
	return evtimer_add(w->w_poll, &tv);
}

static void
watch_native_close(struct watch *w)
{
	if (w->w_ev != NULL)
		event_free(w->w_ev);
	w->w_ev = NULL;
	if (w->w_fd != -1)
		close(w->w_fd);
	if (w->w_dirfd != -1)
		close(w->w_dirfd);
	if (w->w_filefd != -1)
		close(w->w_filefd);
	w->w_fd = w->w_dirfd = w->w_filefd = -1;
}

#if defined(HAVE_SYS_INOTIFY_H) || defined(HAVE_SYS_EVENT_H)
/* The directory itself went away: fall back to polling the path. */
static void
watch_dir_gone(struct watch *w)
{
	log_warnx("%s: the directory of the config file was removed or moved; "
	          "watching %s by polling",
	    w->w_dir, w->w_path);
	watch_native_close(w);
	if (watch_poll_start(w) == -1)
		log_warnx("cannot poll %s: changes are not seen", w->w_path);
	watch_changed(w);
}
#endif

#ifdef HAVE_SYS_INOTIFY_H
#define WATCH_MASK                                                        \
	(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | \
	    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

static void
watch_native_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct watch               *w = arg;
	char                        buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *e;
	ssize_t                     n, off;
	int                         hit = 0, gone = 0;

	(void)ev;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off + (ssize_t)sizeof(*e) <= n;
		     off += (ssize_t)(sizeof(*e) + e->len)) {
			e = (const struct inotify_event *)(void *)(buf + off);
			if (e->mask & IN_Q_OVERFLOW)
				hit = 1;
			if (e->mask &
			    (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF |
			        IN_UNMOUNT))
				gone = 1;
			if (e->len > 0 && strcmp(e->name, w->w_name) == 0)
				hit = 1;
		}
	}
	if (gone)
		watch_dir_gone(w);
	else if (hit)
		watch_changed(w);
}

static int
watch_native(struct watch *w)
{
	if ((w->w_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	if (inotify_add_watch(w->w_fd, w->w_dir, WATCH_MASK) == -1)
		return -1;
	return 0;
}
#elif defined(HAVE_SYS_EVENT_H)
#ifndef O_EVTONLY
#define O_EVTONLY O_RDONLY
#endif

/* The file as it is now (a new inode after a rename over it). */
static void
watch_kq_file(struct watch *w)
{
	struct kevent kev;

	if (w->w_filefd != -1)
		close(w->w_filefd);
	if ((w->w_filefd = open(w->w_path, O_EVTONLY | O_CLOEXEC)) == -1)
		return;
	EV_SET(&kev, w->w_filefd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
	    NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_DELETE | NOTE_RENAME,
	    0, NULL);
	if (kevent(w->w_fd, &kev, 1, NULL, 0, NULL) == -1) {
		close(w->w_filefd);
		w->w_filefd = -1;
	}
}

static void
watch_native_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct watch *w = arg;
	struct kevent kev[8];
	struct timespec zero = { 0, 0 };
	int n, i, hit = 0, gone = 0;

	(void)ev;
	while ((n = kevent(fd, NULL, 0, kev, 8, &zero)) > 0)
		for (i = 0; i < n; i++) {
			hit = 1;
			if ((int)kev[i].ident == w->w_dirfd &&
			    (kev[i].fflags & (NOTE_DELETE | NOTE_RENAME)))
				gone = 1;
		}
	if (gone) {
		watch_dir_gone(w);
		return;
	}
	watch_kq_file(w);
	if (hit)
		watch_changed(w);
}

static int
watch_native(struct watch *w)
{
	struct kevent kev;

	if ((w->w_fd = kqueue()) == -1)
		return -1;
	if ((w->w_dirfd = open(w->w_dir, O_EVTONLY | O_CLOEXEC)) == -1)
		return -1;
	EV_SET(&kev, w->w_dirfd, EVFILT_VNODE, EV_ADD | EV_CLEAR,
	    NOTE_WRITE | NOTE_DELETE | NOTE_RENAME, 0, NULL);
	if (kevent(w->w_fd, &kev, 1, NULL, 0, NULL) == -1)
		return -1;
	watch_kq_file(w);
	return 0;
}
#else
static void
watch_native_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
}

static int
watch_native(struct watch *w)
{
	(void)w;
	errno = ENOSYS;
	return -1;
}
#endif

static struct watch *
watch_new(struct master *m)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	char         *slash;

	w->w_m = m;
	w->w_fd = w->w_dirfd = w->w_filefd = -1;
	w->w_path = xstrdup(m->m_cfg.path);
	if ((slash = strrchr(w->w_path, '/')) == NULL) {
		w->w_dir = xstrdup(".");
		w->w_name = w->w_path;
	} else {
		w->w_dir = slash == w->w_path ?
		    xstrdup("/") :
		    xstrndup(w->w_path, (size_t)(slash - w->w_path));
		w->w_name = slash + 1;
	}
	watch_sig_get(w->w_path, &w->w_sig);
	return w;
}

static int
watch_open(struct watch *w)
{
	struct event_base *base = w->w_m->m_base;

	if ((w->w_debounce = evtimer_new(base, watch_debounce_cb, w)) == NULL)
		return -1;
	if (watch_native(w) == 0) {
		w->w_ev = event_new(base, w->w_fd, EV_READ | EV_PERSIST,
		    watch_native_cb, w);
		if (w->w_ev != NULL && event_add(w->w_ev, NULL) == 0)
			return 0;
	}
	log_info("%s: no file change notification (%s); polling every %d ms",
	    w->w_dir, strerror(errno), WATCH_POLL_MS);
	watch_native_close(w);
	return watch_poll_start(w);
}

/*
 * Per gateway.reload.mode of the running configuration: watch the file
 * (once), or, for "off", stop watching it.  Again after every reload.
 */
void
watch_start(struct master *m)
{
	const char *mode = m->m_cfg.reload_mode;

	if (mode == NULL || m->m_cfg.path == NULL)
		return; /* a restart's image that could not read the old one */
	if (strcmp(mode, "off") == 0) {
		if (m->m_watch != NULL)
			log_info("gateway.reload.mode is off: %s is no longer "
			         "watched (SIGHUP reads it)",
			    m->m_cfg.path);
		watch_cleanup(m);
		return;
	}
	if (m->m_watch != NULL)
		return;
	m->m_watch = watch_new(m);
	if (watch_open(m->m_watch) == -1) {
		log_warnx("cannot watch %s: changes are not seen (SIGHUP "
		          "reads it)",
		    m->m_cfg.path);
		watch_cleanup(m);
		return;
	}
	log_debug("watching %s (gateway.reload.mode %s)", m->m_cfg.path, mode);
}

void
watch_cleanup(struct master *m)
{
	struct watch *w = m->m_watch;

	if (w == NULL)
		return;
	watch_native_close(w);
	if (w->w_poll != NULL)
		event_free(w->w_poll);
	if (w->w_debounce != NULL)
		event_free(w->w_debounce);
	free(w->w_path);
	free(w->w_dir);
	free(w);
	m->m_watch = NULL;
}
