#!/usr/bin/env python3
# Out of file descriptors: the gateway neither spins nor crashes, and it
# serves again once clients go away.
import os, resource, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

LIMIT = 96


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        f = proc_file(pid, "stat")
        if f:
            parts = f.decode().split(")")[-1].split()
            total += (int(parts[11]) + int(parts[12])) / os.sysconf(
                "SC_CLK_TCK")
    return total


def low_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


with Gateway() as gw:
    gw.out = open(os.path.join(gw.dir, "stdout.log"), "ab")
    gw.proc = subprocess.Popen([BIN, "gateway", "--port", str(gw.port)],
                               env=gw.env, stdout=gw.out,
                               stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL,
                               preexec_fn=low_nofile)
    ok(gw.wait_ready(), "gateway ready with %d descriptors" % LIMIT)
    raise_nofile()
    wss = []
    for i in range(LIMIT):
        try:
            w = WS(gw.port, timeout=2)
            if w.status != 101:
                w.close()
                break
            wss.append(w)
        except (OSError, AssertionError):
            break
    held = []
    for i in range(LIMIT * 2):
        try:
            held.append(socket.create_connection(("127.0.0.1", gw.port), 2))
        except OSError:
            break
    diag("held %d raw sockets and %d websockets" % (len(held), len(wss)))
    pids = [gw.proc.pid] + gw.children()
    before = cpu_seconds(pids)
    time.sleep(1.0)
    used = cpu_seconds(pids) - before
    ok(used < 0.5, "no spinning while out of descriptors (%.2f s CPU in 1 s)"
       % used)
    ok(gw.proc.poll() is None, "master still running")
    for s in held:
        s.close()
    for w in wss:
        w.close()
    ok(wait_for(lambda: http_get(gw.port, "/healthz", timeout=2)[0] == 200,
                10), "served again once the clients left")

    def hello():
        try:
            ws, res = handshake(gw, timeout=3)
            ws.close()
            return res.get("ok")
        except (OSError, Closed, AssertionError):
            return False
    ok(wait_for(hello, 10), "a WebSocket handshake succeeds again")
    is_(gw.stop(), 0, "stops cleanly")
done_testing()
