/* The JSON frame layer: see frame.h. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "protocol/frame.h"

/* json_tokener_get_parse_end() arrived in json-c 0.15; configure takes 0.13 */
static size_t
frame_parse_end(struct json_tokener *tok)
{
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	return json_tokener_get_parse_end(tok);
#else
	return (size_t)tok->char_offset;
#endif
}

/* Where the whitespace from text[i] on ends (text need not end in NUL). */
static size_t
frame_json_space(const char *text, size_t i, size_t len)
{
	while (i < len && text[i] != '\0' && strchr(" \t\r\n", text[i]) != NULL)
		i++;
	return i;
}

/* Outside strings only JSON's words: true, false, null and exponents. */
static int
frame_json_words(const char *t, const char *end)
{
	size_t n;
	int    instr = 0;

	for (; t < end && *t != '\0'; t++) {
		if (instr) {
			if (*t == '\\' && t + 1 < end && t[1] != '\0')
				t++;
			else if (*t == '"')
				instr = 0;
			continue;
		}
		if (*t == '"') {
			instr = 1;
			continue;
		}
		if (*t == '\'')
			return -1;
		if (!isalpha((unsigned char)*t))
			continue;
		for (n = 1; t + n < end && isalpha((unsigned char)t[n]); n++)
			;
		if (!((n == 4 &&
		          (strncmp(t, "true", 4) == 0 ||
		              strncmp(t, "null", 4) == 0)) ||
		        (n == 5 && strncmp(t, "false", 5) == 0) ||
		        (n == 1 && (*t == 'e' || *t == 'E'))))
			return -1;
		t += n - 1;
	}
	return 0;
}

/* A number at the very end is complete only once the input is: say so. */
static struct json_object *
frame_json_finish(struct json_tokener *tok, enum json_tokener_error *jerr)
{
	struct json_object *o;

	o = json_tokener_parse_ex(tok, "", 1);
	*jerr = json_tokener_get_error(tok);
	return o;
}

struct json_object *
frame_json_parse(const char *text, size_t len, int flags, const char **why)
{
	struct json_tokener    *tok;
	struct json_object     *o;
	enum json_tokener_error jerr;
	const char             *w = NULL;
	size_t                  end;

	if ((flags & FRAME_JSON_PURE) &&
	    frame_json_words(text, text + len) == -1) {
		w = "unexpected word or quote";
		goto out;
	}
	if ((tok = json_tokener_new_ex(FRAME_JSON_DEPTH)) == NULL) {
		w = "out of memory";
		goto out;
	}
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = frame_parse_end(tok);
	if (o == NULL && jerr == json_tokener_continue &&
	    (flags & FRAME_JSON_WHOLE) && len > 0) {
		o = frame_json_finish(tok, &jerr);
		end = len;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success)
		w = jerr == json_tokener_continue ?
		    "unexpected end of input" :
		    json_tokener_error_desc(jerr);
	else if ((flags & FRAME_JSON_WHOLE ? frame_json_space(text, end, len) :
	                                     end) != len)
		w = "trailing characters after the value";
	if (w != NULL) {
		json_object_put(o);
		o = NULL;
	}
out:
	if (why != NULL)
		*why = w;
	return w == NULL ? o : NULL;
}

const char *
frame_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A non-empty string (in JSON's terms: "\u0000" is not empty). */
static const char *
frame_nes(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return NULL;
	return json_object_get_string(v);
}

enum frame_type
frame_classify(struct json_object *o, struct frame *f)
{
	const char         *type;
	struct json_object *v;

	memset(f, 0, sizeof(*f));
	f->seq = -1;
	if (!json_object_is_type(o, json_type_object))
		return f->type = FRAME_OTHER;
	f->id = frame_nes(o, "id");
	f->payload = json_object_object_get(o, "payload");
	if ((type = frame_str(o, "type")) == NULL)
		return f->type = FRAME_OTHER;
	if (strcmp(type, "req") == 0) {
		f->method = frame_nes(o, "method");
		f->params = json_object_object_get(o, "params");
		return f->type = FRAME_REQ;
	}
	if (strcmp(type, "res") == 0) {
		f->ok = json_object_get_boolean(
		    json_object_object_get(o, "ok"));
		f->error = json_object_object_get(o, "error");
		return f->type = FRAME_RES;
	}
	if (strcmp(type, "event") == 0) {
		f->event = frame_nes(o, "event");
		if (json_object_object_get_ex(o, "seq", &v) &&
		    json_object_is_type(v, json_type_int))
			f->seq = json_object_get_int64(v);
		return f->type = FRAME_EVENT;
	}
	return f->type = FRAME_OTHER;
}

static struct json_object *
frame_new(const char *type)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

struct json_object *
frame_req(const char *id, const char *method, struct json_object *params)
{
	struct json_object *o = frame_new("req");

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(o, "params", params);
	return o;
}

/* Key order: type, id, ok, then payload or error. */
static struct json_object *
frame_res_new(const char *id, int ok, const char *key, struct json_object *v)
{
	struct json_object *o = frame_new("res");

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, key, v);
	return o;
}

struct json_object *
frame_res(const char *id, struct json_object *payload)
{
	return frame_res_new(id, 1, "payload", payload);
}

struct json_object *
frame_res_err(const char *id, struct json_object *err)
{
	return frame_res_new(id, 0, "error", err);
}

struct json_object *
frame_error(const char *code, const char *message)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	return e;
}

struct json_object *
frame_error_details(struct json_object *err, struct json_object *details)
{
	json_object_object_add(err, "details", details);
	return err;
}

/* Key order: type, event, payload, seq, stateVersion. */
struct json_object *
frame_event(const char *event, struct json_object *payload, int64_t seq,
    struct json_object *state)
{
	struct json_object *o = frame_new("event");

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "payload", payload);
	if (seq >= 0)
		json_object_object_add(o, "seq", json_object_new_int64(seq));
	if (state != NULL)
		json_object_object_add(o, "stateVersion", state);
	return o;
}

const char *
frame_text(struct json_object *o, size_t *len)
{
	return json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
