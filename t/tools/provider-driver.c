/*
 * A test driver for the provider client, built for the tests only: it
 * reads a JSON description of a request (argv[1], or stdin), runs it
 * through the real http client and provider code on a libevent loop,
 * and prints each neutral event as one JSON line.  t/70 runs it against
 * the provider stand-in; bench figures come from its "quiet" mode.
 *
 *   {"provider": {"api", "baseUrl", "apiKey", "model", "maxTokens",
 *                 "headers": {name: value}},
 *    "system": "...", "stream": true,
 *    "messages": [{"role": "user"|"assistant"|"tool", "content",
 *                  "toolCalls": [{"id", "name", "arguments"}],
 *                  "toolCallId", "isError"}],
 *    "tools": [{"name", "description", "parameters": {...}}],
 *    "timeouts": {"connectMs", "firstByteMs", "idleMs", "totalMs"},
 *    "abortAfterEvents": n, "abortAfterMs": n,
 *    "turns": n, "concurrency": n, "quiet": true}
 *
 * turns: rounds one after the other, each of "concurrency" calls at
 * once.  quiet: no event lines; a summary line at the end with the
 * CPU time, the RSS when every call of a round streamed, and what the
 * calls held then.
 */
#include "config.h"

#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "common/util.h"
#include "common/xmalloc.h"
#include "workers/agent/http-client.h"
#include "workers/agent/provider.h"

struct slot {
	struct driver    *drv;
	struct prov_call *call;
	int               events, streaming, index;
};

struct driver {
	struct event_base  *base;
	struct hc_client   *client;
	struct prov_request req;
	struct prov_config  cfg;
	struct slot        *slots;
	int                 conc, turns, turn, live, quiet;
	int                 abort_after_events, streaming;
	long                abort_after_ms;
	struct event       *abort_timer;
	long                errors, done, peak_rss_kib;
	size_t              held;
	json_object        *desc;
};

static const char *
jget(json_object *o, const char *k)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static long
jlong(json_object *o, const char *k, long dflt)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return dflt;
	return (long)json_object_get_int64(v);
}

static json_object *
jobj(json_object *o, const char *k)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static long
rss_kib(void)
{
	FILE *f;
	char  line[256];
	long  kib = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void
print(json_object *o)
{
	printf("%s\n",
	    json_object_to_json_string_ext(o,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static json_object *
event_json(const struct prov_event *ev, int index)
{
	json_object             *o = json_object_new_object();
	const struct prov_error *e = ev->error;

	json_object_object_add(o, "type",
	    json_object_new_string(prov_event_name(ev->type)));
	json_object_object_add(o, "call", json_object_new_int(index));
	switch (ev->type) {
	case PROV_EV_TEXT:
		json_object_object_add(o, "delta",
		    json_object_new_string_len(ev->text, (int)ev->len));
		break;
	case PROV_EV_TOOL_START:
	case PROV_EV_TOOL_ARGS:
	case PROV_EV_TOOL_END:
		json_object_object_add(o, "index",
		    json_object_new_int(ev->tool_index));
		json_object_object_add(o, "id",
		    json_object_new_string(ev->tool_id));
		json_object_object_add(o, "name",
		    json_object_new_string(ev->tool_name));
		if (ev->text != NULL)
			json_object_object_add(o,
			    ev->type == PROV_EV_TOOL_END ? "arguments" :
			                                   "delta",
			    json_object_new_string_len(ev->text, (int)ev->len));
		break;
	case PROV_EV_USAGE:
		json_object_object_add(o, "input",
		    json_object_new_int64(ev->input_tokens));
		json_object_object_add(o, "output",
		    json_object_new_int64(ev->output_tokens));
		break;
	case PROV_EV_STOP:
		json_object_object_add(o, "reason",
		    json_object_new_string(prov_stop_name(ev->stop)));
		json_object_object_add(o, "raw",
		    json_object_new_string(ev->stop_raw));
		break;
	case PROV_EV_ERROR:
		json_object_object_add(o, "kind",
		    json_object_new_string(prov_err_kind_name(e->kind)));
		json_object_object_add(o, "reason",
		    json_object_new_string(prov_err_reason_name(e->reason)));
		json_object_object_add(o, "status",
		    json_object_new_int(e->http_status));
		json_object_object_add(o, "timeout",
		    json_object_new_int(e->timeout));
		json_object_object_add(o, "retryAfterMs",
		    json_object_new_int64(e->retry_after_ms));
		json_object_object_add(o, "outputSeen",
		    json_object_new_boolean(e->output_seen));
		json_object_object_add(o, "retryable",
		    json_object_new_boolean(prov_error_retryable(e)));
		json_object_object_add(o, "detail",
		    json_object_new_string(e->detail));
		break;
	default:
		break;
	}
	return o;
}

static void start_round(struct driver *);

static void
measure(struct driver *d)
{
	long kib;
	int  i;

	if ((kib = rss_kib()) > d->peak_rss_kib)
		d->peak_rss_kib = kib;
	d->held = 0;
	for (i = 0; i < d->conc; i++)
		if (d->slots[i].call != NULL)
			d->held += prov_call_held(d->slots[i].call);
}

static void
slot_ended(struct slot *s)
{
	struct driver *d = s->drv;

	s->call = NULL;
	if (--d->live == 0 && ++d->turn < d->turns)
		start_round(d);
}

static void
print_aborted(struct driver *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("aborted"));
	json_object_object_add(o, "running",
	    json_object_new_int(hc_running(d->client)));
	print(o);
}

static void
on_event(const struct prov_event *ev, void *arg)
{
	struct slot   *s = arg;
	struct driver *d = s->drv;

	if (!d->quiet)
		print(event_json(ev, s->index));
	s->events++;
	if (ev->type == PROV_EV_TEXT && !s->streaming) {
		s->streaming = 1;
		if (++d->streaming == d->conc)
			measure(d);
	}
	if (ev->type == PROV_EV_ERROR)
		d->errors++;
	if (ev->type == PROV_EV_DONE)
		d->done++;
	if (ev->type == PROV_EV_DONE || ev->type == PROV_EV_ERROR) {
		slot_ended(s);
		return;
	}
	if (d->abort_after_events > 0 && s->events >= d->abort_after_events) {
		prov_call_abort(s->call);
		print_aborted(d);
		slot_ended(s);
	}
}

static void
abort_all(evutil_socket_t fd, short what, void *arg)
{
	struct driver *d = arg;
	int            i;

	(void)fd;
	(void)what;
	for (i = 0; i < d->conc; i++)
		if (d->slots[i].call != NULL) {
			prov_call_abort(d->slots[i].call);
			d->slots[i].call = NULL;
			d->live--;
		}
	print_aborted(d);
}

static void
start_round(struct driver *d)
{
	char err[256];
	int  i;

	d->streaming = 0;
	for (i = 0; i < d->conc; i++) {
		struct slot *s = &d->slots[i];

		memset(s, 0, sizeof(*s));
		s->drv = d;
		s->index = i;
		s->call = prov_call_start(d->client, &d->req, on_event, s, err,
		    sizeof(err));
		if (s->call == NULL) {
			fprintf(stderr, "provider-driver: %s\n", err);
			exit(2);
		}
		d->live++;
	}
}

static void
parse_calls(json_object *a, struct prov_message *m)
{
	struct prov_tool_call *c;
	size_t                 i, n;

	n = a != NULL ? json_object_array_length(a) : 0;
	c = xcalloc(n + 1, sizeof(*c));
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		c[i].id = jget(o, "id");
		c[i].name = jget(o, "name");
		c[i].arguments = jget(o, "arguments");
	}
	m->calls = c;
	m->ncalls = n;
}

static void
parse_messages(struct driver *d, json_object *a)
{
	struct prov_message *m;
	size_t               i, n;
	const char          *role;

	n = a != NULL ? json_object_array_length(a) : 0;
	m = xcalloc(n + 1, sizeof(*m));
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		role = jget(o, "role");
		m[i].text = jget(o, "content");
		if (role != NULL && strcmp(role, "assistant") == 0) {
			m[i].role = PROV_MSG_ASSISTANT;
			parse_calls(jobj(o, "toolCalls"), &m[i]);
		} else if (role != NULL && strcmp(role, "tool") == 0) {
			m[i].role = PROV_MSG_TOOL_RESULT;
			m[i].tool_call_id = jget(o, "toolCallId");
			m[i].is_error = jlong(o, "isError", 0) != 0;
		} else
			m[i].role = PROV_MSG_USER;
	}
	d->req.msgs = m;
	d->req.nmsgs = n;
}

static void
parse_tools(struct driver *d, json_object *a)
{
	struct prov_tool *t;
	size_t            i, n;

	n = a != NULL ? json_object_array_length(a) : 0;
	t = xcalloc(n + 1, sizeof(*t));
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		t[i].name = jget(o, "name");
		t[i].description = jget(o, "description");
		t[i].parameters = jobj(o, "parameters") ?
		    json_object_to_json_string_ext(jobj(o, "parameters"),
		        JSON_C_TO_STRING_PLAIN) :
		    NULL;
	}
	d->req.tools = t;
	d->req.ntools = n;
}

static void
parse_provider(struct driver *d, json_object *p)
{
	struct prov_header *h;
	json_object        *hs = jobj(p, "headers");
	int                 api;
	size_t              n = 0;

	if ((api = prov_api_parse(jget(p, "api"))) == -1) {
		fprintf(stderr, "provider-driver: unknown api\n");
		exit(2);
	}
	d->cfg.api = api;
	d->cfg.base_url = jget(p, "baseUrl");
	d->cfg.api_key = jget(p, "apiKey");
	d->cfg.model = jget(p, "model");
	d->cfg.max_tokens = jlong(p, "maxTokens", 0);
	h = xcalloc(hs ? json_object_object_length(hs) + 1 : 1, sizeof(*h));
	if (hs != NULL) {
		json_object_object_foreach(hs, k, v)
		{
			h[n].name = k;
			h[n++].value = json_object_get_string(v);
		}
	}
	d->cfg.headers = h;
	d->cfg.nheaders = n;
	d->req.cfg = &d->cfg;
}

static void
parse(struct driver *d, json_object *j)
{
	json_object *t = jobj(j, "timeouts");

	parse_provider(d, jobj(j, "provider"));
	d->req.system = jget(j, "system");
	d->req.stream = jlong(j, "stream", 0) != 0;
	parse_messages(d, jobj(j, "messages"));
	parse_tools(d, jobj(j, "tools"));
	d->req.timeouts.connect_ms = jlong(t, "connectMs", 0);
	d->req.timeouts.first_byte_ms = jlong(t, "firstByteMs", 0);
	d->req.timeouts.idle_ms = jlong(t, "idleMs", 0);
	d->req.timeouts.total_ms = jlong(t, "totalMs", 0);
	d->abort_after_events = (int)jlong(j, "abortAfterEvents", 0);
	d->abort_after_ms = jlong(j, "abortAfterMs", 0);
	d->turns = (int)jlong(j, "turns", 1);
	d->conc = (int)jlong(j, "concurrency", 1);
	d->quiet = jlong(j, "quiet", 0) != 0;
	if (d->turns < 1 || d->conc < 1) {
		fprintf(stderr,
		    "provider-driver: turns and concurrency >= 1\n");
		exit(2);
	}
}

static void
summary(struct driver *d, uint64_t wall_ms)
{
	struct rusage ru;
	json_object  *o = json_object_new_object();
	double        cpu;

	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	    ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	json_object_object_add(o, "type", json_object_new_string("summary"));
	json_object_object_add(o, "calls",
	    json_object_new_int64((long long)d->turns * d->conc));
	json_object_object_add(o, "done", json_object_new_int64(d->done));
	json_object_object_add(o, "errors", json_object_new_int64(d->errors));
	json_object_object_add(o, "wallMs", json_object_new_int64(wall_ms));
	json_object_object_add(o, "cpuMs", json_object_new_double(cpu));
	json_object_object_add(o, "peakStreamingRssKiB",
	    json_object_new_int64(d->peak_rss_kib));
	json_object_object_add(o, "heldBytes", json_object_new_int64(d->held));
	json_object_object_add(o, "running",
	    json_object_new_int(hc_running(d->client)));
	print(o);
}

static void
desc_free(struct driver *d)
{
	size_t i;

	for (i = 0; i < d->req.nmsgs; i++)
		free((void *)d->req.msgs[i].calls);
	free((void *)d->req.msgs);
	free((void *)d->req.tools);
	free((void *)d->cfg.headers);
	json_object_put(d->desc);
}

static json_object *
read_desc(int argc, char **argv)
{
	json_object *j;

	j = argc > 1 ? json_object_from_file(argv[1]) : json_object_from_fd(0);
	if (j == NULL) {
		fprintf(stderr, "provider-driver: no JSON description\n");
		exit(2);
	}
	return j;
}

int
main(int argc, char **argv)
{
	struct driver  d;
	struct timeval tv;
	uint64_t       t0;

	memset(&d, 0, sizeof(d));
	d.desc = read_desc(argc, argv);
	parse(&d, d.desc);
	d.base = event_base_new();
	d.client = hc_client_new(d.base);
	d.slots = xcalloc(d.conc, sizeof(*d.slots));
	if (d.abort_after_ms > 0) {
		d.abort_timer = evtimer_new(d.base, abort_all, &d);
		tv.tv_sec = d.abort_after_ms / 1000;
		tv.tv_usec = d.abort_after_ms % 1000 * 1000;
		evtimer_add(d.abort_timer, &tv);
	}
	t0 = util_mono_ms();
	start_round(&d);
	while (d.live > 0 || hc_running(d.client) > 0)
		event_base_loop(d.base, EVLOOP_ONCE);
	if (d.abort_timer != NULL)
		event_free(d.abort_timer);
	summary(&d, util_mono_ms() - t0);
	hc_client_free(d.client);
	event_base_free(d.base);
	free(d.slots);
	desc_free(&d);
	return 0;
}
