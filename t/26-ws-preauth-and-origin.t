#!/usr/bin/env python3
# Upgrade admission (protocol.md 1, 2.1): the per-IP budget of
# unauthenticated sockets (503), Origin and Host checks (403), and
# malformed upgrade requests (426, 400, 404).
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def upgrade(port, **kw):
    """(status, ws) of one upgrade attempt."""
    ws = WS(port, **kw)
    return ws.status, ws


def status_of(port, **kw):
    st, ws = upgrade(port, **kw)
    ws.close()
    return st


with Gateway(env={"OPENCLAW_MAX_PREAUTH_CONNECTIONS_PER_IP": "4"}) as gw:
    gw.start()
    p = gw.port
    # 127.0.0.1, the local CLI's address, makes room instead (t/67)
    SRC = "127.0.0.2"

    # -- at most 4 unauthenticated sockets per client IP
    held = []
    for i in range(4):
        st, ws = upgrade(p, source=SRC)
        is_(st, 101, "unauthenticated socket %d: 101" % (i + 1))
        held.append(ws)
        ws.recv()    # the challenge: the socket is really up
    st, ws = upgrade(p, source=SRC)
    is_(st, 503, "5th unauthenticated socket from the same IP: 503")
    like(ws.head, "Retry-After", "... with Retry-After")
    m = re.search(r"Content-Length: (\d+)", ws.head)
    body = ws.buf
    try:
        while m and len(body) < int(m.group(1)):
            more = ws.sock.recv(4096)
            if not more:
                break
            body += more
    except OSError:
        pass
    ok(m is not None and len(body) == int(m.group(1)) and
       json.loads(body)["error"]["type"] == "unavailable",
       "... and a JSON body of exactly Content-Length bytes")
    ws.close()
    try:
        st = status_of(p, source="127.0.0.3")
        is_(st, 101, "another client IP has its own budget")
    except OSError as e:
        ok(1, "# skip: cannot bind 127.0.0.3 (%s)" % e)
        st = None
    # one authenticates: it leaves the budget
    ws0 = held.pop(0)
    res = ws0.request("connect", connect_params(), rid="c")
    is_(res.get("ok"), True, "one of the four authenticates")
    st, ws = upgrade(p, source=SRC)
    is_(st, 101, "then a new upgrade succeeds")
    held.append(ws)
    st = status_of(p, source=SRC)
    is_(st, 503, "and the budget is full again")
    # one goes away: its slot frees
    held.pop(0).close()
    ok(wait_for(lambda: status_of(p, source=SRC) == 101, 3, 0.05),
       "after an unauthenticated socket closes, a new upgrade succeeds")
    # a refused connect (bad token) also frees the slot
    for ws in held:
        ws.close()
    time.sleep(0.1)
    bad = []
    for i in range(4):
        ws = WS(p, source=SRC)
        ws.recv()
        bad.append(ws)
    r = bad[0].request("connect", connect_params(token="wrong"), rid="b")
    is_(r.get("ok"), False, "a socket fails auth")
    bad[0].expect_close(2)
    bad[0].close()
    ok(wait_for(lambda: status_of(p, source=SRC) == 101, 3, 0.05),
       "its slot is freed")
    for ws in bad[1:]:
        ws.close()
    ws0.close()

with Gateway(config={"gateway": {
        "controlUi": {"allowedOrigins": ["https://ui.example"]},
        "allowedHosts": ["gw.example"]}}) as gw:
    gw.start()
    p = gw.port
    own = "127.0.0.1:%d" % p

    # -- Origin
    is_(status_of(p), 101, "no Origin (not a browser): 101")
    is_(status_of(p, headers={"Origin": "http://evil.example"}), 403,
        "Origin http://evil.example: 403")
    is_(status_of(p, headers={"Origin": "http://" + own}), 101,
        "own origin http://127.0.0.1:<port>: 101")
    is_(status_of(p, headers={"Origin": "https://ui.example"}), 101,
        "Origin in gateway.controlUi.allowedOrigins: 101")
    is_(status_of(p, headers={"Origin": "https://ui.example.evil.example"}),
        403, "an Origin that merely starts like an allowed one: 403")
    is_(status_of(p, headers={"Origin": "http://ui.example"}), 403,
        "allowed host, other scheme: 403")
    is_(status_of(p, headers={"Origin": "null"}), 403, "Origin null: 403")
    is_(status_of(p, headers={"Origin": "http://127.0.0.1:%d" % (p + 1)}),
        403, "loopback origin on another port: 403")
    st, ws = upgrade(p, headers={"Origin": "http://evil.example"})
    ok(ws.head.startswith("HTTP/1.1 403"), "refusal is a plain HTTP answer")
    ws.close()
    # an allowed origin then runs a normal handshake
    ws = operator(p, headers={"Origin": "https://ui.example"},
                  client_id="openclaw-control-ui", mode="ui")
    is_(ws.hello.get("type"), "hello-ok", "allowed origin: hello-ok")
    ws.close()

    # -- Host
    is_(status_of(p, headers={"Host": "evil.example:%d" % p}), 403,
        "Host evil.example: 403")
    is_(status_of(p, headers={"Host": "localhost:%d" % p}), 101,
        "Host localhost: 101")
    is_(status_of(p, headers={"Host": "LocalHost:%d" % p}), 101,
        "Host is case-insensitive")
    is_(status_of(p, headers={"Host": "127.0.0.1"}), 101,
        "Host 127.0.0.1 without a port: 101")
    is_(status_of(p, headers={"Host": "[::1]:%d" % p}), 101,
        "Host [::1]: 101")
    is_(status_of(p, headers={"Host": "gw.example:%d" % p}), 101,
        "Host in gateway.allowedHosts: 101")
    is_(status_of(p, headers={"Host": "gw.example.evil:%d" % p}), 403,
        "a Host that merely starts like an allowed one: 403")
    is_(status_of(p, headers={"Host": "localhost.evil.example"}), 403,
        "localhost.<evil>: 403")
    is_(status_of(p, headers={"Host": "gw.example:%d" % p,
                              "Origin": "http://gw.example:%d" % p}), 101,
        "allowed Host with its own origin: 101")

    # -- duplicate and malformed Host / Origin: refused by the head
    # parser (400), whatever a later check would read
    def raw_status(lines, path="/"):
        """The status of a request with exactly these header lines."""
        s = socket.create_connection(("127.0.0.1", p), timeout=3)
        s.sendall(("GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join(
            l + "\r\n" for l in lines))).encode("latin-1"))
        raw = b""
        try:
            while b"\r\n" not in raw:
                b = s.recv(4096)
                if not b:
                    break
                raw += b
        except OSError:
            pass
        s.close()
        m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
        return int(m.group(1)) if m else None
    UPG = ["Upgrade: websocket", "Connection: Upgrade",
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
           "Sec-WebSocket-Version: 13"]
    is_(raw_status(["Host: " + own] + UPG), 101,
        "raw upgrade with one Host: 101")
    is_(raw_status(["Host: " + own, "Origin: http://" + own,
                    "Origin: http://evil.example"] + UPG), 400,
        "two Origins, ours first and a foreign one second: 400")
    is_(raw_status(["Host: " + own, "Origin: http://evil.example",
                    "Origin: http://" + own] + UPG), 400,
        "two Origins, the foreign one first: 400")
    is_(raw_status(["Host: " + own, "Host: evil.example"] + UPG), 400,
        "two Hosts: 400")
    for bad in (own + " evil", own + "\tevil", "127.0.0.1 :%d" % p,
                own + "/evil", own + "@evil.example", "127.0.0.1:%dx" % p,
                "[::1", "evil.example\x01", "local host"):
        is_(raw_status(["Host: " + bad] + UPG), 400,
            "Host %r: 400" % bad)
    is_(raw_status(["Host: " + own, "Origin: http://" + own,
                    "Origin: http://" + own], path="/healthz"), 400,
        "two Origins on any request (a probe): 400")
    is_(raw_status(["Host: evil.example extra"], path="/healthz"), 400,
        "a Host with a space on any request (a probe): 400")
    # host names compare by an explicit case-insensitive rule; one
    # trailing dot is the same name (and no attacker's)
    is_(raw_status(["Host: LOCALHOST:%d" % p] + UPG), 101,
        "Host LOCALHOST: 101 (names are case-insensitive)")
    is_(raw_status(["Host: localhost.:%d" % p] + UPG), 101,
        "Host localhost. (trailing dot): 101")
    is_(raw_status(["Host: GW.Example"] + UPG), 101,
        "Host GW.Example (allowedHosts, other case): 101")
    is_(raw_status(["Host: localhost..:%d" % p] + UPG), 403,
        "Host localhost.. (two dots): 403")

    # -- malformed upgrades
    st, ws = upgrade(p, headers={"Sec-WebSocket-Version": "8"})
    is_(st, 426, "Sec-WebSocket-Version 8: 426")
    like(ws.head, "Sec-WebSocket-Version: 13", "... advertising version 13")
    ws.close()
    is_(status_of(p, headers={"Sec-WebSocket-Version": None}), 426,
        "no Sec-WebSocket-Version: 426")
    is_(status_of(p, headers={"Sec-WebSocket-Key": None}), 400,
        "missing Sec-WebSocket-Key: 400")
    is_(status_of(p, headers={"Sec-WebSocket-Key": "c2hvcnQ="}), 400,
        "Sec-WebSocket-Key not 16 bytes: 400")
    is_(status_of(p, path="/__openclaw__/worker"), 404,
        "upgrade on /__openclaw__/worker: 404")
    is_(status_of(p, path="/__openclaw__/worker/x"), 404,
        "upgrade on /__openclaw__/worker/x: 404")
    is_(status_of(p, path="/some/path?x=1"), 101,
        "upgrade on any other path: 101")
    raw = http_raw(p, ("POST / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: "
                       "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13"
                       "\r\nContent-Length: 0\r\n\r\n" % own).encode(),
                   timeout=3)
    ok(raw.startswith(b"HTTP/1.1 4"), "POST upgrade refused with a 4xx (%r)"
       % raw[:20])
    raw = http_raw(p, ("GET / HTTP/1.0\r\nHost: %s\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: "
                       "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13"
                       "\r\n\r\n" % own).encode(), timeout=3)
    ok(raw.startswith(b"HTTP/1.1 4") or raw.startswith(b"HTTP/1.0 4"),
       "HTTP/1.0 upgrade refused (%r)" % raw[:20])
    # the gateway still works
    ws = operator(gw)
    is_(ws.request("health").get("ok"), True, "gateway fine afterwards")
    ws.close()

done_testing()
