/*
 * The writer t/69-agent-store-crash.t kills: opens the agent store of
 * agent "main" under STATEDIR and appends messages to agent:main:main
 * until killed (or COUNT messages), printing "<sessionId> <seq>" and
 * flushing after each commit, so every line the test reads names a
 * message the store acknowledged.  Every 100th message is 100 KiB (a
 * commit over many pages), every 400th append a /reset (a new window:
 * a transaction of several rows).  Idempotency keys carry the pid: each
 * run writes new messages.  Exit 1 with the error on failure.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workers/agent/store.h"

#define BIG_TEXT (100 * 1024)

static struct json_object *
make_message(long n, char *big)
{
	struct json_object *msg, *part, *content;
	char                text[64];

	snprintf(text, sizeof(text), "message %ld", n);
	part = json_object_new_object();
	json_object_object_add(part, "type", json_object_new_string("text"));
	json_object_object_add(part, "text",
	    json_object_new_string(n % 100 == 0 ? big : text));
	content = json_object_new_array();
	json_object_array_add(content, part);
	msg = json_object_new_object();
	json_object_object_add(msg, "role",
	    json_object_new_string(n % 2 ? "user" : "assistant"));
	json_object_object_add(msg, "content", content);
	return msg;
}

static int
step(struct agent_store *st, long n, char *big, char *err, size_t errlen)
{
	struct agent_appended a;
	struct json_object   *msg;
	char                  sid[AGENT_STORE_ID_LEN + 1], idem[64];
	int                   rc;

	if (n % 400 == 0 &&
	    agent_store_session_reset(st, "agent:main:main", AGENT_WINDOW_RESET,
	        sid, err, errlen) == -1)
		return -1;
	msg = make_message(n, big);
	snprintf(idem, sizeof(idem), "idem-%ld-%ld", (long)getpid(), n);
	rc = agent_store_append(st, "agent:main:main", msg, idem, &a, err,
	    errlen);
	json_object_put(msg);
	if (rc == -1)
		return -1;
	printf("%s %lld\n", a.session_id, (long long)a.seq);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	struct agent_store *st;
	char                err[512], sid[AGENT_STORE_ID_LEN + 1], *big;
	long                n, count;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: agent-store-crash STATEDIR [COUNT]\n");
		return 2;
	}
	count = argc == 3 ? strtol(argv[2], NULL, 10) : 1000000;
	if (agent_store_open(&st, argv[1], "main", 0, err, sizeof(err)) == -1 ||
	    agent_store_session_ensure(st, "agent:main:main", sid, NULL, err,
	        sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	big = malloc(BIG_TEXT + 1);
	memset(big, 'x', BIG_TEXT);
	big[BIG_TEXT] = '\0';
	for (n = 1; n <= count; n++)
		if (step(st, n, big, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			free(big);
			agent_store_close(st);
			return 1;
		}
	free(big);
	agent_store_close(st);
	return 0;
}
