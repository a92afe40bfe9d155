/* The agent worker's side of the master protocol, and its ws channel. */
#include "config.h"

#include <string.h>

#include "common/ipc.h"
#include "common/log.h"
#include "workers/agent/agent.h"
#include "workers/worker.h"

static struct agent_server agent_srv;

static void
agent_on_ws(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct agent_server *s = arg;

	if (m == NULL) {
		/* ws is being respawned; the master sends a new channel. */
		if (s->ws == ch)
			s->ws = NULL;
		ipc_chan_free(ch);
		if (s->w->draining)
			worker_finish(s->w);
		return;
	}
	agent_call_recv(s, (const char *)m->data, m->len);
}

static void
agent_peer(struct worker *w, int role, int fd)
{
	struct agent_server *s = w->ctx;

	/* The table pairs agent with ws only. */
	if (s->ws != NULL)
		ipc_chan_free(s->ws);
	s->ws = worker_peer_open(w, role, fd, agent_on_ws, s);
}

static int
agent_start(struct worker *w)
{
	memset(&agent_srv, 0, sizeof(agent_srv));
	agent_srv.w = w;
	w->ctx = &agent_srv;
	agent_calls_init(&agent_srv);
	worker_ready(w);
	return 0;
}

/*
 * Nothing runs long yet: the drain ends at once, unless a restart's ws
 * may still forward a call (it finishes when that channel closes).
 */
static void
agent_drain(struct worker *w, const struct imsg_drain *d)
{
	struct agent_server *s = w->ctx;

	(void)d;
	if (!w->restarting || s->ws == NULL)
		worker_finish(w);
}

static void
agent_stop(struct worker *w)
{
	struct agent_server *s = w->ctx;

	if (s == NULL)
		return;
	if (s->ws != NULL)
		ipc_chan_free(s->ws);
	s->ws = NULL;
}

const struct worker_ops agent_worker_ops = {
	.start = agent_start,
	.peer = agent_peer,
	.phase = NULL,
	.drain = agent_drain,
	.takeover = NULL,
	.reconfig = NULL,
	.conns = NULL,
	.stop = agent_stop,
};
