/*
 * Reading one session (node and current window) into a struct
 * agent_session, and the names of window reasons.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "workers/agent/store-int.h"

static const char *const reason_names[] = {
	[AGENT_WINDOW_INITIAL] = "initial",
	[AGENT_WINDOW_RESET] = "reset",
	[AGENT_WINDOW_ROLLOVER] = "rollover",
	[AGENT_WINDOW_FORK] = "fork",
	[AGENT_WINDOW_REWIND] = "rewind",
	[AGENT_WINDOW_SWITCH] = "switch",
	[AGENT_WINDOW_RECOVERY] = "recovery",
	[AGENT_WINDOW_COMPACTION] = "compaction",
};

const char *
agent_window_reason_name(enum agent_window_reason r)
{
	if ((unsigned)r >= sizeof(reason_names) / sizeof(reason_names[0]))
		return NULL;
	return reason_names[r];
}

void
store_session_from_row(sqlite3_stmt *stmt, struct agent_session *s)
{
	memset(s, 0, sizeof(*s));
	s->key = store_column_dup(stmt, 0);
	(void)store_column_id(stmt, 1, s->session_id);
	s->label = store_column_dup(stmt, 2);
	s->model_override = store_column_dup(stmt, 3);
	s->thinking_level = store_column_dup(stmt, 4);
	s->entry_json = store_column_dup(stmt, 5);
	s->created_at = sqlite3_column_int64(stmt, 6);
	s->updated_at = sqlite3_column_int64(stmt, 7);
	s->window_created_at = sqlite3_column_int64(stmt, 8);
	s->window_reason = store_column_dup(stmt, 9);
	s->model = store_column_dup(stmt, 10);
	s->provider = store_column_dup(stmt, 11);
	s->messages = sqlite3_column_int64(stmt, 12);
}

int
agent_store_session_get(struct agent_store *st, const char *key,
    struct agent_session *out, char *err, size_t errlen)
{
	const char   *op = "get session";
	sqlite3_stmt *stmt;
	int           rc;

	memset(out, 0, sizeof(*out));
	if (store_check_key(key, op, err, errlen) == -1)
		return -1;
	if (store_stmt(st, STMT_SESSION_GET, &stmt, op, err, errlen) == -1)
		return -1;
	store_bind_text(stmt, 1, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		store_session_from_row(stmt, out);
	store_stmt_done(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(op, rc, err, errlen);
}

void
agent_session_free(struct agent_session *s)
{
	if (s == NULL)
		return;
	free(s->key);
	free(s->label);
	free(s->model_override);
	free(s->thinking_level);
	free(s->entry_json);
	free(s->window_reason);
	free(s->model);
	free(s->provider);
	memset(s, 0, sizeof(*s));
}
