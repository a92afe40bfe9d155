/*
 * libFuzzer target: the model-provider reply decoder (workers/agent/
 * sse.c, provider-decode.c and the three wire formats), the code that
 * reads what a remote provider sends.
 *
 * Input: 2 bytes of parameters, then the reply body.
 *   [0]	api (mod 3: openai-completions, anthropic-messages,
 *		openai-responses); bit 2: SSE (1) or one JSON body (0)
 *   [1]	seed of the chunk sizes
 *
 * The body is decoded fed whole and fed in chunks of each style (a
 * byte at a time, small, medium, any): the events (hashed) must be the
 * same, and each run must end in exactly one terminal event (DONE or
 * ERROR) with nothing after it; an error detail must be bounded and
 * free of control characters and of the key.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz-common.h"
#include "workers/agent/provider.h"

#define KEY "sk-fuzz-key-0123456789"

struct rec {
	uint64_t h;
	int      terminal, after;
};

static void
check_detail(const char *d)
{
	size_t i, n = strlen(d);

	fuzz_check(n <= PROV_DETAIL_MAX, "detail bounded");
	for (i = 0; i < n; i++)
		fuzz_check((unsigned char)d[i] >= 0x20 &&
		        (unsigned char)d[i] < 0x7f,
		    "detail printable");
	fuzz_check(strstr(d, KEY) == NULL, "no key in the detail");
}

static void
on_event(const struct prov_event *ev, void *arg)
{
	struct rec *r = arg;

	if (r->terminal)
		r->after++;
	r->h = fuzz_fnv(r->h, &ev->type, sizeof(ev->type));
	if (ev->text != NULL) {
		fuzz_check(strlen(ev->text) == ev->len || ev->len == 0 ||
		        memchr(ev->text, 0, ev->len) != NULL,
		    "text length");
		r->h = fuzz_fnv(r->h, ev->text, ev->len);
	}
	if (ev->type >= PROV_EV_TOOL_START && ev->type <= PROV_EV_TOOL_END) {
		fuzz_check(ev->tool_index >= 0 &&
		        ev->tool_index < PROV_TOOLS_MAX,
		    "tool index");
		fuzz_check(ev->tool_name != NULL, "tool name");
		r->h = fuzz_fnv(r->h, &ev->tool_index, sizeof(ev->tool_index));
	}
	if (ev->type == PROV_EV_ERROR) {
		check_detail(ev->error->detail);
		r->h = fuzz_fnv(r->h, ev->error->detail,
		    strlen(ev->error->detail));
	}
	if (ev->type == PROV_EV_ERROR || ev->type == PROV_EV_DONE)
		r->terminal++;
}

static void
run(enum prov_api api, int stream, const uint8_t *b, size_t len, uint32_t seed,
    int style, struct rec *r)
{
	struct prov_decoder *d;
	size_t               off = 0, n;

	memset(r, 0, sizeof(*r));
	r->h = FUZZ_FNV_BASIS;
	d = prov_decoder_new(api, stream, KEY, on_event, r);
	while (off < len) {
		n = style < 0 ? len : fuzz_chunk(&seed, style, len - off);
		if (prov_decoder_feed(d, (const char *)b + off, n) == -1)
			break;
		off += n;
	}
	if (off >= len)
		prov_decoder_finish(d);
	prov_decoder_free(d);
	fuzz_check(r->terminal == 1, "exactly one terminal event");
	fuzz_check(r->after == 0, "nothing after it");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec    whole, cut;
	enum prov_api api;
	int           stream, style;

	if (size < 2)
		return 0;
	api = data[0] % 3;
	stream = (data[0] >> 2) & 1;
	run(api, stream, data + 2, size - 2, 0, -1, &whole);
	for (style = 0; style < 4; style++) {
		run(api, stream, data + 2, size - 2, data[1] | 0x100, style,
		    &cut);
		fuzz_check(cut.h == whole.h, "the same events, any cut");
	}
	return 0;
}
