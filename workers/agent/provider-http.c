/*
 * The request on the wire: URL, headers, JSON body.  The wire formats
 * give their endpoint, auth headers and body; the rest (content type,
 * the config's extra headers, checks that nothing in a header can split
 * it) is the same for all.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "workers/agent/http-client.h"
#include "workers/agent/provider-int.h"

json_object *
prov_json_parse(const char *text, size_t len)
{
	json_tokener *tok;
	json_object  *j;

	if (len > INT32_MAX || (tok = json_tokener_new_ex(64)) == NULL)
		return NULL;
	j = json_tokener_parse_ex(tok, text, (int)len);
	if (j != NULL && (size_t)json_tokener_get_parse_end(tok) != len) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

json_object *
prov_tool_schema(const struct prov_tool *t, char *err, size_t errlen)
{
	json_object *j;

	if (t->parameters == NULL)
		return json_object_new_object();
	j = prov_json_parse(t->parameters, strlen(t->parameters));
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		snprintf(err, errlen,
		    "tool %.64s: parameters are not a JSON "
		    "object",
		    t->name);
		return NULL;
	}
	return j;
}

/* name, and description when there is one. */
void
prov_tool_names(json_object *o, const struct prov_tool *t)
{
	json_object_object_add(o, "name", json_object_new_string(t->name));
	if (t->description != NULL)
		json_object_object_add(o, "description",
		    json_object_new_string(t->description));
}

int
prov_tools_add(const struct prov_request *r, json_object               *body,
    json_object *(*one)(const struct prov_tool *, json_object *), char *err,
    size_t errlen)
{
	json_object *a, *p;
	size_t       i;

	if (r->ntools == 0)
		return 0;
	a = json_object_new_array();
	json_object_object_add(body, "tools", a);
	for (i = 0; i < r->ntools; i++) {
		if ((p = prov_tool_schema(&r->tools[i], err, errlen)) == NULL)
			return -1;
		json_object_array_add(a, one(&r->tools[i], p));
	}
	return 0;
}

json_object *
prov_call_args(const char *arguments)
{
	json_object *j;

	if (arguments == NULL)
		return json_object_new_object();
	j = prov_json_parse(arguments, strlen(arguments));
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return json_object_new_object();
	}
	return j;
}

const char *
prov_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

long long
prov_jint(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

int
prov_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

void
prov_hdrs_add(struct prov_hdrs *h, const char *name, const char *value)
{
	h->v = xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
	xasprintf(&h->v[h->n++], "%s: %s", name, value);
}

static int
header_ok(const char *s, int name)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (name && (*s == ':' || *s == ' ')))
			return 0;
	return 1;
}

static int
check(const struct prov_config *cfg, char *err, size_t errlen)
{
	size_t i;

	if (cfg->base_url == NULL || *cfg->base_url == '\0' ||
	    !header_ok(cfg->base_url, 0)) {
		snprintf(err, errlen, "the provider has no usable baseUrl");
		return -1;
	}
	if (cfg->model == NULL || *cfg->model == '\0') {
		snprintf(err, errlen, "no model id");
		return -1;
	}
	if (cfg->api_key != NULL && !header_ok(cfg->api_key, 0)) {
		snprintf(err, errlen, "the API key holds a control character");
		return -1;
	}
	for (i = 0; i < cfg->nheaders; i++)
		if (!header_ok(cfg->headers[i].name, 1) ||
		    *cfg->headers[i].name == '\0' ||
		    !header_ok(cfg->headers[i].value, 0)) {
			snprintf(err, errlen,
			    "header %zu of the provider is not "
			    "a valid header",
			    i);
			return -1;
		}
	return 0;
}

static void
headers(struct prov_hdrs *h, const struct prov_request *r,
    const struct prov_wire *w)
{
	size_t i;

	prov_hdrs_add(h, "Content-Type", "application/json");
	prov_hdrs_add(h, "Accept",
	    r->stream ? "text/event-stream" : "application/json");
	w->auth(h, r->cfg);
	for (i = 0; i < r->cfg->nheaders; i++)
		prov_hdrs_add(h, r->cfg->headers[i].name,
		    r->cfg->headers[i].value);
}

int
prov_http_build(const struct prov_request *r, struct prov_http *out, char *err,
    size_t errlen)
{
	const struct prov_wire *w;
	struct prov_hdrs        h = { NULL, 0 };
	json_object            *body;
	const char             *s;
	size_t                  len;

	memset(out, 0, sizeof(*out));
	if (check(r->cfg, err, errlen) == -1)
		return -1;
	w = prov_wire(r->cfg->api);
	if (w->body(r, &body, err, errlen) == -1)
		return -1;
	s = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	out->body = xstrndup(s, len);
	out->body_len = len;
	json_object_put(body);
	out->url = w->url(r->cfg->base_url);
	headers(&h, r, w);
	out->headers = h.v;
	out->nheaders = h.n;
	return 0;
}

void
prov_http_free(struct prov_http *h)
{
	size_t i;

	for (i = 0; i < h->nheaders; i++) {
		hc_wipe(h->headers[i], strlen(h->headers[i]));
		free(h->headers[i]);
	}
	free(h->headers);
	free(h->url);
	free(h->body);
	memset(h, 0, sizeof(*h));
}

/* baseUrl and a path, without a doubled slash. */
char *
prov_url_join(const char *base, const char *path)
{
	char  *u;
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	xasprintf(&u, "%.*s%s", (int)n, base, path);
	return u;
}
