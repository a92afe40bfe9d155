#!/usr/bin/env python3
# A flood of unauthenticated WebSocket sockets: 10,000 at once (QUICK:
# 2,000) from 127.0.0.2-127.0.0.254 upgrade and then never send connect.
# Over the per-IP budget (32) they get 503, the rest 101 + the challenge;
# meanwhile the gateway answers /healthz and an authenticated client, and
# its memory is bounded (per-socket cost reported); at the handshake
# timeout (2 s; 8 s for the full 10,000) every pre-auth socket is closed by the server, and
# the memory is reported again.
import os, selectors, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

N = 2000 if QUICK else 10000
PER_IP = 32
NIP = 253
# 2 s is enough for 2,000 sockets; opening 10,000 from one Python process
# takes ~3 s here, so the full run gives them longer to be all held at once
INFLIGHT = 256          # sockets between connect() and the 101/503

SANITIZED = sanitized_binary()      # ASan: memory figures reported only
# The flood must be fully open before the first socket times out; a
# sanitized gateway on a busy machine needs the longer window.
TIMEOUT_MS = 2000 if QUICK and not SANITIZED else 8000
nofile = raise_nofile()
if nofile < N + 200:
    skip_all("RLIMIT_NOFILE %d is too low for %d sockets" % (nofile, N))


class Sock:
    __slots__ = ("i", "ip", "s", "state", "buf", "t_open", "t_up", "t_eof",
                 "status", "close_code")

    def __init__(self, i, ip, port):
        self.i, self.ip = i, ip
        self.state = "connecting"
        self.buf = b""
        self.status = None
        self.close_code = None
        self.t_up = self.t_eof = None
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setblocking(False)
        self.s.bind((ip, 0))
        self.t_open = time.time()
        self.s.connect_ex(("127.0.0.1", port))




def upgrade_request(port):
    key = base64.b64encode(os.urandom(16)).decode()
    return ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (port, key)).encode()


def on_event(sel, c, ev, port, counts):
    """Advance one socket; returns True when it reached EOF."""
    if c.state == "connecting":
        err = c.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            c.state = "error"
            counts["connect_error"] += 1
            if err == 111:
                counts["refused"] += 1
            sel.unregister(c.s)
            c.s.close()
            return True
        try:
            c.s.send(upgrade_request(port))
        except OSError:
            pass
        c.state = "head"
        sel.modify(c.s, selectors.EVENT_READ, c)
        return False
    try:
        b = c.s.recv(65536)
    except BlockingIOError:
        return False
    except OSError:
        b = b""
    if not b:
        c.t_eof = time.time()
        if c.state == "head":
            counts["eof_before_head"] += 1
        c.state = "eof"
        sel.unregister(c.s)
        c.s.close()
        return True
    c.buf += b
    if c.state == "head":
        if b"\r\n\r\n" not in c.buf:
            return False
        head, _, c.buf = c.buf.partition(b"\r\n\r\n")
        try:
            c.status = int(head.split(b" ")[1])
        except (IndexError, ValueError):
            c.status = -1
        c.t_up = time.time()
        if c.status == 101:
            c.state = "up"
        else:
            c.state = "refused"
            c.buf = b""
            return False
    if c.state == "up" or c.state == "pre":
        while True:
            f = parse_frame(c.buf)
            if f is None:
                break
            op, payload, c.buf = f
            if op == 1 and c.state == "up":
                if json.loads(payload).get("event") == "connect.challenge":
                    c.state = "pre"
                    counts["challenged"] += 1
            elif op == 8:
                c.close_code = struct.unpack("!H", payload[:2])[0] \
                    if len(payload) >= 2 else 1005
    else:
        c.buf = b""
    return False


def pump(sel, port, counts, secs):
    end = time.time() + secs
    n = 0
    while time.time() < end:
        evs = sel.select(max(0, min(0.05, end - time.time())))
        for key, ev in evs:
            on_event(sel, key.data, ev, port, counts)
            n += 1
        if not evs and not sel.get_map():
            break
    return n


with Gateway(env={"OPENCLAW_HANDSHAKE_TIMEOUT_MS": str(TIMEOUT_MS)}) as gw:
    gw.start()
    P = gw.port
    time.sleep(0.3)
    pids = {r: gw.worker_pid(r) for r in ("ws", "http")}
    rss0 = tree_rss_kib(gw)
    ws0 = proc_rss_kib(pids["ws"])
    http0 = proc_rss_kib(pids["http"])
    diag("idle: tree %d KiB (ws %d, http %d)" % (rss0, ws0, http0))

    # a burst of connects waits in the listen queue: the master listens
    # with a backlog of 4096, which a worker must not shrink
    try:
        out = subprocess.run(["ss", "-ltnH", "sport = :%d" % P],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=10).stdout.decode()
        backlog = int(out.split()[2]) if out.split() else None
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        backlog = None
    if backlog is None:
        ok(True, "# SKIP listen backlog (no ss)")
    else:
        ok(backlog >= 1024, "the main port's listen backlog is %d (>= 1024; "
           "a worker re-listening with libevent's default makes it 128)" %
           backlog)

    sel = selectors.DefaultSelector()
    counts = {"connect_error": 0, "refused": 0, "eof_before_head": 0,
              "challenged": 0}
    socks = []
    t0 = time.time()
    i = 0
    deadline = t0 + 60
    while i < N and time.time() < deadline:
        inflight = sum(1 for c in socks[-INFLIGHT * 4:]
                       if c.state in ("connecting", "head"))
        while i < N and inflight < INFLIGHT:
            ip = "127.0.0.%d" % (2 + i % NIP)
            try:
                c = Sock(i, ip, P)
            except OSError as e:
                diag("socket %d: %r" % (i, e))
                deadline = 0
                break
            socks.append(c)
            sel.register(c.s, selectors.EVENT_WRITE, c)
            i += 1
            inflight += 1
        for key, ev in sel.select(0.05):
            on_event(sel, key.data, ev, P, counts)
    # the last answers
    wait_end = time.time() + 10
    while time.time() < wait_end and any(
            c.state in ("connecting", "head") for c in socks):
        for key, ev in sel.select(0.05):
            on_event(sel, key.data, ev, P, counts)
    slow = [c for c in socks if c.t_up is not None and c.t_up - c.t_open > 0.5]
    if slow:
        diag("%d upgrades took > 0.5 s to be answered (max %.2f s): SYN "
             "retransmits on a full backlog?" % (len(slow), max(
                 c.t_up - c.t_open for c in slow)))
    stuck = [c for c in socks if c.state in ("connecting", "head")]
    for c in stuck[:5]:
        diag("socket %d from %s: still %s after %.1f s" %
             (c.i, c.ip, c.state, time.time() - c.t_open))
    # the challenges of the last ones
    pump(sel, P, counts, 0.2)
    t_opened = time.time() - t0
    is_(len(socks), N, "%d sockets opened in %.2f s" % (len(socks),
                                                         t_opened))
    first_up = min([c.t_up for c in socks if c.status == 101] or [t0])
    ok(t_opened < TIMEOUT_MS / 1000.0 + (first_up - t0),
       "all of them answered before the first could time out "
       "(%.2f s < %.2f s)" % (t_opened, TIMEOUT_MS / 1000.0 +
                              (first_up - t0)))

    n101 = sum(1 for c in socks if c.status == 101)
    n503 = sum(1 for c in socks if c.status == 503)
    other = [c.status for c in socks if c.status not in (101, 503)]
    diag("101: %d, 503: %d, other: %d %s; connect errors %d (refused %d), "
         "EOF before the answer %d" %
         (n101, n503, len(other), sorted(set(map(str, other)))[:5],
          counts["connect_error"], counts["refused"],
          counts["eof_before_head"]))
    is_(n101 + n503, N, "every upgrade answered 101 or 503")
    is_(counts["refused"], 0, "no TCP connect refused")
    per_ip = {}
    for c in socks:
        if c.status == 101:
            per_ip[c.ip] = per_ip.get(c.ip, 0) + 1
    worst = max(per_ip.values() or [0])
    ok(worst <= PER_IP, "at most %d pre-auth sockets per IP (max %d over "
       "%d IPs)" % (PER_IP, worst, len(per_ip)))
    want503 = max(0, N - NIP * PER_IP)
    is_(n503, want503, "503 for exactly the upgrades over the per-IP "
        "budget (%d)" % want503)
    is_(counts["challenged"], n101, "every 101 socket got the challenge")
    refused = [c for c in socks if c.status == 503]
    pump(sel, P, counts, 0.3)
    closed503 = sum(1 for c in refused if c.state == "eof")
    is_(closed503, len(refused), "every 503 socket was closed by the server")

    # while they are all held: memory and responsiveness
    rss1 = tree_rss_kib(gw)
    ws1 = proc_rss_kib(pids["ws"])
    http1 = proc_rss_kib(pids["http"])
    held = sum(1 for c in socks if c.state == "pre")
    per = (rss1 - rss0) / max(1, held)
    diag("with %d pre-auth sockets held: tree %d KiB (+%d KiB; ws +%d, "
         "http +%d) = %.2f KiB per socket" %
         (held, rss1, rss1 - rss0, ws1 - ws0, http1 - http0, per))
    if SANITIZED:
        ok(True, "# SKIP memory bounds under ASan")
        ok(True, "# SKIP memory bounds under ASan")
    else:
        ok(per < 16, "memory per pre-auth socket bounded: %.2f KiB (< 16)"
           % per)
        ok(rss1 - rss0 < 256 * 1024, "total growth %d KiB (< 256 MiB)" %
           (rss1 - rss0))
    t1 = time.time()
    try:
        st = http_get(P, "/healthz", timeout=5)[0]
    except OSError as e:
        st = repr(e)
    dt = (time.time() - t1) * 1000
    is_(st, 200, "/healthz answered during the flood (%.0f ms)" % dt)
    t1 = time.time()
    r = fresh_health(gw)
    dt = (time.time() - t1) * 1000
    is_(r.get("ok"), True, "an authenticated client connects and calls "
        "health during the flood (%.0f ms)" % dt)
    ok(time.time() - first_up < TIMEOUT_MS / 1000.0,
       "... checked while the flood was still held (%.2f s after the "
       "first 101)" % (time.time() - first_up))

    # the handshake timeout closes every one of them
    pump(sel, P, counts, TIMEOUT_MS / 1000.0 + 4.0)
    up = [c for c in socks if c.status == 101]
    eofs = [c for c in up if c.state == "eof"]
    lat = sorted(c.t_eof - c.t_up for c in eofs)
    diag("EOF after the 101: min %.2f s, median %.2f s, max %.2f s" %
         (lat[0], lat[len(lat) // 2], lat[-1]) if lat else "no EOF")
    is_(len(eofs), len(up), "the handshake timeout closed every pre-auth "
        "socket (%d of %d EOF)" % (len(eofs), len(up)))
    codes = {}
    for c in eofs:
        codes[c.close_code] = codes.get(c.close_code, 0) + 1
    diag("close frames before EOF: %s" % codes)
    ok(lat and lat[0] >= TIMEOUT_MS / 1000.0 - 0.1 and
       lat[-1] < TIMEOUT_MS / 1000.0 + 3.0,
       "... at the timeout (%.2f..%.2f s)" % (lat[0] if lat else 0,
                                              lat[-1] if lat else 0))
    time.sleep(0.5)
    rss2 = tree_rss_kib(gw)
    ws2 = proc_rss_kib(pids["ws"])
    diag("after they were closed: tree %d KiB (%+d KiB from idle, %+d KiB "
         "from the peak; ws %+d from idle)" %
         (rss2, rss2 - rss0, rss2 - rss1, ws2 - ws0))
    ok(SANITIZED or rss2 <= rss1 + 1024, "memory does not keep growing "
       "after the sockets are gone")
    for c in socks:
        if c.state not in ("eof", "error"):
            c.s.close()
    sel.close()

    # the per-IP budget is whole again after all those timeouts
    held = []
    for k in range(PER_IP + 1):
        w = WS(P, source="127.0.0.2")
        held.append(w)
    sts = [w.status for w in held]
    is_(sts, [101] * PER_IP + [503], "after the timeouts one IP again gets "
        "%d sockets, then 503" % PER_IP)
    for w in held:
        w.close()

    # traffic does not extend the handshake timeout: pings every 200 ms
    # and a connect trickled a byte at a time still end at the timeout
    busy = []
    for k in range(10):
        w = WS(P, source="127.0.0.3")
        w.recv()
        w.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        w.sock.setblocking(False)
        busy.append({"ws": w, "t0": time.time(), "eof": None, "data":
                     WS.frame(1, json.dumps({
                         "type": "req", "id": "1:slow", "method": "connect",
                         "params": connect_params()}).encode())
                     if k % 2 else b"", "pos": 0})
    end = time.time() + TIMEOUT_MS / 1000.0 + 3
    while time.time() < end and any(b["eof"] is None for b in busy):
        for b in busy:
            if b["eof"] is not None:
                continue
            w = b["ws"]
            try:
                if b["data"]:
                    # a real connect, one byte per tick, never finished
                    if b["pos"] < len(b["data"]) - 1:
                        w.sock.send(b["data"][b["pos"]:b["pos"] + 1])
                        b["pos"] += 1
                else:
                    w.sock.send(WS.frame(9, b"keepalive?"))
                while True:
                    d = w.sock.recv(65536)
                    if not d:
                        b["eof"] = time.time() - b["t0"]
                        break
            except BlockingIOError:
                pass
            except OSError:
                b["eof"] = time.time() - b["t0"]
        time.sleep(0.2)
    lat = sorted(b["eof"] for b in busy if b["eof"] is not None)
    is_(len(lat), len(busy), "pre-auth sockets sending pings or trickling "
        "a connect are closed too (%d of %d)" % (len(lat), len(busy)))
    ok(lat and lat[-1] < TIMEOUT_MS / 1000.0 + 2.5,
       "... at the handshake timeout (%.2f..%.2f s)" %
       (lat[0] if lat else 0, lat[-1] if lat else 0))
    for b in busy:
        b["ws"].close()

    # and it serves normally afterwards
    w = operator(gw)
    is_(w.request("health").get("ok"), True, "a client connects afterwards")
    w.close()
    ok(fd_count(pids["ws"]) is not None and fd_count(pids["ws"]) < 200,
       "the ws worker holds no stale descriptors (%s)" %
       fd_count(pids["ws"]))
    ok(gw.proc.poll() is None and gw.worker_pid("ws") == pids["ws"],
       "no process died")

done_testing()
