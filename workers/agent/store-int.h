/*
 * Inside the agent store (store.h): the handle, the statement cache and
 * the helpers the store-*.c files share.  Nothing outside workers/agent/
 * includes this.
 */
#ifndef WORKERS_AGENT_STORE_INT_H
#define WORKERS_AGENT_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "workers/agent/store.h"

/* "OCLA": marks the file as ours (PRAGMA application_id). */
#define STORE_APPLICATION_ID 1329810497
#define STORE_BUSY_MS        2000
#define STORE_AGENT_ID_MAX   64

/* Every statement the store runs; the SQL is in store-stmt.c. */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_NODE_SID,
	STMT_NODE_INSERT,
	STMT_NODE_SET_SID,
	STMT_NODE_DELETE,
	STMT_NODE_PATCH,
	STMT_NODE_MERGE_ENTRY,
	STMT_NODE_TOUCH,
	STMT_WINDOW_INSERT,
	STMT_WINDOW_SET_MODEL,
	STMT_WINDOW_CURRENT,
	STMT_WINDOW_OF_KEY,
	STMT_WINDOW_BUMP,
	STMT_SESSION_GET,
	STMT_SESSION_LIST,
	STMT_SESSION_COUNT,
	STMT_MSG_IDEM,
	STMT_MSG_INSERT,
	STMT_MSG_PAGE,
	STMT__COUNT
};

struct agent_store {
	sqlite3      *db;
	char         *path;
	char          agent_id[STORE_AGENT_ID_MAX + 1];
	sqlite3_stmt *stmt[STMT__COUNT]; /* prepared on first use */
};

/* The columns STMT_SESSION_GET and STMT_SESSION_LIST return, in order. */
#define STORE_SESSION_COLUMNS                                                \
	"n.key, n.session_id, n.label, n.model_override, n.thinking_level, " \
	"n.entry_json, n.created_at, n.updated_at, w.created_at, w.reason, " \
	"w.model, w.provider, w.last_seq"

/* store-stmt.c */
/* The cached statement, reset and unbound, in *out; -1 with err. */
int store_stmt(struct agent_store *, enum store_stmt, sqlite3_stmt **out,
    const char *op, char *err, size_t errlen);
/* Reset after use (keeps it cached). */
void store_stmt_done(sqlite3_stmt *);
/* Put "agent store <op>: <SQLite's text for rc>" in err; returns -1. */
int store_fail(const char *op, int rc, char *err, size_t errlen);
/* Bind s as text, or NULL when s is NULL. */
int store_bind_text(sqlite3_stmt *, int idx, const char *s);
/* sqlite3_step expecting SQLITE_DONE (no row). */
int store_step_done(sqlite3_stmt *, const char *op, char *err, size_t errlen);
/* BEGIN IMMEDIATE / COMMIT; a failed commit is rolled back. */
int store_begin(struct agent_store *, const char *op, char *err, size_t errlen);
int
store_commit(struct agent_store *, const char *op, char *err, size_t errlen);
/* Undo the open transaction, if any (after a failure). */
void store_rollback(struct agent_store *);
void store_stmts_free(struct agent_store *);

/* store-check.c */
/* Check a session key (1..AGENT_STORE_KEY_MAX bytes); -1 with err. */
int store_check_key(const char *key, const char *op, char *err, size_t errlen);
/* Check an optional text (NULL fine; at most AGENT_STORE_TEXT_MAX). */
int store_check_text(const char *s, const char *what, const char *op, char *err,
    size_t errlen);
/* Column col as a heap string, NULL for SQL NULL. */
char *store_column_dup(sqlite3_stmt *, int col);
/* Copy a session id column into out; -1 if it is not one. */
int store_column_id(sqlite3_stmt *, int col, char out[AGENT_STORE_ID_LEN + 1]);
/* The store's clock (a test may not go back in time, nor do we). */
int64_t store_now(void);

/* store-migrate.c */
/* Refuse a file that is not ours, or ours of a newer schema (reads
 * only); its schema version in *version. */
int store_schema_check(struct agent_store *, int *version, char *err,
    size_t errlen);
/* Bring a file of schema version up to AGENT_STORE_SCHEMA_VERSION, one
 * transaction per migration. */
int store_migrate(struct agent_store *, int version, char *err, size_t errlen);

/* store-session.c */
/* The current session id of key; 0 and sid "" when key is not stored. */
int store_node_sid(struct agent_store *, const char *key,
    char sid[AGENT_STORE_ID_LEN + 1], const char *op, char *err, size_t errlen);

/* store-get.c */
/* Fill s from a row of STORE_SESSION_COLUMNS (heap copies). */
void store_session_from_row(sqlite3_stmt *, struct agent_session *s);

#endif
