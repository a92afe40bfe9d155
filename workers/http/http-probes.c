/* Liveness, readiness and startup probes (protocol.md section 8.1). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "workers/http/http.h"
#include "workers/worker.h"

enum probe_kind { PROBE_LIVE, PROBE_READY, PROBE_STARTUP };

static const struct {
	const char	*path;
	enum probe_kind	 kind;
} probes[] = {
	{ "/health", PROBE_LIVE },
	{ "/healthz", PROBE_LIVE },
	{ "/ready", PROBE_READY },
	{ "/readyz", PROBE_READY },
	{ "/startup", PROBE_STARTUP },
	{ "/startupz", PROBE_STARTUP },
};

static void
probe_ready(struct http_conn *c, struct worker *w, uint64_t uptime)
{
	char		 body[256];
	int		 ready = w->phase == PHASE_READY;
	const char	*failing = w->phase == PHASE_STARTING ? "\"startup\"" :
	    w->phase == PHASE_DRAINING ? "\"draining\"" : "";

	/* Anonymous remote callers learn only the verdict. */
	if (c->local)
		snprintf(body, sizeof(body), "{\"ready\":%s,\"failing\":[%s],"
		    "\"uptimeMs\":%llu}", ready ? "true" : "false", failing,
		    (unsigned long long)uptime);
	else
		snprintf(body, sizeof(body), "{\"ready\":%s}",
		    ready ? "true" : "false");
	http_conn_json(c, ready ? 200 : 503, NULL, body);
}

static void
probe_startup(struct http_conn *c, struct worker *w, uint64_t uptime)
{
	char		 body[256];
	int		 started = w->phase != PHASE_STARTING;
	const char	*status = started ? "started" : "starting";

	if (c->local)
		snprintf(body, sizeof(body), "{\"ok\":%s,\"status\":\"%s\","
		    "\"version\":\"%s\",\"uptimeMs\":%llu%s}",
		    started ? "true" : "false", status, PACKAGE_VERSION,
		    (unsigned long long)uptime, started ? "" :
		    ",\"pendingReason\":\"startup-sidecars\"");
	else
		snprintf(body, sizeof(body), "{\"ok\":%s,\"status\":\"%s\"}",
		    started ? "true" : "false", status);
	http_conn_json(c, started ? 200 : 503, NULL, body);
}

int
http_probe_route(struct http_conn *c)
{
	struct worker	*w = c->srv->w;
	uint64_t	 now = util_now_ms(), uptime;
	size_t		 i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (strcmp(c->head.path, probes[i].path) == 0)
			break;
	if (i == sizeof(probes) / sizeof(probes[0]))
		return 0;
	if (c->head.method != HTTP_GET && c->head.method != HTTP_HEAD) {
		http_conn_json(c, 405, "Allow: GET, HEAD\r\n",
		    "{\"error\":{\"message\":\"Method Not Allowed\","
		    "\"type\":\"method_not_allowed\"}}");
		return 1;
	}
	uptime = now > w->hello.boot_ms ? now - w->hello.boot_ms : 0;
	switch (probes[i].kind) {
	case PROBE_LIVE:
		http_conn_json(c, 200, NULL, "{\"ok\":true,\"status\":\"live\"}");
		break;
	case PROBE_READY:
		probe_ready(c, w, uptime);
		break;
	case PROBE_STARTUP:
		probe_startup(c, w, uptime);
		break;
	}
	return 1;
}
