#!/usr/bin/env python3
# The per-IP budget of unauthenticated sockets (protocol.md 2.1, 32) must
# not let a local process lock the local CLI out: with 32 silent sockets
# held from 127.0.0.1, a client with the right token still gets hello-ok
# at once.  On 127.0.0.1 (and ::1) a full budget closes the oldest
# unauthenticated socket (1013) instead of refusing the newcomer; the
# silent ones stay bounded by the budget.  Other addresses keep the 503.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

PER_IP = 32
MORE = 10 if QUICK else 40


def silent(port, source=None):
    w = WS(port, source=source)
    if w.status == 101:
        w.recv()            # the challenge; then nothing more is sent
    return w


def server_closed(w, timeout=0.05):
    """The close code the server sent on w, or None if it is still open."""
    if w.close_code is not None:
        return w.close_code
    try:
        w.recv_frame(timeout)
    except Closed as e:
        return e.code
    except (socket.timeout, BlockingIOError):
        return None
    except OSError:
        return 1006
    return None


with Gateway() as gw:
    gw.start()
    p = gw.port
    held = [silent(p) for _ in range(PER_IP)]
    is_([w.status for w in held], [101] * PER_IP,
        "%d silent sockets from 127.0.0.1: 101 each" % PER_IP)

    # the local CLI still gets through
    t0 = time.time()
    try:
        cli = operator(gw)
        r = cli.request("health")
    except (OSError, AssertionError, Closed, ValueError, RuntimeError) as e:
        cli, r = None, {"error": repr(e)}
    dt = time.time() - t0
    is_(r.get("ok"), True, "a client with the right token gets hello-ok and "
        "a health answer past the full budget (%r)" % r.get("error"))
    ok(dt < 1.0, "... at once (%.0f ms)" % (dt * 1000))
    ok(cli and wait_for(lambda: server_closed(held[0]) is not None, 3),
       "the oldest silent socket made room")
    is_(held[0].close_code, 1013, "... closed with 1013")
    like(held[0].close_reason or "", "unauthenticated",
         "... saying why (%r)" % held[0].close_reason)
    is_([server_closed(w) for w in held[1:]], [None] * (PER_IP - 1),
        "the other silent sockets are untouched")

    # more silent sockets: each one closes an older one, never more than
    # the budget held at once
    more = [silent(p) for _ in range(MORE)]
    is_(sum(1 for w in more if w.status == 101), MORE,
        "%d more silent sockets are let in" % MORE)
    time.sleep(0.3)
    alive = [w for w in held + more
             if w.status == 101 and server_closed(w) is None]
    is_(len(alive), PER_IP, "... and the silent ones still open number "
        "exactly the budget (%d)" % len(alive))
    ok(all(w in alive for w in more[-(PER_IP - 1):]),
       "... the newest ones: it is the oldest that go")
    if cli:
        r = cli.request("health")
        is_(r.get("ok"), True, "the authenticated client is never evicted")
        cli.close()
    else:
        ok(0, "the authenticated client is never evicted")
    for w in held + more:
        w.close()

    # another address keeps the reference's answer: 503 over the budget
    try:
        other = [silent(p, source="127.0.0.2") for _ in range(PER_IP + 1)]
        is_([w.status for w in other], [101] * PER_IP + [503],
            "127.0.0.2: %d silent sockets, then 503" % PER_IP)
        for w in other:
            w.close()
    except OSError as e:
        ok(1, "# skip: cannot bind 127.0.0.2 (%s)" % e)

done_testing()
