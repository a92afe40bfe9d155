/*
 * The health family: the health snapshot (protocol.md 6.1) and its
 * refresh, status (6.2), last-heartbeat.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json-relaxed.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "protocol/call.h"
#include "protocol/roles.h"
#include "protocol/shm-layout.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

#define SESSIONS_MAX_BYTES (16 * 1024 * 1024)
#define SESSIONS_RECENT    5

static char *
health_sessions_path(struct ws_server *s)
{
	char *p;

	xasprintf(&p, "%s/agents/main/sessions/sessions.json",
	    s->w->cfg.state_dir);
	return p;
}

static int
health_cmp_recent(const void *a, const void *b)
{
	int64_t x = json_object_get_int64(
	    json_object_object_get(*(struct json_object *const *)a,
	        "updatedAt"));
	int64_t y = json_object_get_int64(
	    json_object_object_get(*(struct json_object *const *)b,
	        "updatedAt"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* {path, count, recent[]} from the session store, if there is one. */
static struct json_object *
health_sessions(struct ws_server *s)
{
	struct json_object *o, *store, *recent, *e, *u;
	char               *path, *text, err[128];
	size_t              len, n = 0, i;
	int64_t             now = (int64_t)util_now_ms(), at;

	path = health_sessions_path(s);
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(path));
	recent = json_object_new_array();
	store = NULL;
	if ((text = util_read_file(path, SESSIONS_MAX_BYTES, &len)) != NULL)
		store = json_relaxed_parse(text, len, err, sizeof(err));
	free(text);
	free(path);
	if (store != NULL && json_object_is_type(store, json_type_object)) {
		json_object_object_foreach(store, key, val)
		{
			n++;
			e = json_object_new_object();
			json_object_object_add(e, "key",
			    json_object_new_string(key));
			u = json_object_object_get(val, "updatedAt");
			at = u != NULL ? json_object_get_int64(u) : 0;
			json_object_object_add(e, "updatedAt",
			    u != NULL ? json_object_new_int64(at) : NULL);
			json_object_object_add(e, "age",
			    u != NULL ? json_object_new_int64(now - at) : NULL);
			json_object_array_add(recent, e);
		}
		json_object_array_sort(recent, health_cmp_recent);
		for (i = json_object_array_length(recent); i > SESSIONS_RECENT;
		     i--)
			json_object_array_del_idx(recent, i - 1, 1);
	}
	json_object_put(store);
	json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "recent", recent);
	return o;
}

static struct json_object *
health_build(struct ws_server *s)
{
	struct json_object *h, *plugins;
	uint64_t            t0 = util_mono_ms();

	h = json_object_new_object();
	json_object_object_add(h, "ok", json_object_new_boolean(1));
	json_object_object_add(h, "ts",
	    json_object_new_int64((int64_t)util_now_ms()));
	json_object_object_add(h, "channels", json_object_new_object());
	json_object_object_add(h, "channelOrder", json_object_new_array());
	json_object_object_add(h, "channelLabels", json_object_new_object());
	json_object_object_add(h, "heartbeatSeconds", json_object_new_int(0));
	json_object_object_add(h, "defaultAgentId",
	    json_object_new_string("main"));
	json_object_object_add(h, "agents", json_object_new_array());
	json_object_object_add(h, "sessions", health_sessions(s));
	plugins = json_object_new_object();
	json_object_object_add(plugins, "loaded", json_object_new_array());
	json_object_object_add(plugins, "errors", json_object_new_array());
	json_object_object_add(h, "plugins", plugins);
	json_object_object_add(h, "durationMs",
	    json_object_new_int64((int64_t)(util_mono_ms() - t0)));
	return h;
}

/*
 * Log lines dropped because stdout or the log file could not take them,
 * by every process of the gateway (shared memory, protocol/shm-layout.h):
 * {total, stdout, file}.  Which process dropped them is in its own
 * "dropped N log lines" line; a row per process here made every health
 * answer 0.5 us dearer to write.  HealthSnapshot is a closed schema
 * (hello-ok's snapshot and the health event carry it), so this goes in
 * the live `health` answer only, as modelRuntime does.
 */
static void
health_log_drops(struct ws_server *s, uint64_t *out, uint64_t *file)
{
	struct shm_log_drops *d;
	int                   row;

	*out = *file = 0;
	for (row = 0; row < ROLE_MAX; row++)
		if ((d = shm_log_drops(s->w->shm, row)) != NULL) {
			*out += atomic_load(&d->stdout_lines);
			*file += atomic_load(&d->file_lines);
		}
}

static struct json_object *
health_log_drops_json(uint64_t out, uint64_t file)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "total",
	    json_object_new_int64((int64_t)(out + file)));
	json_object_object_add(o, "stdout",
	    json_object_new_int64((int64_t)out));
	json_object_object_add(o, "file", json_object_new_int64((int64_t)file));
	return o;
}

/*
 * The canvas host's own port: {port, listening, error?}.  When the
 * master could not bind it the gateway runs all the same, the canvas
 * served on the main port only; this says so, and why.  Live answer
 * only, as logDropped.
 */
static struct json_object *
health_canvas_json(const struct gw_config *cfg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "port",
	    json_object_new_int64((int64_t)cfg->canvas_port));
	json_object_object_add(o, "listening",
	    json_object_new_boolean(cfg->canvas_listen_error == NULL));
	if (cfg->canvas_listen_error != NULL)
		json_object_object_add(o, "error",
		    json_object_new_string(cfg->canvas_listen_error));
	return o;
}

struct json_object *
ws_health_get(struct ws_server *s, int fresh)
{
	if (fresh || s->health == NULL) {
		json_object_put(s->health);
		s->health = health_build(s);
		s->health_ms = util_mono_ms();
	}
	return json_object_get(s->health);
}

static void
health_refresh(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_server *s = arg;

	(void)fd;
	(void)ev;
	json_object_put(ws_health_get(s, 1));
	shm_health_bump(s->w->shm);
	ws_broadcast(s, "health", json_object_get(s->health), 0, 1, 1);
}

void
ws_health_start(struct ws_server *s)
{
	struct timeval tv;
	long           ms = s->w->cfg.health_refresh_ms;

	json_object_put(ws_health_get(s, 1));
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	s->health_timer = event_new(s->base, -1, EV_PERSIST, health_refresh, s);
	evtimer_add(s->health_timer, &tv);
}

/* Paths on this machine are for admins; readers see an empty list. */
static struct json_object *
health_status(struct ws_server *s, int admin)
{
	struct json_object *o, *hb, *sess, *paths, *defs, *h;
	uint64_t            now = util_now_ms();
	char               *path;

	o = json_object_new_object();
	json_object_object_add(o, "runtimeVersion",
	    json_object_new_string(PACKAGE_VERSION));
	hb = json_object_new_object();
	json_object_object_add(hb, "defaultAgentId",
	    json_object_new_string("main"));
	json_object_object_add(hb, "agents", json_object_new_array());
	json_object_object_add(o, "heartbeat", hb);
	json_object_object_add(o, "channelSummary", json_object_new_array());
	json_object_object_add(o, "queuedSystemEvents",
	    json_object_get(s->events));
	json_object_object_add(o, "degradedSecretOwners",
	    json_object_new_array());
	json_object_object_add(o, "degradedPlugins", json_object_new_array());
	h = ws_health_get(s, 0);
	sess = json_object_new_object();
	paths = json_object_new_array();
	if (admin) {
		path = health_sessions_path(s);
		json_object_array_add(paths, json_object_new_string(path));
		free(path);
	}
	json_object_object_add(sess, "paths", paths);
	json_object_object_add(sess, "count",
	    json_object_get(
	        json_object_object_get(json_object_object_get(h, "sessions"),
	            "count")));
	defs = json_object_new_object();
	json_object_object_add(defs, "model", NULL);
	json_object_object_add(defs, "contextTokens", NULL);
	json_object_object_add(sess, "defaults", defs);
	json_object_object_add(sess, "recent",
	    json_object_get(
	        json_object_object_get(json_object_object_get(h, "sessions"),
	            "recent")));
	json_object_object_add(sess, "byAgent", json_object_new_array());
	json_object_object_add(o, "sessions", sess);
	json_object_put(h);
	json_object_object_add(o, "pid", json_object_new_int((int)getppid()));
	json_object_object_add(o, "uptimeMs",
	    json_object_new_int64((int64_t)(now - s->w->hello.boot_ms)));
	return o;
}

/*
 * The snapshot (shared, not to be changed) plus the live extras.  Built
 * again only when the snapshot or a count changed: a copy per request
 * made `health` 70 % dearer (bench/RESULTS.md, run 5).  The answer
 * holds a reference to its snapshot, so a new snapshot cannot take the
 * old one's address while the answer is kept.
 */
static struct json_object *
health_answer(struct ws_server *s, struct json_object *h)
{
	struct json_object *r;
	uint64_t            out, file;

	/* Counters only grow: their sum changes when any of them does. */
	health_log_drops(s, &out, &file);
	if (s->health_res != NULL && s->health_res_of == h &&
	    s->health_res_drops == out + file)
		return json_object_get(s->health_res);
	r = json_object_new_object();
	json_object_object_foreach(h, k, v)
	    json_object_object_add(r, k, json_object_get(v));
	json_object_object_add(r, "logDropped",
	    health_log_drops_json(out, file));
	if (s->w->cfg.canvas_enabled)
		json_object_object_add(r, "canvasHost",
		    health_canvas_json(&s->w->cfg));
	json_object_put(s->health_res);
	json_object_put(s->health_res_of);
	s->health_res = r;
	s->health_res_of = json_object_get(h);
	s->health_res_drops = out + file;
	return json_object_get(r);
}

static void
m_health(struct gw_call *call, void *ctx)
{
	struct json_object *probe, *h;

	probe = json_object_object_get(gw_call_params(call), "probe");
	h = ws_health_get(ctx, probe != NULL && json_object_get_boolean(probe));
	gw_call_ok(call, health_answer(ctx, h));
	json_object_put(h);
}

static void
m_status(struct gw_call *call, void *ctx)
{
	gw_call_ok(call,
	    health_status(ctx, gw_call_has_scope(call, "operator.admin")));
}

static void
m_last_heartbeat(struct gw_call *call, void *ctx)
{
	(void)ctx;
	gw_call_ok(call, NULL); /* no heartbeat has run: JSON null */
}

const struct gw_method ws_methods_health[] = {
	{ "health", "operator.read", "method.health", m_health },
	{ "status", "operator.read", "method.status", m_status },
	{ NULL, NULL, NULL, NULL },
};

/* Apart from the rest: features.methods lists it after presence's. */
const struct gw_method ws_methods_heartbeat[] = {
	{ "last-heartbeat", "operator.read", "method.last-heartbeat",
	    m_last_heartbeat },
	{ NULL, NULL, NULL, NULL },
};
