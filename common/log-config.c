/*
 * The secrets of a configuration, for the log filter: every CFG_SECRET
 * key of the table, so that a secret key added there is filtered too.
 */
#include "config.h"

#include <string.h>

#include "common/cfg.h"
#include "common/log.h"

void
log_secrets_from_config(const struct gw_config *cfg)
{
	const struct cfg_key *k;
	const char           *v;

	log_secrets_clear();
	for (k = cfg_keys; k->path != NULL; k++) {
		if (k->type != CFG_SECRET)
			continue;
		memcpy(&v, (const char *)cfg + k->offset, sizeof(v));
		if (v != NULL)
			log_secret_add(v, strlen(v));
	}
}
