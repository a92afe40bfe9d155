#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json-relaxed.h"
#include "common/xmalloc.h"

#define JSON_RELAXED_DEPTH 64

/* A walk over text json-c has accepted, noting where each value starts. */
struct jr_walk {
	const char         *buf;
	size_t              len, i;
	int                 line, col;
	struct json_object *pos;
};

enum jr_state {
	JR_CODE,
	JR_STRING,
	JR_ESCAPE,
	JR_LINE,
	JR_BLOCK
};

static void
jr_position(const char *text, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/*
 * Blank comments and trailing commas in buf, in place.  Returns the
 * offset of the first byte that cannot be accepted (an unterminated
 * block comment, or a single quote, which json-c would take), or -1 when
 * all is well; *why says which.
 */
static long
jr_strip(char *buf, size_t len, const char **why)
{
	enum jr_state st = JR_CODE;
	long          last = -1, block = -1; /* last significant byte */
	size_t        i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		switch (st) {
		case JR_STRING:
			if (c == '\\')
				st = JR_ESCAPE;
			else if (c == '"')
				st = JR_CODE;
			break;
		case JR_ESCAPE:
			st = JR_STRING;
			break;
		case JR_LINE:
			if (c == '\n')
				st = JR_CODE;
			else
				buf[i] = ' ';
			break;
		case JR_BLOCK:
			if (c == '*' && i + 1 < len && buf[i + 1] == '/') {
				buf[i] = buf[i + 1] = ' ';
				i++;
				st = JR_CODE;
			} else if (c != '\n')
				buf[i] = ' ';
			break;
		case JR_CODE:
			if (c == '/' && i + 1 < len &&
			    (buf[i + 1] == '/' || buf[i + 1] == '*')) {
				st = buf[i + 1] == '/' ? JR_LINE : JR_BLOCK;
				if (st == JR_BLOCK)
					block = (long)i;
				buf[i] = buf[i + 1] = ' ';
				i++;
				break;
			}
			if ((c == '}' || c == ']') && last >= 0 &&
			    buf[last] == ',')
				buf[last] = ' ';
			if (c == '\'') {
				*why = "single-quoted strings are not JSON";
				return (long)i;
			}
			if (c == '"')
				st = JR_STRING;
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
				last = (long)i;
			break;
		}
	}
	*why = "unterminated comment";
	return st == JR_BLOCK ? block : -1;
}

static void
jw_adv(struct jr_walk *w)
{
	if (w->buf[w->i] == '\n') {
		w->line++;
		w->col = 1;
	} else
		w->col++;
	w->i++;
}

static void
jw_ws(struct jr_walk *w)
{
	while (w->i < w->len && w->buf[w->i] != '\0' &&
	    strchr(" \t\r\n", w->buf[w->i]) != NULL)
		jw_adv(w);
}

/* Past a string at w->i; its text, unescaped, when key is not NULL. */
static void
jw_string(struct jr_walk *w, char **key)
{
	struct json_object *o;
	size_t              start = w->i;
	char               *raw;

	jw_adv(w);
	while (w->i < w->len && w->buf[w->i] != '"') {
		if (w->buf[w->i] == '\\' && w->i + 1 < w->len)
			jw_adv(w);
		jw_adv(w);
	}
	if (w->i < w->len)
		jw_adv(w);
	if (key == NULL)
		return;
	raw = xstrndup(w->buf + start, w->i - start);
	o = json_tokener_parse(raw);
	*key = xstrdup(json_object_is_type(o, json_type_string) ?
	        json_object_get_string(o) :
	        "");
	json_object_put(o);
	free(raw);
}

static void jw_value(struct jr_walk *, const char *);

/* The members (or elements) of the object (or array) at w->i. */
static void
jw_container(struct jr_walk *w, const char *path)
{
	char   close = w->buf[w->i] == '{' ? '}' : ']', *key, *sub;
	size_t idx = 0;

	jw_adv(w);
	for (;;) {
		jw_ws(w);
		if (w->i >= w->len || w->buf[w->i] == close) {
			if (w->i < w->len)
				jw_adv(w);
			return;
		}
		if (w->buf[w->i] == ',') {
			jw_adv(w);
			continue;
		}
		if (close == '}') {
			jw_string(w, &key);
			jw_ws(w);
			if (w->i < w->len)
				jw_adv(w); /* ':' */
			xasprintf(&sub, "%s%s%s", path, *path ? "." : "", key);
			free(key);
		} else
			xasprintf(&sub, "%s[%zu]", path, idx++);
		jw_value(w, sub);
		free(sub);
	}
}

static void
jw_value(struct jr_walk *w, const char *path)
{
	jw_ws(w);
	if (w->i >= w->len)
		return;
	if (*path != '\0')
		json_object_object_add(w->pos, path,
		    json_object_new_int64(JSON_POS(w->line, w->col)));
	if (w->buf[w->i] == '{' || w->buf[w->i] == '[')
		jw_container(w, path);
	else if (w->buf[w->i] == '"')
		jw_string(w, NULL);
	else
		while (w->i < w->len && w->buf[w->i] != '\0' &&
		    strchr(",}] \t\r\n", w->buf[w->i]) == NULL)
			jw_adv(w);
}

static struct json_object *
jr_positions(const char *buf, size_t len)
{
	struct jr_walk w = { buf, len, 0, 1, 1, NULL };

	w.pos = json_object_new_object();
	jw_value(&w, "");
	return w.pos;
}

struct json_object *
json_relaxed_parse(const char *text, size_t len, char *err, size_t errlen)
{
	return json_relaxed_parse_pos(text, len, NULL, err, errlen);
}

struct json_object *
json_relaxed_parse_pos(const char *text, size_t len, struct json_object **pos,
    char *err, size_t errlen)
{
	struct json_tokener    *tok;
	struct json_object     *obj;
	enum json_tokener_error jerr;
	char                   *buf;
	long                    bad;
	const char             *why;
	size_t                  end;
	int                     line, col;

	if (pos != NULL)
		*pos = NULL;
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((bad = jr_strip(buf, len, &why)) >= 0) {
		jr_position(text, (size_t)bad, &line, &col);
		snprintf(err, errlen, "%d:%d: %s", line, col, why);
		free(buf);
		return NULL;
	}
	tok = json_tokener_new_ex(JSON_RELAXED_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		jr_position(text, len, &line, &col);
		snprintf(err, errlen, "%d:%d: unexpected end of input", line,
		    col);
	} else if (obj == NULL && jerr == json_tokener_success) {
		snprintf(err, errlen, "1:1: the value is null");
	} else if (obj == NULL) {
		jr_position(text, end > 0 ? end - 1 : 0, &line, &col);
		snprintf(err, errlen, "%d:%d: %s", line, col,
		    json_tokener_error_desc(jerr));
	} else {
		while (end < len && strchr(" \t\r\n", buf[end]) != NULL)
			end++;
		if (end < len) {
			jr_position(text, end, &line, &col);
			snprintf(err, errlen,
			    "%d:%d: unexpected text after "
			    "the value",
			    line, col);
			json_object_put(obj);
			obj = NULL;
		}
	}
	if (obj != NULL && pos != NULL)
		*pos = jr_positions(buf, len);
	json_tokener_free(tok);
	free(buf);
	return obj;
}
