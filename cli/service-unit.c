/*
 * What `openclaw gateway install` writes: a template of contrib/ (the
 * same files the build fills with their defaults into contrib/ of the
 * build directory), filled in with what this machine resolves today --
 * our own binary, the state directory, the config path, the port, the
 * profile, the service markers of the runbook (OPENCLAW_SERVICE_MARKER,
 * _KIND, _VERSION).  `doctor` compares an installed file with it.
 *
 * Templates: @NAME@ is replaced by NAME's value; a line that begins with
 * @?NAME@ is kept (without that prefix) only when NAME has a value.
 * Values are escaped for the file they go into; a value the file cannot
 * carry safely (a control character, or a quote, backslash, space or $
 * in a unit's path) is refused with the reason.  Secrets are never
 * values: the token stays in the config or a 0600 EnvironmentFile.
 */
#include "config.h"

#include <sys/types.h>

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

#include "common/cfg.h"
#include "common/xmalloc.h"
#include "cli/service.h"

enum svc_var_id {
	V_BIN,
	V_DESCRIPTION,
	V_VERSION,
	V_LABEL,
	V_PROFILE,
	V_STATE_DIR,
	V_CONFIG_PATH,
	V_PORT,
	V_ENV_FILE,
	V_USER,
	V_GROUP,
	V_STATE_DIRECTORY,
	V_PROTECT_HOME,
	V_STDOUT_PATH,
	V_STDERR_PATH,
	V_NVARS
};

static const char *const svc_var_names[V_NVARS] = { "BIN", "DESCRIPTION",
	"VERSION", "LABEL", "PROFILE", "STATE_DIR", "CONFIG_PATH", "PORT",
	"ENV_FILE", "USER", "GROUP", "STATE_DIRECTORY", "PROTECT_HOME",
	"STDOUT_PATH", "STDERR_PATH" };

struct sbuf {
	char  *p;
	size_t len, cap;
};

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

/* The absolute path of the running binary, for ExecStart. */
char *
svc_self_path(void)
{
	char buf[PATH_MAX], real[PATH_MAX];

#if defined(__APPLE__)
	uint32_t len = sizeof(buf);

	if (_NSGetExecutablePath(buf, &len) != 0)
		return NULL;
#else
	snprintf(buf, sizeof(buf), "/proc/self/exe");
#endif
	if (realpath(buf, real) == NULL)
		return NULL;
	return xstrdup(real);
}

/*
 * A unit's value: '%' doubled (systemd expands specifiers); what would
 * need quoting refused, the description (ours, no quotes) excepted.
 */
static int
svc_esc_unit(struct sbuf *b, const char *v, int text, char *err, size_t errlen)
{
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f ||
		    strchr("\"'\\$", *p) != NULL || (!text && *p == ' ')) {
			snprintf(err, errlen,
			    "%.200s: a unit file cannot carry this value "
			    "(space, quote, backslash, $ or control character)",
			    v);
			return -1;
		}
		sbuf_add(b, p, 1);
		if (*p == '%')
			sbuf_add(b, "%", 1);
	}
	return 0;
}

static int
svc_esc_plist(struct sbuf *b, const char *v, char *err, size_t errlen)
{
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen,
			    "a plist cannot carry a control character "
			    "(in %.200s)",
			    v);
			return -1;
		}
		if (*p == '&')
			sbuf_str(b, "&amp;");
		else if (*p == '<')
			sbuf_str(b, "&lt;");
		else if (*p == '>')
			sbuf_str(b, "&gt;");
		else
			sbuf_add(b, p, 1);
	}
	return 0;
}

/* The variable named at s ("NAME@..."), or -1; *len: the name's. */
static int
svc_var_at(const char *s, size_t *len)
{
	int    i;
	size_t n;

	for (i = 0; i < V_NVARS; i++) {
		n = strlen(svc_var_names[i]);
		if (strncmp(s, svc_var_names[i], n) == 0 && s[n] == '@') {
			*len = n;
			return i;
		}
	}
	return -1;
}

/* One line of the template (without its newline) into b. */
static int
svc_fill_line(struct sbuf *b, const char *l, size_t n, char *const *v,
    int plist, char *err, size_t errlen)
{
	const char *end = l + n, *at;
	size_t      len;
	int         id;

	if (n > 2 && l[0] == '@' && l[1] == '?') {
		if ((id = svc_var_at(l + 2, &len)) == -1) {
			snprintf(err, errlen, "template: unknown @?%.20s", l);
			return -1;
		}
		if (v[id] == NULL || *v[id] == '\0')
			return 0;
		l += len + 3;
	}
	while ((at = memchr(l, '@', (size_t)(end - l))) != NULL) {
		sbuf_add(b, l, (size_t)(at - l));
		if ((id = svc_var_at(at + 1, &len)) == -1) {
			sbuf_add(b, "@", 1);
			l = at + 1;
			continue;
		}
		if (v[id] == NULL) {
			snprintf(err, errlen, "template: @%s@ has no value",
			    svc_var_names[id]);
			return -1;
		}
		if ((plist ? svc_esc_plist(b, v[id], err, errlen) :
		             svc_esc_unit(b, v[id], id == V_DESCRIPTION, err,
		                 errlen)) == -1)
			return -1;
		l = at + len + 2;
	}
	sbuf_add(b, l, (size_t)(end - l));
	sbuf_add(b, "\n", 1);
	return 0;
}

static char *
svc_fill(const char *tmpl, char *const *v, int plist, char *err, size_t errlen)
{
	struct sbuf b = { NULL, 0, 0 };
	const char *l = tmpl, *nl;

	sbuf_add(&b, "", 0);
	while (*l != '\0') {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l);
		if (svc_fill_line(&b, l, (size_t)(nl - l), v, plist, err,
		        errlen) == -1) {
			free(b.p);
			return NULL;
		}
		l = *nl != '\0' ? nl + 1 : nl;
	}
	return b.p;
}

/* User= and Group= of a system service: --user, else sudo's, else ours. */
static int
svc_user_values(const struct svc_opts *o, char **v, char *err, size_t errlen)
{
	const char    *name = o->user, *sudo = getenv("SUDO_USER");
	struct passwd *pw;
	struct group  *gr;

	if (name == NULL)
		name = sudo != NULL && *sudo != '\0' && strcmp(sudo, "root") ?
		    sudo :
		    "openclaw";
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen,
		    "no user %.64s on this machine: create it (useradd "
		    "--system openclaw) or pass --user NAME",
		    name);
		return -1;
	}
	v[V_USER] = xstrdup(pw->pw_name);
	if ((gr = getgrgid(pw->pw_gid)) != NULL)
		v[V_GROUP] = xstrdup(gr->gr_name);
	else
		xasprintf(&v[V_GROUP], "%ld", (long)pw->pw_gid);
	return 0;
}

static int
svc_under_home(const char *p)
{
	return p != NULL &&
	    (strncmp(p, "/home/", 6) == 0 || strncmp(p, "/root", 5) == 0 ||
	        strncmp(p, "/run/user/", 10) == 0);
}

/* The state directory and config path the service will use. */
static void
svc_paths(const struct svc *s, char **v)
{
	const char *e = getenv("OPENCLAW_STATE_DIR");

	if (s->scope == SVC_SYSTEM && (e == NULL || *e == '\0'))
		xasprintf(&v[V_STATE_DIR], "/var/lib/openclaw%s%s",
		    s->profile ? "-" : "", s->profile ? s->profile : "");
	else
		v[V_STATE_DIR] = config_state_dir();
	v[V_CONFIG_PATH] = config_file_path(v[V_STATE_DIR]);
	/* From here on, config_load() sees what the service will. */
	setenv("OPENCLAW_STATE_DIR", v[V_STATE_DIR], 1);
	setenv("OPENCLAW_CONFIG_PATH", v[V_CONFIG_PATH], 1);
	if (s->scope == SVC_SYSTEM &&
	    strncmp(v[V_STATE_DIR], "/var/lib/", 9) == 0 &&
	    strchr(v[V_STATE_DIR] + 9, '/') == NULL)
		v[V_STATE_DIRECTORY] = xstrdup(v[V_STATE_DIR] + 9);
}

static int
svc_port(const struct svc_opts *o, char **v, char *err, size_t errlen)
{
	struct gw_config cfg;
	char             cerr[512];
	int              rv = 0;

	memset(&cfg, 0, sizeof(cfg));
	if (o->port > 0)
		xasprintf(&v[V_PORT], "%ld", o->port);
	else if (config_load(&cfg, cerr, sizeof(cerr)) == -1) {
		snprintf(err, errlen,
		    "the service's config does not load: %s (openclaw "
		    "gateway --check)",
		    cerr);
		rv = -1;
	} else
		xasprintf(&v[V_PORT], "%ld", cfg.port);
	config_free(&cfg);
	return rv;
}

static void
svc_misc_values(const struct svc *s, char **v)
{
	const char *sfx = s->profile ? "-" : "",
	           *p = s->profile ? s->profile : "";
	char *home = NULL, *logs;

	v[V_VERSION] = xstrdup(PACKAGE_VERSION);
	v[V_LABEL] = xstrdup(s->name);
	v[V_PROFILE] = s->profile ? xstrdup(s->profile) : NULL;
	if (s->profile)
		xasprintf(&v[V_DESCRIPTION],
		    "OpenClaw Gateway (profile: %s, v%s)", s->profile,
		    PACKAGE_VERSION);
	else
		xasprintf(&v[V_DESCRIPTION], "OpenClaw Gateway (v%s)",
		    PACKAGE_VERSION);
	if (s->scope == SVC_SYSTEM)
		xasprintf(&v[V_ENV_FILE], "/etc/openclaw/gateway%s%s.env", sfx,
		    p);
	else
		xasprintf(&v[V_ENV_FILE], "%s/gateway.env", v[V_STATE_DIR]);
	v[V_PROTECT_HOME] = xstrdup(svc_under_home(v[V_STATE_DIR]) ||
	            svc_under_home(v[V_CONFIG_PATH]) ||
	            svc_under_home(v[V_BIN]) ?
	        "read-only" :
	        "yes");
	if (s->scope == SVC_SYSTEM)
		logs = xstrdup("/Library/Logs/openclaw");
	else {
		home = getenv("HOME") ? xstrdup(getenv("HOME")) : xstrdup("");
		xasprintf(&logs, "%s/Library/Logs/openclaw", home);
	}
	xasprintf(&v[V_STDOUT_PATH], "%s/gateway%s%s.log", logs, sfx, p);
	xasprintf(&v[V_STDERR_PATH], "%s/gateway%s%s.err.log", logs, sfx, p);
	free(logs);
	free(home);
}

static void
svc_vars_free(char **v)
{
	int i;

	for (i = 0; i < V_NVARS; i++)
		free(v[i]);
}

/*
 * The file `install` writes today for s, as a heap string; NULL with
 * err.  Sets OPENCLAW_STATE_DIR and OPENCLAW_CONFIG_PATH in our own
 * environment to the service's, so that a config_load() after it reads
 * the config the service will read.
 */
char *
svc_unit_text(const struct svc *s, const struct svc_opts *o, char *err,
    size_t errlen)
{
	char       *v[V_NVARS] = { NULL }, *text = NULL;
	const char *tmpl;

	if (o->user != NULL && s->scope != SVC_SYSTEM) {
		snprintf(err, errlen,
		    "--user NAME is for a system service: "
		    "add --system");
		return NULL;
	}
	if ((v[V_BIN] = svc_self_path()) == NULL) {
		snprintf(err, errlen, "cannot find the path of this binary");
		return NULL;
	}
	svc_paths(s, v);
	if (svc_port(o, v, err, errlen) == -1 ||
	    (s->scope == SVC_SYSTEM &&
	        svc_user_values(o, v, err, errlen) == -1))
		goto out;
	svc_misc_values(s, v);
	if (s->manager == SVC_LAUNCHD)
		tmpl = svc_tmpl_launchd;
	else
		tmpl = s->scope == SVC_SYSTEM ? svc_tmpl_system : svc_tmpl_user;
	text = svc_fill(tmpl, v, s->manager == SVC_LAUNCHD, err, errlen);
out:
	svc_vars_free(v);
	return text;
}

/* "&amp;" and friends, and a unit's "%%", back to what they stand for. */
static char *
svc_unescape(const char *v, size_t n, int plist)
{
	static const char *const ent[][2] = { { "&amp;", "&" }, { "&lt;", "<" },
		{ "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" } };
	struct sbuf              b = { NULL, 0, 0 };
	size_t                   i, k, el;

	sbuf_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		for (k = 0; plist && v[i] == '&' && k < 5; k++) {
			el = strlen(ent[k][0]);
			if (i + el <= n && strncmp(v + i, ent[k][0], el) == 0)
				break;
		}
		if (plist && v[i] == '&' && k < 5) {
			sbuf_str(&b, ent[k][1]);
			i += strlen(ent[k][0]) - 1;
		} else if (!plist && v[i] == '%' && i + 1 < n &&
		    v[i + 1] == '%') {
			sbuf_add(&b, "%", 1);
			i++;
		} else
			sbuf_add(&b, v + i, 1);
	}
	return b.p;
}

/* <key>KEY</key> then <string>value</string> on the next line. */
static char *
svc_plist_env(const char *text, const char *key)
{
	char        pat[128];
	const char *p, *s, *e;

	snprintf(pat, sizeof(pat), "<key>%s</key>", key);
	if ((p = strstr(text, pat)) == NULL ||
	    (s = strstr(p + strlen(pat), "<string>")) == NULL ||
	    (e = strstr(s, "</string>")) == NULL ||
	    memchr(p + strlen(pat), '<', (size_t)(s - p - strlen(pat))) != NULL)
		return NULL;
	s += 8;
	return svc_unescape(s, (size_t)(e - s), 1);
}

/*
 * The value an installed unit or plist gives the environment variable
 * key (heap), or NULL.  Units: Environment=KEY=value, maybe quoted.
 */
char *
svc_unit_env(const char *text, const char *key)
{
	const char *l, *nl, *v;
	size_t      klen = strlen(key), n;
	int         q;

	if (strncmp(text, "<?xml", 5) == 0)
		return svc_plist_env(text, key);
	for (l = text; *l != '\0'; l = *nl ? nl + 1 : nl) {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l);
		if (strncmp(l, "Environment=", 12) != 0)
			continue;
		v = l + 12;
		q = *v == '"';
		v += q;
		if (strncmp(v, key, klen) != 0 || v[klen] != '=')
			continue;
		v += klen + 1;
		n = (size_t)(nl - v);
		if (q && n > 0 && v[n - 1] == '"')
			n--;
		return svc_unescape(v, n, 0);
	}
	return NULL;
}

/*
 * The first "Key=value" line's value of a unit (heap), or NULL; of a
 * plist, the <string> after <key>Key</key> (User: UserName).
 */
char *
svc_unit_key(const char *text, const char *key)
{
	const char *l, *nl;
	size_t      klen = strlen(key);

	if (strncmp(text, "<?xml", 5) == 0)
		return svc_plist_env(text,
		    strcmp(key, "User") == 0 ? "UserName" : key);
	for (l = text; *l != '\0'; l = *nl ? nl + 1 : nl) {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l);
		if (strncmp(l, key, klen) == 0 && l[klen] == '=')
			return svc_unescape(l + klen + 1,
			    (size_t)(nl - l - (long)klen - 1), 0);
	}
	return NULL;
}

/*
 * Take the service's instance (state directory, config path, port) from
 * its installed file into our environment, for the commands that look
 * at the gateway the service runs (the port only if with_port: doctor
 * compares the unit's port with the config's).  The number set.
 */
int
svc_env_apply(const char *text, int with_port)
{
	static const char *const keys[] = { "OPENCLAW_STATE_DIR",
		"OPENCLAW_CONFIG_PATH", "OPENCLAW_GATEWAY_PORT" };
	char                    *v;
	size_t                   i;
	int                      n = 0;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) - !with_port; i++) {
		if ((v = svc_unit_env(text, keys[i])) == NULL)
			continue;
		setenv(keys[i], v, 1);
		free(v);
		n++;
	}
	return n;
}
