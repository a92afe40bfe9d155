#!/usr/bin/env python3
# The man pages (man/): openclaw(1), openclaw-gateway(8) and openclaw.json(5),
# the last generated at build time from the config table.  Each page is
# mandoc -Tlint clean (every message down to STYLE fails the test, except
# "referenced manual not found", which depends on what the machine has
# installed), renders with man -l (mandoc -Tascii without man-db);
# openclaw.json(5) lists exactly the keys of common/cfg-table.c with their
# defaults and environment overrides; openclaw(1) documents every command of
# cli/cli-cmd.c and every option of cli/cli-opts.c and master/master.c.
# Without mandoc: skipped, but failed under CI.  Starts no gateway.
import os, re, shutil, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest.tap import ok, is_, diag, done_testing, skip_all

TOP = os.environ.get("OPENCLAW_TOP_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
BUILD = os.environ.get("OPENCLAW_TOP_BUILDDIR") or (
    os.path.dirname(os.environ["OPENCLAW_BIN"])
    if os.environ.get("OPENCLAW_BIN") else os.path.join(TOP, "_build"))
PAGES = {
    "openclaw.1": os.path.join(TOP, "man", "openclaw.1"),
    "openclaw-gateway.8": os.path.join(TOP, "man", "openclaw-gateway.8"),
    "openclaw.json.5": os.path.join(BUILD, "man", "openclaw.json.5"),
}
# Messages that say more about the machine than about the page.
LINT_IGNORED = re.compile(r"referenced manual not found|mandoc\.db")


def under_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false",
                                                             "no")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def run(argv):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, LC_ALL="C", MANPAGER="cat",
                                PAGER="cat", MANWIDTH="80"))
    return r.returncode, r.stdout.decode("utf-8", "replace"), \
        r.stderr.decode("utf-8", "replace")


def section(src, name):
    """The lines of src's section .Sh name, up to the next .Sh."""
    m = re.search(r"^\.Sh %s\n(.*?)(?=^\.Sh |\Z)" % re.escape(name), src,
                  re.M | re.S)
    return m.group(1) if m else ""


def lint(name, path):
    rc, out, err = run(["mandoc", "-Tlint", "-W", "style", path])
    msgs = [l for l in (out + err).splitlines()
            if l.strip() and not LINT_IGNORED.search(l)]
    for l in msgs:
        diag(l)
    ok(rc in (0, 1) and not msgs, "%s: mandoc -Tlint clean (rc %d)" %
       (name, rc))


def render(name, path):
    if shutil.which("man"):
        argv = ["man", "-l", path]
    else:
        argv = ["mandoc", "-Tascii", path]
    rc, out, err = run(argv)
    if err.strip():
        diag(err.strip())
    title = name.rsplit(".", 1)[0].upper()
    ok(rc == 0 and not err.strip() and title in out and "NAME" in out and
       len(out.splitlines()) > 40,
       "%s: %s renders (rc %d, %d lines)" % (name, argv[0],
                                              rc, len(out.splitlines())))


# ROW(path, type, def, env, ...) of common/cfg-table.c.
ROW = re.compile(r'\bROW\(\s*"([^"]+)",\s*(CFG_\w+),\s*(NULL|"[^"]*"),'
                 r'\s*(NULL|"[^"]*")')


def unquote(s):
    return None if s == "NULL" else s[1:-1]


def config_page(src):
    keys = [(m.group(1), unquote(m.group(3)), unquote(m.group(4)))
            for m in ROW.finditer(read(os.path.join(TOP, "common",
                                                    "cfg-table.c")))]
    ok(len(keys) >= 30, "cfg-table.c: %d keys found" % len(keys))
    body = section(src, "KEYS")
    # An entry: from its .It Cm line to the next key's.
    entries = dict(re.findall(r"^\.It Cm (\S+)\n(.*?)(?=^\.It Cm |\Z)",
                              body, re.M | re.S))
    missing, wrong = [], []
    for path, default, env in keys:
        e = entries.get(path)
        if e is None:
            missing.append(path)
            continue
        want = ".Li %s\n" % default if default is not None else "unset\n"
        if want not in e:
            wrong.append("%s: default %r" % (path, default))
        if env is not None and ".Ev %s\n" % env not in e:
            wrong.append("%s: environment %s" % (path, env))
        if "\n.It reload\n" not in "\n" + e:
            wrong.append("%s: no reload class" % path)
    is_(missing, [], "openclaw.json.5: every key of the table has an entry")
    is_(wrong, [], "openclaw.json.5: defaults, environment, reload as the "
        "table says")
    extra = sorted(set(entries) - set(k[0] for k in keys))
    is_(extra, [], "openclaw.json.5: no key that the table lacks")


# { "gateway call", "synopsis", ... } rows: a NULL synopsis is hidden.
CMD = re.compile(r'^\s*\{\s*"([^"]+)",\s*(NULL|")', re.M)
MACROS = {"Cm", "Oo", "Oc", "Op", "Nm"}


def commands_page(src):
    rows = CMD.findall(read(os.path.join(TOP, "cli", "cli-cmd.c")))
    cmds = [c for c, syn in rows if syn != "NULL"]
    ok("gateway call" in cmds, "cli-cmd.c: %d commands found (%s)" %
       (len(cmds), ", ".join(cmds)))
    items = []
    for line in section(src, "COMMANDS").splitlines():
        if line.startswith(".It "):
            items.append([w for w in line.split()[1:] if w not in MACROS])
    missing = [c for c in cmds
               if not any(i[:len(c.split())] == c.split() for i in items)]
    is_(missing, [], "openclaw.1: every command has an item under COMMANDS")

    opts = re.findall(r'^\s*\{\s*"([a-z-]+)",\s*[01],\s*\w+\s*\}',
                      read(os.path.join(TOP, "cli", "cli-opts.c")), re.M)
    opts += re.findall(r'\{\s*"([a-z-]+)",\s*(?:required|no|optional)_argument',
                       read(os.path.join(TOP, "master", "master.c")))
    ok(len(opts) >= 15, "%d options found in cli-opts.c and master.c" %
       len(opts))
    missing = sorted(set(o for o in opts
                         if not re.search(r"\bFl -%s\b(?!-)" % re.escape(o),
                                          src)))
    is_(missing, [], "openclaw.1: every option is documented (Fl --name)")


if not shutil.which("mandoc"):
    if not under_ci():
        skip_all("mandoc not installed (scripts/setup-deps.sh installs it)")
    ok(False, "mandoc installed (scripts/setup-deps.sh)")
    diag("CI is set, so a missing mandoc is a failure")
    done_testing()

have = {n: os.path.isfile(p) for n, p in PAGES.items()}
for n, p in PAGES.items():
    ok(have[n], "%s exists (%s)" % (n, p))
for n, p in PAGES.items():
    if have[n]:
        lint(n, p)
        render(n, p)
if have["openclaw.json.5"]:
    config_page(read(PAGES["openclaw.json.5"]))
if have["openclaw.1"]:
    commands_page(read(PAGES["openclaw.1"]))
done_testing()
