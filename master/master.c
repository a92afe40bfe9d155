/*
 * The master: `openclaw gateway [run]`.
 *
 * Startup, in order:
 *  1. flags; secrets read from --token-file/--password-file;
 *  2. config_load() (file, then environment); the log file is opened
 *     (logfile.c: rotated, rolled over daily, reopened on SIGHUP);
 *  3. the state directory is created (0700) and <stateDir>/gateway.lock
 *     taken: one gateway per state directory;
 *  4. first run: no config file and no credential anywhere -> write one
 *     with a new token (firstrun.c) and load it again;
 *  4b. StrictModes (perms.c): a config, token or password file others
 *     can read or write, a state directory others can write: refused;
 *     unknown keys of the config logged (common/cfg-unknown.c);
 *  5. flags applied over the config, then checked: gateway.mode must be
 *     "local" (or --allow-unconfigured), a non-loopback bind needs auth;
 *  5b. gateway.user (or --user) resolved and the state directory checked
 *     to be the user's (privs.c); as root without one, a warning;
 *  6. shared memory created; listening sockets bound (main port, and the
 *     canvas port unless the canvas is off), except those the service
 *     manager passed (socket activation, activate.c: adopted at the end
 *     of step 5).  From here the port accepts: connections wait in the
 *     backlog until http takes them;
 *  7. workers spawned, in the role table's order, as
 *     `openclaw __worker <role>` with the master channel on fd 3
 *     (WORKER_MASTER_FD); each then titles itself "openclaw-gateway:
 *     <role> worker (gen N)" (common/proctitle.c), as the master titles
 *     itself after the flags.
 * `gateway --check` runs steps 1-5 without their side effects (no log
 * file, no lock, no first-run write; a missing config is taken as the
 * one the first run would write), prints each unknown key and
 * "configuration OK: <path>", and exits 0; or the error and 78.
 *
 * Messages on each master channel, master -> worker, in this order:
 *  IMSG_HELLO	struct imsg_hello (IPC_VERSION, role, generation, master
 *		pid, boot_ms, boot_id, gateway.user's uid, gid and
 *		groups); a version mismatch ends the worker with
 *		EXIT_CONFIG; with a user, the worker takes its ids at
 *		once (workers/worker-privs.c), or exits EXIT_CONFIG;
 *  IMSG_CONFIG	config_to_json() as plain JSON text, NOT NUL-terminated
 *		(use msg->len); the only way secrets reach a worker;
 *  IMSG_FD_CONFIG  with gateway.user only: fd of the config file,
 *		read-only, for config.get (the file is root's, 0600);
 *		again with each IMSG_CONFIG;
 *  IMSG_FD_LOG	fd of the JSON-lines log file (not sent when there is
 *		none); payload its path, not NUL-terminated, for
 *		logs.tail to read the file by.  Comes again at any time when the master starts a
 *		new file (logfile.c); the worker sends IMSG_LOG_FULL
 *		when a line of its own filled the file;
 *  IMSG_FD_SHM	fd of the shared memory; payload uint64 size;
 *  IMSG_FD_LISTEN  fd of a listening socket; payload uint32 enum
 *		listener_kind: the kinds the role table gives the role
 *		(protocol/roles.c);
 *  IMSG_FD_PEER	fd of a socketpair to another worker; payload uint32
 *		role of the other side: one per pair of roles the table
 *		names, each side an end.  May come again at any time
 *		after START when the other side was respawned: the new one
 *		replaces the old;
 *  IMSG_START	everything sent: start serving, in PHASE_STARTING (readyz
 *		503, connect answered UNAVAILABLE).  Payload uint32
 *		START_* flags: a restart's new generation gets
 *		START_DEFER_ACCEPT and accepts nothing before PHASE_READY.
 * The worker answers IMSG_READY (struct imsg_ready).  When every worker
 * of the generation is ready, the master logs "listening on ..." and
 * sends each IMSG_PHASE PHASE_READY (after gateway.startupDelayMs, if
 * set); a worker respawned later gets PHASE_READY as soon as it is ready.
 * On SIGTERM/SIGINT each gets IMSG_DRAIN (struct imsg_drain), may answer
 * IMSG_DRAINED, and exits; stragglers are killed deadline + 2 s later.
 * After a reload that changed live keys (reload.c; the file is watched
 * by watch.c, and read again on SIGHUP), each live worker gets
 * IMSG_CONFIG_UPDATE, config_to_json() text like IMSG_CONFIG, and takes
 * the live keys from it (workers/worker.c).
 * Every gateway.watchdogMs / 4 the master sends each live worker
 * IMSG_PING, answered IMSG_PONG from the worker's event loop; one that
 * leaves a ping unanswered for gateway.watchdogMs is killed (SIGKILL)
 * and respawned like a crash (watchdog.c).
 * A worker whose channel closes exits: the master holds no state a
 * worker needs to give back.
 * SIGUSR1/SIGUSR2 restart in place (restart.c): the master executes its
 * binary again under the same PID, with the listening sockets, shared
 * memory and worker channels kept open; the old generation's drain has
 * restart_expected_ms set, and the role that writes presence
 * (r_handover) answers IMSG_HANDOVER once it stopped writing it; then
 * the new generation gets PHASE_READY, and that role IMSG_TAKEOVER.
 * Under systemd (NOTIFY_SOCKET), the master alone says READY=1 when the
 * generation moves to PHASE_READY and STOPPING=1 when the drain starts
 * (notify.c).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/proctitle.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "master/master.h"
#include "protocol/http-paths.h"

#define MASTER_SECRET_MAX 65536

/* Under --check a startup error ends the test, not a start. */
static int master_checking;

/* At start-up, at most this many unknown-key warnings are logged. */
#define MASTER_CONFIG_WARNINGS 20

static const struct option master_longopts[] = { { "port", required_argument,
	                                             NULL, 'p' },
	{ "bind", required_argument, NULL, 'b' },
	{ "token", required_argument, NULL, 't' },
	{ "password", required_argument, NULL, 'P' },
	{ "token-file", required_argument, NULL, 'T' },
	{ "password-file", required_argument, NULL, 'F' },
	{ "user", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "allow-unconfigured", no_argument, NULL, 'A' },
	{ "check", no_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
	{ "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };

static void
master_usage(FILE *f)
{
	fprintf(f,
	    "usage: openclaw gateway [run] [--port N] [--bind loopback|lan]\n"
	    "                        [--token T] [--password P]\n"
	    "                        [--token-file F] [--password-file F]\n"
	    "                        [--user NAME]\n"
	    "                        [--verbose] [--allow-unconfigured]\n"
	    "                        [--check] [--force]\n");
}

static void __attribute__((noreturn)) master_usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "openclaw gateway: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	master_usage(stderr);
	exit(EXIT_USAGE);
}

/*
 * stdout and stderr are one file: the same terminal, pipe or journal
 * stream.  An error logged on stdout is then not said on stderr too.
 */
int
master_stderr_is_stdout(void)
{
	struct stat out, err;

	if (fstat(STDOUT_FILENO, &out) == -1 ||
	    fstat(STDERR_FILENO, &err) == -1)
		return 0;
	return out.st_dev == err.st_dev && out.st_ino == err.st_ino;
}

/*
 * A fatal startup error: once there is a log file, an error line (on
 * stdout and in the file); on stderr, one line naming the cause, unless
 * stderr is stdout, where the line has just been printed.
 */
void
master_fail(struct master *m, int status, const char *fmt, ...)
{
	va_list ap;
	char    msg[1024];
	int     logged = log_file_fd() != -1;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (logged)
		log_errorx("%s", msg);
	if (!logged || !master_stderr_is_stdout())
		fprintf(stderr, "openclaw gateway: %s\n", msg);
	if (master_checking) {
		fprintf(stderr, "configuration test failed\n");
		status = EXIT_CONFIG;
	}
	fflush(stderr);
	if (m != NULL && m->m_forked)
		proc_kill_all(m, SIGKILL);
	exit(status);
}

/* Keep a secret given on the command line out of ps(1) from now on. */
static void
master_wipe_arg(char *arg)
{
	memset(arg, '*', strlen(arg));
}

static void
master_getopt(int argc, char **argv, struct master_opts *o)
{
	long v;
	int  ch;

	/* "gateway run" is "gateway". */
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		argv++;
		argc--;
	}
	memset(o, 0, sizeof(*o));
	opterr = 0;
#ifdef __GLIBC__
	optind = 0; /* full reset, whatever parsed argv before us */
#else
	optind = 1;
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__)
	optreset = 1;
#endif
#endif
	while (
	    (ch = getopt_long(argc, argv, ":", master_longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (util_parse_long(optarg, 1, 65535, &v) == -1)
				master_usage_error("invalid --port: %s",
				    optarg);
			o->port = v;
			break;
		case 'b':
			if (strcmp(optarg, "loopback") != 0 &&
			    strcmp(optarg, "lan") != 0)
				master_usage_error("invalid --bind: %s "
				                   "(loopback or lan)",
				    optarg);
			o->bind = optarg;
			break;
		case 't':
			free(o->token);
			o->token = xstrdup(optarg);
			master_wipe_arg(optarg);
			break;
		case 'P':
			free(o->password);
			o->password = xstrdup(optarg);
			master_wipe_arg(optarg);
			break;
		case 'T':
			o->token_file = optarg;
			break;
		case 'F':
			o->password_file = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'A':
			o->allow_unconfigured = 1;
			break;
		case 'C':
			o->check = 1;
			break;
		case 'f':
			o->force = 1;
			break;
		case 'h':
			master_usage(stdout);
			exit(EXIT_OK);
		case ':':
			master_usage_error("option %s needs a value",
			    argv[optind - 1]);
		default:
			master_usage_error("unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		master_usage_error("unexpected argument: %s", argv[optind]);
	if ((o->token != NULL && o->token_file != NULL) ||
	    (o->password != NULL && o->password_file != NULL))
		master_usage_error("give a secret once, on the command line "
		                   "or in a file");
	if ((o->token != NULL || o->token_file != NULL) &&
	    (o->password != NULL || o->password_file != NULL))
		master_usage_error("use a token or a password, not both");
}

/*
 * "openclaw-gateway: master process openclaw gateway --port 1234" in ps,
 * as nginx's "nginx: master process /usr/sbin/nginx": the workers'
 * titles say "openclaw-gateway: <role> worker", and `pgrep -f 'openclaw
 * gateway'` still finds the master alone.  argv[0] is "gateway" or
 * "run"; a --token or --password value is already wiped.
 */
static void
master_title(int argc, char **argv)
{
	char   args[200];
	size_t len = 0;
	int    i, n;

	args[0] = '\0';
	if (strcmp(argv[0], "run") == 0)
		len = (size_t)snprintf(args, sizeof(args), " run");
	for (i = 1; i < argc && len < sizeof(args); i++) {
		n = snprintf(args + len, sizeof(args) - len, " %s", argv[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	proctitle_set(NULL,
	    "openclaw-gateway: master process openclaw "
	    "gateway%s",
	    args);
}

/*
 * The first line of a file, without its newline; NULL with err set.  The
 * line is measured, not taken as a C string: a NUL in it is refused like
 * any other control character rather than cutting the secret short.
 */
static char *
master_read_secret(const char *path, char *err, size_t errlen)
{
	char  *text, *nl, *s = NULL;
	size_t len, n;

	if ((text = util_read_file(path, MASTER_SECRET_MAX, &len)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, util_read_error(errno));
		return NULL;
	}
	n = (nl = memchr(text, '\n', len)) != NULL ? (size_t)(nl - text) : len;
	if (n > 0 && text[n - 1] == '\r')
		n--;
	if (n == 0)
		snprintf(err, errlen, "%s: empty secret", path);
	else if (!util_secret_text_ok(text, n))
		snprintf(err, errlen, "%s: %s", path, CFG_SECRET_CTRL);
	else
		s = xstrndup(text, n);
	OPENSSL_cleanse(text, len);
	free(text);
	return s;
}

/* --token-file and --password-file read; on the command line, checked. */
static int
master_secret_files(struct master_opts *o, char *err, size_t errlen)
{
	const char *bad = NULL;

	if (o->token != NULL &&
	    !util_secret_text_ok(o->token, strlen(o->token)))
		bad = "--token";
	if (o->password != NULL &&
	    !util_secret_text_ok(o->password, strlen(o->password)))
		bad = "--password";
	if (bad != NULL)
		return snprintf(err, errlen, "%s: %s", bad, CFG_SECRET_CTRL),
		       -1;
	if (perms_check_secret(o->token_file, "token file", err, errlen) ==
	        -1 ||
	    perms_check_secret(o->password_file, "password file", err,
	        errlen) == -1)
		return -1;
	if (o->token_file != NULL) {
		free(o->token);
		if ((o->token = master_read_secret(o->token_file, err,
		         errlen)) == NULL)
			return -1;
	}
	if (o->password_file != NULL) {
		free(o->password);
		if ((o->password = master_read_secret(o->password_file, err,
		         errlen)) == NULL)
			return -1;
	}
	return 0;
}

/* The secrets the flags gave, kept for reloads. */
static void
master_opts_free(struct master_opts *o)
{
	if (o->token != NULL)
		OPENSSL_cleanse(o->token, strlen(o->token));
	if (o->password != NULL)
		OPENSSL_cleanse(o->password, strlen(o->password));
	free(o->token);
	free(o->password);
	o->token = o->password = NULL;
}

static int
master_have_credential(const struct master_opts *o)
{
	const char *e;

	if (o->token != NULL || o->password != NULL)
		return 1;
	if ((e = getenv("OPENCLAW_GATEWAY_TOKEN")) != NULL && *e != '\0')
		return 1;
	if ((e = getenv("OPENCLAW_GATEWAY_PASSWORD")) != NULL && *e != '\0')
		return 1;
	return 0;
}

/*
 * Flags win over the config file and the environment, at start-up and
 * on each reload: the secrets are copied, o keeps them for the next.
 */
static void
master_apply_flags(struct gw_config *cfg, const struct master_opts *o)
{
	if (o->port != 0)
		cfg->port = o->port;
	/* Workers take their verbosity from the level they are sent. */
	if (o->verbose) {
		free(cfg->log_level);
		cfg->log_level = xstrdup("debug");
	}
	if (o->bind != NULL) {
		free(cfg->bind);
		cfg->bind = xstrdup(o->bind);
	}
	if (o->user != NULL) {
		free(cfg->user);
		cfg->user = xstrdup(o->user);
	}
	/* Copies: a restart applies them again to the config it reads. */
	if (o->token != NULL) {
		free(cfg->auth_token);
		cfg->auth_token = xstrdup(o->token);
		free(cfg->auth_mode);
		cfg->auth_mode = xstrdup("token");
	}
	if (o->password != NULL) {
		free(cfg->auth_password);
		cfg->auth_password = xstrdup(o->password);
		free(cfg->auth_mode);
		cfg->auth_mode = xstrdup("password");
	}
}

static int
master_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* 1 if clients will have to prove something to connect. */
static int
master_auth_set(const struct gw_config *cfg)
{
	const char *mode = config_auth_mode(cfg);

	if (strcmp(mode, "token") == 0)
		return !master_empty(cfg->auth_token);
	if (strcmp(mode, "password") == 0)
		return !master_empty(cfg->auth_password);
	return 0;
}

static int
master_lan(const struct gw_config *cfg)
{
	return cfg->bind != NULL && strcmp(cfg->bind, "lan") == 0;
}

/*
 * The checks of a configuration that can fail, shared by the start-up
 * (where a failure ends it), a reload and a restart (where it changes
 * nothing): -1 with err.  The canvas port is resolved in cfg.
 */
static int
master_config_valid(struct gw_config *cfg, const struct master_opts *o,
    char *err, size_t errlen)
{
	const char *bind = cfg->bind ? cfg->bind : "loopback";
	int         lan = master_lan(cfg);
	long        cport;

	if (!o->allow_unconfigured &&
	    (cfg->mode == NULL || strcmp(cfg->mode, "local") != 0)) {
		snprintf(err, errlen,
		    "gateway.mode is not \"local\" in %s; run with "
		    "--allow-unconfigured or set gateway.mode",
		    cfg->path);
		return -1;
	}
	if (!lan && strcmp(bind, "loopback") != 0) {
		snprintf(err, errlen,
		    "%s: gateway.bind: %s is not loopback or lan", cfg->path,
		    bind);
		return -1;
	}
	if (lan && !master_auth_set(cfg)) {
		snprintf(err, errlen,
		    "refusing to bind 0.0.0.0 (gateway.bind=%s) without "
		    "authentication; set gateway.auth.token or pass "
		    "--token",
		    bind);
		return -1;
	}
	if (!cfg->canvas_enabled)
		return 0;
	cport = cfg->canvas_port ? cfg->canvas_port : cfg->port + 4;
	if (cport > 65535) {
		snprintf(err, errlen,
		    "canvas port %ld (gateway port + 4) is out of range; "
		    "set canvasHost.port",
		    cport);
		return -1;
	}
	if (cport == cfg->port) {
		snprintf(err, errlen,
		    "canvas port %ld is the gateway port; set "
		    "canvasHost.port",
		    cport);
		return -1;
	}
	/* Workers see the port in use, not "0". */
	cfg->canvas_port = cport;
	return 0;
}

/* The running config checked, and the addresses the master binds. */
int
master_check_listen(struct master *m, char *err, size_t errlen)
{
	struct gw_config *cfg = &m->m_cfg;

	if (master_config_valid(cfg, &m->m_opts, err, errlen) == -1)
		return -1;
	m->m_host = master_lan(cfg) ? "0.0.0.0" : "127.0.0.1";
	m->m_port = (int)cfg->port;
	m->m_canvas = cfg->canvas_enabled;
	if (m->m_canvas)
		m->m_canvas_port = (int)cfg->canvas_port;
	return 0;
}

static int
master_check_config(struct master *m, char *err, size_t errlen)
{
	struct gw_config *cfg = &m->m_cfg;

	if (master_check_listen(m, err, errlen) == -1)
		return -1;
	if (master_lan(cfg))
		log_warnx("gateway bound to %s (gateway.bind=%s): traffic is "
		          "PLAINTEXT, tokens included; there is no TLS here, so "
		          "terminate TLS in front (Tailscale Serve, an SSH tunnel or "
		          "a reverse proxy)",
		    m->m_host, cfg->bind);
	else if (!master_auth_set(cfg) &&
	    strcmp(config_auth_mode(cfg), "none") != 0)
		log_warnx("gateway.auth.mode is %s but no %s is set: clients "
		          "cannot connect",
		    config_auth_mode(cfg), config_auth_mode(cfg));
	return 0;
}

/*
 * A configuration read again (a reload, reload.c, or a restart's new
 * image): the same checks as at start-up and the same flags over it;
 * -1 with err, and nothing changed.
 */
int
master_config_reload(struct master *m, struct gw_config *cfg, char *err,
    size_t errlen)
{
	if (perms_check(cfg, err, errlen) == -1)
		return -1;
	master_apply_flags(cfg, &m->m_opts);
	/* A socket the service manager passed sets its port, as at start. */
	if (m->m_activated & (1u << LISTEN_MAIN))
		cfg->port = m->m_cfg.port;
	if (m->m_activated & (1u << LISTEN_CANVAS))
		cfg->canvas_port = m->m_cfg.canvas_port;
	return master_config_valid(cfg, &m->m_opts, err, errlen);
}

/*
 * Unknown keys (common/cfg-unknown.c): under --check each on a line of
 * its own; at start-up the warnings in the log, and one line counting
 * the keys of sections this gateway does not implement.
 */
static void
master_config_warnings(const struct gw_config *cfg)
{
	int i;

	for (i = 0; i < cfg->warnings.n; i++) {
		if (master_checking)
			fprintf(stderr, "warning: %s\n", cfg->warnings.v[i]);
		else if (i < MASTER_CONFIG_WARNINGS)
			log_warnx("%s", cfg->warnings.v[i]);
	}
	if (!master_checking && cfg->warnings.n > MASTER_CONFIG_WARNINGS)
		log_warnx("%s: %d more unknown keys; openclaw gateway --check "
		          "lists them",
		    cfg->path, cfg->warnings.n - MASTER_CONFIG_WARNINGS);
	for (i = 0; master_checking && i < cfg->unused.n; i++)
		fprintf(stderr, "note: %s\n", cfg->unused.v[i]);
	if (!master_checking && cfg->unused.n > 0)
		log_info("%s: %d key%s not used by this gateway; openclaw "
		         "gateway --check lists %s",
		    cfg->path, cfg->unused.n,
		    cfg->unused.n == 1 ? " is" : "s are",
		    cfg->unused.n == 1 ? "it" : "them");
}

/*
 * --check: what the first run would do stands in for it (nothing is
 * written); the rest is the start-up's own checks.
 */
static void
master_check_firstrun(struct master *m, const struct master_opts *o)
{
	if (m->m_cfg.exists || master_have_credential(o))
		return;
	fprintf(stderr,
	    "note: %s does not exist: the first start writes it with a new "
	    "token\n",
	    m->m_cfg.path);
	free(m->m_cfg.mode);
	m->m_cfg.mode = xstrdup("local");
}

/* Steps 2-5 of the startup: configuration, lock, first run. */
static void
master_configure(struct master *m, struct master_opts *o)
{
	char err[1024];
	int  rv;

	if (config_load(&m->m_cfg, err, sizeof(err)) == -1)
		master_fail(m, EXIT_CONFIG, "%s", err);
	if (master_checking) {
		master_check_firstrun(m, o);
		goto checks;
	}
	logfile_open(m);
	/* Before the lock: the gateway it stops may hold it. */
	if (o->force)
		force_ports(m, o->port);
	if (firstrun_mkdir(m->m_cfg.state_dir, err, sizeof(err)) == -1)
		master_fail(m, EXIT_CONFIG, "state directory %s", err);
	if ((m->m_lock_fd = lock_acquire(m->m_cfg.state_dir, err,
	         sizeof(err))) == -1)
		master_fail(m, EXIT_RUNTIME, "%s", err);
	if (!m->m_cfg.exists && !master_have_credential(o)) {
		if ((rv = firstrun_write(m->m_cfg.state_dir, m->m_cfg.path, err,
		         sizeof(err))) == -1)
			master_fail(m, EXIT_CONFIG,
			    "cannot write the first "
			    "config: %s",
			    err);
		config_free(&m->m_cfg);
		if (config_load(&m->m_cfg, err, sizeof(err)) == -1)
			master_fail(m, EXIT_CONFIG, "%s", err);
	}
checks:
	if (perms_check(&m->m_cfg, err, sizeof(err)) == -1)
		master_fail(m, EXIT_CONFIG, "%s", err);
	master_config_warnings(&m->m_cfg);
	master_apply_flags(&m->m_cfg, o);
	log_set_verbose(strcmp(m->m_cfg.log_level, "debug") == 0);
	log_secrets_from_config(&m->m_cfg);
	/* Passed sockets set the ports the check derives from. */
	if (activate_listeners(m, err, sizeof(err)) == -1 ||
	    master_check_config(m, err, sizeof(err)) == -1)
		master_fail(m, EXIT_CONFIG, "%s", err);
	if (privs_init(m, m->m_cfg.user, err, sizeof(err)) == -1)
		master_fail(m, EXIT_CONFIG, "%s", err);
}

/*
 * The configuration read again, for a restart's new image: the boot's
 * checks, with the error returned rather than the process ended, since
 * the old generation serves on when the new config is refused.
 */
int
master_reconfigure(struct master *m, char *err, size_t errlen)
{
	struct gw_config cfg;

	if (master_secret_files(&m->m_opts, err, errlen) == -1)
		return -1;
	if (config_load(&cfg, err, errlen) == -1 ||
	    master_config_reload(m, &cfg, err, errlen) == -1) {
		config_free(&cfg);
		return -1;
	}
	config_free(&m->m_cfg);
	m->m_cfg = cfg;
	master_config_warnings(&m->m_cfg);
	log_set_verbose(strcmp(m->m_cfg.log_level, "debug") == 0);
	log_secrets_from_config(&m->m_cfg);
	if (master_check_config(m, err, errlen) == -1)
		return -1;
	return privs_init(m, m->m_cfg.user, err, errlen);
}

static void
master_boot_id(struct master *m)
{
	unsigned char raw[16];
	size_t        i;

	if (util_random(raw, sizeof(raw)) == -1)
		master_fail(m, EXIT_RUNTIME, "no randomness for the boot id");
	for (i = 0; i < sizeof(raw); i++)
		snprintf(m->m_boot_id + i * 2, 3, "%02x", raw[i]);
}

void
master_check_done(struct master *m)
{
	if (m->m_state == MASTER_STOPPING && proc_alive(m) == 0)
		event_base_loopbreak(m->m_base);
}

void
master_log_listening(struct master *m)
{
	log_info("listening on ws://%s:%d (PID %ld)", m->m_host, m->m_port,
	    (long)m->m_pid);
	if (m->m_canvas)
		log_info("canvas host on http://%s:%d" CANVAS_PREFIX "/",
		    m->m_host,
		    listen_fd(m, LISTEN_CANVAS) != -1 ? m->m_canvas_port :
		                                        m->m_port);
}

/*
 * After a READY: once the whole generation is ready (and the configured
 * startup delay has passed), move it to PHASE_READY.  Later, a respawned
 * worker joins the phase as soon as it is ready.
 */
void
master_check_ready(struct master *m)
{
	struct timeval tv;
	uint64_t       now, due;

	if (m->m_state == MASTER_STOPPING)
		return;
	if (m->m_state == MASTER_RUNNING) {
		proc_phase_ready(m, m->m_gen);
		restart_check(m);
		return;
	}
	if (!proc_gen_ready(m, m->m_gen))
		return;
	now = util_mono_ms();
	due = m->m_start_mono + (uint64_t)m->m_cfg.startup_delay_ms;
	if (now < due) {
		tv.tv_sec = (time_t)((due - now) / 1000);
		tv.tv_usec = (suseconds_t)((due - now) % 1000 * 1000);
		evtimer_add(m->m_readytimer, &tv);
		return;
	}
	m->m_state = MASTER_RUNNING;
	master_log_listening(m);
	proc_phase_ready(m, m->m_gen);
	notify_status(m, "READY=1\n");
	/* A SIGUSR1 while the first generation was starting. */
	restart_check(m);
}

static void
master_ready_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	master_check_ready(arg);
}

static void
master_kill_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)ev;
	log_warnx("drain deadline passed; killing %d worker(s)", proc_alive(m));
	proc_kill_all(m, SIGKILL);
}

/*
 * Stop: drain every worker, respawn nothing, exit with status once the
 * last child is reaped.  Stragglers are killed after the deadline.
 */
void
master_stop(struct master *m, int status, const char *reason)
{
	struct timeval tv;
	uint64_t       ms;

	if (m->m_state == MASTER_STOPPING)
		return;
	m->m_state = MASTER_STOPPING;
	m->m_exit = status;
	m->m_stop_mono = util_mono_ms();
	notify_send("STOPPING=1\nSTATUS=draining, then exiting");
	evtimer_del(m->m_readytimer);
	watchdog_stop(m);
	proc_drain_all(m, (uint32_t)m->m_cfg.drain_ms, reason);
	ms = (uint64_t)m->m_cfg.drain_ms + MASTER_KILL_GRACE_MS;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	evtimer_add(m->m_killtimer, &tv);
	master_check_done(m);
}

/*
 * SIGTERM or SIGINT.  The first starts the drain.  A SIGTERM that comes
 * again soon after is the same request relayed twice (timeout(1) and
 * the whole process group, a supervisor and its wrapper): it must not
 * cut the drain short.  A SIGTERM after MASTER_TERM_AGAIN_MS, or a
 * second SIGINT (Ctrl-C twice at a terminal), is an operator who will
 * not wait: the workers are killed.
 */
static void
master_sig_stop(struct master *m, int sig)
{
	const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
	uint64_t    since;

	if (m->m_state != MASTER_STOPPING) {
		log_info("received %s, shutting down", name);
		master_stop(m, EXIT_OK, "gateway stopping");
		return;
	}
	since = util_mono_ms() - m->m_stop_mono;
	if (sig == SIGTERM && since < MASTER_TERM_AGAIN_MS) {
		log_info("received SIGTERM again %llu ms into the drain; "
		         "draining still (another one after %d ms forces the "
		         "exit)",
		    (unsigned long long)since, MASTER_TERM_AGAIN_MS);
		return;
	}
	log_warnx("received %s again, killing %d worker(s)", name,
	    proc_alive(m));
	proc_kill_all(m, SIGKILL);
}

static void
master_sig_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct master *m = arg;

	(void)ev;
	switch (sig) {
	case SIGCHLD:
		proc_reap(m);
		break;
	case SIGTERM:
	case SIGINT:
		master_sig_stop(m, sig);
		break;
	case SIGHUP:
		/* logrotate(8) and operators: the file was moved or removed. */
		logfile_reopen(m);
		master_reload(m, "SIGHUP");
		break;
	case SIGUSR1:
	case SIGUSR2:
		/* SIGUSR2 is SIGUSR1 (the restart), not the default death. */
		if (!m->m_cfg.commands_restart)
			log_warnx("%s: restart disabled (commands.restart is "
			          "false)",
			    sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
		else
			master_restart(m,
			    sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
		break;
	}
}

/*
 * A disposition for every signal an operator or a supervisor may send:
 * one left at its default ends the gateway without a word.
 */
static void
master_signals(struct master *m)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1,
		SIGUSR2 };
	struct event    *ev;
	size_t           i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(m->m_base, sigs[i], master_sig_cb, m);
		if (ev == NULL || evsignal_add(ev, NULL) == -1)
			master_fail(m, EXIT_RUNTIME, "cannot handle signal %d",
			    sigs[i]);
		m->m_sigev[m->m_nsigev++] = ev;
	}
}

/*
 * The event loop and what runs on it.  A restart's new image comes here
 * too, with the signals its exec held back (restart.c): they are
 * delivered once their events exist.
 */
void
master_loop_init(struct master *m)
{
	sigset_t set;

	if ((m->m_base = event_base_new()) == NULL)
		master_fail(m, EXIT_RUNTIME, "cannot create the event loop");
	log_attach(m->m_base);
	notify_init(m);
	if ((m->m_killtimer = evtimer_new(m->m_base, master_kill_cb, m)) ==
	        NULL ||
	    (m->m_readytimer = evtimer_new(m->m_base, master_ready_cb, m)) ==
	        NULL)
		master_fail(m, EXIT_RUNTIME, "cannot create timers");
	restart_init(m);
	/* Before the first fork, so that no child exit goes unseen. */
	master_signals(m);
	util_master_sigset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Steps 6-7: shared memory, sockets, event loop, workers. */
static void
master_setup(struct master *m)
{
	char err[512];
	int  fd;

	if ((fd = shm_create(&m->m_shm_size)) == -1)
		master_fail(m, EXIT_RUNTIME, "cannot create shared memory: %s",
		    strerror(errno));
	m->m_shm_fd = fd;
	if ((m->m_shm = shm_map(fd, m->m_shm_size)) != NULL)
		log_set_drop_counters(shm_log_drops(m->m_shm, 0));
	if (listen_open_all(m, err, sizeof(err)) == -1)
		master_fail(m, EXIT_RUNTIME, "%s", err);
	master_loop_init(m);
	if (logfile_start(m) == -1)
		master_fail(m, EXIT_RUNTIME, "cannot watch the log file");
	m->m_gen = 1;
	m->m_forked = 1;
	if (proc_start_generation(m, m->m_gen) == -1)
		master_fail(m, EXIT_RUNTIME, "cannot start workers");
	watchdog_start(m);
	watch_start(m);
}

static void
master_cleanup(struct master *m)
{
	int i;

	proc_cleanup(m);
	restart_cleanup(m);
	watch_cleanup(m);
	logfile_cleanup(m);
	notify_cleanup();
	for (i = 0; i < m->m_nsigev; i++)
		event_free(m->m_sigev[i]);
	if (m->m_killtimer != NULL)
		event_free(m->m_killtimer);
	if (m->m_readytimer != NULL)
		event_free(m->m_readytimer);
	if (m->m_watchdog != NULL)
		event_free(m->m_watchdog);
	log_detach();
	shm_unmap(m->m_shm);
	if (m->m_base != NULL)
		event_base_free(m->m_base);
	listen_close_all(m);
	if (m->m_shm_fd != -1)
		close(m->m_shm_fd);
	/* Last: the lock goes with it. */
	if (m->m_lock_fd != -1)
		close(m->m_lock_fd);
	config_free(&m->m_cfg);
	free(m->m_exe);
	free(m->m_exe_path);
	for (i = 0; m->m_argv != NULL && m->m_argv[i] != NULL; i++)
		free(m->m_argv[i]);
	free(m->m_argv);
	master_opts_free(&m->m_opts);
}

/*
 * What a restart executes: our own command line, less what must not run
 * twice (--force) and the secrets master_wipe_arg is about to erase,
 * which travel in the restart's state instead.  Abbreviations count:
 * getopt_long takes "--tok" for "--token".
 */
static char **
master_argv_save(int argc, char **argv)
{
	const struct option *lo;
	char               **v = xcalloc((size_t)argc + 3, sizeof(char *));
	size_t               n;
	int                  i, j = 0, skip;

	v[j++] = xstrdup("openclaw");
	v[j++] = xstrdup("gateway");
	for (i = 0; i < argc; i++) {
		if (i == 0 || (i == 1 && strcmp(argv[i], "run") == 0))
			continue;
		skip = 0;
		n = strcspn(argv[i] + 2, "=");
		for (lo = master_longopts; strncmp(argv[i], "--", 2) == 0 &&
		     n > 0 && lo->name != NULL;
		     lo++)
			if (strncmp(lo->name, argv[i] + 2, n) != 0)
				continue;
			else if (lo->val == 'f')
				skip = 1;
			else if (lo->val == 't' || lo->val == 'P')
				skip = argv[i][2 + n] == '=' ? 1 : 2;
		if (skip > 0) {
			i += skip - 1;
			continue;
		}
		v[j++] = xstrdup(argv[i]);
	}
	v[j] = NULL;
	return v;
}

/* Our binary's path, read while it is still the file we run. */
static char *
master_exe_path(void)
{
#ifdef __linux__
	char    buf[PATH_MAX];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
#else
	return NULL;
#endif
}

static void
master_init(struct master *m, int argc, char **argv)
{
	memset(m, 0, sizeof(*m));
	m->m_lock_fd = m->m_log_fd = m->m_shm_fd = -1;
	m->m_pid = getpid();
	m->m_boot_ms = util_now_ms();
	m->m_start_mono = util_mono_ms();
	m->m_state = MASTER_STARTING;
	m->m_argv = master_argv_save(argc, argv);
	m->m_exe_path = master_exe_path();
}

int
master_main(int argc, char **argv)
{
	static struct master m;
	struct master_opts  *o = &m.m_opts;
	struct json_object  *st;
	char                 err[1024], ports[256];
	int                  status;

	master_init(&m, argc, argv);
	master_getopt(argc, argv, o);
	master_checking = o->check;
	master_title(argc, argv);
	/* A log file over RLIMIT_FSIZE: a short write, counted, not death. */
	signal(SIGXFSZ, SIG_IGN);
	log_init("gateway", o->verbose);
	if (proc_exe_init(&m) == -1)
		master_fail(&m, EXIT_RUNTIME,
		    "cannot find our own executable to start workers");
	/* Where /proc/self/exe is not, the path proc_exe_init found. */
	if (m.m_exe_path == NULL && strcmp(m.m_exe, "/proc/self/exe") != 0)
		m.m_exe_path = xstrdup(m.m_exe);
	if ((st = restart_state_take()) != NULL) {
		restart_resume(&m, st);
		json_object_put(st);
	} else {
		if (master_secret_files(o, err, sizeof(err)) == -1)
			master_fail(NULL, EXIT_CONFIG, "%s", err);
		master_boot_id(&m);
		master_configure(&m, o);
		if (o->check) {
			/* like nginx -t: no lock, no port, nothing written */
			config_ports_describe(&m.m_cfg, ports, sizeof(ports));
			fprintf(stderr, "note: %s\n", ports);
			printf("configuration OK: %s%s\n", m.m_cfg.path,
			    m.m_cfg.exists ? "" : " (no file yet)");
			config_free(&m.m_cfg);
			master_opts_free(o);
			return EXIT_OK;
		}
		privs_warn_root();
		master_setup(&m);
		log_debug("master %ld started generation %u in %llu ms",
		    (long)m.m_pid, m.m_gen,
		    (unsigned long long)(util_mono_ms() - m.m_start_mono));
	}

	if (event_base_dispatch(m.m_base) == -1)
		log_warnx("event loop failed");
	/* The loop only ends once every child is reaped; see check_done. */
	if (m.m_state != MASTER_STOPPING) {
		proc_kill_all(&m, SIGKILL);
		m.m_exit = EXIT_RUNTIME;
	}
	status = m.m_exit;
	log_info("stopped (exit status %d)", status);
	master_cleanup(&m);
	return status;
}
