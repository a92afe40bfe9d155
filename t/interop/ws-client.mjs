// A plain third-party v4 client built on the npm `ws` package, used by
// t/91-interop-ws.t.  It does what any client written from the protocol
// would do (spec/protocol.md §2 and §10.1): wait for connect.challenge, send
// the CLI's connect frame, take hello-ok, call health, wait for a tick, and
// close; then it checks that a wrong token is refused with 1008.
//
//   node ws-client.mjs ws://127.0.0.1:PORT TOKEN
//
// Prints one "ok <step> ..." line per step passed; on the first failure
// prints "FAIL <step>: <why>" and exits 1.  Exits 0 when every step passed.
import { randomUUID } from "node:crypto";
import WebSocket from "ws";

const [url, token] = process.argv.slice(2);
if (!url || !token) {
	console.error("usage: node ws-client.mjs URL TOKEN");
	process.exit(2);
}

let step = "start";
function fail(why) {
	console.log(`FAIL ${step}: ${why}`);
	process.exit(1);
}
function pass(what) {
	console.log(`ok ${step}${what ? " " + what : ""}`);
}
let overall;
function deadline(ms) {
	clearTimeout(overall);
	overall = setTimeout(() => fail(`timed out (${ms} ms)`), ms);
	overall.unref();
}
deadline(20000);

// A connection whose messages can be awaited one at a time.
function open(u) {
	const ws = new WebSocket(u, { perMessageDeflate: false });
	const queue = [];
	const waiters = [];
	let closed = null;
	ws.on("message", (data, isBinary) => {
		let m;
		try {
			m = JSON.parse(data.toString());
		} catch (e) {
			fail(`server sent non-JSON ${isBinary ? "binary" : "text"} frame: ${data}`);
		}
		queue.push(m);
		wake();
	});
	ws.on("close", (code, reason) => {
		closed = { code, reason: reason.toString() };
		wake();
	});
	ws.on("error", (e) => {
		closed = closed || { code: 1006, reason: String(e) };
		wake();
	});
	function wake() {
		while (waiters.length) waiters.shift()();
	}
	// Next message matching pred, or reject on close / timeout.
	async function next(pred, ms, what) {
		const end = Date.now() + ms;
		for (;;) {
			const i = queue.findIndex(pred);
			if (i >= 0) return queue.splice(i, 1)[0];
			if (closed) throw new Error(`closed ${closed.code} "${closed.reason}" while waiting for ${what}`);
			const left = end - Date.now();
			if (left <= 0) throw new Error(`no ${what} within ${ms} ms`);
			await new Promise((r) => {
				const t = setTimeout(r, left);
				waiters.push(() => {
					clearTimeout(t);
					r();
				});
			});
		}
	}
	async function closedP(ms) {
		const end = Date.now() + ms;
		while (!closed && Date.now() < end) {
			await new Promise((r) => {
				const t = setTimeout(r, end - Date.now());
				waiters.push(() => {
					clearTimeout(t);
					r();
				});
			});
		}
		return closed;
	}
	const opened = new Promise((res, rej) => {
		ws.once("open", res);
		ws.once("error", rej);
	});
	return { ws, next, opened, closed: closedP };
}

function connectFrame(tok) {
	return {
		type: "req",
		id: `1:${randomUUID()}`,
		method: "connect",
		params: {
			minProtocol: 4,
			maxProtocol: 4,
			client: {
				id: "cli",
				version: "2026.9.6",
				platform: "linux",
				mode: "cli",
				instanceId: randomUUID(),
			},
			caps: [],
			auth: { token: tok },
			role: "operator",
			scopes: ["operator.read"],
		},
	};
}

async function main() {
	step = "open";
	const c = open(url);
	await c.opened.catch((e) => fail(String(e)));
	pass(url);

	step = "challenge";
	const ch = await c.next((m) => m.type === "event", 5000, "connect.challenge");
	if (ch.event !== "connect.challenge") fail(`first event is ${ch.event}`);
	if (typeof ch.payload?.nonce !== "string" || !ch.payload.nonce) fail(`no nonce: ${JSON.stringify(ch)}`);
	pass(`nonce=${ch.payload.nonce}`);

	step = "hello-ok";
	const req = connectFrame(token);
	c.ws.send(JSON.stringify(req));
	const res = await c.next((m) => m.type === "res" && m.id === req.id, 5000, "connect res");
	if (res.ok !== true) fail(`connect refused: ${JSON.stringify(res.error)}`);
	const hello = res.payload;
	if (hello?.type !== "hello-ok") fail(`payload type ${hello?.type}`);
	if (hello.protocol !== 4) fail(`protocol ${hello.protocol}`);
	if (typeof hello.server?.version !== "string") fail("no server.version");
	if (!Array.isArray(hello.snapshot?.presence)) fail("no snapshot.presence");
	if (typeof hello.policy?.tickIntervalMs !== "number") fail("no policy.tickIntervalMs");
	if (!hello.features?.methods?.includes("health")) fail("features.methods lacks health");
	pass(`protocol=${hello.protocol} tickIntervalMs=${hello.policy.tickIntervalMs} scopes=${JSON.stringify(hello.auth?.scopes)}`);

	step = "health";
	const hreq = { type: "req", id: randomUUID(), method: "health" };
	c.ws.send(JSON.stringify(hreq));
	const hres = await c.next((m) => m.type === "res" && m.id === hreq.id, 5000, "health res");
	if (hres.ok !== true) fail(`health failed: ${JSON.stringify(hres.error)}`);
	if (hres.payload?.ok !== true) fail(`health payload ok=${hres.payload?.ok}`);
	if (typeof hres.payload.sessions !== "object") fail("health payload has no sessions");
	pass("ok=true");

	step = "tick";
	const waitMs = Math.max(2000, 3 * hello.policy.tickIntervalMs);
	deadline(waitMs + 20000);
	const t0 = Date.now();
	const tick = await c.next((m) => m.type === "event" && m.event === "tick", waitMs, "tick event");
	if (typeof tick.payload?.ts !== "number") fail(`tick has no payload.ts: ${JSON.stringify(tick)}`);
	pass(`after ${Date.now() - t0} ms`);

	step = "close";
	c.ws.close(1000, "bye");
	const cl = await c.closed(5000);
	if (!cl) fail("server did not answer the close");
	if (cl.code !== 1000) fail(`close code ${cl.code} "${cl.reason}"`);
	pass(`code=${cl.code}`);

	step = "bad-token";
	const b = open(url);
	await b.opened.catch((e) => fail(String(e)));
	await b.next((m) => m.type === "event" && m.event === "connect.challenge", 5000, "connect.challenge");
	const breq = connectFrame(token + "-wrong");
	b.ws.send(JSON.stringify(breq));
	const bres = await b.next((m) => m.type === "res" && m.id === breq.id, 5000, "connect res");
	if (bres.ok !== false) fail("wrong token was accepted");
	if (bres.error?.details?.code !== "AUTH_TOKEN_MISMATCH") fail(`error ${JSON.stringify(bres.error)}`);
	const bcl = await b.closed(5000);
	if (!bcl) fail("server did not close after the refused connect");
	if (bcl.code !== 1008) fail(`close code ${bcl.code} "${bcl.reason}"`);
	pass(`code=${bcl.code} message="${bres.error.message}"`);

	console.log("done");
	process.exit(0);
}

main().catch((e) => fail(e.message || String(e)));
