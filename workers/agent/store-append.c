/*
 * Appending a message to a session's current window: the row, the
 * window's seq counter and the node's updatedAt in one transaction,
 * committed (in the WAL) before the caller acknowledges anything.  An
 * idempotency key already in the window returns the stored message, so
 * a client's retry never stores its message twice.
 */
#include "config.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "workers/agent/store-int.h"

/* What one append writes, checked before the transaction. */
struct append {
	const char *key;
	const char *role;
	const char *idem;
	const char *text; /* the message JSON */
	size_t      len;
};

static int
append_prepare(struct append *a, struct json_object *message, const char *op,
    char *err, size_t errlen)
{
	struct json_object *role;

	if (!json_object_is_type(message, json_type_object) ||
	    !json_object_object_get_ex(message, "role", &role) ||
	    !json_object_is_type(role, json_type_string) ||
	    json_object_get_string_len(role) == 0) {
		snprintf(err, errlen,
		    "agent store %s: message is not an object with a role", op);
		return -1;
	}
	a->role = json_object_get_string(role);
	if (store_check_text(a->role, "role", op, err, errlen) == -1 ||
	    store_check_text(a->idem, "idempotency key", op, err, errlen) == -1)
		return -1;
	a->text = json_object_to_json_string_length(message,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &a->len);
	if (a->len > AGENT_STORE_MESSAGE_MAX) {
		snprintf(err, errlen, "agent store %s: message over %d bytes",
		    op, AGENT_STORE_MESSAGE_MAX);
		return -1;
	}
	return 0;
}

/* The current window of key and its last seq; "no such session". */
static int
append_window(struct agent_store *st, const char *key,
    char sid[AGENT_STORE_ID_LEN + 1], int64_t *last, const char *op, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt;
	int           rc, bad = 0;

	if (store_stmt(st, STMT_WINDOW_CURRENT, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		bad = store_column_id(stmt, 0, sid);
		*last = sqlite3_column_int64(stmt, 1);
	}
	store_stmt_done(stmt);
	if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "agent store %s: no such session", op);
		return -1;
	}
	if (rc != SQLITE_ROW || bad)
		return store_fail(op, rc != SQLITE_ROW ? rc : SQLITE_CORRUPT,
		    err, errlen);
	return 0;
}

/* 1 and out filled if the window holds the idempotency key. */
static int
append_find_idem(struct agent_store *st, const struct append *a,
    struct agent_appended *out, const char *op, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	int           rc, found = 0;

	if (a->idem == NULL)
		return 0;
	if (store_stmt(st, STMT_MSG_IDEM, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, out->session_id);
	store_bind_text(stmt, 2, a->idem);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->seq = sqlite3_column_int64(stmt, 0);
		found = store_column_id(stmt, 1, out->id) == 0 ? 1 : -1;
	}
	store_stmt_done(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(op, rc, err, errlen);
	if (found == -1)
		return store_fail(op, SQLITE_CORRUPT, err, errlen);
	out->duplicate = found;
	return found;
}

static int
append_insert(struct agent_store *st, const struct append *a,
    struct agent_appended *out, int64_t now, const char *op, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt;

	if (store_stmt(st, STMT_MSG_INSERT, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, out->session_id);
	sqlite3_bind_int64(stmt, 2, out->seq);
	store_bind_text(stmt, 3, out->id);
	store_bind_text(stmt, 4, a->role);
	sqlite3_bind_text(stmt, 5, a->text, (int)a->len, SQLITE_STATIC);
	store_bind_text(stmt, 6, a->idem);
	sqlite3_bind_int64(stmt, 7, now);
	sqlite3_bind_int64(stmt, 8, (int64_t)a->len);
	return store_step_done(stmt, op, err, errlen);
}

/* The window's counter and the node's updatedAt follow the new row. */
static int
append_bump(struct agent_store *st, const struct append *a,
    const struct agent_appended *out, int64_t now, const char *op, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt;

	if (store_stmt(st, STMT_WINDOW_BUMP, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, out->session_id);
	sqlite3_bind_int64(stmt, 2, out->seq);
	sqlite3_bind_int64(stmt, 3, (int64_t)a->len);
	if (store_step_done(stmt, op, err, errlen) == -1)
		return -1;
	if (store_stmt(st, STMT_NODE_TOUCH, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, a->key);
	sqlite3_bind_int64(stmt, 2, now);
	return store_step_done(stmt, op, err, errlen);
}

static int
append_tx(struct agent_store *st, const struct append *a,
    struct agent_appended *out, const char *op, char *err, size_t errlen)
{
	int64_t last = 0, now = store_now();
	int     found;

	if (append_window(st, a->key, out->session_id, &last, op, err,
	        errlen) == -1)
		return -1;
	if ((found = append_find_idem(st, a, out, op, err, errlen)) != 0)
		return found == 1 ? 0 : -1;
	out->seq = last + 1;
	util_uuid(out->id);
	if (append_insert(st, a, out, now, op, err, errlen) == -1)
		return -1;
	return append_bump(st, a, out, now, op, err, errlen);
}

int
agent_store_append(struct agent_store *st, const char *key,
    struct json_object *message, const char *idempotency_key,
    struct agent_appended *out, char *err, size_t errlen)
{
	const char   *op = "append";
	struct append a;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	a.key = key;
	a.idem = idempotency_key;
	if (store_check_key(key, op, err, errlen) == -1 ||
	    append_prepare(&a, message, op, err, errlen) == -1)
		return -1;
	if (store_begin(st, op, err, errlen) == -1)
		return -1;
	if (append_tx(st, &a, out, op, err, errlen) == -1 ||
	    store_commit(st, op, err, errlen) == -1) {
		store_rollback(st);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
