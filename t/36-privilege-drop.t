#!/usr/bin/env python3
# Privileges (issue 8 §4): started as root with gateway.user (or --user),
# the master stays root and every worker -- a respawned one too -- runs
# as that user, its groups included (/proc/<pid>/status), and still
# serves: /healthz, a WebSocket health, logs.tail reading the master's
# log file by path, config.get reading the root-only config (through a
# descriptor the master sends), the canvas from the state directory;
# workers still
# die with a kill -9'd master (the death signal survives the switch);
# an in-place restart keeps the user (--user is executed again).
# A worker whose switch fails (no CAP_SETUID) exits 78 and is not
# respawned; the gateway stops with 78.
# Refused with one line and exit 78: a state directory that is not the
# user's, an unknown user, root as the user, a non-root master asked for
# another user.  A gateway run as root without a user warns.
import ctypes, hashlib, os, pwd, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

USER = "nobody"
if os.geteuid() != 0:
    skip_all("not root: the privilege drop needs a root master")
try:
    PW = pwd.getpwnam(USER)
except KeyError:
    skip_all("no user %s on this system" % USER)
GROUPS = sorted(set(os.getgrouplist(USER, PW.pw_gid)))


def ids(pid):
    """(uids, gids, groups) of pid from /proc/<pid>/status."""
    st = {}
    for line in proc_file(pid, "status").decode("latin-1").splitlines():
        k, _, v = line.partition(":")
        if k in ("Uid", "Gid", "Groups"):
            st[k] = [int(x) for x in v.split()]
    return st.get("Uid"), st.get("Gid"), sorted(st.get("Groups") or [])


def give_to_user(gw, config_too=False):
    """The state directory the user's, the test directory above it
    traversable (the log file is in it).  The config stays root's, as
    StrictModes wants: the user must not choose what root reads."""
    os.chmod(gw.dir, 0o711)
    for root, dirs, files in os.walk(gw.state):
        for n in [root] + [os.path.join(root, x) for x in dirs + files]:
            if n != gw.config_path or config_too:
                os.lchown(n, PW.pw_uid, PW.pw_gid)


def workers_are_user(gw, name):
    kids = gw.children()
    ok(len(kids) >= 3, "%s: three workers (%s)" % (name, kids))
    for pid in kids:
        u, g, groups = ids(pid)
        is_((u, g, groups), ([PW.pw_uid] * 4, [PW.pw_gid] * 4, GROUPS),
            "%s: worker %d runs as %s: real, effective, saved and fs "
            "ids, and its groups" % (name, pid, USER))


with Gateway(config={"gateway": {"user": USER}}) as gw:
    gw.canvas_index()
    give_to_user(gw)
    gw.start()
    u, g, _ = ids(gw.proc.pid)
    is_((u, g), ([0] * 4, [0] * 4), "the master stays root")
    workers_are_user(gw, "gateway.user")
    like(gw.output(), "workers run as %s (uid %d" % (USER, PW.pw_uid),
         "the start-up says whom the workers run as")
    ok(not re.search(r"running as root without", gw.output()),
       "no root warning when a user is set")
    is_(http_get(gw.port, "/healthz")[0], 200, "GET /healthz served")
    ws = operator(gw)
    is_(ws.request("health").get("ok"), True, "WebSocket health answers")
    r = ws.request("logs.tail")
    lines = (r.get("payload") or {}).get("lines") or []
    ok(r.get("ok") and any("listening" in l for l in lines),
       "logs.tail reads the master's log file as %s (%s)" %
       (USER, r.get("error")))
    r = ws.request("config.get")
    pl = r.get("payload") or {}
    with open(gw.config_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    is_((pl.get("exists"), pl.get("hash")), (True, digest),
        "config.get reads the root-only config (through the master's "
        "descriptor)")
    ok("test-token" not in json.dumps(pl), "config.get: secret redacted")
    st = os.stat(gw.logfile)
    is_((st.st_uid, st.st_gid, oct(st.st_mode & 0o777)),
        (0, PW.pw_gid, "0o640"),
        "the log file: the master's, readable by the user's group only")
    st, h, body = http_get(gw.port + 4, "/__openclaw__/canvas/")
    is_((st, body), (200, b"canvas-index"),
        "the canvas worker serves the state directory's files")
    ws.close()

    old = gw.worker_pid("ws")
    os.kill(old, signal.SIGKILL)
    new = wait_for(lambda: (lambda p: p if p and p != old else None)(
        gw.worker_pid("ws")), 10)
    ok(new, "ws respawned")
    ok(wait_for(lambda: ids(new)[0] == [PW.pw_uid] * 4, 5),
       "the respawned ws worker runs as %s too" % USER)
    w = wait_for(lambda: operator(gw), 5)
    ok(w and w.request("health").get("ok"), "and serves")
    if w:
        w.close()

    workers = gw.children()
    gw.proc.kill()
    gw.proc.wait()
    ok(wait_pids_gone(workers, 2.0),
       "kill -9 master: the dropped workers die with it")
    for p in workers:
        if pid_alive(p):
            os.kill(p, signal.SIGKILL)

# --user on the command line, over a config without gateway.user
with Gateway(args=["--user", USER]) as gw:
    give_to_user(gw)
    gw.start()
    workers_are_user(gw, "--user")
    is_(http_get(gw.port, "/healthz")[0], 200, "--user: /healthz served")
    # The in-place restart executes the master again with --user: the
    # new generation drops too, and the master is still root.
    before = set(gw.children())
    os.kill(gw.proc.pid, signal.SIGUSR1)
    ok(wait_for(lambda: "restart: generation 1 gone" in gw.output(), 15),
       "--user: SIGUSR1 restarts in place")
    ok(not before & set(gw.children()), "--user: a new generation")
    workers_are_user(gw, "--user, after a restart")
    is_(ids(gw.proc.pid)[0], [0] * 4, "--user: the master is still root")
    is_(http_get(gw.port, "/healthz")[0], 200, "--user: and serves")
    is_(gw.stop(), 0, "--user: stops with 0")

# ------------------------------------------------------------ drop fails
# Root without CAP_SETUID/CAP_SETGID (dropped from the bounding set
# before exec): each worker's switch fails.  It must exit 78, never run
# on as root, never be respawned, and the gateway stops with 78.
def no_setid():
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (6, 7):                  # CAP_SETGID, CAP_SETUID
        if libc.prctl(24, cap, 0, 0, 0) != 0:   # PR_CAPBSET_DROP
            os._exit(99)


DROP = r"cannot run as uid %d gid %d \(gateway.user\): setgroups" % (
    PW.pw_uid, PW.pw_gid)
CFG78 = r"worker \w+ failed on its configuration"
def drop_fails():
    with Gateway(config={"gateway": {"user": USER}}, preexec=no_setid,
                 expect_errors=[DROP, CFG78]) as gw:
        give_to_user(gw)
        gw.start(wait=False)
        try:
            rc = gw.proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        is_(rc, 78, "a worker that cannot drop: the gateway stops with 78")
        out = gw.output()
        ok(re.search(DROP, out), "the worker says why it cannot switch")
        ok(re.search(CFG78, out), "the master: failed on its configuration")
        ok("respawning worker" not in out, "no worker respawned")
        ok(not port_listening(gw.port) and not gw.children(),
           "nothing left serving")


if subprocess.run(["true"], preexec_fn=no_setid).returncode == 0:
    drop_fails()
else:
    diag("not run: cannot drop CAP_SETUID from the bounding set here")

# ------------------------------------------------------------ refusals
def refused(name, gw, args, want):
    """Exit 78 and, on stderr, the reason in one line."""
    rc, out, err = run_gateway(gw, args)
    is_(rc, 78, "%s: exit 78" % name)
    lines = err.splitlines()
    is_(len(lines), 1, "%s: one line on stderr" % name)
    ok(lines and re.search(want, lines[0]),
       "%s: it says why (%r)" % (name, lines[:1]))


with Gateway(config={"gateway": {"user": USER}}) as gw:
    refused("state directory owned by root", gw, [],
            r"state directory %s belongs to uid 0, not to gateway.user "
            r"%s.*chown -R %s" % (re.escape(gw.state), USER, USER))
with Gateway(config={"gateway": {"user": "no-such-user-ocgw"}}) as gw:
    refused("unknown user", gw, [],
            r"gateway.user no-such-user-ocgw: no such user")
with Gateway(config={"gateway": {"user": "root"}}) as gw:
    refused("gateway.user root", gw, [], r"gateway.user root is root")
with Gateway() as gw:
    give_to_user(gw)
    refused("--user unknown", gw, ["--user", "no-such-user-ocgw"],
            r"no such user")

# A master that is not root, asked for another user.
def other_user():
    """An unprivileged user other than USER, or None."""
    for n in ("daemon", "bin", "sys"):
        try:
            p = pwd.getpwnam(n)
        except KeyError:
            continue
        if p.pw_uid not in (0, PW.pw_uid):
            return n
    return None


other = other_user()
with Gateway(config={"gateway": {"user": other or "root"},
                     "logging": {"level": "info"}}) as gw:
    give_to_user(gw, config_too=True)
    argv = [BIN, "gateway", "--port", str(gw.port)]
    p = subprocess.Popen(
        argv, env=gw.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: (os.setgroups([]), os.setgid(PW.pw_gid),
                            os.setuid(PW.pw_uid)))
    out, err = p.communicate(timeout=10)
    text = (out + err).decode("utf-8", "replace")
    if other is None:
        is_(p.returncode, 78, "non-root master, gateway.user root: exit 78")
    else:
        is_(p.returncode, 78, "non-root master, gateway.user %s: exit 78" %
            other)
        ok(re.search(r"gateway.user is %s .* not root, so it cannot "
                     r"switch users" % other, text),
           "non-root master: says it cannot switch")

# ------------------------------------------------------------ root, no user
with Gateway() as gw:
    gw.start()
    ok(re.search(r" warn .*running as root without gateway.user",
                 gw.output()),
       "root without gateway.user: a warning")
    u, g, _ = ids(gw.worker_pid("ws"))
    is_(u, [0] * 4, "root without gateway.user: the workers stay root")
    is_(gw.stop(), 0, "and it stops with 0 (a warning is no error)")

done_testing()
