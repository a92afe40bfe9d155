#!/usr/bin/env python3
# The connect handshake (protocol.md 2.1, 2.4, 2.6, 2.7, 14 items 1-3):
# challenge first, hello-ok shape, protocol negotiation, frames that ride
# in the same TCP segment as the upgrade request.
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")
METHODS = ["health", "status", "system-presence", "system-event",
           "last-heartbeat", "config.get", "logs.tail", "agents.list"]
HELLO_KEYS = {"type", "protocol", "server", "features", "snapshot",
              "controlUiUrl", "controlUiTabs", "controlUiWidgetKinds",
              "controlUiLinkReaders", "pluginSurfaceUrls", "auth", "policy"}
SNAPSHOT_KEYS = {"presence", "health", "stateVersion", "uptimeMs",
                 "suspension", "appliedConfigHash", "configPath", "stateDir",
                 "authMode", "sessionDefaults", "controlUiIdentityUrl",
                 "updateAvailable", "updateSchedule"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


with Gateway() as gw:
    gw.start()

    # -- the challenge comes first, unasked
    ws = WS(gw.port)
    is_(ws.status, 101, "upgrade answered 101")
    op, p = ws.recv_frame()
    is_(op, 1, "challenge is a text frame")
    ch = json.loads(p)
    is_((ch.get("type"), ch.get("event")), ("event", "connect.challenge"),
        "first frame is the connect.challenge event")
    ok("seq" not in ch, "challenge has no seq")
    pl = ch.get("payload", {})
    ok(isinstance(pl.get("nonce"), str) and UUID_RE.match(pl["nonce"]),
       "nonce is a uuid")
    ok(is_int(pl.get("ts")) and abs(pl["ts"] - time.time() * 1000) < 60000,
       "ts is an int epoch ms, about now")
    ok(isinstance(pl.get("capabilities", []), list),
       "capabilities, if any, is a list")
    ok(set(ch) <= {"type", "event", "payload", "seq", "stateVersion"},
       "challenge frame has no unknown keys")

    # -- happy connect; the id is echoed exactly
    rid = "1:échö \"quoted\" \\ id/with?odd#chars"
    ws.send_json({"type": "req", "id": rid, "method": "connect",
                  "params": connect_params(
                      scopes=["operator.read", "operator.write"])})
    res = ws.recv()
    is_(res.get("type"), "res", "connect answered by a res")
    is_(res.get("id"), rid, "response id echoed exactly")
    is_(res.get("ok"), True, "connect ok")
    ok(set(res) <= {"type", "id", "ok", "payload", "error"},
       "res frame has no unknown keys")
    h = res.get("payload") or {}
    is_(h.get("type"), "hello-ok", "payload.type hello-ok")
    is_(h.get("protocol"), 4, "protocol 4")
    ok(set(h) <= HELLO_KEYS, "hello-ok has only schema keys: %s" %
       sorted(set(h) - HELLO_KEYS))
    srv = h.get("server", {})
    ok(isinstance(srv.get("version"), str) and srv["version"],
       "server.version NES")
    ok(isinstance(srv.get("connId"), str) and srv["connId"],
       "server.connId NES")
    ok(isinstance(srv.get("bootId"), str) and 1 <= len(srv["bootId"]) <= 96,
       "server.bootId 1..96")
    ok(set(srv) <= {"version", "buildId", "bootId", "controlUiBuildSource",
                    "connId"}, "server has only schema keys")
    f = h.get("features", {})
    is_(sorted(f.get("methods", [])), sorted(METHODS),
        "features.methods is exactly the implemented list")
    ev = f.get("events", [])
    ok(isinstance(ev, list) and all(isinstance(e, str) for e in ev),
       "features.events is a list of names")
    for e in ("connect.challenge", "tick", "presence", "health",
              "shutdown"):
        ok(e in ev, "features.events has %s" % e)
    snap = h.get("snapshot", {})
    ok(set(snap) <= SNAPSHOT_KEYS, "snapshot has only schema keys: %s" %
       sorted(set(snap) - SNAPSHOT_KEYS))
    ok(isinstance(snap.get("presence"), list), "snapshot.presence list")
    ok(any(e.get("mode") == "gateway" and e.get("reason") == "self"
           for e in snap.get("presence", [])),
       "snapshot.presence has the gateway self entry (read scope)")
    ok(isinstance(snap.get("health"), dict), "snapshot.health object")
    sv = snap.get("stateVersion", {})
    ok(set(sv) == {"presence", "health"} and is_int(sv.get("presence")) and
       is_int(sv.get("health")) and sv["presence"] >= 1 and
       sv["health"] >= 1, "snapshot.stateVersion {presence,health} >= 1")
    ok(is_int(snap.get("uptimeMs")) and snap["uptimeMs"] >= 0,
       "snapshot.uptimeMs int >= 0")
    ok("configPath" not in snap, "configPath only for admin sockets")
    is_(h.get("auth", {}).get("method"), "token", "auth.method token")
    is_(h.get("auth", {}).get("role"), "operator", "auth.role operator")
    is_(h.get("auth", {}).get("scopes"), ["operator.read", "operator.write"],
        "auth.scopes = requested scopes")
    pol = h.get("policy", {})
    is_(pol.get("maxPayload"), 26214400, "policy.maxPayload")
    is_(pol.get("maxBufferedBytes"), 52428800, "policy.maxBufferedBytes")
    is_(pol.get("tickIntervalMs"), 30000, "policy.tickIntervalMs default")
    conn1 = srv.get("connId")
    r = ws.request("health")
    is_(r.get("ok"), True, "socket usable after hello-ok")
    ws.close()

    ws2 = operator(gw)
    ok(ws2.hello["server"]["connId"] != conn1, "connId differs per socket")
    is_(ws2.hello["server"]["bootId"], srv.get("bootId"),
        "bootId is the same within one run")
    ws2.close()

    # -- protocol negotiation (2.4)
    ws, res = handshake(gw, connect_params(client_id="openclaw-probe",
                                           mode="probe", minp=3, maxp=4))
    is_(res.get("ok"), True, "probe client 3..4 accepted")
    is_((res.get("payload") or {}).get("protocol"), 4,
        "probe hello-ok still says protocol 4")
    ws.close()

    ws, res = handshake(gw, connect_params(minp=3, maxp=7))
    is_(res.get("ok"), True, "3..7 overlaps 4: accepted")
    ws.close()

    # legacy node v3: negotiation passes; without a device -> not paired
    p = connect_params(client_id="node-host", mode="node", role="node",
                       minp=3, maxp=3, scopes=[])
    ws, res = handshake(gw, p)
    err = res.get("error") or {}
    is_(res.get("ok"), False, "node v3 without device refused")
    is_(err.get("code"), "NOT_PAIRED", "... NOT_PAIRED (not a mismatch)")
    is_((err.get("details") or {}).get("code"), "DEVICE_IDENTITY_REQUIRED",
        "... details.code DEVICE_IDENTITY_REQUIRED")
    is_(ws.expect_close(), (1008, "device identity required"),
        "... close 1008 device identity required")
    ws.close()

    def mismatch(params, name, cmin, cmax):
        ws, res = handshake(gw, params)
        err = res.get("error") or {}
        is_((res.get("ok"), err.get("code"), err.get("message")),
            (False, "INVALID_REQUEST", "protocol mismatch"),
            name + ": INVALID_REQUEST protocol mismatch")
        is_(err.get("details"), {"code": "PROTOCOL_MISMATCH",
                                 "clientMinProtocol": cmin,
                                 "clientMaxProtocol": cmax,
                                 "expectedProtocol": 4,
                                 "minimumProbeProtocol": 3},
            name + ": details")
        is_(ws.expect_close(), (1002, "protocol mismatch"),
            name + ": close 1002 protocol mismatch")
        ws.close()

    mismatch(connect_params(minp=5, maxp=6), "min 5 max 6", 5, 6)
    mismatch(connect_params(minp=3, maxp=3), "cli 3..3 (no N-1 window)", 3, 3)
    mismatch(connect_params(client_id="openclaw-probe", mode="probe",
                            minp=2, maxp=2), "probe 2..2", 2, 2)
    mismatch(connect_params(client_id="node-host", mode="cli", role="node",
                            minp=3, maxp=3), "node role, cli mode, 3..3",
             3, 3)

    # -- the connect frame in the same TCP segment as the upgrade request
    rid = "1:same-segment"
    body = json.dumps({"type": "req", "id": rid, "method": "connect",
                       "params": connect_params()}).encode()
    ws = WS(gw.port, extra=WS.frame(1, body))
    is_(ws.status, 101, "upgrade with a trailing frame: 101")
    ch = ws.recv()
    is_(ch.get("event"), "connect.challenge",
        "challenge still comes first")
    try:
        res = ws.recv(2)
    except (socket.timeout, Closed) as e:
        res = {"error": repr(e)}
    is_((res.get("id"), res.get("ok"),
         (res.get("payload") or {}).get("type")), (rid, True, "hello-ok"),
        "connect riding with the upgrade: hello-ok, no byte lost")
    ws.close()

    # upgrade + connect + three requests in one write
    extra = req_bytes("connect", connect_params(), rid="c") + \
        req_bytes("health", rid="r1") + req_bytes("status", rid="r2") + \
        req_bytes("system-presence", rid="r3")
    ws = WS(gw.port, extra=extra)
    ws.recv()
    got = collect_res(ws, 4, 2)
    is_(got, {"c": True, "r1": True, "r2": True, "r3": True},
        "upgrade+connect+3 requests in one segment: all answered")
    ws.close()

    # connect, then several frames pipelined in the same write
    ws = WS(gw.port)
    ws.recv()
    ids = ["p%d" % i for i in range(8)]
    ws.send_raw(req_bytes("connect", connect_params(), rid="c") +
                b"".join(req_bytes("health" if n % 2 else "status", rid=i)
                         for n, i in enumerate(ids)))
    got = []
    try:
        while len(got) < 9:
            m = ws.recv(3)
            if m.get("type") == "res":
                got.append((m["id"], m.get("ok")))
    except (socket.timeout, Closed) as e:
        diag("stopped: %r" % (e,))
    is_(got, [("c", True)] + [(i, True) for i in ids],
        "frames pipelined right after connect: all answered, in order")
    ws.close()

    # a connect frame split byte by byte over many writes still works
    ws = WS(gw.port)
    ws.recv()
    ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = req_bytes("connect", connect_params(), rid="slow")
    for i in range(0, len(data), 7):
        ws.send_raw(data[i:i + 7])
        if i < 70:
            time.sleep(0.005)
    res = ws.recv()
    is_((res.get("id"), res.get("ok")), ("slow", True),
        "connect frame trickled in small pieces: hello-ok")
    ws.close()

done_testing()
