/*
 * The role table: every row is reachable by number and by name, the
 * pairs name real roles once each and accept only worker <-> worker
 * messages in both directions, and the canvas runs only when enabled.
 */
#include "config.h"

#include <string.h>

#include "common/cfg.h"
#include "protocol/ipc-msg.h"
#include "protocol/roles.h"
#include "t/unit/tap.h"

/* 1 if the 0-terminated list holds only types in [lo, hi]. */
static int
in_band(const uint32_t *l, uint32_t lo, uint32_t hi)
{
	if (l == NULL || l[0] == 0)
		return 0;
	for (; *l != 0; l++)
		if (*l < lo || *l > hi)
			return 0;
	return 1;
}

static void
test_rows(void)
{
	const struct role *r;
	int                n = 0, gate = 0;

	for (r = roles; r->r_name != NULL; r++, n++) {
		ok(r->r_role > 0 && r->r_role < ROLE_MAX, "%s: number in range",
		    r->r_name);
		ok(role_get(r->r_role) == r, "%s: found by number", r->r_name);
		ok(role_by_name(r->r_name) == r, "%s: found by name",
		    r->r_name);
		is_str(role_name(r->r_role), r->r_name, "%s: named", r->r_name);
		ok(r->r_ops != NULL && r->r_subsys != NULL,
		    "%s: entry point and log subsystem", r->r_name);
		ok(r->r_listen < ROLE_LISTENS(LISTEN_MAX) &&
		        !(r->r_listen & ROLE_LISTENS(0)),
		    "%s: listener kinds", r->r_name);
		gate += r->r_gates_ready;
	}
	is_int(n, ROLE_MAX - 1, "one row per role");
	ok(gate > 0, "some role gates readiness");
	ok(role_get(0) == NULL && role_get(ROLE_MAX) == NULL &&
	        role_by_name("nope") == NULL,
	    "no row for what is no role");
	is_str(role_name(ROLE_MAX), "?", "a number that is no role");
	is_int(roles[0].r_role, ROLE_WS, "ws spawns first");
}

static void
test_pairs(void)
{
	const struct role_pair *p, *q;
	int                     dup = 0;

	for (p = role_pairs; p->p_a != 0; p++) {
		ok(role_get(p->p_a) != NULL && role_get(p->p_b) != NULL &&
		        p->p_a != p->p_b,
		    "pair %s-%s: two roles", role_name(p->p_a),
		    role_name(p->p_b));
		ok(in_band(p->p_a_accepts, 300, 399) &&
		        in_band(p->p_b_accepts, 300, 399),
		    "pair %s-%s: worker messages both ways", role_name(p->p_a),
		    role_name(p->p_b));
		ok(role_peer_accepts(p->p_a, p->p_b) == p->p_a_accepts &&
		        role_peer_accepts(p->p_b, p->p_a) == p->p_b_accepts,
		    "pair %s-%s: looked up from either side", role_name(p->p_a),
		    role_name(p->p_b));
		for (q = p + 1; q->p_a != 0; q++)
			if ((q->p_a == p->p_a && q->p_b == p->p_b) ||
			    (q->p_a == p->p_b && q->p_b == p->p_a))
				dup++;
	}
	is_int(dup, 0, "no pair twice");
	ok(role_peer_accepts(ROLE_WS, ROLE_CANVAS) == NULL &&
	        role_peer_accepts(ROLE_HTTP, ROLE_HTTP) == NULL &&
	        role_peer_accepts(ROLE_HTTP, ROLE_MAX) == NULL,
	    "no channel between roles the table does not pair");
	is_int(role_peer_accepts(ROLE_WS, ROLE_HTTP)[0], IMSG_HANDOFF,
	    "ws takes hand-offs from http");
	is_int(role_peer_accepts(ROLE_HTTP, ROLE_CANVAS)[0], IMSG_HANDOFF_ACK,
	    "http takes acks from canvas");
	ok(in_band(role_from_master, 100, 199), "master -> worker band");
	ok(in_band(role_to_master, 200, 299), "worker -> master band");
}

static void
test_wanted(void)
{
	struct gw_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	ok(role_wanted(role_get(ROLE_HTTP), &cfg) &&
	        role_wanted(role_get(ROLE_WS), &cfg),
	    "http and ws always run");
	ok(!role_wanted(role_get(ROLE_CANVAS), &cfg), "canvas off");
	cfg.canvas_enabled = 1;
	ok(role_wanted(role_get(ROLE_CANVAS), &cfg), "canvas when enabled");
}

/* The names socket activation matches LISTEN_FDNAMES against. */
static void
test_listener_names(void)
{
	uint32_t k;

	is_str(listener_name(LISTEN_MAIN), "main", "main listener's name");
	is_str(listener_name(LISTEN_CANVAS), "canvas",
	    "canvas listener's name");
	is_str(listener_name(0), "?", "kind 0 has no name");
	is_str(listener_name(LISTEN_MAX), "?", "LISTEN_MAX has no name");
	for (k = 1; k < LISTEN_MAX; k++)
		is_int(listener_by_name(listener_name(k)), k,
		    "listener_by_name(listener_name(%u))", k);
	is_int(listener_by_name("web"), 0, "an unknown name is no kind");
	is_int(listener_by_name(""), 0, "nor is the empty name");
}

int
main(void)
{
	test_rows();
	test_pairs();
	test_wanted();
	test_listener_names();
	return tap_done();
}
