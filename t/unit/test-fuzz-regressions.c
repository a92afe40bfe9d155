/*
 * Regressions found by the fuzz targets (fuzz/).  Two parts:
 *
 * - the inputs of fuzz/crashes/<target>/ (the files the fuzzers saved;
 *   fuzz/crashes/README says what each one is), fed to the parser the
 *   way its fuzz target feeds it, each in a child process so that a crash
 *   is one failed test, not the end of the file; built with
 *   --enable-sanitizers (CI), a memory error there is caught as well;
 * - named checks of the behaviour each fix must give.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/http/head.h"
#include "common/json-relaxed.h"
#include "common/util.h"
#include "common/ws/frame.h"
#include "common/yaml-json.h"
#include "protocol/frame.h"
#include "protocol/validate.h"
#include "t/unit/tap.h"

/* Run fn(arg) in a child: ok if it exits 0. */
static void
in_child(int (*fn)(const void *), const void *arg, const char *name)
{
	pid_t pid;
	int   st;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		ok(0, "%s: fork", name);
		return;
	}
	if (pid == 0) {
		alarm(60);
		st = fn(arg);
		fflush(stdout);
		_exit(st == 0 ? 0 : 1);
	}
	while (waitpid(pid, &st, 0) == -1)
		;
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", name);
	if (WIFSIGNALED(st))
		printf("#   killed by signal %d\n", WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		printf("#   exit status %d\n", WEXITSTATUS(st));
}

/* ------------------------------------------------------------ parsers */

struct input {
	const char *data;
	size_t      len;
};

static int
ws_nop(void *arg, int op, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)op;
	(void)data;
	(void)len;
	return 0;
}

static const struct ws_decoder_cb ws_cb = { ws_nop, ws_nop };

/* fuzz-ws-frame: 4 parameter bytes, then the stream; whole and bytewise. */
static int
run_ws_frame(const void *p)
{
	const struct input *in = p;
	const uint8_t      *d = (const uint8_t *)in->data + 4;
	struct ws_decoder   a, b;
	size_t              i, n;
	int                 server, ra, rb = 0;

	if (in->len < 4)
		return 0;
	n = in->len - 4;
	for (server = 0; server < 2; server++) {
		ws_decoder_init(&a, &ws_cb, NULL, server, 1 << 20);
		ws_decoder_init(&b, &ws_cb, NULL, server, 1 << 20);
		ra = ws_decoder_feed(&a, d, n);
		for (i = 0, rb = 0; i < n && rb == 0; i++)
			rb = ws_decoder_feed(&b, d + i, 1);
		if (ra != rb || a.close_code != b.close_code)
			return 1;
		ws_decoder_free(&a);
		ws_decoder_free(&b);
	}
	return 0;
}

/* One connection's first head: its outcome and status. */
static int
head_status(const char *d, size_t n, size_t step)
{
	struct http_head h;
	size_t           off, k, used;
	int              rv = HTTP_HEAD_MORE;

	http_head_init(&h);
	for (off = 0; off < n && rv == HTTP_HEAD_MORE; off += k) {
		k = step == 0 || step > n - off ? n - off : step;
		rv = http_head_feed(&h, d + off, k, &used);
	}
	if (rv == HTTP_HEAD_ERROR)
		rv = h.status;
	http_head_free(&h);
	return rv;
}

/* fuzz-http-head: 2 seed bytes, then the stream; whole and bytewise agree. */
static int
run_http_head(const void *p)
{
	const struct input *in = p;
	int                 a, b;

	if (in->len < 2)
		return 0;
	a = head_status(in->data + 2, in->len - 2, 0);
	b = head_status(in->data + 2, in->len - 2, 1);
	if (a != b) {
		printf("#   whole: %d, a byte at a time: %d\n", a, b);
		return 1;
	}
	return 0;
}

/* fuzz-json-frame: the ws worker's parse, then its validations. */
static int
run_json_frame(const void *p)
{
	const struct input *in = p;
	struct json_object *frame, *params;
	char                err[256];

	if (proto_schemas_load() == -1)
		return 1;
	if ((frame = frame_json_parse(in->data, in->len, 0, NULL)) != NULL) {
		(void)proto_validate("frame.req", frame, err, sizeof(err));
		if (json_object_object_get_ex(frame, "params", &params))
			(void)proto_validate("connect.params", params, err,
			    sizeof(err));
		json_object_put(frame);
	}
	proto_schemas_free();
	return 0;
}

/* Leave no NUL where config_parse's message buffer will be. */
static void
dirty_stack(void)
{
	volatile char junk[4096];
	size_t        i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = 'A';
}

/* fuzz-config-*: config_parse as config_load runs it. */
static int
run_config(const struct input *in, const char *path)
{
	struct gw_config cfg;
	char             err[512];
	int              rv;

	config_init(&cfg);
	err[0] = '\0';
	dirty_stack();
	rv = config_parse(&cfg, path, in->data, in->len, err, sizeof(err));
	config_free(&cfg);
	/* an error names the file and says something after it */
	if (rv == -1 &&
	    (strncmp(err, path, strlen(path)) != 0 ||
	        strlen(err) < strlen(path) + 3 ||
	        strstr(err, "AAAA") != NULL)) {
		printf("#   message: '%s'\n", err);
		return 1;
	}
	return 0;
}

static int
run_config_json(const void *p)
{
	return run_config(p, "/nonexistent/openclaw.json");
}

static int
run_config_yaml(const void *p)
{
	return run_config(p, "/nonexistent/openclaw.yaml");
}

/* ------------------------------------------------------------ saved inputs */

static const struct {
	const char *dir;
	int (*fn)(const void *);
} targets[] = {
	{ "ws-frame", run_ws_frame },
	{ "http-head", run_http_head },
	{ "json-frame", run_json_frame },
	{ "config-json", run_config_json },
	{ "config-yaml", run_config_yaml },
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
replay_saved(void)
{
	const char    *top;
	char           dir[4096], path[8192], *names[256], name[300];
	struct dirent *de;
	struct input   in;
	size_t         t, i, n, len;
	DIR           *dp;

	if ((top = getenv("OPENCLAW_TOP_SRCDIR")) == NULL)
		top = ".";
	for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		snprintf(dir, sizeof(dir), "%s/fuzz/crashes/%s", top,
		    targets[t].dir);
		if ((dp = opendir(dir)) == NULL)
			continue;
		n = 0;
		while ((de = readdir(dp)) != NULL && n < 256)
			if (de->d_name[0] != '.')
				names[n++] = strdup(de->d_name);
		closedir(dp);
		qsort(names, n, sizeof(names[0]), name_cmp);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			snprintf(name, sizeof(name), "fuzz/crashes/%s/%s",
			    targets[t].dir, names[i]);
			in.data = util_read_file(path, 1 << 20, &len);
			in.len = len;
			if (in.data == NULL)
				ok(0, "%s: readable", name);
			else
				in_child(targets[t].fn, &in, name);
			free((char *)in.data);
			free(names[i]);
		}
	}
}

/* ------------------------------------------------------------ named checks */

/*
 * A config whose root is null: yaml_to_json ("~", "null", an empty
 * document "---") returned NULL without writing a message, and
 * config_parse printed its uninitialized message buffer (ASan:
 * stack-buffer-overflow READ in config_parse); json_relaxed_parse
 * ("null" followed by a blank) returned NULL with the message
 * "1:5: success".  Fixed: an error saying what is wrong, after the path.
 */
static int
null_root_json(const void *p)
{
	char                err[64];
	struct json_object *o;

	(void)p;
	memset(err, 'Z', sizeof(err));
	o = json_relaxed_parse("null\n", 5, err, sizeof(err));
	json_object_put(o);
	if (o != NULL)
		return 0;
	if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == 'Z' ||
	    strstr(err, "success") != NULL) {
		printf("#   message: '%.*s'\n", (int)sizeof(err) - 1, err);
		return 1;
	}
	return 0;
}

static int
null_root_yaml(const void *p)
{
	static const char *const docs[] = { "~\n", "null\n", "---\n",
		"--- ~\n" };
	char                     err[64];
	struct json_object      *o;
	size_t                   i;

	(void)p;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		memset(err, 'Z', sizeof(err));
		o = yaml_to_json(docs[i], strlen(docs[i]), err, sizeof(err));
		json_object_put(o);
		if (o == NULL &&
		    (memchr(err, '\0', sizeof(err)) == NULL || err[0] == 'Z'))
			return 1;
	}
	return 0;
}

static int
null_root_config(const void *p)
{
	static const struct {
		const char *path, *text;
	} c[] = {
		{ "/x/openclaw.json", "null\n" },
		{ "/x/openclaw.json", "  null  " },
		{ "/x/openclaw.yaml", "~\n" },
		{ "/x/openclaw.yaml", "---\n" },
		{ "/x/openclaw.yml", "null" },
	};
	struct gw_config cfg;
	char             err[512];
	size_t           i;
	int              rv;

	(void)p;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		config_init(&cfg);
		dirty_stack();
		rv = config_parse(&cfg, c[i].path, c[i].text, strlen(c[i].text),
		    err, sizeof(err));
		config_free(&cfg);
		if (rv != -1 ||
		    strncmp(err, c[i].path, strlen(c[i].path)) != 0 ||
		    strlen(err) < strlen(c[i].path) + 3 || strlen(err) > 200 ||
		    strchr(err, 'A') != NULL ||
		    strstr(err, "success") != NULL) {
			printf("#   %s '%s': message '%.200s'\n", c[i].path,
			    c[i].text, err);
			return 1;
		}
	}
	return 0;
}

/*
 * http_head_feed answered a parse error (431 for the 101st field, 505 for
 * a bad version) before its bare-CR / obs-fold check of the bytes of the
 * same feed, so the status depended on how TCP cut the head: 431 whole,
 * 400 a byte at a time.  Fixed: the same status whatever the cuts.
 */
static int
head_status_cuts(const void *p)
{
	char   buf[2048];
	size_t n;
	int    i, a, b;

	(void)p;
	n = (size_t)snprintf(buf, sizeof(buf),
	    "GET / HTTP/1.1\r\nA: b\r\n c\r\n");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X%d: v\r\n",
		    i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	a = head_status(buf, n, 0);
	b = head_status(buf, n, 1);
	if (a != b) {
		printf("#   whole: %d, a byte at a time: %d\n", a, b);
		return 1;
	}
	return 0;
}

int
main(void)
{
	replay_saved();
	in_child(null_root_json, NULL,
	    "json_relaxed_parse: a null root is an error with a message");
	in_child(null_root_yaml, NULL,
	    "yaml_to_json: a null root is an error with a message");
	in_child(null_root_config, NULL,
	    "config_parse: a null root gives a bounded message with the path");
	in_child(head_status_cuts, NULL,
	    "http_head_feed: the status does not depend on the cuts");
	return tap_done();
}
