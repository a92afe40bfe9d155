#!/usr/bin/env python3
# Interop: the STOCK `openclaw logs` (2026.9.6, Node 24 from t/interop)
# against our logs.tail (protocol.md 6.10, 10.2): `logs --limit 5`,
# `logs --json`, `logs` on the local target of its config (as
# gateway-client/backend), and `logs --follow`, which polls with the
# cursor and must show a line logged after it started.  --follow never
# ends by itself: it runs under a deadline and is stopped.
# Skipped when the npm packages cannot be installed, except under CI.
import os, shutil, signal, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "interop"))
import gwtest
from gwtest import *
import interop

node = interop.ensure(need_cli=True)
cli = interop.openclaw_bin()

clidir = tempfile.mkdtemp(prefix="ocgw-cli-")
clistate = os.path.join(clidir, "state")
os.makedirs(clistate, mode=0o700)
cenv = {k: v for k, v in os.environ.items() if not k.startswith("OPENCLAW_")}
cenv.update({"HOME": clidir, "OPENCLAW_STATE_DIR": clistate,
             "OPENCLAW_DISABLE_BONJOUR": "1", "OPENCLAW_SKIP_CHANNELS": "1",
             "NO_COLOR": "1", "FORCE_COLOR": "0"})
# The CLI's own file log stays out of /tmp/openclaw.
with open(os.path.join(clistate, "openclaw.json"), "w") as f:
    json.dump({"logging": {"file": os.path.join(clidir, "cli.log")}}, f)


def cli_run(*args):
    argv = [node, cli] + list(args)
    try:
        r = subprocess.run(argv, env=cenv, cwd=clidir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", (e.stderr or b"") + \
            b"\n(timed out after 60 s)"
    return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def show(what, rc, out, err):
    diag("%s: exit %s" % (what, rc))
    if out.strip():
        diag("stdout:\n" + out[-3000:])
    if err.strip():
        diag("stderr:\n" + err[-3000:])


def marker_line(gw):
    """A line in the gateway's log naming a fresh marker (debug: the req
    line of a health call with the marker as id)."""
    m = "marker-" + str(uuid.uuid4())
    ws = operator(gw)
    ws.request("health", rid=m)
    ws.close()
    return m


STAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) "

try:
    with Gateway(config={"logging": {"level": "debug"}}) as gw:
        gw.start()
        auth = ["--url", gw.url, "--token", gw.token]

        m = marker_line(gw)
        rc, out, err = cli_run("logs", "--limit", "5", *auth)
        lines = out.splitlines()
        if not is_(rc, 0, "logs --limit 5: exit 0"):
            show("logs --limit 5", rc, out, err)
        ok(lines and lines[0] == "Log file: " + gw.logfile,
           "logs: names our log file first")
        body = lines[1:]
        ok(0 < len(body) <= 5 and all(re.match(STAMP + r"\w+ gateway", l)
                                      for l in body),
           "logs: at most 5 lines, each 'time level subsystem message'")
        like(err, "Log tail truncated", "logs: says the tail is truncated")

        rc, out, err = cli_run("logs", "--limit", "50", "--json", *auth)
        recs = []
        for l in out.splitlines():
            try:
                recs.append(json.loads(l))
            except ValueError:
                recs.append(None)
        ok(rc == 0 and recs and recs[0] and recs[0].get("type") == "meta" and
           recs[0].get("file") == gw.logfile,
           "logs --json: a meta record with our file")
        logs = [r for r in recs if r and r.get("type") == "log"]
        ok(any(m in (r.get("message") or "") and
               r.get("subsystem") == "gateway/ws" and
               r.get("level") == "debug" for r in logs),
           "logs --json: our lines parsed (level, subsystem, message)")

        # no --url: the CLI finds the local gateway in its config and
        # connects as gateway-client/backend without a device identity
        with open(os.path.join(clistate, "openclaw.json"), "w") as f:
            json.dump({"gateway": {"mode": "local", "port": gw.port,
                                   "auth": {"mode": "token",
                                            "token": gw.token}},
                       "logging": {"file": os.path.join(clidir, "cli.log")}},
                      f)
        m = marker_line(gw)
        rc, out, err = cli_run("logs", "--limit", "20")
        if not ok(rc == 0 and ("Log file: " + gw.logfile) in out and
                  ("req " + m) in out,
                  "logs on the implicit local target (gateway-client)"):
            show("logs (implicit target)", rc, out, err)

        # --follow: lines logged after it started show up
        p = subprocess.Popen([node, cli, "logs", "--follow", "--interval",
                              "300", *auth], env=cenv, cwd=clidir,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        buf = b""
        os.set_blocking(p.stdout.fileno(), False)

        def read_until(text, timeout):
            global buf
            end = time.time() + timeout
            while time.time() < end and p.poll() is None:
                try:
                    chunk = p.stdout.read()
                except (BlockingIOError, TypeError):
                    chunk = None
                if chunk:
                    buf += chunk
                if text.encode() in buf:
                    return True
                time.sleep(0.1)
            return text.encode() in buf

        ok(read_until("Log file: " + gw.logfile, 40),
           "logs --follow: starts, names our file")
        m2 = marker_line(gw)
        ok(read_until(m2, 15), "logs --follow: a line logged after the "
           "start shows up")
        m3 = marker_line(gw)
        ok(read_until(m3, 15), "logs --follow: and the next one")
        ok(p.poll() is None, "logs --follow: still running")
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            _, e = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            _, e = p.communicate()
        text = buf.decode("utf-8", "replace")
        is_(text.count("req " + m2), 1, "logs --follow: each line once")
        if not ok("error" not in e.decode("utf-8", "replace").lower(),
                  "logs --follow: no error on stderr"):
            show("logs --follow", p.returncode, text, e.decode())
        is_(gw.stop(), 0, "clean exit")
finally:
    shutil.rmtree(clidir, ignore_errors=True)
done_testing()
