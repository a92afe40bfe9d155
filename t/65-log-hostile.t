#!/usr/bin/env python3
# Logging under attack (issue 7, sections 1 and 4): a stdout nobody reads
# blocks no worker and its lost lines are counted in `health`; a client
# cannot forge a line or send escapes to the terminal; no configured
# secret and no query string reaches a log; what an unauthenticated
# client can make us log is rate-limited with an exact summary; a full
# log file (RLIMIT_FSIZE) keeps whole JSON lines only.
import json
import os
import re
import resource
import socket
import subprocess
import sys
import time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

QUICK = os.environ.get("QUICK", "") not in ("", "0")
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info |warn |error) \S+ ")


def wrong_token(gw, timeout=2):
    """One connect with a wrong token; True if it was answered."""
    try:
        w, res = handshake(gw, connect_params(token="wrong-token"),
                           timeout=timeout)
        w.close()
        return res.get("ok") is False
    except (OSError, Closed, AssertionError, ValueError):
        return False


def whole_lines(text):
    bad = [l for l in text.splitlines() if not LINE.match(l)]
    if bad:
        diag("not a log line: %r" % bad[0][:200])
    return not bad


# -- 1. stdout is a pipe that nobody reads --------------------------------
def blocked_stdout():
    n = 300 if QUICK else 600
    with Gateway(stdout_pipe=True, args=["--verbose"]) as gw:
        gw.start()
        answered, t0 = 0, time.time()
        for i in range(n):
            if wrong_token(gw):
                answered += 1
            elif i - answered >= 3:
                break
        diag("%d of %d wrong-token connects answered in %.1f s" %
             (answered, n, time.time() - t0))
        is_(answered, n, "every wrong-token connect is answered while "
            "stdout is blocked")
        t0 = time.time()
        try:
            w = operator(gw, timeout=3)
        except (OSError, Closed, RuntimeError, AssertionError) as e:
            w = None
            diag("valid client: %r" % (e,))
        took = time.time() - t0
        ok(w is not None and took < 2.0,
           "a valid client completes its handshake in %.2f s" % took)
        if w is None:
            return
        # Authenticated requests log two debug lines each: far more than
        # the pipe and the worker's buffer hold.
        count, got = (500 if QUICK else 2000), 0
        for b in range(0, count, 100):
            w.send_raw(b"".join(req_bytes("health", rid="h%d" % i)
                                for i in range(b, b + 100)))
            got += len(collect_res(w, 100, timeout=10))
        is_(got, count, "%d pipelined requests answered" % count)
        before = (w.request("health").get("payload") or {}).get(
            "logDropped", {}).get("total", -1)
        w.send_raw(b"".join(req_bytes("health", rid="m%d" % i)
                            for i in range(100)))
        collect_res(w, 100, timeout=10)
        after = (w.request("health").get("payload") or {}).get(
            "logDropped", {}).get("total", -1)
        ok(after > before >= 0, "health follows the counts (%d, then %d)" %
           (before, after))
        gw.read_stdout()
        ok(wait_for(lambda: re.search(
            r"dropped \d+ log lines? \(stdout blocked\)", gw.output()), 10),
           "once stdout drains, the lost lines are reported")
        # No probe: the cached snapshot, so only the counts changed since
        # the pipelined answers, and the answer must follow them.
        h = w.request("health")
        p = h.get("payload") or {}
        d = p.get("logDropped") or {}
        diag("logDropped %r" % (d,))
        ok(isinstance(d.get("total"), int) and d["total"] > 0 and
           d["total"] == d.get("stdout", 0) + d.get("file", 0),
           "health reports dropped log lines")
        ok(re.search(r" gateway/ws dropped \d+ log lines? \(stdout "
                     r"blocked\)", gw.output()),
           "the ws worker reports its own drops")
        w.close()
        gw.stop()
        ok(whole_lines(gw.output()), "stdout holds whole lines only")


# -- 2. a client cannot forge a line or reach the terminal ----------------
def injection():
    forged = "x\n2026-01-01T00:00:00.000Z info  gateway FORGED \x1b[2J\x1b]0;t\x07"
    with Gateway(args=["--verbose"]) as gw:
        gw.start()
        w = WS(gw.port)
        w.recv()
        w.send_json({"type": "req", "id": forged, "method": "connect",
                     "params": connect_params(token="wrong-token")})
        res = w.recv()
        is_(res.get("id"), forged, "the error answers the id as sent")
        w.close()
        wait_for(lambda: "auth failed" in gw.output(), 5)
        gw.stop()
        out = gw.output()
        ok("res x\\x0a2026" in out, "the id is logged escaped")
        ok("\x1b" not in out and "\x07" not in out,
           "no raw escape sequence on stdout")
        ok(not re.search(r"^2026-01-01T00:00:00.000Z", out, re.M),
           "no forged line on stdout")
        ok(whole_lines(out), "stdout holds our lines only")
        msgs = [l.get("message", "") for l in gw.log_lines()]
        ok(msgs and not any(re.search(r"[\x00-\x1f\x7f]", m) for m in msgs),
           "no control character in a log file message")


# -- 3. secrets and query strings -----------------------------------------
def secrets():
    tok = "s3cr3t-T0ken-%d" % os.getpid()
    with Gateway(args=["--verbose"], token=tok) as gw:
        gw.start()
        http_get(gw.port, "/healthz?token=" + tok)
        http_get(gw.port, "/healthz?x=1&key=abc")
        http_get(gw.port, "/" + tok + "/x")
        w = WS(gw.port)
        w.recv()
        w.send_json({"type": "req", "id": "id-" + tok, "method": "connect",
                     "params": connect_params(token=tok + "x")})
        w.recv()
        w.close()
        w = operator(gw, token=tok)
        w.close()
        wait_for(lambda: "hello-ok" in gw.output(), 5)
        gw.stop()
        out = gw.output()
        ok(tok not in out, "the token is not on stdout")
        with open(gw.logfile) as f:
            ok(tok not in f.read(), "the token is not in the log file")
        ok("GET /healthz?... -> 200" in out,
           "a request is logged without its query string")
        ok("key=abc" not in out, "no query parameter is logged")
        ok("GET /***/x -> " in out and "res id-*** " in out,
           "a secret inside a path or an id is replaced by ***")


# -- 4. lines an unauthenticated client causes are rate-limited -----------
def rate_limit():
    n = 200 if QUICK else 500
    with Gateway() as gw:
        gw.start()
        t0 = time.time()
        refused = 0
        for _ in range(n):
            try:
                w = WS(gw.port, headers={"Origin": "http://evil.example"})
                refused += w.status == 403
                w.sock.close()
            except OSError:
                pass
        answered = sum(wrong_token(gw) for _ in range(n))
        secs = time.time() - t0
        is_((refused, answered), (n, n), "%d bad-Origin upgrades refused, "
            "%d wrong tokens answered (%.1f s)" % (n, n, secs))
        time.sleep(1.6)  # the last window ends, its summary is due
        gw.stop()
        out = gw.output()
        for what, kind in (("origin not allowed", "upgrade refused"),
                           ("127.0.0.1: auth failed", "auth failed")):
            logged = len(re.findall(what, out))
            summed = sum(int(k) for k in re.findall(
                r"suppressed (\d+) similar lines? \(%s from 127\.0\.0\.1\)"
                % kind, out))
            diag("%s: %d lines, %d suppressed" % (kind, logged, summed))
            ok(logged <= 5 * (secs + 2) and logged < n / 4,
               "%s: %d lines for %d attempts" % (kind, logged, n))
            is_(logged + summed, n, "%s: the summaries account for every "
                "attempt" % kind)


# -- 5. a full log file keeps whole lines ---------------------------------
# RLIMIT_FSIZE gives a regular file real short writes (the gateway ignores
# SIGXFSZ itself);
# it also bounds the shared memory's memfd, so the limit is a few MiB and
# the log file starts just below it.
def full_file():
    limit = 4 * 1024 * 1024

    def fsize():
        resource.setrlimit(resource.RLIMIT_FSIZE,
                           (limit, resource.RLIM_INFINITY))

    def content():
        with open(gw.logfile, "rb") as f:
            return f.read()

    gw = Gateway(args=["--verbose"], stdout_pipe=True, preexec=fsize)
    filler = json.dumps({"time": "2026-01-01T00:00:00.000Z", "level": "info",
                         "subsystem": "test", "message": "f" * 200}) + "\n"
    with open(gw.logfile, "w") as f:
        f.write(filler * ((limit - 16 * 1024) // len(filler)))
    with gw:
        gw.start()
        gw.read_stdout()
        w = operator(gw)
        try:
            for i in range(300):
                w.request("health")
        except (OSError, Closed) as e:
            diag("request: %r" % (e,))
        data = content()
        diag("log file: %d bytes (limit %d)" % (len(data), limit))
        ok(len(data) > limit - 2048, "the log file reached its limit")
        ok(data.endswith(b"\n"), "a full log file ends with a whole line")
        for pid in tree_pids(gw):
            try:
                resource.prlimit(pid, resource.RLIMIT_FSIZE,
                                 (resource.RLIM_INFINITY,
                                  resource.RLIM_INFINITY))
            except OSError as e:
                diag("prlimit %d: %r" % (pid, e))
        h = fresh_health(gw).get("payload") or {}
        d = h.get("logDropped") or {}
        diag("logDropped %r" % (d,))
        ok(d.get("file", 0) > 0, "health counts the lines the log file lost")
        wait_for(lambda: b"dropped" in content(), 5)
        w.close()
        gw.stop()
        diag("stdout: %r" % gw.output()[-300:])
        bad, lines = 0, content().split(b"\n")
        for l in lines[:-1]:
            try:
                json.loads(l)
            except ValueError:
                bad += 1
                diag("not JSON: %r" % l[:120])
        ok(bad == 0 and lines[-1] == b"",
           "every line of the log file is whole JSON (%d lines)" % len(lines))
        ok(re.search(rb"dropped \d+ log lines? \(log file: ", content()),
           "once space is back, the lost lines are reported")


# -- 6. a terminal nobody reads (stopped with ^S, or a dead ssh) ---------
# Its file description is the shell's too: the gateway writes through a
# private non-blocking one and leaves the shared one blocking.
def stopped_tty():
    import fcntl
    import pty
    try:
        mfd, sfd = pty.openpty()
    except OSError as e:
        diag("no terminal to test with: %r" % (e,))
        return
    gw = Gateway(args=["--verbose"])
    gw.out = open(os.devnull, "wb")
    gw.proc = subprocess.Popen([BIN, "gateway", "--port", str(gw.port),
                                "--verbose"], env=gw.env, stdout=sfd,
                               stderr=sfd, stdin=subprocess.DEVNULL)
    with gw:
        ok(wait_ready_port(gw.proc, gw.port, 10), "started on a terminal")
        n = 100 if QUICK else 300
        answered = 0
        for i in range(n):
            answered += wrong_token(gw)
            if i - answered >= 3:
                break
        is_(answered, n, "wrong-token connects answered while the "
            "terminal is not read")
        ok(not fcntl.fcntl(sfd, fcntl.F_GETFL) & os.O_NONBLOCK,
           "the terminal's shared description is left blocking")
        fcntl.fcntl(mfd, fcntl.F_SETFL, os.O_NONBLOCK)
        got = b""
        for _ in range(200):
            try:
                got += os.read(mfd, 65536)
            except OSError:
                time.sleep(0.01)
        ok(b"\x1b" not in got and LINE.match(got.decode("utf-8", "replace")),
           "what reached the terminal is log lines")
        gw.stop()
    os.close(mfd)
    os.close(sfd)


for part in sys.argv[1:] or ["blocked_stdout", "injection", "secrets",
                            "rate_limit", "full_file", "stopped_tty"]:
    globals()[part]()
done_testing()
