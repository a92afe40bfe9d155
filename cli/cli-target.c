/*
 * Which gateway a command talks to, and with which credentials: flags,
 * then the environment, then the config file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/cfg.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/cli.h"

static const char *
env_value(const char *name)
{
	const char *v;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return NULL;
	return v;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* "ws://127.0.0.1:<port>" from OPENCLAW_GATEWAY_PORT ("port" or "host:port"). */
static char *
env_port_url(void)
{
	const char *v, *colon;
	char       *url;
	long        port;

	if ((v = env_value("OPENCLAW_GATEWAY_PORT")) == NULL)
		return NULL;
	if ((colon = strrchr(v, ':')) != NULL)
		v = colon + 1;
	if (util_parse_long(v, 1, 65535, &port) == -1)
		return NULL;
	xasprintf(&url, "ws://127.0.0.1:%ld", port);
	return url;
}

/* The host part of a ws:// URL names this machine. */
static int
url_is_loopback(const char *url)
{
	const char *h;
	size_t      n;

	if (strncasecmp(url, "ws://", 5) != 0)
		return 0;
	h = url + 5;
	if (strlen(h) >= 5 && memcmp(h, "[::1]", 5) == 0)
		return 1;
	n = strcspn(h, ":/?#");
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	return strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") == n;
}

/*
 * URL: --url > --port > OPENCLAW_GATEWAY_URL > gateway.remote.url (remote
 * mode) > ws://127.0.0.1:<port>, port from OPENCLAW_GATEWAY_PORT >
 * gateway.port > the profile's > 18789 (config_load, common/cfg-port.c:
 * the gateway of the same profile resolves the same one).  Credentials:
 * flags > environment > config.
 * Secrets from the config file only go to the gateway it describes or to
 * this machine, never to an arbitrary --url (the stock CLI refuses the
 * same way); the config file is read only when something is missing.
 */
int
cli_target_resolve(struct cli_target *t, const struct cli_conn_opts *o,
    char *err, size_t errlen)
{
	struct gw_config cfg;
	const char      *url = NULL, *token, *password;
	char            *fallback = NULL, cerr[512];
	int              override = 0, loaded = 0, remote = 0, cfg_creds;

	memset(t, 0, sizeof(*t));
	memset(&cfg, 0, sizeof(cfg));
	if ((url = nonempty(o->url)) != NULL)
		override = 1;
	else if (o->port != NULL)
		xasprintf(&t->url, "ws://127.0.0.1:%s", o->port);
	else if ((url = env_value("OPENCLAW_GATEWAY_URL")) != NULL)
		override = 1;

	token = nonempty(o->token);
	password = nonempty(o->password);
	if (token == NULL && password == NULL) {
		token = env_value("OPENCLAW_GATEWAY_TOKEN");
		password = env_value("OPENCLAW_GATEWAY_PASSWORD");
	}
	cfg_creds = token == NULL && password == NULL &&
	    (!override || url_is_loopback(url));

	if ((url == NULL && t->url == NULL) || cfg_creds) {
		fallback = env_port_url();
		if (config_load(&cfg, cerr, sizeof(cerr)) == 0)
			loaded = 1;
		else if (cfg_creds ||
		    (url == NULL && t->url == NULL && fallback == NULL)) {
			snprintf(err, errlen, "%s", cerr);
			config_free(&cfg);
			free(fallback);
			return -1;
		}
	}
	if (url == NULL && t->url == NULL) {
		if (loaded && cfg.mode != NULL &&
		    strcmp(cfg.mode, "remote") == 0 &&
		    nonempty(cfg.remote_url) != NULL) {
			url = cfg.remote_url;
			remote = 1;
		} else if (loaded)
			xasprintf(&t->url, "ws://127.0.0.1:%ld", cfg.port);
		else
			url = fallback;
	}
	if (cfg_creds && loaded) {
		if (!remote) {
			token = nonempty(cfg.auth_token);
			password = nonempty(cfg.auth_password);
		}
		/* gateway.remote.* also serves when gateway.auth.* is unset */
		if (token == NULL && password == NULL) {
			token = nonempty(cfg.remote_token);
			password = nonempty(cfg.remote_password);
		}
	}
	if (t->url == NULL)
		t->url = xstrdup(url);
	t->token = token != NULL ? xstrdup(token) : NULL;
	t->password = password != NULL ? xstrdup(password) : NULL;
	config_free(&cfg);
	free(fallback);
	return 0;
}

void
cli_target_free(struct cli_target *t)
{
	free(t->url);
	/* secrets do not linger in freed memory */
	if (t->token != NULL) {
		OPENSSL_cleanse(t->token, strlen(t->token));
		free(t->token);
	}
	if (t->password != NULL) {
		OPENSSL_cleanse(t->password, strlen(t->password));
		free(t->password);
	}
	memset(t, 0, sizeof(*t));
}
