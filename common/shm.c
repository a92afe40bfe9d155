#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "protocol/shm-layout.h"

/* A reader gives up on a row being rewritten this many times in a row. */
#define SHM_READ_RETRIES 1000

struct shm_region {
	struct shm_layout *l;
	size_t             size;
};

static int
shm_open_anon(void)
{
#ifdef HAVE_MEMFD_CREATE
	return memfd_create("openclaw-gateway", MFD_CLOEXEC);
#else
	char name[64];
	int  fd;

	snprintf(name, sizeof(name), "/openclaw-gw-%ld", (long)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd != -1)
		shm_unlink(name);
	return fd;
#endif
}

int
shm_create(size_t *sizep)
{
	struct shm_layout *l;
	size_t             size = sizeof(struct shm_layout);
	int                fd;

	if ((fd = shm_open_anon()) == -1) {
		log_warn("shared memory");
		return -1;
	}
	if (ftruncate(fd, (off_t)size) == -1) {
		log_warn("shared memory: ftruncate");
		close(fd);
		return -1;
	}
	l = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (l == MAP_FAILED) {
		log_warn("shared memory: mmap");
		close(fd);
		return -1;
	}
	/* ftruncate gave zeroed pages: only the header needs values. */
	l->hdr.magic = SHM_MAGIC;
	l->hdr.version = SHM_LAYOUT_VERSION;
	l->hdr.size = size;
	atomic_store(&l->hdr.presence_version, 1);
	atomic_store(&l->hdr.health_version, 1);
	l->hdr.boot_ms = util_now_ms();
	munmap(l, size);
	*sizep = size;
	return fd;
}

struct shm_region *
shm_map(int fd, size_t size)
{
	struct shm_region *r;
	struct shm_layout *l;

	if (size != sizeof(struct shm_layout)) {
		log_warnx("shared memory: size %zu, expected %zu", size,
		    sizeof(struct shm_layout));
		return NULL;
	}
	l = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (l == MAP_FAILED) {
		log_warn("shared memory: mmap");
		return NULL;
	}
	if (l->hdr.magic != SHM_MAGIC || l->hdr.version != SHM_LAYOUT_VERSION) {
		log_warnx("shared memory: layout version mismatch");
		munmap(l, size);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->l = l;
	r->size = size;
	return r;
}

void
shm_unmap(struct shm_region *r)
{
	if (r == NULL)
		return;
	munmap(r->l, r->size);
	free(r);
}

int
shm_presence_rows(void)
{
	return SHM_PRESENCE_ROWS;
}

static void
shm_slot_write(struct shm_presence_row *row, int used, const char *key,
    uint64_t ts, const char *data, size_t len)
{
	struct shm_presence_slot *s;
	uint32_t                  a, seq;

	a = atomic_load_explicit(&row->active, memory_order_relaxed);
	s = &row->slot[!a];
	seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	seq += (seq & 1) ? 1 : 0; /* a writer died here: repair */
	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	s->used = used;
	s->ts = ts;
	s->key_len = used ? (uint32_t)strlen(key) : 0;
	s->data_len = used ? (uint32_t)len : 0;
	if (used) {
		memcpy(s->key, key, s->key_len + 1);
		memcpy(s->data, data, len);
		s->data[len] = '\0';
	}
	atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
	atomic_store_explicit(&row->active, !a, memory_order_release);
}

int
shm_presence_put(struct shm_region *r, int row, const char *key, uint64_t ts,
    const char *data, size_t len)
{
	uint32_t hwm;

	if (row < 0 || row >= SHM_PRESENCE_ROWS ||
	    strlen(key) >= SHM_PRESENCE_KEY || len >= SHM_PRESENCE_DATA)
		return -1;
	/* Raised first: a writer killed after it leaves no row unseen. */
	hwm = atomic_load(&r->l->hdr.presence_hwm);
	while (hwm < (uint32_t)row + 1 &&
	    !atomic_compare_exchange_weak(&r->l->hdr.presence_hwm, &hwm,
	        (uint32_t)row + 1))
		;
	shm_slot_write(&r->l->presence[row], 1, key, ts, data, len);
	return 0;
}

void
shm_presence_clear(struct shm_region *r, int row)
{
	if (row >= 0 && row < SHM_PRESENCE_ROWS)
		shm_slot_write(&r->l->presence[row], 0, NULL, 0, NULL, 0);
}

int
shm_presence_get(struct shm_region *r, int row, struct shm_presence *out)
{
	struct shm_presence_row  *pr = &r->l->presence[row];
	struct shm_presence_slot *s;
	uint32_t                  a, s1, s2, klen, dlen;
	int                       tries, used;

	if ((uint32_t)row >=
	    atomic_load_explicit(&r->l->hdr.presence_hwm, memory_order_acquire))
		return 0;
	for (tries = 0; tries < SHM_READ_RETRIES; tries++) {
		a = atomic_load_explicit(&pr->active, memory_order_acquire);
		s = &pr->slot[a & 1];
		s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (s1 & 1)
			continue;
		used = s->used;
		klen = s->key_len;
		dlen = s->data_len;
		if (used &&
		    (klen >= SHM_PRESENCE_KEY || dlen >= SHM_PRESENCE_DATA))
			continue;
		if (used) {
			out->ts = s->ts;
			memcpy(out->key, s->key, klen);
			out->key[klen] = '\0';
			memcpy(out->data, s->data, dlen);
			out->data[dlen] = '\0';
			out->data_len = dlen;
		}
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (s1 == s2)
			return used ? 1 : 0;
	}
	return 0;
}

uint64_t
shm_presence_version(struct shm_region *r)
{
	return atomic_load(&r->l->hdr.presence_version);
}

uint64_t
shm_presence_bump(struct shm_region *r)
{
	return atomic_fetch_add(&r->l->hdr.presence_version, 1) + 1;
}

uint64_t
shm_health_version(struct shm_region *r)
{
	return atomic_load(&r->l->hdr.health_version);
}

uint64_t
shm_health_bump(struct shm_region *r)
{
	return atomic_fetch_add(&r->l->hdr.health_version, 1) + 1;
}

uint64_t
shm_ws_started(struct shm_region *r)
{
	return atomic_fetch_add(&r->l->hdr.ws_restarts, 1) + 1;
}

struct shm_authfail_row *
shm_authfail_rows(struct shm_region *r)
{
	return r->l->authfail;
}

struct shm_log_drops *
shm_log_drops(struct shm_region *r, int row)
{
	if (r == NULL || row < 0 || row >= SHM_LOG_ROWS)
		return NULL;
	return &r->l->log_drops[row];
}
