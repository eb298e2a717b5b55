#!/usr/bin/env node
// C10k: W7's echo server at 10,000 concurrent connections, for asyncio-ts, raw node:net
// (js_raw) and CPython asyncio (3.11 and 3.13 when installed). Each server runs in a fresh
// process with its file-descriptor limit raised (`ulimit -n`, to the hard limit); one load
// generator (bench/c10k_client.mjs, plain node:net, the same for every server) connects
// from another process over loopback, then every connection plays line ping-pong for a
// fixed time. Reported: round trips per second and the p50 / p99 round-trip latency, the
// median over interleaved rounds. Bounded: connecting gets at most a minute, the
// ping-pong phase --seconds, and every process a hard timeout.
//
//   node bench/c10k.mjs [--conns 10000] [--seconds 5] [--reps 3] [--only asyncio_ts,js_raw]
//                       [--json]
//
// Needs the bench bundles (bench/dist, built by bench/run.mjs; run through
// `node bench/run.mjs --c10k`) and a hard fd limit above --conns (+ a few).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
/** Where the bench bundles are (bench/run.mjs builds them into bench/dist). */
const dist = path.resolve(flag("dist", path.join(here, "dist")));
const CONNS = Number(flag("conns", "10000"));
const SECONDS = Number(flag("seconds", "5"));
const REPS = Number(flag("reps", "3"));
const ONLY = flag("only", "").split(",").filter(Boolean);
const JSON_OUT = argv.includes("--json");
/** The listen backlog every server asks for (the kernel caps it at net.core.somaxconn). */
const BACKLOG = 4096;
const PROCESS_TIMEOUT_MS = 150_000;
const PYTHON313 = process.env.BENCH_PYTHON313 ?? "/root/.pyenv/versions/3.13.0/bin/python3";
const PY = path.join(here, "peers", "py_asyncio.py");

const SERVERS = [
  { id: "asyncio_ts", cmd: ["node", [path.join(dist, "asyncio_ts.mjs")]] },
  { id: "js_raw", cmd: ["node", [path.join(dist, "peers", "js_raw.mjs")]] },
  { id: "py_asyncio", cmd: ["python3", [PY]] },
  ...(existsSync(PYTHON313) ? [{ id: "py_asyncio_313", cmd: [PYTHON313, [PY]] }] : []),
].filter((s) => ONLY.length === 0 || ONLY.includes(s.id));

/** `cmd` in a shell that first raises the soft fd limit to the hard one. */
const withFdLimit = ([exe, args]) => [
  "sh",
  ["-c", 'ulimit -n "$(ulimit -Hn)" && exec "$@"', "sh", exe, ...args],
];

function hardFdLimit() {
  const r = spawnSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" });
  const v = r.stdout.trim();
  return v === "unlimited" ? Number.POSITIVE_INFINITY : Number(v);
}

/** Starts a server; resolves with its process and port once it printed the port. */
function startServer(server) {
  const [exe, args] = withFdLimit([
    server.cmd[0],
    [...server.cmd[1], "echo-server", "--backlog", String(BACKLOG)],
  ]);
  const child = spawn(exe, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${server.id}: no port after 60 s: ${stderr.slice(-300)}`));
    }, 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolve({ child, port: JSON.parse(line).port, stderr: () => stderr });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${server.id} exited (${code}) before listening: ${stderr.slice(-300)}`));
    });
  });
}

/** Runs the load generator against `port`; resolves with its report. */
function runClient(port) {
  const [exe, args] = withFdLimit([
    "node",
    [
      path.join(here, "c10k_client.mjs"),
      "--port",
      String(port),
      "--conns",
      String(CONNS),
      "--seconds",
      String(SECONDS),
    ],
  ]);
  const r = spawnSync(exe, args, { cwd: root, encoding: "utf8", timeout: PROCESS_TIMEOUT_MS });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`client failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(line);
}

async function once(server) {
  let s;
  try {
    s = await startServer(server);
  } catch (e) {
    return { impl: server.id, ok: false, error: String(e.message ?? e) };
  }
  try {
    const rec = runClient(s.port);
    const alive = s.child.exitCode === null;
    return {
      impl: server.id,
      ...rec,
      ok: rec.ok && alive,
      ...(alive ? {} : { error: `server died: ${s.stderr().slice(-300)}` }),
    };
  } catch (e) {
    return { impl: server.id, ok: false, error: String(e.message ?? e) };
  } finally {
    s.child.kill("SIGKILL");
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const limit = hardFdLimit();
  if (limit < CONNS + 64) {
    const msg = `C10k skipped: the hard fd limit is ${limit}, below ${CONNS} connections (+64)`;
    if (JSON_OUT) console.log(JSON.stringify({ skipped: msg }));
    else console.log(msg);
    return;
  }
  const runs = [];
  for (let rep = 1; rep <= REPS; rep++) {
    for (const server of SERVERS) {
      const rec = await once(server);
      rec.rep = rep;
      runs.push(rec);
      process.stderr.write(
        `[c10k ${rep}/${REPS}] ${server.id.padEnd(15)} ${rec.ok ? `${rec.connections} conns, ${rec.rate}/s, p50 ${rec.p50_ms} ms, p99 ${rec.p99_ms} ms` : `FAILED ${rec.error ?? `errors=${rec.errors} connections=${rec.connections}`}`}\n`,
      );
    }
  }
  const medians = SERVERS.map((server) => {
    const mine = runs.filter((r) => r.impl === server.id);
    const good = mine.filter((r) => r.ok);
    if (good.length < mine.length || good.length === 0)
      return {
        impl: server.id,
        failed: true,
        errors: [...new Set(mine.filter((r) => !r.ok).map((r) => r.error ?? "check"))],
      };
    const m = (k) => median(good.map((r) => r[k]));
    return {
      impl: server.id,
      connections: m("connections"),
      rate: m("rate"),
      p50_ms: m("p50_ms"),
      p99_ms: m("p99_ms"),
      connect_seconds: m("connect_seconds"),
      reps: good.length,
    };
  });
  const result = { conns: CONNS, seconds: SECONDS, backlog: BACKLOG, reps: REPS, medians, runs };
  if (JSON_OUT) console.log(JSON.stringify(result));
  else console.log(formatC10k(result));
}

/** The C10k table (markdown). */
export function formatC10k(result) {
  const rows = result.medians.map((m) =>
    m.failed
      ? `| ${m.impl} | FAILED: ${m.errors.join(" / ").replaceAll("|", "/").slice(0, 200)} | | | |`
      : `| ${m.impl} | ${m.connections.toLocaleString("en-US")} | ${(m.rate / 1000).toFixed(1)}k/s | ${m.p50_ms.toFixed(1)} ms | ${m.p99_ms.toFixed(1)} ms |`,
  );
  return [
    "| server | connections | round trips/s | p50 | p99 |",
    "|---|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
