#!/usr/bin/env python3
# Supervision policy (issue 8 §3): a worker that keeps dying comes back
# after 100 ms doubling (to 30 s at most), each delay moved by up to
# +/- 20 % (jitter); the tenth death of one role within five minutes is a
# crash loop: one error line, the other workers drained, the master exits
# 1 so that the service manager (Restart=always, KeepAlive) takes over.
# The ws worker is killed (SIGKILL) as soon as each new one appears: the
# delays add up to 100 + 200 + ... + 25600 ms = 51.1 s (+/- 20 %).
# (A worker exit 78, never respawned: t/36; the respawn itself: t/43.)
import os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

DEATHS = 10                 # SUPERVISE_LOOP_DEATHS
BACKOFF_MIN, BACKOFF_MAX = 100, 30000
JITTER = 0.20

LOOP = r"worker ws died 10 times within 300 s: a crash loop"

with Gateway(expect_errors=[LOOP]) as gw:
    gw.start()
    others = [gw.worker_pid("http"), gw.worker_pid("canvas")]
    t0 = time.time()
    killed = []
    for i in range(DEATHS):
        # the worker the respawn made: wait for it, then kill it
        pid = wait_for(lambda: (lambda p: p if p and p not in killed
                                else None)(gw.worker_pid("ws")), 45)
        if not pid or gw.proc.poll() is not None:
            break
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    is_(len(killed), DEATHS, "ws killed %d times, each as soon as it was "
        "back (%.1f s)" % (len(killed), time.time() - t0))

    rc = None
    try:
        rc = gw.proc.wait(20)
    except subprocess.TimeoutExpired:
        pass
    is_(rc, 1, "the tenth death within five minutes: the master exits 1 "
        "(%.1f s after the first kill)" % (time.time() - t0))
    out = gw.output()
    is_(len(re.findall(LOOP, out)), 1, "one error line says why")
    ok(re.search(r" error .*" + LOOP + r".*exit status 1", out),
       "at level error, with the exit status")
    ok(wait_pids_gone([p for p in others if p], 5),
       "the other workers are gone too")
    ok(re.search(r"worker http \(pid %d\) exited with status 0" % others[0],
                 out), "http was drained (exit 0), not killed")
    ok(wait_for(lambda: port_bindable(gw.port), 5), "the port is free")

    # The delays the master chose (its log), in order.
    delays = [int(x) for x in
              re.findall(r"respawning worker ws in (\d+) ms", out)]
    diag("respawn delays (ms): %s" % delays)
    is_(len(delays), DEATHS - 1, "nine respawns before the crash loop")
    bases = [min(BACKOFF_MIN << i, BACKOFF_MAX) for i in range(len(delays))]
    off = [(d, b) for d, b in zip(delays, bases)
           if not b * (1 - JITTER) <= d <= b * (1 + JITTER)]
    is_(off, [], "each delay within 20 %% of 100 ms doubling: %s" % bases)
    ok(delays != bases, "the delays are jittered, not the exact doubling")
    ok(max(delays or [0]) > 10000 * (1 + JITTER),
       "the backoff goes past 10 s (its cap is 30 s)")
    ok(not re.search(r"respawning worker ws", out[out.find("crash loop"):]),
       "nothing respawned after the crash loop")

done_testing()
