/*
 * Other gateway-like services on this machine, for `gateway status`'s
 * warning (best effort, as the stock CLI's src/daemon/inspect.ts): unit
 * files (plists) of the user's directory -- and with --deep the system
 * directories -- that mention openclaw, clawdbot or moltbot, except our
 * own and those carrying the gateway service markers (the services of
 * other OpenClaw profiles, which are expected).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/service.h"

#define EXTRA_FILE_MAX (64 * 1024)

static const char *const extra_words[] = { "openclaw", "clawdbot", "moltbot",
	NULL };

static void
extra_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* A service of another OpenClaw profile: it carries the markers. */
static int
extra_is_profile(const char *lower)
{
	return strstr(lower, "openclaw_service_marker") != NULL &&
	    strstr(lower, "openclaw_service_kind") != NULL &&
	    strstr(lower, "gateway") != NULL;
}

static int
extra_mentions(const char *lower)
{
	int i;

	for (i = 0; extra_words[i] != NULL; i++)
		if (strstr(lower, extra_words[i]) != NULL)
			return 1;
	return 0;
}

static void
extra_add(json_object *arr, const char *name, const char *path,
    const char *scope, int plist)
{
	json_object *o = json_object_new_object();
	char        *detail;

	xasprintf(&detail, "%s: %s", plist ? "plist" : "unit", path);
	json_object_object_add(o, "label", json_object_new_string(name));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_object_add(o, "scope", json_object_new_string(scope));
	json_object_array_add(arr, o);
	free(detail);
}

static void
extra_scan_file(json_object *arr, const struct svc *s, const char *dir,
    const char *name, const char *scope)
{
	char  *path, *text, label[256];
	size_t len, n = strlen(name);
	int    plist = s->manager == SVC_LAUNCHD;

	if (plist ? n <= 6 || strcmp(name + n - 6, ".plist") != 0 :
	            n <= 8 || strcmp(name + n - 8, ".service") != 0)
		return;
	snprintf(label, sizeof(label), "%.*s", (int)(plist ? n - 6 : n), name);
	if (strcmp(label, s->name) == 0)
		return;
	xasprintf(&path, "%s/%s", dir, name);
	if ((text = util_read_file(path, EXTRA_FILE_MAX, &len)) != NULL) {
		extra_lower(text);
		if (extra_mentions(text) && !extra_is_profile(text))
			extra_add(arr, label, path, scope, plist);
		free(text);
	}
	free(path);
}

static void
extra_scan_dir(json_object *arr, const struct svc *s, const char *dir,
    const char *scope)
{
	struct dirent *de;
	DIR           *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			extra_scan_file(arr, s, dir, de->d_name, scope);
	closedir(d);
}

/* The directory part of path, on the heap. */
static char *
extra_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	return xstrndup(path, slash != NULL ? (size_t)(slash - path) : 0);
}

static void
extra_scan_system(json_object *arr, const struct svc *s)
{
	static const char *const sd[] = { "/etc/systemd/system",
		"/usr/lib/systemd/system", "/lib/systemd/system", NULL };
	static const char *const ld[] = { "/Library/LaunchAgents",
		"/Library/LaunchDaemons", NULL };
	const char *const       *d;
	char                    *dir;

	for (d = s->manager == SVC_SYSTEMD ? sd : ld; *d != NULL; d++) {
		dir = svc_system_path(*d);
		extra_scan_dir(arr, s, dir, "system");
		free(dir);
	}
}

/* The array of {label, detail, scope} for `gateway status`. */
json_object *
svc_extra_services(const struct svc *s, int deep)
{
	json_object *arr = json_object_new_array();
	struct svc   u;
	char         err[256], *dir;

	if (svc_resolve(&u, SVC_USER, err, sizeof(err)) == 0) {
		dir = extra_dirname(u.path);
		extra_scan_dir(arr, s, dir, "user");
		free(dir);
		svc_free(&u);
	}
	if (deep)
		extra_scan_system(arr, s);
	return arr;
}
