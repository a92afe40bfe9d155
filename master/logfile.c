/*
 * The JSON-lines log file, owned by the master.  Every process appends
 * to one open file (the master hands out its descriptor: IMSG_FD_LOG),
 * so the master alone decides when a new file starts:
 *
 *  - size: when a line leaves the file at logging.maxFileBytes or more,
 *    the process that wrote it says so (common/log.c; a worker sends
 *    IMSG_LOG_FULL) and the master renames the file to its first archive
 *    ("name.log" -> "name.1.log", "name" -> "name.1"; .1 is the newest,
 *    at most LOGFILE_ARCHIVES), opens a new one and sends it to every
 *    worker.  A once-a-second fstat backs this up;
 *  - date: without logging.file, the file is <tmp>/openclaw/
 *    openclaw-YYYY-MM-DD.log (local date; <tmp> is $TMPDIR or /tmp, and
 *    <tmp>/openclaw-<uid> when <tmp>/openclaw is not a directory of ours
 *    closed to others); after midnight the new day's file is opened;
 *  - SIGHUP: the path is opened again, for an operator who renamed or
 *    removed the file.
 *
 * In the dated mode, files of our family (openclaw-YYYY-MM-DD.log and
 * their archives) not written for LOGFILE_MAX_AGE are removed from our
 * directory: regular files of ours only, never through a symlink.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/util.h"
#include "master/master.h"

#define LOGFILE_ARCHIVES    5
#define LOGFILE_MAX_AGE     (24 * 60 * 60) /* s: dated files pruned */
#define LOGFILE_TICK_MS     1000
#define LOGFILE_PRUNE_TICKS 3600  /* ticks between prunes */
#define LOGFILE_RETRY_MS    60000 /* after a failed rotation */

static int
logfile_dated(const struct master *m)
{
	return m->m_cfg.log_file == NULL || *m->m_cfg.log_file == '\0';
}

/*
 * A log directory in a shared tmp we can trust: a real directory (not a
 * symlink somebody planted), ours, and not writable by anybody else.
 */
static int
logfile_dir_ok(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) == -1) {
		if (errno != ENOENT || mkdir(dir, 0700) == -1 ||
		    lstat(dir, &st) == -1)
			return 0;
	}
	return S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* <tmp>/openclaw, else <tmp>/openclaw-<uid>; -1 if neither will do. */
static int
logfile_pick_dir(struct logfile *lf)
{
	const char *tmp = getenv("TMPDIR");
	size_t      len;
	int         n;

	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	for (len = strlen(tmp); len > 1 && tmp[len - 1] == '/'; len--)
		;
	n = snprintf(lf->lf_dir, sizeof(lf->lf_dir), "%.*s/" LOG_FILE_PREFIX,
	    (int)len, tmp);
	if (n > 0 && (size_t)n < sizeof(lf->lf_dir) &&
	    logfile_dir_ok(lf->lf_dir))
		return 0;
	n = snprintf(lf->lf_dir, sizeof(lf->lf_dir),
	    "%.*s/" LOG_FILE_PREFIX "-%ld", (int)len, tmp, (long)getuid());
	if (n > 0 && (size_t)n < sizeof(lf->lf_dir) &&
	    logfile_dir_ok(lf->lf_dir))
		return 0;
	lf->lf_dir[0] = '\0';
	return -1;
}

static void
logfile_today(char *day, size_t len)
{
	struct tm tm;
	time_t    now = time(NULL);

	localtime_r(&now, &tm);
	strftime(day, len, "%Y-%m-%d", &tm);
}

/* The path to write now: logging.file, or today's dated file. */
static int
logfile_path(struct master *m, char *path, size_t len)
{
	struct logfile *lf = &m->m_logfile;
	int             n;

	if (!logfile_dated(m)) {
		n = snprintf(path, len, "%s", m->m_cfg.log_file);
		n = n <= 0 || (size_t)n >= len ? -1 : 0;
	} else {
		/* Again each time: an operator may have removed it. */
		if (logfile_pick_dir(lf) == -1) {
			log_warnx("no safe log directory in $TMPDIR or /tmp; "
			          "logging to stdout only");
			return -1;
		}
		logfile_today(lf->lf_day, sizeof(lf->lf_day));
		/* openclaw[-<profile>]-<day>.log */
		n = log_file_dated(path, len, lf->lf_dir, lf->lf_day);
	}
	if (n != 0) {
		log_warnx("log file path too long");
		return -1;
	}
	return 0;
}

/* O_NONBLOCK: a FIFO planted at the path fails instead of hanging. */
static int
logfile_open_fd(const char *path)
{
	struct stat st;
	int         fd;

	fd = open(path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
	    0600);
	if (fd == -1) {
		log_warn("cannot open log file %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("log file %s is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether to remove dir/name: an old regular file of ours. */
static int
logfile_stale(int dfd, const char *name, time_t cutoff)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return S_ISREG(st.st_mode) && st.st_uid == getuid() &&
	    st.st_mtime < cutoff;
}

static void
logfile_prune(struct master *m)
{
	struct logfile *lf = &m->m_logfile;
	struct dirent  *de;
	DIR            *d;
	const char     *cur;
	time_t          cutoff = time(NULL) - LOGFILE_MAX_AGE;
	int             dfd;

	if (!logfile_dated(m) || lf->lf_dir[0] == '\0')
		return;
	dfd = open(lf->lf_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	cur = strrchr(lf->lf_path, '/');
	cur = cur != NULL ? cur + 1 : lf->lf_path;
	while ((de = readdir(d)) != NULL) {
		if (!log_file_family(de->d_name) ||
		    strcmp(de->d_name, cur) == 0 ||
		    !logfile_stale(dfd, de->d_name, cutoff))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			log_info("removed old log file %s/%s", lf->lf_dir,
			    de->d_name);
		else
			log_warn("cannot remove old log file %s/%s", lf->lf_dir,
			    de->d_name);
	}
	closedir(d);
}

/* Start writing fd (open at path), here and in every worker. */
static void
logfile_install(struct master *m, int fd, const char *path)
{
	struct logfile *lf = &m->m_logfile;

	log_set_file_fd(fd);
	m->m_log_fd = fd;
	snprintf(lf->lf_path, sizeof(lf->lf_path), "%s", path);
	lf->lf_retry = 0;
	privs_share_log(m); /* before a worker has it */
	proc_send_log_fd(m);
}

/* Open the path to write now and switch to it; -1 if it cannot be. */
static int
logfile_switch(struct master *m)
{
	char path[PATH_MAX];
	int  fd;

	if (logfile_path(m, path, sizeof(path)) == -1 ||
	    (fd = logfile_open_fd(path)) == -1)
		return -1;
	logfile_install(m, fd, path);
	return 0;
}

/* Start-up (no workers yet): a failure leaves stdout only. */
void
logfile_open(struct master *m)
{
	tzset(); /* the local date, TZ included */
	if (logfile_switch(m) == -1)
		return;
	log_debug("logging to %s", m->m_logfile.lf_path);
	logfile_prune(m);
}

/* SIGHUP. */
void
logfile_reopen(struct master *m)
{
	if (logfile_switch(m) == -1)
		return;
	log_info("reopened log file %s", m->m_logfile.lf_path);
	logfile_prune(m);
}

/* "x.log" -> "x.N.log"; any other name -> "name.N". */
static int
logfile_archive(const char *path, int n, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t      plen = strlen(path);
	int         rv;

	base = base != NULL ? base + 1 : path;
	if (strlen(base) > 4 && strcmp(path + plen - 4, ".log") == 0)
		rv = snprintf(buf, len, "%.*s.%d.log", (int)(plen - 4), path,
		    n);
	else
		rv = snprintf(buf, len, "%s.%d", path, n);
	return rv <= 0 || (size_t)rv >= len ? -1 : 0;
}

/* path -> .1, .1 -> .2, ...; the last archive is overwritten. */
static int
logfile_shift(const char *path)
{
	char from[PATH_MAX], to[PATH_MAX];
	int  i;

	for (i = LOGFILE_ARCHIVES - 1; i >= 1; i--) {
		if (logfile_archive(path, i, from, sizeof(from)) == -1 ||
		    logfile_archive(path, i + 1, to, sizeof(to)) == -1)
			return -1;
		if (rename(from, to) == -1 && errno != ENOENT)
			return -1;
	}
	if (logfile_archive(path, 1, to, sizeof(to)) == -1)
		return -1;
	return rename(path, to);
}

/* Whether the path still names the file we write (nobody moved it). */
static int
logfile_at_path(const struct master *m, const struct stat *cur)
{
	struct stat st;

	return lstat(m->m_logfile.lf_path, &st) == 0 &&
	    st.st_dev == cur->st_dev && st.st_ino == cur->st_ino;
}

static void
logfile_rotate(struct master *m, const struct stat *cur)
{
	struct logfile *lf = &m->m_logfile;
	char            path[PATH_MAX];
	int             fd;

	snprintf(path, sizeof(path), "%s", lf->lf_path);
	/* Moved away behind our back: a new file at the path will do. */
	if (logfile_at_path(m, cur) && logfile_shift(path) == -1) {
		log_warn("cannot rotate log file %s", path);
		lf->lf_retry = util_mono_ms() + LOGFILE_RETRY_MS;
		return;
	}
	if ((fd = logfile_open_fd(path)) == -1) {
		lf->lf_retry = util_mono_ms() + LOGFILE_RETRY_MS;
		return;
	}
	logfile_install(m, fd, path);
	log_info("rotated log file %s at %lld bytes", path,
	    (long long)cur->st_size);
	logfile_prune(m);
}

static void
logfile_rollover(struct master *m)
{
	if (logfile_switch(m) == -1)
		return;
	log_info("new day: logging to %s", m->m_logfile.lf_path);
	logfile_prune(m);
}

/* Rotate a full file, roll over to a new day's; cheap when neither. */
void
logfile_check(struct master *m)
{
	struct logfile *lf = &m->m_logfile;
	struct stat     st;
	char            day[sizeof(lf->lf_day)];

	if (m->m_log_fd == -1)
		return;
	if (logfile_dated(m)) {
		logfile_today(day, sizeof(day));
		if (strcmp(day, lf->lf_day) != 0) {
			logfile_rollover(m);
			return;
		}
	}
	if (lf->lf_retry != 0 && util_mono_ms() < lf->lf_retry)
		return;
	if (fstat(m->m_log_fd, &st) == -1 ||
	    (long long)st.st_size < (long long)m->m_cfg.log_max_file_bytes)
		return;
	logfile_rotate(m, &st);
}

static void
logfile_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)ev;
	logfile_check(m);
	if (++m->m_logfile.lf_ticks % LOGFILE_PRUNE_TICKS == 0)
		logfile_prune(m);
}

static void
logfile_full_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	logfile_check(arg);
}

/* A line of the master's filled the file: rotate from the event loop. */
static void
logfile_full(void *arg)
{
	struct master *m = arg;

	event_active(m->m_logfile.lf_full, EV_TIMEOUT, 1);
}

/* Once the event loop exists, before the workers start. */
int
logfile_start(struct master *m)
{
	struct logfile *lf = &m->m_logfile;
	struct timeval  tv;

	lf->lf_timer = event_new(m->m_base, -1, EV_PERSIST, logfile_tick_cb, m);
	lf->lf_full = event_new(m->m_base, -1, 0, logfile_full_cb, m);
	if (lf->lf_timer == NULL || lf->lf_full == NULL)
		return -1;
	tv.tv_sec = LOGFILE_TICK_MS / 1000;
	tv.tv_usec = LOGFILE_TICK_MS % 1000 * 1000;
	if (event_add(lf->lf_timer, &tv) == -1)
		return -1;
	log_set_file_limit(m->m_cfg.log_max_file_bytes, logfile_full, m);
	return 0;
}

void
logfile_cleanup(struct master *m)
{
	struct logfile *lf = &m->m_logfile;

	log_set_file_limit(0, NULL, NULL);
	if (lf->lf_timer != NULL)
		event_free(lf->lf_timer);
	if (lf->lf_full != NULL)
		event_free(lf->lf_full);
	lf->lf_timer = lf->lf_full = NULL;
}
