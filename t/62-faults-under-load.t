#!/usr/bin/env python3
# Faults under load.  (1) While client threads loop connect -> hello-ok
# -> health -> close (and others GET /healthz and the canvas port), each
# worker is killed with SIGKILL in turn (ws, http, canvas, 2 s apart; 1 s
# with QUICK): the master survives, every worker comes back, no TCP
# connect is ever refused, and clients succeed again within 3 s of each
# kill (failures only in that window).  (2) A client that stops reading
# while events stream (10 ms ticks, presence from a flood of system-event
# calls): its presence events are dropped (a seq gap) or it is closed
# 1008 slow consumer, and the ws worker's memory stays bounded.
# (t/43 covers each kill without load; t/25 the outbound caps.)
import os, sys, threading
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

RUN = 4.0 if QUICK else 8.0
GAP = 1.0 if QUICK else 2.0
FIRST = 0.8 if QUICK else 1.5
RECOVER = 3.0
NWS = 4
READ, ADMIN = "operator.read", "operator.admin"
SANITIZED = sanitized_binary()      # ASan: memory figures reported only


class Load:
    """Client threads; every attempt recorded as (kind, t_start, t_end,
    ok, error)."""

    def __init__(self, gw):
        self.gw = gw
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.log = []
        self.refused = 0
        self.threads = []

    def record(self, kind, t0, good, err=None):
        with self.lock:
            self.log.append((kind, t0, time.time(), good, err))

    def ws_loop(self, i):
        src = "127.0.0.%d" % (10 + i)
        n = 0
        while not self.stop.is_set():
            t0 = time.time()
            n += 1
            ws = None
            try:
                ws = WS(self.gw.port, source=src, timeout=5)
                if ws.status != 101:
                    raise RuntimeError("upgrade status %s" % ws.status)
                ch = ws.recv(5)
                if ch.get("event") != "connect.challenge":
                    raise RuntimeError("no challenge: %r" % ch)
                res = ws.request("connect", connect_params(),
                                 rid="1:%d:%d" % (i, n), timeout=5)
                if not res.get("ok"):
                    raise RuntimeError("connect: %r" % res)
                r = ws.request("health", timeout=5)
                if not r.get("ok"):
                    raise RuntimeError("health: %r" % r)
                self.record("ws", t0, True)
            except ConnectionRefusedError as e:
                with self.lock:
                    self.refused += 1
                self.record("ws", t0, False, "refused")
                time.sleep(0.01)
            except Exception as e:
                self.record("ws", t0, False, repr(e)[:80])
                time.sleep(0.01)
            finally:
                if ws is not None:
                    ws.close()

    def http_loop(self, port, path, kind, src, body=None):
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close"
               "\r\n\r\n" % path).encode()
        while not self.stop.is_set():
            t0 = time.time()
            try:
                raw = http_raw(port, req, timeout=5, source=src)
                good = raw.startswith(b"HTTP/1.1 200") and \
                    (body is None or raw.endswith(body))
                self.record(kind, t0, good, None if good else repr(raw[:40]))
            except ConnectionRefusedError:
                with self.lock:
                    self.refused += 1
                self.record(kind, t0, False, "refused")
            except OSError as e:
                self.record(kind, t0, False, repr(e)[:80])
            if not self.stop.is_set():
                time.sleep(0.005)

    def start(self):
        p = self.gw.port
        for i in range(NWS):
            self.threads.append(threading.Thread(target=self.ws_loop,
                                                 args=(i,)))
        self.threads.append(threading.Thread(
            target=self.http_loop, args=(p, "/healthz", "http",
                                         "127.0.0.20")))
        self.threads.append(threading.Thread(
            target=self.http_loop, args=(p + 4, "/__openclaw__/canvas/",
                                         "canvas", "127.0.0.21",
                                         b"canvas-index")))
        for t in self.threads:
            t.daemon = True
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)
        return not any(t.is_alive() for t in self.threads)


def new_pid(gw, role, old, timeout=10):
    return wait_for(lambda: (lambda p: p if p and p != old else None)(
        gw.worker_pid(role)), timeout)


# ------------------------------------------------------------ kills under load
with Gateway() as gw:
    gw.canvas_index()
    gw.start()
    roles = ("ws", "http", "canvas")
    before = {r: gw.worker_pid(r) for r in roles}
    ok(all(before.values()), "workers before: %s" % before)
    load = Load(gw)
    t_begin = time.time()
    load.start()
    kills = []
    time.sleep(FIRST)
    for role in roles:
        pid = gw.worker_pid(role)
        if pid:
            os.kill(pid, signal.SIGKILL)
            kills.append((role, time.time(), pid))
        time.sleep(GAP)
    left = t_begin + max(RUN, FIRST + 3 * GAP + RECOVER) - time.time()
    if left > 0:
        time.sleep(left)
    t_end = time.time()
    ok(load.join(), "client threads finished")
    log = sorted(load.log, key=lambda x: x[2])

    ok(gw.proc.poll() is None, "the master survived the kills")
    for role, t, pid in kills:
        new = new_pid(gw, role, pid, 10)
        ok(new, "%s worker came back (%s -> %s)" % (role, pid, new))
    is_(load.refused, 0, "no TCP connect was refused (ECONNREFUSED) during "
        "%.1f s and 3 kills" % (t_end - t_begin))

    kinds = ("ws", "http", "canvas")
    for k in kinds:
        good = [x for x in log if x[0] == k and x[3]]
        bad = [x for x in log if x[0] == k and not x[3]]
        diag("%-6s %5d ok, %3d failed" % (k, len(good), len(bad)))
    ws_good = [x for x in log if x[0] == "ws" and x[3]]
    ok(len(ws_good) >= 50, "WebSocket clients made progress (%d full "
       "handshakes + health)" % len(ws_good))

    # failures only in the window after a kill
    first_kill = kills[0][1] if kills else t_end
    early = [x for x in log if not x[3] and x[2] < first_kill]
    is_(len(early), 0, "no failure before the first kill")

    def in_window(t):
        return any(kt <= t <= kt + RECOVER for _, kt, _ in kills)
    stray = [x for x in log if not x[3] and not in_window(x[2])]
    for x in stray[:5]:
        diag("failure outside the windows: %s at +%.2f s: %s" %
             (x[0], x[2] - t_begin, x[4]))
    is_(len(stray), 0, "every failure falls within %.0f s after a kill" %
        RECOVER)

    # after each kill, the affected clients succeed again within 3 s
    affected = {"ws": ("ws",), "http": ("ws", "http"),
                "canvas": ("canvas",)}
    for role, kt, pid in kills:
        fails = {}
        for k in affected[role]:
            fs = [x for x in log if x[0] == k and not x[3] and
                  kt <= x[2] <= kt + RECOVER]
            fails[k] = len(fs)
            nxt = [x for x in log if x[0] == k and x[3] and x[1] >= kt]
            rec = nxt[0][2] - kt if nxt else None
            ok(rec is not None and rec < RECOVER,
               "kill %s: a new %s client succeeds %s after it" %
               (role, k, "%.0f ms" % (rec * 1000) if rec is not None
                else "never"))
            if fs:
                diag("kill %s: %d %s failures, last at +%.0f ms: %s" %
                     (role, len(fs), k, (fs[-1][2] - kt) * 1000,
                      sorted({x[4] for x in fs})[:3]))
        # and nothing else failed (a canvas kill does not touch ws clients)
        others = [x for x in log if x[0] not in affected[role] and
                  not x[3] and kt <= x[2] <= kt + RECOVER and
                  not any(k2 <= x[2] <= k2 + RECOVER
                          for r2, k2, _ in kills if r2 != role and
                          x[0] in affected[r2])]
        is_(len(others), 0, "kill %s: other clients unaffected" % role)

    # all good at the end
    r = fresh_health(gw)
    is_(r.get("ok"), True, "afterwards: a client connects and calls health")
    is_(http_get(gw.port, "/healthz")[0], 200, "afterwards: /healthz")
    is_(gw.stop(), 0, "the gateway stops with 0")


# ------------------------------------------------------------ stalled reader


CAP = 2 * 1024 * 1024
with Gateway(env={"OPENCLAW_TICK_INTERVAL_MS": "10",
                  "OPENCLAW_MAX_OUTBOUND_BYTES": str(CAP)}) as gw:
    gw.start()
    wpid = gw.worker_pid("ws")
    rss0 = proc_rss_kib(wpid)
    s = stalled_operator(gw, [READ])
    adm = operator(gw, scopes=[ADMIN])
    flood = 3.0 if QUICK else 6.0
    peaks = [rss0]

    def sample(n):
        if n % 50 == 0:
            peaks.append(proc_rss_kib(wpid))
    adm, n, adm_err = system_event_flood(gw, adm, flood, "s" * 1500, 180,
                                         reconnect=True, every=sample)
    peak = max(peaks + [proc_rss_kib(wpid)])
    if adm_err is not None:
        diag("the reading admin client was closed once: %r" % (adm_err,))
    growth = peak - rss0
    diag("ws worker RSS: %d KiB before, %d KiB peak (+%d KiB) after %d "
         "system-event calls in %.0f s, 10 ms ticks, outbound cap %d MiB" %
         (rss0, peak, growth, n, flood, CAP >> 20))
    if SANITIZED:
        ok(True, "# SKIP memory bound under ASan (+%d KiB)" % growth)
    else:
        ok(growth < 200 * 1024, "ws worker memory bounded while a client "
           "does not read: +%d KiB (< 200 MiB)" % growth)
    # now read everything the stalled client was sent
    seqs, code, reason, frames, nbytes, npres = [], None, None, 0, 0, 0
    t_read = time.time() * 1000
    end = time.time() + 15
    try:
        while time.time() < end:
            op, p = s.recv_frame(3)
            frames += 1
            nbytes += len(p)
            if op == 1:
                m = json.loads(p)
                if m.get("type") == "event":
                    seqs.append(m.get("seq"))
                npres += m.get("event") == "presence"
                # caught up: a tick from after the flood
                if m.get("event") == "tick" and \
                        m["payload"].get("ts", 0) >= t_read:
                    break
    except Closed as e:
        code, reason = e.code, e.reason
    except socket.timeout:
        pass
    except OSError as e:
        code, reason = 1006, repr(e)
    gap = any(b - a > 1 for a, b in zip(seqs, seqs[1:])) or \
        (seqs and seqs[0] != 1)
    logged = any("slow consumer" in l.get("message", "")
                 for l in gw.log_lines())
    diag("stalled reader: %d frames (%d KiB, %d presence), %d events, "
         "seq %s..%s, gap %s, close %s %r, slow consumer logged %s" %
         (frames, nbytes >> 10, npres, len(seqs), seqs[0] if seqs else "-",
          seqs[-1] if seqs else "-", gap, code, reason, logged))
    is_(seqs, sorted(set(seqs)), "events it did get are in seq order")
    ok(gap or (code, reason) == (1008, "slow consumer") or
       (code == 1006 and logged),
       "the stalled reader lost presence events (seq gap) or was closed "
       "1008 slow consumer")
    s.close()
    w = operator(gw)
    is_(w.request("health").get("ok"), True, "others unaffected")
    w.close()
    adm.close()
    after = proc_rss_kib(gw.worker_pid("ws"))
    diag("ws worker RSS afterwards: %d KiB" % after)
    ok(gw.proc.poll() is None, "master still running")


# ------------------------------------------------------------ ping flood
# Pongs are output like any other: a client that sends pings and never
# reads the pongs (here before it even authenticates) must not make the
# ws worker buffer without limit.  Either it is closed (slow consumer),
# or the gateway stops reading from it; memory stays bounded.
FLOOD = (64 if SANITIZED else 320) << 20     # not checked under ASan
with Gateway() as gw:
    gw.start()
    wpid = gw.worker_pid("ws")
    rss0 = proc_rss_kib(wpid)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", gw.port))
    s.sendall(("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket"
               "\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" %
               (gw.port, base64.b64encode(os.urandom(16)).decode())).encode())
    chunk = WS.frame(9, b"p" * 125) * 8192          # ~1 MiB of pings
    sent, peak, why = 0, rss0, "all sent"
    s.settimeout(2)
    t0 = time.time()
    try:
        while sent < FLOOD and time.time() - t0 < (8 if QUICK else 20):
            s.sendall(chunk)
            sent += len(chunk)
            if sent % (16 << 20) < len(chunk):
                peak = max(peak, proc_rss_kib(wpid))
    except socket.timeout:
        why = "the gateway stopped reading"
    except OSError as e:
        why = "the gateway closed the socket (%s)" % e.strerror
    time.sleep(0.3)
    peak = max(peak, proc_rss_kib(wpid))
    growth = peak - rss0
    diag("pre-auth ping flood, pongs never read: %d MiB sent in %.1f s, "
         "%s; ws worker RSS %d -> %d KiB (+%d KiB)" %
         (sent >> 20, time.time() - t0, why, rss0, peak, growth))
    if SANITIZED:
        ok(True, "# SKIP memory bound under ASan (+%d KiB)" % growth)
    else:
        ok(growth < 200 * 1024, "ws worker memory bounded under a ping "
           "flood whose pongs are not read: +%d KiB for %d MiB of pings "
           "(< 200 MiB)" % (growth, sent >> 20))
    s.close()
    w = operator(gw)
    is_(w.request("health").get("ok"), True, "the gateway still answers")
    w.close()
    ok(gw.proc.poll() is None and gw.worker_pid("ws") == wpid,
       "no process died")

done_testing()
