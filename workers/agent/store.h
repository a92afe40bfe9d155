/*
 * The session and transcript store of the agent worker: one SQLite file
 * per agent, <stateDir>/agents/<agentId>/agent/openclaw-agent.sqlite
 * (features.md §1.5), written by one process (the agent worker).
 *
 * A session key (agent:main:main) names a session node; the node points
 * at its current window, one transcript generation with its own
 * sessionId (a UUID v4); /new and /reset open a new window and keep the
 * old ones.  Messages are appended to the current window, numbered by
 * seq from 1 without gaps (nothing deletes a single message).
 *
 * Durability: every write is one transaction committed before the
 * function returns.  WAL with synchronous=NORMAL: a commit is in the WAL
 * file (the kernel's page cache) when it returns, so a kill -9 of the
 * process at any moment loses nothing acknowledged and never corrupts
 * the file; a power loss may roll back the last commits (never corrupt)
 * unless the store is opened with AGENT_STORE_SYNC_FULL, which fsyncs
 * the WAL at every commit.
 *
 * Memory does not grow with what is stored: statements are prepared
 * once per store, lists and histories are read a page at a time
 * (bounded by their limits) straight from the file.
 *
 * Every function that can fail returns -1 and puts one line in err (at
 * most errlen bytes) naming the operation and the cause (SQLite's text
 * for its result code, never its message, which may quote a value): the
 * line never holds a message's text nor any other string from a client.
 * Times are milliseconds since the epoch.  Not thread-safe: one store is
 * used by one thread.
 */
#ifndef WORKERS_AGENT_STORE_H
#define WORKERS_AGENT_STORE_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct agent_store;

#define AGENT_STORE_FILE "openclaw-agent.sqlite"
/* The schema this build writes; a newer file is refused. */
#define AGENT_STORE_SCHEMA_VERSION 1
#define AGENT_STORE_ID_LEN         36  /* a sessionId or message id */
#define AGENT_STORE_KEY_MAX        512 /* bytes of a session key */
#define AGENT_STORE_TEXT_MAX       512 /* label, model, thinking level, ... */
#define AGENT_STORE_MESSAGE_MAX    (16 * 1024 * 1024) /* stored JSON */
/* sessions.list: rows per page (a larger limit is capped). */
#define AGENT_STORE_LIST_MAX 1000
/* chat.history (features.md §1.6). */
#define AGENT_HISTORY_LIMIT        200
#define AGENT_HISTORY_LIMIT_MAX    1000
#define AGENT_HISTORY_BYTES_MAX    (6 * 1024 * 1024)
#define AGENT_HISTORY_BYTES_MIN    1024
#define AGENT_HISTORY_MESSAGE_MAX  (128 * 1024)
#define AGENT_HISTORY_OMITTED_TEXT "[chat.history omitted: message too large]"

/* agent_store_open flags. */
#define AGENT_STORE_SYNC_FULL 0x1 /* fsync at every commit (power loss) */

/* Why a window was opened (session_windows.reason). */
enum agent_window_reason {
	AGENT_WINDOW_INITIAL,
	AGENT_WINDOW_RESET,
	AGENT_WINDOW_ROLLOVER,
	AGENT_WINDOW_FORK,
	AGENT_WINDOW_REWIND,
	AGENT_WINDOW_SWITCH,
	AGENT_WINDOW_RECOVERY,
	AGENT_WINDOW_COMPACTION,
};

/* One session node and its current window; strings are heap, NULL when
 * unset.  agent_session_free releases the members. */
struct agent_session {
	char   *key;
	char    session_id[AGENT_STORE_ID_LEN + 1];
	char   *label;
	char   *model_override; /* as sessions.patch gave it */
	char   *thinking_level;
	char   *entry_json; /* the rest of the entry: a JSON object */
	int64_t created_at;
	int64_t updated_at;
	/* The current window. */
	int64_t window_created_at;
	char   *window_reason;
	char   *model; /* what its runs last used */
	char   *provider;
	int64_t messages; /* in the current window */
};

/* sessions.patch: the fields named in set change; a NULL value clears. */
#define AGENT_PATCH_LABEL    0x1
#define AGENT_PATCH_MODEL    0x2
#define AGENT_PATCH_THINKING 0x4
struct agent_session_patch {
	unsigned    set;
	const char *label;
	const char *model_override;
	const char *thinking_level;
};

/* What agent_store_append stored (or found, for a repeated key). */
struct agent_appended {
	int64_t seq;
	char    id[AGENT_STORE_ID_LEN + 1];
	char    session_id[AGENT_STORE_ID_LEN + 1];
	int     duplicate; /* 1: the idempotency key was already stored */
};

/* chat.history paging; zeroes give the defaults. */
struct agent_history_opts {
	const char *session_id; /* a window of the key; NULL: the current */
	int         limit;      /* 0: 200; capped at 1000 */
	size_t      max_bytes;  /* 0: 6 MiB; capped at 6 MiB, at least 1 KiB */
	int64_t     offset;     /* messages skipped from the newest end */
};

/* store.c */
/*
 * Open (creating the directories 0700, the file 0600 and the schema) the
 * store of agentId (^[a-z0-9][a-z0-9_-]{0,63}$, any case, used
 * lowercased) under stateDir, which must exist.  A file that is not an
 * SQLite database, not ours, or of a newer schema is refused.
 */
int agent_store_open(struct agent_store **out, const char *state_dir,
    const char *agent_id, int flags, char *err, size_t errlen);
/* Finalize the statements and close the file; NULL is fine. */
void agent_store_close(struct agent_store *);
/* The database file's path (sessions.list "path"); owned by the store. */
const char *agent_store_path(const struct agent_store *);
/* The agent id the store belongs to (lowercased); owned by the store. */
const char *agent_store_agent_id(const struct agent_store *);

/* store-session.c */
/*
 * The session id of key's current window, creating the node and its
 * initial window when key is new (*created = 1, else 0; created may be
 * NULL).
 */
int agent_store_session_ensure(struct agent_store *, const char *key,
    char session_id[AGENT_STORE_ID_LEN + 1], int *created, char *err,
    size_t errlen);
/*
 * Open a new window for key (/new, /reset: reason is not INITIAL) and
 * make it current; the old windows and their messages stay.  A key not
 * stored yet is created with that window.
 */
int agent_store_session_reset(struct agent_store *, const char *key,
    enum agent_window_reason, char session_id[AGENT_STORE_ID_LEN + 1],
    char *err, size_t errlen);
/* Delete key, its windows and their messages; *deleted = 0 if there was
 * no such key (deleted may be NULL). */
int agent_store_session_delete(struct agent_store *, const char *key,
    int *deleted, char *err, size_t errlen);
/* Change the fields patch->set names (creating key if new). */
int agent_store_session_patch(struct agent_store *, const char *key,
    const struct agent_session_patch *, char *err, size_t errlen);
/*
 * Merge the members of fields (a JSON object) into key's entry JSON, the
 * fields without a column (token counts, origin, ...): a null member
 * removes that member.  Key must exist.
 */
int agent_store_session_merge_entry(struct agent_store *, const char *key,
    struct json_object *fields, char *err, size_t errlen);
/* Record the model and provider the current window of key runs with
 * (NULL clears).  Key must exist. */
int agent_store_window_set_model(struct agent_store *, const char *key,
    const char *provider, const char *model, char *err, size_t errlen);
/* Read key into *out (1), or 0 when there is no such key (out is then
 * zeroed).  Free with agent_session_free after a 1. */
int  agent_store_session_get(struct agent_store *, const char *key,
     struct agent_session *out, char *err, size_t errlen);
void agent_session_free(struct agent_session *);
/* The name of a window reason ("initial", "reset", ...). */
const char *agent_window_reason_name(enum agent_window_reason);

/* store-list.c */
/*
 * A sessions.list row for s (key, kind, sessionId, createdAt, updatedAt,
 * label, displayName, modelOverride, model, modelProvider,
 * thinkingLevel, messageCount, and the entry's members, which the
 * column-derived ones override); a new reference.
 */
struct json_object *agent_session_row(const struct agent_session *);
/*
 * A page of sessions, newest update first: {sessions[], count,
 * totalCount, limitApplied, offset, nextOffset (null at the end),
 * hasMore}.  limit <= 0 or above AGENT_STORE_LIST_MAX is
 * AGENT_STORE_LIST_MAX; offset < 0 is 0.  *out is a new reference.
 */
int agent_store_sessions_list(struct agent_store *, int limit, int64_t offset,
    struct json_object **out, char *err, size_t errlen);

/* store-append.c */
/*
 * Append message (a JSON object with a string "role") to key's current
 * window, in one transaction committed before the return.  With an
 * idempotency key (NULL: none) already stored in that window, nothing is
 * written and *out names the stored message (out->duplicate = 1).  The
 * node's updatedAt becomes now.  Key must exist.
 */
int agent_store_append(struct agent_store *, const char *key,
    struct json_object *message, const char *idempotency_key,
    struct agent_appended *out, char *err, size_t errlen);

/* store-history.c */
/*
 * The chat.history tail page of key's current window (or of
 * opts->session_id): {sessionKey, sessionId, messages[], offset,
 * nextOffset, hasMore, totalMessages}.  Messages are the newest ones
 * after skipping opts->offset, oldest first, at most limit and at most
 * max_bytes of stored JSON; each carries __openclaw {id, seq,
 * idempotencyKey?} and a timestamp (its store time if it had none).  A
 * message over 128 KiB, or alone over max_bytes, is replaced by the
 * placeholder text with __openclaw {truncated: true, reason:
 * "oversized"}.  nextOffset is the offset of the next older page.  Key
 * must exist.  *out is a new reference.
 */
int agent_store_history(struct agent_store *, const char   *key,
    const struct agent_history_opts *, struct json_object **out, char *err,
    size_t errlen);

#endif
