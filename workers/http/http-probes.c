/* Liveness, readiness and startup probes (protocol.md section 8.1). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "workers/http/http.h"
#include "workers/worker.h"

static void
probe_ready(struct http_conn *c, struct worker *w, uint64_t uptime)
{
	char        body[256];
	int         ready = w->phase == PHASE_READY;
	const char *failing = w->phase == PHASE_STARTING ? "\"startup\"" :
	    w->phase == PHASE_DRAINING                   ? "\"draining\"" :
	                                                   "";

	/* Anonymous remote callers learn only the verdict. */
	if (http_conn_local(c))
		snprintf(body, sizeof(body),
		    "{\"ready\":%s,\"failing\":[%s],"
		    "\"uptimeMs\":%llu}",
		    ready ? "true" : "false", failing,
		    (unsigned long long)uptime);
	else
		snprintf(body, sizeof(body), "{\"ready\":%s}",
		    ready ? "true" : "false");
	http_respond_json(c, ready ? 200 : 503, NULL, body);
}

static void
probe_startup(struct http_conn *c, struct worker *w, uint64_t uptime)
{
	char        body[256];
	int         started = w->phase != PHASE_STARTING;
	const char *status = started ? "started" : "starting";

	if (http_conn_local(c))
		snprintf(body, sizeof(body),
		    "{\"ok\":%s,\"status\":\"%s\","
		    "\"version\":\"%s\",\"uptimeMs\":%llu%s}",
		    started ? "true" : "false", status, PACKAGE_VERSION,
		    (unsigned long long)uptime,
		    started ? "" : ",\"pendingReason\":\"startup-sidecars\"");
	else
		snprintf(body, sizeof(body), "{\"ok\":%s,\"status\":\"%s\"}",
		    started ? "true" : "false", status);
	http_respond_json(c, started ? 200 : 503, NULL, body);
}

void
http_probe(struct http_conn *c, void *kind)
{
	struct http_worker *hw = http_conn_ctx(c);
	struct worker      *w = hw->w;
	uint64_t            now = util_now_ms(), uptime;
	int                 method = http_conn_head(c)->method;

	if (method != HTTP_GET && method != HTTP_HEAD) {
		http_respond_error(c, 405, "Allow: GET, HEAD\r\n",
		    "Method Not Allowed", "method_not_allowed");
		return;
	}
	uptime = now > w->hello.boot_ms ? now - w->hello.boot_ms : 0;
	switch ((enum http_probe_kind)(intptr_t)kind) {
	case PROBE_LIVE:
		http_respond_json(c, 200, NULL,
		    "{\"ok\":true,\"status\":\"live\"}");
		break;
	case PROBE_READY:
		probe_ready(c, w, uptime);
		break;
	case PROBE_STARTUP:
		probe_startup(c, w, uptime);
		break;
	}
}
