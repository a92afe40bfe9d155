#!/usr/bin/env python3
# logs.tail (protocol.md 6.10) with raw WebSocket requests: the tail of the
# log file, continuation by cursor, limit and maxBytes (truncated,
# skippedBytes, the cut first line dropped), reset after a rotation
# (logging.maxFileBytes), secrets and hostile bytes filtered again, a
# missing file, a symlink refused, the dated mode's fallback to the newest
# file of the family, a FIFO, bad params (INVALID_REQUEST), the operator.read
# scope.
import os, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

TOKEN = 'tok"en\\-s3cret'


def tail(ws, **params):
    r = ws.request("logs.tail", params)
    if not r.get("ok"):
        diag("logs.tail %r: %r" % (params, r))
        return {}
    return r["payload"]


def parsed(lines):
    out = []
    for l in lines:
        try:
            out.append(json.loads(l))
        except ValueError:
            out.append(None)
    return out


def mark(ws):
    """A debug line naming a fresh marker (the req line of a health)."""
    m = "mark-" + str(uuid.uuid4())
    ws.request("health", rid=m)
    return m


def has(lines, text):
    return any(text in l for l in lines)


with Gateway(token=TOKEN, config={"logging": {"level": "debug"}}) as gw:
    gw.start()
    ws = operator(gw, token=TOKEN)
    ok("logs.tail" in ws.hello["features"]["methods"],
       "hello-ok advertises logs.tail")

    p = tail(ws)
    size = os.path.getsize(gw.logfile)
    is_(p.get("file"), gw.logfile, "file: the configured log file")
    ok(set(p) <= {"file", "cursor", "size", "lines", "truncated", "reset",
                  "skippedBytes"} and
       {"file", "cursor", "size", "lines"} <= set(p), "closed result shape")
    ok(0 < p.get("size", 0) <= size and p.get("cursor") == p.get("size"),
       "cursor = size = the file's size (%r)" % size)
    ok(p.get("lines") and None not in parsed(p["lines"]),
       "every line is a whole JSON line")
    ok(has(p["lines"], "listening"), "the start-up lines are there")
    is_((p.get("truncated"), p.get("reset")), (False, False),
        "small file: not truncated, no reset")

    # continuation
    m = mark(ws)
    q = tail(ws, cursor=p["cursor"])
    ok(has(q.get("lines", []), m), "from the cursor: the new line")
    ok(not has(q.get("lines", []), "listening"),
       "from the cursor: nothing before it")
    ok(q.get("cursor", 0) > p["cursor"] and q.get("reset") is False,
       "the cursor moves on, no reset")
    r = tail(ws, cursor=q["cursor"], limit=5000)
    ok(not has(r.get("lines", []), m), "the next read does not repeat it")

    # limit
    for i in range(5):
        mark(ws)
    p = tail(ws, limit=2)
    is_(len(p.get("lines", [])), 2, "limit 2: two lines")
    is_(p.get("truncated"), True, "limit 2: truncated")
    m = mark(ws)
    p = tail(ws, limit=3)
    ok(has(p.get("lines", []), m), "limit keeps the last lines")

    # maxBytes
    p = tail(ws, maxBytes=300)
    ok(p.get("truncated") is True and p.get("reset") is False,
       "maxBytes without cursor: truncated")
    ok(None not in parsed(p.get("lines", [None])) and
       sum(len(l) + 1 for l in p["lines"]) < 300,
       "the line cut by the window is dropped")
    p = tail(ws, cursor=0, maxBytes=500)
    ok(p.get("reset") is True and p.get("truncated") is True,
       "cursor more than maxBytes behind: reset and truncated")
    is_(p.get("skippedBytes"), p.get("size", 0) - 500,
        "skippedBytes: what was jumped over")
    p = tail(ws, cursor=10 ** 12)
    ok(p.get("reset") is True and p.get("lines"),
       "cursor past the end: reset, the tail again")

    # the filters, on lines the gateway did not write itself
    with open(gw.logfile, "ab") as f:
        f.write(b'{"message":"old %s and %s"}\n' %
                (TOKEN.encode(), json.dumps(TOKEN)[1:-1].encode()))
        f.write(b'{"message":"bad \xff\xfe byte, esc \x1b[31m red"}\n')
    p = tail(ws, limit=5)
    ls = [l for l in p.get("lines", []) if "old " in l or "bad " in l]
    if not ok(len(ls) == 2 and "s3cret" not in ls[0] and
              ls[0].count("***") == 2,
              "a secret in an old line is redacted, also as spelt in JSON"):
        diag(repr(p.get("lines")))
    ok(len(ls) == 2 and "\\xff\\xfe" in ls[1] and "\x1b" not in ls[1] and
       "\\x1b[31m" in ls[1],
       "bytes that are not UTF-8 and control characters are escaped")

    # bad params
    for bad in ({"limit": 0}, {"limit": 5001}, {"maxBytes": 0},
                {"maxBytes": 1000001}, {"cursor": -1}, {"cursor": "0"},
                {"limit": 1.5}, {"follow": True}):
        r = ws.request("logs.tail", bad)
        ok(r.get("ok") is False and
           r.get("error", {}).get("code") == "INVALID_REQUEST" and
           "invalid logs.tail params" in r["error"].get("message", ""),
           "params %s: INVALID_REQUEST" % json.dumps(bad))

    # scope
    w2 = operator(gw, token=TOKEN, scopes=["operator.approvals"])
    r = w2.request("logs.tail")
    ok(r.get("ok") is False and r["error"].get("code") == "FORBIDDEN" and
       r["error"].get("details", {}).get("missingScope") == "operator.read",
       "without operator.read: refused, missing scope operator.read")
    w2.close()
    w3 = operator(gw, token=TOKEN, scopes=["operator.write"])
    is_(w3.request("logs.tail", {"limit": 1}).get("ok"), True,
        "operator.write includes read")
    w3.close()

    # the file gone (moved away), then a symlink planted in its place
    os.rename(gw.logfile, gw.logfile + ".moved")
    p = tail(ws, cursor=100)
    ok(p.get("size") == 0 and p.get("lines") == [] and
       p.get("reset") is True and p.get("cursor") == 0,
       "missing file: empty, reset")
    os.symlink(gw.logfile + ".moved", gw.logfile)
    r = ws.request("logs.tail")
    ok(r.get("ok") is False and r["error"].get("code") == "UNAVAILABLE" and
       "symbolic link" in r["error"].get("message", ""),
       "a symlink at the path is not followed: UNAVAILABLE")
    os.unlink(gw.logfile)
    os.mkfifo(gw.logfile, 0o600)
    r = ws.request("logs.tail", timeout=5)
    ok(r.get("ok") is False and r["error"].get("code") == "UNAVAILABLE" and
       "not a regular file" in r["error"].get("message", ""),
       "a FIFO at the path: UNAVAILABLE at once, no hang")
    ws.close()
    is_(gw.stop(), 0, "clean exit")

# rotation: the old cursor is past the new file's end
with Gateway(config={"logging": {"level": "debug",
                                 "maxFileBytes": 4096}}) as gw:
    gw.start()
    ws = operator(gw)
    c = tail(ws).get("cursor", 0)
    n = 0
    while not os.path.exists(gw.logfile[:-4] + ".1.log") and n < 200:
        mark(ws)
        n += 1
    ok(os.path.exists(gw.logfile[:-4] + ".1.log"),
       "maxFileBytes 4096: rotated (after %d more calls)" % n)
    wait_for(lambda: "rotated log file" in gw.output(), 5)
    c = tail(ws).get("cursor", 0)
    # the next rotation: the file starts again, below our cursor
    n = 0
    def inode():
        # between the rename and the new file's open there is no file
        try:
            return os.stat(gw.logfile).st_ino
        except FileNotFoundError:
            return None
    first = inode()
    while inode() in (first, None) and n < 200:
        mark(ws)
        n += 1
    p = {}
    for i in range(20):
        p = tail(ws, cursor=c)
        if p.get("size", c) < c:
            break
        c = p.get("cursor", c)
        mark(ws)
    ok(p.get("reset") is True and p.get("size", 0) < c,
       "after a rotation: reset (cursor %d, new size %r)" % (c, p.get("size")))
    ok(p.get("lines") and None not in parsed(p["lines"]),
       "... and the new file's lines")
    ws.close()
    is_(gw.stop(), 0, "rotation: clean exit")

# dated mode: a missing dated file gives way to the newest of its family
tmp = tempfile.mkdtemp(prefix="ocgw-tmp-")
with Gateway(config={"logging": {"file": "", "level": "debug"}},
             env={"TMPDIR": tmp}) as gw:
    gw.start()
    ws = operator(gw)
    p = tail(ws)
    f = p.get("file", "")
    ok(re.search(r"/openclaw/openclaw-\d{4}-\d\d-\d\d\.log$", f),
       "dated mode: today's file (%s)" % f)
    os.rename(f, f[:-4] + ".1.log")
    m = mark(ws)  # written to the renamed file (the master's descriptor)
    p = tail(ws)
    is_(p.get("file"), f[:-4] + ".1.log",
        "file missing: the newest of the family is read")
    ok(has(p.get("lines", []), m), "... with the latest lines")
    ws.close()
    is_(gw.stop(), 0, "dated mode: clean exit")
shutil_dirs = [tmp]
for d in shutil_dirs:
    subprocess.run(["rm", "-rf", d])

done_testing()
