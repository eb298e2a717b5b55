/**
 * Task: drives a coroutine on the loop, as asyncio's `Task.__step`.
 *
 * Invariants (asyncio's):
 * - a pending Task either waits on exactly one Future (`_futWaiter`) or has its step on the
 *   ready queue, never both;
 * - cancellation is delivered with `throw(new CancelledError())` into the innermost
 *   suspended frame, never with `return()`, so every `finally` runs and may itself await;
 * - the loop holds pending Tasks strongly (asyncio holds them weakly, a famous footgun), so
 *   a task nobody references still runs to completion.
 *
 * The frame stack: a plain `function*` coroutine awaits another with native `yield*`, and
 * V8 resumes the whole delegation chain on every step (cost grows with depth). A generator
 * function marked with {@link coroutine} instead hands its generator object to the Task,
 * which keeps an explicit stack of frames: resumes are O(1) at any depth, and the Task can
 * name every frame (`getStack()`).
 *
 * @module
 */

import type { BaseEventLoop } from "./base_events.js";
import {
  _currentVars,
  _enterContext,
  Context,
  type ContextHolder,
  type Vars,
} from "./contextvars.js";
import {
  _frameLine,
  _locateCoroutine,
  COROUTINE_FUNCTION,
  type Coroutine,
  coroutineName,
  describe,
  iscoroutine,
  isGeneratorFunction,
  type Suspend,
} from "./coroutines.js";
import { _getRunningLoop, getRunningLoop } from "./events.js";
import { CancelledError, isCancelledError, RuntimeError } from "./exceptions.js";
import { Future, PENDING } from "./futures.js";
import type { LoopObserver } from "./observer.js";
import type { Runnable } from "./readyqueue.js";
import { _foreignCopy, _isFuture, _isSleep, runtime } from "./runtime.js";
import { _cancelledSleep, type Sleep } from "./sleep.js";
import {
  _awaitFrame,
  _endStep,
  _handOffKind,
  _resumeWith,
  _takeHandOff,
  FUTURE_DONE,
  PUSH,
  RESCHEDULE,
  RESCHEDULED,
  RETURNED,
  SLEEP,
  SLEEP_DETACHABLE,
  SLEEP_DONE,
  WOKEN,
} from "./suspend.js";

// ---------------------------------------------------------------- frame pushing

function pushFrame(this: Coroutine): Iterator<Suspend, unknown, unknown> {
  neverAwaited.unregister(this);
  return _awaitFrame(this);
}

interface NeverAwaited {
  name: string;
  loop: BaseEventLoop | null;
}

const neverAwaited = new FinalizationRegistry<NeverAwaited>((held) => {
  const message = `coroutine '${held.name}' was never awaited`;
  if (held.loop !== null) held.loop.callExceptionHandler({ message });
  else console.error(`RuntimeWarning: ${message}`);
});

/**
 * Marks a coroutine function so that awaiting it is trampolined by the Task: each resume
 * costs the same at any await depth, the Task can list the whole await chain
 * (`task.getStack()`), errors crossing it get a line per frame, and a coroutine object that
 * is garbage-collected without ever being awaited is reported
 * ("coroutine 'f' was never awaited"). Returns a function of the same type: calling it
 * still makes a plain, lazy generator object.
 *
 * Unmarked `function*` coroutines work everywhere too; marking is for deep call chains and
 * for diagnostics.
 *
 * @example
 * ```ts
 * const fetchUser = asyncio.coroutine(function* fetchUser(id: number) {
 *   yield* asyncio.sleep(0.1);
 *   return { id, name: `user${id}` };
 * });
 * ```
 */
export function coroutine<F extends (...args: never[]) => Generator<Suspend, unknown, unknown>>(
  fn: F,
): F {
  if (!isGeneratorFunction(fn)) {
    throw new TypeError(
      `coroutine(): 'fn' must be a generator function (function*): received ${describe(fn)}`,
    );
  }
  const proto = fn.prototype as Record<PropertyKey, unknown>;
  Object.defineProperty(proto, Symbol.iterator, { value: pushFrame, configurable: true });
  Object.defineProperty(proto, COROUTINE_FUNCTION, { value: fn, configurable: true });
  const name = fn.name || "<anonymous>";
  const marked = function (this: unknown, ...args: never[]) {
    const gen = fn.apply(this, args);
    // Report through the loop the coroutine was made on, when there is one.
    neverAwaited.register(gen, { name, loop: _getRunningLoop() }, gen);
    return gen;
  };
  Object.defineProperty(marked, "name", { value: name });
  Object.defineProperty(marked, "length", { value: fn.length });
  marked.prototype = proto;
  return marked as unknown as F;
}

/** @internal A Task took this coroutine: it counts as awaited. */
export function _markAwaited(gen: object): void {
  // Only marked coroutines are registered; the `in` test is far cheaper than unregister.
  if (COROUTINE_FUNCTION in gen) neverAwaited.unregister(gen);
}

// ---------------------------------------------------------------- Task

/**
 * Options of `createTask()` and the {@link Task} constructor.
 *
 * @example
 * ```ts
 * const task = asyncio.createTask(worker(), { name: "worker-1", eagerStart: true });
 * ```
 */
export interface TaskOptions {
  /** The task's name; `Task-N` by default. */
  name?: string;
  /** The context the coroutine runs in; a copy of the current one by default. */
  context?: Context;
  /**
   * Run the first step at once, inside `createTask()`, when the loop is running (3.14's
   * `eager_start`). A task that finishes in that step comes back done.
   */
  eagerStart?: boolean;
}

/**
 * Options of the {@link Task} constructor.
 *
 * @example
 * ```ts
 * const task = new asyncio.Task(worker(), { name: "worker", loop: asyncio.getRunningLoop() });
 * ```
 */
export interface TaskConstructorOptions extends TaskOptions {
  /** The loop; the running loop by default. */
  loop?: BaseEventLoop;
}

const SEND = 0;
const THROW = 1;

// Task bits of `_flags` (Future uses bits 0–4).
/**
 * The task is its own timer-heap entry, asleep in `yield* sleep(d)`: its entry is live.
 * A sleeping task is run by nothing but that timer, so a step that finds this set is the
 * timer firing.
 */
const SLEEPING = 1 << 5;
/** Its own timer fired: the next step completes the sleep's `yield*`. */
const WOKEN_FLAG = 1 << 6;
/** The task has an entry in the timer heap (TimerEntry._scheduled) … */
const IN_HEAP = 1 << 7;
const LISTED = 1 << 8;
const MUST_CANCEL = 1 << 9;
const RESCHEDULED_FLAG = 1 << 10;
/**
 * … which the heap is to drop (TimerEntry._cancelled): its sleep was cancelled. Out of the
 * heap, the same mark says the timer was due and its step already queued when the sleep
 * was cancelled: that step is to do nothing.
 */
const STALE = 1 << 11;
/**
 * @internal An instrument hears about this task (decided once, at its creation, by the
 * loop's observer: core/observer.ts; cleared when the last instrument is removed). A step
 * of a task without it reads no observer, so an uninstrumented loop and a sampling
 * instrument cost such a step one bit test of the flags it reads anyway.
 */
export const OBSERVED_FLAG = 1 << 12;
/** OBSERVED_FLAG for this module's hot paths: an exported binding is read through a cell. */
const OBSERVED = 1 << 12;
/**
 * Packed (docs/design.md, "Keeping a Task small"): the cancel-request count lives in
 * `_flags` from this bit up, 17 bits, so the word stays a Smi. Counts below CANCELS_MAX
 * are there alone and the side object's `cancelsOver` is 0; from CANCELS_MAX on, the
 * flags hold CANCELS_MAX and `cancelsOver` the rest. Only `_numCancelsRequested` reads or
 * writes either.
 */
const CANCELS_SHIFT = 13;
const LOW_FLAGS = (1 << CANCELS_SHIFT) - 1;
const CANCELS_MAX = (1 << 17) - 1;

const NO_OPTIONS: TaskConstructorOptions = Object.freeze({});
/** Reused to pass the loop to Future's constructor without allocating per task. */
const FUTURE_INIT: { loop?: BaseEventLoop } = {};
/** Set by `_newTask` for the constructor: the loop, without an options object per task. */
let loopForNextTask: BaseEventLoop | null = null;

/**
 * @internal `new Task(coro, options)` on `loop`, without allocating an options object
 * that carries the loop (loop.createTask's hot path).
 */
export function _newTask<T>(
  loop: BaseEventLoop,
  coro: Coroutine<T>,
  options?: TaskOptions,
): Task<T> {
  loopForNextTask = loop;
  try {
    return new Task(coro, options);
  } finally {
    loopForNextTask = null;
  }
}

const STACK_OVERFLOW = "Maximum call stack size exceeded";
/**
 * V8's frame for a generator resumed by the `yield*` of another, as a stack shows it:
 * `at Generator.next (<anonymous>)` on Node, `at next (<anonymous>)` in Chromium.
 */
const GENERATOR_RESUME = /[. ](?:next|throw|return) \(<anonymous>\)/g;

/**
 * V8's stack overflow, when it came from a chain of plain `function*` coroutines too deep
 * for V8 (each `yield*` level adds native frames to every resume), as a RangeError that
 * says what to do, with the original as `cause`. Only the catch path pays for this.
 */
function explainDeepChain(e: RangeError): RangeError {
  if (e.message !== STACK_OVERFLOW || (e.stack?.match(GENERATOR_RESUME)?.length ?? 0) < 2) {
    return e;
  }
  const explained = new RangeError(
    `${STACK_OVERFLOW}: this await chain of plain function* coroutines is too deep for V8's stack (about 4,000 levels); mark the recursive coroutine function with asyncio.coroutine() (handles 100,000 levels)`,
    { cause: e },
  );
  // The coroutines' frames, where the overflow happened, rather than the scheduler's.
  const stack = e.stack as string;
  explained.stack = `RangeError: ${explained.message}${stack.slice(stack.indexOf("\n"))}`;
  return explained;
}

/** What V8 says when `yield*` (or `for…of`) is given something that is not iterable. */
const NOT_ITERABLE = / is not iterable/;
const FROM_PROMISE_HINT =
  " (in a coroutine, 'yield*' awaits asyncio-ts awaitables; if this is a Promise, await it with 'yield* asyncio.fromPromise(promise)')";

/**
 * A coroutine threw V8's "… is not iterable": most often `yield* promise`, where V8 names
 * neither the Promise nor the cure. The message gains the hint, once (the error may cross
 * several frames). Error path only: it runs in `_drive`'s catch.
 */
function explainNotIterable(e: TypeError): TypeError {
  const old = e.message;
  if (!NOT_ITERABLE.test(old) || old.endsWith(FROM_PROMISE_HINT)) return e;
  try {
    // V8 formats `stack` on first read, from the message of that moment: read it first.
    const stack = e.stack;
    e.message = old + FROM_PROMISE_HINT;
    if (typeof stack === "string") e.stack = stack.replace(old, e.message);
  } catch {
    // a frozen error: it keeps V8's message
  }
  return e;
}

/**
 * Makes an error about what a coroutine just yielded point at the coroutine's own `yield`
 * rather than at the scheduler: its stack becomes the frame where the generator is
 * suspended, when the runtime can locate it (debug/locate.ts on Node). Error path only.
 */
function pointAtYield(e: Error, gen: object): Error {
  const at = _locateCoroutine(gen);
  if (at !== null) {
    try {
      e.stack = `${e.name}: ${e.message}\n${_frameLine(at)}`;
    } catch {
      // a frozen error keeps the scheduler's stack
    }
  }
  return e;
}

/** Appends a frame line to an error's stack as it crosses a trampolined frame. */
function annotate(e: unknown, frame: Coroutine): void {
  if (e instanceof Error && typeof e.stack === "string") {
    try {
      e.stack += `\n    at yield* ${coroutineName(frame)} (asyncio-ts frame)`;
    } catch {
      // a frozen error or a read-only stack: the original stack is still there
    }
  }
}

/**
 * A Future that runs a coroutine: asyncio's `Task`. Create one with `createTask()`.
 *
 * `cancel()` throws `CancelledError` into the coroutine at its suspended `yield*`; the
 * coroutine may clean up (even awaiting in `finally`) and should let the error propagate.
 * The task's {@link signal} aborts when it is cancelled, so signal-aware APIs stop too.
 *
 * @example
 * ```ts
 * function* main() {
 *   const task = asyncio.createTask(asyncio.sleep(1, "ok"), { name: "sleeper" });
 *   console.log(task.getName(), task.done()); // "sleeper" false
 *   console.log(yield* task);                 // "ok"
 * }
 * ```
 */
export class Task<T> extends Future<T> implements Runnable, ContextHolder {
  /**
   * @internal The innermost frame: the generator the next step resumes. Once the task is
   * done it is the outermost (every frame above it has returned or thrown), so it also
   * keeps the coroutine for `getCoro()` and the repr, without a field of its own.
   */
  _top: Coroutine;
  /**
   * @internal The frames below `_top`, outermost first; null while there is one frame.
   * Kept in the side object: only tasks running coroutine()-marked calls have any.
   */
  get _frames(): Coroutine[] | null {
    return this._extra === null ? null : (this._extra.frames as Coroutine[] | null);
  }
  /** @internal */
  set _frames(frames: Coroutine[] | null) {
    if (frames !== null || this._extra !== null) this._getExtra().frames = frames;
  }
  /** @internal The coroutine the task was created with: the outermost frame. */
  get _coro(): Coroutine<T> {
    const frames = this._frames;
    return (frames !== null && frames.length > 0 ? frames[0] : this._top) as Coroutine<T>;
  }
  /**
   * @internal The name, or the task's number until a name is asked for (most never are).
   * In `_slot`, or in the side object once there is one (see Future._slot).
   */
  get _name(): string | number {
    const slot = this._slot;
    return (typeof slot === "object" && slot !== null ? slot.name : slot) as string | number;
  }
  /** @internal */
  set _name(name: string | number) {
    const slot = this._slot;
    if (typeof slot === "object" && slot !== null) slot.name = name;
    else this._slot = name;
  }
  /**
   * @internal The context: the Context object once there is one (given by the creator,
   * or made by getContext()), until then only the mapping copied at creation. While the
   * task runs, the Task itself is the current context holder (see ContextHolder).
   */
  _context: Context | Vars;
  /** @internal links in the loop's list of pending tasks */
  _prevTask: Task<unknown> | null = null;
  /** @internal */
  _nextTask: Task<unknown> | null = null;

  /**
   * @internal What the task waits on: a Future, a Sleep, or — when the task is its own
   * timer (SLEEPING) — the sleep's delay, kept for reprs; null once done (in `_value`).
   */
  get _futWaiter(): Future<unknown> | Sleep<unknown> | number | null {
    return this._state === PENDING
      ? ((this._value ?? null) as Future<unknown> | Sleep<unknown> | number | null)
      : null;
  }
  /** @internal */
  set _futWaiter(w: Future<unknown> | Sleep<unknown> | number | null) {
    this._value = w;
  }

  /** @internal TimerEntry: the task has an entry in the timer heap */
  get _scheduled(): boolean {
    return (this._flags & IN_HEAP) !== 0;
  }
  /** @internal */
  set _scheduled(on: boolean) {
    // Out of the heap, no entry is stale any more.
    this._flags = on ? this._flags | IN_HEAP : this._flags & ~(IN_HEAP | STALE);
  }

  /** @internal TimerEntry: the heap may drop the task's entry (its sleep was cancelled) */
  get _cancelled(): boolean {
    return (this._flags & STALE) !== 0;
  }
  /** @internal */
  set _cancelled(on: boolean) {
    this._flags = on ? this._flags | STALE : this._flags & ~STALE;
  }

  /** @internal cancel() calls minus uncancel() calls (see CANCELS_SHIFT). */
  get _numCancelsRequested(): number {
    const n = this._flags >>> CANCELS_SHIFT;
    return n < CANCELS_MAX ? n : CANCELS_MAX + (this._extra as { cancelsOver: number }).cancelsOver;
  }
  /** @internal */
  set _numCancelsRequested(n: number) {
    const low = this._flags & LOW_FLAGS;
    if (n < CANCELS_MAX) {
      this._flags = low | (n << CANCELS_SHIFT);
      if (this._extra !== null) this._extra.cancelsOver = 0;
    } else {
      this._flags = low | (CANCELS_MAX << CANCELS_SHIFT);
      this._getExtra().cancelsOver = n - CANCELS_MAX;
    }
  }
  /** @internal in the loop's list of pending tasks */
  get _listed(): boolean {
    return (this._flags & LISTED) !== 0;
  }
  /** @internal */
  set _listed(on: boolean) {
    this._flags = on ? this._flags | LISTED : this._flags & ~LISTED;
  }

  /** @internal an instrument hears about this task (see OBSERVED_FLAG) */
  get _observed(): boolean {
    return (this._flags & OBSERVED) !== 0;
  }
  /** @internal */
  set _observed(on: boolean) {
    this._flags = on ? this._flags | OBSERVED : this._flags & ~OBSERVED;
  }

  /** @internal a cancel() arrived while the step was not waiting on a Future */
  get _mustCancel(): boolean {
    return (this._flags & MUST_CANCEL) !== 0;
  }
  /** @internal */
  set _mustCancel(on: boolean) {
    this._flags = on ? this._flags | MUST_CANCEL : this._flags & ~MUST_CANCEL;
  }

  /** @internal the last step ended with a RESCHEDULE yield (sleep(0)) */
  get _rescheduled(): boolean {
    return (this._flags & RESCHEDULED_FLAG) !== 0;
  }
  /** @internal */
  set _rescheduled(on: boolean) {
    this._flags = on ? this._flags | RESCHEDULED_FLAG : this._flags & ~RESCHEDULED_FLAG;
  }

  /** @internal */
  private get _controller(): AbortController | null {
    return this._extra === null ? null : this._extra.controller;
  }
  /** @internal */
  private set _controller(c: AbortController | null) {
    if (c !== null || this._extra !== null) this._getExtra().controller = c;
  }

  constructor(coro: Coroutine<T>, options: TaskConstructorOptions = NO_OPTIONS) {
    const loop = options.loop ?? loopForNextTask ?? getRunningLoop();
    loopForNextTask = null;
    FUTURE_INIT.loop = loop;
    super(FUTURE_INIT);
    if (!iscoroutine(coro)) {
      const hint = isGeneratorFunction(coro) ? ` (call it: ${describe(coro)}(...))` : "";
      throw new TypeError(
        `createTask(): 'coro' must be a coroutine (a generator object): received ${describe(coro)}${hint}`,
      );
    }
    _markAwaited(coro);
    this._top = coro;
    this._name = options.name ?? ++runtime.taskCounter;
    this._context = options.context ?? _currentVars();
    // Listed before an eager first step too (3.12+): the step may ask allTasks().
    loop._tasks.add(this);
    if (loop._observer !== null) loop._observer._taskCreated(this, loop._currentTask);
    if (options.eagerStart === true && loop.isRunning()) this._run();
    else loop._readyPush(this);
  }

  /** The task's name. */
  getName(): string {
    if (typeof this._name === "number") this._name = `Task-${this._name}`;
    return this._name;
  }

  /** Renames the task. */
  setName(value: unknown): void {
    this._name = String(value);
  }

  /** The coroutine the task runs. */
  getCoro(): Coroutine<T> {
    return this._coro;
  }

  /** The context the task runs in. */
  getContext(): Context {
    const c = this._context;
    if (c instanceof Context) return c;
    const ctx = new Context(c);
    this._context = ctx;
    return ctx;
  }

  /** @internal The current mapping, when this task is the current context holder. */
  get _vars(): Vars {
    const c = this._context;
    return c instanceof Context ? c._vars : c;
  }
  /** @internal */
  set _vars(vars: Vars) {
    const c = this._context;
    if (c instanceof Context) c._vars = vars;
    else this._context = vars;
  }

  /** @internal */
  _contextIdentity(): object {
    const c = this._context;
    return c instanceof Context ? c : this;
  }

  /**
   * Names of the frames the task is suspended in, outermost first. Frames of
   * {@link coroutine}-marked functions are listed one by one; an unmarked native `yield*`
   * chain shows as its outermost frame.
   */
  getStack(): string[] {
    if (this._state !== PENDING) return [];
    const frames = this._frames === null ? [] : this._frames.map(coroutineName);
    frames.push(coroutineName(this._top));
    return frames;
  }

  /**
   * An `AbortSignal` that aborts (with a `CancelledError` as its reason) when the task is
   * cancelled. Pass it to `fetch`, `node:fs/promises`, `timers/promises` and other
   * signal-aware APIs so they stop with the task. After `uncancel()` brings the count back
   * to 0, a fresh signal is handed out.
   */
  get signal(): AbortSignal {
    if (this._controller === null) {
      this._controller = new AbortController();
      if (this._numCancelsRequested > 0 && this._state === PENDING) {
        this._controller.abort(new CancelledError(this._cancelMessage));
      }
    }
    return this._controller.signal;
  }

  /**
   * Requests cancellation: `CancelledError` is thrown into the coroutine at its next
   * suspension (or at its first step if it has not started). Returns `false` if the task
   * is already done. Each call increments {@link cancelling}.
   */
  override cancel(msg?: string): boolean {
    this._retrieved();
    if (this._state !== PENDING) return false;
    this._numCancelsRequested++;
    const loop = this._loop;
    if (loop._observer !== null) loop._observer._cancelRequested(this, msg, loop._currentTask);
    if (this._controller !== null && !this._controller.signal.aborted) {
      this._controller.abort(new CancelledError(msg));
    }
    const waiter = this._futWaiter;
    if (typeof waiter === "number") {
      if ((this._flags & SLEEPING) !== 0) {
        this._cancelSleep(waiter, msg);
        return true;
      }
      // Its timer's step ran and the wake-up is queued: the cancel is delivered at that step.
    } else if (waiter?.cancel(msg)) {
      // The waiter may be a Task that ignores its cancellation: keep it, so a later
      // cancel() reaches it again.
      return true;
    }
    this._mustCancel = true;
    this._cancelMessage = msg;
    return true;
  }

  /** How many cancellation requests are pending (cancel() calls minus uncancel() calls). */
  cancelling(): number {
    return this._numCancelsRequested;
  }

  /**
   * Withdraws one cancellation request; returns the remaining count. At 0 a cancellation
   * that was requested but not yet delivered is withdrawn too (3.13).
   */
  uncancel(): number {
    if (this._numCancelsRequested > 0) {
      this._numCancelsRequested--;
      if (this._numCancelsRequested === 0) {
        this._mustCancel = false;
        if (this._controller?.signal.aborted) this._controller = null;
      }
    }
    return this._numCancelsRequested;
  }

  /** Tasks are completed by their coroutine: always throws {@link RuntimeError}. */
  override setResult(_result: T): never {
    throw new RuntimeError("Task does not support setResult()");
  }

  /** Tasks are completed by their coroutine: always throws {@link RuntimeError}. */
  override setException(_exception: unknown): never {
    throw new RuntimeError("Task does not support setException()");
  }

  override toString(): string {
    const coro = coroutineName(this._coro);
    const w = this._futWaiter;
    const waiting =
      w === null
        ? ""
        : typeof w === "number"
          ? ` wait_for=<sleep ${w}s ${(this._flags & IN_HEAP) !== 0 ? "waiting" : "fired"}>`
          : ` wait_for=${w}`;
    // asyncio's order: state, name, coro, then the result or exception.
    const text = this._stateText();
    const sp = text.indexOf(" ");
    // A pending task with a cancel requested reads 'cancelling', as asyncio's repr.
    const state =
      this._state === PENDING && this._numCancelsRequested > 0
        ? "cancelling"
        : sp < 0
          ? text
          : text.slice(0, sp);
    const outcome = sp < 0 ? "" : text.slice(sp);
    return `<Task ${state} name='${this.getName()}' coro=<${coro}>${outcome}${waiting}>`;
  }

  /** @internal */
  override _kind(): string {
    return "Task";
  }

  /**
   * @internal One step: resume the innermost frame until the coroutine suspends or ends.
   * `arg` is what the ready queue carries beside the task: the Future or Sleep that woke
   * it, or the Error of a bad await to throw in (see `_drive`).
   */
  _run(arg?: unknown): void {
    if (this._state !== PENDING) {
      this._loop.callExceptionHandler({
        message: `_step(): already done: ${this}`,
        task: this,
      });
      return;
    }
    const flags = this._flags;
    if ((flags & (SLEEPING | STALE)) !== 0) {
      if ((flags & SLEEPING) !== 0) {
        // Its own timer fired. The task wakes at the next iteration, as a task woken by a
        // sleep() Future's callback does in asyncio.
        this._flags = (flags & ~SLEEPING) | WOKEN_FLAG;
        this._loop._readyPush(this);
        return;
      }
      if ((flags & IN_HEAP) === 0) {
        // The step of a timer that was due but cancelled before it ran (see _cancelSleep):
        // asyncio's timer would find its sleep Future cancelled and do nothing.
        this._flags = flags & ~STALE;
        return;
      }
    }
    let mode = SEND;
    let value: unknown;
    const waited = this._futWaiter;
    this._futWaiter = null;
    if ((flags & MUST_CANCEL) !== 0) {
      this._flags = flags & ~(MUST_CANCEL | RESCHEDULED_FLAG | WOKEN_FLAG);
      // What the task waited on was cancelled by an earlier cancel(): its CancelledError,
      // with the first message, wins over the later requests (asyncio's __step keeps a
      // CancelledError it was woken with).
      if (_isFuture(waited) && (waited as Future<unknown>).cancelled()) {
        _resumeWith(FUTURE_DONE, waited as object);
      } else if (_isSleep(waited) && (waited as Sleep<unknown>)._isCancelled()) {
        _resumeWith(SLEEP_DONE, waited as object);
      } else {
        mode = THROW;
        value = this._makeCancelledError();
      }
    } else if ((flags & RESCHEDULED_FLAG) !== 0) {
      this._flags = flags & ~RESCHEDULED_FLAG;
      _resumeWith(RESCHEDULED, null);
    } else if ((flags & WOKEN_FLAG) !== 0) {
      this._flags = flags & ~WOKEN_FLAG;
      _resumeWith(WOKEN, null);
    } else if (_isFuture(waited)) {
      _resumeWith(FUTURE_DONE, waited as object);
    } else if (_isSleep(waited)) {
      _resumeWith(SLEEP_DONE, waited as object);
    } else if (arg instanceof Error) {
      mode = THROW;
      value = arg;
    }
    const loop = this._loop;
    // Instruments (core/observer.ts): a bit of the flags already in hand, so a task no
    // instrument hears about (every task, when none is installed) costs one bit test.
    let observer: LoopObserver | null = null;
    if ((flags & OBSERVED) !== 0) {
      observer = loop._observer;
      if (observer !== null) observer._stepStarted(this, waited);
    }
    const prevTask = loop._currentTask;
    loop._currentTask = this;
    const prevContext = _enterContext(this);
    try {
      this._drive(mode, value);
    } finally {
      // The step's first resume took its register, unless the coroutine was closed from
      // outside while it waited: then nothing stale may answer some later await.
      _endStep();
      loop._currentTask = prevTask;
      _enterContext(prevContext);
      if (observer !== null) observer._stepEnded(this);
    }
  }

  /** @internal */
  private _drive(mode: number, value: unknown): void {
    for (;;) {
      const gen = this._top as Coroutine;
      let r: IteratorResult<Suspend, unknown>;
      try {
        r = mode === SEND ? gen.next(value) : gen.throw(value);
      } catch (thrown) {
        const e =
          thrown instanceof RangeError
            ? explainDeepChain(thrown)
            : thrown instanceof TypeError
              ? explainNotIterable(thrown)
              : thrown;
        const frames = this._frames;
        if (frames !== null && frames.length > 0) {
          annotate(e, gen);
          this._top = frames.pop() as Coroutine;
          mode = THROW;
          value = e;
          continue;
        }
        this._finishWithException(e);
        return;
      }
      if (r.done === true) {
        const frames = this._frames;
        if (frames !== null && frames.length > 0) {
          this._top = frames.pop() as Coroutine;
          _resumeWith(RETURNED, null);
          mode = SEND;
          value = r.value;
          continue;
        }
        this._finishWithResult(r.value as T);
        return;
      }
      const y: unknown = r.value;
      if (y === RESCHEDULE) {
        // sleep(0): back of the ready queue; a pending cancel is seen at the next step.
        this._rescheduled = true;
        this._loop._readyPush(this);
        return;
      }
      if (y === PUSH) {
        const child = _takeHandOff() as Coroutine;
        if (this._frames === null) this._frames = [];
        this._frames.push(gen);
        this._top = child;
        mode = SEND;
        value = undefined;
        continue;
      }
      if (y === SLEEP) {
        const detachable = _handOffKind() === SLEEP_DETACHABLE;
        this._sleepOn(_takeHandOff() as Sleep<unknown>, detachable);
        return;
      }
      if (_isFuture(y)) {
        const error = this._waitOn(y as Future<unknown>);
        if (error !== null) this._throwInLater(pointAtYield(error, gen));
        return;
      }
      this._throwInLater(pointAtYield(badYield(this, y), gen));
      return;
    }
  }

  /**
   * A bad await: the error is thrown into the coroutine at the task's next step, queued
   * now, as asyncio's call_soon(__step, error). The callbacks already ready run first, and
   * a cancel() arriving meanwhile replaces the error with CancelledError.
   * @internal
   */
  private _throwInLater(error: Error): void {
    this._loop._readyPush(this, error);
  }

  /**
   * Starts sleeping in `yield* s`. The task becomes its own timer-heap entry and keeps
   * only the delay, so nothing else stays alive while it sleeps (see core/sleep.ts). The
   * Sleep is the entry instead when it has a result to return, when it is driven directly
   * (`detached` false: handed over as SLEEP_BOUND by its own `next()`, not by SLEEP_ITER, so the
   * coroutine's `yield*` still iterates it), when a cancel is already pending, or when the
   * task still has a stale entry in the heap: one task, one entry.
   * @internal
   */
  private _sleepOn(s: Sleep<unknown>, detached: boolean): void {
    if (detached && s._value === undefined && (this._flags & (IN_HEAP | MUST_CANCEL)) === 0) {
      s._handOff();
      const loop = this._loop;
      this._futWaiter = s._delay;
      this._flags |= SLEEPING;
      loop._pushTimer(this, loop.time() + s._delay);
      return;
    }
    s._arm(this);
    this._futWaiter = s;
    if (this._mustCancel && s.cancel(this._cancelMessage)) this._mustCancel = false;
  }

  /**
   * The task, its own timer, is cancelled while asleep: its timer entry goes stale and the
   * task wakes on a cancelled Sleep, whose `next()` raises the CancelledError in the
   * coroutine. The wake-up is queued now, as asyncio's cancelled sleep Future queues it,
   * even when the timer is due and already moved to the ready queue: that queued step
   * finds the entry stale and does nothing. A stale entry still in the heap is dropped
   * when it reaches the top, or by compaction.
   * @internal
   */
  private _cancelSleep(delay: number, msg: string | undefined): void {
    const loop = this._loop;
    const flags = this._flags;
    this._flags = (flags & ~SLEEPING) | STALE;
    if ((flags & IN_HEAP) !== 0) loop._timerHandleCancelled(this);
    const s = _cancelledSleep(delay, msg);
    this._futWaiter = s;
    loop._readyPush(this, s);
  }

  /** @internal Starts waiting on `fut`; returns the error to throw into the coroutine, or null. */
  private _waitOn(fut: Future<unknown>): Error | null {
    if (!fut._blocking) {
      return new TypeError(
        `yield was used instead of yield* in task ${this.getName()} with ${fut}: write 'yield* future' to await it`,
      );
    }
    fut._blocking = false;
    if (fut._loop !== this._loop) {
      return new RuntimeError(`Task ${this} got Future ${fut} attached to a different loop`);
    }
    if (fut === this) return new RuntimeError(`Task cannot await on itself: ${this}`);
    fut._addWaiter(this);
    this._futWaiter = fut;
    if (this._mustCancel && fut.cancel(this._cancelMessage)) this._mustCancel = false;
    return null;
  }

  /** @internal */
  private _finishWithResult(result: T): void {
    this._release();
    this._value = undefined; // the waiter's slot becomes the outcome's (see Future._value)
    if (this._mustCancel) {
      // cancel() was called during this very step, after the last suspension: the task
      // still ends cancelled, as in asyncio.
      this._mustCancel = false;
      super.cancel(this._cancelMessage);
      return;
    }
    if (this._numCancelsRequested > 0 && this._loop._debug) {
      this._loop.callExceptionHandler({
        message: `Task ${this.getName()} swallowed its cancellation: it was cancelled ${this._numCancelsRequested} time(s) and returned normally without uncancel()`,
        task: this,
      });
    }
    super.setResult(result);
  }

  /** @internal */
  private _finishWithException(e: unknown): void {
    this._release();
    if (isCancelledError(e)) {
      // As asyncio: the coroutine's own error goes to the first retriever, and the Future
      // is cancelled without a message, so later retrievers get a bare CancelledError.
      this._cancelledExc = e;
      super.cancel();
      return;
    }
    super.setException(e === null || e === undefined ? new TypeError(`task threw ${e}`) : e);
  }

  /** @internal */
  private _release(): void {
    this._frames = null;
    this._loop._tasks.delete(this);
  }
}

/**
 * The loop's pending tasks: an intrusive doubly-linked list through the Tasks themselves,
 * in creation order. Adding and removing cost two pointer writes and no allocation (a Set
 * hashes, and grows and shrinks its table as 100,000 tasks come and go).
 */
export class TaskList implements Iterable<Task<unknown>> {
  private head: Task<unknown> | null = null;
  private tail: Task<unknown> | null = null;
  size = 0;

  add(t: Task<unknown>): void {
    if (t._listed) return;
    t._listed = true;
    t._prevTask = this.tail;
    t._nextTask = null;
    if (this.tail === null) this.head = t;
    else this.tail._nextTask = t;
    this.tail = t;
    this.size++;
  }

  delete(t: Task<unknown>): boolean {
    if (!t._listed) return false;
    t._listed = false;
    const prev = t._prevTask;
    const next = t._nextTask;
    if (prev === null) this.head = next;
    else prev._nextTask = next;
    if (next === null) this.tail = prev;
    else next._prevTask = prev;
    t._prevTask = null;
    t._nextTask = null;
    this.size--;
    return true;
  }

  has(t: Task<unknown>): boolean {
    return t._listed;
  }

  clear(): void {
    for (const t of [...this]) this.delete(t);
  }

  /** Iterates a snapshot, so tasks may finish (and unlink) during the iteration. */
  [Symbol.iterator](): Iterator<Task<unknown>> {
    const out: Task<unknown>[] = [];
    for (let t = this.head; t !== null; t = t._nextTask) out.push(t);
    return out[Symbol.iterator]();
  }
}

function badYield(task: Task<unknown>, y: unknown): Error {
  const foreign = _foreignCopy(y);
  if (foreign !== null) {
    return new TypeError(`Task ${task.getName()} cannot await ${describe(y)}: ${foreign}`);
  }
  if (_isSleep(y)) {
    return new TypeError(
      `yield was used instead of yield* in task ${task.getName()} with ${y}: write 'yield* asyncio.sleep(…)'`,
    );
  }
  const what = describe(y);
  const hint =
    iscoroutine(y) || (typeof y === "object" && y !== null && Symbol.iterator in y)
      ? `: await it with 'yield*', not 'yield'`
      : y === undefined
        ? `: a bare 'yield' does not suspend a coroutine; write 'yield* asyncio.sleep(0)' to give way to other tasks`
        : `: coroutines await with 'yield* awaitable'`;
  return new TypeError(`Task got bad yield: ${what} in task ${task.getName()}${hint}`);
}
