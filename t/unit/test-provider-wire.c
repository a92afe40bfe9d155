/*
 * The three wire formats without a network (workers/agent/provider-
 * openai.c, -anthropic.c, -responses.c, provider-decode.c,
 * provider-http.c): the request each builds (URL, headers, body), and
 * the neutral events decoded from recorded replies -- streamed ones fed
 * whole, a byte at a time and split at every offset give the same
 * events; every prefix of a stream ends in exactly one terminal event.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/unit/tap.h"
#include "workers/agent/provider.h"

#define KEY "sk-unit-0123456789abcdefghij"

/* ---- the events as one line of text ---- */

struct rec {
	char out[16384];
	int  len, terminal;
};

static void
on_event(const struct prov_event *ev, void *arg)
{
	struct rec *r = arg;
	int         n = sizeof(r->out) - r->len;
	char       *o = r->out + r->len;

	switch (ev->type) {
	case PROV_EV_TEXT:
		r->len += snprintf(o, n, "T(%s)", ev->text);
		break;
	case PROV_EV_TOOL_START:
		r->len += snprintf(o, n, "S%d(%s,%s)", ev->tool_index,
		    ev->tool_id, ev->tool_name);
		break;
	case PROV_EV_TOOL_ARGS:
		r->len += snprintf(o, n, "A%d(%s)", ev->tool_index, ev->text);
		break;
	case PROV_EV_TOOL_END:
		r->len += snprintf(o, n, "E%d(%s,%s,%s)", ev->tool_index,
		    ev->tool_id, ev->tool_name, ev->text);
		break;
	case PROV_EV_USAGE:
		r->len += snprintf(o, n, "U(%lld,%lld,%lld,%lld)",
		    ev->input_tokens, ev->output_tokens, ev->cache_read_tokens,
		    ev->cache_write_tokens);
		break;
	case PROV_EV_STOP:
		r->len += snprintf(o, n, "P(%s,%s)", prov_stop_name(ev->stop),
		    ev->stop_raw);
		break;
	case PROV_EV_ERROR:
		r->terminal++;
		r->len += snprintf(o, n, "X(%s,%s,%s)",
		    prov_err_kind_name(ev->error->kind),
		    prov_err_reason_name(ev->error->reason), ev->error->detail);
		break;
	case PROV_EV_DONE:
		r->terminal++;
		r->len += snprintf(o, n, "D");
		break;
	}
}

/* Feed s in pieces of step bytes, the first one of first bytes. */
static void
decode(enum prov_api api, int stream, const char *s, size_t len, size_t first,
    size_t step, struct rec *r)
{
	struct prov_decoder *d;
	size_t               off = 0, n;

	memset(r, 0, sizeof(*r));
	d = prov_decoder_new(api, stream, KEY, on_event, r);
	for (n = first; off < len; off += n, n = step) {
		if (n > len - off)
			n = len - off;
		if (prov_decoder_feed(d, s + off, n) == -1)
			break;
	}
	if (off >= len)
		prov_decoder_finish(d);
	prov_decoder_free(d);
}

static void
check_stream(const char *name, enum prov_api api, const char *s,
    const char *want)
{
	struct rec r;
	size_t     len = strlen(s), i;
	int        bad = 0, badp = 0;
	char       first[16384];

	decode(api, 1, s, len, len, len, &r);
	is_str(r.out, want, "%s: whole", name);
	strcpy(first, r.out);
	decode(api, 1, s, len, 1, 1, &r);
	is_str(r.out, first, "%s: a byte at a time", name);
	for (i = 1; i < len; i++) {
		decode(api, 1, s, len, i, len, &r);
		bad += strcmp(r.out, first) != 0;
	}
	is_int(bad, 0, "%s: split at each of %zu offsets", name, len - 1);
	for (i = 0; i < len; i++) {
		decode(api, 1, s, i, i > 0 ? i : 1, len, &r);
		badp += r.terminal != 1;
	}
	is_int(badp, 0, "%s: each prefix ends in exactly one terminal", name);
}

/* ---- recorded replies ---- */

#define OA_CHUNK(delta, finish)                                                \
	"data: {\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\"," \
	"\"created\":1733300000,\"model\":\"gpt-4o-2024-08-06\","              \
	"\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,"           \
	"\"delta\":" delta ",\"logprobs\":null,\"finish_reason\":" finish      \
	"}],\"usage\":null}\n\n"

static const char oa_stream[] =
    OA_CHUNK("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}",
        "null") OA_CHUNK("{\"content\":\"Hello\"}",
        "null") OA_CHUNK("{\"content\":\" w\\u00f6rld\"}",
        "null") OA_CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_abc\",\"type\":"
                         "\"function\",\"function\":{\"name\":\"read\",\"arguments\":\"\"}}]}",
        "null") OA_CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                         "\"{\\\"pa\"}}]}",
        "null") OA_CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                         "\"th\\\":\\\"a\\\"}\"}}]}",
        "null")
        OA_CHUNK("{\"tool_calls\":[{\"index\":1,\"id\":\"call_def\",\"type\":"
                 "\"function\",\"function\":{\"name\":\"ls\",\"arguments\":\"{}\"}}]}",
            "null") OA_CHUNK("{}",
            "\"tool_calls\"") "data: {\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\","
                              "\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,"
                              "\"total_tokens\":29,\"prompt_tokens_details\":{\"cached_tokens\":4}}}\n\n"
                              "data: [DONE]\n\n";

static const char oa_want[] =
    "T(Hello)T( w\xc3\xb6rld)S0(call_abc,read)A0({\"pa)A0(th\":\"a\"})"
    "S1(call_def,ls)A1({})E0(call_abc,read,{\"path\":\"a\"})E1(call_def,ls,{})"
    "U(20,9,4,-1)P(tool_use,tool_calls)D";

#define AN(ev, data) "event: " ev "\r\ndata: " data "\r\n\r\n"

static const char an_stream[] = AN("message_start",
    "{\"type\":\"message_start\",\"message\":{\"id\":"
    "\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
    "\"model\":\"claude-x\",\"stop_reason\":null,\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":25,\"output_tokens\":1,"
    "\"cache_read_input_tokens\":3,\"cache_creation_input_tokens\":0}}}") AN("content_block_start",
    "{\"type\":\"content_block_start\",\"index\":0,"
    "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}") AN("content_block_delta",
    "{\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}") AN("content_block_stop",
    "{\"type\":\"content_block_stop\",\"index\":0}") AN("content_block_start",
    "{\"type\":\"content_block_start\",\"index\":1,"
    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") AN("ping",
    "{\"type\": \"ping\"}") AN("content_block_delta",
    "{\"type\":\"content_block_delta\",\"index\":1,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}") AN("content_block_delta",
    "{\"type\":\"content_block_delta\",\"index\":1,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\" world\"}}") AN("content_block_stop",
    "{\"type\":\"content_block_stop\",\"index\":1}") AN("content_block_start",
    "{\"type\":\"content_block_start\",\"index\":2,"
    "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\","
    "\"name\":\"read\",\"input\":{}}}") AN("content_block_delta",
    "{\"type\":\"content_block_delta\",\"index\":2,"
    "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}")
    AN("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":2,"
        "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":"
        "\"{\\\"path\\\": \\\"a\"}}") AN("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":2,"
        "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"}\"}}")
        AN("content_block_stop",
            "{\"type\":\"content_block_stop\",\"index\":2}") AN("message_delta",
            "{\"type\":\"message_delta\",\"delta\":{"
            "\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{"
            "\"output_tokens\":15}}")
            AN("message_stop", "{\"type\":\"message_stop\"}");

static const char an_want[] =
    "T(Hello)T( world)S0(toolu_01,read)A0({\"path\": \"a)A0(\"})"
    "E0(toolu_01,read,{\"path\": \"a\"})U(25,15,3,0)P(tool_use,tool_use)D";

#define RS(ev, data) "event: " ev "\ndata: " data "\n\n"

static const char rs_stream[] = RS("response.created",
    "{\"type\":\"response.created\",\"sequence_number\""
    ":0,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":"
    "\"in_progress\",\"output\":[],\"usage\":null}}") RS("response.output_item.added",
    "{\"type\":\"response.output_item.added\""
    ",\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\","
    "\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}}")
    RS("response.content_part.added",
        "{\"type\":\"response.content_part."
        "added\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
        "\"part\":{\"type\":\"output_text\",\"text\":\"\"}}") RS("response.output_text.delta",
        "{\"type\":\"response.output_text.delta\""
        ",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
        "\"delta\":\"Hi\"}") RS("response.output_text.delta",
        "{\"type\":\"response.output_text.delta\""
        ",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
        "\"delta\":\" there\"}") RS("response.output_text.done",
        "{\"type\":\"response.output_text.done\","
        "\"item_id\":\"msg_1\",\"output_index\":0,\"text\":\"Hi there\"}")
        RS("response.output_item.done",
            "{\"type\":\"response.output_item.done\","
            "\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\"}}")
            RS("response.output_item.added",
                "{\"type\":\"response.output_item.added\""
                ",\"output_index\":1,\"item\":{\"id\":\"fc_1\",\"type\":"
                "\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\","
                "\"call_id\":\"call_1\",\"name\":\"read\"}}")
                RS("response.function_call_arguments.delta",
                    "{\"type\":\"response."
                    "function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\""
                    ":1,\"delta\":\"{\\\"path\\\":\"}")
                    RS("response.function_call_arguments.delta",
                        "{\"type\":\"response."
                        "function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\""
                        ":1,\"delta\":\"\\\"b\\\"}\"}")
                        RS("response.function_call_arguments.done",
                            "{\"type\":\"response."
                            "function_call_arguments.done\",\"item_id\":\"fc_1\",\"output_index\":1,"
                            "\"arguments\":\"{\\\"path\\\":\\\"b\\\"}\"}")
                            RS("response.output_item.done",
                                "{\"type\":\"response.output_item.done\","
                                "\"output_index\":1,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\""
                                ",\"arguments\":\"{\\\"path\\\":\\\"b\\\"}\",\"call_id\":\"call_1\","
                                "\"name\":\"read\"}}") RS("response.completed",
                                "{\"type\":\"response.completed\",\"response\":{"
                                "\"id\":\"resp_1\",\"status\":\"completed\",\"output\":[],\"usage\":{"
                                "\"input_tokens\":30,\"input_tokens_details\":{\"cached_tokens\":0},"
                                "\"output_tokens\":12,\"total_tokens\":42}}}");

static const char rs_want[] =
    "T(Hi)T( there)S0(call_1,read)A0({\"path\":)A0(\"b\"})"
    "E0(call_1,read,{\"path\":\"b\"})U(30,12,0,-1)P(tool_use,function_call)D";

static void
test_streams(void)
{
	check_stream("openai-completions", PROV_API_OPENAI_COMPLETIONS,
	    oa_stream, oa_want);
	check_stream("anthropic-messages", PROV_API_ANTHROPIC_MESSAGES,
	    an_stream, an_want);
	check_stream("openai-responses", PROV_API_OPENAI_RESPONSES, rs_stream,
	    rs_want);
}

static const char oa_body[] =
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
    "\"assistant\",\"content\":\"Sure.\",\"refusal\":null,\"tool_calls\":[{"
    "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"read\","
    "\"arguments\":\"{\\\"path\\\":\\\"x\\\"}\"}}]},\"logprobs\":null,"
    "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":10,"
    "\"completion_tokens\":5,\"total_tokens\":15}}";

static const char an_body[] =
    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
    "\"claude-x\",\"content\":[{\"type\":\"text\",\"text\":\"Sure.\"},{"
    "\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"read\",\"input\":{"
    "\"path\":\"x\"}}],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}";

static const char rs_body[] =
    "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\","
    "\"error\":null,\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_1\","
    "\"summary\":[]},{\"type\":\"message\",\"id\":\"msg_1\",\"role\":"
    "\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Sure.\","
    "\"annotations\":[]}]},{\"type\":\"function_call\",\"id\":\"fc_1\","
    "\"call_id\":\"call_1\",\"name\":\"read\",\"arguments\":"
    "\"{\\\"path\\\":\\\"x\\\"}\"}],\"usage\":{\"input_tokens\":10,"
    "\"output_tokens\":5,\"total_tokens\":15}}";

static void
check_body(const char *name, enum prov_api api, const char *body,
    const char *want)
{
	struct rec r;
	size_t     len = strlen(body);

	decode(api, 0, body, len, len, len, &r);
	is_str(r.out, want, "%s: a whole reply", name);
	decode(api, 0, body, len, 1, 1, &r);
	is_str(r.out, want, "%s: the same a byte at a time", name);
	decode(api, 0, body, len - 1, len, len, &r);
	ok(r.terminal == 1 && strstr(r.out, "X(unknown,protocol,") != NULL,
	    "%s: a truncated reply is an error: %s", name, r.out);
}

static void
test_bodies(void)
{
	check_body("openai-completions", PROV_API_OPENAI_COMPLETIONS, oa_body,
	    "T(Sure.)S0(call_1,read)A0({\"path\":\"x\"})"
	    "E0(call_1,read,{\"path\":\"x\"})U(10,5,-1,-1)"
	    "P(tool_use,tool_calls)D");
	check_body("anthropic-messages", PROV_API_ANTHROPIC_MESSAGES, an_body,
	    "T(Sure.)S0(toolu_1,read)A0({\"path\":\"x\"})"
	    "E0(toolu_1,read,{\"path\":\"x\"})U(10,5,-1,-1)"
	    "P(tool_use,tool_use)D");
	check_body("openai-responses", PROV_API_OPENAI_RESPONSES, rs_body,
	    "T(Sure.)S0(call_1,read)A0({\"path\":\"x\"})"
	    "E0(call_1,read,{\"path\":\"x\"})U(10,5,-1,-1)"
	    "P(tool_use,function_call)D");
}

static void
check_one(const char *name, enum prov_api api, int stream, const char *s,
    const char *want)
{
	struct rec r;

	decode(api, stream, s, strlen(s), strlen(s), 1, &r);
	is_str(r.out, want, "%s", name);
}

static void
test_odd_replies(void)
{
	char *big;
	int   i, n;

	check_one("openai: an error in the stream", PROV_API_OPENAI_COMPLETIONS,
	    1,
	    OA_CHUNK("{\"content\":\"Hi\"}",
	        "null") "data: {\"error\":{\"message\":\"The server had an error\","
	                "\"type\":\"server_error\",\"code\":null}}\n\n" OA_CHUNK("{\"content\":\"after\"}",
	                    "null"),
	    "T(Hi)X(unknown,server_error,server_error: The server had an "
	    "error)");
	check_one("openai: a refusal", PROV_API_OPENAI_COMPLETIONS, 1,
	    OA_CHUNK("{\"refusal\":\"I can't help with that.\"}", "null")
	        OA_CHUNK("{}", "\"stop\"") "data: [DONE]\n\n",
	    "T(I can't help with that.)P(refusal,refusal)D");
	check_one("openai: finish_reason length, no [DONE]",
	    PROV_API_OPENAI_COMPLETIONS, 1,
	    OA_CHUNK("{\"content\":\"Hi\"}", "\"length\""),
	    "T(Hi)P(length,length)D");
	check_one("openai: the stream ends before its end",
	    PROV_API_OPENAI_COMPLETIONS, 1,
	    OA_CHUNK("{\"content\":\"Hi\"}", "null"),
	    "T(Hi)X(unknown,connection,the reply ended before its end)");
	check_one("openai: data that is not JSON", PROV_API_OPENAI_COMPLETIONS,
	    1, "data: {\"choices\":[\n\n",
	    "X(unknown,protocol,a reply that is not JSON)");
	check_one("openai: a tool call that never gets a name",
	    PROV_API_OPENAI_COMPLETIONS, 1,
	    OA_CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{"
	             "\"arguments\":\"{}\"}}]}",
	        "\"tool_calls\""),
	    "X(unknown,protocol,a tool call without a name)");
	check_one("anthropic: overloaded mid-stream",
	    PROV_API_ANTHROPIC_MESSAGES, 1,
	    AN("content_block_delta",
	        "{\"type\":\"content_block_delta\","
	        "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}")
	        AN("error",
	            "{\"type\":\"error\",\"error\":{\"type\":"
	            "\"overloaded_error\",\"message\":\"Overloaded\"}}"),
	    "T(Hi)X(rate_limit,overloaded,overloaded_error: Overloaded)");
	check_one("anthropic: refusal and max_tokens stop reasons",
	    PROV_API_ANTHROPIC_MESSAGES, 0,
	    "{\"type\":\"message\",\"content\":[],\"stop_reason\":\"refusal\"}",
	    "P(refusal,refusal)D");
	check_one("anthropic: an error reply body", PROV_API_ANTHROPIC_MESSAGES,
	    0,
	    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
	    "\"message\":\"slow down\"}}",
	    "X(rate_limit,rate_limit,rate_limit_error: slow down)");
	check_one("responses: incomplete, max_output_tokens",
	    PROV_API_OPENAI_RESPONSES, 1,
	    RS("response.output_text.delta",
	        "{\"type\":\"response.output_text."
	        "delta\",\"output_index\":0,\"delta\":\"Hi\"}")
	        RS("response.incomplete",
	            "{\"type\":\"response.incomplete\","
	            "\"response\":{\"status\":\"incomplete\",\"incomplete_details\":{"
	            "\"reason\":\"max_output_tokens\"},\"usage\":{\"input_tokens\":1,"
	            "\"output_tokens\":2}}}"),
	    "T(Hi)U(1,2,-1,-1)P(length,max_output_tokens)D");
	check_one("responses: response.failed", PROV_API_OPENAI_RESPONSES, 1,
	    RS("response.failed",
	        "{\"type\":\"response.failed\",\"response\":{"
	        "\"status\":\"failed\",\"error\":{\"code\":\"server_error\","
	        "\"message\":\"boom\"}}}"),
	    "X(unknown,server_error,server_error: boom)");
	check_one("responses: an error event", PROV_API_OPENAI_RESPONSES, 1,
	    RS("error",
	        "{\"type\":\"error\",\"code\":\"rate_limit_exceeded\","
	        "\"message\":\"slow\",\"param\":null}"),
	    "X(rate_limit,rate_limit,rate_limit_exceeded: slow)");
	/* More tool calls than PROV_TOOLS_MAX: an error, not growth. */
	big = malloc(128 * (PROV_TOOLS_MAX + 2));
	for (i = 0, n = 0; i <= PROV_TOOLS_MAX; i++)
		n += sprintf(big + n,
		    "data: {\"choices\":[{\"index\":0,\"delta\""
		    ":{\"tool_calls\":[{\"index\":%d,\"id\":\"c\",\"function\":"
		    "{\"name\":\"f\"}}]}}]}\n\n",
		    i);
	{
		struct rec r;

		decode(PROV_API_OPENAI_COMPLETIONS, 1, big, n, n, n, &r);
		ok(r.terminal == 1 &&
		        strstr(r.out,
		            "X(unknown,protocol,more "
		            "than 128 tool calls") != NULL,
		    "tool calls are bounded");
	}
	free(big);
}

/* ---- requests ---- */

static const struct prov_tool_call calls[] = {
	{ "call_1", "read", "{\"path\":\"a\"}" },
	{ "call_2", "ls", "not json" },
};
static const struct prov_message history[] = {
	{ PROV_MSG_USER, "read a", NULL, 0, NULL, 0 },
	{ PROV_MSG_ASSISTANT, "Reading.", calls, 2, NULL, 0 },
	{ PROV_MSG_TOOL_RESULT, "AAA", NULL, 0, "call_1", 0 },
	{ PROV_MSG_TOOL_RESULT, "denied", NULL, 0, "call_2", 1 },
	{ PROV_MSG_USER, "thanks", NULL, 0, NULL, 0 },
};
static const struct prov_tool tools[] = {
	{ "read", "Read a file",
	    "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}" },
};
static const struct prov_header extra[] = { { "X-Extra", "1" } };

static void
request(struct prov_config *cfg, struct prov_request *r, enum prov_api api,
    const char *base, int stream)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(r, 0, sizeof(*r));
	cfg->api = api;
	cfg->base_url = base;
	cfg->api_key = KEY;
	cfg->headers = extra;
	cfg->nheaders = 1;
	cfg->model = "m-1";
	cfg->max_tokens = 100;
	r->cfg = cfg;
	r->system = "Be brief.";
	r->msgs = history;
	r->nmsgs = 5;
	r->tools = tools;
	r->ntools = 1;
	r->stream = stream;
}

static void
check_build(const char *name, enum prov_api api, const char *base, int stream,
    const char *url, const char *auth, const char *body)
{
	struct prov_config  cfg;
	struct prov_request r;
	struct prov_http    h;
	char                err[256], hdrs[1024];
	size_t              i, n = 0;

	request(&cfg, &r, api, base, stream);
	is_int(prov_http_build(&r, &h, err, sizeof(err)), 0, "%s: built", name);
	is_str(h.url, url, "%s: URL", name);
	for (i = 0; i < h.nheaders; i++)
		n += snprintf(hdrs + n, sizeof(hdrs) - n, "%s|", h.headers[i]);
	is_str(hdrs, auth, "%s: headers", name);
	is_str(h.body, body, "%s: body", name);
	ok(strstr(h.body, KEY) == NULL, "%s: no key in the body", name);
	prov_http_free(&h);
}

static void
test_build(void)
{
	check_build("openai-completions", PROV_API_OPENAI_COMPLETIONS,
	    "http://h:1/v1/", 1, "http://h:1/v1/chat/completions",
	    "Content-Type: application/json|Accept: text/event-stream|"
	    "Authorization: Bearer " KEY "|X-Extra: 1|",
	    "{\"model\":\"m-1\",\"messages\":[{\"role\":\"system\",\"conten"
	    "t\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"read a\"},"
	    "{\"role\":\"assistant\",\"content\":\"Reading.\",\"tool_calls"
	    "\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"n"
	    "ame\":\"read\",\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}},{"
	    "\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\""
	    ":\"ls\",\"arguments\":\"not json\"}}]},{\"role\":\"tool\",\"to"
	    "ol_call_id\":\"call_1\",\"content\":\"AAA\"},{\"role\":\"tool"
	    "\",\"tool_call_id\":\"call_2\",\"content\":\"denied\"},{\"role"
	    "\":\"user\",\"content\":\"thanks\"}],\"tools\":[{\"type\":\"fu"
	    "nction\",\"function\":{\"name\":\"read\",\"description\":\"Rea"
	    "d a file\",\"parameters\":{\"type\":\"object\",\"properties\":"
	    "{\"path\":{\"type\":\"string\"}}}}}],\"max_tokens\":100,\"stre"
	    "am\":true,\"stream_options\":{\"include_usage\":true}}");
	check_build("anthropic-messages", PROV_API_ANTHROPIC_MESSAGES,
	    "https://api.anthropic.com", 0,
	    "https://api.anthropic.com/v1/messages",
	    "Content-Type: application/json|Accept: application/json|"
	    "x-api-key: " KEY "|anthropic-version: 2023-06-01|X-Extra: 1|",
	    "{\"model\":\"m-1\",\"max_tokens\":100,\"system\":\"Be brief.\""
	    ",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tex"
	    "t\",\"text\":\"read a\"}]},{\"role\":\"assistant\",\"content\""
	    ":[{\"type\":\"text\",\"text\":\"Reading.\"},{\"type\":\"tool_u"
	    "se\",\"id\":\"call_1\",\"name\":\"read\",\"input\":{\"path\":"
	    "\"a\"}},{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"ls"
	    "\",\"input\":{}}]},{\"role\":\"user\",\"content\":[{\"type\":"
	    "\"tool_result\",\"tool_use_id\":\"call_1\",\"content\":\"AAA\""
	    "},{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\",\"conte"
	    "nt\":\"denied\",\"is_error\":true},{\"type\":\"text\",\"text\""
	    ":\"thanks\"}]}],\"tools\":[{\"name\":\"read\",\"description\":"
	    "\"Read a file\",\"input_schema\":{\"type\":\"object\",\"proper"
	    "ties\":{\"path\":{\"type\":\"string\"}}}}],\"stream\":false}");
	check_build("openai-responses", PROV_API_OPENAI_RESPONSES,
	    "http://h:1/v1", 1, "http://h:1/v1/responses",
	    "Content-Type: application/json|Accept: text/event-stream|"
	    "Authorization: Bearer " KEY "|X-Extra: 1|",
	    "{\"model\":\"m-1\",\"instructions\":\"Be brief.\",\"input\":[{"
	    "\"role\":\"user\",\"content\":\"read a\"},{\"role\":\"assistan"
	    "t\",\"content\":\"Reading.\"},{\"type\":\"function_call\",\"ca"
	    "ll_id\":\"call_1\",\"name\":\"read\",\"arguments\":\"{\\\"path"
	    "\\\":\\\"a\\\"}\"},{\"type\":\"function_call\",\"call_id\":\"c"
	    "all_2\",\"name\":\"ls\",\"arguments\":\"not json\"},{\"type\":"
	    "\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"A"
	    "AA\"},{\"type\":\"function_call_output\",\"call_id\":\"call_2"
	    "\",\"output\":\"denied\"},{\"role\":\"user\",\"content\":\"tha"
	    "nks\"}],\"tools\":[{\"type\":\"function\",\"name\":\"read\",\""
	    "description\":\"Read a file\",\"parameters\":{\"type\":\"objec"
	    "t\",\"properties\":{\"path\":{\"type\":\"string\"}}},\"strict"
	    "\":false}],\"max_output_tokens\":100,\"stream\":true,\"store\""
	    ":false}");
}

static int
build_err(struct prov_request *r, char *err, size_t errlen)
{
	struct prov_http h;
	int              rc;

	rc = prov_http_build(r, &h, err, errlen);
	if (rc == 0)
		prov_http_free(&h);
	return rc;
}

static void
test_build_rules(void)
{
	struct prov_config  cfg;
	struct prov_request r;
	struct prov_http    h;
	struct prov_tool    bad = { "t", NULL, "[1,2]" };
	struct prov_header  split = { "X-A", "1\r\nX-Injected: 2" };
	struct prov_header  badname = { "X A", "1" };
	char                err[256];
	size_t              i;
	int                 auth = 0;

	request(&cfg, &r, PROV_API_ANTHROPIC_MESSAGES, "http://p/x/v1/", 1);
	prov_http_build(&r, &h, err, sizeof(err));
	is_str(h.url, "http://p/x/v1/messages",
	    "anthropic: baseUrl ending "
	    "in /v1 gets /messages");
	prov_http_free(&h);
	request(&cfg, &r, PROV_API_OPENAI_COMPLETIONS,
	    "https://api.openai.com/v1", 0);
	cfg.api_key = NULL;
	prov_http_build(&r, &h, err, sizeof(err));
	ok(strstr(h.body, "\"max_completion_tokens\":100") != NULL &&
	        strstr(h.body, "\"max_tokens\"") == NULL &&
	        strstr(h.body, "stream_options") == NULL,
	    "api.openai.com: max_completion_tokens; not streamed: no "
	    "stream_options");
	for (i = 0; i < h.nheaders; i++)
		auth += strncmp(h.headers[i], "Authorization", 13) == 0;
	is_int(auth, 0, "no key: no Authorization header");
	prov_http_free(&h);
	cfg.max_tokens = 0;
	prov_http_build(&r, &h, err, sizeof(err));
	ok(strstr(h.body, "max_") == NULL, "maxTokens unknown: none sent");
	prov_http_free(&h);
	r.tools = &bad;
	is_int(build_err(&r, err, sizeof(err)), -1,
	    "tool parameters not an "
	    "object: refused");
	ok(strstr(err, "tool t") != NULL, "names the tool: %s", err);
	request(&cfg, &r, PROV_API_OPENAI_COMPLETIONS, "http://h/v1", 1);
	cfg.headers = &split;
	is_int(build_err(&r, err, sizeof(err)), -1, "a header value with CRLF");
	cfg.headers = &badname;
	is_int(build_err(&r, err, sizeof(err)), -1,
	    "a header name with a space");
	request(&cfg, &r, PROV_API_OPENAI_COMPLETIONS, "http://h/v1", 1);
	cfg.api_key = "sk-abc\nX: y";
	is_int(build_err(&r, err, sizeof(err)), -1, "a key with a newline");
	ok(strstr(err, "sk-abc") == NULL, "the error does not show it: %s",
	    err);
	cfg.api_key = KEY;
	cfg.model = "";
	is_int(build_err(&r, err, sizeof(err)), -1, "no model id");
	cfg.model = "m";
	cfg.base_url = NULL;
	is_int(build_err(&r, err, sizeof(err)), -1, "no baseUrl");
}

int
main(void)
{
	test_streams();
	test_bodies();
	test_odd_replies();
	test_build();
	test_build_rules();
	return tap_done();
}
