#!/usr/bin/env python3
# SIGTERM / SIGINT: every WebSocket client gets a "shutdown" event with a
# reason, then close 1012 "service restart"; sockets not yet authenticated
# are closed too; the whole process tree exits 0 within a bounded time.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def shutdown_seen(ws, name):
    try:
        ev = ws.recv_until(lambda m: m.get("type") == "event" and
                           m.get("event") == "shutdown", timeout=8)
    except Closed as e:
        ok(False, "%s: shutdown event before the close" % name)
        diag("closed first: %s %r" % (e.code, e.reason))
        return None
    except (socket.timeout, OSError) as e:
        ok(False, "%s: shutdown event before the close" % name)
        diag("no shutdown event: %r" % (e,))
        return None
    ok(True, "%s: shutdown event before the close" % name)
    reason = (ev.get("payload") or {}).get("reason")
    ok(isinstance(reason, str) and reason.strip(),
       "%s: payload.reason is a non-empty string" % name)
    diag("%s: shutdown payload %s" % (name, json.dumps(ev.get("payload"))))
    return ev


def close_seen(ws, name):
    code, reason = ws.expect_close(timeout=8)
    is_((code, reason), (1012, "service restart"),
        "%s: close 1012 'service restart'" % name)


def eof_after(ws, timeout=5):
    """The server side is gone: reads end (EOF or reset) in time."""
    ws.sock.settimeout(timeout)
    try:
        while True:
            if not ws.sock.recv(65536):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def preauth_closed(ws, name):
    code, reason = ws.expect_close(timeout=8)
    ok(code is not None, "%s: closed by the gateway" % name)
    diag("%s: close %s %r" % (name, code, reason))


for sig, sname in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
    with Gateway() as gw:
        gw.start()
        clients = []
        for i in range(2):
            ws, res = handshake(gw, connect_params(
                client_id="openclaw-control-ui" if i else "cli",
                mode="ui" if i else "cli"))
            if not is_(res.get("ok"), True, "%s: client %d connected" %
                       (sname, i)):
                diag(res)
            clients.append(ws)
        # a socket upgraded but not authenticated (challenge read only)
        pre = WS(gw.port)
        ch = pre.recv()
        is_(ch.get("event"), "connect.challenge", "%s: preauth socket" % sname)
        # a plain HTTP keep-alive connection, idle
        idle = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = idle.recv(65536)
        like(first.decode("latin-1"), " 200 ", "%s: keep-alive HTTP" % sname)

        workers = gw.children()
        ok(len(workers) >= 2, "%s: workers %s" % (sname, workers))
        t0 = time.time()
        gw.proc.send_signal(sig)
        for i, ws in enumerate(clients):
            name = "%s client %d" % (sname, i)
            shutdown_seen(ws, name)
            close_seen(ws, name)
        preauth_closed(pre, "%s preauth socket" % sname)
        ok(eof_after(clients[0]), "%s: client sockets end after the close" %
           sname)
        idle.settimeout(8)
        try:
            rest = idle.recv(65536)
            ok(rest == b"", "%s: idle HTTP connection closed" % sname)
        except OSError:
            ok(True, "%s: idle HTTP connection closed (reset)" % sname)
        try:
            rc = gw.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        dt = time.time() - t0
        is_(rc, 0, "%s: gateway exits 0" % sname)
        diag("%s: exit after %.0f ms" % (sname, dt * 1000))
        ok(dt < 10, "%s: within the bound" % sname)
        ok(wait_pids_gone(workers, 3),
           "%s: no worker process remains" % sname)
        ok(port_bindable(gw.port), "%s: the port is free again" % sname)
        ok(not port_listening(gw.port + 4),
           "%s: canvas port closed" % sname)
        out = gw.output()
        like(out, "received %s" % sname, "%s: logged" % sname)
        for ws in clients + [pre]:
            ws.close()
        idle.close()

# A shutdown while a client is mid-request and others keep sending.
with Gateway() as gw:
    gw.start()
    ws, res = handshake(gw)
    is_(res.get("ok"), True, "busy client connected")
    for i in range(20):
        ws.send_json({"type": "req", "id": "b%d" % i, "method": "health"})
    gw.proc.send_signal(signal.SIGTERM)
    got_shutdown = False
    code = None
    try:
        while True:
            m = ws.recv(8)
            if m.get("event") == "shutdown":
                got_shutdown = True
    except Closed as e:
        code = e.code
    except (socket.timeout, OSError):
        pass
    ok(got_shutdown, "busy client: shutdown event")
    is_(code, 1012, "busy client: close 1012")
    try:
        rc = gw.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    is_(rc, 0, "busy client: gateway exits 0")

done_testing()
