/*
 * A small synchronous WebSocket client (RFC 6455, client side): one
 * non-blocking socket driven with poll() and deadlines, no event loop.
 * Used by the CLI's RPC client (cli/rpc-client.c) and by
 * bench/bench-hello; bench/loadgen has its own event-driven connections.
 * The caller owns the struct ws_client (ws_client_free) and the client
 * owns its socket and every message it returns.
 *
 * Only ws:// is supported (wss:// is refused with a message: no TLS).  No
 * Origin header is sent: a CLI is not a browser, and the gateway applies
 * its origin checks to browsers.
 */
#ifndef CLI_WS_CLIENT_H
#define CLI_WS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* The gateway's WS_MAX_PAYLOAD (workers/ws/ws.h, hello's maxPayload). */
#define WS_CLIENT_MAX_MESSAGE (25 * 1024 * 1024)
/* How long ws_client_close waits for the server's close frame. */
#define WS_CLIENT_CLOSE_GRACE_MS 1000

/* ws_client_recv results */
#define WS_CLIENT_MSG     0    /* a data message was returned */
#define WS_CLIENT_ERROR   (-1) /* transport or protocol error */
#define WS_CLIENT_TIMEOUT (-2) /* nothing before the deadline */
#define WS_CLIENT_CLOSED  (-3) /* the peer closed; see close code */

struct ws_client;

/*
 * Parse ws://host[:port][/path], resolve, connect and upgrade, all within
 * timeout_ms (< 0: no limit).  On failure returns NULL with a one-line
 * message in err, e.g. "cannot connect to ws://127.0.0.1:1: Connection
 * refused".
 */
struct ws_client *
ws_client_connect(const char *url, int timeout_ms, char *err, size_t errlen);

/*
 * Send one masked text (or binary, ping, ...) frame.  Sends block for at
 * most the send timeout (default: the connect timeout).  0 or -1 (also
 * once our close frame is out, or for a control frame over 125 bytes).
 */
int  ws_client_send_text(struct ws_client *, const void *data, size_t len);
int  ws_client_send_frame(struct ws_client *, int opcode, const void *data,
     size_t len);
void ws_client_set_send_timeout(struct ws_client *, int timeout_ms);

/*
 * Wait up to timeout_ms (< 0: no limit) for the next data message.
 * Pings are answered and pongs dropped on the way.  On WS_CLIENT_MSG,
 * *data points to len bytes (NUL-terminated, owned by the client, valid
 * until the next ws_client_recv or ws_client_free).  On WS_CLIENT_CLOSED
 * the close code and reason are available (1005: close frame without a
 * code; 1006: the connection ended without a close frame).
 */
int ws_client_recv(struct ws_client *, int timeout_ms, int *opcode,
    const char **data, size_t *len);

uint16_t    ws_client_close_code(const struct ws_client *);
const char *ws_client_close_reason(const struct ws_client *);
/* The last error ("" if none): for WS_CLIENT_ERROR and failed sends. */
const char *ws_client_error(const struct ws_client *);

/*
 * Start the closing handshake (code 0: no code) and wait a little for
 * the server's reply; the socket stays open until ws_client_free.  -1 if
 * the connection had already failed; a second call does nothing.
 */
int  ws_client_close(struct ws_client *, uint16_t code, const char *reason);
void ws_client_free(struct ws_client *);

#endif
