/*
 * Profiles: several isolated gateways on one host (`openclaw --profile
 * NAME`, `openclaw --dev`).  A profile is carried by the environment, as
 * the stock CLI carries it: OPENCLAW_PROFILE names it, OPENCLAW_STATE_DIR
 * is ~/.openclaw-NAME, and every process started from there (workers,
 * the service CLI) sees the same ones.
 */
#ifndef COMMON_PROFILE_H
#define COMMON_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define PROFILE_NAME_MAX      64
#define PROFILE_DEV           "dev"
#define PROFILE_DEV_PORT      19001
#define PROFILE_DEV_PORT_TEXT "19001"
#define PROFILE_PORT_BASE     20000
#define PROFILE_PORT_SPAN     40000
#define PROFILE_DEFAULT_PORT  18789

/* The names a service manager knows a gateway of this profile by. */
enum profile_service {
	PROFILE_SVC_SYSTEMD, /* openclaw-gateway[-NAME] (no ".service") */
	PROFILE_SVC_LAUNCHD, /* bot.molt.gateway, bot.molt.NAME */
	/* "OpenClaw Gateway", "OpenClaw Gateway (profile: NAME)" */
	PROFILE_SVC_DESCRIPTION,
};

/* 1 if name is [A-Za-z0-9][A-Za-z0-9_-]{0,63}, the stock CLI's rule. */
int profile_name_ok(const char *);
/*
 * The active profile: OPENCLAW_PROFILE when valid and not "default"
 * (any case), else NULL (the default install, no suffix anywhere).
 */
const char *profile_name(void);
/* FNV-1a, 32 bits, over the bytes of s. */
uint32_t profile_fnv1a32(const char *s);
/* The port a named profile gets when none is set: 20000 + FNV % 40000. */
long profile_port(const char *name);
/*
 * The service name of the active profile into buf; -1 if it does not
 * fit.
 */
int profile_service_name(char *buf, size_t len, enum profile_service);
/*
 * Select a profile for this process and its children (the root flags
 * --profile and --dev): OPENCLAW_PROFILE=name; OPENCLAW_STATE_DIR=
 * ~/.openclaw-NAME (~/.openclaw for "default") unless one is set that is
 * not the inherited profile's own; for "dev", OPENCLAW_GATEWAY_PORT=19001
 * unless set.  name must be valid.
 */
void profile_apply_env(const char *name);

#endif
