/*
 * The provider errors and the retry policy (workers/agent/provider-
 * error.c, provider-retry.c): what retries, the delay (backoff, jitter,
 * cap, Retry-After as seconds or an HTTP date), the kinds an error
 * reply maps to, and an errorDetail that never holds the key.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "t/unit/tap.h"
#include "workers/agent/provider.h"

#define KEY "sk-live-abcdefghijklmnop0123"

static const struct prov_retry_policy pol = { 3, 1000, 30000 };

static struct prov_error
err_of(enum prov_err_reason r, int output_seen, long retry_after)
{
	struct prov_error e;

	prov_error_init(&e, PROV_ERR_UNKNOWN, r);
	e.output_seen = output_seen;
	e.retry_after_ms = retry_after;
	return e;
}

static void
test_retryable(void)
{
	static const enum prov_err_reason yes[] = { PROV_REASON_RATE_LIMIT,
		PROV_REASON_OVERLOADED, PROV_REASON_SERVER,
		PROV_REASON_CONNECTION, PROV_REASON_TIMEOUT };
	static const enum prov_err_reason no[] = { PROV_REASON_AUTH,
		PROV_REASON_BILLING, PROV_REASON_CONTEXT, PROV_REASON_REFUSAL,
		PROV_REASON_FORMAT, PROV_REASON_TLS, PROV_REASON_PROTOCOL,
		PROV_REASON_UNKNOWN };
	struct prov_error                 e;
	size_t                            i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		e = err_of(yes[i], 0, -1);
		is_int(prov_error_retryable(&e), 1, "%s retries",
		    prov_err_reason_name(yes[i]));
		e.output_seen = 1;
		is_int(prov_error_retryable(&e), 0, "%s after output: not",
		    prov_err_reason_name(yes[i]));
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		e = err_of(no[i], 0, -1);
		is_int(prov_error_retryable(&e), 0, "%s does not retry",
		    prov_err_reason_name(no[i]));
	}
}

static void
test_delay(void)
{
	struct prov_error        e = err_of(PROV_REASON_SERVER, 0, -1);
	struct prov_retry_policy big = { 20, 1000, 30000 };
	long                     d, lo = 1 << 30, hi = 0;
	uint32_t                 r;
	int                      out = 0;

	is_int(prov_retry_delay(&pol, &e, 1, 0), 500, "attempt 1, rnd 0: 500");
	is_int(prov_retry_delay(&pol, &e, 1, 500), 1000,
	    "attempt 1, rnd at the top: 1000");
	is_int(prov_retry_delay(&pol, &e, 2, 0), 1000, "attempt 2: from 1000");
	is_int(prov_retry_delay(&pol, &e, 2, 1000), 2000, "attempt 2: to 2000");
	is_int(prov_retry_delay(&pol, &e, 3, 0), -1,
	    "after max_attempts: -1 (the fallback model)");
	is_int(prov_retry_delay(&pol, &e, 0, 0), -1, "attempt 0: -1");
	is_int(prov_retry_delay(&big, &e, 10, 0), 15000,
	    "attempt 10: capped (from max/2)");
	is_int(prov_retry_delay(&big, &e, 19, 15000), 30000, "to max");
	for (r = 0; r < 100000; r += 7) {
		d = prov_retry_delay(&big, &e, 4, r * 2654435761u);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		out += d < 4000 || d > 8000;
	}
	is_int(out, 0, "attempt 4: jitter stays in [4000, 8000]");
	ok(lo < 4200 && hi > 7800, "and covers it (%ld..%ld)", lo, hi);
	e.retry_after_ms = 2000;
	is_int(prov_retry_delay(&pol, &e, 1, 12345), 2000,
	    "Retry-After wins over the backoff");
	e.retry_after_ms = 0;
	is_int(prov_retry_delay(&pol, &e, 1, 12345), 0, "Retry-After: 0");
	e.retry_after_ms = 60000;
	is_int(prov_retry_delay(&pol, &e, 1, 0), -1,
	    "Retry-After over the cap: not now (fallback)");
	e = err_of(PROV_REASON_AUTH, 0, 1000);
	is_int(prov_retry_delay(&pol, &e, 1, 0), -1,
	    "auth with a Retry-After: still no retry");
	e = err_of(PROV_REASON_RATE_LIMIT, 1, -1);
	is_int(prov_retry_delay(&pol, &e, 1, 0), -1,
	    "rate limit after output: no retry");
}

static void
test_retry_after(void)
{
	/* 1994-11-06 08:49:37 UTC */
	const long long t = 784111777LL;

	is_int(prov_retry_after_parse("5", 0), 5000, "seconds");
	is_int(prov_retry_after_parse("0", 0), 0, "zero");
	is_int(prov_retry_after_parse("120", 0), 120000, "two minutes");
	is_int(prov_retry_after_parse("99999999999999999999", 0), 86400000,
	    "a huge number: a day, no overflow");
	is_int(prov_retry_after_parse("", 0), -1, "empty");
	is_int(prov_retry_after_parse(NULL, 0), -1, "absent");
	is_int(prov_retry_after_parse("-1", 0), -1, "negative");
	is_int(prov_retry_after_parse("1.5", 0), -1, "a fraction");
	is_int(prov_retry_after_parse("5 ", 0), -1, "trailing junk");
	is_int(prov_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t - 30),
	    30000, "an HTTP date 30 s ahead");
	is_int(prov_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t + 5),
	    0, "an HTTP date in the past: now");
	is_int(prov_retry_after_parse("Thu, 01 Jan 1970 00:00:10 GMT", 0),
	    10000, "the epoch plus 10 s");
	is_int(prov_retry_after_parse("Tue, 29 Feb 2028 00:00:00 GMT",
	           1835395200LL - 1),
	    1000, "a leap day");
	is_int(prov_retry_after_parse("Sun, 06 Nov 1994 08:49:37 UTC", 0), -1,
	    "not GMT: not a date");
	is_int(prov_retry_after_parse("Sun, 06 Foo 1994 08:49:37 GMT", 0), -1,
	    "a bad month");
	is_int(prov_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", 0), -1,
	    "the obsolete RFC 850 form: not taken");
}

static void
check_http(int status, const char *body, enum prov_err_kind kind,
    enum prov_err_reason reason, const char *name)
{
	struct prov_error e;

	prov_error_from_http(&e, status, body, body ? strlen(body) : 0, -1,
	    KEY);
	ok(e.kind == kind && e.reason == reason && e.http_status == status,
	    "%s: %s/%s (%s)", name, prov_err_kind_name(e.kind),
	    prov_err_reason_name(e.reason), e.detail);
}

static void
test_from_http(void)
{
	check_http(429,
	    "{\"error\":{\"message\":\"Rate limit reached\","
	    "\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
	    PROV_ERR_RATE_LIMIT, PROV_REASON_RATE_LIMIT, "openai 429");
	check_http(429,
	    "{\"error\":{\"message\":\"You exceeded your current "
	    "quota\",\"type\":\"insufficient_quota\",\"code\":"
	    "\"insufficient_quota\"}}",
	    PROV_ERR_UNKNOWN, PROV_REASON_BILLING,
	    "openai 429 insufficient_quota: billing, not retried");
	check_http(529,
	    "{\"type\":\"error\",\"error\":{\"type\":"
	    "\"overloaded_error\",\"message\":\"Overloaded\"}}",
	    PROV_ERR_RATE_LIMIT, PROV_REASON_OVERLOADED, "anthropic 529");
	check_http(400,
	    "{\"error\":{\"message\":\"This model's maximum "
	    "context length is 128000 tokens.\",\"type\":"
	    "\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}",
	    PROV_ERR_CONTEXT_LENGTH, PROV_REASON_CONTEXT, "openai context");
	check_http(400,
	    "{\"type\":\"error\",\"error\":{\"type\":"
	    "\"invalid_request_error\",\"message\":\"prompt is too long: "
	    "210000 tokens > 200000 maximum\"}}",
	    PROV_ERR_CONTEXT_LENGTH, PROV_REASON_CONTEXT, "anthropic context");
	check_http(413, NULL, PROV_ERR_CONTEXT_LENGTH, PROV_REASON_CONTEXT,
	    "413");
	check_http(400,
	    "{\"error\":{\"message\":\"Your request was rejected "
	    "as a result of our safety system\",\"code\":"
	    "\"content_policy_violation\"}}",
	    PROV_ERR_REFUSAL, PROV_REASON_REFUSAL, "content policy");
	check_http(401, "{\"error\":{\"message\":\"bad key\"}}",
	    PROV_ERR_UNKNOWN, PROV_REASON_AUTH, "401");
	check_http(403, "", PROV_ERR_UNKNOWN, PROV_REASON_AUTH, "403 no body");
	check_http(404, "{\"error\":\"model not found\"}", PROV_ERR_UNKNOWN,
	    PROV_REASON_FORMAT, "404 with a string error");
	check_http(502, "<html>Bad gateway</html>", PROV_ERR_UNKNOWN,
	    PROV_REASON_SERVER, "502 HTML");
	check_http(408, NULL, PROV_ERR_TIMEOUT, PROV_REASON_TIMEOUT, "408");
	check_http(302, NULL, PROV_ERR_UNKNOWN, PROV_REASON_PROTOCOL,
	    "a redirect");
}

static void
test_detail(void)
{
	struct prov_error e;
	char              body[2048], *p;
	size_t            i;

	prov_error_from_http(&e, 401,
	    "{\"error\":{\"message\":\"Incorrect API "
	    "key provided: " KEY ". Find yours at ...\"}}",
	    80, -1, KEY);
	ok(strstr(e.detail, "abcdefghijklmnop") == NULL,
	    "the key is not in the detail: %s", e.detail);
	prov_error_from_http(&e, 401,
	    "{\"error\":{\"message\":\"Incorrect key "
	    "sk-proj-zzzzzzzzzzzzzzzz1234 given\"}}",
	    70, -1, NULL);
	ok(strstr(e.detail, "zzzz") == NULL && strstr(e.detail, "***"),
	    "another key-shaped token is masked: %s", e.detail);
	prov_error_from_http(&e, 500, "line one\x1b[31m red\r\nline two", 28,
	    -1, KEY);
	is_str(e.detail, "HTTP 500: line one [31m red ",
	    "first line of a text body, control characters blanked");
	memset(body, 'a', sizeof(body));
	memcpy(body, "{\"error\":{\"message\":\"", 21);
	for (i = 21, p = body + 21; i + 6 <= sizeof(body) - 4; i += 6, p += 6)
		memcpy(p, "words ", 6);
	memcpy(body + sizeof(body) - 4, "\"}}", 3);
	body[sizeof(body) - 1] = '\0';
	prov_error_from_http(&e, 500, body, strlen(body), -1, KEY);
	ok(strlen(e.detail) <= PROV_DETAIL_MAX &&
	        strcmp(e.detail + strlen(e.detail) - 3, "...") == 0,
	    "a long message is cut, and says so (%zu bytes)", strlen(e.detail));
	prov_error_from_http(&e, 500, "\xff\xfe caf\xc3\xa9", 9, -1, KEY);
	is_str(e.detail, "HTTP 500: ?? caf??", "bytes over 0x7e as '?'");
	prov_error_from_event(&e, "overloaded_error", "Overloaded", KEY);
	ok(e.kind == PROV_ERR_RATE_LIMIT &&
	        e.reason == PROV_REASON_OVERLOADED && e.http_status == 0 &&
	        strcmp(e.detail, "overloaded_error: Overloaded") == 0,
	    "a stream error event: %s", e.detail);
	prov_error_from_event(&e, NULL, NULL, KEY);
	is_str(e.detail, "error: (no message)", "an empty error event");
}

int
main(void)
{
	test_retryable();
	test_delay();
	test_retry_after();
	test_from_http();
	test_detail();
	return tap_done();
}
