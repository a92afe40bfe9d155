#!/usr/bin/env python3
# Interop: a plain third-party client (npm `ws`, t/interop/ws-client.mjs)
# does the v4 handshake against our gateway (protocol.md §2, §10.1), calls
# health, takes a tick, closes, and is refused with 1008 on a wrong token.
# Skipped when the npm packages cannot be installed, except under CI.
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "interop"))
from gwtest import *
import interop

node = interop.ensure(need_cli=False)
client = os.path.join(interop.INTEROP, "ws-client.mjs")

with Gateway(env={"OPENCLAW_TICK_INTERVAL_MS": "200"}) as gw:
    gw.start()
    try:
        r = subprocess.run([node, client, gw.url, gw.token],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=60)
        out = r.stdout.decode("utf-8", "replace")
        err = r.stderr.decode("utf-8", "replace")
        rc = r.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err = "timed out after 60 s"
        rc = None
    lines = out.splitlines()
    for stepname in ("open", "challenge", "hello-ok", "health", "tick",
                     "close", "bad-token"):
        line = next((l for l in lines if l.split(" ", 1)[0] in ("ok", "FAIL")
                     and l.split(" ")[1].rstrip(":") == stepname), None)
        ok(line is not None and line.startswith("ok "),
           "ws client: %s" % stepname)
        if line is not None:
            diag(line)
    like(out, "tickIntervalMs=200", "hello-ok policy.tickIntervalMs follows "
         "OPENCLAW_TICK_INTERVAL_MS")
    if not is_(rc, 0, "ws client exits 0"):
        diag("stdout:\n" + out)
        diag("stderr:\n" + err)
        diag("gateway output:\n" + gw.output())
done_testing()
