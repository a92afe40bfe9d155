/*
 * The retry policy (provider.h): a pure function of the error, the
 * attempt and a random number, so the run layer owns the timers and the
 * tests own the randomness.  Retry-After is read here too.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "workers/agent/provider.h"

int
prov_error_retryable(const struct prov_error *e)
{
	if (e->output_seen)
		return 0;
	switch (e->reason) {
	case PROV_REASON_RATE_LIMIT:
	case PROV_REASON_OVERLOADED:
	case PROV_REASON_SERVER:
	case PROV_REASON_CONNECTION:
	case PROV_REASON_TIMEOUT:
		return 1;
	default:
		return 0;
	}
}

long
prov_retry_delay(const struct prov_retry_policy *p, const struct prov_error *e,
    int attempt, uint32_t rnd)
{
	long d, half;
	int  i;

	if (!prov_error_retryable(e) || attempt < 1 ||
	    attempt >= p->max_attempts)
		return -1;
	if (e->retry_after_ms >= 0)
		return e->retry_after_ms > p->max_ms ? -1 : e->retry_after_ms;
	d = p->base_ms > 0 ? p->base_ms : 1;
	for (i = 1; i < attempt && d < p->max_ms; i++)
		d *= 2;
	if (d > p->max_ms)
		d = p->max_ms;
	half = d / 2;
	return half + (long)(rnd % (uint32_t)(d - half + 1));
}

static int
num(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long)era * 146097 + doe - 719468;
}

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7), the
 * form senders must use; epoch seconds or -1. */
static long long
imf_fixdate(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char       *m;
	int               day, mon, year, hh, mm, ss;

	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    strcmp(s + 25, " GMT") != 0)
		return -1;
	if (num(s + 5, 2, &day) == -1 || num(s + 12, 4, &year) == -1 ||
	    num(s + 17, 2, &hh) == -1 || num(s + 20, 2, &mm) == -1 ||
	    num(s + 23, 2, &ss) == -1)
		return -1;
	for (m = months; *m != '\0'; m += 3)
		if (strncmp(m, s + 8, 3) == 0)
			break;
	if (*m == '\0' || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	mon = (int)(m - months) / 3 + 1;
	return days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 +
	    ss;
}

/* A day is the most we ever wait for; more is as good as "not now". */
#define RETRY_AFTER_MAX_S 86400

long
prov_retry_after_parse(const char *v, long long now)
{
	long long t;
	int       i, secs = 0;

	if (v == NULL || *v == '\0')
		return -1;
	for (i = 0; v[i] >= '0' && v[i] <= '9'; i++)
		if (secs <= RETRY_AFTER_MAX_S)
			secs = secs * 10 + (v[i] - '0');
	if (v[i] == '\0')
		return (secs > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : secs) *
		    1000L;
	if ((t = imf_fixdate(v)) == -1)
		return -1;
	if (t <= now)
		return 0;
	if (t - now > RETRY_AFTER_MAX_S)
		return RETRY_AFTER_MAX_S * 1000L;
	return (long)(t - now) * 1000L;
}
