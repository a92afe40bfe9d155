#!/usr/bin/env python3
# Logs: one line per event on stdout ("timestamp level subsystem message"),
# a JSON-lines file (logging.file) with time/level/subsystem/message, mode
# 0600; --verbose adds debug lines (handshakes, req/res); tokens and
# passwords never appear in either.
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

STDOUT_RE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)? +"
    r"(debug|info|warn|error) +(\S+) +(\S.*)$")


def connect_frame_auth_first(auth):
    """A connect frame with params.auth first, so a log line that quotes
    the start of the frame would quote the secret."""
    p = connect_params(token=None)
    params = {"auth": auth}
    params.update(p)
    return json.dumps({"type": "req", "id": "1:" + str(uuid.uuid4()),
                       "method": "connect", "params": params},
                      separators=(",", ":"))


def exercise(gw, good, bad, kind="token"):
    """A failed connect with bad, a good one, a few requests."""
    for secret in (bad, good):
        ws = WS(gw.port)
        ws.recv()
        ws.send_text(connect_frame_auth_first({kind: secret}))
        res = ws.recv_until(lambda m: m.get("type") == "res")
        is_(res.get("ok"), secret == good, "connect with %s %s" %
            ("the right" if secret == good else "a wrong", kind))
        if secret == good:
            r = ws.request("health")
            is_(r.get("ok"), True, "health answered")
            r = ws.request("status")
            ok(r.get("type") == "res", "status answered")
        ws.close()
    # the wrong secret also in the usual place and in an HTTP header
    ws, res = handshake(gw, connect_params(token=bad) if kind == "token"
                        else connect_params(token=None, password=bad))
    ws.close()
    try:
        http_get(gw.port, "/readyz", headers={"Authorization":
                                              "Bearer " + bad})
    except OSError:
        pass


def check_logs(gw, secrets, verbose, label):
    time.sleep(0.3)
    out = gw.output()
    lines = [l for l in out.splitlines() if l.strip()]
    ok(lines, "%s: stdout has lines" % label)
    bad = [l for l in lines if not STDOUT_RE.match(l)]
    is_(bad, [], "%s: every stdout line is 'timestamp level subsystem "
        "message'" % label)
    levels = [STDOUT_RE.match(l).group(3) for l in lines
              if STDOUT_RE.match(l)]
    if verbose:
        ok("debug" in levels, "%s: --verbose adds debug lines" % label)
    else:
        ok("debug" not in levels, "%s: no debug lines without --verbose" %
           label)
    subs = set(STDOUT_RE.match(l).group(4) for l in lines
               if STDOUT_RE.match(l))
    diag("%s: subsystems on stdout: %s" % (label, sorted(subs)))

    st = os.stat(gw.logfile)
    is_(oct(st.st_mode & 0o777), oct(0o600), "%s: log file mode 0600" % label)
    with open(gw.logfile, "rb") as f:
        raw = f.read()
    objs, junk = [], []
    for l in raw.decode("utf-8", "replace").splitlines():
        try:
            o = json.loads(l)
            if not isinstance(o, dict):
                raise ValueError
            objs.append(o)
        except ValueError:
            junk.append(l)
    is_(junk, [], "%s: every log file line is one JSON object" % label)
    ok(objs, "%s: log file has lines" % label)
    missing = [o for o in objs
               if not all(isinstance(o.get(k), str) and o.get(k)
                          for k in ("time", "level", "subsystem", "message"))]
    is_(missing, [], "%s: each has time, level, subsystem, message" % label)
    ok(all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", o.get("time", ""))
           for o in objs), "%s: time is ISO 8601" % label)
    ok(all(o.get("level") in ("debug", "info", "warn", "error")
           for o in objs), "%s: level is debug|info|warn|error" % label)
    ok(any("listening" in o.get("message", "") for o in objs),
       "%s: the 'listening' line is in the file" % label)
    ok(abs(len(objs) - len(lines)) <= 2,
       "%s: file and stdout carry the same events (%d / %d)" %
       (label, len(objs), len(lines)))
    for name, s in secrets:
        ok(s.encode() not in raw, "%s: %s not in the log file" % (label, name))
        ok(s not in out, "%s: %s not on stdout" % (label, name))
        for where, text in (("file", raw.decode("utf-8", "replace")),
                            ("stdout", out)):
            for l in text.splitlines():
                if s in l:
                    diag("%s leaks in %s: %s" % (name, where, l[:300]))
                    break
    return out, objs


DEBUG = {"logging": {"level": "debug"}}
for label, args, config in (("default", [], {}),
                            ("verbose", ["--verbose"], {}),
                            ("logging.level debug", [], DEBUG)):
    verbose = label != "default"
    tok = "cfg-token-" + uuid.uuid4().hex
    bad = "sent-token-" + uuid.uuid4().hex
    with Gateway(token=tok, args=args, config=config) as gw:
        gw.start()
        exercise(gw, tok, bad)
        gw.stop()
        out, objs = check_logs(gw, [("configured token", tok),
                                    ("token sent in a failed connect", bad)],
                               verbose, label)
        if verbose:
            dbg = "\n".join(l for l in out.splitlines() if " debug " in l)
            ok(re.search(r"hello-ok|handshake|upgrade", dbg),
               "%s: handshake debug lines" % label)
            ok(re.search(r'"type":\s*"req"', dbg) or
               re.search(r"\breq\b", dbg), "%s: req debug lines" % label)
            ok(re.search(r'"type":\s*"res"', dbg) or
               re.search(r"\bres\b", dbg), "%s: res debug lines" % label)
            ok(re.search(r"GET /readyz", dbg),
               "%s: HTTP request debug lines" % label)
            ok(any(o.get("level") == "debug" for o in objs),
               "%s: debug lines in the file too" % label)

pw = "cfg-password-" + uuid.uuid4().hex
badpw = "sent-password-" + uuid.uuid4().hex
with Gateway(token=None, args=["--verbose"],
             config={"gateway": {"auth": {"mode": "password",
                                          "password": pw}},
                     "logging": {"level": "debug"}}) as gw:
    gw.start()
    exercise(gw, pw, badpw, kind="password")
    gw.stop()
    check_logs(gw, [("configured password", pw),
                    ("password sent in a failed connect", badpw)],
               True, "password")

# secrets given on the command line and in the environment
tok = "flag-token-" + uuid.uuid4().hex
with Gateway(token=None, args=["--verbose", "--token", tok],
             config=DEBUG) as gw:
    gw.start()
    exercise(gw, tok, "x" + tok)
    gw.stop()
    check_logs(gw, [("--token value", tok)], True, "--token")
tok = "env-token-" + uuid.uuid4().hex
with Gateway(token=None, args=["--verbose"], config=DEBUG,
             env={"OPENCLAW_GATEWAY_TOKEN": tok}) as gw:
    gw.start()
    exercise(gw, tok, "y" + tok)
    gw.stop()
    check_logs(gw, [("OPENCLAW_GATEWAY_TOKEN", tok)], True, "env token")

done_testing()
