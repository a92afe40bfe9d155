/*
 * The shared-memory region created by the master and mapped by every
 * worker: the presence table and its stateVersion counters, and the
 * failed-authentication table (shm-authfail.c; layout in
 * protocol/shm-layout.h).  Single writer (ws), many readers.  Rows are
 * double-buffered behind sequence counters, so a writer killed in the
 * middle of a write leaves the previous version of the row intact.
 */
#ifndef COMMON_SHM_H
#define COMMON_SHM_H

#include <stddef.h>
#include <stdint.h>

struct shm_region;

/* Master: create, size and initialize the region; returns its fd or -1. */
int shm_create(size_t *sizep);
/* Any process: map a region received as fd (fd is not closed). */
struct shm_region *shm_map(int fd, size_t size);
void               shm_unmap(struct shm_region *);

/* A consistent copy of one presence row. */
struct shm_presence {
	uint64_t ts;
	char     key[128];
	char     data[1920];
	size_t   data_len;
};

int shm_presence_rows(void);
/* Writer (ws only).  Returns -1 if key/data do not fit. */
int shm_presence_put(struct shm_region *, int row, const char *key, uint64_t ts,
    const char *data, size_t len);
void shm_presence_clear(struct shm_region *, int row);
/* 1 and a copy in out if the row is in use, 0 if empty. */
int shm_presence_get(struct shm_region *, int row, struct shm_presence *out);

/* stateVersion counters; both start at 1. */
uint64_t shm_presence_version(struct shm_region *);
uint64_t shm_presence_bump(struct shm_region *);
uint64_t shm_health_version(struct shm_region *);
uint64_t shm_health_bump(struct shm_region *);
/* Count a ws worker start; returns the new count. */
uint64_t shm_ws_started(struct shm_region *);

/*
 * Failed authentications per client address (shm-authfail.c); now is
 * util_mono_ms().  ms until addr's lockout ends, 0 if not locked.
 */
struct shm_authfail_row *shm_authfail_rows(struct shm_region *);
uint64_t
shm_authfail_locked(struct shm_region *, const char *addr, uint64_t now);
/*
 * Count one failure of addr: max failures within window_ms lock it out
 * for lockout_ms.  Returns 1 if this one locked it.
 */
int shm_authfail_count(struct shm_region *, const char *addr, uint64_t now,
    uint64_t window_ms, uint64_t max, uint64_t lockout_ms);
/*
 * The dropped-log-line counters of process row `row` (0: master, else
 * the role number); NULL if there is no such row.
 */
struct shm_log_drops *shm_log_drops(struct shm_region *, int row);

#endif
