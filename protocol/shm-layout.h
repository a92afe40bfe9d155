/*
 * Layout of the shared-memory region (common/shm.c).  Created by the
 * master, written only by the ws worker, read by everyone; it outlives
 * workers so presence and stateVersion continue across worker crashes
 * and restarts.  Changing anything here bumps
 * SHM_LAYOUT_VERSION.
 */
#ifndef PROTOCOL_SHM_LAYOUT_H
#define PROTOCOL_SHM_LAYOUT_H

#include <stdatomic.h>
#include <stdint.h>

#define SHM_MAGIC          0x4f43475753484d31ULL /* "OCGWSHM1" */
#define SHM_LAYOUT_VERSION 4

#define SHM_PRESENCE_ROWS 256 /* 200 entries + self + margin */
#define SHM_PRESENCE_KEY  128
#define SHM_PRESENCE_DATA 1920 /* PresenceEntry JSON text */

/*
 * A presence row holds two slots; the writer fills the inactive one
 * behind its sequence counter (odd while writing) and then flips
 * `active`.  A writer killed mid-write leaves only the inactive slot
 * torn, and readers never look at it.
 */
struct shm_presence_slot {
	_Atomic uint32_t seq;
	uint32_t         used;
	uint64_t         ts; /* freshness, epoch ms */
	uint32_t         key_len;
	uint32_t         data_len;
	char             key[SHM_PRESENCE_KEY];
	char             data[SHM_PRESENCE_DATA];
};

struct shm_presence_row {
	_Atomic uint32_t         active;
	uint32_t                 pad;
	struct shm_presence_slot slot[2];
};

struct shm_header {
	uint64_t         magic;
	uint32_t         version;
	uint32_t         pad;
	uint64_t         size;
	_Atomic uint64_t presence_version; /* stateVersion.presence */
	_Atomic uint64_t health_version;   /* stateVersion.health */
	_Atomic uint64_t ws_restarts;      /* ws worker starts */
	uint64_t         boot_ms;
	/*
	 * Rows at or above this were never written.  Readers stop there:
	 * the first touch of a shared page costs a fault, and a scan of
	 * the whole table made a worker's start 16 ms slower.
	 */
	_Atomic uint32_t presence_hwm;
	uint32_t         pad2;
};

/*
 * Failed authentications per client address (common/shm-authfail.c), so
 * that a ws crash or respawn does not lift a lockout.  Open addressing:
 * a row belongs to the address whose 64-bit hash is its key (0: never
 * used), found within SHM_AUTHFAIL_PROBE rows of the hash; rows are
 * never emptied, a stale one is taken over.  Every field is one atomic
 * word and a row is claimed by compare-and-swap on its key, so two ws
 * generations that overlap may lose a count, never tear a row.  Times
 * are CLOCK_MONOTONIC ms, the same clock in every process.
 */
#define SHM_AUTHFAIL_ROWS  4096
#define SHM_AUTHFAIL_PROBE 32

struct shm_authfail_row {
	_Atomic uint64_t key;
	_Atomic uint64_t window_start;
	_Atomic uint64_t locked_until;
	_Atomic uint32_t fails;
	uint32_t         pad;
};

/*
 * Log lines each process dropped (common/log-sink.c), for `health`: one
 * row per process, written by that process only.  Row 0 is the master's,
 * a worker's is its role number (protocol/roles.h); a respawned worker
 * goes on counting in its role's row.
 */
#define SHM_LOG_ROWS 8

struct shm_log_drops {
	_Atomic uint64_t stdout_lines; /* stdout blocked or failing */
	_Atomic uint64_t file_lines;   /* log file full or failing */
};

struct shm_layout {
	struct shm_header       hdr;
	struct shm_presence_row presence[SHM_PRESENCE_ROWS];
	struct shm_authfail_row authfail[SHM_AUTHFAIL_ROWS];
	struct shm_log_drops    log_drops[SHM_LOG_ROWS];
};

#endif
