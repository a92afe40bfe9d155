/* `openclaw __worker <role>`: internal, how the master spawns its workers. */
#include "config.h"

#include <stdio.h>

#include "common/log.h"
#include "workers/worker.h"
#include "cli/cli.h"

int
cmd_worker(const struct cli_cmd *cmd, int argc, char **argv)
{
	(void)cmd;
	if (argc != 2) {
		fprintf(stderr, "openclaw: usage: openclaw __worker <role>\n");
		return EXIT_USAGE;
	}
	return worker_main(argv[1]);
}
