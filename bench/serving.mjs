#!/usr/bin/env node
// The serving benchmark: HTTP hello-world and JSON round trips with 100 concurrent
// keep-alive connections (autocannon, loopback), asyncio-ts's http server against raw
// node:http and Fastify in the same run; WebSocket echo messages/s, asyncio-ts's
// websockets against raw `ws`. Each server runs in a fresh process; the load generator runs
// here. Rounds interleave the implementations so that a slow minute on a shared machine
// hits all of them alike; the median of the rounds is reported, with p99 latency.
//
// Usage: node bench/serving.mjs [--quick] [--reps N] [--duration S]
// Writes bench/results/serving.json (serving-quick.json with --quick).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { WebSocket } from "ws";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const distDir = path.join(here, "dist-serving");
const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const QUICK = argv.includes("--quick");
const REPS = Number(flag("reps", QUICK ? "1" : "3"));
const DURATION = Number(flag("duration", QUICK ? "3" : "8"));
const WARMUP = QUICK ? 1 : 2;
const CONNECTIONS = 100;
const WS_CONNECTIONS = 50;
const WS_WINDOW = 4; // messages in flight per WebSocket connection
for (const [name, v] of [
  ["reps", REPS],
  ["duration", DURATION],
]) {
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`serving bench: --${name} must be a positive number`);
    process.exit(2);
  }
}

const JSON_BODY = JSON.stringify({ id: 42, name: "asyncio-ts", tags: ["a", "b", "c"], ok: true });
const WORKLOADS = {
  hello: { impls: ["asyncio_ts", "node_http", "fastify"], what: "GET / → 13-byte text" },
  json: {
    impls: ["asyncio_ts", "node_http", "fastify"],
    what: "POST /echo, JSON body parsed and answered as JSON",
  },
  ws_echo: {
    impls: ["asyncio_ts", "ws"],
    what: `WebSocket echo, ${WS_CONNECTIONS} connections × ${WS_WINDOW} messages in flight`,
  },
};

function build() {
  mkdirSync(distDir, { recursive: true });
  const esbuild = path.join(root, "node_modules", ".bin", "esbuild");
  const r = spawnSync(
    esbuild,
    [
      path.join(here, "serving", "servers.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--packages=external",
      `--outfile=${path.join(distDir, "servers.mjs")}`,
      "--log-level=error",
    ],
    { cwd: root, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr || r.error?.message}`);
}

/** Starts a server process; resolves with its port and the process. */
function startServer(impl, workload) {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [path.join(distDir, "servers.mjs"), impl, workload], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, port: JSON.parse(line).port });
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("exit", (code) =>
      reject(new Error(`${impl} ${workload} exited ${code}: ${err.slice(-400)}`)),
    );
  });
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

function cannon(port, workload, seconds) {
  const opts = {
    url: `http://127.0.0.1:${port}${workload === "json" ? "/echo" : "/"}`,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
  };
  if (workload === "json") {
    opts.method = "POST";
    opts.body = JSON_BODY;
    opts.headers = { "content-type": "application/json" };
  }
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** WebSocket echo load: every connection keeps WS_WINDOW messages in flight. */
async function wsLoad(port, seconds) {
  const conns = await Promise.all(
    Array.from(
      { length: WS_CONNECTIONS },
      () =>
        new Promise((resolve, reject) => {
          const c = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
          c.once("open", () => resolve(c));
          c.once("error", reject);
        }),
    ),
  );
  const payload = "x".repeat(64);
  const latencies = [];
  let count = 0;
  let running = true;
  const t0 = performance.now();
  await new Promise((resolve) => {
    for (const c of conns) {
      const sentAt = [];
      c.on("message", () => {
        count++;
        const s = sentAt.shift();
        if ((count & 15) === 0) latencies.push(performance.now() - s);
        if (running) {
          sentAt.push(performance.now());
          c.send(payload);
        }
      });
      for (let i = 0; i < WS_WINDOW; i++) {
        sentAt.push(performance.now());
        c.send(payload);
      }
    }
    setTimeout(() => {
      running = false;
      resolve();
    }, seconds * 1000);
  });
  const elapsed = (performance.now() - t0) / 1000;
  for (const c of conns) c.terminate();
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN;
  return { rate: count / elapsed, p99, count };
}

/**
 * CPU seconds (user + system) the process `pid` has used, from /proc (Linux); NaN
 * elsewhere. CPU per request does not depend on how busy the machine is, unlike
 * throughput: on a shared machine it is the comparison to trust.
 */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

async function measure(impl, workload) {
  const { child, port } = await startServer(impl, workload);
  try {
    if (workload === "ws_echo") {
      await wsLoad(port, WARMUP);
      const cpu0 = cpuSeconds(child.pid);
      const w = await wsLoad(port, DURATION);
      const cpu = cpuSeconds(child.pid) - cpu0;
      return { rate: w.rate, p99: w.p99, cpu_us: (1e6 * cpu) / w.count };
    }
    await cannon(port, workload, WARMUP);
    const cpu0 = cpuSeconds(child.pid);
    const r = await cannon(port, workload, DURATION);
    const cpu = cpuSeconds(child.pid) - cpu0;
    const bad = r.non2xx + r.errors + r.timeouts;
    if (bad > 0)
      throw new Error(
        `${bad} failed requests (non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})`,
      );
    return {
      rate: r.requests.average,
      p99: r.latency.p99,
      cpu_us: (1e6 * cpu) / r.requests.total,
    };
  } finally {
    await stopServer(child);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

async function main() {
  build();
  const runs = [];
  for (let rep = 1; rep <= REPS; rep++) {
    for (const [w, { impls }] of Object.entries(WORKLOADS)) {
      // Alternate the order each round: no implementation always goes first.
      const order = rep % 2 === 0 ? [...impls].reverse() : impls;
      for (const impl of order) {
        try {
          const r = await measure(impl, w);
          runs.push({ impl, workload: w, rep, ok: true, ...r });
          process.stderr.write(
            `[${rep}/${REPS}] ${w.padEnd(8)} ${impl.padEnd(11)} ${fmt(r.rate)}/s  p99 ${r.p99.toFixed(1)} ms  ${r.cpu_us.toFixed(1)} µs CPU each\n`,
          );
        } catch (e) {
          runs.push({ impl, workload: w, rep, ok: false, error: String(e) });
          process.stderr.write(`[${rep}/${REPS}] ${w.padEnd(8)} ${impl.padEnd(11)} FAILED ${e}\n`);
        }
      }
    }
  }
  const medians = [];
  for (const [w, { impls }] of Object.entries(WORKLOADS)) {
    for (const impl of impls) {
      const mine = runs.filter((r) => r.impl === impl && r.workload === w);
      const good = mine.filter((r) => r.ok);
      if (good.length < mine.length || good.length === 0) {
        medians.push({
          impl,
          workload: w,
          failed: true,
          errors: mine.filter((r) => !r.ok).map((r) => r.error),
        });
        continue;
      }
      medians.push({
        impl,
        workload: w,
        rate: median(good.map((r) => r.rate)),
        p99: median(good.map((r) => r.p99)),
        cpu_us: median(good.map((r) => r.cpu_us)),
      });
    }
  }
  const get = (impl, w) => medians.find((m) => m.impl === impl && m.workload === w && !m.failed);
  const rows = [];
  for (const [w, { impls, what }] of Object.entries(WORKLOADS)) {
    const unit = w === "ws_echo" ? "msgs/s" : "req/s";
    const base = w === "ws_echo" ? get("ws", w) : get("node_http", w);
    for (const impl of impls) {
      const m = medians.find((x) => x.impl === impl && x.workload === w);
      if (m.failed) {
        rows.push(`| ${w} | ${impl} | FAILED | | | | | ${m.errors[0]?.slice(0, 120) ?? ""} |`);
        continue;
      }
      const vs = base ? `${((100 * m.rate) / base.rate).toFixed(0)}%` : "";
      const ef = base ? `${((100 * base.cpu_us) / m.cpu_us).toFixed(0)}%` : "";
      rows.push(
        `| ${w} | ${impl} | ${fmt(m.rate)} ${unit} | ${m.p99.toFixed(1)} ms | ${vs} | ${m.cpu_us.toFixed(1)} µs | ${ef} | ${impl === impls[0] ? what : ""} |`,
      );
    }
  }
  const targets = [];
  const ratio = (a, b) => (a && b ? a.rate / b.rate : Number.NaN);
  const eff = (a, b) => (a && b ? b.cpu_us / a.cpu_us : Number.NaN);
  const t = (name, value, ok) =>
    targets.push(
      `| ${name} | ${Number.isNaN(value) ? "–" : `${(100 * value).toFixed(0)}%`} | ${Number.isNaN(value) ? "not measured" : ok ? "met" : "**missed**"} |`,
    );
  const h = ratio(get("asyncio_ts", "hello"), get("node_http", "hello"));
  t("hello-world ≥ 80% of raw node:http", h, h >= 0.8);
  const f = ratio(get("asyncio_ts", "hello"), get("fastify", "hello"));
  t("hello-world within 10% of Fastify (≥ 90%)", f, f >= 0.9);
  const j = ratio(get("asyncio_ts", "json"), get("node_http", "json"));
  t("JSON vs raw node:http (no target; reported)", j, true);
  const wsr = ratio(get("asyncio_ts", "ws_echo"), get("ws", "ws_echo"));
  t("WebSocket echo ≥ 85% of raw ws", wsr, wsr >= 0.85);
  // Server CPU per request: what a busy machine does not distort.
  const he = eff(get("asyncio_ts", "hello"), get("node_http", "hello"));
  t("hello-world CPU efficiency ≥ 80% of raw node:http", he, he >= 0.8);
  const fe = eff(get("asyncio_ts", "hello"), get("fastify", "hello"));
  t("hello-world CPU efficiency ≥ 90% of Fastify", fe, fe >= 0.9);
  const je = eff(get("asyncio_ts", "json"), get("node_http", "json"));
  t("JSON CPU efficiency vs raw node:http (no target; reported)", je, true);
  const we = eff(get("asyncio_ts", "ws_echo"), get("ws", "ws_echo"));
  t("WebSocket echo CPU efficiency ≥ 85% of raw ws", we, we >= 0.85);
  const load = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(", ");
  const table = [
    `Serving benchmark: ${REPS} round(s) × ${DURATION} s per (implementation, workload), ${CONNECTIONS} keep-alive connections (autocannon), node ${process.version}, ${os.cpus().length} CPUs, load average ${load}.`,
    "",
    "| workload | implementation | throughput (median) | p99 latency | throughput vs raw | server CPU per request | efficiency vs raw | what |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "| target | asyncio-ts / peer | |",
    "|---|---|---|",
    ...targets,
  ].join("\n");
  console.log(`\n${table}\n`);
  mkdirSync(path.join(here, "results"), { recursive: true });
  writeFileSync(
    path.join(here, "results", QUICK ? "serving-quick.json" : "serving.json"),
    `${JSON.stringify({ date: new Date().toISOString(), quick: QUICK, reps: REPS, duration: DURATION, loadavg: os.loadavg(), node: process.version, medians, runs, table }, null, 2)}\n`,
  );
  if (medians.some((m) => m.failed)) process.exitCode = 1;
}

try {
  await main();
} finally {
  rmSync(distDir, { recursive: true, force: true });
}
