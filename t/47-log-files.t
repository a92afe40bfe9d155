#!/usr/bin/env python3
# The log file's life (protocol.md 11; master/logfile.c): rotation at
# logging.maxFileBytes into name.1.log .. name.5.log, each file near the
# limit even under a flood of lines, workers writing to the new file; SIGHUP
# reopens the path after a rename or an rm; without logging.file, the
# dated file in $TMPDIR/openclaw rolls over at local midnight and old
# files of its family are pruned (never through a symlink, never files
# of other names).
import glob, os, signal, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

QUICK = os.environ.get("QUICK", "") not in ("", "0")
LIMIT = 262144


def read_lines(path):
    """(JSON objects, whole) of a log file; whole is False if a line is
    cut or not JSON."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return [], False
    whole = data == b"" or data.endswith(b"\n")
    objs = []
    for l in data.splitlines():
        try:
            objs.append(json.loads(l))
        except ValueError:
            whole = False
    return objs, whole


def pipelined_health(ws, n, tag, batch=25):
    """n health requests, batch at a time; the number answered."""
    got = 0
    for i in range(0, n, batch):
        k = min(batch, n - i)
        ws.sock.sendall(b"".join(req_bytes("health", rid="%s-%d" % (tag, i + j))
                                 for j in range(k)))
        got += len(collect_res(ws, k, timeout=10))
    return got


def subsystems(objs):
    return set(o.get("subsystem") for o in objs)


def has_message(objs, text, subsystem=None):
    return any(text in (o.get("message") or "") and
               (subsystem is None or o.get("subsystem") == subsystem)
               for o in objs)


def worker_lines(gw):
    """A line from the http worker (refused Origin) and from ws (debug
    req of an authenticated health call, id returned as the marker)."""
    w = WS(gw.port, headers={"Origin": "http://evil.example"})
    st = w.status
    w.close()
    ws = operator(gw)
    marker = "marker-" + str(uuid.uuid4())
    ws.request("health", rid=marker)
    ws.close()
    return st, marker


# ------------------------------------------------------------ rotation
with Gateway(config={"logging": {"level": "debug",
                                 "maxFileBytes": LIMIT}}) as gw:
    gw.start()
    base = gw.logfile[:-len(".log")]
    n = 3000 if QUICK else 6000
    ws = operator(gw)
    t0 = time.time()
    got = pipelined_health(ws, n, "flood")
    dt = time.time() - t0
    is_(got, n, "%d pipelined health calls answered" % n)
    st, marker = worker_lines(gw)
    time.sleep(0.3)
    files = [gw.logfile] + ["%s.%d.log" % (base, i) for i in range(1, 6)]
    sizes = [os.path.getsize(f) if os.path.exists(f) else -1 for f in files]
    total = sum(s for s in sizes if s > 0)
    diag("flood: %d calls in %.2f s; file sizes %s (limit %d)" %
         (n, dt, sizes, LIMIT))
    ok(all(s > 0 for s in sizes), "the file and 5 archives exist "
       "(gateway.1.log .. gateway.5.log)")
    others = sorted(set(glob.glob(os.path.join(gw.dir, "gateway*"))) -
                    set(files))
    is_(others, [], "no sixth archive, no other file of the family")
    # Past the limit, a file gets what the workers write until the new
    # descriptor reaches them (a few ms): a few batches at most.
    diag("largest overshoot: %d bytes" % (max(sizes) - LIMIT))
    big = [s for s in sizes if s >= 2 * LIMIT]
    is_(big, [], "every file stays under 2 x maxFileBytes")
    ok(all(s >= LIMIT for s in sizes[1:]), "each archive was rotated at "
       "(not before) the limit")
    cut = [f for f in files if not read_lines(f)[1]]
    is_(cut, [], "every file holds whole JSON lines")
    cur, _ = read_lines(gw.logfile)
    ok(has_message(cur, "req " + marker, "gateway/ws"),
       "after the rotations, ws lines land in the current file")
    ok(has_message(cur, "refused (403)", "gateway/http"),
       "... and http lines too")
    rotated = [o for f in files for o in read_lines(f)[0]
               if "rotated log file" in (o.get("message") or "")]
    ok(rotated and rotated[0].get("subsystem") == "gateway",
       "the master logs each rotation")
    ok("rotated log file" in gw.output(), "... on stdout too")
    ws.close()
    is_(gw.stop(), 0, "rotation: clean exit")

# ------------------------------------------------------------ SIGHUP
with Gateway(config={"logging": {"level": "debug"}}) as gw:
    gw.start()
    path = gw.logfile
    for how in ("rename", "rm"):
        moved = path + ".moved"
        if not os.path.exists(path):
            open(path, "a").close()     # the old binary made none
        if how == "rename":
            os.rename(path, moved)
        else:
            os.unlink(path)
        gw.proc.send_signal(signal.SIGHUP)
        ok(wait_for(lambda: has_message(read_lines(path)[0],
                                        "reopened log file"), 5),
           "%s + SIGHUP: a new file at the path, 'reopened log file'" % how)
        before = os.path.getsize(moved) if os.path.exists(moved) else 0
        st, marker = worker_lines(gw)
        is_(st, 403, "%s: a refused Origin (an http line)" % how)
        new = wait_for(lambda: has_message(read_lines(path)[0],
                                           "req " + marker), 5) and \
            read_lines(path)[0]
        ok(new and has_message(new, "refused (403)", "gateway/http"),
           "%s: http's next line is in the new file" % how)
        ok(new and has_message(new, "conn ", "gateway/ws"),
           "%s: ws's next lines are in the new file" % how)
        if os.path.exists(path):
            is_(oct(os.stat(path).st_mode & 0o777), oct(0o600),
                "%s: new file mode 0600" % how)
        if how == "rename":
            is_(os.path.getsize(moved), before,
                "rename: the moved file gets nothing more")
            os.unlink(moved)
    ok(gw.proc.poll() is None, "SIGHUP does not stop the gateway")
    is_(gw.stop(), 0, "SIGHUP: clean exit")

# ------------------------------------------- dated file: prune, rotate, day
tmp = tempfile.mkdtemp(prefix="ocgw-tmp-")
logdir = os.path.join(tmp, "openclaw")
os.makedirs(logdir, mode=0o700)
outside = os.path.join(tmp, "target.log")
old = time.time() - 3 * 86400
fresh = time.time() - 3600
plant = {
    "openclaw-2020-01-01.log": ("file", old, False),
    "openclaw-2020-01-01.3.log": ("file", old, False),
    "openclaw-2020-01-02.log": ("file", fresh, True),
    "notes.log": ("file", old, True),
    "openclaw-2020-01-03.log.bak": ("file", old, True),
    "openclaw-2020-01-04.log": ("symlink", old, True),
    "openclaw-2020-01-05.log": ("dir", old, True),
}
with open(outside, "w") as f:
    f.write("not a log of ours\n")
os.utime(outside, (old, old))
for name, (kind, mtime, _) in plant.items():
    p = os.path.join(logdir, name)
    if kind == "file":
        with open(p, "w") as f:
            f.write("{}\n")
    elif kind == "symlink":
        os.symlink(outside, p)
    else:
        os.mkdir(p)
    os.utime(p, (mtime, mtime), follow_symlinks=False)

# A zone in which local midnight comes a few seconds from now: the
# dated file must change while the gateway runs.
lead = 20 if os.environ.get("SANITIZE", "") not in ("", "0") else 6
now = time.time()
off = int(now + lead) % 86400
tz = "OCT+%02d:%02d:%02d" % (off // 3600, off % 3600 // 60, off % 60)


def day_at(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t - off))


day1, day2 = day_at(now), day_at(now + lead + 1)
with Gateway(config={"logging": {"file": "", "level": "debug",
                                 "maxFileBytes": 4096}},
             env={"TMPDIR": tmp, "TZ": tz}) as gw:
    gw.start()
    started = time.time()
    f1 = os.path.join(logdir, "openclaw-%s.log" % day1)
    ok(os.path.isfile(f1), "TMPDIR set, no logging.file: logging to "
       "$TMPDIR/openclaw/openclaw-<local date>.log")
    for name, (kind, _, keep) in sorted(plant.items()):
        exists = os.path.lexists(os.path.join(logdir, name))
        is_(exists, keep, "%s %s (%s)" % ("kept" if keep else "pruned",
                                          name, kind))
    ok(os.path.isfile(outside), "the symlink's target is untouched")
    ok("removed old log file" in gw.output(), "pruning is logged")
    ws = operator(gw)
    pipelined_health(ws, 20, "dated", batch=20)
    ws.close()
    ok(wait_for(lambda: os.path.isfile(
        os.path.join(logdir, "openclaw-%s.1.log" % day1)), 3),
       "dated file rotated to openclaw-<date>.1.log")
    if started > now + lead - 1:
        diag("start-up took %.1f s: past the zone's midnight already" %
             (started - now))
    f2 = os.path.join(logdir, "openclaw-%s.log" % day2)
    ok(wait_for(lambda: has_message(read_lines(f2)[0], "new day"),
                lead + 5), "at local midnight the next day's file starts")
    st, marker = worker_lines(gw)
    ok(wait_for(lambda: has_message(read_lines(f2)[0], "req " + marker,
                                    "gateway/ws"), 5),
       "... and the workers write to it")
    ok(has_message(read_lines(f1)[0], "listening on") or
       any(has_message(read_lines(p)[0], "listening on")
           for p in glob.glob(os.path.join(logdir, "openclaw-%s.*.log" %
                                           day1))),
       "the first day's lines stay in its files")
    is_(gw.stop(), 0, "dated: clean exit")
shutil.rmtree(tmp, ignore_errors=True)

done_testing()
