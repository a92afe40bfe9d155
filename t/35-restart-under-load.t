#!/usr/bin/env python3
# The in-place restart under load (issue 8, section 3).  Client threads
# keep opening fresh connections throughout RESTARTS consecutive SIGUSR1
# restarts: HTTP GET /healthz (each on a new connection, Connection:
# close) and WebSocket handshakes to hello-ok.  A failure is a refused or
# reset connect, an HTTP response that is not complete, or a WebSocket
# that never reaches hello-ok; a 1012 close after hello-ok (the shutdown
# of the old generation) is expected.  Wanted: 0 failures.  Then, without
# load, up to CYCLES restarts in all: the master's descriptor count and
# memory after them are those after the first.
import os, re, sys, threading
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

RESTARTS = 10 if QUICK else 50
CYCLES = 40 if QUICK else 200
NHTTP, NWS = 3, 3


class Load:
    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.count = {"http": 0, "ws": 0}
        self.fails = []
        self.threads = []

    def record(self, kind, err):
        with self.lock:
            self.count[kind] += 1
            if err is not None:
                self.fails.append((kind, time.time(), err))

    def http_once(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                      b"Connection: close\r\n\r\n" % self.port)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if not head.startswith(b"HTTP/1.1 200") or m is None or \
                len(body) != int(m.group(1)):
            return "incomplete response: %r" % data[:80]
        return None

    def ws_once(self, i, n):
        ws = WS(self.port, timeout=5)
        try:
            if ws.status != 101:
                return "upgrade status %s" % ws.status
            ch = ws.recv(5)
            if ch.get("event") != "connect.challenge":
                return "no challenge: %r" % (ch,)
            res = ws.request("connect", connect_params(),
                             rid="c:%d:%d" % (i, n), timeout=5)
            if not res.get("ok"):
                return "connect refused: %r" % (res.get("error"),)
            return None
        finally:
            ws.close()

    def loop(self, kind, i):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                err = self.http_once() if kind == "http" else \
                    self.ws_once(i, n)
            except (OSError, Closed, ValueError, AssertionError) as e:
                err = "%s: %r" % (type(e).__name__, e)
            self.record(kind, err)

    def start(self):
        for kind, k in (("http", NHTTP), ("ws", NWS)):
            for i in range(k):
                t = threading.Thread(target=self.loop, args=(kind, i))
                t.daemon = True
                t.start()
                self.threads.append(t)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)


def restart(gw, gen):
    """SIGUSR1; seconds until generation gen serves, and until gen - 1
    is gone (None if it did not happen within 20 s)."""
    mark = len(gw.output())
    t0 = time.monotonic()
    os.kill(gw.proc.pid, signal.SIGUSR1)
    serve = gone = None
    end = t0 + 20
    while time.monotonic() < end and gone is None:
        out = gw.output()[mark:]
        if serve is None and "generation %d serving" % gen in out:
            serve = time.monotonic() - t0
        if "generation %d gone" % (gen - 1) in out:
            gone = time.monotonic() - t0
            serve = serve or gone
        time.sleep(0.002)
    return serve, gone


def master_figures(pid):
    return fd_count(pid), proc_rss_kib(pid)


gw = Gateway().start()
pid = gw.proc.pid
load = Load(gw.port)
load.start()
time.sleep(0.5)
serves, gones = [], []
gen = 1
for k in range(RESTARTS):
    gen += 1
    serve, gone = restart(gw, gen)
    if gone is None:
        ok(False, "restart %d: generation %d did not take over" % (k, gen))
        break
    serves.append(serve)
    gones.append(gone)
    time.sleep(0.15)
time.sleep(0.5)
load.finish()
is_(len(serves), RESTARTS, "%d restarts under load" % RESTARTS)
total = load.count["http"] + load.count["ws"]
ok(load.count["http"] > RESTARTS and load.count["ws"] > RESTARTS,
   "clients kept coming: %d HTTP requests, %d WebSocket handshakes" %
   (load.count["http"], load.count["ws"]))
is_(len(load.fails), 0, "no failure among %d attempts" % total)
for kind, t, err in load.fails[:10]:
    diag("%s failure: %s" % (kind, err))
if serves:
    serves.sort()
    gones.sort()
    diag("restart: new generation serving after %.1f ms median "
         "(max %.1f), old one gone after %.1f ms median (max %.1f)" %
         (serves[len(serves) // 2] * 1e3, serves[-1] * 1e3,
          gones[len(gones) // 2] * 1e3, gones[-1] * 1e3))
is_(gw.proc.pid, pid, "the same master throughout")

# Descriptors and memory over many restarts, without load.
gen += 1
restart(gw, gen)
fds1, rss1 = master_figures(pid)
for k in range(CYCLES - RESTARTS - 1):
    gen += 1
    if restart(gw, gen)[1] is None:
        ok(False, "restart %d did not complete" % gen)
        break
fds2, rss2 = master_figures(pid)
diag("master after %d restarts: %d fds, %d KiB RSS (after the first: "
     "%d fds, %d KiB)" % (gen - 1, fds2, rss2, fds1, rss1))
is_(fds2, fds1, "the master's descriptors: the same after %d restarts" %
    (gen - 1))
ok(rss2 <= rss1 + 512, "the master's memory: the same after %d restarts "
   "(%d KiB, %d after the first)" % (gen - 1, rss2, rss1))
ok(gw.stop() == 0, "stops cleanly")
done_testing()
