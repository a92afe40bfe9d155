#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ws/frame.h"

/*
 * Decoder states.  The header is consumed one byte at a time so that a
 * frame may be cut anywhere between two feeds without any copy of the
 * raw header being kept.
 */
enum {
	ST_BYTE0,  /* FIN, RSV, opcode */
	ST_BYTE1,  /* MASK, 7-bit length */
	ST_EXTLEN, /* 16 or 64-bit length, hdr_need bytes left */
	ST_MASK,   /* masking key, hdr_need bytes left */
	ST_PAYLOAD,
	ST_DEAD, /* an error or a callback stopped us: stay stopped */
};

/*
 * UTF-8 DFA states (Unicode 15, table 3-7).  The states that expect a
 * restricted second byte are what rule out overlongs (E0, F0), surrogates
 * (ED) and code points past U+10FFFF (F4).
 */
enum {
	U8_ACCEPT,
	U8_TAIL1, /* one 80..BF byte due */
	U8_TAIL2, /* two 80..BF bytes due */
	U8_TAIL3, /* three 80..BF bytes due */
	U8_E0,    /* A0..BF, then one more */
	U8_ED,    /* 80..9F, then one more */
	U8_F0,    /* 90..BF, then two more */
	U8_F4,    /* 80..8F, then two more */
	U8_REJECT,
};

#define IS_CONTROL(op) (((op)&0x8) != 0)

static const uint8_t ws_empty[1];

static uint8_t
utf8_lead(uint8_t c)
{
	if (c < 0x80)
		return U8_ACCEPT;
	if (c < 0xc2) /* stray continuation, or overlong C0/C1 */
		return U8_REJECT;
	if (c < 0xe0)
		return U8_TAIL1;
	if (c == 0xe0)
		return U8_E0;
	if (c == 0xed)
		return U8_ED;
	if (c < 0xf0)
		return U8_TAIL2;
	if (c == 0xf0)
		return U8_F0;
	if (c < 0xf4)
		return U8_TAIL3;
	if (c == 0xf4)
		return U8_F4;
	return U8_REJECT;
}

static uint8_t
utf8_step(uint8_t st, uint8_t c)
{
	uint8_t lo = 0x80, hi = 0xbf, next;

	switch (st) {
	case U8_ACCEPT:
		return utf8_lead(c);
	case U8_TAIL1:
		next = U8_ACCEPT;
		break;
	case U8_TAIL2:
		next = U8_TAIL1;
		break;
	case U8_TAIL3:
		next = U8_TAIL2;
		break;
	case U8_E0:
		lo = 0xa0;
		next = U8_TAIL1;
		break;
	case U8_ED:
		hi = 0x9f;
		next = U8_TAIL1;
		break;
	case U8_F0:
		lo = 0x90;
		next = U8_TAIL2;
		break;
	case U8_F4:
		hi = 0x8f;
		next = U8_TAIL2;
		break;
	default:
		return U8_REJECT;
	}
	return (c >= lo && c <= hi) ? next : U8_REJECT;
}

/* Run the DFA over data; stops early once rejected, since that is final. */
static uint8_t
utf8_run(uint8_t st, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len && st != U8_REJECT; i++) {
		/* text is mostly ASCII: skip the switch for it */
		if (st == U8_ACCEPT && data[i] < 0x80)
			continue;
		st = utf8_step(st, data[i]);
	}
	return st;
}

int
ws_utf8_valid(const uint8_t *data, size_t len)
{
	return utf8_run(U8_ACCEPT, data, len) == U8_ACCEPT;
}

int
ws_close_code_valid(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return 1;
	switch (code) {
	case 1000:
	case 1001:
	case 1002:
	case 1003:
	case 1007:
	case 1008:
	case 1009:
	case 1010:
	case 1011:
	case 1012:
	case 1013:
	case 1014:
		return 1;
	}
	/* 1004-1006 and 1015 are reserved for local use, never on the wire */
	return 0;
}

void
ws_decoder_init(struct ws_decoder *d, const struct ws_decoder_cb *cb, void *arg,
    int server, uint64_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->cb = cb;
	d->arg = arg;
	d->server = server ? 1 : 0;
	d->max_message = max_message;
	d->state = ST_BYTE0;
}

static void
msg_release(struct ws_decoder *d)
{
	free(d->msg);
	d->msg = NULL;
	d->msg_len = 0;
	d->msg_cap = 0;
	d->msg_opcode = 0;
}

void
ws_decoder_free(struct ws_decoder *d)
{
	msg_release(d);
}

static int
fail(struct ws_decoder *d, uint16_t code, const char *why)
{
	d->close_code = code;
	d->error = why;
	d->state = ST_DEAD;
	/* the connection is going away: give the memory back now */
	msg_release(d);
	return -1;
}

/* The largest message we can buffer: max_message, capped by size_t. */
static uint64_t
msg_limit(const struct ws_decoder *d)
{
	if (d->max_message > SIZE_MAX)
		return SIZE_MAX;
	return d->max_message;
}

static int
on_byte0(struct ws_decoder *d, uint8_t b)
{
	uint8_t op = b & 0x0f;

	d->fin = (b & 0x80) ? 1 : 0;
	d->opcode = op;
	/* no extension is ever negotiated, so RSV bits have no meaning */
	if (b & 0x70)
		return fail(d, WS_CLOSE_PROTOCOL, "reserved bits set");
	if (IS_CONTROL(op)) {
		if (op > WS_OP_PONG)
			return fail(d, WS_CLOSE_PROTOCOL, "reserved opcode");
		if (!d->fin)
			return fail(d, WS_CLOSE_PROTOCOL,
			    "fragmented control frame");
	} else {
		if (op > WS_OP_BINARY)
			return fail(d, WS_CLOSE_PROTOCOL, "reserved opcode");
		if (op == WS_OP_CONT && d->msg_opcode == 0)
			return fail(d, WS_CLOSE_PROTOCOL,
			    "continuation without a message");
		if (op != WS_OP_CONT && d->msg_opcode != 0)
			return fail(d, WS_CLOSE_PROTOCOL,
			    "new message inside a fragmented one");
	}
	d->state = ST_BYTE1;
	return 0;
}

static int frame_done(struct ws_decoder *);

/* Every header field is in: set up for the payload. */
static int
header_done(struct ws_decoder *d)
{
	d->frame_pos = 0;
	d->state = ST_PAYLOAD;
	if (!IS_CONTROL(d->opcode) && d->opcode != WS_OP_CONT) {
		d->msg_opcode = d->opcode;
		d->utf8_state = U8_ACCEPT;
	}
	/* an empty frame has no payload byte to trigger its completion */
	if (d->frame_len == 0)
		return frame_done(d);
	return 0;
}

/* The length is known: refuse what we won't buffer before any of it comes. */
static int
length_done(struct ws_decoder *d)
{
	if (d->frame_len >> 63)
		return fail(d, WS_CLOSE_PROTOCOL,
		    "64-bit length with top bit set");
	if (!IS_CONTROL(d->opcode) && d->frame_len > msg_limit(d) - d->msg_len)
		return fail(d, WS_CLOSE_TOO_BIG, "message too big");
	if (d->server) {
		d->hdr_need = 4;
		d->state = ST_MASK;
		return 0;
	}
	return header_done(d);
}

static int
on_byte1(struct ws_decoder *d, uint8_t b)
{
	uint8_t len7 = b & 0x7f;

	/*
	 * RFC 6455 5.1: clients mask so that a hostile page cannot
	 * choose the bytes an intermediary sees; servers must not.
	 */
	if (((b & 0x80) ? 1 : 0) != d->server)
		return fail(d, WS_CLOSE_PROTOCOL,
		    d->server ? "unmasked client frame" :
		                "masked server frame");
	if (IS_CONTROL(d->opcode) && len7 > 125)
		return fail(d, WS_CLOSE_PROTOCOL, "control frame too long");
	d->frame_len = 0;
	if (len7 == 126 || len7 == 127) {
		d->hdr_need = len7 == 126 ? 2 : 8;
		d->state = ST_EXTLEN;
		return 0;
	}
	d->frame_len = len7;
	return length_done(d);
}

static int
on_extlen(struct ws_decoder *d, uint8_t b)
{
	d->frame_len = (d->frame_len << 8) | b;
	if (--d->hdr_need > 0)
		return 0;
	return length_done(d);
}

static int
on_mask(struct ws_decoder *d, uint8_t b)
{
	d->mask[4 - d->hdr_need] = b;
	if (--d->hdr_need > 0)
		return 0;
	return header_done(d);
}

/* Make room for need bytes; doubling keeps many small fragments linear. */
static int
msg_reserve(struct ws_decoder *d, size_t need)
{
	uint8_t *p;
	size_t   cap, lim, end;

	if (need <= d->msg_cap)
		return 0;
	lim = (size_t)msg_limit(d);
	cap = d->msg_cap < 256 ? 256 : d->msg_cap;
	while (cap < need)
		cap = cap > lim / 2 ? lim : cap * 2;
	if (cap > lim)
		cap = lim;
	/* the final fragment tells the exact size: don't overshoot it */
	end = d->msg_len + (size_t)(d->frame_len - d->frame_pos);
	if (d->fin && cap > end)
		cap = end;
	if ((p = realloc(d->msg, cap)) == NULL)
		return fail(d, WS_CLOSE_TOO_BIG, "out of memory");
	d->msg = p;
	d->msg_cap = cap;
	return 0;
}

static int
on_payload(struct ws_decoder *d, const uint8_t *buf, size_t len, size_t *used)
{
	uint8_t *dst;
	uint64_t left = d->frame_len - d->frame_pos;
	size_t   n = len;

	if (n > left)
		n = (size_t)left;
	*used = n;
	if (IS_CONTROL(d->opcode))
		dst = d->ctl + d->frame_pos;
	else {
		if (msg_reserve(d, d->msg_len + n) == -1)
			return -1;
		dst = d->msg + d->msg_len;
	}
	memcpy(dst, buf, n);
	if (d->server)
		ws_mask(dst, n, d->mask, d->frame_pos);
	if (!IS_CONTROL(d->opcode)) {
		d->msg_len += n;
		/* fail fast: a bad sequence is final, don't wait for the end */
		if (d->msg_opcode == WS_OP_TEXT) {
			d->utf8_state = utf8_run(d->utf8_state, dst, n);
			if (d->utf8_state == U8_REJECT)
				return fail(d, WS_CLOSE_BAD_DATA,
				    "invalid UTF-8 in text message");
		}
	}
	d->frame_pos += n;
	if (d->frame_pos == d->frame_len)
		return frame_done(d);
	return 0;
}

static int
check_close(struct ws_decoder *d)
{
	uint16_t code;

	if (d->frame_len == 0)
		return 0;
	if (d->frame_len == 1)
		return fail(d, WS_CLOSE_PROTOCOL, "close payload of 1 byte");
	code = (uint16_t)(d->ctl[0] << 8 | d->ctl[1]);
	if (!ws_close_code_valid(code))
		return fail(d, WS_CLOSE_PROTOCOL, "invalid close code");
	if (!ws_utf8_valid(d->ctl + 2, (size_t)d->frame_len - 2))
		return fail(d, WS_CLOSE_BAD_DATA,
		    "invalid UTF-8 in close reason");
	return 0;
}

static int
deliver_control(struct ws_decoder *d)
{
	if (d->opcode == WS_OP_CLOSE && check_close(d) == -1)
		return -1;
	if (d->cb == NULL || d->cb->on_control == NULL)
		return 0;
	return d->cb->on_control(d->arg, d->opcode, d->ctl,
	    (size_t)d->frame_len);
}

static int
deliver_message(struct ws_decoder *d)
{
	uint8_t *data;
	size_t   len;
	int      op, rv = 0;

	if (d->msg_opcode == WS_OP_TEXT && d->utf8_state != U8_ACCEPT)
		return fail(d, WS_CLOSE_BAD_DATA,
		    "truncated UTF-8 in text message");
	/* detach first, so the decoder is idle again while the callback runs */
	data = d->msg;
	len = d->msg_len;
	op = d->msg_opcode;
	d->msg = NULL;
	msg_release(d);
	if (d->cb != NULL && d->cb->on_message != NULL)
		rv = d->cb->on_message(d->arg, op, data ? data : ws_empty, len);
	free(data);
	return rv;
}

static int
frame_done(struct ws_decoder *d)
{
	int rv;

	d->state = ST_BYTE0;
	if (IS_CONTROL(d->opcode))
		rv = deliver_control(d);
	else if (d->fin)
		rv = deliver_message(d);
	else
		return 0;
	if (rv != 0 && d->state != ST_DEAD) {
		/* the owner asked to stop: that is no protocol error */
		d->close_code = 0;
		d->error = "stopped by callback";
		d->state = ST_DEAD;
		msg_release(d);
	}
	return rv != 0 ? -1 : 0;
}

int
ws_decoder_feed(struct ws_decoder *d, const uint8_t *buf, size_t len)
{
	size_t used;
	int    rv;

	while (len > 0) {
		used = 1;
		switch (d->state) {
		case ST_BYTE0:
			rv = on_byte0(d, *buf);
			break;
		case ST_BYTE1:
			rv = on_byte1(d, *buf);
			break;
		case ST_EXTLEN:
			rv = on_extlen(d, *buf);
			break;
		case ST_MASK:
			rv = on_mask(d, *buf);
			break;
		case ST_PAYLOAD:
			rv = on_payload(d, buf, len, &used);
			break;
		default:
			/* keep the first error's close_code for the owner */
			return -1;
		}
		if (rv == -1)
			return -1;
		buf += used;
		len -= used;
	}
	return d->state == ST_DEAD ? -1 : 0;
}

size_t
ws_frame_header(uint8_t out[14], int fin, int opcode, uint64_t len,
    const uint8_t *mask)
{
	size_t  n = 2, i;
	uint8_t mbit = mask != NULL ? 0x80 : 0;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126)
		out[1] = mbit | (uint8_t)len;
	else if (len <= 0xffff) {
		out[1] = mbit | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[1] = mbit | 127;
		for (i = 0; i < 8; i++)
			out[n++] = (uint8_t)(len >> (56 - 8 * i));
	}
	if (mask != NULL) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

void
ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		data[i] ^= mask[(off + i) & 3];
}

size_t
ws_close_payload(uint8_t out[125], uint16_t code, const char *reason,
    size_t max_reason)
{
	const uint8_t *r = (const uint8_t *)reason;
	size_t         i, keep = 0;
	uint8_t        st = U8_ACCEPT;

	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (max_reason > 123)
		max_reason = 123;
	/*
	 * Keep the longest prefix that ends on a complete character: the
	 * peer must fail us with 1007 for a cut sequence, and an invalid
	 * reason is cut before the first bad byte for the same reason.
	 */
	for (i = 0; r != NULL && i < max_reason && r[i] != '\0'; i++) {
		st = utf8_step(st, r[i]);
		if (st == U8_REJECT)
			break;
		if (st == U8_ACCEPT)
			keep = i + 1;
	}
	if (keep > 0)
		memcpy(out + 2, r, keep);
	return 2 + keep;
}
