/*
 * The failed-authentication table in shared memory (layout and the
 * concurrency rule in protocol/shm-layout.h): the rate limiter's counts
 * and lockouts live in the master's region, so a ws worker that crashes
 * or is respawned finds them again.  The ws worker is the only writer
 * while it runs.
 */
#include "config.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/shm.h"
#include "protocol/shm-layout.h"

/* FNV-1a; 0 means an unused row, so no address hashes to it. */
static uint64_t
authfail_key(const char *addr)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *addr != '\0'; addr++)
		h = (h ^ (unsigned char)*addr) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

static struct shm_authfail_row *
authfail_at(struct shm_authfail_row *rows, uint64_t key, int i)
{
	return &rows[(key + (uint64_t)i) % SHM_AUTHFAIL_ROWS];
}

/* Nothing in the row counts any more at now. */
static int
authfail_stale(struct shm_authfail_row *row, uint64_t now, uint64_t window_ms)
{
	return atomic_load(&row->locked_until) <= now &&
	    (atomic_load(&row->fails) == 0 ||
	        now - atomic_load(&row->window_start) > window_ms);
}

/*
 * Rows are never emptied and a key takes the first free or stale row of
 * its window, so an unused row ends the search.
 */
static struct shm_authfail_row *
authfail_find(struct shm_authfail_row *rows, uint64_t key)
{
	struct shm_authfail_row *row;
	uint64_t                 k;
	int                      i;

	for (i = 0; i < SHM_AUTHFAIL_PROBE; i++) {
		row = authfail_at(rows, key, i);
		k = atomic_load_explicit(&row->key, memory_order_acquire);
		if (k == key)
			return row;
		if (k == 0)
			return NULL;
	}
	return NULL;
}

/* Take row over for key if it still holds old; 1 if it is key's now. */
static int
authfail_take(struct shm_authfail_row *row, uint64_t old, uint64_t key)
{
	if (!atomic_compare_exchange_strong(&row->key, &old, key))
		return old == key;
	atomic_store(&row->fails, 0);
	atomic_store(&row->window_start, 0);
	atomic_store(&row->locked_until, 0);
	return 1;
}

/*
 * key's row, taking the first unused or stale one of its window; with
 * none, the live row whose lockout ends first is given up.
 */
static struct shm_authfail_row *
authfail_claim(struct shm_authfail_row *rows, uint64_t key, uint64_t now,
    uint64_t window_ms)
{
	struct shm_authfail_row *row, *victim = NULL;
	uint64_t                 k;
	int                      i;

	if ((row = authfail_find(rows, key)) != NULL)
		return row;
	for (i = 0; i < SHM_AUTHFAIL_PROBE; i++) {
		row = authfail_at(rows, key, i);
		k = atomic_load(&row->key);
		if (k == key) /* another writer was first */
			return row;
		if (k == 0 || authfail_stale(row, now, window_ms)) {
			if (authfail_take(row, k, key))
				return row;
			continue;
		}
		if (victim == NULL ||
		    atomic_load(&row->locked_until) <
		        atomic_load(&victim->locked_until))
			victim = row;
	}
	if (victim != NULL &&
	    authfail_take(victim, atomic_load(&victim->key), key))
		return victim;
	return NULL;
}

uint64_t
shm_authfail_locked(struct shm_region *r, const char *addr, uint64_t now)
{
	struct shm_authfail_row *row;
	uint64_t                 until;

	row = authfail_find(shm_authfail_rows(r), authfail_key(addr));
	if (row == NULL)
		return 0;
	until = atomic_load(&row->locked_until);
	return until > now ? until - now : 0;
}

int
shm_authfail_count(struct shm_region *r, const char *addr, uint64_t now,
    uint64_t window_ms, uint64_t max, uint64_t lockout_ms)
{
	struct shm_authfail_row *row;

	row = authfail_claim(shm_authfail_rows(r), authfail_key(addr), now,
	    window_ms);
	if (row == NULL)
		return 0;
	if (now - atomic_load(&row->window_start) > window_ms) {
		atomic_store(&row->window_start, now);
		atomic_store(&row->fails, 0);
	}
	if (atomic_fetch_add(&row->fails, 1) + 1 >= max) {
		atomic_store(&row->locked_until, now + lockout_ms);
		atomic_store(&row->fails, 0);
		return 1;
	}
	return 0;
}
