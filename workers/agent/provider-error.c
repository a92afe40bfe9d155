/*
 * Provider errors: what a failed call was (the chat error kind and the
 * finer reason that retries and failover read), its errorDetail (what
 * the provider said, cleaned: it is shown to clients and logged), and
 * the retry policy.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workers/agent/http-client.h"
#include "workers/agent/provider-int.h"

static const char *const kind_names[] = {
	[PROV_ERR_RATE_LIMIT] = "rate_limit",
	[PROV_ERR_CONTEXT_LENGTH] = "context_length",
	[PROV_ERR_TIMEOUT] = "timeout",
	[PROV_ERR_REFUSAL] = "refusal",
	[PROV_ERR_UNKNOWN] = "unknown",
};

static const char *const reason_names[] = {
	[PROV_REASON_RATE_LIMIT] = "rate_limit",
	[PROV_REASON_OVERLOADED] = "overloaded",
	[PROV_REASON_SERVER] = "server_error",
	[PROV_REASON_CONNECTION] = "connection",
	[PROV_REASON_TIMEOUT] = "timeout",
	[PROV_REASON_AUTH] = "auth",
	[PROV_REASON_BILLING] = "billing",
	[PROV_REASON_CONTEXT] = "context_overflow",
	[PROV_REASON_REFUSAL] = "refusal",
	[PROV_REASON_FORMAT] = "format",
	[PROV_REASON_TLS] = "tls",
	[PROV_REASON_PROTOCOL] = "protocol",
	[PROV_REASON_UNKNOWN] = "unknown",
};

const char *
prov_err_kind_name(enum prov_err_kind k)
{
	return (unsigned)k <= PROV_ERR_UNKNOWN ? kind_names[k] : "unknown";
}

const char *
prov_err_reason_name(enum prov_err_reason r)
{
	return (unsigned)r <= PROV_REASON_UNKNOWN ? reason_names[r] : "unknown";
}

static enum prov_err_kind
kind_of(enum prov_err_reason r)
{
	switch (r) {
	case PROV_REASON_RATE_LIMIT:
	case PROV_REASON_OVERLOADED:
		return PROV_ERR_RATE_LIMIT;
	case PROV_REASON_CONTEXT:
		return PROV_ERR_CONTEXT_LENGTH;
	case PROV_REASON_TIMEOUT:
		return PROV_ERR_TIMEOUT;
	case PROV_REASON_REFUSAL:
		return PROV_ERR_REFUSAL;
	default:
		return PROV_ERR_UNKNOWN;
	}
}

void
prov_error_init(struct prov_error *e, enum prov_err_kind kind,
    enum prov_err_reason reason)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->reason = reason;
	e->retry_after_ms = -1;
}

/* Each occurrence of the key becomes "***" (src is NUL-terminated). */
static void
drop_key(char *dst, size_t size, const char *src, const char *key)
{
	size_t klen = key != NULL ? strlen(key) : 0, o = 0;

	while (*src != '\0' && o + 1 < size) {
		if (klen >= 4 && strncmp(src, key, klen) == 0) {
			o += snprintf(dst + o, size - o, "***");
			src += klen;
		} else
			dst[o++] = *src++;
	}
	dst[o < size ? o : size - 1] = '\0';
}

static int
tokch(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* A token that may be a credential: sk-..., or a long opaque run. */
static int
key_shaped(const char *s, size_t n)
{
	if (n >= 12 && (strncmp(s, "sk-", 3) == 0 || strncmp(s, "sk_", 3) == 0))
		return 1;
	return n >= 32;
}

/* Control characters and non-ASCII bytes as '?' or ' ', key-shaped
 * tokens masked, at most PROV_DETAIL_MAX bytes ("..." marks a cut). */
static void
clean(char *dst, const char *src)
{
	size_t o = 0, n;

	while (*src != '\0' && o < PROV_DETAIL_MAX) {
		for (n = 0; tokch((unsigned char)src[n]); n++)
			;
		if (n > 0 && key_shaped(src, n)) {
			o += snprintf(dst + o, PROV_DETAIL_MAX + 1 - o, "***");
			src += n;
			continue;
		}
		if (n == 0)
			n = 1;
		for (; n > 0 && o < PROV_DETAIL_MAX; n--, src++) {
			unsigned char c = *src;
			dst[o++] = c < 0x20 ? ' ' : c >= 0x7f ? '?' : c;
		}
	}
	if (*src != '\0' && o >= PROV_DETAIL_MAX) {
		o = PROV_DETAIL_MAX - 3;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

void
prov_error_set_detail(struct prov_error *e, const char *key, const char *fmt,
    ...)
{
	char    raw[1024], nokey[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	drop_key(nokey, sizeof(nokey), raw, key);
	clean(e->detail, nokey);
	hc_wipe(raw, sizeof(raw));
}

static int
has(const char *hay, const char *needle)
{
	return hay != NULL && strcasestr(hay, needle) != NULL;
}

static int
context_text(const char *type, const char *msg)
{
	static const char *const pats[] = { "context_length", "context length",
		"context window", "maximum context", "prompt is too long",
		"too many tokens", "input is too long", "reduce the length" };
	size_t                   i;

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		if (has(type, pats[i]) || has(msg, pats[i]))
			return 1;
	return 0;
}

static int
refusal_text(const char *type, const char *msg)
{
	return has(type, "content_filter") || has(type, "content_policy") ||
	    has(msg, "content_policy_violation");
}

/* From the provider's words: type/code first, then the message. */
static enum prov_err_reason
reason_of_text(const char *type, const char *msg)
{
	if (context_text(type, msg))
		return PROV_REASON_CONTEXT;
	if (refusal_text(type, msg))
		return PROV_REASON_REFUSAL;
	if (has(type, "insufficient_quota") || has(type, "billing"))
		return PROV_REASON_BILLING;
	if (has(type, "rate_limit"))
		return PROV_REASON_RATE_LIMIT;
	if (has(type, "overloaded"))
		return PROV_REASON_OVERLOADED;
	if (has(type, "authentication") || has(type, "permission") ||
	    has(type, "invalid_api_key"))
		return PROV_REASON_AUTH;
	if (has(type, "timeout"))
		return PROV_REASON_TIMEOUT;
	if (has(type, "api_error") || has(type, "server_error"))
		return PROV_REASON_SERVER;
	if (has(type, "invalid_request"))
		return PROV_REASON_FORMAT;
	return PROV_REASON_UNKNOWN;
}

static enum prov_err_reason
reason_of_status(int status)
{
	switch (status) {
	case 401:
	case 403:
		return PROV_REASON_AUTH;
	case 402:
		return PROV_REASON_BILLING;
	case 408:
		return PROV_REASON_TIMEOUT;
	case 413:
		return PROV_REASON_CONTEXT;
	case 429:
		return PROV_REASON_RATE_LIMIT;
	case 529:
		return PROV_REASON_OVERLOADED;
	}
	if (status >= 500)
		return PROV_REASON_SERVER;
	if (status >= 400)
		return PROV_REASON_FORMAT;
	return PROV_REASON_PROTOCOL; /* 3xx: no redirect is followed */
}

/* The message and type of {"error": {...}} (openai, anthropic) or of
 * {"error": "text"}; into bufs. */
static void
error_words(json_object *j, const char **type, const char **msg)
{
	json_object *e;

	*type = *msg = NULL;
	if (j == NULL || !json_object_is_type(j, json_type_object))
		return;
	if (!json_object_object_get_ex(j, "error", &e))
		e = j;
	if (json_object_is_type(e, json_type_string)) {
		*msg = json_object_get_string(e);
		return;
	}
	if (!json_object_is_type(e, json_type_object))
		return;
	*msg = prov_jstr(e, "message");
	if ((*type = prov_jstr(e, "type")) == NULL ||
	    strcmp(*type, "error") == 0)
		*type = prov_jstr(e, "code");
	else if (prov_jstr(e, "code") != NULL &&
	    reason_of_text(*type, NULL) == PROV_REASON_FORMAT)
		*type = prov_jstr(e, "code"); /* openai: the code says more */
}

/* A body that is not JSON: its first line, as text. */
static void
text_words(char *buf, size_t size, const char *body, size_t len)
{
	size_t n = 0;

	while (n < len && n + 1 < size && body[n] != '\n' && body[n] != '\0')
		n++;
	memcpy(buf, body, n);
	buf[n] = '\0';
}

void
prov_error_from_http(struct prov_error *e, int status, const char *body,
    size_t len, long retry_after_ms, const char *key)
{
	json_object         *j;
	const char          *type, *msg;
	char                 text[PROV_DETAIL_MAX + 1];
	enum prov_err_reason r;

	j = body != NULL && len > 0 ? prov_json_parse(body, len) : NULL;
	error_words(j, &type, &msg);
	if (j == NULL && body != NULL) {
		text_words(text, sizeof(text), body, len);
		msg = text[0] != '\0' ? text : NULL;
	}
	r = reason_of_status(status);
	if (r == PROV_REASON_FORMAT || r == PROV_REASON_RATE_LIMIT ||
	    r == PROV_REASON_SERVER) {
		enum prov_err_reason t = reason_of_text(type, msg);
		if (t == PROV_REASON_CONTEXT || t == PROV_REASON_REFUSAL ||
		    t == PROV_REASON_BILLING || t == PROV_REASON_OVERLOADED)
			r = t;
	}
	prov_error_init(e, kind_of(r), r);
	e->http_status = status;
	e->retry_after_ms = retry_after_ms;
	if (msg != NULL)
		prov_error_set_detail(e, key, "HTTP %d: %s", status, msg);
	else
		prov_error_set_detail(e, key, "HTTP %d", status);
	json_object_put(j);
}

void
prov_error_from_event(struct prov_error *e, const char *type,
    const char *message, const char *key)
{
	enum prov_err_reason r = reason_of_text(type, message);

	prov_error_init(e, kind_of(r), r);
	prov_error_set_detail(e, key, "%s: %s", type ? type : "error",
	    message ? message : "(no message)");
}
