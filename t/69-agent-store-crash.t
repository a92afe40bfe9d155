#!/usr/bin/env python3
# The agent's session store survives kill -9 at any moment (issue 9 §4):
# t/helpers/agent-store-crash appends messages to one session (some of
# 100 KiB, a /reset every 400) and prints each seq once its transaction
# has committed; it is killed with SIGKILL at a random moment, 20 times
# on the same file (the first time as soon as the file appears, while the
# store sets it up).
# After each kill, with Python's own sqlite3: PRAGMA integrity_check is
# ok, no foreign key dangles, every message printed is there, and every
# window's seqs are 1..last_seq without a gap.  Then a clean run still
# opens and writes the file.  QUICK=1 kills sooner (smaller file).
import os, random, shutil, signal, sqlite3, subprocess, sys, tempfile
import threading, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

BUILD = os.environ.get("OPENCLAW_TOP_BUILDDIR") or os.path.dirname(BIN)
WRITER = os.path.join(BUILD, "t", "helpers", "agent-store-crash")
ROUNDS = 20
MAX_DELAY = 0.15 if QUICK else 0.6


def run_and_kill(state, delay, path=None):
    """Start the writer, SIGKILL it after delay s (or as soon as path
    exists): (lines, status, stderr)."""
    p = subprocess.Popen([WRITER, state], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = []

    def read():
        # Whole lines only: each is one write() under PIPE_BUF.
        for line in p.stdout:
            if line.endswith(b"\n"):
                out.append(line.decode().split())

    t = threading.Thread(target=read)
    t.start()
    if path is not None:
        deadline = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.0002)
    else:
        time.sleep(delay)
    p.kill()
    status = p.wait(timeout=30)
    t.join(timeout=30)
    err = p.stderr.read().decode(errors="replace")
    p.stdout.close()
    p.stderr.close()
    return out, status, err


def check_store(path, acked, round_no):
    """Integrity, foreign keys, acknowledged messages, dense seqs."""
    db = sqlite3.connect(path, timeout=10)
    try:
        integ = db.execute("PRAGMA integrity_check").fetchall()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            # Killed before the schema's transaction committed.
            ok(integ == [("ok",)] and not acked,
               "round %d: no schema yet, intact, nothing acknowledged"
               % round_no)
            return
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        stored = set(db.execute(
            "SELECT session_id, seq FROM transcript_messages").fetchall())
        bad_windows = db.execute(
            "SELECT w.session_id, w.last_seq, count(m.seq), "
            "coalesce(max(m.seq), 0) FROM session_windows w "
            "LEFT JOIN transcript_messages m USING (session_id) "
            "GROUP BY w.session_id "
            "HAVING count(m.seq) != w.last_seq "
            "OR coalesce(max(m.seq), 0) != w.last_seq").fetchall()
    finally:
        db.close()
    missing = [a for a in acked if a not in stored]
    ok(integ == [("ok",)], "round %d: integrity_check ok" % round_no)
    if integ != [("ok",)]:
        diag(repr(integ[:5]))
    ok(fk == [], "round %d: no dangling foreign key" % round_no)
    ok(not missing, "round %d: all %d acknowledged messages stored"
       % (round_no, len(acked)))
    if missing:
        diag("missing: %r" % missing[:5])
    ok(not bad_windows, "round %d: every window's seqs are 1..last_seq"
       % round_no)
    if bad_windows:
        diag(repr(bad_windows[:5]))


if not os.access(WRITER, os.X_OK):
    ok(False, "%s is built (make builds it)" % WRITER)
    done_testing()

state = tempfile.mkdtemp(prefix="t69-agent-store.")
path = os.path.join(state, "agents", "main", "agent",
                    "openclaw-agent.sqlite")
acked = set()
rng = random.Random()
seed = rng.randrange(1 << 30)
rng.seed(seed)
diag("seed %d" % seed)
try:
    for r in range(1, ROUNDS + 1):
        # The first kill comes as soon as the file exists: while the
        # store sets it up and creates the schema.
        delay = 0 if r == 1 else rng.uniform(0.02, MAX_DELAY)
        lines, status, err = run_and_kill(state, delay,
                                          path if r == 1 else None)
        ok(status == -signal.SIGKILL and err == "",
           "round %d: killed after %s, %d commits, no error"
           % (r, "%.3f s" % delay if r > 1 else "the file appeared",
              len(lines)))
        if err:
            diag(err)
        acked.update((sid, int(seq)) for sid, seq in lines)
        if os.path.exists(path):
            check_store(path, acked, r)
        else:
            ok(not lines, "round %d: no file, nothing acknowledged" % r)
    ok(len(acked) > 100, "%d messages acknowledged in all" % len(acked))
    p = subprocess.run([WRITER, state, "10"], capture_output=True,
                       timeout=60)
    ok(p.returncode == 0 and len(p.stdout.splitlines()) == 10,
       "a clean run after the kills opens the store and appends")
    if p.returncode != 0:
        diag(p.stderr.decode(errors="replace"))
    for line in p.stdout.decode().splitlines():
        sid, seq = line.split()
        acked.add((sid, int(seq)))
    check_store(path, acked, ROUNDS + 1)
finally:
    shutil.rmtree(state, ignore_errors=True)

done_testing()
