"""A stand-in for the model providers (OpenAI chat completions, OpenAI
responses, Anthropic messages), which cannot be reached from the machines
that run these tests.  It is a loopback HTTP/1.1 server (standard library,
one thread per connection, keep-alive) that speaks the three wire formats
as the real services do -- their paths, JSON bodies, SSE events, error
bodies and status codes -- with replies the test scripts, and it records
every request so the test can assert what the client sent.

    with ProviderStandin() as p:
        p.script({"text": "Hello there", "chunks": 5, "delay": 0.01})
        ... point the client at p.url (anthropic) or p.url + "/v1" ...
        p.requests[0]["headers"]["authorization"], p.requests[0]["body"]

The wire format is the request's path: .../chat/completions (openai-
completions), .../messages (anthropic-messages), .../responses (openai-
responses); streamed when the body says "stream": true.  A reply is a
dict; every key is optional:

    text            the assistant's text            chunks  pieces of it
    tool_calls      [{"id", "name", "arguments"}]   args_chunks  pieces
    usage           {"input": n, "output": m}       stop    raw stop reason
    refusal         refusal text (openai formats; anthropic: stop refusal)
    delay           seconds between two stream events
    first_byte_delay  seconds before the status line
    status          an HTTP error status (400, 401, 429, 500, 529, ...)
    error_type, error_message, retry_after (the header's value)
    stream_error    {"type", "message"}: an error event after the events
                    given by "chunks" (anthropic "error", openai "error"
                    data, responses "error")
    stall_after     send that many events, then nothing (connection open)
    cut_after       send that many events, then close the connection
    raw_body        bytes sent as a 200 reply as they are

Replies are taken in order, one per request; when none is left the
default reply is {"text": "ok"}.
"""

import json
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["ProviderStandin"]

DEFAULT_ERRORS = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("authentication_error", "Incorrect API key provided"),
    402: ("billing_error", "Payment required"),
    403: ("permission_error", "Forbidden"),
    404: ("not_found_error", "Model not found"),
    429: ("rate_limit_error", "Rate limit reached for requests"),
    500: ("api_error", "Internal server error"),
    503: ("api_error", "Service unavailable"),
    529: ("overloaded_error", "Overloaded"),
}


def split(s, n):
    """s in n pieces, as even as can be (no empty piece unless s is)."""
    n = max(1, min(n, len(s))) if s else 1
    k, r = divmod(len(s), n)
    out, i = [], 0
    for j in range(n):
        m = k + (1 if j < r else 0)
        out.append(s[i:i + m])
        i += m
    return out


def sse(data, event=None):
    head = "event: %s\n" % event if event else ""
    if not isinstance(data, str):
        data = json.dumps(data)
    return (head + "data: " + data + "\n\n").encode()


class Formats:
    """The events (streamed) and bodies (not) of each wire format."""

    @staticmethod
    def openai_stream(rep, req):
        out = []
        model = req.get("model", "m")

        def chunk(delta, finish=None):
            return sse({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                        "created": 1, "model": model,
                        "choices": [{"index": 0, "delta": delta,
                                     "finish_reason": finish}]})
        out.append(chunk({"role": "assistant", "content": ""}))
        for p in split(rep.get("text", ""), rep.get("chunks", 1)):
            if p:
                out.append(chunk({"content": p}))
        if rep.get("refusal"):
            out.append(chunk({"refusal": rep["refusal"]}))
        for i, tc in enumerate(rep.get("tool_calls", [])):
            out.append(chunk({"tool_calls": [{
                "index": i, "id": tc["id"], "type": "function",
                "function": {"name": tc["name"], "arguments": ""}}]}))
            for p in split(tc.get("arguments", ""), rep.get("args_chunks", 1)):
                if p:
                    out.append(chunk({"tool_calls": [{
                        "index": i, "function": {"arguments": p}}]}))
        stop = rep.get("stop") or ("tool_calls" if rep.get("tool_calls")
                                   else "content_filter" if rep.get("refusal")
                                   else "stop")
        out.append(chunk({}, stop))
        u = rep.get("usage")
        if u and (req.get("stream_options") or {}).get("include_usage"):
            out.append(sse({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                            "choices": [], "usage": {
                                "prompt_tokens": u["input"],
                                "completion_tokens": u["output"],
                                "total_tokens": u["input"] + u["output"]}}))
        out.append(b"data: [DONE]\n\n")
        return out

    @staticmethod
    def openai_error_event(rep):
        e = rep["stream_error"]
        return sse({"error": {"message": e.get("message", ""),
                              "type": e.get("type", "server_error"),
                              "code": e.get("type")}})

    @staticmethod
    def openai_body(rep, req):
        msg = {"role": "assistant", "content": rep.get("text") or None,
               "refusal": rep.get("refusal")}
        if rep.get("tool_calls"):
            msg["tool_calls"] = [{"id": t["id"], "type": "function",
                                  "function": {"name": t["name"],
                                               "arguments": t.get("arguments", "")}}
                                 for t in rep["tool_calls"]]
        stop = rep.get("stop") or ("tool_calls" if rep.get("tool_calls")
                                   else "content_filter" if rep.get("refusal")
                                   else "stop")
        body = {"id": "chatcmpl-1", "object": "chat.completion",
                "model": req.get("model"), "choices": [
                    {"index": 0, "message": msg, "finish_reason": stop}]}
        u = rep.get("usage")
        if u:
            body["usage"] = {"prompt_tokens": u["input"],
                             "completion_tokens": u["output"],
                             "total_tokens": u["input"] + u["output"]}
        return body

    @staticmethod
    def openai_error_body(status, etype, msg):
        return {"error": {"message": msg, "type": etype, "param": None,
                          "code": etype}}

    @staticmethod
    def anthropic_stop(rep):
        if rep.get("stop"):
            return rep["stop"]
        if rep.get("refusal"):
            return "refusal"
        return "tool_use" if rep.get("tool_calls") else "end_turn"

    @staticmethod
    def anthropic_stream(rep, req):
        u = rep.get("usage") or {"input": 0, "output": 0}
        out = [sse({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant",
            "content": [], "model": req.get("model"), "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": u["input"], "output_tokens": 1}}},
            "message_start")]
        idx = 0
        if rep.get("text"):
            out.append(sse({"type": "content_block_start", "index": idx,
                            "content_block": {"type": "text", "text": ""}},
                           "content_block_start"))
            out.append(sse({"type": "ping"}, "ping"))
            for p in split(rep["text"], rep.get("chunks", 1)):
                out.append(sse({"type": "content_block_delta", "index": idx,
                                "delta": {"type": "text_delta", "text": p}},
                               "content_block_delta"))
            out.append(sse({"type": "content_block_stop", "index": idx},
                           "content_block_stop"))
            idx += 1
        for tc in rep.get("tool_calls", []):
            out.append(sse({"type": "content_block_start", "index": idx,
                            "content_block": {"type": "tool_use", "id": tc["id"],
                                              "name": tc["name"], "input": {}}},
                           "content_block_start"))
            for p in split(tc.get("arguments", ""), rep.get("args_chunks", 1)):
                out.append(sse({"type": "content_block_delta", "index": idx,
                                "delta": {"type": "input_json_delta",
                                          "partial_json": p}},
                               "content_block_delta"))
            out.append(sse({"type": "content_block_stop", "index": idx},
                           "content_block_stop"))
            idx += 1
        out.append(sse({"type": "message_delta",
                        "delta": {"stop_reason": Formats.anthropic_stop(rep),
                                  "stop_sequence": None},
                        "usage": {"output_tokens": u["output"]}},
                       "message_delta"))
        out.append(sse({"type": "message_stop"}, "message_stop"))
        return out

    @staticmethod
    def anthropic_error_event(rep):
        e = rep["stream_error"]
        return sse({"type": "error", "error": {
            "type": e.get("type", "overloaded_error"),
            "message": e.get("message", "Overloaded")}}, "error")

    @staticmethod
    def anthropic_body(rep, req):
        content = []
        if rep.get("text"):
            content.append({"type": "text", "text": rep["text"]})
        for tc in rep.get("tool_calls", []):
            content.append({"type": "tool_use", "id": tc["id"], "name": tc["name"],
                            "input": json.loads(tc.get("arguments") or "{}")})
        u = rep.get("usage") or {"input": 0, "output": 0}
        return {"id": "msg_1", "type": "message", "role": "assistant",
                "model": req.get("model"), "content": content,
                "stop_reason": Formats.anthropic_stop(rep),
                "stop_sequence": None,
                "usage": {"input_tokens": u["input"],
                          "output_tokens": u["output"]}}

    @staticmethod
    def anthropic_error_body(status, etype, msg):
        return {"type": "error", "error": {"type": etype, "message": msg}}

    @staticmethod
    def responses_object(rep, req, status="completed"):
        output = []
        if rep.get("text") or rep.get("refusal"):
            content = []
            if rep.get("text"):
                content.append({"type": "output_text", "text": rep["text"],
                                "annotations": []})
            if rep.get("refusal"):
                content.append({"type": "refusal", "refusal": rep["refusal"]})
            output.append({"type": "message", "id": "msg_1", "status": "completed",
                           "role": "assistant", "content": content})
        for tc in rep.get("tool_calls", []):
            output.append({"type": "function_call", "id": "fc_" + tc["id"],
                           "call_id": tc["id"], "name": tc["name"],
                           "arguments": tc.get("arguments", ""),
                           "status": "completed"})
        u = rep.get("usage") or {"input": 0, "output": 0}
        obj = {"id": "resp_1", "object": "response", "status": status,
               "model": req.get("model"), "output": output,
               "incomplete_details": None, "error": None,
               "usage": {"input_tokens": u["input"], "output_tokens": u["output"],
                         "total_tokens": u["input"] + u["output"]}}
        if rep.get("stop") in ("length", "max_output_tokens"):
            obj["status"] = "incomplete"
            obj["incomplete_details"] = {"reason": "max_output_tokens"}
        return obj

    @staticmethod
    def responses_stream(rep, req):
        out = [sse({"type": "response.created", "sequence_number": 0,
                    "response": {"id": "resp_1", "object": "response",
                                 "status": "in_progress", "output": []}},
                   "response.created")]
        oi = 0
        if rep.get("text") or rep.get("refusal"):
            out.append(sse({"type": "response.output_item.added", "output_index": oi,
                            "item": {"type": "message", "id": "msg_1",
                                     "role": "assistant", "content": []}},
                           "response.output_item.added"))
            for p in split(rep.get("text", ""), rep.get("chunks", 1)):
                if p:
                    out.append(sse({"type": "response.output_text.delta",
                                    "item_id": "msg_1", "output_index": oi,
                                    "content_index": 0, "delta": p},
                                   "response.output_text.delta"))
            if rep.get("refusal"):
                out.append(sse({"type": "response.refusal.delta",
                                "item_id": "msg_1", "output_index": oi,
                                "content_index": 1, "delta": rep["refusal"]},
                               "response.refusal.delta"))
            out.append(sse({"type": "response.output_item.done", "output_index": oi,
                            "item": {"type": "message", "id": "msg_1"}},
                           "response.output_item.done"))
            oi += 1
        for tc in rep.get("tool_calls", []):
            item = {"type": "function_call", "id": "fc_" + tc["id"],
                    "call_id": tc["id"], "name": tc["name"], "arguments": ""}
            out.append(sse({"type": "response.output_item.added",
                            "output_index": oi, "item": item},
                           "response.output_item.added"))
            for p in split(tc.get("arguments", ""), rep.get("args_chunks", 1)):
                out.append(sse({"type": "response.function_call_arguments.delta",
                                "item_id": item["id"], "output_index": oi,
                                "delta": p},
                               "response.function_call_arguments.delta"))
            done = dict(item, arguments=tc.get("arguments", ""))
            out.append(sse({"type": "response.function_call_arguments.done",
                            "item_id": item["id"], "output_index": oi,
                            "arguments": done["arguments"]},
                           "response.function_call_arguments.done"))
            out.append(sse({"type": "response.output_item.done",
                            "output_index": oi, "item": done},
                           "response.output_item.done"))
            oi += 1
        obj = Formats.responses_object(rep, req)
        kind = "response.completed" if obj["status"] == "completed" \
            else "response.incomplete"
        out.append(sse({"type": kind, "response": obj}, kind))
        return out

    @staticmethod
    def responses_error_event(rep):
        e = rep["stream_error"]
        return sse({"type": "error", "code": e.get("type", "server_error"),
                    "message": e.get("message", ""), "param": None}, "error")

    @staticmethod
    def responses_body(rep, req):
        return Formats.responses_object(rep, req)

    responses_error_body = openai_error_body


def api_of(path):
    p = path.split("?")[0]
    if p.endswith("/chat/completions"):
        return "openai"
    if p.endswith("/messages"):
        return "anthropic"
    if p.endswith("/responses"):
        return "responses"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Small SSE writes go out at once, as a provider's do (no Nagle
        # delay against the client's delayed ACK).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.send_error(405)

    def do_POST(self):
        st = self.server.standin
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        api = api_of(self.path)
        st._record({"method": "POST", "path": self.path, "api": api,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "raw": raw, "body": body,
                    "peer": self.client_address[1], "time": time.time()})
        rep = st._next()
        if api is None or body is None:
            return self.reply_json(404 if api is None else 400,
                                   {"error": {"message": "bad request"}})
        time.sleep(rep.get("first_byte_delay", 0))
        if rep.get("status"):
            return self.reply_error(api, rep)
        if "raw_body" in rep:
            return self.reply_bytes(200, "application/json", rep["raw_body"])
        if body.get("stream"):
            return self.reply_stream(api, rep, body)
        return self.reply_json(200, getattr(Formats, api + "_body")(rep, body))

    def reply_bytes(self, status, ctype, data, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def reply_json(self, status, obj, extra=()):
        self.reply_bytes(status, "application/json", json.dumps(obj).encode(),
                         extra)

    def reply_error(self, api, rep):
        status = rep["status"]
        etype, msg = DEFAULT_ERRORS.get(status, ("api_error", "error"))
        etype = rep.get("error_type", etype)
        msg = rep.get("error_message", msg)
        extra = [("Retry-After", rep["retry_after"])] if "retry_after" in rep else []
        self.reply_json(status, getattr(Formats, api + "_error_body")(
            status, etype, msg), extra)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def hold(self, limit):
        """Keep the connection open, sending nothing, until the client
        goes (or limit seconds, or the stand-in stops)."""
        end = time.time() + limit
        while time.time() < end and not self.server.standin._stopping:
            r, _, _ = select.select([self.connection], [], [], 0.05)
            if r:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        break
                except OSError:
                    break
        self.close_connection = True

    def reply_stream(self, api, rep, req):
        events = getattr(Formats, api + "_stream")(rep, req)
        if rep.get("stream_error"):
            k = rep.get("chunks_before_error", 1)
            events = events[:k] + [getattr(Formats, api + "_error_event")(rep)]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        delay = rep.get("delay", 0)
        try:
            for i, ev in enumerate(events):
                if rep.get("stall_after") is not None and i >= rep["stall_after"]:
                    return self.hold(rep.get("stall_max", 30))
                if rep.get("cut_after") is not None and i >= rep["cut_after"]:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if i and delay:
                    time.sleep(delay)
                self.chunk(ev)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # hundreds of concurrent streams connect at once

    def handle_error(self, request, client_address):
        # A client that goes away (an abort, a timeout) is not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ProviderStandin:
    def __init__(self, host="127.0.0.1"):
        self._lock = threading.Lock()
        self._replies = []
        self._stopping = False
        self.requests = []
        self.server = Server((host, 0), Handler)
        self.server.standin = self
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d" % (host, self.port)
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def script(self, *replies):
        with self._lock:
            self._replies.extend(replies)

    def reset(self):
        with self._lock:
            self._replies = []
            self.requests = []

    def _next(self):
        with self._lock:
            return self._replies.pop(0) if self._replies else {"text": "ok"}

    def _record(self, r):
        with self._lock:
            self.requests.append(r)

    def wait_requests(self, n, timeout=10):
        end = time.time() + timeout
        while len(self.requests) < n and time.time() < end:
            time.sleep(0.01)
        return len(self.requests) >= n
