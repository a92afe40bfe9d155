/*
 * agents.list: the roster, as the real gateway projects it
 * (listGatewayAgentsBasic, features.md 1.3).  Without an agents
 * section (its keys come with the agent's config) the roster is the
 * implicit agent `main`, the sole owner, plus every agent that has a
 * directory under <stateDir>/agents; the default agent first, the others
 * sorted.  Each row carries the agent's workspace, resolved as the real
 * gateway does, and whether it is inside a git checkout.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/xmalloc.h"
#include "workers/agent/agent.h"
#include "workers/worker.h"

#define AGENTS_DEFAULT_ID "main"
#define AGENTS_ID_MAX     64
#define AGENTS_LIST_MAX   1024 /* directories read at most */

/* ^[a-z0-9][a-z0-9_-]{0,63}$, case-insensitive; lowercased into out. */
static int
agents_id_norm(const char *in, char out[AGENTS_ID_MAX + 1])
{
	size_t i;

	for (i = 0; in[i] != '\0'; i++) {
		if (i >= AGENTS_ID_MAX ||
		    !(isalnum((unsigned char)in[i]) ||
		        (i > 0 && (in[i] == '_' || in[i] == '-'))))
			return -1;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[i] = '\0';
	return i > 0 ? 0 : -1;
}

static char *
agents_workspace(const struct gw_config *cfg, const char *id)
{
	const char *env = getenv("OPENCLAW_WORKSPACE_DIR");
	int         set = cfg->workspace != NULL && *cfg->workspace != '\0';
	char       *p;

	if (strcmp(id, AGENTS_DEFAULT_ID) != 0) {
		if (set)
			xasprintf(&p, "%s/%s", cfg->workspace, id);
		else
			xasprintf(&p, "%s/workspace-%s", cfg->state_dir, id);
	} else if (set)
		p = xstrdup(cfg->workspace);
	else if (env != NULL && *env != '\0')
		p = xstrdup(env);
	else
		xasprintf(&p, "%s/workspace", cfg->state_dir);
	return p;
}

/* dir or one of its parents has a .git. */
static int
agents_in_git(const char *dir)
{
	struct stat st;
	char       *p = xstrdup(dir), *slash, *git;
	int         found = 0;

	while (!found && *p != '\0') {
		xasprintf(&git, "%s/.git", p);
		found = stat(git, &st) == 0;
		free(git);
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		*slash = '\0';
	}
	free(p);
	return found;
}

static int
agents_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids with a directory under <stateDir>/agents, not the default. */
static int
agents_on_disk(const char *state_dir, char **ids, int max)
{
	char           path[4096], id[AGENTS_ID_MAX + 1];
	struct dirent *de;
	struct stat    st;
	DIR           *d;
	int            n = 0, i;

	snprintf(path, sizeof(path), "%s/agents", state_dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (n < max && (de = readdir(d)) != NULL) {
		if (agents_id_norm(de->d_name, id) == -1 ||
		    strcmp(id, AGENTS_DEFAULT_ID) == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, 0) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		for (i = 0; i < n && strcmp(ids[i], id) != 0; i++)
			;
		if (i == n)
			ids[n++] = xstrdup(id);
	}
	closedir(d);
	qsort(ids, (size_t)n, sizeof(ids[0]), agents_cmp);
	return n;
}

static struct json_object *
agents_row(const struct gw_config *cfg, const char *id)
{
	struct json_object *o = json_object_new_object();
	char               *ws = agents_workspace(cfg, id);

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "workspace", json_object_new_string(ws));
	json_object_object_add(o, "workspaceGit",
	    json_object_new_boolean(agents_in_git(ws)));
	free(ws);
	return o;
}

static void
m_agents_list(struct gw_call *call, void *ctx)
{
	struct agent_server    *s = ctx;
	const struct gw_config *cfg = &s->w->cfg;
	struct json_object     *o = json_object_new_object();
	struct json_object     *a = json_object_new_array();
	char                   *ids[AGENTS_LIST_MAX];
	int                     i, n;

	json_object_array_add(a, agents_row(cfg, AGENTS_DEFAULT_ID));
	n = agents_on_disk(cfg->state_dir, ids, AGENTS_LIST_MAX);
	for (i = 0; i < n; i++) {
		json_object_array_add(a, agents_row(cfg, ids[i]));
		free(ids[i]);
	}
	json_object_object_add(o, "defaultId",
	    json_object_new_string(AGENTS_DEFAULT_ID));
	json_object_object_add(o, "ownership", json_object_new_string("sole"));
	json_object_object_add(o, "selectionRequired",
	    json_object_new_boolean(0));
	json_object_object_add(o, "mainKey", json_object_new_string("main"));
	json_object_object_add(o, "scope",
	    json_object_new_string("per-sender"));
	json_object_object_add(o, "agents", a);
	gw_call_ok(call, o);
}

const struct gw_method agent_methods_agents[] = {
	{ "agents.list", "operator.read", "method.agents.list", m_agents_list },
	{ NULL, NULL, NULL, NULL },
};
