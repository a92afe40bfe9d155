/*
 * libFuzzer target: the RFC 6455 frame decoder (common/ws/frame.c).
 *
 * Input: 4 bytes of parameters, then the byte stream a peer would send.
 *   [0]	low nibble: max_message selector; high nibble: the callback
 *		event (1..15) that returns -1 to stop the decoder, 0 = never
 *   [1..3]	seed of the chunk sizes for the chunked feeding
 *
 * The stream is decoded in server mode (frames must be masked) and in
 * client mode (must not), each time fed whole and fed in chunks of
 * varying size (one byte at a time, small, or large, from the seed).  A
 * decoder that keeps no raw header and works byte by byte must see the
 * same callbacks, the same close code and the same final state whatever
 * the cut: abort() on any difference.  Delivered data is checked (UTF-8
 * for text, sizes, close payloads), each message is re-encoded with the
 * encoder, fragmented around a ping, and must decode to itself, and
 * ws_close_payload is checked on the input as a reason string.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ws/frame.h"
#include "fuzz/fuzz-common.h"

#define MAX_EVENTS 64

struct event {
	uint8_t  ctl;
	uint8_t  op;
	size_t   len;
	uint64_t hash;
};

struct rec {
	struct event ev[MAX_EVENTS];
	int          n;       /* callbacks seen (may exceed MAX_EVENTS) */
	int          stop_at; /* return -1 on this event, 1-based; 0 never */
	uint64_t     max_message;
	int          stopped; /* a callback returned -1 */
	/* the last data message, kept for the re-encoding check */
	uint8_t *last;
	size_t   last_len;
	int      last_op;
};

static int
record(struct rec *r, int ctl, int op, const uint8_t *data, size_t len)
{
	fuzz_check(r->stopped == 0, "callback after a callback asked to stop");
	fuzz_check(data != NULL, "callback with a NULL pointer");
	if (r->n < MAX_EVENTS) {
		r->ev[r->n].ctl = (uint8_t)ctl;
		r->ev[r->n].op = (uint8_t)op;
		r->ev[r->n].len = len;
		r->ev[r->n].hash = fuzz_fnv(FUZZ_FNV_BASIS, data, len);
	}
	r->n++;
	if (r->stop_at == r->n) {
		r->stopped = 1;
		return -1;
	}
	return 0;
}

static int
on_message(void *arg, int op, const uint8_t *data, size_t len)
{
	struct rec *r = arg;

	fuzz_check(op == WS_OP_TEXT || op == WS_OP_BINARY, "message opcode");
	fuzz_check(len <= r->max_message, "message over max_message delivered");
	if (op == WS_OP_TEXT)
		fuzz_check(ws_utf8_valid(data, len),
		    "invalid UTF-8 text delivered");
	/* touch every byte, so ASan sees a short buffer */
	(void)fuzz_fnv(FUZZ_FNV_BASIS, data, len);
	if (len <= 65536) {
		free(r->last);
		r->last = malloc(len ? len : 1);
		fuzz_check(r->last != NULL, "malloc");
		memcpy(r->last, data, len);
		r->last_len = len;
		r->last_op = op;
	}
	return record(r, 0, op, data, len);
}

static int
on_control(void *arg, int op, const uint8_t *data, size_t len)
{
	struct rec *r = arg;

	fuzz_check(op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG,
	    "control opcode");
	fuzz_check(len <= 125, "control payload over 125 bytes");
	if (op == WS_OP_CLOSE) {
		fuzz_check(len != 1, "close payload of 1 byte delivered");
		if (len >= 2) {
			fuzz_check(ws_close_code_valid(
			               (uint16_t)(data[0] << 8 | data[1])),
			    "invalid close code delivered");
			fuzz_check(ws_utf8_valid(data + 2, len - 2),
			    "invalid close reason delivered");
		}
	}
	return record(r, 1, op, data, len);
}

static const struct ws_decoder_cb cb = { on_message, on_control };

/*
 * The part of the decoder's state that must not depend on the cuts.  After
 * a protocol error only the error counts: how far into the frame the
 * decoder had got depends on where the bytes were cut.
 */
static void
same_state(const struct ws_decoder *a, const struct ws_decoder *b)
{
	fuzz_check(a->close_code == b->close_code, "close code differs");
	fuzz_check(a->error == b->error, "error differs");
	fuzz_check(a->state == b->state, "state differs");
	if (a->close_code != 0)
		return;
	fuzz_check(a->hdr_need == b->hdr_need, "hdr_need differs");
	fuzz_check(a->opcode == b->opcode, "opcode differs");
	fuzz_check(a->fin == b->fin, "fin differs");
	fuzz_check(a->msg_opcode == b->msg_opcode, "msg_opcode differs");
	fuzz_check(a->utf8_state == b->utf8_state, "utf8 state differs");
	fuzz_check(a->frame_len == b->frame_len, "frame_len differs");
	fuzz_check(a->frame_pos == b->frame_pos, "frame_pos differs");
	fuzz_check(a->msg_len == b->msg_len, "msg_len differs");
	fuzz_check(memcmp(a->mask, b->mask, 4) == 0, "mask differs");
	fuzz_check(a->msg_len <= a->msg_cap, "msg_len over msg_cap");
	fuzz_check((a->msg == NULL) == (a->msg_cap == 0),
	    "msg/msg_cap mismatch");
	fuzz_check(a->msg_cap <= a->max_message || a->msg_cap == 0,
	    "buffer larger than max_message");
}

static void
same_events(const struct rec *a, const struct rec *b)
{
	int i;

	fuzz_check(a->n == b->n, "number of callbacks differs");
	fuzz_check(a->stopped == b->stopped, "stop differs");
	for (i = 0; i < a->n && i < MAX_EVENTS; i++) {
		fuzz_check(a->ev[i].ctl == b->ev[i].ctl, "event kind differs");
		fuzz_check(a->ev[i].op == b->ev[i].op, "event opcode differs");
		fuzz_check(a->ev[i].len == b->ev[i].len,
		    "event length differs");
		fuzz_check(a->ev[i].hash == b->ev[i].hash,
		    "event data differs");
	}
}

static const uint64_t max_messages[16] = { 0, 1, 2, 3, 16, 125, 126, 127, 200,
	1000, 65535, 65536, 65537, 1 << 20, 26214400, UINT64_MAX };

static void
run_mode(int server, uint64_t max_message, int stop_at, uint32_t seed0,
    const uint8_t *data, size_t size)
{
	struct ws_decoder dw, dc;
	struct rec       *rw, *rc;
	size_t            off, n;
	uint32_t          seed = seed0;
	int               style = (int)(seed0 & 3), rvw, rvc = 0, i;

	rw = calloc(1, sizeof(*rw));
	rc = calloc(1, sizeof(*rc));
	fuzz_check(rw != NULL && rc != NULL, "calloc");
	rw->stop_at = rc->stop_at = stop_at;
	rw->max_message = rc->max_message = max_message;

	/* whole */
	ws_decoder_init(&dw, &cb, rw, server, max_message);
	rvw = ws_decoder_feed(&dw, data, size);
	fuzz_check(rvw == 0 || rvw == -1, "feed result");
	if (rvw == -1)
		fuzz_check(dw.close_code == 0 ||
		        dw.close_code == WS_CLOSE_PROTOCOL ||
		        dw.close_code == WS_CLOSE_BAD_DATA ||
		        dw.close_code == WS_CLOSE_TOO_BIG,
		    "close code");
	if (rvw == -1 && dw.close_code != 0)
		fuzz_check(dw.msg == NULL, "failed decoder kept its buffer");
	fuzz_check((rvw == -1 && dw.close_code == 0) == (rw->stopped != 0),
	    "stop by callback not reported as close_code 0");

	/* chunked, and feeding must stay refused once it failed */
	ws_decoder_init(&dc, &cb, rc, server, max_message);
	for (off = 0; off < size; off += n) {
		n = fuzz_chunk(&seed, style, size - off);
		if (rvc == -1) {
			i = rc->n;
			fuzz_check(ws_decoder_feed(&dc, data + off, n) == -1,
			    "feed after failure accepted");
			fuzz_check(rc->n == i, "callback after failure");
			continue;
		}
		rvc = ws_decoder_feed(&dc, data + off, n);
	}
	fuzz_check(rvw == rvc, "result differs (whole vs chunked)");
	same_events(rw, rc);
	same_state(&dw, &dc);

	ws_decoder_free(&dw);
	ws_decoder_free(&dc);
	fuzz_check(dw.msg == NULL && dc.msg == NULL, "free left a buffer");

	/*
	 * Re-encode the last message as the peer would (fragmented around
	 * a ping when long enough) and decode it with a fresh decoder.
	 */
	if (rw->last != NULL) {
		static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
		struct ws_decoder    d2;
		struct rec          *r2;
		uint8_t             *buf, hdr[14];
		size_t len = rw->last_len, cut = len / 2, pos = 0, h;
		int    frag = len >= 2;

		r2 = calloc(1, sizeof(*r2));
		buf = malloc(len + 3 * 14 + 8);
		fuzz_check(r2 != NULL && buf != NULL, "malloc");
		r2->max_message = UINT64_MAX;
#define PUT(fin, op, p, l)                                 \
	do {                                               \
		h = ws_frame_header(hdr, (fin), (op), (l), \
		    server ? mask : NULL);                 \
		fuzz_check(h <= 14, "header length");      \
		memcpy(buf + pos, hdr, h);                 \
		pos += h;                                  \
		if ((l) > 0)                               \
			memcpy(buf + pos, (p), (l));       \
		if (server)                                \
			ws_mask(buf + pos, (l), mask, 0);  \
		pos += (l);                                \
	} while (0)
		if (frag) {
			PUT(0, rw->last_op, rw->last, cut);
			PUT(1, WS_OP_PING, (const uint8_t *)"ping", 4);
			PUT(1, WS_OP_CONT, rw->last + cut, len - cut);
		} else
			PUT(1, rw->last_op, rw->last, len);
#undef PUT
		ws_decoder_init(&d2, &cb, r2, server, UINT64_MAX);
		fuzz_check(ws_decoder_feed(&d2, buf, pos) == 0,
		    "re-encoded message refused");
		fuzz_check(r2->n == (frag ? 2 : 1), "re-encoded: callbacks");
		fuzz_check(r2->last_len == len && r2->last_op == rw->last_op &&
		        (len == 0 || memcmp(r2->last, rw->last, len) == 0),
		    "re-encoded message differs");
		ws_decoder_free(&d2);
		free(r2->last);
		free(r2);
		free(buf);
	}
	free(rw->last);
	free(rc->last);
	free(rw);
	free(rc);
}

/* The close reason builder: the input as a reason. */
static void
close_payload(const uint8_t *data, size_t size)
{
	uint8_t out[125];
	char    reason[160];
	size_t  n, len, max;

	len = size < sizeof(reason) - 1 ? size : sizeof(reason) - 1;
	memcpy(reason, data, len);
	reason[len] = '\0';
	max = size > 0 ? data[0] : 0;
	n = ws_close_payload(out, 1000, reason, max);
	fuzz_check(n >= 2 && n <= 125, "close payload length");
	fuzz_check(n - 2 <= max, "close reason over max_reason");
	fuzz_check(out[0] == 0x03 && out[1] == 0xe8, "close code bytes");
	fuzz_check(memcmp(out + 2, reason, n - 2) == 0,
	    "close reason not a prefix");
	fuzz_check(ws_utf8_valid(out + 2, n - 2), "close reason not UTF-8");
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t max_message;
	uint32_t seed;
	int      stop_at;

	if (size < 4)
		return 0;
	max_message = max_messages[data[0] & 0x0f];
	stop_at = data[0] >> 4;
	seed = (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	run_mode(1, max_message, stop_at, seed, data + 4, size - 4);
	run_mode(0, max_message, stop_at, seed, data + 4, size - 4);
	close_payload(data + 4, size - 4);
	return 0;
}
