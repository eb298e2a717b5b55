/**
 * Instruments: objects told what a loop does as it does it, as Trio's
 * `trio.abc.Instrument` — a task created, queued, stepped (and for how long), what it
 * waits on and what woke it, who cancelled it and why, how it ended; each loop iteration,
 * and how long the loop waited for the host (I/O, timers) between its bursts of work.
 *
 * Timelines (debug/timeline.ts), OpenTelemetry spans (`asyncio-ts/otel`) and anything a
 * user writes are instruments. An instrument implements any subset of the hooks of
 * {@link Instrument}; hooks run synchronously on the loop, inside the event they describe,
 * so they must be quick and must not await.
 *
 * Cost: a loop without instruments pays one bit test per task step and one field read and
 * branch per queued callback (core/observer.ts). With instruments, each event is one call
 * through a small dispatcher; the `sample` option keeps only a fraction of the tasks
 * (decided once per task, at creation: the others' steps cost what they cost without
 * instruments) so that an instrument can stay installed in production.
 *
 * An instrument whose hook throws is removed, and the error goes to the loop's exception
 * handler: a broken instrument never breaks the program it observes (Trio does the same).
 *
 * @module
 */

import type { BaseEventLoop } from "../core/base_events.js";
import { describe } from "../core/coroutines.js";
import { _getRunningLoop } from "../core/events.js";
import { RuntimeError } from "../core/exceptions.js";
import { CANCELLED, type Future, PENDING } from "../core/futures.js";
import { type LoopObserver, waitOwners } from "../core/observer.js";
import type { Runnable } from "../core/readyqueue.js";
import { _isFuture, _isSleep } from "../core/runtime.js";
import type { Sleep } from "../core/sleep.js";
import { OBSERVED_FLAG, type Task } from "../core/tasks.js";
import { BoundedSemaphore, Condition, Event, Lock, Semaphore } from "../locks.js";
import { Queue } from "../queues.js";
import { TaskGroup } from "../taskgroups.js";
import { GatheringFuture } from "../tasks.js";

// ---------------------------------------------------------------- public shapes

/**
 * What a task waits on, by kind: what a timeline shades its waits with.
 *
 * - `sleep`: `yield* sleep(d)`;
 * - `task`, `gather`: another task, a `gather()` of several;
 * - `lock`, `semaphore`, `event`, `condition`, `queue`, `taskgroup`: a parked waiter of
 *   that primitive (a TaskGroup's exit waiting for its children);
 * - `io`: a stream read or drain, a connection, a DNS lookup;
 * - `thread`: `toThread()` / `runInExecutor()`;
 * - `promise`: a bridged Promise (`fromPromise()`);
 * - `future`: any other Future.
 *
 * @example
 * ```ts
 * const kind: asyncio.WaitKind = "sleep";
 * ```
 */
export type WaitKind =
  | "sleep"
  | "future"
  | "task"
  | "gather"
  | "lock"
  | "semaphore"
  | "event"
  | "condition"
  | "queue"
  | "taskgroup"
  | "io"
  | "thread"
  | "promise";

/**
 * What a task waits on (after a step) or was woken by (before a step).
 *
 * @example
 * ```ts
 * const instrument: asyncio.Instrument = {
 *   stepEnded(task, duration, waitingOn) {
 *     if (waitingOn?.kind === "lock") console.log(`${task.getName()} waits on ${waitingOn.label}`);
 *   },
 * };
 * ```
 */
export interface WaitTarget {
  /** What kind of thing is awaited. */
  readonly kind: WaitKind;
  /** The Future awaited (a Task, a gather, a lock's waiter …); null for a sleep. */
  readonly future: Future<unknown> | null;
  /** The object the wait belongs to (the Lock, Queue, TaskGroup …), when known; else null. */
  readonly owner: object | null;
  /** A sleep's delay in seconds; null for other kinds. */
  readonly delay: number | null;
  /** A short description: `sleep(1)`, `Task 'worker'`, `<Lock [locked]>`. */
  readonly label: string;
}

/**
 * How a task ended, as told to {@link Instrument.taskDone}.
 *
 * @example
 * ```ts
 * const instrument: asyncio.Instrument = {
 *   taskDone(task, outcome) {
 *     if (outcome.state === "error") console.error(task.getName(), outcome.error);
 *   },
 * };
 * ```
 */
export type TaskOutcome =
  | { readonly state: "result"; readonly result: unknown }
  | { readonly state: "error"; readonly error: unknown }
  | { readonly state: "cancelled"; readonly error: unknown };

/**
 * An observer of a loop (Trio's `trio.abc.Instrument`). Every hook is optional; hooks run
 * synchronously on the loop and must not await. Times are seconds.
 *
 * @example
 * ```ts
 * const slowSteps: asyncio.Instrument = {
 *   stepEnded(task, duration) {
 *     if (duration > 0.05) console.warn(`${task.getName()} blocked the loop for ${duration}s`);
 *   },
 * };
 * asyncio.addInstrument(slowSteps);
 * ```
 */
export interface Instrument {
  /** A task was created, by `parent` (the task running then; null from a callback). */
  taskCreated?(task: Task<unknown>, parent: Task<unknown> | null): void;
  /** The task was put on the ready queue, by `by` (null: by the loop, e.g. a timer). */
  taskScheduled?(task: Task<unknown>, by: Task<unknown> | null): void;
  /** A step of the task starts; `wokenBy` is what it was waiting on (null: first step, sleep(0)). */
  stepStarted?(task: Task<unknown>, wokenBy: WaitTarget | null): void;
  /**
   * The step ended after `duration` seconds of real time; `waitingOn` is what the task now
   * waits on (null: it is done, or queued again).
   */
  stepEnded?(task: Task<unknown>, duration: number, waitingOn: WaitTarget | null): void;
  /** cancel(message) reached the pending task, called from `by` (null: from a callback). */
  taskCancelled?(task: Task<unknown>, by: Task<unknown> | null, message: string | undefined): void;
  /** The task finished (after its last stepEnded). */
  taskDone?(task: Task<unknown>, outcome: TaskOutcome): void;
  /** A loop iteration starts, with `ready` callbacks and steps to run. */
  iterationStarted?(loop: BaseEventLoop, ready: number): void;
  /** That iteration ran `ran` callbacks in `duration` seconds. */
  iterationEnded?(loop: BaseEventLoop, ran: number, duration: number): void;
  /**
   * The loop was idle in the host for `duration` seconds — waiting for I/O, a timer or a
   * thread — before this burst of work.
   */
  ioWaited?(loop: BaseEventLoop, duration: number): void;
  /**
   * The loop's activity over the last window (see {@link InstrumentOptions.statsInterval}),
   * counted for every iteration and every task whatever the `sample` rate: the cheap way
   * to watch iterations and I/O waits in production.
   */
  loopStats?(loop: BaseEventLoop, stats: LoopStats): void;
}

/**
 * A loop's activity over one window, as told to {@link Instrument.loopStats}: counts of
 * everything that ran (never sampled) and the real time spent running and waiting. The
 * iterations are counted, not timed, so these cost two clock reads per tick (a burst of
 * work between two waits in the host), not per iteration.
 *
 * @example
 * ```ts
 * asyncio.addInstrument({
 *   loopStats(loop, s) {
 *     const load = s.busy / (s.busy + s.ioWait || 1);
 *     console.log(`${s.iterations} iterations, ${s.callbacks} callbacks, load ${load}`);
 *     if (s.longestTick > 0.1) console.warn(`the loop was blocked for ${s.longestTick}s`);
 *   },
 * }, { statsInterval: 10 });
 * ```
 */
export interface LoopStats {
  /** The window's length in loop time (`loop.time()`), seconds. */
  readonly duration: number;
  /** Loop iterations run in the window. */
  readonly iterations: number;
  /** Callbacks and task steps run by those iterations. */
  readonly callbacks: number;
  /** Ticks: bursts of work between two returns to the host (Node's event loop). */
  readonly ticks: number;
  /** Real seconds spent running ticks. */
  readonly busy: number;
  /** Real seconds spent idle in the host between ticks: waiting for I/O, timers, threads. */
  readonly ioWait: number;
  /** The longest tick, real seconds: how long the loop was blocked at worst. */
  readonly longestTick: number;
  /** Tasks created in the window. */
  readonly tasksCreated: number;
  /** Tasks pending at the window's end. */
  readonly tasksPending: number;
}

/**
 * Options of {@link addInstrument}.
 *
 * @example
 * ```ts
 * let steps = 0;
 * const myInstrument: asyncio.Instrument = {
 *   stepEnded() {
 *     steps++;
 *   },
 * };
 * asyncio.addInstrument(myInstrument, { sample: 0.01 }); // 1 task in 100
 * yield* asyncio.gather(...Array.from({ length: 1000 }, () => asyncio.sleep(1)));
 * asyncio.removeInstrument(myInstrument);
 * console.log(steps < 1000); // true: only the sampled tasks were seen
 * ```
 */
export interface InstrumentOptions {
  /** The loop to observe; the running loop by default. */
  loop?: BaseEventLoop;
  /**
   * The fraction of tasks and loop events the instrument hears about, in (0, 1]; 1 by
   * default. For tasks it is decided once, at each task's creation (every `1/sample`-th
   * task), so a sampled task's events are all reported and the others' none, and steps of
   * the others cost nothing. Every `1/sample`-th iteration reaches `iterationStarted` and
   * `iterationEnded`, every `1/sample`-th host wait `ioWaited`. `loopStats` counts
   * everything. `0.01` keeps an instrument under 5 % of the cost of the busiest workloads.
   */
  sample?: number;
  /**
   * Which tasks the instrument hears about, decided once at each task's creation, before
   * `sample` (which then applies to the selected tasks): `select(task, parent)` returns
   * true to hear about the task. The steps of a task no instrument hears about cost
   * nothing, so selecting by name (as `asyncio-ts/otel`'s `include` does) is cheaper than
   * ignoring tasks in the hooks. A `select` that throws refuses the task; the error goes to
   * the loop's exception handler. Tasks pending at installation are given a null parent.
   */
  select?: (task: Task<unknown>, parent: Task<unknown> | null) => boolean;
  /**
   * How often `loopStats` is called, in seconds of loop time: at the end of the first tick
   * after each interval, and when the loop stops or the instrument is removed (a window in
   * which nothing ran is not reported). 1 by default; 0 reports every tick.
   */
  statsInterval?: number;
}

/** OBSERVED_FLAG as a constant of this module, which the compiler folds (an import it reads). */
const OBSERVED: number = OBSERVED_FLAG;

const HOOKS = [
  "taskCreated",
  "taskScheduled",
  "stepStarted",
  "stepEnded",
  "taskCancelled",
  "taskDone",
  "iterationStarted",
  "iterationEnded",
  "ioWaited",
  "loopStats",
] as const;

// ---------------------------------------------------------------- classifying waits

function ownerKind(owner: object | string): WaitKind {
  if (typeof owner === "string") return owner as WaitKind;
  if (owner instanceof Lock) return "lock";
  if (owner instanceof Semaphore || owner instanceof BoundedSemaphore) return "semaphore";
  if (owner instanceof Event) return "event";
  if (owner instanceof Condition) return "condition";
  if (owner instanceof Queue) return "queue";
  if (owner instanceof TaskGroup) return "taskgroup";
  // Another copy of the library (core/runtime.ts): its classes are not ours.
  return (
    BY_CLASS_NAME[(owner.constructor as { name?: string } | undefined)?.name ?? ""] ?? "future"
  );
}

const BY_CLASS_NAME: Record<string, WaitKind> = {
  Lock: "lock",
  Semaphore: "semaphore",
  BoundedSemaphore: "semaphore",
  Event: "event",
  Condition: "condition",
  Queue: "queue",
  LifoQueue: "queue",
  PriorityQueue: "queue",
  TaskGroup: "taskgroup",
};

/** A Task of any copy of the library. */
function isTask(x: unknown): x is Task<unknown> {
  return _isFuture(x) && typeof (x as { getCoro?: unknown }).getCoro === "function";
}

function ownerLabel(kind: WaitKind, owner: object | string): string {
  if (typeof owner === "string") return kind;
  if (owner instanceof TaskGroup) return "TaskGroup exit";
  try {
    return String(owner);
  } catch {
    return kind;
  }
}

/** @internal What `w` (a Task's `_futWaiter`, or what woke it) stands for. */
export function _waitTarget(w: unknown): WaitTarget | null {
  if (w === null || w === undefined) return null;
  if (typeof w === "number") {
    return { kind: "sleep", future: null, owner: null, delay: w, label: `sleep(${w})` };
  }
  if (_isSleep(w)) {
    const d = (w as Sleep<unknown>)._delay;
    return { kind: "sleep", future: null, owner: null, delay: d, label: `sleep(${d})` };
  }
  if (!_isFuture(w)) return null;
  if (isTask(w)) {
    return { kind: "task", future: w, owner: null, delay: null, label: `Task '${w.getName()}'` };
  }
  if (w instanceof GatheringFuture || Array.isArray((w as { _children?: unknown })._children)) {
    const n = (w as GatheringFuture<unknown>)._children.length;
    return {
      kind: "gather",
      future: w as Future<unknown>,
      owner: null,
      delay: null,
      label: `gather(${n})`,
    };
  }
  const owner = waitOwners.get(w);
  if (owner === undefined) {
    return {
      kind: "future",
      future: w as Future<unknown>,
      owner: null,
      delay: null,
      label: "Future",
    };
  }
  const kind = ownerKind(owner);
  return {
    kind,
    future: w as Future<unknown>,
    owner: typeof owner === "string" ? null : owner,
    delay: null,
    label: ownerLabel(kind, owner),
  };
}

function outcomeOf(task: Task<unknown>): TaskOutcome {
  if (task._state === CANCELLED) return { state: "cancelled", error: task._cancelledExc };
  const error = task._exception;
  if (error !== undefined && error !== null) return { state: "error", error };
  return { state: "result", result: task._result };
}

// ---------------------------------------------------------------- the dispatcher

/** The loop's running totals, from which each `loopStats` window is a difference. */
interface Totals {
  iterations: number;
  callbacks: number;
  ticks: number;
  busy: number;
  ioWait: number;
  tasksCreated: number;
}

/** Where an instrument with `loopStats` stands in its current window. */
interface StatsWindow {
  readonly interval: number;
  /** Loop time at the window's start. */
  since: number;
  /** The totals at the window's start. */
  readonly base: Totals;
  longestTick: number;
}

interface Entry {
  readonly instrument: Instrument;
  readonly rate: number;
  readonly select: ((task: Task<unknown>, parent: Task<unknown> | null) => boolean) | null;
  /** Tasks this sampled instrument hears about; null when it hears about all. */
  readonly sampled: WeakSet<Task<unknown>> | null;
  /** Tasks `select` refused; null: none yet (or the instrument samples: see `sampled`). */
  declined: WeakSet<Task<unknown>> | null;
  /** Sampling accumulators (tasks, iterations, host waits): taken each time one reaches 1. */
  acc: number;
  iterationAcc: number;
  waitAcc: number;
  /**
   * The number (`Totals.iterations`) of the next iteration reported to this instrument:
   * Infinity when it has no iteration hook. Worked out ahead (see `advanceIterations`), so
   * that the iterations in between cost a comparison with the dispatcher's minimum.
   */
  nextIteration: number;
  /** The iteration in progress is reported to this instrument. */
  inIteration: boolean;
  /** Its `loopStats` window; null when it has no `loopStats`. */
  readonly window: StatsWindow | null;
}

/**
 * A sampling accumulator gains `rate` per candidate and takes the candidate on reaching 1;
 * the slack keeps rounding from skipping one (0.01 added a hundred times is not quite 1).
 */
const TAKE = 1 - 1e-9;

/**
 * Moves `e` on to the next iteration it samples after iteration `i`: as many candidates
 * as its accumulator takes to reach 1 again (the accumulator of tasks, in one step).
 */
function advanceIterations(e: Entry, i: number): void {
  const k = Math.max(1, Math.ceil((TAKE - e.iterationAcc) / e.rate));
  e.iterationAcc += k * e.rate - 1;
  e.nextIteration = i + k;
}

/**
 * The loop's observer: fans each core event out to the installed instruments.
 *
 * Every event first checks flags computed when the instruments change, so that nothing is
 * measured, allocated or looked up for a hook no instrument has, nor for a task no
 * instrument samples (the core does not even call for those: OBSERVED_FLAG). Reading the
 * clock is the dominant cost on machines where `performance.now()` is a system call
 * (virtual machines), so it is read only for timed events that are reported — a sampled
 * task's step, a sampled iteration — and twice per tick (a burst of work between two waits
 * in the host) when `ioWaited` or `loopStats` is implemented; iterations are counted, not
 * timed, for `loopStats`.
 */
class Dispatcher implements LoopObserver {
  private list: Entry[] = [];
  /** Start times of the timed steps in progress (an eager task's step nests in its creator's). */
  private readonly starts: number[] = [];
  private readonly stepping: Task<unknown>[] = [];
  private iterationStart = -1;
  /** The smallest `nextIteration` of the entries: iterations before it are only counted. */
  private nextIteration = Number.POSITIVE_INFINITY;
  private tickStart = -1;
  private lastTickEnd = -1;
  private readonly totals: Totals = {
    iterations: 0,
    callbacks: 0,
    ticks: 0,
    busy: 0,
    ioWait: 0,
    tasksCreated: 0,
  };
  /** The instrument addInstrument() is announcing the pending tasks to, and its failure. */
  announcing: Entry | null = null;
  announceError: { error: unknown } | undefined = undefined;
  // What the installed instruments listen to (see `entries`).
  private anyUnsampled = false;
  private wantScheduled = false;
  private wantStepStarted = false;
  private wantStepEnded = false;
  private wantDone = false;
  private wantCancelled = false;
  private wantIO = false;
  private wantStats = false;

  constructor(readonly loop: BaseEventLoop) {}

  get entries(): Entry[] {
    return this.list;
  }

  /** Replaced, never mutated: a dispatch in progress keeps the array it started with. */
  set entries(list: Entry[]) {
    this.list = list;
    const has = (h: (typeof HOOKS)[number]) => list.some((e) => e.instrument[h] !== undefined);
    this.anyUnsampled = list.some((e) => e.sampled === null && e.declined === null);
    this.wantScheduled = has("taskScheduled");
    // Only then does a queued runnable (once per step) reach the dispatcher at all.
    this.loop._queueObserver = this.wantScheduled ? this : null;
    this.wantStepStarted = has("stepStarted");
    this.wantStepEnded = has("stepEnded");
    this.wantDone = has("taskDone");
    this.wantCancelled = has("taskCancelled");
    this.wantIO = has("ioWaited");
    this.wantStats = has("loopStats");
    this.nextIteration = list.reduce((m, e) => Math.min(m, e.nextIteration), Infinity);
    if (!(this.wantIO || this.wantStats)) {
      this.lastTickEnd = -1;
      this.tickStart = -1;
    } else if (this.tickStart < 0 && this.loop.isRunning()) {
      // Installed from inside the loop, that is during a tick: time the rest of it.
      this.tickStart = performance.now();
    }
  }

  private hears(e: Entry, task: Task<unknown>): boolean {
    return e.sampled === null ? e.declined === null || !e.declined.has(task) : e.sampled.has(task);
  }

  /** Whether any instrument hears about `task` (all do, unless every one samples). */
  private heard(task: Task<unknown>): boolean {
    if (this.anyUnsampled) return true;
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      if (this.hears(list[i] as Entry, task)) return true;
    }
    return false;
  }

  /** Calls one hook and returns what it returned; one that throws is removed and reported. */
  private call(e: Entry, hook: (typeof HOOKS)[number], args: unknown[]): unknown {
    const fn = e.instrument[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (fn === undefined) return undefined;
    try {
      return fn.apply(e.instrument, args);
    } catch (error) {
      if (this.announcing === e) {
        // addInstrument() throws it to its caller.
        this.announceError ??= { error };
        return undefined;
      }
      remove(this.loop, e.instrument, true);
      this.loop.callExceptionHandler({
        message: `Instrument ${describe(e.instrument)} raised in ${hook}(); it was removed`,
        exception: error,
      });
      return undefined;
    }
  }

  private forTask(task: Task<unknown>, hook: (typeof HOOKS)[number], args: unknown[]): void {
    const entries = this.list;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.instrument[hook] !== undefined && this.hears(e, task)) this.call(e, hook, args);
    }
  }

  /**
   * Decides once, at its creation, whether `e` hears about `task` — its `select`, then its
   * sample rate among the selected tasks — and tells its `taskCreated` if so. Marks a task heard (OBSERVED_FLAG)
   * so that its steps reach the dispatcher; a task no instrument hears costs nothing more.
   */
  _decide(e: Entry, task: Task<unknown>, parent: Task<unknown> | null): void {
    if (this.announceError !== undefined && this.announcing === e) return;
    if (e.select !== null && !this.selects(e, task, parent)) {
      if (e.sampled === null) {
        if (e.declined === null) {
          e.declined = new WeakSet();
          this.entries = this.list; // recomputes anyUnsampled
        }
        e.declined.add(task);
      }
      return; // a refused task does not use up a sample
    }
    if (e.sampled !== null) {
      e.acc += e.rate;
      if (e.acc < TAKE) return;
      e.acc -= 1;
      e.sampled.add(task);
    }
    task._observed = true;
    if (e.instrument.taskCreated !== undefined) this.call(e, "taskCreated", [task, parent]);
  }

  /** `e.select(task, parent)`; one that throws is reported and refuses the task. */
  private selects(e: Entry, task: Task<unknown>, parent: Task<unknown> | null): boolean {
    try {
      return (e.select as NonNullable<Entry["select"]>)(task, parent) === true;
    } catch (error) {
      this.loop.callExceptionHandler({
        message: `The 'select' of instrument ${describe(e.instrument)} raised for ${describe(task)}`,
        exception: error,
      });
      return false;
    }
  }

  _taskCreated(task: Task<unknown>, parent: Task<unknown> | null): void {
    this.totals.tasksCreated++;
    const entries = this.list;
    for (let i = 0; i < entries.length; i++) this._decide(entries[i] as Entry, task, parent);
  }

  _queued(r: Runnable, _arg: unknown, by: Task<unknown> | null): void {
    // Called only when some instrument has taskScheduled (see `entries`). A Handle has no
    // flags (undefined & OBSERVED is 0); a Future's never have a Task's bits.
    if (((r as Task<unknown>)._flags & OBSERVED) === 0) return;
    if (!isTask(r) || r._state !== PENDING || !this.heard(r)) return;
    this.forTask(r, "taskScheduled", [r, by]);
  }

  _stepStarted(task: Task<unknown>, wokenBy: unknown): void {
    if (!(this.wantStepStarted || this.wantStepEnded) || !this.heard(task)) return;
    if (this.wantStepEnded) {
      this.stepping.push(task);
      this.starts.push(performance.now());
    }
    if (this.wantStepStarted) this.forTask(task, "stepStarted", [task, _waitTarget(wokenBy)]);
  }

  _stepEnded(task: Task<unknown>): void {
    const pending = task._state === PENDING;
    if (!(this.wantStepEnded || (!pending && this.wantDone)) || !this.heard(task)) return;
    if (this.wantStepEnded) {
      let duration = 0;
      if (this.stepping[this.stepping.length - 1] === task) {
        this.stepping.pop();
        duration = (performance.now() - (this.starts.pop() as number)) / 1000;
      }
      this.forTask(task, "stepEnded", [
        task,
        duration,
        pending ? _waitTarget(task._futWaiter) : null,
      ]);
    }
    if (!pending && this.wantDone) this.forTask(task, "taskDone", [task, outcomeOf(task)]);
  }

  _cancelRequested(task: Task<unknown>, msg: string | undefined, by: Task<unknown> | null): void {
    if (this.wantCancelled && task._observed) this.forTask(task, "taskCancelled", [task, by, msg]);
  }

  _iterationStarted(loop: BaseEventLoop, n: number): void {
    // Counted for loopStats; reported only when some instrument samples this one.
    const totals = this.totals;
    const i = ++totals.iterations;
    totals.callbacks += n;
    if (i >= this.nextIteration) this.iterationSampled(loop, n, i);
  }

  /** Iteration `i` is one that some instrument samples: tell those that do. */
  private iterationSampled(loop: BaseEventLoop, n: number, i: number): void {
    const entries = this.list;
    let any = false;
    let next = Number.POSITIVE_INFINITY;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k] as Entry;
      if (e.nextIteration <= i) {
        advanceIterations(e, i);
        e.inIteration = true;
        any = true;
      }
      if (e.nextIteration < next) next = e.nextIteration;
    }
    this.nextIteration = next;
    if (!any) return;
    this.iterationStart = performance.now();
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k] as Entry;
      if (e.inIteration && e.instrument.iterationStarted !== undefined) {
        this.call(e, "iterationStarted", [loop, n]);
      }
    }
  }

  _iterationEnded(loop: BaseEventLoop, n: number): void {
    if (this.iterationStart < 0) return;
    const duration = (performance.now() - this.iterationStart) / 1000;
    this.iterationStart = -1;
    const entries = this.list;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (!e.inIteration) continue;
      e.inIteration = false;
      if (e.instrument.iterationEnded !== undefined)
        this.call(e, "iterationEnded", [loop, n, duration]);
    }
  }

  _tickStarted(loop: BaseEventLoop): void {
    if (!(this.wantIO || this.wantStats)) return;
    const now = performance.now();
    this.tickStart = now;
    if (this.lastTickEnd < 0) return;
    const waited = (now - this.lastTickEnd) / 1000;
    this.totals.ioWait += waited;
    if (!this.wantIO) return;
    const entries = this.list;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.instrument.ioWaited === undefined) continue;
      if (e.sampled !== null) {
        e.waitAcc += e.rate;
        if (e.waitAcc < TAKE) continue;
        e.waitAcc -= 1;
      }
      this.call(e, "ioWaited", [loop, waited]);
    }
  }

  _tickEnded(loop: BaseEventLoop, stopping: boolean): void {
    if (!(this.wantIO || this.wantStats)) return;
    const now = performance.now();
    // The gap between two runs of the loop is not a wait for I/O.
    this.lastTickEnd = stopping ? -1 : now;
    if (this.tickStart < 0) return; // installed during this tick
    const busy = (now - this.tickStart) / 1000;
    this.tickStart = -1;
    const totals = this.totals;
    totals.ticks++;
    totals.busy += busy;
    if (!this.wantStats) return;
    const t = loop.time();
    const entries = this.list;
    for (let i = 0; i < entries.length; i++) {
      const w = (entries[i] as Entry).window;
      if (w === null) continue;
      if (busy > w.longestTick) w.longestTick = busy;
      if (stopping || t - w.since >= w.interval) this.report(entries[i] as Entry, t);
    }
  }

  /** Sends `e` the totals of its window, if anything ran in it, and starts the next one. */
  report(e: Entry, now: number): void {
    const w = e.window as StatsWindow;
    const totals = this.totals;
    const base = w.base;
    if (totals.iterations === base.iterations && totals.ticks === base.ticks) return;
    const stats: LoopStats = {
      duration: Math.max(0, now - w.since),
      iterations: totals.iterations - base.iterations,
      callbacks: totals.callbacks - base.callbacks,
      ticks: totals.ticks - base.ticks,
      busy: totals.busy - base.busy,
      ioWait: totals.ioWait - base.ioWait,
      longestTick: w.longestTick,
      tasksCreated: totals.tasksCreated - base.tasksCreated,
      tasksPending: this.loop._tasks.size,
    };
    w.since = now;
    Object.assign(w.base, totals);
    w.longestTick = 0;
    this.call(e, "loopStats", [this.loop, stats]);
  }

  /** Iterations counted so far. */
  get iterations(): number {
    return this.totals.iterations;
  }

  /** A fresh window, starting now, for an instrument with `loopStats`. */
  window(interval: number): StatsWindow {
    return { interval, since: this.loop.time(), base: { ...this.totals }, longestTick: 0 };
  }
}

function remove(loop: BaseEventLoop, instrument: Instrument, failed = false): boolean {
  const d = loop._observer as Dispatcher | null;
  if (d === null) return false;
  const i = d.entries.findIndex((e) => e.instrument === instrument);
  if (i < 0) return false;
  const e = d.entries[i] as Entry;
  // A fresh array: a dispatch in progress keeps iterating the one it started with.
  d.entries = d.entries.filter((_, k) => k !== i);
  if (d.entries.length === 0) {
    loop._observer = null;
    // Back to the uninstrumented cost: no pending task's step tests the loop any more.
    for (const task of loop._tasks) task._observed = false;
  }
  // Its last, partial window (an instrument removed by its own failure is told nothing).
  if (e.window !== null && !failed) d.report(e, loop.time());
  return true;
}

function loopOf(fn: string, loopArg: unknown): BaseEventLoop {
  if (loopArg === undefined || loopArg === null) {
    const running = _getRunningLoop();
    if (running === null) {
      throw new RuntimeError(`${fn}: no running event loop and no 'loop' was given`);
    }
    return running;
  }
  if (
    typeof loopArg !== "object" ||
    typeof (loopArg as { callSoon?: unknown }).callSoon !== "function" ||
    !("_observer" in loopArg)
  ) {
    throw new TypeError(
      `${fn}: 'loop' must be an asyncio event loop: received ${describe(loopArg)}`,
    );
  }
  return loopArg as BaseEventLoop;
}

/**
 * Installs `instrument` on a loop (the running one by default). Tasks already pending are
 * announced to its `taskCreated` at once (with a null parent), so an instrument installed
 * from inside `main()` still sees every task; the step in progress when it is installed is
 * not reported. Installing the same instrument twice on one loop does nothing.
 *
 * Errors: `RuntimeError` when no loop is given and none is running; `TypeError` when
 * `instrument` is not an object whose hooks are functions, or `loop` is not a loop;
 * `RangeError` when `sample` is not in (0, 1].
 *
 * @example
 * ```ts
 * const counts = new Map<string, number>();
 * asyncio.addInstrument({
 *   stepStarted(task) {
 *     counts.set(task.getName(), (counts.get(task.getName()) ?? 0) + 1);
 *   },
 * });
 * ```
 */
export function addInstrument(instrument: Instrument, options: InstrumentOptions = {}): void {
  const fn = "addInstrument()";
  if (typeof instrument !== "object" || instrument === null) {
    throw new TypeError(
      `${fn}: 'instrument' must be an object with hook methods: received ${describe(instrument)}`,
    );
  }
  let hooks = 0;
  for (const hook of HOOKS) {
    const h: unknown = (instrument as Record<string, unknown>)[hook];
    if (h === undefined) continue;
    if (typeof h !== "function") {
      throw new TypeError(
        `${fn}: 'instrument.${hook}' must be a function: received ${describe(h)}`,
      );
    }
    hooks++;
  }
  if (hooks === 0) {
    throw new TypeError(
      `${fn}: 'instrument' has none of the hooks (${HOOKS.join(", ")}): received ${describe(instrument)}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${fn}: 'options' must be an object: received ${describe(options)}`);
  }
  const rate = options.sample ?? 1;
  if (typeof rate !== "number" || !(rate > 0 && rate <= 1)) {
    throw new RangeError(`${fn}: 'sample' must be a number in (0, 1]: received ${describe(rate)}`);
  }
  const interval = options.statsInterval ?? 1;
  if (typeof interval !== "number" || !(interval >= 0 && interval < Number.POSITIVE_INFINITY)) {
    throw new RangeError(
      `${fn}: 'statsInterval' must be a finite number of seconds >= 0: received ${describe(interval)}`,
    );
  }
  const select = options.select ?? null;
  if (select !== null && typeof select !== "function") {
    throw new TypeError(
      `${fn}: 'select' must be a function (task, parent) => boolean: received ${describe(select)}`,
    );
  }
  const loop = loopOf(fn, options.loop);
  let d = loop._observer as Dispatcher | null;
  if (d === null) d = new Dispatcher(loop);
  if (d.entries.some((e) => e.instrument === instrument)) return;
  const entry: Entry = {
    instrument,
    rate,
    select,
    sampled: rate < 1 ? new WeakSet() : null,
    declined: null,
    // Start just below 1 so the first task (iteration, wait) is sampled.
    acc: 1 - rate,
    iterationAcc: 1 - rate,
    waitAcc: 1 - rate,
    inIteration: false,
    nextIteration: Number.POSITIVE_INFINITY,
    window: instrument.loopStats === undefined ? null : d.window(interval),
  };
  if (instrument.iterationStarted !== undefined || instrument.iterationEnded !== undefined) {
    advanceIterations(entry, d.iterations);
  }
  d.entries = [...d.entries, entry];
  loop._observer = d;
  // The tasks already pending, as if created now (from a callback: no parent).
  d.announcing = entry;
  try {
    for (const task of loop._tasks) d._decide(entry, task, null);
  } finally {
    d.announcing = null;
  }
  if (d.announceError !== undefined) {
    const { error } = d.announceError;
    d.announceError = undefined;
    remove(loop, instrument, true);
    throw error;
  }
}

/**
 * Removes an instrument installed with {@link addInstrument}; returns whether it was
 * installed on that loop. Once the last one is removed the loop is back to its
 * uninstrumented cost.
 *
 * Errors: as {@link addInstrument} for `loop`.
 *
 * @example
 * ```ts
 * const names: string[] = [];
 * const tracer: asyncio.Instrument = {
 *   taskCreated(task) {
 *     names.push(task.getName());
 *   },
 * };
 * asyncio.addInstrument(tracer);
 * try {
 *   yield* asyncio.createTask(work(), { name: "traced" });
 * } finally {
 *   asyncio.removeInstrument(tracer);
 * }
 * asyncio.createTask(work(), { name: "not traced" });
 * console.log(names); // ["traced"]
 * ```
 */
export function removeInstrument(
  instrument: Instrument,
  options: Pick<InstrumentOptions, "loop"> = {},
): boolean {
  return remove(loopOf("removeInstrument()", options.loop), instrument);
}

/**
 * The instruments installed on a loop (the running one by default), in installation order.
 *
 * @example
 * ```ts
 * console.log(asyncio.getInstruments().length); // 0
 * ```
 */
export function getInstruments(options: Pick<InstrumentOptions, "loop"> = {}): Instrument[] {
  const d = loopOf("getInstruments()", options.loop)._observer as Dispatcher | null;
  return d === null ? [] : d.entries.map((e) => e.instrument);
}
