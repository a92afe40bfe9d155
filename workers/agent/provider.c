/*
 * A provider call: the request built (provider-http.c), sent by the
 * http client, and the reply fed to the decoder (provider-decode.c);
 * an error reply is kept (bounded) and mapped when it is whole, and a
 * transport failure becomes the error event the decoder did not give.
 *
 * The frame that holds a call "busy" (a callback into the decoder and
 * from there to the caller) is the one that frees it when it ended or
 * was aborted meanwhile; everywhere else the call goes at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/xmalloc.h"
#include "workers/agent/http-client.h"
#include "workers/agent/provider-int.h"

struct prov_call {
	struct hc_xfer      *x;
	struct prov_decoder *dec;
	prov_event_cb        cb;
	void                *arg;
	char                *key;
	long                 status;
	int                  error_reply;
	char                *errbody;
	size_t               errlen;
	long                 retry_after_ms;
	int                  busy, dead, ended;
};

static void
call_free(struct prov_call *c)
{
	hc_abort(c->x);
	prov_decoder_free(c->dec);
	if (c->key != NULL) {
		hc_wipe(c->key, strlen(c->key));
		free(c->key);
	}
	free(c->errbody);
	free(c);
}

/* 1 when the call was freed: it ended, or was aborted while busy. */
static int
settle(struct prov_call *c)
{
	if (c->busy > 0 || (!c->dead && !c->ended))
		return 0;
	call_free(c);
	return 1;
}

void
prov_call_abort(struct prov_call *c)
{
	if (c == NULL)
		return;
	c->dead = 1;
	hc_abort(c->x);
	c->x = NULL;
	settle(c);
}

size_t
prov_call_held(const struct prov_call *c)
{
	return sizeof(*c) + prov_decoder_held(c->dec) +
	    (c->errbody ? PROV_ERRBODY_MAX : 0);
}

static void
call_event(const struct prov_event *ev, void *arg)
{
	struct prov_call *c = arg;

	if (c->dead)
		return;
	if (ev->type == PROV_EV_DONE || ev->type == PROV_EV_ERROR)
		c->ended = 1;
	c->cb(ev, c->arg);
}

static int
ctype_is(const char *ctype, const char *want)
{
	return ctype != NULL && strncasecmp(ctype, want, strlen(want)) == 0;
}

static void
on_head(void *arg, long status, const char *ctype, const char *retry_after)
{
	struct prov_call *c = arg;

	c->status = status;
	if (status < 200 || status > 299) {
		c->error_reply = 1;
		c->retry_after_ms = prov_retry_after_parse(retry_after,
		    (long long)time(NULL));
		return;
	}
	/* A server may answer a stream request with one JSON body. */
	if (ctype_is(ctype, "application/json"))
		prov_decoder_set_stream(c->dec, 0);
	else if (ctype_is(ctype, "text/event-stream"))
		prov_decoder_set_stream(c->dec, 1);
}

static void
errbody_add(struct prov_call *c, const char *s, size_t len)
{
	if (c->errbody == NULL)
		c->errbody = xmalloc(PROV_ERRBODY_MAX);
	if (len > PROV_ERRBODY_MAX - c->errlen)
		len = PROV_ERRBODY_MAX - c->errlen;
	memcpy(c->errbody + c->errlen, s, len);
	c->errlen += len;
}

static int
on_data(void *arg, const char *s, size_t len)
{
	struct prov_call *c = arg;

	if (c->error_reply) {
		errbody_add(c, s, len);
		return 0;
	}
	c->busy++;
	prov_decoder_feed(c->dec, s, len);
	c->busy--;
	return settle(c) ? -1 : 0;
}

static void
transport_error(struct prov_call *c, const struct hc_result *r)
{
	static const enum prov_timeout_kind tk[] = {
		[HC_TIMEOUT_CONNECT] = PROV_TIMEOUT_CONNECT,
		[HC_TIMEOUT_FIRST_BYTE] = PROV_TIMEOUT_FIRST_BYTE,
		[HC_TIMEOUT_IDLE] = PROV_TIMEOUT_IDLE,
		[HC_TIMEOUT_TOTAL] = PROV_TIMEOUT_TOTAL,
	};
	static const char *const tn[] = { "", "connect", "first byte", "idle",
		"total" };
	struct prov_error        e;

	switch (r->kind) {
	case HC_TIMEOUT_CONNECT:
	case HC_TIMEOUT_FIRST_BYTE:
	case HC_TIMEOUT_IDLE:
	case HC_TIMEOUT_TOTAL:
		prov_error_init(&e, PROV_ERR_TIMEOUT, PROV_REASON_TIMEOUT);
		e.timeout = tk[r->kind];
		prov_error_set_detail(&e, c->key, "%s timeout", tn[e.timeout]);
		break;
	case HC_CONNECT:
	case HC_CUT:
		prov_error_init(&e, PROV_ERR_UNKNOWN, PROV_REASON_CONNECTION);
		prov_error_set_detail(&e, c->key, "%s: %s",
		    r->kind == HC_CUT ? "connection cut" : "cannot connect",
		    r->message);
		break;
	case HC_TLS_VERIFY:
		prov_error_init(&e, PROV_ERR_UNKNOWN, PROV_REASON_TLS);
		prov_error_set_detail(&e, c->key, "TLS: %s", r->message);
		break;
	default:
		prov_error_init(&e, PROV_ERR_UNKNOWN, PROV_REASON_UNKNOWN);
		prov_error_set_detail(&e, c->key, "transfer failed: %s",
		    r->message);
	}
	e.http_status = (int)r->status;
	prov_decoder_fail(c->dec, &e);
}

static void
on_done(void *arg, const struct hc_result *r)
{
	struct prov_call *c = arg;
	struct prov_error e;

	c->x = NULL; /* the client frees it when we return */
	c->busy++;
	if (c->error_reply && (r->kind == HC_OK || c->errlen > 0)) {
		prov_error_from_http(&e, (int)c->status, c->errbody, c->errlen,
		    c->retry_after_ms, c->key);
		prov_decoder_fail(c->dec, &e);
	} else if (r->kind == HC_OK || prov_decoder_complete(c->dec))
		prov_decoder_finish(c->dec);
	else
		transport_error(c, r);
	c->busy--;
	c->ended = 1;
	settle(c);
}

static void
xfer_request(struct hc_request *hr, const struct prov_request *r,
    const struct prov_http *h)
{
	const struct prov_timeouts *t = &r->timeouts;

	memset(hr, 0, sizeof(*hr));
	hr->url = h->url;
	hr->headers = (const char *const *)h->headers;
	hr->nheaders = h->nheaders;
	hr->body = h->body;
	hr->body_len = h->body_len;
	hr->connect_ms = t->connect_ms > 0 ? t->connect_ms :
	                                     PROV_CONNECT_MS_DEFAULT;
	hr->first_byte_ms = t->first_byte_ms > 0 ? t->first_byte_ms :
	                                           PROV_FIRST_BYTE_MS_DEFAULT;
	hr->idle_ms = t->idle_ms > 0 ? t->idle_ms : PROV_IDLE_MS_DEFAULT;
	hr->total_ms = t->total_ms > 0 ? t->total_ms : PROV_TOTAL_MS_DEFAULT;
}

struct prov_call *
prov_call_start(struct hc_client *client, const struct prov_request *r,
    prov_event_cb cb, void *arg, char *err, size_t errlen)
{
	static const struct hc_callbacks hcb = { on_head, on_data, on_done };
	struct prov_call                *c;
	struct prov_http                 h;
	struct hc_request                hr;

	if (prov_http_build(r, &h, err, errlen) == -1)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->cb = cb;
	c->arg = arg;
	c->retry_after_ms = -1;
	if (r->cfg->api_key != NULL)
		c->key = xstrdup(r->cfg->api_key);
	c->dec = prov_decoder_new(r->cfg->api, r->stream, c->key, call_event,
	    c);
	xfer_request(&hr, r, &h);
	c->x = hc_start(client, &hr, &hcb, c);
	prov_http_free(&h);
	if (c->x == NULL) {
		snprintf(err, errlen, "the http client refused the request");
		call_free(c);
		return NULL;
	}
	return c;
}
