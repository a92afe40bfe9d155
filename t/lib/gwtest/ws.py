"""A small, strict RFC 6455 client over a raw socket, and the gateway's
connect handshake on top of it."""

import base64
import hashlib
import json
import os
import socket
import struct
import time
import uuid

from .tap import diag


class Closed(Exception):
    def __init__(self, code, reason):
        Exception.__init__(self, "closed %s %r" % (code, reason))
        self.code = code
        self.reason = reason


class WS:
    """A minimal, strict RFC 6455 client over a raw socket."""

    def __init__(self, port, path="/", headers=None, host="127.0.0.1",
                 source=None, extra=b"", timeout=5, expect_upgrade=True):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = {"Host": "127.0.0.1:%d" % port, "Upgrade": "websocket",
                "Connection": "Upgrade", "Sec-WebSocket-Key": key,
                "Sec-WebSocket-Version": "13"}
        hdrs.update(headers or {})
        req = "GET %s HTTP/1.1\r\n" % path + "".join(
            "%s: %s\r\n" % (k, v) for k, v in hdrs.items() if v is not None) \
            + "\r\n"
        self.sock.sendall(req.encode() + extra)
        head = self._read_head()
        self.status = int(head.split(b" ")[1]) if head else 0
        self.head = head.decode("latin-1")
        if expect_upgrade and self.status == 101:
            want = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()
            ).digest()).decode()
            assert ("Sec-WebSocket-Accept: " + want) in self.head, self.head
        self.close_code = None
        self.close_reason = None

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            b = self.sock.recv(65536)
            if not b:
                break
            self.buf += b
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def _recv_exact(self, n):
        while len(self.buf) < n:
            b = self.sock.recv(65536)
            if not b:
                raise Closed(1006, "eof")
            self.buf += b
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    @staticmethod
    def frame(opcode, payload, fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        hdr = frame_header(b0, len(payload), mask)
        if not mask:
            return hdr + payload
        mk = hdr[-4:]
        return hdr + bytes(b ^ mk[i % 4] for i, b in enumerate(payload))

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload, **kw):
        self.sock.sendall(self.frame(opcode, payload, **kw))

    def send_text(self, text):
        if isinstance(text, str):
            text = text.encode()
        self.send_frame(1, text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def read_frame(self, timeout=5):
        """(first byte, payload) of the next frame as the server sent it,
        close frames included; raises Closed(1006) on EOF.  One timeout
        for the whole frame, so a partial frame is never lost."""
        self.sock.settimeout(timeout)
        b0, b1 = self._recv_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._recv_exact(8))[0]
        if b1 & 0x80:
            raise AssertionError("server frame is masked")
        return b0, self._recv_exact(n)

    def recv_frame(self, timeout=5):
        """(opcode, payload); raises Closed on close frame or EOF."""
        b0, payload = self.read_frame(timeout)
        op = b0 & 0x0F
        if op == 8:
            code = close_code_of(payload)
            self.close_code = code
            self.close_reason = payload[2:].decode("utf-8", "replace")
            raise Closed(code, self.close_reason)
        return op, payload

    def recv(self, timeout=5):
        """Next text message as JSON, answering pings."""
        while True:
            op, p = self.recv_frame(timeout)
            if op == 9:
                self.send_frame(10, p)
                continue
            if op in (1, 2):
                return json.loads(p)

    def recv_until(self, pred, timeout=5):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise socket.timeout("recv_until")
            m = self.recv(left)
            if pred(m):
                return m

    def expect_close(self, timeout=5):
        """Read until the close frame; returns (code, reason)."""
        try:
            while True:
                self.recv_frame(timeout)
        except Closed as e:
            return e.code, e.reason
        except (socket.timeout, OSError):
            return None, None

    def request(self, method, params=None, rid=None, timeout=5):
        rid = rid or "%s" % uuid.uuid4()
        frame = {"type": "req", "id": rid, "method": method}
        if params is not None:
            frame["params"] = params
        self.send_json(frame)
        return self.recv_until(lambda m: m.get("type") == "res" and
                               m.get("id") == rid, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_frame(buf):
    """(opcode, payload, rest) of one unmasked server frame in buf, or
    None while it is incomplete."""
    if len(buf) < 2:
        return None
    n, off = buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, off = struct.unpack("!H", buf[2:4])[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, off = struct.unpack("!Q", buf[2:10])[0], 10
    if len(buf) < off + n:
        return None
    return buf[0] & 0x0F, buf[off:off + n], buf[off + n:]


def frame_header(b0, length, mask=True):
    """A raw frame header (with a random mask key when masked)."""
    m = 0x80 if mask else 0
    if length < 126:
        h = struct.pack("!BB", b0, m | length)
    elif length < 65536:
        h = struct.pack("!BBH", b0, m | 126, length)
    else:
        h = struct.pack("!BBQ", b0, m | 127, length)
    return h + (os.urandom(4) if mask else b"")


def connect_params(token="test-token", scopes=None, client_id="cli",
                   mode="cli", role="operator", password=None, minp=4,
                   maxp=4, **extra):
    p = {"minProtocol": minp, "maxProtocol": maxp,
         "client": {"id": client_id, "version": "2026.9.6",
                    "platform": "linux", "mode": mode,
                    "instanceId": str(uuid.uuid4())},
         "caps": [], "role": role,
         "scopes": scopes if scopes is not None else ["operator.read"]}
    if token is not None or password is not None:
        p["auth"] = {}
        if token is not None:
            p["auth"]["token"] = token
        if password is not None:
            p["auth"]["password"] = password
    p.update(extra)
    return p


def handshake(gw_or_port, params=None, **kw):
    """Open a socket, take the challenge, send connect; returns (ws, res)."""
    port = gw_or_port if isinstance(gw_or_port, int) else gw_or_port.port
    ws = WS(port, **kw)
    ch = ws.recv()
    assert ch["event"] == "connect.challenge", ch
    res = ws.request("connect", params if params is not None
                     else connect_params(), rid="1:" + str(uuid.uuid4()))
    return ws, res


def req_bytes(method, params=None, rid=None, mask=True):
    """One masked text frame carrying a req; for pipelined writes."""
    frame = {"type": "req", "id": rid or str(uuid.uuid4()), "method": method}
    if params is not None:
        frame["params"] = params
    return WS.frame(1, json.dumps(frame).encode(), mask=mask)


def close_code_of(payload):
    """The code of a close frame's payload (1005: none)."""
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 \
        else 1005


def drain_until_close(ws, timeout=5, raw=False):
    """Read every frame until the close frame; returns
    (messages as JSON or raw bytes, close code, close reason).  The code is
    None if the socket timed out, 1006 on EOF without a close frame.
    raw: (opcode, payload) pairs, pings not answered."""
    msgs = []
    end = time.time() + timeout
    try:
        while True:
            left = end - time.time()
            if left <= 0:
                return msgs, None, None
            op, p = ws.recv_frame(left)
            if raw:
                msgs.append((op, p))
                continue
            if op == 9:
                ws.send_frame(10, p)
                continue
            try:
                msgs.append(json.loads(p))
            except ValueError:
                msgs.append(p)
    except Closed as e:
        return msgs, e.code, e.reason
    except socket.timeout:
        return msgs, None, None
    except OSError:
        return msgs, 1006, "reset"


def collect_res(ws, n, timeout=5):
    """{id: ok} of the next n responses (events skipped); fewer if the
    socket times out or closes first (said in a diagnostic)."""
    got = {}
    try:
        while len(got) < n:
            m = ws.recv(timeout)
            if m.get("type") == "res":
                got[m["id"]] = m.get("ok")
    except (socket.timeout, Closed) as e:
        diag("stopped after %d responses: %r" % (len(got), e))
    return got


def first_frame(port, payload, opcode=1, **kw):
    """Open a socket, take the challenge, send one frame as the first
    frame; returns (messages, close code, close reason)."""
    ws = WS(port, **kw)
    ws.recv()
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload).encode()
    elif isinstance(payload, str):
        payload = payload.encode()
    ws.send_frame(opcode, payload)
    r = drain_until_close(ws)
    ws.close()
    return r


def operator(gw_or_port, scopes=None, client_id="cli", mode="cli", **kw):
    """An authenticated socket; raises if connect is refused."""
    ws_kw = {k: kw.pop(k) for k in ("headers", "source", "timeout", "host")
             if k in kw}
    ws, res = handshake(gw_or_port, connect_params(
        scopes=scopes, client_id=client_id, mode=mode, **kw), **ws_kw)
    if not res.get("ok"):
        ws.close()
        raise RuntimeError("connect refused: %r" % (res,))
    ws.hello = res["payload"]
    return ws


def fresh_health(gw):
    """A new operator's `health` response, or {"error": why} if it could
    not connect or ask; the socket is closed either way."""
    w = None
    try:
        w = operator(gw)
        return w.request("health")
    except (OSError, Closed, RuntimeError, AssertionError) as e:
        return {"error": repr(e)}
    finally:
        if w:
            w.close()


_create_connection = socket.create_connection


def stalled_operator(gw, scopes):
    """An operator whose socket holds little in the kernel: a 4 KiB
    receive buffer and a 536-byte MSS (loopback's 64 KiB segments would
    let the kernel swallow megabytes before the gateway queues anything),
    so what it does not read queues in the gateway."""
    def small(addr, timeout=None, source_address=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
        except OSError:
            pass
        s.settimeout(timeout)
        s.connect(addr)
        return s
    socket.create_connection = small
    try:
        return operator(gw, scopes=scopes)
    finally:
        socket.create_connection = _create_connection


def system_event_flood(gw, adm, seconds, text, devices, reconnect=False,
                       every=None):
    """system-event calls from the admin socket adm for `seconds` (text
    text + N, deviceId dev-<N % devices>).  When adm is closed under it:
    with reconnect a new admin takes over, else the flood stops.  every(n)
    runs after each call.  Returns (adm, calls, the last error or None)."""
    n, err = 0, None
    t0 = time.time()
    while time.time() - t0 < seconds:
        try:
            adm.request("system-event", {"text": text + str(n),
                                         "deviceId": "dev-%d" % (n % devices)})
        except (Closed, OSError) as e:
            err = e
            if not reconnect:
                break
            adm.close()
            adm = operator(gw, scopes=["operator.admin"])
        n += 1
        if every:
            every(n)
    return adm, n, err
