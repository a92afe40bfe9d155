#!/usr/bin/env python3
# Rejected handshakes (protocol.md 2.3, 2.1 timeout, 2.5 start-up gate,
# Appendix D): what is answered, and the close code and reason.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def connect_frame(params, rid="1:x"):
    return {"type": "req", "id": rid, "method": "connect", "params": params}


def only_res(msgs):
    res = [m for m in msgs if isinstance(m, dict) and m.get("type") == "res"]
    return res[0] if len(res) == 1 else {"unexpected": msgs}


with Gateway(env={"OPENCLAW_HANDSHAKE_TIMEOUT_MS": "300"}) as gw:
    gw.start()
    port = gw.port

    # -- first frame not JSON: nothing sent, close 1000 ""
    msgs, code, reason = first_frame(port, b'{"type":"req",')
    is_((msgs, code, reason), ([], 1000, ""),
        "malformed JSON first frame: nothing sent, close 1000 empty reason")
    msgs, code, reason = first_frame(port, b'\xff\xfe{}', opcode=2)
    is_((msgs, code, reason), ([], 1000, ""),
        "binary non-UTF-8 first frame: treated as malformed JSON, 1000")
    msgs, code, reason = first_frame(port, b'', opcode=1)
    is_((msgs, code, reason), ([], 1000, ""),
        "empty text first frame: malformed JSON, 1000")

    # -- JSON, but not a req frame
    for name, payload in (("array", [1, 2]),
                          ("event frame", {"type": "event", "event": "x"}),
                          ("req without id", {"type": "req",
                                              "method": "connect"}),
                          ("req with empty method", {"type": "req", "id": "a",
                                                     "method": ""}),
                          ("req with extra key", {"type": "req", "id": "a",
                                                  "method": "connect",
                                                  "bogus": 1})):
        msgs, code, reason = first_frame(port, payload)
        is_((msgs, code, reason), ([], 1008, "invalid request frame"),
            "%s: nothing sent, close 1008 invalid request frame" % name)

    # -- a valid binary frame carrying the connect JSON is read like text
    ws = WS(port)
    ws.recv()
    ws.send_frame(2, json.dumps(connect_frame(connect_params())).encode())
    try:
        res = ws.recv(3)
    except (socket.timeout, Closed) as e:
        res = {"error": repr(e)}
    is_(res.get("ok"), True, "connect in a binary frame (valid UTF-8): ok")
    ws.close()

    # -- first req is not connect
    msg = "invalid handshake: first request must be connect"
    msgs, code, reason = first_frame(port, {"type": "req", "id": "h1",
                                            "method": "health"})
    res = only_res(msgs)
    is_((res.get("id"), res.get("ok")), ("h1", False),
        "non-connect first req: one res, ok false, id echoed")
    is_(res.get("error"), {"code": "INVALID_REQUEST", "message": msg},
        "... INVALID_REQUEST " + msg)
    is_((code, reason), (1008, msg), "... then close 1008 with that text")

    # -- bad connect params: the message names the field
    def bad_params(mutate, name, want_sub):
        p = connect_params()
        mutate(p)
        msgs, code, reason = first_frame(port, connect_frame(p, "bp"))
        res = only_res(msgs)
        err = res.get("error") or {}
        is_((res.get("id"), err.get("code")), ("bp", "INVALID_REQUEST"),
            name + ": INVALID_REQUEST")
        m = err.get("message") or ""
        ok(m.startswith("invalid connect params: at /"),
           name + ": message starts 'invalid connect params: at /' (%r)" % m)
        like(m, want_sub, name + ": message names the field")
        is_(code, 1008, name + ": close 1008")
        ok(reason is not None and len(reason.encode()) <= 120,
           name + ": close reason <= 120 bytes")
        ok(reason is not None and m.encode()[:len(reason.encode())] ==
           reason.encode(), name + ": reason is the message (truncated)")
        return m, reason

    bad_params(lambda p: p["client"].__setitem__("mode", "operator"),
               "client.mode operator", "/client/mode")
    bad_params(lambda p: p["client"].__setitem__("id", "ios-node"),
               "client.id ios-node", "/client/id")
    bad_params(lambda p: p.__setitem__("transports", ["websocket"]),
               "extra key transports", "transports")
    bad_params(lambda p: p.pop("minProtocol"), "missing minProtocol",
               "minProtocol")
    bad_params(lambda p: p.__setitem__("minProtocol", "4"),
               "minProtocol a string", "/minProtocol")
    bad_params(lambda p: p["client"].pop("version"),
               "missing client.version", "version")
    bad_params(lambda p: p.__setitem__("auth", {"token": "test-token",
                                                "approvalRuntimeTokn": "x"}),
               "unknown auth key", "approvalRuntimeTokn")
    m, reason = bad_params(lambda p: p.__setitem__("k" * 300, 1),
                           "long unknown key", "kkkk")
    ok(len(m.encode()) > 120 and len(reason.encode()) == 120,
       "long message: reason truncated to exactly 120 bytes")
    m, reason = bad_params(lambda p: p.__setitem__("\u00e9" * 200, 1),
                           "long multi-byte key", "\u00e9\u00e9")
    ok(len(reason.encode()) in (119, 120) and
       "\ufffd" not in reason, "multi-byte reason cut on a UTF-8 boundary")
    msgs, code, reason = first_frame(port, {"type": "req", "id": "np",
                                            "method": "connect"})
    res = only_res(msgs)
    like((res.get("error") or {}).get("message"), "invalid connect params",
         "connect without params: invalid connect params")
    is_(code, 1008, "... close 1008")

    # -- worker identity: nothing sent, 1008 invalid-handshake
    for name, mut in (("role worker", lambda p: p.__setitem__("role",
                                                               "worker")),
                      ("client.id openclaw-worker",
                       lambda p: p["client"].__setitem__("id",
                                                         "openclaw-worker")),
                      ("client.mode worker",
                       lambda p: p["client"].__setitem__("mode", "worker"))):
        p = connect_params()
        mut(p)
        msgs, code, reason = first_frame(port, connect_frame(p))
        is_((msgs, code, reason), ([], 1008, "invalid-handshake"),
            name + ": nothing sent, close 1008 invalid-handshake")

    # -- unknown role
    msgs, code, reason = first_frame(port, connect_frame(
        connect_params(role="admin"), "r"))
    res = only_res(msgs)
    is_(res.get("error"), {"code": "INVALID_REQUEST",
                           "message": "invalid role"},
        "role admin: INVALID_REQUEST invalid role")
    is_((code, reason), (1008, "invalid role"), "... close 1008 invalid role")

    # -- a frame over 64 KiB before auth
    big = connect_params()
    big["userAgent"] = "x" * 70000
    msgs, code, reason = first_frame(port, connect_frame(big))
    is_((msgs, code, reason), ([], 1009, "preauth payload too large"),
        "first frame > 64 KiB: close 1009 preauth payload too large")
    # the header alone is enough: the server does not wait for the payload
    ws = WS(port)
    ws.recv()
    ws.send_raw(struct.pack("!BBQ", 0x81, 0xFF, 65537) + os.urandom(4))
    t0 = time.time()
    msgs, code, reason = drain_until_close(ws, 3)
    is_((code, reason), (1009, "preauth payload too large"),
        "header announcing 65537 bytes: 1009 at once")
    ok(time.time() - t0 < 1.5, "... without waiting for the payload")
    ws.close()
    # exactly 64 KiB is still allowed (it fails later as a bad frame)
    pad = connect_frame(connect_params())
    raw = json.dumps(pad).encode()
    raw = raw[:-1] + b" " * (65536 - len(raw)) + b"}"
    ws = WS(port)
    ws.recv()
    ws.send_frame(1, raw)
    try:
        res = ws.recv(3)
    except (socket.timeout, Closed) as e:
        res = {"error": repr(e)}
    is_((len(raw), res.get("ok")), (65536, True),
        "first frame of exactly 64 KiB accepted")
    ws.close()

    # -- handshake timeout (300 ms here)
    ws = WS(port)
    ws.recv()
    t0 = time.time()
    msgs, code, reason = drain_until_close(ws, 3)
    took = time.time() - t0
    is_((msgs, code, reason), ([], 1000, ""),
        "no connect within the handshake timeout: close 1000, empty reason")
    ok(0.15 < took < 2.0, "... after about 300 ms (%.2fs)" % took)
    ws.close()
    # an authenticated socket is not affected by the handshake timer
    ws = operator(gw)
    time.sleep(0.5)
    r = ws.request("health", timeout=2)
    is_(r.get("ok"), True, "authenticated socket outlives the timeout")
    ws.close()

    # -- after a rejection the gateway is still fine
    ws = operator(gw)
    is_(ws.hello.get("type"), "hello-ok", "normal connect still works")
    ws.close()

# -- start-up phase: connect answered UNAVAILABLE, 1013
with Gateway(env={"OPENCLAW_STARTUP_DELAY_MS": "1500"}) as gw:
    t0 = time.time()
    gw.start(wait=False)

    def live():
        try:
            return http_get(gw.port, "/healthz", timeout=1)[0] == 200
        except OSError:
            return False
    ok(wait_for(live, 5), "/healthz live during start-up")
    st, _, body = http_get(gw.port, "/readyz")
    is_(st, 503, "/readyz 503 while starting")
    is_(json.loads(body).get("ready"), False, "/readyz ready false")
    st, _, body = http_get(gw.port, "/startupz")
    is_(st, 503, "/startupz 503 while starting")
    is_(json.loads(body).get("status"), "starting",
        "/startupz status starting")
    ok(time.time() - t0 < 1.2, "(checked within the start-up delay)")
    ws, res = handshake(gw)
    err = res.get("error") or {}
    is_((res.get("ok"), err.get("code"), err.get("message")),
        (False, "UNAVAILABLE", "gateway starting; retry shortly"),
        "connect while starting: UNAVAILABLE gateway starting")
    is_(err.get("retryable"), True, "... retryable")
    is_(err.get("retryAfterMs"), 500, "... retryAfterMs 500")
    is_((err.get("details") or {}).get("reason"), "startup-sidecars",
        "... details.reason startup-sidecars")
    is_(ws.expect_close(), (1013, "gateway starting"),
        "... close 1013 gateway starting")
    ws.close()
    ok(gw.wait_ready(), "then ready")
    ws = operator(gw)
    is_(ws.hello.get("type"), "hello-ok", "connect works once ready")
    ws.close()
    st, _, body = http_get(gw.port, "/startupz")
    is_((st, json.loads(body).get("status")), (200, "started"),
        "/startupz 200 started")

done_testing()
