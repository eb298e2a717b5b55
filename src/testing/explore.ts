/**
 * The race finder: runs a coroutine body under many schedules that asyncio itself could
 * produce when the world's timing differs, and reports the first one that fails with the
 * seed that replays it and the fewest perturbations that still make it fail.
 *
 * What may change between schedules, and why asyncio allows it:
 * - a timer fires up to `jitter` seconds after its deadline (never before): real clocks
 *   and busy loops make timers late, so timers with the same or close deadlines run in
 *   either order, and a sleep may end after a timeout due at the same moment;
 * - an outside promise (a bridged Promise, a thread's result, a connect) settles up to
 *   `outsideDelay` loop iterations later than it did: real I/O arrives whenever it does;
 * - what real sockets and pipes deliver (data, EOF, closed and accepted connections,
 *   datagrams) arrives up to `outsideDelay` iterations later, and data may come as up to
 *   `dataPieces` separate reads, as TCP may deliver it — each stream keeping its order and
 *   its flow control (src/testing/delivery.ts);
 * - with `eagerTasks`, a task's first step runs eagerly inside `createTask()` or on the
 *   next iteration — only for code that declares it works under either task factory.
 *
 * What never changes: callbacks scheduled with `callSoon` (and so task steps, done
 * callbacks, `sleep(0)`) run in FIFO order, and a timer never fires before its deadline.
 *
 * @module
 */

import type * as FastCheck from "fast-check";
import type { BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import type { TimerEntry } from "../core/handles.js";
import { Task } from "../core/tasks.js";
import { type _SchedulePerturber, VirtualEventLoop } from "../loops/virtual.js";
import { type _DeliveryChoices, _DeliveryGate } from "./delivery.js";
import { _runTestWith, type TestOptions } from "./harness.js";
import { deriveSeed, mulberry32, type Random } from "./random.js";

/**
 * Options of {@link explore}.
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { type ExploreFailure, explore } from "asyncio-ts/testing";
 *
 * // A reply due in 10 ms, awaited with a 12 ms timeout: it is late only if its timer
 * // fires more than 2 ms after the timeout's, as it may on a busy machine.
 * function* replyInTime(): asyncio.Coroutine<void> {
 *   yield* asyncio.waitFor(asyncio.sleep(0.01), 0.012);
 * }
 *
 * // Timers up to 1 ms late (the default jitter): every schedule passes.
 * const { runs } = await explore(replyInTime, { runs: 200, seed: 42 });
 * console.log(`${runs} schedules passed`); // 200 schedules passed
 *
 * // Up to 5 ms late, each run failing after 1 s of loop time: one schedule times out.
 * try {
 *   await explore(replyInTime, { runs: 200, seed: 42, jitter: 0.005, test: { timeout: 1 } });
 * } catch (e) {
 *   const { run, seed } = e as ExploreFailure;
 *   console.log(`${(e as Error).name} on schedule ${run}, seed ${seed}`);
 *   // TimeoutError on schedule 7, seed 142367074
 * }
 * ```
 */
export interface ExploreOptions {
  /** How many schedules to try; 100 by default. */
  runs?: number;
  /**
   * The seed of the first schedule (the others derive from it); 1 by default. A failure
   * reports the seed of the failing schedule: `{ seed, runs: 1 }` runs exactly it again.
   */
  seed?: number;
  /** The most a timer may fire after its deadline, in loop seconds; 0.001 by default. */
  jitter?: number;
  /**
   * The most loop iterations an outside completion may be delayed — a settled promise, a
   * connect, and what real sockets and pipes deliver (data, EOF, a closed or accepted
   * connection); 3 by default.
   */
  outsideDelay?: number;
  /**
   * The most pieces one delivery of socket or pipe data may be cut into (each a separate
   * read, one or more iterations after the one before, as TCP may deliver it); 4 by
   * default, 1 never cuts.
   */
  dataPieces?: number;
  /** Also choose per task between an eager and a lazy first step; false by default. */
  eagerTasks?: boolean;
  /**
   * Replay only these perturbations (by number, as a failure's trace lists them) of the
   * schedule of `seed` — how a shrunk schedule is replayed.
   */
  perturbations?: readonly number[];
  /** Reduce a failing schedule to the fewest perturbations that still fail; true by default. */
  shrink?: boolean;
  /** The most extra runs shrinking may take; 200 by default. */
  shrinkRuns?: number;
  /**
   * Options of each run's test harness (timeout, allowReports, fixtures …): leaks and
   * deadlocks fail a schedule as they fail a test. `loop` must make a VirtualEventLoop
   * (a SimulatedLoop, for instance); a plain one by default.
   */
  test?: TestOptions;
}

/**
 * One perturbation a schedule applied, as the trace of a failure lists it.
 *
 * @example
 * ```ts
 * const p: Perturbation = { index: 3, time: 0.005, description: "timer …" };
 * ```
 */
export interface Perturbation {
  /**
   * Its number among the schedule's choice points (what `perturbations` takes). The choice
   * points of a socket or pipe are numbered from a base of their own (1,000,000 and up),
   * so that their numbers do not depend on when real I/O arrived.
   */
  index: number;
  /** The loop time at which it was decided. */
  time: number;
  /** What changed, in words. */
  description: string;
}

/**
 * What {@link explore} resolves with when every schedule passed.
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { explore } from "asyncio-ts/testing";
 *
 * // Two visitors bump one counter: each reads it, saves for 10 ms and writes it back,
 * // holding a lock, so that the second waits for the first whatever the timing.
 * function* twoVisitors(): asyncio.Coroutine<void> {
 *   let visits = 0;
 *   const lock = new asyncio.Lock();
 *   function* visit(): asyncio.Coroutine<void> {
 *     yield* asyncio.asyncWith(lock, function* () {
 *       const seen = visits;
 *       yield* asyncio.sleep(0.01);
 *       visits = seen + 1;
 *     });
 *   }
 *   yield* asyncio.gather(visit(), (function* () {
 *     yield* asyncio.sleep(0.01); // the second visitor comes as the first one saves
 *     yield* visit();
 *   })());
 *   if (visits !== 2) throw new Error(`lost a visit: counted ${visits}, not 2`);
 * }
 *
 * const { runs, seed, choicePoints, perturbations } = await explore(twoVisitors, { runs: 100 });
 * console.log(`${runs} schedules from seed ${seed} passed`); // 100 schedules from seed 1 passed
 * console.log(`${perturbations} of ${choicePoints} timers fired late`); // 173 of 300 timers fired late
 * ```
 */
export interface ExploreResult {
  /** Schedules run. */
  runs: number;
  /** The first seed. */
  seed: number;
  /** Choice points seen, over all runs. */
  choicePoints: number;
  /** Perturbations applied, over all runs. */
  perturbations: number;
}

/**
 * The extra fields of the error {@link explore} rejects with (the body's own error, with
 * these added and the seed in its message).
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { type ExploreFailure, explore } from "asyncio-ts/testing";
 *
 * // Two visitors bump one counter: each reads it, saves for 10 ms and writes it back.
 * // The count is right only if the first one's save ends before the second one reads.
 * function* twoVisitors(): asyncio.Coroutine<void> {
 *   let visits = 0;
 *   function* visit(): asyncio.Coroutine<void> {
 *     const seen = visits;
 *     yield* asyncio.sleep(0.01);
 *     visits = seen + 1;
 *   }
 *   yield* asyncio.gather(visit(), (function* () {
 *     yield* asyncio.sleep(0.01); // the second visitor comes as the first one saves
 *     yield* visit();
 *   })());
 *   if (visits !== 2) throw new Error(`lost a visit: counted ${visits}, not 2`);
 * }
 *
 * try {
 *   await explore(twoVisitors, { runs: 100, seed: 7 });
 * } catch (e) {
 *   const { seed, run, perturbations, perturbationsBeforeShrinking } = e as ExploreFailure;
 *   console.log(`schedule ${run} failed, seed ${seed}`); // schedule 2 failed, seed 2902783164
 *   console.log(`${perturbations.length} of ${perturbationsBeforeShrinking} perturbations suffice:`);
 *   for (const p of perturbations) console.log(`#${p.index} ${p.description}`);
 *   // #0 the sleep of task 'Task-2' (coroutine) due at 0.01 fires 0.000760077 s late
 *
 *   // The same failure again, as often as it takes to understand it (in a debugger, with
 *   // logging): the seed alone, or the seed and the perturbations that suffice.
 *   const indices = perturbations.map((p) => p.index);
 *   const again = await explore(twoVisitors, { seed, runs: 1, perturbations: indices }).then(
 *     () => "passed",
 *     (e: Error) => e.message.split("\n")[0],
 *   );
 *   console.log(again); // lost a visit: counted 1, not 2 [seed 2902783164]
 * }
 * ```
 */
export interface ExploreFailure {
  /** The seed of the failing schedule. */
  seed: number;
  /** Which run (1-based) failed: how many schedules it took to find the race. */
  run: number;
  /** The fewest perturbations of that schedule found to still fail. */
  perturbations: Perturbation[];
  /** How many perturbations the failing schedule had before shrinking. */
  perturbationsBeforeShrinking: number;
  /** The readable trace: seed, replay options, the perturbations. */
  schedule: string;
}

/**
 * Real seconds a stall must last, while a real socket or child process is open, before a
 * schedule fails as deadlocked: what a protocol waits for from the kernel the loop cannot
 * see coming. Without real I/O a stall fails at once.
 */
const IO_DEADLOCK_AFTER = 1;

interface Settings {
  jitter: number;
  outsideDelay: number;
  dataPieces: number;
  eagerTasks: boolean;
}

function settingsOf(options: ExploreOptions): Settings {
  return {
    jitter: options.jitter ?? 0.001,
    outsideDelay: options.outsideDelay ?? 3,
    dataPieces: options.dataPieces ?? 4,
    eagerTasks: options.eagerTasks ?? false,
  };
}

/**
 * The choices of one schedule. Every choice point draws the same random numbers whether
 * or not it is perturbed, so that dropping one perturbation (when shrinking) leaves the
 * others' values as they were.
 */
class Schedule implements _SchedulePerturber, _DeliveryChoices {
  private ownPoints = 0;
  readonly applied: Perturbation[] = [];
  private readonly random: Random;
  readonly rate: number;
  /** Socket and pipe deliveries: streams choose from random sources of their own. */
  readonly gate: _DeliveryGate;

  constructor(
    private readonly loop: BaseEventLoop,
    readonly seed: number,
    private readonly settings: Settings,
    readonly only: ReadonlySet<number> | null,
    rate?: number,
  ) {
    this.random = mulberry32(seed);
    // Each schedule perturbs its own share of the choice points: some runs change a
    // little, some a lot ("swarm testing" finds more than one fixed rate).
    this.rate = rate ?? this.random();
    this.gate = new _DeliveryGate(loop, this);
  }

  /** Choice points seen: the schedule's own and those of the I/O streams. */
  get points(): number {
    return this.ownPoints + this.gate.points;
  }

  get outsideDelay(): number {
    return this.settings.outsideDelay;
  }

  get dataPieces(): number {
    return this.settings.dataPieces;
  }

  record(index: number, description: string): void {
    this.applied.push({ index, time: this.loop.time(), description });
  }

  /** Makes `loop` run under this schedule. */
  install(loop: VirtualEventLoop): void {
    loop._setPerturber(this);
    loop._ioGate = this.gate;
    if (this.settings.eagerTasks) installEagerChoice(loop, this);
  }

  private choose(): [on: boolean, u: number, index: number] {
    const index = this.ownPoints++;
    const u1 = this.random();
    const u2 = this.random();
    const on = this.only === null ? u1 < this.rate : this.only.has(index);
    return [on, u2, index];
  }

  timer(when: number, entry?: TimerEntry): number {
    const [on, u, index] = this.choose();
    if (!on || this.settings.jitter === 0) return when;
    // Strictly later, so that it also moves behind a timer due at exactly `when`.
    const late = Math.max(u * this.settings.jitter, 1e-9);
    this.applied.push({
      index,
      time: this.loop.time(),
      description: `${describeTimer(entry)} due at ${fmt(when)} fires ${fmt(late)} s late`,
    });
    return when + late;
  }

  outside(deliver: () => void): void {
    const [on, u, index] = this.choose();
    if (!on || this.settings.outsideDelay === 0) {
      deliver();
      return;
    }
    const n = 1 + Math.floor(u * this.settings.outsideDelay);
    this.applied.push({
      index,
      time: this.loop.time(),
      description: `an outside completion arrives ${n} iteration(s) later`,
    });
    const loop = this.loop;
    const step = (left: number): void => {
      if (left === 0) deliver();
      else loop.callSoon(step, left - 1);
    };
    step(n);
  }

  eager(name: () => string): boolean {
    const [on, , index] = this.choose();
    if (on) {
      this.applied.push({
        index,
        time: this.loop.time(),
        description: `task ${name()} takes its first step eagerly, inside createTask()`,
      });
    }
    return on;
  }
}

function describeTimer(entry: TimerEntry | undefined): string {
  if (entry instanceof Task) {
    const coro = /coro=<([^>]*)>/.exec(String(entry))?.[1];
    return `the sleep of task '${entry.getName()}'${coro === undefined ? "" : ` (${coro})`}`;
  }
  if (entry === undefined) return "a timer";
  return `timer ${String(entry)}`;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/\.?0+$/, "");
}

interface Outcome {
  failed: boolean;
  error: unknown;
  schedule: Schedule;
}

async function runSchedule(
  body: () => Coroutine<unknown>,
  seed: number,
  settings: Settings,
  only: ReadonlySet<number> | null,
  testOptions: TestOptions,
  recordSites: boolean,
): Promise<Outcome> {
  let schedule: Schedule | null = null;
  try {
    await _runTestWith(
      body,
      { deadlockAfter: 0, recordSites, ...testOptions },
      {
        ioDeadlockAfter: IO_DEADLOCK_AFTER,
        setup(loop) {
          checkVirtual(loop);
          const s = new Schedule(loop, seed, settings, only);
          schedule = s;
          s.install(loop as VirtualEventLoop);
        },
      },
    );
    return { failed: false, error: undefined, schedule: schedule as unknown as Schedule };
  } catch (error) {
    if (schedule === null) throw error; // the harness failed before the run: not a race
    return { failed: true, error, schedule };
  }
}

function checkVirtual(loop: BaseEventLoop): void {
  if (!(loop instanceof VirtualEventLoop)) {
    throw new TypeError(
      `explore(): the loop must be a VirtualEventLoop (or a subclass such as SimulatedLoop): received ${String(loop)}`,
    );
  }
}

function installEagerChoice(loop: BaseEventLoop, s: Schedule): void {
  const inner = loop.getTaskFactory();
  let first = true;
  loop.setTaskFactory((lp, coro, opts) => {
    // The main task starts the loop: it is never eager.
    const main = first;
    first = false;
    const eagerStart =
      opts.eagerStart ?? (main ? false : s.eager(() => String(opts.name ?? "(unnamed)")));
    const o = { ...opts, eagerStart };
    return inner === null ? new Task(coro, { ...o, loop: lp }) : inner(lp, coro, o);
  });
}

function sameFailure(a: unknown, b: unknown): boolean {
  if (a instanceof Error && b instanceof Error) return a.constructor === b.constructor;
  return typeof a === typeof b;
}

function checkCount(value: unknown, what: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(
      `explore(): '${what}' must be an integer >= ${min}: received ${describe(value)}`,
    );
  }
}

function checkOptions(body: unknown, options: ExploreOptions): void {
  if (typeof body !== "function") {
    throw new TypeError(
      `explore(): 'body' must be a generator function (it is called once per schedule): received ${describe(body)}`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`explore(): 'options' must be an object: received ${describe(options)}`);
  }
  checkCount(options.runs, "runs", 1);
  checkCount(options.outsideDelay, "outsideDelay", 0);
  checkCount(options.dataPieces, "dataPieces", 1);
  checkCount(options.shrinkRuns, "shrinkRuns", 0);
  if (options.seed !== undefined && !(Number.isInteger(options.seed) && options.seed >= 0)) {
    throw new RangeError(
      `explore(): 'seed' must be an integer >= 0: received ${describe(options.seed)}`,
    );
  }
  const j = options.jitter;
  if (j !== undefined && !(typeof j === "number" && j >= 0 && Number.isFinite(j))) {
    throw new RangeError(
      `explore(): 'jitter' must be a finite number of seconds >= 0: received ${describe(j)}`,
    );
  }
  const p = options.perturbations;
  if (p !== undefined && (!Array.isArray(p) || !p.every((i) => Number.isInteger(i) && i >= 0))) {
    throw new TypeError(
      `explore(): 'perturbations' must be an array of integers >= 0: received ${describe(p)}`,
    );
  }
}

/**
 * Runs `body` (a generator function, called afresh for each schedule) on a fresh
 * virtual-time loop under `runs` different schedules, each one a way asyncio could have
 * run it had the world's timing differed (see the module notes). Each run goes through
 * the test harness, so a leaked task, a lost exception or a deadlock fails a schedule too.
 *
 * Resolves with counts when every schedule passed. Rejects, at the first schedule that
 * fails, with the body's own error, annotated (see {@link ExploreFailure}): `seed` (also
 * in the message) replays it with `{ seed, runs: 1 }`; the trace lists the fewest
 * perturbations of it that still fail, replayable with `{ seed, runs: 1, perturbations }`.
 *
 * Errors: `TypeError` / `RangeError` for a bad body or option, at the call.
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { explore } from "asyncio-ts/testing";
 *
 * // Two visitors bump one counter: each reads it, saves for 10 ms and writes it back.
 * // The second comes as the first one saves: on the plain schedule the first save ends
 * // first and the count is right. explore() also tries the schedules in which that
 * // save's timer fires a little late, as on a busy machine.
 * function* twoVisitors(): asyncio.Coroutine<void> {
 *   let visits = 0;
 *   function* visit(): asyncio.Coroutine<void> {
 *     const seen = visits;
 *     yield* asyncio.sleep(0.01);
 *     visits = seen + 1;
 *   }
 *   yield* asyncio.gather(visit(), (function* () {
 *     yield* asyncio.sleep(0.01);
 *     yield* visit();
 *   })());
 *   if (visits !== 2) throw new Error(`lost a visit: counted ${visits}, not 2`);
 * }
 *
 * try {
 *   await explore(twoVisitors, { runs: 100, seed: 1 });
 * } catch (e) {
 *   console.log((e as Error).message);
 *   // lost a visit: counted 1, not 2 [seed 1]
 *   // explore(): schedule 1 of 100 failed, seed 1
 *   //   replay it: explore(body, { seed: 1, runs: 1 })
 *   //   1 perturbation(s) of 2 suffice: explore(body, { seed: 1, runs: 1, perturbations: [0] })
 *   //   #0 at t=0: the sleep of task 'Task-2' (coroutine) due at 0.01 fires 0.000527447 s late
 * }
 * // In a test, the rejection fails the test with that message:
 * // it("counts every visit", () => explore(twoVisitors));
 * // and it passes once visit() holds a Lock across its read and its write.
 * ```
 */
export async function explore(
  body: () => Coroutine<unknown>,
  options: ExploreOptions = {},
): Promise<ExploreResult> {
  checkOptions(body, options);
  const runs = options.runs ?? 100;
  const base = options.seed ?? 1;
  const settings = settingsOf(options);
  const only = options.perturbations === undefined ? null : new Set(options.perturbations);
  const testOptions = options.test ?? {};
  let choicePoints = 0;
  let perturbations = 0;
  for (let i = 0; i < runs; i++) {
    const seed = i === 0 ? base : deriveSeed(base, i);
    const out = await runSchedule(body, seed, settings, only, testOptions, false);
    choicePoints += out.schedule.points;
    perturbations += out.schedule.applied.length;
    if (!out.failed) continue;
    const before = out.schedule.applied.length;
    let kept = out.schedule.applied.map((p) => p.index);
    if (options.shrink !== false && only === null) {
      kept = await shrink(
        body,
        seed,
        settings,
        testOptions,
        out.error,
        kept,
        options.shrinkRuns ?? 200,
      );
    }
    // The shrunk schedule once more, recording where tasks were made, for the trace.
    const final = await runSchedule(body, seed, settings, new Set(kept), testOptions, true);
    const trace = final.failed ? final.schedule.applied : out.schedule.applied;
    throw annotate(out.error, { seed, run: i + 1, runs, before, trace, options });
  }
  return { runs, seed: base, choicePoints, perturbations };
}

/**
 * Delta debugging over the applied perturbations: drop halves, then quarters, … then
 * single ones, keeping each drop after which the schedule still fails the same way.
 */
async function shrink(
  body: () => Coroutine<unknown>,
  seed: number,
  settings: Settings,
  testOptions: TestOptions,
  error: unknown,
  kept: number[],
  budget: number,
): Promise<number[]> {
  let chunk = Math.max(1, Math.floor(kept.length / 2));
  while (budget > 0 && kept.length > 0) {
    let removedAny = false;
    for (let start = 0; start < kept.length && budget > 0; ) {
      const trial = [...kept.slice(0, start), ...kept.slice(start + chunk)];
      budget--;
      const out = await runSchedule(body, seed, settings, new Set(trial), testOptions, false);
      if (out.failed && sameFailure(out.error, error)) {
        kept = trial;
        removedAny = true;
      } else {
        start += chunk;
      }
    }
    if (chunk === 1 && !removedAny) break;
    if (!removedAny) chunk = Math.max(1, Math.floor(chunk / 2));
  }
  return kept;
}

function annotate(
  error: unknown,
  info: {
    seed: number;
    run: number;
    runs: number;
    before: number;
    trace: Perturbation[];
    options: ExploreOptions;
  },
): Error {
  const { seed, run, runs, before, trace, options } = info;
  const replayExtra = [
    options.jitter === undefined ? "" : `, jitter: ${options.jitter}`,
    options.outsideDelay === undefined ? "" : `, outsideDelay: ${options.outsideDelay}`,
    options.dataPieces === undefined ? "" : `, dataPieces: ${options.dataPieces}`,
    options.eagerTasks ? ", eagerTasks: true" : "",
  ].join("");
  const shown = trace.slice(0, 30);
  const lines = [
    `explore(): schedule ${run} of ${runs} failed, seed ${seed}`,
    `  replay it: explore(body, { seed: ${seed}, runs: 1${replayExtra} })`,
    trace.length === 0
      ? "  it fails with no perturbation at all: the plain schedule fails"
      : `  ${trace.length} perturbation(s) of ${before} suffice: explore(body, { seed: ${seed}, runs: 1${replayExtra}, perturbations: [${trace.map((p) => p.index).join(", ")}] })`,
    ...shown.map((p) => `  #${p.index} at t=${fmt(p.time)}: ${p.description}`),
    ...(trace.length > shown.length ? [`  … ${trace.length - shown.length} more`] : []),
  ];
  const schedule = lines.join("\n");
  let e: Error;
  if (error instanceof Error && Object.isExtensible(error)) {
    e = error;
    const original = e.message;
    try {
      e.message = `${original} [seed ${seed}]\n${schedule}`;
      if (typeof e.stack === "string") {
        const i = e.stack.indexOf(original);
        if (i >= 0) e.stack = e.stack.slice(0, i) + e.message + e.stack.slice(i + original.length);
      }
    } catch {
      e = new Error(`${String(error)} [seed ${seed}]\n${schedule}`, { cause: error });
    }
  } else {
    e = new Error(`${String(error)} [seed ${seed}]\n${schedule}`, { cause: error });
  }
  Object.assign(e, {
    seed,
    run,
    perturbations: trace,
    perturbationsBeforeShrinking: before,
    schedule,
  } satisfies ExploreFailure);
  return e;
}

/**
 * A schedule that fast-check chooses, for properties over inputs and schedules together:
 * fast-check picks the seed and the share of perturbed choice points, and shrinks a
 * failure towards fewer perturbations along with the inputs. Get one from
 * {@link scheduleArbitrary}.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import * as asyncio from "asyncio-ts";
 * import { type ExploreSchedule, scheduleArbitrary } from "asyncio-ts/testing";
 *
 * // A reply due in 10 ms, awaited with a 12 ms timeout: it is late if its timer fires
 * // more than 2 ms after the timeout's.
 * function* replyInTime(): asyncio.Coroutine<void> {
 *   yield* asyncio.waitFor(asyncio.sleep(0.01), 0.012);
 * }
 *
 * // fast-check draws schedules, with timers up to 5 ms late, until one fails; then shrinks it.
 * const details = await fc.check(
 *   fc.asyncProperty(scheduleArbitrary(fc, { jitter: 0.005 }), (s) => s.run(replyInTime)),
 *   { seed: 1 },
 * );
 * if (details.counterexample !== null) {
 *   const [schedule]: [ExploreSchedule] = details.counterexample;
 *   console.log(`${schedule}`); // Schedule(seed=2139069405, rate=0.0492582)
 *   // The schedule replays: it fails the same way again.
 *   await schedule.run(replyInTime).catch((e: Error) => console.log(e.name)); // TimeoutError
 * }
 * ```
 */
export interface ExploreSchedule {
  readonly seed: number;
  /** The share of choice points perturbed, 0 … 1. */
  readonly rate: number;
  /** Runs `body` under this schedule; rejects as {@link explore} does (without shrinking). */
  run(body: () => Coroutine<unknown>): Promise<void>;
}

class ChosenSchedule implements ExploreSchedule {
  constructor(
    readonly seed: number,
    readonly rate: number,
    private readonly options: Omit<ExploreOptions, "runs" | "seed" | "perturbations">,
  ) {}

  async run(body: () => Coroutine<unknown>): Promise<void> {
    checkOptions(body, this.options);
    const settings = settingsOf(this.options);
    let schedule: Schedule | null = null;
    try {
      await _runTestWith(
        body,
        { deadlockAfter: 0, recordSites: false, ...this.options.test },
        {
          ioDeadlockAfter: IO_DEADLOCK_AFTER,
          setup: (loop) => {
            checkVirtual(loop);
            schedule = new Schedule(loop, this.seed, settings, null, this.rate);
            schedule.install(loop as VirtualEventLoop);
          },
        },
      );
    } catch (error) {
      const s = schedule as Schedule | null;
      if (s === null) throw error;
      throw annotate(error, {
        seed: this.seed,
        run: 1,
        runs: 1,
        before: s.applied.length,
        trace: s.applied,
        options: this.options,
      });
    }
  }

  toString(): string {
    return `Schedule(seed=${this.seed}, rate=${fmt(this.rate)})`;
  }
}

/**
 * A fast-check arbitrary of schedules: pass fast-check itself (asyncio-ts does not import
 * it; it is an optional peer dependency). Shrinking moves towards schedules with fewer
 * perturbations (a lower rate), together with the property's other inputs.
 *
 * Errors: `TypeError` unless `fc` is the fast-check module; `RangeError` for bad options.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import * as asyncio from "asyncio-ts";
 * import { scheduleArbitrary } from "asyncio-ts/testing";
 *
 * // `n` visitors bump one counter at once: each reads it, saves for 10 ms and writes it
 * // back, holding a lock, so that they go one at a time.
 * function* visitors(n: number): asyncio.Coroutine<void> {
 *   let visits = 0;
 *   const lock = new asyncio.Lock();
 *   function* visit(): asyncio.Coroutine<void> {
 *     yield* asyncio.asyncWith(lock, function* () {
 *       const seen = visits;
 *       yield* asyncio.sleep(0.01);
 *       visits = seen + 1;
 *     });
 *   }
 *   yield* asyncio.gather(...Array.from({ length: n }, () => visit()));
 *   if (visits !== n) throw new Error(`lost a visit: counted ${visits}, not ${n}`);
 * }
 *
 * // Every number of visitors, under every schedule fast-check draws. Without the lock it
 * // fails, shrunk to the counterexample [2, Schedule(seed=0, rate=0)]: two visitors lose
 * // a visit even on the plain schedule.
 * await fc.assert(
 *   fc.asyncProperty(fc.integer({ min: 1, max: 8 }), scheduleArbitrary(fc), (n, schedule) =>
 *     schedule.run(() => visitors(n)),
 *   ),
 * );
 * ```
 */
export function scheduleArbitrary(
  fc: Pick<typeof FastCheck, "record" | "nat" | "double">,
  options: Omit<ExploreOptions, "runs" | "seed" | "perturbations" | "shrink" | "shrinkRuns"> = {},
): FastCheck.Arbitrary<ExploreSchedule> {
  if (fc === null || typeof fc !== "object" || typeof fc.record !== "function") {
    throw new TypeError(
      `scheduleArbitrary(): 'fc' must be the fast-check module (import fc from "fast-check"): received ${describe(fc)}`,
    );
  }
  checkOptions(function* () {}, options);
  return fc
    .record({ seed: fc.nat(), rate: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map((v): ExploreSchedule => new ChosenSchedule(v.seed, v.rate, options));
}
