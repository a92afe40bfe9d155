#!/usr/bin/env python3
# Interop: the STOCK `openclaw` CLI from npm (2026.9.6, run unchanged under
# the Node 24 that t/interop installs) against our gateway: gateway call
# health/status/system-presence, a wrong token, gateway health, health from
# the CLI's own config, gateway status and gateway probe.
# Skipped when the npm packages cannot be installed, except under CI.
import os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "interop"))
import gwtest
from gwtest import *
import interop

node = interop.ensure(need_cli=True)
cli = interop.openclaw_bin()



# The CLI gets a home and state dir of its own, so it reads nothing of the
# user's, and a config that keeps its file log out of /tmp/openclaw.
clidir = tempfile.mkdtemp(prefix="ocgw-cli-")
clistate = os.path.join(clidir, "state")
os.makedirs(clistate, mode=0o700)
cenv = {k: v for k, v in os.environ.items() if not k.startswith("OPENCLAW_")}
cenv.update({"HOME": clidir, "OPENCLAW_STATE_DIR": clistate,
             "OPENCLAW_DISABLE_BONJOUR": "1", "OPENCLAW_SKIP_CHANNELS": "1",
             "NO_COLOR": "1", "FORCE_COLOR": "0"})


def cli_run(*args):
    """Run the stock CLI; (exit status or None on timeout, stdout, stderr)."""
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
        diag("stdout:\n" + out)
    if err.strip():
        diag("stderr:\n" + err)


def cli_json(what, *args):
    """Run; check exit 0 and JSON on stdout; returns the value or None."""
    rc, out, err = cli_run(*args)
    val = None
    try:
        val = json.loads(out)
    except ValueError:
        pass
    if not (is_(rc, 0, what + ": exit 0") &
            ok(val is not None, what + ": JSON on stdout")):
        show(what, rc, out, err)
    return val


try:
    with Gateway() as gw:
        gw.start()
        url = gw.url
        with open(os.path.join(clistate, "openclaw.json"), "w") as f:
            json.dump({"gateway": {"mode": "local", "port": gw.port,
                                   "auth": {"mode": "token",
                                            "token": gw.token}},
                       "logging": {"file": os.path.join(clidir, "cli.log")}},
                      f)
        auth = ["--url", url, "--token", gw.token]

        v = cli_json("gateway call health", "gateway", "call", "health",
                     *auth, "--json")
        ok(isinstance(v, dict) and v.get("ok") is True, "health: ok true")
        ok(isinstance(v, dict) and isinstance(v.get("sessions"), dict),
           "health: has sessions")

        v = cli_json("gateway call status", "gateway", "call", "status",
                     *auth, "--json")
        ok(isinstance(v, dict) and isinstance(v.get("sessions"), dict),
           "status: has sessions")
        ok(isinstance(v, dict) and isinstance(v.get("runtimeVersion"), str),
           "status: has runtimeVersion")

        v = cli_json("gateway call system-presence", "gateway", "call",
                     "system-presence", *auth, "--json")
        ok(isinstance(v, list) and any(
            isinstance(e, dict) and e.get("mode") == "gateway" and
            e.get("reason") == "self" for e in v),
           "system-presence: list with the gateway's own entry")

        rc, out, err = cli_run("gateway", "call", "health", "--url", url,
                               "--token", gw.token + "-wrong")
        ok(rc not in (0, None), "wrong token: exit non-zero")
        if not like(out + err, "unauthorized: gateway token mismatch",
                    "wrong token: says token mismatch"):
            show("wrong token", rc, out, err)

        rc, out, err = cli_run("gateway", "call", "health", "--url", url,
                               "--token", gw.token + "-wrong", "--json")
        try:
            v = json.loads(out)
        except ValueError:
            v = None
        ok(rc not in (0, None), "wrong token --json: exit non-zero")
        if not is_(((v or {}).get("error") or {}).get("details", {})
                   .get("code"), "AUTH_TOKEN_MISMATCH",
                   "wrong token --json: details.code AUTH_TOKEN_MISMATCH"):
            show("wrong token --json", rc, out, err)

        rc, out, err = cli_run("gateway", "call", "no.such.method", *auth)
        ok(rc not in (0, None), "unknown method: exit non-zero")
        if not like(out + err, "unknown method", "unknown method: says so"):
            show("unknown method", rc, out, err)

        rc, out, err = cli_run("gateway", "health", *auth)
        if not (is_(rc, 0, "gateway health: exit 0") &
                like(out, "OK", "gateway health: prints OK")):
            show("gateway health", rc, out, err)
        v = cli_json("gateway health --json", "gateway", "health", *auth,
                     "--json")
        ok(isinstance(v, dict) and v.get("ok") is True,
           "gateway health --json: ok true")

        # No --url/--token: the CLI takes port and token from its config.
        v = cli_json("health (from config)", "health", "--json")
        ok(isinstance(v, dict) and v.get("ok") is True,
           "health (from config): ok true")

        v = cli_json("gateway status", "gateway", "status", *auth, "--json")
        rpc = (v or {}).get("rpc") or {}
        if not ok(rpc.get("ok") is True, "gateway status: rpc ok"):
            diag("rpc: %r" % (rpc,))
        is_((rpc.get("auth") or {}).get("role"), "operator",
            "gateway status: role operator")

        # gateway probe: reachable; its detail pass calls health, status,
        # system-presence and config.get in parallel (protocol.md 10.1) and
        # gives up on all four when one fails.
        v = cli_json("gateway probe", "gateway", "probe", *auth, "--json")
        tgt = next((t for t in (v or {}).get("targets", [])
                    if t.get("id") == "explicit"), {})
        ok((tgt.get("connect") or {}).get("ok") is True,
           "gateway probe: explicit target reachable")
        perr = (tgt.get("connect") or {}).get("error") or ""
        if not ok(perr == "" and (tgt.get("connect") or {}).get("rpcOk")
                  is True, "gateway probe: detail pass succeeds"):
            diag("probe target: %r" % (tgt,))
except Exception:
    diag("gateway output:\n" + (gw.output() if "gw" in dir() else ""))
    raise
finally:
    shutil.rmtree(clidir, ignore_errors=True)
done_testing()
