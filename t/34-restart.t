#!/usr/bin/env python3
# The in-place restart (master/restart.c), without load (t/35 has the
# load): SIGUSR1 keeps the master's PID and starts a new generation of
# workers; a connected client gets shutdown {reason: "restart",
# restartExpectedMs} and 1012; its presence row is marked disconnected
# by the new ws, once, and stateVersion only increases; SIGUSR2 is the
# same; commands.restart=false ignores the signal; signals during a
# restart are coalesced into one more restart; a broken config leaves
# the running generation serving; a port change binds the new port and
# closes the old one after the hand-over; a replaced binary runs (its
# version in `status`) under the same PID; a binary gone makes the exec
# fail and the old image serve on; sd_notify says RELOADING=1 (with
# MONOTONIC_USEC) then READY=1.
import os, re, shutil, sys, threading
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *
import gwtest.proc as gwproc

READ = "operator.read"


def wait_log(gw, pattern, timeout=15.0, start=0):
    """The first match of pattern in the output from offset start."""
    rx = re.compile(pattern)

    def found():
        m = rx.search(gw.output(), start)
        return m
    return wait_for(found, timeout)


def gens(gw):
    """The generation of each worker, from the process titles."""
    out = []
    for pid in gw.children():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                t = f.read().split(b"\0")[0].decode()
        except OSError:
            continue
        m = re.search(r"\(gen (\d+)\)", t)
        if m:
            out.append(int(m.group(1)))
    return sorted(out)


def restart(gw, gen, sig=signal.SIGUSR1):
    """Signal, then wait until generation gen - 1 is gone."""
    mark = len(gw.output())
    os.kill(gw.proc.pid, sig)
    return wait_log(gw, r"restart: generation %d gone" % (gen - 1),
                    start=mark)


def notes_until(s, key):
    """Datagrams until one holds key (or a timeout)."""
    notes = []
    while True:
        try:
            notes.append(s.recv(4096).decode())
        except socket.timeout:
            return notes
        if key in notes[-1]:
            return notes


def ui(gw, **kw):
    return operator(gw, scopes=[READ], client_id="openclaw-control-ui",
                    mode="ui", **kw)


def presence_of(hello, instance):
    for e in hello["snapshot"]["presence"]:
        if e.get("instanceId") == instance:
            return e
    return None


# 1. SIGUSR1: same master, new workers, shutdown + 1012, presence.
gw = Gateway().start()
pid = gw.proc.pid
old = set(gw.children())
NW = len(old)  # one worker per role of the table
ok(NW >= 3, "%d workers" % NW)
is_(gens(gw), [1] * NW, "all of generation 1")
pa = connect_params(scopes=[READ], client_id="openclaw-control-ui",
                    mode="ui")
a, res = handshake(gw, pa)
a_inst = pa["client"]["instanceId"]
sv0 = res["payload"]["snapshot"]["stateVersion"]["presence"]
obs = ui(gw)
e = presence_of(obs.hello, a_inst)
ok(e is not None and e.get("reason") == "connect",
   "the client's presence row: %r" % (e,))
obs.close()
ok(restart(gw, 2), "SIGUSR1: generation 1 gone")
msgs, code, reason = drain_until_close(a, timeout=5)
shut = [m for m in msgs if m.get("event") == "shutdown"]
ok(len(shut) == 1 and shut[0]["payload"].get("reason") == "restart" and
   shut[0]["payload"].get("restartExpectedMs", 0) > 0,
   "the connected client got shutdown {reason: restart, "
   "restartExpectedMs}: %r" % (shut,))
is_(code, 1012, "then close 1012")
is_(gw.proc.pid, pid, "the master's PID is the same")
ok(gw.proc.poll() is None and pid_alive(pid), "the master runs")
new = set(gw.children())
ok(len(new) == NW and not (new & old), "as many new workers")
is_(gens(gw), [2] * NW, "titled generation 2")
b = ui(gw)
e = presence_of(b.hello, a_inst)
ok(e is not None and e.get("reason") == "disconnect",
   "the old client's presence says disconnect: %r" % (e,))
sv1 = b.hello["snapshot"]["stateVersion"]["presence"]
ok(sv1 > sv0, "stateVersion.presence increased (%s -> %s)" % (sv0, sv1))
r = b.request("health")
ok(r.get("ok"), "health answers on the new generation")
b.close()
is_(http_get(gw.port, "/healthz")[0], 200, "/healthz answers")

# SIGUSR2 is SIGUSR1.
ok(restart(gw, 3, signal.SIGUSR2), "SIGUSR2: generation 2 gone")
is_(gens(gw), [3] * NW, "titled generation 3")

# 2. Coalescing: three signals at once give one restart more, never two
# generations starting together.
mark = len(gw.output())
seen = []
stop = threading.Event()


def sample():
    while not stop.is_set():
        seen.append(len(set(gens(gw))))
        time.sleep(0.002)


t = threading.Thread(target=sample)
t.start()
for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1):
    os.kill(pid, s)
ok(wait_log(gw, r"restart: generation 3 gone", start=mark),
   "generation 4 served and 3 went")
time.sleep(0.5)
ok(wait_log(gw, r"a restart is under way; one more follows it", 1,
            start=mark), "the signals during it: one more restart")
ok(wait_log(gw, r"restart: generation 4 gone", start=mark),
   "which ran after it")
time.sleep(1)
stop.set()
t.join()
ok(max(seen or [0]) <= 2, "never more than two generations at once")
is_(gens(gw), [5] * NW, "generation 5 at the end, not 6")
gen = gens(gw)[0]

# 3. A broken config: the running generation serves on.
with open(gw.config_path) as f:
    good = f.read()
with open(gw.config_path, "w") as f:
    f.write('{"gateway": {"mode": "local",, }}')
gw.expect_log_error(r"restart: .*openclaw\.json:1:\d+.*serves on")
before = set(gw.children())
mark = len(gw.output())
os.kill(pid, signal.SIGUSR1)
ok(wait_log(gw, r"restart: .*generation %d serves on" % gen, start=mark),
   "a broken config: logged with line:col, generation %d serves on" % gen)
time.sleep(0.3)
is_(set(gw.children()), before, "the workers are the same")
ok(fresh_health(gw).get("ok"), "and answer")
with open(gw.config_path, "w") as f:
    f.write(good)
os.chmod(gw.config_path, 0o600)
gen += 1
ok(restart(gw, gen), "the config mended: the next SIGUSR1 restarts")
ok(gw.stop() == 0, "stops cleanly after the restarts")

# 4. commands.restart = false.
gw = Gateway(config={"commands": {"restart": False}}).start()
before = set(gw.children())
mark = len(gw.output())
os.kill(gw.proc.pid, signal.SIGUSR1)
ok(wait_log(gw, r"SIGUSR1: restart disabled \(commands\.restart is false\)",
            start=mark), "commands.restart=false: logged")
time.sleep(0.3)
is_(set(gw.children()), before, "and nothing restarted")
gw.stop()

# 5. A port change: the new port serves, the old one closes after.
gw = Gateway()
p2 = free_port()
cfg = dict(gw.config)
cfg["gateway"] = dict(cfg["gateway"], port=gw.port)
with open(gw.config_path, "w") as f:
    json.dump(cfg, f)
spawn_gateway(gw, [])
ok(wait_ready_port(gw.proc, gw.port), "serving on the config's port")
cfg["gateway"]["port"] = p2
with open(gw.config_path, "w") as f:
    json.dump(cfg, f)
ok(restart(gw, 2), "port change: generation 1 gone")
is_(http_get(p2, "/healthz")[0], 200, "the new port serves")
ok(not port_listening(gw.port, timeout=0.5), "the old port is closed")
gw.stop()

# 6. A replaced binary: its version, under the same PID; then a binary
# that is gone: the exec fails and the old image serves on.
gw = Gateway()
exe = os.path.join(gw.dir, "openclaw")
shutil.copy(gwproc.BIN, exe)
saved = gwproc.BIN
gwproc.BIN = exe
try:
    path = os.path.join(gw.dir, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    ns.settimeout(10)
    gw.env["NOTIFY_SOCKET"] = path
    gw.start()
finally:
    gwproc.BIN = saved
pid = gw.proc.pid
ok(any("READY=1" in n for n in notes_until(ns, "READY=1")),
   "sd_notify: READY=1 at start")
st = operator(gw, scopes=[READ])
v0 = st.request("status")["payload"]["runtimeVersion"]
st.close()
with open(exe, "rb") as f:
    image = f.read()
v1 = v0[:-1] + ("7" if v0[-1] != "7" else "8")
with open(exe + ".new", "wb") as f:
    f.write(image.replace(v0.encode(), v1.encode()))
os.chmod(exe + ".new", 0o755)
os.rename(exe + ".new", exe)
ok(restart(gw, 2), "restart onto the replaced binary")
st = operator(gw, scopes=[READ])
is_(st.request("status")["payload"]["runtimeVersion"], v1,
    "status.runtimeVersion is the new binary's")
st.close()
is_(gw.proc.pid, pid, "same master PID")
notes = notes_until(ns, "READY=1")
rl = [i for i, n in enumerate(notes) if "RELOADING=1" in n]
rd = [i for i, n in enumerate(notes) if "READY=1" in n]
ok(rl and rd and rl[0] < rd[0], "sd_notify: RELOADING=1, then READY=1")
ok(rl and re.search(r"MONOTONIC_USEC=\d+", notes[rl[0]]),
   "RELOADING=1 carries MONOTONIC_USEC")
os.unlink(exe)
gw.expect_log_error(r"restart: cannot execute .*: No such file")
before = set(gw.children())
mark = len(gw.output())
os.kill(pid, signal.SIGUSR1)
ok(wait_log(gw, r"restart: cannot execute .*generation 2 serves on",
            start=mark), "binary gone: the exec fails, said once")
is_(set(gw.children()), before, "the same workers serve on")
ok(fresh_health(gw).get("ok"), "and answer")
ns.settimeout(0.5)
gw.stop()
try:
    while True:
        if b"STOPPING=1" in ns.recv(4096):
            ok(True, "sd_notify: STOPPING=1 at the stop")
            break
except socket.timeout:
    ok(False, "sd_notify: STOPPING=1 at the stop")

done_testing()
