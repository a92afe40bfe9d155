#!/usr/bin/env python3
# Config watching and reload modes (issue 8, section 2; runbook "hot
# reload"): the master watches its config file (an editor's rename over
# it, an in-place write, a delete and re-create), debounces, and by
# gateway.reload.mode applies live keys to the workers without dropping a
# connection (hybrid, hot), or calls the in-place restart (hybrid for a
# restart-class key, restart for any), or does not watch (off); SIGHUP
# reads the file again in every mode.  An invalid edit changes nothing
# and is logged with file:line:col.  The harness passes --port, which
# wins over gateway.port, so the restart-class key changed here is
# canvasHost.port (and the token); the restart itself (t/34) is seen
# to run and to take the new token.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

SETTLE = 1.2   # > debounce (300 ms) + a reload


def write_atomic(gw, cfg):
    """An editor's save: a new file renamed over the old one."""
    tmp = gw.config_path + ".tmp~"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              "w") as f:
        json.dump(cfg, f, indent=2)
    os.rename(tmp, gw.config_path)


def write_inplace(gw, text):
    """The same inode, truncated and written again."""
    fd = os.open(gw.config_path, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, text.encode())
    os.close(fd)


def edited(gw, **gateway):
    cfg = json.loads(json.dumps(gw.config))
    cfg["gateway"].update(gateway)
    return cfg


def count(gw, rx):
    return len(re.findall(rx, gw.output(), re.M))


def wait_count(gw, rx, n, timeout=5):
    wait_for(lambda: count(gw, rx) >= n, timeout)
    return count(gw, rx)


def tick_of(gw):
    """hello-ok.policy.tickIntervalMs of a new connection."""
    ws = operator(gw)
    t = ws.hello["policy"]["tickIntervalMs"]
    ws.close()
    return t


def ticks_within(ws, seconds):
    try:
        ws.recv_until(lambda m: m.get("event") == "tick", timeout=seconds)
        return True
    except (socket.timeout, Closed, OSError):
        return False


def origin_status(gw, origin):
    ws = WS(gw.port, headers={"Origin": origin})
    st = ws.status
    ws.close()
    return st


def still_open(ws, name):
    try:
        res = ws.request("health", {}, timeout=5)
        is_(res.get("ok"), True, "%s: the first connection still answers"
            % name)
    except (socket.timeout, Closed, OSError) as e:
        ok(False, "%s: the first connection still answers (%r)" % (name, e))


RELOAD = r"config reload \(file changed"

# ------------------------------------------------- hybrid: live keys
with Gateway(config={"gateway": {"tickIntervalMs": 30000}}) as gw:
    gw.start()
    a = operator(gw)
    is_(a.hello["policy"]["tickIntervalMs"], 30000, "start: tick 30 s")

    write_atomic(gw, edited(gw, tickIntervalMs=200))
    ok(ticks_within(a, 4), "rename over the file: the open connection gets "
       "ticks at the new interval")
    ok(wait_count(gw, RELOAD + r", mode hybrid\): changed: "
                  r"gateway.tickIntervalMs$", 1),
       "rename over: one reload line naming the key")
    is_(tick_of(gw), 200, "rename over: a new connection is told 200 ms")

    is_(origin_status(gw, "https://ui.example"), 403,
        "before: Origin https://ui.example refused")
    cfg = edited(gw, tickIntervalMs=200,
                 controlUi={"allowedOrigins": ["https://ui.example"]})
    write_inplace(gw, json.dumps(cfg))
    wait_count(gw, r"changed: gateway.controlUi.allowedOrigins$", 1)
    is_(origin_status(gw, "https://ui.example"), 101,
        "in-place write: the new allowed origin is live")
    still_open(a, "in-place write")

    # the checks of the start-up: a config holding a token that others
    # can read is refused, and the gateway serves on as it was
    gw.expect_log_error(r"config reload \(file changed\) failed, nothing "
                        r"changed: .*config file")
    os.chmod(gw.config_path, 0o644)
    ok(wait_count(gw, r"error gateway config reload \(file changed\) "
                  r"failed, nothing changed: .*openclaw\.json", 1),
       "chmod 644 of a config holding a token: refused, logged")
    os.chmod(gw.config_path, 0o600)
    wait_count(gw, r"config reload \(file changed\): no change", 1)


    os.unlink(gw.config_path)
    ok(wait_count(gw, r"is gone; the running configuration stays", 1),
       "file deleted: logged, nothing changes")
    is_(tick_of(gw), 200, "file deleted: still serving the old values")
    cfg = edited(gw, tickIntervalMs=300,
                 controlUi={"allowedOrigins": ["https://ui.example"]})
    cfg["logging"]["level"] = "debug"
    write_atomic(gw, cfg)
    ok(wait_count(gw, r"changed: logging.level, gateway.tickIntervalMs$",
                  1), "re-created: both keys reloaded")
    is_(tick_of(gw), 300, "re-created: the new tick is live")
    ok(wait_count(gw, r" debug ", 1), "logging.level debug is live")

    gw.expect_log_error(r"config reload \(file changed\) failed, nothing "
                        r"changed: .*openclaw\.json:4:\d+: ")
    bad = json.loads(json.dumps(cfg))
    bad["gateway"]["tickIntervalMs"] = 50
    bad = json.dumps(bad, indent=2).split("\n")
    bad[3] = bad[3] + " oops"
    write_inplace(gw, "\n".join(bad))
    ok(wait_count(gw, r"error gateway config reload \(file changed\) failed,"
                  r" nothing changed: .*openclaw\.json:4:\d+: ", 1),
       "syntax error: one error line with file:line:col")
    is_(tick_of(gw), 300, "syntax error: the old values stay")
    still_open(a, "syntax error")

    # debounce: five writes 50 ms apart make one reload
    before = count(gw, RELOAD)
    for t in (210, 220, 230, 240, 250):
        cfg["gateway"]["tickIntervalMs"] = t
        write_inplace(gw, json.dumps(cfg))
        time.sleep(0.05)
    time.sleep(SETTLE)
    is_(count(gw, RELOAD) - before, 1, "five quick writes: one reload")
    is_(tick_of(gw), 250, "five quick writes: the last value is live")
    still_open(a, "after every reload")
    a.close()

    # a worker respawned after a reload gets the reloaded values
    old = gw.worker_pid("ws")
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: gw.worker_pid("ws") not in (None, old), 10)
    b = None
    for _ in range(50):
        try:
            b = operator(gw)
            break
        except (RuntimeError, OSError, Closed, AssertionError):
            time.sleep(0.1)
    is_(b and b.hello["policy"]["tickIntervalMs"], 250,
        "a respawned ws worker has the reloaded tick")
    if b:
        b.close()

# ------------------------------------------------- hybrid: auth rate limit
def auth_code(gw, token):
    ws, res = handshake(gw, connect_params(token=token))
    ws.close()
    return "ok" if res.get("ok") else \
        ((res.get("error") or {}).get("details") or {}).get("code")


with Gateway(config={"gateway": {"auth": {"rateLimit": {
        "maxAttempts": 100, "lockoutMs": 60000,
        "exemptLoopback": False}}}}) as gw:
    gw.start()
    auth_code(gw, "bad-1")
    auth_code(gw, "bad-2")
    is_(auth_code(gw, "test-token"), "ok",
        "maxAttempts 100: two failures do not lock")
    cfg = edited(gw)
    cfg["gateway"]["auth"]["rateLimit"]["maxAttempts"] = 2
    write_atomic(gw, cfg)
    ok(wait_count(gw, r"changed: gateway.auth.rateLimit.maxAttempts$", 1),
       "maxAttempts reloaded")
    auth_code(gw, "bad-3")
    auth_code(gw, "bad-4")
    is_(auth_code(gw, "test-token"), "AUTH_RATE_LIMITED",
        "maxAttempts 2 is live: two failures lock the client out")

# ------------------------------------------------- hybrid: restart class
with Gateway() as gw:
    gw.start()
    a = operator(gw)
    cfg = edited(gw, tickIntervalMs=400)
    cfg["gateway"]["auth"]["token"] = "rotated-secret-56"
    cfg["canvasHost"] = {"port": free_port()}
    write_atomic(gw, cfg)
    ok(wait_count(gw, r"config change needs a restart: "
                  r"gateway.auth.token, canvasHost.port$", 1),
       "hybrid: restart-class keys call the restart, named")
    ok("rotated-secret-56" not in gw.output(),
       "the new token is named, never printed")
    ok(wait_count(gw, r"restart: generation 1 gone", 1, timeout=15),
       "hybrid: the in-place restart ran (generation 2 serves)")
    is_(auth_code(gw, "rotated-secret-56"), "ok",
        "the restarted gateway takes the new token")
    cfg["gateway"]["unknownFutureKey"] = {"x": 1}
    write_atomic(gw, cfg)
    ok(wait_count(gw, r"config change needs a restart: .*"
                  r"gateway.unknownFutureKey$", 1),
       "hybrid: a key this gateway does not know is restart class")
    a.close()

# ------------------------------------------------- hot
with Gateway(config={"gateway": {"reload": {"mode": "hot"}}}) as gw:
    gw.start()
    cfg = edited(gw, tickIntervalMs=450)
    cfg["canvasHost"] = {"port": free_port()}
    write_atomic(gw, cfg)
    ok(wait_count(gw, r"take effect only after a restart \(gateway.reload."
                  r"mode is hot, not restarting\): canvasHost.port$", 1),
       "hot: the restart-class key is logged")
    is_(tick_of(gw), 450, "hot: the live key is applied")
    is_(count(gw, r"config change needs a restart"), 0,
        "hot: no restart called")

# ------------------------------------------------- restart
with Gateway(config={"gateway": {"reload": {"mode": "restart"}}}) as gw:
    gw.start()
    write_atomic(gw, edited(gw, tickIntervalMs=460))
    ok(wait_count(gw, r"config change needs a restart: "
                  r"gateway.tickIntervalMs$", 1),
       "restart: even a live key calls the restart")

# ------------------------------------------------- off, and SIGHUP
with Gateway(config={"gateway": {"reload": {"mode": "off"},
                                 "tickIntervalMs": 30000}}) as gw:
    gw.start()
    a = operator(gw)
    write_atomic(gw, edited(gw, tickIntervalMs=200))
    time.sleep(SETTLE)
    is_(count(gw, r"config reload"), 0, "off: an edit is not read")
    is_(tick_of(gw), 30000, "off: the old tick stays")
    gw.proc.send_signal(signal.SIGHUP)
    ok(wait_count(gw, r"config reload \(SIGHUP, mode off\): changed: "
                  r"gateway.tickIntervalMs$", 1), "off: SIGHUP reads it")
    ok(ticks_within(a, 4), "SIGHUP: the open connection gets the new tick")
    ok(wait_count(gw, r"reopened log file", 1), "SIGHUP still reopens the log")
    gw.proc.send_signal(signal.SIGHUP)
    ok(wait_count(gw, r"config reload \(SIGHUP\): no change", 1),
       "SIGHUP again: no change")
    a.close()

done_testing()
