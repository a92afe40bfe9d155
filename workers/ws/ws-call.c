/*
 * Calls from WebSocket clients: the connections by id, which is what a
 * call keeps of its caller, and the transport that answers them.  A call
 * answered after its connection went finds no entry here and is dropped
 * (counted in s->calls.dropped).
 */
#include "config.h"

#include <string.h>

#include "common/log.h"
#include "protocol/frame.h"
#include "workers/ws/ws.h"

static struct ws_conn_bucket *
ws_call_bucket(struct ws_server *s, const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return &s->by_id[h % WS_CONN_BUCKETS];
}

static void *
ws_call_lookup(void *arg, const char *key)
{
	struct ws_server *s = arg;
	struct ws_conn   *c;

	LIST_FOREACH(c, ws_call_bucket(s, key), by_id)
		if (strcmp(c->conn_id, key) == 0)
			return c;
	return NULL;
}

static int
ws_call_send(void *arg, void *caller, struct json_object *frame)
{
	struct ws_conn     *c = caller;
	struct json_object *err;
	char                idb[LOG_CLIP_SIZE];

	(void)arg;
	if (log_verbose()) {
		err = json_object_object_get(frame, "error");
		log_debug("conn %s: res %s %s", c->conn_id,
		    log_clip(idb, frame_str(frame, "id")),
		    err == NULL ? "ok" : frame_str(err, "code"));
	}
	return ws_conn_send_json(c, frame, 0) == 0 ? 0 : -1;
}

void
ws_call_init(struct ws_server *s)
{
	int i;

	for (i = 0; i < WS_CONN_BUCKETS; i++)
		LIST_INIT(&s->by_id[i]);
	s->calls.lookup = ws_call_lookup;
	s->calls.send = ws_call_send;
	s->calls.arg = s;
	s->calls.dropped = 0;
}

void
ws_call_register(struct ws_conn *c)
{
	LIST_INSERT_HEAD(ws_call_bucket(c->srv, c->conn_id), c, by_id);
}

void
ws_call_unregister(struct ws_conn *c)
{
	LIST_REMOVE(c, by_id);
}

struct gw_call *
ws_call_new(struct ws_conn *c, const char *id, const char *method,
    struct json_object *params)
{
	struct gw_caller who;

	who.key = c->conn_id;
	who.is_node = c->is_node;
	who.scopes = (const char *const *)c->scopes;
	who.nscopes = c->nscopes;
	who.client_id = c->client_id;
	who.client_mode = c->client_mode;
	who.live = c;
	return gw_call_new(&c->srv->calls, &who, id, method, params);
}
