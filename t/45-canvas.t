#!/usr/bin/env python3
# Canvas file server: <workspace>/canvas under /__openclaw__/canvas/, on
# its own port (base + 4) and on the main port.  Content types, index.html,
# HEAD, 404/405, no escape outside the root (.., encoded dots and slashes,
# symlinks), and off with canvasHost.enabled false or
# OPENCLAW_SKIP_CANVAS_HOST=1.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

P = "/__openclaw__/canvas"
SECRET = b"TOP-SECRET-" + uuid.uuid4().hex.encode()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def populate(ws_dir):
    root = os.path.join(ws_dir, "canvas")
    files = {
        "index.html": b"<!doctype html><title>root index</title>",
        "app.js": b"console.log('app');\n",
        "style.css": b"body { color: red }\n",
        "img.png": PNG,
        "data.json": b'{"x": 1}\n',
        "sub/index.html": b"<p>sub index</p>",
        "sub/page.html": b"<p>sub page</p>",
        "noindex/file.txt": b"plain text\n",
        "a b.html": b"<p>space</p>",
        # Larger than any socket buffer: sent in pieces as output drains.
        "big.txt": os.urandom(3 * 1024 * 1024 + 17),
    }
    for name, data in files.items():
        write(os.path.join(root, name), data)
    # outside the root
    write(os.path.join(ws_dir, "secret.txt"), SECRET)
    write(os.path.join(ws_dir, "outdir", "secret.txt"), SECRET)
    write(os.path.join(ws_dir, "outdir", "index.html"), SECRET)
    os.symlink("/etc/passwd", os.path.join(root, "passwd"))
    os.symlink(os.path.join(ws_dir, "secret.txt"), os.path.join(root,
                                                               "link.txt"))
    os.symlink("../secret.txt", os.path.join(root, "rel.html"))
    os.symlink(os.path.join(ws_dir, "outdir"), os.path.join(root, "linkdir"))
    os.symlink("../outdir", os.path.join(root, "sub", "up"))
    return root, files


def raw_get(port, target, method="GET", host="127.0.0.1"):
    """(status, headers, body) for a raw request target, untouched."""
    data = http_raw(port, ("%s %s HTTP/1.1\r\nHost: %s\r\n"
                           "Connection: close\r\n\r\n" % (method, target,
                                                           host)
                           ).encode("latin-1"))
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        st = int(lines[0].split(" ")[1])
    except (IndexError, ValueError):
        return None, {}, data
    h = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        h[k.strip().lower()] = v.strip()
    return st, h, body


def check_server(port, where, files):
    st, h, body = raw_get(port, P + "/")
    is_((st, body), (200, files["index.html"]), "%s: / serves index.html" %
        where)
    like(h.get("content-type"), "text/html", "%s: index is text/html" % where)
    for name, ctype in (("index.html", "text/html"),
                        ("app.js", "javascript"),
                        ("style.css", "text/css"),
                        ("img.png", "image/png"),
                        ("data.json", "application/json"),
                        ("sub/page.html", "text/html"),
                        ("noindex/file.txt", "text/plain"),
                        ("big.txt", "text/plain")):
        st, h, body = raw_get(port, P + "/" + name)
        is_((st, body), (200, files[name]), "%s: GET %s" % (where, name))
        like(h.get("content-type"), ctype, "%s: %s is %s" % (where, name,
                                                            ctype))
        is_(h.get("content-length"), str(len(files[name])),
            "%s: %s Content-Length" % (where, name))
    st, h, body = raw_get(port, P + "/a%20b.html")
    is_((st, body), (200, files["a b.html"]), "%s: percent-encoded name" %
        where)
    st, h, body = raw_get(port, P + "/sub/")
    is_((st, body), (200, files["sub/index.html"]),
        "%s: a directory serves its index.html" % where)
    st, h, body = raw_get(port, P + "/sub")
    ok(st == 301 and h.get("location", "").endswith(P + "/sub/") or
       (st, body) == (200, files["sub/index.html"]),
       "%s: directory without slash -> redirect to it (or its index)" % where)
    st, h, body = raw_get(port, P)
    ok(st == 301 and h.get("location", "").endswith(P + "/") or
       (st, body) == (200, files["index.html"]),
       "%s: prefix without slash -> redirect (or index)" % where)
    st, h, body = raw_get(port, P + "/app.js", "HEAD")
    is_((st, body), (200, b""), "%s: HEAD 200, no body" % where)
    is_(h.get("content-length"), str(len(files["app.js"])),
        "%s: HEAD has GET's Content-Length" % where)
    like(h.get("content-type"), "javascript", "%s: HEAD Content-Type" % where)
    for target in (P + "/missing.html", P + "/sub/missing", P + "/noindex/",
                   P + "/app.js/x", P + "/.hidden"):
        st, h, body = raw_get(port, target)
        is_(st, 404, "%s: %s -> 404" % (where, target))
    for method in ("POST", "PUT", "DELETE"):
        st, h, body = raw_get(port, P + "/index.html", method)
        is_(st, 405, "%s: %s -> 405" % (where, method))
    # escapes
    for target in (P + "/../secret.txt",
                   P + "/sub/../../secret.txt",
                   P + "/%2e%2e/secret.txt",
                   P + "/%2E%2E/secret.txt",
                   P + "/%2E%2E%2Fsecret.txt",
                   P + "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
                   P + "/..%2Fsecret.txt",
                   P + "/..%2fsecret.txt",
                   P + "/sub%2F..%2F..%2Fsecret.txt",
                   P + "/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                   P + "/..%5csecret.txt",
                   P + "/.%2e/secret.txt",
                   P + "/passwd",
                   P + "/link.txt",
                   P + "/rel.html",
                   P + "/linkdir/secret.txt",
                   P + "/linkdir/",
                   P + "/linkdir",
                   P + "/sub/up/secret.txt",
                   P + "/sub/up/"):
        st, h, body = raw_get(port, target)
        is_(st, 404, "%s: no escape: %s -> 404" % (where, target))
        ok(SECRET not in body and b"root:" not in body,
           "%s: nothing outside the root in the body (%s)" % (where, target))
    st, h, body = raw_get(port, P + "/%00")
    ok(st in (400, 404), "%s: encoded NUL -> %s" % (where, st))
    st, h, body = raw_get(port, P + "/sub%2Fpage.html")
    diag("%s: encoded slash inside the root (sub%%2Fpage.html) -> %s" %
         (where, st))
    ok(st in (200, 404), "%s: encoded slash inside the root -> 200 or 404" %
       where)


with Gateway() as gw:
    ws_dir = os.path.join(gw.state, "workspace")
    root, files = populate(ws_dir)
    gw.start()
    cport = gw.port + 4
    ok(port_listening(cport), "canvas port base + 4 listening")
    check_server(cport, "canvas port", files)
    check_server(gw.port, "main port", files)
    for target in ("/", "/index.html", "/etc/passwd", "/__openclaw__/",
                   "/__openclaw__/canvasx/index.html"):
        st, h, body = raw_get(cport, target)
        is_(st, 404, "canvas port: %s outside the prefix -> 404" % target)
    st, h, body = raw_get(gw.port, "/__openclaw__/canvasx/index.html")
    is_(st, 404, "main port: /__openclaw__/canvasx is not the canvas")
    # keep-alive on the canvas port: two requests, one connection
    raw = http_raw(cport, ("GET %s/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                           "GET %s/style.css HTTP/1.1\r\nHost: localhost\r\n"
                           "Connection: close\r\n\r\n" % (P, P)).encode())
    ok(files["app.js"] in raw and files["style.css"] in raw and
       raw.count(b"HTTP/1.1 200") == 2, "canvas port: pipelined requests")
    # a file created after the start is served
    write(os.path.join(root, "late.txt"), b"late\n")
    st, h, body = raw_get(cport, P + "/late.txt")
    is_((st, body), (200, b"late\n"), "a file created later is served")

# the canvas root does not exist at start, appears later
with Gateway() as gw:
    gw.start()
    st, h, body = raw_get(gw.port + 4, P + "/")
    is_(st, 404, "no canvas directory: 404")
    root, files = populate(os.path.join(gw.state, "workspace"))
    st, h, body = raw_get(gw.port + 4, P + "/")
    is_((st, body), (200, files["index.html"]),
        "canvas directory created after the start is picked up")

# agents.defaults.workspace
with Gateway() as gw:
    wdir = os.path.join(gw.dir, "elsewhere")
    write(os.path.join(wdir, "canvas", "index.html"), b"elsewhere")
    write(os.path.join(gw.state, "workspace", "canvas", "index.html"),
          b"default")
    gw.config["agents"] = {"defaults": {"workspace": wdir}}
    with open(gw.config_path, "w") as f:
        json.dump(gw.config, f)
    gw.start()
    st, h, body = raw_get(gw.port + 4, P + "/")
    is_((st, body), (200, b"elsewhere"),
        "agents.defaults.workspace: <workspace>/canvas served")

# disabled
for how, kw in (("canvasHost.enabled false",
                 {"config": {"canvasHost": {"enabled": False}}}),
                ("OPENCLAW_SKIP_CANVAS_HOST=1",
                 {"env": {"OPENCLAW_SKIP_CANVAS_HOST": "1"}})):
    with Gateway(**kw) as gw:
        write(os.path.join(gw.state, "workspace", "canvas", "index.html"),
              b"should not be served")
        gw.start()
        ok(not port_listening(gw.port + 4), "%s: canvas port not listening" %
           how)
        is_(gw.worker_pid("canvas"), None, "%s: no canvas worker" % how)
        st, h, body = raw_get(gw.port, P + "/")
        is_(st, 404, "%s: main-port canvas path -> 404" % how)
        st, h, body = raw_get(gw.port, P + "/index.html")
        is_(st, 404, "%s: main-port canvas file -> 404" % how)
        ok(b"should not be served" not in body, "%s: file not served" % how)
        is_(http_get(gw.port, "/readyz")[0], 200, "%s: still ready" % how)

# The Host rule of the WebSocket upgrade, on both ports: a page on another
# site that rebinds its name to 127.0.0.1 sends its own name in Host and
# must not read the files (DNS rebinding).  Probes answer whatever Host.
with Gateway(config={"gateway": {"allowedHosts": ["canvas.example"]}}) as gw:
    root, files = populate(os.path.join(gw.state, "workspace"))
    gw.start()
    want = files["app.js"]
    for port, where in ((gw.port + 4, "canvas port"),
                        (gw.port, "main port")):
        for host in ("evil.example", "evil.example:%d" % port,
                     "localhost.evil.example", "127.0.0.1.evil.example",
                     "canvas.example.evil"):
            st, h, body = raw_get(port, P + "/app.js", host=host)
            ok(st == 403 and want not in body,
               "%s: Host %s refused (%s)" % (where, host, st))
        # an absolute-form target names the host the server must use
        st, h, body = raw_get(port, "http://evil.example" + P + "/app.js")
        ok(st in (403, 404) and want not in body,
           "%s: absolute-form target on evil.example refused (%s)" %
           (where, st))
        for host in ("127.0.0.1:%d" % port, "localhost", "LocalHost:%d" %
                     port, "localhost.:%d" % port, "[::1]:%d" % port,
                     "canvas.example", "127.0.0.1"):
            st, h, body = raw_get(port, P + "/app.js", host=host)
            is_((st, body), (200, want), "%s: Host %s served" % (where, host))
    st, h, body = raw_get(gw.port, "/healthz", host="evil.example")
    is_(st, 200, "main port: /healthz answers whatever the Host")
    # bind lan: any IPv4 literal is an address of ours, not a rebinding
with Gateway(config={"gateway": {"bind": "lan"}}) as gw:
    root, files = populate(os.path.join(gw.state, "workspace"))
    gw.start()
    for port, where in ((gw.port + 4, "canvas port"),
                        (gw.port, "main port")):
        st, h, body = raw_get(port, P + "/app.js", host="192.0.2.7:%d" % port)
        is_(st, 200, "bind lan, %s: an IPv4 literal Host is served" % where)
        st, h, body = raw_get(port, P + "/app.js", host="evil.example")
        is_(st, 403, "bind lan, %s: a name is still refused" % where)

# canvasHost.port
with Gateway() as gw:
    cport = free_port()
    while cport in (gw.port, gw.port + 4):
        cport = free_port()
    gw.config["canvasHost"] = {"port": cport}
    with open(gw.config_path, "w") as f:
        json.dump(gw.config, f)
    write(os.path.join(gw.state, "workspace", "canvas", "index.html"), b"cp")
    gw.start()
    st, h, body = raw_get(cport, P + "/")
    is_((st, body), (200, b"cp"), "canvasHost.port: served on %d" % cport)
    ok(not port_listening(gw.port + 4), "canvasHost.port: not on base + 4")
    st, h, body = raw_get(gw.port, P + "/")
    is_((st, body), (200, b"cp"), "canvasHost.port: main port still serves")

# SIGTERM: a download in flight on the canvas port finishes, an idle
# keep-alive client does not hold the drain, and the gateway exits 0 soon
# after the last byte: the canvas worker ends on its server's drained
# callback, long before the (raised) drain deadline.
with Gateway() as gw:
    root, files = populate(os.path.join(gw.state, "workspace"))
    gw.config.setdefault("gateway", {})["drainTimeoutMs"] = 60000
    with open(gw.config_path, "w") as f:
        json.dump(gw.config, f)
    gw.start()
    cport = gw.port + 4
    idle = socket.create_connection(("127.0.0.1", cport), 5)
    idle.sendall(b"GET %s/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" %
                 P.encode())
    idle.settimeout(5)
    idle.recv(65536)
    dl = socket.create_connection(("127.0.0.1", cport), 5)
    dl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    dl.sendall(b"GET %s/big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Connection: close\r\n\r\n" % P.encode())
    dl.settimeout(10)
    got = dl.recv(16384)
    gw.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    ok(gw.proc.poll() is None, "SIGTERM: still running while a download "
       "is in flight")
    try:
        while True:
            b = dl.recv(1 << 16)
            if not b:
                break
            got += b
    except OSError as e:
        diag("download: %r" % e)
    body = got.partition(b"\r\n\r\n")[2]
    ok(body == files["big.txt"], "SIGTERM: the download in flight finished "
       "(%d of %d bytes)" % (len(body), len(files["big.txt"])))
    try:
        rc = gw.proc.wait(20)
    except subprocess.TimeoutExpired:
        rc = None
    is_(rc, 0, "SIGTERM: exit 0 once it was sent, before the 60 s deadline")
    idle.close()
    dl.close()

done_testing()
