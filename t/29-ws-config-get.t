#!/usr/bin/env python3
# config.get (protocol.md 6.11): the file with its secrets redacted, its
# hash, and the hash the gateway runs with.
import hashlib, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

RAW = """// the operator's file
{
  "gateway": {
    "mode": "local",
    "auth": {"mode": "token", "token": "test-token", },
    "remote": {"password": "remote-secret-pw"},
  },
  "models": {"providers": {"x": {"apiKey": "sk-secret-key"}}},
  "logging": {"file": "%s"},
}
"""

with Gateway(raw_config="") as gw:
    with open(gw.config_path, "w") as f:
        f.write(RAW % gw.logfile)
    gw.start()
    digest = hashlib.sha256((RAW % gw.logfile).encode()).hexdigest()
    ws, res = handshake(gw, connect_params(scopes=["operator.read"]))
    r = ws.request("config.get")
    ok(r.get("ok"), "config.get with operator.read")
    p = r.get("payload") or {}
    is_((p.get("path"), p.get("exists"), p.get("valid")),
        (gw.config_path, True, True), "path, exists, valid")
    text = json.dumps(p)
    for secret in ("test-token", "remote-secret-pw", "sk-secret-key"):
        ok(secret not in text, "secret %s redacted" % secret[:6])
    is_(p["config"]["gateway"]["auth"]["token"], "__OPENCLAW_REDACTED__",
        "token replaced by the redaction marker")
    is_(p["config"]["gateway"]["mode"], "local", "other values kept")
    is_(p.get("hash"), digest, "hash is the sha256 of the file")
    is_(p.get("appliedConfigHash"), digest,
        "appliedConfigHash: the file the gateway loaded")
    with open(gw.config_path, "a") as f:
        f.write("\n")
    p = ws.request("config.get").get("payload") or {}
    ok(p.get("hash") != digest and p.get("appliedConfigHash") == digest,
       "an edit changes hash, not appliedConfigHash")
    with open(gw.config_path, "w") as f:
        f.write("{ broken")
    p = ws.request("config.get").get("payload") or {}
    is_((p.get("valid"), p.get("config")), (False, None),
        "a broken file: valid false, no config")
    ok(len(p.get("issues") or []) == 1, "and one issue naming the problem")
    r = ws.request("config.get", {"x": 1})
    like((r.get("error") or {}).get("message"), "invalid config.get params",
         "params are validated")
    ws.close()
    ws, res = handshake(gw, connect_params(scopes=[]))
    r = ws.request("config.get")
    is_((r.get("error") or {}).get("message"), "missing scope: operator.read",
        "config.get needs operator.read")
done_testing()
