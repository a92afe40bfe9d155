/*
 * Outbound HTTP for the agent worker: libcurl's multi-socket interface
 * driven by a libevent base (no thread of ours, no blocking call).  One
 * client per base, so its connection cache is shared by every transfer:
 * connections to a provider host are reused, HTTP/2 where the server
 * offers it (multiplexed), proxies from the environment (libcurl's
 * http_proxy/https_proxy/no_proxy), TLS verification on.
 *
 * Timeouts: connect and total by libcurl; first byte (from the start)
 * and idle (between two chunks of the response) by a timer of ours.
 *
 * A transfer's callbacks run from the loop.  hc_abort() may be called at
 * any time, from a callback too: no callback follows and the caller's
 * data is no longer referenced; the handle itself goes at once, or when
 * libcurl returns, if libcurl is on the stack.
 */
#ifndef WORKERS_AGENT_HTTP_CLIENT_H
#define WORKERS_AGENT_HTTP_CLIENT_H

#include <stddef.h>

struct event_base;
struct hc_client;
struct hc_xfer;

enum hc_result_kind {
	HC_OK,         /* the whole reply arrived */
	HC_CONNECT,    /* could not connect (DNS, refused, TLS) */
	HC_TLS_VERIFY, /* the peer's certificate did not verify */
	HC_CUT,        /* the reply ended before its end */
	HC_TIMEOUT_CONNECT,
	HC_TIMEOUT_FIRST_BYTE,
	HC_TIMEOUT_IDLE,
	HC_TIMEOUT_TOTAL,
	HC_STOPPED, /* on_data asked to stop */
	HC_ERROR    /* another transport error */
};

struct hc_result {
	enum hc_result_kind kind;
	long                status;  /* HTTP status; 0 before any */
	const char         *message; /* libcurl's text; no header in it */
};

struct hc_request {
	const char        *url;
	const char *const *headers; /* "Name: value" */
	size_t             nheaders;
	const char        *body; /* POST body; copied */
	size_t             body_len;
	long connect_ms, first_byte_ms, idle_ms, total_ms; /* > 0 */
};

struct hc_callbacks {
	/* The head of the final reply: status, Content-Type and Retry-After
	 * values (NULL when absent). */
	void (*on_head)(void *arg, long status, const char *ctype,
	    const char *retry_after);
	/* Body bytes; -1 stops the transfer (HC_STOPPED). */
	int (*on_data)(void *arg, const char *, size_t);
	/* The end; the transfer is freed when it returns. */
	void (*on_done)(void *arg, const struct hc_result *);
};

struct hc_client *hc_client_new(struct event_base *);
/* Aborts every transfer; not from inside a callback. */
void hc_client_free(struct hc_client *);
/* NULL when libcurl refuses the handle (out of memory). */
struct hc_xfer *hc_start(struct hc_client *, const struct hc_request *,
    const struct hc_callbacks *, void *arg);
void            hc_abort(struct hc_xfer *);
/* Transfers running (aborted ones still unwinding included). */
int hc_running(const struct hc_client *);
/* Zero memory that held a secret, in a way the compiler keeps. */
void hc_wipe(void *, size_t);

#endif
