/* `openclaw gateway call <method>`: one RPC, its result printed as JSON. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "protocol/frame.h"
#include "cli/cli.h"

void
cmd_gateway_call_usage(FILE *fp, int full)
{
	fputs("usage: openclaw gateway call <method> [--params JSON] "
	      "[--url URL] [--port PORT]\n"
	      "           [--token TOKEN] [--password PASS] [--timeout MS] "
	      "[--expect-final] [--json]\n",
	    fp);
	if (!full)
		return;
	fputs("\nCall a gateway RPC method and print its result as JSON.\n\n"
	      "  --params JSON       method parameters (any JSON value)\n"
	      "  --expect-final      wait past an \"accepted\" acknowledgement "
	      "for the final\n"
	      "                      result (two-stage methods such as agent)\n",
	    fp);
	fputs(cli_conn_help, fp);
}

/*
 * --params as JSON.parse reads it (NULL if absent, or JSON null); -1 after
 * saying why.
 */
static int
call_params(const struct cli_args *a, json_object **params)
{
	const char *why;

	*params = NULL;
	if (a->params == NULL)
		return 0;
	*params = frame_json_parse(a->params, strlen(a->params),
	    FRAME_JSON_WHOLE | FRAME_JSON_PURE, &why);
	if (why != NULL) {
		fprintf(stderr, "openclaw: --params is not valid JSON: %s\n",
		    why);
		cmd_gateway_call_usage(stderr, 0);
		return -1;
	}
	return 0;
}

int
cmd_gateway_call(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args       a;
	struct cli_target     t;
	struct cli_rpc_result res;
	json_object          *params;
	char                  what[256];
	int                   rv;

	if (cli_args_parse(cmd, argc, argv, &a, &rv) == -1)
		return rv;
	if (call_params(&a, &params) == -1)
		return EXIT_USAGE;
	if (cli_target_open(&a, &t) == -1) {
		json_object_put(params);
		return EXIT_RUNTIME;
	}
	if (rpc_call(&t, a.method, params, a.conn.timeout_ms, a.expect_final,
	        &res) == 0) {
		cli_json_print(stdout, res.payload);
		rv = EXIT_OK;
	} else {
		snprintf(what, sizeof(what), "gateway call %s", a.method);
		rv = cli_rpc_report(what, &t, &res, a.conn.json);
	}
	cli_rpc_result_free(&res);
	cli_target_free(&t);
	json_object_put(params);
	return rv;
}
