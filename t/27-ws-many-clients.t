#!/usr/bin/env python3
# Many concurrent clients (protocol.md 2.1): 1000 sockets (QUICK: 200)
# upgrade, take the challenge and connect at once, from source addresses
# spread over 127.0.0.2-127.0.0.254 so the per-IP pre-auth budget (32)
# is not what limits them; every one must get hello-ok, and the gateway
# must still answer afterwards.
import os, selectors, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

N = 200 if QUICK else 1000
nofile = raise_nofile()
if nofile < N * 2 + 100:
    skip_all("RLIMIT_NOFILE %d is too low for %d clients" % (nofile, N))




class Client:
    def __init__(self, i, port, source):
        self.i = i
        self.port = port
        self.state = "connecting"
        self.buf = b""
        self.hello = None
        self.error = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect_ex(("127.0.0.1", port))
        self.key = base64.b64encode(os.urandom(16)).decode()

    def on_writable(self):
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            return self.fail("connect: %s" % os.strerror(err))
        req = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (self.port, self.key))
        self.sock.sendall(req.encode())
        self.state = "head"

    def on_readable(self):
        try:
            b = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            return self.fail("recv: %s" % e)
        if not b:
            return self.fail("EOF in state %s" % self.state)
        self.buf += b
        if self.state == "head":
            if b"\r\n\r\n" not in self.buf:
                return
            head, _, self.buf = self.buf.partition(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 101"):
                return self.fail("upgrade: %r" % head[:40])
            self.state = "challenge"
        while True:
            f = parse_frame(self.buf)
            if f is None:
                return
            op, payload, self.buf = f
            if op == 8:
                return self.fail("closed %r" % payload[:60])
            if op != 1:
                continue
            m = json.loads(payload)
            if self.state == "challenge":
                if m.get("event") != "connect.challenge":
                    return self.fail("first frame %r" % m)
                self.sock.setblocking(True)
                self.sock.sendall(req_bytes(
                    "connect", connect_params(), rid="1:%d" % self.i))
                self.sock.setblocking(False)
                self.state = "hello"
            elif self.state == "hello" and m.get("type") == "res":
                if m.get("ok") and m.get("id") == "1:%d" % self.i and \
                        (m.get("payload") or {}).get("type") == "hello-ok":
                    self.hello = m["payload"]
                    self.state = "done"
                else:
                    return self.fail("connect: %r" % m)

    def fail(self, why):
        self.error = why
        self.state = "failed"


with Gateway() as gw:
    gw.start()
    sel = selectors.DefaultSelector()
    clients = []
    t0 = time.time()
    for i in range(N):
        src = "127.0.0.%d" % (2 + i % 253)
        try:
            c = Client(i, gw.port, src)
        except OSError:
            c = Client(i, gw.port, None)
        clients.append(c)
        sel.register(c.sock, selectors.EVENT_WRITE, c)
    pending = N
    deadline = time.time() + 60
    while pending and time.time() < deadline:
        for key, ev in sel.select(1.0):
            c = key.data
            if c.state == "connecting" and ev & selectors.EVENT_WRITE:
                try:
                    c.on_writable()
                except OSError as e:
                    c.fail("send: %s" % e)
                if c.state != "failed":
                    sel.modify(c.sock, selectors.EVENT_READ, c)
            elif ev & selectors.EVENT_READ:
                c.on_readable()
            if c.state in ("done", "failed"):
                sel.unregister(c.sock)
                pending -= 1
    took = time.time() - t0
    done = [c for c in clients if c.state == "done"]
    failed = [c for c in clients if c.state != "done"]
    for c in failed[:5]:
        diag("client %d: %s %s" % (c.i, c.state, c.error))
    is_(len(done), N, "%d of %d clients got hello-ok (%.1fs)" %
        (len(done), N, took))
    ok(took < 30, "all handshakes within 30 s (%.1fs)" % took)
    conn_ids = {c.hello["server"]["connId"] for c in done}
    is_(len(conn_ids), len(done), "every socket has its own connId")

    # all still open: the gateway answers a new client and old ones
    ws = operator(gw)
    r = ws.request("health", timeout=10)
    is_(r.get("ok"), True, "health answered with %d clients connected" % N)
    ws.close()
    sample = done[:: max(1, len(done) // 10)]
    for c in sample:
        c.sock.setblocking(True)
        c.sock.settimeout(5)
        c.sock.sendall(req_bytes("health", rid="h%d" % c.i))
    answered = 0
    for c in sample:
        try:
            while True:
                f = parse_frame(c.buf)
                if f is None:
                    c.buf += c.sock.recv(65536)
                    continue
                op, payload, c.buf = f
                if op == 1 and json.loads(payload).get("id") == "h%d" % c.i:
                    answered += 1
                    break
        except (OSError, ValueError) as e:
            diag("client %d: %r" % (c.i, e))
    is_(answered, len(sample), "old connections still answer requests")

    for c in clients:
        c.sock.close()
    sel.close()
    ws = operator(gw)
    is_(ws.request("health", timeout=10).get("ok"), True,
        "health answered after they all left")
    ws.close()

done_testing()
