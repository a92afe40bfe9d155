/*
 * RFC 6455 frame codec: an incremental decoder modelled on wslay's state
 * machine (header, extended length, mask, payload; never assumes a whole
 * frame is buffered) and a stateless encoder.  No libevent here, so the
 * fuzzer and the unit tests drive it with plain byte arrays.
 *
 * An idle decoder owns no heap memory: the reassembly buffer is allocated
 * when a data message starts and freed when it is delivered.
 */
#ifndef COMMON_WS_FRAME_H
#define COMMON_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* Close codes the decoder reports (RFC 6455 section 7.4.1). */
#define WS_CLOSE_NORMAL    1000
#define WS_CLOSE_PROTOCOL  1002
#define WS_CLOSE_BAD_DATA  1007
#define WS_CLOSE_POLICY    1008
#define WS_CLOSE_TOO_BIG   1009
#define WS_CLOSE_RESTART   1012
#define WS_CLOSE_TRY_LATER 1013

struct ws_decoder_cb {
	/*
	 * A complete data message (text or binary), reassembled from its
	 * fragments and unmasked.  Text is already checked to be valid UTF-8.
	 * Return 0 to go on, -1 to stop decoding (ws_decoder_feed returns -1
	 * with close_code 0).
	 */
	int (*on_message)(void *arg, int opcode, const uint8_t *data,
	    size_t len);
	/*
	 * A control frame (close, ping, pong), unmasked, len <= 125.  Control
	 * frames may arrive between the fragments of a data message.  For
	 * close, the payload was checked: empty, or a valid code followed by
	 * valid UTF-8.  Same return convention as on_message.
	 */
	int (*on_control)(void *arg, int opcode, const uint8_t *data,
	    size_t len);
};

struct ws_decoder {
	/* configuration, set by the owner before the first feed */
	const struct ws_decoder_cb *cb;
	void                       *arg;
	uint64_t max_message; /* > this many payload bytes: 1009 */
	uint8_t  server;      /* 1: frames must be masked; 0: must not */

	/* result of the last failed feed */
	uint16_t    close_code; /* 1002, 1007 or 1009 */
	const char *error;      /* static string, for logs */

	/*
	 * private state: header fields are decoded byte by byte as they
	 * arrive, so no raw header copy is kept (the mask bit always equals
	 * "server" once accepted)
	 */
	uint8_t  state;
	uint8_t  hdr_need; /* extended length or mask bytes due */
	uint8_t  opcode;   /* of the frame being read */
	uint8_t  fin;
	uint8_t  mask[4];
	uint8_t  msg_opcode; /* of the message being assembled, 0 if none */
	uint8_t  utf8_state; /* DFA state, kept across fragments */
	uint8_t  ctl[125];   /* control frame payload */
	uint64_t frame_len;
	uint64_t frame_pos;
	uint8_t *msg; /* reassembly buffer (heap) */
	size_t   msg_len;
	size_t   msg_cap;
};

/* Set the configuration and zero the state. */
void ws_decoder_init(struct ws_decoder *, const struct ws_decoder_cb *,
    void *arg, int server, uint64_t max_message);
/* Free the reassembly buffer, if any. */
void ws_decoder_free(struct ws_decoder *);
/*
 * Feed len bytes.  Returns 0 when every byte was consumed (callbacks ran
 * for each completed message), -1 on a protocol error (close_code and
 * error set; the connection must be closed with that code) or when a
 * callback returned -1 (close_code 0).
 */
int ws_decoder_feed(struct ws_decoder *, const uint8_t *buf, size_t len);

/*
 * Write a frame header into out (at most 14 bytes) and return its length.
 * mask is NULL for server frames; client frames pass 4 mask bytes and must
 * mask the payload with ws_mask().
 */
size_t ws_frame_header(uint8_t out[14], int fin, int opcode, uint64_t len,
    const uint8_t *mask);
/* XOR data with mask, starting at byte offset off of the payload. */
void ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t off);
/*
 * Build a close payload: code in network order and reason truncated to
 * at most max_reason bytes (cut on a UTF-8 character boundary; 123 is the
 * protocol limit, OpenClaw cuts at 120).  Returns the payload length.
 */
size_t ws_close_payload(uint8_t out[125], uint16_t code, const char *reason,
    size_t max_reason);
/* 1 if data is complete, valid UTF-8. */
int ws_utf8_valid(const uint8_t *data, size_t len);
/* 1 if code may be sent in a close frame by a peer (RFC 6455 7.4). */
int ws_close_code_valid(uint16_t code);

/* Looks the digest up now rather than at the first handshake. */
int ws_handshake_init(void);
/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: 28 characters + NUL. */
void ws_accept_key(const char *key, char out[29]);
/* A fresh random Sec-WebSocket-Key (client mode): 24 characters + NUL. */
void ws_client_key(char out[25]);

#endif
