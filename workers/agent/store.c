/*
 * Opening and closing an agent store: the directories and the file with
 * private modes, the connection's settings, the schema (store-migrate.c).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "workers/agent/store-int.h"

#ifndef SQLITE_OPEN_EXRESCODE
#define SQLITE_OPEN_EXRESCODE 0
#endif

/*
 * synchronous=NORMAL: in WAL mode a commit has written its frames to the
 * WAL file when it returns, so a killed process loses nothing committed;
 * only a power loss can drop the commits since the last checkpoint's
 * fsync (FULL closes that at an fsync per message).  foreign_keys makes
 * a delete cascade to windows and messages; trusted_schema=OFF and the
 * defensive flag keep a tampered file from running SQL functions or
 * corrupting itself through us.  The WAL is cut back to 64 MiB after a
 * checkpoint.  The page cache, the one part of the store's memory that
 * grows with use, stops at 2 MiB whatever the file holds.
 */
static const char store_pragmas[] = "PRAGMA foreign_keys = ON;"
                                    "PRAGMA trusted_schema = OFF;"
                                    "PRAGMA journal_size_limit = 67108864;"
                                    "PRAGMA cache_size = -2048;";

/* ^[a-z0-9][a-z0-9_-]{0,63}$ after lowercasing (features.md §1.3). */
static int
store_agent_id(const char *id, char out[STORE_AGENT_ID_MAX + 1])
{
	size_t i, len;

	len = id != NULL ? strlen(id) : 0;
	if (len == 0 || len > STORE_AGENT_ID_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		out[i] = (char)tolower((unsigned char)id[i]);
		if (!isdigit((unsigned char)out[i]) &&
		    !(out[i] >= 'a' && out[i] <= 'z') &&
		    (i == 0 || (out[i] != '_' && out[i] != '-')))
			return -1;
	}
	out[len] = '\0';
	return 0;
}

/* <stateDir>/agents/<id>/agent, each level created 0700 if missing. */
static char *
store_mkdirs(const char *state_dir, const char *id, char *err, size_t errlen)
{
	char       *dir;
	const char *levels[] = { "agents", id, "agent" };
	size_t      i;
	struct stat sb;

	dir = xstrdup(state_dir);
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		char *next;

		xasprintf(&next, "%s/%s", dir, levels[i]);
		free(dir);
		dir = next;
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			goto fail;
		if (stat(dir, &sb) == -1)
			goto fail;
		if (!S_ISDIR(sb.st_mode)) {
			errno = ENOTDIR;
			goto fail;
		}
	}
	return dir;
fail:
	snprintf(err, errlen, "agent store %s: %s", dir, strerror(errno));
	free(dir);
	return NULL;
}

/*
 * Create the file 0600 before SQLite does (it would use 0644 less the
 * umask; its -wal and -shm files take the mode of the database), and
 * tighten an existing one: it holds the conversations.
 */
static int
store_create_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int         fd, saved;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		snprintf(err, errlen, "agent store %s: not a regular file",
		    path);
		close(fd);
		return -1;
	}
	if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) == -1)
		goto fail;
	close(fd);
	return 0;
fail:
	saved = errno;
	snprintf(err, errlen, "agent store %s: %s", path, strerror(saved));
	if (fd != -1)
		close(fd);
	return -1;
}

/* PRAGMA journal_mode answers with the mode it is in, not an error. */
static int
store_wal(struct agent_store *st, int flags, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	const char   *sync;
	int           rc, wal;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &stmt,
	    NULL);
	if (rc != SQLITE_OK)
		return store_fail("open", rc, err, errlen);
	rc = sqlite3_step(stmt);
	wal = rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL &&
	    strcmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return store_fail("open", rc, err, errlen);
	if (!wal) {
		snprintf(err, errlen, "agent store open: WAL mode refused");
		return -1;
	}
	sync = flags & AGENT_STORE_SYNC_FULL ? "PRAGMA synchronous = FULL" :
	                                       "PRAGMA synchronous = NORMAL";
	if ((rc = sqlite3_exec(st->db, sync, NULL, NULL, NULL)) != SQLITE_OK)
		return store_fail("open", rc, err, errlen);
	return 0;
}

static int
store_connect(struct agent_store *st, char *err, size_t errlen)
{
	int rc;

	rc = sqlite3_open_v2(st->path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	    NULL);
	if (rc != SQLITE_OK)
		return store_fail("open", rc, err, errlen);
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
#endif
	rc = sqlite3_exec(st->db, store_pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail("open", rc, err, errlen);
	return 0;
}

int
agent_store_open(struct agent_store **out, const char *state_dir,
    const char *agent_id, int flags, char *err, size_t errlen)
{
	struct agent_store *st;
	char               *dir, cause[256];
	int                 version;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	if (store_agent_id(agent_id, st->agent_id) == -1) {
		snprintf(err, errlen, "agent store: invalid agent id");
		free(st);
		return -1;
	}
	if ((dir = store_mkdirs(state_dir, st->agent_id, err, errlen)) ==
	    NULL) {
		free(st);
		return -1;
	}
	xasprintf(&st->path, "%s/%s", dir, AGENT_STORE_FILE);
	free(dir);
	/* The schema check reads before the WAL switch writes the header. */
	if (store_create_file(st->path, err, errlen) == -1)
		goto fail;
	if (store_connect(st, cause, sizeof(cause)) == -1 ||
	    store_schema_check(st, &version, cause, sizeof(cause)) == -1 ||
	    store_wal(st, flags, cause, sizeof(cause)) == -1 ||
	    store_migrate(st, version, cause, sizeof(cause)) == -1) {
		snprintf(err, errlen, "%s (%s)", cause, st->path);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	agent_store_close(st);
	return -1;
}

void
agent_store_close(struct agent_store *st)
{
	if (st == NULL)
		return;
	store_stmts_free(st);
	/* The last connection checkpoints and removes the WAL. */
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

const char *
agent_store_path(const struct agent_store *st)
{
	return st->path;
}

const char *
agent_store_agent_id(const struct agent_store *st)
{
	return st->agent_id;
}
