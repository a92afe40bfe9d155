/*
 * `openclaw logs`: the gateway's log file over logs.tail (protocol.md
 * 6.10), printed as the stock CLI prints it (src/cli/logs-cli.ts): a
 * "Log file:" line, then each JSON line as "time level subsystem
 * message" (--json: one JSON record per line); --follow polls again every
 * --interval ms from the cursor, one connection per poll as the stock CLI
 * does, and rides out a gateway restart.
 */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "cli/cli.h"

#define LOGS_LIMIT       200
#define LOGS_MAX_BYTES   250000
#define LOGS_INTERVAL_MS 1000
#define LOGS_RETRIES     8     /* transient failures in a row, --follow */
#define LOGS_BACKOFF_MAX 30000 /* ms */

struct logs_state {
	const struct cli_args *a;
	char                  *file; /* of the last answer */
	long long              cursor;
	int                    have_cursor;
	int                    pretty; /* a terminal: short times */
};

void
cmd_logs_usage(FILE *fp, int full)
{
	fputs("usage: openclaw logs [--follow] [--limit N] [--max-bytes N] "
	      "[--interval MS]\n"
	      "           [--json] [--plain] [--utc] [--url URL] [--token "
	      "TOKEN] [options]\n",
	    fp);
	if (!full)
		return;
	fputs("\nTail the gateway's file log over RPC (logs.tail).\n\n"
	      "  --follow            keep polling for new lines\n"
	      "  --limit N           lines per read at most (default 200)\n"
	      "  --max-bytes N       bytes per read at most (default 250000)\n"
	      "  --interval MS       polling interval (default 1000)\n"
	      "  --plain             plain text, full timestamps\n"
	      "  --utc               timestamps in UTC (default: local time)\n"
	      "  --local-time        timestamps in local time\n"
	      "  --no-color          no ANSI colours (none are used)\n",
	    fp);
	fputs(cli_conn_help, fp);
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Bytes a terminal would obey (C0, DEL, C1) as \xNN. */
static void
logs_put_safe(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			fprintf(fp, "\\x%02x", *++p);
		else
			fputc(*p, fp);
	}
}

/* ISO 8601 with milliseconds -> ms since the epoch; -1 if not one. */
static long long
logs_parse_time(const char *s, int *ms)
{
	struct tm tm;
	char     *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	*ms = 0;
	if (*end == '.' && isdigit((unsigned char)end[1])) {
		*ms = (int)strtol(end + 1, &end, 10) % 1000;
	}
	if (strcmp(end, "Z") != 0)
		return -1;
	return (long long)timegm(&tm);
}

/* The stock CLI's timestamps: local (with offset) or UTC, long or short. */
static void
logs_time(const struct logs_state *st, const char *s, char *buf, size_t len)
{
	struct tm tm;
	time_t    t;
	long      off;
	int       ms;
	char      day[32];

	if ((t = (time_t)logs_parse_time(s, &ms)) == -1) {
		snprintf(buf, len, "%s", s != NULL ? s : "");
		return;
	}
	if (st->a->logs_utc && !st->pretty) {
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%03dZ", day, ms);
		return;
	}
	if (st->a->logs_utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	off = st->a->logs_utc ? 0 : tm.tm_gmtoff / 60;
	strftime(day, sizeof(day),
	    st->pretty ? "%H:%M:%S" : "%Y-%m-%dT%H:%M:%S", &tm);
	if (st->pretty)
		snprintf(buf, len, "%s%c%02ld:%02ld", day, off < 0 ? '-' : '+',
		    labs(off) / 60, labs(off) % 60);
	else
		snprintf(buf, len, "%s.%03d%c%02ld:%02ld", day, ms,
		    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

/* "subsystem" of a JSON text such as _meta.name, or NULL. */
static char *
logs_meta_subsystem(const char *name)
{
	json_object *o;
	const char  *s;
	char        *r = NULL;

	if (name == NULL || (o = json_tokener_parse(name)) == NULL)
		return NULL;
	if ((s = jstr(o, "subsystem")) != NULL)
		r = xstrdup(s);
	json_object_put(o);
	return r;
}

/* The parts the stock parser takes (src/logging/parse-log-line.ts). */
struct logs_parsed {
	const char *time;
	char        level[16];
	char       *subsystem;
	const char *message;
};

static int
logs_parse(json_object *o, struct logs_parsed *p)
{
	json_object *meta = NULL;
	const char  *lvl;
	size_t       i;

	if (!json_object_is_type(o, json_type_object))
		return -1;
	json_object_object_get_ex(o, "_meta", &meta);
	p->time = jstr(o, "time") != NULL ? jstr(o, "time") :
	                                    jstr(meta, "date");
	lvl = jstr(meta, "logLevelName") != NULL ? jstr(meta, "logLevelName") :
	                                           jstr(o, "level");
	for (i = 0; lvl != NULL && lvl[i] != '\0' && i + 1 < sizeof(p->level);
	     i++)
		p->level[i] = (char)tolower((unsigned char)lvl[i]);
	p->level[i] = '\0';
	p->subsystem = logs_meta_subsystem(jstr(meta, "name"));
	if (p->subsystem == NULL && jstr(o, "subsystem") != NULL)
		p->subsystem = xstrdup(jstr(o, "subsystem"));
	p->message = jstr(o, "message") != NULL ? jstr(o, "message") :
	                                          jstr(o, "0");
	return 0;
}

static void
logs_print_plain(const struct logs_state *st, const char *line)
{
	struct logs_parsed p;
	json_object       *o;
	const char        *parts[4];
	char               tbuf[64];
	int                i, n = 0, sep = 0;

	memset(&p, 0, sizeof(p));
	o = json_tokener_parse(line);
	if (logs_parse(o, &p) == -1) {
		logs_put_safe(stdout, line);
		putchar('\n');
		json_object_put(o);
		return;
	}
	logs_time(st, p.time, tbuf, sizeof(tbuf));
	parts[n++] = tbuf;
	parts[n++] = p.level;
	parts[n++] = p.subsystem != NULL ? p.subsystem : "";
	parts[n++] = p.message != NULL && *p.message != '\0' ? p.message : line;
	for (i = 0; i < n; i++) {
		if (*parts[i] == '\0')
			continue;
		if (sep++ > 0)
			putchar(' ');
		logs_put_safe(stdout, parts[i]);
	}
	putchar('\n');
	free(p.subsystem);
	json_object_put(o);
}

static void
logs_emit_json(json_object *o)
{
	fputs(json_object_to_json_string_ext(o,
	          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    stdout);
	putchar('\n');
	json_object_put(o);
}

static void
logs_add_str(json_object *o, const char *key, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_object_add(o, key, json_object_new_string(v));
}

static void
logs_print_json(const char *line)
{
	struct logs_parsed p;
	json_object       *o, *r = json_object_new_object();

	memset(&p, 0, sizeof(p));
	o = json_tokener_parse(line);
	if (logs_parse(o, &p) == -1) {
		json_object_object_add(r, "type",
		    json_object_new_string("raw"));
		json_object_object_add(r, "raw", json_object_new_string(line));
	} else {
		json_object_object_add(r, "type",
		    json_object_new_string("log"));
		logs_add_str(r, "time", p.time);
		logs_add_str(r, "level", p.level);
		logs_add_str(r, "subsystem", p.subsystem);
		json_object_object_add(r, "message",
		    json_object_new_string(p.message != NULL ? p.message : ""));
		json_object_object_add(r, "raw", json_object_new_string(line));
	}
	logs_emit_json(r);
	free(p.subsystem);
	json_object_put(o);
}

static void
logs_notice(const struct logs_state *st, const char *msg)
{
	json_object *o;

	if (!st->a->conn.json) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("notice"));
	json_object_object_add(o, "message", json_object_new_string(msg));
	logs_emit_json(o);
}

/* The file's name when it is the first answer or another file. */
static void
logs_print_source(struct logs_state *st, json_object *p)
{
	const char  *file = jstr(p, "file");
	json_object *o, *v;

	if (file == NULL || (st->file != NULL && strcmp(st->file, file) == 0))
		return;
	free(st->file);
	st->file = xstrdup(file);
	if (!st->a->conn.json) {
		fputs("Log file: ", stdout);
		logs_put_safe(stdout, file);
		putchar('\n');
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("meta"));
	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "sourceKind", json_object_new_string("file"));
	if (json_object_object_get_ex(p, "cursor", &v))
		json_object_object_add(o, "cursor", json_object_get(v));
	if (json_object_object_get_ex(p, "size", &v))
		json_object_object_add(o, "size", json_object_get(v));
	logs_emit_json(o);
}

static int
logs_flag(json_object *p, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(p, key, &v) &&
	    json_object_get_boolean(v);
}

/* One answer printed; the cursor kept for the next poll. */
static void
logs_print(struct logs_state *st, json_object *p)
{
	json_object *lines, *v;
	const char  *line;
	char         msg[96];
	size_t       i, n = 0;

	logs_print_source(st, p);
	if (json_object_object_get_ex(p, "lines", &lines) &&
	    json_object_is_type(lines, json_type_array))
		n = json_object_array_length(lines);
	for (i = 0; i < n; i++) {
		line = json_object_get_string(
		    json_object_array_get_idx(lines, i));
		if (line == NULL)
			continue;
		if (st->a->conn.json)
			logs_print_json(line);
		else
			logs_print_plain(st, line);
	}
	if (logs_flag(p, "truncated"))
		logs_notice(st,
		    "Log tail truncated (increase --limit or --max-bytes).");
	if (logs_flag(p, "reset")) {
		if (json_object_object_get_ex(p, "skippedBytes", &v) &&
		    json_object_get_int64(v) > 0)
			snprintf(msg, sizeof(msg),
			    "Log cursor re-anchored (skipped %lld bytes).",
			    (long long)json_object_get_int64(v));
		else
			snprintf(msg, sizeof(msg), "%s",
			    "Log cursor reset (file rotated).");
		logs_notice(st, msg);
	}
	if (json_object_object_get_ex(p, "cursor", &v) &&
	    json_object_is_type(v, json_type_int)) {
		st->cursor = json_object_get_int64(v);
		st->have_cursor = 1;
	}
}

static json_object *
logs_params(const struct logs_state *st)
{
	json_object *p = json_object_new_object();

	if (st->have_cursor)
		json_object_object_add(p, "cursor",
		    json_object_new_int64(st->cursor));
	json_object_object_add(p, "limit",
	    json_object_new_int64(st->a->logs_limit));
	json_object_object_add(p, "maxBytes",
	    json_object_new_int64(st->a->logs_max_bytes));
	return p;
}

/* A dropped connection or a timeout, not a refusal (1008, 4xxx). */
static int
logs_transient(const struct cli_rpc_result *res)
{
	return res->status == CLI_RPC_TRANSPORT_ERROR &&
	    strncmp(res->message, "gateway closed (1008", 20) != 0 &&
	    strncmp(res->message, "gateway closed (4", 17) != 0;
}

static void
logs_sleep(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
}

/* stdout gone (a closed pipe): stop quietly, as the stock CLI does. */
static int
logs_flush(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	fprintf(stderr,
	    "openclaw logs: output stdout closed. Stopping "
	    "tail.\n");
	return -1;
}

static int
logs_loop(struct logs_state *st, const struct cli_target *t)
{
	const struct cli_args *a = st->a;
	struct cli_rpc_result  res;
	json_object           *params;
	long                   backoff;
	int                    retries = 0, rv;

	for (;;) {
		params = logs_params(st);
		rv = rpc_call(t, "logs.tail", params, a->conn.timeout_ms, 0,
		    &res);
		json_object_put(params);
		if (rv == -1 && a->logs_follow && retries < LOGS_RETRIES &&
		    logs_transient(&res)) {
			backoff = 1000L << retries++;
			if (backoff > LOGS_BACKOFF_MAX)
				backoff = LOGS_BACKOFF_MAX;
			fprintf(stderr,
			    "[logs] gateway disconnected, "
			    "reconnecting in %lds...\n",
			    backoff / 1000);
			cli_rpc_result_free(&res);
			logs_sleep(backoff);
			continue;
		}
		if (rv == -1) {
			rv = cli_rpc_report("logs", t, &res, a->conn.json);
			cli_rpc_result_free(&res);
			return rv;
		}
		if (retries > 0)
			fprintf(stderr, "[logs] gateway reconnected\n");
		retries = 0;
		logs_print(st, res.payload);
		cli_rpc_result_free(&res);
		if (logs_flush() == -1 || !a->logs_follow)
			return EXIT_OK;
		logs_sleep(a->logs_interval);
	}
}

int
cmd_logs(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args   a;
	struct cli_target t;
	struct logs_state st;
	const char       *env;
	int               rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	if (a.logs_limit == 0)
		a.logs_limit = LOGS_LIMIT;
	if (a.logs_max_bytes == 0)
		a.logs_max_bytes = LOGS_MAX_BYTES;
	if (a.logs_interval == 0)
		a.logs_interval = LOGS_INTERVAL_MS;
	if (cli_target_open(&a, &t) == -1)
		return EXIT_RUNTIME;
	/* The stock CLI's identity on a local target it found itself. */
	env = getenv("OPENCLAW_GATEWAY_URL");
	if (a.conn.url == NULL && (env == NULL || *env == '\0') &&
	    strncmp(t.url, "ws://127.0.0.1:", 15) == 0) {
		t.client_id = "gateway-client";
		t.client_mode = "backend";
	}
	memset(&st, 0, sizeof(st));
	st.a = &a;
	st.pretty = !a.conn.json && !a.logs_plain && isatty(STDOUT_FILENO);
	signal(SIGPIPE, SIG_IGN);
	rv = logs_loop(&st, &t);
	free(st.file);
	cli_target_free(&t);
	return rv;
}
