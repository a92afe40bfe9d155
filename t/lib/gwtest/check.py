"""What the harness checks in every gateway's output at teardown, beside
the tests' own checks: sanitizer reports and unexpected error lines
(nginx-tests' check).  Both are silent when there is nothing to report,
so a passing test's plan is unchanged; each finding is one failing TAP
line with the offending lines as diagnostics."""

import re

from .tap import diag, ok

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")

# A stdout log line (common/log.c): "<time> <level> <subsystem> <message>".
# Only "error" exists today (fatal() logs at it); the others are here so a
# later crit/fatal level is caught without touching the harness.
ERROR_LINE = re.compile(r"^\S+Z (error|crit|fatal|alert|emerg)\s+\S+ ")


def error_lines(text):
    """The log lines of level error (or worse) in a gateway's output."""
    return [l for l in text.splitlines() if ERROR_LINE.match(l)]


def unexpected_errors(text, expected):
    """Error lines that no regex of expected (compiled) matches."""
    return [l for l in error_lines(text)
            if not any(r.search(l) for r in expected)]


def check_unexpected_errors(text, expected, what="gateway"):
    """Fail once if text holds error lines nobody declared."""
    bad = unexpected_errors(text, expected)
    if not bad:
        return True
    ok(False, "no unexpected error lines in the %s log (%d found)" %
       (what, len(bad)))
    diag("declare the expected ones with gw.expect_log_error(regex):")
    for l in bad[:20]:
        diag("  " + l)
    if len(bad) > 20:
        diag("  ... and %d more" % (len(bad) - 20))
    return False


def check_sanitizer_text(text):
    """Fail once if text (master and workers share it) holds a sanitizer
    report: a worker's report only changes its exit status, which the
    master alone sees."""
    found = [m for m in SANITIZER_MARKERS if m in text]
    if not found:
        return True
    ok(False, "no sanitizer report in the gateway output (%s)" %
       ", ".join(found))
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if any(m in line for m in found):
            diag("\n".join(lines[max(0, i - 2):i + 40]))
            break
    return False


def check_gateway_output(text, expected):
    """Both checks on one stretch of a gateway's output."""
    a = check_sanitizer_text(text)
    b = check_unexpected_errors(text, expected)
    return a and b
