#!/usr/bin/env python3
# The config file (issue 8, section 1; protocol.md 9.1): openclaw.json or
# openclaw.yaml in the state directory (both: refused), ${VAR} in its
# strings, errors with the key path and line:column, unknown keys warned
# about with the key probably meant, and `openclaw gateway --check`.
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def match(got, rx, name):
    r = ok(got is not None and re.search(rx, got), name)
    if not r:
        diag("got: %r, want it to match %r" % (got, rx))
    return r


def lines_of(text):
    return [l for l in text.splitlines() if l.strip()]


def refused(gw, what, want, env=None, args=None):
    """Start fails at once: exit 78, one line on stderr matching want."""
    rc, out, err = run_gateway(gw, args, env=env)
    if not is_(rc, 78, "%s: exit 78" % what):
        diag("stdout: " + out)
        diag("stderr: " + err)
    ls = lines_of(err)
    is_(len(ls), 1, "%s: one line on stderr" % what)
    match(ls[0] if ls else "", want, "%s: the message" % what)
    ok(not port_listening(gw.port), "%s: nothing listening" % what)
    return ls[0] if ls else ""


def write_private(path, text):
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              "w") as f:
        f.write(text)


def check(gw, args=None, env=None):
    """`openclaw gateway --check [args]`: (rc, stdout, stderr)."""
    return run_gateway(gw, ["--check"] + (args or []), env=env, port=False)


# ------------------------------------------------- openclaw.json + .yaml
with Gateway() as gw:
    ypath = os.path.join(gw.state, "openclaw.yaml")
    write_private(ypath, "gateway:\n  mode: local\n")
    refused(gw, "openclaw.json and openclaw.yaml",
            r"both %s and %s exist" % (re.escape(gw.config_path),
                                       re.escape(ypath)))
    rc, out, err = check(gw)
    is_(rc, 78, "--check with both files: exit 78")
    match(err, "both .*openclaw.json and .*openclaw.yaml", "--check names both")
    os.unlink(gw.config_path)
    write_private(ypath, "gateway:\n  mode: local\n  auth:\n    token: "
                  "yaml-only-tok\nlogging:\n  file: %s\n" % gw.logfile)
    gw.start()
    ws, res = handshake(gw, connect_params(token="yaml-only-tok"))
    is_(res.get("ok"), True, "only <state>/openclaw.yaml: it is the config")
    ws.close()

# ------------------------------------------------- ${VAR}
VAR = "OC_T55_TOKEN"
with Gateway(token="${%s}" % VAR, env={VAR: "tok-from-var-55"}) as gw:
    os.chmod(gw.config_path, 0o644)    # the file itself holds no secret
    gw.start()
    ws, res = handshake(gw, connect_params(token="tok-from-var-55"))
    is_(res.get("ok"), True, "${VAR}: the variable's value is the token")
    ws.close()
    ws, res = handshake(gw, connect_params(token="${%s}" % VAR))
    is_(res.get("ok"), False, "${VAR}: the text ${VAR} is not the token")
    ws.close()
    ok("tok-from-var-55" not in gw.output(), "${VAR}: value not printed")

with Gateway(token="pre-${%s}-post" % VAR, env={VAR: "mid"}) as gw:
    gw.start()
    ws, res = handshake(gw, connect_params(token="pre-mid-post"))
    is_(res.get("ok"), True, "${VAR} inside a string")
    ws.close()

with Gateway(token="$${%s}" % VAR, env={VAR: "not-this"}) as gw:
    gw.start()
    ws, res = handshake(gw, connect_params(token="${%s}" % VAR))
    is_(res.get("ok"), True, "$${VAR} is the literal text ${VAR}")
    ws.close()

with Gateway(token="${%s}" % VAR) as gw:
    line = refused(gw, "${VAR} unset", r"gateway\.auth\.token: environment "
                   r"variable %s is not set" % VAR)
    match(line, r"%s:\d+:\d+: " % re.escape(gw.config_path),
         "${VAR} unset: <path>:<line>:<col>")
    refused(gw, "${VAR} empty", "variable %s is not set" % VAR,
            env={VAR: ""})

# A secret in a key this gateway does not read is a secret all the same.
with Gateway(token=None, config={
        "gateway": {"auth": {"mode": "none"}},
        "channels": {"telegram": {"botToken": "123:literal"}}}) as gw:
    os.chmod(gw.config_path, 0o644)
    refused(gw, "channels.telegram.botToken in a 0644 config",
            r"holds a secret at channels\.telegram\.botToken and is "
            r"readable by everyone \(mode 0644\)")
with Gateway(token=None, config={
        "gateway": {"auth": {"mode": "none"}},
        "channels": {"telegram": {"botToken": "${OC_T55_BOT}"}},
        "models": {"tokenizer": "x"}}) as gw:
    os.chmod(gw.config_path, 0o644)
    gw.start()
    ok(gw.wait_ready(1), "the same as ${VAR} (unset: not read here), and "
       "a key that only starts with token: starts")

# ------------------------------------------------- positions
raw = '{\n  "gateway": {\n    "mode": "local",\n    "port" 18790\n  }\n}\n'
with Gateway(raw_config=raw) as gw:
    refused(gw, "syntax error", r"^openclaw gateway: %s:4:\d+: " %
            re.escape(gw.config_path))

raw = '{\n  "gateway": {\n    "mode": "local",\n    "port": "abc"\n  }\n}\n'
with Gateway(raw_config=raw) as gw:
    refused(gw, "type error", r"%s:4:13: gateway\.port: expected an integer"
            % re.escape(gw.config_path))

with Gateway(write_config=False) as gw:
    ypath = os.path.join(gw.state, "openclaw.yaml")
    write_private(ypath, "gateway:\n  mode: local\n  auth:\n    rateLimit:\n"
                  "      maxAttempts: many\n")
    refused(gw, "YAML type error", r"%s:5:20: gateway\.auth\.rateLimit\."
            r"maxAttempts: expected an integer" % re.escape(ypath))

# ------------------------------------------------- unknown keys
with Gateway(config={"gateway": {"prot": 9999}}) as gw:
    gw.start()
    out = gw.output()
    ok(re.search(r"warn .*%s:\d+:\d+: unknown key gateway\.prot \(did you "
                 r"mean gateway\.port\?\)" % re.escape(gw.config_path), out),
       "gateway.prot: a warning with the key meant")
    with open(gw.logfile) as f:
        match(f.read(), "unknown key gateway.prot", "the warning is logged")

foreign = {"agents": {"list": [{"id": "main"}]},
           "channels": {"telegram": {"enabled": False}},
           "models": {"providers": {}},
           "gateway": {"tailscale": {"mode": "off"}}}
with Gateway(config=foreign) as gw:
    gw.start()
    out = gw.output()
    warns = [l for l in lines_of(out) if "unknown key" in l]
    is_(len(warns), 1, "one warning: gateway.tailscale, not the sections "
        "this gateway does not implement")
    match(warns[0] if warns else "", "unknown key gateway.tailscale",
         "the warning names gateway.tailscale")
    match(out, r"3 keys are not used by this gateway; openclaw gateway "
         r"--check lists them", "one line counts the others")
    rc, cout, cerr = check(gw)
    is_(rc, 0, "--check with unknown keys: exit 0 (warnings)")
    for k in ("agents.list", "channels", "models"):
        match(cerr, r"note: .*: %s is not used by this gateway" %
             re.escape(k), "--check lists %s" % k)
    match(cerr, r"warning: .*unknown key gateway\.tailscale", "--check: the "
         "warning")

# ------------------------------------------------- --check
with Gateway() as gw:
    rc, out, err = check(gw)
    is_(rc, 0, "--check: exit 0")
    is_(out.strip(), "configuration OK: %s" % gw.config_path, "--check: OK")
    gw.start()
    rc, out, err = check(gw, ["--port", str(gw.port)])
    is_(rc, 0, "--check beside a running gateway: no lock taken, no port")
    ok(gw.wait_ready(1), "the running gateway still serves")

with Gateway(write_config=False, token=None) as gw:
    rc, out, err = check(gw)
    is_(rc, 0, "--check without a config: exit 0")
    match(err, "first start writes it", "--check: says the first run writes")
    ok(not os.path.exists(gw.config_path), "--check wrote no config")
    ok(not os.path.exists(os.path.join(gw.state, "gateway.lock")),
       "--check took no lock")

with Gateway(config={"gateway": {"port": 0}}) as gw:
    rc, out, err = check(gw)
    is_(rc, 78, "--check, gateway.port 0: exit 78")
    match(err, r"gateway\.port: expected an integer in 1\.\.65535",
         "--check: the problem")
    match(err, "configuration test failed", "--check: the verdict")
    is_(out, "", "--check: no OK")

with Gateway(config={"gateway": {"mode": "remote"}}) as gw:
    rc, out, err = check(gw)
    is_(rc, 78, "--check, gateway.mode remote: exit 78")
    rc, out, err = check(gw, ["--allow-unconfigured"])
    is_(rc, 0, "--check honours the flags given with it")

with Gateway() as gw:
    rc, out, err = check(gw, env={"OPENCLAW_GATEWAY_PORT": "abc"})
    is_(rc, 78, "--check reads the environment (OPENCLAW_GATEWAY_PORT=abc)")
    os.chmod(gw.config_path, 0o644)
    rc, out, err = check(gw)
    is_(rc, 78, "--check: a config with a secret, mode 0644: exit 78")
    match(err, "chmod 600", "--check: the fix")

done_testing()
