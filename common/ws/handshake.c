#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/util.h"
#include "common/ws/frame.h"

/* RFC 6455 section 1.3: proves the server understood the handshake. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
static EVP_MD *ws_sha1;
#else
static const EVP_MD *ws_sha1;
#endif
static EVP_MD_CTX *ws_ctx;

/*
 * The digest is looked up once: OpenSSL 3 resolves EVP_sha1() through
 * its provider table (locks, a name lookup) on every init otherwise.
 * The context is reused; every user of this file is single-threaded.
 */
int
ws_handshake_init(void)
{
	if (ws_sha1 == NULL)
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
		ws_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
#else
		ws_sha1 = EVP_sha1();
#endif
	if (ws_ctx == NULL)
		ws_ctx = EVP_MD_CTX_new();
	return ws_sha1 != NULL && ws_ctx != NULL ? 0 : -1;
}

void
ws_accept_key(const char *key, char out[29])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int  mdlen = 0;
	int           ok;

	/* streamed, so a hostile key length needs no buffer of its own */
	ok = ws_handshake_init() == 0 &&
	    EVP_DigestInit_ex(ws_ctx, ws_sha1, NULL) == 1 &&
	    EVP_DigestUpdate(ws_ctx, key, strlen(key)) == 1 &&
	    EVP_DigestUpdate(ws_ctx, ws_guid, sizeof(ws_guid) - 1) == 1 &&
	    EVP_DigestFinal_ex(ws_ctx, md, &mdlen) == 1 && mdlen == 20;
	if (!ok) {
		/* an empty string never matches, so the handshake fails safe */
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, md, 20);
}

void
ws_client_key(char out[25])
{
	static uint32_t counter;
	unsigned char   nonce[16];
	struct timespec ts;
	uint32_t        v[4];

	if (util_random(nonce, sizeof(nonce)) == -1) {
		/*
		 * The key is a handshake nonce, not a secret (masking keys
		 * are what must be unpredictable): a value that will not
		 * repeat beats failing the connection.
		 */
		clock_gettime(CLOCK_REALTIME, &ts);
		v[0] = (uint32_t)ts.tv_sec;
		v[1] = (uint32_t)((uint64_t)ts.tv_sec >> 32);
		v[2] = (uint32_t)ts.tv_nsec;
		v[3] = ++counter;
		memcpy(nonce, v, sizeof(nonce));
	}
	EVP_EncodeBlock((unsigned char *)out, nonce, sizeof(nonce));
}
