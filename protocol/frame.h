/*
 * The JSON frame layer (protocol.md section 1): the one strict JSON
 * parser, frame classification, and the req / res / error / event
 * builders, for the gateway and the CLI alike.  The protocol version
 * lives here and nowhere else.
 */
#ifndef PROTOCOL_FRAME_H
#define PROTOCOL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define PROTO_VERSION   4 /* what this gateway speaks */
#define PROTO_MIN_PROBE 3 /* oldest a probe client may ask for */
#define PROTO_MIN_NODE  3 /* oldest a node host may ask for */

#define FRAME_JSON_DEPTH 64

/*
 * The text is all of the input (a command-line argument), not a message
 * body: a bare number ends with it, and whitespace may follow the value.
 */
#define FRAME_JSON_WHOLE 0x1
/*
 * JSON.parse's words only (what a user types for the CLI): json-c takes
 * single quotes, NaN and Infinity even when strict, and the gateway goes on
 * taking them from clients.  Refused, before parsing, as "unexpected word
 * or quote".
 */
#define FRAME_JSON_PURE 0x2

/*
 * Strict JSON (json-c's strict mode: no comments, no trailing commas), valid
 * UTF-8, nested at most FRAME_JSON_DEPTH deep, one value that ends the
 * text.  Returns a new reference (NULL for JSON null too: check *why),
 * or NULL with a static reason in *why (if why is not NULL).
 */
struct json_object *
frame_json_parse(const char *text, size_t len, int flags, const char **why);

enum frame_type {
	FRAME_OTHER, /* not an object, or no known "type" */
	FRAME_REQ,
	FRAME_RES,
	FRAME_EVENT,
};

/* Borrowed views into a parsed frame; NULL where a field is absent. */
struct frame {
	enum frame_type     type;
	const char         *id;      /* non-empty string, or NULL */
	const char         *method;  /* req */
	struct json_object *params;  /* req */
	int                 ok;      /* res */
	struct json_object *payload; /* res, event */
	struct json_object *error;   /* res */
	const char         *event;   /* event */
	int64_t             seq;     /* event; -1 if absent */
};

/* Fill f from o.  Classification only: proto_validate checks shapes. */
enum frame_type frame_classify(struct json_object *o, struct frame *f);
/* o[key] if it is a string, else NULL. */
const char *frame_str(struct json_object *o, const char *key);

/*
 * Builders.  Each returns a new object and takes ownership of the
 * objects passed in (payload, params, err, details, state).
 */
struct json_object *
frame_req(const char *id, const char *method, struct json_object *params);
/* A res frame: ok with payload (JSON null if NULL), or not ok with err. */
struct json_object *frame_res(const char *id, struct json_object *payload);
struct json_object *frame_res_err(const char *id, struct json_object *err);
/* ErrorShape {code, message}; callers add retryable, retryAfterMs, ... */
struct json_object *frame_error(const char *code, const char *message);
/* err.details = details; returns err. */
struct json_object *
frame_error_details(struct json_object *err, struct json_object *details);
/* An event; seq < 0 and state NULL leave those fields out. */
struct json_object *frame_event(const char *event, struct json_object *payload,
    int64_t seq, struct json_object *state);

/* The wire text of a frame (valid until o changes or is freed). */
const char *frame_text(struct json_object *o, size_t *len);

#endif
