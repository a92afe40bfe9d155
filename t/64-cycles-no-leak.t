#!/usr/bin/env python3
# No leak over many connect/disconnect cycles (QUICK: fewer): 10,000
# WebSocket sessions (upgrade, challenge, connect, hello-ok, health, then
# a close frame or a bare TCP close; every 4th with a wrong token or gone
# right after the challenge) and 10,000 HTTP /healthz requests.  After a
# warm-up, the open descriptors of the master and of every worker must
# not grow (+-2) and the tree's RSS must grow less than 2 MiB; under ASan
# (its quarantine grows memory) descriptors only.
import os, sys, threading
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

N = 1000 if QUICK else 10000
WARM = 200
THREADS = 4
RSS_BOUND = 2048        # KiB
SANITIZED = sanitized_binary()


def ws_cycle(port, i, src):
    """One WebSocket session of kind i % 4; True if it went as planned."""
    kind = i % 4
    ws = WS(port, source=src, timeout=5)
    try:
        if ws.status != 101:
            return False
        if ws.recv(5).get("event") != "connect.challenge":
            return False
        if kind == 3:               # gone before connect
            return True
        res = ws.request("connect", connect_params(
            token="wrong" if kind == 2 else "test-token"),
            rid="1:%d" % i, timeout=5)
        if kind == 2:
            if res.get("ok"):
                return False
            ws.expect_close(5)
            return True
        if not res.get("ok"):
            return False
        if not ws.request("health", timeout=5).get("ok"):
            return False
        if kind == 0:               # close handshake, then EOF
            ws.send_frame(8, struct.pack("!H", 1000))
            code, _ = ws.expect_close(5)
            return code == 1000
        return True                 # kind 1: TCP close without a close
    finally:
        ws.close()


HTTP_REQ = [b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"]


def http_cycle(port, i, src):
    """One /healthz: the server closes (Connection: close) or the client
    closes a keep-alive connection after the response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                 source_address=(src, 0))
    try:
        s.sendall(HTTP_REQ[i % 2])
        buf = b""
        while b"\r\n\r\n" not in buf or not buf.endswith(b"}"):
            b = s.recv(4096)
            if not b:
                break
            buf += b
        return buf.startswith(b"HTTP/1.1 200") and b'"live"' in buf
    finally:
        s.close()


def run(port, n, fn, base):
    """n cycles of fn over THREADS threads, each from its own source
    address; returns (successes, failures, first errors, seconds)."""
    good, bad, errs = [0], [0], []
    lock = threading.Lock()

    def worker(k):
        src = "127.0.0.%d" % (base + k)
        for i in range(k, n, THREADS):
            try:
                r = fn(port, i, src)
            except Exception as e:
                r = False
                if len(errs) < 5:
                    errs.append("%d: %r" % (i, e))
            with lock:
                if r:
                    good[0] += 1
                else:
                    bad[0] += 1
    t0 = time.time()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return good[0], bad[0], errs, time.time() - t0


def snapshot(gw):
    """{role: (pid, fds, rss KiB)} for the master and each worker."""
    out = {"master": gw.proc.pid}
    for role in ("http", "ws", "canvas"):
        out[role] = gw.worker_pid(role)
    return {r: (p, fd_count(p) if p else None, proc_rss_kib(p) if p else 0)
            for r, p in out.items()}


def settle(gw, want=None, timeout=5.0):
    """Wait until no connection is left in the workers (closing sockets
    have a 1 s grace); returns the last snapshot.  With want, until every
    descriptor count is back at most 2 above it."""
    end = time.time() + timeout
    prev = None
    while True:
        time.sleep(0.3)
        snap = snapshot(gw)
        if want is not None:
            if all(snap[r][1] is not None and want[r][1] is not None and
                   snap[r][1] <= want[r][1] + 2 for r in snap):
                return snap
        elif prev is not None and all(snap[r][1] == prev[r][1]
                                      for r in snap):
            return snap
        prev = snap
        if time.time() > end:
            return snap


with Gateway() as gw:
    gw.start()
    P = gw.port
    if SANITIZED:
        diag("sanitizer build: descriptors only, no RSS bound")

    g, b, errs, dt = run(P, WARM, ws_cycle, 40)
    g2, b2, errs2, dt2 = run(P, WARM, http_cycle, 50)
    is_((b, b2), (0, 0), "warm-up: %d WebSocket and %d HTTP cycles" %
        (WARM, WARM))
    for e in errs + errs2:
        diag(e)
    time.sleep(1.2)             # close grace of the last sockets
    before = settle(gw)
    diag("before: " + ", ".join("%s fds %s rss %d KiB" % (r, v[1], v[2])
                                for r, v in before.items()))

    g, b, errs, dt = run(P, N, ws_cycle, 40)
    for e in errs:
        diag(e)
    is_(b, 0, "%d WebSocket sessions (4 kinds), none failed (%.1f s, "
        "%.0f/s)" % (N, dt, N / dt))
    g, b, errs, dt = run(P, N, http_cycle, 50)
    for e in errs:
        diag(e)
    is_(b, 0, "%d HTTP /healthz requests, none failed (%.1f s, %.0f/s)" %
        (N, dt, N / dt))

    time.sleep(1.2)
    after = settle(gw, want=before)
    diag("after:  " + ", ".join("%s fds %s rss %d KiB" % (r, v[1], v[2])
                                for r, v in after.items()))
    for role in ("master", "http", "ws", "canvas"):
        pb, fb, rb = before[role]
        pa, fa, ra = after[role]
        is_(pa, pb, "%s: same process throughout (pid %s)" % (role, pb))
        ok(fb is not None and fa is not None and fa <= fb + 2 and
           fa >= fb - 2, "%s: descriptors %s -> %s (+-2)" % (role, fb, fa))
    growth = sum(v[2] for v in after.values()) - \
        sum(v[2] for v in before.values())
    diag("RSS growth over %d + %d cycles: %+d KiB (%s)" %
         (N, N, growth, ", ".join("%s %+d" % (r, after[r][2] - before[r][2])
                                  for r in after)))
    if SANITIZED:
        ok(True, "# SKIP RSS bound under ASan (quarantine)")
    else:
        ok(growth < RSS_BOUND, "RSS growth %+d KiB (< %d KiB)" %
           (growth, RSS_BOUND))
    ok(gw.proc.poll() is None, "master still running")
    is_(gw.stop(), 0, "and stops with 0")

done_testing()
