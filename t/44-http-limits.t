#!/usr/bin/env python3
# HTTP/1.1 limits on the main port: head at most 16 KiB and 100 fields
# (431), complete within 10 s of its first byte (408, the timer is not reset
# per byte), keep-alive and pipelining, request smuggling guards (400).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def status_of(raw):
    r = http_responses(raw)
    return r[0][0] if r else None


def one(gw, data, timeout=5):
    return status_of(http_raw(gw.port, data, timeout=timeout, lenient=True))


GET = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"

with Gateway() as gw:
    gw.start()

    # ------------------------------------------------------------ sizes
    def head_of(size):
        """A complete head of exactly size bytes (final CRLF included)."""
        base = GET + b"Connection: close\r\nX-Pad: \r\n\r\n"
        return base.replace(b"X-Pad: ", b"X-Pad: " + b"a" * (size - len(base)))
    is_(len(head_of(16384)), 16384, "(head_of)")
    is_(one(gw, head_of(16384)), 200, "head of exactly 16 KiB -> 200")
    is_(one(gw, head_of(16385)), 431, "head of 16 KiB + 1 -> 431")
    is_(one(gw, head_of(40000)), 431, "head of 40 KB -> 431")
    many = b"".join(b"X-F%d: v\r\n" % i for i in range(100))
    is_(one(gw, GET + many + b"\r\n"), 431, "101 header fields -> 431")
    is_(one(gw, GET + many + b"X-More: v\r\n" * 50 + b"\r\n"), 431,
        "150 header fields -> 431")
    many = b"".join(b"X-F%d: v\r\n" % i for i in range(98))
    is_(one(gw, GET + many + b"Connection: close\r\n\r\n"), 200,
        "100 header fields -> 200")
    # a head that never ends, sent in pieces: 431 once it passes 16 KiB
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    s.sendall(GET)
    try:
        for i in range(40):
            s.sendall(b"X-Slow-%d: " % i + b"b" * 1000 + b"\r\n")
    except OSError:
        pass
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    s.close()
    is_(status_of(got), 431, "head growing past 16 KiB in pieces -> 431")

    # ------------------------------------------------------------ keep-alive
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    s.sendall(GET + b"\r\n")
    r1 = http_read(s)
    is_(r1[0][0] if r1 else None, 200, "keep-alive: first response")
    ok(r1 and r1[0][1].get("connection", "").lower() != "close",
       "keep-alive: connection kept")
    s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
    r2 = http_read(s)
    is_(r2[0][0] if r2 else None, 200, "keep-alive: second request answered "
        "on the same connection")
    s.close()

    # ------------------------------------------------------------ pipelining
    raw = http_raw(gw.port, GET + b"\r\n" +
                   b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
                   b"GET /readyz HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: close\r\n\r\n")
    rs = http_responses(raw)
    is_([r[0] for r in rs], [200, 404, 200],
        "pipelined requests -> responses in order")
    raw = http_raw(gw.port, GET + b"\r\n" + GET + b"Connection: close\r\n\r\n")
    rs = http_responses(raw)
    is_([r[0] for r in rs], [200, 200], "two GET /healthz in one write")
    ok(all(json.loads(r[2]) == {"ok": True, "status": "live"} for r in rs),
       "both bodies complete")

    # ------------------------------------------------------------ smuggling
    is_(one(gw, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400,
        "Content-Length + Transfer-Encoding -> 400")
    is_(one(gw, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Content-Length: 5\r\n\r\nhello"), 400,
        "duplicate Content-Length -> 400")
    is_(one(gw, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Content-Length: 6\r\n\r\nhello!"), 400,
        "conflicting Content-Length -> 400")
    is_(one(gw, b"POST /healthz HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: -1\r\n\r\n"), 400, "negative Content-Length -> 400")
    is_(one(gw, b"POST /healthz HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: gzip\r\n\r\n"), 400,
        "Transfer-Encoding not ending in chunked -> 400")
    is_(one(gw, b"GET /healthz HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n"),
        400, "obsolete line folding -> 400")
    is_(one(gw, b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n"), 400,
        "space before the colon -> 400")

    # ------------------------------------------------------------ garbage
    for data, name in ((b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" +
                        os.urandom(64), "TLS hello"),
                       (b"HELLO WORLD\r\n\r\n", "not HTTP"),
                       (b"GET\r\n\r\n", "no target"),
                       (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
                        "HTTP/9.9"),
                       (b"GET /he\x00lthz HTTP/1.1\r\nHost: x\r\n\r\n",
                        "NUL in the target"),
                       (b"\x00\x01\x02\x03\r\n\r\n", "binary")):
        st = one(gw, data)
        ok(st in (400, 505) if "9.9" in name else st == 400,
           "garbage (%s) -> %s" % (name, st))
    is_(http_get(gw.port, "/healthz")[0], 200, "still serving after garbage")

    # ------------------------------------------------------------ slowloris
    idle = []
    for i in range(50):
        try:
            c = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
            c.sendall(b"G")
            idle.append(c)
        except OSError as e:
            diag("idle connection %d: %r" % (i, e))
            break
    is_(len(idle), 50, "50 connections each sent one byte")
    t0 = time.time()
    try:
        st = http_get(gw.port, "/healthz", timeout=5)[0]
    except OSError as e:
        st = repr(e)
    is_(st, 200, "a normal /healthz is served meanwhile")
    diag("served in %.0f ms" % ((time.time() - t0) * 1000))
    w = None
    try:
        w = handshake(gw)
    except (OSError, AssertionError) as e:
        diag(repr(e))
    ok(w and w[1].get("ok"), "and a WebSocket client connects meanwhile")
    if w:
        w[0].close()

    # ------------------------------------------------------------ 408
    if QUICK:
        ok(True, "# SKIP 408 head timeout (QUICK)")
        for c in idle:
            c.close()
    else:
        # one byte every second: the timer must not restart per byte
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=15)
        t0 = time.time()
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        got = b""
        s.settimeout(0.5)
        while time.time() - t0 < 15:
            try:
                s.sendall(b"X")
            except OSError:
                pass
            try:
                b = s.recv(65536)
                if not b:
                    break
                got += b
            except socket.timeout:
                pass
            except OSError:
                break
            if b"\r\n\r\n" in got:
                break
            time.sleep(0.5)
        dt = time.time() - t0
        s.close()
        is_(status_of(got), 408, "head not complete within 10 s -> 408")
        diag("408 after %.1f s" % dt)
        ok(9 <= dt < 13, "the head timer runs from the first byte "
           "(not reset per byte)")
        # the 50 one-byte connections have passed their 10 s as well
        ended = 0
        for c in idle:
            c.settimeout(2)
            try:
                d = c.recv(65536)
                if d.startswith(b"HTTP/1.1 408") or d == b"":
                    ended += 1
            except OSError:
                ended += 1
            c.close()
        is_(ended, 50, "the one-byte connections were timed out too")
    is_(http_get(gw.port, "/healthz")[0], 200, "still serving at the end")

done_testing()
