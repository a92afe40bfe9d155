/*
 * The gateway's ports (cfg.h): the default a profile gives, and the
 * ports derived from the base one, so that the master, the CLI commands
 * and the reports all compute them one way.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/cfg.h"
#include "common/profile.h"

/*
 * Reached only when neither the environment nor the file set a port.
 * `--dev` has already put 19001 in OPENCLAW_GATEWAY_PORT, as the stock
 * CLI does; "dev" here covers OPENCLAW_PROFILE=dev set by other means,
 * so that a dev gateway is always found on its documented port.
 */
long
config_port_default(void)
{
	const char *p = profile_name();

	if (p == NULL)
		return PROFILE_DEFAULT_PORT;
	if (strcmp(p, PROFILE_DEV) == 0)
		return PROFILE_DEV_PORT;
	return profile_port(p);
}

long
config_canvas_port(const struct gw_config *cfg)
{
	return cfg->canvas_port != 0 ? cfg->canvas_port : cfg->port + 4;
}

long
config_browser_port(const struct gw_config *cfg)
{
	return cfg->port + 2;
}

/*
 * "port 41984 (profile work), canvas 41988, browser control 41986 (not
 * served by this gateway)": what `gateway --check` says.
 */
void
config_ports_describe(const struct gw_config *cfg, char *buf, size_t len)
{
	const char *p = profile_name();
	char        canvas[32];

	if (cfg->canvas_enabled)
		snprintf(canvas, sizeof(canvas), "%ld",
		    config_canvas_port(cfg));
	else
		snprintf(canvas, sizeof(canvas), "off");
	snprintf(buf, len,
	    "port %ld%s%s%s, canvas %s, browser control %ld (not served by "
	    "this gateway)",
	    cfg->port, p ? " (profile " : "", p ? p : "", p ? ")" : "", canvas,
	    config_browser_port(cfg));
}
