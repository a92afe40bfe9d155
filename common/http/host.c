/*
 * The Host rule, one for every request that serves content and for the
 * WebSocket upgrade: a page on any web site can make a browser send
 * requests to 127.0.0.1 under its own name (DNS rebinding), and only the
 * name in Host tells such a request apart.  Allowed: localhost, loopback
 * addresses, any IPv4 literal when bound to every address (an address
 * is no rebinding), and gateway.allowedHosts.  Names are compared by an
 * explicit case-insensitive rule, without the port and without one
 * trailing dot ("localhost." is the same name, and no attacker's).  The
 * syntax of Host itself is head.c's (one field, a valid host[:port]).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "common/cfg.h"
#include "common/http/server.h"

#define HOST_NAME_MAX_LEN 256

/*
 * The name of an authority ("Host: NAME[:port]", "[v6]:port"), lower-
 * cased, without brackets, port or a trailing dot; the authority ends at
 * len.  -1 if there is no name.
 */
static int
host_name(const char *auth, size_t len, char out[HOST_NAME_MAX_LEN])
{
	const char *end;
	size_t      n, i;

	if (len > 0 && *auth == '[') {
		if ((end = memchr(auth, ']', len)) == NULL)
			return -1;
		auth++;
	} else if ((end = memchr(auth, ':', len)) == NULL)
		end = auth + len;
	n = (size_t)(end - auth);
	if (n > 1 && auth[n - 1] == '.')
		n--;
	if (n == 0 || n >= HOST_NAME_MAX_LEN)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)auth[i]);
	out[n] = '\0';
	return 0;
}

/* An allowedHosts entry, with or without its trailing dot. */
static int
host_listed(const struct strlist *l, const char *name)
{
	size_t n;
	int    i;

	for (i = 0; i < l->n; i++) {
		n = strlen(l->v[i]);
		if (n > 1 && l->v[i][n - 1] == '.')
			n--;
		if (n == strlen(name) && strncasecmp(l->v[i], name, n) == 0)
			return 1;
	}
	return 0;
}

static int
host_authority_allowed(const struct gw_config *cfg, const char *auth,
    size_t len)
{
	struct in_addr a;
	char           name[HOST_NAME_MAX_LEN];

	if (host_name(auth, len, name) == -1)
		return 0;
	if (strcmp(name, "localhost") == 0 || strcmp(name, "::1") == 0)
		return 1;
	if (inet_pton(AF_INET, name, &a) == 1) {
		if ((ntohl(a.s_addr) >> 24) == 127)
			return 1;
		/* Bound to every address: an IP literal is not a rebinding. */
		if (cfg->bind != NULL && strcmp(cfg->bind, "lan") == 0)
			return 1;
	}
	return host_listed(&cfg->allowed_hosts, name);
}

int
http_host_allowed(const struct gw_config *cfg, const char *host)
{
	return host != NULL && host_authority_allowed(cfg, host, strlen(host));
}

/*
 * The Host field, and the authority of an absolute-form target, which a
 * server must take over Host (RFC 9112 3.2.2): both must be allowed.
 */
int
http_host_request_allowed(const struct gw_config *cfg,
    const struct http_head                       *h)
{
	const char *auth;

	if (!http_host_allowed(cfg, http_head_get(h, "host")))
		return 0;
	if (strncasecmp(h->url, "http://", 7) == 0)
		auth = h->url + 7;
	else if (strncasecmp(h->url, "https://", 8) == 0)
		auth = h->url + 8;
	else
		return 1;
	return host_authority_allowed(cfg, auth, strcspn(auth, "/?#"));
}
