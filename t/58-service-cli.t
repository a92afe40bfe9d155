#!/usr/bin/env python3
# The service CLI (issue 8 section 6; runbook "Gestion du service Gateway",
# protocol.md 10.2 and 12): `openclaw gateway install|uninstall|start|stop|
# restart|status` and `openclaw doctor`.
#
# These machines run no systemd (nor launchd): a STAND-IN `systemctl` and
# `launchctl`, first on PATH, record each argv they get to a file and
# print canned answers for `systemctl show` / `launchctl print` (the
# state the test wants the supervisor to report).  What is checked is
# what our CLI writes and the exact commands it runs: the unit (content,
# markers, no secret, mode, written by rename), a no-op reinstall,
# --force, the calls of install/uninstall/start/stop/restart (restart of
# an active service is `reload`: SIGUSR1, the port stays open), status
# --json against a real running gateway (RPC reachable) and without one
# (unreachable, the last error line of its log), doctor's findings and
# exit codes, doctor --fix rewriting a stale unit; `systemd-analyze
# verify` on the units install wrote (as t/32 does on contrib/).
import os, plistlib, pwd, shutil, stat, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

T = tempfile.mkdtemp(prefix="ocgw-svc-")
BINDIR = os.path.join(T, "bin")
os.mkdir(BINDIR)
CALLS = os.path.join(T, "calls")
SHOW = os.path.join(T, "show")
FAIL = os.path.join(T, "fail")
STANDIN = r"""#!/bin/sh
# Stand-in for %(name)s (t/58): records its argv, prints canned state,
# fails the verbs listed in the file "fail".
echo "$*" >> "%(calls)s"
for a in "$@"; do case $a in -*) ;; *) verb=$a; break;; esac; done
[ -f "%(fail)s" ] && grep -qx "$verb" "%(fail)s" && exit 1
case " $* " in
*" show "*|*" print "*)
	[ -f "%(show)s" ] || { echo "Could not find service"; exit 113; }
	cat "%(show)s";;
esac
exit 0
"""
for name in ("systemctl", "launchctl"):
    p = os.path.join(BINDIR, name)
    with open(p, "w") as f:
        f.write(STANDIN % {"name": name, "calls": CALLS, "show": SHOW,
                           "fail": FAIL})
    os.chmod(p, 0o755)

REAL_BIN = os.path.realpath(BIN)
VERSION = run_cli(["--version"])[1].split()[-1]
XDG = os.path.join(T, "xdg")
UNIT = os.path.join(XDG, "systemd", "user", "openclaw-gateway.service")
ACTIVE = ("ActiveState=active\nSubState=running\nMainPID=%d\n"
          "ExecMainStatus=0\nExecMainCode=0\nLoadState=loaded\n"
          "UnitFileState=enabled\n")
INACTIVE = ("ActiveState=inactive\nSubState=dead\nMainPID=0\n"
            "ExecMainStatus=1\nExecMainCode=1\nLoadState=loaded\n"
            "UnitFileState=enabled\n")


def env_for(gw, **extra):
    e = cli_env(gw)
    e["PATH"] = BINDIR + os.pathsep + e.get("PATH", "/usr/bin:/bin")
    e["XDG_CONFIG_HOME"] = XDG
    e.update(extra)
    return e


def calls():
    """The stand-ins' argv lines since the last call, and forget them."""
    try:
        with open(CALLS) as f:
            lines = f.read().splitlines()
        os.unlink(CALLS)
    except FileNotFoundError:
        lines = []
    return lines


def show(text):
    if text is None:
        if os.path.exists(SHOW):
            os.unlink(SHOW)
        return
    with open(SHOW, "w") as f:
        f.write(text)


def unit_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if line.startswith("Environment="):
                k, v = line.strip()[len("Environment="):].split("=", 1)
                env[k] = v
    return env


def unit_key(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key + "="):
                return line.strip()[len(key) + 1:]
    return None


def verify(path, user):
    """systemd-analyze verify of a unit install wrote; None if absent."""
    if shutil.which("systemd-analyze") is None:
        return None
    rt = tempfile.mkdtemp(prefix="ocgw-rt-")
    os.chmod(rt, 0o700)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no"] +
                       (["--user"] if user else []) + [path],
                       env=dict(os.environ, XDG_RUNTIME_DIR=rt,
                                SYSTEMD_LOG_LEVEL="notice"),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    shutil.rmtree(rt, ignore_errors=True)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def cli(args, env):
    return run_cli(args, env=env)


def status_json(env, args=()):
    rc, out, err = cli(["gateway", "status", "--json"] + list(args), env)
    try:
        return rc, json.loads(out), err
    except ValueError:
        diag("status --json printed: %r %r" % (out[:500], err[:500]))
        return rc, {}, err


def findings(env, args=()):
    rc, out, err = cli(["doctor", "--json"] + list(args), env)
    try:
        return rc, json.loads(out).get("findings", [])
    except ValueError:
        diag("doctor --json printed: %r %r" % (out[:500], err[:500]))
        return rc, []


# --- install ------------------------------------------------------------
gw = Gateway(config={"gateway": {"port": free_port()}})
gw.config["gateway"]["port"] = gw.port
with open(gw.config_path, "w") as f:
    json.dump(gw.config, f)
env = env_for(gw)
rc, out, err = cli(["gateway", "install"], env)
is_(rc, 0, "install: exit 0")
like(out, UNIT, "install: says where the unit went")
ok(os.path.isfile(UNIT), "install: the user unit is in "
   "$XDG_CONFIG_HOME/systemd/user")
is_(calls(), ["--user daemon-reload",
              "--user enable --now openclaw-gateway.service"],
    "install: systemctl --user daemon-reload, then enable --now")
st = os.stat(UNIT)
is_(stat.S_IMODE(st.st_mode), 0o644, "install: the unit is 0644")
is_(sorted(n for n in os.listdir(os.path.dirname(UNIT))),
    ["openclaw-gateway.service"], "install: no temporary file left")
is_(unit_key(UNIT, "ExecStart"), REAL_BIN + " gateway",
    "install: ExecStart= our own binary, by its absolute path")
e = unit_env(UNIT)
is_((e.get("OPENCLAW_SERVICE_MARKER"), e.get("OPENCLAW_SERVICE_KIND"),
     e.get("OPENCLAW_SERVICE_VERSION")), ("openclaw", "gateway", VERSION),
    "install: the service markers, with our version")
is_((e.get("OPENCLAW_STATE_DIR"), e.get("OPENCLAW_CONFIG_PATH"),
     e.get("OPENCLAW_GATEWAY_PORT")),
    (gw.state, gw.config_path, str(gw.port)),
    "install: the resolved state dir, config path and port")
with open(UNIT) as f:
    text = f.read()
live = "".join(l for l in text.splitlines(True) if not l.startswith("#"))
ok(gw.token not in text and "TOKEN" not in live and "PASSWORD" not in live,
   "install: no secret in the unit")
ok("@" not in live, "install: every placeholder filled in")
r = verify(UNIT, True)
if r is None:
    diag("systemd-analyze not installed: verify skipped")
else:
    is_(r, (0, ""), "install: systemd-analyze verify --user passes, silent")

# Reinstall: the same content is a no-op.
rc, out, err = cli(["gateway", "install"], env)
is_(rc, 0, "reinstall: exit 0")
like(out, "already installed", "reinstall: says it is already installed")
is_(calls(), [], "reinstall: no systemctl call")
is_(os.stat(UNIT).st_ino, st.st_ino, "reinstall: the file is untouched")

# A different unit (the port changed): refused without --force.
gw.config["gateway"]["port"] = gw.port + 1
with open(gw.config_path, "w") as f:
    json.dump(gw.config, f)
rc, out, err = cli(["gateway", "install"], env)
is_(rc, 1, "install over a different unit: exit 1")
like(err, "--force", "install over a different unit: names --force")
is_(unit_env(UNIT).get("OPENCLAW_GATEWAY_PORT"), str(gw.port),
    "install over a different unit: the unit is unchanged")
rc, out, err = cli(["gateway", "install", "--force", "--json"], env)
is_(rc, 0, "install --force: exit 0")
is_(json.loads(out).get("action") if rc == 0 else None, "replaced",
    "install --force --json: action replaced")
is_(unit_env(UNIT).get("OPENCLAW_GATEWAY_PORT"), str(gw.port + 1),
    "install --force: the new port is in the unit")
ok(os.stat(UNIT).st_ino != st.st_ino,
   "install --force: a new file renamed over the old (atomic)")
is_(calls(), ["--user daemon-reload",
              "--user enable openclaw-gateway.service",
              "--user restart openclaw-gateway.service"],
    "install --force: daemon-reload, enable, restart (a new environment)")
rc, out, err = cli(["gateway", "install", "--port", str(gw.port),
                    "--force"], env)
is_((rc, unit_env(UNIT).get("OPENCLAW_GATEWAY_PORT")), (0, str(gw.port)),
    "install --port: the given port")
gw.config["gateway"]["port"] = gw.port
with open(gw.config_path, "w") as f:
    json.dump(gw.config, f)
calls()

# --- start, stop, restart -----------------------------------------------
SHOW_CALL = ("--user show openclaw-gateway.service --no-pager --property "
             "ActiveState,SubState,MainPID,ExecMainStatus,ExecMainCode,"
             "LoadState,UnitFileState")
show(ACTIVE % 4242)
rc, out, err = cli(["gateway", "restart"], env)
is_(rc, 0, "restart (active): exit 0")
is_(calls(), [SHOW_CALL, "--user reload openclaw-gateway.service"],
    "restart of an active service: show, then reload (SIGUSR1 in place)")
like(out, "in place", "restart (active): says it restarted in place")
with open(FAIL, "w") as f:
    f.write("reload\n")
rc, out, err = cli(["gateway", "restart"], env)
is_((rc, calls()), (0, [SHOW_CALL, "--user reload openclaw-gateway.service",
                        "--user kill --kill-whom=main --signal=SIGUSR1 "
                        "openclaw-gateway.service"]),
    "restart: a unit without ExecReload= gets SIGUSR1 through systemctl kill")
os.unlink(FAIL)
show(INACTIVE)
rc, out, err = cli(["gateway", "restart"], env)
is_(calls(), [SHOW_CALL, "--user start openclaw-gateway.service"],
    "restart of an inactive service: start")
cli(["gateway", "start"], env)
is_(calls(), ["--user start openclaw-gateway.service"], "start: start")
cli(["gateway", "stop"], env)
is_(calls(), ["--user stop openclaw-gateway.service"], "stop: stop")

# --- status with a real gateway -----------------------------------------
gw.start()
show(ACTIVE % gw.proc.pid)
rc, st, err = status_json(env)
is_(rc, 0, "status --json: exit 0")
svc = st.get("service", {})
is_((svc.get("manager"), svc.get("label"), svc.get("scope"),
     svc.get("installed"), svc.get("loaded")),
    ("systemd", "openclaw-gateway.service", "user", True, True),
    "status: the service, installed and enabled")
rt = svc.get("runtime", {})
is_((rt.get("status"), rt.get("state"), rt.get("subState"), rt.get("pid")),
    ("running", "active", "running", gw.proc.pid),
    "status: the supervisor's state, as systemctl show says")
rpc = st.get("rpc", {})
is_((rpc.get("ok"), rpc.get("url")), (True, gw.url),
    "status: the RPC probe reaches the gateway (connect + status)")
is_(rpc.get("version"), VERSION, "status: the gateway's runtimeVersion")
is_(st.get("gateway", {}).get("probeUrl"), gw.url, "status: probe target")
is_(st.get("gateway", {}).get("dashboardUrl"),
    "http://127.0.0.1:%d/" % gw.port, "status: the dashboard URL")
is_(st.get("config", {}).get("daemon", {}).get("path"), gw.config_path,
    "status: the service's config path")
is_((st.get("port", {}).get("status"), st.get("lastError")),
    ("busy", None), "status: port busy, no last error")
is_(st.get("extraServices"), [], "status: no other gateway-like service")
is_(st.get("logFile"), gw.logfile, "status: the log file")
rc, out, err = cli(["gateway", "status"], env)
like(out, "Runtime: running (pid %d, state active" % gw.proc.pid,
     "status: the runtime line")
like(out, "RPC probe: ok", "status: RPC probe ok, on its own line")
like(out, "Service: systemd user openclaw-gateway.service (enabled)",
     "status: the service line")
like(out, "Probe target: %s" % gw.url, "status: the probe target line")
like(out, "Dashboard: http://127.0.0.1:%d/" % gw.port,
     "status: the dashboard line")
like(out, "Config (service): %s" % gw.config_path, "status: the config")
rc, st, err = status_json(env, ["--no-probe"])
ok("rpc" not in st, "status --no-probe: no RPC probe")
gw.stop()

# --- status without a gateway: the last error of its log ----------------
blocker = socket.socket()
blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
blocker.bind(("127.0.0.1", gw.port))
blocker.listen(1)
gw.expect_log_error(r"in use|bind")
gw.start(wait=False)
try:
    gw.proc.wait(timeout=20)
except subprocess.TimeoutExpired:
    pass
blocker.close()
ok(gw.proc.poll() is not None, "a gateway whose port is taken exits")
rc, st, err = status_json(env)
is_((st.get("service", {}).get("runtime", {}).get("status"),
     st.get("port", {}).get("status")), ("running", "free"),
    "status: the service looks up, the port is closed")
is_(st.get("rpc", {}).get("ok"), False, "status: RPC unreachable")
like(st.get("rpc", {}).get("error") or "", "refused",
     "status: why the probe failed")
like(st.get("lastError") or "", "in use",
     "status: the last error line of the gateway's log")
rc, out, err = cli(["gateway", "status"], env)
like(err, "Gateway port %d is not listening (service appears running)" %
     gw.port, "status: says the port is closed")
like(err, "Last gateway error:", "status: and prints the last error")
like(err, "RPC probe: failed", "status: RPC probe failed")

# --- other gateway-like services ----------------------------------------
udir = os.path.dirname(UNIT)
with open(os.path.join(udir, "clawdbot-gateway.service"), "w") as f:
    f.write("[Service]\nExecStart=/usr/bin/clawdbot gateway\n")
with open(os.path.join(udir, "openclaw-gateway-rescue.service"), "w") as f:
    f.write("[Service]\nEnvironment=OPENCLAW_SERVICE_MARKER=openclaw\n"
            "Environment=OPENCLAW_SERVICE_KIND=gateway\n")
root = os.path.join(T, "root")
os.makedirs(os.path.join(root, "etc", "systemd", "system"))
with open(os.path.join(root, "etc", "systemd", "system",
                       "moltbot.service"), "w") as f:
    f.write("[Service]\nExecStart=/opt/moltbot/bin/moltbot\n")
env_root = dict(env, OPENCLAW_SERVICE_ROOT=root)
rc, st, err = status_json(env_root, ["--no-probe"])
is_([x.get("label") for x in st.get("extraServices", [])],
    ["clawdbot-gateway.service"],
    "status: warns of a legacy clawdbot unit, not of a profile's service")
rc, st, err = status_json(env_root, ["--no-probe", "--deep"])
is_(sorted(x.get("label") for x in st.get("extraServices", [])),
    ["clawdbot-gateway.service", "moltbot.service"],
    "status --deep: also the system-level units")
rc, out, err = cli(["gateway", "status", "--no-probe"], env_root)
like(err, "Other gateway-like services detected",
     "status: the warning on the terminal")
os.unlink(os.path.join(udir, "clawdbot-gateway.service"))
os.unlink(os.path.join(udir, "openclaw-gateway-rescue.service"))
show(None)

# --- doctor -------------------------------------------------------------
rc, out, err = cli(["doctor"], env)
is_((rc, out.strip()), (0, "No problems found."),
    "doctor: all is well, exit 0 (%s)" % (out + err).strip()[:300])
with open(UNIT) as f:
    good = f.read()
with open(UNIT, "w") as f:
    f.write(good.replace("OPENCLAW_SERVICE_VERSION=" + VERSION,
                         "OPENCLAW_SERVICE_VERSION=0.0.1"))
rc, fs = findings(env)
is_((rc, [x["check"] for x in fs]), (1, ["service"]),
    "doctor: a unit that is not what install writes today, exit 1")
like(fs[0]["fix"] if fs else "", "doctor --fix",
     "doctor: the finding names the command that mends it")
calls()
rc, out, err = cli(["doctor", "--fix"], env)
is_(rc, 0, "doctor --fix: exit 0 once mended")
with open(UNIT) as f:
    is_(f.read(), good, "doctor --fix: the unit rewritten as install would")
is_(calls(), ["--user daemon-reload"], "doctor --fix: daemon-reload")

os.chmod(gw.config_path, 0o644)
rc, fs = findings(env)
is_((rc, [x["check"] for x in fs]), (1, ["permissions"]),
    "doctor: a config holding a token, readable by others")
like(fs[0]["fix"] if fs else "", "chmod 600", "doctor: fix chmod 600")
rc, out, err = cli(["doctor", "--fix"], env)
is_((rc, stat.S_IMODE(os.stat(gw.config_path).st_mode)), (0, 0o600),
    "doctor --fix: chmod 600 the config")
os.chmod(gw.state, 0o777)
rc, fs = findings(env)
is_([x["check"] for x in fs], ["permissions"],
    "doctor: a state directory others can write")
os.chmod(gw.state, 0o700)

with open(gw.config_path) as f:
    cfg_text = f.read()
with open(gw.config_path, "w") as f:
    f.write('{"gateway": {"mode": "local", "prot": 1}}')
rc, fs = findings(env)
ok(rc == 1 and any(x["check"] == "config" and "gateway.prot" in
                   x["message"] for x in fs),
   "doctor: an unknown key of the config (gateway --check's warning)")
with open(gw.config_path, "w") as f:
    f.write('{"gateway": {"mode": "local",\n  "port": "x"}}')
rc, fs = findings(env)
ok(rc == 1 and any(x["check"] == "config" and "2:" in x["message"]
                   for x in fs),
   "doctor: a config that does not validate, with line:col")
with open(gw.config_path, "w") as f:
    f.write(cfg_text)

taker = socket.socket()
taker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
taker.bind(("127.0.0.1", gw.port))
taker.listen(1)
rc, fs = findings(env)
is_((rc, [x["check"] for x in fs]), (1, ["port"]),
    "doctor: the port taken by something that is not our gateway")
like(fs[0]["fix"] if fs else "", "lsof", "doctor: how to find it")
taker.close()

lock = os.path.join(gw.state, "gateway.lock")
holder = subprocess.Popen([sys.executable, "-c",
                           "import fcntl,sys,time\n"
                           "f=open(sys.argv[1],'a')\n"
                           "fcntl.lockf(f,fcntl.LOCK_EX)\n"
                           "print('locked',flush=True)\n"
                           "time.sleep(60)", lock],
                          stdout=subprocess.PIPE)
holder.stdout.readline()
rc, fs = findings(env)
ok(rc == 1 and [x for x in fs if x["check"] == "lock" and
                str(holder.pid) in x["message"]],
   "doctor: a lock held by a process while the port is closed")
holder.kill()
holder.wait()
if os.geteuid() == 0:
    os.chown(lock, 65534, 65534)
    rc, fs = findings(env)
    ok(rc == 1 and [x for x in fs if x["check"] == "lock" and
                    "uid 65534" in x["message"]],
       "doctor: a lock file of another user")
    rc, out, err = cli(["doctor", "--fix"], env)
    ok(rc == 0 and not os.path.exists(lock),
       "doctor --fix: removes it (the next start makes it again)")

cfg = dict(gw.config, logging={"file": os.path.join(T, "no", "such",
                                                    "gw.log")})
with open(gw.config_path, "w") as f:
    json.dump(cfg, f)
rc, fs = findings(env)
ok(rc == 1 and [x for x in fs if x["check"] == "logs" and
                "does not exist" in x["message"]],
   "doctor: a log directory that is not there")
# The dated log directory <tmp>/openclaw, open to others: not ours.
tmpdir = os.path.join(T, "tmp")
os.makedirs(os.path.join(tmpdir, "openclaw"))
os.chmod(os.path.join(tmpdir, "openclaw"), 0o777)
cfg = dict(gw.config)
del cfg["logging"]
with open(gw.config_path, "w") as f:
    json.dump(cfg, f)
tenv = dict(env, TMPDIR=tmpdir)
rc, fs = findings(tenv)
ok(rc == 1 and [x for x in fs if x["check"] == "logs" and
                "not a directory of ours" in x["message"]],
   "doctor: a log directory in <tmp> that is not ours")
rc, st, err = status_json(tenv, ["--no-probe"])
like(st.get("logFile") or "", os.path.join(tmpdir, "openclaw-%d" %
                                           os.getuid(), "openclaw-"),
     "status: the log file the gateway falls back to")
calls()
with open(gw.config_path, "w") as f:
    f.write(cfg_text)
rc, out, err = cli(["doctor"], env)
is_(rc, 0, "doctor: all is well again")

# --- uninstall ----------------------------------------------------------
rc, out, err = cli(["gateway", "uninstall"], env)
is_(rc, 0, "uninstall: exit 0")
ok(not os.path.exists(UNIT), "uninstall: the unit is gone")
is_(calls(), ["--user disable --now openclaw-gateway.service",
              "--user daemon-reload"],
    "uninstall: disable --now (stop and disable), then daemon-reload")
rc, out, err = cli(["gateway", "start"], env)
ok(rc == 1 and "gateway install" in err,
   "start without a unit: exit 1, says to install first")

# --- a profile, a system unit -------------------------------------------
penv = dict(env, OPENCLAW_PROFILE="rescue")
rc, out, err = cli(["gateway", "install"], penv)
punit = os.path.join(XDG, "systemd", "user",
                     "openclaw-gateway-rescue.service")
ok(rc == 0 and os.path.isfile(punit),
   "profile: the unit is openclaw-gateway-rescue.service")
is_(unit_env(punit).get("OPENCLAW_PROFILE"), "rescue",
    "profile: OPENCLAW_PROFILE in the unit")
like(unit_key(punit, "Description") or "", "profile: rescue",
     "profile: in the description")
is_(calls()[-1], "--user enable --now openclaw-gateway-rescue.service",
    "profile: systemctl on the profile's unit")
cli(["gateway", "uninstall"], penv)
calls()
with open(FAIL, "w") as f:
    f.write("enable\n")
rc, out, err = cli(["gateway", "install"], dict(env, OPENCLAW_PROFILE="x"))
ok(rc == 1 and "enable" in err, "install: a failed systemctl enable is "
   "exit 1, said (%r)" % err.strip()[:200])
os.unlink(FAIL)
cli(["gateway", "uninstall"], dict(env, OPENCLAW_PROFILE="x"))
calls()

sroot = os.path.join(T, "sysroot")
senv = dict(env, OPENCLAW_SERVICE_ROOT=sroot)
user = pwd.getpwuid(os.getuid()).pw_name
rc, out, err = cli(["gateway", "install", "--system", "--user", user],
                   senv)
sunit = os.path.join(sroot, "etc", "systemd", "system",
                     "openclaw-gateway.service")
ok(rc == 0 and os.path.isfile(sunit), "install --system: /etc/systemd/system")
is_((unit_key(sunit, "User"), unit_key(sunit, "ReadWritePaths")),
    (user, gw.state), "install --system --user: User= and ReadWritePaths=")
is_(calls(), ["daemon-reload", "enable --now openclaw-gateway.service"],
    "install --system: systemctl without --user")
r = verify(sunit, False)
if r is not None:
    is_(r, (0, ""), "install --system: systemd-analyze verify passes")
show(INACTIVE)
cli(["gateway", "restart"], senv)
is_(calls(), [SHOW_CALL.replace("--user ", ""),
              "start openclaw-gateway.service"],
    "only a system unit installed: the commands act on it (no --user)")
show(None)
rc, out, err = cli(["gateway", "uninstall"], senv)
ok(rc == 0 and not os.path.exists(sunit), "uninstall of the system unit")
calls()
rc, out, err = cli(["gateway", "install", "--user", user], env)
ok(rc == 2 or (rc == 1 and "--system" in err),
   "install --user without --system: refused")
rc, out, err = cli(["gateway", "install", "--system", "--user",
                    "no-such-user-here"], dict(senv))
ok(rc == 1 and "no-such-user-here" in err,
   "install --system --user of an unknown user: refused, named")
calls()

# Values a unit must escape or cannot carry.
odd = os.path.join(T, "state%dir")
os.mkdir(odd, 0o700)
oenv = dict(env, OPENCLAW_STATE_DIR=odd)
rc, out, err = cli(["gateway", "install", "--force"], oenv)
ok(rc == 0 and "OPENCLAW_STATE_DIR=" + odd.replace("%", "%%") in
   open(UNIT).read(), "install: a % in a path is written %% (a specifier)")
r = verify(UNIT, True)
if r is not None:
    is_(r, (0, ""), "install: and systemd-analyze verify passes")
rc, st, err = status_json(env, ["--no-probe"])
is_((st.get("config", {}).get("daemon", {}).get("path"),
     st.get("config", {}).get("mismatch")),
    (os.path.join(odd, "openclaw.json"), True),
    "status: the service's config path read back from the unit (%), "
    "and the mismatch with the CLI's")
spaced = os.path.join(T, "state dir")
os.mkdir(spaced, 0o700)
rc, out, err = cli(["gateway", "install", "--force"],
                   dict(env, OPENCLAW_STATE_DIR=spaced))
ok(rc == 1 and "cannot carry" in err and
   "OPENCLAW_STATE_DIR=" + odd.replace("%", "%%") in open(UNIT).read(),
   "install: a space in a path is refused, the unit left as it was")
cli(["gateway", "uninstall"], env)
calls()

# --- launchd (macOS), through the stand-in launchctl ----------------------
lenv = dict(env, OPENCLAW_SERVICE_MANAGER="launchd")
plist = os.path.join(gw.dir, "Library", "LaunchAgents",
                     "bot.molt.gateway.plist")
rc, out, err = cli(["gateway", "install"], lenv)
ok(rc == 0 and os.path.isfile(plist),
   "launchd: ~/Library/LaunchAgents/bot.molt.gateway.plist")
with open(plist, "rb") as f:
    pl = plistlib.load(f)
penv_ = pl.get("EnvironmentVariables", {})
is_((pl.get("Label"), pl.get("ProgramArguments"),
     penv_.get("OPENCLAW_SERVICE_MARKER"), penv_.get("OPENCLAW_SERVICE_KIND"),
     penv_.get("OPENCLAW_SERVICE_VERSION"), penv_.get("OPENCLAW_STATE_DIR")),
    ("bot.molt.gateway", [REAL_BIN, "gateway"], "openclaw", "gateway",
     VERSION, gw.state), "launchd: the plist, with the markers")
ok(os.path.isdir(os.path.dirname(pl.get("StandardOutPath", "/x/y"))) and
   pl["StandardOutPath"].startswith(os.path.join(gw.dir, "Library", "Logs")),
   "launchd: the log directory ~/Library/Logs/openclaw is made")
target = "gui/%d/bot.molt.gateway" % os.getuid()
is_(calls(), ["bootstrap gui/%d %s" % (os.getuid(), plist)],
    "launchd: install bootstraps it")
show("state = running\n\tpid = 4242\n")
cli(["gateway", "restart"], lenv)
is_(calls(), ["print " + target, "kill SIGUSR1 " + target],
    "launchd: restart of a running agent is SIGUSR1 (in place)")
rc, st, err = status_json(lenv, ["--no-probe"])
is_((st.get("service", {}).get("label"),
     st.get("service", {}).get("runtime", {}).get("status"),
     st.get("service", {}).get("runtime", {}).get("pid")),
    ("bot.molt.gateway", "running", 4242),
    "launchd: status parses launchctl print")
calls()
cli(["gateway", "stop"], lenv)
is_(calls(), ["bootout " + target], "launchd: stop is bootout")
rc, out, err = cli(["gateway", "uninstall"], lenv)
ok(rc == 0 and not os.path.exists(plist), "launchd: uninstall removes it")
show(None)

gw.cleanup()
shutil.rmtree(T, ignore_errors=True)
done_testing()
