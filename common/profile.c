/*
 * Profiles (profile.h): the name, the port derived from it, the service
 * names, and the environment the root flags set.  The rules are the
 * stock CLI's (src/cli/profile.ts, profile-utils.ts, config/paths.ts),
 * so that `openclaw --profile NAME` of either finds the other's gateway.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cfg.h"
#include "common/profile.h"
#include "common/xmalloc.h"

#define FNV_OFFSET 2166136261u
#define FNV_PRIME  16777619u

static int
profile_char_ok(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return !first && (c == '_' || c == '-');
}

int
profile_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= PROFILE_NAME_MAX || !profile_char_ok(name[i], i == 0))
			return 0;
	return 1;
}

static int
profile_is_default(const char *name)
{
	return strcasecmp(name, "default") == 0;
}

const char *
profile_name(void)
{
	const char *p = getenv("OPENCLAW_PROFILE");

	if (!profile_name_ok(p) || profile_is_default(p))
		return NULL;
	return p;
}

uint32_t
profile_fnv1a32(const char *s)
{
	uint32_t h = FNV_OFFSET;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}

long
profile_port(const char *name)
{
	return PROFILE_PORT_BASE +
	    (long)(profile_fnv1a32(name) % PROFILE_PORT_SPAN);
}

int
profile_service_name(char *buf, size_t len, enum profile_service kind)
{
	const char *p = profile_name();
	int         n;

	if (kind == PROFILE_SVC_LAUNCHD)
		n = snprintf(buf, len, "bot.molt.%s", p ? p : "gateway");
	else if (kind == PROFILE_SVC_DESCRIPTION)
		n = snprintf(buf, len, "OpenClaw Gateway%s%s%s",
		    p ? " (profile: " : "", p ? p : "", p ? ")" : "");
	else
		n = snprintf(buf, len, "openclaw-gateway%s%s", p ? "-" : "",
		    p ? p : "");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ~/.openclaw-NAME, or ~/.openclaw for the default profile. */
static char *
profile_state_dir(const char *home, const char *name)
{
	char *dir;

	if (profile_is_default(name))
		xasprintf(&dir, "%s/.openclaw", home);
	else
		xasprintf(&dir, "%s/.openclaw-%s", home, name);
	return dir;
}

/*
 * 1 if the profile may set var: it is unset, or holds inherited_value.
 * A state directory (or config path) set in the environment is the
 * operator's, and wins; unless it is the canonical one of the profile
 * this process inherited (a service of profile A running
 * `openclaw --profile B ...`), which only says where A lives.
 */
static int
profile_env_replaceable(const char *var, const char *inherited_value)
{
	const char *v = getenv(var);
	char       *x;
	int         same;

	if (v == NULL || *v == '\0')
		return 1;
	if (inherited_value == NULL)
		return 0;
	x = config_expand_tilde(v);
	same = strcmp(x, inherited_value) == 0;
	free(x);
	return same;
}

void
profile_apply_env(const char *name)
{
	const char *inh = getenv("OPENCLAW_PROFILE");
	char       *home, *dir, *inh_dir = NULL, *inh_cfg = NULL;

	home = config_home();
	dir = profile_state_dir(home, name);
	if (!profile_name_ok(inh))
		inh = "default";
	if (strcmp(inh, name) != 0) {
		inh_dir = profile_state_dir(home, inh);
		xasprintf(&inh_cfg, "%s/openclaw.json", inh_dir);
	}
	if (profile_env_replaceable("OPENCLAW_STATE_DIR", inh_dir)) {
		setenv("OPENCLAW_STATE_DIR", dir, 1);
		if (inh_cfg != NULL &&
		    profile_env_replaceable("OPENCLAW_CONFIG_PATH", inh_cfg))
			unsetenv("OPENCLAW_CONFIG_PATH");
	}
	setenv("OPENCLAW_PROFILE", name, 1);
	if (strcmp(name, PROFILE_DEV) == 0 &&
	    profile_env_replaceable("OPENCLAW_GATEWAY_PORT", NULL))
		setenv("OPENCLAW_GATEWAY_PORT", PROFILE_DEV_PORT_TEXT, 1);
	free(inh_cfg);
	free(inh_dir);
	free(dir);
	free(home);
}
