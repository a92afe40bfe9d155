/*
 * anthropic-messages: POST <baseUrl>/messages when baseUrl ends in /v1,
 * else <baseUrl>/v1/messages; "x-api-key" and "anthropic-version:
 * 2023-06-01".  Messages alternate user/assistant, so consecutive
 * messages of one side (tool results, then the user's text) merge into
 * one message of content blocks.  Streamed: message_start (input
 * usage), content_block_start/delta/stop (text_delta, input_json_delta),
 * message_delta (stop_reason, output usage), message_stop; "error"
 * events (overloaded_error...) may come at any point.
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

static char *
an_url(const char *base)
{
	char *b, *u;

	b = prov_url_join(base, "");
	u = prov_url_join(b,
	    prov_ends_with(b, "/v1") ? "/messages" : "/v1/messages");
	free(b);
	return u;
}

static void
an_auth(struct prov_hdrs *h, const struct prov_config *cfg)
{
	if (cfg->api_key != NULL && *cfg->api_key != '\0')
		prov_hdrs_add(h, "x-api-key", cfg->api_key);
	prov_hdrs_add(h, "anthropic-version", "2023-06-01");
}

static void
add_block(json_object *content, const char *type, const char *k1,
    json_object *v1)
{
	json_object *b = json_object_new_object();

	json_object_object_add(b, "type", jstr(type));
	json_object_object_add(b, k1, v1);
	json_object_array_add(content, b);
}

static void
an_blocks(json_object *content, const struct prov_message *m)
{
	json_object *b;
	size_t       i;

	if (m->role == PROV_MSG_TOOL_RESULT) {
		b = json_object_new_object();
		json_object_object_add(b, "type", jstr("tool_result"));
		json_object_object_add(b, "tool_use_id", jstr(m->tool_call_id));
		json_object_object_add(b, "content", jstr(m->text));
		if (m->is_error)
			json_object_object_add(b, "is_error",
			    json_object_new_boolean(1));
		json_object_array_add(content, b);
		return;
	}
	if (m->text != NULL && *m->text != '\0') /* empty blocks refused */
		add_block(content, "text", "text", jstr(m->text));
	for (i = 0; i < m->ncalls; i++) {
		b = json_object_new_object();
		json_object_object_add(b, "type", jstr("tool_use"));
		json_object_object_add(b, "id", jstr(m->calls[i].id));
		json_object_object_add(b, "name", jstr(m->calls[i].name));
		json_object_object_add(b, "input",
		    prov_call_args(m->calls[i].arguments));
		json_object_array_add(content, b);
	}
}

static json_object *
an_messages(const struct prov_request *r)
{
	json_object *a, *msg = NULL, *content = NULL;
	const char  *role, *last = NULL;
	size_t       i;

	a = json_object_new_array();
	for (i = 0; i < r->nmsgs; i++) {
		role = r->msgs[i].role == PROV_MSG_ASSISTANT ? "assistant" :
		                                               "user";
		if (last == NULL || strcmp(role, last) != 0) {
			msg = json_object_new_object();
			content = json_object_new_array();
			json_object_object_add(msg, "role", jstr(role));
			json_object_object_add(msg, "content", content);
			json_object_array_add(a, msg);
			last = role;
		}
		an_blocks(content, &r->msgs[i]);
	}
	return a;
}

static json_object *
an_tool(const struct prov_tool *t, json_object *schema)
{
	json_object *o = json_object_new_object();

	prov_tool_names(o, t);
	json_object_object_add(o, "input_schema", schema);
	return o;
}

static int
an_body(const struct prov_request *r, json_object **out, char *err,
    size_t errlen)
{
	json_object *b;
	long         max;

	max = r->cfg->max_tokens > 0 ? r->cfg->max_tokens :
	                               PROV_ANTHROPIC_MAX_TOKENS;
	b = json_object_new_object();
	json_object_object_add(b, "model", jstr(r->cfg->model));
	json_object_object_add(b, "max_tokens", json_object_new_int64(max));
	if (r->system != NULL)
		json_object_object_add(b, "system", jstr(r->system));
	json_object_object_add(b, "messages", an_messages(r));
	if (prov_tools_add(r, b, an_tool, err, errlen) == -1) {
		json_object_put(b);
		return -1;
	}
	json_object_object_add(b, "stream", json_object_new_boolean(r->stream));
	*out = b;
	return 0;
}

static enum prov_stop
an_stop(const char *s)
{
	if (strcmp(s, "end_turn") == 0 || strcmp(s, "stop_sequence") == 0)
		return PROV_STOP_END;
	if (strcmp(s, "max_tokens") == 0 ||
	    strcmp(s, "model_context_window_exceeded") == 0)
		return PROV_STOP_LENGTH;
	if (strcmp(s, "tool_use") == 0)
		return PROV_STOP_TOOL_USE;
	if (strcmp(s, "refusal") == 0)
		return PROV_STOP_REFUSAL;
	return PROV_STOP_OTHER;
}

static json_object *
member(json_object *o, const char *key)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void
an_usage(struct prov_decoder *d, json_object *u)
{
	if (u == NULL || !json_object_is_type(u, json_type_object))
		return;
	prov_dec_usage(d, prov_jint(u, "input_tokens"),
	    prov_jint(u, "output_tokens"),
	    prov_jint(u, "cache_read_input_tokens"),
	    prov_jint(u, "cache_creation_input_tokens"));
}

static int
an_error(struct prov_decoder *d, json_object *j)
{
	json_object *e = member(j, "error");

	return prov_dec_provider_error(d, prov_jstr(e, "type"),
	    prov_jstr(e, "message"));
}

static int
an_block_start(struct prov_decoder *d, json_object *j)
{
	json_object *b = member(j, "content_block");
	const char  *type = prov_jstr(b, "type"), *t;
	long long    idx = prov_jint(j, "index");

	if (type == NULL || idx < 0)
		return prov_dec_protocol(d,
		    "content_block_start without "
		    "a block");
	if (strcmp(type, "tool_use") == 0)
		return prov_dec_tool_start(d, idx, prov_jstr(b, "id"),
		    prov_jstr(b, "name"));
	if (strcmp(type, "text") == 0 && (t = prov_jstr(b, "text")) != NULL)
		return prov_dec_text(d, t, strlen(t));
	return 0; /* thinking and server tool blocks are not shown */
}

static int
an_block_delta(struct prov_decoder *d, json_object *j)
{
	json_object *delta = member(j, "delta");
	const char  *type = prov_jstr(delta, "type"), *s;

	if (type == NULL)
		return 0;
	if (strcmp(type, "text_delta") == 0 &&
	    (s = prov_jstr(delta, "text")) != NULL)
		return prov_dec_text(d, s, strlen(s));
	if (strcmp(type, "input_json_delta") == 0 &&
	    (s = prov_jstr(delta, "partial_json")) != NULL)
		return prov_dec_tool_args(d, prov_jint(j, "index"), s,
		    strlen(s));
	return 0;
}

static void
an_message_delta(struct prov_decoder *d, json_object *j)
{
	const char *s;

	if ((s = prov_jstr(member(j, "delta"), "stop_reason")) != NULL)
		prov_dec_stop(d, an_stop(s), s);
	an_usage(d, member(j, "usage"));
}

static int
an_event(struct prov_decoder *d, const char *name, json_object *j)
{
	const char *type;

	if ((type = prov_jstr(j, "type")) == NULL)
		type = name;
	if (strcmp(type, "error") == 0)
		return an_error(d, j);
	if (strcmp(type, "message_start") == 0)
		an_usage(d, member(member(j, "message"), "usage"));
	else if (strcmp(type, "content_block_start") == 0)
		return an_block_start(d, j);
	else if (strcmp(type, "content_block_delta") == 0)
		return an_block_delta(d, j);
	else if (strcmp(type, "content_block_stop") == 0)
		return prov_dec_tool_end(d, prov_jint(j, "index"));
	else if (strcmp(type, "message_delta") == 0)
		an_message_delta(d, j);
	else if (strcmp(type, "message_stop") == 0)
		prov_dec_complete(d);
	return 0;
}

static int
an_reply_block(struct prov_decoder *d, json_object *b, long idx)
{
	const char  *type = prov_jstr(b, "type"), *t;
	const char  *args;
	json_object *in;

	if (type == NULL)
		return 0;
	if (strcmp(type, "text") == 0 && (t = prov_jstr(b, "text")) != NULL)
		return prov_dec_text(d, t, strlen(t));
	if (strcmp(type, "tool_use") != 0)
		return 0;
	if (prov_dec_tool_start(d, idx, prov_jstr(b, "id"),
	        prov_jstr(b, "name")) == -1)
		return -1;
	if ((in = member(b, "input")) != NULL) {
		args = json_object_to_json_string_ext(in,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (prov_dec_tool_args(d, idx, args, strlen(args)) == -1)
			return -1;
	}
	return prov_dec_tool_end(d, idx);
}

static int
an_reply(struct prov_decoder *d, json_object *j)
{
	json_object *content;
	const char  *s;
	size_t       i;

	if ((s = prov_jstr(j, "type")) != NULL && strcmp(s, "error") == 0)
		return an_error(d, j);
	content = member(j, "content");
	if (content == NULL || !json_object_is_type(content, json_type_array))
		return prov_dec_protocol(d, "a reply without content");
	for (i = 0; i < json_object_array_length(content); i++)
		if (an_reply_block(d, json_object_array_get_idx(content, i),
		        (long)i) == -1)
			return -1;
	if ((s = prov_jstr(j, "stop_reason")) != NULL)
		prov_dec_stop(d, an_stop(s), s);
	an_usage(d, member(j, "usage"));
	prov_dec_complete(d);
	return 0;
}

const struct prov_wire prov_wire_anthropic = {
	.url = an_url,
	.auth = an_auth,
	.body = an_body,
	.event = an_event,
	.reply = an_reply,
};
