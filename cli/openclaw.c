/* main(): the top-level flags, then the command table (cli/cli-cmd.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "cli/cli.h"

static void
usage(FILE *fp)
{
	fputs("usage: openclaw <command> [options]\n"
	      "\n"
	      "Commands:\n",
	    fp);
	cli_cmd_list(fp);
	fputs("\n"
	      "Options:\n"
	      "  -V, --version                 print the version\n"
	      "  -h, --help                    show this help\n"
	      "\n"
	      "Run `openclaw gateway <command> --help` for a command's "
	      "options.\n",
	    fp);
}

int
main(int argc, char **argv)
{
	const char *cmd;
	int         rv;

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
	if ((rv = cli_cmd_dispatch(argc - 1, argv + 1)) != -1)
		return rv;
	fprintf(stderr, "openclaw: unknown command: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
