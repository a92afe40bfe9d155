#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/ws-frame.h"

/* RFC 6455 section 1.3: proves the server understood the handshake. */
static const char	 ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void
ws_accept_key(const char *key, char out[29])
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 ok = 0;

	/* streamed, so a hostile key length needs no buffer of its own */
	if ((ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
		    EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
		    EVP_DigestUpdate(ctx, ws_guid, sizeof(ws_guid) - 1) == 1 &&
		    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 20;
		EVP_MD_CTX_free(ctx);
	}
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
	static uint32_t	 counter;
	unsigned char	 nonce[16];
	struct timespec	 ts;
	uint32_t	 v[4];

	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
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
