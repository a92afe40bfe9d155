#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/profile.h"
#include "t/unit/tap.h"

/*
 * Profiles (common/profile.c) and the ports derived from them
 * (common/cfg-port.c).  The expected ports were computed with the stock
 * CLI's own function (resolveGatewayPort in its dist/paths-*.mjs:
 * Math.imul(hash ^ byte, 16777619) over the UTF-8 bytes of the profile,
 * from 2166136261; 20000 + hash % 40000), and "a" checked against the
 * published FNV-1a test vector 0xe40c292c.
 */

static void
test_names(void)
{
	char long_name[80];

	ok(profile_name_ok("work"), "work is a profile name");
	ok(profile_name_ok("A-b_9"), "letters, digits, - and _");
	ok(profile_name_ok("9lives"), "a digit first");
	ok(!profile_name_ok(""), "empty refused");
	ok(!profile_name_ok("-x"), "- first refused");
	ok(!profile_name_ok("_x"), "_ first refused");
	ok(!profile_name_ok("a/b"), "a slash refused");
	ok(!profile_name_ok("a b"), "a space refused");
	ok(!profile_name_ok("../x"), "a path refused");
	ok(!profile_name_ok("caf\xc3\xa9"), "non-ASCII refused");
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	ok(profile_name_ok(long_name), "64 characters accepted");
	long_name[64] = 'a';
	long_name[65] = '\0';
	ok(!profile_name_ok(long_name), "65 refused");
}

static void
test_ports(void)
{
	is_int(profile_fnv1a32(""), 2166136261u, "FNV-1a of nothing: basis");
	is_int(profile_fnv1a32("a"), 0xe40c292cu, "FNV-1a32(\"a\")");
	is_int(profile_port("a"), 22220, "profile a");
	is_int(profile_port("b"), 35077, "profile b");
	is_int(profile_port("work"), 41984, "profile work");
	is_int(profile_port("Work"), 28704, "case kept: Work");
	is_int(profile_port("rescue"), 23532, "profile rescue");
}

static void
test_default_port(void)
{
	unsetenv("OPENCLAW_PROFILE");
	is_int(config_port_default(), 18789, "no profile: 18789");
	setenv("OPENCLAW_PROFILE", "default", 1);
	is_int(config_port_default(), 18789, "profile default: 18789");
	setenv("OPENCLAW_PROFILE", "DEFAULT", 1);
	is_int(config_port_default(), 18789, "DEFAULT too");
	setenv("OPENCLAW_PROFILE", "work", 1);
	is_int(config_port_default(), 41984, "profile work: derived");
	setenv("OPENCLAW_PROFILE", "dev", 1);
	is_int(config_port_default(), 19001, "profile dev: 19001");
	setenv("OPENCLAW_PROFILE", "bad/name", 1);
	is_int(config_port_default(), 18789, "an invalid name: ignored");
}

static void
test_service_names(void)
{
	char buf[128];

	unsetenv("OPENCLAW_PROFILE");
	ok(profile_service_name(buf, sizeof(buf), PROFILE_SVC_SYSTEMD) == 0,
	    "systemd name");
	is_str(buf, "openclaw-gateway", "default systemd unit");
	profile_service_name(buf, sizeof(buf), PROFILE_SVC_LAUNCHD);
	is_str(buf, "bot.molt.gateway", "default launchd label");
	profile_service_name(buf, sizeof(buf), PROFILE_SVC_DESCRIPTION);
	is_str(buf, "OpenClaw Gateway", "default description");
	setenv("OPENCLAW_PROFILE", "work", 1);
	profile_service_name(buf, sizeof(buf), PROFILE_SVC_SYSTEMD);
	is_str(buf, "openclaw-gateway-work", "profile systemd unit");
	profile_service_name(buf, sizeof(buf), PROFILE_SVC_LAUNCHD);
	is_str(buf, "bot.molt.work", "profile launchd label");
	profile_service_name(buf, sizeof(buf), PROFILE_SVC_DESCRIPTION);
	is_str(buf, "OpenClaw Gateway (profile: work)", "profile description");
	ok(profile_service_name(buf, 10, PROFILE_SVC_SYSTEMD) == -1,
	    "too small a buffer: -1");
}

static void
test_log_files(void)
{
	char buf[128];

	unsetenv("OPENCLAW_PROFILE");
	ok(log_file_dated(buf, sizeof(buf), "/d", "2026-12-04") == 0,
	    "dated name");
	is_str(buf, "/d/openclaw-2026-12-04.log", "default: openclaw-DAY.log");
	ok(log_file_family("openclaw-2026-12-04.log"), "default family");
	ok(log_file_family("openclaw-2026-12-04.3.log"), "... its archive");
	ok(!log_file_family("openclaw-work-2026-12-04.log"),
	    "... not a profile's file");
	ok(!log_file_family("openclaw-2026-2026-12-04.log"),
	    "... not profile 2026's");
	setenv("OPENCLAW_PROFILE", "work", 1);
	log_file_dated(buf, sizeof(buf), "/d", "2026-12-04");
	is_str(buf, "/d/openclaw-work-2026-12-04.log",
	    "profile: openclaw-NAME-DAY.log");
	ok(log_file_family("openclaw-work-2026-12-04.log"), "profile family");
	ok(log_file_family("openclaw-work-2026-12-04.1.log"), "... archive");
	ok(!log_file_family("openclaw-2026-12-04.log"),
	    "... not the default's file");
	ok(!log_file_family("openclaw-workx-2026-12-04.log"),
	    "... not profile workx's");
	ok(log_file_dated(buf, 20, "/d", "2026-12-04") == -1,
	    "too small a buffer: -1");
	unsetenv("OPENCLAW_PROFILE");
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? v : "(unset)";
}

static void
test_apply_env(void)
{
	setenv("OPENCLAW_HOME", "/h", 1);
	unsetenv("OPENCLAW_PROFILE");
	unsetenv("OPENCLAW_STATE_DIR");
	unsetenv("OPENCLAW_CONFIG_PATH");
	unsetenv("OPENCLAW_GATEWAY_PORT");
	profile_apply_env("work");
	is_str(env("OPENCLAW_PROFILE"), "work", "profile set");
	is_str(env("OPENCLAW_STATE_DIR"), "/h/.openclaw-work", "state dir");
	is_str(env("OPENCLAW_GATEWAY_PORT"), "(unset)", "no port set");

	/* A service of profile work running `--profile dev ...` */
	setenv("OPENCLAW_CONFIG_PATH", "/h/.openclaw-work/openclaw.json", 1);
	profile_apply_env("dev");
	is_str(env("OPENCLAW_STATE_DIR"), "/h/.openclaw-dev",
	    "the inherited profile's state dir is replaced");
	is_str(env("OPENCLAW_CONFIG_PATH"), "(unset)",
	    "and its config path dropped");
	is_str(env("OPENCLAW_GATEWAY_PORT"), "19001", "dev: port 19001");

	/* The operator's own choices win. */
	setenv("OPENCLAW_STATE_DIR", "/srv/oc", 1);
	setenv("OPENCLAW_CONFIG_PATH", "/etc/oc.json", 1);
	setenv("OPENCLAW_GATEWAY_PORT", "4000", 1);
	profile_apply_env("dev");
	is_str(env("OPENCLAW_STATE_DIR"), "/srv/oc", "explicit state dir");
	is_str(env("OPENCLAW_CONFIG_PATH"), "/etc/oc.json", "explicit config");
	is_str(env("OPENCLAW_GATEWAY_PORT"), "4000", "explicit port");

	unsetenv("OPENCLAW_STATE_DIR");
	profile_apply_env("Default");
	is_str(env("OPENCLAW_STATE_DIR"), "/h/.openclaw", "default: no suffix");
}

int
main(void)
{
	test_names();
	test_ports();
	test_default_port();
	test_service_names();
	test_log_files();
	test_apply_env();
	return tap_done();
}
