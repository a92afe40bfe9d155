/*
 * The worker's listening sockets: one evconnlistener per kind the master
 * sent, and the pause-and-retry when accept runs out of descriptors or
 * memory, shared by every role that accepts.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "workers/worker.h"

#define WORKER_ACCEPT_PAUSE_MS  100
#define WORKER_ACCEPT_LOG_EVERY 60 /* s between two pause logs */

void
worker_listeners_free(struct worker *w)
{
	struct worker_listener *wl;
	int                     i;

	for (i = 0; i < LISTEN_MAX; i++) {
		wl = &w->listener[i];
		if (wl->wl_lev != NULL)
			evconnlistener_free(wl->wl_lev);
		if (wl->wl_retry != NULL)
			event_free(wl->wl_retry);
		memset(wl, 0, sizeof(*wl));
		if (w->listen_fd[i] != -1)
			close(w->listen_fd[i]);
		w->listen_fd[i] = -1;
	}
}

/* The error callback gets the listener's argument: wl, passed on. */
static void
worker_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct worker_listener *wl = arg;

	wl->wl_cb(lev, fd, sa, socklen, wl->wl_arg);
}

static void
worker_accept_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct worker_listener *wl = arg;

	(void)fd;
	(void)ev;
	if (!wl->wl_worker->draining && !wl->wl_worker->defer_accept)
		evconnlistener_enable(wl->wl_lev);
}

/*
 * Out of descriptors or memory: the pending connection would make the
 * listener fire again at once, so pause instead of spinning, and log
 * rarely, since under fd pressure this repeats every pause.
 */
static void
worker_accept_error(struct evconnlistener *lev, void *arg)
{
	struct worker_listener *wl = arg;
	struct timeval          tv = { 0, WORKER_ACCEPT_PAUSE_MS * 1000 };
	int                     err = EVUTIL_SOCKET_ERROR();
	time_t                  now = time(NULL);

	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		if (err != EAGAIN && err != ECONNABORTED && err != EINTR)
			log_warnx("accept: %s", strerror(err));
		return;
	}
	if (wl->wl_logged == 0 ||
	    now - wl->wl_logged >= WORKER_ACCEPT_LOG_EVERY) {
		log_warnx("accept: %s; pausing accepts for %d ms",
		    strerror(err), WORKER_ACCEPT_PAUSE_MS);
		wl->wl_logged = now;
	}
	evconnlistener_disable(lev);
	evtimer_add(wl->wl_retry, &tv);
}

struct evconnlistener *
worker_listen(struct worker *w, enum listener_kind kind, evconnlistener_cb cb,
    void *arg)
{
	struct worker_listener *wl = &w->listener[kind];

	if (wl->wl_lev != NULL) {
		log_warnx("listening socket kind %d: already listening",
		    (int)kind);
		return NULL;
	}
	if (w->listen_fd[kind] == -1) {
		log_warnx("no listening socket from master");
		return NULL;
	}
	wl->wl_worker = w;
	wl->wl_cb = cb;
	wl->wl_arg = arg;
	if ((wl->wl_retry = evtimer_new(w->base, worker_accept_retry, wl)) ==
	    NULL) {
		log_warnx("cannot create a timer");
		return NULL;
	}
	/* backlog 0: the master has already called listen() */
	wl->wl_lev = evconnlistener_new(w->base, worker_accept, wl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
	        (w->defer_accept ? LEV_OPT_DISABLED : 0),
	    0, w->listen_fd[kind]);
	if (wl->wl_lev == NULL) {
		log_warn("cannot listen on socket kind %d", (int)kind);
		return NULL;
	}
	w->listen_fd[kind] = -1;
	evconnlistener_set_error_cb(wl->wl_lev, worker_accept_error);
	return wl->wl_lev;
}

/* Draining: accept nothing more (the listeners stay until exit). */
void
worker_listeners_disable(struct worker *w)
{
	int i;

	for (i = 0; i < LISTEN_MAX; i++) {
		if (w->listener[i].wl_lev == NULL)
			continue;
		evconnlistener_disable(w->listener[i].wl_lev);
		evtimer_del(w->listener[i].wl_retry);
	}
}

/* PHASE_READY of a generation started beside a serving one. */
void
worker_listeners_enable(struct worker *w)
{
	int i;

	for (i = 0; i < LISTEN_MAX; i++)
		if (w->listener[i].wl_lev != NULL)
			evconnlistener_enable(w->listener[i].wl_lev);
}
