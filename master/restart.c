/*
 * The in-place restart (SIGUSR1, SIGUSR2, a config change of the
 * restart class).  Being built: for now the request is logged.
 */
#include "config.h"

#include "common/log.h"
#include "master/master.h"

void
master_restart(struct master *m, const char *why)
{
	(void)m;
	log_warnx("%s: in-place restart not implemented yet", why);
}
