/*
 * Session nodes and their windows: ensure, reset (/new, /reset), delete,
 * patch, the entry's free-form members and a window's model.  A change
 * that touches two rows is one transaction.
 */
#include "config.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "workers/agent/store-int.h"

/* Bounds the entry JSON (json_patch could grow it call after call). */
#define STORE_ENTRY_MAX (64 * 1024)

int
store_node_sid(struct agent_store *st, const char *key,
    char sid[AGENT_STORE_ID_LEN + 1], const char *op, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	int           rc, found = 0;

	sid[0] = '\0';
	if (store_stmt(st, STMT_NODE_SID, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		found = store_column_id(stmt, 0, sid) == 0 ? 1 : -1;
	store_stmt_done(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(op, rc, err, errlen);
	if (found == -1)
		return store_fail(op, SQLITE_CORRUPT, err, errlen);
	return found;
}

/* Insert the window sid of key. */
static int
store_window_insert(struct agent_store *st, const char *key,
    enum agent_window_reason reason, const char *sid, int64_t now,
    const char *op, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;

	if (store_stmt(st, STMT_WINDOW_INSERT, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, sid);
	store_bind_text(stmt, 2, key);
	store_bind_text(stmt, 3, agent_window_reason_name(reason));
	sqlite3_bind_int64(stmt, 4, now);
	return store_step_done(stmt, op, err, errlen);
}

/* A new node and its first window (inside the caller's transaction). */
static int
store_node_new(struct agent_store *st, const char *key,
    enum agent_window_reason reason, char sid[AGENT_STORE_ID_LEN + 1],
    const char *op, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	int64_t       now = store_now();

	util_uuid(sid);
	if (store_stmt(st, STMT_NODE_INSERT, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	store_bind_text(stmt, 2, st->agent_id);
	store_bind_text(stmt, 3, sid);
	sqlite3_bind_int64(stmt, 4, now);
	if (store_step_done(stmt, op, err, errlen) == -1)
		return -1;
	return store_window_insert(st, key, reason, sid, now, op, err, errlen);
}

/* Within a transaction: key's session id, the node created if new. */
static int
store_node_get_or_new(struct agent_store *st, const char *key,
    char sid[AGENT_STORE_ID_LEN + 1], int *created, const char *op, char *err,
    size_t errlen)
{
	int found;

	if ((found = store_node_sid(st, key, sid, op, err, errlen)) == -1)
		return -1;
	*created = !found;
	if (found)
		return 0;
	return store_node_new(st, key, AGENT_WINDOW_INITIAL, sid, op, err,
	    errlen);
}

int
agent_store_session_ensure(struct agent_store *st, const char *key,
    char session_id[AGENT_STORE_ID_LEN + 1], int *created, char *err,
    size_t errlen)
{
	const char *op = "ensure session";
	int         found, made;

	if (store_check_key(key, op, err, errlen) == -1)
		return -1;
	/* The usual case, a known key, reads without a transaction. */
	if ((found = store_node_sid(st, key, session_id, op, err, errlen)) ==
	    -1)
		return -1;
	made = 0;
	if (!found) {
		if (store_begin(st, op, err, errlen) == -1)
			return -1;
		if (store_node_get_or_new(st, key, session_id, &made, op, err,
		        errlen) == -1 ||
		    store_commit(st, op, err, errlen) == -1) {
			store_rollback(st);
			return -1;
		}
	}
	if (created != NULL)
		*created = made;
	return 0;
}

static int
store_reset_tx(struct agent_store *st, const char *key,
    enum agent_window_reason reason, char sid[AGENT_STORE_ID_LEN + 1],
    const char *op, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	int64_t       now = store_now();
	int           found;

	if ((found = store_node_sid(st, key, sid, op, err, errlen)) == -1)
		return -1;
	if (!found)
		return store_node_new(st, key, reason, sid, op, err, errlen);
	util_uuid(sid);
	if (store_window_insert(st, key, reason, sid, now, op, err, errlen) ==
	    -1)
		return -1;
	if (store_stmt(st, STMT_NODE_SET_SID, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	store_bind_text(stmt, 2, sid);
	sqlite3_bind_int64(stmt, 3, now);
	return store_step_done(stmt, op, err, errlen);
}

int
agent_store_session_reset(struct agent_store *st, const char *key,
    enum agent_window_reason reason, char session_id[AGENT_STORE_ID_LEN + 1],
    char *err, size_t errlen)
{
	const char *op = "reset session";

	session_id[0] = '\0';
	if (store_check_key(key, op, err, errlen) == -1)
		return -1;
	if (reason == AGENT_WINDOW_INITIAL ||
	    agent_window_reason_name(reason) == NULL) {
		snprintf(err, errlen, "agent store %s: invalid reason", op);
		return -1;
	}
	if (store_begin(st, op, err, errlen) == -1)
		return -1;
	if (store_reset_tx(st, key, reason, session_id, op, err, errlen) ==
	        -1 ||
	    store_commit(st, op, err, errlen) == -1) {
		store_rollback(st);
		session_id[0] = '\0';
		return -1;
	}
	return 0;
}

int
agent_store_session_delete(struct agent_store *st, const char *key,
    int *deleted, char *err, size_t errlen)
{
	const char   *op = "delete session";
	sqlite3_stmt *stmt;

	if (store_check_key(key, op, err, errlen) == -1)
		return -1;
	/* One statement: the cascade to windows and messages is atomic. */
	if (store_stmt(st, STMT_NODE_DELETE, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	if (store_step_done(stmt, op, err, errlen) == -1)
		return -1;
	if (deleted != NULL)
		*deleted = sqlite3_changes(st->db) > 0;
	return 0;
}

static int
store_patch_check(const struct agent_session_patch *p, const char *op,
    char *err, size_t errlen)
{
	return store_check_text(p->label, "label", op, err, errlen) == -1 ||
	        store_check_text(p->model_override, "model", op, err, errlen) ==
	            -1 ||
	        store_check_text(p->thinking_level, "thinking level", op, err,
	            errlen) == -1 ?
	    -1 :
	    0;
}

static int
store_patch_tx(struct agent_store *st, const char *key,
    const struct agent_session_patch *p, const char *op, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt;
	char          sid[AGENT_STORE_ID_LEN + 1];
	int           created;

	if (store_node_get_or_new(st, key, sid, &created, op, err, errlen) ==
	    -1)
		return -1;
	if (store_stmt(st, STMT_NODE_PATCH, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	sqlite3_bind_int(stmt, 2, (p->set & AGENT_PATCH_LABEL) != 0);
	store_bind_text(stmt, 3, p->label);
	sqlite3_bind_int(stmt, 4, (p->set & AGENT_PATCH_MODEL) != 0);
	store_bind_text(stmt, 5, p->model_override);
	sqlite3_bind_int(stmt, 6, (p->set & AGENT_PATCH_THINKING) != 0);
	store_bind_text(stmt, 7, p->thinking_level);
	sqlite3_bind_int64(stmt, 8, store_now());
	return store_step_done(stmt, op, err, errlen);
}

int
agent_store_session_patch(struct agent_store *st, const char *key,
    const struct agent_session_patch *p, char *err, size_t errlen)
{
	const char *op = "patch session";

	if (store_check_key(key, op, err, errlen) == -1 ||
	    store_patch_check(p, op, err, errlen) == -1)
		return -1;
	if (store_begin(st, op, err, errlen) == -1)
		return -1;
	if (store_patch_tx(st, key, p, op, err, errlen) == -1 ||
	    store_commit(st, op, err, errlen) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

/* A one-statement update of key's rows; "no such session" if none. */
static int
store_update_key(struct agent_store *st, sqlite3_stmt *stmt, const char *op,
    char *err, size_t errlen)
{
	if (store_step_done(stmt, op, err, errlen) == -1)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		snprintf(err, errlen, "agent store %s: no such session", op);
		return -1;
	}
	return 0;
}

int
agent_store_session_merge_entry(struct agent_store *st, const char *key,
    struct json_object *fields, char *err, size_t errlen)
{
	const char   *op = "merge session entry", *text;
	sqlite3_stmt *stmt;
	size_t        len;

	if (store_check_key(key, op, err, errlen) == -1)
		return -1;
	if (!json_object_is_type(fields, json_type_object)) {
		snprintf(err, errlen, "agent store %s: not an object", op);
		return -1;
	}
	text = json_object_to_json_string_length(fields,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (len > STORE_ENTRY_MAX) {
		snprintf(err, errlen, "agent store %s: entry over %d bytes", op,
		    STORE_ENTRY_MAX);
		return -1;
	}
	if (store_stmt(st, STMT_NODE_MERGE_ENTRY, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	sqlite3_bind_text(stmt, 2, text, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 3, store_now());
	return store_update_key(st, stmt, op, err, errlen);
}

int
agent_store_window_set_model(struct agent_store *st, const char *key,
    const char *provider, const char *model, char *err, size_t errlen)
{
	const char   *op = "set window model";
	sqlite3_stmt *stmt;

	if (store_check_key(key, op, err, errlen) == -1 ||
	    store_check_text(provider, "provider", op, err, errlen) == -1 ||
	    store_check_text(model, "model", op, err, errlen) == -1)
		return -1;
	if (store_stmt(st, STMT_WINDOW_SET_MODEL, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	store_bind_text(stmt, 2, provider);
	store_bind_text(stmt, 3, model);
	return store_update_key(st, stmt, op, err, errlen);
}
