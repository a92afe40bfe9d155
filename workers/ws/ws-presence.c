/*
 * Presence (protocol.md section 5).  The ws worker is the only writer;
 * every entry is mirrored into a shared-memory row, so that a respawned
 * ws worker picks the table up where the dead one left it, and
 * stateVersion keeps increasing.
 */
#include "config.h"

#include <ctype.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/utsname.h>

#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "protocol/shm-layout.h"
#include "workers/worker.h"
#include "protocol/frame.h"
#include "workers/ws/ws.h"

#define SELF_KEY   "\x01self" /* cannot collide with a client key */
#define EVENTS_MAX 100

static struct ws_presence *
presence_find(struct ws_server *s, const char *key)
{
	int i;

	for (i = 0; i < s->npresence; i++)
		if (strcmp(s->presence[i].key, key) == 0)
			return &s->presence[i];
	return NULL;
}

static int
presence_row_used(const struct ws_server *s, int row)
{
	int i;

	for (i = 0; i < s->npresence; i++)
		if (s->presence[i].row == row)
			return 1;
	return 0;
}

static int
presence_free_row(struct ws_server *s)
{
	int row;

	for (row = 0; row < shm_presence_rows(); row++)
		if (!presence_row_used(s, row))
			return row;
	return -1;
}

/* Write an entry through to its shared-memory row. */
static int
presence_store(struct ws_server *s, struct ws_presence *p)
{
	const char *text;
	size_t      len;

	if (s->presence_frozen)
		return 0;
	text = json_object_to_json_string_length(p->entry,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return shm_presence_put(s->w->shm, p->row, p->key, p->ts, text, len);
}

static void
presence_remove(struct ws_server *s, int i)
{
	if (!s->presence_frozen)
		shm_presence_clear(s->w->shm, s->presence[i].row);
	free(s->presence[i].key);
	json_object_put(s->presence[i].entry);
	s->presence[i] = s->presence[--s->npresence];
}

static void
presence_changed(struct ws_server *s)
{
	if (s->presence_frozen)
		return;
	shm_presence_bump(s->w->shm);
	ws_broadcast_presence_soon(s);
}

/* Oldest non-self entry, to make room at the cap. */
static int
presence_oldest(struct ws_server *s)
{
	int i, o = -1;

	for (i = 0; i < s->npresence; i++)
		if (strcmp(s->presence[i].key, SELF_KEY) != 0 &&
		    (o == -1 || s->presence[i].ts < s->presence[o].ts))
			o = i;
	return o;
}

/* Insert or replace; takes ownership of entry.  -1 if it cannot be stored. */
static int
presence_put(struct ws_server *s, const char *key, struct json_object *entry)
{
	struct ws_presence *p;
	uint64_t            now = util_now_ms();

	json_object_object_add(entry, "ts",
	    json_object_new_int64((int64_t)now));
	if ((p = presence_find(s, key)) == NULL) {
		if (s->npresence >= WS_PRESENCE_MAX + 1)
			presence_remove(s, presence_oldest(s));
		p = &s->presence[s->npresence];
		p->row = presence_free_row(s);
		p->key = xstrdup(key);
		p->entry = NULL;
		s->npresence++;
	}
	p->inherited = 0;
	json_object_put(p->entry);
	p->entry = entry;
	p->ts = now;
	if (presence_store(s, p) == -1) {
		presence_remove(s, (int)(p - s->presence));
		return -1;
	}
	return 0;
}

static void
presence_lower(char *k)
{
	for (; *k != '\0'; k++)
		*k = (char)tolower((unsigned char)*k);
}

static void
padd_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void
presence_lan_ip(char *buf, size_t len, const char *fallback)
{
	struct ifaddrs *ifa, *i;

	snprintf(buf, len, "%s", fallback);
	if (getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)i->ifa_addr;

		if (sin == NULL || sin->sin_family != AF_INET ||
		    (ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			continue;
		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)len);
		break;
	}
	freeifaddrs(ifa);
}

static void
presence_self(struct ws_server *s)
{
	struct json_object *e;
	struct ws_presence *old;
	struct utsname      u;
	char                ip[256], plat[300], text[900];

	presence_lan_ip(ip, sizeof(ip), s->hostname);
	if (uname(&u) == -1)
		strcpy(u.release, "unknown");
	snprintf(plat, sizeof(plat), "linux %s", u.release);
	snprintf(text, sizeof(text),
	    "Gateway: %s (%s) · app %s · mode "
	    "gateway · reason self",
	    s->hostname, ip, PACKAGE_VERSION);
	/* The instance id survives a ws respawn: it names the gateway run. */
	old = presence_find(s, SELF_KEY);
	if (old != NULL && frame_str(old->entry, "instanceId") != NULL)
		snprintf(s->instance_id, sizeof(s->instance_id), "%s",
		    frame_str(old->entry, "instanceId"));
	else
		util_uuid(s->instance_id);
	e = json_object_new_object();
	padd_str(e, "host", s->hostname);
	padd_str(e, "ip", ip);
	padd_str(e, "version", PACKAGE_VERSION);
	padd_str(e, "platform", plat);
	padd_str(e, "deviceFamily", "Linux");
	padd_str(e, "mode", "gateway");
	padd_str(e, "reason", "self");
	padd_str(e, "instanceId", s->instance_id);
	padd_str(e, "text", text);
	presence_put(s, SELF_KEY, e);
}

static void
presence_load(struct ws_server *s)
{
	struct shm_presence row;
	struct json_object *e;
	struct ws_presence *p;
	int                 r;

	for (r = 0; r < shm_presence_rows(); r++) {
		if (presence_row_used(s, r) ||
		    shm_presence_get(s->w->shm, r, &row) != 1)
			continue;
		e = json_tokener_parse(row.data);
		if (e == NULL || s->npresence >= WS_PRESENCE_MAX + 1 ||
		    presence_find(s, row.key) != NULL) {
			json_object_put(e);
			shm_presence_clear(s->w->shm, r);
			continue;
		}
		p = &s->presence[s->npresence++];
		p->key = xstrdup(row.key);
		p->entry = e;
		p->ts = row.ts;
		p->row = r;
		p->inherited = 1;
	}
	if (s->npresence > 0)
		log_info("presence: %d entr%s recovered from shared memory",
		    s->npresence, s->npresence == 1 ? "y" : "ies");
}

static void
presence_prune(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_server *s = arg;
	uint64_t          now = util_now_ms();
	uint64_t          ttl = (uint64_t)s->w->cfg.presence_ttl_ms;
	int               i, pruned = 0;

	(void)fd;
	(void)ev;
	for (i = s->npresence - 1; i >= 0; i--)
		if (strcmp(s->presence[i].key, SELF_KEY) != 0 &&
		    now - s->presence[i].ts > ttl) {
			presence_remove(s, i);
			pruned++;
		}
	if (pruned > 0)
		presence_changed(s);
	ws_ip_sweep(s);
}

/* The prune timer's period: a quarter of the TTL, within 10 ms..1 min. */
long
ws_presence_prune_ms(const struct gw_config *cfg)
{
	long ms = cfg->presence_ttl_ms / 4;

	if (ms > 60000)
		ms = 60000;
	if (ms < 10)
		ms = 10;
	return ms;
}

void
ws_presence_start(struct ws_server *s)
{
	struct timeval tv;
	long           ms = ws_presence_prune_ms(&s->w->cfg);

	/* Beside a serving generation, whose ws still writes the rows. */
	s->presence_frozen = s->w->defer_accept;
	if (!s->presence_frozen) {
		presence_load(s);
		presence_self(s);
		presence_changed(s);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	s->prune_timer = event_new(s->base, -1, EV_PERSIST, presence_prune, s);
	evtimer_add(s->prune_timer, &tv);
}

/*
 * A restart's drain: the next generation's ws takes the rows over
 * (IMSG_HANDOVER, then its IMSG_TAKEOVER), so from here this worker
 * keeps presence in memory only, for the clients it still greets.
 */
void
ws_presence_freeze(struct ws_server *s)
{
	s->presence_frozen = 1;
	if (s->prune_timer != NULL)
		evtimer_del(s->prune_timer);
}

/*
 * The previous generation let go: load its rows, and mark its clients,
 * which it is closing with 1012, disconnected; once, in one change.
 */
void
ws_presence_takeover(struct ws_server *s)
{
	struct json_object *e;
	int                 i;

	if (!s->presence_frozen)
		return;
	s->presence_frozen = 0;
	presence_load(s);
	presence_self(s);
	for (i = 0; i < s->npresence; i++) {
		e = s->presence[i].entry;
		if (!s->presence[i].inherited ||
		    strcmp(s->presence[i].key, SELF_KEY) == 0 ||
		    frame_str(e, "reason") == NULL ||
		    strcmp(frame_str(e, "reason"), "connect") != 0)
			continue;
		json_object_object_add(e, "reason",
		    json_object_new_string("disconnect"));
		presence_store(s, &s->presence[i]);
	}
	presence_changed(s);
}

void
ws_presence_stop(struct ws_server *s)
{
	int i;

	if (s->prune_timer != NULL)
		event_free(s->prune_timer);
	/* The rows stay in shared memory for the next ws worker. */
	for (i = 0; i < s->npresence; i++) {
		free(s->presence[i].key);
		json_object_put(s->presence[i].entry);
	}
	s->npresence = 0;
}

static int
presence_cmp(const void *a, const void *b)
{
	int64_t x = json_object_get_int64(
	    json_object_object_get(*(struct json_object *const *)a, "ts"));
	int64_t y = json_object_get_int64(
	    json_object_object_get(*(struct json_object *const *)b, "ts"));

	return x < y ? 1 : x > y ? -1 : 0;
}

struct json_object *
ws_presence_list(struct ws_server *s)
{
	struct json_object *a;
	struct ws_presence *self;
	int                 i;

	if ((self = presence_find(s, SELF_KEY)) != NULL) {
		self->ts = util_now_ms();
		json_object_object_add(self->entry, "ts",
		    json_object_new_int64((int64_t)self->ts));
	}
	a = json_object_new_array_ext(s->npresence);
	for (i = 0; i < s->npresence; i++)
		json_object_array_add(a, json_object_get(s->presence[i].entry));
	json_object_array_sort(a, presence_cmp);
	return a;
}

/* Union of two string arrays, as the reference merges roles and scopes. */
static struct json_object *
presence_union(struct json_object *old, struct json_object *add)
{
	struct json_object *a = json_object_new_array();
	struct json_object *lists[2] = { old, add };
	size_t              i, j, k, n;
	int                 dup;

	for (k = 0; k < 2; k++) {
		if (!json_object_is_type(lists[k], json_type_array))
			continue;
		for (i = 0; i < json_object_array_length(lists[k]); i++) {
			const char *v = json_object_get_string(
			    json_object_array_get_idx(lists[k], i));

			n = json_object_array_length(a);
			for (dup = 0, j = 0; j < n && !dup; j++)
				dup = strcmp(json_object_get_string(
				                 json_object_array_get_idx(a,
				                     j)),
				          v) == 0;
			if (!dup)
				json_object_array_add(a,
				    json_object_new_string(v));
		}
	}
	return a;
}

static void
presence_connect_key(struct ws_conn *c, struct json_object *params, char *key,
    size_t len)
{
	struct json_object *dev = json_object_object_get(params, "device");
	struct json_object *cl = json_object_object_get(params, "client");
	const char         *k = c->conn_id;

	if (c->is_node)
		k = frame_str(dev, "id")        ? frame_str(dev, "id") :
		    frame_str(cl, "instanceId") ? frame_str(cl, "instanceId") :
		                                  k;
	snprintf(key, len, "%s", k);
	presence_lower(key);
}

void
ws_presence_connect(struct ws_conn *c, struct json_object *params)
{
	struct ws_server   *s = c->srv;
	struct json_object *cl = json_object_object_get(params, "client");
	struct json_object *e, *roles, *sc, *dev;
	struct ws_presence *old;
	const char         *mode = frame_str(cl, "mode"), *host;
	char                key[128], text[300];
	int                 i;

	if (strcmp(mode, "cli") == 0 || strcmp(mode, "backend") == 0 ||
	    strcmp(mode, "probe") == 0)
		return; /* ephemeral callers are not tracked */
	presence_connect_key(c, params, key, sizeof(key));
	dev = json_object_object_get(params, "device");
	host = frame_str(cl, "displayName") ? frame_str(cl, "displayName") :
	                                      frame_str(cl, "id");
	e = json_object_new_object();
	padd_str(e, "host", host);
	padd_str(e, "clientId", frame_str(cl, "id"));
	if (!c->local)
		padd_str(e, "ip", c->ip);
	padd_str(e, "version", frame_str(cl, "version"));
	padd_str(e, "platform", frame_str(cl, "platform"));
	padd_str(e, "deviceFamily", frame_str(cl, "deviceFamily"));
	padd_str(e, "modelIdentifier", frame_str(cl, "modelIdentifier"));
	padd_str(e, "timeZone", frame_str(cl, "timeZone"));
	padd_str(e, "mode", mode);
	padd_str(e, "deviceId", frame_str(dev, "id"));
	padd_str(e, "instanceId",
	    c->is_node && frame_str(dev, "id") ? frame_str(dev, "id") :
	                                         frame_str(cl, "instanceId"));
	padd_str(e, "reason", "connect");
	snprintf(text, sizeof(text), "Node: %s · mode %s", host, mode);
	padd_str(e, "text", text);
	roles = json_object_new_array();
	json_object_array_add(roles,
	    json_object_new_string(c->is_node ? "node" : "operator"));
	sc = json_object_new_array();
	for (i = 0; i < c->nscopes; i++)
		json_object_array_add(sc, json_object_new_string(c->scopes[i]));
	old = presence_find(s, key);
	json_object_object_add(e, "roles",
	    presence_union(old ? json_object_object_get(old->entry, "roles") :
	                         NULL,
	        roles));
	json_object_object_add(e, "scopes",
	    presence_union(old ? json_object_object_get(old->entry, "scopes") :
	                         NULL,
	        sc));
	json_object_put(roles);
	json_object_put(sc);
	if (presence_put(s, key, e) == -1)
		return;
	free(c->presence_key);
	c->presence_key = xstrdup(key);
	presence_changed(s);
}

void
ws_presence_disconnect(struct ws_conn *c)
{
	struct ws_server   *s = c->srv;
	struct ws_presence *p;
	struct json_object *e;

	if (c->presence_key == NULL ||
	    (p = presence_find(s, c->presence_key)) == NULL)
		return;
	e = json_object_get(p->entry);
	json_object_object_add(e, "reason",
	    json_object_new_string("disconnect"));
	if (presence_put(s, c->presence_key, e) == 0)
		presence_changed(s);
	free(c->presence_key);
	c->presence_key = NULL;
}

/* A pong keeps the row fresh, without an event (protocol.md section 1). */
void
ws_presence_touch(struct ws_conn *c)
{
	struct ws_presence *p;

	if (c->presence_key == NULL ||
	    (p = presence_find(c->srv, c->presence_key)) == NULL)
		return;
	p->ts = util_now_ms();
	json_object_object_add(p->entry, "ts",
	    json_object_new_int64((int64_t)p->ts));
	presence_store(c->srv, p);
}

/*
 * "Node: <host> (<ip>) · app <ver> · last input <N>s ago · mode <m> ·
 * reason <r>": the beacon line nodes send, parsed into fields.
 */
static void
presence_parse_segment(const char *seg, int first, struct json_object *e)
{
	char *buf, *p, *q;
	long  n;

	if (first) {
		buf = xstrdup(seg);
		if ((p = strstr(buf, " (")) != NULL &&
		    (q = strchr(p, ')')) != NULL) {
			*q = '\0';
			padd_str(e, "ip", p + 2);
			*p = '\0';
		}
		padd_str(e, "host", buf);
		free(buf);
	} else if (strncmp(seg, "app ", 4) == 0)
		padd_str(e, "version", seg + 4);
	else if (strncmp(seg, "mode ", 5) == 0)
		padd_str(e, "mode", seg + 5);
	else if (strncmp(seg, "reason ", 7) == 0)
		padd_str(e, "reason", seg + 7);
	else if (sscanf(seg, "last input %lds ago", &n) == 1)
		json_object_object_add(e, "lastInputSeconds",
		    json_object_new_int64(n));
}

/*
 * "Node: <host> (<ip>) · app <ver> · last input <N>s ago · mode <m> ·
 * reason <r>": the beacon line nodes send, parsed into fields.
 */
static void
presence_parse_node_line(const char *text, struct json_object *e)
{
	static const char sep[] = " \xc2\xb7 ";
	char             *buf, *seg, *next;
	int               first = 1;

	if (strncmp(text, "Node: ", 6) != 0)
		return;
	buf = xstrdup(text + 6);
	for (seg = buf; seg != NULL; seg = next, first = 0) {
		if ((next = strstr(seg, sep)) != NULL) {
			*next = '\0';
			next += sizeof(sep) - 1;
		}
		presence_parse_segment(seg, first, e);
	}
	free(buf);
}

static const char *const presence_event_fields[] = { "host", "ip", "mode",
	"version", "platform", "deviceFamily", "modelIdentifier", "reason",
	"deviceId", "instanceId", "roles", "scopes", "tags", "lastInputSeconds",
	NULL };

static void
presence_event_key(struct ws_server *s, struct json_object *e, const char *text,
    char *key, size_t len)
{
	const char *k;
	size_t      n;

	if ((k = frame_str(e, "deviceId")) == NULL &&
	    (k = frame_str(e, "instanceId")) == NULL &&
	    (k = frame_str(e, "host")) == NULL &&
	    (k = frame_str(e, "ip")) == NULL)
		k = *text != '\0' ? text : s->hostname;
	/* The reference keys free text by its first 64 characters. */
	n = strnlen(k, 64);
	if (n >= len)
		n = len - 1;
	memcpy(key, k, n);
	key[n] = '\0';
	presence_lower(key);
}

static void
presence_queue_event(struct ws_server *s, struct json_object *params)
{
	struct json_object *ev;

	ev = json_object_new_object();
	json_object_object_add(ev, "text",
	    json_object_get(json_object_object_get(params, "text")));
	json_object_object_add(ev, "ts",
	    json_object_new_int64((int64_t)util_now_ms()));
	padd_str(ev, "sessionKey",
	    frame_str(params, "sessionKey") ? frame_str(params, "sessionKey") :
	                                      "agent:main:main");
	if (json_object_array_length(s->events) >= EVENTS_MAX)
		json_object_array_del_idx(s->events, 0, 1);
	json_object_array_add(s->events, ev);
}

int
ws_presence_system_event(struct ws_server *s, struct json_object *params)
{
	struct json_object *e, *v, *tags;
	struct ws_presence *old;
	const char         *text = frame_str(params, "text");
	char                key[128];
	size_t              i;
	int                 clear = 0;

	e = json_object_new_object();
	presence_parse_node_line(text, e);
	for (i = 0; presence_event_fields[i] != NULL; i++)
		if (json_object_object_get_ex(params, presence_event_fields[i],
		        &v))
			json_object_object_add(e, presence_event_fields[i],
			    json_object_get(v));
	padd_str(e, "text", text);
	tags = json_object_object_get(params, "tags");
	for (i = 0; tags != NULL && i < json_object_array_length(tags); i++)
		clear |= strcmp(json_object_get_string(
		                    json_object_array_get_idx(tags, i)),
		             "system-presence-clear-last-input") == 0;
	presence_event_key(s, e, text, key, sizeof(key));
	if ((old = presence_find(s, key)) != NULL) {
		/* Merge: what the beacon does not say stays as it was. */
		json_object_object_foreach(old->entry, k,
		    ov) if (json_object_object_get(e, k) == NULL &&
		    !(clear && strcmp(k, "lastInputSeconds") == 0))
		    json_object_object_add(e, k, json_object_get(ov));
	}
	if (clear)
		json_object_object_del(e, "lastInputSeconds");
	if (presence_put(s, key, e) == -1)
		return -1;
	presence_queue_event(s, params);
	presence_changed(s);
	return 0;
}
