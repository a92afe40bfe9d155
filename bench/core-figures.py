#!/usr/bin/env python3
"""Figures for the gateway core: start -> port accepting, start -> first
hello-ok, idle memory of the process tree (sum of PSS, and RSS), and
connect -> hello-ok latency with bench-hello (C client).  Loopback only;
bounded; prints, asserts nothing.

    bench/core-figures.py [BUILD_DIR] [N]
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time

build = sys.argv[1] if len(sys.argv) > 1 else "_build"
n = sys.argv[2] if len(sys.argv) > 2 else "2000"
binary = os.path.join(build, "openclaw")
token = "bench-token-0123456789"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def tree(pid):
    pids = [pid]
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return pids


def mem_kib(pid, key):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def first_hello(port):
    """True once a full handshake succeeds."""
    try:
        out = subprocess.run([os.path.join(build, "bench/bench-hello"),
                              "ws://127.0.0.1:%d" % port, token, "1"],
                             capture_output=True, timeout=5)
        return out.returncode == 0
    except subprocess.TimeoutExpired:
        return False


d = tempfile.mkdtemp(prefix="ocgw-bench-")
state = os.path.join(d, "state")
os.makedirs(state, mode=0o700)
with open(os.path.join(state, "openclaw.json"), "w") as f:
    json.dump({"gateway": {"mode": "local", "auth": {"token": token}},
               "logging": {"file": os.path.join(d, "gw.log")}}, f)
port = free_port()
env = dict(os.environ, OPENCLAW_STATE_DIR=state, HOME=d)
t0 = time.monotonic()
p = subprocess.Popen([binary, "gateway", "--port", str(port)], env=env,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
accept_ms = None
while time.monotonic() - t0 < 10:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        accept_ms = (time.monotonic() - t0) * 1000
        break
    except OSError:
        time.sleep(0.0005)
hello_ms = None
while time.monotonic() - t0 < 10:
    if first_hello(port):
        hello_ms = (time.monotonic() - t0) * 1000
        break
    time.sleep(0.001)
time.sleep(1.0)
pids = tree(p.pid)
pss = sum(mem_kib(x, "Pss") for x in pids)
rss = sum(mem_kib(x, "Rss") for x in pids)
print("start -> port accepting: %.1f ms" % accept_ms)
print("start -> first hello-ok: %.1f ms (includes spawning the client)"
      % hello_ms)
print("idle process tree (%d processes): PSS %.1f MiB, RSS %.1f MiB"
      % (len(pids), pss / 1024, rss / 1024))
sys.stdout.flush()
subprocess.run([os.path.join(build, "bench/bench-hello"),
                "ws://127.0.0.1:%d" % port, token, n])
p.send_signal(signal.SIGTERM)
p.wait(15)
shutil.rmtree(d, ignore_errors=True)
