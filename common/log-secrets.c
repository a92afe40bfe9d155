/*
 * The last filter before any sink: a configured secret never appears in a
 * line, whoever wrote the format.  The secrets are few and known (the
 * master registers them after loading the config, each worker after
 * IMSG_CONFIG), so a scan of each message for each of them is cheap.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log-int.h"
#include "common/log.h"
#include "common/xmalloc.h"

struct log_secret {
	char  *s;
	size_t len;
};

static struct log_secret *log_secrets;
static int                log_nsecrets;
static size_t             log_secret_longest;
static unsigned char      log_secret_first[256]; /* a secret starts so */

void
log_secret_add(const char *s, size_t len)
{
	struct log_secret *v;
	int                i;

	if (s == NULL || len == 0)
		return;
	for (i = 0; i < log_nsecrets; i++)
		if (log_secrets[i].len == len &&
		    memcmp(log_secrets[i].s, s, len) == 0)
			return;
	v = xrealloc(log_secrets, ((size_t)log_nsecrets + 1) * sizeof(*v));
	log_secrets = v;
	v[log_nsecrets].s = xmalloc(len);
	memcpy(v[log_nsecrets].s, s, len);
	v[log_nsecrets].len = len;
	log_nsecrets++;
	log_secret_first[(unsigned char)s[0]] = 1;
	if (len > log_secret_longest)
		log_secret_longest = len;
}

size_t
log_secrets_longest(void)
{
	return log_secret_longest;
}

void
log_secrets_clear(void)
{
	int i;

	for (i = 0; i < log_nsecrets; i++) {
		OPENSSL_cleanse(log_secrets[i].s, log_secrets[i].len);
		free(log_secrets[i].s);
	}
	free(log_secrets);
	log_secrets = NULL;
	log_nsecrets = 0;
	log_secret_longest = 0;
	memset(log_secret_first, 0, sizeof(log_secret_first));
}

/* Length of the longest secret at p (0: none). */
static size_t
log_secret_at(const char *p, size_t left)
{
	size_t best = 0;
	int    i;

	for (i = 0; i < log_nsecrets; i++)
		if (log_secrets[i].s[0] == *p && log_secrets[i].len <= left &&
		    log_secrets[i].len > best &&
		    memcmp(p, log_secrets[i].s, log_secrets[i].len) == 0)
			best = log_secrets[i].len;
	return best;
}

size_t
log_redact(char *dst, size_t size, const char *src, size_t len)
{
	size_t i = 0, o = 0, n, run;

	if (size == 0)
		return 0;
	while (i < len && o + 1 < size) {
		/* Bytes no secret starts with go in one copy. */
		for (run = 0; i + run < len && o + run + 1 < size &&
		     !log_secret_first[(unsigned char)src[i + run]];
		     run++)
			;
		memcpy(dst + o, src + i, run);
		o += run;
		i += run;
		if (i == len || o + 1 >= size)
			break;
		if ((n = log_secret_at(src + i, len - i)) == 0) {
			dst[o++] = src[i++];
			continue;
		}
		if (o + 3 >= size)
			break;
		memcpy(dst + o, "***", 3);
		o += 3;
		i += n;
	}
	dst[o] = '\0';
	return o;
}
