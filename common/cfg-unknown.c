/*
 * Keys the table does not know.  Today's OpenClaw config has many
 * sections this gateway does not implement (agents, channels, models,
 * tools, ...), so a warning for each key of a real file would bury the
 * one that matters.  The policy:
 *  - under the sections this gateway owns (gateway, canvasHost,
 *    logging), an unknown key is a warning: it has no effect here, and
 *    it is most likely a typo (gateway.prot);
 *  - anywhere, a key within a small edit distance of a known one is a
 *    warning with the key probably meant;
 *  - any other unknown key is only noted (cfg->unused): the master logs
 *    one line counting them and `openclaw gateway --check` lists them.
 * Only the topmost unknown key of a branch is reported, not each leaf.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cfg-int.h"
#include "common/xmalloc.h"

#define UNKNOWN_PATH_MAX 128

static const char *const unknown_owned[] = { "gateway", "canvasHost", "logging",
	NULL };

/* Optimal string alignment distance (a transposition counts 1). */
static size_t
unknown_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, c, v;
	size_t d[UNKNOWN_PATH_MAX + 1][UNKNOWN_PATH_MAX + 1];

	if (la > UNKNOWN_PATH_MAX || lb > UNKNOWN_PATH_MAX)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			v = d[i - 1][j - 1] + c;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* 1 if path is a table key (2) or a section above one (1), else 0. */
static int
unknown_known(const char *path)
{
	const struct cfg_key *k;
	size_t                n = strlen(path);

	for (k = cfg_keys; k->path != NULL; k++)
		if (strcmp(k->path, path) == 0)
			return 2;
	for (k = cfg_keys; k->path != NULL; k++)
		if (strncmp(k->path, path, n) == 0 && k->path[n] == '.')
			return 1;
	return 0;
}

/*
 * The known key or section (at the same depth) closest to path, when it
 * is close: 1 edit for a last segment of up to 5 characters, else 2.
 */
static char *
unknown_suggest(const char *path)
{
	const struct cfg_key *k;
	const char           *last = strrchr(path, '.');
	char                  cand[UNKNOWN_PATH_MAX + 1];
	char                 *best = NULL;
	size_t                dots = 0, d, bestd, i, n, cd;

	for (i = 0; path[i] != '\0'; i++)
		dots += path[i] == '.';
	last = last ? last + 1 : path;
	bestd = strlen(last) <= 5 ? 1 : 2;
	for (k = cfg_keys; k->path != NULL; k++) {
		/* the key's prefix with as many segments as path */
		for (n = 0, cd = 0; k->path[n] != '\0'; n++)
			if (k->path[n] == '.' && cd++ == dots)
				break;
		if (cd < dots || n > UNKNOWN_PATH_MAX)
			continue;
		memcpy(cand, k->path, n);
		cand[n] = '\0';
		if ((d = unknown_distance(path, cand)) <= bestd && d > 0 &&
		    (best == NULL || d < bestd)) {
			free(best);
			best = xstrdup(cand);
			bestd = d;
		}
	}
	return best;
}

static int
unknown_owned_path(const char *path)
{
	size_t n = strcspn(path, ".");
	int    i;

	for (i = 0; unknown_owned[i] != NULL; i++)
		if (strlen(unknown_owned[i]) == n &&
		    strncmp(unknown_owned[i], path, n) == 0)
			return 1;
	return 0;
}

static void
unknown_report(struct gw_config *cfg, const char *file, struct json_object *pos,
    const char *path)
{
	char where[1024], *line, *hint;

	cfg_where(where, sizeof(where), file, pos, path);
	if ((hint = unknown_suggest(path)) != NULL) {
		xasprintf(&line, "%s: unknown key %s (did you mean %s?)", where,
		    path, hint);
		cfg_strlist_add(&cfg->warnings, line);
	} else if (unknown_owned_path(path)) {
		xasprintf(&line,
		    "%s: unknown key %s (not used by this "
		    "gateway)",
		    where, path);
		cfg_strlist_add(&cfg->warnings, line);
	} else {
		xasprintf(&line, "%s: %s is not used by this gateway", where,
		    path);
		cfg_strlist_add(&cfg->unused, line);
	}
	free(hint);
	free(line);
}

/* "<path>=<sha256 of the value>" into cfg->unknown, for the reload diff. */
static void
unknown_remember(struct gw_config *cfg, const char *path,
    struct json_object *val)
{
	const char *text;
	char        hash[65], *line;

	text = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
	config_hash(text, strlen(text), hash);
	xasprintf(&line, "%s=%s", path, hash);
	cfg_strlist_add(&cfg->unknown, line);
	free(line);
}

static void
unknown_walk(struct gw_config *cfg, const char *file, struct json_object *o,
    struct json_object *pos, const char *path)
{
	char *sub;
	int   known;

	json_object_object_foreach(o, key, val)
	{
		xasprintf(&sub, "%s%s%s", path, *path ? "." : "", key);
		known = unknown_known(sub);
		if (known == 0) {
			unknown_report(cfg, file, pos, sub);
			unknown_remember(cfg, sub, val);
		} else if (known == 1 &&
		    json_object_is_type(val, json_type_object))
			unknown_walk(cfg, file, val, pos, sub);
		free(sub);
	}
}

static int
unknown_secret_name(const char *key)
{
	static const char *const ends[] = { "token", "password", "secret",
		"apikey", "api_key", "privatekey", "private_key", NULL };
	size_t                   n = strlen(key), e;
	int                      i;

	for (i = 0; ends[i] != NULL; i++)
		if (n >= (e = strlen(ends[i])) &&
		    strcasecmp(key + n - e, ends[i]) == 0)
			return 1;
	return 0;
}

void
cfg_foreign_secrets(struct gw_config *cfg, struct json_object *o,
    const char *path)
{
	struct json_object *e;
	char               *sub;
	size_t              i, n;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n && !cfg->file_secret; i++) {
			e = json_object_array_get_idx(o, i);
			xasprintf(&sub, "%s[%zu]", path, i);
			cfg_foreign_secrets(cfg, e, sub);
			free(sub);
		}
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val)
	{
		if (cfg->file_secret)
			return;
		xasprintf(&sub, "%s%s%s", path, *path ? "." : "", key);
		if (json_object_is_type(val, json_type_string) &&
		    unknown_secret_name(key) && unknown_known(sub) != 2 &&
		    cfg_subst_literal(json_object_get_string(val),
		        (size_t)json_object_get_string_len(val)))
			cfg_secret_at(cfg, sub);
		else
			cfg_foreign_secrets(cfg, val, sub);
		free(sub);
	}
}

void
cfg_unknown_keys(struct gw_config *cfg, const char *file,
    struct json_object *root, struct json_object *pos)
{
	if (json_object_is_type(root, json_type_object))
		unknown_walk(cfg, file, root, pos, "");
}
