/**
 * Runs generated programs on both sides and compares their traces.
 *
 * asyncio-ts side: in this process, each program compiled with `new Function` and run on
 * a fresh {@link DeadlockDetectingLoop} (VirtualEventLoop that also notices deadlocks).
 * CPython side: one `python3` process runs the whole batch (harness.py), on asyncio's own
 * SelectorEventLoop with a virtual clock. Both harnesses provide the same helpers and
 * print the same trace format; see generate.ts for the programs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as asyncio from "../../src/index.js";
import {
  FEATURES,
  type Feature,
  generate,
  type Program,
  toPython,
  toTypeScript,
} from "./generate.js";
import { KNOWN_BUGS_PENDING, KNOWN_DIFFERENCES } from "./known.js";

const HARNESS_PY = fileURLToPath(new URL("harness.py", import.meta.url));
const MAX_DEADLOCKS = 8;
const TRACED_DEADLOCKS = 3;
const SETTLE_ROUNDS = 3;
const SETTLE_TIMEOUT = 50;

// ------------------------------------------------------------------ trace and helpers

/** What `fmt` prints of a thrown value; the same format as harness.py's `fmt`. */
export class Boom extends Error {
  override name = "Boom";
}

function fmt(e: unknown): string {
  if (!(e instanceof Error)) return `thrown ${typeof e}`;
  // RangeError is asyncio-ts's ValueError (docs/differences.md).
  const name = e.constructor.name === "RangeError" ? "ValueError" : e.constructor.name;
  if (e instanceof asyncio.BaseExceptionGroup) {
    return `${name}<${e.message}>[${e.exceptions.map(fmt).join(", ")}]`;
  }
  if (
    e instanceof Boom ||
    e instanceof asyncio.CancelledError ||
    e instanceof asyncio.TimeoutError
  ) {
    return `${name}<${e.message}>`;
  }
  return name;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v instanceof Error) return fmt(v);
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  return String(v);
}

/** Python's `isinstance(e, Exception)`: anything but the BaseException-only kinds. */
function isException(e: unknown): boolean {
  if (e instanceof asyncio.CancelledError || e instanceof asyncio.KeyboardInterrupt) return false;
  if (e instanceof asyncio.GeneratorExit) return false;
  return !(e instanceof asyncio.BaseExceptionGroup) || e instanceof asyncio.ExceptionGroup;
}

function status(t: asyncio.Task<unknown>): string {
  if (!t.done()) return "pending";
  if (t.cancelled()) return "cancelled";
  const e = t.exception();
  if (e !== null && e !== undefined) return `exception ${fmt(e)}`;
  return `result ${show(t.result())}`;
}

class Trace {
  readonly lines: string[] = [];
  closed = false;
  constructor(private readonly loop: asyncio.BaseEventLoop) {}
  write = (msg: string): void => {
    if (!this.closed) this.lines.push(`t=${this.loop.time().toFixed(6)} ${msg}`);
  };
}

/**
 * A VirtualEventLoop that notices deadlocks (nothing ready, no timer left) and handles
 * them as harness.py's loop does: DEADLOCK in the trace, then the root task is cancelled
 * (main is the one stuck); if that keeps failing, the trace closes and all tasks are
 * cancelled.
 */
class DeadlockDetectingLoop extends asyncio.VirtualEventLoop {
  trace: Trace | null = null;
  rootTask: asyncio.Task<unknown> | null = null;
  deadlocks = 0;

  protected override _idleJump(): boolean {
    if (super._idleJump()) return true;
    if (this._externalPending > 0 || this._nextTimerWhen() !== undefined) return false;
    this.deadlocks++;
    if (this.deadlocks > MAX_DEADLOCKS) {
      this.stop();
      return false;
    }
    this.trace?.write("DEADLOCK");
    if (this.deadlocks <= TRACED_DEADLOCKS && this.rootTask !== null && !this.rootTask.done()) {
      this.rootTask.cancel();
    } else {
      if (this.trace !== null) this.trace.closed = true;
      for (const t of asyncio.allTasks()) t.cancel();
    }
    return this._ready.length > 0;
  }
}

interface ProgramHelpers {
  T: (msg: string) => void;
  fmt: typeof fmt;
  show: typeof show;
  isException: typeof isException;
  Boom: typeof Boom;
  TASKS: Map<string, asyncio.Task<unknown>>;
  tsk: (name: string) => asyncio.Awaitable<unknown>;
  tasksOf: (names: string[]) => asyncio.Task<unknown>[];
  cancelTask: (name: string, msg: string | null) => boolean | string;
  names: (ts: Iterable<asyncio.Task<unknown>>) => string;
  Q: asyncio.Queue<number>;
  L: asyncio.Lock;
  E: asyncio.Event;
  C: asyncio.Condition;
  S: asyncio.Semaphore;
}

function helpers(trace: Trace, p: Program): ProgramHelpers {
  const TASKS = new Map<string, asyncio.Task<unknown>>();
  return {
    T: trace.write,
    fmt,
    show,
    isException,
    Boom,
    TASKS,
    tsk: (name) => TASKS.get(name) ?? asyncio.sleep(0, "missing"),
    tasksOf: (names) => names.flatMap((n) => TASKS.get(n) ?? []),
    cancelTask: (name, msg) => {
      const t = TASKS.get(name);
      if (t === undefined) return "missing";
      return msg === null ? t.cancel() : t.cancel(msg);
    },
    names: (ts) =>
      `[${[...ts]
        .map((t) => t.getName())
        .sort()
        .join(", ")}]`,
    Q: new asyncio.Queue<number>(p.queueSize),
    L: new asyncio.Lock(),
    E: new asyncio.Event(),
    C: new asyncio.Condition(),
    S: new asyncio.Semaphore(p.semaphoreValue),
  };
}

const HELPER_NAMES: (keyof ProgramHelpers)[] = [
  "T",
  "fmt",
  "show",
  "isException",
  "Boom",
  "TASKS",
  "tsk",
  "tasksOf",
  "cancelTask",
  "names",
  "Q",
  "L",
  "E",
  "C",
  "S",
];

function* root(
  main: () => asyncio.Coroutine<unknown>,
  h: ProgramHelpers,
  trace: Trace,
): asyncio.Coroutine<void> {
  try {
    yield* main();
    trace.write("main returned");
  } catch (e) {
    trace.write(`main raised ${fmt(e)}`);
  }
  // Settle: give the named tasks time to finish (tasks may start more), report every one,
  // then cancel what is left in creation order.
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    const pending = [...h.TASKS.values()].filter((t) => !t.done());
    if (pending.length === 0) break;
    yield* asyncio.wait(pending, { timeout: SETTLE_TIMEOUT });
  }
  for (const [name, t] of h.TASKS) trace.write(`${name} ${status(t)}`);
  const pending = [...h.TASKS.values()].filter((t) => !t.done());
  for (const t of pending) t.cancel();
  if (pending.length > 0) {
    yield* asyncio.wait(pending);
    for (const t of pending) trace.write(`${t.getName()} settled ${status(t)}`);
  }
  // What runs later (coroutines closed when collected) depends on the garbage collector.
  trace.closed = true;
}

/** Runs one program on asyncio-ts; its trace lines. */
export async function runTypeScriptProgram(
  p: Program,
  source = toTypeScript(p),
): Promise<string[]> {
  const loop = new DeadlockDetectingLoop();
  const trace = new Trace(loop);
  loop.trace = trace;
  loop.setExceptionHandler(() => {});
  const h = helpers(trace, p);
  try {
    const compiled = new Function("asyncio", ...HELPER_NAMES, `${source}\nreturn main;`) as (
      ...args: unknown[]
    ) => () => asyncio.Coroutine<unknown>;
    const main = compiled(asyncio, ...HELPER_NAMES.map((n) => h[n]));
    loop.rootTask = loop.createTask(root(main, h, trace));
    await loop.runUntilComplete(loop.rootTask);
  } catch (e) {
    // The root catches everything main throws; it ends this way only when a deadlock
    // cancelled it and main's cleanup got it cancelled again, or when the harness fails.
    if (loop.deadlocks === 0) trace.write(`HARNESS ERROR ${String(e)}`);
    else if (loop.rootTask?.cancelled()) trace.write("root cancelled");
  } finally {
    // Coroutines closed later (at shutdown, by the collector) must not write any more.
    trace.closed = true;
    if (!loop.isRunning()) loop.close();
  }
  return trace.lines;
}

// ------------------------------------------------------------------ CPython

/** A Python that can run the harness: an interpreter and its version, or why there is none. */
export type PythonFound = { python: string; version: string } | { python: null; reason: string };

/**
 * The first Python >= 3.12 among $ASYNCIO_TS_PYTHON, pyenv's installed versions (newest
 * first), python3.13, python3.12, python3.14 and python3.
 */
export function findPython(): PythonFound {
  const candidates: string[] = [];
  const env = process.env.ASYNCIO_TS_PYTHON;
  if (env !== undefined && env !== "") candidates.push(env);
  // pyenv's own installs first: a shim of a version pyenv has not selected takes seconds to fail.
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "versions");
  if (existsSync(pyenv)) {
    for (const v of readdirSync(pyenv).sort().reverse()) {
      if (/^3\.1[2-9]\./.test(v)) candidates.push(join(pyenv, v, "bin", "python3"));
    }
  }
  candidates.push("python3.13", "python3.12", "python3.14", "python3");
  const tried: string[] = [];
  for (const c of candidates) {
    const r = spawnSync(c, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
      encoding: "utf8",
    });
    const version = r.status === 0 ? r.stdout.trim() : null;
    tried.push(`${c}: ${version ?? "not runnable"}`);
    if (version !== null) {
      const [major, minor] = version.split(".").map(Number);
      if (major === 3 && (minor ?? 0) >= 12) return { python: c, version };
    }
  }
  return {
    python: null,
    reason: `needs CPython >= 3.12 (tried ${tried.join("; ")}); install it or set ASYNCIO_TS_PYTHON=/path/to/python3.13`,
  };
}

/** Runs the batch on CPython in one process; each seed's trace lines. */
export function runPythonPrograms(python: string, programs: Program[]): Map<number, string[]> {
  const input = JSON.stringify(
    programs.map((p) => ({
      seed: p.seed,
      source: toPython(p),
      queueSize: p.queueSize,
      semaphoreValue: p.semaphoreValue,
    })),
  );
  const r = spawnSync(python, [HARNESS_PY], {
    input,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) {
    throw new Error(`${python} ${HARNESS_PY} failed (${r.status}):\n${r.stderr}`);
  }
  const out = JSON.parse(r.stdout) as Record<string, string[]>;
  return new Map(Object.entries(out).map(([k, v]) => [Number(k), v]));
}

// ------------------------------------------------------------------ comparison

/** One seed whose traces differ. */
export interface Mismatch {
  seed: number;
  python: string;
  typescript: string;
  pythonTrace: string[];
  typescriptTrace: string[];
  /** Why it is expected, if it is listed in known.ts. */
  known: { list: "difference" | "bug"; reason: string } | null;
}

export interface Comparison {
  programs: number;
  agree: number;
  mismatches: Mismatch[];
  /** Seeds listed in known.ts that agree now (a fixed bug: remove them from the list). */
  fixedKnown: number[];
}

/** Generates `seeds`, runs them on both sides and compares the traces. */
export async function compareSeeds(
  python: string,
  seeds: number[],
  features: readonly Feature[] = FEATURES,
  printTraces = false,
): Promise<Comparison> {
  const programs = seeds.map((s) => generate(s, features));
  const py = runPythonPrograms(python, programs);
  const mismatches: Mismatch[] = [];
  const fixedKnown: number[] = [];
  for (const p of programs) {
    const ts = await runTypeScriptProgram(p);
    const pyTrace = py.get(p.seed) ?? ["(no output from python)"];
    const listed = known(p.seed);
    if (printTraces) {
      console.log(`=== seed ${p.seed} traces (- CPython, + asyncio-ts)`);
      console.log(diffLines(pyTrace, ts).join("\n"));
    }
    if (sameLines(pyTrace, ts)) {
      if (listed !== null) fixedKnown.push(p.seed);
      continue;
    }
    mismatches.push({
      seed: p.seed,
      python: toPython(p),
      typescript: toTypeScript(p),
      pythonTrace: pyTrace,
      typescriptTrace: ts,
      known: listed,
    });
  }
  return {
    programs: programs.length,
    agree: programs.length - mismatches.length,
    mismatches,
    fixedKnown,
  };
}

function known(seed: number): Mismatch["known"] {
  const d = KNOWN_DIFFERENCES[seed];
  if (d !== undefined) return { list: "difference", reason: d };
  const b = KNOWN_BUGS_PENDING[seed];
  if (b !== undefined) return { list: "bug", reason: b };
  return null;
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/** A line diff of two traces (longest common subsequence): ` ` both, `-` python only, `+` ours only. */
export function diffLines(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        a[i] === b[j]
          ? (lcs[i + 1] as number[])[j + 1]! + 1
          : Math.max((lcs[i + 1] as number[])[j]!, row[j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if ((lcs[i + 1] as number[])[j]! >= (lcs[i] as number[])[j + 1]!)
      out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < n) out.push(`- ${a[i++]}`);
  while (j < m) out.push(`+ ${b[j++]}`);
  return out;
}

/** A mismatch as the fuzz command prints it: seed, both programs, the trace diff. */
export function formatMismatch(m: Mismatch): string {
  const tag = m.known === null ? "NEW" : `known ${m.known.list}: ${m.known.reason}`;
  return [
    `=== seed ${m.seed} (${tag})`,
    "--- Python",
    m.python,
    "--- TypeScript",
    m.typescript,
    "--- trace diff (- CPython, + asyncio-ts)",
    ...diffLines(m.pythonTrace, m.typescriptTrace),
    "",
  ].join("\n");
}
