"""The gateway's processes: Gateway (temporary state directory, config,
free port, start/stop), start-up runs, ports, /proc readings."""

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import tap
from .check import check_gateway_output
from .http import http_get

BIN = os.environ.get("OPENCLAW_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "openclaw")

QUICK = os.environ.get("QUICK", "") not in ("", "0")


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


def _ephemeral_low():
    """The first port of the kernel's ephemeral range (None: unknown)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def free_port():
    """A port p with p and p + 4 (the canvas port) both free.  Below the
    ephemeral range where there is room: there, no client socket of any
    test can take it before the gateway binds (a lan bind on 0.0.0.0
    collides with every 127.0.0.1 socket on its port)."""
    low = _ephemeral_low()
    for _ in range(200):
        if low is not None and low > 16000:
            p = random.randrange(15000, low - 4)
        else:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
            s.close()
        if p + 4 < 65536 and _port_free(p) and _port_free(p + 4):
            return p
    raise RuntimeError("no free port")


def free_ports(n):
    """n distinct ports, each from free_port()."""
    out = []
    while len(out) < n:
        p = free_port()
        if all(abs(p - q) not in (0, 4) for q in out):
            out.append(p)
    return out


def port_listening(port, host="127.0.0.1", timeout=1.0):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def port_bindable(port):
    return _port_free(port)


def wait_for(cond, timeout=10.0, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


class Gateway:
    """One gateway: temp state dir, config file, free port.

    At each stop() the harness scans what the gateway printed since the
    last scan and fails (one TAP line) on a sanitizer report or on an
    error line that no regex of expect_errors / expect_log_error()
    matches; a gateway the test left running is stopped and scanned by
    done_testing()."""

    def __init__(self, config=None, env=None, args=None, token="test-token",
                 raw_config=None, write_config=True, expect_errors=(),
                 stdout_pipe=False, preexec=None):
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
        # 0600, as a config holding a token should be (the gateway warns
        # otherwise)
        if raw_config is not None:
            with _open_private(self.config_path) as f:
                f.write(raw_config)
        elif write_config:
            with _open_private(self.config_path) as f:
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
        # stdout_pipe: stdout and stderr are a pipe that nobody reads
        # until read_stdout() (a supervisor that stopped reading).
        self.stdout_pipe = stdout_pipe
        self._pipe = None
        self._reader = None
        self.preexec = preexec  # run in the child before exec (limits)
        self._expected = []
        self._scanned = 0       # characters of output() already checked
        self._cleaned = False
        self.expect_log_error(*expect_errors)
        _gateways.append(self)

    def expect_log_error(self, *regexes):
        """Declare error lines this test provokes on purpose: each regex
        is searched for in the whole stdout line ("<time> error
        <subsystem> <message>").  Returns self."""
        self._expected.extend(re.compile(r) for r in regexes)
        return self

    def check_output(self):
        """Scan the output printed since the last scan (see the class)."""
        text = self.output()
        if len(text) < self._scanned:
            self._scanned = 0
        new, self._scanned = text[self._scanned:], len(text)
        return check_gateway_output(new, self._expected)

    @property
    def url(self):
        return "ws://127.0.0.1:%d" % self.port

    def start(self, wait=True, extra_args=None):
        # free_port() only saw the port free; a client socket of this or
        # another test may take it before the gateway binds (a lan bind
        # also collides with any 127.0.0.1 socket on it): pick another.
        for _ in range(5):
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
        self._scanned = 0
        argv = [BIN, "gateway", "--port", str(self.port)] + self.args + \
            (extra_args or [])
        if self.stdout_pipe:
            self._close_pipe()
            self._pipe, w = os.pipe()
            self.proc = subprocess.Popen(argv, env=self.env, stdout=w,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL,
                                         preexec_fn=self.preexec)
            os.close(w)
            return
        self.proc = subprocess.Popen(argv, env=self.env, stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     preexec_fn=self.preexec)

    def read_stdout(self):
        """With stdout_pipe: from now on a thread copies what the gateway
        writes to its pipe into stdout.log (output() reads it)."""
        if self._pipe is None or self._reader is not None:
            return
        fd, out = self._pipe, self.out

        def copy():
            while True:
                try:
                    b = os.read(fd, 65536)
                except OSError:
                    return
                if not b:
                    return
                out.write(b)
                out.flush()
        self._reader = threading.Thread(target=copy, daemon=True)
        self._reader.start()

    def _close_pipe(self):
        if self._reader is not None:
            self._reader.join(5)
            self._reader = None
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None

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
        return wait_ready_port(self.proc, self.port, timeout)

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
            # Its title (common/proctitle.c), or its argv in the instant
            # between the spawn and the title.
            if argv[0].startswith(b"openclaw-gateway: %s worker" %
                                  role.encode()) or \
                    argv[1:3] == [b"__worker", role.encode()]:
                return pid
        return None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        self.read_stdout()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self._close_pipe()
        self.out.close()
        self.check_output()
        return rc

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.cleanup()


_gateways = []


def _cleanup_all():
    while _gateways:
        _gateways.pop(0).cleanup()


tap._teardown.append(_cleanup_all)


def _open_private(path):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600), "w")


def _merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            _merge(a[k], v)
        else:
            a[k] = v


def run_gateway(gw, args=None, timeout=10, env=None, port=True,
                merged=False):
    """Run `openclaw gateway [--port P] ARGS` in gw's environment and wait
    for it to exit (for start-up failures).  Returns (rc, stdout, stderr);
    rc is None when it was still running after timeout (then killed).
    merged: stderr is stdout's pipe (a terminal, the journal); the output
    is all in stdout."""
    argv = [BIN, "gateway"] + (["--port", str(gw.port)] if port else []) + \
        (args or [])
    e = dict(gw.env)
    e.update(env or {})
    p = subprocess.Popen(argv, env=e, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT if merged else
                         subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=timeout)
        err = err or b""
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err = err or b""
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
    """Wait until /readyz on port answers 200 while proc runs (False at
    once if it exits)."""
    def ready():
        if proc.poll() is not None:
            return "exited"
        try:
            return http_get(port, "/readyz", timeout=1)[0] == 200
        except OSError:
            return False
    return wait_for(ready, timeout) is True


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


def proc_file(pid, name):
    """Bytes of /proc/<pid>/<name>, b"" if unreadable."""
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return b""


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
