#!/usr/bin/env node
// The distributed workload: N items (100,000 by default) from 1 producer process to 4
// consumer processes through one Redis server that this script starts (free port, temporary
// directory, AOF on with appendfsync everysec), measured in the same run for:
//   asyncio_ts  RedisQueue (asyncio-ts/redis): 100 producer tasks put(); in each consumer
//               process 100 tasks get() + taskDone(); the producer join()s, then shutdown()s;
//   raw_stream  the floor: the same client library (@redis/client) with bare stream commands,
//               pipelined: XADD (100 in flight), XREADGROUP COUNT 100 BLOCK, XACK + XDEL per
//               batch — no counters, no backpressure, no join, no shutdown;
//   bullmq      BullMQ (ioredis) on the same server: addBulk of 100, Workers of concurrency
//               100, removeOnComplete.
// Reported: items/s (producer start → every item consumed), p50/p99 put→get latency (ms, the
// item carries its put time), and the ratio to the floor. Each implementation runs REPS
// times, interleaved; the median by wall time is kept.
//
// Usage: node bench/redis.mjs [--n N] [--reps R] [--only impl,impl] [--no-docs]
//        node bench/redis.mjs --from bench/results/redis.json   (the tables of a saved run)
//        (a run of every implementation, without --no-docs, rewrites the distributed
//        section of docs/benchmarks.md)
//        npm run bench -- --redis [--n N] [--reps R]
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spliceDistributed } from "./distributed_section.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const CONSUMERS = 4;
const CONCURRENCY = 100;
const IMPLS = ["asyncio_ts", "raw_stream", "bullmq"];

const BUNDLE = pathToFileURL(path.join(here, "dist", "redis_bench.mjs")).href;
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- workers

async function producer(impl, url, n, name) {
  // Libraries load (and clients connect) before the clock starts: start-up is not the workload.
  let start = now();
  let startCpu = process.cpuUsage();
  const mark = () => {
    start = now();
    startCpu = process.cpuUsage();
  };
  if (impl === "asyncio_ts") {
    const { asyncio, RedisQueue } = await import(BUNDLE);
    await asyncio.run(
      (function* () {
        const q = new RedisQueue(name, { url });
        yield* q.connect();
        mark();
        let next = 0;
        function* putter() {
          while (next < n) {
            const i = next++;
            yield* q.put({ i, t: now() });
          }
        }
        yield* asyncio.gather(...Array.from({ length: CONCURRENCY }, putter));
        yield* q.join();
        yield* q.shutdown();
        yield* q.close();
      })(),
    );
  } else if (impl === "raw_stream") {
    const { createClient } = await import("@redis/client");
    const c = createClient({ url, RESP: 2, commandOptions: { timeout: 0 } });
    await c.connect();
    mark();
    let next = 0;
    const putter = async () => {
      while (next < n) {
        const i = next++;
        await c.sendCommand(["XADD", name, "*", "d", JSON.stringify({ i, t: now() })]);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, putter));
    // Done when the group has read everything and nothing is pending.
    for (;;) {
      const groups = await c.sendCommand(["XINFO", "GROUPS", name]);
      const g = groups[0];
      const info = new Map();
      for (let k = 0; k < g.length; k += 2) info.set(String(g[k]), g[k + 1]);
      if (Number(info.get("entries-read")) >= n && Number(info.get("pending")) === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await c.close();
  } else {
    const { Queue } = await import("bullmq");
    const port = Number(new URL(url).port);
    const q = new Queue(name, { connection: { host: "127.0.0.1", port } });
    await q.waitUntilReady();
    mark();
    let next = 0;
    const adder = async () => {
      while (next < n) {
        const jobs = [];
        for (let k = 0; k < 100 && next < n; k++) {
          const i = next++;
          jobs.push({ name: "j", data: { i, t: now() }, opts: { removeOnComplete: true } });
        }
        await q.addBulk(jobs);
      }
    };
    await Promise.all(Array.from({ length: 10 }, adder));
    for (;;) {
      const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "paused");
      if (Object.values(c).every((v) => v === 0)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await q.close();
  }
  const cpu = process.cpuUsage(startCpu);
  console.log(
    JSON.stringify({ wall: (now() - start) / 1000, cpu: (cpu.user + cpu.system) / 1000 }),
  );
}

async function consumer(impl, url, name) {
  const lat = [];
  let startCpu = process.cpuUsage();
  const ready = () => {
    startCpu = process.cpuUsage();
    console.log("ready");
  };
  const report = () => {
    const cpu = process.cpuUsage(startCpu);
    const line = { count: lat.length, cpu: (cpu.user + cpu.system) / 1000 };
    line.lat = lat.map((x) => Math.round(x * 100) / 100);
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  if (impl === "asyncio_ts") {
    const { asyncio, RedisQueue } = await import(BUNDLE);
    await asyncio.run(
      (function* () {
        const q = new RedisQueue(name, { url });
        yield* q.connect();
        ready();
        function* worker() {
          for (;;) {
            let item;
            try {
              item = yield* q.get();
            } catch (e) {
              if (e instanceof asyncio.QueueShutDown) return;
              throw e;
            }
            lat.push(now() - item.t);
            q.taskDone();
          }
        }
        yield* asyncio.gather(...Array.from({ length: CONCURRENCY }, worker));
        yield* q.close();
      })(),
    );
    report();
    return;
  }
  if (impl === "raw_stream") {
    const { createClient } = await import("@redis/client");
    const c = createClient({ url, RESP: 2, commandOptions: { timeout: 0 } });
    await c.connect();
    const me = `c${process.pid}`;
    ready();
    let stop = false;
    process.on("SIGTERM", () => {
      stop = true;
    });
    while (!stop) {
      const r = await c.sendCommand([
        "XREADGROUP",
        "GROUP",
        "g",
        me,
        "COUNT",
        String(CONCURRENCY),
        "BLOCK",
        "50",
        "STREAMS",
        name,
        ">",
      ]);
      if (!Array.isArray(r)) continue;
      const ids = [];
      for (const [id, fields] of r[0][1]) {
        lat.push(now() - JSON.parse(fields[1]).t);
        ids.push(id);
      }
      await Promise.all([
        c.sendCommand(["XACK", name, "g", ...ids]),
        c.sendCommand(["XDEL", name, ...ids]),
      ]);
    }
    await c.close();
    report();
    return;
  }
  const { Worker } = await import("bullmq");
  const port = Number(new URL(url).port);
  const w = new Worker(
    name,
    async (job) => {
      lat.push(now() - job.data.t);
    },
    {
      connection: { host: "127.0.0.1", port, maxRetriesPerRequest: null },
      concurrency: CONCURRENCY,
      removeOnComplete: { count: 0 },
    },
  );
  await w.waitUntilReady();
  ready();
  await new Promise((resolve) => process.once("SIGTERM", resolve));
  await w.close();
  report();
}

// ---------------------------------------------------------------- coordinator

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-bench-redis-"));
  const proc = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      if (out.includes("Ready to accept connections")) resolve();
    });
    proc.once("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  proc.stdout.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function child(args) {
  const p = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = [];
  const exited = new Promise((resolve) => p.once("exit", (code) => resolve(code)));
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: p.stdout }).on("line", (line) => {
      if (line === "ready") resolve();
      else lines.push(line);
    });
    exited.then((code) =>
      reject(new Error(`${args.join(" ")}: exited ${code} before it was ready`)),
    );
  });
  ready.catch(() => {});
  return { p, ready, exited, lines };
}

function percentile(sorted, q) {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Seconds of CPU redis-server has used so far (user + system, its main thread and helpers). */
async function redisCpu(admin) {
  const info = String(await admin.sendCommand(["INFO", "cpu"]));
  let total = 0;
  for (const key of ["used_cpu_user", "used_cpu_sys"]) {
    const m = new RegExp(`^${key}:([0-9.]+)`, "m").exec(info);
    if (m) total += Number(m[1]);
  }
  return total;
}

async function runOnce(impl, url, n, round) {
  const name = `bench-${impl}-${round}`;
  const { createClient } = await import("@redis/client");
  const admin = createClient({ url, RESP: 2 });
  await admin.connect();
  if (impl === "raw_stream") {
    await admin.sendCommand(["XGROUP", "CREATE", name, "g", "0", "MKSTREAM"]);
  }
  const consumers = Array.from({ length: CONSUMERS }, () => child(["--consumer", impl, url, name]));
  await Promise.all(consumers.map((c) => c.ready));
  const cpuBefore = await redisCpu(admin);
  const prod = child(["--producer", impl, url, String(n), name]);
  const code = await prod.exited;
  if (code !== 0) throw new Error(`${impl}: producer exited ${code}`);
  const redisMs = (1000 * ((await redisCpu(admin)) - cpuBefore)) / (n / 1000);
  await admin.close();
  const { wall, cpu: producerCpu } = JSON.parse(prod.lines.at(-1));
  if (impl !== "asyncio_ts") for (const c of consumers) c.p.kill("SIGTERM");
  const lat = [];
  let count = 0;
  let consumerCpu = 0;
  for (const c of consumers) {
    const exit = await c.exited;
    if (exit !== 0) throw new Error(`${impl}: a consumer exited ${exit}`);
    const r = JSON.parse(c.lines.at(-1));
    count += r.count;
    consumerCpu += r.cpu;
    for (const x of r.lat) lat.push(x);
  }
  if (count !== n) throw new Error(`${impl}: consumed ${count} items, expected ${n}`);
  lat.sort((a, b) => a - b);
  return {
    impl,
    wall,
    rate: n / wall,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    // CPU milliseconds per 1000 items: on a small machine their sum bounds the throughput.
    cpuPerK: {
      producer: producerCpu / (n / 1000),
      consumers: consumerCpu / (n / 1000),
      redis: redisMs,
    },
    perConsumer: consumers.map((c) => JSON.parse(c.lines.at(-1)).count),
  };
}

function bundle() {
  const esbuild = path.join(root, "node_modules", ".bin", "esbuild");
  mkdirSync(path.join(here, "dist"), { recursive: true });
  const r = spawnSync(
    esbuild,
    [
      path.join(here, "redis_entry.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--packages=external",
      `--outfile=${fileURLToPath(BUNDLE)}`,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`esbuild: ${r.stderr}`);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--producer") return producer(argv[1], argv[2], Number(argv[3]), argv[4]);
  if (argv[0] === "--consumer") return consumer(argv[1], argv[2], argv[3]);
  const flag = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const n = Number(flag("n", "100000"));
  const reps = Number(flag("reps", "3"));
  const only = flag("only", IMPLS.join(",")).split(",");
  const from = flag("from", "");
  if (from !== "")
    return report(JSON.parse(readFileSync(from, "utf8")), !argv.includes("--no-docs"));
  if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) {
    console.log(
      "bench/redis.mjs: skipped: redis-server is not installed (apt-get install redis-server)",
    );
    return;
  }
  bundle();
  const loadAtStart = os.loadavg();
  const redis = await startRedis();
  const runs = [];
  try {
    for (let round = 0; round < reps; round++) {
      for (const impl of only) {
        const r = await runOnce(impl, redis.url, n, round);
        r.round = round;
        console.error(
          `  ${impl} round ${round + 1}: ${Math.round(r.rate)} items/s, p99 ${r.p99.toFixed(1)} ms`,
        );
        runs.push(r);
      }
    }
  } finally {
    await redis.stop();
  }
  const data = { n, reps, consumers: CONSUMERS, load: [loadAtStart, os.loadavg()], runs };
  mkdirSync(path.join(here, "results"), { recursive: true });
  writeFileSync(path.join(here, "results", "redis.json"), `${JSON.stringify(data, null, 2)}\n`);
  rmSync(fileURLToPath(BUNDLE), { force: true });
  report(data, !argv.includes("--no-docs"));
}

/** Prints the tables of a run (and with `writeDocs`, puts them in docs/benchmarks.md). */
function report(data, writeDocs) {
  const { n, reps, runs } = data;
  const only = IMPLS.filter((impl) => runs.some((r) => r.impl === impl));
  const [loadAtStart, loadAtEnd] = data.load;
  const medians = only.map((impl) => {
    const mine = runs.filter((r) => r.impl === impl).sort((a, b) => a.wall - b.wall);
    return mine[Math.floor(mine.length / 2)];
  });
  const floor = medians.find((m) => m.impl === "raw_stream");
  // The ratio to the floor, round by round (each round runs every implementation back to
  // back, so a change of machine load hits both sides): its median is the robust figure.
  const roundRatios = (impl) => {
    const rs = [];
    for (let round = 0; round < reps; round++) {
      const mine = runs.find((r) => r.impl === impl && r.round === round);
      const base = runs.find((r) => r.impl === "raw_stream" && r.round === round);
      if (mine && base) rs.push(mine.rate / base.rate);
    }
    return rs;
  };
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
  };
  const pct = (x) => `${(100 * x).toFixed(0)}%`;
  const NAMES = {
    asyncio_ts: "RedisQueue (asyncio-ts/redis)",
    raw_stream: "raw pipelined stream commands (floor)",
    bullmq: "BullMQ",
  };
  const load = (l) => l.map((x) => x.toFixed(2)).join(", ");
  const version = (pkg) => {
    try {
      const file = path.join(root, "node_modules", pkg, "package.json");
      return JSON.parse(readFileSync(file, "utf8")).version;
    } catch {
      return "?";
    }
  };
  const redisVersion = /v=([0-9.]+)/.exec(
    spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout ?? "",
  )?.[1];
  const md = [];
  md.push("## Distributed: a queue across processes on Redis");
  md.push("");
  md.push(
    `\`npm run bench -- --redis\` (bench/redis.mjs; opt-in, it starts its own \`redis-server\`): ${n.toLocaleString("en-US")} items from 1 producer process (${CONCURRENCY} tasks putting) to ${CONSUMERS} consumer processes (${CONCURRENCY} tasks each: \`get\`, \`taskDone\`) through one \`redis-server\` (AOF on, \`appendfsync everysec\`). The floor is the same client library sending bare, pipelined stream commands (XADD, XREADGROUP COUNT ${CONCURRENCY}, XACK + XDEL), with no counters, backpressure, \`join\` or shutdown. Each of ${reps} rounds runs every implementation back to back; the row is the median run by wall time, and the ratio is the median of the rounds' ratios to the floor (a change of machine load hits both sides of a round alike). Latency is from \`put\` to \`get\` (the item carries its put time).`,
  );
  md.push("");
  md.push(
    "| implementation | items/s | wall s | p50 put→get ms | p99 put→get ms | vs floor, median of rounds (each round) |",
  );
  md.push("|---|---:|---:|---:|---:|---:|");
  for (const m of medians) {
    const rs = roundRatios(m.impl);
    const ratio = floor ? `${pct(median(rs))} (${rs.map(pct).join(", ")})` : "–";
    md.push(
      `| ${NAMES[m.impl] ?? m.impl} | ${Math.round(m.rate).toLocaleString("en-US")} | ${m.wall.toFixed(2)} | ${m.p50.toFixed(1)} | ${m.p99.toFixed(1)} | ${ratio} |`,
    );
  }
  md.push("");
  md.push(
    `CPU milliseconds per 1,000 items in the median run (user + system; the machine has ${os.cpus().length} cores, shared with whatever else runs):`,
  );
  md.push("");
  md.push(`| implementation | producer | ${CONSUMERS} consumers | redis-server | total |`);
  md.push("|---|---:|---:|---:|---:|");
  for (const m of medians) {
    const c = m.cpuPerK;
    const total = c.producer + c.consumers + c.redis;
    md.push(
      `| ${NAMES[m.impl] ?? m.impl} | ${c.producer.toFixed(1)} | ${c.consumers.toFixed(1)} | ${c.redis.toFixed(1)} | ${total.toFixed(1)} |`,
    );
  }
  md.push("");
  md.push(
    `node ${process.versions.node}, redis-server ${redisVersion ?? "?"}, @redis/client ${version("@redis/client")}, BullMQ ${version("bullmq")} (ioredis ${version("ioredis")}); load average (1, 5, 15 min) ${load(loadAtStart)} at the start, ${load(loadAtEnd)} at the end. docs/distributed.md explains the numbers.`,
  );
  const section = md.join("\n");
  console.log(`\n${section}`);
  // A run of every implementation updates the page; a filtered one only prints.
  if (writeDocs && IMPLS.every((impl) => only.includes(impl))) {
    const page = path.join(root, "docs", "benchmarks.md");
    writeFileSync(page, spliceDistributed(readFileSync(page, "utf8"), section));
    console.log("\nwrote the distributed section of docs/benchmarks.md");
  }
}

await main();
