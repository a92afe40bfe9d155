/*
 * `openclaw dashboard`: the URL of the gateway's web dashboard (the
 * Control UI), from the target the RPC commands resolve: --url/--port,
 * the environment, the config.  As the stock CLI: the plain URL on a
 * terminal, never the token; with --json {ok, url, httpUrl, wsUrl, port,
 * tokenIncluded}, url carrying the token as the fragment "#token=" the
 * Control UI reads.  No browser is opened here (--no-open is accepted).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/cli.h"

void
cmd_dashboard_usage(FILE *fp, int full)
{
	fputs("usage: openclaw dashboard [--url URL] [--port PORT] "
	      "[--token TOKEN] [--json]\n"
	      "           [--no-open]\n",
	    fp);
	if (!full)
		return;
	fputs("\nPrint the dashboard URL of the gateway: http://127.0.0.1:PORT/ "
	      "for\nthis machine's.  --json adds the URL with the token as "
	      "#token=.\n\n"
	      "  --no-open           accepted; no browser is opened\n",
	    fp);
	fputs(cli_conn_help, fp);
}

/* "http://host:port/" from "ws://host:port[/path]"; NULL if not ws(s). */
static char *
dashboard_http_url(const char *ws)
{
	const char *rest, *scheme;
	char       *url;
	size_t      n;

	if (strncasecmp(ws, "ws://", 5) == 0) {
		scheme = "http://";
		rest = ws + 5;
	} else if (strncasecmp(ws, "wss://", 6) == 0) {
		scheme = "https://";
		rest = ws + 6;
	} else
		return NULL;
	n = strcspn(rest, "/?#");
	xasprintf(&url, "%s%.*s%s", scheme, (int)n, rest,
	    rest[n] == '/' ? rest + n : "/");
	return url;
}

/* The port a URL names, or its scheme's. */
static long
dashboard_port(const char *http)
{
	const char *h = strstr(http, "://") + 3, *colon;
	size_t      n = strcspn(h, "/");
	long        port;
	char        buf[8];

	colon = memchr(h, ']', n) != NULL ? memchr(h, ']', n) + 1 : h;
	colon = memchr(colon, ':', n - (size_t)(colon - h));
	if (colon == NULL || (size_t)(h + n - colon - 1) >= sizeof(buf))
		return strncmp(http, "https", 5) == 0 ? 443 : 80;
	snprintf(buf, sizeof(buf), "%.*s", (int)(h + n - colon - 1), colon + 1);
	return util_parse_long(buf, 1, 65535, &port) == 0 ? port : 0;
}

/* The token as a URL fragment value: unreserved bytes as they are. */
static char *
dashboard_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char             *out, *p;

	p = out = xmalloc(strlen(s) * 3 + 1);
	for (; *s != '\0'; s++) {
		if (strchr("-_.~", *s) != NULL ||
		    ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') ||
		    (*s >= '0' && *s <= '9'))
			*p++ = *s;
		else {
			*p++ = '%';
			*p++ = hex[(unsigned char)*s >> 4];
			*p++ = hex[(unsigned char)*s & 0xf];
		}
	}
	*p = '\0';
	return out;
}

static void
dashboard_json(const struct cli_target *t, const char *http)
{
	json_object *o = json_object_new_object();
	char        *url, *tok;

	if (t->token != NULL) {
		tok = dashboard_escape(t->token);
		xasprintf(&url, "%s#token=%s", http, tok);
		free(tok);
	} else
		url = xstrdup(http);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "httpUrl", json_object_new_string(http));
	json_object_object_add(o, "wsUrl", json_object_new_string(t->url));
	json_object_object_add(o, "port",
	    json_object_new_int64(dashboard_port(http)));
	json_object_object_add(o, "tokenIncluded",
	    json_object_new_boolean(t->token != NULL));
	cli_json_print(stdout, o);
	json_object_put(o);
	free(url);
}

int
cmd_dashboard(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args   a;
	struct cli_target t;
	char             *http;
	int               rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	if (cli_target_open(&a, &t) == -1)
		return EXIT_RUNTIME;
	if ((http = dashboard_http_url(t.url)) == NULL) {
		fprintf(stderr, "openclaw: %s is not a ws:// or wss:// URL\n",
		    t.url);
		cli_target_free(&t);
		return EXIT_USAGE;
	}
	if (a.conn.json)
		dashboard_json(&t, http);
	else {
		printf("Dashboard URL: %s\n", http);
		if (t.token != NULL)
			printf("Authenticate with the gateway token "
			       "(`openclaw gateway auth-token`), as the URL "
			       "fragment #token=<token>.\n");
	}
	rv = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	free(http);
	cli_target_free(&t);
	return rv;
}
