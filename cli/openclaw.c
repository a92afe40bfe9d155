#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "master/master.h"
#include "workers/worker.h"
#include "cli/cli.h"

static void
usage(FILE *fp)
{
	fputs("usage: openclaw <command> [options]\n"
	    "\n"
	    "Commands:\n"
	    "  gateway [run] [options]       run the gateway in the foreground\n"
	    "  gateway call <method> [...]   call a gateway RPC method, print "
	    "the result\n"
	    "  gateway health [--json]       show the gateway's health\n"
	    "\n"
	    "Options:\n"
	    "  -V, --version                 print the version\n"
	    "  -h, --help                    show this help\n"
	    "\n"
	    "Run `openclaw gateway <command> --help` for a command's "
	    "options.\n", fp);
}

/*
 * `openclaw gateway`, `gateway --flags` and `gateway run ...` start the
 * master, which sees argv[0] = "gateway" either way; call and health are
 * the CLI's own.
 */
static int
gateway(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-')
		return master_main(argc, argv);
	if (strcmp(argv[1], "run") == 0) {
		argv[1] = argv[0];
		return master_main(argc - 1, argv + 1);
	}
	return cli_gateway_main(argc - 1, argv + 1);
}

int
main(int argc, char **argv)
{
	const char	*cmd;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("openclaw %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "gateway") == 0)
		return gateway(argc - 1, argv + 1);
	/* internal: how the master spawns its workers */
	if (strcmp(cmd, "__worker") == 0) {
		if (argc != 3) {
			fprintf(stderr, "openclaw: usage: openclaw __worker "
			    "<role>\n");
			return EXIT_USAGE;
		}
		return worker_main(argv[2]);
	}
	fprintf(stderr, "openclaw: unknown command: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
