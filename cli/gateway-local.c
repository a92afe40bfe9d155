/*
 * What this machine's gateway leaves for `gateway status` and `doctor`
 * to look at without talking to it: the log file it writes (the rules of
 * master/logfile.c, read-only here: nothing is created), the last error
 * line in it, and whether something listens on its port.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "cli/gateway-local.h"

#define LOCAL_TAIL_BYTES (256 * 1024)
#define LOCAL_LINE_MAX   512

/* <tmp>: $TMPDIR when absolute, else /tmp; no trailing slash. */
static char *
local_tmp(void)
{
	const char *t = getenv("TMPDIR");
	size_t      n;

	if (t == NULL || t[0] != '/')
		t = "/tmp";
	for (n = strlen(t); n > 1 && t[n - 1] == '/'; n--)
		;
	return xstrndup(t, n);
}

/*
 * The dated mode's directory, <tmp>/openclaw, or NULL; *ours: 1 when
 * it is (or would be) a directory of ours closed to others, as the
 * gateway wants it; 0 when it is not, so the gateway falls back to
 * <tmp>/openclaw-<uid>.
 */
char *
local_log_dir(int *ours)
{
	struct stat st;
	char       *tmp = local_tmp(), *dir;

	xasprintf(&dir, "%s/" LOG_FILE_PREFIX, tmp);
	free(tmp);
	*ours = lstat(dir, &st) == -1 ?
	    errno == ENOENT :
	    S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	        (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
	return dir;
}

/* The file the gateway of cfg writes today (heap). */
char *
local_log_path(const struct gw_config *cfg)
{
	struct tm tm;
	time_t    now = time(NULL);
	char      day[16], *dir, *tmp, *path;
	int       ours;

	if (cfg->log_file != NULL && *cfg->log_file != '\0')
		return xstrdup(cfg->log_file);
	dir = local_log_dir(&ours);
	if (!ours) {
		free(dir);
		tmp = local_tmp();
		xasprintf(&dir, "%s/" LOG_FILE_PREFIX "-%ld", tmp,
		    (long)getuid());
		free(tmp);
	}
	localtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	xasprintf(&path, "%s/" LOG_FILE_PREFIX "-%s.log", dir, day);
	free(dir);
	return path;
}

static char *
local_read_tail(const char *path)
{
	struct stat st;
	char       *buf;
	off_t       off;
	ssize_t     n;
	int         fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	off = st.st_size > LOCAL_TAIL_BYTES ? st.st_size - LOCAL_TAIL_BYTES : 0;
	buf = xmalloc(LOCAL_TAIL_BYTES + 1);
	n = pread(fd, buf, LOCAL_TAIL_BYTES, off);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* "time message" of a JSON log line at level ERROR, or NULL. */
static char *
local_error_of(const char *line, size_t len)
{
	json_object *o, *meta, *lvl, *msg, *ts;
	char        *out = NULL, *p, *text = xstrndup(line, len);

	o = json_tokener_parse(text);
	free(text);
	if (o == NULL)
		return NULL;
	if (json_object_object_get_ex(o, "_meta", &meta) &&
	    json_object_object_get_ex(meta, "logLevelName", &lvl) &&
	    strcmp(json_object_get_string(lvl), "ERROR") == 0 &&
	    json_object_object_get_ex(o, "message", &msg)) {
		if (!json_object_object_get_ex(o, "time", &ts))
			ts = NULL;
		xasprintf(&out, "%.40s %.*s",
		    ts ? json_object_get_string(ts) : "", LOCAL_LINE_MAX,
		    json_object_get_string(msg));
		for (p = out; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	}
	json_object_put(o);
	return out;
}

/* The last error line of the log file at path (heap), or NULL. */
char *
local_last_error(const char *path)
{
	char       *buf, *err = NULL;
	const char *end, *start;

	if ((buf = local_read_tail(path)) == NULL)
		return NULL;
	end = buf + strlen(buf);
	while (err == NULL && end > buf) {
		start = end;
		while (start > buf && start[-1] != '\n')
			start--;
		if (end > start)
			err = local_error_of(start, (size_t)(end - start));
		end = start > buf ? start - 1 : buf;
	}
	free(buf);
	return err;
}

/* 1 if something accepts a TCP connection on 127.0.0.1:port. */
int
local_port_busy(int port)
{
	struct sockaddr_in sin;
	struct pollfd      pfd;
	socklen_t          len = sizeof(int);
	int                fd, rv = 0, soerr = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		rv = 1;
	else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 1000) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
		    soerr == 0)
			rv = 1;
	}
	close(fd);
	return rv;
}
