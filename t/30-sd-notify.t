#!/usr/bin/env python3
# sd_notify (master/notify.c): with NOTIFY_SOCKET set, the master sends
# READY=1 with a STATUS= line once the first generation serves (after
# gateway.startupDelayMs, as /readyz), STATUS= again when the number of
# WebSocket connections changes, STOPPING=1 when a SIGTERM starts
# the drain, in that order and once each; WATCHDOG=1 every
# WATCHDOG_USEC / 2 unless WATCHDOG_PID names another process; the
# workers never inherit NOTIFY_SOCKET.  The test is the service manager:
# its own datagram socket, a path and an abstract name.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def notify_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path if path[0] != "@" else "\0" + path[1:])
    return s


def messages(s, until, timeout=10.0):
    """Datagrams as dicts until one holds key `until` (or timeout)."""
    out, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data = s.recv(4096).decode()
        except socket.timeout:
            break
        msg = dict(l.split("=", 1) for l in data.split("\n") if "=" in l)
        msg["_t"] = time.monotonic()
        out.append(msg)
        if until in msg:
            break
    return out


def keys_in_order(msgs):
    return [k for m in msgs for k in ("READY", "STOPPING") if k in m]


def worker_env(gw, role):
    pid = gw.worker_pid(role)
    with open("/proc/%d/environ" % pid, "rb") as f:
        return [e.split(b"=", 1)[0].decode() for e in f.read().split(b"\0")
                if e]


# READY after the startup delay, with STATUS; then STOPPING on SIGTERM.
delay = 600
gw = Gateway(config={"gateway": {"startupDelayMs": delay}})
path = os.path.join(gw.dir, "notify")
s = notify_socket(path)
gw.env["NOTIFY_SOCKET"] = path
t0 = time.monotonic()
gw.start()
first = messages(s, "READY")
ready = [m for m in first if "READY" in m]
is_(len(ready), 1, "one READY=1 once the generation serves")
if ready:
    r = ready[0]
    is_(r["READY"], "1", "READY=1")
    ok(r["_t"] - t0 >= delay / 1000.0,
       "READY=1 waits for gateway.startupDelayMs (%.0f ms >= %d ms)" %
       ((r["_t"] - t0) * 1000, delay))
    like(r.get("STATUS", ""), "serving on ws://127.0.0.1:%d" % gw.port,
         "STATUS names the address")
    like(r.get("STATUS", ""), "generation 1", "STATUS names the generation")
is_(http_get(gw.port, "/readyz")[0], 200, "serving when READY=1 came")
if ready:
    like(ready[0].get("STATUS", ""), r"0 WebSocket connections",
         "STATUS counts the WebSocket connections")
# The count follows the clients (the workers report it to the master's
# watchdog, every gateway.watchdogMs / 4; 5000 ms here).
clients = [operator(gw), operator(gw)]


def status_with(s, want, timeout=6.0):
    """The first STATUS= that matches the regex want, or None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for m in messages(s, "STATUS", timeout=end - time.monotonic()):
            if re.search(want, m.get("STATUS", "")):
                return m
    return None


ok(status_with(s, r"generation 1, 2 WebSocket connections$"),
   "STATUS=... 2 WebSocket connections once two clients are in")
clients[0].close()
ok(status_with(s, r"generation 1, 1 WebSocket connection$"),
   "STATUS=... 1 WebSocket connection once one left")
clients[1].close()
env = worker_env(gw, "ws")
ok("NOTIFY_SOCKET" not in env and "WATCHDOG_USEC" not in env,
   "the ws worker has no NOTIFY_SOCKET or WATCHDOG_USEC")
ok("NOTIFY_SOCKET" not in worker_env(gw, "http"),
   "the http worker has no NOTIFY_SOCKET")
gw.proc.send_signal(signal.SIGTERM)
rest = messages(s, "STOPPING")
is_(keys_in_order(first + rest), ["READY", "STOPPING"],
    "READY then STOPPING, once each")
stopping = [m for m in rest if "STOPPING" in m]
is_(len(stopping), 1, "STOPPING=1 when the drain starts")
if stopping:
    like(stopping[0].get("STATUS", ""), "draining", "STATUS says draining")
is_(gw.stop(), 0, "exit status 0 after the drain")
s.close()
gw.cleanup()

# WATCHDOG=1 every WATCHDOG_USEC / 2, to an abstract socket.
gw = Gateway()
name = "@ocgw-t-notify-%d" % os.getpid()
s = notify_socket(name)
gw.env.update({"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "400000"})
gw.start()
t0 = time.monotonic()
got = messages(s, "never", timeout=1.3)
dogs = [m["_t"] for m in got if m.get("WATCHDOG") == "1"]
ok(len(dogs) >= 4, "WATCHDOG=1 repeats (%d in 1.3 s at 200 ms)" % len(dogs))
gaps = [b - a for a, b in zip(dogs, dogs[1:])]
ok(gaps and max(gaps) < 0.4 and min(gaps) > 0.1,
   "every WATCHDOG_USEC / 2 (gaps %s s)" % ["%.2f" % g for g in gaps])
ok(any(m.get("READY") == "1" for m in got),
   "READY=1 through an abstract NOTIFY_SOCKET")
is_(gw.stop(), 0, "exit status 0")
s.close()
gw.cleanup()

# WATCHDOG_PID of another process: the watchdog is not ours.
gw = Gateway()
path = os.path.join(gw.dir, "notify")
s = notify_socket(path)
gw.env.update({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000",
               "WATCHDOG_PID": str(os.getpid())})
gw.start()
got = messages(s, "never", timeout=0.8)
ok(not any("WATCHDOG" in m for m in got),
   "no WATCHDOG=1 when WATCHDOG_PID is another process")
ok(any("READY" in m for m in got), "READY=1 still sent")
gw.stop()
s.close()
gw.cleanup()

# Nobody listens on NOTIFY_SOCKET: the gateway serves all the same.
gw = Gateway()
gw.env["NOTIFY_SOCKET"] = os.path.join(gw.dir, "nobody")
gw.start()
is_(http_get(gw.port, "/readyz")[0], 200,
    "serves when the notify socket does not exist")
is_(gw.stop(), 0, "and stops cleanly")
gw.cleanup()

done_testing()
