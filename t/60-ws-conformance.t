#!/usr/bin/env python3
# RFC 6455 conformance driven with raw bytes, each case on a fresh socket:
# fragmented messages with control frames interleaved (before and after
# auth), the close handshake, every invalid close code, invalid UTF-8
# (split across fragments, overlong, surrogates, past U+10FFFF), every RSV
# bit and reserved opcode, oversize and fragmented control frames, a
# header trickled in one byte per TCP segment, and a 64-bit length with
# the top bit set.  After every violation the server must send the close
# code and then close the TCP connection itself (EOF within 2 s).
# (t/25 holds the size limits and outbound buffering.)
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def frame16(opcode, payload, fin=True):
    """A masked frame using the 16-bit length form whatever its size."""
    mk = os.urandom(4)
    return struct.pack("!BBH", (0x80 if fin else 0) | opcode, 0x80 | 126,
                       len(payload)) + mk + \
        bytes(b ^ mk[i % 4] for i, b in enumerate(payload))


def frame64(opcode, payload, fin=True):
    """A masked frame using the 64-bit length form whatever its size."""
    mk = os.urandom(4)
    return struct.pack("!BBQ", (0x80 if fin else 0) | opcode, 0x80 | 127,
                       len(payload)) + mk + \
        bytes(b ^ mk[i % 4] for i, b in enumerate(payload))


def req(rid, method="health", params=None):
    f = {"type": "req", "id": rid, "method": method}
    if params is not None:
        f["params"] = params
    return json.dumps(f).encode()


def fragments(data, n):
    """data cut into n non-empty pieces."""
    step = max(1, len(data) // n)
    cuts = [i * step for i in range(n)] + [len(data)]
    return [data[cuts[i]:cuts[i + 1]] for i in range(n)]


def frames_until_eof(ws, timeout):
    """Read frames without answering anything until EOF: (frames, close
    code, close reason, seconds until EOF or None if no EOF)."""
    t0 = time.time()
    out, code, reason = [], None, None
    end = t0 + timeout
    while time.time() < end:
        try:
            b0, p = ws.read_frame(max(0.05, end - time.time()))
        except socket.timeout:
            continue
        except Closed:            # EOF
            return out, code, reason, time.time() - t0
        except OSError:           # reset: also the server closing
            return out, code, reason, time.time() - t0
        op = b0 & 0x0F
        if op == 8:
            code, reason = close_code_of(p), p[2:]
        out.append((op, p))
    return out, code, reason, None


def _violation_run(port, token, data, authed, trickle):
    """Send data on a fresh socket: (close code, reason, EOF seen, seconds
    from the send to EOF, error)."""
    try:
        if authed:
            ws = operator(port)
        else:
            ws = WS(port)
            ws.recv()           # the challenge
    except Exception as e:      # reported, not raised: runs in a thread
        return None, None, False, None, repr(e)
    t0 = time.time()
    if trickle:
        ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            try:
                ws.sock.sendall(data[i:i + 1])
            except OSError:
                break
            time.sleep(0.002)
    else:
        try:
            ws.send_raw(data)
        except OSError:
            pass
    frames, code, reason, eof = frames_until_eof(ws, 3)
    ws.close()
    return code, reason, eof is not None, \
        None if eof is None else time.time() - t0, None


_cases = []


def violation(gw, data, want, name, authed=True, trickle=False):
    """Queue a case: data on a fresh socket must make the server close
    with want and then close TCP within 2 s.  run_violations() runs the
    queue in parallel (each case waits up to the server's close grace)."""
    _cases.append((data, want, name, authed, trickle))


def run_violations(gw):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(16) as ex:
        futs = [ex.submit(_violation_run, gw.port, gw.token, d, a, t)
                for d, w, n, a, t in _cases]
        results = [f.result() for f in futs]
    eofs = []
    for (data, want, name, authed, trickle), res in zip(_cases, results):
        code, reason, eof, dt, err = res
        if err:
            diag("%s: %s" % (name, err))
        is_(code, want, "%s: close %s" % (name, want))
        ok(eof and dt < 2.0, "%s: then the server closes TCP (%s)" %
           (name, "%.2f s" % dt if dt is not None else "no EOF"))
        ok(reason is None or (len(reason) <= 123 and ws_utf8_ok(reason)),
           "%s: close reason is UTF-8 and fits a control frame" % name)
        if dt is not None:
            eofs.append(dt)
    if eofs:
        eofs.sort()
        diag("EOF after a violation: min %.3f s, median %.3f s, max %.3f s"
             % (eofs[0], eofs[len(eofs) // 2], eofs[-1]))
    del _cases[:]


def ws_utf8_ok(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def read_for(ws, pred_done, timeout=3):
    """Frames until pred_done(list) or timeout; answers nothing."""
    out = []
    end = time.time() + timeout
    try:
        while not pred_done(out) and time.time() < end:
            out.append(ws.recv_frame(max(0.05, end - time.time())))
    except (socket.timeout, Closed, OSError) as e:
        diag("read_for: %r" % (e,))
    return out


def res_of(frames, rid):
    for op, p in frames:
        if op == 1:
            m = json.loads(p)
            if m.get("type") == "res" and m.get("id") == rid:
                return m
    return None


def pongs(frames):
    return [p for op, p in frames if op == 10]


with Gateway() as gw:
    gw.start()

    # ------------------------------------------------ fragmented + control
    ws = operator(gw)
    body = req("frag3")
    parts = fragments(body, 4)
    ping1, ping2 = os.urandom(125), b""
    data = WS.frame(1, parts[0], fin=False) + WS.frame(9, ping1) + \
        WS.frame(0, parts[1], fin=False) + \
        WS.frame(10, b"unsolicited pong") + \
        WS.frame(0, parts[2], fin=False) + WS.frame(9, ping2) + \
        WS.frame(0, parts[3], fin=True)
    ws.send_raw(data)
    fr = read_for(ws, lambda f: res_of(f, "frag3") is not None)
    is_(pongs(fr), [ping1, ping2], "4 fragments with ping, pong, ping "
        "between them: both pings answered with their payload (125 random "
        "bytes, empty), in order")
    r = res_of(fr, "frag3")
    ok(r and r.get("ok") is True, "the fragmented health request is "
       "answered")
    order = [op for op, _ in fr]
    ok(order.index(10) < order.index(1) if 1 in order and 10 in order
       else False, "pong before the response (control frames are not held "
       "behind the message)")
    # fragments of one byte each, and empty fragments in the middle
    body = req("tiny")
    data = WS.frame(1, body[:1], fin=False)
    for i in range(1, len(body)):
        data += WS.frame(0, body[i:i + 1], fin=False)
        if i % 10 == 0:
            data += WS.frame(0, b"", fin=False)
    data += WS.frame(0, b"", fin=True)
    ws.send_raw(data)
    fr = read_for(ws, lambda f: res_of(f, "tiny") is not None)
    r = res_of(fr, "tiny")
    ok(r and r.get("ok"), "a message of %d one-byte fragments, empty ones "
       "between them and an empty final one: answered" % len(body))
    # a binary message split across fragments is read like text
    body = req("bin")
    ws.send_raw(WS.frame(2, body[:10], fin=False) +
                WS.frame(0, body[10:20], fin=False) +
                WS.frame(0, body[20:]))
    fr = read_for(ws, lambda f: res_of(f, "bin") is not None)
    r = res_of(fr, "bin")
    ok(r and r.get("ok"), "a fragmented binary message carrying a request "
       "is answered")
    # ping on its own: payload echoed, also when it is not UTF-8
    for payload in (b"", b"\xff\xfe\x00\x80", b"p" * 125):
        ws.send_frame(9, payload)
        fr = read_for(ws, lambda f: pongs(f))
        is_(pongs(fr)[:1], [payload], "ping of %d bytes: pong echoes it" %
            len(payload))
    is_(ws.request("health").get("ok"), True, "the socket still works")
    ws.close()

    # before auth: connect split across fragments with a ping between
    ws = WS(gw.port)
    ch = ws.recv()
    is_(ch.get("event"), "connect.challenge", "pre-auth: challenge")
    body = req("1:conn", "connect", connect_params())
    parts = fragments(body, 5)
    data = WS.frame(1, parts[0], fin=False)
    for i, p in enumerate(parts[1:]):
        if i == 1:
            data += WS.frame(9, b"before-auth")
        if i == 2:
            data += WS.frame(10, b"")
        data += WS.frame(0, p, fin=(i == len(parts) - 2))
    ws.send_raw(data)
    fr = read_for(ws, lambda f: res_of(f, "1:conn") is not None)
    is_(pongs(fr), [b"before-auth"], "pre-auth: a ping between connect's "
        "fragments is answered")
    r = res_of(fr, "1:conn")
    ok(r and r.get("ok") and r["payload"].get("type") == "hello-ok",
       "pre-auth: connect in 5 fragments -> hello-ok")
    ws.send_raw(WS.frame(1, req("after")[:7], fin=False) +
                WS.frame(0, req("after")[7:]))
    fr = read_for(ws, lambda f: res_of(f, "after") is not None)
    ok((res_of(fr, "after") or {}).get("ok"), "and then a fragmented "
       "request is answered")
    ws.close()

    # frames in the same write as the upgrade request (read by the ws
    # worker from the hand-off, before its socket is even watched)
    body = req("1:early", "connect", connect_params())
    parts = fragments(body, 3)
    early = WS.frame(1, parts[0], fin=False) + WS.frame(9, b"early") + \
        WS.frame(0, parts[1], fin=False) + WS.frame(0, parts[2])
    ws = WS(gw.port, extra=early)
    is_(ws.status, 101, "upgrade with a fragmented connect and a ping in "
        "the same write: 101")
    fr = read_for(ws, lambda f: res_of(f, "1:early") is not None)
    evs = [json.loads(p).get("event") for op, p in fr if op == 1]
    is_(evs[:1], ["connect.challenge"], "... the challenge comes first")
    is_(pongs(fr), [b"early"], "... the ping is answered")
    ok(((res_of(fr, "1:early") or {}).get("payload") or {}).get("type") ==
       "hello-ok", "... and the connect gets hello-ok")
    ws.close()
    ws = WS(gw.port, extra=WS.frame(1, b"{}", mask=False))
    frames, code, reason, eof = frames_until_eof(ws, 3)
    is_(code, 1002, "upgrade followed by an unmasked frame in the same "
        "write: close 1002")
    ok(eof is not None and eof < 2.0, "... then EOF")
    ws.close()
    ws = WS(gw.port, extra=WS.frame(8, struct.pack("!H", 1000)))
    frames, code, reason, eof = frames_until_eof(ws, 3)
    is_(code, 1000, "upgrade followed by a close in the same write: close "
        "echoed")
    ok(eof is not None and eof < 1.0, "... then EOF at once")
    ws.close()

    # ------------------------------------------------ close handshake
    ws = operator(gw)
    t0 = time.time()
    ws.send_frame(8, struct.pack("!H", 1000) + b"done")
    frames, code, reason, eof = frames_until_eof(ws, 3)
    is_(code, 1000, "client close 1000: server echoes close 1000")
    is_([op for op, _ in frames], [8], "... and sends nothing after it")
    ok(eof is not None and eof < 1.0, "... and closes TCP at once "
       "(%s s)" % (None if eof is None else "%.3f" % eof))
    ws.close()
    # a close arriving while a fragmented message is open is a control
    # frame like any other: echoed, the message dropped
    ws = operator(gw)
    ws.send_raw(WS.frame(1, b'{"type":"req",', fin=False) +
                WS.frame(8, struct.pack("!H", 1001)))
    frames, code, reason, eof = frames_until_eof(ws, 3)
    is_(code, 1001, "close inside a fragmented message: echoed (1001)")
    ok(eof is not None and eof < 1.0, "... TCP closed at once")
    ws.close()
    # data after the close frame is ignored
    ws = operator(gw)
    ws.send_raw(WS.frame(8, struct.pack("!H", 1000)) + req_bytes(
        "health", rid="late"))
    frames, code, reason, eof = frames_until_eof(ws, 3)
    is_(code, 1000, "close followed by a request: close echoed")
    ok(res_of(frames, "late") is None, "... the request after it is "
       "not answered")
    ws.close()

    # ------------------------------------------------ invalid close codes
    for c in (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000,
              65535):
        violation(gw, WS.frame(8, struct.pack("!H", c)), 1002,
                  "close code %d on the wire" % c)
    violation(gw, WS.frame(8, b"\x03"), 1002, "close payload of 1 byte")
    violation(gw, WS.frame(8, struct.pack("!H", 1000) + b"ok \xc3\x28"), 1007,
              "close reason with invalid UTF-8")
    violation(gw, WS.frame(8, struct.pack("!H", 1000) + b"\xed\xa0\x80"),
              1007, "close reason with a surrogate")

    # ------------------------------------------------ invalid UTF-8
    violation(gw, WS.frame(1, b'{"type":"req","id":"a', fin=False) +
              WS.frame(0, b'b\xff', fin=False) + WS.frame(0, b'c"}'), 1007,
              "invalid byte in the 2nd of 3 text fragments")
    # fail fast: the bad byte is final, no need to wait for the message end
    violation(gw, WS.frame(1, b'{"a":"', fin=False) +
              WS.frame(0, b'\xc3\x28', fin=False), 1007,
              "invalid UTF-8 in an unfinished fragmented message "
              "(fail fast)")
    for seq, what in ((b"\xc0\xaf", "overlong 2-byte '/'"),
                      (b"\xc1\xbf", "overlong 2-byte (C1)"),
                      (b"\xe0\x80\xaf", "overlong 3-byte '/'"),
                      (b"\xe0\x9f\xbf", "overlong 3-byte U+07FF"),
                      (b"\xf0\x80\x80\xaf", "overlong 4-byte '/'"),
                      (b"\xf0\x8f\xbf\xbf", "overlong 4-byte U+FFFF"),
                      (b"\xed\xa0\x80", "surrogate U+D800"),
                      (b"\xed\xbf\xbf", "surrogate U+DFFF"),
                      (b"\xed\xa0\xbd\xed\xb8\x80", "surrogate pair (CESU-8)"),
                      (b"\xf4\x90\x80\x80", "code point U+110000"),
                      (b"\xf5\x80\x80\x80", "lead byte F5"),
                      (b"\xfe", "byte FE"),
                      (b"\x80", "lone continuation byte")):
        violation(gw, WS.frame(1, b'{"a":"' + seq + b'"}'), 1007,
                  "text with %s" % what)
    # a sequence cut by the fragment boundary, then invalid
    violation(gw, WS.frame(1, b'{"a":"\xe2\x82', fin=False) +
              WS.frame(0, b'\x28"}'), 1007,
              "3-byte sequence broken across the fragment boundary")
    # the same bytes, valid, across fragments: accepted (control case)
    ws = operator(gw)
    m = req("u8", "health", {"x": "\u20ac\U0001F600"})
    m = m.replace(b"\\u20ac", "\u20ac".encode()).replace(
        b"\\ud83d\\ude00", "\U0001F600".encode())
    i = m.index("\U0001F600".encode()) + 2
    ws.send_raw(WS.frame(1, m[:i], fin=False) + WS.frame(0, m[i:]))
    fr = read_for(ws, lambda f: res_of(f, "u8") is not None)
    ok(res_of(fr, "u8") is not None, "a valid 4-byte sequence cut in the "
       "middle by a fragment boundary is accepted")
    ws.close()
    # invalid UTF-8 before auth too
    violation(gw, WS.frame(1, b'{"type":"req",', fin=False) +
              WS.frame(0, b'"id":"\xed\xa0\x80"}'), 1007,
              "pre-auth: surrogate in the 2nd fragment", authed=False)

    # ------------------------------------------------ framing errors
    violation(gw, WS.frame(1, req("u"), mask=False), 1002,
              "unmasked client frame")
    violation(gw, WS.frame(9, b"x", mask=False), 1002,
              "unmasked client ping")
    violation(gw, WS.frame(1, req("u"), mask=False), 1002,
              "pre-auth: unmasked client frame", authed=False)
    for rsv, bit in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3"), (7, "all RSV")):
        violation(gw, WS.frame(1, req("r"), rsv=rsv), 1002, "%s set" % bit)
    violation(gw, WS.frame(9, b"", rsv=4), 1002, "RSV1 on a ping")
    violation(gw, WS.frame(1, b"{", fin=False) + WS.frame(0, b"}", rsv=2),
              1002, "RSV2 on a continuation frame")
    for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        violation(gw, WS.frame(op, b"{}"), 1002, "reserved opcode %d" % op)
    violation(gw, WS.frame(1, b"{", fin=False) + WS.frame(5, b"x"), 1002,
              "reserved opcode 5 inside a fragmented message")
    violation(gw, frame16(9, b"x" * 126), 1002, "ping of 126 bytes")
    violation(gw, frame16(10, b"x" * 126), 1002, "pong of 126 bytes")
    violation(gw, frame16(8, struct.pack("!H", 1000) + b"r" * 124), 1002,
              "close of 126 bytes")
    violation(gw, frame64(9, b"x" * 200), 1002,
              "ping announcing 200 bytes in the 64-bit form")
    violation(gw, frame_header(0x89, 126), 1002, "ping header announcing 126 bytes, "
              "no payload sent (refused on the header)")
    violation(gw, WS.frame(9, b"x", fin=False), 1002,
              "ping without FIN")
    violation(gw, WS.frame(8, struct.pack("!H", 1000), fin=False), 1002,
              "close without FIN")
    violation(gw, WS.frame(0, b"{}"), 1002, "continuation with no message")
    violation(gw, WS.frame(0, b"{}", fin=False), 1002,
              "unfinished continuation with no message")
    violation(gw, WS.frame(1, b"{", fin=False) + WS.frame(1, b"}"), 1002,
              "new text frame while a fragmented message is open")
    violation(gw, WS.frame(1, b"{", fin=False) + WS.frame(2, b"}"), 1002,
              "new binary frame while a fragmented text message is open")
    violation(gw, WS.frame(1, req("x")) + WS.frame(0, b"}"), 1002,
              "continuation after a complete message")
    violation(gw, WS.frame(1, b"{", fin=False) + WS.frame(1, b"}"), 1002,
              "pre-auth: new text frame inside a fragmented one",
              authed=False)
    violation(gw, struct.pack("!BBQ", 0x81, 0xFF, 1 << 63) + os.urandom(4),
              1002, "64-bit length with the top bit set")
    violation(gw, struct.pack("!BBQ", 0x81, 0xFF, 0xFFFFFFFFFFFFFFFF) +
              os.urandom(4), 1002, "64-bit length of 2^64-1")
    violation(gw, struct.pack("!BBQ", 0x81, 0xFF, 1 << 63) + os.urandom(4),
              1002, "pre-auth: 64-bit length with the top bit set",
              authed=False)
    violation(gw, struct.pack("!BBQ", 0x82, 0xFF, 1 << 63), 1002,
              "64-bit length with the top bit set, trickled byte by byte",
              trickle=True)

    run_violations(gw)

    # ------------------------------------------------ trickled headers
    def trickle(ws, data, header_len, chunk=7, pause=0.003):
        """Header one byte per TCP segment, then the payload in chunks."""
        ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(header_len):
            ws.sock.sendall(data[i:i + 1])
            time.sleep(pause)
        for i in range(header_len, len(data), chunk):
            ws.sock.sendall(data[i:i + chunk])
            time.sleep(pause)

    ws = operator(gw)
    body = req("t7")
    trickle(ws, WS.frame(1, body), 6, chunk=1)
    fr = read_for(ws, lambda f: res_of(f, "t7") is not None)
    ok((res_of(fr, "t7") or {}).get("ok"), "a whole frame (7-bit length) "
       "sent one byte per segment: answered")
    body = req("t16", "health", {"probe": False}) + b" " * 200
    trickle(ws, frame16(1, body), 8)
    fr = read_for(ws, lambda f: res_of(f, "t16") is not None)
    ok((res_of(fr, "t16") or {}).get("ok"), "16-bit length form, the "
       "8 header bytes one per segment: answered")
    body = req("t64") + b" " * 50
    trickle(ws, frame64(1, body), 14)
    fr = read_for(ws, lambda f: res_of(f, "t64") is not None)
    ok((res_of(fr, "t64") or {}).get("ok"), "64-bit length form, the "
       "14 header bytes one per segment: answered")
    # a ping trickled between two fragments of a message
    body = req("tp")
    data = WS.frame(1, body[:12], fin=False) + WS.frame(9, b"tp-ping") + \
        WS.frame(0, body[12:])
    ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        ws.sock.sendall(data[i:i + 1])
        time.sleep(0.001)
    fr = read_for(ws, lambda f: res_of(f, "tp") is not None)
    is_(pongs(fr), [b"tp-ping"], "everything trickled, ping between "
        "fragments: pong")
    ok((res_of(fr, "tp") or {}).get("ok"), "... and the message answered")
    ws.close()
    # before auth, trickled connect
    ws = WS(gw.port)
    ws.recv()
    trickle(ws, WS.frame(1, req("1:tc", "connect", connect_params())), 8,
            chunk=64, pause=0.001)
    fr = read_for(ws, lambda f: res_of(f, "1:tc") is not None)
    ok(((res_of(fr, "1:tc") or {}).get("payload") or {}).get("type") ==
       "hello-ok", "pre-auth: connect with its header trickled -> hello-ok")
    ws.close()

    # the gateway is fine after all of it
    ws = operator(gw)
    is_(ws.request("health").get("ok"), True, "gateway fine afterwards")
    ws.close()
    ok(gw.proc.poll() is None, "master still running")

done_testing()
