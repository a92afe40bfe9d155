#!/usr/bin/env python3
# The harness's own teardown checks (t/lib/gwtest/check.py): an error line
# the test did not declare fails the test, a declared one does not, a
# sanitizer report fails it, and a gateway left running is stopped by
# done_testing.  The failing cases run in a child script, whose TAP is
# checked here.
import os, sys
LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")
sys.path.insert(0, LIB)
from gwtest import *
from gwtest.check import error_lines, unexpected_errors

TEXT = """2026-01-01T00:00:00.000Z info  gateway listening on 127.0.0.1:1
2026-01-01T00:00:00.001Z warn  gateway/ws slow consumer
2026-01-01T00:00:00.002Z error gateway cannot listen on 127.0.0.1:1: busy
openclaw gateway: an error on stderr is not a log line
2026-01-01T00:00:00.003Z error gateway/http something else
"""

is_(len(error_lines(TEXT)), 2, "two error lines among info, warn, stderr")
is_(unexpected_errors(TEXT, [re.compile(r"cannot listen")]),
    [TEXT.splitlines()[4]], "a declared regex takes its line out")
is_(unexpected_errors(TEXT, [re.compile(r"cannot listen"),
                             re.compile(r"gateway/http ")]), [],
    "all declared: nothing left")


def child(body):
    """Run body as a test script; (exit status, its TAP)."""
    script = "import sys\nsys.path.insert(0, %r)\nfrom gwtest import *\n" \
        % LIB + body + "\ndone_testing()\n"
    p = subprocess.run([sys.executable, "-c", script], env=dict(os.environ),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace")


# a gateway that cannot listen logs an error line and exits
BUSY = """
gw = Gateway(%s)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", gw.port))
s.listen()
gw.start(wait=False)
gw.proc.wait(20)
ok(True, "ran")
gw.cleanup()
"""
rc, out = child(BUSY % "")
is_(rc, 1, "undeclared error line: the test fails")
like(out, "not ok 2 - no unexpected error lines in the gateway log (1 found)",
     "... with a TAP line naming the check")
like(out, "error gateway cannot listen on", "... and the line itself")

rc, out = child(BUSY % "expect_errors=[r'cannot listen on .*in use']")
is_((rc, out.strip().splitlines()[-1]), (0, "1..1"),
    "declared in Gateway(expect_errors=...): passes, plan unchanged")
rc, out = child((BUSY % "").replace("gw.start(", "gw.expect_log_error("
                                    "r'in use').start("))
is_(rc, 0, "declared with gw.expect_log_error(): passes")

rc, out = child('from gwtest.check import check_sanitizer_text\n'
                'check_sanitizer_text("==1==ERROR: AddressSanitizer: x")')
is_(rc, 1, "a sanitizer report fails the test")
like(out, "not ok 1 - no sanitizer report in the gateway output",
     "... with its TAP line")

rc, out = child('gw = Gateway().start()\n'
                'diag("pid %d dir %s" % (gw.proc.pid, gw.dir))')
m = re.search(r"# pid (\d+) dir (\S+)", out)
is_(rc, 0, "a gateway left running: the test still passes")
ok(m and not pid_alive(int(m.group(1))) and not os.path.exists(m.group(2)),
   "... and done_testing stopped it and removed its directory")

done_testing()
