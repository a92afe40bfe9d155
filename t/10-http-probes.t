#!/usr/bin/env python3
# Probe routes on the main port (protocol.md 8.1).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *

with Gateway() as gw:
    gw.start()
    for path in ("/health", "/healthz"):
        st, h, body = http_get(gw.port, path)
        is_(st, 200, path + " 200")
        is_(json.loads(body), {"ok": True, "status": "live"}, path + " body")
        like(h.get("Content-Type"), "application/json", path + " json")
        is_(h.get("Cache-Control"), "no-store", path + " no-store")
    st, h, body = http_get(gw.port, "/readyz")
    is_(st, 200, "/readyz 200 when ready")
    is_(json.loads(body)["ready"], True, "/readyz ready true")
    st, h, body = http_get(gw.port, "/startupz")
    is_(st, 200, "/startupz 200")
    is_(json.loads(body)["status"], "started", "/startupz started")
    st, h, body = http_get(gw.port, "/healthz", method="HEAD")
    is_((st, body), (200, b""), "HEAD has no body")
    st, h, body = http_get(gw.port, "/healthz", method="POST")
    is_(st, 405, "POST /healthz 405")
    is_(h.get("Allow"), "GET, HEAD", "Allow header")
    st, h, body = http_get(gw.port, "/nope")
    is_(st, 404, "unknown path 404")
    ok("error" in json.loads(body), "404 has a JSON body")
    st, h, body = http_get(gw.port, "/healthz/x")
    is_(st, 404, "probe sub-path is not a probe")
    # A client that half-closes after its request still gets the answer.
    for req in (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 2):
        got = http_raw(gw.port, req, half_close=True)
        n = req.count(b"GET")
        is_(got.count(b"HTTP/1.1 200 OK"), n,
            "half-closed client gets %d answer(s)" % n)
        ok(got.endswith(b'"status":"live"}'), "and the server closes after")
done_testing()
