#!/usr/bin/env python3
# Hand-off acknowledgements: http keeps its copy of each socket handed to
# ws or canvas until that peer acknowledges, one cumulative ack per batch.
# A burst of connects is all served; a ws that stays silent (stopped) past
# the ack wait has its hand-offs released with one warning, not by the
# acks canvas keeps sending meanwhile, and serves them when it runs again.
import os, re, sys, threading
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

ACK_WAIT = 5.0          # HTTP_ACK_WAIT_MS; a copy is kept up to twice that


def connect_all(gw, n, out, timeout=10):
    def one():
        try:
            ws, res = handshake(gw, timeout=timeout)
            out.append(res.get("ok") is True)
            ws.close()
        except (OSError, AssertionError, Closed, ValueError) as e:
            out.append(repr(e))
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    return ts


def canvas_ok(port):
    try:
        return http_get(port, "/__openclaw__/canvas/", timeout=5)[0] == 200
    except OSError:
        return False


def released(gw):
    n = 0
    for l in gw.output().splitlines():
        m = re.search(r"(\d+) hand-off\(s\) not acknowledged in time", l)
        if m:
            n += int(m.group(1))
    return n


# The ws worker is stopped longer than the watchdog would allow (t/49).
with Gateway(config={"gateway": {"watchdogMs": 0}}) as gw:
    gw.canvas_index()
    gw.start()

    out = []
    for t in connect_all(gw, 40, out):
        t.join()
    is_(out.count(True), 40, "a burst of 40 connects: all served")
    diag("failures: %r" % [r for r in out if r is not True][:5])
    is_(released(gw), 0, "every hand-off acknowledged")

    ws = gw.worker_pid("ws")
    os.kill(ws, signal.SIGSTOP)
    try:
        out = []
        ts = connect_all(gw, 3, out, timeout=4 * ACK_WAIT)
        time.sleep(0.5)
        # canvas acknowledges its own hand-offs, with higher ids than
        # the ones ws owes: those must stay held
        ok(all(canvas_ok(gw.port) for _ in range(5)),
           "ws stopped: canvas on the main port still served")
        time.sleep(ACK_WAIT / 2)
        is_(released(gw), 0, "nothing released before the ack wait")
        ok(wait_for(lambda: released(gw) == 3, 2 * ACK_WAIT + 2),
           "ws silent past the ack wait: its 3 hand-offs released")
    finally:
        os.kill(ws, signal.SIGCONT)
    for t in ts:
        t.join()
    is_(out.count(True), 3, "and served once ws runs again")
    diag("failures: %r" % [r for r in out if r is not True])
    is_(gw.stop(), 0, "stops with 0")

done_testing()
