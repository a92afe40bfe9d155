/*
 * The supervision policy (master/supervise.c) without processes: the
 * respawn delays (100 ms doubling to 30 s, +/- 20 %), the reset after a
 * minute of uptime, exit 78 never respawned, a role without respawn
 * forgotten, and the crash loop at the tenth death of one role (another
 * role's deaths do not add up with it), across a restart too.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "master/master.h"
#include "protocol/roles.h"
#include "t/unit/tap.h"

#define EXITED(n) ((n) << 8) /* a wait status: exit(n) */
#define KILLED(s) (s)        /* a wait status: killed by signal s */

static void
proc_init(struct proc *p, enum worker_role role)
{
	memset(p, 0, sizeof(*p));
	p->p_used = 1;
	p->p_role = role;
	p->p_backoff = PROC_BACKOFF_MIN;
	p->p_flags = PROC_RESPAWN;
}

static void
test_delays(void)
{
	struct proc p;
	uint64_t    base = PROC_BACKOFF_MIN, d, lo, hi;
	int         i, jittered = 0;

	proc_init(&p, ROLE_HTTP);
	for (i = 0; i < 14; i++) {
		d = supervise_next_delay(&p);
		lo = base * 80 / 100;
		hi = base * 120 / 100;
		ok(d >= lo && d <= hi, "delay %d: %llu ms within %llu..%llu", i,
		    (unsigned long long)d, (unsigned long long)lo,
		    (unsigned long long)hi);
		jittered |= d != base;
		base = base * 2 > PROC_BACKOFF_MAX ? PROC_BACKOFF_MAX :
		                                     base * 2;
	}
	ok(jittered, "the delays are jittered");
	is_int((long)p.p_backoff, PROC_BACKOFF_MAX, "capped at 30 s");
	is_int(PROC_BACKOFF_MAX, 30000, "the cap is 30 s");

	/* A worker that ran a minute starts over; one that did not, not. */
	(void)supervise_exit(&p, KILLED(SIGSEGV), PROC_STABLE_MS - 1);
	is_int((long)p.p_backoff, PROC_BACKOFF_MAX, "59.999 s up: no reset");
	(void)supervise_exit(&p, KILLED(SIGSEGV), PROC_STABLE_MS);
	is_int((long)p.p_backoff, PROC_BACKOFF_MIN, "60 s up: reset to 100 ms");
}

static void
test_outcomes(void)
{
	struct proc p;

	proc_init(&p, ROLE_CANVAS);
	is_int(supervise_exit(&p, EXITED(EXIT_CONFIG), 5),
	    SUPERVISE_STOP_CONFIG,
	    "exit 78: never respawned, the gateway stops");
	p.p_flags = 0;
	is_int(supervise_exit(&p, EXITED(1), 5), SUPERVISE_RELEASE,
	    "a role that is not respawned: forgotten");
}

static void
test_crash_loop(void)
{
	struct proc ws, other;
	int         i;

	proc_init(&ws, ROLE_WS);
	proc_init(&other, ROLE_CANVAS);
	for (i = 1; i < SUPERVISE_LOOP_DEATHS; i++) {
		is_int(supervise_exit(&ws, i % 2 ? KILLED(SIGKILL) : EXITED(1),
		           5),
		    SUPERVISE_RESPAWN, "ws death %d: respawned", i);
		is_int(supervise_spawn_failed(&other), SUPERVISE_RESPAWN,
		    "canvas spawn failure %d: tried again", i);
	}
	is_int(supervise_exit(&ws, KILLED(SIGKILL), 5), SUPERVISE_STOP_LOOP,
	    "ws death %d within 5 min: a crash loop", SUPERVISE_LOOP_DEATHS);
	is_int(supervise_spawn_failed(&other), SUPERVISE_STOP_LOOP,
	    "canvas: its tenth failure is one too");
}

/* The deaths cross a restart's exec in its state (restart-state.c). */
static void
test_restart_state(void)
{
	struct json_object *o, *a, *junk;
	struct proc         p;
	uint64_t            now = util_mono_ms();
	int                 i, sorted = 1;

	o = supervise_save();
	ok(json_object_object_get_ex(o, "ws", &a) &&
	        json_object_array_length(a) == SUPERVISE_LOOP_DEATHS,
	    "saved: the ten deaths of ws");
	for (i = 1; a != NULL && i < (int)json_object_array_length(a); i++)
		if (json_object_get_int64(json_object_array_get_idx(a, i - 1)) >
		    json_object_get_int64(json_object_array_get_idx(a, i)))
			sorted = 0;
	ok(sorted, "saved oldest first");
	json_object_put(o);

	junk = json_tokener_parse("{\"nope\": [1], \"http\": \"x\"}");
	supervise_restore(junk);
	json_object_put(junk);
	o = json_object_new_object();
	a = json_object_new_array();
	for (i = 1; i < SUPERVISE_LOOP_DEATHS; i++)
		json_object_array_add(a,
		    json_object_new_int64((int64_t)(now - 1000)));
	json_object_object_add(o, "http", a);
	supervise_restore(o);
	json_object_put(o);
	proc_init(&p, ROLE_HTTP);
	is_int(supervise_exit(&p, EXITED(1), 5), SUPERVISE_STOP_LOOP,
	    "nine deaths before the restart and one after: a crash loop");
}

int
main(void)
{
	log_init("test", 0);
	test_delays();
	test_outcomes();
	test_crash_loop();
	test_restart_state();
	return tap_done();
}
