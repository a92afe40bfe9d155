/*
 * openai-completions: POST <baseUrl>/chat/completions (the baseUrl
 * carries the /v1), "Authorization: Bearer".  OpenAI and every
 * OpenAI-compatible server (vLLM, Ollama, LM Studio, OpenRouter...).
 * Streamed: "data:" chunks with choices[].delta (content, refusal,
 * tool_calls[] by index), then finish_reason, then a chunk with usage
 * (stream_options.include_usage), then "data: [DONE]".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "workers/agent/http-client.h"
#include "workers/agent/provider-int.h"

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

static char *
oa_url(const char *base)
{
	return prov_url_join(base, "/chat/completions");
}

void
prov_auth_bearer(struct prov_hdrs *h, const struct prov_config *cfg)
{
	char *v;

	if (cfg->api_key == NULL || *cfg->api_key == '\0')
		return;
	xasprintf(&v, "Bearer %s", cfg->api_key);
	prov_hdrs_add(h, "Authorization", v);
	hc_wipe(v, strlen(v));
	free(v);
}

static json_object *
oa_calls(const struct prov_message *m)
{
	json_object *a, *c, *f;
	size_t       i;

	a = json_object_new_array();
	for (i = 0; i < m->ncalls; i++) {
		c = json_object_new_object();
		f = json_object_new_object();
		json_object_object_add(c, "id", jstr(m->calls[i].id));
		json_object_object_add(c, "type", jstr("function"));
		json_object_object_add(f, "name", jstr(m->calls[i].name));
		json_object_object_add(f, "arguments",
		    jstr(m->calls[i].arguments ? m->calls[i].arguments : "{}"));
		json_object_object_add(c, "function", f);
		json_object_array_add(a, c);
	}
	return a;
}

static json_object *
oa_message(const struct prov_message *m)
{
	json_object *o = json_object_new_object();

	switch (m->role) {
	case PROV_MSG_USER:
		json_object_object_add(o, "role", jstr("user"));
		json_object_object_add(o, "content", jstr(m->text));
		break;
	case PROV_MSG_ASSISTANT:
		json_object_object_add(o, "role", jstr("assistant"));
		json_object_object_add(o, "content",
		    m->text != NULL ? jstr(m->text) : NULL);
		if (m->ncalls > 0)
			json_object_object_add(o, "tool_calls", oa_calls(m));
		break;
	case PROV_MSG_TOOL_RESULT:
		json_object_object_add(o, "role", jstr("tool"));
		json_object_object_add(o, "tool_call_id",
		    jstr(m->tool_call_id));
		json_object_object_add(o, "content", jstr(m->text));
		break;
	}
	return o;
}

static json_object *
oa_messages(const struct prov_request *r)
{
	json_object *a, *s;
	size_t       i;

	a = json_object_new_array();
	if (r->system != NULL) {
		s = json_object_new_object();
		json_object_object_add(s, "role", jstr("system"));
		json_object_object_add(s, "content", jstr(r->system));
		json_object_array_add(a, s);
	}
	for (i = 0; i < r->nmsgs; i++)
		json_object_array_add(a, oa_message(&r->msgs[i]));
	return a;
}

static json_object *
oa_tool(const struct prov_tool *t, json_object *schema)
{
	json_object *o = json_object_new_object();
	json_object *f = json_object_new_object();

	json_object_object_add(o, "type", jstr("function"));
	prov_tool_names(f, t);
	json_object_object_add(f, "parameters", schema);
	json_object_object_add(o, "function", f);
	return o;
}

/* OpenAI itself wants max_completion_tokens (its reasoning models refuse
 * max_tokens); compatible servers know max_tokens. */
static const char *
oa_max_key(const char *base)
{
	return strstr(base, "://api.openai.com") != NULL ?
	    "max_completion_tokens" :
	    "max_tokens";
}

static int
oa_body(const struct prov_request *r, json_object **out, char *err,
    size_t errlen)
{
	json_object *b, *so;

	b = json_object_new_object();
	json_object_object_add(b, "model", jstr(r->cfg->model));
	json_object_object_add(b, "messages", oa_messages(r));
	if (prov_tools_add(r, b, oa_tool, err, errlen) == -1) {
		json_object_put(b);
		return -1;
	}
	if (r->cfg->max_tokens > 0)
		json_object_object_add(b, oa_max_key(r->cfg->base_url),
		    json_object_new_int64(r->cfg->max_tokens));
	json_object_object_add(b, "stream", json_object_new_boolean(r->stream));
	if (r->stream) {
		so = json_object_new_object();
		json_object_object_add(so, "include_usage",
		    json_object_new_boolean(1));
		json_object_object_add(b, "stream_options", so);
	}
	*out = b;
	return 0;
}

static enum prov_stop
oa_stop(const char *f)
{
	if (strcmp(f, "stop") == 0)
		return PROV_STOP_END;
	if (strcmp(f, "length") == 0)
		return PROV_STOP_LENGTH;
	if (strcmp(f, "tool_calls") == 0 || strcmp(f, "function_call") == 0)
		return PROV_STOP_TOOL_USE;
	if (strcmp(f, "content_filter") == 0)
		return PROV_STOP_REFUSAL;
	return PROV_STOP_OTHER;
}

static int
oa_error(struct prov_decoder *d, json_object *j)
{
	json_object *e;
	const char  *type;

	if (!json_object_object_get_ex(j, "error", &e) ||
	    json_object_is_type(e, json_type_null))
		return 0;
	if (json_object_is_type(e, json_type_string))
		return prov_dec_provider_error(d, "error",
		    json_object_get_string(e));
	if ((type = prov_jstr(e, "code")) == NULL)
		type = prov_jstr(e, "type");
	return prov_dec_provider_error(d, type, prov_jstr(e, "message"));
}

static void
oa_usage(struct prov_decoder *d, json_object *j)
{
	json_object *u, *det;

	if (!json_object_object_get_ex(j, "usage", &u) ||
	    !json_object_is_type(u, json_type_object))
		return;
	if (!json_object_object_get_ex(u, "prompt_tokens_details", &det))
		det = NULL;
	prov_dec_usage(d, prov_jint(u, "prompt_tokens"),
	    prov_jint(u, "completion_tokens"), prov_jint(det, "cached_tokens"),
	    -1);
}

static int
oa_call(struct prov_decoder *d, json_object *c, long pos)
{
	json_object *f;
	const char  *args;
	long long    idx;

	if ((idx = prov_jint(c, "index")) < 0)
		idx = pos;
	if (!json_object_object_get_ex(c, "function", &f))
		f = NULL;
	if (prov_dec_tool_start(d, idx, prov_jstr(c, "id"),
	        prov_jstr(f, "name")) == -1)
		return -1;
	if ((args = prov_jstr(f, "arguments")) != NULL &&
	    prov_dec_tool_args(d, idx, args, strlen(args)) == -1)
		return -1;
	return 0;
}

static int
oa_calls_in(struct prov_decoder *d, json_object *m)
{
	json_object *a;
	size_t       i;

	if (!json_object_object_get_ex(m, "tool_calls", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(a); i++)
		if (oa_call(d, json_object_array_get_idx(a, i), (long)i) == -1)
			return -1;
	return 0;
}

/* Text and refusal text of a delta or a message; a refusal is shown
 * and ends as the stop reason "refusal". */
static int
oa_texts(struct prov_decoder *d, json_object *m)
{
	const char *s;

	if ((s = prov_jstr(m, "content")) != NULL &&
	    prov_dec_text(d, s, strlen(s)) == -1)
		return -1;
	if ((s = prov_jstr(m, "refusal")) != NULL) {
		prov_dec_stop(d, PROV_STOP_REFUSAL, "refusal");
		if (prov_dec_text(d, s, strlen(s)) == -1)
			return -1;
	}
	return oa_calls_in(d, m);
}

static int
oa_finish(struct prov_decoder *d, json_object *choice)
{
	const char *f;

	if ((f = prov_jstr(choice, "finish_reason")) == NULL)
		return 0;
	if (prov_dec_tool_end_all(d) == -1)
		return -1;
	/* Some servers (Ollama) end tool calls with "stop". */
	if (oa_stop(f) == PROV_STOP_END && prov_dec_tool_count(d) > 0)
		prov_dec_stop(d, PROV_STOP_TOOL_USE, f);
	else
		prov_dec_stop(d, oa_stop(f), f);
	prov_dec_complete(d);
	return 0;
}

static int
oa_choices(struct prov_decoder *d, json_object *j, const char *part)
{
	json_object *a, *c, *m;
	size_t       i;

	if (!json_object_object_get_ex(j, "choices", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(a); i++) {
		c = json_object_array_get_idx(a, i);
		if (prov_jint(c, "index") > 0)
			continue; /* n > 1 is not asked for */
		if (json_object_object_get_ex(c, part, &m) &&
		    oa_texts(d, m) == -1)
			return -1;
		if (oa_finish(d, c) == -1)
			return -1;
	}
	return 0;
}

static int
oa_event(struct prov_decoder *d, const char *name, json_object *j)
{
	(void)name;
	if (oa_error(d, j) == -1)
		return -1;
	oa_usage(d, j);
	return oa_choices(d, j, "delta");
}

static int
oa_reply(struct prov_decoder *d, json_object *j)
{
	if (oa_error(d, j) == -1)
		return -1;
	oa_usage(d, j);
	if (oa_choices(d, j, "message") == -1)
		return -1;
	prov_dec_complete(d);
	return 0;
}

const struct prov_wire prov_wire_openai = {
	.url = oa_url,
	.auth = prov_auth_bearer,
	.body = oa_body,
	.event = oa_event,
	.reply = oa_reply,
};
