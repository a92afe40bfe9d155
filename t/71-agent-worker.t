#!/usr/bin/env python3
# The agent worker (issue 9 section 1): a role of the table, started,
# supervised and restarted like the others; ws forwards the methods it
# serves over their channel (scope and params checked in ws first) and
# routes each answer back to its caller.  agents.list: the implicit
# agent `main` plus the agents with a directory under <stateDir>/agents,
# each with its workspace (features.md 1.3).  A call in flight when the
# agent worker dies is answered UNAVAILABLE; a killed agent worker is
# started again and serves; an in-place restart brings a new one.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *


def agents(gw, **kw):
    ws = operator(gw, **kw)
    r = ws.request("agents.list")
    ws.close()
    return r


with Gateway() as gw:
    state = gw.state
    for d in ("Ops", "bad.name", "main", "zeta_2", "-dash"):
        os.makedirs(os.path.join(state, "agents", d), exist_ok=True)
    with open(os.path.join(state, "agents", "afile"), "w") as f:
        f.write("not an agent")
    gw.start()
    pid = gw.worker_pid("agent")
    ok(pid, "an agent worker runs (pid %s)" % pid)
    ws = operator(gw)
    ok("agents.list" in ws.hello["features"]["methods"],
       "hello-ok advertises agents.list")
    ws.close()

    r = agents(gw)
    pl = r.get("payload") or {}
    is_(r.get("ok"), True, "agents.list answers (%s)" % r.get("error"))
    is_((pl.get("defaultId"), pl.get("ownership"), pl.get("mainKey"),
         pl.get("selectionRequired")), ("main", "sole", "main", False),
        "the implicit agent main is the sole owner")
    ids = [a.get("id") for a in pl.get("agents") or []]
    is_(ids, ["main", "ops", "zeta_2"],
        "main first, then the agent directories, lowercased and sorted; "
        "invalid names and files skipped")
    ws_of = {a["id"]: a.get("workspace") for a in pl.get("agents") or []}
    is_(ws_of.get("main"), os.path.join(state, "workspace"),
        "main's workspace: <stateDir>/workspace")
    is_(ws_of.get("ops"), os.path.join(state, "workspace-ops"),
        "another agent's: <stateDir>/workspace-<id>")

    r = operator(gw).request("agents.list", {"x": 1})
    is_((r.get("error") or {}).get("code"), "INVALID_REQUEST",
        "extra params refused in ws, as for its own methods")
    r = agents(gw, scopes=[])
    is_((r.get("error") or {}).get("code"), "FORBIDDEN",
        "a caller without operator.read is refused")

    # Many callers at once, each gets its own answer.
    socks = [operator(gw) for _ in range(20)]
    for i, s in enumerate(socks):
        s.send_json({"type": "req", "id": "r%d" % i,
                     "method": "agents.list"})
    got = [s.recv_until(lambda m: m.get("type") == "res")
           for s in socks]
    ok(all(g and g.get("ok") and g.get("id") == "r%d" % i
           for i, g in enumerate(got)),
       "20 concurrent callers each get their answer, by id")
    for s in socks:
        s.close()

    # A call the agent worker never answers (it is stopped, then killed):
    # ws answers it itself when the channel closes, no client waits on.
    ws = operator(gw)
    os.kill(pid, signal.SIGSTOP)
    ws.send_json({"type": "req", "id": "held", "method": "agents.list"})
    time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    r = ws.recv_until(lambda m: m.get("type") == "res", 10)
    is_(((r.get("error") or {}).get("code"), r.get("id")),
        ("UNAVAILABLE", "held"),
        "a call in flight when the agent worker dies gets UNAVAILABLE")
    ws.close()
    new = wait_for(lambda: (lambda p: p if p and p != pid else None)(
        gw.worker_pid("agent")), 10)
    ok(new, "a killed agent worker is started again")
    r = wait_for(lambda: (lambda x: x if x.get("ok") else None)(agents(gw)),
                 10)
    ok(r, "and serves agents.list again")

    before = gw.worker_pid("agent")
    os.kill(gw.proc.pid, signal.SIGUSR1)
    ok(wait_for(lambda: "restart: generation 1 gone" in gw.output(), 15),
       "an in-place restart completes with the agent worker")
    after = gw.worker_pid("agent")
    ok(after and after != before, "a new agent worker serves after it")
    is_((agents(gw).get("payload") or {}).get("defaultId"), "main",
        "and answers")
    is_(gw.stop(), 0, "stops with 0")

done_testing()
