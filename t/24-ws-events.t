#!/usr/bin/env python3
# Events after hello-ok (protocol.md 1 keepalive, 4.1-4.3, 5): tick,
# per-connection seq, WS ping/pong both ways, presence broadcasts, which
# clients are tracked, presence TTL and cap, coalesced broadcasts.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

READ = "operator.read"


def collect(ws, secs, answer_pings=True):
    """Every frame for secs seconds: list of (t, opcode, json-or-bytes)."""
    out = []
    end = time.time() + secs
    while True:
        left = end - time.time()
        if left <= 0:
            break
        try:
            op, p = ws.recv_frame(left)
        except socket.timeout:
            break
        if op == 9 and answer_pings:
            ws.send_frame(10, p)
        if op in (1, 2):
            p = json.loads(p)
        out.append((time.time(), op, p))
    return out


def collect_many(socks, secs):
    """collect() over several sockets at once (each answers its pings);
    returns one frame list per socket."""
    import select
    out = [[] for _ in socks]
    end = time.time() + secs
    while True:
        left = end - time.time()
        if left <= 0:
            break
        ready = [i for i, ws in enumerate(socks) if ws.buf]
        if not ready:
            r, _, _ = select.select([ws.sock for ws in socks], [], [], left)
            ready = [i for i, ws in enumerate(socks) if ws.sock in r]
        for i in ready:
            try:
                op, p = socks[i].recv_frame(2)
            except socket.timeout:
                continue
            if op == 9:
                socks[i].send_frame(10, p)
            if op in (1, 2):
                p = json.loads(p)
            out[i].append((time.time(), op, p))
    return out


def events(frames, name=None):
    return [p for _, op, p in frames if op == 1 and p.get("type") == "event"
            and (name is None or p.get("event") == name)]


def ui(gw, scopes=(READ,), **kw):
    return operator(gw, scopes=list(scopes), client_id="openclaw-control-ui",
                    mode="ui", **kw)


def webchat(gw, scopes, display):
    p = connect_params(scopes=scopes, client_id="webchat", mode="webchat")
    p["client"]["displayName"] = display
    ws, res = handshake(gw, p)
    if not res.get("ok"):
        raise RuntimeError("connect refused: %r" % (res,))
    ws.hello = res["payload"]
    return ws


# ------------------------------------------- tick, seq, ping/pong keepalive
with Gateway(env={"OPENCLAW_TICK_INTERVAL_MS": "200",
                  "OPENCLAW_PING_INTERVAL_MS": "300"}) as gw:
    gw.start()
    a = operator(gw)
    is_(a.hello["policy"]["tickIntervalMs"], 200,
        "hello-ok.policy.tickIntervalMs follows the configured tick")
    t0 = time.time()
    fr = collect(a, 0.55)
    # a tracked client connecting in the middle: a presence event too
    b = ui(gw)
    fa, fb = collect_many([a, b], 0.65)
    fr += fa
    evs = events(fr)
    ticks = events(fr, "tick")
    ok(4 <= len(ticks) <= 8, "about 6 ticks in 1.2 s at 200 ms (%d)" %
       len(ticks))
    ok(all(set(t) == {"type", "event", "payload", "seq"} for t in ticks),
       "tick frames carry no stateVersion")
    ok(all(set(t["payload"]) == {"ts"} and isinstance(t["payload"]["ts"], int)
           for t in ticks), "tick payload is exactly {ts}")
    tts = [t["payload"]["ts"] for t in ticks]
    ok(tts == sorted(tts) and all(abs(x - time.time() * 1000) < 60000
                                  for x in tts), "tick ts increasing, now")
    gaps = [y - x for x, y in zip(tts, tts[1:])]
    ok(gaps and all(100 <= g <= 400 for g in gaps),
       "ticks about 200 ms apart (%s)" % gaps)
    pres = events(fr, "presence")
    ok(len(pres) >= 1, "a presence event arrived among the ticks")
    seqs = [e.get("seq") for e in evs]
    is_(seqs, list(range(1, len(evs) + 1)),
        "seq starts at 1 and increments by 1 across event kinds")
    bevs = events(fb)
    ok(bevs and bevs[0].get("seq") == 1,
       "another socket numbers its own events from 1 (%s)" %
       [e.get("seq") for e in bevs])
    pings = [1 for _, op, _ in fr if op == 9]
    ok(len(pings) >= 2, "server pings every 300 ms (%d pings in 1.2 s)" %
       len(pings))
    ok(time.time() - t0 > 1.0 and a.request("health").get("ok"),
       "a client answering pings stays connected > 1 s")

    # client ping -> pong with the same payload
    for payload in (b"", b"hello-ping", bytes(range(125))):
        a.send_frame(9, payload)
        fr = collect(a, 0.1)
        while not any(op == 10 for _, op, _ in fr):
            more = collect(a, 0.5)
            if not more:
                break
            fr += more
        pongs = [p for _, op, p in fr if op == 10]
        is_(pongs[:1], [payload],
            "ping of %d bytes answered by a pong with that payload" %
            len(payload))
    a.send_frame(10, b"unsolicited")
    is_(a.request("health").get("ok"), True, "an unsolicited pong is ignored")

    a.close()
    b.close()

    # a client that never answers pings is cut
    c = operator(gw)
    t0 = time.time()
    closed = None
    saw_ping = False
    while time.time() - t0 < 3:
        try:
            op, p = c.recv_frame(3 - (time.time() - t0))
            saw_ping |= op == 9
        except Closed as e:
            closed = e.code
            break
        except socket.timeout:
            break
        except OSError:
            closed = 1006
            break
    took = time.time() - t0
    ok(saw_ping, "the silent client was pinged")
    ok(closed is not None, "a client that never answers pings is closed "
       "(%s after %.2fs)" % (closed, took))
    ok(took < 2.0, "... within a couple of ping intervals")
    c.close()
    a = operator(gw)
    is_(a.request("health").get("ok"), True, "the gateway is fine")
    a.close()

# ------------------------------------------- presence TTL, pong freshness
with Gateway(env={"OPENCLAW_PRESENCE_TTL_MS": "500",
                  "OPENCLAW_PING_INTERVAL_MS": "150"}) as gw:
    gw.start()
    obs = ui(gw)
    fr = collect(obs, 0.2)
    pres = events(fr, "presence")
    ok(pres and any(e.get("clientId") == "openclaw-control-ui" and
                    e.get("reason") == "connect"
                    for e in pres[-1]["payload"]["presence"]),
       "a tracked client sees its own row after hello-ok")
    other = operator(gw, scopes=[READ], client_id="webchat", mode="webchat")
    fr = collect(obs, 0.25)
    other.close()
    fr += collect(obs, 0.2)

    def rows(ev):
        return [(e.get("clientId"), e.get("reason"))
                for e in ev["payload"]["presence"]]
    pres = events(fr, "presence")
    ok(any(("webchat", "connect") in rows(e) for e in pres),
       "presence event with the new client's row (reason connect)")
    ok(any(("webchat", "disconnect") in rows(e) for e in pres),
       "after it leaves: its row with reason disconnect")
    t_gone = time.time()
    fr = collect(obs, 1.0)
    pres = events(fr, "presence")
    gone = [e for e in pres if ("webchat", "disconnect") not in rows(e)]
    ok(gone, "the disconnected row disappears after the TTL")
    if gone:
        ok(any(e.get("mode") == "gateway" and e.get("reason") == "self"
               for e in gone[0]["payload"]["presence"]),
           "... while the self entry stays")
    r = obs.request("system-presence")
    ids = [(e.get("clientId"), e.get("reason")) for e in r.get("payload", [])]
    ok(("webchat", "disconnect") not in ids, "system-presence: row gone")
    ok(any(e.get("reason") == "self" for e in r.get("payload", [])),
       "system-presence: self stays")
    # connected for 1.5 s (3 TTLs), answering every ping: still present
    ok(("openclaw-control-ui", "connect") in ids,
       "a connected client answering pings keeps its row past the TTL "
       "(pong refreshes presence ts, protocol.md 1)")
    obs.close()

# ---------------------------------- presence broadcast, tracking, cap, load
with Gateway(env={"OPENCLAW_MAX_PREAUTH_CONNECTIONS_PER_IP": "200"}) as gw:
    gw.start()
    obs = ui(gw)
    noread = ui(gw, scopes=[])
    is_(noread.hello["snapshot"]["presence"], [],
        "snapshot.presence [] without operator.read")
    collect(obs, 0.3)
    collect(noread, 0.01)
    sv0 = obs.hello["snapshot"]["stateVersion"]["presence"]
    w = webchat(gw, [READ, "operator.write"], "Web Chat")
    wconn = w.hello["server"]["connId"]
    fr = collect(obs, 0.4)
    pres = events(fr, "presence")
    is_(len(pres), 1, "one presence event for one connect")
    ev = pres[-1] if pres else {"payload": {"presence": []}}
    ok(set(ev) == {"type", "event", "payload", "seq", "stateVersion"},
       "presence event carries seq and stateVersion")
    sv = ev.get("stateVersion") or {}
    ok(sv.get("presence", 0) > sv0 and isinstance(sv.get("health"), int),
       "stateVersion.presence incremented (%s -> %s)" %
       (sv0, sv.get("presence")))
    row = [e for e in ev["payload"]["presence"]
           if e.get("clientId") == "webchat"]
    is_(len(row), 1, "one row for the new client")
    row = row[0] if row else {}
    is_((row.get("host"), row.get("mode"), row.get("reason"),
         row.get("roles"), row.get("version"), row.get("platform")),
        ("Web Chat", "webchat", "connect", ["operator"], "2026.9.6",
         "linux"), "row fields (host = displayName)")
    is_(sorted(row.get("scopes") or []), [READ, "operator.write"],
        "row scopes")
    ok("ip" not in row, "no ip for a loopback client")
    ok(isinstance(row.get("instanceId"), str), "row instanceId")
    r = obs.request("system-presence")
    is_(len([e for e in r.get("payload", []) if e.get("clientId") ==
             "webchat"]), 1, "system-presence shows the row")
    is_(events(collect(noread, 0.2), "presence"), [],
        "a socket without operator.read gets no presence events")
    r = noread.request("system-presence")
    is_((r.get("ok"), r.get("error", {}).get("code")), (False, "FORBIDDEN"),
        "... nor system-presence")

    # two sockets of the same client: one row each (key = connId)
    w2 = webchat(gw, [READ], "Web Chat")
    collect(obs, 0.3)
    r = obs.request("system-presence")
    is_(len([e for e in r.get("payload", []) if e.get("clientId") ==
             "webchat"]), 2, "one row per tracked socket")
    w.close()
    w2.close()
    collect(obs, 0.3)

    # cli / probe / backend are not tracked
    before = [e.get("instanceId") for e in
              obs.request("system-presence")["payload"]]
    eph = [operator(gw, client_id="cli", mode="cli"),
           operator(gw, client_id="openclaw-probe", mode="probe", minp=3),
           operator(gw, client_id="gateway-client", mode="backend")]
    fr = collect(obs, 0.25)
    is_(events(fr, "presence"), [],
        "cli, probe and backend connects broadcast no presence")
    after = [e.get("instanceId") for e in
             obs.request("system-presence")["payload"]]
    is_(after, before, "... and add no presence row")
    for ws in eph:
        ws.close()
    is_(events(collect(obs, 0.25), "presence"), [],
        "... nor when they leave")

    # the table holds at most 200 entries (+ the self entry)
    adm = operator(gw, scopes=["operator.admin"])
    for i in range(210):
        adm.send_raw(req_bytes("system-event", {
            "text": "beacon %d" % i, "deviceId": "cap-%03d" % i},
            rid="cap%d" % i))
    adm.recv_until(lambda m: m.get("id") == "cap209", 10)
    r = adm.request("system-presence")
    pl = r.get("payload") or []
    ok(200 <= len(pl) <= 201, "at most 200 entries + self (%d)" % len(pl))
    devs = {e.get("deviceId") for e in pl}
    ok(any(e.get("reason") == "self" for e in pl), "self entry kept")
    ok("cap-209" in devs and "cap-000" not in devs,
       "the oldest entries were dropped, the newest kept")
    adm.close()
    collect(obs, 0.3)

    # 50 tracked clients at once: presence broadcasts are coalesced
    socks = [WS(gw.port) for _ in range(50)]
    for ws in socks:
        ws.recv()
    for ws in socks:
        ws.send_raw(req_bytes("connect", connect_params(
            client_id="webchat", mode="webchat", scopes=[READ]), rid="c"))
    okc = 0
    for ws in socks:
        try:
            m = ws.recv_until(lambda m: m.get("type") == "res", 5)
            okc += bool(m.get("ok"))
        except (socket.timeout, Closed):
            pass
    is_(okc, 50, "50 tracked clients connected")
    fr = collect(obs, 0.7)
    pres = events(fr, "presence")
    ok(1 <= len(pres) < 25, "50 connects -> %d presence events at an "
       "observer (coalesced, not 50)" % len(pres))
    if pres:
        last = pres[-1]["payload"]["presence"]
        is_(len([e for e in last if e.get("clientId") == "webchat" and
                 e.get("reason") == "connect"]), 50,
            "the last presence event lists all 50")
    for ws in socks:
        ws.close()
    noread.close()

    # on SIGTERM: a shutdown event, then close 1012 service restart
    collect(obs, 0.1)
    gw.proc.send_signal(signal.SIGTERM)
    msgs, code, reason = drain_until_close(obs, 5)
    sd = [m for m in msgs if isinstance(m, dict) and
          m.get("event") == "shutdown"]
    is_(len(sd), 1, "SIGTERM: one shutdown event")
    sd = sd[0] if sd else {}
    ok(isinstance((sd.get("payload") or {}).get("reason"), str) and
       sd["payload"]["reason"], "shutdown payload has a reason (%r)" %
       (sd.get("payload"),))
    ok(isinstance(sd.get("seq"), int), "shutdown is a broadcast with a seq")
    is_((code, reason), (1012, "service restart"),
        "then close 1012 service restart")
    obs.close()

done_testing()
