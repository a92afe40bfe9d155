/*
 * The reply decoder: SSE (sse.c) or one JSON body in, neutral events
 * out.  The wire formats (provider-*.c) read the JSON; this file holds
 * what they share: tool-call slots and their arguments, usage and stop
 * kept for the end, and the one terminal event every call gets.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "workers/agent/http-client.h"
#include "workers/agent/provider-int.h"
#include "workers/agent/sse.h"

struct prov_slot {
	long   key;
	char  *id, *name;
	char  *args;
	size_t args_len, args_cap;
	int    started, ended;
};

struct prov_decoder {
	const struct prov_wire *w;
	int                     stream;
	prov_event_cb           cb;
	void                   *arg;
	char                   *key;
	struct sse_parser      *sse;
	json_tokener           *tok;
	char                   *body;
	size_t                  body_len, body_cap;
	struct prov_slot       *slots;
	int                     nslots;
	long long               usage[4]; /* in, out, cache read, write */
	int                     have_usage;
	enum prov_stop          stop;
	char                    stop_raw[32];
	int                     complete, output_seen, ended;
};

static int sse_event(void *, const char *, const char *, size_t);

struct prov_decoder *
prov_decoder_new(enum prov_api api, int stream, const char *key,
    prov_event_cb cb, void *arg)
{
	struct prov_decoder *d;

	d = xcalloc(1, sizeof(*d));
	d->w = prov_wire(api);
	d->stream = stream;
	d->cb = cb;
	d->arg = arg;
	d->key = key != NULL ? xstrdup(key) : NULL;
	d->usage[0] = d->usage[1] = d->usage[2] = d->usage[3] = -1;
	if ((d->tok = json_tokener_new_ex(64)) == NULL)
		abort();
	return d;
}

static void
slots_free(struct prov_decoder *d)
{
	int i;

	for (i = 0; i < d->nslots; i++) {
		free(d->slots[i].id);
		free(d->slots[i].name);
		free(d->slots[i].args);
	}
	free(d->slots);
}

void
prov_decoder_free(struct prov_decoder *d)
{
	if (d == NULL)
		return;
	if (d->key != NULL) {
		hc_wipe(d->key, strlen(d->key));
		free(d->key);
	}
	sse_free(d->sse);
	json_tokener_free(d->tok);
	free(d->body);
	slots_free(d);
	free(d);
}

void
prov_decoder_set_stream(struct prov_decoder *d, int stream)
{
	d->stream = stream;
}

const char *
prov_decoder_key(const struct prov_decoder *d)
{
	return d->key;
}

int
prov_decoder_complete(const struct prov_decoder *d)
{
	return d->complete;
}

int
prov_decoder_output_seen(const struct prov_decoder *d)
{
	return d->output_seen;
}

size_t
prov_decoder_held(const struct prov_decoder *d)
{
	size_t n;
	int    i;

	n = sizeof(*d) + d->body_cap + (d->sse ? sse_held(d->sse) : 0);
	for (i = 0; i < d->nslots; i++)
		n += sizeof(d->slots[i]) + d->slots[i].args_cap;
	return n;
}

static void
emit(struct prov_decoder *d, struct prov_event *ev)
{
	if (ev->type == PROV_EV_ERROR || ev->type == PROV_EV_DONE)
		d->ended = 1;
	d->cb(ev, d->arg);
}

int
prov_decoder_fail(struct prov_decoder *d, struct prov_error *err)
{
	struct prov_event ev;

	if (d->ended)
		return -1;
	err->output_seen = d->output_seen;
	memset(&ev, 0, sizeof(ev));
	ev.type = PROV_EV_ERROR;
	ev.error = err;
	emit(d, &ev);
	return -1;
}

int
prov_dec_provider_error(struct prov_decoder *d, const char *type,
    const char *message)
{
	struct prov_error err;

	prov_error_from_event(&err, type, message, d->key);
	return prov_decoder_fail(d, &err);
}

int
prov_dec_protocol(struct prov_decoder *d, const char *fmt, ...)
{
	struct prov_error err;
	char              buf[PROV_DETAIL_MAX + 1];
	va_list           ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	prov_error_init(&err, PROV_ERR_UNKNOWN, PROV_REASON_PROTOCOL);
	prov_error_set_detail(&err, d->key, "%s", buf);
	return prov_decoder_fail(d, &err);
}

int
prov_dec_text(struct prov_decoder *d, const char *s, size_t len)
{
	struct prov_event ev;

	if (d->ended)
		return -1;
	if (len == 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.type = PROV_EV_TEXT;
	ev.text = s;
	ev.len = len;
	d->output_seen = 1;
	emit(d, &ev);
	return 0;
}

static struct prov_slot *
slot_find(struct prov_decoder *d, long key)
{
	int i;

	for (i = 0; i < d->nslots; i++)
		if (d->slots[i].key == key)
			return &d->slots[i];
	return NULL;
}

static struct prov_slot *
slot_get(struct prov_decoder *d, long key)
{
	struct prov_slot *s;

	if ((s = slot_find(d, key)) != NULL)
		return s;
	if (d->nslots >= PROV_TOOLS_MAX) {
		prov_dec_protocol(d, "more than %d tool calls in one reply",
		    PROV_TOOLS_MAX);
		return NULL;
	}
	d->slots = xrealloc(d->slots, (d->nslots + 1) * sizeof(*d->slots));
	s = &d->slots[d->nslots++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	return s;
}

static void
slot_event(struct prov_decoder *d, struct prov_slot *s,
    enum prov_event_type type, const char *text, size_t len)
{
	struct prov_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tool_index = (int)(s - d->slots);
	ev.tool_id = s->id != NULL ? s->id : "";
	ev.tool_name = s->name;
	ev.text = text;
	ev.len = len;
	d->output_seen = 1;
	emit(d, &ev);
}

/* A slot starts once its name is known (openai may send the id later). */
static void
slot_maybe_start(struct prov_decoder *d, struct prov_slot *s)
{
	if (s->started || s->name == NULL)
		return;
	s->started = 1;
	slot_event(d, s, PROV_EV_TOOL_START, NULL, 0);
	if (s->args_len > 0 && !d->ended)
		slot_event(d, s, PROV_EV_TOOL_ARGS, s->args, s->args_len);
}

int
prov_dec_tool_start(struct prov_decoder *d, long key, const char *id,
    const char *name)
{
	struct prov_slot *s;

	if (d->ended || (s = slot_get(d, key)) == NULL)
		return -1;
	if (s->id == NULL && id != NULL && *id != '\0')
		s->id = xstrdup(id);
	if (s->name == NULL && name != NULL && *name != '\0')
		s->name = xstrdup(name);
	slot_maybe_start(d, s);
	return d->ended ? -1 : 0;
}

int
prov_dec_tool_args(struct prov_decoder *d, long key, const char *t, size_t len)
{
	struct prov_slot *s;

	if (d->ended || (s = slot_get(d, key)) == NULL)
		return -1;
	if (len == 0)
		return 0;
	if (len > PROV_TOOL_ARGS_MAX - s->args_len)
		return prov_dec_protocol(d, "tool call arguments too long");
	if (s->args_len + len + 1 > s->args_cap) {
		s->args_cap = s->args_cap ? s->args_cap : 64;
		while (s->args_cap < s->args_len + len + 1)
			s->args_cap *= 2;
		s->args = xrealloc(s->args, s->args_cap);
	}
	memcpy(s->args + s->args_len, t, len);
	s->args_len += len;
	s->args[s->args_len] = '\0';
	if (s->started)
		slot_event(d, s, PROV_EV_TOOL_ARGS, t, len);
	return d->ended ? -1 : 0;
}

static int
slot_end(struct prov_decoder *d, struct prov_slot *s)
{
	if (s->ended)
		return 0;
	if (s->name == NULL)
		return prov_dec_protocol(d, "a tool call without a name");
	s->ended = 1;
	slot_event(d, s, PROV_EV_TOOL_END, s->args ? s->args : "", s->args_len);
	return d->ended ? -1 : 0;
}

int
prov_dec_tool_end(struct prov_decoder *d, long key)
{
	struct prov_slot *s;

	if (d->ended)
		return -1;
	if ((s = slot_find(d, key)) == NULL)
		return 0;
	return slot_end(d, s);
}

int
prov_dec_tool_end_all(struct prov_decoder *d)
{
	int i;

	for (i = 0; i < d->nslots; i++)
		if (slot_end(d, &d->slots[i]) == -1)
			return -1;
	return 0;
}

int
prov_dec_tool_count(const struct prov_decoder *d)
{
	return d->nslots;
}

void
prov_dec_usage(struct prov_decoder *d, long long in, long long out,
    long long cache_read, long long cache_write)
{
	long long v[4] = { in, out, cache_read, cache_write };
	int       i;

	for (i = 0; i < 4; i++)
		if (v[i] >= 0) {
			d->usage[i] = v[i];
			d->have_usage = 1;
		}
}

void
prov_dec_stop(struct prov_decoder *d, enum prov_stop stop, const char *raw)
{
	if (d->stop == PROV_STOP_REFUSAL)
		return; /* a refusal stays one, whatever the final word */
	d->stop = stop;
	snprintf(d->stop_raw, sizeof(d->stop_raw), "%s", raw ? raw : "");
}

void
prov_dec_complete(struct prov_decoder *d)
{
	d->complete = 1;
}

static int
parse_json(struct prov_decoder *d, const char *s, size_t len, json_object **out)
{
	json_tokener_reset(d->tok);
	*out = json_tokener_parse_ex(d->tok, s, (int)len);
	if (*out == NULL || (size_t)json_tokener_get_parse_end(d->tok) != len) {
		json_object_put(*out);
		return prov_dec_protocol(d, "a reply that is not JSON");
	}
	return 0;
}

static int
sse_event(void *arg, const char *name, const char *data, size_t len)
{
	struct prov_decoder *d = arg;
	json_object         *j;
	int                  rc;

	if (d->ended)
		return -1;
	if (strcmp(data, "[DONE]") == 0) {
		d->complete = 1;
		return 0;
	}
	if (len > INT32_MAX || parse_json(d, data, len, &j) == -1)
		return -1;
	rc = d->w->event(d, name, j);
	json_object_put(j);
	return rc == -1 || d->ended ? -1 : 0;
}

static int
body_add(struct prov_decoder *d, const char *s, size_t len)
{
	if (len > PROV_BODY_MAX - d->body_len)
		return prov_dec_protocol(d, "reply larger than %d bytes",
		    PROV_BODY_MAX);
	if (d->body_len + len + 1 > d->body_cap) {
		d->body_cap = d->body_cap ? d->body_cap : 4096;
		while (d->body_cap < d->body_len + len + 1)
			d->body_cap *= 2;
		d->body = xrealloc(d->body, d->body_cap);
	}
	memcpy(d->body + d->body_len, s, len);
	d->body_len += len;
	return 0;
}

int
prov_decoder_feed(struct prov_decoder *d, const char *s, size_t len)
{
	if (d->ended)
		return -1;
	if (!d->stream)
		return body_add(d, s, len);
	if (d->sse == NULL)
		d->sse = sse_new(PROV_SSE_LINE_MAX, PROV_SSE_EVENT_MAX,
		    sse_event, d);
	if (sse_feed(d->sse, s, len) == -1) {
		if (!d->ended)
			prov_dec_protocol(d, "event stream: %s",
			    sse_error(d->sse));
		return -1;
	}
	return 0;
}

static int
finish_body(struct prov_decoder *d)
{
	json_object *j;
	int          rc;

	if (parse_json(d, d->body ? d->body : "", d->body_len, &j) == -1)
		return -1;
	rc = d->w->reply(d, j);
	json_object_put(j);
	return rc;
}

/* A cut connection, as the server saw it: retried like one. */
static int
cut(struct prov_decoder *d)
{
	struct prov_error err;

	prov_error_init(&err, PROV_ERR_UNKNOWN, PROV_REASON_CONNECTION);
	prov_error_set_detail(&err, NULL, "the reply ended before its end");
	return prov_decoder_fail(d, &err);
}

static void
emit_end(struct prov_decoder *d)
{
	struct prov_event ev;

	memset(&ev, 0, sizeof(ev));
	if (d->have_usage) {
		ev.type = PROV_EV_USAGE;
		ev.input_tokens = d->usage[0];
		ev.output_tokens = d->usage[1];
		ev.cache_read_tokens = d->usage[2];
		ev.cache_write_tokens = d->usage[3];
		emit(d, &ev);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = PROV_EV_STOP;
	ev.stop = d->stop;
	ev.stop_raw = d->stop_raw;
	emit(d, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.type = PROV_EV_DONE;
	emit(d, &ev);
}

int
prov_decoder_finish(struct prov_decoder *d)
{
	if (d->ended)
		return -1;
	if (!d->stream) {
		if (finish_body(d) == -1 || d->ended)
			return -1;
	} else if (d->sse != NULL && sse_finish(d->sse) == -1) {
		if (!d->ended)
			prov_dec_protocol(d, "event stream: %s",
			    sse_error(d->sse));
		return -1;
	}
	if (!d->complete)
		return cut(d);
	if (prov_dec_tool_end_all(d) == -1)
		return -1;
	if (d->stop == PROV_STOP_NONE && d->nslots > 0)
		prov_dec_stop(d, PROV_STOP_TOOL_USE, "");
	emit_end(d);
	return 0;
}
