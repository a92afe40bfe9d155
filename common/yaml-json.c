#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/json-relaxed.h"
#include "common/xmalloc.h"
#include "common/yaml-json.h"

#define YAML_MAX_DEPTH 64

/* Plain scalars are typed as YAML 1.2's core schema says; quoted ones are strings. */
static struct json_object *
yj_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	char       *end;
	long long   n;
	double      d;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_object_new_string_len(v,
		    (int)ev->data.scalar.length);
	if (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)
		return NULL;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
		return json_object_new_boolean(*v == 't');
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end == '\0' && errno == 0)
		return json_object_new_int64(n);
	d = strtod(v, &end);
	if (*end == '\0' && errno == 0)
		return json_object_new_double(d);
	return json_object_new_string(v);
}

static void
yj_error(const yaml_parser_t *p, const yaml_mark_t *m, const char *why,
    char *err, size_t errlen)
{
	snprintf(err, errlen, "%zu:%zu: %s", m->line + 1, m->column + 1,
	    why ? why : (p->problem ? p->problem : "invalid YAML"));
}

/* A walk's state: where each value starts, by key path (or NULL). */
struct yj_walk {
	yaml_parser_t      *p;
	struct json_object *pos;
};

static void
yj_note(struct yj_walk *w, const char *path, const yaml_mark_t *m)
{
	if (w->pos != NULL && *path != '\0')
		json_object_object_add(w->pos, path,
		    json_object_new_int64(
		        JSON_POS(m->line + 1, m->column + 1)));
}

static char *
yj_subpath(const char *path, struct json_object *k, size_t idx)
{
	char *s;

	if (k != NULL)
		xasprintf(&s, "%s%s%s", path, *path ? "." : "",
		    json_object_get_string(k));
	else
		xasprintf(&s, "%s[%zu]", path, idx);
	return s;
}

/* Parse one node whose first event is ev; NULL value for YAML null. */
static int
yj_node(struct yj_walk *w, yaml_event_t *ev, int depth, const char *path,
    struct json_object **out, char *err, size_t errlen)
{
	yaml_parser_t      *p = w->p;
	yaml_event_t        sub;
	struct json_object *c, *k;
	char               *sp;
	size_t              idx = 0;
	int                 is_map, rv;

	*out = NULL;
	yj_note(w, path, &ev->start_mark);
	if (ev->type == YAML_ALIAS_EVENT) {
		yj_error(p, &ev->start_mark, "aliases are not supported", err,
		    errlen);
		return -1;
	}
	if (ev->type == YAML_SCALAR_EVENT) {
		*out = yj_scalar(ev);
		return 0;
	}
	if (ev->type != YAML_MAPPING_START_EVENT &&
	    ev->type != YAML_SEQUENCE_START_EVENT) {
		yj_error(p, &ev->start_mark, "unexpected YAML event", err,
		    errlen);
		return -1;
	}
	if (depth >= YAML_MAX_DEPTH) {
		yj_error(p, &ev->start_mark, "nesting too deep", err, errlen);
		return -1;
	}
	is_map = ev->type == YAML_MAPPING_START_EVENT;
	*out = is_map ? json_object_new_object() : json_object_new_array();
	for (;;) {
		if (!yaml_parser_parse(p, &sub)) {
			yj_error(p, &p->problem_mark, NULL, err, errlen);
			return -1;
		}
		if (sub.type == YAML_MAPPING_END_EVENT ||
		    sub.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&sub);
			return 0;
		}
		if (is_map) {
			if (sub.type != YAML_SCALAR_EVENT) {
				yj_error(p, &sub.start_mark,
				    "mapping keys must be scalars", err,
				    errlen);
				yaml_event_delete(&sub);
				return -1;
			}
			k = json_object_new_string(
			    (const char *)sub.data.scalar.value);
			yaml_event_delete(&sub);
			if (!yaml_parser_parse(p, &sub)) {
				json_object_put(k);
				yj_error(p, &p->problem_mark, NULL, err,
				    errlen);
				return -1;
			}
		} else
			k = NULL;
		sp = yj_subpath(path, k, idx++);
		rv = yj_node(w, &sub, depth + 1, sp, &c, err, errlen);
		free(sp);
		if (rv == -1) {
			json_object_put(k);
			json_object_put(c);
			yaml_event_delete(&sub);
			return -1;
		}
		yaml_event_delete(&sub);
		if (is_map) {
			json_object_object_add(*out, json_object_get_string(k),
			    c);
			json_object_put(k);
		} else
			json_object_array_add(*out, c);
	}
}

struct json_object *
yaml_to_json(const char *text, size_t len, char *err, size_t errlen)
{
	return yaml_to_json_pos(text, len, NULL, err, errlen);
}

struct json_object *
yaml_to_json_pos(const char *text, size_t len, struct json_object **pos,
    char *err, size_t errlen)
{
	yaml_parser_t       p;
	yaml_event_t        ev;
	struct json_object *root = NULL;
	struct yj_walk      w = { &p, NULL };
	int                 rv = -1;

	if (pos != NULL) {
		*pos = NULL;
		w.pos = json_object_new_object();
	}

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	/* stream start, document start, then the root node */
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			yj_error(&p, &p.problem_mark, NULL, err, errlen);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			root = json_object_new_object(); /* empty file */
			rv = 0;
		} else
			rv = yj_node(&w, &ev, 0, "", &root, err, errlen);
		yaml_event_delete(&ev);
		break;
	}
	yaml_parser_delete(&p);
	if (rv == 0 && root == NULL) {
		snprintf(err, errlen, "1:1: the document is null");
		rv = -1;
	}
	if (rv == -1) {
		json_object_put(root);
		json_object_put(w.pos);
		return NULL;
	}
	if (pos != NULL)
		*pos = w.pos;
	return root;
}
