#!/usr/bin/env python3
# The worker watchdog (issue 7, section 1): the master pings every ready
# worker over its channel; one that leaves a ping unanswered for
# gateway.watchdogMs (stopped with SIGSTOP, or stuck) is killed and
# respawned, and the log says why.  0 disables it; a busy but healthy
# gateway is never judged stuck.
import os, re, sys, threading
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

WD_MS = 1000
SLACK = 3.0     # tick (WD_MS / 4), respawn backoff, start-up, a loaded CI


def connects(gw, timeout=5):
    try:
        ws, res = handshake(gw, timeout=timeout)
    except (OSError, AssertionError, Closed, ValueError):
        return False
    ws.close()
    return res.get("ok") is True


for role in ("ws", "http"):
    with Gateway(config={"gateway": {"watchdogMs": WD_MS}}) as gw:
        gw.start()
        held = None
        if role == "ws":
            held, res = handshake(gw)
            is_(res.get("ok"), True, "a client connected before the stop")
        old = gw.worker_pid(role)
        ok(old, "%s worker found" % role)
        os.kill(old, signal.SIGSTOP)
        t0 = time.time()
        new = wait_for(lambda: (lambda p: p if p and p != old else None)(
            gw.worker_pid(role)), WD_MS / 1000.0 + SLACK)
        dt = time.time() - t0
        ok(new, "stopped %s worker replaced within %.1f s" %
           (role, WD_MS / 1000.0 + SLACK))
        diag("%s: %s -> %s after %.0f ms" % (role, old, new, dt * 1000))
        ok(dt >= WD_MS / 1000.0 * 0.9, "not before the deadline")
        ok(wait_for(lambda: not pid_alive(old), 3), "the stopped one is gone")
        if held:
            # its client is let go (it can reconnect), not kept waiting
            try:
                held.sock.settimeout(3)
                gone = held.sock.recv(65536) == b""
            except OSError:
                gone = True
            ok(gone, "the stopped worker's client is released")
            held.close()
        ok(wait_for(lambda: connects(gw), 5),
           "a new client is served after the %s respawn" % role)
        why = r"worker %s \(pid %d\) did not answer the watchdog for \d+ " \
            r"ms \(gateway.watchdogMs %d\); killing it" % (role, old, WD_MS)
        if not ok(re.search(why, gw.output()), "the log says why"):
            diag(gw.output())
        if not new:
            os.kill(old, signal.SIGCONT)

# 0 disables: a stopped worker stays (and serves again once continued).
with Gateway(config={"gateway": {"watchdogMs": 0}}) as gw:
    gw.start()
    old = gw.worker_pid("ws")
    os.kill(old, signal.SIGSTOP)
    time.sleep(2.5)
    is_(gw.worker_pid("ws"), old, "watchdogMs 0: the stopped worker stays")
    os.kill(old, signal.SIGCONT)
    ok(connects(gw), "watchdogMs 0: served once continued")
    ok("watchdog" not in gw.output(), "watchdogMs 0: no watchdog line")

# Busy, not stuck: clients keep every worker's loop turning for a while,
# with a short deadline; nobody is killed.
with Gateway(config={"gateway": {"watchdogMs": 300}}) as gw:
    gw.canvas_index()
    gw.start()
    pids = sorted(gw.children())
    stop = time.time() + (1.5 if QUICK else 3.0)
    out = []

    def client():
        n = 0
        while time.time() < stop:
            n += connects(gw)
            http_get(gw.port + 4, "/__openclaw__/canvas/")
        out.append(n)
    ts = [threading.Thread(target=client) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    diag("connects served: %d" % sum(out))
    ok(sum(out) > 0, "clients were served")
    is_(sorted(gw.children()), pids, "busy workers: none replaced")
    ok("watchdog" not in gw.output(), "busy workers: no watchdog line")

done_testing()
