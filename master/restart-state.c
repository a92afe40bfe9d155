/*
 * What crosses the master's exec in an in-place restart.  The old image
 * writes it as JSON into an anonymous file whose descriptor survives the
 * exec, and names it in OPENCLAW_MASTER_STATE; the new image reads it
 * before anything else.  The descriptors it lists (lock, shared memory,
 * listening sockets, worker channels) are the ones left open across the
 * exec; everything else of ours is close-on-exec.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "master/master.h"

#define STATE_ENV "OPENCLAW_MASTER_STATE"
#define STATE_MAX (16 * 1024 * 1024)

static void
state_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void
state_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

/* Bytes as hex: what a worker sent that we have not dispatched yet. */
static struct json_object *
state_hex(const uint8_t *p, size_t len)
{
	struct json_object *o;
	char               *s = xmalloc(len * 2 + 1);
	size_t              i;

	for (i = 0; i < len; i++)
		snprintf(s + i * 2, 3, "%02x", p[i]);
	s[len * 2] = '\0';
	o = json_object_new_string(s);
	free(s);
	return o;
}

static struct json_object *
state_proc(const struct proc *p)
{
	struct json_object *o = json_object_new_object();
	const uint8_t      *unread;
	size_t              len = 0;

	state_int(o, "role", p->p_role);
	state_int(o, "gen", p->p_gen);
	state_int(o, "pid", p->p_pid);
	state_int(o, "flags", p->p_flags);
	state_int(o, "started", (int64_t)p->p_started);
	state_int(o, "backoff", (int64_t)p->p_backoff);
	state_int(o, "ready", p->p_ready);
	state_int(o, "phase", p->p_phase);
	state_int(o, "chan", p->p_chan ? ipc_chan_fd(p->p_chan) : -1);
	if (p->p_chan != NULL &&
	    (unread = ipc_chan_unread(p->p_chan, &len)) != NULL && len > 0)
		json_object_object_add(o, "unread", state_hex(unread, len));
	return o;
}

static struct json_object *
state_build(struct master *m, const char *why)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a;
	int                 i;

	state_int(o, "gen", m->m_gen);
	state_int(o, "bootMs", (int64_t)m->m_boot_ms);
	state_str(o, "bootId", m->m_boot_id);
	state_str(o, "why", why);
	state_int(o, "asked", (int64_t)m->m_restart_mono);
	state_int(o, "again", m->m_restart_again);
	state_int(o, "activated", m->m_activated);
	state_int(o, "lock", m->m_lock_fd);
	state_int(o, "shm", m->m_shm_fd);
	state_int(o, "shmSize", (int64_t)m->m_shm_size);
	a = json_object_new_array();
	for (i = 0; i < m->m_nlisten; i++) {
		json_object_array_add(a, json_object_new_object());
		state_int(json_object_array_get_idx(a, (size_t)i), "kind",
		    m->m_listen[i].l_kind);
		state_int(json_object_array_get_idx(a, (size_t)i), "fd",
		    m->m_listen[i].l_fd);
	}
	json_object_object_add(o, "listeners", a);
	a = json_object_new_array();
	for (i = 0; i < MASTER_MAXPROC; i++)
		if (m->m_procs[i].p_used && m->m_procs[i].p_pid > 0)
			json_object_array_add(a, state_proc(&m->m_procs[i]));
	json_object_object_add(o, "procs", a);
	/* Given as flags: argv no longer holds them (master_wipe_arg). */
	state_str(o, "token", m->m_opts.token);
	state_str(o, "password", m->m_opts.password);
	json_object_object_add(o, "config", config_to_json(&m->m_cfg));
	json_object_object_add(o, "deaths", supervise_save());
	return o;
}

static int
state_file(void)
{
#ifdef HAVE_MEMFD_CREATE
	return memfd_create("openclaw-master-state", 0);
#else
	FILE *f = tmpfile();
	int   fd;

	if (f == NULL)
		return -1;
	fd = dup(fileno(f));
	fclose(f);
	return fd;
#endif
}

/* The state in a file that the exec keeps open; its fd, or -1. */
int
restart_state_save(struct master *m, const char *why)
{
	struct json_object *o = state_build(m, why);
	const char         *text;
	size_t              len, off = 0;
	ssize_t             n;
	int                 fd;

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	if ((fd = state_file()) == -1)
		log_warn("restart: state file");
	while (fd != -1 && off < len) {
		if ((n = write(fd, text + off, len - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("restart: state file");
			close(fd);
			fd = -1;
			break;
		}
		off += (size_t)n;
	}
	/* It holds the secrets. */
	OPENSSL_cleanse((char *)text, len);
	json_object_put(o);
	return fd;
}

static struct json_object *
state_read(int fd)
{
	struct json_object *o = NULL;
	struct stat         st;
	char               *text;
	ssize_t             n;

	if (fstat(fd, &st) == -1 || st.st_size <= 0 || st.st_size > STATE_MAX)
		return NULL;
	text = xmalloc((size_t)st.st_size + 1);
	n = pread(fd, text, (size_t)st.st_size, 0);
	if (n == st.st_size) {
		text[n] = '\0';
		o = json_tokener_parse(text);
	}
	OPENSSL_cleanse(text, (size_t)st.st_size);
	free(text);
	return o;
}

/*
 * The state the previous image left, or NULL for a first start.  The
 * variable goes at once: workers must not see it, nor a later start.
 */
struct json_object *
restart_state_take(void)
{
	struct json_object *o;
	const char         *e = getenv(STATE_ENV);
	long                fd;
	char               *end;

	if (e == NULL)
		return NULL;
	fd = strtol(e, &end, 10);
	unsetenv(STATE_ENV);
	if (*end != '\0' || fd < 3 || fd > 65535 || fcntl((int)fd, F_GETFD) ==
	    -1)
		return NULL;
	o = state_read((int)fd);
	close((int)fd);
	if (o == NULL)
		log_warnx("restart: the previous image's state is unreadable");
	return o;
}

int
restart_state_env(int fd)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", fd);
	return setenv(STATE_ENV, num, 1);
}

void
restart_state_unenv(void)
{
	unsetenv(STATE_ENV);
}

int64_t
restart_state_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return def;
	return json_object_get_int64(v);
}

/* Back from hex into bytes; len 0 when absent or malformed. */
uint8_t *
restart_state_bytes(struct json_object *o, const char *key, size_t *len)
{
	struct json_object *v;
	const char         *s;
	uint8_t            *b;
	size_t              n, i;
	unsigned            x;

	*len = 0;
	if (!json_object_object_get_ex(o, key, &v) ||
	    (s = json_object_get_string(v)) == NULL || (n = strlen(s)) % 2 != 0)
		return NULL;
	b = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + i * 2, "%2x", &x) != 1) {
			free(b);
			return NULL;
		}
		b[i] = (uint8_t)x;
	}
	*len = n / 2;
	return b;
}
