#!/usr/bin/env python3
# Profiles and --force (issue 8 §5; protocol.md §9.2-9.3, runbook
# "Plusieurs Gateways", "--dev"): `openclaw --profile NAME` and `--dev`
# isolate state, config and port (~/.openclaw-NAME; the port derived from
# the name as the stock CLI derives it, 20000 + FNV-1a32(NAME) % 40000;
# dev 19001); the CLI commands of a profile meet its gateway; derived
# canvas and browser control ports; `gateway --force` stops whatever
# listens on the port (the topmost process of its tree) and starts.
import os, re, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "interop"))
from gwtest import *
import interop


def fnv1a32(s):
    h = 2166136261
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


def profile_port(name):
    return 20000 + fnv1a32(name) % 40000


# Worked by hand from the FNV-1a definition: "a" is the published test
# vector 0xe40c292c; 0xe40c292c % 40000 = 2220.
is_(fnv1a32("a"), 0xe40c292c, "FNV-1a32('a') is the published vector")
is_(profile_port("a"), 22220, "profile a: port 22220")


def free_profile(tag):
    """A profile name whose derived port and port + 4 are free."""
    for _ in range(500):
        name = "t57%s-%d" % (tag, random.randrange(1 << 30))
        p = profile_port(name)
        if port_bindable(p) and port_bindable(p + 4):
            return name
    raise RuntimeError("no profile with a free port")


def profile_gateway(home, name, token, dated_log=False):
    """A Gateway whose state lives in home/.openclaw-NAME, run as
    `openclaw --profile NAME gateway`: no OPENCLAW_STATE_DIR, no --port.
    dated_log: no logging.file, the dated file in gw.dir/openclaw/."""
    gw = Gateway(write_config=False, token=token)
    gw.env.pop("OPENCLAW_STATE_DIR", None)
    gw.env["HOME"] = home
    cfg = {"gateway": {"mode": "local",
                       "auth": {"mode": "token", "token": token}},
           "logging": {"file": gw.logfile}}
    if dated_log:
        gw.env["TMPDIR"] = gw.dir
        del cfg["logging"]
    gw.state = os.path.join(home, ".openclaw-" + name)
    os.makedirs(gw.state, mode=0o700, exist_ok=True)
    gw.config_path = os.path.join(gw.state, "openclaw.json")
    with os.fdopen(os.open(gw.config_path, os.O_WRONLY | os.O_CREAT, 0o600),
                   "w") as f:
        json.dump(cfg, f)
    gw.port = profile_port(name)
    gw.out = open(os.path.join(gw.dir, "stdout.log"), "wb")
    gw.proc = subprocess.Popen([BIN, "--profile", name, "gateway"],
                               env=gw.env, stdout=gw.out,
                               stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    return gw


def cli(home, args, env=None):
    e = cli_env(env=env)
    e["HOME"] = home
    return run_cli(args, env=e)


home = tempfile.mkdtemp(prefix="ocgw-home57-")

# --- bad names: one line, usage status ----------------------------------
for bad in ("a/b", "../x", "-x", "", "x" * 65, "caf\u00e9"):
    rc, out, err = cli(home, ["--profile", bad, "gateway", "--check"])
    ok(rc == 2 and len(err.strip().splitlines()) == 1 and
       "--profile" in err, "--profile %r: usage error, one line (%s: %r)"
       % (bad[:12], rc, err.strip()[:80]))
rc, out, err = cli(home, ["--dev", "--profile", "x", "gateway", "--check"])
ok(rc == 2 and "--dev" in err, "--dev with --profile x: usage error")
ok(not os.path.exists(os.path.join(home, ".openclaw-a")) and
   not os.path.exists(os.path.join(home, ".openclaw")),
   "a refused profile creates nothing")

# --- resolution without starting: --check names the ports -----------------
name_a = free_profile("a")
pa = profile_port(name_a)
while True:     # b's ports must not be a's canvas port, or a's its
    name_b = free_profile("b")
    pb = profile_port(name_b)
    if abs(pa - pb) not in (0, 4):
        break
rc, out, err = cli(home, ["--profile", name_a, "gateway", "--check"])
is_(rc, 0, "--profile: --check exit 0")
like(out, os.path.join(home, ".openclaw-" + name_a, "openclaw.json"),
     "--profile: the config is ~/.openclaw-NAME/openclaw.json")
like(err, "port %d (profile %s), canvas %d, browser control %d" %
     (pa, name_a, pa + 4, pa + 2), "--profile: derived ports reported")

rc, out, err = cli(home, ["--dev", "gateway", "--check"])
like(out, os.path.join(home, ".openclaw-dev", "openclaw.json"),
     "--dev: ~/.openclaw-dev")
like(err, "port 19001 (profile dev), canvas 19005, browser control 19003",
     "--dev: port 19001, canvas 19005, browser control 19003")
rc, out, err = cli(home, ["--dev", "gateway", "--check"],
                   env={"OPENCLAW_GATEWAY_PORT": "19555"})
like(err, "port 19555 (profile dev)", "--dev: OPENCLAW_GATEWAY_PORT wins")
rc, out, err = cli(home, ["--profile", name_a, "gateway", "--check"],
                   env={"OPENCLAW_CANVAS_HOST_PORT": str(pa + 7)})
like(err, "canvas %d," % (pa + 7), "OPENCLAW_CANVAS_HOST_PORT wins over +4")
other = tempfile.mkdtemp(prefix="ocgw-st57-")
rc, out, err = cli(home, ["--profile", name_a, "gateway", "--check"],
                   env={"OPENCLAW_STATE_DIR": other})
like(out, os.path.join(other, "openclaw.json"),
     "an explicit OPENCLAW_STATE_DIR wins over the profile's")
shutil.rmtree(other, ignore_errors=True)

# --- two profiles side by side --------------------------------------------
ga = profile_gateway(home, name_a, "token-a")
gb = profile_gateway(home, name_b, "token-b", dated_log=True)
ok(ga.wait_ready() and gb.wait_ready(),
   "two profiles serve side by side on %d and %d" % (pa, pb))
ok(port_listening(pa + 4) and port_listening(pb + 4),
   "each has its canvas port at base + 4")
for gw, name, other_name in ((ga, name_a, name_b), (gb, name_b, name_a)):
    rc, out, err = cli(home, ["--profile", name, "gateway", "health",
                              "--json"])
    h = None
    try:
        h = json.loads(out)
    except ValueError:
        diag(err)
    ok(h is not None and h.get("ok") is True,
       "`--profile %s gateway health` reaches a gateway" % name[:6])
    text = json.dumps(h)
    ok(".openclaw-%s/" % name in text and ".openclaw-%s/" % other_name
       not in text, "... its own (state dir in the answer)")
    is_((h or {}).get("canvasHost", {}).get("port"), gw.port + 4,
        "... whose canvas port is its base + 4")
    ok(os.path.exists(os.path.join(home, ".openclaw-" + name,
                                   "gateway.lock")),
       "its lock is in its own state dir")
    rc, out, err = cli(home, ["--profile", name, "dashboard", "--json"])
    d = json.loads(out) if rc == 0 else {}
    is_(d.get("port"), gw.port, "`--profile %s dashboard` names its port"
        % name[:6])
    rc, out, err = cli(home, ["--profile", name, "gateway", "auth-token",
                              "--show"])
    is_(out.strip(), "token-a" if gw is ga else "token-b",
        "`--profile %s gateway auth-token` prints its token" % name[:6])
ok(not os.path.exists(os.path.join(home, ".openclaw")),
   "the default state dir was never touched")
try:
    logs = sorted(os.listdir(os.path.join(gb.dir, "openclaw")))
except OSError:
    logs = []
ok(len(logs) == 1 and re.match(r"^openclaw-%s-\d{4}-\d\d-\d\d\.log$" %
                               re.escape(name_b), logs[0]),
   "the dated log file names the profile (%s)" % logs)
rc, out, err = cli(home, ["gateway", "health"])
ok(rc != 0, "without --profile the CLI does not reach them (18789)")

# The stock npm CLI finds our gateway by the same profile (cheap when the
# interop packages are already installed; not installed here).
node = interop.NODE24
stock = interop.openclaw_bin()
if os.access(node, os.X_OK) and stock:
    e = cli_env()
    e.update({"HOME": home, "OPENCLAW_DISABLE_BONJOUR": "1",
              "OPENCLAW_SKIP_CHANNELS": "1", "NO_COLOR": "1"})
    r = subprocess.run([node, stock, "--profile", name_a, "gateway",
                        "health", "--json"], env=e, cwd=home,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=90)
    text = r.stdout.decode("utf-8", "replace")
    ok(r.returncode == 0 and ".openclaw-%s/" % name_a in text,
       "the stock CLI with --profile %s reaches our gateway on %d"
       % (name_a[:6], pa))
    if r.returncode != 0:
        diag(r.stderr.decode("utf-8", "replace")[-2000:])
else:
    ok(True, "# SKIP the stock CLI is not installed (t/interop/setup.sh)")
is_(ga.stop(), 0, "profile a stops cleanly")
is_(gb.stop(), 0, "profile b stops cleanly")

# --dev actually serving on 19001, when that port is free here.
if port_bindable(19001) and port_bindable(19005):
    gd = Gateway(write_config=False, token="token-dev")
    gd.env.pop("OPENCLAW_STATE_DIR", None)
    gd.env["HOME"] = home
    gd.port = 19001
    gd.out = open(os.path.join(gd.dir, "stdout.log"), "wb")
    gd.proc = subprocess.Popen([BIN, "--dev", "gateway"], env=gd.env,
                               stdout=gd.out, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    ok(gd.wait_ready(), "--dev gateway serves on 19001 (first run)")
    ok(os.path.exists(os.path.join(home, ".openclaw-dev", "openclaw.json")),
       "... its first-run config written in ~/.openclaw-dev")
    rc, out, err = cli(home, ["--dev", "gateway", "health"])
    is_(rc, 0, "`openclaw --dev gateway health` reaches it")
    is_(gd.stop(), 0, "--dev gateway stops cleanly")
else:
    ok(True, "# SKIP port 19001 or 19005 is taken on this host")

# --- --force ------------------------------------------------------------
g1 = Gateway()
g1.start()
g2 = Gateway()
g2.port = g1.port
t0 = time.time()
g2._spawn(["--force"])
# The first one answers /readyz until the SIGTERM reaches it: wait for
# its end before asking who serves.
try:
    rc1 = g1.proc.wait(15)
except subprocess.TimeoutExpired:
    rc1 = None
is_(rc1, 0, "--force: the first gateway exited cleanly (status 0)")
ok(g2.wait_ready(), "--force: the second gateway serves on the taken port")
out2 = g2.output()
like(out2, "--force: stopped pid %d (" % g1.proc.pid,
     "--force: the log names the master it stopped")
sent = re.findall(r"--force: pid (\d+) .*sending SIGTERM", out2)
is_(sent, [str(g1.proc.pid)],
    "--force: one SIGTERM, to the top of the tree (not its workers)")
like(g1.output(), "received SIGTERM", "the first drained on SIGTERM")
diag("--force took %.0f ms to serve" % ((time.time() - t0) * 1000))
g2.stop()
g1.stop()

# --force when nothing listens: starts as usual, stops nothing.
g3 = Gateway()
g3._spawn(["--force"])
ok(g3.wait_ready() and "sending SIGTERM" not in g3.output(),
   "--force on a free port: starts, kills nothing")
g3.stop()

# --force without lsof on PATH: fails at once, says so, binds nothing.
g4 = Gateway()
t0 = time.time()
rc, out, err = run_gateway(g4, ["--force"], env={"PATH": "/nonexistent"})
el = time.time() - t0
is_(rc, 78, "--force without lsof: exit 78")
like(err, "lsof", "... naming lsof")
ok(el < 3, "... at once (%.2f s)" % el)
ok(port_bindable(g4.port), "... and the port was never bound")

shutil.rmtree(home, ignore_errors=True)
done_testing()
