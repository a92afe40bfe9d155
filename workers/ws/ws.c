#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "common/ipc.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/sockio.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "protocol/validate.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

static struct ws_server ws_srv;

static void
ws_on_http(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct ws_server   *s = arg;
	struct imsg_handoff h;

	if (m == NULL) {
		/* http is being respawned; the master sends a new channel. */
		if (s->http == ch)
			s->http = NULL;
		ipc_chan_free(ch);
		ws_server_check_drained(s);
		return;
	}
	if (worker_handoff_recv(ch, m, &h) == -1)
		return;
	ws_conn_adopt(s, m->fd, &h, m->data + sizeof(h));
}

static void
ws_peer(struct worker *w, int role, int fd)
{
	struct ws_server *s = w->ctx;

	if (role_peer_sends((uint32_t)w->role, (uint32_t)role,
	        IMSG_AGENT_RES)) {
		ws_agent_peer(s, role, fd);
		return;
	}
	/* The other peer: the one that hands sockets over. */
	if (s->http != NULL)
		ipc_chan_free(s->http);
	s->http = worker_peer_open(w, role, fd, ws_on_http, s);
}

static int
ws_start(struct worker *w)
{
	struct ws_server *s = &ws_srv;
	uint64_t          starts;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->base = w->base;
	TAILQ_INIT(&s->conns);
	ws_call_init(s);
	ws_agent_init(s);
	w->ctx = s;
#ifdef M_MMAP_THRESHOLD
	/*
	 * Message buffers from 1 MiB up get mappings of their own: realloc
	 * grows them with mremap, untouched pages cost nothing, and free
	 * gives them back, so the process holds what the inbound budget
	 * counts, not the holes a copying realloc leaves in the heap.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	if (proto_schemas_load() == -1)
		return -1;
	if ((s->sio = sockio_base_new(s->base)) == NULL)
		return -1;
	if (gethostname(s->hostname, sizeof(s->hostname)) == -1)
		strcpy(s->hostname, "localhost");
	s->hostname[sizeof(s->hostname) - 1] = '\0';
	starts = shm_ws_started(w->shm);
	/* After a planned restart, the takeover says what it recovered. */
	if (starts > 1 && !w->defer_accept)
		log_info("ws worker restart #%llu: presence and stateVersion "
		         "continue from shared memory",
		    (unsigned long long)starts - 1);
	ws_presence_start(s);
	ws_health_start(s);
	ws_broadcast_start(s);
	s->events = json_object_new_array();
	worker_ready(w);
	return 0;
}

/*
 * Under a restart, our generation's http may still hand over a socket it
 * accepted before its own drain: the last word is its channel's close.
 */
void
ws_server_check_drained(struct ws_server *s)
{
	if (s->w->draining && s->nconns == 0 &&
	    !(s->w->restarting && s->http != NULL))
		worker_finish(s->w);
}

static void
ws_drain_deadline(void *arg)
{
	struct ws_server *s = arg;

	log_info("drain deadline: cutting %d connection(s)", s->nconns);
	while (!TAILQ_EMPTY(&s->conns))
		ws_conn_free(TAILQ_FIRST(&s->conns));
}

static void
ws_drain(struct worker *w, const struct imsg_drain *d)
{
	struct ws_server *s = w->ctx;

	log_info("draining %d connection(s): %s", s->nconns, d->reason);
	s->drain = *d;
	if (w->restarting) {
		ws_presence_freeze(s);
		ipc_send(w->master, IMSG_HANDOVER, -1, NULL, 0);
	}
	ws_broadcast_shutdown(s, d);
	worker_drain_deadline(w, d, ws_drain_deadline, s);
	ws_server_check_drained(s);
}

static void
ws_takeover(struct worker *w)
{
	ws_presence_takeover(w->ctx);
}

static uint32_t
ws_conns(struct worker *w)
{
	struct ws_server *s = w->ctx;

	return s != NULL ? (uint32_t)s->nconns : 0;
}

static void
ws_stop(struct worker *w)
{
	struct ws_server *s = w->ctx;

	if (s == NULL)
		return;
	while (!TAILQ_EMPTY(&s->conns))
		ws_conn_free(TAILQ_FIRST(&s->conns));
	if (s->calls.dropped > 0)
		log_info("%llu answer(s) dropped: their callers had gone",
		    (unsigned long long)s->calls.dropped);
	sockio_base_free(s->sio);
	s->sio = NULL;
	if (s->http != NULL)
		ipc_chan_free(s->http);
	ws_agent_stop(s);
	ws_broadcast_stop(s);
	ws_presence_stop(s);
	if (s->health_timer != NULL)
		event_free(s->health_timer);
	json_object_put(s->health);
	json_object_put(s->health_res);
	json_object_put(s->health_res_of);
	json_object_put(s->events);
	ws_ip_free_all(s);
	ws_inbound_stop(s);
	proto_schemas_free();
}

const struct worker_ops ws_worker_ops = {
	.start = ws_start,
	.peer = ws_peer,
	.phase = NULL,
	.drain = ws_drain,
	.takeover = ws_takeover,
	.reconfig = ws_reconfig,
	.conns = ws_conns,
	.stop = ws_stop,
};
