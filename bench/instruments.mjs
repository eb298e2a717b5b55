#!/usr/bin/env node
// What instruments cost: the same two workloads with no instrument, with an instrument
// that has every hook (doing nothing), with one sampling 1% of tasks, and with a Timeline
// recording everything. Each (config, workload) runs in a fresh process (so the
// uninstrumented run never sees an observer, as in a program without instruments), in
// rounds that interleave the configs; the median of REPS is reported.
//
// Usage: npm run build && node bench/instruments.mjs [--reps N] [--configs none,noop,...]
//        [--dists DIR,DIR] [--scale F]
//   spawn: 100,000 tasks each sleep(0) once, gathered (W2's shape)
//   steps: 10 tasks each sleep(0) 100,000 times (1,000,000 steps)
// Configs: none; noop (every hook, doing nothing); sampled (every hook and loopStats,
// `sample: 0.01`: the production mode); timeline (a Timeline recording everything);
// tasks, loop, stats: the task hooks, the iteration and I/O hooks, loopStats alone.
// --dists compares builds (each a directory holding a `dist/`, e.g. a copy of an older
// build), interleaved like the configs; --scale multiplies the workloads' sizes (0.1 for
// runs under valgrind). Set BENCH_CHILD_ONLY=config,workload,dist to run one child (for
// `valgrind --tool=callgrind node bench/instruments.mjs`).
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const configsArg = process.argv.indexOf("--configs");
const CONFIGS =
  configsArg > 0
    ? process.argv[configsArg + 1].split(",")
    : ["none", "noop", "sampled", "timeline"];
const WORKLOADS = ["spawn", "steps"];
const distsArg = process.argv.indexOf("--dists");
const DISTS =
  distsArg > 0
    ? process.argv[distsArg + 1].split(",")
    : [fileURLToPath(new URL("..", import.meta.url))];
const scaleArg = process.argv.indexOf("--scale");
const SCALE = scaleArg > 0 ? Number(process.argv[scaleArg + 1]) : 1;

const only = process.env.BENCH_CHILD_ONLY?.split(",");
if (process.argv[2] === "--child" || only !== undefined) {
  const [config, workload, dist, scale] = only ?? process.argv.slice(3);
  const n = Math.round(100_000 * Number(scale ?? 1));
  const asyncio = await import(pathToFileURL(`${dist ?? DISTS[0]}/dist/src/index.js`).href);
  const noop = {
    taskCreated() {},
    taskScheduled() {},
    stepStarted() {},
    stepEnded() {},
    taskCancelled() {},
    taskDone() {},
    iterationStarted() {},
    iterationEnded() {},
    ioWaited() {},
    loopStats() {},
  };
  function* spawn() {
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(asyncio.createTask(asyncio.sleep(0, i)));
    yield* asyncio.gather(...tasks);
  }
  function* stepper() {
    for (let i = 0; i < n; i++) yield* asyncio.sleep(0);
  }
  function* steps() {
    const tasks = [];
    for (let i = 0; i < 10; i++) tasks.push(asyncio.createTask(stepper()));
    yield* asyncio.gather(...tasks);
  }
  function* main() {
    if (config === "noop") asyncio.addInstrument(noop);
    if (config === "sampled") asyncio.addInstrument(noop, { sample: 0.01 });
    // The parts of `sampled`, to see what each costs.
    if (config === "tasks" || config === "loop" || config === "stats") {
      const pick = {
        tasks: [
          "taskCreated",
          "taskScheduled",
          "stepStarted",
          "stepEnded",
          "taskCancelled",
          "taskDone",
        ],
        loop: ["iterationStarted", "iterationEnded", "ioWaited"],
        stats: ["loopStats"],
      }[config];
      asyncio.addInstrument(Object.fromEntries(pick.map((h) => [h, noop[h]])), { sample: 0.01 });
    }
    if (config === "timeline") new asyncio.Timeline().observe();
    const t0 = performance.now();
    yield* workload === "spawn" ? spawn() : steps();
    return performance.now() - t0;
  }
  const ms = await asyncio.run(main());
  process.stdout.write(`${ms}\n`);
  process.exit(0);
}

const repsArg = process.argv.indexOf("--reps");
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 5;
const self = fileURLToPath(import.meta.url);
const times = new Map();
for (let r = 0; r < reps; r++) {
  for (const w of WORKLOADS) {
    for (const c of CONFIGS) {
      for (const [k, dist] of DISTS.entries()) {
        const args = [self, "--child", c, w, dist, String(SCALE)];
        const out = spawnSync(process.execPath, args, { encoding: "utf8" });
        if (out.status !== 0) throw new Error(`${c} ${w} failed: ${out.stderr}`);
        const key = `${w} ${c}${DISTS.length > 1 ? `@${k}` : ""}`;
        times.set(key, [...(times.get(key) ?? []), Number(out.stdout)]);
      }
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median of ${reps} (ms; lower is better), interleaved rounds, fresh process each`);
if (DISTS.length > 1) for (const [k, d] of DISTS.entries()) console.log(`@${k}: ${d}`);
for (const w of WORKLOADS) {
  for (const [k] of DISTS.entries()) {
    const tag = DISTS.length > 1 ? `@${k}` : "";
    const base = median(times.get(`${w} ${CONFIGS[0]}${tag}`));
    for (const c of CONFIGS) {
      const xs = times.get(`${w} ${c}${tag}`);
      const m = median(xs);
      const ratio = c === CONFIGS[0] ? "" : `  x${(m / base).toFixed(3)}`;
      console.log(
        `${w.padEnd(6)} ${`${c}${tag}`.padEnd(11)} ${m.toFixed(1).padStart(8)} ms${ratio.padEnd(9)}  [${xs.map((x) => x.toFixed(0)).join(", ")}]`,
      );
    }
  }
}
