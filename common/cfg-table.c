/*
 * Every configuration key the gateway reads.  This table drives parsing,
 * environment overrides, the master -> worker config message, the reload
 * classes and the man page: add a key here and nowhere else.
 */
#include "config.h"

#include <stddef.h>

#include "common/cfg.h"

#define OFF(f) offsetof(struct gw_config, f)
/* clang-format off */
#define ROW(path, type, def, env, choices, min, max, reload, field, doc) \
	{ path, type, def, env, choices, min, max, reload, OFF(field), doc }
/* clang-format on */

const struct cfg_key cfg_keys[] = {
	ROW("gateway.mode", CFG_ENUM, NULL, NULL, "local|remote", 0, 0,
	    CFG_RELOAD_RESTART, mode,
	    "Must be \"local\" for the gateway to start (or --allow-unconfigured)."),
	ROW("gateway.port", CFG_INT, "18789", "OPENCLAW_GATEWAY_PORT", NULL, 1,
	    65535, CFG_RELOAD_RESTART, port,
	    "Port of the WebSocket and HTTP listener (--port wins); unset, a "
	    "named profile derives its own (openclaw(1) --profile)."),
	ROW("gateway.bind", CFG_ENUM, "loopback", NULL, "loopback|lan", 0, 0,
	    CFG_RELOAD_RESTART, bind, "loopback (127.0.0.1) or lan (0.0.0.0)."),
	ROW("gateway.auth.mode", CFG_ENUM, NULL, NULL, "none|token|password", 0,
	    0, CFG_RELOAD_RESTART, auth_mode,
	    "Client authentication; default password if one is set, else token."),
	ROW("gateway.auth.token", CFG_SECRET, NULL, "OPENCLAW_GATEWAY_TOKEN",
	    NULL, 0, 0, CFG_RELOAD_RESTART, auth_token,
	    "Shared token clients send in connect.params.auth.token."),
	ROW("gateway.auth.password", CFG_SECRET, NULL,
	    "OPENCLAW_GATEWAY_PASSWORD", NULL, 0, 0, CFG_RELOAD_RESTART,
	    auth_password, "Shared password (password mode)."),
	ROW("gateway.auth.rateLimit.maxAttempts", CFG_INT, "10", NULL, NULL, 1,
	    1000000, CFG_RELOAD_HOT, rl_max_attempts,
	    "Failed authentications per client IP within windowMs before lockout."),
	ROW("gateway.auth.rateLimit.windowMs", CFG_INT, "60000", NULL, NULL, 1,
	    86400000, CFG_RELOAD_HOT, rl_window_ms,
	    "Window over which failed authentications are counted."),
	ROW("gateway.auth.rateLimit.lockoutMs", CFG_INT, "300000", NULL, NULL,
	    1, 86400000, CFG_RELOAD_HOT, rl_lockout_ms,
	    "How long a client IP stays locked out."),
	ROW("gateway.auth.rateLimit.exemptLoopback", CFG_BOOL, "true", NULL,
	    NULL, 0, 0, CFG_RELOAD_HOT, rl_exempt_loopback,
	    "Loopback clients are not rate limited."),
	ROW("gateway.user", CFG_STR, NULL, NULL, NULL, 0, 0, CFG_RELOAD_RESTART,
	    user,
	    "Started as root: the workers drop to this user (its groups, then "
	    "its gid and uid) and the state directory must be its (--user wins)."),
	ROW("gateway.remote.url", CFG_STR, NULL, NULL, NULL, 0, 0,
	    CFG_RELOAD_NONE, remote_url, "URL the CLI uses in remote mode."),
	ROW("gateway.remote.token", CFG_SECRET, NULL, NULL, NULL, 0, 0,
	    CFG_RELOAD_NONE, remote_token,
	    "Token the CLI sends (fallback when gateway.auth.token is unset)."),
	ROW("gateway.remote.password", CFG_SECRET, NULL, NULL, NULL, 0, 0,
	    CFG_RELOAD_NONE, remote_password, "Password the CLI sends."),
	ROW("gateway.controlUi.allowedOrigins", CFG_STRLIST, NULL, NULL, NULL,
	    0, 0, CFG_RELOAD_HOT, allowed_origins,
	    "Browser origins allowed to open the WebSocket besides our own."),
	ROW("gateway.allowedHosts", CFG_STRLIST, NULL, NULL, NULL, 0, 0,
	    CFG_RELOAD_HOT, allowed_hosts,
	    "Host names served (WebSocket upgrade, canvas, both ports) besides "
	    "localhost, loopback addresses and, bound to lan, IPv4 literals."),
	ROW("gateway.reload.mode", CFG_ENUM, "hybrid", NULL,
	    "hybrid|hot|restart|off", 0, 0, CFG_RELOAD_NONE, reload_mode,
	    "What a change of the config file does: hybrid applies live keys "
	    "and restarts for the others, hot only applies live keys, restart "
	    "restarts for any change, off does not watch the file (SIGHUP "
	    "still re-reads it, as hybrid)."),
	ROW("gateway.reload.debounceMs", CFG_INT, "300", NULL, NULL, 0, 60000,
	    CFG_RELOAD_NONE, reload_debounce_ms,
	    "The file is read again once it has not changed for this long."),
	ROW("canvasHost.enabled", CFG_BOOL, "true", NULL, NULL, 0, 0,
	    CFG_RELOAD_RESTART, canvas_enabled,
	    "Serve /__openclaw__/canvas/ (OPENCLAW_SKIP_CANVAS_HOST=1 disables)."),
	ROW("canvasHost.port", CFG_INT, "0", "OPENCLAW_CANVAS_HOST_PORT", NULL,
	    0, 65535, CFG_RELOAD_RESTART, canvas_port,
	    "Canvas port; 0 means gateway.port + 4."),
	ROW("agents.defaults.workspace", CFG_STR, NULL, NULL, NULL, 0, 0,
	    CFG_RELOAD_RESTART, workspace,
	    "Workspace directory; canvas files live in <workspace>/canvas."),
	ROW("logging.file", CFG_STR, NULL, NULL, NULL, 0, 0, CFG_RELOAD_RESTART,
	    log_file,
	    "JSON-lines log file (default /tmp/openclaw/openclaw-DATE.log, "
	    "$TMPDIR when set)."),
	ROW("logging.maxFileBytes", CFG_INT, "104857600", NULL, NULL, 4096,
	    68719476736L, CFG_RELOAD_RESTART, log_max_file_bytes,
	    "At this size the log file is rotated; 5 archives are kept."),
	ROW("logging.level", CFG_ENUM, "info", "OPENCLAW_LOG_LEVEL",
	    "debug|info|warn|error", 0, 0, CFG_RELOAD_HOT, log_level,
	    "Lowest level written."),
	ROW("gateway.tickIntervalMs", CFG_INT, "30000",
	    "OPENCLAW_TICK_INTERVAL_MS", NULL, 10, 3600000, CFG_RELOAD_HOT,
	    tick_ms,
	    "Interval of the tick event (reported in hello-ok.policy)."),
	ROW("gateway.pingIntervalMs", CFG_INT, "25000",
	    "OPENCLAW_PING_INTERVAL_MS", NULL, 10, 3600000, CFG_RELOAD_HOT,
	    ping_ms,
	    "WebSocket ping interval; no pong within it closes the socket."),
	ROW("gateway.handshakeTimeoutMs", CFG_INT, "15000",
	    "OPENCLAW_HANDSHAKE_TIMEOUT_MS", NULL, 10, 600000, CFG_RELOAD_HOT,
	    handshake_ms,
	    "Time a socket has to complete connect before it is closed."),
	ROW("gateway.presenceTtlMs", CFG_INT, "300000",
	    "OPENCLAW_PRESENCE_TTL_MS", NULL, 10, 86400000, CFG_RELOAD_HOT,
	    presence_ttl_ms, "Presence entries older than this are pruned."),
	ROW("gateway.healthRefreshMs", CFG_INT, "60000",
	    "OPENCLAW_HEALTH_REFRESH_MS", NULL, 10, 86400000, CFG_RELOAD_HOT,
	    health_refresh_ms,
	    "Interval of the cached health refresh (health event)."),
	ROW("gateway.maxPreauthConnectionsPerIp", CFG_INT, "32",
	    "OPENCLAW_MAX_PREAUTH_CONNECTIONS_PER_IP", NULL, 1, 1000000,
	    CFG_RELOAD_HOT, max_preauth_per_ip,
	    "Unauthenticated sockets per client IP; excess upgrades get 503."),
	ROW("gateway.maxConnections", CFG_INT, "100000",
	    "OPENCLAW_MAX_CONNECTIONS", NULL, 1, 10000000, CFG_RELOAD_HOT,
	    max_connections, "WebSocket connections held at once."),
	ROW("gateway.maxOutboundBytes", CFG_INT, "1073741824",
	    "OPENCLAW_MAX_OUTBOUND_BYTES", NULL, 65536, 68719476736L,
	    CFG_RELOAD_RESTART, max_outbound_bytes,
	    "Outbound bytes buffered over all sockets; over it, slow sockets close."),
	ROW("gateway.maxInboundBytes", CFG_INT, "134217728",
	    "OPENCLAW_MAX_INBOUND_BYTES", NULL, 1048576, 68719476736L,
	    CFG_RELOAD_RESTART, max_inbound_bytes,
	    "Inbound bytes of partial messages held over all sockets; over it, "
	    "the largest stop being read and are closed (1008) after 3 s."),
	ROW("gateway.drainTimeoutMs", CFG_INT, "5000",
	    "OPENCLAW_DRAIN_TIMEOUT_MS", NULL, 0, 600000, CFG_RELOAD_HOT,
	    drain_ms, "On stop, in-flight requests are cut after this."),
	ROW("gateway.startupDelayMs", CFG_INT, "0", "OPENCLAW_STARTUP_DELAY_MS",
	    NULL, 0, 600000, CFG_RELOAD_RESTART, startup_delay_ms,
	    "Hold the starting phase this long (for testing start-up behaviour)."),
	ROW("gateway.watchdogMs", CFG_INT, "5000", "OPENCLAW_WATCHDOG_MS", NULL,
	    0, 600000, CFG_RELOAD_RESTART, watchdog_ms,
	    "A worker that leaves the master's ping unanswered this long is "
	    "killed and respawned; 0 disables."),
	ROW("commands.restart", CFG_BOOL, "true", NULL, NULL, 0, 0,
	    CFG_RELOAD_HOT, commands_restart,
	    "SIGUSR1 (and SIGUSR2) restart the gateway in place; false: they "
	    "are logged and ignored (config changes still restart)."),
	{ NULL, 0, NULL, NULL, NULL, 0, 0, 0, 0, NULL }
};
