#!/usr/bin/env python3
# contrib/: the systemd units (system and user service, the socket) pass
# `systemd-analyze verify` with ExecStart pointed at the built binary --
# the service files are those the build fills in from the templates
# contrib/**/*.in, with their defaults, into contrib/ of the build
# directory (`openclaw gateway install` fills in the same templates; t/58
# verifies what it writes) --
# no running systemd needed -- and say what the issue asks of them
# (Type=notify, KillMode=mixed, Restart=always, RestartPreventExitStatus=78,
# ExecReload SIGUSR1, TimeoutStopSec over the drain deadline, hardening,
# no secret in the unit); the launchd plist is well-formed with the keys
# launchd needs.  Without systemd-analyze the file is skipped, except
# under CI (CI set), where that is a failure (scripts/setup-deps.sh
# installs it).
import os, plistlib, re, shutil, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

TOP = os.environ.get("OPENCLAW_TOP_SRCDIR",
                     os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("OPENCLAW_TOP_BUILDDIR") or os.path.dirname(BIN)
CONTRIB = os.path.join(TOP, "contrib")
BUILT = os.path.join(BUILD, "contrib")
SYSTEM = os.path.join(BUILT, "systemd", "system", "openclaw-gateway.service")
USER = os.path.join(BUILT, "systemd", "user", "openclaw-gateway.service")
SOCKET = os.path.join(CONTRIB, "systemd", "openclaw-gateway.socket")
PLIST = os.path.join(BUILT, "launchd", "bot.molt.gateway.plist")


def under_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false",
                                                             "no")


def unit(path):
    """{key: [values]} of a unit file (comments and sections dropped)."""
    keys = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;[" or "=" not in line:
                continue
            k, v = line.split("=", 1)
            keys.setdefault(k.strip(), []).append(v.strip())
    return keys


def verify(files, user, edit=None):
    """systemd-analyze verify on copies of files whose ExecStart runs
    BIN; edit(text) may change the service first.  (rc, output)."""
    d = tempfile.mkdtemp(prefix="ocgw-units-")
    rt = os.path.join(d, "runtime")
    os.mkdir(rt, 0o700)
    copies = []
    for src in files:
        with open(src) as f:
            text = re.sub(r"^(#?ExecStart=)\S+", lambda m: m.group(1) + BIN,
                          f.read(), flags=re.M)
        if edit and src.endswith(".service"):
            text = edit(text)
        dst = os.path.join(d, os.path.basename(src))
        with open(dst, "w") as f:
            f.write(text)
        copies.append(dst)
    env = dict(os.environ, XDG_RUNTIME_DIR=rt, SYSTEMD_LOG_LEVEL="notice")
    argv = ["systemd-analyze", "verify", "--man=no"] + \
        (["--user"] if user else []) + copies
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    shutil.rmtree(d, ignore_errors=True)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def drain_deadline_s():
    """gateway.drainTimeoutMs's default from the table, + the 2 s grace."""
    with open(os.path.join(TOP, "common", "cfg-table.c")) as f:
        m = re.search(r'"gateway\.drainTimeoutMs",\s*CFG_INT,\s*"(\d+)"',
                      f.read())
    with open(os.path.join(TOP, "master", "master.h")) as f:
        g = re.search(r"MASTER_KILL_GRACE_MS\s+(\d+)", f.read())
    return (int(m.group(1)) + int(g.group(1))) / 1000.0


def seconds(v):
    m = re.fullmatch(r"(\d+)(s|min)?", v)
    return int(m.group(1)) * (60 if m.group(2) == "min" else 1)


# The plist first: it needs nothing but python.
with open(PLIST, "rb") as f:
    pl = plistlib.load(f)
is_(pl.get("Label"), "bot.molt.gateway", "plist: Label bot.molt.gateway")
is_(pl.get("ProgramArguments", [None, None])[1:2], ["gateway"],
    "plist: runs `openclaw gateway`")
is_((pl.get("EnvironmentVariables", {}).get("OPENCLAW_SERVICE_MARKER"),
     pl.get("EnvironmentVariables", {}).get("OPENCLAW_SERVICE_KIND")),
    ("openclaw", "gateway"), "plist: the service markers")
is_((pl.get("RunAtLoad"), pl.get("KeepAlive")), (True, True),
    "plist: RunAtLoad and KeepAlive")
ok(pl.get("StandardOutPath", "").startswith("/") and
   pl.get("StandardErrorPath", "").startswith("/"),
   "plist: absolute StandardOutPath and StandardErrorPath")
ok(pl.get("ExitTimeOut", 20) > drain_deadline_s(),
   "plist: ExitTimeOut over the drain deadline")

# What the units say.
deadline = drain_deadline_s()
for name, path in (("system", SYSTEM), ("user", USER)):
    u = unit(path)
    is_(u.get("Type"), ["notify"], "%s: Type=notify" % name)
    is_(u.get("KillMode"), ["mixed"], "%s: KillMode=mixed" % name)
    is_(u.get("Restart"), ["always"], "%s: Restart=always" % name)
    is_(u.get("RestartPreventExitStatus"), ["78"],
        "%s: RestartPreventExitStatus=78" % name)
    is_(u.get("ExecReload"), ["/bin/kill -USR1 $MAINPID"],
        "%s: ExecReload sends SIGUSR1" % name)
    ok(seconds(u.get("TimeoutStopSec", ["0"])[0]) > deadline,
       "%s: TimeoutStopSec over the drain deadline (%.0f s)" % (name,
                                                                deadline))
    is_(u.get("NoNewPrivileges"), ["yes"], "%s: NoNewPrivileges" % name)
    ok(not [e for e in u.get("Environment", [])
            if re.search(r"TOKEN|PASSWORD", e)],
       "%s: no secret in Environment=" % name)
    ok(all(re.match(r"-?(/etc/|%h/)", e) for e in u.get("EnvironmentFile",
                                                         [])),
       "%s: EnvironmentFile outside the unit" % name)
    env = u.get("Environment", [])
    ok("OPENCLAW_SERVICE_MARKER=openclaw" in env and
       "OPENCLAW_SERVICE_KIND=gateway" in env and
       [e for e in env if re.fullmatch(r"OPENCLAW_SERVICE_VERSION=\S+", e)],
       "%s: the service markers of the runbook" % name)
    ok(not [l for l in open(path) if "@" in l],
       "%s: every template placeholder filled in" % name)
s = unit(SYSTEM)
ok(s.get("User") and s["User"][0] not in ("", "root"),
   "system: runs as a User= of its own")
is_(s.get("CapabilityBoundingSet"), [""], "system: no capabilities")
for k, v in (("ProtectSystem", "strict"), ("ProtectHome", "yes"),
             ("PrivateTmp", "yes")):
    is_(s.get(k), [v], "system: %s=%s" % (k, v))
ok("/var/lib/openclaw" in s.get("ReadWritePaths", []) and
   "OPENCLAW_STATE_DIR=/var/lib/openclaw" in s.get("Environment", []),
   "system: the state directory is the one writable path")
ok("ProtectHome" not in unit(USER), "user: no ProtectHome (state in ~)")
is_(unit(SOCKET).get("FileDescriptorName"), ["main"],
    "socket: FileDescriptorName=main")

# systemd-analyze verify.
if shutil.which("systemd-analyze") is None:
    why = "systemd-analyze not installed (Debian package systemd)"
    if under_ci():
        ok(False, "systemd-analyze available")
        diag(why + "; CI is set, so this is a failure")
    else:
        diag("skipping verify: " + why)
    done_testing()
    sys.exit(0)

for name, path, user in (("system", SYSTEM, False), ("user", USER, True)):
    rc, out = verify([path, SOCKET], user)
    is_(rc, 0, "%s unit and socket: systemd-analyze verify exits 0" % name)
    is_(out.strip(), "", "%s: and says nothing" % name)
# The check can fail: a broken copy is reported.
rc, out = verify([SYSTEM], False,
                 lambda t: t.replace("Type=notify", "Type=notyfy"))
like(out, "notyfy", "verify reports a broken Type= (the check can fail)")
rc, out = verify([SYSTEM], False,
                 lambda t: t.replace(BIN + " ", "/nonexistent/openclaw "))
ok(rc != 0 and "nonexistent" in out,
   "verify fails on a missing ExecStart binary")

done_testing()
