/*
 * What a reload changes: the keys whose values differ between the
 * running configuration and the one just read, compared by the table
 * (every key, secrets included, by value; only names ever leave here),
 * and the move of the keys of one reload class from one to the other.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/cfg-int.h"
#include "common/xmalloc.h"

#define CFG_FIELD(cfg, k) ((char *)(cfg) + (k)->offset)

static int
diff_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static int
diff_list(const struct strlist *a, const struct strlist *b)
{
	int i;

	if (a->n != b->n)
		return 1;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 1;
	return 0;
}

static int
diff_key(const struct gw_config *a, const struct gw_config *b,
    const struct cfg_key *k)
{
	const char *fa = CFG_FIELD(a, k), *fb = CFG_FIELD(b, k);

	switch (k->type) {
	case CFG_INT:
		return *(const long *)(const void *)fa !=
		    *(const long *)(const void *)fb;
	case CFG_BOOL:
		return *(const int *)(const void *)fa !=
		    *(const int *)(const void *)fb;
	case CFG_STRLIST:
		return diff_list((const struct strlist *)(const void *)fa,
		    (const struct strlist *)(const void *)fb);
	default:
		return diff_str(*(char *const *)(const void *)fa,
		    *(char *const *)(const void *)fb);
	}
}

/* 1 if the entry "<path>=<hash>" is in l. */
static int
diff_has(const struct strlist *l, const char *entry)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], entry) == 0)
			return 1;
	return 0;
}

/* The path of each entry of a missing from b, once. */
static void
diff_unknown(const struct strlist *a, const struct strlist *b,
    struct strlist *out)
{
	char *path;
	int   i, j, seen;

	for (i = 0; i < a->n; i++) {
		if (diff_has(b, a->v[i]))
			continue;
		path = xstrndup(a->v[i], strcspn(a->v[i], "="));
		for (j = 0, seen = 0; j < out->n && !seen; j++)
			seen = strcmp(out->v[j], path) == 0;
		if (!seen)
			cfg_strlist_add(out, path);
		free(path);
	}
}

int
config_diff(const struct gw_config *a, const struct gw_config *b,
    const struct cfg_key ***keys, struct strlist *other)
{
	const struct cfg_key *k;
	size_t                n = 0, rows = 0;

	for (k = cfg_keys; k->path != NULL; k++)
		rows++;
	*keys = xcalloc(rows + 1, sizeof(**keys));
	for (k = cfg_keys; k->path != NULL; k++)
		if (diff_key(a, b, k))
			(*keys)[n++] = k;
	memset(other, 0, sizeof(*other));
	diff_unknown(&a->unknown, &b->unknown, other);
	diff_unknown(&b->unknown, &a->unknown, other);
	return (int)n + other->n;
}

static size_t
take_size(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_INT:
		return sizeof(long);
	case CFG_BOOL:
		return sizeof(int);
	case CFG_STRLIST:
		return sizeof(struct strlist);
	default:
		return sizeof(char *);
	}
}

void
config_take(struct gw_config *dst, struct gw_config *src, enum cfg_reload cls)
{
	const struct cfg_key *k;
	unsigned char         tmp[sizeof(struct strlist)];
	size_t                n;

	for (k = cfg_keys; k->path != NULL; k++) {
		if (k->reload != cls)
			continue;
		n = take_size(k);
		memcpy(tmp, CFG_FIELD(dst, k), n);
		memcpy(CFG_FIELD(dst, k), CFG_FIELD(src, k), n);
		memcpy(CFG_FIELD(src, k), tmp, n);
	}
}
