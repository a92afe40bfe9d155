"""Raw HTTP/1.1 over a socket, and urllib for well-formed requests."""

import socket
import urllib.error
import urllib.request

from .tap import diag


def http_raw(port, data, timeout=5, host="127.0.0.1", source=None,
             half_close=False, lenient=False):
    """Send raw bytes (then shut our side if half_close), read until the
    server closes or timeout.  lenient: a failed send or a reset is
    reported as a diagnostic and what arrived is returned (a reset must
    not destroy a response: lingering close)."""
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    out = b""
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
    except OSError as e:
        if not lenient:
            s.close()
            raise
        diag("send: %r" % (e,))
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    except OSError as e:
        if not lenient:
            s.close()
            raise
        diag("connection %r after %d bytes of response" % (e, len(out)))
    s.close()
    return out


def http_read(sock, n=1):
    """Read from sock until n whole responses (http_responses) or EOF."""
    buf = b""
    while len(http_responses(buf)) < n:
        b = sock.recv(65536)
        if not b:
            break
        buf += b
    return http_responses(buf)


def http_get(port, path, method="GET", headers=None, timeout=5):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def http_responses(data, methods=None):
    """Split raw bytes into (status, headers, body) tuples using
    Content-Length; methods[i] == "HEAD" means response i has no body."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        try:
            st = int(lines[0].split(" ")[1])
        except (IndexError, ValueError):
            break
        h = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            h[k.strip().lower()] = v.strip()
        n = int(h.get("content-length", "0"))
        if methods and len(out) < len(methods) and \
                methods[len(out)] == "HEAD":
            n = 0
        out.append((st, h, rest[:n]))
        data = rest[n:]
    return out
