#!/usr/bin/env python3
# The agent worker's model-provider client (workers/agent/), end to end:
# t/tools/provider-driver runs requests through the real http client
# (libcurl multi on libevent) and the three wire formats against the
# provider stand-in (t/lib/gwtest/provider_standin.py), streamed and
# not; this file checks the neutral events it prints and the requests
# the stand-in recorded (issue 9 sections 1, 2 and 6; features.md 1.1).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from gwtest import *
from gwtest.provider_standin import ProviderStandin

DRIVER = os.path.join(os.environ.get("OPENCLAW_TOP_BUILDDIR", "."),
                      "t", "tools", "provider-driver")
KEY = "sk-test-0123456789abcdefSECRETKEY"
APIS = ["openai-completions", "anthropic-messages", "openai-responses"]
# Stream events before the second text delta: anthropic sends
# message_start, content_block_start and a ping first.
EARLY = {"openai-completions": 3, "anthropic-messages": 5, "openai-responses": 3}
TOOLS = [{"name": "read", "description": "Read a file",
          "parameters": {"type": "object",
                         "properties": {"path": {"type": "string"}},
                         "required": ["path"]}}]


def base(p, api):
    return p.url if api == "anthropic-messages" else p.url + "/v1"


# The driver's environment: no proxy from outside (libcurl reads them).
ENV = {k: v for k, v in os.environ.items()
       if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}


def run(p, api, stream=True, key=KEY, timeout=30, env=ENV, **extra):
    desc = {"provider": {"api": api, "baseUrl": base(p, api), "apiKey": key,
                         "model": "model-1", "maxTokens": 1000},
            "system": "You are terse.", "stream": stream,
            "messages": [{"role": "user", "content": "hi"}]}
    desc.update(extra)
    r = subprocess.run([DRIVER], input=json.dumps(desc).encode(),
                       capture_output=True, timeout=timeout, env=env)
    out = r.stdout.decode()
    ok(r.returncode == 0, "%s: the driver ran (%s)" % (api, r.stderr.decode()[:200]))
    ok(key is None or key not in out, "%s: the key is in no event" % api)
    evs = [json.loads(l) for l in out.splitlines() if l.strip()]
    return [e for e in evs if e["type"] != "summary"], evs[-1]


def types(evs):
    return [e["type"] for e in evs]


def text(evs):
    return "".join(e["delta"] for e in evs if e["type"] == "text")


def last(evs, t):
    m = [e for e in evs if e["type"] == t]
    return m[-1] if m else {}


p = ProviderStandin().start()

# Text, usage, stop: each format, streamed and not; what was sent.
for api in APIS:
    for stream in (True, False):
        tag = "%s stream=%s" % (api, stream)
        p.reset()
        p.script({"text": "Hello there, general Kenobi.", "chunks": 5,
                  "usage": {"input": 11, "output": 7}})
        evs, summ = run(p, api, stream)
        is_(text(evs), "Hello there, general Kenobi.", tag + ": the text")
        is_(len([e for e in evs if e["type"] == "text"]), 5 if stream else 1,
            tag + ": as many deltas as the provider sent")
        is_(types(evs)[-3:], ["usage", "stop", "done"], tag + ": usage, stop, done")
        is_((last(evs, "usage").get("input"), last(evs, "usage").get("output")),
            (11, 7), tag + ": usage tokens")
        is_(last(evs, "stop").get("reason"), "stop", tag + ": stop reason")
        is_(summ["running"], 0, tag + ": no transfer left")
        req = p.requests[0]
        h, b = req["headers"], req["body"]
        ok(KEY.encode() not in req["raw"], tag + ": no key in the body")
        is_(b.get("model"), "model-1", tag + ": model")
        is_(b.get("stream"), stream, tag + ": stream flag")
        is_(h.get("content-type"), "application/json", tag + ": content type")
        if api == "anthropic-messages":
            is_(req["path"], "/v1/messages", tag + ": path")
            is_(h.get("x-api-key"), KEY, tag + ": x-api-key")
            is_(h.get("anthropic-version"), "2023-06-01", tag + ": version")
            ok("authorization" not in h, tag + ": no bearer")
            is_(b.get("system"), "You are terse.", tag + ": system")
            is_(b.get("max_tokens"), 1000, tag + ": max_tokens")
            is_(b.get("messages"), [{"role": "user", "content": [
                {"type": "text", "text": "hi"}]}], tag + ": messages")
        else:
            is_(h.get("authorization"), "Bearer " + KEY, tag + ": bearer")
            ok("x-api-key" not in h, tag + ": no x-api-key")
        if api == "openai-completions":
            is_(req["path"], "/v1/chat/completions", tag + ": path")
            is_(b.get("messages"), [{"role": "system", "content": "You are terse."},
                                    {"role": "user", "content": "hi"}],
                tag + ": messages, the system prompt first")
            is_(b.get("max_tokens"), 1000, tag + ": max_tokens")
            is_(b.get("stream_options"),
                {"include_usage": True} if stream else None,
                tag + ": stream_options.include_usage")
        if api == "openai-responses":
            is_(req["path"], "/v1/responses", tag + ": path")
            is_(b.get("instructions"), "You are terse.", tag + ": instructions")
            is_(b.get("input"), [{"role": "user", "content": "hi"}], tag + ": input")
            is_(b.get("max_output_tokens"), 1000, tag + ": max_output_tokens")
            is_(b.get("store"), False, tag + ": store false")

# Anthropic's baseUrl may carry the /v1 itself.
p.reset()
desc_base = p.url + "/v1"
r = subprocess.run([DRIVER], input=json.dumps({
    "provider": {"api": "anthropic-messages", "baseUrl": desc_base + "/",
                 "apiKey": KEY, "model": "m"}, "stream": False,
    "messages": [{"role": "user", "content": "x"}]}).encode(),
    capture_output=True, timeout=30, env=ENV)
is_(p.requests[0]["path"], "/v1/messages", "anthropic: baseUrl .../v1/ -> /v1/messages")
is_(p.requests[0]["body"].get("max_tokens"), 4096,
    "anthropic: max_tokens defaults to 4096 (the API requires one)")

# Tool calls, and a history with tool calls and their results.
HISTORY = [{"role": "user", "content": "read a.txt and b.txt"},
           {"role": "assistant", "content": "Reading.", "toolCalls": [
               {"id": "call_1", "name": "read", "arguments": '{"path":"a.txt"}'},
               {"id": "call_2", "name": "read", "arguments": '{"path":"b.txt"}'}]},
           {"role": "tool", "toolCallId": "call_1", "content": "AAA"},
           {"role": "tool", "toolCallId": "call_2", "content": "no such file",
            "isError": True}]
for api in APIS:
    for stream in (True, False):
        tag = "%s stream=%s tools" % (api, stream)
        p.reset()
        p.script({"text": "Let me look.", "chunks": 2, "args_chunks": 4,
                  "tool_calls": [{"id": "call_9", "name": "read",
                                  "arguments": '{"path":"c.txt"}'},
                                 {"id": "call_10", "name": "read",
                                  "arguments": '{"path":"d.txt"}'}]})
        evs, _ = run(p, api, stream, tools=TOOLS, messages=HISTORY)
        ends = [e for e in evs if e["type"] == "tool_end"]
        is_([(e["index"], e["id"], e["name"], e["arguments"]) for e in ends],
            [(0, "call_9", "read", '{"path":"c.txt"}'),
             (1, "call_10", "read", '{"path":"d.txt"}')], tag + ": two calls")
        for i, e in enumerate(ends):
            deltas = "".join(x["delta"] for x in evs if x["type"] == "tool_args"
                             and x["index"] == i)
            is_(deltas, e["arguments"], tag + ": call %d deltas add up" % i)
            starts = [x for x in evs if x["type"] == "tool_start" and x["index"] == i]
            ok(len(starts) == 1 and evs.index(starts[0]) < evs.index(e),
               tag + ": call %d starts once, before its end" % i)
        is_(last(evs, "stop").get("reason"), "tool_use", tag + ": stop tool_use")
        b = p.requests[0]["body"]
        if api == "openai-completions":
            is_(b["tools"][0], {"type": "function", "function": TOOLS[0]},
                tag + ": tool definition")
            m = b["messages"]
            is_(m[2]["tool_calls"][1], {"id": "call_2", "type": "function",
                "function": {"name": "read", "arguments": '{"path":"b.txt"}'}},
                tag + ": assistant tool_calls")
            is_(m[3], {"role": "tool", "tool_call_id": "call_1", "content": "AAA"},
                tag + ": tool result")
        elif api == "anthropic-messages":
            is_(b["tools"][0], {"name": "read", "description": "Read a file",
                                "input_schema": TOOLS[0]["parameters"]},
                tag + ": tool definition")
            m = b["messages"]
            is_([x["role"] for x in m], ["user", "assistant", "user"],
                tag + ": roles alternate (results merged)")
            is_(m[1]["content"][1], {"type": "tool_use", "id": "call_1",
                                     "name": "read", "input": {"path": "a.txt"}},
                tag + ": tool_use block, input an object")
            is_(m[2]["content"], [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "AAA"},
                {"type": "tool_result", "tool_use_id": "call_2",
                 "content": "no such file", "is_error": True}],
                tag + ": tool_result blocks")
        else:
            is_(b["tools"][0], dict(TOOLS[0], type="function", strict=False),
                tag + ": tool definition")
            is_([x.get("type", x.get("role")) for x in b["input"]],
                ["user", "assistant", "function_call", "function_call",
                 "function_call_output", "function_call_output"],
                tag + ": input items")
            is_(b["input"][4], {"type": "function_call_output",
                                "call_id": "call_1", "output": "AAA"},
                tag + ": function_call_output")

# HTTP errors and their kinds.
ERRORS = [
    ({"status": 429, "retry_after": "2"}, "rate_limit", "rate_limit", 2000, True),
    ({"status": 401, "error_message": "Incorrect API key provided: " + KEY},
     "unknown", "auth", -1, False),
    ({"status": 500}, "unknown", "server_error", -1, True),
    ({"status": 529}, "rate_limit", "overloaded", -1, True),
    ({"status": 400, "error_type": "context_length_exceeded",
      "error_message": "This model's maximum context length is 8192 tokens"},
     "context_length", "context_overflow", -1, False),
    ({"status": 400}, "unknown", "format", -1, False),
]
for api in APIS:
    for rep, kind, reason, ra, retry in ERRORS:
        tag = "%s HTTP %d %s" % (api, rep["status"], reason)
        p.reset()
        p.script(rep)
        evs, _ = run(p, api, True)
        e = last(evs, "error")
        is_(types(evs), ["error"], tag + ": one error event, nothing else")
        is_((e.get("kind"), e.get("reason"), e.get("status"), e.get("retryAfterMs"),
             e.get("retryable")), (kind, reason, rep["status"], ra, retry),
            tag + ": kind, reason, status, Retry-After, retryable")
        like(e.get("detail", ""), "HTTP %d: " % rep["status"], tag + ": detail")
        ok(KEY not in e.get("detail", "") and "SECRETKEY" not in e.get("detail", ""),
           tag + ": no key in the detail")

# An error event inside a 200 stream, after some output.
for api, etype, kind in (("anthropic-messages", "overloaded_error", "rate_limit"),
                         ("openai-completions", "server_error", "unknown"),
                         ("openai-responses", "rate_limit_exceeded", "rate_limit")):
    p.reset()
    p.script({"text": "partial answer", "chunks": 3,
              "chunks_before_error": EARLY[api],
              "stream_error": {"type": etype, "message": "try later"}})
    evs, _ = run(p, api, True)
    e = last(evs, "error")
    is_(types(evs)[-1], "error", api + ": stream error event ends the call")
    is_((e.get("kind"), e.get("outputSeen"), e.get("retryable")), (kind, True, False),
        api + ": its kind; output came first, so not retried")
    like(e.get("detail", ""), "try later", api + ": the provider's message")

# A stream that stalls: the idle timeout.  A slow first byte: that one.
for api in APIS:
    p.reset()
    p.script({"text": "abcdefgh", "chunks": 4, "stall_after": EARLY[api]})
    t0 = time.time()
    evs, _ = run(p, api, True, timeouts={"idleMs": 400})
    e = last(evs, "error")
    is_((e.get("kind"), e.get("reason"), e.get("timeout")), ("timeout", "timeout", 3),
        api + ": a stalled stream ends with the idle timeout")
    ok(time.time() - t0 < 5, api + ": in about the idle time")
    is_(e.get("outputSeen"), True, api + ": after output: not retried")
    ok(len(text(evs)) > 0, api + ": the text before the stall came through")
p.reset()
p.script({"text": "late", "first_byte_delay": 1.5})
evs, _ = run(p, "openai-completions", True, timeouts={"firstByteMs": 300})
e = last(evs, "error")
is_((e.get("kind"), e.get("timeout"), e.get("retryable")), ("timeout", 2, True),
    "a slow first byte: the first-byte timeout, retryable")

# A stream that keeps coming, slower than the total allows.
p.reset()
p.script({"text": "x" * 20, "chunks": 20, "delay": 0.1})
evs, _ = run(p, "anthropic-messages", True,
             timeouts={"totalMs": 600, "idleMs": 5000})
e = last(evs, "error")
is_((e.get("kind"), e.get("timeout"), e.get("outputSeen")), ("timeout", 4, True),
    "a stream past the total timeout ends with it")

# A stream cut mid-way.
for api in APIS:
    p.reset()
    p.script({"text": "abcdefgh", "chunks": 4, "cut_after": EARLY[api]})
    evs, _ = run(p, api, True)
    e = last(evs, "error")
    is_((e.get("kind"), e.get("reason"), e.get("outputSeen")),
        ("unknown", "connection", True), api + ": a cut stream is an error")
    is_(types(evs).count("done"), 0, api + ": and never done")

# Abort: from a timer, and from inside the event callback.
for api in APIS:
    p.reset()
    p.script({"text": "x" * 40, "chunks": 20, "delay": 0.1})
    t0 = time.time()
    evs, summ = run(p, api, True, abortAfterMs=400)
    ab = [e for e in evs if e["type"] == "aborted"]
    ok(len(ab) == 1 and evs[-1]["type"] == "aborted",
       api + ": abort is the last thing (no event after it)")
    is_(ab[0].get("running") if ab else None, 0,
        api + ": the transfer is gone at once")
    ok(time.time() - t0 < 2, api + ": the run ended at the abort")
    p.reset()
    p.script({"text": "abcdef", "chunks": 6})
    evs, summ = run(p, api, True, abortAfterEvents=2)
    is_(types(evs), ["text", "text", "aborted"],
        api + ": abort inside the callback: no event after it")
    is_(summ["running"], 0, api + ": nothing left at exit")

# Connections are reused; HTTP/2 only over TLS, so here HTTP/1.1 keep-alive.
p.reset()
evs, summ = run(p, "openai-completions", True, turns=3)
is_(summ["done"], 3, "three turns in a row")
is_(len(set(r["peer"] for r in p.requests)), 1, "one connection for the three")

# A proxy from the environment (http_proxy, as libcurl reads it): the
# stand-in, as the proxy, gets the absolute URL of a host that does not
# resolve.
p.reset()
evs, _ = run(p, "openai-completions", False,
             env=dict(ENV, http_proxy=p.url),
             provider={"api": "openai-completions", "apiKey": KEY, "model": "m",
                       "baseUrl": "http://provider.invalid/v1"})
is_(types(evs)[-1], "done", "through the proxy of the environment")
is_(p.requests[0]["path"], "http://provider.invalid/v1/chat/completions",
    "the proxy got the absolute URL")

# Nothing listens: a connection error, retryable.
s = socket.socket()
s.bind(("127.0.0.1", 0))
dead = s.getsockname()[1]
s.close()
r = subprocess.run([DRIVER], input=json.dumps({
    "provider": {"api": "openai-completions", "apiKey": KEY, "model": "m",
                 "baseUrl": "http://127.0.0.1:%d/v1" % dead},
    "stream": True, "messages": [{"role": "user", "content": "x"}]}).encode(),
    capture_output=True, timeout=30, env=ENV)
e = json.loads(r.stdout.decode().splitlines()[0])
is_((e["type"], e["reason"], e["retryable"]), ("error", "connection", True),
    "connection refused: a retryable connection error")

# A reply that is not what the format says.
p.reset()
p.script({"raw_body": b"<html>oops</html>"})
evs, _ = run(p, "openai-completions", False)
is_((last(evs, "error").get("reason"), types(evs)), ("protocol", ["error"]),
    "a body that is not JSON: a protocol error")

p.stop()
done_testing()
