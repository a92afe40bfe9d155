#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ws/frame.h"
#include "t/unit/tap.h"

#define MAXEV 16

/* What the callbacks saw, in order. */
struct rec {
	int      n;
	int      ctl[MAXEV];
	int      op[MAXEV];
	size_t   len[MAXEV];
	uint8_t *data[MAXEV];
	int      null_data; /* a callback got a NULL pointer */
	int      stop_at;   /* return -1 on this event (1-based) */
};

static struct rec rec;

static int
record(int ctl, int op, const uint8_t *data, size_t len)
{
	int i = rec.n;

	if (data == NULL)
		rec.null_data = 1;
	if (i < MAXEV) {
		rec.ctl[i] = ctl;
		rec.op[i] = op;
		rec.len[i] = len;
		rec.data[i] = malloc(len + 1);
		if (data != NULL && len > 0)
			memcpy(rec.data[i], data, len);
		rec.data[i][len] = '\0';
	}
	rec.n++;
	return rec.stop_at == rec.n ? -1 : 0;
}

static int
on_message(void *arg, int op, const uint8_t *data, size_t len)
{
	(void)arg;
	return record(0, op, data, len);
}

static int
on_control(void *arg, int op, const uint8_t *data, size_t len)
{
	(void)arg;
	return record(1, op, data, len);
}

static const struct ws_decoder_cb cb = { on_message, on_control };

static void
rec_clear(void)
{
	int i;

	for (i = 0; i < rec.n && i < MAXEV; i++)
		free(rec.data[i]);
	memset(&rec, 0, sizeof(rec));
}

static int
feed_bytewise(struct ws_decoder *d, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (ws_decoder_feed(d, buf + i, 1) == -1)
			return -1;
	return 0;
}

/* Build a frame with the encoder; masked frames use a fixed key. */
static size_t
mkframe(uint8_t *out, int fin, int op, const void *payload, size_t len,
    int masked)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t               n;

	n = ws_frame_header(out, fin, op, len, masked ? key : NULL);
	if (len > 0)
		memcpy(out + n, payload, len);
	if (masked)
		ws_mask(out + n, len, key, 0);
	return n + len;
}

/* Feed bytes that must fail with code: three assertions. */
static void
expect_error(const char *name, int server, uint64_t max, const uint8_t *buf,
    size_t len, int code)
{
	struct ws_decoder d;

	rec_clear();
	ws_decoder_init(&d, &cb, NULL, server, max);
	is_int(ws_decoder_feed(&d, buf, len), -1, "%s: feed fails", name);
	is_int(d.close_code, code, "%s: close code %d", name, code);
	ok(d.error != NULL && d.msg == NULL, "%s: error set, no buffer (%s)",
	    name, d.error ? d.error : "-");
	ws_decoder_free(&d);
	rec_clear();
}

static void
test_rfc_examples(void)
{
	static const uint8_t hello[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const uint8_t mhello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
		0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t frag[] = { 0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02,
		'l', 'o' };
	static const uint8_t ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const uint8_t mpong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
		0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct ws_decoder    d;

	ws_decoder_init(&d, &cb, NULL, 0, 1024);
	is_int(ws_decoder_feed(&d, hello, sizeof(hello)), 0,
	    "unmasked Hello (client mode)");
	ok(rec.n == 1 && !rec.ctl[0] && rec.op[0] == WS_OP_TEXT,
	    "one text message");
	is_str((char *)rec.data[0], "Hello", "payload Hello");
	ok(d.msg == NULL && d.msg_cap == 0, "buffer freed after delivery");
	ws_decoder_free(&d);
	rec_clear();

	ws_decoder_init(&d, &cb, NULL, 1, 1024);
	is_int(ws_decoder_feed(&d, mhello, sizeof(mhello)), 0,
	    "masked Hello (server mode)");
	ok(rec.n == 1 && rec.op[0] == WS_OP_TEXT && rec.len[0] == 5,
	    "one text message of 5 bytes");
	is_str((char *)rec.data[0], "Hello", "unmasked payload Hello");
	ws_decoder_free(&d);
	rec_clear();

	ws_decoder_init(&d, &cb, NULL, 0, 1024);
	is_int(ws_decoder_feed(&d, frag, 5), 0, "first fragment");
	is_int(rec.n, 0, "nothing delivered before FIN");
	is_int(ws_decoder_feed(&d, frag + 5, sizeof(frag) - 5), 0,
	    "last fragment");
	ok(rec.n == 1 && rec.op[0] == WS_OP_TEXT, "fragments make one message");
	is_str((char *)rec.data[0], "Hello", "reassembled Hello");
	ws_decoder_free(&d);
	rec_clear();

	ws_decoder_init(&d, &cb, NULL, 0, 1024);
	is_int(ws_decoder_feed(&d, ping, sizeof(ping)), 0, "unmasked ping");
	ok(rec.n == 1 && rec.ctl[0] && rec.op[0] == WS_OP_PING,
	    "ping reaches on_control");
	is_str((char *)rec.data[0], "Hello", "ping payload");
	ws_decoder_free(&d);
	rec_clear();

	ws_decoder_init(&d, &cb, NULL, 1, 1024);
	is_int(ws_decoder_feed(&d, mpong, sizeof(mpong)), 0, "masked pong");
	ok(rec.n == 1 && rec.ctl[0] && rec.op[0] == WS_OP_PONG,
	    "pong reaches on_control");
	is_str((char *)rec.data[0], "Hello", "pong payload unmasked");
	ws_decoder_free(&d);
	rec_clear();
}

static void
test_lengths(void)
{
	static const uint8_t nonmin[] = { 0x81, 0x7e, 0x00, 0x05, 'H', 'e', 'l',
		'l', 'o' };
	struct ws_decoder    d;
	uint8_t             *buf, *payload;
	size_t               i, n, sizes[] = { 256, 65536 };
	int                  k, good;

	payload = malloc(65536);
	buf = malloc(65536 + 14);
	for (i = 0; i < 65536; i++)
		payload[i] = (uint8_t)(i * 7);
	for (k = 0; k < 2; k++) {
		n = mkframe(buf, 1, WS_OP_BINARY, payload, sizes[k], 0);
		is_int(buf[1], k == 0 ? 126 : 127, "%zu bytes use the %s form",
		    sizes[k], k == 0 ? "16-bit" : "64-bit");
		ws_decoder_init(&d, &cb, NULL, 0, 65536);
		is_int(ws_decoder_feed(&d, buf, n), 0, "%zu-byte frame",
		    sizes[k]);
		good = rec.n == 1 && rec.op[0] == WS_OP_BINARY &&
		    rec.len[0] == sizes[k] &&
		    memcmp(rec.data[0], payload, sizes[k]) == 0;
		ok(good, "%zu-byte payload intact", sizes[k]);
		ws_decoder_free(&d);
		rec_clear();
	}
	free(payload);
	free(buf);

	ws_decoder_init(&d, &cb, NULL, 0, 1024);
	is_int(ws_decoder_feed(&d, nonmin, sizeof(nonmin)), 0,
	    "non-minimal 16-bit length accepted");
	is_str(rec.n == 1 ? (char *)rec.data[0] : NULL, "Hello",
	    "non-minimal payload");
	ws_decoder_free(&d);
	rec_clear();
}

static void
test_bytewise(void)
{
	struct ws_decoder d;
	uint8_t           buf[1024], text[300];
	size_t            n = 0, i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)('a' + i % 26);
	/* 16-bit length, mask key and payload all cut into single bytes */
	n += mkframe(buf + n, 0, WS_OP_TEXT, text, 200, 1);
	n += mkframe(buf + n, 1, WS_OP_PING, "p", 1, 1);
	n += mkframe(buf + n, 1, WS_OP_CONT, text + 200, 100, 1);
	n += mkframe(buf + n, 1, WS_OP_CLOSE,
	    "\x03\xe8"
	    "bye",
	    5, 1);
	ws_decoder_init(&d, &cb, NULL, 1, 4096);
	is_int(feed_bytewise(&d, buf, n), 0, "fed one byte at a time");
	ok(rec.n == 3, "three events");
	ok(rec.ctl[0] && rec.op[0] == WS_OP_PING && rec.len[0] == 1,
	    "bytewise: ping first");
	ok(!rec.ctl[1] && rec.op[1] == WS_OP_TEXT && rec.len[1] == 300 &&
	        memcmp(rec.data[1], text, 300) == 0,
	    "bytewise: 300-byte text");
	ok(rec.ctl[2] && rec.op[2] == WS_OP_CLOSE && rec.len[2] == 5 &&
	        memcmp(rec.data[2],
	            "\x03\xe8"
	            "bye",
	            5) == 0,
	    "bytewise: close with code and reason");
	ok(d.msg == NULL && d.msg_cap == 0, "idle decoder owns no memory");
	ws_decoder_free(&d);
	rec_clear();
}

static void
test_interleaved(void)
{
	struct ws_decoder d;
	uint8_t           buf[256];
	size_t            n = 0;

	n += mkframe(buf + n, 0, WS_OP_BINARY, "ab", 2, 0);
	n += mkframe(buf + n, 1, WS_OP_PING, "1", 1, 0);
	n += mkframe(buf + n, 0, WS_OP_CONT, "cd", 2, 0);
	n += mkframe(buf + n, 1, WS_OP_PONG, "", 0, 0);
	n += mkframe(buf + n, 1, WS_OP_CONT, "ef", 2, 0);
	n += mkframe(buf + n, 1, WS_OP_TEXT, "next", 4, 0);
	ws_decoder_init(&d, &cb, NULL, 0, 1024);
	is_int(ws_decoder_feed(&d, buf, n), 0, "controls between fragments");
	is_int(rec.n, 4, "ping, pong, message, message");
	ok(rec.op[0] == WS_OP_PING && rec.op[1] == WS_OP_PONG &&
	        rec.len[1] == 0,
	    "controls delivered as they come");
	ok(rec.op[2] == WS_OP_BINARY && rec.len[2] == 6 &&
	        memcmp(rec.data[2], "abcdef", 6) == 0,
	    "fragmented binary intact");
	is_str((char *)rec.data[3], "next", "second message in the same feed");
	ws_decoder_free(&d);
	rec_clear();
}

static void
test_empty(void)
{
	static const uint8_t empty[] = { 0x81, 0x00 };
	static const uint8_t fempty[] = { 0x02, 0x00, 0x00, 0x00, 0x80, 0x00 };
	static const uint8_t close0[] = { 0x88, 0x00 };
	struct ws_decoder    d;

	ws_decoder_init(&d, &cb, NULL, 0, 0);
	is_int(ws_decoder_feed(&d, empty, sizeof(empty)), 0,
	    "empty text with max_message 0");
	ok(rec.n == 1 && rec.len[0] == 0 && !rec.null_data,
	    "empty message delivered with a non-NULL pointer");
	ws_decoder_free(&d);
	rec_clear();

	ws_decoder_init(&d, &cb, NULL, 0, 16);
	is_int(ws_decoder_feed(&d, fempty, sizeof(fempty)), 0,
	    "empty fragmented binary");
	ok(rec.n == 1 && rec.op[0] == WS_OP_BINARY && rec.len[0] == 0 &&
	        !rec.null_data,
	    "three empty fragments, one empty message");
	is_int(ws_decoder_feed(&d, close0, sizeof(close0)), 0, "empty close");
	ok(rec.n == 2 && rec.op[1] == WS_OP_CLOSE && rec.len[1] == 0,
	    "empty close reaches on_control");
	ws_decoder_free(&d);
	rec_clear();
}

static void
test_errors(void)
{
	static const uint8_t rsv1[] = { 0xc1, 0x00 };
	static const uint8_t rsv2[] = { 0xa1, 0x00 };
	static const uint8_t rsv3[] = { 0x91, 0x00 };
	static const uint8_t op3[] = { 0x83, 0x00 };
	static const uint8_t op7[] = { 0x87, 0x00 };
	static const uint8_t opb[] = { 0x8b, 0x00 };
	static const uint8_t opf[] = { 0x8f, 0x00 };
	static const uint8_t unmasked[] = { 0x81, 0x01, 'a' };
	static const uint8_t masked[] = { 0x81, 0x81, 1, 2, 3, 4, 'a' };
	static const uint8_t ping126[] = { 0x89, 0x7e, 0x00, 0x7e };
	static const uint8_t ping_nofin[] = { 0x09, 0x00 };
	static const uint8_t cont[] = { 0x80, 0x01, 'a' };
	static const uint8_t newmsg[] = { 0x01, 0x01, 'a', 0x02, 0x01, 'b' };
	static const uint8_t top[] = { 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t big[] = { 0x82, 0x0b };
	static const uint8_t bigext[] = { 0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t bigfrag[] = { 0x02, 0x06, 1, 2, 3, 4, 5, 6, 0x80,
		0x05 };
	static const uint8_t overlong[] = { 0x81, 0x02, 0xc0, 0x80 };
	static const uint8_t surrogate[] = { 0x81, 0x03, 0xed, 0xa0, 0x80 };
	static const uint8_t toohigh[] = { 0x81, 0x04, 0xf4, 0x90, 0x80, 0x80 };
	static const uint8_t truncated[] = { 0x81, 0x02, 0xe2, 0x82 };
	static const uint8_t failfast[] = { 0x01, 0x03, 'a', 0xff, 'b' };
	static const uint8_t close1[] = { 0x88, 0x01, 0x03 };
	static const uint8_t close1005[] = { 0x88, 0x02, 0x03, 0xed };
	static const uint8_t close999[] = { 0x88, 0x02, 0x03, 0xe7 };
	static const uint8_t close1016[] = { 0x88, 0x02, 0x03, 0xf8 };
	static const uint8_t close5000[] = { 0x88, 0x02, 0x13, 0x88 };
	static const uint8_t closeutf[] = { 0x88, 0x04, 0x03, 0xe8, 0xce, 'x' };

	expect_error("RSV1", 0, 64, rsv1, sizeof(rsv1), 1002);
	expect_error("RSV2", 0, 64, rsv2, sizeof(rsv2), 1002);
	expect_error("RSV3", 0, 64, rsv3, sizeof(rsv3), 1002);
	expect_error("opcode 3", 0, 64, op3, sizeof(op3), 1002);
	expect_error("opcode 7", 0, 64, op7, sizeof(op7), 1002);
	expect_error("opcode 0xB", 0, 64, opb, sizeof(opb), 1002);
	expect_error("opcode 0xF", 0, 64, opf, sizeof(opf), 1002);
	expect_error("unmasked frame to server", 1, 64, unmasked,
	    sizeof(unmasked), 1002);
	expect_error("masked frame to client", 0, 64, masked, sizeof(masked),
	    1002);
	expect_error("ping of 126 bytes", 0, 64, ping126, sizeof(ping126),
	    1002);
	expect_error("ping without FIN", 0, 64, ping_nofin, sizeof(ping_nofin),
	    1002);
	expect_error("continuation without message", 0, 64, cont, sizeof(cont),
	    1002);
	expect_error("binary inside fragmented text", 0, 64, newmsg,
	    sizeof(newmsg), 1002);
	expect_error("64-bit length top bit", 0, UINT64_MAX, top, sizeof(top),
	    1002);
	/* only headers: 1009 must come before any payload byte */
	expect_error("11 bytes announced, max 10", 0, 10, big, sizeof(big),
	    1009);
	expect_error("4 GiB announced (64-bit)", 0, 1 << 20, bigext,
	    sizeof(bigext), 1009);
	expect_error("fragments adding up past max", 0, 10, bigfrag,
	    sizeof(bigfrag), 1009);
	expect_error("overlong UTF-8", 0, 64, overlong, sizeof(overlong), 1007);
	expect_error("UTF-16 surrogate", 0, 64, surrogate, sizeof(surrogate),
	    1007);
	expect_error("code point past U+10FFFF", 0, 64, toohigh,
	    sizeof(toohigh), 1007);
	expect_error("truncated UTF-8 at end of message", 0, 64, truncated,
	    sizeof(truncated), 1007);
	expect_error("bad UTF-8 in non-final fragment", 0, 64, failfast,
	    sizeof(failfast), 1007);
	expect_error("close of 1 byte", 0, 64, close1, sizeof(close1), 1002);
	expect_error("close code 1005", 0, 64, close1005, sizeof(close1005),
	    1002);
	expect_error("close code 999", 0, 64, close999, sizeof(close999), 1002);
	expect_error("close code 1016", 0, 64, close1016, sizeof(close1016),
	    1002);
	expect_error("close code 5000", 0, 64, close5000, sizeof(close5000),
	    1002);
	expect_error("close reason bad UTF-8", 0, 64, closeutf,
	    sizeof(closeutf), 1007);
}

static void
test_callback_stop(void)
{
	static const uint8_t two[] = { 0x81, 0x01, 'a', 0x81, 0x01, 'b' };
	struct ws_decoder    d;

	ws_decoder_init(&d, &cb, NULL, 0, 64);
	rec.stop_at = 1;
	is_int(ws_decoder_feed(&d, two, sizeof(two)), -1,
	    "callback -1 stops the feed");
	is_int(d.close_code, 0, "close_code 0 when a callback stopped");
	is_int(rec.n, 1, "no callback after the stop");
	is_int(ws_decoder_feed(&d, two, 3), -1, "decoder stays stopped");
	ws_decoder_free(&d);
	rec_clear();
}

static void
test_utf8(void)
{
	static const uint8_t euro[] = { 0x01, 0x02, 'x', 0xe2, 0x00, 0x01, 0x82,
		0x80, 0x01, 0xac };
	static const uint8_t bad[] = { 0x01, 0x01, 0xe2, 0x00, 0x01, 0x28 };
	struct ws_decoder    d;

	ws_decoder_init(&d, &cb, NULL, 0, 64);
	is_int(feed_bytewise(&d, euro, sizeof(euro)), 0,
	    "euro sign cut over three fragments");
	is_str(rec.n == 1 ? (char *)rec.data[0] : NULL, "x\xe2\x82\xac",
	    "euro sign reassembled");
	ws_decoder_free(&d);
	rec_clear();

	ws_decoder_init(&d, &cb, NULL, 0, 64);
	is_int(ws_decoder_feed(&d, bad, sizeof(bad)), -1,
	    "bad continuation in the next fragment");
	is_int(d.close_code, 1007, "split bad UTF-8: 1007 before FIN");
	ws_decoder_free(&d);
	rec_clear();

	ok(ws_utf8_valid((const uint8_t *)"", 0), "utf8: empty");
	ok(ws_utf8_valid((const uint8_t *)"\xc2\xa9\xe2\x82\xac\xf0\x9f\x98"
	                                  "\x80",
	       9),
	    "utf8: 2, 3 and 4-byte characters");
	ok(ws_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4),
	    "utf8: U+10FFFF");
	ok(ws_utf8_valid((const uint8_t *)"\xee\x80\x80", 3),
	    "utf8: U+E000 after the surrogates");
	ok(!ws_utf8_valid((const uint8_t *)"\xe0\x9f\xbf", 3),
	    "utf8: overlong 3-byte");
	ok(!ws_utf8_valid((const uint8_t *)"\xf0\x8f\xbf\xbf", 4),
	    "utf8: overlong 4-byte");
	ok(!ws_utf8_valid((const uint8_t *)"\xc1\xbf", 2),
	    "utf8: overlong 2-byte");
	ok(!ws_utf8_valid((const uint8_t *)"\xed\xbf\xbf", 3),
	    "utf8: low surrogate");
	ok(!ws_utf8_valid((const uint8_t *)"\xf5\x80\x80\x80", 4),
	    "utf8: F5 lead");
	ok(!ws_utf8_valid((const uint8_t *)"\x80", 1),
	    "utf8: lone continuation");
	ok(!ws_utf8_valid((const uint8_t *)"a\xf0\x9f\x98", 4),
	    "utf8: truncated at end");
}

static void
test_close_code_valid(void)
{
	static const uint16_t good[] = { 1000, 1001, 1002, 1003, 1007, 1008,
		1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999 };
	static const uint16_t bad[] = { 0, 999, 1004, 1005, 1006, 1015, 1016,
		2999, 5000, 65535 };
	size_t                i;
	int                   all;

	for (all = 1, i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		all &= ws_close_code_valid(good[i]);
	ok(all, "valid close codes accepted");
	for (all = 1, i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		all &= !ws_close_code_valid(bad[i]);
	ok(all, "reserved and unassigned close codes refused");
}

static void
test_close_payload(void)
{
	uint8_t out[125];
	char    longr[201];
	size_t  n;

	/* "ab" then a 3-byte euro sign: 4 bytes would cut it */
	n = ws_close_payload(out, 1001, "ab\xe2\x82\xac", 4);
	is_int(n, 4, "reason cut before a split character");
	ok(out[0] == 0x03 && out[1] == 0xe9 && memcmp(out + 2, "ab", 2) == 0,
	    "code in network order, then \"ab\"");
	n = ws_close_payload(out, 1000, "ab\xe2\x82\xac", 5);
	is_int(n, 7, "whole character kept when it fits");
	n = ws_close_payload(out, 1000, NULL, 120);
	is_int(n, 2, "no reason: code only");
	memset(longr, 'z', 200);
	longr[200] = '\0';
	n = ws_close_payload(out, 1000, longr, 200);
	is_int(n, 125, "reason capped at 123 bytes");
	n = ws_close_payload(out, 1000, longr, 120);
	is_int(n, 122, "OpenClaw's 120-byte cut");
}

static void
test_handshake(void)
{
	char acc[29], k1[25], k2[25];

	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc);
	/* the value printed in RFC 6455 section 1.3 */
	is_str(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 accept key");
	ws_client_key(k1);
	ws_client_key(k2);
	ok(strlen(k1) == 24 && k1[22] == '=' && k1[23] == '=',
	    "client key: 24 base64 characters of 16 bytes");
	ok(strcmp(k1, k2) != 0, "client keys differ");
}

static void
test_roundtrip(void)
{
	static const size_t  sizes[] = { 0, 125, 126, 65535, 65536 };
	static const size_t  hlen[] = { 6, 6, 8, 8, 14 };
	static const uint8_t key[4] = { 0xde, 0xad, 0xbe, 0xef };
	struct ws_decoder    d;
	uint8_t             *buf, *payload;
	size_t               i, k, n;
	int                  good;

	payload = malloc(65536);
	buf = malloc(65536 + 14);
	for (i = 0; i < 65536; i++)
		payload[i] = (uint8_t)(i ^ (i >> 8));
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		n = ws_frame_header(buf, 1, WS_OP_BINARY, sizes[k], key);
		is_int(n, hlen[k], "client header for %zu bytes", sizes[k]);
		memcpy(buf + n, payload, sizes[k]);
		/* masking in two pieces exercises the offset argument */
		ws_mask(buf + n, sizes[k] / 3, key, 0);
		ws_mask(buf + n + sizes[k] / 3, sizes[k] - sizes[k] / 3, key,
		    sizes[k] / 3);
		ws_decoder_init(&d, &cb, NULL, 1, 65536);
		good = ws_decoder_feed(&d, buf, n + sizes[k]) == 0 &&
		    rec.n == 1 && rec.len[0] == sizes[k] &&
		    memcmp(rec.data[0], payload, sizes[k]) == 0;
		ok(good, "round trip of %zu bytes", sizes[k]);
		ws_decoder_free(&d);
		rec_clear();
	}
	n = ws_frame_header(buf, 0, WS_OP_TEXT, 5, NULL);
	ok(n == 2 && buf[0] == 0x01 && buf[1] == 0x05,
	    "server header: no FIN, no mask");
	free(payload);
	free(buf);
}

static void
test_growth(void)
{
	struct ws_decoder d;
	uint8_t           buf[64], chunk[10];
	size_t            n, i, maxcap = 0;
	int               rv = 0;

	memset(chunk, 'q', sizeof(chunk));
	ws_decoder_init(&d, &cb, NULL, 0, 1000);
	for (i = 0; i < 100 && rv == 0; i++) {
		n = mkframe(buf, i == 99, i == 0 ? WS_OP_BINARY : WS_OP_CONT,
		    chunk, sizeof(chunk), 0);
		rv = ws_decoder_feed(&d, buf, n);
		if (d.msg_cap > maxcap)
			maxcap = d.msg_cap;
	}
	is_int(rv, 0, "100 fragments of 10 bytes");
	ok(rec.n == 1 && rec.len[0] == 1000, "1000-byte message at the limit");
	ok(maxcap <= 1000 && maxcap >= 512,
	    "buffer grew geometrically to at most max_message (%zu)", maxcap);
	ok(d.msg == NULL && d.msg_cap == 0 && d.msg_len == 0,
	    "buffer freed after delivery");
	ws_decoder_free(&d);
	rec_clear();
	ok(sizeof(struct ws_decoder) <= 256, "decoder is small (%zu bytes)",
	    sizeof(struct ws_decoder));
}

int
main(void)
{
	test_rfc_examples();
	test_lengths();
	test_bytewise();
	test_interleaved();
	test_empty();
	test_errors();
	test_callback_stop();
	test_utf8();
	test_close_code_valid();
	test_close_payload();
	test_handshake();
	test_roundtrip();
	test_growth();
	return tap_done();
}
