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
# Every shape a secret takes in a config file, redacted for an
# operator.read client (and for admin too: nobody reads secrets back).
# Each secret value is unique, so a search of the whole answer finds it
# wherever it leaked (config, parsed or raw).
SECRETS = {
    "authz": "Bearer sec-authz-1",
    "cookie": "sid=sec-cookie-2",
    "cred": "sec-cred-3",
    "cred_num": 48151623,
    "passwd": "sec-passwd-4",
    "apikey": "sec-apikey-5",
    "url_token": "sec-urltoken-6",
    "url_user": "sec-urluser-7",
    "url_pass": "sec-urlpass-8",
    "list_tok": "sec-listtok-9",
    "list_pw": "sec-listpw-10",
    "xapikey": "sec-xapikey-11",
    "private": "sec-privkey-12",
    "arr1": "sec-arr-13",
    "arr2": "sec-arr-14",
    "frag": "sec-frag-15",
    "sig": "sec-sig-16",
    "auth_str": "sec-authstr-17",
    "deep": "sec-deep-18",
    "pw_num": 271828,
}
HARMLESS = {
    "mode": "local", "author": "Ada Lovelace", "bind": "loopback",
    "url_host": "gw.example.net", "url_path": "/v1/hook",
    "url_q": "region=eu-west-1", "list_name": "first-account",
    "maxTokens": 4096, "note": "keep me",
}
S, H = SECRETS, HARMLESS
CFG = {
    "gateway": {
        "mode": H["mode"],
        "bind": H["bind"],
        "auth": {"mode": "token", "token": "test-token",
                 "rateLimit": {"maxAttempts": 7}},
        "remote": {"url": "wss://%s:%s@%s%s?%s&token=%s#access_token=%s"
                   % (S["url_user"], S["url_pass"], H["url_host"],
                      H["url_path"], H["url_q"], S["url_token"],
                      S["frag"])},
    },
    "hooks": {"endpoints": [{
        "name": H["list_name"],
        "url": "https://%s/x?sig=%s" % (H["url_host"], S["sig"]),
        "headers": {"Authorization": S["authz"], "Cookie": S["cookie"],
                    "X-Api-Key": S["xapikey"], "Accept": "text/plain"},
    }]},
    "channels": {"accounts": [
        {"name": H["list_name"], "botToken": S["list_tok"]},
        {"name": "second", "login": {"password": S["list_pw"]},
         "passwd": S["passwd"]},
    ]},
    "credentials": {"x": S["cred"], "pin": S["cred_num"],
                    "nested": {"deeper": [{"v": S["deep"]}]}},
    "models": {"providers": {"x": {"apiKey": S["apikey"],
                                   "maxTokens": H["maxTokens"],
                                   "author": H["author"]}}},
    "ssh": {"private_key": S["private"], "password": S["pw_num"]},
    "keys": [S["arr1"], S["arr2"]],
    "proxy": {"auth": S["auth_str"], "note": H["note"]},
    "logging": {"file": None},
}
with Gateway(raw_config="") as gw:
    CFG["logging"]["file"] = gw.logfile
    with open(gw.config_path, "w") as f:
        json.dump(CFG, f, indent=2)
    gw.start()
    for scopes in (["operator.read"], ["operator.admin"]):
        ws, res = handshake(gw, connect_params(scopes=scopes))
        r = ws.request("config.get")
        ws.close()
        who = scopes[0]
        ok(r.get("ok"), "%s: config.get answers" % who)
        p = r.get("payload") or {}
        text = json.dumps(p)
        raw = p.get("raw") or ""
        leaked = [k for k, v in SECRETS.items() if str(v) in text]
        is_(leaked, [], "%s: no secret anywhere in the answer" % who)
        lost = [k for k, v in HARMLESS.items() if str(v) not in raw]
        is_(lost, [], "%s: harmless values still shown (raw)" % who)
        c = p.get("config") or {}
        is_(c.get("gateway", {}).get("auth", {}).get("mode"), "token",
            "%s: gateway.auth.mode shown, only the token hidden" % who)
        is_(c.get("gateway", {}).get("auth", {}).get("rateLimit"),
            {"maxAttempts": 7}, "%s: gateway.auth.rateLimit shown" % who)
        h = (c.get("hooks", {}).get("endpoints") or [{}])[0] \
            .get("headers", {})
        is_((h.get("Authorization"), h.get("Cookie"), h.get("Accept")),
            ("__OPENCLAW_REDACTED__", "__OPENCLAW_REDACTED__",
             "text/plain"), "%s: headers: the secret ones replaced" % who)
        url = c.get("gateway", {}).get("remote", {}).get("url") or ""
        is_(url, "wss://__OPENCLAW_REDACTED__@%s%s?%s&token="
            "__OPENCLAW_REDACTED__#access_token=__OPENCLAW_REDACTED__"
            % (H["url_host"], H["url_path"], H["url_q"]),
            "%s: URL: userinfo and token parameters replaced" % who)
        is_(c.get("credentials", {}).get("x"), "__OPENCLAW_REDACTED__",
            "%s: credentials.* replaced" % who)
        is_(json.loads(raw) if raw else None, c,
            "%s: raw is the redacted config" % who)
done_testing()
