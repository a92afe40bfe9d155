#!/usr/bin/env python3
# `openclaw logs` (protocol.md 10.2, 6.10): the tail printed as the stock
# CLI prints it ("Log file:", then "time level subsystem message"),
# --utc, --json records, --follow showing lines logged after its start
# and a rotation's reset, option errors, a server-side refusal, a target
# found from --port, and no terminal control bytes in the output.
import os, signal, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

LOCAL = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d "
UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "


def marker_line(gw):
    m = "marker-" + str(uuid.uuid4())
    ws = operator(gw)
    ws.request("health", rid=m)
    ws.close()
    return m


class Follow:
    """`openclaw logs --follow` in the background, its stdout collected."""

    def __init__(self, args, env):
        self.p = subprocess.Popen([BIN, "logs", "--follow"] + args, env=env,
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self.out = b""
        self.err = b""

    def wait_for(self, text, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            for name in ("out", "err"):
                f = getattr(self.p, "std" + name)
                try:
                    chunk = f.read()
                except BlockingIOError:
                    chunk = None
                if chunk:
                    setattr(self, name, getattr(self, name) + chunk)
            if text.encode() in self.out + self.err:
                return True
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        return text.encode() in self.out + self.err

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        for name in ("out", "err"):
            try:
                rest = getattr(self.p, "std" + name).read()
            except (BlockingIOError, ValueError):
                rest = None
            if rest:
                setattr(self, name, getattr(self, name) + rest)
        return self.out.decode("utf-8", "replace")


with Gateway(config={"logging": {"level": "debug",
                                 "maxFileBytes": 65536}}) as gw:
    gw.start()
    env = cli_env(gw)
    auth = ["--url", gw.url, "--token", gw.token]

    m = marker_line(gw)
    rc, out, err = run_cli(["logs", "--limit", "5"] + auth, env)
    lines = out.splitlines()
    is_(rc, 0, "logs: exit 0")
    is_(lines[:1], ["Log file: " + gw.logfile], "logs: names the file first")
    ok(0 < len(lines[1:]) <= 5 and
       all(re.match(LOCAL + r"(debug|info|warn|error) gateway(/\w+)? \S",
                    l) for l in lines[1:]),
       "logs: at most 5 lines 'time level subsystem message', local time")
    like(err, "Log tail truncated (increase --limit or --max-bytes).",
         "logs: the truncation notice on stderr")

    rc, out, err = run_cli(["logs", "--utc", "--limit", "50"] + auth, env)
    ok(rc == 0 and any(re.match(UTC + r"debug gateway/ws .*req " + m, l)
                       for l in out.splitlines()),
       "logs --utc: UTC times; our line is there")

    rc, out, err = run_cli(["logs", "--json", "--limit", "50"] + auth, env)
    recs = [json.loads(l) for l in out.splitlines()]
    ok(rc == 0 and recs[0] == {"type": "meta", "file": gw.logfile,
                               "sourceKind": "file",
                               "cursor": recs[0].get("cursor"),
                               "size": recs[0].get("size")},
       "logs --json: the meta record first")
    ok(any(r.get("type") == "log" and r.get("level") == "debug" and
           r.get("subsystem") == "gateway/ws" and
           "req " + m in r.get("message", "") and
           json.loads(r.get("raw", "{}")).get("message") == r["message"]
           for r in recs), "logs --json: log records with the raw line")

    # option errors and a refusal by the gateway
    for bad in (["--limit", "0"], ["--interval", "x"], ["--max-bytes", "-1"],
                ["--frobnicate"]):
        rc, out, err = run_cli(["logs"] + bad + auth, env)
        ok(rc == 2 and "openclaw:" in err,
           "logs %s: usage error, exit 2" % " ".join(bad))
    rc, out, err = run_cli(["logs", "--limit", "5001"] + auth, env)
    ok(rc == 1 and "invalid logs.tail params" in err,
       "logs --limit 5001: the gateway's refusal, exit 1")

    # the target from --port: no --url
    rc, out, err = run_cli(["logs", "--limit", "1", "--port", str(gw.port),
                            "--token", gw.token], env)
    ok(rc == 0 and out.startswith("Log file: "), "logs --port: works")

    # terminal control bytes spelt as JSON escapes in a line
    with open(gw.logfile, "a") as f:
        f.write('{"time":"2026-01-01T00:00:00.000Z","level":"info",'
                '"subsystem":"x","message":"clear \\u001b[2J bell \\u0007"}\n')
    rc, out, err = run_cli(["logs", "--limit", "10"] + auth, env)
    ok(rc == 0 and "\x1b" not in out and "\x07" not in out and
       "clear \\x1b[2J bell \\x07" in out,
       "logs: control characters printed as \\xNN")

    # --follow: new lines, and the reset after a rotation
    f = Follow(["--interval", "100", "--limit", "5000"] + auth, env)
    ok(f.wait_for("Log file: " + gw.logfile), "--follow: starts")
    m2 = marker_line(gw)
    ok(f.wait_for("req " + m2), "--follow: a line logged after the start")
    ws = operator(gw)

    def ino():
        """The log file's inode; None between a rotation's rename and
        the new file."""
        try:
            return os.stat(gw.logfile).st_ino
        except FileNotFoundError:
            return None

    first = ino()
    n = 0
    while ino() in (first, None) and n < 3000:
        ws.request("health")
        n += 1
    ws.close()
    ok(wait_for(lambda: ino() not in (first, None), 5), "the file rotated")
    m3 = marker_line(gw)
    ok(f.wait_for("req " + m3), "--follow: lines of the new file")
    text = f.stop()
    err = f.err.decode("utf-8", "replace")
    like(err, "Log cursor reset (file rotated).", "--follow: says so")
    is_(text.count("req " + m2), 1, "--follow: each line once")
    is_(gw.stop(), 0, "clean exit")

done_testing()
