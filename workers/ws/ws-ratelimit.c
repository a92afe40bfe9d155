/*
 * Per client IP accounting: unauthenticated sockets (the pre-auth
 * budget), in one small hash table whose entries live only while they
 * count something, and failed authentications (the rate limiter), kept
 * in shared memory so that a lockout outlives this worker.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "workers/worker.h"
#include "workers/ws/ws.h"

#define IP_BUCKETS 4096

struct ws_ipent {
	struct ws_ipent *next;
	char             ip[48];
	long             preauth;
};

static unsigned
ip_hash(const char *ip)
{
	unsigned h = 2166136261u;

	for (; *ip != '\0'; ip++)
		h = (h ^ (unsigned char)*ip) * 16777619u;
	return h % IP_BUCKETS;
}

static struct ws_ipent **
ip_slot(struct ws_server *s, const char *ip)
{
	struct ws_ipent **pp;

	if (s->ips == NULL)
		s->ips = xcalloc(IP_BUCKETS, sizeof(*s->ips));
	for (pp = &s->ips[ip_hash(ip)]; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->ip, ip) == 0)
			break;
	return pp;
}

static struct ws_ipent *
ip_get(struct ws_server *s, const char *ip, int create)
{
	struct ws_ipent **pp = ip_slot(s, ip);

	if (*pp == NULL && create) {
		*pp = xcalloc(1, sizeof(**pp));
		strncpy((*pp)->ip, ip, sizeof((*pp)->ip) - 1);
	}
	return *pp;
}

static int
ip_stale(const struct ws_ipent *e)
{
	return e->preauth == 0;
}

/* Forget the entry once it counts nothing. */
static void
ip_gc(struct ws_server *s, const char *ip)
{
	struct ws_ipent **pp = ip_slot(s, ip), *e = *pp;

	if (e == NULL || !ip_stale(e))
		return;
	*pp = e->next;
	free(e);
}

void
ws_ip_sweep(struct ws_server *s)
{
	struct ws_ipent **pp, *e;
	int               i;

	if (s->ips == NULL)
		return;
	for (i = 0; i < IP_BUCKETS; i++)
		for (pp = &s->ips[i]; (e = *pp) != NULL;) {
			if (ip_stale(e)) {
				*pp = e->next;
				free(e);
			} else
				pp = &e->next;
		}
}

int
ws_ip_preauth_inc(struct ws_server *s, const char *ip, long max)
{
	struct ws_ipent *e = ip_get(s, ip, 1);

	if (e->preauth >= max) {
		ip_gc(s, ip);
		return -1;
	}
	e->preauth++;
	return 0;
}

/* The address a CLI on this machine connects from. */
static int
ip_local_cli(const char *ip)
{
	return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0 ||
	    strcmp(ip, "::ffff:127.0.0.1") == 0;
}

/*
 * The budget of ip is full.  On the local CLI's address, the oldest of
 * its unauthenticated sockets is closed (1013) to make room: any local
 * process could otherwise lock the CLI out for the handshake window by
 * holding the budget with silent sockets, and now it would have to open
 * a whole budget's worth within the CLI's round trip, again and again.
 * The count of unauthenticated sockets stays bounded by the budget.
 * Elsewhere the upgrade is refused (503), as the reference does.
 * Returns 0 if a slot was freed.
 */
int
ws_ip_preauth_evict(struct ws_server *s, const char *ip)
{
	struct ws_conn *c;

	if (!ip_local_cli(ip))
		return -1;
	/* New connections go to the head: the tail is the oldest. */
	TAILQ_FOREACH_REVERSE(c, &s->conns, ws_conn_list, entry)
		if (c->state == WSC_PREAUTH && strcmp(c->ip, ip) == 0) {
			if (log_limit("pre-auth evict", ip))
				log_info("%s: unauthenticated connection budget full: "
				         "closing the oldest (conn %s)",
				    ip, c->conn_id);
			ws_conn_close(c, WS_CLOSE_TRY_LATER,
			    "too many unauthenticated connections");
			return 0;
		}
	return -1;
}

void
ws_ip_preauth_dec(struct ws_server *s, const char *ip)
{
	struct ws_ipent *e = ip_get(s, ip, 0);

	if (e != NULL && e->preauth > 0)
		e->preauth--;
	ip_gc(s, ip);
}

uint64_t
ws_ip_locked(struct ws_server *s, const char *ip, int exempt)
{
	if (exempt)
		return 0;
	return shm_authfail_locked(s->w->shm, ip, util_mono_ms());
}

void
ws_ip_failed(struct ws_server *s, const char *ip, int exempt)
{
	const struct gw_config *cfg = &s->w->cfg;

	if (exempt)
		return;
	if (shm_authfail_count(s->w->shm, ip, util_mono_ms(),
	        (uint64_t)cfg->rl_window_ms, (uint64_t)cfg->rl_max_attempts,
	        (uint64_t)cfg->rl_lockout_ms) &&
	    log_limit("lockout", ip))
		log_info("%s: locked out for %ld ms after %ld failed "
		         "authentications",
		    ip, cfg->rl_lockout_ms, cfg->rl_max_attempts);
}

void
ws_ip_free_all(struct ws_server *s)
{
	struct ws_ipent *e, *next;
	int              i;

	if (s->ips == NULL)
		return;
	for (i = 0; i < IP_BUCKETS; i++)
		for (e = s->ips[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(s->ips);
	s->ips = NULL;
}
