#!/usr/bin/env python3
# Signals an operator or a supervisor may send, to any process of the tree
# (issue 7, section 2).  The master takes SIGUSR1 and SIGUSR2 as the
# in-place restart (t/34): the gateway stays up and its clients are told
# why they are closed; a worker ignores SIGHUP, SIGINT, SIGTERM, SIGUSR1 and
# SIGUSR2 (the master's business), so its clients stay connected.  A
# SIGTERM delivered twice in a row (timeout(1), a relaying supervisor)
# still drains: clients get the shutdown event; only a SIGTERM after the
# 1 s grace, or SIGINT twice, forces the fast exit.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def serves(ws, name):
    try:
        res = ws.request("health", timeout=5)
    except (OSError, Closed, socket.timeout, ValueError) as e:
        ok(False, name)
        diag("no answer: %r" % (e,))
        return False
    return is_(res.get("ok"), True, name)


def new_client(gw, name):
    try:
        ws, res = handshake(gw)
    except (OSError, AssertionError, Closed, ValueError) as e:
        ok(False, name)
        diag("%r" % (e,))
        return None
    is_(res.get("ok"), True, name)
    return ws


SIGS = (("SIGUSR1", signal.SIGUSR1), ("SIGUSR2", signal.SIGUSR2),
        ("SIGHUP", signal.SIGHUP), ("SIGINT", signal.SIGINT),
        ("SIGTERM", signal.SIGTERM))

# ------------------------------------------------ SIGUSR1/2 to the master
with Gateway() as gw:
    gw.canvas_index()
    gw.start()
    ws = new_client(gw, "master: client connected")
    workers = sorted(gw.children())
    for name, sig in SIGS[:2]:
        gw.proc.send_signal(sig)
        ok(wait_for(lambda: name in gw.output(), 5),
           "master %s: a log line names it" % name)
        if ws:
            msgs, code, _ = drain_until_close(ws, timeout=5)
            ok(code == 1012 and any(m.get("event") == "shutdown"
                                    for m in msgs),
               "master %s: the client is told (shutdown, 1012)" % name)
        ok(wait_for(lambda: len(gw.children()) == len(workers) and
                    not set(gw.children()) & set(workers), 10),
           "master %s: a new generation of workers" % name)
        is_(gw.proc.poll(), None, "master %s: the gateway is still up" % name)
        ws = new_client(gw, "master %s: a new client is served" % name)
        workers = sorted(gw.children())
    if ws:
        ws.close()

# ------------------------------------------------ every signal to each worker
with Gateway() as gw:
    gw.canvas_index()
    gw.start()
    ws = new_client(gw, "workers: client connected")
    for role in ("ws", "http", "canvas"):
        for name, sig in SIGS:
            pid = wait_for(lambda: gw.worker_pid(role), 5)
            if not ok(pid, "%s worker found" % role):
                continue
            os.kill(pid, sig)
            time.sleep(0.2)
            ok(pid_alive(pid) and gw.worker_pid(role) == pid,
               "%s to the %s worker: the same worker runs" % (name, role))
        if ws:
            serves(ws, "%s worker signalled: the client is still served" %
                   role)
        ws2 = new_client(gw, "%s worker signalled: a new client connects" %
                         role)
        if ws2:
            ws2.close()
    is_(http_get(gw.port + 4, "/__openclaw__/canvas/")[0], 200,
        "canvas still serves")
    out = gw.output()
    ok("killed by signal" not in out and "respawning" not in out,
       "no worker died or was respawned")
    if ws:
        ws.close()

# ------------------------------------------------ SIGTERM twice in a row
for gap in (0, 0.02, 0.2):
    with Gateway() as gw:
        gw.start()
        ws = new_client(gw, "SIGTERM twice (%.2f s apart): client" % gap)
        workers = gw.children()
        gw.proc.send_signal(signal.SIGTERM)
        if gap:
            time.sleep(gap)
        gw.proc.send_signal(signal.SIGTERM)
        got, code = False, None
        try:
            ws.recv_until(lambda m: m.get("event") == "shutdown", timeout=8)
            got = True
            code, _ = ws.expect_close(8)
        except Closed as e:
            code = e.code
        except (socket.timeout, OSError) as e:
            diag("no shutdown event: %r" % (e,))
        ok(got, "SIGTERM twice (%.2f s apart): the shutdown event came" % gap)
        is_(code, 1012, "SIGTERM twice (%.2f s apart): close 1012" % gap)
        try:
            rc = gw.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        is_(rc, 0, "SIGTERM twice (%.2f s apart): exit 0" % gap)
        if gap:
            # (back to back, the kernel may merge the two into one)
            like(gw.output(), "received SIGTERM again",
                 "SIGTERM twice (%.2f s apart): the second is logged" % gap)
        ok("killing" not in gw.output(),
           "SIGTERM twice (%.2f s apart): no worker killed" % gap)
        ok(wait_pids_gone(workers, 3), "no worker process remains")
        ws.close()

# ------------------------------------------------ the fast exit still exists
# A canvas download the client does not read holds the drain; SIGTERM
# again after the grace, or SIGINT twice, kills the workers.
def stalled_download(gw):
    path = os.path.join(gw.state, "workspace", "canvas", "big.bin")
    with open(path, "wb") as f:
        f.truncate(64 << 20)
    s = socket.create_connection(("127.0.0.1", gw.port + 4), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /__openclaw__/canvas/big.bin HTTP/1.1\r\n"
              b"Host: 127.0.0.1\r\n\r\n")
    s.recv(100)
    return s


for first, second, pause in ((signal.SIGTERM, signal.SIGTERM, 1.5),
                             (signal.SIGINT, signal.SIGINT, 0.2)):
    with Gateway(config={"gateway": {"drainTimeoutMs": 30000}}) as gw:
        gw.canvas_index()
        gw.start()
        dl = stalled_download(gw)
        name = "%s then %s after %.1f s" % (signal.Signals(first).name,
                                            signal.Signals(second).name,
                                            pause)
        gw.proc.send_signal(first)
        time.sleep(pause)
        ok(gw.proc.poll() is None, "%s: draining still before the second" %
           name)
        gw.proc.send_signal(second)
        t0 = time.time()
        try:
            rc = gw.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        dt = time.time() - t0
        diag("%s: exit %s after %.0f ms" % (name, rc, dt * 1000))
        ok(rc is not None and dt < 3, "%s: the gateway exits at once" % name)
        like(gw.output(), "killing", "%s: the workers were killed" % name)
        dl.close()

done_testing()
