/*
 * What the RPC commands print: results as JSON.stringify(v, null, 2)
 * does, failures as one line on stderr or as the stock CLI's --json error.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>

#include <json-c/json.h>

#include "common/log.h"
#include "cli/cli.h"

static void
json_indent(FILE *fp, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		fputs("  ", fp);
}

static void
json_print_scalar(FILE *fp, json_object *o)
{
	fputs(json_object_to_json_string_ext(o,
	          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    fp);
}

/* JSON.stringify(v, null, 2), so output matches the stock CLI. */
static void
json_print_value(FILE *fp, json_object *o, int depth)
{
	json_object *key;
	size_t       i, n;
	int          first = 1;

	switch (json_object_get_type(o)) {
	case json_type_object:
		if (json_object_object_length(o) == 0) {
			fputs("{}", fp);
			break;
		}
		fputs("{\n", fp);
		json_object_object_foreach(o, k, v)
		{
			if (!first)
				fputs(",\n", fp);
			first = 0;
			json_indent(fp, depth + 1);
			key = json_object_new_string(k);
			json_print_scalar(fp, key);
			json_object_put(key);
			fputs(": ", fp);
			json_print_value(fp, v, depth + 1);
		}
		fputc('\n', fp);
		json_indent(fp, depth);
		fputc('}', fp);
		break;
	case json_type_array:
		if ((n = json_object_array_length(o)) == 0) {
			fputs("[]", fp);
			break;
		}
		fputs("[\n", fp);
		for (i = 0; i < n; i++) {
			json_indent(fp, depth + 1);
			json_print_value(fp, json_object_array_get_idx(o, i),
			    depth + 1);
			fputs(i + 1 < n ? ",\n" : "\n", fp);
		}
		json_indent(fp, depth);
		fputc(']', fp);
		break;
	case json_type_null:
		fputs("null", fp);
		break;
	default:
		json_print_scalar(fp, o);
		break;
	}
}

void
cli_json_print(FILE *fp, json_object *o)
{
	json_print_value(fp, o, 0);
	fputc('\n', fp);
}

/* Error text for a terminal: one line, no control characters. */
static void
print_line(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(iscntrl((unsigned char)*s) ? ' ' : *s, fp);
	fputc('\n', fp);
}

static void
copy_key(json_object *to, json_object *from, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(from, key, &v))
		json_object_object_add(to, key, json_object_get(v));
}

/*
 * Report a failed call (what is the command's name: "gateway call
 * health").  Returns the exit status.
 */
int
cli_rpc_report(const char *what, const struct cli_target *t,
    const struct cli_rpc_result *res, int json)
{
	json_object *out, *error, *gw;
	char         line[1024];

	if (!json) {
		if (res->status == CLI_RPC_REQUEST_ERROR)
			snprintf(line, sizeof(line), "openclaw: %s failed: %s",
			    what, res->message);
		else
			snprintf(line, sizeof(line), "openclaw: %s",
			    res->message);
		print_line(stderr, line);
		return EXIT_RUNTIME;
	}
	out = json_object_new_object();
	json_object_object_add(out, "ok", json_object_new_boolean(0));
	error = json_object_new_object();
	if (res->status == CLI_RPC_REQUEST_ERROR) {
		json_object_object_add(error, "type",
		    json_object_new_string("gateway_request_error"));
		if (res->error != NULL) {
			copy_key(error, res->error, "code");
			copy_key(error, res->error, "message");
			copy_key(error, res->error, "details");
			copy_key(error, res->error, "retryable");
			copy_key(error, res->error, "retryAfterMs");
		} else
			json_object_object_add(error, "message",
			    json_object_new_string(res->message));
		json_object_object_add(out, "error", error);
	} else {
		json_object_object_add(error, "type",
		    json_object_new_string("gateway_transport_error"));
		json_object_object_add(error, "message",
		    json_object_new_string(res->message));
		json_object_object_add(out, "error", error);
		gw = json_object_new_object();
		json_object_object_add(gw, "url",
		    json_object_new_string(t->url));
		json_object_object_add(out, "gateway", gw);
	}
	cli_json_print(stdout, out);
	json_object_put(out);
	return EXIT_RUNTIME;
}
