/*
 * Supervision policy: what happens when a worker dies that the master
 * did not tell to go (proc.c does the mechanics: reaping, timers,
 * spawning).
 *  - It is respawned after a delay that starts at PROC_BACKOFF_MIN and
 *    doubles with each death up to PROC_BACKOFF_MAX, with +/- 20 %
 *    jitter so that workers of several gateways, or a crash caused by
 *    one shared resource, do not come back in lock step.  A worker that
 *    ran PROC_STABLE_MS starts over at the minimum.
 *  - A worker that exits EXIT_CONFIG (78) is never respawned: it would
 *    fail the same way forever.  The gateway stops with 78, which
 *    systemd's RestartPreventExitStatus=78 leaves stopped: a config
 *    error needs an operator, not a restart loop.
 *  - SUPERVISE_LOOP_DEATHS deaths of one role within
 *    SUPERVISE_LOOP_WINDOW_MS are a crash loop: the master stops the
 *    gateway (draining the other workers) and exits 1, so that the
 *    service manager, which can do more (rate limits, alerts, a
 *    restart from scratch), takes over.
 * Deaths the master caused (a drain, a stop, a restart's old
 * generation) are not deaths here: proc.c asks only about workers it
 * would respawn.  A worker killed by the watchdog, or because its
 * channel closed without an exit, or whose setup failed, counts: it
 * hung or broke on its own.  So does a spawn that failed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "master/master.h"
#include "protocol/roles.h"

#define SUPERVISE_JITTER_PCT 20

/* Per role: the times of its last deaths, a ring. */
struct supervise_deaths {
	uint64_t sd_at[SUPERVISE_LOOP_DEATHS]; /* monotonic ms */
	unsigned sd_next;
	unsigned sd_count; /* saturates at SUPERVISE_LOOP_DEATHS */
};

static struct supervise_deaths supervise_roles[ROLE_MAX];

/* A random offset in [-pct, +pct] % of ms; none without randomness. */
static int64_t
supervise_jitter(uint64_t ms)
{
	uint32_t r;
	int64_t  span = (int64_t)(ms * SUPERVISE_JITTER_PCT / 100);

	if (span == 0 || util_random(&r, sizeof(r)) == -1)
		return 0;
	return (int64_t)(r % (uint64_t)(2 * span + 1)) - span;
}

uint64_t
supervise_next_delay(struct proc *p)
{
	uint64_t base = p->p_backoff;

	p->p_backoff = base * 2 > PROC_BACKOFF_MAX ? PROC_BACKOFF_MAX :
	                                             base * 2;
	return (uint64_t)((int64_t)base + supervise_jitter(base));
}

static void
supervise_record(struct supervise_deaths *d, uint64_t at)
{
	d->sd_at[d->sd_next] = at;
	d->sd_next = (d->sd_next + 1) % SUPERVISE_LOOP_DEATHS;
	if (d->sd_count < SUPERVISE_LOOP_DEATHS)
		d->sd_count++;
}

/* Record a death of p's role now; 1 if that makes a crash loop. */
static int
supervise_count(const struct proc *p, uint64_t now)
{
	struct supervise_deaths *d;
	uint64_t                 oldest;

	if ((unsigned)p->p_role >= ROLE_MAX)
		return 0;
	d = &supervise_roles[p->p_role];
	supervise_record(d, now);
	if (d->sd_count < SUPERVISE_LOOP_DEATHS)
		return 0;
	/* The ring is full: sd_next is the oldest of the last deaths. */
	oldest = d->sd_at[d->sd_next];
	return now - oldest <= SUPERVISE_LOOP_WINDOW_MS;
}

/* One error line; on stderr too when it is not the log's stream. */
static void
supervise_say(const char *role, const char *why, int status)
{
	log_errorx("worker %s %s; stopping (exit status %d)", role, why,
	    status);
	if (!master_stderr_is_stdout())
		fprintf(stderr,
		    "openclaw gateway: worker %s %s; exiting with status %d "
		    "(see the log)\n",
		    role, why, status);
}

static enum supervise_action
supervise_death(struct proc *p)
{
	char why[128];

	if (!supervise_count(p, util_mono_ms()))
		return SUPERVISE_RESPAWN;
	snprintf(why, sizeof(why),
	    "died %d times within %d s: a crash loop, left to the service "
	    "manager",
	    SUPERVISE_LOOP_DEATHS, SUPERVISE_LOOP_WINDOW_MS / 1000);
	supervise_say(role_name(p->p_role), why, EXIT_RUNTIME);
	return SUPERVISE_STOP_LOOP;
}

/*
 * p exited with status after running ran ms, and the master neither
 * stopped nor drained it.  What now.
 */
enum supervise_action
supervise_exit(struct proc *p, int status, uint64_t ran)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CONFIG) {
		supervise_say(role_name(p->p_role),
		    "failed on its configuration", EXIT_CONFIG);
		return SUPERVISE_STOP_CONFIG;
	}
	if (!(p->p_flags & PROC_RESPAWN))
		return SUPERVISE_RELEASE;
	if (ran >= PROC_STABLE_MS)
		p->p_backoff = PROC_BACKOFF_MIN;
	return supervise_death(p);
}

/* A spawn that failed: a death like any other. */
enum supervise_action
supervise_spawn_failed(struct proc *p)
{
	return supervise_death(p);
}

/*
 * The deaths of each role, oldest first, for a restart's new image
 * (restart-state.c): a crash loop is one across restarts too.  The
 * times are monotonic, the same clock on both sides of the exec.
 */
struct json_object *
supervise_save(void)
{
	struct json_object            *o = json_object_new_object(), *a;
	const struct supervise_deaths *d;
	unsigned                       r, i, first;

	for (r = 0; r < ROLE_MAX; r++) {
		d = &supervise_roles[r];
		if (d->sd_count == 0 || role_get(r) == NULL)
			continue;
		a = json_object_new_array();
		first = d->sd_next + SUPERVISE_LOOP_DEATHS - d->sd_count;
		for (i = 0; i < d->sd_count; i++)
			json_object_array_add(a,
			    json_object_new_int64((int64_t)d->sd_at[(first + i) %
			        SUPERVISE_LOOP_DEATHS]));
		json_object_object_add(o, role_name(r), a);
	}
	return o;
}

void
supervise_restore(struct json_object *o)
{
	const struct role *r;
	size_t             i, n;

	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, name, a)
	{
		if ((r = role_by_name(name)) == NULL ||
		    !json_object_is_type(a, json_type_array))
			continue;
		n = json_object_array_length(a);
		for (i = 0; i < n; i++)
			supervise_record(&supervise_roles[r->r_role],
			    (uint64_t)json_object_get_int64(
			        json_object_array_get_idx(a, i)));
	}
}
