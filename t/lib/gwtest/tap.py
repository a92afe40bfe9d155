"""TAP output for prove: ok/is_/like count tests, done_testing prints the
plan at the end (tests have no fixed plan)."""

import os
import sys

_n = 0
_failed = 0
# Run by done_testing before the plan: the harness's own end-of-test
# checks (gateways a test left running), which may add failing lines.
_teardown = []
_HERE = os.path.dirname(os.path.abspath(__file__))


def ok(cond, name=""):
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", _n, name), flush=True)
    if not cond:
        frame = sys._getframe(1)
        # name the test's line, not a line of the harness
        while frame and os.path.dirname(os.path.abspath(
                frame.f_code.co_filename)) == _HERE:
            frame = frame.f_back
        if frame:
            diag("failed at %s line %d" % (frame.f_code.co_filename,
                                           frame.f_lineno))
    return cond


def is_(got, want, name=""):
    r = ok(got == want, name)
    if not r:
        diag("got:  %r" % (got,))
        diag("want: %r" % (want,))
    return r


def like(got, sub, name=""):
    r = ok(got is not None and sub in got, name)
    if not r:
        diag("got: %r, want it to contain %r" % (got, sub))
    return r


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


def done_testing():
    while _teardown:
        _teardown.pop(0)()
    print("1..%d" % _n, flush=True)
    sys.exit(1 if _failed else 0)


def skip_all(why):
    print("1..0 # SKIP %s" % why, flush=True)
    sys.exit(0)
