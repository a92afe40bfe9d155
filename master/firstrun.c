/*
 * First run: no config file and no credential anywhere.  Rather than
 * start a gateway nobody can authenticate to (or one that anybody can),
 * write a minimal config with a fresh random token, as `openclaw setup`
 * would, and show the token once to the person at the terminal.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "master/master.h"

#define FIRSTRUN_TOKEN_BYTES 32

/* mkdir -p; the directories we create are 0700 (state holds secrets). */
int
firstrun_mkdir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char       *p, *s;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	p = xstrdup(dir);
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) == -1 && errno != EEXIST) {
				snprintf(err, errlen, "%s: %s", p,
				    strerror(errno));
				free(p);
				return -1;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	free(p);
	return 0;
}

static char *
firstrun_dirname(const char *path)
{
	char *d, *slash;

	d = xstrdup(path);
	if ((slash = strrchr(d, '/')) == NULL) {
		free(d);
		return xstrdup(".");
	}
	if (slash == d)
		slash[1] = '\0';
	else
		*slash = '\0';
	return d;
}

static char *
firstrun_render(const char *token)
{
	struct json_object *root, *gw, *auth;
	char               *text;

	root = json_object_new_object();
	gw = json_object_new_object();
	auth = json_object_new_object();
	json_object_object_add(auth, "mode", json_object_new_string("token"));
	json_object_object_add(auth, "token", json_object_new_string(token));
	json_object_object_add(gw, "mode", json_object_new_string("local"));
	json_object_object_add(gw, "auth", auth);
	json_object_object_add(root, "gateway", gw);
	xasprintf(&text, "%s\n",
	    json_object_to_json_string_ext(root,
	        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	            JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}

static int
firstrun_write_fd(int fd, const char *text)
{
	size_t  len = strlen(text);
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, text, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		text += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

/*
 * Put tmp in place without ever replacing a file somebody else wrote
 * meanwhile: link(2) fails on an existing name where rename(2) would
 * overwrite it.  Filesystems without hard links get the rename.
 */
static int
firstrun_commit(const char *tmp, const char *path)
{
	if (link(tmp, path) == 0) {
		unlink(tmp);
		return 1;
	}
	if (errno == EEXIST) {
		unlink(tmp);
		return 0;
	}
	if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP &&
	    errno != ENOSYS && errno != EXDEV)
		return -1;
	if (access(path, F_OK) == 0) {
		unlink(tmp);
		return 0;
	}
	return rename(tmp, path) == 0 ? 1 : -1;
}

static void
firstrun_fsync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

static void
firstrun_show(const char *path, const char *token)
{
	/* Straight to the person, never to a log file or a pipe. */
	if (!isatty(STDOUT_FILENO))
		return;
	printf("\nNew gateway token (saved in %s):\n\n    %s\n\n"
	       "Clients send it as connect.params.auth.token.\n\n",
	    path, token);
	fflush(stdout);
}

/*
 * Write the first config to path.  Returns 1 if written, 0 if a config
 * appeared there meanwhile (left alone), -1 with a message in err.
 */
int
firstrun_write(const char *state_dir, const char *path, char *err,
    size_t errlen)
{
	unsigned char raw[FIRSTRUN_TOKEN_BYTES];
	char         *token, *text, *tmp, *dir;
	int           fd, rv, saved;

	if (firstrun_mkdir(state_dir, err, errlen) == -1)
		return -1;
	dir = firstrun_dirname(path);
	if (firstrun_mkdir(dir, err, errlen) == -1) {
		free(dir);
		return -1;
	}
	if (util_random(raw, sizeof(raw)) == -1) {
		snprintf(err, errlen, "cannot generate a token: no randomness");
		free(dir);
		return -1;
	}
	token = util_b64url(raw, sizeof(raw));
	text = firstrun_render(token);
	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	rv = -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (firstrun_write_fd(fd, text) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
		} else if (close(fd) == 0)
			rv = firstrun_commit(tmp, path);
	}
	if (rv == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
	} else if (rv == 1) {
		firstrun_fsync_dir(dir);
		log_info("wrote %s (new token)", path);
		firstrun_show(path, token);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(token, strlen(token));
	OPENSSL_cleanse(text, strlen(text));
	free(token);
	free(text);
	free(tmp);
	free(dir);
	return rv;
}
