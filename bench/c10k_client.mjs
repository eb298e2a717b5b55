#!/usr/bin/env node
// The C10k load generator (run by bench/c10k.mjs, the same for every server): opens
// --conns connections to 127.0.0.1:--port in batches, then has every connection play
// line ping-pong (64-byte lines, one in flight per connection) for --seconds, and reports
// the round trips per second and the round-trip latency percentiles. Plain node:net, one
// process; the latency includes this process's own loop, the same for every server.
//
//   node bench/c10k_client.mjs --port P [--conns 10000] [--seconds 5] [--batch 500]
//
// Prints one JSON line: {connections, connect_seconds, round_trips, seconds, rate,
// p50_ms, p99_ms, max_ms, errors, ok}.
import net from "node:net";

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const PORT = Number(flag("port"));
const CONNS = Number(flag("conns", "10000"));
const SECONDS = Number(flag("seconds", "5"));
const BATCH = Number(flag("batch", "500"));
/** The whole run is bounded: connecting gets this long, then the ping-pong phase. */
const CONNECT_DEADLINE_MS = 60_000;
/** One line: 63 bytes and the newline, as W7's. */
const PAYLOAD = `${"x".repeat(63)}\n`;
if (!Number.isInteger(PORT) || PORT <= 0) throw new Error("--port is required");

let errors = 0;
const rtts = [];

function connectOne() {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port: PORT, noDelay: true });
    sock.setEncoding("latin1");
    sock.once("connect", () => resolve(sock));
    sock.once("error", () => {
      errors++;
      resolve(null);
    });
  });
}

/** Ping-pong on one connection until `end` (performance.now() ms); resolves when it stops. */
function pingPong(sock, end) {
  return new Promise((resolve) => {
    let buf = "";
    let sent = 0;
    const send = () => {
      sent = performance.now();
      sock.write(PAYLOAD, "latin1");
    };
    sock.on("data", (chunk) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl + 1);
        buf = buf.slice(nl + 1);
        const now = performance.now();
        if (line !== PAYLOAD) errors++;
        rtts.push(now - sent);
        if (now < end) send();
        else {
          sock.end();
          resolve();
          return;
        }
      }
    });
    sock.on("error", () => {
      errors++;
      resolve();
    });
    sock.on("close", () => resolve());
    send();
  });
}

const pct = (sorted, p) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function main() {
  const t0 = performance.now();
  const socks = [];
  while (socks.length < CONNS && performance.now() - t0 < CONNECT_DEADLINE_MS) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, CONNS - socks.length) }, connectOne),
    );
    for (const s of batch) if (s !== null) socks.push(s);
    if (batch.every((s) => s === null)) break;
  }
  const connectSeconds = (performance.now() - t0) / 1000;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(socks.map((s) => pingPong(s, end)));
  const seconds = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(rtts).sort();
  const out = {
    connections: socks.length,
    connect_seconds: +connectSeconds.toFixed(3),
    round_trips: rtts.length,
    seconds: +seconds.toFixed(3),
    rate: +(rtts.length / seconds).toFixed(1),
    p50_ms: +pct(sorted, 0.5).toFixed(3),
    p99_ms: +pct(sorted, 0.99).toFixed(3),
    max_ms: +(sorted[sorted.length - 1] ?? 0).toFixed(3),
    errors,
    ok: socks.length === CONNS && errors === 0 && rtts.length >= CONNS,
  };
  console.log(JSON.stringify(out));
  for (const s of socks) s.destroy();
}

await main();
