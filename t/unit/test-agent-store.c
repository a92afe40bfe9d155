#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workers/agent/store.h"
#include "t/unit/tap.h"

/*
 * The agent's session and transcript store (workers/agent/store*.c):
 * the file and its modes, the schema and its version checks, sessions
 * (ensure, reset, delete, patch, entry, list) and transcripts (append,
 * idempotency, history pages, byte budget, oversized placeholder).  The
 * crash behaviour is t/69-agent-store-crash.t's.
 */

static char err[512];

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/test-agent-store.XXXXXX");

	if (d == NULL || mkdtemp(d) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return d;
}

static void
rmtree(const char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", d);
}

static int
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == -1 ? -1 : (int)(sb.st_mode & 07777);
}

static int
is_uuid4(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 36 || s[14] != '4' ||
	    strchr("89ab", s[19]) == NULL)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ?
		        s[i] != '-' :
		        !strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

/* One integer from SQL run straight on the file (-1 on error). */
static long long
sql_int(const char *path, const char *sql)
{
	sqlite3      *db;
	sqlite3_stmt *stmt;
	long long     v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

static int
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int      rc;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static struct json_object *
text_message(const char *role, const char *text)
{
	struct json_object *msg, *part, *content;

	part = json_object_new_object();
	json_object_object_add(part, "type", json_object_new_string("text"));
	json_object_object_add(part, "text", json_object_new_string(text));
	content = json_object_new_array();
	json_object_array_add(content, part);
	msg = json_object_new_object();
	json_object_object_add(msg, "role", json_object_new_string(role));
	json_object_object_add(msg, "content", content);
	return msg;
}

static int
append_text(struct agent_store *st, const char *key, const char *text,
    const char *idem, struct agent_appended *a)
{
	struct json_object *msg = text_message("user", text);
	int                 rc;

	rc = agent_store_append(st, key, msg, idem, a, err, sizeof(err));
	json_object_put(msg);
	return rc;
}

static const char *
jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static long long
jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return -1;
	return json_object_get_int64(v);
}

/* The text of a history message's first content part. */
static const char *
msg_text(struct json_object *m)
{
	struct json_object *c;

	if (!json_object_object_get_ex(m, "content", &c))
		return NULL;
	return jstr(json_object_array_get_idx(c, 0), "text");
}

static struct json_object *
msg_meta(struct json_object *m)
{
	return json_object_object_get(m, "__openclaw");
}

static struct agent_store *
open_ok(const char *dir, const char *what)
{
	struct agent_store *st = NULL;

	ok(agent_store_open(&st, dir, "main", 0, err, sizeof(err)) == 0,
	    "open: %s", what);
	if (st == NULL) {
		printf("# %s\n", err);
		exit(tap_done());
	}
	return st;
}

static void
test_open(void)
{
	struct agent_store *st;
	char               *d = tmpdir(), p[512], missing[600];

	st = open_ok(d, "a new store");
	snprintf(p, sizeof(p), "%s/agents/main/agent/openclaw-agent.sqlite", d);
	is_str(agent_store_path(st), p, "the file is where features.md says");
	is_int(mode_of(p), 0600, "file 0600");
	snprintf(p, sizeof(p), "%s/agents", d);
	is_int(mode_of(p), 0700, "agents/ 0700");
	snprintf(p, sizeof(p), "%s/agents/main/agent", d);
	is_int(mode_of(p), 0700, "agents/main/agent 0700");
	is_int(sql_int(agent_store_path(st), "PRAGMA user_version"),
	    AGENT_STORE_SCHEMA_VERSION, "user_version is the schema version");
	is_int(sql_int(agent_store_path(st),
	           "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	           "AND sql LIKE '%STRICT'"),
	    3, "three STRICT tables");
	is_int(sql_int(agent_store_path(st),
	           "SELECT journal_mode = 'wal' FROM pragma_journal_mode"),
	    1, "WAL mode");
	{
		char sid[AGENT_STORE_ID_LEN + 1], wal[600];

		umask(022);
		agent_store_session_ensure(st, "k", sid, NULL, err,
		    sizeof(err));
		snprintf(wal, sizeof(wal), "%s-wal", agent_store_path(st));
		is_int(mode_of(wal), 0600, "the WAL file 0600 too (umask 022)");
	}
	agent_store_close(st);
	st = open_ok(d, "reopened");
	agent_store_close(st);

	ok(agent_store_open(&st, d, "Main", 0, err, sizeof(err)) == 0 &&
	        strcmp(agent_store_agent_id(st), "main") == 0,
	    "agent id lowercased");
	agent_store_close(st);
	ok(agent_store_open(&st, d, "../x", 0, err, sizeof(err)) == -1 &&
	        st == NULL,
	    "agent id with a path refused: %s", err);
	ok(agent_store_open(&st, d, "-a", 0, err, sizeof(err)) == -1,
	    "agent id starting with - refused");
	ok(agent_store_open(&st, d, "", 0, err, sizeof(err)) == -1,
	    "empty agent id refused");
	snprintf(missing, sizeof(missing), "%s/nope", d);
	ok(agent_store_open(&st, missing, "main", 0, err, sizeof(err)) == -1 &&
	        strstr(err, "No such file") != NULL,
	    "a missing state dir: %s", err);
	rmtree(d);
	free(d);
}

static void
test_refused_files(void)
{
	struct agent_store *st;
	char               *d = tmpdir(), p[512], junk[4096];
	int                 fd;

	/* A newer schema. */
	st = open_ok(d, "before the version bump");
	snprintf(p, sizeof(p), "%s", agent_store_path(st));
	agent_store_close(st);
	ok(sql_exec(p, "PRAGMA user_version = 2") == 0,
	    "user_version set to 2");
	ok(agent_store_open(&st, d, "main", 0, err, sizeof(err)) == -1 &&
	        st == NULL && strstr(err, "schema version 2 is newer") != NULL,
	    "a newer schema refused: %s", err);
	ok(sql_exec(p, "PRAGMA user_version = 1") == 0, "user_version back");
	st = open_ok(d, "after putting it back");
	agent_store_close(st);

	/* Not an SQLite file. */
	unlink(p);
	memset(junk, 'z', sizeof(junk));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, junk, sizeof(junk)) == sizeof(junk),
	    "garbage written");
	close(fd);
	ok(agent_store_open(&st, d, "main", 0, err, sizeof(err)) == -1 &&
	        strstr(err, "not a database") != NULL && strstr(err, p) != NULL,
	    "a garbage file refused, naming it: %s", err);

	/* Another program's SQLite database. */
	unlink(p);
	ok(sql_exec(p, "CREATE TABLE t (x); INSERT INTO t VALUES (1)") == 0,
	    "a foreign database made");
	ok(agent_store_open(&st, d, "main", 0, err, sizeof(err)) == -1 &&
	        strstr(err, "not an agent store") != NULL,
	    "a foreign database refused: %s", err);
	is_int(sql_int(p, "SELECT x FROM t"), 1, "and left alone");

	/* A directory where the file goes. */
	unlink(p);
	mkdir(p, 0700);
	ok(agent_store_open(&st, d, "main", 0, err, sizeof(err)) == -1,
	    "a directory at the path refused: %s", err);
	rmtree(d);
	free(d);
}

/* Overwrite len bytes at off of the file with a pattern. */
static void
scribble(const char *path, off_t off, size_t len)
{
	char buf[4096];
	int  fd;

	memset(buf, 0xa5, sizeof(buf));
	if ((fd = open(path, O_WRONLY)) == -1)
		return;
	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			break;
		off += (off_t)n;
		len -= n;
	}
	close(fd);
}

/* A damaged file: an error naming the damage, never a crash. */
static void
test_corrupt(void)
{
	struct agent_store   *st;
	struct agent_appended a;
	struct json_object   *res = NULL;
	char                 *d = tmpdir(), p[512], sid[AGENT_STORE_ID_LEN + 1];
	struct stat           sb;
	int                   i, rl, rh;

	st = open_ok(d, "to be damaged");
	agent_store_session_ensure(st, "agent:main:main", sid, NULL, err,
	    sizeof(err));
	for (i = 0; i < 300; i++)
		append_text(st, "agent:main:main",
		    "some text to fill a few pages of the file with", NULL, &a);
	snprintf(p, sizeof(p), "%s", agent_store_path(st));
	agent_store_close(st); /* checkpoints: all in the main file */
	ok(stat(p, &sb) == 0 && sb.st_size > 8 * 4096, "a file of %lld bytes",
	    (long long)sb.st_size);
	scribble(p, 4096, (size_t)sb.st_size - 4096);
	if (agent_store_open(&st, d, "main", 0, err, sizeof(err)) == 0) {
		rl = agent_store_sessions_list(st, 10, 0, &res, err,
		    sizeof(err));
		json_object_put(res);
		res = NULL;
		if (rl == 0)
			rh = agent_store_history(st, "agent:main:main", NULL,
			    &res, err, sizeof(err));
		else
			rh = -1;
		json_object_put(res);
		ok((rl == -1 || rh == -1) && strstr(err, "malformed") != NULL,
		    "pages 2.. damaged: reads fail: %s", err);
		agent_store_close(st);
	} else
		ok(strstr(err, "malformed") != NULL, "pages 2.. damaged: %s",
		    err);
	scribble(p, 100, 4096 - 100);
	ok(agent_store_open(&st, d, "main", 0, err, sizeof(err)) == -1 &&
	        strstr(err, "malformed") != NULL,
	    "page 1 (the schema) damaged: open refuses: %s", err);
	rmtree(d);
	free(d);
}

static void
test_sessions(struct agent_store *st)
{
	struct agent_session       s;
	struct agent_session_patch p;
	char sid[AGENT_STORE_ID_LEN + 1], sid2[AGENT_STORE_ID_LEN + 1],
	    sid3[AGENT_STORE_ID_LEN + 1], key[AGENT_STORE_KEY_MAX + 2];
	int created = -1, deleted = -1;

	ok(agent_store_session_ensure(st, "agent:main:main", sid, &created, err,
	       sizeof(err)) == 0 &&
	        created == 1,
	    "ensure creates");
	ok(is_uuid4(sid), "session id is a UUID v4: %s", sid);
	ok(agent_store_session_ensure(st, "agent:main:main", sid2, &created,
	       err, sizeof(err)) == 0 &&
	        created == 0 && strcmp(sid, sid2) == 0,
	    "ensure again: same session id");
	is_int(agent_store_session_get(st, "agent:main:main", &s, err,
	           sizeof(err)),
	    1, "get finds it");
	is_str(s.key, "agent:main:main", "key");
	is_str(s.session_id, sid, "session id");
	is_str(s.window_reason, "initial", "first window: initial");
	ok(s.label == NULL && s.model_override == NULL &&
	        s.thinking_level == NULL,
	    "no label, model, thinking level");
	ok(s.created_at > 1700000000000LL && s.updated_at == s.created_at,
	    "times in epoch ms");
	agent_session_free(&s);
	is_int(agent_store_session_get(st, "agent:main:nope", &s, err,
	           sizeof(err)),
	    0, "get of an unknown key: 0");

	/* Reset: a new window. */
	ok(agent_store_session_reset(st, "agent:main:main", AGENT_WINDOW_RESET,
	       sid3, err, sizeof(err)) == 0 &&
	        is_uuid4(sid3) && strcmp(sid3, sid) != 0,
	    "reset: a new session id");
	agent_store_session_get(st, "agent:main:main", &s, err, sizeof(err));
	is_str(s.session_id, sid3, "the node points at it");
	is_str(s.window_reason, "reset", "reason reset");
	agent_session_free(&s);
	is_int(sql_int(agent_store_path(st),
	           "SELECT count(*) FROM session_windows WHERE key = "
	           "'agent:main:main'"),
	    2, "the old window stays");
	ok(agent_store_session_reset(st, "agent:main:main",
	       AGENT_WINDOW_INITIAL, sid3, err, sizeof(err)) == -1,
	    "reset with reason initial refused");
	ok(agent_store_session_reset(st, "agent:main:fresh", AGENT_WINDOW_RESET,
	       sid3, err, sizeof(err)) == 0,
	    "reset of an unknown key creates it");

	/* Patch: set, then clear with NULL; unnamed fields stay. */
	memset(&p, 0, sizeof(p));
	p.set = AGENT_PATCH_LABEL | AGENT_PATCH_MODEL | AGENT_PATCH_THINKING;
	p.label = "Work";
	p.model_override = "openai/gpt-5";
	p.thinking_level = "high";
	ok(agent_store_session_patch(st, "agent:main:main", &p, err,
	       sizeof(err)) == 0,
	    "patch");
	p.set = AGENT_PATCH_LABEL;
	p.label = NULL;
	ok(agent_store_session_patch(st, "agent:main:main", &p, err,
	       sizeof(err)) == 0,
	    "patch label null");
	agent_store_session_get(st, "agent:main:main", &s, err, sizeof(err));
	ok(s.label == NULL, "label cleared");
	is_str(s.model_override, "openai/gpt-5", "model kept");
	is_str(s.thinking_level, "high", "thinking level kept");
	agent_session_free(&s);
	ok(agent_store_session_patch(st, "agent:main:patched", &p, err,
	       sizeof(err)) == 0 &&
	        agent_store_session_get(st, "agent:main:patched", &s, err,
	            sizeof(err)) == 1,
	    "patch of an unknown key creates it");
	agent_session_free(&s);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	p.set = AGENT_PATCH_LABEL;
	p.label = key;
	ok(agent_store_session_patch(st, "agent:main:main", &p, err,
	       sizeof(err)) == -1 &&
	        strstr(err, "label over") != NULL,
	    "a label too long refused: %s", err);
	ok(agent_store_session_ensure(st, key, sid, NULL, err, sizeof(err)) ==
	        -1,
	    "a key over %d bytes refused", AGENT_STORE_KEY_MAX);
	ok(agent_store_session_ensure(st, "", sid, NULL, err, sizeof(err)) ==
	        -1,
	    "an empty key refused");

	/* Strings are parameters: SQL in a key is just a key. */
	ok(agent_store_session_ensure(st, "x'); DROP TABLE session_nodes; --",
	       sid, &created, err, sizeof(err)) == 0 &&
	        created == 1,
	    "a key with SQL in it is a key");
	ok(agent_store_session_get(st, "x'); DROP TABLE session_nodes; --", &s,
	       err, sizeof(err)) == 1,
	    "and is found again");
	agent_session_free(&s);

	/* Delete. */
	ok(agent_store_session_delete(st, "agent:main:fresh", &deleted, err,
	       sizeof(err)) == 0 &&
	        deleted == 1,
	    "delete");
	is_int(agent_store_session_get(st, "agent:main:fresh", &s, err,
	           sizeof(err)),
	    0, "gone");
	ok(agent_store_session_delete(st, "agent:main:fresh", &deleted, err,
	       sizeof(err)) == 0 &&
	        deleted == 0,
	    "delete again: nothing deleted");
	is_int(sql_int(agent_store_path(st),
	           "SELECT count(*) FROM session_windows WHERE key = "
	           "'agent:main:fresh'"),
	    0, "its windows went with it");
}

static void
test_entry(struct agent_store *st)
{
	struct agent_session s;
	struct json_object  *f, *row;

	f = json_tokener_parse(
	    "{\"totalTokens\":42,\"origin\":{\"label\":\"cli\"},"
	    "\"key\":\"forged\",\"sessionId\":\"forged\"}");
	ok(agent_store_session_merge_entry(st, "agent:main:main", f, err,
	       sizeof(err)) == 0,
	    "merge entry");
	json_object_put(f);
	f = json_tokener_parse("{\"origin\":null,\"channel\":\"webchat\"}");
	ok(agent_store_session_merge_entry(st, "agent:main:main", f, err,
	       sizeof(err)) == 0,
	    "merge a null (removes) and a new member");
	json_object_put(f);
	ok(agent_store_window_set_model(st, "agent:main:main", "openai",
	       "gpt-5", err, sizeof(err)) == 0,
	    "window model recorded");
	agent_store_session_get(st, "agent:main:main", &s, err, sizeof(err));
	row = agent_session_row(&s);
	is_int(jint(row, "totalTokens"), 42, "entry member in the row");
	ok(!json_object_object_get_ex(row, "origin", NULL), "null removed it");
	is_str(jstr(row, "channel"), "webchat", "new member in the row");
	is_str(jstr(row, "key"), "agent:main:main", "columns win over entry");
	is_str(jstr(row, "sessionId"), s.session_id, "sessionId from column");
	is_str(jstr(row, "kind"), "direct", "kind direct");
	is_str(jstr(row, "model"), "gpt-5", "model");
	is_str(jstr(row, "modelProvider"), "openai", "modelProvider");
	is_str(jstr(row, "modelOverride"), "openai/gpt-5", "modelOverride");
	is_str(jstr(row, "thinkingLevel"), "high", "thinkingLevel");
	json_object_put(row);
	agent_session_free(&s);
	f = json_object_new_array();
	ok(agent_store_session_merge_entry(st, "agent:main:main", f, err,
	       sizeof(err)) == -1,
	    "an array is not an entry");
	json_object_put(f);
	f = json_object_new_object();
	ok(agent_store_session_merge_entry(st, "agent:main:none", f, err,
	       sizeof(err)) == -1 &&
	        strstr(err, "no such session") != NULL,
	    "merge into an unknown key: %s", err);
	json_object_put(f);
}

static void
test_list(void)
{
	struct agent_store *st;
	struct json_object *page, *rows;
	char               *d = tmpdir(), key[64], sid[AGENT_STORE_ID_LEN + 1];
	int                 i;

	st = open_ok(d, "for the list");
	for (i = 0; i < 25; i++) {
		snprintf(key, sizeof(key), "agent:main:s%02d", i);
		agent_store_session_ensure(st, key, sid, NULL, err,
		    sizeof(err));
		usleep(2000); /* distinct updatedAt */
	}
	agent_store_session_ensure(st, "agent:main:telegram:group:7", sid, NULL,
	    err, sizeof(err));
	ok(agent_store_sessions_list(st, 10, 0, &page, err, sizeof(err)) == 0,
	    "list page 1");
	rows = json_object_object_get(page, "sessions");
	is_int(json_object_array_length(rows), 10, "10 rows");
	is_int(jint(page, "count"), 10, "count 10");
	is_int(jint(page, "totalCount"), 26, "totalCount 26");
	is_int(jint(page, "nextOffset"), 10, "nextOffset 10");
	ok(json_object_get_boolean(json_object_object_get(page, "hasMore")),
	    "hasMore");
	is_str(jstr(json_object_array_get_idx(rows, 0), "key"),
	    "agent:main:telegram:group:7", "newest first");
	is_str(jstr(json_object_array_get_idx(rows, 0), "kind"), "group",
	    "a group key's kind");
	is_str(jstr(json_object_array_get_idx(rows, 1), "key"),
	    "agent:main:s24", "then the one before");
	json_object_put(page);
	ok(agent_store_sessions_list(st, 10, 20, &page, err, sizeof(err)) == 0,
	    "list page 3");
	rows = json_object_object_get(page, "sessions");
	is_int(json_object_array_length(rows), 6, "6 rows");
	is_str(jstr(json_object_array_get_idx(rows, 5), "key"),
	    "agent:main:s00", "the oldest last");
	ok(json_object_object_get(page, "nextOffset") == NULL &&
	        !json_object_get_boolean(
	            json_object_object_get(page, "hasMore")),
	    "no more");
	json_object_put(page);
	ok(agent_store_sessions_list(st, 5, INT64_MAX, &page, err,
	       sizeof(err)) == 0 &&
	        jint(page, "count") == 0 && jint(page, "offset") == 26 &&
	        json_object_object_get(page, "nextOffset") == NULL,
	    "an offset past the end: empty, at the end");
	json_object_put(page);
	ok(agent_store_sessions_list(st, 0, -5, &page, err, sizeof(err)) == 0 &&
	        jint(page, "limitApplied") == AGENT_STORE_LIST_MAX &&
	        jint(page, "offset") == 0 && jint(page, "count") == 26,
	    "no limit: the cap; a negative offset: 0");
	json_object_put(page);
	/* An append makes a session the newest. */
	{
		struct agent_appended a;

		append_text(st, "agent:main:s03", "hello", NULL, &a);
	}
	agent_store_sessions_list(st, 1, 0, &page, err, sizeof(err));
	is_str(jstr(json_object_array_get_idx(json_object_object_get(page,
	                                          "sessions"),
	                0),
	           "key"),
	    "agent:main:s03", "an append moves the session to the top");
	json_object_put(page);
	agent_store_close(st);
	rmtree(d);
	free(d);
}

static struct json_object *
history(struct agent_store *st, const char *key, int limit, size_t max_bytes,
    int64_t offset)
{
	struct agent_history_opts o;
	struct json_object       *res = NULL;

	memset(&o, 0, sizeof(o));
	o.limit = limit;
	o.max_bytes = max_bytes;
	o.offset = offset;
	if (agent_store_history(st, key, &o, &res, err, sizeof(err)) == -1)
		printf("# history: %s\n", err);
	return res;
}

/* The seqs of the first and last message of a page. */
static void
page_span(struct json_object *res, long long *first, long long *last, int *n)
{
	struct json_object *msgs = json_object_object_get(res, "messages");

	*n = (int)json_object_array_length(msgs);
	*first = *n ?
	    jint(msg_meta(json_object_array_get_idx(msgs, 0)), "seq") :
	    -1;
	*last = *n ?
	    jint(msg_meta(json_object_array_get_idx(msgs, *n - 1)), "seq") :
	    -1;
}

static void
test_paging(struct agent_store *st)
{
	struct agent_appended a;
	struct json_object   *res, *m;
	char                  text[32], sid[AGENT_STORE_ID_LEN + 1];
	long long             first, last;
	int                   i, n, ok_seq = 1;

	agent_store_session_ensure(st, "agent:main:paging", sid, NULL, err,
	    sizeof(err));
	for (i = 1; i <= 450; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		if (append_text(st, "agent:main:paging", text, NULL, &a) ==
		        -1 ||
		    a.seq != i || a.duplicate || !is_uuid4(a.id) ||
		    strcmp(a.session_id, sid) != 0)
			ok_seq = 0;
	}
	ok(ok_seq, "450 appends: seq 1..450, new ids, the current window");
	res = history(st, "agent:main:paging", 0, 0, 0);
	page_span(res, &first, &last, &n);
	ok(n == 200 && first == 251 && last == 450,
	    "tail page: the newest 200, oldest first (%d: %lld..%lld)", n,
	    first, last);
	is_str(jstr(res, "sessionKey"), "agent:main:paging", "sessionKey");
	is_str(jstr(res, "sessionId"), sid, "sessionId");
	is_int(jint(res, "totalMessages"), 450, "totalMessages");
	is_int(jint(res, "offset"), 0, "offset 0");
	is_int(jint(res, "nextOffset"), 200, "nextOffset 200");
	m = json_object_array_get_idx(json_object_object_get(res, "messages"),
	    199);
	is_str(msg_text(m), "m450", "the last is the newest");
	is_str(jstr(m, "role"), "user", "role kept");
	ok(jint(m, "timestamp") > 1700000000000LL, "a timestamp added");
	ok(is_uuid4(jstr(msg_meta(m), "id")), "__openclaw.id");
	json_object_put(res);
	res = history(st, "agent:main:paging", 0, 0, 200);
	page_span(res, &first, &last, &n);
	ok(n == 200 && first == 51 && last == 250, "page 2: 51..250");
	json_object_put(res);
	res = history(st, "agent:main:paging", 0, 0, 400);
	page_span(res, &first, &last, &n);
	ok(n == 50 && first == 1 && last == 50, "page 3: 1..50");
	ok(json_object_object_get(res, "nextOffset") == NULL &&
	        !json_object_get_boolean(
	            json_object_object_get(res, "hasMore")),
	    "the last page says so");
	json_object_put(res);
	res = history(st, "agent:main:paging", 5000, 0, 0);
	page_span(res, &first, &last, &n);
	ok(n == 450, "limit 5000: capped, all 450 here");
	json_object_put(res);
	res = history(st, "agent:main:paging", 3, 0, 1000);
	page_span(res, &first, &last, &n);
	ok(res != NULL && n == 0 && jint(res, "totalMessages") == 450 &&
	        jint(res, "offset") == 450 &&
	        json_object_object_get(res, "nextOffset") == NULL,
	    "an offset past the start: empty page at the start");
	json_object_put(res);
	res = history(st, "agent:main:paging", 3, 0, INT64_MAX);
	ok(res != NULL && jint(res, "offset") == 450, "offset INT64_MAX");
	json_object_put(res);
	ok(agent_store_history(st, "agent:main:nobody", NULL, &res, err,
	       sizeof(err)) == -1 &&
	        res == NULL && strstr(err, "no such session") != NULL,
	    "history of an unknown key: %s", err);
}

static void
test_budget(struct agent_store *st)
{
	struct agent_appended a;
	struct json_object   *res, *m, *meta;
	char                 *big, sid[AGENT_STORE_ID_LEN + 1];
	long long             first, last;
	size_t                stored;
	int                   i, n;

	agent_store_session_ensure(st, "agent:main:budget", sid, NULL, err,
	    sizeof(err));
	big = malloc(200 * 1024);
	memset(big, 'b', 200 * 1024 - 1);
	big[200 * 1024 - 1] = '\0';
	/* 10 messages of 10,000 bytes of text, one of 200 KiB, 2 small. */
	big[10000] = '\0';
	for (i = 0; i < 10; i++)
		append_text(st, "agent:main:budget", big, NULL, &a);
	big[10000] = 'b';
	append_text(st, "agent:main:budget", big, NULL, &a);
	append_text(st, "agent:main:budget", "after", NULL, &a);
	big[5000] = '\0';
	append_text(st, "agent:main:budget", big, NULL, &a);
	big[5000] = 'b';

	res = history(st, "agent:main:budget", 0, 0, 0);
	page_span(res, &first, &last, &n);
	is_int(n, 13, "default budget: all 13");
	m = json_object_array_get_idx(json_object_object_get(res, "messages"),
	    10);
	meta = msg_meta(m);
	is_str(msg_text(m), AGENT_HISTORY_OMITTED_TEXT,
	    "the 200 KiB message is a placeholder");
	ok(json_object_get_boolean(json_object_object_get(meta, "truncated")),
	    "__openclaw.truncated");
	is_str(jstr(meta, "reason"), "oversized", "__openclaw.reason");
	is_int(jint(meta, "seq"), 11, "its seq kept");
	is_str(msg_text(json_object_array_get_idx(json_object_object_get(res,
	                                              "messages"),
	           11)),
	    "after", "the next one intact");
	json_object_put(res);

	/*
	 * A 50,000-byte budget (stored JSON + 96 each): the newest (5,054),
	 * "after", the placeholder, then four 10,054-byte ones: 46,107.
	 */
	stored = 10000 +
	    strlen(
	        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"\"}]}");
	res = history(st, "agent:main:budget", 0, 50000, 0);
	page_span(res, &first, &last, &n);
	ok(n == 7 && first == 7 && last == 13,
	    "a 50,000-byte budget: the newest 7 (%d: %lld..%lld)", n, first,
	    last);
	{
		size_t total = 0;
		int    j;

		for (j = 0; j < n; j++) {
			m = json_object_array_get_idx(json_object_object_get(res,
			                                  "messages"),
			    j);
			total += strlen(json_object_to_json_string_ext(m,
			             JSON_C_TO_STRING_PLAIN)) +
			    1;
		}
		ok(total <= 50000 && total + stored > 50000,
		    "the page's JSON is within the budget, one more is not "
		    "(%zu + %zu)",
		    total, stored);
	}
	is_int(jint(res, "nextOffset"), n, "nextOffset after them");
	json_object_put(res);

	/* A message alone over the budget: placeholder, the page moves on. */
	res = history(st, "agent:main:budget", 0, 1024, 0);
	page_span(res, &first, &last, &n);
	m = json_object_array_get_idx(json_object_object_get(res, "messages"),
	    n - 1);
	ok(n == 5 && last == 13 && msg_text(m) != NULL &&
	        strcmp(msg_text(m), AGENT_HISTORY_OMITTED_TEXT) == 0,
	    "1 KiB budget: the 5,000-byte newest is a placeholder (%d)", n);
	is_str(msg_text(json_object_array_get_idx(json_object_object_get(res,
	                                              "messages"),
	           3)),
	    "after", "a small one is not");
	json_object_put(res);
	res = history(st, "agent:main:budget", 0, 10, 0);
	ok(res != NULL, "a budget under 1 KiB is 1 KiB");
	json_object_put(res);
	free(big);
}

static void
test_idempotency(struct agent_store *st)
{
	struct agent_appended a, b;
	struct json_object   *res, *msg;
	char                  sid[AGENT_STORE_ID_LEN + 1];

	agent_store_session_ensure(st, "agent:main:idem", sid, NULL, err,
	    sizeof(err));
	ok(append_text(st, "agent:main:idem", "one", "k1", &a) == 0 &&
	        !a.duplicate && a.seq == 1,
	    "first with k1: seq 1");
	ok(append_text(st, "agent:main:idem", "one again", "k1", &b) == 0 &&
	        b.duplicate && b.seq == 1 && strcmp(a.id, b.id) == 0,
	    "k1 again: the stored seq and id, duplicate");
	ok(append_text(st, "agent:main:idem", "two", "k2", &b) == 0 &&
	        !b.duplicate && b.seq == 2,
	    "k2: seq 2");
	res = history(st, "agent:main:idem", 0, 0, 0);
	is_int(jint(res, "totalMessages"), 2, "two messages stored");
	is_str(msg_text(json_object_array_get_idx(json_object_object_get(res,
	                                              "messages"),
	           0)),
	    "one", "the first text kept");
	is_str(jstr(msg_meta(
	                json_object_array_get_idx(json_object_object_get(res,
	                                              "messages"),
	                    0)),
	           "idempotencyKey"),
	    "k1", "__openclaw.idempotencyKey");
	json_object_put(res);
	agent_store_session_reset(st, "agent:main:idem", AGENT_WINDOW_RESET,
	    sid, err, sizeof(err));
	ok(append_text(st, "agent:main:idem", "one", "k1", &b) == 0 &&
	        !b.duplicate && b.seq == 1 && strcmp(b.session_id, sid) == 0,
	    "k1 in the new window is a new message");
	{
		struct agent_history_opts o;

		memset(&o, 0, sizeof(o));
		o.session_id = a.session_id;
		ok(agent_store_history(st, "agent:main:idem", &o, &res, err,
		       sizeof(err)) == 0 &&
		        jint(res, "totalMessages") == 2 &&
		        jstr(res, "sessionId") != NULL &&
		        strcmp(jstr(res, "sessionId"), a.session_id) == 0,
		    "the old window's history by its session id");
		json_object_put(res);
		o.session_id = "00000000-0000-4000-8000-000000000000";
		ok(agent_store_history(st, "agent:main:idem", &o, &res, err,
		       sizeof(err)) == -1,
		    "a session id not of that key: %s", err);
	}

	/* Bad input. */
	ok(append_text(st, "agent:main:nobody", "secret text", NULL, &a) ==
	            -1 &&
	        strstr(err, "no such session") != NULL &&
	        strstr(err, "secret text") == NULL,
	    "append to an unknown key, the text not in err: %s", err);
	msg = json_object_new_object();
	json_object_object_add(msg, "content", json_object_new_string("x"));
	ok(agent_store_append(st, "agent:main:idem", msg, NULL, &a, err,
	       sizeof(err)) == -1,
	    "a message without a role: %s", err);
	json_object_put(msg);
	msg = json_object_new_string("just text");
	ok(agent_store_append(st, "agent:main:idem", msg, NULL, &a, err,
	       sizeof(err)) == -1,
	    "a message that is not an object");
	json_object_put(msg);
}

static void
test_reopen(const char *d)
{
	struct agent_store *st;
	struct json_object *res;

	st = open_ok(d, "the store again");
	res = history(st, "agent:main:paging", 0, 0, 0);
	is_int(jint(res, "totalMessages"), 450, "messages kept across close");
	json_object_put(res);
	agent_store_close(st);
}

int
main(void)
{
	struct agent_store *st;
	char               *d;

	setvbuf(stdout, NULL, _IOLBF, 0); /* a crash keeps what went before */
	test_open();
	test_refused_files();
	test_corrupt();
	test_list();
	d = tmpdir();
	st = open_ok(d, "for sessions and messages");
	test_sessions(st);
	test_entry(st);
	test_paging(st);
	test_budget(st);
	test_idempotency(st);
	agent_store_close(st);
	test_reopen(d);
	rmtree(d);
	free(d);
	return tap_done();
}
