/*
 * The master process: the `openclaw gateway` command.  Private header,
 * prototypes grouped by file.
 */
#ifndef MASTER_MASTER_H
#define MASTER_MASTER_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "protocol/ipc-msg.h"

struct event;
struct event_base;
struct shm_region;
struct ipc_chan;
struct ipc_msg;
struct json_object;
struct watch;

#define MASTER_MAXPROC       16 /* two generations of every role */
#define MASTER_BACKLOG       4096
#define PROC_BACKOFF_MIN     100 /* ms before the first respawn */
#define PROC_BACKOFF_MAX     30000
#define PROC_STABLE_MS       60000 /* ran this long: backoff resets */
#define PROC_EOF_KILL_MS     2000  /* channel gone, process still there */
#define MASTER_KILL_GRACE_MS 2000  /* after the drain deadline */
#define MASTER_TERM_AGAIN_MS 1000  /* a SIGTERM sooner is the same one */

/* A crash loop (supervise.c): this many deaths of one role within... */
#define SUPERVISE_LOOP_DEATHS    10
#define SUPERVISE_LOOP_WINDOW_MS 300000 /* ...this: the master exits 1 */

/* struct proc.p_flags */
#define PROC_RUNNING 0x01 /* forked, not reaped yet */
#define PROC_EXITING 0x02 /* told to drain or killed: no respawn */
#define PROC_RESPAWN 0x04 /* respawn when it exits */
#define PROC_WDKILL  0x08 /* killed by the watchdog, not reaped yet */

/* One child, in the manner of nginx's ngx_processes[]. */
struct proc {
	int              p_used; /* slot taken */
	enum worker_role p_role;
	uint32_t         p_gen;
	pid_t            p_pid; /* 0 when not running */
	int              p_flags;
	uint64_t         p_started; /* monotonic ms of last fork */
	uint64_t         p_backoff; /* ms before the next respawn */
	int              p_ready;   /* sent IMSG_READY */
	uint32_t         p_phase;   /* last IMSG_PHASE sent */
	uint64_t         p_ping;    /* monotonic ms of the unanswered PING */
	uint32_t         p_conns;   /* WebSocket connections, its last PONG */
	struct ipc_chan *p_chan;
	struct event    *p_timer; /* respawn, or kill after EOF */
	struct master   *p_master;
};

struct listener {
	enum listener_kind l_kind;
	int                l_fd;
};

/* The command line of `openclaw gateway` (master.c). */
struct master_opts {
	long        port; /* 0: not given */
	const char *bind;
	char       *token; /* --token, kept for a restart's new image */
	char       *password;
	const char *token_file;
	const char *password_file;
	const char *user; /* --user: gateway.user */
	int         verbose;
	int         allow_unconfigured;
	int         check; /* --check: validate, print, exit */
	int         force; /* --force: stop the port's listeners (force.c) */
};

/* The JSON-lines log file (logfile.c). */
struct logfile {
	char          lf_path[PATH_MAX]; /* the file written; "" if none */
	char          lf_dir[PATH_MAX];  /* dated mode: its directory */
	char          lf_day[16];        /* dated mode: YYYY-MM-DD in lf_path */
	uint64_t      lf_retry; /* monotonic ms: rotation failed, wait */
	unsigned      lf_ticks; /* of lf_timer, for the hourly prune */
	struct event *lf_timer; /* size backstop, date change, prune */
	struct event *lf_full;  /* a line of ours reached the limit */
};

enum master_state {
	MASTER_STARTING, /* workers of the generation not all ready */
	MASTER_RUNNING,
	MASTER_STOPPING, /* draining; exit when every child is gone */
};

struct master {
	struct event_base *m_base;
	struct gw_config   m_cfg;
	char              *m_exe; /* what workers exec */
	pid_t              m_pid;
	uint64_t           m_boot_ms;
	char               m_boot_id[40];
	uint32_t           m_gen; /* current generation */
	enum master_state  m_state;
	int                m_exit; /* status when stopped */

	int            m_lock_fd;
	int            m_log_fd; /* the current log file, or -1 */
	struct logfile m_logfile;
	int            m_shm_fd;
	size_t         m_shm_size;

	struct shm_region *m_shm; /* mapped for the log's drop counters */

	const char     *m_host; /* bind address */
	int             m_port;
	int             m_canvas; /* canvas worker wanted */
	int             m_canvas_port;
	struct listener m_listen[LISTEN_MAX - 1];
	int             m_nlisten;

	struct master_opts m_opts;
	char             **m_argv;     /* what a restart executes again */
	char              *m_exe_path; /* the binary's path, for a restart */

	/* The in-place restart (restart.c). */
	uint32_t            m_next_gen; /* starting beside m_gen; 0: none */
	uint32_t            m_old_gen;  /* draining after a restart; 0: none */
	int                 m_restart_again; /* asked during one: one more */
	uint64_t            m_restart_mono;  /* when it was asked */
	char                m_restart_why[64];
	struct json_object *m_prev_cfg; /* what the old generation runs */
	struct listener     m_prev_listen[LISTEN_MAX - 1]; /* the old one's */
	int                 m_nprev_listen;
	struct event       *m_rs_exec;  /* the exec, from the loop's top */
	struct event       *m_rs_timer; /* start deadline, hand-over wait */
	struct event       *m_rs_kill; /* the old generation's drain deadline */

	struct proc   m_procs[MASTER_MAXPROC];
	struct event *m_sigev[8];
	int           m_nsigev;
	struct event *m_killtimer;  /* drain deadline */
	struct event *m_readytimer; /* startupDelayMs */
	struct event *m_watchdog;   /* pings the workers */
	uint64_t      m_wd_last;    /* monotonic ms of the last tick */
	uint64_t      m_start_mono;
	uint64_t      m_stop_mono; /* first SIGTERM/SIGINT */
	int           m_forked;    /* workers were started */

	unsigned            m_activated; /* 1 << kind: passed by systemd */
	struct watch       *m_watch;     /* of the config file (watch.c) */
};

/* master.c */
int  master_main(int, char **);
int  master_reconfigure(struct master *, char *, size_t);
int  master_check_listen(struct master *, char *, size_t);
void master_loop_init(struct master *);
void master_log_listening(struct master *);
void master_fail(struct master *, int, const char *, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void master_stop(struct master *, int, const char *);
void master_check_ready(struct master *);
void master_check_done(struct master *);
int  master_stderr_is_stdout(void);
int  master_config_reload(struct master *, struct gw_config *, char *, size_t);

/* proc.c */
int          proc_exe_init(struct master *);
int          proc_start_generation(struct master *, uint32_t);
struct proc *proc_adopt(struct master *, const struct proc *, int fd);
void proc_drain_gen(struct master *, uint32_t, const struct imsg_drain *);
int  proc_gen_alive(const struct master *, uint32_t);
void proc_kill_gen(struct master *, uint32_t, int);
void proc_send_takeover(struct master *, uint32_t);
void proc_reap(struct master *);
void proc_drain_all(struct master *, uint32_t, const char *);
void proc_kill_all(struct master *, int);
int  proc_alive(const struct master *);
void proc_send_phase(struct master *, struct proc *, uint32_t);
int  proc_gen_ready(struct master *, uint32_t);
void proc_phase_ready(struct master *, uint32_t);
void proc_cleanup(struct master *);
int  proc_live(const struct proc *);
int  proc_send_config_json(struct master *, struct proc *, uint32_t);

/* supervise.c */
enum supervise_action {
	SUPERVISE_RELEASE,     /* not respawned: forget the slot */
	SUPERVISE_RESPAWN,     /* after supervise_next_delay() */
	SUPERVISE_STOP_CONFIG, /* stop the gateway with EXIT_CONFIG */
	SUPERVISE_STOP_LOOP,   /* crash loop: stop it with EXIT_RUNTIME */
};
enum supervise_action supervise_exit(struct proc *, int, uint64_t);
enum supervise_action supervise_spawn_failed(struct proc *);
uint64_t              supervise_next_delay(struct proc *);
struct json_object   *supervise_save(void);
void                  supervise_restore(struct json_object *);

/* privs.c */
int  privs_init(struct master *, const char *, char *, size_t);
void privs_hello(struct imsg_hello *);
void privs_warn_root(void);
void privs_share_log(struct master *);
int  privs_send_config_fd(struct master *, struct ipc_chan *);

/* restart.c */
void master_restart(struct master *, const char *);
void restart_init(struct master *);
void restart_resume(struct master *, struct json_object *);
int  restart_busy(const struct master *);
void restart_check(struct master *);
void restart_handover(struct master *, struct proc *);
int  restart_proc_exited(struct master *, struct proc *);
void restart_cleanup(struct master *);

/* restart-state.c */
int                 restart_state_save(struct master *, const char *);
struct json_object *restart_state_take(void);
int                 restart_state_env(int);
void                restart_state_unenv(void);
int64_t  restart_state_int(struct json_object *, const char *, int64_t);
uint8_t *restart_state_bytes(struct json_object *, const char *, size_t *);

/* reload.c */
void master_reload(struct master *, const char *);

/* watch.c */
void watch_start(struct master *);
void watch_cleanup(struct master *);

/* watchdog.c */
void watchdog_start(struct master *);
void watchdog_stop(struct master *);
void watchdog_pong(struct proc *, const struct ipc_msg *);

/* perms.c */
int  perms_check(const struct gw_config *, char *, size_t);
int  perms_check_secret(const char *, const char *, char *, size_t);
void proc_send_log_fd(struct master *);

/* logfile.c */
void logfile_open(struct master *);
int  logfile_start(struct master *);
void logfile_check(struct master *);
void logfile_reopen(struct master *);
void logfile_cleanup(struct master *);

/* listen.c */
int  listen_open_all(struct master *, char *, size_t);
int  listen_fd(const struct master *, enum listener_kind);
void listen_close_all(struct master *);

/* activate.c */
int activate_listeners(struct master *, char *, size_t);

/* notify.c */
void notify_init(struct master *);
void notify_send(const char *);
void notify_status(const struct master *, const char *);
void notify_conns_changed(const struct master *);
void notify_cleanup(void);

/* force.c */
void force_ports(struct master *, long);

/* lock.c */
int lock_acquire(const char *, char *, size_t);

/* firstrun.c */
int firstrun_mkdir(const char *, char *, size_t);
int firstrun_write(const char *, const char *, char *, size_t);

#endif
