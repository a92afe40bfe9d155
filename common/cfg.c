#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/cfg-int.h"
#include "common/json-relaxed.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/yaml-json.h"

#define CONFIG_MAX_BYTES (8 * 1024 * 1024)

#define FIELD(cfg, k, t) ((t *)(void *)((char *)(cfg) + (k)->offset))

void
config_strlist_free(struct strlist *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
config_clear_key(struct gw_config *cfg, const struct cfg_key *k)
{
	char *s;

	switch (k->type) {
	case CFG_SECRET:
		if ((s = *FIELD(cfg, k, char *)) != NULL)
			OPENSSL_cleanse(s, strlen(s));
		/* FALLTHROUGH */
	case CFG_STR:
	case CFG_ENUM:
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = NULL;
		break;
	case CFG_STRLIST:
		config_strlist_free(FIELD(cfg, k, struct strlist));
		break;
	default:
		break;
	}
}

/* Store a text value (default or environment) into a field. */
static int
config_set_text(struct gw_config *cfg, const struct cfg_key *k, const char *v)
{
	long n;

	switch (k->type) {
	case CFG_INT:
		if (util_parse_long(v, k->min, k->max, &n) == -1)
			return -1;
		*FIELD(cfg, k, long) = n;
		return 0;
	case CFG_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*FIELD(cfg, k, int) = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*FIELD(cfg, k, int) = 0;
		else
			return -1;
		return 0;
	case CFG_ENUM:
		if (!config_choice_ok(k, v))
			return -1;
		/* FALLTHROUGH */
	case CFG_STR:
	case CFG_SECRET:
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = xstrdup(v);
		return 0;
	case CFG_STRLIST:
		return -1;
	}
	return -1;
}

int
config_choice_ok(const struct cfg_key *k, const char *v)
{
	const char *p = k->choices;
	size_t      len = strlen(v), n;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, "|");
		if (n == len && strncmp(p, v, n) == 0)
			return 1;
		p += n;
		if (*p == '|')
			p++;
	}
	return 0;
}

void
config_init(struct gw_config *cfg)
{
	const struct cfg_key *k;

	memset(cfg, 0, sizeof(*cfg));
	for (k = cfg_keys; k->path != NULL; k++)
		if (k->def != NULL && config_set_text(cfg, k, k->def) == -1)
			abort(); /* a bad default is a build defect */
}

void
config_free(struct gw_config *cfg)
{
	const struct cfg_key *k;

	for (k = cfg_keys; k->path != NULL; k++)
		config_clear_key(cfg, k);
	free(cfg->path);
	free(cfg->state_dir);
	free(cfg->hash);
	free(cfg->file_secret_key);
	config_strlist_free(&cfg->warnings);
	config_strlist_free(&cfg->unused);
	config_strlist_free(&cfg->unknown);
	free(cfg->canvas_listen_error);
	memset(cfg, 0, sizeof(*cfg));
}

char *
config_home(void)
{
	const char    *h;
	struct passwd *pw;

	if ((h = getenv("OPENCLAW_HOME")) != NULL && *h != '\0')
		return xstrdup(h);
	if ((h = getenv("HOME")) != NULL && *h != '\0')
		return xstrdup(h);
	if ((pw = getpwuid(getuid())) != NULL)
		return xstrdup(pw->pw_dir);
	return xstrdup("/");
}

char *
config_expand_tilde(const char *p)
{
	char *home, *out;

	if (p[0] != '~' || (p[1] != '/' && p[1] != '\0'))
		return xstrdup(p);
	home = config_home();
	xasprintf(&out, "%s%s", home, p + 1);
	free(home);
	return out;
}

char *
config_state_dir(void)
{
	const char *e;
	char       *home, *dir;

	if ((e = getenv("OPENCLAW_STATE_DIR")) != NULL && *e != '\0')
		return config_expand_tilde(e);
	home = config_home();
	xasprintf(&dir, "%s/.openclaw", home);
	free(home);
	return dir;
}

static const char *const config_names[] = { "openclaw.json", "openclaw.yaml",
	"openclaw.yml", NULL };

char *
config_file_path(const char *state_dir)
{
	const char *e;
	char       *path;
	int         i;

	if ((e = getenv("OPENCLAW_CONFIG_PATH")) != NULL && *e != '\0')
		return config_expand_tilde(e);
	for (i = 0; config_names[i] != NULL; i++) {
		xasprintf(&path, "%s/%s", state_dir, config_names[i]);
		if (access(path, F_OK) == 0)
			return path;
		free(path);
	}
	xasprintf(&path, "%s/%s", state_dir, config_names[0]);
	return path;
}

/*
 * Which of two files in the state directory is the config is not for
 * us to guess: an edit to the one not read would be silently ignored.
 */
static int
config_one_file(const char *state_dir, char *err, size_t errlen)
{
	const char *e;
	char       *path, *first = NULL;
	int         i, rv = 0;

	if ((e = getenv("OPENCLAW_CONFIG_PATH")) != NULL && *e != '\0')
		return 0;
	for (i = 0; config_names[i] != NULL && rv == 0; i++) {
		xasprintf(&path, "%s/%s", state_dir, config_names[i]);
		if (access(path, F_OK) != 0)
			free(path);
		else if (first == NULL)
			first = path;
		else {
			snprintf(err, errlen,
			    "both %s and %s exist: remove one (or set "
			    "OPENCLAW_CONFIG_PATH)",
			    first, path);
			free(path);
			rv = -1;
		}
	}
	free(first);
	return rv;
}

void
config_hash(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int  n = 0, i;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
}

const char *
config_auth_mode(const struct gw_config *cfg)
{
	if (cfg->auth_mode != NULL)
		return cfg->auth_mode;
	if (cfg->auth_password != NULL && *cfg->auth_password != '\0')
		return "password";
	return "token";
}

static struct json_object *
config_lookup(struct json_object *root, const char *path)
{
	struct json_object *o = root;
	char                seg[128];
	const char         *p = path;
	size_t              n;

	while (*p != '\0') {
		n = strcspn(p, ".");
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, seg, &o))
			return NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return o;
}

static int
config_set_json(struct gw_config *cfg, const struct cfg_key *k,
    struct json_object *v, char *why, size_t whylen)
{
	struct strlist *l;
	size_t          i, n;
	int64_t         iv;

	switch (k->type) {
	case CFG_INT:
		if (!json_object_is_type(v, json_type_int) ||
		    (iv = json_object_get_int64(v)) < k->min || iv > k->max) {
			snprintf(why, whylen, "expected an integer in %ld..%ld",
			    k->min, k->max);
			return -1;
		}
		*FIELD(cfg, k, long) = (long)iv;
		return 0;
	case CFG_BOOL:
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(why, whylen, "expected true or false");
			return -1;
		}
		*FIELD(cfg, k, int) = json_object_get_boolean(v);
		return 0;
	case CFG_SECRET:
		if (json_object_is_type(v, json_type_string) &&
		    !util_secret_text_ok(json_object_get_string(v),
		        (size_t)json_object_get_string_len(v))) {
			snprintf(why, whylen, "%s", CFG_SECRET_CTRL);
			return -1;
		}
		/* FALLTHROUGH */
	case CFG_STR:
	case CFG_ENUM:
		if (!json_object_is_type(v, json_type_string) ||
		    config_set_text(cfg, k, json_object_get_string(v)) == -1) {
			if (k->type == CFG_ENUM)
				snprintf(why, whylen, "expected one of %s",
				    k->choices);
			else
				snprintf(why, whylen, "expected a string");
			return -1;
		}
		return 0;
	case CFG_STRLIST:
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(why, whylen, "expected an array of strings");
			return -1;
		}
		l = FIELD(cfg, k, struct strlist);
		config_strlist_free(l);
		n = json_object_array_length(v);
		l->v = xcalloc(n ? n : 1, sizeof(char *));
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string)) {
				snprintf(why, whylen,
				    "expected an array of strings");
				return -1;
			}
			l->v[l->n++] = xstrdup(json_object_get_string(e));
		}
		return 0;
	}
	return -1;
}

void
cfg_strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, ((size_t)l->n + 1) * sizeof(char *));
	l->v[l->n++] = xstrdup(s);
}

void
cfg_secret_at(struct gw_config *cfg, const char *path)
{
	cfg->file_secret = 1;
	if (cfg->file_secret_key == NULL)
		cfg->file_secret_key = xstrdup(path);
}

void
cfg_where(char *buf, size_t len, const char *file, struct json_object *pos,
    const char *path)
{
	struct json_object *p;
	int64_t             at;

	if (pos == NULL || !json_object_object_get_ex(pos, path, &p)) {
		snprintf(buf, len, "%s", file);
		return;
	}
	at = json_object_get_int64(p);
	snprintf(buf, len, "%s:%d:%d", file, JSON_POS_LINE(at),
	    JSON_POS_COL(at));
}

/* A string with its ${VAR} resolved; other values as they are. */
static struct json_object *
config_subst_one(struct json_object *v, int *literal, char *why, size_t whylen)
{
	char  *s;
	size_t n;
	int    lit;

	if (!json_object_is_type(v, json_type_string))
		return json_object_get(v);
	if (cfg_subst(json_object_get_string(v),
	        (size_t)json_object_get_string_len(v), &s, &n, &lit, why,
	        whylen) == -1)
		return NULL;
	*literal |= lit;
	v = json_object_new_string_len(s, (int)n);
	OPENSSL_cleanse(s, n);
	free(s);
	return v;
}

/* The value of a key, ${VAR} resolved in it and in its elements. */
static struct json_object *
config_subst(struct json_object *v, int *literal, char *why, size_t whylen)
{
	struct json_object *a, *e;
	size_t              i, n;

	*literal = 0;
	if (!json_object_is_type(v, json_type_array))
		return config_subst_one(v, literal, why, whylen);
	a = json_object_new_array();
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = config_subst_one(json_object_array_get_idx(v, i), literal,
		    why, whylen);
		if (e == NULL) {
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, e);
	}
	return a;
}

static int
config_apply_json(struct gw_config *cfg, const char *path,
    struct json_object *root, struct json_object *pos, char *err, size_t errlen)
{
	const struct cfg_key *k;
	struct json_object   *v;
	char                  why[256], where[1024];
	int                   rv, literal;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "%s: top level must be an object", path);
		return -1;
	}
	for (k = cfg_keys; k->path != NULL; k++) {
		if ((v = config_lookup(root, k->path)) == NULL ||
		    json_object_is_type(v, json_type_null))
			continue;
		if ((v = config_subst(v, &literal, why, sizeof(why))) != NULL) {
			rv = config_set_json(cfg, k, v, why, sizeof(why));
			json_object_put(v);
		} else
			rv = -1;
		if (rv == -1) {
			cfg_where(where, sizeof(where), path, pos, k->path);
			snprintf(err, errlen, "%s: %s: %s", where, k->path,
			    why);
			return -1;
		}
		if (k->type == CFG_SECRET && literal)
			cfg_secret_at(cfg, k->path);
	}
	return 0;
}

static int
config_is_yaml(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

int
config_parse(struct gw_config *cfg, const char *path, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct json_object *root, *pos;
	char                perr[256];
	int                 rv;

	if (config_is_yaml(path))
		root = yaml_to_json_pos(text, len, &pos, perr, sizeof(perr));
	else
		root = json_relaxed_parse_pos(text, len, &pos, perr,
		    sizeof(perr));
	if (root == NULL) {
		snprintf(err, errlen, "%s:%s", path, perr);
		return -1;
	}
	rv = config_apply_json(cfg, path, root, pos, err, errlen);
	if (rv == 0) {
		cfg_unknown_keys(cfg, path, root, pos);
		cfg_foreign_secrets(cfg, root, "");
	}
	json_object_put(root);
	json_object_put(pos);
	return rv;
}

static int
config_apply_env(struct gw_config *cfg, char *err, size_t errlen)
{
	const struct cfg_key *k;
	const char           *v, *colon;

	for (k = cfg_keys; k->path != NULL; k++) {
		if (k->env == NULL || (v = getenv(k->env)) == NULL ||
		    *v == '\0')
			continue;
		/* OPENCLAW_GATEWAY_PORT may be "host:port". */
		if (k->type == CFG_INT && (colon = strrchr(v, ':')) != NULL)
			v = colon + 1;
		if (k->type == CFG_SECRET &&
		    !util_secret_text_ok(v, strlen(v))) {
			snprintf(err, errlen, "%s: invalid value for %s: %s",
			    k->env, k->path, CFG_SECRET_CTRL);
			return -1;
		}
		if (config_set_text(cfg, k, v) == -1) {
			snprintf(err, errlen, "%s=%s: invalid value for %s",
			    k->env, k->type == CFG_SECRET ? "***" : v, k->path);
			return -1;
		}
	}
	if ((v = getenv("OPENCLAW_SKIP_CANVAS_HOST")) != NULL &&
	    (strcmp(v, "1") == 0 || strcmp(v, "true") == 0))
		cfg->canvas_enabled = 0;
	return 0;
}

int
config_load(struct gw_config *cfg, char *err, size_t errlen)
{
	char  *text;
	size_t len;

	config_init(cfg);
	cfg->port = 0; /* unset: config_port_default() once all is read */
	cfg->state_dir = config_state_dir();
	cfg->path = config_file_path(cfg->state_dir);
	if (config_one_file(cfg->state_dir, err, errlen) == -1)
		return -1;
	if ((text = util_read_file(cfg->path, CONFIG_MAX_BYTES, &len)) ==
	    NULL) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", cfg->path,
			    util_read_error(errno));
			return -1;
		}
	} else {
		cfg->exists = 1;
		cfg->hash = xmalloc(65);
		config_hash(text, len, cfg->hash);
		if (config_parse(cfg, cfg->path, text, len, err, errlen) ==
		    -1) {
			free(text);
			return -1;
		}
		free(text);
	}
	if (config_apply_env(cfg, err, errlen) == -1)
		return -1;
	if (cfg->port == 0)
		cfg->port = config_port_default();
	return 0;
}

struct json_object *
config_to_json(const struct gw_config *cfg)
{
	const struct cfg_key *k;
	struct json_object   *o, *a;
	const struct strlist *l;
	const char           *s;
	int                   i;

	o = json_object_new_object();
	json_object_object_add(o, "$path",
	    json_object_new_string(cfg->path ? cfg->path : ""));
	json_object_object_add(o, "$stateDir",
	    json_object_new_string(cfg->state_dir ? cfg->state_dir : ""));
	json_object_object_add(o, "$exists",
	    json_object_new_boolean(cfg->exists));
	if (cfg->hash != NULL)
		json_object_object_add(o, "$hash",
		    json_object_new_string(cfg->hash));
	if (cfg->canvas_listen_error != NULL)
		json_object_object_add(o, "$canvasListenError",
		    json_object_new_string(cfg->canvas_listen_error));
	for (k = cfg_keys; k->path != NULL; k++) {
		switch (k->type) {
		case CFG_INT:
			json_object_object_add(o, k->path,
			    json_object_new_int64(*FIELD(cfg, k, long)));
			break;
		case CFG_BOOL:
			json_object_object_add(o, k->path,
			    json_object_new_boolean(*FIELD(cfg, k, int)));
			break;
		case CFG_STRLIST:
			l = FIELD(cfg, k, struct strlist);
			a = json_object_new_array();
			for (i = 0; i < l->n; i++)
				json_object_array_add(a,
				    json_object_new_string(l->v[i]));
			json_object_object_add(o, k->path, a);
			break;
		default:
			if ((s = *FIELD(cfg, k, char *)) != NULL)
				json_object_object_add(o, k->path,
				    json_object_new_string(s));
			break;
		}
	}
	return o;
}

int
config_from_json(struct gw_config *cfg, struct json_object *o)
{
	const struct cfg_key *k;
	struct json_object   *v;
	char                  why[128];

	config_init(cfg);
	if (!json_object_is_type(o, json_type_object))
		return -1;
	if (json_object_object_get_ex(o, "$path", &v))
		cfg->path = xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "$stateDir", &v))
		cfg->state_dir = xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "$exists", &v))
		cfg->exists = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "$hash", &v))
		cfg->hash = xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "$canvasListenError", &v))
		cfg->canvas_listen_error = xstrdup(json_object_get_string(v));
	for (k = cfg_keys; k->path != NULL; k++) {
		if (!json_object_object_get_ex(o, k->path, &v))
			continue;
		if (config_set_json(cfg, k, v, why, sizeof(why)) == -1)
			return -1;
	}
	return 0;
}
