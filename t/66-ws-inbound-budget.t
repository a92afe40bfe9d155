#!/usr/bin/env python3
# The global budget of inbound bytes (gateway.maxInboundBytes; protocol.md
# 1 keeps the 25 MiB per-message limit): authenticated clients that each
# announce a 20 MB message and send a few MiB of it must not grow the ws
# worker past the budget.  Over it the largest partial messages are no
# longer read (TCP back-pressure), and those still above their share after
# 3 s are closed with 1008.  Meanwhile a normal client is served and a
# message under its share is answered at once; one above its share waits
# and is answered once the hogs are gone; a large message under the budget
# still goes through afterwards.
import os, selectors, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

MIB = 1024 * 1024
BUDGET = 8 * MIB
NHOG = 10 if QUICK else 20
DECLARED = 20000000             # under the 25 MiB message limit
SEND = 4 * MIB                  # of it, per client
STALL = 3.0                     # WS_INBOUND_STALL_MS
SLACK_KIB = 8 * 1024            # allocator and per-read overshoot
SANITIZED = sanitized_binary()


def hog_header():
    # a zero mask key: the payload goes out as it is
    return struct.pack("!BBQ", 0x81, 0x80 | 127, DECLARED) + b"\0\0\0\0"




class Hog:
    def __init__(self, gw):
        self.ws = operator(gw)
        self.ws.sock.setblocking(False)
        self.out = hog_header()
        self.sent = 0           # payload bytes
        self.buf = self.ws.buf
        self.code = None
        self.t_close = None
        self.eof = False

    def push(self, chunk):
        """Send what the kernel takes; returns the bytes sent."""
        if self.code is not None or self.eof or self.sent >= SEND:
            return 0
        data = self.out or chunk[:SEND - self.sent]
        try:
            n = self.ws.sock.send(data)
        except BlockingIOError:
            return 0
        except OSError:
            self.eof = True
            return 0
        if self.out:
            self.out = self.out[n:]
        else:
            self.sent += n
        return n

    def pull(self):
        try:
            b = self.ws.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            b = b""
        if not b:
            self.eof = True
            return
        self.buf += b
        while True:
            f = parse_frame(self.buf)
            if f is None:
                break
            op, payload, self.buf = f
            if op == 8 and self.code is None:
                self.code = close_code_of(payload)
                self.reason = payload[2:].decode("utf-8", "replace")
                self.t_close = time.time()


def big_request(rid, size):
    return WS.frame(1, b'{"type":"req","id":"%s","method":"health"' %
                    rid.encode() + b" " * size + b"}")


def pull_all(hogs):
    for h in hogs:
        if not h.eof:
            h.pull()


with Gateway(env={"OPENCLAW_MAX_INBOUND_BYTES": str(BUDGET)}) as gw:
    gw.start()
    wpid = gw.worker_pid("ws")
    hogs = [Hog(gw) for _ in range(NHOG)]
    time.sleep(0.3)
    base = proc_rss_kib(wpid)
    diag("ws idle with %d authenticated clients: %d KiB" % (NHOG, base))

    # every client sends its header and as much payload as is taken
    chunk = b"a" * (256 * 1024)
    t0 = time.time()
    peak = base
    last_progress = time.time()
    while time.time() - t0 < 10 and time.time() - last_progress < 0.7:
        moved = sum(h.push(chunk) for h in hogs)
        if moved:
            last_progress = time.time()
        pull_all(hogs)
        peak = max(peak, proc_rss_kib(wpid))
        if all(h.sent >= SEND for h in hogs):
            break
        time.sleep(0.005 if moved else 0.02)
    t_sent = time.time() - t0
    sent = sum(h.sent for h in hogs)
    diag("%d clients sent %d KiB of payload in %.2f s (%d of %d complete)" %
         (NHOG, sent // 1024, t_sent, sum(1 for h in hogs if h.sent >= SEND),
          NHOG))

    # a normal client is served while they hold their partial messages
    t1 = time.time()
    r = fresh_health(gw)
    dt = time.time() - t1
    is_(r.get("ok"), True, "a normal client gets hello-ok and a health "
        "answer meanwhile (%.0f ms)" % (dt * 1000))
    ok(dt < 2.0, "... quickly (%.2f s < 2 s)" % dt)
    peak = max(peak, proc_rss_kib(wpid))
    # a message under its share (budget / holders) goes through at once
    small = operator(gw)
    t1 = time.time()
    small.send_raw(big_request("small", 128 * 1024))
    try:
        r = small.recv_until(lambda m: m.get("id") == "small", 2)
    except (OSError, Closed) as e:
        r = {"error": repr(e)}
    is_(r.get("ok"), True, "a 128 KiB message is answered while the hogs "
        "are held (%.0f ms)" % ((time.time() - t1) * 1000))
    small.close()
    # one above its share waits: started a while after the hogs stopped
    # being read, its deadline comes after theirs
    time.sleep(1.0)
    waiter = operator(gw)
    waiter.sock.setblocking(False)
    w_data = big_request("wait", 2 * MIB)
    w_res = w_time = None

    def push_waiter():
        global w_data, w_res, w_time
        try:
            while w_data:
                w_data = w_data[waiter.sock.send(w_data):]
        except (BlockingIOError, OSError):
            pass
        try:
            waiter.buf += waiter.sock.recv(65536)
        except (BlockingIOError, OSError):
            pass
        while w_res is None:
            f = parse_frame(waiter.buf)
            if f is None:
                break
            op, payload, waiter.buf = f
            if op == 8:
                w_res = {"closed": close_code_of(payload)}
            elif op == 1:
                m = json.loads(payload)
                if m.get("id") == "wait":
                    w_res = m
            if w_res is not None:
                w_time = time.time()

    # hold until the deadline closes them
    end = time.time() + STALL + 6
    while time.time() < end and (w_res is None or any(
            h.code is None and not h.eof for h in hogs)):
        pull_all(hogs)
        push_waiter()
        peak = max(peak, proc_rss_kib(wpid))
        time.sleep(0.02)
    grow = peak - base
    diag("ws peak %d KiB: %+d KiB over idle with %d x %d KiB attempted "
         "(budget %d KiB)" % (peak, grow, NHOG, SEND // 1024,
                              BUDGET // 1024))
    if SANITIZED:
        ok(True, "# SKIP memory bound under ASan")
    else:
        ok(grow < BUDGET // 1024 + SLACK_KIB,
           "ws growth %d KiB stays under budget + slack (%d KiB)" %
           (grow, BUDGET // 1024 + SLACK_KIB))
    codes = sorted(set(h.code for h in hogs), key=str)  # None: no close
    closed = [h for h in hogs if h.code == 1008]
    is_(len(closed), NHOG, "every client holding a partial message above "
        "its share is closed with 1008 (codes %s)" % codes)
    reasons = sorted(set(h.reason for h in closed))
    ok(closed and all(len(x.encode()) <= 123 for x in reasons),
       "... with a short reason %s" % reasons)
    lat = sorted(h.t_close - t0 for h in closed)
    ok(lat and lat[0] >= STALL - 0.1,
       "... not before the deadline (first after %.2f s)" %
       (lat[0] if lat else -1))
    ok(lat and lat[-1] < STALL + 6,
       "... nor long after it (last after %.2f s)" %
       (lat[-1] if lat else -1))
    first_cut = min([h.t_close for h in closed] or [0])
    is_(w_res and w_res.get("ok"), True, "a 2 MiB message above its share "
        "is answered, not closed (%r)" % (w_res if not w_res or "ok" not in
                                          w_res else "ok"))
    ok(w_time and first_cut and w_time >= first_cut - 0.05,
       "... once the hogs were closed: it waited (%.2f s after the first "
       "cut)" % ((w_time - first_cut) if w_time and first_cut else -1))
    waiter.close()
    for h in hogs:
        h.ws.close()
    time.sleep(1.5)
    after = proc_rss_kib(wpid)
    diag("ws after the clients were closed: %d KiB (%+d KiB over idle)" %
         (after, after - base))

    # under the budget a large message still goes through
    ws = operator(gw)
    big = b'{"type":"req","id":"big","method":"health"' + \
        b" " * (3 * MIB) + b"}"
    ws.send_frame(1, big)
    try:
        r = ws.recv_until(lambda m: m.get("id") == "big", 10)
    except (OSError, Closed) as e:
        r = {"error": repr(e)}
    is_(r.get("ok"), True, "a 3 MiB message under the budget is answered")
    ws.close()
    ok(gw.worker_pid("ws") == wpid, "the ws worker did not die")

done_testing()
