#!/usr/bin/env python3
# The role table (protocol/roles.c) is the one place that knows the worker
# roles: no C source outside it switches on a role, compares against one,
# spells a role's name, or bounds a loop or array by a literal role or
# listener count.  Adding a role must stay one row there plus its folder.
# Reads the sources only; starts nothing.  Standalone TAP: no harness.
import os, re, sys

TOP = os.environ.get("OPENCLAW_TOP_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
DIRS = ("cli", "common", "master", "protocol", "workers")
TABLE = ("protocol/roles.c", "protocol/roles.h")

# Constants of the table that are no role: the bound, the respawn
# policies, the listener bit.
NOT_A_ROLE = r"ROLE_(?!MAX\b|RESPAWN_|LISTENS\b)[A-Z]+"
RULES = [
    ("switch on a role", re.compile(r"\bcase\s+" + NOT_A_ROLE + r"\s*:")),
    ("comparison with a role",
     re.compile(r"[!=]=\s*" + NOT_A_ROLE + r"\b|\b" + NOT_A_ROLE +
                r"\s*[!=]=")),
    ("role name spelled out", re.compile(r'"(?:http|ws|canvas)"')),
    ("literal bound on a role or listener kind",
     re.compile(r"\b(?:role|kind)\s*(?:[<>]=?|==)\s*[2-9]\b")),
    ("array by role or kind sized by a literal",
     re.compile(r"\b(?:peer|peer_fd|listen_fd|listener|m_listen)"
                r"\s*\[\s*[2-9]\s*\]\s*;")),
]
# A loop to a literal 2..9 whose body indexes by role or kind.
LOOP = re.compile(r"\bfor\s*\([^;]*;\s*\w+\s*<=?\s*[2-9]\s*(?:;|&&)")
LOOP_BODY = re.compile(r"\b(?:peer|peer_fd|listen_fd|listener|role)\b")

n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))


def sources():
    for d in DIRS:
        for root, _, files in os.walk(os.path.join(TOP, d)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    path = os.path.join(root, f)
                    rel = os.path.relpath(path, TOP)
                    if rel not in TABLE:
                        yield rel, path


def strip_comments(text):
    # Keep the newlines so that line numbers stay right.
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.S)


def scan(rel, text):
    found = []
    lines = strip_comments(text).split("\n")
    for i, line in enumerate(lines):
        for what, rx in RULES:
            if rx.search(line):
                found.append("%s:%d: %s: %s" % (rel, i + 1, what,
                                                 line.strip()))
        if LOOP.search(line) and LOOP_BODY.search(
                "\n".join(lines[i:i + 3])):
            found.append("%s:%d: loop over roles to a literal: %s" %
                         (rel, i + 1, line.strip()))
    return found


def self_test():
    """Each rule fires on what it is for (the code before the table)."""
    bad = {
        "switch": "\tswitch (role) {\n\tcase ROLE_HTTP:\n",
        "compare": "\tif (role != ROLE_WS && role != ROLE_CANVAS) {\n",
        "name": '\tif (strcmp(role, "http") == 0)\n',
        "bound": "\t\tif (get(m, &kind) == -1 || kind < 1 || kind > 2)\n",
        "array": "\tint\t\t\t listen_fd[3];\t/* by kind */\n",
        "loop": "\tfor (i = 1; i < 4; i++) {\n\t\tif (w->peer_fd[i] != -1)\n",
        "loop&&": "\tfor (i = 0; i < 4 && s->peer[i] != ch; i++)\n",
    }
    good = ("\tif (r->r_respawn == ROLE_RESPAWN_BACKOFF)\n"
            "\tfor (i = 0; i < ROLE_MAX; i++)\n"
            "\t\tif (kind < 1 || kind >= LISTEN_MAX)\n"
            "\thandoff_to(c, ROLE_WS);\n"
            '\t/* "http" in a comment */\n'
            '\tp = "https";\n'
            "\tfor (i = 0; i < 4; i++)\n\t\tbuf[i] = 0;\n")
    for name, text in sorted(bad.items()):
        ok(scan("x.c", text), "the check catches a %s" % name)
    ok(not scan("x.c", good), "the check passes what names no role")


self_test()
count = 0
for rel, path in sources():
    with open(path, encoding="utf-8", errors="replace") as f:
        found = scan(rel, f.read())
    count += 1
    for line in found:
        print("# " + line)
    ok(not found, "%s names no role outside the table" % rel)
ok(count > 20, "scanned %d sources" % count)
ok(os.path.exists(os.path.join(TOP, TABLE[0])), "the table is there")
print("1..%d" % n)
sys.exit(1 if failed else 0)
