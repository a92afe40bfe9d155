/*
 * What config.get hides (protocol.md 6.11) from every caller, whatever
 * its scope: the file is the operator's, the reader may be any
 * operator.read client.  Rules, over the whole tree:
 *
 *  - a key naming a secret (token, secret, password, passwd, passphrase,
 *    credential, cookie, authorization, signature, apiKey, privateKey,
 *    any name ending in "key"/"keys", the words pass, pwd, sig): every
 *    string and number below it is replaced, at any depth, inside arrays
 *    too ("credentials": {...} hides all it holds);
 *  - a key with the word auth or oauth ("auth", "basicAuth",
 *    "authHeader"): its own string or number value, or the elements of its
 *    array, are replaced; an object below it is searched with these rules
 *    (gateway.auth keeps its mode and rateLimit visible, its token not);
 *  - in every other string, the userinfo of a URL ("user:pass@") and the
 *    value of a query or fragment parameter whose name is a secret's by
 *    the rules above (token, access_token, key, api_key, sig, auth, ...);
 *  - booleans and nulls are never secrets; a number under a key whose last
 *    word is "tokens" is a count (maxTokens), shown.
 *
 * Names are matched case-insensitively without their separators
 * ("api_key", "API-Key" and "apiKey" are one name), words split at
 * separators and lower-to-upper case changes, so "author" is no "auth".
 * Hiding a harmless value by these rules is the accepted cost.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xmalloc.h"
#include "workers/ws/ws.h"

#define REDACTED        "__OPENCLAW_REDACTED__"
#define REDACT_DEPTH    64  /* deeper: the whole subtree is replaced */
#define REDACT_NAME_MAX 128 /* longer names are compared by their start */

enum key_class {
	KEY_PLAIN,
	KEY_AUTH,   /* its scalar value */
	KEY_SECRET, /* everything below it */
};

/* Lower-case letters and digits of name: "API-Key" is "apikey". */
static void
key_norm(const char *name, size_t len, char out[REDACT_NAME_MAX])
{
	size_t i, n = 0;

	for (i = 0; i < len && n < REDACT_NAME_MAX - 1; i++)
		if (isalnum((unsigned char)name[i]))
			out[n++] = (char)tolower((unsigned char)name[i]);
	out[n] = '\0';
}

/* Where the word starting at i ends: a separator or an upper-case letter
 * after a lower-case one or a digit ("basicAuth", "auth2Token"). */
static size_t
key_word_end(const char *name, size_t len, size_t i)
{
	for (i++; i < len && isalnum((unsigned char)name[i]); i++)
		if (isupper((unsigned char)name[i]) &&
		    !isupper((unsigned char)name[i - 1]))
			break;
	return i;
}

/* 1 if a word of name is one of words; *last gets whether it was the
 * last word (used for "tokens"). */
static int
key_has_word(const char *name, size_t len, const char *const *words, int *last)
{
	size_t i = 0, end, k;
	int    found = 0;

	*last = 0;
	while (i < len) {
		if (!isalnum((unsigned char)name[i])) {
			i++;
			continue;
		}
		end = key_word_end(name, len, i);
		*last = 0;
		for (k = 0; words[k] != NULL; k++)
			if (strlen(words[k]) == end - i &&
			    strncasecmp(name + i, words[k], end - i) == 0)
				found = *last = 1;
		i = end;
	}
	return found;
}

static enum key_class
key_class(const char *name, size_t len)
{
	static const char *const parts[] = { "password", "passwd", "passphrase",
		"secret", "token", "credential", "cookie", "authorization",
		"signature", "apikey", "privatekey", NULL };
	static const char *const secret_words[] = { "pass", "pwd", "sig",
		NULL };
	static const char *const auth_words[] = { "auth", "oauth", NULL };
	char                     n[REDACT_NAME_MAX];
	size_t                   i, nl;
	int                      last;

	key_norm(name, len, n);
	nl = strlen(n);
	for (i = 0; parts[i] != NULL; i++)
		if (strstr(n, parts[i]) != NULL)
			return KEY_SECRET;
	if ((nl >= 3 && strcmp(n + nl - 3, "key") == 0) ||
	    (nl >= 4 && strcmp(n + nl - 4, "keys") == 0))
		return KEY_SECRET;
	if (key_has_word(name, len, secret_words, &last))
		return KEY_SECRET;
	if (key_has_word(name, len, auth_words, &last))
		return KEY_AUTH;
	return KEY_PLAIN;
}

/* A number under "maxTokens", "contextTokens": a count, not a token. */
static int
key_is_count(const char *name, struct json_object *v)
{
	static const char *const tokens[] = { "tokens", NULL };
	int                      last;

	return (json_object_is_type(v, json_type_int) ||
	           json_object_is_type(v, json_type_double)) &&
	    key_has_word(name, strlen(name), tokens, &last) && last;
}

static int
is_scalar_secret_type(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

/* A growing output string. */
struct rbuf {
	char  *s;
	size_t len, cap;
};

static void
rbuf_add(struct rbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 64;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* A parameter's name, %XX decoded ("%74oken" is "token"). */
static size_t
param_name(const char *p, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	char   hex[3] = { 0 };

	for (i = 0; i < n && o < outlen - 1; i++) {
		if (p[i] == '%' && i + 2 < n &&
		    isxdigit((unsigned char)p[i + 1]) &&
		    isxdigit((unsigned char)p[i + 2])) {
			hex[0] = p[i + 1];
			hex[1] = p[i + 2];
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			out[o++] = p[i];
	}
	out[o] = '\0';
	return o;
}

#define URL_END   " \t\r\n\"'<>"
#define PARAM_END "&#;" URL_END

/*
 * At s[i], just after a parameter separator (?, &, #, ;): copy
 * "name=value" with the value replaced if the name is a secret's.
 * Returns the index after what was consumed.
 */
static size_t
url_param(const char *s, size_t i, struct rbuf *b, int *changed)
{
	char   name[REDACT_NAME_MAX];
	size_t nend, vend, nl;

	nend = i + strcspn(s + i, "=?" PARAM_END);
	if (s[nend] != '=' || nend == i)
		return i;
	vend = nend + 1 + strcspn(s + nend + 1, PARAM_END);
	nl = param_name(s + i, nend - i, name, sizeof(name));
	rbuf_add(b, s + i, nend + 1 - i);
	if (vend > nend + 1 && key_class(name, nl) != KEY_PLAIN) {
		rbuf_add(b, REDACTED, strlen(REDACTED));
		*changed = 1;
	} else
		rbuf_add(b, s + nend + 1, vend - nend - 1);
	return vend;
}

/* At s[i], just after "://": the authority, its userinfo replaced. */
static size_t
url_authority(const char *s, size_t i, struct rbuf *b, int *changed)
{
	size_t      end = i + strcspn(s + i, "/?#" URL_END);
	const char *at = NULL, *p;

	for (p = s + i; p < s + end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return i;
	rbuf_add(b, REDACTED, strlen(REDACTED));
	*changed = 1;
	return (size_t)(at - s);
}

/* s with URL userinfo and secret parameters replaced, or NULL if none. */
static char *
redact_text(const char *s)
{
	struct rbuf b = { NULL, 0, 0 };
	size_t      i = 0, j;
	int         changed = 0;

	while (s[i] != '\0') {
		rbuf_add(&b, s + i, 1);
		if (s[i] == ':' && strncmp(s + i, "://", 3) == 0) {
			rbuf_add(&b, "//", 2);
			i = url_authority(s, i + 3, &b, &changed);
			continue;
		}
		j = i + 1;
		if (strchr("?&#;", s[i]) != NULL)
			j = url_param(s, i + 1, &b, &changed);
		i = j;
	}
	if (!changed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static void redact_tree(struct json_object *, int secret, int depth);

/* The value to put in place of v (v itself if nothing changes). */
static struct json_object *
redact_value(struct json_object *v, int secret, int depth)
{
	char *s;

	if (depth > REDACT_DEPTH)
		return json_object_new_string(REDACTED);
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array)) {
		redact_tree(v, secret, depth + 1);
		return v;
	}
	if (secret && is_scalar_secret_type(v))
		return json_object_new_string(REDACTED);
	if (json_object_is_type(v, json_type_string) &&
	    (s = redact_text(json_object_get_string(v))) != NULL) {
		v = json_object_new_string(s);
		free(s);
	}
	return v;
}

static void
redact_tree(struct json_object *o, int secret, int depth)
{
	struct json_object *v, *nv;
	enum key_class      k;
	size_t              i;
	int                 sec;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++) {
			v = json_object_array_get_idx(o, i);
			if ((nv = redact_value(v, secret, depth)) != v)
				json_object_array_put_idx(o, i, nv);
		}
		return;
	}
	json_object_object_foreach(o, key, val)
	{
		k = key_class(key, strlen(key));
		sec = secret || k == KEY_SECRET ||
		    (k == KEY_AUTH &&
		        !json_object_is_type(val, json_type_object));
		if (sec && key_is_count(key, val))
			sec = 0;
		/* Replacing an existing key's value keeps the iteration valid. */
		if ((nv = redact_value(val, sec, depth)) != val)
			json_object_object_add(o, key, nv);
	}
}

void
ws_config_redact(struct json_object *o)
{
	if (json_object_is_type(o, json_type_object) ||
	    json_object_is_type(o, json_type_array))
		redact_tree(o, 0, 0);
}
