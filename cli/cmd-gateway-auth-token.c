/*
 * `openclaw gateway auth-token`: the token clients need, from the config
 * the gateway would load (gateway.auth.token, or OPENCLAW_GATEWAY_TOKEN
 * over it), for a gateway started by a service manager, whose first-run
 * banner went to the journal.  Alone on its line, for scripts.  --show
 * is the stock CLI's spelling, accepted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/cfg.h"
#include "common/log.h"
#include "cli/cli.h"

void
cmd_gateway_auth_token_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway auth-token [--show]\n", fp);
	if (!full)
		return;
	fputs("\nPrint the gateway token of the configuration this machine's "
	      "gateway\nloads: gateway.auth.token, or OPENCLAW_GATEWAY_TOKEN "
	      "over it.\nExit 1 when there is none (no token, or password "
	      "mode).\n\n"
	      "  --show              accepted, as the stock CLI wants it\n"
	      "  -h, --help          show this help\n",
	    fp);
}

/* The token, or NULL with the reason on stderr. */
static const char *
auth_token_of(const struct gw_config *cfg)
{
	const char *mode = config_auth_mode(cfg);

	if (cfg->mode != NULL && strcmp(cfg->mode, "remote") == 0) {
		fprintf(stderr,
		    "openclaw: %s is in remote mode; run this on "
		    "the gateway's host\n",
		    cfg->path);
		return NULL;
	}
	if (strcmp(mode, "token") != 0) {
		fprintf(stderr,
		    "openclaw: gateway.auth.mode is %s in %s: "
		    "there is no token\n",
		    mode, cfg->path);
		return NULL;
	}
	if (cfg->auth_token == NULL || *cfg->auth_token == '\0') {
		fprintf(stderr,
		    "openclaw: no gateway.auth.token in %s nor "
		    "OPENCLAW_GATEWAY_TOKEN (a gateway given "
		    "--token-file reads it there)\n",
		    cfg->path);
		return NULL;
	}
	return cfg->auth_token;
}

int
cmd_gateway_auth_token(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct gw_config cfg;
	struct cli_args  a;
	const char      *token;
	char             err[512];
	int              rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	memset(&cfg, 0, sizeof(cfg));
	if (config_load(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "openclaw: %s\n", err);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	rv = EXIT_RUNTIME;
	if ((token = auth_token_of(&cfg)) != NULL) {
		printf("%s\n", token);
		rv = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	}
	config_free(&cfg);
	return rv;
}
