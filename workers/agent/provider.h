/*
 * The model-provider client of the agent worker: one neutral request and
 * one neutral stream of events, whatever the provider's wire format
 * (openai-completions, anthropic-messages, openai-responses), streamed
 * (SSE) or not.
 *
 * A call runs on the worker's libevent loop through the http client
 * (http-client.h: libcurl's multi interface, one per base, so
 * connections to a provider host are reused).  It never blocks.
 *
 * Events arrive in this order: TEXT and TOOL_* as the model produces
 * them; then USAGE (when the provider reported it), STOP, and DONE.  Or,
 * at any point, ERROR instead.  DONE and ERROR are terminal: exactly one
 * of them ends every call that is not aborted, and the call is freed
 * right after its callback returns (do not use the pointer again).
 * prov_call_abort() (chat.abort), also from inside the callback, frees
 * everything at once; no event follows it.
 *
 * Secrets: the API key goes into a request header only.  It is never in
 * a body, an event, an errorDetail or a log line; provider text that
 * reaches an error is cleaned of control characters, of the key and of
 * anything shaped like one, and bounded (PROV_DETAIL_MAX).
 */
#ifndef WORKERS_AGENT_PROVIDER_H
#define WORKERS_AGENT_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

enum prov_api {
	PROV_API_OPENAI_COMPLETIONS,
	PROV_API_ANTHROPIC_MESSAGES,
	PROV_API_OPENAI_RESPONSES,
	PROV_API_COUNT
};

/* "openai-completions"...; -1 for an api this client does not speak. */
int         prov_api_parse(const char *);
const char *prov_api_name(enum prov_api);

struct prov_header {
	const char *name;
	const char *value;
};

/* What models.providers.<id> (or a built-in id) resolves to. */
struct prov_config {
	enum prov_api             api;
	const char               *base_url; /* "https://api.openai.com/v1" */
	const char               *api_key;  /* NULL: none (local servers) */
	const struct prov_header *headers;  /* extra headers, in order */
	size_t                    nheaders;
	const char               *model; /* the model id at the provider */
	long max_tokens; /* 0: unknown (anthropic: PROV_ANTHROPIC_MAX_TOKENS) */
};
#define PROV_ANTHROPIC_MAX_TOKENS 4096

enum prov_role {
	PROV_MSG_USER,
	PROV_MSG_ASSISTANT,
	PROV_MSG_TOOL_RESULT
};

struct prov_tool_call {
	const char *id;
	const char *name;
	const char *arguments; /* JSON text, as the model produced it */
};

struct prov_message {
	enum prov_role role;
	const char    *text; /* user, assistant (or NULL), result */
	const struct prov_tool_call *calls; /* assistant */
	size_t                       ncalls;
	const char                  *tool_call_id; /* tool result */
	int                          is_error;     /* tool result */
};

struct prov_tool {
	const char *name;
	const char *description;
	const char *parameters; /* JSON Schema text; NULL: an empty object */
};

/* Milliseconds; 0 takes the default. */
struct prov_timeouts {
	long connect_ms;    /* TCP + TLS */
	long first_byte_ms; /* from the start to the first response byte */
	long idle_ms;       /* between two chunks of the response */
	long total_ms;      /* the whole transfer */
};
#define PROV_CONNECT_MS_DEFAULT    10000
#define PROV_FIRST_BYTE_MS_DEFAULT 120000
#define PROV_IDLE_MS_DEFAULT       60000
#define PROV_TOTAL_MS_DEFAULT      600000

struct prov_request {
	const struct prov_config  *cfg;
	const char                *system; /* NULL: none */
	const struct prov_message *msgs;
	size_t                     nmsgs;
	const struct prov_tool    *tools;
	size_t                     ntools;
	int                        stream;
	struct prov_timeouts       timeouts;
};

/* Limits on what a provider can make us hold. */
#define PROV_BODY_MAX      (16 * 1024 * 1024) /* a non-streamed reply */
#define PROV_ERRBODY_MAX   (64 * 1024)        /* an error reply, kept */
#define PROV_SSE_LINE_MAX  (4 * 1024 * 1024)
#define PROV_SSE_EVENT_MAX (4 * 1024 * 1024)
#define PROV_TOOL_ARGS_MAX (4 * 1024 * 1024) /* one call's arguments */
#define PROV_TOOLS_MAX     128               /* calls in one reply */
#define PROV_DETAIL_MAX    240               /* errorDetail, bytes */

enum prov_stop {
	PROV_STOP_NONE, /* not reported */
	PROV_STOP_END,  /* "stop": the model finished */
	PROV_STOP_LENGTH,
	PROV_STOP_TOOL_USE,
	PROV_STOP_REFUSAL,
	PROV_STOP_OTHER /* a reason we do not map; stop_raw has it */
};
const char *prov_stop_name(enum prov_stop); /* "stop", "length", ... */

/* The chat error kinds of protocol.md. */
enum prov_err_kind {
	PROV_ERR_RATE_LIMIT,
	PROV_ERR_CONTEXT_LENGTH,
	PROV_ERR_TIMEOUT,
	PROV_ERR_REFUSAL,
	PROV_ERR_UNKNOWN
};
const char *prov_err_kind_name(enum prov_err_kind); /* "rate_limit", ... */

/* Why it failed, finer than the kind: what retries and failover read,
 * and what the failover report names. */
enum prov_err_reason {
	PROV_REASON_RATE_LIMIT, /* 429, rate_limit_error */
	PROV_REASON_OVERLOADED, /* 529, overloaded_error */
	PROV_REASON_SERVER,     /* 5xx, api_error */
	PROV_REASON_CONNECTION, /* refused, reset, DNS, stream cut */
	PROV_REASON_TIMEOUT,    /* connect, first byte, idle, total */
	PROV_REASON_AUTH,       /* 401, 403 */
	PROV_REASON_BILLING,    /* 402, insufficient_quota */
	PROV_REASON_CONTEXT,    /* the prompt does not fit */
	PROV_REASON_REFUSAL,    /* content policy */
	PROV_REASON_FORMAT,     /* 400, 404, 422: the request is wrong */
	PROV_REASON_TLS,        /* certificate not verified */
	PROV_REASON_PROTOCOL,   /* a reply we cannot read */
	PROV_REASON_UNKNOWN
};
const char *prov_err_reason_name(enum prov_err_reason); /* "rate_limit" */

enum prov_timeout_kind {
	PROV_TIMEOUT_NONE,
	PROV_TIMEOUT_CONNECT,
	PROV_TIMEOUT_FIRST_BYTE,
	PROV_TIMEOUT_IDLE,
	PROV_TIMEOUT_TOTAL
};

struct prov_error {
	enum prov_err_kind     kind;
	enum prov_err_reason   reason;
	enum prov_timeout_kind timeout;
	int                    http_status;    /* 0: no HTTP reply */
	long                   retry_after_ms; /* -1: no Retry-After */
	int                    output_seen; /* text or a tool call came first */
	char                   detail[PROV_DETAIL_MAX + 1]; /* errorDetail */
};

enum prov_event_type {
	PROV_EV_TEXT,       /* text, len: a delta of the reply */
	PROV_EV_TOOL_START, /* tool_index, tool_id, tool_name */
	PROV_EV_TOOL_ARGS,  /* tool_index, text, len: an arguments delta */
	PROV_EV_TOOL_END,   /* tool_index, tool_id, tool_name; text: all args */
	PROV_EV_USAGE,      /* input_tokens, output_tokens, cache_* */
	PROV_EV_STOP,       /* stop, stop_raw */
	PROV_EV_ERROR,      /* error (terminal) */
	PROV_EV_DONE        /* terminal */
};
const char *prov_event_name(enum prov_event_type); /* "text", ... */

struct prov_event {
	enum prov_event_type     type;
	const char              *text; /* NUL-terminated as well */
	size_t                   len;
	int                      tool_index; /* 0, 1, ... in reply order */
	const char              *tool_id;
	const char              *tool_name;
	long long                input_tokens, output_tokens;
	long long                cache_read_tokens, cache_write_tokens;
	enum prov_stop           stop;
	const char              *stop_raw; /* the provider's own word */
	const struct prov_error *error;
};

/* Everything pointed to is valid during the call only. */
typedef void (*prov_event_cb)(const struct prov_event *, void *arg);

/*
 * The request on the wire: URL, headers ("Name: value", the key in one
 * of them) and the JSON body.  prov_http_build: 0, or -1 with a reason
 * in err (a tool's parameters that are not JSON, a missing baseUrl).
 * prov_http_free wipes the headers.
 */
struct prov_http {
	char  *url;
	char **headers;
	size_t nheaders;
	char  *body;
	size_t body_len;
};
int  prov_http_build(const struct prov_request *, struct prov_http *, char *err,
     size_t errlen);
void prov_http_free(struct prov_http *);

/*
 * The reply decoder alone, without the network (the unit tests feed it
 * recorded bodies): stream 1 for SSE, 0 for one JSON body.  feed and
 * finish return 0, or -1 once a terminal event went out.  finish emits
 * USAGE, STOP and DONE, or ERROR for a reply cut before its end.  key:
 * the API key, kept out of error details (may be NULL).
 */
struct prov_decoder;
struct prov_decoder *prov_decoder_new(enum prov_api, int stream,
    const char *key, prov_event_cb, void *arg);
void                 prov_decoder_free(struct prov_decoder *);
int prov_decoder_feed(struct prov_decoder *, const char *, size_t);
int prov_decoder_finish(struct prov_decoder *);
/* The reply got to its end marker ([DONE], message_stop, ...). */
int prov_decoder_complete(const struct prov_decoder *);
/* Output events (text, tool calls) went out already. */
int prov_decoder_output_seen(const struct prov_decoder *);
/* End with this error (ERROR emitted, output_seen filled in); -1. */
int    prov_decoder_fail(struct prov_decoder *, struct prov_error *);
size_t prov_decoder_held(const struct prov_decoder *);

/*
 * Map a provider's error reply: HTTP status, its body (JSON or not) and
 * Retry-After (ms, or -1).  The detail is "HTTP 429: <message>" cleaned
 * and bounded.  prov_error_from_event does the same for an error that
 * arrives inside a 200 stream (type/code and message).
 */
void prov_error_from_http(struct prov_error *, int status, const char *body,
    size_t len, long retry_after_ms, const char *key);
void prov_error_from_event(struct prov_error *, const char *type,
    const char *message, const char *key);
/* detail := printf, cleaned (control characters, the key, key-shaped
 * tokens) and cut to PROV_DETAIL_MAX. */
void prov_error_set_detail(struct prov_error *, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void
prov_error_init(struct prov_error *, enum prov_err_kind, enum prov_err_reason);

/*
 * Retry policy, a pure function for the run layer.  After a failed
 * attempt (1 for the first), prov_retry_delay returns the milliseconds
 * to wait before the next attempt on the same model, or -1: move on to
 * the fallback model (or fail).  Retried: 429, 408, 5xx, 529, connection
 * errors and timeouts, all only when no output came before the error
 * (a half-streamed reply is not replayed).  The delay is exponential
 * (base_ms * 2^(attempt-1), capped at max_ms) with jitter from rnd (the
 * upper half of the interval is random); a Retry-After wins when given,
 * and one longer than max_ms means "not now": -1.
 */
struct prov_retry_policy {
	int  max_attempts; /* attempts on one model, the first included */
	long base_ms;
	long max_ms;
};
#define PROV_RETRY_POLICY_DEFAULT \
	{                         \
		3, 1000, 30000    \
	}
int  prov_error_retryable(const struct prov_error *);
long prov_retry_delay(const struct prov_retry_policy *,
    const struct prov_error *, int attempt, uint32_t rnd);
/* Retry-After: delay-seconds or an HTTP-date (against now, epoch
 * seconds); milliseconds, or -1 when it is neither. */
long prov_retry_after_parse(const char *value, long long now);

/*
 * Calls over the network.  A call copies what it needs from the request
 * (the caller may free it on return).  NULL, with a reason in err, when
 * the request cannot be built.
 */
struct hc_client;
struct prov_call;
struct prov_call *
prov_call_start(struct hc_client *, const struct prov_request *, prov_event_cb,
    void *arg, char *err, size_t errlen);
void prov_call_abort(struct prov_call *);
/* Memory the call holds now, its transfer's buffers excluded. */
size_t prov_call_held(const struct prov_call *);

#endif
