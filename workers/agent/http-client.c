/*
 * libcurl multi-socket on libevent: libcurl says which sockets to watch
 * (sock_cb) and when to call it back (timer_cb); we watch them with
 * events and hand each readiness back with curl_multi_socket_action.
 *
 * libcurl forbids calling the multi handle from its own callbacks, so
 * what a callback of ours asks for there (an abort, a new transfer) is
 * recorded and done from the "reap" event, as soon as libcurl returns.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "workers/agent/http-client.h"

#define HC_CTYPE_MAX 128
#define HC_RETRY_MAX 64

struct hc_sock {
	TAILQ_ENTRY(hc_sock) entry;
	struct event     *ev;
	struct hc_client *c;
};

struct hc_xfer {
	TAILQ_ENTRY(hc_xfer) entry;
	struct hc_client   *c;
	CURL               *easy;
	struct curl_slist  *hdrs;
	char               *body;
	size_t              body_len;
	struct event       *timer; /* first byte, then idle */
	long                first_byte_ms, idle_ms;
	struct hc_callbacks cb;
	void               *arg;
	int                 added;   /* to the multi handle */
	int                 aborted; /* no callback any more; reap it */
	int                 done;    /* on_done is running */
	int                 stopped; /* on_data said stop */
	int                 got_byte;
	enum hc_result_kind timed_out; /* HC_OK: our timer did not fire */
	int                 head_done;
	char                ctype[HC_CTYPE_MAX];
	char                retry_after[HC_RETRY_MAX];
	char                errbuf[CURL_ERROR_SIZE];
};

struct hc_client {
	struct event_base *base;
	CURLM             *multi;
	struct event      *timer;
	struct event      *reap;
	int                depth; /* inside libcurl */
	int                n;
	TAILQ_HEAD(, hc_xfer) xfers;
	TAILQ_HEAD(, hc_sock) socks;
};

static void drive(struct hc_client *, curl_socket_t, int);

void
hc_wipe(void *p, size_t n)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
#endif
}

int
hc_running(const struct hc_client *c)
{
	return c->n;
}

static void
sock_event(evutil_socket_t fd, short what, void *arg)
{
	int action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	drive(arg, fd, action);
}

static void
sock_forget(struct hc_client *c, struct hc_sock *hs)
{
	TAILQ_REMOVE(&c->socks, hs, entry);
	event_free(hs->ev);
	free(hs);
}

static int
sock_cb(CURL *e, curl_socket_t s, int what, void *cbp, void *sockp)
{
	struct hc_client *c = cbp;
	struct hc_sock   *hs = sockp;
	short             ev;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			sock_forget(c, hs);
			curl_multi_assign(c->multi, s, NULL);
		}
		return 0;
	}
	if (hs == NULL) {
		hs = xcalloc(1, sizeof(*hs));
		hs->c = c;
		TAILQ_INSERT_TAIL(&c->socks, hs, entry);
		curl_multi_assign(c->multi, s, hs);
	} else
		event_free(hs->ev);
	ev = EV_PERSIST;
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if ((hs->ev = event_new(c->base, s, ev, sock_event, c)) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (http client)");
	event_add(hs->ev, NULL);
	return 0;
}

static void
timer_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drive(arg, CURL_SOCKET_TIMEOUT, 0);
}

static int
timer_cb(CURLM *m, long ms, void *arg)
{
	struct hc_client *c = arg;
	struct timeval    tv;

	(void)m;
	if (ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	return 0;
}

static void
xfer_free(struct hc_xfer *x)
{
	struct hc_client  *c = x->c;
	struct curl_slist *h;

	TAILQ_REMOVE(&c->xfers, x, entry);
	c->n--;
	if (x->added)
		curl_multi_remove_handle(c->multi, x->easy);
	curl_easy_cleanup(x->easy);
	for (h = x->hdrs; h != NULL; h = h->next)
		hc_wipe(h->data, strlen(h->data));
	curl_slist_free_all(x->hdrs);
	event_free(x->timer);
	free(x->body);
	free(x);
}

/* Aborted transfers go, new ones are added: libcurl is off the stack. */
static void
reap_event(evutil_socket_t fd, short what, void *arg)
{
	struct hc_client *c = arg;
	struct hc_xfer   *x, *next;
	int               add = 0;

	(void)fd;
	(void)what;
	for (x = TAILQ_FIRST(&c->xfers); x != NULL; x = next) {
		next = TAILQ_NEXT(x, entry);
		if (x->aborted)
			xfer_free(x);
		else if (!x->added) {
			x->added = 1;
			if (curl_multi_add_handle(c->multi, x->easy) !=
			    CURLM_OK)
				fatalx(EXIT_RUNTIME, "http client: cannot add");
			add = 1;
		}
	}
	if (add)
		drive(c, CURL_SOCKET_TIMEOUT, 0);
}

static void
reap_soon(struct hc_client *c)
{
	event_active(c->reap, 0, 0);
}

static enum hc_result_kind
result_kind(struct hc_xfer *x, CURLcode code)
{
	curl_off_t t = 0;

	if (x->timed_out != HC_OK)
		return x->timed_out;
	switch (code) {
	case CURLE_OK:
		return HC_OK;
	case CURLE_WRITE_ERROR:
		return x->stopped ? HC_STOPPED : HC_ERROR;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &t);
		return t == 0 ? HC_TIMEOUT_CONNECT : HC_TIMEOUT_TOTAL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
		return HC_CONNECT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return HC_TLS_VERIFY;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HC_CUT;
	default:
		return HC_ERROR;
	}
}

static void
finish(struct hc_xfer *x, CURLcode code)
{
	struct hc_result r;

	if (x->aborted) {
		xfer_free(x);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.kind = result_kind(x, code);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
	r.message = x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(code);
	if (x->timed_out != HC_OK)
		r.message = "timed out";
	x->done = 1;
	x->cb.on_done(x->arg, &r);
	xfer_free(x);
}

static void
check_done(struct hc_client *c)
{
	CURLMsg        *m;
	struct hc_xfer *x;
	int             left;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		finish(x, m->data.result);
	}
}

static void
drive(struct hc_client *c, curl_socket_t fd, int action)
{
	int running;

	c->depth++;
	curl_multi_socket_action(c->multi, fd, action, &running);
	c->depth--;
	check_done(c);
}

/* Our own timer: no byte for first_byte_ms, then none for idle_ms. */
static void
xfer_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct hc_xfer *x = arg;

	(void)fd;
	(void)what;
	x->timed_out = x->got_byte ? HC_TIMEOUT_IDLE : HC_TIMEOUT_FIRST_BYTE;
	finish(x, CURLE_OPERATION_TIMEDOUT);
}

static void
arm(struct hc_xfer *x, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(x->timer, &tv);
}

static void
touch(struct hc_xfer *x)
{
	x->got_byte = 1;
	arm(x, x->idle_ms);
}

static void
head_field(struct hc_xfer *x, const char *b, size_t len)
{
	const char *colon, *v;
	size_t      nlen, vlen;
	char       *dst;
	size_t      cap;

	if ((colon = memchr(b, ':', len)) == NULL)
		return;
	nlen = colon - b;
	if (nlen == 12 && strncasecmp(b, "content-type", 12) == 0) {
		dst = x->ctype;
		cap = sizeof(x->ctype);
	} else if (nlen == 11 && strncasecmp(b, "retry-after", 11) == 0) {
		dst = x->retry_after;
		cap = sizeof(x->retry_after);
	} else
		return;
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 &&
	    (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ' ||
	        v[vlen - 1] == '\t'))
		vlen--;
	if (vlen >= cap)
		vlen = cap - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

static void
head_end(struct hc_xfer *x)
{
	long status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || x->head_done)
		return; /* 1xx: the final head is still to come */
	x->head_done = 1;
	x->cb.on_head(x->arg, status, x->ctype[0] ? x->ctype : NULL,
	    x->retry_after[0] ? x->retry_after : NULL);
}

static size_t
header_cb(char *b, size_t size, size_t n, void *arg)
{
	struct hc_xfer *x = arg;
	size_t          len = size * n;

	if (x->aborted)
		return 0;
	touch(x);
	if (len >= 5 && memcmp(b, "HTTP/", 5) == 0) {
		x->ctype[0] = x->retry_after[0] = '\0';
		x->head_done = 0;
	} else if (len <= 2 && (b[0] == '\r' || b[0] == '\n'))
		head_end(x);
	else
		head_field(x, b, len);
	return len;
}

static size_t
write_cb(char *b, size_t size, size_t n, void *arg)
{
	struct hc_xfer *x = arg;
	size_t          len = size * n;

	if (x->aborted)
		return 0;
	touch(x);
	if (!x->head_done)
		head_end(x);
	if (x->aborted)
		return 0;
	if (x->cb.on_data(x->arg, b, len) == -1) {
		x->stopped = 1;
		return 0;
	}
	return x->aborted ? 0 : len;
}

static int
xfer_headers(struct hc_xfer *x, const struct hc_request *r)
{
	struct curl_slist *l;
	size_t             i;

	for (i = 0; i < r->nheaders; i++) {
		if ((l = curl_slist_append(x->hdrs, r->headers[i])) == NULL)
			return -1;
		x->hdrs = l;
	}
	/* No "Expect: 100-continue" wait before a large body. */
	if ((l = curl_slist_append(x->hdrs, "Expect:")) == NULL)
		return -1;
	x->hdrs = l;
	return 0;
}

static int
xfer_opts(struct hc_xfer *x, const struct hc_request *r)
{
	CURL *e = x->easy;
	int   bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)x->body_len);
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_2TLS);
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->connect_ms);
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->total_ms);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	return bad ? -1 : 0;
}

struct hc_xfer *
hc_start(struct hc_client *c, const struct hc_request *r,
    const struct hc_callbacks *cb, void *arg)
{
	struct hc_xfer *x;

	x = xcalloc(1, sizeof(*x));
	x->c = c;
	x->cb = *cb;
	x->arg = arg;
	x->first_byte_ms = r->first_byte_ms;
	x->idle_ms = r->idle_ms;
	x->body = xmalloc(r->body_len + 1);
	memcpy(x->body, r->body, r->body_len);
	x->body_len = r->body_len;
	if ((x->timer = evtimer_new(c->base, xfer_timeout, x)) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (http client)");
	TAILQ_INSERT_TAIL(&c->xfers, x, entry);
	c->n++;
	if ((x->easy = curl_easy_init()) == NULL || xfer_headers(x, r) == -1 ||
	    xfer_opts(x, r) == -1) {
		xfer_free(x);
		return NULL;
	}
	arm(x, x->first_byte_ms);
	reap_soon(c); /* added from the loop: libcurl may be on the stack */
	return x;
}

void
hc_abort(struct hc_xfer *x)
{
	if (x == NULL || x->done || x->aborted)
		return;
	x->aborted = 1;
	x->arg = NULL;
	evtimer_del(x->timer);
	if (x->c->depth == 0)
		xfer_free(x);
	else
		reap_soon(x->c);
}

struct hc_client *
hc_client_new(struct event_base *base)
{
	struct hc_client *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx(EXIT_RUNTIME, "libcurl cannot start");
	c = xcalloc(1, sizeof(*c));
	c->base = base;
	TAILQ_INIT(&c->xfers);
	TAILQ_INIT(&c->socks);
	if ((c->multi = curl_multi_init()) == NULL ||
	    (c->timer = evtimer_new(base, timer_event, c)) == NULL ||
	    (c->reap = event_new(base, -1, 0, reap_event, c)) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (http client)");
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

void
hc_client_free(struct hc_client *c)
{
	struct hc_xfer *x;
	struct hc_sock *hs;

	if (c == NULL)
		return;
	while ((x = TAILQ_FIRST(&c->xfers)) != NULL)
		xfer_free(x);
	curl_multi_cleanup(c->multi);
	while ((hs = TAILQ_FIRST(&c->socks)) != NULL)
		sock_forget(c, hs);
	event_free(c->timer);
	event_free(c->reap);
	free(c);
	curl_global_cleanup();
}
