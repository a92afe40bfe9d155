#!/usr/bin/env python3
# Socket activation (master/activate.c): with LISTEN_PID = the master's
# PID and LISTEN_FDS sockets at descriptors 3.., named by LISTEN_FDNAMES
# main / canvas, the master serves on the sockets it was given instead of
# binding; a socket not given (canvas) is bound as usual.  A descriptor
# that is not a listening TCP socket, a name that is none of ours or a
# LISTEN_FDNAMES that does not match LISTEN_FDS: one clear line, exit 78.
# The workers see no LISTEN_* variable.  The test is the service
# manager: a small exec wrapper puts the sockets at 3.. and sets
# LISTEN_PID to its own PID, which exec keeps for the gateway.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

WRAP = ("import os, sys\n"
        "fds = [int(x) for x in sys.argv[1].split(',') if x]\n"
        "tmp = [os.dup(f) for f in fds]\n"
        "for i, f in enumerate(tmp):\n"
        "    os.dup2(f, 3 + i)\n"
        "for f in set(tmp + fds) - set(range(3, 3 + len(fds))):\n"
        "    os.close(f)\n"
        "os.environ['LISTEN_PID'] = str(os.getpid())\n"
        "os.execv(sys.argv[2], sys.argv[2:])\n")


def activated(gw, socks, names=None, nfds=None, args=()):
    """Start the gateway under the wrapper with socks at 3..; returns the
    Popen (gw.proc)."""
    fds = [s.fileno() for s in socks]
    env = dict(gw.env)
    env["LISTEN_FDS"] = str(nfds if nfds is not None else len(fds))
    if names is not None:
        env["LISTEN_FDNAMES"] = names
    gw.out = open(os.path.join(gw.dir, "stdout.log"), "ab")
    gw.proc = subprocess.Popen(
        [sys.executable, "-c", WRAP, ",".join(map(str, fds)), BIN,
         "gateway"] + list(args), env=env, stdout=gw.out,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, pass_fds=fds)
    return gw.proc


def listening(port, host="127.0.0.1"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    return s


def exits(gw, proc, timeout=10):
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    gw.out.close()
    gw.proc = None
    return rc, gw.output()


def env_names(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return [e.split(b"=", 1)[0].decode() for e in f.read().split(b"\0")
                if e]


# One unnamed socket = main; canvas (enabled, own port) bound as usual;
# the configured gateway.port (--port) is not bound: the socket wins.
ports = free_ports(3)
main_port, canvas_port, cfg_port = ports
gw = Gateway(config={"canvasHost": {"port": canvas_port}})
gw.canvas_index()
sock = listening(main_port)
p = activated(gw, [sock], args=["--port", str(cfg_port)])
sock.close()        # the gateway holds its own copy now
ok(wait_ready_port(p, main_port, 15), "ready on the socket it was given")
is_(http_get(main_port, "/healthz")[0], 200, "/healthz 200 on it")
ok(not port_listening(cfg_port), "--port %d was not bound" % cfg_port)
ok(port_listening(canvas_port), "canvas, not passed, bound as usual")
gw.port = main_port
ws = operator(gw)
is_(ws.request("health").get("ok"), True, "a WebSocket client is served")
ws.close()
like(gw.output(), "socket activation: main socket on port %d" % main_port,
     "the log says the socket was passed")
like(gw.output(), "listening on ws://127.0.0.1:%d " % main_port,
     "and names the port served")
for role in ("ws", "http"):
    env = env_names(gw.worker_pid(role))
    ok(not [e for e in env if e.startswith("LISTEN_")],
       "no LISTEN_* in the %s worker's environment" % role)
# A reload keeps the passed socket's port: a live key alone is applied,
# with no restart for a gateway.port that differs (--port, here).
gw.proc.send_signal(signal.SIGHUP)
ok(wait_for(lambda: "config reload (SIGHUP" in gw.output(), 5),
   "SIGHUP: the config is read again")
ok(not re.search(r"needs a restart|changed: .*gateway\.port", gw.output()),
   "the passed socket's port is no change of gateway.port")
is_(gw.stop(), 0, "stops cleanly")
gw.cleanup()

# Both named, in either order; canvas on the one given.
main_port, canvas_port = free_ports(2)
gw = Gateway()
gw.canvas_index(b"activated-canvas")
cs, ms = listening(canvas_port), listening(main_port)
p = activated(gw, [cs, ms], names="canvas:main")
cs.close()
ms.close()
ok(wait_ready_port(p, main_port, 15), "ready with canvas:main")
st, _, body = http_get(canvas_port, "/__openclaw__/canvas/")
is_((st, body), (200, b"activated-canvas"), "canvas served on its socket")
gw.port = main_port
is_(gw.stop(), 0, "stops cleanly")
gw.cleanup()

# A bound socket that does not listen: exit 78, one clear line.
gw = Gateway()
s = socket.socket()
s.bind(("127.0.0.1", 0))
rc, out = exits(gw, activated(gw, [s]))
s.close()
is_(rc, 78, "a socket that does not listen: exit 78")
like(out, "descriptor 3 (unknown) is not a listening TCP socket",
     "the line names the descriptor")
gw.cleanup()

# A pipe: not a socket at all.
gw = Gateway()
r, w = os.pipe()
rc, out = exits(gw, activated(gw, [os.fdopen(r, "rb")]))
os.close(w)
is_(rc, 78, "a pipe: exit 78")
like(out, "not a listening TCP socket", "and says so")
gw.cleanup()

# A UDP socket is not a TCP listener either.
gw = Gateway()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
rc, out = exits(gw, activated(gw, [u]))
u.close()
is_(rc, 78, "a UDP socket: exit 78")
gw.cleanup()

# Names that are not ours, or do not match the count.
for names, nfds, want in (("main:web", 2, 'descriptor 4 is named "web"'),
                          ("main", 2, "LISTEN_FDNAMES names 1 descriptors"),
                          ("main:main", 2, 'two descriptors named "main"')):
    gw = Gateway()
    a, b = listening(0), listening(0)
    rc, out = exits(gw, activated(gw, [a, b], names=names, nfds=nfds))
    a.close()
    b.close()
    is_(rc, 78, "LISTEN_FDNAMES=%s: exit 78" % names)
    like(out, want, "and a line saying why")
    gw.cleanup()

# A socket on all addresses while gateway.bind is loopback: refused.
gw = Gateway()
s = listening(0, host="0.0.0.0")
rc, out = exits(gw, activated(gw, [s]))
s.close()
is_(rc, 78, "0.0.0.0 socket with gateway.bind loopback: exit 78")
like(out, "not loopback, but gateway.bind is loopback", "says why")
gw.cleanup()

# LISTEN_PID of another process: not for us; the gateway binds itself.
gw = Gateway()
s = listening(0)
gw.env.update({"LISTEN_FDS": "1", "LISTEN_PID": "1"})
gw.start()
is_(http_get(gw.port, "/readyz")[0], 200,
    "LISTEN_PID of another process is ignored: binds its port")
ok(not [e for e in env_names(gw.worker_pid("ws")) if e.startswith("LISTEN_")],
   "and the workers do not see LISTEN_*")
s.close()
gw.stop()
gw.cleanup()

done_testing()
