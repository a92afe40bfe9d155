/*
 * What the agent store accepts from its callers (sizes that keep a row,
 * and so a page of them, bounded) and how it copies columns out.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "common/xmalloc.h"
#include "workers/agent/store-int.h"

int
store_check_key(const char *key, const char *op, char *err, size_t errlen)
{
	size_t len;

	if (key == NULL || (len = strlen(key)) == 0) {
		snprintf(err, errlen, "agent store %s: empty session key", op);
		return -1;
	}
	if (len > AGENT_STORE_KEY_MAX) {
		snprintf(err, errlen,
		    "agent store %s: session key over %d bytes", op,
		    AGENT_STORE_KEY_MAX);
		return -1;
	}
	return 0;
}

int
store_check_text(const char *s, const char *what, const char *op, char *err,
    size_t errlen)
{
	if (s != NULL && strlen(s) > AGENT_STORE_TEXT_MAX) {
		snprintf(err, errlen, "agent store %s: %s over %d bytes", op,
		    what, AGENT_STORE_TEXT_MAX);
		return -1;
	}
	return 0;
}

char *
store_column_dup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s;

	if ((s = sqlite3_column_text(stmt, col)) == NULL)
		return NULL;
	return xstrndup((const char *)s,
	    (size_t)sqlite3_column_bytes(stmt, col));
}

int
store_column_id(sqlite3_stmt *stmt, int col, char out[AGENT_STORE_ID_LEN + 1])
{
	const unsigned char *s;

	s = sqlite3_column_text(stmt, col);
	if (s == NULL ||
	    sqlite3_column_bytes(stmt, col) != AGENT_STORE_ID_LEN) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, s, AGENT_STORE_ID_LEN + 1);
	return 0;
}

int64_t
store_now(void)
{
	return (int64_t)util_now_ms();
}
