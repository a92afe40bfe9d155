/*
 * The shared-memory presence rows are crash-safe: a writer killed in the
 * middle of a write leaves the previous version readable, never a torn
 * row; stateVersion counters behave.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/shm.h"
#include "protocol/shm-layout.h"
#include "t/unit/tap.h"

/* A row whose data repeats one character, so any mix of two is visible. */
static void
fill(char *buf, size_t len, char c)
{
	memset(buf, c, len);
	buf[len] = '\0';
}

static int
consistent(const struct shm_presence *p)
{
	size_t i;

	for (i = 1; i < p->data_len; i++)
		if (p->data[i] != p->data[0])
			return 0;
	return p->key[0] == p->data[0];
}

static void
test_basic(struct shm_region *r)
{
	struct shm_presence p;
	char                buf[64];

	ok(shm_presence_get(r, 3, &p) == 0, "empty row");
	fill(buf, 10, 'a');
	ok(shm_presence_put(r, 3, "a", 42, buf, 10) == 0, "put");
	ok(shm_presence_get(r, 3, &p) == 1 && p.ts == 42 &&
	        strcmp(p.data, buf) == 0,
	    "get returns what was put");
	shm_presence_clear(r, 3);
	ok(shm_presence_get(r, 3, &p) == 0, "cleared");
	ok(shm_presence_put(r, 3, "k", 1, buf, SHM_PRESENCE_DATA) == -1,
	    "oversized data refused");
	is_int(shm_presence_version(r), 1, "stateVersion.presence starts at 1");
	is_int(shm_presence_bump(r), 2, "bump");
	is_int(shm_health_version(r), 1, "stateVersion.health starts at 1");
}

/* A torn write, as a killed writer leaves it: odd seq in the spare slot. */
static void
test_torn(int fd, size_t size, struct shm_region *r)
{
	struct shm_layout        *l;
	struct shm_presence       p;
	struct shm_presence_slot *spare;
	char                      buf[64];

	fill(buf, 20, 'b');
	shm_presence_put(r, 5, "b", 7, buf, 20);
	l = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	spare = &l->presence[5].slot[!atomic_load(&l->presence[5].active)];
	atomic_store(&spare->seq, atomic_load(&spare->seq) + 1);
	memset(spare->data, 'x', 10);
	spare->data_len = 30;
	ok(shm_presence_get(r, 5, &p) == 1 && consistent(&p) &&
	        p.data_len == 20 && p.data[0] == 'b',
	    "a torn spare slot is never read");
	fill(buf, 25, 'c');
	shm_presence_put(r, 5, "c", 8, buf, 25);
	ok(shm_presence_get(r, 5, &p) == 1 && consistent(&p) &&
	        p.data[0] == 'c' && p.data_len == 25,
	    "the next writer repairs the slot");
	munmap(l, size);
}

/* Kill a writer at random moments; every read must be whole. */
static void
test_kill_writer(struct shm_region *r)
{
	struct shm_presence p;
	char                buf[SHM_PRESENCE_DATA];
	int                 round, i, bad = 0, reads = 0, st;
	pid_t               pid;

	for (round = 0; round < 40; round++) {
		if ((pid = fork()) == 0) {
			for (i = 0;; i++) {
				char c = (char)('a' + (i % 26));

				fill(buf, 1000 + (size_t)(i % 800), c);
				shm_presence_put(r, 9, (char[]){ c, '\0' },
				    (uint64_t)i, buf, strlen(buf));
			}
		}
		usleep(200 + (useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		for (i = 0; i < 200; i++, reads++)
			if (shm_presence_get(r, 9, &p) == 1 && !consistent(&p))
				bad++;
	}
	is_int(bad, 0, "no torn row seen in %d reads after 40 killed writers",
	    reads);
}

/* Failed authentications: counts, lockout, expiry, a second mapping. */
static void
test_authfail(int fd, size_t size, struct shm_region *r)
{
	struct shm_region *r2;
	uint64_t           t = 1000000;
	char               addr[32];
	int                i, locked = 0;

	ok(shm_authfail_locked(r, "10.0.0.1", t) == 0, "unknown: not locked");
	ok(shm_authfail_count(r, "10.0.0.1", t, 60000, 3, 5000) == 0 &&
	        shm_authfail_count(r, "10.0.0.1", t + 1, 60000, 3, 5000) == 0,
	    "two failures: not locked");
	ok(shm_authfail_locked(r, "10.0.0.1", t + 2) == 0, "... still open");
	ok(shm_authfail_count(r, "10.0.0.1", t + 2, 60000, 3, 5000) == 1,
	    "the third locks");
	ok(shm_authfail_locked(r, "10.0.0.1", t + 3) == 4999,
	    "ms left of the lockout");
	ok(shm_authfail_locked(r, "10.0.0.2", t + 3) == 0,
	    "another address is not locked");
	r2 = shm_map(fd, size);
	ok(r2 != NULL && shm_authfail_locked(r2, "10.0.0.1", t + 3) == 4999,
	    "a second mapping (a respawned worker) sees the lockout");
	shm_unmap(r2);
	ok(shm_authfail_locked(r, "10.0.0.1", t + 5002) == 0,
	    "the lockout ends");
	ok(shm_authfail_count(r, "10.0.0.3", t, 1000, 2, 5000) == 0 &&
	        shm_authfail_count(r, "10.0.0.3", t + 2000, 1000, 2, 5000) == 0,
	    "failures in two windows do not add up");
	/* far more addresses than rows: the table keeps working */
	for (i = 0; i < 3 * 4096; i++) {
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256, i % 256);
		locked += shm_authfail_count(r, addr, t, 60000, 1, 5000);
	}
	ok(locked == 3 * 4096, "every address locked by its failure");
	ok(shm_authfail_locked(r, "10.1.47.255", t + 1) == 4999,
	    "the last one is found");
}

int
main(void)
{
	struct shm_region *r;
	size_t             size;
	int                fd;

	fd = shm_create(&size);
	ok(fd != -1, "region created");
	r = shm_map(fd, size);
	ok(r != NULL, "region mapped");
	ok(shm_map(fd, size + 1) == NULL, "size mismatch refused");
	test_basic(r);
	test_torn(fd, size, r);
	test_kill_writer(r);
	test_authfail(fd, size, r);
	shm_unmap(r);
	close(fd);
	return tap_done();
}
