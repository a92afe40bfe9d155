/*
 * Which service definition a command means.  The stock CLI's names
 * (protocol.md 12, the runbook): the systemd unit openclaw-gateway.service
 * (openclaw-gateway-PROFILE.service), the launchd label bot.molt.gateway
 * (bot.molt.PROFILE), with the profile from OPENCLAW_PROFILE ("default"
 * is none).  A user unit lives in $XDG_CONFIG_HOME/systemd/user (else
 * ~/.config/...), a system unit in /etc/systemd/system; a launchd agent
 * in ~/Library/LaunchAgents, a daemon in /Library/LaunchDaemons.
 *
 * The manager is launchd on macOS and systemd elsewhere, unless
 * OPENCLAW_SERVICE_MANAGER names one; OPENCLAW_SERVICE_ROOT is prefixed
 * to the system-wide paths (an image being built; the tests).
 */
#include "config.h"

#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/profile.h"
#include "common/xmalloc.h"
#include "cli/service.h"

static const char *
svc_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static char *
svc_home(void)
{
	const char    *h;
	struct passwd *pw;

	if ((h = svc_env("HOME")) != NULL)
		return xstrdup(h);
	if ((pw = getpwuid(getuid())) != NULL)
		return xstrdup(pw->pw_dir);
	return xstrdup("/");
}

static int
svc_pick_manager(struct svc *s, char *err, size_t errlen)
{
	const char *m = svc_env("OPENCLAW_SERVICE_MANAGER");

#if defined(__APPLE__)
	s->manager = SVC_LAUNCHD;
#else
	s->manager = SVC_SYSTEMD;
#endif
	if (m == NULL)
		return 0;
	if (strcmp(m, "systemd") == 0)
		s->manager = SVC_SYSTEMD;
	else if (strcmp(m, "launchd") == 0)
		s->manager = SVC_LAUNCHD;
	else {
		snprintf(err, errlen,
		    "OPENCLAW_SERVICE_MANAGER=%.64s: not systemd or launchd",
		    m);
		return -1;
	}
	return 0;
}

/* Letters, digits, '_' and '-', as the stock CLI's --profile. */
static int
svc_pick_profile(struct svc *s, char *err, size_t errlen)
{
	const char *p = svc_env("OPENCLAW_PROFILE");

	if (p == NULL || strcasecmp(p, "default") == 0)
		return 0;
	if (!profile_name_ok(p)) {
		snprintf(err, errlen,
		    "OPENCLAW_PROFILE: a profile name is letters, digits, _ "
		    "and - (at most %d)",
		    PROFILE_NAME_MAX);
		return -1;
	}
	s->profile = xstrdup(p);
	return 0;
}

char *
svc_system_path(const char *path)
{
	const char *root = svc_env("OPENCLAW_SERVICE_ROOT");
	char       *p;

	xasprintf(&p, "%s%s", root != NULL ? root : "", path);
	return p;
}

static char *
svc_path_for(const struct svc *s, enum svc_scope scope)
{
	const char *xdg = svc_env("XDG_CONFIG_HOME");
	char       *home, *p, *sys;

	if (scope == SVC_SYSTEM) {
		if (s->manager == SVC_SYSTEMD)
			xasprintf(&sys, "/etc/systemd/system/%s", s->name);
		else
			xasprintf(&sys, "/Library/LaunchDaemons/%s.plist",
			    s->name);
		p = svc_system_path(sys);
		free(sys);
		return p;
	}
	home = svc_home();
	if (s->manager == SVC_LAUNCHD)
		xasprintf(&p, "%s/Library/LaunchAgents/%s.plist", home,
		    s->name);
	else if (xdg != NULL && xdg[0] == '/')
		xasprintf(&p, "%s/systemd/user/%s", xdg, s->name);
	else
		xasprintf(&p, "%s/.config/systemd/user/%s", home, s->name);
	free(home);
	return p;
}

/* The user's definition if it exists, else the system's if that does. */
static enum svc_scope
svc_pick_scope(const struct svc *s)
{
	char *user = svc_path_for(s, SVC_USER);
	char *sys = svc_path_for(s, SVC_SYSTEM);
	int   system = access(user, F_OK) == -1 && access(sys, F_OK) == 0;

	free(user);
	free(sys);
	return system ? SVC_SYSTEM : SVC_USER;
}

/*
 * scope: SVC_USER, SVC_SYSTEM, or SVC_SCOPE_AUTO: the user's definition
 * if it exists, else the system's if that exists, else the user's.
 */
int
svc_resolve(struct svc *s, int scope, char *err, size_t errlen)
{
	char name[PROFILE_NAME_MAX + 32];

	memset(s, 0, sizeof(*s));
	if (svc_pick_manager(s, err, errlen) == -1 ||
	    svc_pick_profile(s, err, errlen) == -1)
		return -1;
	if (profile_service_name(name, sizeof(name),
	        s->manager == SVC_SYSTEMD ? PROFILE_SVC_SYSTEMD :
	                                    PROFILE_SVC_LAUNCHD) == -1) {
		snprintf(err, errlen, "OPENCLAW_PROFILE: too long");
		return -1;
	}
	xasprintf(&s->name, "%s%s", name,
	    s->manager == SVC_SYSTEMD ? ".service" : "");
	s->scope = scope == SVC_SCOPE_AUTO ? svc_pick_scope(s) :
	                                     (enum svc_scope)scope;
	s->path = svc_path_for(s, s->scope);
	if (s->manager == SVC_LAUNCHD) {
		if (s->scope == SVC_SYSTEM)
			s->domain = xstrdup("system");
		else
			xasprintf(&s->domain, "gui/%ld", (long)getuid());
		xasprintf(&s->target, "%s/%s", s->domain, s->name);
	}
	return 0;
}

void
svc_free(struct svc *s)
{
	free(s->profile);
	free(s->name);
	free(s->path);
	free(s->target);
	free(s->domain);
	memset(s, 0, sizeof(*s));
}

const char *
svc_manager_name(const struct svc *s)
{
	return s->manager == SVC_SYSTEMD ? "systemd" : "launchd";
}

int
svc_installed(const struct svc *s)
{
	return access(s->path, F_OK) == 0;
}
