/*
 * chat.history (features.md §1.6): the newest messages of a window,
 * read newest first from the file with a seq range (seqs are dense, so
 * "skip offset from the end" is seq <= last - offset: no OFFSET scan),
 * until the limit or the byte budget, then returned oldest first.  What
 * a page holds in memory is bounded by its limit and budget, whatever
 * the window holds; a message too large for either is never read, only
 * its placeholder is sent.
 */
#include "config.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "workers/agent/store-int.h"

/* What __openclaw and the separators add to a stored message, counted
 * against the budget with its stored size. */
#define HISTORY_META_BYTES 96

struct history {
	char                 sid[AGENT_STORE_ID_LEN + 1];
	int64_t              total; /* messages in the window */
	int64_t              offset;
	int                  limit;
	size_t               budget;
	size_t               inline_max; /* larger ones become placeholders */
	struct json_object  *page[AGENT_HISTORY_LIMIT_MAX]; /* newest first */
	int                  n;
	struct json_tokener *tok;
};

static void
history_limits(struct history *h, const struct agent_history_opts *o)
{
	h->limit = o->limit;
	if (h->limit <= 0)
		h->limit = AGENT_HISTORY_LIMIT;
	if (h->limit > AGENT_HISTORY_LIMIT_MAX)
		h->limit = AGENT_HISTORY_LIMIT_MAX;
	h->budget = o->max_bytes;
	if (h->budget == 0 || h->budget > AGENT_HISTORY_BYTES_MAX)
		h->budget = AGENT_HISTORY_BYTES_MAX;
	if (h->budget < AGENT_HISTORY_BYTES_MIN)
		h->budget = AGENT_HISTORY_BYTES_MIN;
	h->inline_max = h->budget - HISTORY_META_BYTES;
	if (h->inline_max > AGENT_HISTORY_MESSAGE_MAX)
		h->inline_max = AGENT_HISTORY_MESSAGE_MAX;
	h->offset = o->offset > 0 ? o->offset : 0;
}

/* The window (current, or o->session_id if it is one of key's). */
static int
history_window(struct agent_store *st, const char *key, const char *sid,
    struct history *h, const char *op, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	int           rc, bad = 0;

	if (store_stmt(st,
	        sid != NULL ? STMT_WINDOW_OF_KEY : STMT_WINDOW_CURRENT, &stmt,
	        op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	if (sid != NULL)
		store_bind_text(stmt, 2, sid);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		bad = store_column_id(stmt, 0, h->sid);
		h->total = sqlite3_column_int64(stmt, 1);
	}
	store_stmt_done(stmt);
	if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "agent store %s: no such session%s", op,
		    sid != NULL ? " window" : "");
		return -1;
	}
	if (rc != SQLITE_ROW || bad)
		return store_fail(op, rc != SQLITE_ROW ? rc : SQLITE_CORRUPT,
		    err, errlen);
	return 0;
}

static struct json_object *
history_placeholder(const char *role)
{
	struct json_object *msg, *content, *part;

	part = json_object_new_object();
	json_object_object_add(part, "type", json_object_new_string("text"));
	json_object_object_add(part, "text",
	    json_object_new_string(AGENT_HISTORY_OMITTED_TEXT));
	content = json_object_new_array();
	json_object_array_add(content, part);
	msg = json_object_new_object();
	json_object_object_add(msg, "role",
	    json_object_new_string(role != NULL ? role : "assistant"));
	json_object_object_add(msg, "content", content);
	return msg;
}

/* The stored JSON of the row, or NULL if it is not an object. */
static struct json_object *
history_parse(struct history *h, sqlite3_stmt *stmt)
{
	struct json_object *msg;
	const char         *text;
	int                 len;

	if ((text = (const char *)sqlite3_column_text(stmt, 6)) == NULL)
		return NULL;
	len = sqlite3_column_bytes(stmt, 6);
	json_tokener_reset(h->tok);
	msg = json_tokener_parse_ex(h->tok, text, len);
	if (json_tokener_get_error(h->tok) != json_tokener_success ||
	    json_tokener_get_parse_end(h->tok) != (size_t)len ||
	    !json_object_is_type(msg, json_type_object)) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

/* The wire message of the row: stored JSON or placeholder + metadata. */
static struct json_object *
history_message(struct history *h, sqlite3_stmt *stmt)
{
	struct json_object *msg = NULL, *meta;
	const char         *reason = NULL;

	if (sqlite3_column_type(stmt, 6) == SQLITE_NULL)
		reason = "oversized";
	else if ((msg = history_parse(h, stmt)) == NULL)
		reason = "unreadable";
	if (reason != NULL)
		msg = history_placeholder(
		    (const char *)sqlite3_column_text(stmt, 2));
	if (!json_object_object_get_ex(msg, "timestamp", NULL))
		json_object_object_add(msg, "timestamp",
		    json_object_new_int64(sqlite3_column_int64(stmt, 4)));
	meta = json_object_new_object();
	json_object_object_add(meta, "id",
	    json_object_new_string((const char *)sqlite3_column_text(stmt, 1)));
	json_object_object_add(meta, "seq",
	    json_object_new_int64(sqlite3_column_int64(stmt, 0)));
	if (sqlite3_column_type(stmt, 3) != SQLITE_NULL)
		json_object_object_add(meta, "idempotencyKey",
		    json_object_new_string(
		        (const char *)sqlite3_column_text(stmt, 3)));
	if (reason != NULL) {
		json_object_object_add(meta, "truncated",
		    json_object_new_boolean(1));
		json_object_object_add(meta, "reason",
		    json_object_new_string(reason));
	}
	json_object_object_add(msg, "__openclaw", meta);
	return msg;
}

/* Rows newest first until the limit or the budget (at least one). */
static int
history_read(struct agent_store *st, struct history *h, const char *op,
    char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	size_t        used = 0, cost;
	int           rc;

	/* Past the oldest message is the oldest (and no overflow after). */
	if (h->offset > h->total)
		h->offset = h->total;
	if (store_stmt(st, STMT_MSG_PAGE, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, h->sid);
	sqlite3_bind_int64(stmt, 2, h->total - h->offset);
	sqlite3_bind_int(stmt, 3, h->limit);
	sqlite3_bind_int64(stmt, 4, (int64_t)h->inline_max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		cost = HISTORY_META_BYTES;
		if (sqlite3_column_type(stmt, 6) != SQLITE_NULL)
			cost += (size_t)sqlite3_column_int64(stmt, 5);
		else
			cost += sizeof(AGENT_HISTORY_OMITTED_TEXT) + 64;
		if (h->n > 0 && used + cost > h->budget)
			break;
		used += cost;
		h->page[h->n++] = history_message(h, stmt);
	}
	store_stmt_done(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(op, rc, err, errlen);
	return 0;
}

static struct json_object *
history_result(const char *key, struct history *h)
{
	struct json_object *res, *msgs;
	int64_t             next = h->offset + h->n;
	int                 i;

	msgs = json_object_new_array();
	for (i = h->n - 1; i >= 0; i--) {
		json_object_array_add(msgs, h->page[i]);
		h->page[i] = NULL;
	}
	res = json_object_new_object();
	json_object_object_add(res, "sessionKey", json_object_new_string(key));
	json_object_object_add(res, "sessionId",
	    json_object_new_string(h->sid));
	json_object_object_add(res, "messages", msgs);
	json_object_object_add(res, "offset", json_object_new_int64(h->offset));
	json_object_object_add(res, "nextOffset",
	    next < h->total ? json_object_new_int64(next) : NULL);
	json_object_object_add(res, "hasMore",
	    json_object_new_boolean(next < h->total));
	json_object_object_add(res, "totalMessages",
	    json_object_new_int64(h->total));
	return res;
}

static void
history_free(struct history *h)
{
	int i;

	for (i = 0; i < h->n; i++)
		json_object_put(h->page[i]);
	if (h->tok != NULL)
		json_tokener_free(h->tok);
	free(h);
}

int
agent_store_history(struct agent_store *st, const char *key,
    const struct agent_history_opts *opts, struct json_object **out, char *err,
    size_t errlen)
{
	const char               *op = "history";
	struct agent_history_opts none;
	struct history           *h;
	int                       rc = -1;

	*out = NULL;
	if (opts == NULL) {
		memset(&none, 0, sizeof(none));
		opts = &none;
	}
	if (store_check_key(key, op, err, errlen) == -1)
		return -1;
	h = xcalloc(1, sizeof(*h));
	history_limits(h, opts);
	h->tok = json_tokener_new();
	if (h->tok != NULL &&
	    history_window(st, key, opts->session_id, h, op, err, errlen) ==
	        0 &&
	    history_read(st, h, op, err, errlen) == 0) {
		*out = history_result(key, h);
		h->n = 0;
		rc = 0;
	} else if (h->tok == NULL)
		snprintf(err, errlen, "agent store %s: out of memory", op);
	history_free(h);
	return rc;
}
