/*
 * The agent store's schema and its numbered migrations.  PRAGMA
 * user_version is the number of the last one applied; each runs in its
 * own transaction with the version bump, so a kill between two leaves a
 * file at one version or the next, never between.  A file newer than
 * this build is refused rather than guessed at: an older binary (a
 * rollback) must not write rows a newer schema reads differently.
 *
 * To change the schema, append a migration: never edit one that has
 * shipped.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>

#include "workers/agent/store-int.h"

/*
 * Version 1 (features.md §1.5): a node per session key, pointing at its
 * current window; a window per sessionId; the messages of a window by
 * seq.  Windows and messages go with their node (ON DELETE CASCADE).
 * last_seq is the window's message count: seqs are dense from 1.
 */
static const char migration_1[] =
    "CREATE TABLE session_nodes ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " agent_id TEXT NOT NULL,"
    " session_id TEXT NOT NULL,"
    " label TEXT,"
    " model_override TEXT,"
    " thinking_level TEXT,"
    " entry_json TEXT NOT NULL DEFAULT '{}'"
    "  CHECK (length(entry_json) <= 65536),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX session_nodes_updated"
    " ON session_nodes (updated_at DESC, key);"
    "CREATE TABLE session_windows ("
    " session_id TEXT PRIMARY KEY NOT NULL,"
    " key TEXT NOT NULL"
    "  REFERENCES session_nodes (key) ON DELETE CASCADE,"
    " reason TEXT NOT NULL CHECK (reason IN ('initial', 'reset',"
    "  'rollover', 'fork', 'rewind', 'switch', 'recovery', 'compaction')),"
    " created_at INTEGER NOT NULL,"
    " model TEXT,"
    " provider TEXT,"
    " last_seq INTEGER NOT NULL DEFAULT 0,"
    " bytes INTEGER NOT NULL DEFAULT 0"
    ") STRICT;"
    "CREATE INDEX session_windows_key ON session_windows (key, created_at);"
    "CREATE TABLE transcript_messages ("
    " session_id TEXT NOT NULL"
    "  REFERENCES session_windows (session_id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL CHECK (seq > 0),"
    " id TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " message_json TEXT NOT NULL,"
    " idempotency_key TEXT,"
    " created_at INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL,"
    " PRIMARY KEY (session_id, seq)"
    ") STRICT;"
    "CREATE UNIQUE INDEX transcript_messages_idem"
    " ON transcript_messages (session_id, idempotency_key)"
    " WHERE idempotency_key IS NOT NULL;";

/* migrations[i] takes a file from version i to i + 1. */
static const char *const migrations[AGENT_STORE_SCHEMA_VERSION] = {
	migration_1,
};

static int
store_pragma_int(struct agent_store *st, const char *sql, int *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *stmt;
	int           rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return store_fail("open", rc, err, errlen);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return store_fail("open", rc, err, errlen);
	return 0;
}

int
store_schema_check(struct agent_store *st, int *version, char *err,
    size_t errlen)
{
	int app, objects;

	if (store_pragma_int(st, "PRAGMA application_id", &app, err, errlen) ==
	        -1 ||
	    store_pragma_int(st, "PRAGMA user_version", version, err, errlen) ==
	        -1 ||
	    store_pragma_int(st, "SELECT count(*) FROM sqlite_master", &objects,
	        err, errlen) == -1)
		return -1;
	/* An empty file is a new store; anything else must be marked ours. */
	if (app != STORE_APPLICATION_ID &&
	    (app != 0 || *version != 0 || objects != 0)) {
		snprintf(err, errlen,
		    "agent store open: an SQLite database that is not an "
		    "agent store");
		return -1;
	}
	if (*version > AGENT_STORE_SCHEMA_VERSION || *version < 0) {
		snprintf(err, errlen,
		    "agent store open: schema version %d is newer than this "
		    "build's (%d); refusing to open it",
		    *version, AGENT_STORE_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

static int
store_migrate_one(struct agent_store *st, int to, char *err, size_t errlen)
{
	char op[32], bump[96];
	int  now, rc;

	snprintf(op, sizeof(op), "migration %d", to);
	snprintf(bump, sizeof(bump),
	    "PRAGMA user_version = %d; PRAGMA application_id = %d;", to,
	    STORE_APPLICATION_ID);
	if ((rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return store_fail(op, rc, err, errlen);
	/* Another process (the previous generation) may have got there. */
	if (store_pragma_int(st, "PRAGMA user_version", &now, err, errlen) ==
	    -1) {
		store_rollback(st);
		return -1;
	}
	if (now >= to) {
		store_rollback(st);
		return 0;
	}
	if ((rc = sqlite3_exec(st->db, migrations[to - 1], NULL, NULL, NULL)) !=
	        SQLITE_OK ||
	    (rc = sqlite3_exec(st->db, bump, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL)) !=
	        SQLITE_OK) {
		store_rollback(st);
		return store_fail(op, rc, err, errlen);
	}
	return 0;
}

int
store_migrate(struct agent_store *st, int version, char *err, size_t errlen)
{
	int v;

	for (v = version; v < AGENT_STORE_SCHEMA_VERSION; v++)
		if (store_migrate_one(st, v + 1, err, errlen) == -1)
			return -1;
	return 0;
}
