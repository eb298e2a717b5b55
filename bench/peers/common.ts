// Shared helpers for the JavaScript benchmark programs (asyncio-ts and its peers):
// argument parsing, the seeded delay sequence (identical to py_asyncio.py), RSS
// measurement, a probe of Node's own event loop, and the one-line JSON report every
// implementation prints.

/** Every workload and its default n (see bench/README.md for what each one does). */
export const DEFAULT_N: Record<string, number> = {
  W1: 1_000_000,
  W2: 100_000,
  W3: 1_000_000,
  W4: 100_000,
  W5: 100_000,
  W6: 100_000,
  W7: 100_000,
  M: 1_000_000,
  TG: 100_000,
  AC: 100_000,
  AG: 1_000_000,
  D1: 100_000,
  D10: 100_000,
  // The same n at every depth, so that depths compare at equal warm-up (a smaller n at
  // depth 1,000 would weigh the first, unoptimised resumes more there).
  D100: 100_000,
  D1000: 100_000,
};
export const CONSUMERS = 4; // W3
export const QUEUE_MAX = 100; // W3
export const LOCK_TASKS = 100; // W6: n acquisitions spread over this many tasks
export const ECHO_CLIENTS = 50; // W7: n round trips spread over this many clients
export const LINE_BYTES = 64; // W7: line length including the newline
export const HOUR_MS = 3_600_000;

import { readFileSync, rmSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";

const maxRssMb = (): number => process.resourceUsage().maxRSS / 1024; // KiB on Linux
const BASE_RSS_MB = maxRssMb();

/** The await-chain depth of a D workload ("D100" → 100). */
const depthOf = (workload: string): number => Number(workload.slice(1));

export interface Args {
  workload: string;
  n: number;
  variant: string;
}

export function parseArgs(argv: string[] = process.argv.slice(2)): Args {
  const workload = argv[0];
  if (!workload || !(workload in DEFAULT_N)) {
    throw new Error(
      `workload must be one of ${Object.keys(DEFAULT_N).join(", ")}, got ${workload}`,
    );
  }
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const n = Number(flag("n") ?? DEFAULT_N[workload]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--n must be a positive integer, got ${n}`);
  return { workload, n, variant: flag("variant") ?? "" };
}

/** 0..50 ms from a 31-bit LCG seeded with 42 (same sequence as py_asyncio.py). */
export function lcgDelaysMs(n: number): number[] {
  let x = 42;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    out[i] = x % 51;
  }
  return out;
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
export const triangular = (n: number): number => (n * (n - 1)) / 2;
export const echoLine = (cid: number, i: number): string =>
  `${`${cid}:${i}:`.padEnd(LINE_BYTES - 1, "x")}\n`;

export interface Outcome {
  seconds: number;
  ok: boolean;
  check: string;
  n?: number; // when the logical n differs from the requested one
  extra?: Record<string, unknown>;
}

/** Thrown (or returned as a missing table entry) when an implementation lacks a workload. */
export class NotImplemented extends Error {}

/**
 * When the program's first line ran (performance.now()): bench/run.mjs puts
 * `globalThis.__benchFirstLineMs = performance.now()` at the top of the asyncio-ts bundle,
 * before the library's modules. The report then adds `cold_seconds`, from there to the end
 * of run(): module loading, loop creation and JIT warm-up included; Node's own start-up,
 * like CPython's interpreter start-up, not.
 */
const firstLine = (globalThis as { __benchFirstLineMs?: number }).__benchFirstLineMs;

export function report(impl: string, workload: string, n: number, o: Outcome): void {
  const cold =
    firstLine === undefined
      ? {}
      : { cold_seconds: +((performance.now() - firstLine) / 1000).toFixed(6) };
  const count = o.n ?? n;
  const line = {
    impl,
    workload,
    n: count,
    seconds: +o.seconds.toFixed(6),
    rate: +(count / o.seconds).toFixed(1),
    peak_rss_mb: +maxRssMb().toFixed(1),
    base_rss_mb: +BASE_RSS_MB.toFixed(1),
    check: o.check,
    ok: o.ok,
    ...cold,
    ...o.extra,
  };
  console.log(JSON.stringify(line));
  if (!o.ok) process.exitCode = 1;
}

/** Prints the "not implemented" line the runner shows as n/a. */
function reportNotImplemented(impl: string, workload: string, reason: string): void {
  console.log(JSON.stringify({ impl, workload, na: true, ok: false, check: reason }));
}

/** Runs the named workload from `table` and prints its report line. */
export async function main(
  impl: string,
  table: Record<string, ((n: number) => Promise<Outcome>) | undefined>,
): Promise<void> {
  const { workload, n, variant } = parseArgs();
  const name = variant ? `${impl}_${variant}` : impl;
  const run = table[workload];
  if (!run) {
    reportNotImplemented(name, workload, `${name} does not implement ${workload}`);
    return;
  }
  let outcome: Outcome;
  try {
    outcome = await run(n);
  } catch (e) {
    if (e instanceof NotImplemented) {
      reportNotImplemented(name, workload, e.message);
      return;
    }
    throw e;
  }
  report(name, workload, n, outcome);
}

export const timerOutcome = (
  seconds: number,
  results: readonly number[],
  delays: readonly number[],
): Outcome => {
  const longest = delays.reduce((a, b) => Math.max(a, b), 0);
  const same = results.length === delays.length && results.every((r, i) => r === delays[i]);
  return {
    seconds,
    ok: same && seconds * 1000 >= longest - 1,
    check: `delay_sum_ms=${sum(results)} max=${longest}`,
    extra: { overshoot_ms: +(seconds * 1000 - longest).toFixed(2) },
  };
};

/** W6's outcome: `counter` must equal `expected`, every increment made under the lock. */
export const lockOutcome = (seconds: number, counter: number, expected: number): Outcome => ({
  seconds,
  n: expected,
  ok: counter === expected,
  check: `counter=${counter} expected=${expected}`,
});

/** The D workloads, one program per depth, from a maker of the program at a depth. */
export function depthWorkloads<F>(make: (depth: number) => F): Record<DepthWorkload, F> {
  return {
    D1: make(depthOf("D1")),
    D10: make(depthOf("D10")),
    D100: make(depthOf("D100")),
    D1000: make(depthOf("D1000")),
  };
}
export type DepthWorkload = "D1" | "D10" | "D100" | "D1000";

// Plain-Node waits, for the peers written on raw Promises (js_raw, p_queue).

/** One trip through Node's loop, as `sleep(0)` is in asyncio. */
export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sleep that rejects with the signal's reason when aborted (clears its timer). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * The M workload's end: reports RSS with all n tasks asleep, then exits at once (tearing
 * a million sleeping tasks down is not what M measures). Called from inside the workload.
 */
export function reportAsleepAndExit(
  impl: string,
  n: number,
  seconds: number,
  started: number,
): never {
  if (process.env.BENCH_HEAP_SUMMARY) heapSummary(n);
  report(impl, "M", n, {
    seconds,
    ok: started === n,
    check: `asleep=${started}`,
    extra: { rss_asleep_mb: +(process.memoryUsage().rss / 2 ** 20).toFixed(1) },
  });
  process.exit(started === n ? 0 : 1);
}

/**
 * Watches Node's own event loop while a workload runs: a 1 ms interval records the longest
 * gap between its callbacks. A scheduler that never returned to libuv would show one gap
 * as long as the whole workload; one that returns every millisecond shows a few ms.
 *
 * The first gap, from the probe's start to its first callback, is reported apart too
 * (`first_node_gap_ms`, with `max_later_gap_ms` for the rest): where the workload starts
 * with one long step of its own (W2's loop creating n coroutines and the gather() call
 * that wraps them in tasks, in one step of the main task), that gap is the step, which no
 * scheduler can cut, and the later gaps are the scheduler's.
 */
export function nodeLoopProbe(): () => {
  max_node_gap_ms: number;
  node_ticks: number;
  first_node_gap_ms: number;
  max_later_gap_ms: number;
} {
  const start = performance.now();
  let last = start;
  let first = -1;
  let maxLater = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (first < 0) first = now - start;
    else maxLater = Math.max(maxLater, now - last);
    last = now;
    ticks++;
  }, 1);
  return () => {
    clearInterval(timer);
    const end = performance.now();
    if (first < 0) first = end - start;
    else maxLater = Math.max(maxLater, end - last);
    return {
      max_node_gap_ms: +Math.max(first, maxLater).toFixed(2),
      node_ticks: ticks,
      first_node_gap_ms: +first.toFixed(2),
      max_later_gap_ms: +maxLater.toFixed(2),
    };
  };
}

/**
 * Prints to stderr where the heap goes, per task, while n tasks are asleep: self size by
 * object kind and constructor from a V8 heap snapshot (`node bench/run.mjs --heap`).
 */
export function heapSummary(n: number, what = "sleeping tasks"): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const file = writeHeapSnapshot();
  const snap = JSON.parse(readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  rmSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, ni, si] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const bySize = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const size = snap.nodes[i + si] ?? 0;
    const name = (snap.strings[snap.nodes[i + ni] ?? 0] ?? "").split("\n")[0]?.slice(0, 60);
    const key = `${types[snap.nodes[i + ti] ?? 0]} ${name}`;
    const entry = bySize.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += size;
    entry.count++;
    bySize.set(key, entry);
    total += size;
  }
  const lines = [
    `heap after GC: ${(total / 2 ** 20).toFixed(1)} MB for ${n} ${what} = ${(total / n).toFixed(0)} B per task; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
  ];
  for (const [key, { bytes, count }] of [...bySize]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, 15)) {
    lines.push(
      `${(bytes / n).toFixed(0).padStart(7)} B/task ${String(count).padStart(9)} objects  ${key}`,
    );
  }
  process.stderr.write(`${lines.join("\n")}\n`);
}
