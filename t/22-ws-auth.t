#!/usr/bin/env python3
# Shared-secret authentication of connect (protocol.md 2.5, 7, 14 item 4):
# token, password and none modes, the exact failure shapes, the failed-auth
# rate limiter, and the scopes an authenticated operator is granted.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

TOKEN_MISSING = ("unauthorized: gateway token missing (use this gateway's "
                 "gateway.auth.token or pair the device)")
RATE_LIMITED = ("unauthorized: too many failed authentication attempts "
                "(retry later)")


def attempt(port, name=None, **kw):
    """One connect; returns (res, close code, close reason)."""
    src = kw.pop("source", None)
    ws, res = handshake(port, connect_params(**kw), source=src)
    if res.get("ok"):
        ws.close()
        return res, None, None
    code, reason = ws.expect_close(3)
    ws.close()
    return res, code, reason


def refused(port, name, detail, msg_prefix, exact=None, **kw):
    res, code, reason = attempt(port, **kw)
    err = res.get("error") or {}
    is_((res.get("ok"), err.get("code")), (False, "INVALID_REQUEST"),
        name + ": ok false, INVALID_REQUEST")
    msg = err.get("message") or ""
    ok(msg.startswith(msg_prefix), name + ": message starts %r (%r)" %
       (msg_prefix, msg))
    if exact is not None:
        is_(msg, exact, name + ": exact message")
    d = err.get("details") or {}
    is_(d.get("code"), detail, name + ": details.code " + detail)
    ok(isinstance(d.get("authReason"), str) and d["authReason"],
       name + ": details.authReason")
    is_(code, 1008, name + ": close 1008")
    is_(reason, msg.encode()[:120].decode("utf-8", "ignore"),
        name + ": close reason = message (<= 120 bytes)")
    return res


def admitted(port, name, method, **kw):
    res, _, _ = attempt(port, **kw)
    h = res.get("payload") or {}
    is_((res.get("ok"), h.get("type")), (True, "hello-ok"), name + ": admitted")
    is_((h.get("auth") or {}).get("method"), method,
        name + ": auth.method " + method)
    return h


# -------------------------------------------------------------- token mode
with Gateway() as gw:
    gw.start()
    p = gw.port
    admitted(p, "right token", "token")
    refused(p, "token missing", "AUTH_TOKEN_MISSING",
            "unauthorized: gateway token missing", exact=TOKEN_MISSING,
            token=None)
    refused(p, "token mismatch (cli)", "AUTH_TOKEN_MISMATCH",
            "unauthorized: gateway token mismatch (", token="wrong")
    refused(p, "token mismatch (control ui)", "AUTH_TOKEN_MISMATCH",
            "unauthorized: gateway token mismatch (", token="wrong",
            client_id="openclaw-control-ui", mode="ui")
    refused(p, "token prefix only", "AUTH_TOKEN_MISMATCH",
            "unauthorized: gateway token mismatch", token="test-toke")
    refused(p, "token with a suffix", "AUTH_TOKEN_MISMATCH",
            "unauthorized: gateway token mismatch", token="test-token2")
    refused(p, "password given in token mode", "AUTH_TOKEN_MISSING",
            "unauthorized: gateway token missing", token=None,
            password="test-token")

    # -- scopes: exactly those requested, filtered to the operator set
    def granted(req, name, **kw):
        h = admitted(p, name, kw.pop("method", "token"), scopes=req, **kw)
        return (h.get("auth") or {}).get("scopes")

    is_(granted(["operator.read"], "read"), ["operator.read"],
        "scopes [read] granted as is")
    is_(granted([], "none"), [], "scopes [] granted as []")
    allsc = ["operator.admin", "operator.read", "operator.write",
             "operator.approvals", "operator.questions", "operator.pairing",
             "operator.talk", "operator.talk.secrets"]
    is_(granted(allsc, "all"), allsc, "every operator scope granted, in order")
    is_(granted(["operator.write", "operator.bogus", "admin",
                 "operator.pairing", "node.invoke", "OPERATOR.READ"],
                "mixed"), ["operator.write", "operator.pairing"],
        "unknown scope names filtered out")
    is_(granted(["operator.read"], "ui client", client_id="openclaw-control-ui",
                mode="ui"), ["operator.read"],
        "a non-cli client gets its requested scopes too")
    cp = connect_params()
    del cp["scopes"]
    ws, res = handshake(p, cp)
    is_(((res.get("payload") or {}).get("auth") or {}).get("scopes"), [],
        "no scopes requested: none granted")
    ws.close()
    # granted scopes are enforced: admin-only method needs admin
    ws = operator(gw, scopes=["operator.read", "operator.bogus"])
    r = ws.request("system-event", {"text": "hello"})
    is_((r.get("error") or {}).get("code"), "FORBIDDEN",
        "filtered scopes confer nothing")
    ws.close()

    # -- default rate limit exempts loopback: 12 failures, still admitted
    for i in range(12):
        attempt(p, token="wrong-%d" % i)
    admitted(p, "after 12 failures on loopback (exempt by default)", "token")

# -------------------------------------------------------------- env token
with Gateway(token=None, env={"OPENCLAW_GATEWAY_TOKEN": "env-token"}) as gw:
    gw.start()
    admitted(gw.port, "OPENCLAW_GATEWAY_TOKEN as the token", "token",
             token="env-token")
    refused(gw.port, "env token mismatch", "AUTH_TOKEN_MISMATCH",
            "unauthorized: gateway token mismatch", token="test-token")

# ------------------------------------------------- token mode, no token set
with Gateway(token=None) as gw:
    gw.start()
    refused(gw.port, "token not configured", "AUTH_TOKEN_NOT_CONFIGURED",
            "unauthorized: gateway token not configured on gateway",
            exact="unauthorized: gateway token not configured on gateway "
                  "(set gateway.auth.token)", token="anything")
    refused(gw.port, "token not configured, none given",
            "AUTH_TOKEN_NOT_CONFIGURED",
            "unauthorized: gateway token not configured on gateway",
            token=None)

# ----------------------------------------------------------- password mode
with Gateway(token=None, config={"gateway": {"auth": {
        "mode": "password", "password": "s3cret pw"}}}) as gw:
    gw.start()
    p = gw.port
    h = admitted(p, "right password", "password", token=None,
                 password="s3cret pw", scopes=["operator.read",
                                               "operator.x"])
    is_((h.get("auth") or {}).get("scopes"), ["operator.read"],
        "password operator: requested scopes, filtered")
    refused(p, "password mismatch", "AUTH_PASSWORD_MISMATCH",
            "unauthorized: gateway password mismatch", token=None,
            password="wrong")
    refused(p, "password missing", "AUTH_PASSWORD_MISSING",
            "unauthorized: gateway password missing", token=None)
    refused(p, "token given in password mode", "AUTH_PASSWORD_MISSING",
            "unauthorized: gateway password missing", token="s3cret pw")

# password configured, no mode: resolved mode is password
with Gateway(token=None, raw_config=json.dumps(
        {"gateway": {"mode": "local", "auth": {"password": "pw2"}}})) as gw:
    gw.start()
    admitted(gw.port, "mode unset + password set: password mode",
             "password", token=None, password="pw2")
    refused(gw.port, "... wrong password", "AUTH_PASSWORD_MISMATCH",
            "unauthorized: gateway password mismatch", token=None,
            password="pw")

# password mode, no password configured
with Gateway(token=None, config={"gateway": {"auth": {
        "mode": "password"}}}) as gw:
    gw.start()
    refused(gw.port, "password not configured",
            "AUTH_PASSWORD_NOT_CONFIGURED",
            "unauthorized: gateway password not configured", token=None,
            password="x")

# --------------------------------------------------------------- mode none
with Gateway(token=None, config={"gateway": {"auth": {"mode": "none"}}}) \
        as gw:
    gw.start()
    h = admitted(gw.port, "mode none, no credential", "none", token=None,
                 scopes=["operator.read"])
    is_((h.get("auth") or {}).get("role"), "operator", "mode none: operator")
    admitted(gw.port, "mode none, a stray token is ignored", "none",
             token="whatever")

# -------------------------------------------------------------- rate limit
RL = {"gateway": {"auth": {"rateLimit": {
    "maxAttempts": 3, "windowMs": 60000, "lockoutMs": 1000,
    "exemptLoopback": False}}}}
with Gateway(config=RL) as gw:
    gw.start()
    p = gw.port
    for i in range(3):
        res, _, _ = attempt(p, token="bad-%d" % i)
        is_((res.get("error") or {}).get("details", {}).get("code"),
            "AUTH_TOKEN_MISMATCH", "bad token %d: mismatch" % (i + 1))
    t_locked = time.time()
    res = refused(p, "4th attempt with the right token", "AUTH_RATE_LIMITED",
                  RATE_LIMITED, exact=RATE_LIMITED)
    err = res.get("error") or {}
    is_(err.get("retryable"), True, "rate limited: retryable true")
    ra = err.get("retryAfterMs")
    ok(isinstance(ra, int) and 0 < ra <= 1000,
       "rate limited: 0 < retryAfterMs <= lockoutMs (%r)" % ra)
    res, _, _ = attempt(p, token=None)
    is_((res.get("error") or {}).get("details", {}).get("code"),
        "AUTH_RATE_LIMITED", "locked out: even without a token")
    # per client IP: another loopback address is not locked out
    try:
        res, _, _ = attempt(p, source="127.0.0.2")
        is_(res.get("ok"), True, "another client IP is not locked out")
    except OSError as e:
        ok(1, "# skip: cannot bind 127.0.0.2 (%s)" % e)
    left = 1.1 - (time.time() - t_locked)
    if left > 0:
        time.sleep(left)
    admitted(p, "after the lockout the right token works", "token")
    # the counter restarted: two more failures do not lock
    attempt(p, token="bad-a")
    attempt(p, token="bad-b")
    admitted(p, "two failures after the lockout: not locked", "token")

with Gateway(config={"gateway": {"auth": {"rateLimit": {
        "maxAttempts": 3, "windowMs": 60000, "lockoutMs": 60000,
        "exemptLoopback": True}}}}) as gw:
    gw.start()
    for i in range(6):
        attempt(gw.port, token="bad-%d" % i)
    admitted(gw.port, "exemptLoopback true: loopback never locked out",
             "token")
    # ... except browser-origin connects, which are never loopback-exempt
    # (protocol.md 2.5)
    origin = {"Origin": "http://127.0.0.1:%d" % gw.port}

    def browser(token):
        ws, res = handshake(gw.port, connect_params(
            token=token, client_id="openclaw-control-ui", mode="ui"),
            headers=origin)
        ws.close()
        return res
    for i in range(3):
        browser("bad-browser-%d" % i)
    res = browser("test-token")
    is_(((res.get("error") or {}).get("details") or {}).get("code"),
        "AUTH_RATE_LIMITED", "browser-origin connects on loopback are "
        "rate limited even with exemptLoopback true")
    admitted(gw.port, "... while a non-browser loopback client is still "
             "exempt", "token")

# ------------------------------------------- secrets are byte strings
# A secret with a NUL or another control character is refused at load:
# one line on stderr naming the key, never the value, exit 78.  Before,
# "abc\u0000def" was cut at the NUL and "abc" was accepted.
SECRET_CTRL = "a secret must not contain control characters"


def refused_at_load(gw, name, key, value_parts, args=None, env=None):
    gw.env.update(env or {})
    gw.start(wait=False, extra_args=args)
    ready = wait_ready_port(gw.proc, gw.port, 5)
    ok(not ready, name + ": the gateway refuses to start")
    if ready:
        res, _, _ = attempt(gw.port, token=value_parts[0])
        ok(not res.get("ok"), name + ": the part before the control "
           "character is not a valid token")
        return
    rc = gw.proc.wait(10)
    is_(rc, 78, name + ": exit 78 (configuration error)")
    lines = [l for l in gw.output().splitlines() if l.strip()]
    is_(len(lines), 1, name + ": one line of output")
    line = lines[0] if lines else ""
    like(line, key, name + ": the line names " + key)
    like(line, SECRET_CTRL, name + ": and says why")
    ok(not any(v in line for v in value_parts),
       name + ": and does not show the value")


with Gateway(token="abc\u0000def") as gw:
    refused_at_load(gw, "token with \\u0000", "gateway.auth.token",
                    ["abc", "def"])
for key, value in (("password", "pw-K7Q\nforged"), ("token", "tk-M4Z\x1b[31m")):
    with Gateway(config={"gateway": {"remote": {key: value}}}) as gw:
        refused_at_load(gw, "gateway.remote.%s with a control character" %
                        key, "gateway.remote." + key, [value[:6]])
with Gateway(config={"gateway": {"auth": {"password": "pw\x7f"}}}) as gw:
    refused_at_load(gw, "gateway.auth.password with DEL",
                    "gateway.auth.password", ["pw"])
with Gateway() as gw:
    refused_at_load(gw, "OPENCLAW_GATEWAY_TOKEN with a tab",
                    "OPENCLAW_GATEWAY_TOKEN", ["env-tok"],
                    env={"OPENCLAW_GATEWAY_TOKEN": "env-tok\tx"})
with Gateway(token=None) as gw:
    tf = os.path.join(gw.dir, "token")
    with open(tf, "wb") as f:
        f.write(b"filetok\x00rest\n")
    os.chmod(tf, 0o600)
    refused_at_load(gw, "--token-file with a NUL", tf, ["filetok", "rest"],
                    args=["--token-file", tf])
with Gateway(token=None) as gw:
    refused_at_load(gw, "--token with a control character", "--token",
                    ["argtok"], args=["--token", "argtok\x01x"])

# The client's token is compared over its JSON length: a NUL in it does
# not make a longer guess match its prefix (the configured token).
with Gateway() as gw:
    gw.start()
    refused(gw.port, "client token with \\u0000 and more after the right "
            "token", "AUTH_TOKEN_MISMATCH",
            "unauthorized: gateway token mismatch",
            token="test-token\u0000anything")
    refused(gw.port, "client token cut before the end with \\u0000",
            "AUTH_TOKEN_MISMATCH", "unauthorized: gateway token mismatch",
            token="test\u0000token")
    admitted(gw.port, "the right token still authenticates", "token")

done_testing()
