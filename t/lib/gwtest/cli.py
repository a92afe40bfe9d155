"""Running the openclaw command line in a clean environment."""

import os
import shutil
import subprocess
import tempfile

from .proc import BIN

_empty_home = []


def _cli_home():
    if not _empty_home:
        import atexit
        d = tempfile.mkdtemp(prefix="ocgw-home-")
        atexit.register(shutil.rmtree, d, True)
        _empty_home.append(d)
    return _empty_home[0]


def cli_env(gw=None, env=None):
    """Environment for the CLI: no OPENCLAW_* from outside; with a gw,
    its state dir and HOME, else an empty HOME (no ~/.openclaw)."""
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("OPENCLAW_"):
            del e[k]
    if gw is not None:
        e["OPENCLAW_STATE_DIR"] = gw.state
        e["HOME"] = gw.dir
    else:
        e["HOME"] = _cli_home()
    e.update(env or {})
    return e


def run_cli(args, env=None, timeout=20):
    """Run `openclaw ARGS`; returns (rc, stdout, stderr)."""
    p = subprocess.run([BIN] + list(args), env=env if env is not None
                       else cli_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))
