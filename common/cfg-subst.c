/*
 * ${VAR} in the strings of the config, resolved at load as the stock
 * gateway does (its src/config/env-substitution.ts), so that one file
 * serves both: only names of [A-Z_][A-Z0-9_]* are variables; $${VAR} is
 * the literal text ${VAR}; an unset or empty variable is an error that
 * names it; anything else ($x, ${lower}, a lone $) stays as written.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg-int.h"
#include "common/xmalloc.h"

/* Length of a variable name at s that a '}' closes, else 0. */
static size_t
subst_name(const char *s, size_t len)
{
	size_t n;

	for (n = 0; n < len; n++) {
		if (s[n] == '}')
			return n;
		if (!(s[n] == '_' || (s[n] >= 'A' && s[n] <= 'Z') ||
		        (n > 0 && s[n] >= '0' && s[n] <= '9')))
			return 0;
	}
	return 0;
}

struct subst_buf {
	char  *s;
	size_t len, cap;
};

static void
subst_put(struct subst_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

int
cfg_subst(const char *in, size_t len, char **out, size_t *outlen, int *literal,
    char *why, size_t whylen)
{
	struct subst_buf b = { NULL, 0, 0 };
	const char      *v;
	char            *name;
	size_t           i, n;

	*literal = 0;
	subst_put(&b, "", 0);
	for (i = 0; i < len; i++) {
		if (in[i] == '$' && i + 2 < len && in[i + 1] == '$' &&
		    in[i + 2] == '{' &&
		    (n = subst_name(in + i + 3, len - i - 3)) > 0) {
			subst_put(&b, in + i + 1, n + 3); /* ${NAME} */
			*literal = 1;
			i += n + 3;
			continue;
		}
		if (in[i] != '$' || i + 1 >= len || in[i + 1] != '{' ||
		    (n = subst_name(in + i + 2, len - i - 2)) == 0) {
			subst_put(&b, in + i, 1);
			*literal = 1;
			continue;
		}
		name = xstrndup(in + i + 2, n);
		if ((v = getenv(name)) == NULL || *v == '\0') {
			snprintf(why, whylen,
			    "environment variable %s is not set", name);
			free(name);
			free(b.s);
			return -1;
		}
		free(name);
		subst_put(&b, v, strlen(v));
		i += n + 2;
	}
	*out = b.s;
	*outlen = b.len;
	return 0;
}

int
cfg_subst_literal(const char *in, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i++) {
		if (in[i] != '$' || i + 1 >= len || in[i + 1] != '{' ||
		    (n = subst_name(in + i + 2, len - i - 2)) == 0)
			return 1;
		i += n + 2;
	}
	return 0;
}
