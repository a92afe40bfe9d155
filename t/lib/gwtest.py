"""Test harness: start the real gateway on free ports in a temporary state
directory and talk to it over real sockets (raw HTTP and a small RFC 6455
client).  Output is TAP for prove."""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

BIN = os.environ.get("OPENCLAW_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "openclaw")
QUICK = os.environ.get("QUICK", "") not in ("", "0")

# ---------------------------------------------------------------- TAP

_n = 0
_failed = 0


def ok(cond, name=""):
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", _n, name), flush=True)
    if not cond:
        frame = sys._getframe(1)
        while frame and frame.f_code.co_filename == __file__:
            frame = frame.f_back
        if frame:
            diag("failed at %s line %d" % (frame.f_code.co_filename,
                                           frame.f_lineno))
    return cond


def is_(got, want, name=""):
    r = ok(got == want, name)
    if not r:
        diag("got:  %r" % (got,))
        diag("want: %r" % (want,))
    return r


def like(got, sub, name=""):
    r = ok(got is not None and sub in got, name)
    if not r:
        diag("got: %r, want it to contain %r" % (got, sub))
    return r


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


def done_testing():
    print("1..%d" % _n, flush=True)
    sys.exit(1 if _failed else 0)


def skip_all(why):
    print("1..0 # SKIP %s" % why, flush=True)
    sys.exit(0)


# ---------------------------------------------------------------- ports

def _port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    """A port p with p and p + 4 (the canvas port) both free."""
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p + 4 < 65536 and _port_free(p + 4):
            return p
    raise RuntimeError("no free port")


def wait_for(cond, timeout=10.0, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


# ---------------------------------------------------------------- daemon

class Gateway:
    """One gateway: temp state dir, config file, free port."""

    def __init__(self, config=None, env=None, args=None, token="test-token",
                 raw_config=None, write_config=True):
        self.dir = tempfile.mkdtemp(prefix="ocgw-t-")
        self.state = os.path.join(self.dir, "state")
        os.makedirs(self.state, mode=0o700)
        self.port = free_port()
        self.token = token
        self.logfile = os.path.join(self.dir, "gateway.log")
        cfg = {"gateway": {"mode": "local", "auth": {"mode": "token"}},
               "logging": {"file": self.logfile}}
        if token is not None:
            cfg["gateway"]["auth"]["token"] = token
        _merge(cfg, config or {})
        self.config = cfg
        self.config_path = os.path.join(self.state, "openclaw.json")
        if raw_config is not None:
            with open(self.config_path, "w") as f:
                f.write(raw_config)
        elif write_config:
            with open(self.config_path, "w") as f:
                json.dump(cfg, f, indent=2)
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("OPENCLAW_") and k not in ("OPENCLAW_BIN",):
                del self.env[k]
        self.env["OPENCLAW_STATE_DIR"] = self.state
        self.env["HOME"] = self.dir
        self.env.update(env or {})
        self.args = args if args is not None else []
        self.proc = None
        self.out = None

    @property
    def url(self):
        return "ws://127.0.0.1:%d" % self.port

    def start(self, wait=True, extra_args=None):
        # free_port() only saw the port free; a client socket of this or
        # another test may take it before the gateway binds (a lan bind
        # also collides with any 127.0.0.1 socket on it): pick another.
        for _ in range(3):
            self._spawn(extra_args)
            if not wait or self.wait_ready():
                return self
            if self.proc.poll() is None or \
                    "Address already in use" not in self.output():
                break
            self.out.close()
            self.port = free_port()
        # stderr, so that prove shows why even when it hides diagnostics
        sys.stderr.write("gateway did not become ready; output:\n%s\n" %
                         self.output())
        raise RuntimeError("gateway did not start")

    def _spawn(self, extra_args):
        self.out = open(os.path.join(self.dir, "stdout.log"), "wb")
        argv = [BIN, "gateway", "--port", str(self.port)] + self.args + \
            (extra_args or [])
        self.proc = subprocess.Popen(argv, env=self.env, stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def canvas_index(self, body=b"canvas-index"):
        """<workspace>/canvas/index.html, for the canvas worker to serve."""
        cdir = os.path.join(self.state, "workspace", "canvas")
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "index.html"), "wb") as f:
            f.write(body)

    def wait_ready(self, timeout=None):
        if timeout is None:
            timeout = 30.0 if os.environ.get("SANITIZE", "") not in \
                ("", "0") else 10.0
        def ready():
            if self.proc.poll() is not None:
                return None
            try:
                st, _, _ = http_get(self.port, "/readyz", timeout=1)
                return st == 200
            except OSError:
                return False
        return bool(wait_for(ready, timeout))

    def output(self):
        try:
            with open(os.path.join(self.dir, "stdout.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_lines(self):
        try:
            with open(self.logfile) as f:
                return [json.loads(l) for l in f if l.strip()]
        except OSError:
            return []

    def children(self):
        """PIDs of the master's children (the workers)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid,
                                                      self.proc.pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def worker_pid(self, role):
        for pid in self.children():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if len(argv) >= 3 and argv[1] == b"__worker" and \
                    argv[2].decode() == role:
                return pid
        return None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.out.close()
        return rc

    def cleanup(self):
        self.stop()
        check_sanitizer_reports(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.cleanup()


def _merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            _merge(a[k], v)
        else:
            a[k] = v


# ---------------------------------------------------------------- HTTP

def http_raw(port, data, timeout=5, host="127.0.0.1", source=None,
             half_close=False):
    """Send raw bytes (then shut our side if half_close), read until the
    server closes or timeout."""
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    s.sendall(data)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    s.close()
    return out


def http_get(port, path, method="GET", headers=None, timeout=5):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


# ---------------------------------------------------------------- WebSocket

class Closed(Exception):
    def __init__(self, code, reason):
        Exception.__init__(self, "closed %s %r" % (code, reason))
        self.code = code
        self.reason = reason


class WS:
    """A minimal, strict RFC 6455 client over a raw socket."""

    def __init__(self, port, path="/", headers=None, host="127.0.0.1",
                 source=None, extra=b"", timeout=5, expect_upgrade=True):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = {"Host": "127.0.0.1:%d" % port, "Upgrade": "websocket",
                "Connection": "Upgrade", "Sec-WebSocket-Key": key,
                "Sec-WebSocket-Version": "13"}
        hdrs.update(headers or {})
        req = "GET %s HTTP/1.1\r\n" % path + "".join(
            "%s: %s\r\n" % (k, v) for k, v in hdrs.items() if v is not None) \
            + "\r\n"
        self.sock.sendall(req.encode() + extra)
        head = self._read_head()
        self.status = int(head.split(b" ")[1]) if head else 0
        self.head = head.decode("latin-1")
        if expect_upgrade and self.status == 101:
            want = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()
            ).digest()).decode()
            assert ("Sec-WebSocket-Accept: " + want) in self.head, self.head
        self.close_code = None
        self.close_reason = None

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            b = self.sock.recv(65536)
            if not b:
                break
            self.buf += b
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def _recv_exact(self, n):
        while len(self.buf) < n:
            b = self.sock.recv(65536)
            if not b:
                raise Closed(1006, "eof")
            self.buf += b
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    @staticmethod
    def frame(opcode, payload, fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        hdr = frame_header(b0, len(payload), mask)
        if not mask:
            return hdr + payload
        mk = hdr[-4:]
        return hdr + bytes(b ^ mk[i % 4] for i, b in enumerate(payload))

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload, **kw):
        self.sock.sendall(self.frame(opcode, payload, **kw))

    def send_text(self, text):
        if isinstance(text, str):
            text = text.encode()
        self.send_frame(1, text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def recv_frame(self, timeout=5):
        """(opcode, payload); raises Closed on close frame or EOF."""
        self.sock.settimeout(timeout)
        b0, b1 = self._recv_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._recv_exact(8))[0]
        if b1 & 0x80:
            raise AssertionError("server frame is masked")
        payload = self._recv_exact(n)
        op = b0 & 0x0F
        if op == 8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 \
                else 1005
            self.close_code = code
            self.close_reason = payload[2:].decode("utf-8", "replace")
            raise Closed(code, self.close_reason)
        return op, payload

    def recv(self, timeout=5):
        """Next text message as JSON, answering pings."""
        while True:
            op, p = self.recv_frame(timeout)
            if op == 9:
                self.send_frame(10, p)
                continue
            if op in (1, 2):
                return json.loads(p)

    def recv_until(self, pred, timeout=5):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise socket.timeout("recv_until")
            m = self.recv(left)
            if pred(m):
                return m

    def expect_close(self, timeout=5):
        """Read until the close frame; returns (code, reason)."""
        try:
            while True:
                self.recv_frame(timeout)
        except Closed as e:
            return e.code, e.reason
        except (socket.timeout, OSError):
            return None, None

    def request(self, method, params=None, rid=None, timeout=5):
        rid = rid or "%s" % uuid.uuid4()
        frame = {"type": "req", "id": rid, "method": method}
        if params is not None:
            frame["params"] = params
        self.send_json(frame)
        return self.recv_until(lambda m: m.get("type") == "res" and
                               m.get("id") == rid, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect_params(token="test-token", scopes=None, client_id="cli",
                   mode="cli", role="operator", password=None, minp=4,
                   maxp=4, **extra):
    p = {"minProtocol": minp, "maxProtocol": maxp,
         "client": {"id": client_id, "version": "2026.9.6",
                    "platform": "linux", "mode": mode,
                    "instanceId": str(uuid.uuid4())},
         "caps": [], "role": role,
         "scopes": scopes if scopes is not None else ["operator.read"]}
    if token is not None or password is not None:
        p["auth"] = {}
        if token is not None:
            p["auth"]["token"] = token
        if password is not None:
            p["auth"]["password"] = password
    p.update(extra)
    return p


def handshake(gw_or_port, params=None, **kw):
    """Open a socket, take the challenge, send connect; returns (ws, res)."""
    port = gw_or_port if isinstance(gw_or_port, int) else gw_or_port.port
    ws = WS(port, **kw)
    ch = ws.recv()
    assert ch["event"] == "connect.challenge", ch
    res = ws.request("connect", params if params is not None
                     else connect_params(), rid="1:" + str(uuid.uuid4()))
    return ws, res


# ---------------------------------------------------------------- WS helpers
# (added for the t/2x WebSocket tests)

def req_bytes(method, params=None, rid=None, mask=True):
    """One masked text frame carrying a req; for pipelined writes."""
    frame = {"type": "req", "id": rid or str(uuid.uuid4()), "method": method}
    if params is not None:
        frame["params"] = params
    return WS.frame(1, json.dumps(frame).encode(), mask=mask)


def drain_until_close(ws, timeout=5):
    """Read every frame until the close frame; returns
    (messages as JSON or raw bytes, close code, close reason).  The code is
    None if the socket timed out, 1006 on EOF without a close frame."""
    msgs = []
    end = time.time() + timeout
    try:
        while True:
            left = end - time.time()
            if left <= 0:
                return msgs, None, None
            op, p = ws.recv_frame(left)
            if op == 9:
                ws.send_frame(10, p)
                continue
            try:
                msgs.append(json.loads(p))
            except ValueError:
                msgs.append(p)
    except Closed as e:
        return msgs, e.code, e.reason
    except socket.timeout:
        return msgs, None, None
    except OSError:
        return msgs, 1006, "reset"


def first_frame(port, payload, opcode=1, **kw):
    """Open a socket, take the challenge, send one frame as the first
    frame; returns (messages, close code, close reason)."""
    ws = WS(port, **kw)
    ws.recv()
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload).encode()
    elif isinstance(payload, str):
        payload = payload.encode()
    ws.send_frame(opcode, payload)
    r = drain_until_close(ws)
    ws.close()
    return r


def operator(gw_or_port, scopes=None, client_id="cli", mode="cli", **kw):
    """An authenticated socket; raises if connect is refused."""
    ws_kw = {k: kw.pop(k) for k in ("headers", "source", "timeout", "host")
             if k in kw}
    ws, res = handshake(gw_or_port, connect_params(
        scopes=scopes, client_id=client_id, mode=mode, **kw), **ws_kw)
    if not res.get("ok"):
        ws.close()
        raise RuntimeError("connect refused: %r" % (res,))
    ws.hello = res["payload"]
    return ws


def fresh_health(gw):
    """A new operator's `health` response, or {"error": why} if it could
    not connect or ask; the socket is closed either way."""
    w = None
    try:
        w = operator(gw)
        return w.request("health")
    except (OSError, Closed, RuntimeError, AssertionError) as e:
        return {"error": repr(e)}
    finally:
        if w:
            w.close()


def raise_nofile():
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; returns it."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


# ---------------------------------------------------------------- processes,
# ports and the CLI (added for the startup, signal, supervision and CLI
# tests; nothing above depends on them)

def run_gateway(gw, args=None, timeout=10, env=None, port=True):
    """Run `openclaw gateway [--port P] ARGS` in gw's environment and wait
    for it to exit (for start-up failures).  Returns (rc, stdout, stderr);
    rc is None when it was still running after timeout (then killed)."""
    argv = [BIN, "gateway"] + (["--port", str(gw.port)] if port else []) + \
        (args or [])
    e = dict(gw.env)
    e.update(env or {})
    p = subprocess.Popen(argv, env=e, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        rc = None
    return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def spawn_gateway(gw, argv_tail):
    """Start `openclaw gateway ARGV_TAIL` (no --port added) as gw.proc,
    output to gw's stdout.log, without waiting; gw.stop() ends it."""
    gw.out = open(os.path.join(gw.dir, "stdout.log"), "ab")
    gw.proc = subprocess.Popen([BIN, "gateway"] + list(argv_tail),
                               env=gw.env, stdout=gw.out,
                               stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    return gw.proc


def wait_ready_port(proc, port, timeout=10.0):
    """Wait until /readyz on port answers 200 while proc runs."""
    def ready():
        if proc.poll() is not None:
            return None
        try:
            return http_get(port, "/readyz", timeout=1)[0] == 200
        except OSError:
            return False
    return bool(wait_for(ready, timeout))


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st.rpartition(")")[2].split()[0] != "Z"


def wait_pids_gone(pids, timeout=5.0):
    return wait_for(lambda: not any(pid_alive(p) for p in pids), timeout)


def port_listening(port, host="127.0.0.1", timeout=1.0):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def port_bindable(port):
    return _port_free(port)


def free_ports(n):
    """n distinct ports, each from free_port()."""
    out = []
    while len(out) < n:
        p = free_port()
        if all(abs(p - q) not in (0, 4) for q in out):
            out.append(p)
    return out


def proc_file(pid, name):
    """Bytes of /proc/<pid>/<name>, b"" if unreadable."""
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return b""


_empty_home = []


def _cli_home():
    if not _empty_home:
        import atexit
        d = tempfile.mkdtemp(prefix="ocgw-home-")
        atexit.register(shutil.rmtree, d, True)
        _empty_home.append(d)
    return _empty_home[0]


def cli_env(gw=None, env=None):
    """Environment for the CLI: no OPENCLAW_* from outside; with a gw,
    its state dir and HOME, else an empty HOME (no ~/.openclaw)."""
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("OPENCLAW_"):
            del e[k]
    if gw is not None:
        e["OPENCLAW_STATE_DIR"] = gw.state
        e["HOME"] = gw.dir
    else:
        e["HOME"] = _cli_home()
    e.update(env or {})
    return e


def run_cli(args, env=None, timeout=20):
    """Run `openclaw ARGS`; returns (rc, stdout, stderr)."""
    p = subprocess.run([BIN] + list(args), env=env if env is not None
                       else cli_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


# ---------------------------------------------------------------- memory and
# descriptors of the gateway's processes (added for the t/6x fault, flood
# and leak tests; nothing above depends on them)

def proc_rss_kib(pid):
    """VmRSS of pid in KiB (0 if gone)."""
    for line in proc_file(pid, "status").decode("latin-1").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tree_pids(gw):
    """The master and its workers."""
    return [gw.proc.pid] + gw.children()


def tree_rss_kib(gw):
    """Sum of VmRSS over the master and its workers, in KiB."""
    return sum(proc_rss_kib(p) for p in tree_pids(gw))


def fd_count(pid):
    """Open descriptors of pid (None if unreadable)."""
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def sanitized_binary():
    """True if $OPENCLAW_BIN is built with ASan (or SANITIZE is set)."""
    if os.environ.get("SANITIZE", "") not in ("", "0"):
        return True
    for argv in (["nm", "-D", BIN], ["nm", BIN], ["ldd", BIN]):
        try:
            out = subprocess.run(argv, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, timeout=30
                                 ).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        if b"asan" in out.lower():
            return True
    return False


# ---------------------------------------------------------------- sanitizers

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")


def check_sanitizer_reports(gw):
    """Fail if the gateway's output (master and workers share it) holds a
    sanitizer report: a worker's report only changes its exit status,
    which the master alone sees.  Silent when there is none, so the plan
    of a test is unchanged; reports once per gateway."""
    if getattr(gw, "_sanitizer_checked", False):
        return True
    gw._sanitizer_checked = True
    text = gw.output()
    found = [m for m in SANITIZER_MARKERS if m in text]
    if not found:
        return True
    ok(False, "no sanitizer report in the gateway output (%s)" %
       ", ".join(found))
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if any(m in line for m in found):
            diag("\n".join(lines[max(0, i - 2):i + 40]))
            break
    return False


# ---------------------------------------------------------------- shared raw helpers

def http_responses(data, methods=None):
    """Split raw bytes into (status, headers, body) tuples using
    Content-Length; methods[i] == "HEAD" means response i has no body."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        try:
            st = int(lines[0].split(" ")[1])
        except (IndexError, ValueError):
            break
        h = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            h[k.strip().lower()] = v.strip()
        n = int(h.get("content-length", "0"))
        if methods and len(out) < len(methods) and \
                methods[len(out)] == "HEAD":
            n = 0
        out.append((st, h, rest[:n]))
        data = rest[n:]
    return out


def frame_header(b0, length, mask=True):
    """A raw frame header (with a random mask key when masked)."""
    m = 0x80 if mask else 0
    if length < 126:
        h = struct.pack("!BB", b0, m | length)
    elif length < 65536:
        h = struct.pack("!BBH", b0, m | 126, length)
    else:
        h = struct.pack("!BBQ", b0, m | 127, length)
    return h + (os.urandom(4) if mask else b"")


_create_connection = socket.create_connection


def stalled_operator(gw, scopes):
    """An operator whose socket holds little in the kernel: a 4 KiB
    receive buffer and a 536-byte MSS (loopback's 64 KiB segments would
    let the kernel swallow megabytes before the gateway queues anything),
    so what it does not read queues in the gateway."""
    def small(addr, timeout=None, source_address=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
        except OSError:
            pass
        s.settimeout(timeout)
        s.connect(addr)
        return s
    socket.create_connection = small
    try:
        return operator(gw, scopes=scopes)
    finally:
        socket.create_connection = _create_connection
