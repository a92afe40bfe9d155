#!/usr/bin/env python3
# The failed-auth rate limiter (protocol.md 2.5) outlives the ws worker:
# its counts and lockouts live in the shared-memory region, so a client IP
# locked out before a ws crash (kill -9, respawned by the master) is still
# locked out after it, until lockoutMs; failures counted before the crash
# still count; other addresses are not affected.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

LOCKOUT_MS = 8000
RL = {"gateway": {"auth": {"rateLimit": {
    "maxAttempts": 3, "windowMs": 60000, "lockoutMs": LOCKOUT_MS,
    "exemptLoopback": False}}}}


def attempt(port, token="test-token", source=None):
    """One connect; returns (ok, details.code, retryAfterMs)."""
    ws, res = handshake(port, connect_params(token=token), source=source)
    ws.close()
    err = res.get("error") or {}
    return (res.get("ok"), (err.get("details") or {}).get("code"),
            err.get("retryAfterMs"))


def can_bind(ip):
    s = socket.socket()
    try:
        s.bind((ip, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


OTHER = "127.0.0.3" if can_bind("127.0.0.3") else None

with Gateway(config=RL) as gw:
    gw.start()
    p = gw.port
    for i in range(3):
        is_(attempt(p, token="bad-%d" % i)[1], "AUTH_TOKEN_MISMATCH",
            "127.0.0.1: bad token %d" % (i + 1))
    t_locked = time.time()
    is_(attempt(p)[1], "AUTH_RATE_LIMITED", "127.0.0.1 is locked out")
    if OTHER:
        for i in range(2):
            is_(attempt(p, token="bad-%d" % i, source=OTHER)[1],
                "AUTH_TOKEN_MISMATCH", "%s: bad token %d" % (OTHER, i + 1))

    # the ws worker crashes and the master starts another
    old = gw.worker_pid("ws")
    os.kill(old, signal.SIGKILL)
    new = wait_for(lambda: (lambda q: q if q and q != old else None)(
        gw.worker_pid("ws")), 10)
    ok(new, "a new ws worker replaces the killed one (%s -> %s)" %
       (old, new))

    def answered():
        try:
            return attempt(p)
        except (OSError, AssertionError, Closed, ValueError):
            return None
    r = wait_for(answered, 10, 0.1)
    left = LOCKOUT_MS / 1000.0 - (time.time() - t_locked)
    diag("the new worker answers %.1f s after the lockout began" %
         (time.time() - t_locked))
    ok(r and left > 0.5, "... and answers within the lockout (%.1f s left)"
       % left)
    is_(r and r[1], "AUTH_RATE_LIMITED", "after the respawn 127.0.0.1 with "
        "the right token is still locked out")
    ok(r and isinstance(r[2], int) and 0 < r[2] <= LOCKOUT_MS,
       "... with 0 < retryAfterMs <= lockoutMs (%r)" % (r and r[2],))
    if OTHER:
        is_(attempt(p, token="bad-x", source=OTHER)[1],
            "AUTH_TOKEN_MISMATCH", "%s: a 3rd bad token after the respawn"
            % OTHER)
        is_(attempt(p, source=OTHER)[1], "AUTH_RATE_LIMITED",
            "... locks it out: the two before the crash still counted")
    else:
        ok(1, "# skip: cannot bind 127.0.0.3")
        ok(1, "# skip: cannot bind 127.0.0.3")
    try:
        res = attempt(p, source="127.0.0.2")
        is_(res[0], True, "another client IP is not locked out")
    except OSError as e:
        ok(1, "# skip: cannot bind 127.0.0.2 (%s)" % e)

    # the lockout still ends on time
    left = LOCKOUT_MS / 1000.0 + 0.2 - (time.time() - t_locked)
    if left > 0:
        time.sleep(left)
    is_(attempt(p)[0], True, "after lockoutMs the right token is admitted")

done_testing()
