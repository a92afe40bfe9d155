#!/usr/bin/env python3
"""Figures for the agent worker's provider client (workers/agent/):
the CPU the client spends per streamed turn, and the memory it holds
per concurrent streaming transfer.  It runs t/tools/provider-driver
against the provider stand-in (t/lib/gwtest/provider_standin.py, the
real providers being out of reach); the driver measures itself
(getrusage, /proc/self/status).  Loopback only; prints, asserts nothing.

    bench/provider-figures.py [BUILD_DIR] [TURNS] [CONCURRENT]

CPU per turn: TURNS turns one after another, each a reply streamed in
50 SSE events, less a 1-turn run (start-up), divided by TURNS - 1.
Memory: CONCURRENT streams at once, each 50 events 50 ms apart; the
RSS when every one of them has streamed its first text, less the same
with one stream, divided by CONCURRENT - 1.
"""
import json, os, subprocess, sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(top, "t", "lib"))
from gwtest.provider_standin import ProviderStandin

build = sys.argv[1] if len(sys.argv) > 1 else "_build"
turns = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
conc = int(sys.argv[3]) if len(sys.argv) > 3 else 200
driver = os.path.join(build, "t", "tools", "provider-driver")
TEXT = "The quick brown fox jumps over the lazy dog. " * 10


def run(p, api, reply, n_replies, **extra):
    p.reset()
    p.script(*[dict(reply) for _ in range(n_replies)])
    base = p.url if api == "anthropic-messages" else p.url + "/v1"
    desc = {"provider": {"api": api, "baseUrl": base, "apiKey": "sk-bench",
                         "model": "m"},
            "stream": True, "quiet": True,
            "messages": [{"role": "user", "content": "hi"}]}
    desc.update(extra)
    r = subprocess.run([driver], input=json.dumps(desc).encode(),
                       capture_output=True, timeout=3600, check=True)
    return json.loads(r.stdout.decode().splitlines()[-1])


with ProviderStandin() as p:
    for api in ("openai-completions", "anthropic-messages",
                "openai-responses"):
        # openai sends role + 50 text + finish + usage + [DONE]: ~50 events
        reply = {"text": TEXT, "chunks": 48, "usage": {"input": 9, "output": 50}}
        one = run(p, api, reply, 1, turns=1)
        many = run(p, api, reply, turns, turns=turns)
        per = (many["cpuMs"] - one["cpuMs"]) / (turns - 1)
        print("%-19s cpu per streamed turn (50 events): %.3f ms "
              "(%d turns: %.0f ms cpu, %.0f ms wall; errors %d)" %
              (api, per, turns, many["cpuMs"], many["wallMs"], many["errors"]))
    slow = {"text": TEXT, "chunks": 48, "delay": 0.05,
            "usage": {"input": 9, "output": 50}}
    one = run(p, "openai-completions", slow, 1, concurrency=1)
    many = run(p, "openai-completions", slow, conc, concurrency=conc)
    kib = (many["peakStreamingRssKiB"] - one["peakStreamingRssKiB"]) / (conc - 1)
    print("openai-completions  memory per concurrent stream: %.1f KiB RSS "
          "(%d streams: %d KiB, 1 stream: %d KiB); provider state held per "
          "call: %d bytes; done %d, errors %d" %
          (kib, conc, many["peakStreamingRssKiB"], one["peakStreamingRssKiB"],
           many["heldBytes"] // conc, many["done"], many["errors"]))
