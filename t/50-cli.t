#!/usr/bin/env python3
# The CLI: --version, `gateway call`, `gateway health`, their --json
# output, exit statuses (0 ok, 1 failure, 2 usage) and defaults taken from
# the state dir's config; `gateway auth-token` and `dashboard`.
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def lines(s):
    return [l for l in s.splitlines() if l.strip()]


def as_json(s, name):
    try:
        return json.loads(s)
    except ValueError:
        ok(False, "%s: stdout is JSON" % name)
        diag(s)
        return None


rc, out, err = run_cli(["--version"])
is_(rc, 0, "--version exit 0")
ok(re.match(r"^openclaw \d+\.\d+\.\d+\S*\n?$", out),
   "--version prints 'openclaw <version>' (%r)" % out.strip())
rc2, out2, err2 = run_cli(["-V"])
is_((rc2, out2), (0, out), "-V is --version")
for args in (["--help"], ["gateway", "call", "--help"],
             ["gateway", "health", "--help"],
             ["gateway", "auth-token", "--help"], ["dashboard", "--help"]):
    rc, out, err = run_cli(args)
    is_(rc, 0, "%s exit 0" % " ".join(args))
    like(out.lower(), "usage", "%s prints usage on stdout" % " ".join(args))
# the command table (cli/cli-cmd.c) drives both help lists
rc, out, err = run_cli(["--help"])
ok(all(re.search(r"^  gateway %s" % w, out, re.M) for w in
       (r"\[run\]", "call <method>", "health")),
   "--help lists gateway [run], call and health")
ok("__worker" not in out, "... but not the internal __worker")
rc, out, err = run_cli(["gateway", "help"])
is_((rc, err), (0, ""), "gateway help: exit 0, nothing on stderr")
is_(re.findall(r"^\s*(?:usage: )?openclaw gateway (\S+)", out, re.M),
    ["[run]", "call", "health", "auth-token", "install",
     "uninstall|start|stop|restart", "status"],
    "gateway help: one usage line per gateway command")
rc, out, err = run_cli(["__worker"])
is_((rc, out), (2, ""), "__worker without a role: exit 2")
like(err, "usage: openclaw __worker <role>", "... with its usage")
for args in (["bogus"], ["gateway", "bogus"], ["gateway", "call"],
             ["gateway", "call", "health", "--params", "{bad"],
             ["gateway", "call", "health", "--params", "{'a': 1}"],
             ["gateway", "call", "health", "--params", '{"a": 1,}'],
             ["gateway", "call", "health", "--params", "NaN"],
             ["gateway", "call", "health", "--bogus"],
             ["gateway", "call", "health", "--timeout", "abc"],
             ["gateway", "health", "--bogus"]):
    rc, out, err = run_cli(args, env=cli_env(env={
        "OPENCLAW_GATEWAY_URL": "ws://127.0.0.1:%d" % free_port()}))
    is_(rc, 2, "%s: exit 2" % " ".join(args))
    ok(err.strip(), "%s: says why on stderr" % " ".join(args))
    is_(out, "", "%s: nothing on stdout" % " ".join(args))

with Gateway() as gw:
    # the config also says where the gateway is, for the defaults test
    gw.config["gateway"]["port"] = gw.port
    with open(gw.config_path, "w") as f:
        json.dump(gw.config, f)
    gw.start()
    env = cli_env()             # nothing from the state dir
    url = ["--url", gw.url]

    rc, out, err = run_cli(["gateway", "call", "health"] + url +
                           ["--token", "test-token"], env=env)
    is_(rc, 0, "call health: exit 0")
    h = as_json(out, "call health")
    ok(isinstance(h, dict) and "sessions" in h, "call health: JSON with "
       "sessions")
    is_(err, "", "call health: nothing on stderr")
    rc, out2, err = run_cli(["gateway", "call", "health", "--json"] + url +
                            ["--token", "test-token"], env=env)
    is_(rc, 0, "call health --json: exit 0")
    h = as_json(out2, "call health --json")
    ok(isinstance(h, dict) and h.get("ok") is True and "sessions" in h,
       "call health --json: the payload")
    rc, out, err = run_cli(["gateway", "call", "health", "--port",
                            str(gw.port), "--token", "test-token"], env=env)
    is_(rc, 0, "call health --port: exit 0")
    rc, out, err = run_cli(["gateway", "call", "status", "--params", "{}"] +
                           url + ["--token", "test-token"], env=env)
    is_(rc, 0, "call status --params {}: exit 0")
    ok(isinstance(as_json(out, "call status"), dict),
       "call status: a JSON object")

    # wrong token
    rc, out, err = run_cli(["gateway", "call", "health"] + url +
                           ["--token", "wrong-token"], env=env)
    is_(rc, 1, "wrong token: exit 1")
    is_(len(lines(err)), 1, "wrong token: one line on stderr")
    like(err, "unauthorized: gateway token mismatch",
         "wrong token: says unauthorized: gateway token mismatch")
    ok("wrong-token" not in err + out, "wrong token: not echoed")
    rc, out, err = run_cli(["gateway", "call", "health", "--json"] + url +
                           ["--token", "wrong-token"], env=env)
    is_(rc, 1, "wrong token --json: exit 1")
    j = as_json(out, "wrong token --json") or {}
    is_(j.get("ok"), False, "wrong token --json: ok false")
    e = j.get("error") or {}
    is_(e.get("type"), "gateway_request_error",
        "wrong token --json: error.type gateway_request_error")
    is_(e.get("code"), "INVALID_REQUEST",
        "wrong token --json: error.code INVALID_REQUEST")
    like(e.get("message"), "unauthorized: gateway token mismatch",
         "wrong token --json: error.message")
    is_((e.get("details") or {}).get("code"), "AUTH_TOKEN_MISMATCH",
        "wrong token --json: details.code AUTH_TOKEN_MISMATCH")
    rc, out, err = run_cli(["gateway", "call", "health"] + url, env=env)
    is_(rc, 1, "no token at all: exit 1")
    is_(len(lines(err)), 1, "no token at all: one line on stderr")
    like(err, "unauthorized: gateway token missing",
         "no token at all: unauthorized: gateway token missing")

    # a method the gateway does not know
    rc, out, err = run_cli(["gateway", "call", "no.such.method", "--json"] +
                           url + ["--token", "test-token"], env=env)
    is_(rc, 1, "unknown method: exit 1")
    j = as_json(out, "unknown method") or {}
    is_((j.get("error") or {}).get("type"), "gateway_request_error",
        "unknown method: gateway_request_error")
    diag("unknown method: %s" % json.dumps(j.get("error")))

    # defaults from OPENCLAW_STATE_DIR: port and token from the config
    denv = cli_env(gw)
    rc, out, err = run_cli(["gateway", "call", "status"], env=denv)
    is_(rc, 0, "call status with defaults from the config: exit 0")
    if rc:
        diag(err)
    ok(isinstance(as_json(out, "defaults") if out else None, dict),
       "call status with defaults: JSON")
    rc, out, err = run_cli(["gateway", "health"], env=denv)
    is_(rc, 0, "gateway health (text): exit 0")
    ok(out.strip() and not out.lstrip().startswith("{"),
       "gateway health (text): a summary, not JSON")
    diag(out.strip())
    rc, out, err = run_cli(["gateway", "health", "--json"], env=denv)
    is_(rc, 0, "gateway health --json: exit 0")
    h = as_json(out, "health --json") or {}
    ok(h.get("ok") is True and "sessions" in h, "gateway health --json: the "
       "health payload")
    # environment overrides
    eenv = cli_env(env={"OPENCLAW_GATEWAY_PORT": str(gw.port),
                        "OPENCLAW_GATEWAY_TOKEN": "test-token"})
    rc, out, err = run_cli(["gateway", "call", "health"], env=eenv)
    is_(rc, 0, "OPENCLAW_GATEWAY_PORT + OPENCLAW_GATEWAY_TOKEN: exit 0")
    eenv["OPENCLAW_GATEWAY_URL"] = gw.url
    del eenv["OPENCLAW_GATEWAY_PORT"]
    rc, out, err = run_cli(["gateway", "call", "health"], env=eenv)
    is_(rc, 0, "OPENCLAW_GATEWAY_URL: exit 0")
    # a flag token wins over the config's
    rc, out, err = run_cli(["gateway", "call", "health", "--token", "nope"],
                           env=denv)
    is_(rc, 1, "--token wins over the config's token")

    # the token never appears in the CLI's argv-free output
    rc, out, err = run_cli(["gateway", "call", "health"], env=denv)
    ok("test-token" not in out + err, "the token is not printed")

# no gateway listening
port = free_port()
rc, out, err = run_cli(["gateway", "call", "health", "--url",
                        "ws://127.0.0.1:%d" % port, "--token", "t"])
is_(rc, 1, "no gateway: exit 1")
is_(len(lines(err)), 1, "no gateway: one line on stderr")
like(err, "127.0.0.1:%d" % port, "no gateway: names the address")
rc, out, err = run_cli(["gateway", "call", "health", "--json", "--url",
                        "ws://127.0.0.1:%d" % port, "--token", "t"])
is_(rc, 1, "no gateway --json: exit 1")
j = as_json(out, "no gateway --json") or {}
is_(j.get("ok"), False, "no gateway --json: ok false")
is_((j.get("error") or {}).get("type"), "gateway_transport_error",
    "no gateway --json: gateway_transport_error")
is_((j.get("gateway") or {}).get("url"), "ws://127.0.0.1:%d" % port,
    "no gateway --json: gateway.url")
rc, out, err = run_cli(["gateway", "health", "--url",
                        "ws://127.0.0.1:%d" % port, "--token", "t"])
is_(rc, 1, "gateway health, no gateway: exit 1")

# something listening that never answers: the timeout
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
t0 = time.time()
rc, out, err = run_cli(["gateway", "call", "health", "--timeout", "1000",
                        "--url", "ws://127.0.0.1:%d" % s.getsockname()[1],
                        "--token", "t"])
dt = time.time() - t0
is_(rc, 1, "silent server: exit 1")
like(err.lower(), "timeout", "silent server: says timeout")
ok(dt < 5, "silent server: --timeout 1000 honoured (%.1f s)" % dt)
s.close()

# ---------------------------------------------------------------- auth-token
CPORT = free_port()
with Gateway(token="tok-" + uuid.uuid4().hex,
             config={"gateway": {"port": CPORT}}) as gw:
    e = cli_env(gw)
    rc, out, err = run_cli(["gateway", "auth-token"], env=e)
    is_((rc, out, err), (0, gw.token + "\n", ""),
        "gateway auth-token: the config's token alone on its line")
    rc, out, err = run_cli(["gateway", "auth-token", "--show"], env=e)
    is_((rc, out), (0, gw.token + "\n"), "... --show as the stock CLI")
    e2 = cli_env(gw, env={"OPENCLAW_GATEWAY_TOKEN": "from-env"})
    rc, out, err = run_cli(["gateway", "auth-token"], env=e2)
    is_((rc, out), (0, "from-env\n"),
        "gateway auth-token: OPENCLAW_GATEWAY_TOKEN over the config")
    rc, out, err = run_cli(["gateway", "auth-token", "--bogus"], env=e)
    is_((rc, out), (2, ""), "gateway auth-token --bogus: exit 2")
    # dashboard: this gateway's URL; the token only in --json's url
    rc, out, err = run_cli(["dashboard"], env=e)
    is_(rc, 0, "dashboard: exit 0")
    like(out, "Dashboard URL: http://127.0.0.1:%d/\n" % CPORT,
         "dashboard: the URL on the config's port")
    ok(gw.token not in out + err, "dashboard: no token on the terminal")
    rc, out, err = run_cli(["dashboard", "--json", "--no-open"], env=e)
    d = as_json(out, "dashboard --json") or {}
    is_((rc, d.get("ok"), d.get("httpUrl"), d.get("wsUrl"), d.get("port"),
         d.get("tokenIncluded")),
        (0, True, "http://127.0.0.1:%d/" % CPORT,
         "ws://127.0.0.1:%d" % CPORT, CPORT, True),
        "dashboard --json: httpUrl, wsUrl, port")
    is_(d.get("url"), "http://127.0.0.1:%d/#token=%s" % (CPORT, gw.token),
        "dashboard --json: url with #token=")
    rc, out, err = run_cli(["dashboard", "--port", "4321"], env=e)
    like(out, "Dashboard URL: http://127.0.0.1:4321/", "dashboard --port")

for how, kw, want in (
        ("password mode", {"token": None, "config": {"gateway": {"auth": {
            "mode": "password", "password": "pw-secret"}}}}, "password"),
        ("no token", {"token": None}, "gateway.auth.token")):
    with Gateway(**kw) as gw:
        rc, out, err = run_cli(["gateway", "auth-token"], env=cli_env(gw))
        is_((rc, out), (1, ""), "gateway auth-token, %s: exit 1, nothing "
            "on stdout" % how)
        like(err, want, "... and says why (%s)" % err.strip())
        ok("pw-secret" not in err, "... without the password")

with Gateway(raw_config="{gateway: nope") as gw:
    rc, out, err = run_cli(["gateway", "auth-token"], env=cli_env(gw))
    is_((rc, out), (78, ""), "gateway auth-token, bad config: exit 78")

done_testing()
