/* main(): the top-level flags, then the command table (cli/cli-cmd.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/profile.h"
#include "common/proctitle.h"
#include "cli/cli.h"

static void
usage(FILE *fp)
{
	fputs("usage: openclaw [--profile NAME | --dev] <command> [options]\n"
	      "\n"
	      "Commands:\n",
	    fp);
	cli_cmd_list(fp);
	fputs("\n"
	      "Options:\n"
	      "  --profile NAME                isolated state, config and port:\n"
	      "                                ~/.openclaw-NAME (letters, digits,\n"
	      "                                \"_\", \"-\"; at most 64)\n"
	      "  --dev                         profile \"dev\", port 19001\n"
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

static int
root_usage_error(const char *fmt, const char *arg)
{
	fputs("openclaw: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/*
 * The root flags before the command: --profile NAME (or =NAME) and --dev
 * select a profile for this process and everything it starts, through
 * the environment (common/profile.c), as the stock CLI does.  *argi is
 * left on the command word.  Returns -1 to go on, else an exit status.
 */
static int
root_flags(int argc, char **argv, int *argi)
{
	const char *arg, *name = NULL;
	int         i, dev = 0;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--dev") == 0)
			dev = 1;
		else if (strncmp(arg, "--profile=", 10) == 0)
			name = arg + 10;
		else if (strcmp(arg, "--profile") == 0) {
			if (i + 1 >= argc)
				return root_usage_error("%s needs a value",
				    arg);
			name = argv[++i];
		} else
			break;
		if (name != NULL && !profile_name_ok(name))
			return root_usage_error("invalid --profile \"%s\" "
			                        "(letters, digits, \"_\" and "
			                        "\"-\", at most 64)",
			    name);
	}
	if (dev && name != NULL && strcmp(name, PROFILE_DEV) != 0)
		return root_usage_error("%s",
		    "cannot combine --dev with "
		    "--profile");
	if (dev)
		name = PROFILE_DEV;
	if (name != NULL)
		profile_apply_env(name);
	*argi = i;
	return -1;
}

int
main(int argc, char **argv)
{
	const char *cmd;
	int         rv, argi = 1;

	std_fds_open();
	/*
	 * Before proctitle_init: the environment it copies is then the one
	 * with the profile's variables (a setenv() after it would leave its
	 * copy of environ unreferenced).
	 */
	if ((rv = root_flags(argc, argv, &argi)) != -1)
		return rv;
	/* Before anything keeps a pointer into argv or environ. */
	proctitle_init(argc, argv);
	/* The command word becomes argv[1], as if no root flag came. */
	argv += argi - 1;
	argc -= argi - 1;
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
