/*
 * The agent store's statements: their SQL, prepared once per store on
 * first use and kept (SQLITE_PREPARE_PERSISTENT), so a call parses no
 * SQL; and the helpers every operation uses to run them inside one
 * transaction.  Every value from a caller is bound as a parameter.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>

#include "workers/agent/store-int.h"

static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_NODE_SID] = "SELECT session_id FROM session_nodes WHERE key = ?1",
	[STMT_NODE_INSERT] =
	    "INSERT INTO session_nodes (key, agent_id, session_id, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
	[STMT_NODE_SET_SID] = "UPDATE session_nodes SET session_id = ?2, "
	                      "updated_at = ?3 WHERE key = ?1",
	[STMT_NODE_DELETE] = "DELETE FROM session_nodes WHERE key = ?1",
	/* ?2, ?4, ?6: whether to set label, model and thinking level. */
	[STMT_NODE_PATCH] =
	    "UPDATE session_nodes SET "
	    "label = CASE WHEN ?2 THEN ?3 ELSE label END, "
	    "model_override = CASE WHEN ?4 THEN ?5 ELSE model_override END, "
	    "thinking_level = CASE WHEN ?6 THEN ?7 ELSE thinking_level END, "
	    "updated_at = ?8 WHERE key = ?1",
	/* RFC 7396 merge: a null member removes that member. */
	[STMT_NODE_MERGE_ENTRY] =
	    "UPDATE session_nodes SET entry_json = json_patch(entry_json, ?2), "
	    "updated_at = ?3 WHERE key = ?1",
	[STMT_NODE_TOUCH] =
	    "UPDATE session_nodes SET updated_at = ?2 WHERE key = ?1",
	[STMT_WINDOW_INSERT] =
	    "INSERT INTO session_windows (session_id, key, reason, created_at) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[STMT_WINDOW_SET_MODEL] =
	    "UPDATE session_windows SET provider = ?2, model = ?3 "
	    "WHERE session_id = "
	    "(SELECT session_id FROM session_nodes WHERE key = ?1)",
	[STMT_WINDOW_CURRENT] =
	    "SELECT w.session_id, w.last_seq FROM session_nodes n "
	    "JOIN session_windows w ON w.session_id = n.session_id "
	    "WHERE n.key = ?1",
	[STMT_WINDOW_OF_KEY] = "SELECT session_id, last_seq FROM "
	                       "session_windows WHERE key = ?1 AND "
	                       "session_id = ?2",
	[STMT_WINDOW_BUMP] = "UPDATE session_windows SET last_seq = ?2, "
	                     "bytes = bytes + ?3 WHERE session_id = ?1",
	[STMT_SESSION_GET] = "SELECT " STORE_SESSION_COLUMNS
	                     " FROM session_nodes n LEFT JOIN session_windows "
	                     "w ON w.session_id = n.session_id WHERE n.key = ?1",
	[STMT_SESSION_LIST] =
	    "SELECT " STORE_SESSION_COLUMNS
	    " FROM session_nodes n LEFT JOIN session_windows w "
	    "ON w.session_id = n.session_id "
	    "ORDER BY n.updated_at DESC, n.key LIMIT ?1 OFFSET ?2",
	[STMT_SESSION_COUNT] = "SELECT count(*) FROM session_nodes",
	[STMT_MSG_IDEM] = "SELECT seq, id FROM transcript_messages WHERE "
	                  "session_id = ?1 AND idempotency_key = ?2",
	[STMT_MSG_INSERT] =
	    "INSERT INTO transcript_messages (session_id, seq, id, role, "
	    "message_json, idempotency_key, created_at, bytes) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* The text of a message over ?4 bytes is not even read. */
	[STMT_MSG_PAGE] =
	    "SELECT seq, id, role, idempotency_key, created_at, bytes, "
	    "CASE WHEN bytes > ?4 THEN NULL ELSE message_json END "
	    "FROM transcript_messages WHERE session_id = ?1 AND seq <= ?2 "
	    "ORDER BY seq DESC LIMIT ?3",
};

int
store_fail(const char *op, int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "agent store %s: %s", op, sqlite3_errstr(rc));
	return -1;
}

int
store_stmt(struct agent_store *st, enum store_stmt which, sqlite3_stmt **out,
    const char *op, char *err, size_t errlen)
{
	int rc;

	if (st->stmt[which] == NULL) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[which], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[which], NULL);
		if (rc != SQLITE_OK) {
			st->stmt[which] = NULL;
			return store_fail(op, rc, err, errlen);
		}
	}
	*out = st->stmt[which];
	return 0;
}

void
store_stmt_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

int
store_bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT);
}

int
store_step_done(sqlite3_stmt *stmt, const char *op, char *err, size_t errlen)
{
	int rc;

	rc = sqlite3_step(stmt);
	store_stmt_done(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(op, rc, err, errlen);
	return 0;
}

static int
store_run(struct agent_store *st, enum store_stmt which, const char *op,
    char *err, size_t errlen)
{
	sqlite3_stmt *stmt;

	if (store_stmt(st, which, &stmt, op, err, errlen) == -1)
		return -1;
	return store_step_done(stmt, op, err, errlen);
}

int
store_begin(struct agent_store *st, const char *op, char *err, size_t errlen)
{
	return store_run(st, STMT_BEGIN, op, err, errlen);
}

int
store_commit(struct agent_store *st, const char *op, char *err, size_t errlen)
{
	if (store_run(st, STMT_COMMIT, op, err, errlen) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct agent_store *st)
{
	char err[128];

	/* SQLite may have rolled back already (a full disk, an I/O error). */
	if (sqlite3_get_autocommit(st->db))
		return;
	(void)store_run(st, STMT_ROLLBACK, "rollback", err, sizeof(err));
}

void
store_stmts_free(struct agent_store *st)
{
	int i;

	for (i = 0; i < STMT__COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
}
