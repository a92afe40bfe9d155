/*
 * sessions.list: a page of sessions, newest update first, as the wire
 * rows (features.md §1.6), read a row at a time from the file.
 */
#include "config.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <string.h>

#include "workers/agent/store-int.h"

/* The gateway's session kinds: group chats, the global one, else direct. */
static const char *
session_kind(const char *key)
{
	if (strcmp(key, "global") == 0)
		return "global";
	if (strstr(key, ":group:") != NULL || strstr(key, ":channel:") != NULL)
		return "group";
	return "direct";
}

/* Set name to s, or remove it when s is NULL. */
static void
row_str(struct json_object *row, const char *name, const char *s)
{
	if (s == NULL)
		json_object_object_del(row, name);
	else
		json_object_object_add(row, name, json_object_new_string(s));
}

static void
row_int(struct json_object *row, const char *name, int64_t v)
{
	json_object_object_add(row, name, json_object_new_int64(v));
}

struct json_object *
agent_session_row(const struct agent_session *s)
{
	struct json_object *row = NULL;

	if (s->entry_json != NULL)
		row = json_tokener_parse(s->entry_json);
	if (!json_object_is_type(row, json_type_object)) {
		json_object_put(row);
		row = json_object_new_object();
	}
	row_str(row, "key", s->key);
	row_str(row, "kind", s->key != NULL ? session_kind(s->key) : NULL);
	row_str(row, "sessionId", s->session_id);
	row_int(row, "createdAt", s->created_at);
	row_int(row, "updatedAt", s->updated_at);
	row_str(row, "label", s->label);
	if (s->label != NULL &&
	    !json_object_object_get_ex(row, "displayName", NULL))
		row_str(row, "displayName", s->label);
	row_str(row, "modelOverride", s->model_override);
	row_str(row, "model", s->model);
	row_str(row, "modelProvider", s->provider);
	row_str(row, "thinkingLevel", s->thinking_level);
	row_int(row, "messageCount", s->messages);
	return row;
}

static int
store_count(struct agent_store *st, int64_t *total, const char *op, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt;
	int           rc;

	if (store_stmt(st, STMT_SESSION_COUNT, &stmt, op, err, errlen) == -1)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*total = sqlite3_column_int64(stmt, 0);
	store_stmt_done(stmt);
	if (rc != SQLITE_ROW)
		return store_fail(op, rc, err, errlen);
	return 0;
}

/* The rows of one page into the array rows. */
static int
store_rows(struct agent_store *st, int limit, int64_t offset,
    struct json_object *rows, const char *op, char *err, size_t errlen)
{
	struct agent_session s;
	sqlite3_stmt        *stmt;
	int                  rc;

	if (store_stmt(st, STMT_SESSION_LIST, &stmt, op, err, errlen) == -1)
		return -1;
	sqlite3_bind_int(stmt, 1, limit);
	sqlite3_bind_int64(stmt, 2, offset);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_session_from_row(stmt, &s);
		json_object_array_add(rows, agent_session_row(&s));
		agent_session_free(&s);
	}
	store_stmt_done(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(op, rc, err, errlen);
	return 0;
}

int
agent_store_sessions_list(struct agent_store *st, int limit, int64_t offset,
    struct json_object **out, char *err, size_t errlen)
{
	const char         *op = "list sessions";
	struct json_object *res, *rows;
	int64_t             total = 0, n, next;

	*out = NULL;
	if (limit <= 0 || limit > AGENT_STORE_LIST_MAX)
		limit = AGENT_STORE_LIST_MAX;
	if (offset < 0)
		offset = 0;
	rows = json_object_new_array();
	if (store_count(st, &total, op, err, errlen) == -1 ||
	    store_rows(st, limit, offset, rows, op, err, errlen) == -1) {
		json_object_put(rows);
		return -1;
	}
	if (offset > total)
		offset = total;
	n = (int64_t)json_object_array_length(rows);
	next = offset + n;
	res = json_object_new_object();
	json_object_object_add(res, "sessions", rows);
	row_int(res, "count", n);
	row_int(res, "totalCount", total);
	row_int(res, "limitApplied", limit);
	row_int(res, "offset", offset);
	json_object_object_add(res, "nextOffset",
	    next < total ? json_object_new_int64(next) : NULL);
	json_object_object_add(res, "hasMore",
	    json_object_new_boolean(next < total));
	*out = res;
	return 0;
}
