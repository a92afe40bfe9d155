#!/usr/bin/env python3
# Start-up of `openclaw gateway`: first run, config errors, flags, ports,
# the state-dir lock, non-loopback binds, secret files.  Exit statuses:
# 0 normal stop, 1 runtime failure, 2 usage error, 78 configuration error.
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def one_line(err, name):
    lines = [l for l in err.splitlines() if l.strip()]
    if not is_(len(lines), 1, name + ": exactly one line on stderr"):
        diag(err)
    return lines[0] if lines else ""


def fails(gw, status, args=None, name="", env=None, port=True):
    rc, out, err = run_gateway(gw, args, env=env, port=port)
    if not is_(rc, status, "%s: exit %s" % (name, status)):
        diag("stdout: " + out)
        diag("stderr: " + err)
    return rc, out, err


def default_log_path(out):
    m = re.search(r"logging to (\S+)", out)
    if m:
        return m.group(1)
    day = time.strftime("%Y-%m-%d")
    for d in ("/tmp/openclaw", "/tmp/openclaw-%d" % os.getuid()):
        p = "%s/openclaw-%s.log" % (d, day)
        if os.path.exists(p):
            return p
    return None


os.umask(0o022)

# ---------------------------------------------------------------- first run
with Gateway(write_config=False, token=None, args=["--verbose"]) as gw:
    # a state dir that does not exist yet: the gateway creates it
    state = os.path.join(gw.dir, "fresh", "state")
    gw.env["OPENCLAW_STATE_DIR"] = state
    cfgpath = os.path.join(state, "openclaw.json")
    t0 = time.time()
    spawn_gateway(gw, ["--port", str(gw.port), "--verbose"])
    ready = wait_ready_port(gw.proc, gw.port)
    ok(ready, "first run: starts with no config and no credential")
    diag("start-up time (spawn -> /readyz 200): %.0f ms" %
         ((time.time() - t0) * 1000))
    ok(os.path.isfile(cfgpath), "first run: wrote <state>/openclaw.json")
    st = os.stat(cfgpath)
    is_(oct(st.st_mode & 0o777), oct(0o600), "config file mode 0600")
    is_(oct(os.stat(state).st_mode & 0o777), oct(0o700), "state dir mode 0700")
    with open(cfgpath) as f:
        text = f.read()
    try:
        cfg = json.loads(text)
    except ValueError:
        cfg = {}
    ok(cfg, "config is plain JSON")
    is_(cfg.get("gateway", {}).get("mode"), "local", "gateway.mode local")
    tok = cfg.get("gateway", {}).get("auth", {}).get("token", "")
    ok(TOKEN_RE.match(tok or ""), "token is 43 chars of base64url")
    if tok:
        ws, res = handshake(gw, connect_params(token=tok))
        is_(res.get("ok"), True, "the generated token authenticates")
        ws.close()
    out = gw.output()
    ok(tok and tok not in out, "token not in stdout (not a terminal)")
    logpath = default_log_path(out)
    diag("log file: %s" % logpath)
    if logpath and os.path.exists(logpath):
        with open(logpath, "rb") as f:
            ok(tok.encode() not in f.read(), "token not in the log file")
    else:
        ok(False, "found the log file")
    is_(gw.stop(), 0, "first run: SIGTERM -> exit 0")
    mtime = st.st_mtime_ns
    spawn_gateway(gw, ["--port", str(gw.port)])
    ok(wait_ready_port(gw.proc, gw.port), "second start with that config")
    is_(gw.stop(), 0, "second start: exit 0")
    with open(cfgpath) as f:
        is_(f.read(), text, "second start: config content unchanged")
    is_(os.stat(cfgpath).st_mtime_ns, mtime, "second start: mtime unchanged")
    ok(tok not in gw.output(), "token never in stdout")

# ---------------------------------------------------------------- gateway.mode
with Gateway(config={"gateway": {"mode": "remote"}}) as gw:
    rc, out, err = fails(gw, 78, name="gateway.mode remote")
    like(one_line(err, "gateway.mode remote"), "gateway.mode",
         "message names gateway.mode")
    ok(not port_listening(gw.port), "nothing listening after the refusal")
    gw.start(extra_args=["--allow-unconfigured"])
    ok(gw.wait_ready(), "--allow-unconfigured starts it")
    is_(gw.stop(), 0, "and it stops with 0")

# stdout and stderr one pipe, as on a terminal or in the journal: the
# error is said once (its log line), and the log file has it too.
with Gateway(config={"gateway": {"mode": "remote"}}) as gw:
    rc, out, err = run_gateway(gw, merged=True)
    is_(rc, 78, "one output for both: exit 78")
    is_(out.count("is not \"local\""), 1,
        "one output for both: the error once (%r)" % out)
    lines = [l for l in gw.log_lines() if l.get("level") == "error"]
    is_(len(lines), 1, "one output for both: the log file has it")
    rc, out, err = run_gateway(gw)
    ok("is not \"local\"" in err and "is not \"local\"" in out,
       "stdout apart from stderr: both get the error")

with Gateway(raw_config='{"gateway": {"auth": {"token": "x"}}}') as gw:
    rc, out, err = fails(gw, 78, name="gateway.mode missing")
    like(one_line(err, "gateway.mode missing"), "gateway.mode",
         "message names gateway.mode")

# ---------------------------------------------------------------- syntax
for raw, what in (('{"gateway": {"mode": "local",}, x}', "bare word"),
                  ("{'gateway': {'mode': 'local'}}", "single quotes"),
                  ('{"gateway": {"mode": "local"}', "unterminated")):
    with Gateway(raw_config=raw) as gw:
        rc, out, err = fails(gw, 78, name="invalid JSON (%s)" % what)
        line = one_line(err, what)
        ok(re.search(re.escape(gw.config_path) + r":\d+:\d+:", line),
           "invalid JSON (%s): <path>:<line>:<col>: in the message" % what)
        if "x}" in raw:
            diag(line)

raw = '{\n  "gateway": {\n    "mode": \'local\'\n  }\n}\n'
with Gateway(raw_config=raw) as gw:
    rc, out, err = fails(gw, 78, name="error on line 3")
    line = one_line(err, "error on line 3")
    ok(re.search(re.escape(gw.config_path) + r":3:\d+:", line),
       "the line number is right (3)")
    diag(line)

with Gateway() as gw:
    raw = """// a comment before everything
{
  /* a block
     comment */
  "gateway": {
    "mode": "local", // trailing comment
    "auth": {"mode": "token", "token": "test-token",},
  },
  "logging": {"file": %s,},
}
""" % json.dumps(gw.logfile)
    with open(gw.config_path, "w") as f:
        f.write(raw)
    gw.start()
    ok(gw.wait_ready(), "comments and trailing commas are accepted")
    ws, res = handshake(gw)
    is_(res.get("ok"), True, "and the token in it works")
    ws.close()

# ---------------------------------------------------------------- YAML
with Gateway(write_config=False) as gw:
    ypath = os.path.join(gw.dir, "gw.yaml")
    with open(ypath, "w") as f:
        f.write("# YAML config\ngateway:\n  mode: local\n  auth:\n"
                "    mode: token\n    token: yaml-token-123\n"
                "logging:\n  file: %s\n" % gw.logfile)
    os.chmod(ypath, 0o600)
    gw.env["OPENCLAW_CONFIG_PATH"] = ypath
    gw.start()
    ok(gw.wait_ready(), "YAML config (OPENCLAW_CONFIG_PATH=*.yaml) starts")
    ws, res = handshake(gw, connect_params(token="yaml-token-123"))
    is_(res.get("ok"), True, "token from the YAML config works")
    ws.close()
    ok(not os.path.exists(gw.config_path),
       "no openclaw.json written beside a YAML config")

with Gateway(write_config=False) as gw:
    ypath = os.path.join(gw.dir, "bad.yml")
    with open(ypath, "w") as f:
        f.write("gateway:\n  mode: local\n  port: [1, 2\n")
    rc, out, err = fails(gw, 78, name="invalid YAML",
                         env={"OPENCLAW_CONFIG_PATH": ypath})
    like(one_line(err, "invalid YAML"), ypath, "message names the file")

# ---------------------------------------------------------------- types
with Gateway(config={"gateway": {"port": "abc"}}) as gw:
    rc, out, err = fails(gw, 78, name="gateway.port \"abc\"")
    like(one_line(err, "gateway.port"), "gateway.port",
         "message names gateway.port")
with Gateway(config={"canvasHost": {"enabled": "yes"}}) as gw:
    rc, out, err = fails(gw, 78, name="canvasHost.enabled \"yes\"")
    like(one_line(err, "canvasHost.enabled"), "canvasHost.enabled",
         "message names canvasHost.enabled")

with Gateway() as gw:
    os.chmod(gw.config_path, 0)
    if os.access(gw.config_path, os.R_OK):
        diag("running as root: an unreadable config cannot be tested")
    else:
        rc, out, err = fails(gw, 78, name="unreadable config")
        like(one_line(err, "unreadable"), gw.config_path,
             "message names the file")
with Gateway(write_config=False) as gw:
    d = os.path.join(gw.dir, "cfgdir.json")
    os.mkdir(d)
    rc, out, err = fails(gw, 78, name="config path is a directory",
                         env={"OPENCLAW_CONFIG_PATH": d})
    like(one_line(err, "config path is a directory"), d,
         "message names the path")

# ---------------------------------------------------------------- flags
with Gateway() as gw:
    for args in (["--bogus"], ["--port", "abc"], ["--port", "70000"],
                 ["--bind", "moon"], ["--port"], ["extra"]):
        rc, out, err = run_gateway(gw, args, port=False)
        is_(rc, 2, "%s: exit 2" % " ".join(args))
        like(err.lower(), "usage", "%s: usage on stderr" % " ".join(args))
        ok(not port_listening(gw.port), "%s: not started" % " ".join(args))
    for args in (["--help"], ["run", "--help"]):
        rc, out, err = run_gateway(gw, args, port=False)
        is_(rc, 0, "%s: exit 0" % " ".join(args))
        like(out.lower(), "usage", "%s: usage on stdout" % " ".join(args))

# ---------------------------------------------------------------- port precedence
with Gateway(env={"OPENCLAW_SKIP_CANVAS_HOST": "1"}) as gw:
    pflag, penv, pcfg = free_ports(3)
    gw.config["gateway"]["port"] = pcfg
    with open(gw.config_path, "w") as f:
        json.dump(gw.config, f)
    cases = (("--port > env > config", ["--port", str(pflag)],
              {"OPENCLAW_GATEWAY_PORT": str(penv)}, pflag),
             ("env > config", [], {"OPENCLAW_GATEWAY_PORT": str(penv)},
              penv),
             ("env host:port", [],
              {"OPENCLAW_GATEWAY_PORT": "127.0.0.1:%d" % penv}, penv),
             ("config", [], {}, pcfg))
    for name, args, env, want in cases:
        gw.env.pop("OPENCLAW_GATEWAY_PORT", None)
        gw.env.update(env)
        spawn_gateway(gw, args)
        ok(wait_ready_port(gw.proc, want), "port %s: listens on %d" %
           (name, want))
        others = [p for p in (pflag, penv, pcfg) if p != want]
        ok(not any(port_listening(p) for p in others),
           "port %s: not on the others" % name)
        is_(gw.stop(), 0, "port %s: exit 0" % name)

# ---------------------------------------------------------------- port in use
with Gateway() as gw:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", gw.port))
    s.listen(1)
    rc, out, err = fails(gw, 1, name="port in use")
    like(one_line(err, "port in use"), "127.0.0.1:%d" % gw.port,
         "message names the address")
    s.close()

with Gateway() as gw:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", gw.port + 4))
    s.listen(1)
    # Not worth refusing to start: the main port serves the canvas too.
    gw.canvas_index(b"canvas on the main port")
    port = gw.port
    gw.start()
    ok(gw.wait_ready() and gw.port == port,
       "canvas port in use: the gateway starts on its port (%d, then %d)" %
       (port, gw.port))
    warn = [l for l in gw.output().splitlines() if " warn " in l and
            "canvas port %d" % (gw.port + 4) in l and "in use" in l]
    is_(len(warn), 1, "canvas port in use: one warning naming the port and "
        "the cause")
    st, h, body = http_get(gw.port, "/__openclaw__/canvas/")
    is_((st, body), (200, b"canvas on the main port"),
        "canvas port in use: the main port serves the canvas")
    ws = operator(gw)
    h = ws.request("health").get("payload") or {}
    c = h.get("canvasHost") or {}
    is_((c.get("port"), c.get("listening")), (gw.port + 4, False),
        "canvas port in use: health says the canvas port is not listening")
    like(c.get("error", ""), "in use", "... and why")
    ws.close()
    is_(gw.stop(), 0, "canvas port in use: stops with 0")
    s.close()

with Gateway() as gw:
    gw.start()
    ws = operator(gw)
    c = (ws.request("health").get("payload") or {}).get("canvasHost") or {}
    is_(c, {"port": gw.port + 4, "listening": True},
        "canvas port free: health says it listens")
    ws.close()

with Gateway() as gw:
    rc, out, err = fails(gw, 78, name="OPENCLAW_GATEWAY_PORT=abc",
                         env={"OPENCLAW_GATEWAY_PORT": "abc"}, port=False)
    like(one_line(err, "OPENCLAW_GATEWAY_PORT=abc"), "OPENCLAW_GATEWAY_PORT",
         "message names OPENCLAW_GATEWAY_PORT")

# ---------------------------------------------------------------- lock
with Gateway() as gw:
    gw.start()
    other = free_port()
    rc, out, err = run_gateway(gw, ["--port", str(other)], port=False)
    ok(rc not in (0, None), "second gateway on the same state dir fails")
    diag("exit %s" % rc)
    like(one_line(err, "lock"), str(gw.proc.pid),
         "message names the first one's PID")
    ok(not port_listening(other), "second gateway did not listen")
    ok(gw.wait_ready(1), "first gateway still serves")

# ---------------------------------------------------------------- non-loopback bind
with Gateway(config={"gateway": {"auth": {"mode": "none"}}}, token=None) as gw:
    rc, out, err = fails(gw, 78, ["--bind", "lan"], name="lan without auth")
    like(one_line(err, "lan without auth").lower(), "auth",
         "message says authentication is missing")
    ok(not port_listening(gw.port), "nothing listening")
with Gateway(config={"gateway": {"bind": "lan", "auth": {"mode": "none"}}},
             token=None) as gw:
    rc, out, err = fails(gw, 78, name="gateway.bind lan without auth")

with Gateway() as gw:
    gw.start(extra_args=["--bind", "lan"])
    ok(gw.wait_ready(), "--bind lan with a token starts")
    out = gw.output()
    warn = [l for l in out.splitlines()
            if " warn" in l and re.search("plaintext", l, re.I) and
            re.search("TLS", l)]
    ok(warn, "a loud warning about plaintext / TLS")
    is_(gw.stop(), 0, "stops with 0")

# ---------------------------------------------------------------- secret files
def secret_leaks(gw, secret):
    """Where a secret shows: cmdline/environ of the workers and master."""
    where = []
    pids = gw.children()
    ok(len(pids) >= 2, "workers found (%d)" % len(pids))
    for pid in pids + [gw.proc.pid]:
        for name in ("cmdline", "environ"):
            if secret.encode() in proc_file(pid, name):
                where.append("%d/%s" % (pid, name))
    return where


with Gateway(token=None) as gw:
    secret = "tok-from-file-" + uuid.uuid4().hex
    tf = os.path.join(gw.dir, "token")
    with open(tf, "w") as f:
        f.write(secret + "\n")
    os.chmod(tf, 0o600)
    gw.start(extra_args=["--token-file", tf])
    ws, res = handshake(gw, connect_params(token=secret))
    is_(res.get("ok"), True, "--token-file: its token authenticates")
    ws.close()
    ws, res = handshake(gw, connect_params(token=secret + "x"))
    is_(res.get("ok"), False, "--token-file: another token does not")
    ws.close()
    is_(secret_leaks(gw, secret), [],
        "--token-file: secret not in /proc cmdline/environ")
    ok(secret not in gw.output(), "--token-file: secret not in stdout")
    with open(gw.logfile, "rb") as f:
        ok(secret.encode() not in f.read(), "--token-file: not in the log")

with Gateway(token=None, config={"gateway": {"auth": {"mode": "password"}}}) \
        as gw:
    secret = "pw-from-file-" + uuid.uuid4().hex
    pf = os.path.join(gw.dir, "password")
    with open(pf, "w") as f:
        f.write(secret + "\n")
    os.chmod(pf, 0o600)
    gw.start(extra_args=["--password-file", pf])
    ws, res = handshake(gw, connect_params(token=None, password=secret))
    is_(res.get("ok"), True, "--password-file: its password authenticates")
    ws.close()
    is_(secret_leaks(gw, secret), [],
        "--password-file: secret not in /proc cmdline/environ")

with Gateway(token=None) as gw:
    rc, out, err = fails(gw, 78, ["--token-file",
                                  os.path.join(gw.dir, "missing")],
                         name="--token-file missing")
    like(one_line(err, "--token-file missing"), "missing",
         "message names the file")

with Gateway(token=None) as gw:
    secret = "tok-from-env-" + uuid.uuid4().hex
    gw.env["OPENCLAW_GATEWAY_TOKEN"] = secret
    gw.start()
    ws, res = handshake(gw, connect_params(token=secret))
    is_(res.get("ok"), True, "OPENCLAW_GATEWAY_TOKEN authenticates")
    ws.close()
    leaks = [w for w in secret_leaks(gw, secret)
             if not w.startswith("%d/" % gw.proc.pid)]
    is_(leaks, [], "OPENCLAW_GATEWAY_TOKEN not in the workers' environ")
    ok(not os.path.exists(gw.config_path) or
       secret not in open(gw.config_path).read(),
       "env token not written to the config")

# ---------------------------------------------------------------- not a file
# Only regular files are read: a FIFO must not block the start, a
# directory gets a clear message, not "Input/output error".
def refuses(gw, path, what, args=None):
    t0 = time.time()
    rc, out, err = run_gateway(gw, args, timeout=5)
    dt = time.time() - t0
    if not is_(rc, 78, "%s: exit 78 (no hang)" % what):
        diag("stdout: " + out)
        diag("stderr: " + err)
    ok(dt < 4, "%s: refused at once (%.0f ms)" % (what, dt * 1000))
    line = one_line(err, what)
    like(line, "%s: not a regular file" % path, "%s: the message" % what)


with Gateway(write_config=False) as gw:
    os.mkfifo(gw.config_path, 0o600)
    refuses(gw, gw.config_path, "config is a FIFO")
    os.unlink(gw.config_path)
    os.mkdir(gw.config_path, 0o700)
    refuses(gw, gw.config_path, "config is a directory")

with Gateway(token=None) as gw:
    fifo = os.path.join(gw.dir, "token-fifo")
    os.mkfifo(fifo, 0o600)
    refuses(gw, fifo, "--token-file is a FIFO", ["--token-file", fifo])

# ---------------------------------------------------------------- modes
# StrictModes (sshd): a config holding a secret that group or others can
# read, one they can write, a state directory they can write, a token
# file others can read: refused, exit 78, one line naming the path, the
# mode and the fix; nothing listens.
def refused_mode(gw, what, want, args=None):
    rc, out, err = fails(gw, 78, args, name=what)
    line = one_line(err, what)
    if not ok(re.search(want, line), "%s: the message" % what):
        diag("got: %r, want: %r" % (line, want))
    ok(not port_listening(gw.port), "%s: nothing listening" % what)


with Gateway() as gw:
    os.chmod(gw.config_path, 0o644)
    refused_mode(gw, "config 0644 with a token",
                 r"refusing config file %s: it holds a secret at "
                 r"gateway\.auth\.token and is readable by everyone \(mode 0644\); run: chmod 600 %s" %
                 (re.escape(gw.config_path), re.escape(gw.config_path)))

with Gateway() as gw:
    os.chmod(gw.config_path, 0o640)
    refused_mode(gw, "config 0640 with a token",
                 r"readable by its group \(mode 0640\)")

with Gateway(token=None, config={"gateway": {"auth": {"mode": "none"}}}) \
        as gw:
    os.chmod(gw.config_path, 0o620)
    refused_mode(gw, "config 0620 (group-writable)",
                 r"writable by its group \(mode 0620\); run: chmod go-w")

with Gateway(token=None, config={"gateway": {"auth": {"mode": "none"}}}) \
        as gw:
    os.chmod(gw.config_path, 0o644)
    gw.start()
    ok("chmod" not in gw.output(), "config 0644 without a secret: started, "
       "no complaint")

with Gateway() as gw:
    gw.start()
    ok("chmod" not in gw.output(), "config 0600, state dir 0700: no warning")

with Gateway() as gw:
    os.chmod(gw.state, 0o777)
    refused_mode(gw, "state dir 0777",
                 r"refusing state directory %s: writable by everyone "
                 r"\(mode 0777\).*run: chmod 700 %s" %
                 (re.escape(gw.state), re.escape(gw.state)))

with Gateway(token=None) as gw:
    tf = os.path.join(gw.dir, "token")
    with open(tf, "w") as f:
        f.write("tok-" + uuid.uuid4().hex + "\n")
    os.chmod(tf, 0o644)
    refused_mode(gw, "--token-file 0644",
                 "refusing token file %s: it holds a secret" % re.escape(tf),
                 ["--token-file", tf])

if os.geteuid() == 0:
    with Gateway() as gw:
        os.chown(gw.config_path, 65534, 65534)
        refused_mode(gw, "config owned by another user",
                     "owned by uid 65534, not by the user running")
else:
    diag("not root: a config owned by another user cannot be made here")

# ---------------------------------------------------------------- closed fds
# Started with stdout and stderr closed, the master's 1 and 2 must not
# become the log file (plain-text lines in the JSON log) or the lock.
with Gateway() as gw:
    gw.out = open(os.path.join(gw.dir, "stdout.log"), "wb")
    gw.proc = subprocess.Popen(
        ["/bin/sh", "-c", 'exec "$0" gateway --port "$1" >&- 2>&-', BIN,
         str(gw.port)], env=gw.env, stdin=subprocess.DEVNULL)
    ok(gw.wait_ready(), "started with 1 and 2 closed")
    for i in range(3):
        ws, res = handshake(gw, connect_params(token="wrong"))
        ws.close()
    fds = {}
    for fd in ("1", "2"):
        try:
            fds[fd] = os.readlink("/proc/%d/fd/%s" % (gw.proc.pid, fd))
        except OSError:
            fds[fd] = None
    is_(fds, {"1": "/dev/null", "2": "/dev/null"},
        "the master's 1 and 2 are /dev/null")
    is_(gw.stop(), 0, "stopped")
    bad = []
    with open(gw.logfile) as f:
        for l in f:
            try:
                json.loads(l)
            except ValueError:
                bad.append(l)
    is_(bad, [], "the log file holds only JSON lines")

done_testing()
