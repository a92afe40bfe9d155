#!/usr/bin/env python3
# Supervision: a worker that dies is respawned with backoff (the exit and
# its signal logged); the listening socket stays open, so connections made
# meanwhile wait instead of being refused; presence lives in shared memory
# and survives a ws crash; workers die with the master, even on kill -9.
# Every process carries a readable name (ps, top, pgrep, ss), a respawned
# worker too.
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def new_pid(gw, role, old, timeout=10):
    return wait_for(lambda: (lambda p: p if p and p != old else None)(
        gw.worker_pid(role)), timeout)


def healthz_ok(port):
    try:
        return http_get(port, "/healthz", timeout=5)[0] == 200
    except OSError:
        return False


def ws_ok(gw, **kw):
    try:
        ws, res = handshake(gw, connect_params(**kw) if kw else None)
    except (OSError, AssertionError, Closed, ValueError):
        return None
    if res.get("ok"):
        return ws, res
    ws.close()
    return None


def kill_and_wait(gw, role, name):
    old = gw.worker_pid(role)
    ok(old, "%s: %s worker found (%s)" % (name, role, old))
    if not old:
        return None, None
    os.kill(old, signal.SIGKILL)
    t0 = time.time()
    new = new_pid(gw, role, old)
    ok(new, "%s: a new %s worker appears" % (name, role))
    diag("%s: %s %s -> %s in %.0f ms" % (name, role, old, new,
                                        (time.time() - t0) * 1000))
    ok(not pid_alive(old), "%s: the old one is gone" % name)
    return old, new


def canvas_ok(port, body=b"canvas-index", timeout=3):
    try:
        st, h, b = http_get(port, "/__openclaw__/canvas/", timeout=timeout)
    except OSError:
        return False
    return st == 200 and b == body


with Gateway() as gw:
    gw.canvas_index()
    gw.start()

    # ------------------------------------------------------------ http
    live, res = handshake(gw)
    is_(res.get("ok"), True, "a WebSocket client before the http crash")
    old = gw.worker_pid("http")
    ok(old, "http worker found")
    os.kill(old, signal.SIGKILL)
    try:
        # at once, while it is down: the connect must not be refused
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
        connected = True
    except OSError as e:
        connected = False
        diag("connect while http is down: %r" % (e,))
    ok(connected, "http down: TCP connect still succeeds (backlog)")
    if connected:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        s.settimeout(10)
        resp = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                resp += b
        except OSError:
            pass
        s.close()
        like(resp.decode("latin-1"), "HTTP/1.1 200",
             "http down: the queued request is served after the respawn")
    new = new_pid(gw, "http", old)
    ok(new, "http worker respawned (%s -> %s)" % (old, new))
    ok(wait_for(lambda: re.search(r"http \(pid %d\).*(SIGKILL|signal 9)" %
                                  old, gw.output()), 3),
       "the exit and its signal are logged")
    ok(wait_for(lambda: healthz_ok(gw.port), 5), "new HTTP requests served")
    w = wait_for(lambda: ws_ok(gw), 5)
    ok(w, "new WebSocket connections succeed")
    if w:
        w[0].close()
    try:
        r = live.request("health")
    except (OSError, Closed) as e:
        r = {"error": repr(e)}
    is_(r.get("ok"), True, "a WebSocket client survives the http crash "
        "(its socket lives in ws)")
    live.close()
    ok(wait_for(lambda: canvas_ok(gw.port), 5),
       "main-port canvas served after the http respawn")

    # ------------------------------------------------------------ ws
    tracked = connect_params(client_id="openclaw-control-ui", mode="ui")
    ui, res = handshake(gw, tracked)
    is_(res.get("ok"), True, "tracked (ui) client connected")
    cli, res = handshake(gw)
    is_(res.get("ok"), True, "cli client connected")
    before_sv = res["payload"]["snapshot"]["stateVersion"]["presence"]
    r = cli.request("system-presence")
    rows = r.get("payload") if isinstance(r.get("payload"), list) else []
    ok(rows, "system-presence rows before the crash (%d)" % len(rows))
    before_ids = sorted(x.get("instanceId") for x in rows
                        if x.get("instanceId"))
    ok(tracked["client"]["instanceId"] in before_ids,
       "the ui client has a presence row")
    diag("before: stateVersion.presence=%s, %d rows" % (before_sv, len(rows)))

    old, new = kill_and_wait(gw, "ws", "ws kill")
    for ws, name in ((ui, "ui client"), (cli, "cli client")):
        code, reason = ws.expect_close(timeout=5)
        ok(code is not None, "ws kill: %s sees its socket closed" % name)
        ws.close()
    ok(wait_for(lambda: re.search(r"ws \(pid %d\).*(SIGKILL|signal 9)" %
                                  (old or 0), gw.output()), 3),
       "ws kill: the exit and its signal are logged")
    w = wait_for(lambda: ws_ok(gw), 8)
    ok(w, "ws kill: a new client connects")
    if w:
        ws, res = w
        snap = res["payload"]["snapshot"]
        sv = snap["stateVersion"]["presence"]
        ok(sv >= before_sv, "ws kill: stateVersion.presence not reset "
           "(%s >= %s)" % (sv, before_sv))
        ids = [x.get("instanceId") for x in snap.get("presence", [])]
        missing = [i for i in before_ids if i not in ids]
        is_(missing, [], "ws kill: hello-ok snapshot still has the "
            "presence rows")
        r = ws.request("system-presence")
        ids = [x.get("instanceId") for x in (r.get("payload") or [])]
        ok(tracked["client"]["instanceId"] in ids,
           "ws kill: system-presence still has the ui client's row")
        ws.close()
    w = wait_for(lambda: ws_ok(gw, client_id="openclaw-control-ui",
                                mode="ui"), 5)
    ok(w, "ws kill: a new ui client connects")
    if w:
        sv = w[1]["payload"]["snapshot"]["stateVersion"]["presence"]
        ok(sv > before_sv, "ws kill: stateVersion.presence strictly "
           "greater than before (%s > %s)" % (sv, before_sv))
        w[0].close()
    ok(healthz_ok(gw.port), "ws kill: HTTP unaffected")

    # ------------------------------------------------------------ canvas
    old, new = kill_and_wait(gw, "canvas", "canvas kill")
    ok(wait_for(lambda: port_listening(gw.port + 4) and
                http_get(gw.port + 4, "/__openclaw__/canvas/nope",
                         timeout=2)[0] == 404, 5),
       "canvas kill: canvas port serves again")
    like(gw.output(), "canvas (pid %d)" % (old or 0),
         "canvas kill: logged")
    ok(wait_for(lambda: canvas_ok(gw.port + 4), 5),
       "canvas kill: canvas port serves the file")
    ok(wait_for(lambda: canvas_ok(gw.port), 5),
       "canvas kill: main-port canvas path served by the new canvas")

    # ------------------------------------------------------------ backoff
    times = []
    alive = True
    for i in range(3):
        t0 = time.time()
        old = gw.worker_pid("ws")
        if not old:
            alive = False
            break
        os.kill(old, signal.SIGKILL)
        new = new_pid(gw, "ws", old, timeout=15)
        if not new:
            alive = False
            break
        times.append((time.time() - t0) * 1000)
    ok(alive, "ws killed 3 times quickly: it keeps coming back")
    diag("respawn delays (ms): %s" % ", ".join("%.0f" % t for t in times))
    diag("\n".join(l for l in gw.output().splitlines() if "respawn" in l))
    w = wait_for(lambda: ws_ok(gw), 15)
    ok(w, "after repeated crashes a client connects")
    if w:
        w[0].close()
    ok(gw.proc.poll() is None, "the master is still running")
    is_(gw.stop(), 0, "and stops with 0")

# ---------------------------------------------------------------- queued
# Connections made right after a kill, while the worker is down or dying,
# must wait for the new worker: the listening socket stays open and a
# hand-off to a dead peer must not lose the socket.  Three rounds each.
def ws_now(gw):
    try:
        q, res = handshake(gw, timeout=10)
        q.close()
        return res.get("ok") is True
    except (OSError, AssertionError, Closed, ValueError) as e:
        diag("handshake: %r" % (e,))
        return False


for role, name, probe in (
        ("http", "GET /healthz", lambda gw: healthz_ok(gw.port)),
        ("ws", "WebSocket connect", lambda gw: ws_now(gw)),
        ("canvas", "main-port canvas GET",
         lambda gw: canvas_ok(gw.port, timeout=10)),
        ("canvas", "canvas-port GET",
         lambda gw: canvas_ok(gw.port + 4, timeout=10))):
    with Gateway() as gw:        # a fresh one: backoff starts at its minimum
        gw.canvas_index()
        gw.start()
        good = 0
        for i in range(3):
            old = wait_for(lambda: gw.worker_pid(role), 5)
            # ready again (the new worker has its peers) before the kill
            wait_for(lambda: probe(gw), 5)
            os.kill(old, signal.SIGKILL)
            if probe(gw):
                good += 1
            new_pid(gw, role, old)
        is_(good, 3, "%s down: %s made at once is served (3 rounds)" %
            (role, name))

# ---------------------------------------------------------------- process names
def title(pid):
    return proc_file(pid, "cmdline").rstrip(b"\0").replace(b"\0", b" ") \
        .decode("utf-8", "replace")


def comm(pid):
    return proc_file(pid, "comm").decode("utf-8", "replace").strip()


def pgrep_f(pattern, parent=None):
    argv = ["pgrep", "-f", pattern]
    if parent is not None:
        argv[1:1] = ["-P", str(parent)]
    r = subprocess.run(argv, stdout=subprocess.PIPE, timeout=10)
    return sorted(int(x) for x in r.stdout.split())


def names_ok(gw, name):
    """Each worker: its title with its role and generation, its comm."""
    for role in ("ws", "http", "canvas"):
        pids = pgrep_f(r"^openclaw-gateway: %s worker \(gen 1\)$" % role,
                       gw.proc.pid)
        is_(len(pids), 1, "%s: pgrep -f finds the %s worker by its title "
            "(%s)" % (name, role, [title(p) for p in gw.children()]))
        if pids:
            is_(comm(pids[0]), "openclaw-" + role,
                "%s: the %s worker's comm (top, ss -p)" % (name, role))


with Gateway() as gw:
    gw.start()
    master = gw.proc.pid
    ok(title(master).startswith(
        "openclaw-gateway: master process openclaw gateway --port %d" %
        gw.port), "the master's title (%s)" % title(master))
    ok(master in pgrep_f("openclaw gateway"),
       "pgrep -f 'openclaw gateway' finds the master")
    is_([p for p in pgrep_f("openclaw gateway") if p in gw.children()], [],
        "... and no worker")
    names_ok(gw, "names")
    is_(pgrep_f("ws worker", master), [gw.worker_pid("ws")],
        "pgrep -f 'ws worker' finds the ws worker")
    ss = subprocess.run(["ss", "-Hltnp", "sport = :%d" % gw.port],
                        stdout=subprocess.PIPE, timeout=10).stdout.decode()
    like(ss, '"openclaw-http"', "ss -ltnp names the http worker on the port")
    for role in ("ws", "canvas"):
        kill_and_wait(gw, role, "names after a %s respawn" % role)
    # The new one names itself from its first instants; wait for it ready.
    ok(wait_for(lambda: ws_ok(gw), 10), "names: ws serves again")
    names_ok(gw, "after respawns")

# ---------------------------------------------------------------- kill -9 master
with Gateway() as gw:
    gw.start()
    ws, res = handshake(gw)
    workers = gw.children()
    ok(len(workers) >= 3, "workers before the master dies: %s" % workers)
    t0 = time.time()
    gw.proc.kill()
    gw.proc.wait()
    gone = wait_pids_gone(workers, 2.0)
    ok(gone, "kill -9 master: no worker remains within 2 s")
    diag("workers gone after %.0f ms" % ((time.time() - t0) * 1000))
    if not gone:
        diag("still there: %s" % [p for p in workers if pid_alive(p)])
        for p in workers:
            if pid_alive(p):
                os.kill(p, signal.SIGKILL)
    ok(wait_for(lambda: port_bindable(gw.port), 2),
       "kill -9 master: the port is free")
    ok(wait_for(lambda: port_bindable(gw.port + 4), 2),
       "kill -9 master: the canvas port is free")
    ws.close()
    # the state dir is free for a new gateway
    gw.start()
    ok(gw.wait_ready(), "a new gateway starts on the same state dir")

done_testing()
