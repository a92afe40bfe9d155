/*
 * openai-responses: POST <baseUrl>/responses, "Authorization: Bearer".
 * The system prompt is "instructions"; history is "input" items
 * (messages, function_call, function_call_output); store:false, so no
 * state stays at the provider.  Streamed: typed events, of which we
 * read response.output_item.added/done (function_call items),
 * response.output_text.delta, response.refusal.delta,
 * response.function_call_arguments.delta, response.completed and
 * response.incomplete (usage, the end), response.failed and error.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "workers/agent/provider-int.h"

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

static json_object *
member(json_object *o, const char *key)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static char *
rs_url(const char *base)
{
	return prov_url_join(base, "/responses");
}

static void
rs_item_msg(json_object *a, const char *role, const char *text)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "role", jstr(role));
	json_object_object_add(o, "content", jstr(text));
	json_object_array_add(a, o);
}

static void
rs_items(json_object *a, const struct prov_message *m)
{
	json_object *o;
	size_t       i;

	if (m->role == PROV_MSG_USER) {
		rs_item_msg(a, "user", m->text);
		return;
	}
	if (m->role == PROV_MSG_TOOL_RESULT) {
		o = json_object_new_object();
		json_object_object_add(o, "type", jstr("function_call_output"));
		json_object_object_add(o, "call_id", jstr(m->tool_call_id));
		json_object_object_add(o, "output", jstr(m->text));
		json_object_array_add(a, o);
		return;
	}
	if (m->text != NULL && *m->text != '\0')
		rs_item_msg(a, "assistant", m->text);
	for (i = 0; i < m->ncalls; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "type", jstr("function_call"));
		json_object_object_add(o, "call_id", jstr(m->calls[i].id));
		json_object_object_add(o, "name", jstr(m->calls[i].name));
		json_object_object_add(o, "arguments",
		    jstr(m->calls[i].arguments ? m->calls[i].arguments : "{}"));
		json_object_array_add(a, o);
	}
}

static json_object *
rs_tool(const struct prov_tool *t, json_object *schema)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", jstr("function"));
	prov_tool_names(o, t);
	json_object_object_add(o, "parameters", schema);
	json_object_object_add(o, "strict", json_object_new_boolean(0));
	return o;
}

static int
rs_body(const struct prov_request *r, json_object **out, char *err,
    size_t errlen)
{
	json_object *b, *in;
	size_t       i;

	b = json_object_new_object();
	json_object_object_add(b, "model", jstr(r->cfg->model));
	if (r->system != NULL)
		json_object_object_add(b, "instructions", jstr(r->system));
	in = json_object_new_array();
	for (i = 0; i < r->nmsgs; i++)
		rs_items(in, &r->msgs[i]);
	json_object_object_add(b, "input", in);
	if (prov_tools_add(r, b, rs_tool, err, errlen) == -1) {
		json_object_put(b);
		return -1;
	}
	if (r->cfg->max_tokens > 0)
		json_object_object_add(b, "max_output_tokens",
		    json_object_new_int64(r->cfg->max_tokens));
	json_object_object_add(b, "stream", json_object_new_boolean(r->stream));
	json_object_object_add(b, "store", json_object_new_boolean(0));
	*out = b;
	return 0;
}

static void
rs_usage(struct prov_decoder *d, json_object *resp)
{
	json_object *u = member(resp, "usage");

	if (u == NULL || !json_object_is_type(u, json_type_object))
		return;
	prov_dec_usage(d, prov_jint(u, "input_tokens"),
	    prov_jint(u, "output_tokens"),
	    prov_jint(member(u, "input_tokens_details"), "cached_tokens"), -1);
}

/* The end of a response: completed, or incomplete and why. */
static int
rs_end(struct prov_decoder *d, json_object *resp)
{
	const char *status = prov_jstr(resp, "status"), *why;

	rs_usage(d, resp);
	if (status != NULL && strcmp(status, "failed") == 0)
		return prov_dec_provider_error(d,
		    prov_jstr(member(resp, "error"), "code"),
		    prov_jstr(member(resp, "error"), "message"));
	if (status != NULL && strcmp(status, "incomplete") == 0) {
		why = prov_jstr(member(resp, "incomplete_details"), "reason");
		if (why != NULL && strcmp(why, "content_filter") == 0)
			prov_dec_stop(d, PROV_STOP_REFUSAL, why);
		else if (why != NULL && strcmp(why, "max_output_tokens") == 0)
			prov_dec_stop(d, PROV_STOP_LENGTH, why);
		else
			prov_dec_stop(d, PROV_STOP_OTHER, why ? why : status);
	} else if (prov_dec_tool_count(d) > 0)
		prov_dec_stop(d, PROV_STOP_TOOL_USE, "function_call");
	else
		prov_dec_stop(d, PROV_STOP_END, status ? status : "completed");
	prov_dec_complete(d);
	return 0;
}

static int
is_call(json_object *item)
{
	const char *t = prov_jstr(item, "type");

	return t != NULL && strcmp(t, "function_call") == 0;
}

static int
rs_item_added(struct prov_decoder *d, json_object *j)
{
	json_object *item = member(j, "item");
	long long    idx = prov_jint(j, "output_index");
	const char  *args;

	if (!is_call(item))
		return 0;
	if (prov_dec_tool_start(d, idx, prov_jstr(item, "call_id"),
	        prov_jstr(item, "name")) == -1)
		return -1;
	if ((args = prov_jstr(item, "arguments")) != NULL)
		return prov_dec_tool_args(d, idx, args, strlen(args));
	return 0;
}

static int
rs_delta(struct prov_decoder *d, json_object *j, int refusal)
{
	const char *s;

	if ((s = prov_jstr(j, "delta")) == NULL)
		return 0;
	if (refusal)
		prov_dec_stop(d, PROV_STOP_REFUSAL, "refusal");
	return prov_dec_text(d, s, strlen(s));
}

static int
rs_error(struct prov_decoder *d, json_object *j)
{
	json_object *e = member(j, "error");
	const char  *code;

	if (e == NULL || !json_object_is_type(e, json_type_object))
		e = j;
	if ((code = prov_jstr(e, "code")) == NULL)
		code = prov_jstr(e, "type");
	return prov_dec_provider_error(d, code, prov_jstr(e, "message"));
}

static int
rs_event(struct prov_decoder *d, const char *name, json_object *j)
{
	const char *t;

	if ((t = prov_jstr(j, "type")) == NULL)
		t = name;
	if (strcmp(t, "response.output_text.delta") == 0)
		return rs_delta(d, j, 0);
	if (strcmp(t, "response.refusal.delta") == 0)
		return rs_delta(d, j, 1);
	if (strcmp(t, "response.output_item.added") == 0)
		return rs_item_added(d, j);
	if (strcmp(t, "response.function_call_arguments.delta") == 0 &&
	    (name = prov_jstr(j, "delta")) != NULL)
		return prov_dec_tool_args(d, prov_jint(j, "output_index"), name,
		    strlen(name));
	if (strcmp(t, "response.output_item.done") == 0 &&
	    is_call(member(j, "item")))
		return prov_dec_tool_end(d, prov_jint(j, "output_index"));
	if (strcmp(t, "response.completed") == 0 ||
	    strcmp(t, "response.incomplete") == 0 ||
	    strcmp(t, "response.failed") == 0)
		return rs_end(d, member(j, "response"));
	if (strcmp(t, "error") == 0)
		return rs_error(d, j);
	return 0;
}

static int
rs_reply_message(struct prov_decoder *d, json_object *item)
{
	json_object *c = member(item, "content"), *part;
	const char  *t, *s;
	size_t       i;

	if (c == NULL || !json_object_is_type(c, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(c); i++) {
		part = json_object_array_get_idx(c, i);
		if ((t = prov_jstr(part, "type")) == NULL)
			continue;
		if (strcmp(t, "refusal") == 0) {
			prov_dec_stop(d, PROV_STOP_REFUSAL, "refusal");
			s = prov_jstr(part, "refusal");
		} else
			s = strcmp(t, "output_text") == 0 ?
			    prov_jstr(part, "text") :
			    NULL;
		if (s != NULL && prov_dec_text(d, s, strlen(s)) == -1)
			return -1;
	}
	return 0;
}

static int
rs_reply_item(struct prov_decoder *d, json_object *item, long idx)
{
	const char *t = prov_jstr(item, "type"), *args;

	if (t != NULL && strcmp(t, "message") == 0)
		return rs_reply_message(d, item);
	if (!is_call(item))
		return 0;
	if (prov_dec_tool_start(d, idx, prov_jstr(item, "call_id"),
	        prov_jstr(item, "name")) == -1)
		return -1;
	if ((args = prov_jstr(item, "arguments")) != NULL &&
	    prov_dec_tool_args(d, idx, args, strlen(args)) == -1)
		return -1;
	return prov_dec_tool_end(d, idx);
}

static int
rs_reply(struct prov_decoder *d, json_object *j)
{
	json_object *out = member(j, "output"), *e = member(j, "error");
	size_t       i;

	if (e != NULL && json_object_is_type(e, json_type_object))
		return rs_error(d, j);
	if (out == NULL || !json_object_is_type(out, json_type_array))
		return prov_dec_protocol(d, "a reply without output");
	for (i = 0; i < json_object_array_length(out); i++)
		if (rs_reply_item(d, json_object_array_get_idx(out, i),
		        (long)i) == -1)
			return -1;
	return rs_end(d, j);
}

const struct prov_wire prov_wire_responses = {
	.url = rs_url,
	.auth = prov_auth_bearer, /* openai's, provider-openai.c */
	.body = rs_body,
	.event = rs_event,
	.reply = rs_reply,
};
