/*
 * A bound on the lines an unauthenticated client can cause (a refused
 * upgrade, the pre-auth budget, a malformed first frame, a failed auth):
 * at most LOG_LIMIT_PER_SEC per second for each kind and client address,
 * the rest summed up in one line when the second is over.  The table is
 * bounded; a new pair takes a free row or the one used longest ago (its
 * summary is logged first), so a flood from many addresses costs one
 * summary per evicted row, never memory.  Many addresses (an IPv6
 * prefix, all of 127/8) would still get LOG_LIMIT_PER_SEC each: a kind
 * has LOG_LIMIT_KIND_PER_SEC in all, counted in a row of its own whose
 * address is LOG_LIMIT_ANY.
 */
#include "config.h"

#include <string.h>

#include <event2/event.h>

#include "common/log-int.h"
#include "common/log.h"
#include "common/util.h"

#define LOG_LIMIT_ROWS      128
#define LOG_LIMIT_ADDR      48
#define LOG_LIMIT_WINDOW_MS 1000
#define LOG_LIMIT_ANY       "any address"

struct log_limit_row {
	const char   *kind; /* NULL: free */
	char          addr[LOG_LIMIT_ADDR];
	uint64_t      start; /* of the current window, monotonic ms */
	uint64_t      used;  /* last line of this kind and address */
	unsigned      count; /* lines logged in the window */
	unsigned long suppressed;
};

static struct log_limit_row log_limit_rows[LOG_LIMIT_ROWS];
static struct event        *log_limit_timer;

static void
limit_summary(struct log_limit_row *r)
{
	unsigned long n = r->suppressed;

	if (n == 0)
		return;
	r->suppressed = 0;
	log_info("suppressed %lu similar line%s (%s from %s)", n,
	    n == 1 ? "" : "s", r->kind, r->addr);
}

static struct log_limit_row *
limit_row(const char *kind, const char *addr)
{
	struct log_limit_row *r, *old = &log_limit_rows[0];
	int                   i;

	for (i = 0; i < LOG_LIMIT_ROWS; i++) {
		r = &log_limit_rows[i];
		if (r->kind == NULL) {
			old = r;
			break;
		}
		if (strcmp(r->kind, kind) == 0 &&
		    strncmp(r->addr, addr, sizeof(r->addr) - 1) == 0)
			return r;
		if (r->used < old->used)
			old = r;
	}
	if (old->kind != NULL)
		limit_summary(old);
	memset(old, 0, sizeof(*old));
	old->kind = kind;
	strncpy(old->addr, addr, sizeof(old->addr) - 1);
	return old;
}

/* Summaries of the windows that are over; again while some are not. */
static void
limit_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval tv = { 0, 250 * 1000 };
	uint64_t       now = util_mono_ms();
	int            i, pending = 0;

	(void)fd;
	(void)ev;
	(void)arg;
	for (i = 0; i < LOG_LIMIT_ROWS; i++) {
		if (log_limit_rows[i].suppressed == 0)
			continue;
		if (now - log_limit_rows[i].start >= LOG_LIMIT_WINDOW_MS)
			limit_summary(&log_limit_rows[i]);
		else
			pending = 1;
	}
	if (pending)
		evtimer_add(log_limit_timer, &tv);
}

static void
limit_arm(void)
{
	struct timeval     tv = { 0, 250 * 1000 };
	struct event_base *base = log_sink_base();

	if (base == NULL)
		return; /* the next line of the kind sums up */
	if (log_limit_timer == NULL &&
	    (log_limit_timer = evtimer_new(base, limit_timer_cb, NULL)) == NULL)
		return;
	if (!evtimer_pending(log_limit_timer, NULL))
		evtimer_add(log_limit_timer, &tv);
}

/* 1 if row r has room for one more line in its window. */
static int
limit_take(struct log_limit_row *r, unsigned max, uint64_t now)
{
	if (now - r->start >= LOG_LIMIT_WINDOW_MS) {
		limit_summary(r);
		r->start = now;
		r->count = 0;
	}
	r->used = now;
	if (r->count < max) {
		r->count++;
		return 1;
	}
	r->suppressed++;
	limit_arm();
	return 0;
}

int
log_limit(const char *kind, const char *addr)
{
	uint64_t now = util_mono_ms();

	if (!limit_take(limit_row(kind, addr != NULL ? addr : "?"),
	        LOG_LIMIT_PER_SEC, now))
		return 0;
	return limit_take(limit_row(kind, LOG_LIMIT_ANY),
	    LOG_LIMIT_KIND_PER_SEC, now);
}

void
log_limit_detach(void)
{
	if (log_limit_timer != NULL)
		event_free(log_limit_timer);
	log_limit_timer = NULL;
}
