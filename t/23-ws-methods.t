#!/usr/bin/env python3
# Requests after the handshake (protocol.md 3, 6.1-6.4, 6.13, 7): the
# implemented methods, the role and scope gates, unknown methods, params
# validation, bad frames, and many requests in flight at once.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

# The closed HealthSnapshot, plus what the live answer alone carries
# (modelRuntime; logDropped, the log lines the gateway lost; canvasHost,
# whether the canvas port is listening).
HEALTH_KEYS = {"ok", "ts", "durationMs", "eventLoop", "plugins",
               "contextEngines", "deliveryQueues", "modelPricing",
               "configReload", "channels", "channelOrder", "channelLabels",
               "heartbeatSeconds", "defaultAgentId", "agents", "sessions",
               "modelRuntime", "logDropped", "canvasHost"}
PRESENCE_KEYS = {"host", "clientId", "ip", "version", "platform",
                 "deviceFamily", "modelIdentifier", "timeZone", "mode",
                 "lastInputSeconds", "reason", "tags", "text", "ts",
                 "onlineSince", "lastActivityAt", "deviceId", "roles",
                 "scopes", "instanceId", "user", "watchedSessions"}
READ, WRITE, ADMIN = "operator.read", "operator.write", "operator.admin"


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def err_of(r):
    e = r.get("error") or {}
    return (r.get("ok"), e.get("code"), e.get("message"))


def forbidden(ws, method, scope, name, params=None):
    r = ws.request(method, params)
    is_(err_of(r), (False, "FORBIDDEN", "missing scope: " + scope),
        name + ": FORBIDDEN missing scope: " + scope)
    is_((r.get("error") or {}).get("details"),
        {"code": "MISSING_SCOPE", "missingScope": scope,
         "requiredScopes": [scope]}, name + ": details MISSING_SCOPE")


with Gateway() as gw:
    gw.start()
    admin = operator(gw, scopes=[ADMIN])
    reader = operator(gw, scopes=[READ])
    writer = operator(gw, scopes=[WRITE])
    nobody = operator(gw, scopes=[])

    # -- health (6.1): always allowed
    for ws, who in ((nobody, "scopes []"), (reader, "read")):
        r = ws.request("health")
        is_(r.get("ok"), True, "health allowed with " + who)
    h = r.get("payload") or {}
    ok(set(h) <= HEALTH_KEYS, "health has only schema keys: %s" %
       sorted(set(h) - HEALTH_KEYS))
    is_(h.get("ok"), True, "health.ok true")
    ok(is_int(h.get("ts")) and abs(h["ts"] - time.time() * 1000) < 120000,
       "health.ts epoch ms")
    ok(is_int(h.get("durationMs")), "health.durationMs int")
    s = h.get("sessions") or {}
    ok(isinstance(s.get("path"), str) and s["path"], "sessions.path string")
    ok(is_int(s.get("count")), "sessions.count int")
    ok(isinstance(s.get("recent"), list), "sessions.recent list")
    ok(isinstance(h.get("channels"), dict), "channels object")
    ok(isinstance(h.get("channelOrder"), list), "channelOrder list")
    ok(isinstance(h.get("channelLabels"), dict), "channelLabels object")
    ok(is_int(h.get("heartbeatSeconds")), "heartbeatSeconds int")
    ok(isinstance(h.get("agents"), list), "agents list")
    for a in h.get("agents") or []:
        ok(isinstance(a.get("sessions"), dict), "agent has sessions")
    r = nobody.request("health", {"probe": True})
    is_(r.get("ok"), True, "health {probe:true} allowed")
    ok(r.get("payload", {}).get("ts", 0) >= h.get("ts", 0),
       "probe result is at least as fresh")

    # -- status (6.2)
    r = reader.request("status")
    is_(r.get("ok"), True, "status with read")
    ok(isinstance((r.get("payload") or {}).get("runtimeVersion"), str) and
       r["payload"]["runtimeVersion"], "status.runtimeVersion NES")
    r = reader.request("status", {"includeChannelSummary": False})
    is_(r.get("ok"), True, "status with a valid param")
    r = writer.request("status")
    is_(r.get("ok"), True, "write satisfies read (status)")
    r = admin.request("status")
    is_(r.get("ok"), True, "admin satisfies read (status)")
    forbidden(nobody, "status", READ, "status with scopes []")

    # -- system-presence (6.3)
    r = reader.request("system-presence")
    pl = r.get("payload")
    ok(isinstance(pl, list), "system-presence returns an array")
    pl = pl or []
    selfs = [e for e in pl if e.get("mode") == "gateway" and
             e.get("reason") == "self"]
    is_(len(selfs), 1, "exactly one gateway self entry")
    se = selfs[0] if selfs else {}
    ok(isinstance(se.get("host"), str) and se["host"], "self has host")
    ok(isinstance(se.get("instanceId"), str), "self has instanceId")
    like(se.get("text"), "mode gateway", "self text mentions mode gateway")
    ok(is_int(se.get("ts")), "self has ts")
    ok(all(set(e) <= PRESENCE_KEYS for e in pl),
       "presence entries have only schema keys")
    ts = [e.get("ts", 0) for e in pl]
    is_(ts, sorted(ts, reverse=True), "sorted by ts descending")
    forbidden(nobody, "system-presence", READ, "system-presence, scopes []")

    # -- last-heartbeat (6.13): null when no heartbeat ran
    r = reader.request("last-heartbeat")
    ok(r.get("ok") is True and "payload" in r and r["payload"] is None,
       "last-heartbeat: ok, payload null (%r)" % (r,))

    # -- unknown methods and the scope gate (3, step 4-5)
    r = reader.request("cron.list")
    is_(err_of(r), (False, "INVALID_REQUEST", "unknown method: cron.list"),
        "cron.list (read) with read: unknown method")
    r = writer.request("cron.list")
    is_(err_of(r), (False, "INVALID_REQUEST", "unknown method: cron.list"),
        "cron.list with write: unknown method (write satisfies read)")
    forbidden(nobody, "cron.list", READ, "cron.list with scopes []")
    forbidden(reader, "cron.add", ADMIN, "cron.add (admin) with read")
    forbidden(writer, "cron.add", ADMIN, "cron.add (admin) with write")
    r = admin.request("cron.add")
    is_(err_of(r), (False, "INVALID_REQUEST", "unknown method: cron.add"),
        "cron.add with admin: unknown method")
    forbidden(reader, "send", WRITE, "send (write) with read")
    forbidden(reader, "no.such.method", ADMIN, "unlisted name with read")
    forbidden(writer, "no.such.method", ADMIN, "unlisted name with write")
    r = admin.request("no.such.method")
    is_(err_of(r), (False, "INVALID_REQUEST",
                    "unknown method: no.such.method"),
        "unlisted name with admin: unknown method")
    forbidden(reader, "system-event", ADMIN, "system-event with read",
              {"text": "x"})
    forbidden(writer, "system-event", ADMIN, "system-event with write",
              {"text": "x"})

    # -- role gate: node methods are for role node
    ws = operator(gw, scopes=[ADMIN])
    for i in range(10):
        r = ws.request("node.invoke.result", {"id": "x"})
    is_(err_of(r), (False, "INVALID_REQUEST", "unauthorized role: operator"),
        "node.invoke.result by an operator: unauthorized role: operator")
    r = ws.request("health")
    is_(r.get("ok"), True, "10 role errors: socket still open")
    for i in range(10):
        r = ws.request("node.event")
    r = ws.request("status")
    is_(r.get("ok"), True, "a good call resets the count")
    for i in range(10):
        ws.request("node.invoke.result")
    ws.send_json({"type": "req", "id": "eleventh",
                  "method": "node.invoke.result"})
    msgs, code, reason = drain_until_close(ws, 3)
    ok(any(isinstance(m, dict) and m.get("id") == "eleventh" and
           (m.get("error") or {}).get("message") ==
           "unauthorized role: operator" for m in msgs),
       "11th unauthorized call is answered")
    is_((code, reason), (1008, "repeated unauthorized calls"),
        "11 in a row: close 1008 repeated unauthorized calls")
    ws.close()

    # -- params validation (3, step 6)
    r = reader.request("status", {"includeChannelSummary": "yes"})
    e = err_of(r)
    is_(e[:2], (False, "INVALID_REQUEST"), "status bad type: INVALID_REQUEST")
    ok((e[2] or "").startswith(
        "invalid status params: at /includeChannelSummary: "),
       "... 'invalid status params: at /includeChannelSummary: …' (%r)" %
       (e[2],))
    r = reader.request("status", {"bogus": 1})
    e = err_of(r)
    ok(e[1] == "INVALID_REQUEST" and
       (e[2] or "").startswith("invalid status params: ") and
       "bogus" in e[2], "status extra key: invalid status params, names it")
    r = reader.request("status", [1])
    e = err_of(r)
    ok(e[1] == "INVALID_REQUEST" and
       (e[2] or "").startswith("invalid status params: "),
       "status params an array: invalid status params (%r)" % (e[2],))
    r = admin.request("system-event", {})
    e = err_of(r)
    ok(e[1] == "INVALID_REQUEST" and "text" in (e[2] or ""),
       "system-event without text: INVALID_REQUEST naming text (%r)" %
       (e[2],))
    for blank in ("", "   ", "\t\n"):
        r = admin.request("system-event", {"text": blank})
        is_(err_of(r), (False, "INVALID_REQUEST", "text required"),
            "system-event text %r: text required" % blank)
    r = admin.request("system-event", {"text": "x", "lastInputSeconds": "5"})
    like((r.get("error") or {}).get("message"),
         "invalid system-event params: at /lastInputSeconds",
         "system-event bad field type: invalid system-event params")

    # -- system-event updates presence and bumps stateVersion.presence
    v0 = operator(gw, scopes=[READ])
    sv0 = v0.hello["snapshot"]["stateVersion"]["presence"]
    v0.close()
    line = ("Node: beacon-host (10.9.8.7) \u00b7 app 1.2.3 \u00b7 last input"
            " 42s ago \u00b7 mode ui \u00b7 reason periodic")
    r = admin.request("system-event", {"text": line, "deviceId": "Dev-Beacon",
                                       "platform": "linux"})
    is_((r.get("ok"), r.get("payload")), (True, {"ok": True}),
        "system-event with admin: {ok:true}")
    r = reader.request("system-presence")
    ents = [e for e in r.get("payload") or []
            if e.get("deviceId") == "Dev-Beacon"]
    is_(len(ents), 1, "a presence row for the beacon")
    e = ents[0] if ents else {}
    is_((e.get("host"), e.get("ip"), e.get("version"), e.get("mode"),
         e.get("reason"), e.get("lastInputSeconds"), e.get("platform")),
        ("beacon-host", "10.9.8.7", "1.2.3", "ui", "periodic", 42, "linux"),
        "beacon line parsed into fields")
    is_(e.get("text"), line, "row text is the beacon text")
    v1 = operator(gw, scopes=[READ])
    sv1 = v1.hello["snapshot"]["stateVersion"]["presence"]
    v1.close()
    ok(sv1 > sv0, "stateVersion.presence bumped (%s -> %s)" % (sv0, sv1))
    r = admin.request("system-event", {"text": "again", "deviceId":
                                       "dev-beacon", "host": "other-host"})
    r = reader.request("system-presence")
    ents = [e for e in r.get("payload") or []
            if (e.get("deviceId") or "").lower() == "dev-beacon"]
    is_(len(ents), 1, "same deviceId (case-insensitive key): merged row")
    e = ents[0] if ents else {}
    is_((e.get("host"), e.get("ip"), e.get("text")),
        ("other-host", "10.9.8.7", "again"),
        "merge: host updated, ip kept, text replaced")

    # -- malformed JSON after auth (also a non-UTF-8 binary frame):
    #    ignored, no answer, socket usable
    reader.send_text(b'{"type":"req","id":')
    reader.send_frame(2, b'\xff not json')    # binary, not UTF-8
    reader.send_json({"type": "req", "id": "after-bad", "method": "health"})
    m = reader.recv_until(lambda m: m.get("type") == "res", 3)
    is_(m.get("id"), "after-bad",
        "malformed JSON ignored: next answer is for the next request")

    # -- a frame that is not a valid req after auth
    def bad_frame(frame, want_id, name):
        reader.send_json(frame)
        m = reader.recv_until(lambda m: m.get("type") == "res", 3)
        e = m.get("error") or {}
        is_((m.get("id"), m.get("ok"), e.get("code")),
            (want_id, False, "INVALID_REQUEST"),
            name + ": res id %r INVALID_REQUEST" % want_id)
        ok((e.get("message") or "").startswith("invalid request frame: "),
           name + ": 'invalid request frame: …' (%r)" % e.get("message"))

    bad_frame([1, 2], "invalid", "array")
    bad_frame({"type": "event", "event": "x"}, "invalid", "event frame")
    bad_frame({"type": "req", "id": "no-method"}, "no-method",
              "req without method")
    bad_frame({"type": "req", "id": "xk", "method": "health", "bogus": 1},
              "xk", "req with extra key")
    bad_frame({"type": "req", "id": "tp", "method": "health",
               "traceparent": "0" * 129}, "tp", "traceparent > 128")
    bad_frame({"type": "res", "id": "rr", "ok": True}, "rr", "res frame")
    r = reader.request("health", rid="tp-ok")
    is_(r.get("ok"), True, "socket still usable after bad frames")
    reader.send_json({"type": "req", "id": "tp2", "method": "health",
                      "traceparent": "garbage"})
    m = reader.recv_until(lambda m: m.get("id") == "tp2", 3)
    is_(m.get("ok"), True, "a malformed short traceparent is ignored")

    # -- many requests in flight
    ids = ["c%02d:%s" % (i, uuid.uuid4()) for i in range(50)]
    meths = ["health", "status", "system-presence", "last-heartbeat"]
    reader.send_raw(b"".join(req_bytes(meths[i % 4], rid=rid)
                             for i, rid in enumerate(ids)))
    got = collect_res(reader, 50, 5)
    is_(sorted(got), sorted(ids), "50 requests in one write: 50 responses, "
        "ids match")
    ok(all(got.values()), "all 50 ok")
    # the same, one frame per write, without waiting
    ids = ["d%02d" % i for i in range(50)]
    for rid in ids:
        reader.send_raw(req_bytes("health", rid=rid))
    got = []
    try:
        while len(got) < 50:
            m = reader.recv(5)
            if m.get("type") == "res":
                got.append(m["id"])
    except (socket.timeout, Closed) as e:
        diag("stopped after %d: %r" % (len(got), e))
    is_(sorted(got), sorted(ids), "50 back-to-back writes: all answered")

    for ws in (admin, reader, writer, nobody):
        ws.close()

done_testing()
