/*
 * The http worker's route table: a path (exact or prefix) to a handler
 * answered here or a hand-off to another role.  A new endpoint is a row.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "protocol/http-paths.h"
#include "workers/http/http.h"
#include "workers/worker.h"

enum route_match {
	ROUTE_UPGRADE, /* any path, Connection: upgrade */
	ROUTE_EXACT,
	ROUTE_PREFIX, /* the path, or below it ("/x" or "/x/...") */
};

struct http_route_row {
	const char      *path;
	enum route_match match;
	int (*enabled)(const struct http_worker *); /* or NULL */
	/* handler and arg, the body limit (0: no body read) and timeout */
	struct http_route route;
};

static int
route_canvas_on(const struct http_worker *hw)
{
	return hw->w->cfg.canvas_enabled;
}

static void
route_not_found(struct http_conn *c, void *arg)
{
	(void)arg;
	http_respond_error(c, 404, NULL, "Not Found", "not_found");
}

/* clang-format off */
#define PROBE_ROW(path, kind) \
	{ path, ROUTE_EXACT, NULL, { http_probe, HTTP_PROBE(kind), 0, 0, 1 } }
/* clang-format on */

/*
 * First match wins: an upgrade goes to ws whatever its path.  Probes and
 * the 404 serve nothing a page could use and answer whatever the Host;
 * every other route gets the Host rule (http.c sets it).
 */
static const struct http_route_row http_routes[] = {
	{ NULL, ROUTE_UPGRADE, NULL, { http_handoff_upgrade, NULL, 0, 0, 0 } },
	{ CANVAS_PREFIX, ROUTE_PREFIX, route_canvas_on,
	    { http_handoff_to, HTTP_HANDOFF_TO(ROLE_CANVAS), 0, 0, 0 } },
	PROBE_ROW("/health", PROBE_LIVE),
	PROBE_ROW("/healthz", PROBE_LIVE),
	PROBE_ROW("/ready", PROBE_READY),
	PROBE_ROW("/readyz", PROBE_READY),
	PROBE_ROW("/startup", PROBE_STARTUP),
	PROBE_ROW("/startupz", PROBE_STARTUP),
};

static const struct http_route route_default = { route_not_found, NULL, 0, 0,
	1 };

static int
route_matches(const struct http_route_row *r, const struct http_head *h)
{
	size_t n;

	switch (r->match) {
	case ROUTE_UPGRADE:
		return h->upgrade;
	case ROUTE_EXACT:
		return strcmp(h->path, r->path) == 0;
	case ROUTE_PREFIX:
		n = strlen(r->path);
		return strncmp(h->path, r->path, n) == 0 &&
		    (h->path[n] == '\0' || h->path[n] == '/');
	}
	return 0;
}

static const struct http_route *
http_route(struct http_conn *c, void *arg)
{
	const struct http_worker *hw = arg;
	const struct http_head   *h = http_conn_head(c);
	size_t                    i;

	for (i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]); i++)
		if ((http_routes[i].enabled == NULL ||
		        http_routes[i].enabled(hw)) &&
		    route_matches(&http_routes[i], h))
			return &http_routes[i].route;
	return &route_default;
}

static void
http_routes_drained(void *arg)
{
	http_worker_check_drained(arg);
}

const struct http_server_cb http_routes_cb = {
	.route = http_route,
	.conn_gone = http_handoff_forget,
	.drained = http_routes_drained,
};
