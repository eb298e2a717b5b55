#!/usr/bin/env node
// What instruments cost: the same two workloads with no instrument, with an instrument
// that has every hook (doing nothing), with one sampling 1% of tasks, and with a Timeline
// recording everything. Each (config, workload) runs in a fresh process (so the
// uninstrumented run never sees an observer, as in a program without instruments), in
// rounds that interleave the configs; the median of REPS is reported.
//
// Usage: npm run build && node bench/instruments.mjs [--reps N] [--configs none,noop,...]
//   spawn: 100,000 tasks each sleep(0) once, gathered (W2's shape)
//   steps: 10 tasks each sleep(0) 100,000 times (1,000,000 steps)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const configsArg = process.argv.indexOf("--configs");
const CONFIGS =
  configsArg > 0
    ? process.argv[configsArg + 1].split(",")
    : ["none", "noop", "sampled", "timeline"];
const WORKLOADS = ["spawn", "steps"];

if (process.argv[2] === "--child") {
  const [config, workload] = process.argv.slice(3);
  const asyncio = await import(new URL("../dist/src/index.js", import.meta.url).href);
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
  };
  function* spawn() {
    const tasks = [];
    for (let i = 0; i < 100_000; i++) tasks.push(asyncio.createTask(asyncio.sleep(0, i)));
    yield* asyncio.gather(...tasks);
  }
  function* stepper() {
    for (let i = 0; i < 100_000; i++) yield* asyncio.sleep(0);
  }
  function* steps() {
    const tasks = [];
    for (let i = 0; i < 10; i++) tasks.push(asyncio.createTask(stepper()));
    yield* asyncio.gather(...tasks);
  }
  function* main() {
    if (config === "noop") asyncio.addInstrument(noop);
    if (config === "sampled") asyncio.addInstrument(noop, { sample: 0.01 });
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
      const out = spawnSync(process.execPath, [self, "--child", c, w], { encoding: "utf8" });
      if (out.status !== 0) throw new Error(`${c} ${w} failed: ${out.stderr}`);
      const key = `${w} ${c}`;
      times.set(key, [...(times.get(key) ?? []), Number(out.stdout)]);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median of ${reps} (ms; lower is better), interleaved rounds, fresh process each`);
for (const w of WORKLOADS) {
  const base = median(times.get(`${w} ${CONFIGS[0]}`));
  for (const c of CONFIGS) {
    const xs = times.get(`${w} ${c}`);
    const m = median(xs);
    const ratio = c === CONFIGS[0] ? "" : `  x${(m / base).toFixed(2)}`;
    console.log(
      `${w.padEnd(6)} ${c.padEnd(9)} ${m.toFixed(1).padStart(8)} ms${ratio.padEnd(8)}  [${xs.map((x) => x.toFixed(0)).join(", ")}]`,
    );
  }
}
