/*
 * `openclaw gateway [run] [options]`: the master, in the foreground.  It
 * parses its own options (master/master.c) and skips a "run" word itself.
 */
#include "config.h"

#include "master/master.h"
#include "cli/cli.h"

int
cmd_gateway_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	(void)cmd;
	return master_main(argc, argv);
}
