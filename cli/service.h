/*
 * The gateway as a native service: which unit or plist, where, under
 * which name (service-resolve.c); what `gateway install` writes, filled
 * in from the templates of contrib/ (service-unit.c); and the service
 * manager driven through its own command, systemctl or launchctl
 * (service-ctl.c).  Used by `gateway install|uninstall|start|stop|
 * restart|status` and `doctor`.  Private header, prototypes by file.
 */
#ifndef CLI_SERVICE_H
#define CLI_SERVICE_H

#include <stddef.h>

enum svc_manager {
	SVC_SYSTEMD,
	SVC_LAUNCHD,
};

enum svc_scope {
	SVC_USER,
	SVC_SYSTEM,
};

/* One service definition; strings on the heap. */
struct svc {
	enum svc_manager manager;
	enum svc_scope   scope;
	char            *profile; /* OPENCLAW_PROFILE; NULL: the default */
	char            *name;    /* "openclaw-gateway[-P].service" or the
				     launchd label "bot.molt.gateway" */
	char            *path;    /* the unit or plist file */
	char            *target;  /* launchd: "gui/UID/label"; else NULL */
	char            *domain;  /* launchd: "gui/UID" or "system" */
};

/* What the service manager says of it (svc_runtime()). */
struct svc_runtime {
	int  known;          /* the manager answered */
	int  running;        /* active (systemd) or running (launchd) */
	int  loaded;         /* enabled (systemd) or loaded (launchd) */
	int  missing;        /* the manager does not know the unit */
	long pid;            /* 0: none */
	long exit_status;    /* -1: unknown */
	char state[32];      /* ActiveState, launchd's state */
	char sub[32];        /* SubState */
	char exit_code[32];  /* ExecMainCode */
	char load_state[32]; /* LoadState */
	char file_state[32]; /* UnitFileState */
	char detail[256];    /* why the manager did not answer */
};

/* The templates of contrib/, embedded (service-templates.c, generated). */
extern const char svc_tmpl_system[];
extern const char svc_tmpl_user[];
extern const char svc_tmpl_launchd[];

/* service-resolve.c */
#define SVC_SCOPE_AUTO -1
int         svc_resolve(struct svc *, int scope, char *, size_t);
void        svc_free(struct svc *);
const char *svc_manager_name(const struct svc *);
int         svc_installed(const struct svc *);
char       *svc_system_path(const char *);

/* service-unit.c */
struct svc_opts {
	const char *user; /* --user: User= of a system unit */
	long        port; /* --port; 0: resolved from the environment/config */
};
char *svc_self_path(void);
char *
svc_unit_text(const struct svc *, const struct svc_opts *, char *, size_t);
char *svc_unit_env(const char *text, const char *key);
char *svc_unit_key(const char *text, const char *key);
int   svc_env_apply(const char *text, int with_port);

/* service-extra.c */
struct json_object;
struct json_object *svc_extra_services(const struct svc *, int deep);

/* service-ctl.c */
int  svc_run(char *const *argv, char **out);
int  svc_ctl(const struct svc *, char **out, const char *const *args);
int  svc_ctl_verb(const struct svc *, const char *verb, int quiet);
void svc_runtime(const struct svc *, struct svc_runtime *);
int  svc_daemon_reload(const struct svc *);

#endif
