/*
 * The configuration model.  One table (cfg-table.c) lists every key we
 * read: its JSON path, type, default, environment override, range, reload
 * class and documentation.  Parsing, validation, environment overrides and
 * the scrubbing of secrets from the workers' environment, the reload
 * decision (cfg-diff.c, master/reload.c) and the openclaw.json(5) page
 * read it.
 */
#ifndef COMMON_CFG_H
#define COMMON_CFG_H

#include <stddef.h>
#include <json-c/json.h>

enum cfg_type {
	CFG_INT,
	CFG_BOOL,
	CFG_STR,
	CFG_SECRET,
	CFG_ENUM,
	CFG_STRLIST
};
enum cfg_reload {
	CFG_RELOAD_NONE,
	CFG_RELOAD_HOT,
	CFG_RELOAD_RESTART
};

struct cfg_key {
	const char     *path; /* "gateway.port" */
	enum cfg_type   type;
	const char     *def;      /* default as text, NULL for none */
	const char     *env;      /* environment override, NULL for none */
	const char     *choices;  /* "a|b|c" for CFG_ENUM */
	long            min, max; /* CFG_INT range */
	enum cfg_reload reload;
	size_t          offset; /* into struct gw_config */
	const char     *doc;
};

extern const struct cfg_key cfg_keys[];

/*
 * Secrets are byte strings compared by length, but they also pass through
 * C strings, argv, HTTP headers and lines of files: one with a NUL would
 * be cut (a prefix accepted), one with a newline or an escape would split
 * or forge what carries it.  Refused at load (util_secret_text_ok) with
 * this reason, the key named, the value never shown.
 */
#define CFG_SECRET_CTRL \
	"a secret must not contain control characters (NUL, newline, ...)"

struct strlist {
	char **v;
	int    n;
};

struct gw_config {
	char *path; /* config file path */
	char *state_dir;
	int   exists; /* the file existed when loaded */
	char *hash;   /* sha256 hex of the file as loaded */
	/* Set by the master: why the canvas port is not listening. */
	char *canvas_listen_error;

	char          *mode; /* gateway.mode */
	long           port;
	char          *bind;
	char          *auth_mode; /* none|token|password ("" = derived) */
	char          *auth_token;
	char          *auth_password;
	char          *remote_token;
	char          *remote_password;
	char          *remote_url;
	char          *user; /* gateway.user: what workers run as */
	long           rl_max_attempts;
	long           rl_window_ms;
	long           rl_lockout_ms;
	int            rl_exempt_loopback;
	struct strlist allowed_origins;
	struct strlist allowed_hosts;
	int            canvas_enabled;
	long           canvas_port; /* 0 = base + 4 */
	char          *workspace;   /* agents.defaults.workspace */
	char          *log_file;
	char          *log_level;
	long           log_max_file_bytes;

	long  tick_ms;
	long  ping_ms;
	long  handshake_ms;
	long  presence_ttl_ms;
	long  health_refresh_ms;
	long  max_preauth_per_ip;
	long  max_connections;
	long  max_outbound_bytes;
	long  max_inbound_bytes;
	long  drain_ms;
	long  startup_delay_ms;
	long  watchdog_ms;
	int   commands_restart;
	char *reload_mode; /* gateway.reload.mode */
	long  reload_debounce_ms;
	int   file_secret;     /* the file itself holds a secret (not ${VAR}) */
	char *file_secret_key; /* the first key that holds one */

	/* Left by config_load, not sent to workers (cfg-unknown.c). */
	struct strlist warnings; /* "<file>:<l>:<c>: unknown key ..." */
	struct strlist unused;   /* keys of sections we do not implement */
	/*
	 * Every unknown key as "<path>=<sha256 of its value>": a reload
	 * sees an unknown key added, removed or changed without holding
	 * (or ever printing) its value.
	 */
	struct strlist unknown;
};

/* Defaults applied, no file read. */
void config_init(struct gw_config *);
void config_free(struct gw_config *);
/*
 * Resolve state dir and config path from the environment, load the file
 * if it exists (JSON with comments and trailing commas, or YAML when the
 * name ends in .yaml/.yml), resolve ${VAR} in its strings, apply
 * environment overrides.  Returns -1 with a one-line message in err
 * ("<path>:<line>:<col>: <key>: <reason>"); both openclaw.json and
 * openclaw.yaml in the state directory is an error naming both.  Unknown
 * keys are left in cfg->warnings and cfg->unused (cfg-unknown.c).
 */
int config_load(struct gw_config *, char *err, size_t errlen);
/* Parse text already read; path is for messages only. */
int config_parse(struct gw_config *, const char *path, const char *text,
    size_t len, char *err, size_t errlen);
/*
 * The resolved state directory and config path (heap strings): the
 * config is OPENCLAW_CONFIG_PATH, else <state>/openclaw.json, else
 * <state>/openclaw.yaml (or .yml) when only that one exists.
 */
char *config_state_dir(void);
char *config_file_path(const char *state_dir);
/* OPENCLAW_HOME, else HOME, else the passwd entry's; a heap string. */
char *config_home(void);
/* "~" or "~/..." made absolute with config_home(); a heap string. */
char *config_expand_tilde(const char *);
/*
 * Ports (cfg-port.c).  gateway.port is --port > OPENCLAW_GATEWAY_PORT >
 * the file's gateway.port > config_port_default(): the profile's
 * (19001 for "dev", 20000 + FNV-1a32(name) % 40000 for another named
 * one, as the stock CLI derives it) > 18789.  Derived from it: the canvas
 * port (canvasHost.port / OPENCLAW_CANVAS_HOST_PORT, else base + 4) and
 * the browser control port (base + 2; not served by this gateway, only
 * reported, so that other tools' derived ports agree).
 */
long config_port_default(void);
long config_canvas_port(const struct gw_config *);
long config_browser_port(const struct gw_config *);
/* One line naming the three, and the profile, for `gateway --check`. */
void config_ports_describe(const struct gw_config *, char *, size_t);
/* 1 if v is one of an enum key's choices. */
int config_choice_ok(const struct cfg_key *, const char *v);
/* sha256 of len bytes as 64 hex digits + NUL. */
void config_hash(const void *data, size_t len, char out[65]);
/* Effective auth mode: explicit, else password if set, else token. */
const char *config_auth_mode(const struct gw_config *);

/*
 * The keys whose values differ between a and b (secrets compared, their
 * values never copied), as table rows in *keys (NULL-terminated, heap
 * array) and unknown keys' paths in *other (heap strings, for reload
 * they count as restart class).  Returns how many in all.
 */
int config_diff(const struct gw_config *a, const struct gw_config *b,
    const struct cfg_key ***keys, struct strlist *other);
/*
 * Swap into dst the value of every key of reload class cls from src:
 * src then holds the old values and is freed by the caller.
 */
void
config_take(struct gw_config *dst, struct gw_config *src, enum cfg_reload cls);
void config_strlist_free(struct strlist *);

/*
 * Serialize to JSON for the master -> worker config message (the only
 * way workers receive secrets) and back.
 */
struct json_object *config_to_json(const struct gw_config *);
int                 config_from_json(struct gw_config *, struct json_object *);

#endif
