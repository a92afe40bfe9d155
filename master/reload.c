/*
 * Reading the configuration again, when the file changed (watch.c) and
 * on SIGHUP.  The file is loaded into a fresh struct with the flags the
 * master was started with and the start-up's checks; one that fails
 * changes nothing (an error line naming the file, key and line:col, and
 * the gateway serves on).  The running and the new configuration are
 * then compared key by key (common/cfg-diff.c), and the reload class of
 * each changed key decides, under gateway.reload.mode:
 *  hybrid   live keys are applied (below); any restart-class key, or a
 *           key the table does not know, calls master_restart instead;
 *  hot      live keys are applied; the others are logged, not applied;
 *  restart  any change calls master_restart;
 *  off      the file is not watched; SIGHUP still reads it, as hybrid.
 * Keys of class none (the CLI's gateway.remote.*, gateway.reload.*) are
 * taken as they are: they need nothing done.  Live keys are applied by
 * the master keeping them in m_cfg (workers spawned later get them) and
 * sending every live worker IMSG_CONFIG_UPDATE; no connection drops.
 * Only key names are logged, never a value (secrets are keys too).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/ipc.h"
#include "common/log.h"
#include "master/master.h"

#define RELOAD_NAMES_MAX    1024
#define RELOAD_WARNINGS_MAX 20

/* Which changed keys a list names. */
enum reload_pick {
	PICK_ALL,
	PICK_HOT,
	PICK_RESTART, /* restart class and unknown keys */
};

static int
reload_picked(const struct cfg_key *k, enum reload_pick pick)
{
	switch (pick) {
	case PICK_HOT:
		return k->reload == CFG_RELOAD_HOT;
	case PICK_RESTART:
		return k->reload == CFG_RELOAD_RESTART;
	default:
		return 1;
	}
}

static void
reload_add(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	if (n + strlen(name) + 8 < len)
		snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
	else if (n + 6 < len && (n < 3 || strcmp(buf + n - 3, "...") != 0))
		snprintf(buf + n, len - n, "%s...", n ? ", " : "");
}

/* "a, b, c": the names of the changed keys pick selects; "" if none. */
static void
reload_names(char *buf, size_t len, const struct cfg_key **keys,
    const struct strlist *other, enum reload_pick pick)
{
	int i;

	buf[0] = '\0';
	for (i = 0; keys[i] != NULL; i++)
		if (reload_picked(keys[i], pick))
			reload_add(buf, len, keys[i]->path);
	for (i = 0; pick != PICK_HOT && i < other->n; i++)
		reload_add(buf, len, other->v[i]);
}

/* The running configuration's live keys, to every live worker. */
static void
reload_push(struct master *m)
{
	int i;

	for (i = 0; i < MASTER_MAXPROC; i++)
		if (proc_live(&m->m_procs[i]))
			proc_send_config_json(m, &m->m_procs[i],
			    IMSG_CONFIG_UPDATE);
}

/* The file as now read stands for the running configuration. */
static void
reload_adopt_file(struct master *m, struct gw_config *cfg)
{
	char          *hash = m->m_cfg.hash;
	struct strlist unknown = m->m_cfg.unknown;

	m->m_cfg.hash = cfg->hash;
	m->m_cfg.unknown = cfg->unknown;
	m->m_cfg.exists = cfg->exists;
	cfg->hash = hash;
	cfg->unknown = unknown;
}

static void
reload_apply_hot(struct master *m, struct gw_config *cfg)
{
	config_take(&m->m_cfg, cfg, CFG_RELOAD_HOT);
	log_set_verbose(strcmp(m->m_cfg.log_level, "debug") == 0);
	reload_push(m);
}

static void
reload_warnings(const struct gw_config *cfg)
{
	int i;

	for (i = 0; i < cfg->warnings.n && i < RELOAD_WARNINGS_MAX; i++)
		log_warnx("%s", cfg->warnings.v[i]);
}

static void
reload_restart(struct master *m, const char *names)
{
	char why[RELOAD_NAMES_MAX + 32];

	log_info("config change needs a restart: %s", names);
	snprintf(why, sizeof(why), "config change: %s", names);
	master_restart(m, why);
}

/*
 * The keys changed: what the mode says to do with them.  The names of
 * the keys a restart is for in rst ("" for none): the caller restarts
 * once its own state is up to date.
 */
static void
reload_decide(struct master *m, struct gw_config *cfg, const char *mode,
    const struct cfg_key **keys, const struct strlist *other, char *rst,
    size_t rstlen)
{
	char hot[RELOAD_NAMES_MAX], restart[RELOAD_NAMES_MAX];

	reload_names(hot, sizeof(hot), keys, other, PICK_HOT);
	reload_names(restart, sizeof(restart), keys, other, PICK_RESTART);
	*rst = '\0';
	if (strcmp(mode, "restart") == 0 && (*hot || *restart))
		snprintf(rst, rstlen, "%s%s%s", hot,
		    *hot && *restart ? ", " : "", restart);
	else if (strcmp(mode, "hot") != 0 && *restart != '\0')
		snprintf(rst, rstlen, "%s", restart);
	else {
		if (*hot != '\0')
			reload_apply_hot(m, cfg);
		if (*restart != '\0')
			log_warnx("config keys changed that take effect only "
			          "after a restart (gateway.reload.mode is hot, "
			          "not restarting): %s",
			    restart);
	}
}

/* Loaded and checked like at start-up; -1 (logged) if it will not do. */
static int
reload_load(struct master *m, struct gw_config *cfg, const char *why)
{
	char err[1024];
	int  rv;

	rv = config_load(cfg, err, sizeof(err));
	if (rv == 0 && !cfg->exists && m->m_cfg.exists) {
		/* Between an editor's delete and its write, or a mistake. */
		log_warnx("config reload (%s): %s is gone; the running "
		          "configuration stays",
		    why, m->m_cfg.path);
		return -1;
	}
	if (rv == 0)
		rv = master_config_reload(m, cfg, err, sizeof(err));
	if (rv == -1)
		log_errorx("config reload (%s) failed, nothing changed: %s",
		    why, err);
	return rv;
}

void
master_reload(struct master *m, const char *why)
{
	struct gw_config       cfg;
	const struct cfg_key **keys;
	struct strlist         other;
	char                   names[RELOAD_NAMES_MAX], rst[RELOAD_NAMES_MAX];
	const char            *mode;

	if (m->m_state == MASTER_STOPPING)
		return;
	if (reload_load(m, &cfg, why) == -1) {
		config_free(&cfg);
		return;
	}
	mode = cfg.reload_mode;
	/* off: no watching, but SIGHUP is asked for. */
	if (strcmp(mode, "off") == 0)
		mode = "hybrid";
	*rst = '\0';
	if (config_diff(&m->m_cfg, &cfg, &keys, &other) == 0)
		log_info("config reload (%s): no change in %s", why,
		    m->m_cfg.path);
	else {
		reload_names(names, sizeof(names), keys, &other, PICK_ALL);
		log_info("config reload (%s, mode %s): changed: %s", why,
		    cfg.reload_mode, names);
		reload_warnings(&cfg);
		reload_decide(m, &cfg, mode, keys, &other, rst, sizeof(rst));
	}
	config_take(&m->m_cfg, &cfg, CFG_RELOAD_NONE);
	reload_adopt_file(m, &cfg);
	free(keys);
	config_strlist_free(&other);
	config_free(&cfg);
	watch_start(m);
	/* Last: the restart reads the file again, with its own rules. */
	if (*rst != '\0')
		reload_restart(m, rst);
}
