#!/usr/bin/env node
// The distributed workload: N items (100,000 by default) from 1 producer process to 4
// consumer processes through one Redis server that this script starts (free port, temporary
// directory, AOF on with appendfsync everysec), measured in the same run for:
//   asyncio_ts  RedisQueue (asyncio-ts/redis): 100 producer tasks put(); in each consumer
//               process 100 tasks get() + taskDone(); the producer join()s, then shutdown()s;
//   raw_stream  the floor: the same client library (@redis/client) doing the same logical
//               work with bare stream commands and every batching RedisQueue has: 100 XADDs
//               in flight (auto-pipelined), XREADGROUP COUNT 100 BLOCK by each consumer, the
//               batch's XACK sent in the same write as the next XREADGROUP — no counters,
//               no backpressure, no join, no shutdown, no trimming;
//   baseline    (with --baseline REF) RedisQueue as it was at git REF, for A/B runs;
//   bullmq      BullMQ (ioredis) on the same server: addBulk of 100, Workers of concurrency
//               100, removeOnComplete (--bullmq-reps runs, after the rounds: it is slow).
// Rounds interleave the implementations, in an order that turns every round (a drift of the
// machine's load hits each alike); the ratio to the floor is computed round by round, and
// its median and spread are reported with the load each run saw: the 1-minute load average
// and the cores that processes other than the run's own kept busy (/proc/stat minus the
// run's CPU). Reported per implementation: items/s (producer start → every item consumed),
// p50/p99 put→get latency (ms, the item carries its put time), CPU per 1,000 items of each
// process, the writes to Redis per 1,000 items (socket writes counted in every process; one
// write carries every command of a pipeline) and the Redis commands per item (INFO
// commandstats: script calls and what the scripts ran).
//
// Usage: node bench/redis.mjs [--n N] [--reps R] [--only impl,impl] [--bullmq-reps R]
//                             [--baseline REF] [--maxsize M] [--no-docs]
//        node bench/redis.mjs --monitor [--n N] [--only …]   (top-level commands by name,
//                             from MONITOR: the commands each process sent, per item)
//        node bench/redis.mjs --from bench/results/redis.json   (the tables of a saved run)
//        (a run of every implementation, without --no-docs, rewrites the distributed
//        section of docs/benchmarks.md)
//        npm run bench -- --redis [--n N] [--reps R]
//        BENCH_CPU_PROF=dir node bench/redis.mjs …   (a V8 CPU profile of every process)
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net, { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spliceDistributed } from "./distributed_section.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const CONSUMERS = 4;
const CONCURRENCY = 100;
const IMPLS = ["asyncio_ts", "baseline", "raw_stream", "bullmq"];

const BUNDLES = {
  asyncio_ts: path.join(here, "dist", "redis_bench.mjs"),
  baseline: path.join(here, "dist", "redis_baseline.mjs"),
};
const now = () => performance.timeOrigin + performance.now();
// --maxsize M: RedisQueue bounded (every process gets the same maxsize); 0, unbounded.
const MAXSIZE = Number(process.env.BENCH_REDIS_MAXSIZE ?? "0");

// ---------------------------------------------------------------- workers

/**
 * Counts this process's writes to Redis: node-redis corks the socket, writes every command
 * of a pipeline and uncorks — one TCP write, one round trip however many commands it carries.
 */
let redisWrites = 0;
function countWrites() {
  const proto = net.Socket.prototype;
  const write = proto.write;
  proto.write = function (...args) {
    if (this.remotePort !== undefined && this.writableCorked === 0) redisWrites++;
    return write.apply(this, args);
  };
  const uncork = proto.uncork;
  proto.uncork = function () {
    if (this.remotePort !== undefined && this.writableCorked === 1) redisWrites++;
    return uncork.call(this);
  };
}

const isQueue = (impl) => impl === "asyncio_ts" || impl === "baseline";

async function producer(impl, url, n, name) {
  countWrites();
  // Libraries load (and clients connect) before the clock starts: start-up is not the workload.
  let start = now();
  let putsDone = 0;
  let startCpu = process.cpuUsage();
  const mark = () => {
    start = now();
    startCpu = process.cpuUsage();
    redisWrites = 0;
  };
  if (isQueue(impl)) {
    const { asyncio, RedisQueue } = await import(pathToFileURL(BUNDLES[impl]).href);
    await asyncio.run(
      (function* () {
        const q = new RedisQueue(name, { url, maxsize: MAXSIZE });
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
        putsDone = now();
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
    putsDone = now();
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
    putsDone = now();
    for (;;) {
      const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "paused");
      if (Object.values(c).every((v) => v === 0)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await q.close();
  }
  const cpu = process.cpuUsage(startCpu);
  console.log(
    JSON.stringify({
      wall: (now() - start) / 1000,
      // When the last item was stored: the rest of the wall time is the consumers' lag.
      puts: (putsDone - start) / 1000,
      cpu: (cpu.user + cpu.system) / 1000,
      writes: redisWrites,
    }),
  );
}

async function consumer(impl, url, name) {
  countWrites();
  const lat = [];
  let startCpu = process.cpuUsage();
  const ready = () => {
    startCpu = process.cpuUsage();
    redisWrites = 0;
    console.log("ready");
  };
  const report = () => {
    const cpu = process.cpuUsage(startCpu);
    const line = { count: lat.length, cpu: (cpu.user + cpu.system) / 1000, writes: redisWrites };
    line.lat = lat.map((x) => Math.round(x * 100) / 100);
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  if (isQueue(impl)) {
    const { asyncio, RedisQueue } = await import(pathToFileURL(BUNDLES[impl]).href);
    await asyncio.run(
      (function* () {
        const q = new RedisQueue(name, { url, maxsize: MAXSIZE });
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
    let ids = [];
    while (!stop) {
      // The previous batch's XACK goes in the same write as the next read.
      const ack = ids.length > 0 ? c.sendCommand(["XACK", name, "g", ...ids]) : null;
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
      if (ack !== null) await ack;
      ids = [];
      if (!Array.isArray(r)) continue;
      for (const [id, fields] of r[0][1]) {
        lat.push(now() - JSON.parse(fields[1]).t);
        ids.push(id);
      }
    }
    if (ids.length > 0) await c.sendCommand(["XACK", name, "g", ...ids]);
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
    port,
    async stop() {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function child(args) {
  // BENCH_CPU_PROF=dir: every process writes a V8 CPU profile there (node --cpu-prof).
  const prof = process.env.BENCH_CPU_PROF;
  const flags = prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [];
  const p = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), ...args], {
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

/** Redis's per-command counters: name → { calls, usec } (commands run by scripts included). */
async function commandStats(admin) {
  const info = String(await admin.sendCommand(["INFO", "commandstats"]));
  const stats = new Map();
  for (const m of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

async function runOnce(impl, url, n, tag) {
  const name = `bench-${impl}-${tag}`;
  const { createClient } = await import("@redis/client");
  const admin = createClient({ url, RESP: 2 });
  await admin.connect();
  if (impl === "raw_stream") {
    await admin.sendCommand(["XGROUP", "CREATE", name, "g", "0", "MKSTREAM"]);
  }
  const consumers = Array.from({ length: CONSUMERS }, () => child(["--consumer", impl, url, name]));
  await Promise.all(consumers.map((c) => c.ready));
  const load1 = os.loadavg()[0];
  const cpuBefore = await redisCpu(admin);
  const statsBefore = await commandStats(admin);
  const prod = child(["--producer", impl, url, String(n), name]);
  const code = await prod.exited;
  if (code !== 0) throw new Error(`${impl}: producer exited ${code}`);
  const redisSeconds = (await redisCpu(admin)) - cpuBefore;
  const statsAfter = await commandStats(admin);
  await admin.close();
  const { wall, puts, cpu: producerCpu, writes: producerWrites } = JSON.parse(prod.lines.at(-1));
  if (!isQueue(impl)) for (const c of consumers) c.p.kill("SIGTERM");
  const lat = [];
  let count = 0;
  let consumerCpu = 0;
  let consumerWrites = 0;
  for (const c of consumers) {
    const exit = await c.exited;
    if (exit !== 0) throw new Error(`${impl}: a consumer exited ${exit}`);
    const r = JSON.parse(c.lines.at(-1));
    count += r.count;
    consumerCpu += r.cpu;
    consumerWrites += r.writes;
    for (const x of r.lat) lat.push(x);
  }
  if (count !== n) throw new Error(`${impl}: consumed ${count} items, expected ${n}`);
  lat.sort((a, b) => a - b);
  const perItem = {};
  for (const [cmd, after] of statsAfter) {
    if (cmd === "info" || cmd === "xinfo|groups" || cmd === "xinfo") continue;
    const before = statsBefore.get(cmd) ?? { calls: 0, usec: 0 };
    const calls = after.calls - before.calls;
    if (calls > 0) perItem[cmd] = { calls: calls / n, usec: (after.usec - before.usec) / n };
  }
  return {
    impl,
    wall,
    rate: n / wall,
    puts,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    // CPU milliseconds per 1000 items: on a small machine their sum bounds the throughput.
    cpuPerK: {
      producer: producerCpu / (n / 1000),
      consumers: consumerCpu / (n / 1000),
      redis: (1000 * redisSeconds) / (n / 1000),
    },
    // Socket writes to Redis (each a round trip, however many commands it carries).
    writesPerK: { producer: producerWrites / (n / 1000), consumers: consumerWrites / (n / 1000) },
    commands: perItem,
    load1,
    // The cores the run's own processes got (CPU seconds per second): how starved it was.
    cores: ((producerCpu + consumerCpu) / 1000 + redisSeconds) / wall,
    perConsumer: consumers.map((c) => JSON.parse(c.lines.at(-1)).count),
  };
}

function bundle(impl, entry) {
  const esbuild = path.join(root, "node_modules", ".bin", "esbuild");
  mkdirSync(path.join(here, "dist"), { recursive: true });
  const r = spawnSync(
    esbuild,
    [
      entry,
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--packages=external",
      `--outfile=${BUNDLES[impl]}`,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`esbuild: ${r.stderr}`);
}

/** RedisQueue as it was at git `ref`, bundled like the current one. */
function bundleBaseline(ref) {
  const dir = path.join(here, "dist", "baseline");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(
    "sh",
    ["-c", `git archive ${JSON.stringify(ref)} src | tar -x -C ${JSON.stringify(dir)}`],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`git archive ${ref}: ${r.stderr}`);
  const entry = path.join(dir, "entry.ts");
  writeFileSync(
    entry,
    'export * as asyncio from "./src/index.js";\nexport { RedisQueue } from "./src/redis/index.js";\n',
  );
  bundle("baseline", entry);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Top-level commands per item, by name, from MONITOR (what the processes sent; a script's
 * own commands show as `[… lua]` and are counted apart). MONITOR costs Redis time: counting
 * runs only, never timed ones.
 */
async function monitorRun(impl, redis, n, tag) {
  const sock = net.connect(redis.port, "127.0.0.1");
  await new Promise((r) => sock.once("connect", r));
  const top = new Map();
  const inScripts = new Map();
  let rest = "";
  sock.on("data", (d) => {
    rest += d.toString("latin1");
    let nl = rest.indexOf("\r\n");
    while (nl >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 2);
      nl = rest.indexOf("\r\n");
      const m = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
      if (m === null) continue;
      const cmd = m[2].toLowerCase();
      const into = m[1] === "lua" ? inScripts : top;
      into.set(cmd, (into.get(cmd) ?? 0) + 1);
    }
  });
  sock.write("MONITOR\r\n");
  await runOnce(impl, redis.url, n, tag);
  await new Promise((r) => setTimeout(r, 200));
  sock.destroy();
  const per = (m) =>
    Object.fromEntries(
      [...m]
        .filter(([c]) => c !== "info" && c !== "xinfo" && c !== "monitor")
        .sort((a, b) => b[1] - a[1])
        .map(([c, k]) => [c, k / n]),
    );
  return { top: per(top), inScripts: per(inScripts) };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--producer") return producer(argv[1], argv[2], Number(argv[3]), argv[4]);
  if (argv[0] === "--consumer") return consumer(argv[1], argv[2], argv[3]);
  const flag = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const from = flag("from", "");
  if (from !== "")
    return report(JSON.parse(readFileSync(from, "utf8")), !argv.includes("--no-docs"));
  const baseline = flag("baseline", "");
  const defaultOnly = IMPLS.filter((impl) => impl !== "baseline" || baseline !== "");
  const only = flag("only", defaultOnly.join(",")).split(",");
  if (only.includes("baseline") && baseline === "")
    throw new Error("--only baseline needs --baseline REF");
  const monitor = argv.includes("--monitor");
  const n = Number(flag("n", monitor ? "20000" : "100000"));
  const reps = Number(flag("reps", "5"));
  const bullmqReps = Number(flag("bullmq-reps", "1"));
  const maxsize = flag("maxsize", "0");
  process.env.BENCH_REDIS_MAXSIZE = maxsize; // the children inherit it
  if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) {
    console.log(
      "bench/redis.mjs: skipped: redis-server is not installed (apt-get install redis-server)",
    );
    return;
  }
  if (only.includes("asyncio_ts")) bundle("asyncio_ts", path.join(here, "redis_entry.ts"));
  if (only.includes("baseline")) bundleBaseline(baseline);
  const loadAtStart = os.loadavg();
  const redis = await startRedis();
  const runs = [];
  const counts = {};
  try {
    if (monitor) {
      for (const impl of only) {
        counts[impl] = await monitorRun(impl, redis, n, "monitor");
        console.log(impl, JSON.stringify(counts[impl]));
      }
      return;
    }
    const rounded = only.filter((impl) => impl !== "bullmq");
    for (let round = 0; round < reps; round++) {
      // Each round in another order: the first of a round is not always the same one.
      const k = round % rounded.length;
      const order = [...rounded.slice(k), ...rounded.slice(0, k)];
      for (const impl of order) {
        const r = await runOnce(impl, redis.url, n, round);
        r.round = round;
        console.error(
          `  ${impl} round ${round + 1}: ${Math.round(r.rate)} items/s (puts done at ${r.puts.toFixed(2)} of ${r.wall.toFixed(2)} s), p99 ${r.p99.toFixed(1)} ms, load ${r.load1.toFixed(1)}, got ${r.cores.toFixed(2)} cores`,
        );
        runs.push(r);
      }
    }
    if (only.includes("bullmq")) {
      for (let k = 0; k < bullmqReps; k++) {
        const r = await runOnce("bullmq", redis.url, n, `b${k}`);
        r.round = -1;
        console.error(`  bullmq run ${k + 1}: ${Math.round(r.rate)} items/s`);
        runs.push(r);
      }
    }
  } finally {
    await redis.stop();
    for (const file of Object.values(BUNDLES)) rmSync(file, { force: true });
  }
  const data = {
    n,
    reps,
    baseline,
    maxsize: Number(maxsize),
    consumers: CONSUMERS,
    load: [loadAtStart, os.loadavg()],
    runs,
  };
  mkdirSync(path.join(here, "results"), { recursive: true });
  writeFileSync(path.join(here, "results", "redis.json"), `${JSON.stringify(data, null, 2)}\n`);
  report(data, !argv.includes("--no-docs"));
}

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : "–");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/** Prints the tables of a run (and with `writeDocs`, puts them in docs/benchmarks.md). */
function report(data, writeDocs) {
  const { n, reps, runs } = data;
  const only = IMPLS.filter((impl) => runs.some((r) => r.impl === impl));
  const [loadAtStart, loadAtEnd] = data.load;
  const of = (impl) => runs.filter((r) => r.impl === impl);
  const roundsOf = [...new Set(runs.filter((r) => r.round >= 0).map((r) => r.round))];
  // The ratio to the floor, round by round (the runs of a round are back to back, so a
  // change of machine load hits both sides): its median and spread are the figure.
  const roundRatios = (impl) => {
    const rs = [];
    for (const round of roundsOf) {
      const mine = runs.find((r) => r.impl === impl && r.round === round);
      const base = runs.find((r) => r.impl === "raw_stream" && r.round === round);
      if (mine && base) rs.push(mine.rate / base.rate);
    }
    return rs;
  };
  const floorRate = median(of("raw_stream").map((r) => r.rate));
  const num = (x) => Math.round(x).toLocaleString("en-US");
  const NAMES = {
    asyncio_ts: "RedisQueue (asyncio-ts/redis)",
    baseline: `RedisQueue at ${data.baseline || "baseline"}`,
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
  const bounded =
    data.maxsize > 0 ? ` RedisQueue has \`maxsize\` ${data.maxsize.toLocaleString("en-US")}.` : "";
  md.push(
    `\`npm run bench -- --redis\` (bench/redis.mjs; opt-in, it starts its own \`redis-server\`): ${n.toLocaleString("en-US")} items from 1 producer process (${CONCURRENCY} tasks putting) to ${CONSUMERS} consumer processes (${CONCURRENCY} tasks each: \`get\`, \`taskDone\`) through one \`redis-server\` (AOF on, \`appendfsync everysec\`). The floor is the same client library doing the same logical work with bare stream commands and the same batching: ${CONCURRENCY} XADDs in flight (auto-pipelined), XREADGROUP COUNT ${CONCURRENCY} by each consumer, each batch's XACK in one write with the next read — and no counters, backpressure, \`join\`, shutdown or trimming. ${reps} rounds run the implementations back to back, in an order that turns each round; the ratio to the floor is taken round by round, and its median and range are given. Latency is from \`put\` to \`get\` (the item carries its put time); items/s, latency and CPU are medians over the rounds.${bounded}`,
  );
  md.push("");
  // The same, by CPU: the floor's CPU per item over this one's, round by round. On a machine
  // whose other load changes by the second, a run's wall time follows the cores it got;
  // the CPU it used does not.
  const cpuTotal = (r) => r.cpuPerK.producer + r.cpuPerK.consumers + r.cpuPerK.redis;
  const roundCpuRatios = (impl) => {
    const rs = [];
    for (const round of roundsOf) {
      const mine = runs.find((r) => r.impl === impl && r.round === round);
      const base = runs.find((r) => r.impl === "raw_stream" && r.round === round);
      if (mine && base) rs.push(cpuTotal(base) / cpuTotal(mine));
    }
    return rs;
  };
  md.push(
    "| implementation | items/s, median (min–max) | vs floor, median (min–max) | vs floor by CPU per item, median (min–max) | p50 put→get ms | p99 put→get ms |",
  );
  md.push("|---|---:|---:|---:|---:|---:|");
  for (const impl of only) {
    const mine = of(impl);
    const rates = mine.map((r) => r.rate);
    const rs = impl === "bullmq" ? mine.map((r) => r.rate / floorRate) : roundRatios(impl);
    const ratio =
      impl === "raw_stream"
        ? "100%"
        : `**${pct(median(rs))}** (${pct(Math.min(...rs))}–${pct(Math.max(...rs))})`;
    const floorCpu = median(of("raw_stream").map(cpuTotal));
    const cs = impl === "bullmq" ? mine.map((r) => floorCpu / cpuTotal(r)) : roundCpuRatios(impl);
    const byCpu =
      impl === "raw_stream"
        ? "100%"
        : `${pct(median(cs))} (${pct(Math.min(...cs))}–${pct(Math.max(...cs))})`;
    md.push(
      `| ${NAMES[impl]} | ${num(median(rates))} (${num(Math.min(...rates))}–${num(Math.max(...rates))}) | ${ratio} | ${byCpu} | ${median(mine.map((r) => r.p50)).toFixed(1)} | ${median(mine.map((r) => r.p99)).toFixed(1)} |`,
    );
  }
  if (only.includes("bullmq")) {
    md.push("");
    md.push(
      "BullMQ runs after the rounds (it takes minutes a run); its ratio is to the floor's median.",
    );
  }
  md.push("");
  md.push(
    `Cost per 1,000 items (medians over the runs): CPU milliseconds (user + system; the machine has ${os.cpus().length} cores, shared with whatever else runs), and writes to Redis — socket writes, each a round trip however many pipelined commands it carries:`,
  );
  md.push("");
  md.push(
    `| implementation | CPU producer | CPU ${CONSUMERS} consumers | CPU redis-server | CPU total | writes producer | writes consumers |`,
  );
  md.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const impl of only) {
    const mine = of(impl);
    const m = (f) => median(mine.map(f));
    const c = (k) => m((r) => r.cpuPerK[k]);
    const w = (k) => m((r) => r.writesPerK?.[k] ?? NaN);
    md.push(
      `| ${NAMES[impl]} | ${c("producer").toFixed(1)} | ${c("consumers").toFixed(1)} | ${c("redis").toFixed(1)} | ${m((r) => r.cpuPerK.producer + r.cpuPerK.consumers + r.cpuPerK.redis).toFixed(1)} | ${w("producer").toFixed(1)} | ${w("consumers").toFixed(1)} |`,
    );
  }
  md.push("");
  md.push(
    "Redis commands run per item (`INFO commandstats`, in the median run; the commands a script runs count too):",
  );
  md.push("");
  md.push("| implementation | commands per item |");
  md.push("|---|---|");
  for (const impl of only) {
    const mine = of(impl).sort((a, b) => a.wall - b.wall);
    const mid = mine[Math.floor(mine.length / 2)];
    if (!mid?.commands) continue;
    const entries = Object.entries(mid.commands)
      .filter(([, v]) => v.calls >= 0.001)
      .sort((a, b) => b[1].calls - a[1].calls);
    const list = entries.map(([c, v]) => `${c.toUpperCase()} ${v.calls.toFixed(3)}`).join(", ");
    md.push(`| ${NAMES[impl]} | ${list} |`);
  }
  md.push("");
  md.push(
    `The load each run saw: the 1-minute load average at its start, and the cores its own processes got (their CPU seconds per second of the run, out of ${os.cpus().length}):`,
  );
  md.push("");
  const rounded = only.filter((impl) => impl !== "bullmq");
  md.push(
    `| round | ${rounded.map((impl) => `${NAMES[impl]} items/s (load, cores got)`).join(" | ")} | ${rounded
      .filter((impl) => impl !== "raw_stream")
      .map((impl) => `${impl === "asyncio_ts" ? "RedisQueue" : NAMES[impl]} / floor`)
      .join(" | ")} |`,
  );
  md.push(
    `|---|${rounded.map(() => "---:").join("|")}|${rounded
      .filter((i) => i !== "raw_stream")
      .map(() => "---:")
      .join("|")}|`,
  );
  for (const round of roundsOf) {
    const cells = rounded.map((impl) => {
      const r = runs.find((x) => x.impl === impl && x.round === round);
      return r ? `${num(r.rate)} (${r.load1.toFixed(1)}, ${r.cores.toFixed(2)})` : "–";
    });
    const base = runs.find((x) => x.impl === "raw_stream" && x.round === round);
    const ratios = rounded
      .filter((impl) => impl !== "raw_stream")
      .map((impl) => {
        const r = runs.find((x) => x.impl === impl && x.round === round);
        return r && base ? pct(r.rate / base.rate) : "–";
      });
    md.push(`| ${round + 1} | ${cells.join(" | ")} | ${ratios.join(" | ")} |`);
  }
  md.push("");
  md.push(
    `node ${process.versions.node}, redis-server ${redisVersion ?? "?"}, @redis/client ${version("@redis/client")}, BullMQ ${version("bullmq")} (ioredis ${version("ioredis")}); load average (1, 5, 15 min) ${load(loadAtStart)} at the start, ${load(loadAtEnd)} at the end. docs/distributed.md explains the numbers.`,
  );
  const section = md.join("\n");
  console.log(`\n${section}`);
  // A run of every implementation (not an A/B run against a baseline) updates the page.
  const full = ["asyncio_ts", "raw_stream", "bullmq"].every((impl) => only.includes(impl));
  if (writeDocs && full && !only.includes("baseline")) {
    const page = path.join(root, "docs", "benchmarks.md");
    writeFileSync(page, spliceDistributed(readFileSync(page, "utf8"), section));
    console.log("\nwrote the distributed section of docs/benchmarks.md");
  }
}

await main();
