/* main(): the top-level flags, then the command table (cli/cli-cmd.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proctitle.h"
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

/*
 * Started with 0, 1 or 2 closed (`>&- 2>&-`), the next files we open
 * would take those numbers: the log file would become stdout and get
 * plain-text lines, a socket could get our stderr.  Fill each closed one
 * with /dev/null before anything else is opened.
 */
static void
std_fds_open(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free number: fd itself. */
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EXIT_RUNTIME);
	}
}

int
main(int argc, char **argv)
{
	const char *cmd;
	int         rv;

	std_fds_open();
	/* Before anything keeps a pointer into argv or environ. */
	proctitle_init(argc, argv);
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
