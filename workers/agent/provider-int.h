/*
 * Inside the provider client: what the wire formats (provider-openai.c,
 * provider-anthropic.c, provider-responses.c) share with the decoder
 * (provider-decode.c) and the request builder (provider-http.c).
 */
#ifndef WORKERS_AGENT_PROVIDER_INT_H
#define WORKERS_AGENT_PROVIDER_INT_H

#include <stddef.h>

#include <json-c/json.h>

#include "workers/agent/provider.h"

struct prov_hdrs {
	char **v;
	size_t n;
};
void prov_hdrs_add(struct prov_hdrs *, const char *name, const char *value);

/* One wire format. */
struct prov_wire {
	/* The endpoint under baseUrl (heap). */
	char *(*url)(const char *base_url);
	/* Its auth and version headers. */
	void (*auth)(struct prov_hdrs *, const struct prov_config *);
	/* The body; -1 with err set. */
	int (*body)(const struct prov_request *, json_object **, char *err,
	    size_t errlen);
	/* One SSE event (name, data parsed as JSON). */
	int (*event)(struct prov_decoder *, const char *name, json_object *);
	/* A whole JSON reply. */
	int (*reply)(struct prov_decoder *, json_object *);
};
/* "Authorization: Bearer <key>" (openai-completions and -responses). */
void prov_auth_bearer(struct prov_hdrs *, const struct prov_config *);
extern const struct prov_wire prov_wire_openai;
extern const struct prov_wire prov_wire_anthropic;
extern const struct prov_wire prov_wire_responses;
const struct prov_wire       *prov_wire(enum prov_api);

/* Request building helpers (provider-http.c). */
json_object *prov_json_parse(const char *text, size_t len);
/* A tool's parameters as a JSON object; NULL: not one (err set). */
json_object *
prov_tool_schema(const struct prov_tool *, char *err, size_t errlen);
/*
 * body.tools: one object per tool of r, made by one() from the tool and
 * its parameters schema (which it takes); -1 (err set) when a tool's
 * parameters are not a JSON object.  prov_tool_names: its name and
 * description into o.
 */
int  prov_tools_add(const struct prov_request *, json_object            *body,
     json_object *(*one)(const struct prov_tool *, json_object *), char *err,
     size_t errlen);
void prov_tool_names(json_object *o, const struct prov_tool *);
/* A call's arguments as an object; {} when the model's text is not one. */
json_object *prov_call_args(const char *arguments);
const char  *prov_jstr(json_object *, const char *key); /* NULL if none */
long long    prov_jint(json_object *, const char *key); /* -1 if none */
int          prov_ends_with(const char *s, const char *suffix);
char        *prov_url_join(const char *base, const char *path); /* heap */

/*
 * Decoder steps for the wire formats.  Tool calls are keyed by the
 * provider's own index (openai's index, anthropic's content block,
 * responses' output_index) and numbered 0, 1, ... in reply order.
 * Each returns 0, or -1 once the decoder ended (an ERROR went out).
 */
int prov_dec_text(struct prov_decoder *, const char *, size_t);
int prov_dec_tool_start(struct prov_decoder *, long key, const char *id,
    const char *name);
int prov_dec_tool_args(struct prov_decoder *, long key, const char *, size_t);
int prov_dec_tool_end(struct prov_decoder *, long key);
int prov_dec_tool_end_all(struct prov_decoder *);
int prov_dec_tool_count(const struct prov_decoder *);
/* -1 values leave the count as it was. */
void prov_dec_usage(struct prov_decoder *, long long in, long long out,
    long long cache_read, long long cache_write);
/* A refusal, once set, stays. */
void prov_dec_stop(struct prov_decoder *, enum prov_stop, const char *raw);
void prov_dec_complete(struct prov_decoder *);
/* An error event or error reply of the provider. */
int prov_dec_provider_error(struct prov_decoder *, const char *type,
    const char *message);
/* A reply we cannot read. */
int prov_dec_protocol(struct prov_decoder *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Content-Type said JSON though SSE was asked for (or the reverse). */
void        prov_decoder_set_stream(struct prov_decoder *, int stream);
const char *prov_decoder_key(const struct prov_decoder *);

#endif
