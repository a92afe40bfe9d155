/*
 * Figures for the agent store (not a test: nothing is asserted).
 *
 *   agent-store-bench [-f] [-r] STATEDIR SESSIONS MESSAGES
 *
 * Appends MESSAGES messages (about 300 bytes of JSON) to each of
 * SESSIONS sessions of agent "main", one transaction each, and prints
 * the rate; then the time of a chat.history tail page (default limit and
 * budget) of the last session, of paging through all of it, and of a
 * sessions.list of every session in pages with the tail of each; then
 * the process's resident set (VmRSS, VmHWM: Linux).  -r appends nothing
 * (a process that only holds and reads an existing store), -f opens the
 * store with AGENT_STORE_SYNC_FULL.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "workers/agent/store.h"

static char err[512];

static void
fail(void)
{
	fprintf(stderr, "agent-store-bench: %s\n", err);
	exit(1);
}

static struct json_object *
message(long i)
{
	char text[300];

	snprintf(text, sizeof(text),
	    "{\"role\":\"%s\",\"content\":[{\"type\":\"text\",\"text\":"
	    "\"message %ld: the quick brown fox jumps over the lazy dog, "
	    "the quick brown fox jumps over the lazy dog, the quick brown "
	    "fox jumps over the lazy dog, and once more.\"}],"
	    "\"timestamp\":%llu}",
	    i % 2 ? "user" : "assistant", i, (unsigned long long)util_now_ms());
	return json_tokener_parse(text);
}

static void
fill(struct agent_store *st, long sessions, long messages)
{
	struct agent_appended a;
	struct json_object   *msg;
	char                  key[64], sid[AGENT_STORE_ID_LEN + 1];
	uint64_t              t0, dt;
	long                  s, i;

	t0 = util_mono_ms();
	for (s = 0; s < sessions; s++) {
		snprintf(key, sizeof(key), "agent:main:s%ld", s);
		if (agent_store_session_ensure(st, key, sid, NULL, err,
		        sizeof(err)) == -1)
			fail();
		for (i = 0; i < messages; i++) {
			msg = message(i);
			if (agent_store_append(st, key, msg, NULL, &a, err,
			        sizeof(err)) == -1)
				fail();
			json_object_put(msg);
		}
	}
	dt = util_mono_ms() - t0;
	printf("append: %ld messages in %llu ms: %.0f messages/s\n",
	    sessions * messages, (unsigned long long)dt,
	    dt ? sessions * messages * 1000.0 / dt : 0.0);
}

static void
history(struct agent_store *st, long sessions)
{
	struct agent_history_opts o;
	struct json_object       *res, *v;
	char                      key[64];
	uint64_t                  t0;
	int                       i, pages = 0;
	const int                 reps = 100;

	snprintf(key, sizeof(key), "agent:main:s%ld", sessions - 1);
	memset(&o, 0, sizeof(o));
	t0 = util_mono_ms();
	for (i = 0; i < reps; i++) {
		if (agent_store_history(st, key, &o, &res, err, sizeof(err)) ==
		    -1)
			fail();
		json_object_put(res);
	}
	printf("history tail page (limit 200): %.2f ms\n",
	    (double)(util_mono_ms() - t0) / reps);
	t0 = util_mono_ms();
	for (;;) {
		if (agent_store_history(st, key, &o, &res, err, sizeof(err)) ==
		    -1)
			fail();
		pages++;
		v = json_object_object_get(res, "nextOffset");
		o.offset = v != NULL ? json_object_get_int64(v) : -1;
		json_object_put(res);
		if (v == NULL)
			break;
	}
	printf("history of the whole session: %d pages in %llu ms\n", pages,
	    (unsigned long long)(util_mono_ms() - t0));
}

static void
list_all(struct agent_store *st)
{
	struct agent_history_opts o;
	struct json_object       *page, *rows, *res, *next;
	int64_t                   offset = 0, n = 0;
	uint64_t                  t0;
	size_t                    i;

	memset(&o, 0, sizeof(o));
	t0 = util_mono_ms();
	do {
		if (agent_store_sessions_list(st, 100, offset, &page, err,
		        sizeof(err)) == -1)
			fail();
		rows = json_object_object_get(page, "sessions");
		for (i = 0; i < json_object_array_length(rows); i++) {
			const char *key = json_object_get_string(
			    json_object_object_get(json_object_array_get_idx(rows,
			                               i),
			        "key"));
			if (agent_store_history(st, key, &o, &res, err,
			        sizeof(err)) == -1)
				fail();
			json_object_put(res);
			n++;
		}
		next = json_object_object_get(page, "nextOffset");
		offset = next != NULL ? json_object_get_int64(next) : -1;
		json_object_put(page);
	} while (offset != -1);
	printf("list + history tail of %lld sessions: %llu ms\n", (long long)n,
	    (unsigned long long)(util_mono_ms() - t0));
}

static void
rss(void)
{
	FILE *f;
	char  line[256];

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0 ||
		    strncmp(line, "VmHWM:", 6) == 0)
			fputs(line, stdout);
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct agent_store *st;
	int                 c, flags = 0, reuse = 0;
	long                sessions, messages;

	while ((c = getopt(argc, argv, "fr")) != -1)
		if (c == 'f')
			flags |= AGENT_STORE_SYNC_FULL;
		else if (c == 'r')
			reuse = 1;
		else
			return 2;
	if (argc - optind != 3) {
		fprintf(stderr,
		    "usage: agent-store-bench [-f] [-r] STATEDIR "
		    "SESSIONS MESSAGES\n");
		return 2;
	}
	sessions = strtol(argv[optind + 1], NULL, 10);
	messages = strtol(argv[optind + 2], NULL, 10);
	if (sessions < 1 || messages < 1)
		return 2;
	if (agent_store_open(&st, argv[optind], "main", flags, err,
	        sizeof(err)) == -1)
		fail();
	if (!reuse)
		fill(st, sessions, messages);
	history(st, sessions);
	list_all(st);
	rss();
	agent_store_close(st);
	return 0;
}
