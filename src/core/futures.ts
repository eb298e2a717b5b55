/**
 * Future: a result that will be set later, awaited with `yield*` and usable as a Promise.
 *
 * Invariants:
 * - the state moves once, from PENDING to FINISHED or CANCELLED, and never back;
 * - done-callbacks are never called inline: completion schedules each one on the loop
 *   with `callSoon`, in registration order (a waiting Task is pushed onto the ready queue
 *   directly, which is the same thing without a Handle);
 * - an exception nobody retrieved is reported when the Future is garbage-collected or its
 *   loop closes, whichever comes first, and only once.
 *
 * @module
 */

import type { BaseEventLoop } from "./base_events.js";
import { _currentVars, Context } from "./contextvars.js";
import type { Awaitable, Suspend } from "./coroutines.js";
import { describe } from "./coroutines.js";
import { getRunningLoop } from "./events.js";
import { _schedulerCancelledError, type CancelledError, InvalidStateError } from "./exceptions.js";
import type { Runnable } from "./readyqueue.js";
import { _isFuture, FUTURE_BRAND, PROTOCOL_VERSION } from "./runtime.js";
import { _awaitFuture } from "./suspend.js";

/** @internal */
export const PENDING = 0;
/** @internal */
export const CANCELLED = 1;
/** @internal */
export const FINISHED = 2;
const STATE_NAMES = ["PENDING", "CANCELLED", "FINISHED"] as const;

/**
 * Bits of `Future._flags`: the state (PENDING, CANCELLED, FINISHED) in the lowest two,
 * then the flags below (Task adds its own from bit 5 on).
 */
const STATE_MASK = 3;
/** asyncio's `_asyncio_future_blocking`: yielded by `yield*`, not by a slipped `yield`. */
export const BLOCKING = 1 << 2;
const LOG_TRACEBACK = 1 << 3;
/** Finished with an exception: `_value` is the exception, not the result. */
const FAILED = 1 << 4;

/**
 * The rarely used parts of a Future, allocated on first use: a Future costs 8 bytes a field
 * (Node does not compress pointers), and 1,000,000 sleeping tasks each hold one.
 */
interface FutureExtra {
  cancelMessage: string | undefined;
  settle: (() => void) | null;
  promise: Promise<unknown> | null;
  /** A Task's AbortController (see Task.signal). */
  controller: AbortController | null;
  /** A Task's frames below the innermost, outermost first (coroutine()-marked calls). */
  frames: Generator<unknown, unknown, unknown>[] | null;
  /** A Task's cancel requests beyond what its flags count (see Task's CANCELS_SHIFT). */
  cancelsOver: number;
  /** A Task's name (or number), once it has a side object (see Future._slot). */
  name: string | number | null;
}

/** Node's `util.inspect` (console.log) hook; `Symbol.for` needs no Node import. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * What the unretrieved-exception report keeps: never the Future itself. Also a node of its
 * loop's {@link UnretrievedList} while it is listed.
 */
interface Unretrieved {
  loop: BaseEventLoop;
  exception: unknown;
  repr: string;
  kind: string;
  list: UnretrievedList | null;
  prev: Unretrieved | null;
  next: Unretrieved | null;
}

/**
 * A loop's failed Futures whose exception nobody retrieved yet, in failure order, reported
 * when the loop closes. The nodes are the registry's held values, not the Futures: a Future
 * nobody references is still collected and reported by the registry, which long-running
 * programs need. An intrusive list: adding and removing allocate nothing (a Set that grows
 * from and shrinks to empty reallocates its table each time: ~3.6 µs an add and delete on
 * this machine, against ~0.3 µs for the WeakMap entry below).
 */
class UnretrievedList {
  head: Unretrieved | null = null;
  tail: Unretrieved | null = null;

  add(held: Unretrieved): void {
    held.list = this;
    held.prev = this.tail;
    if (this.tail === null) this.head = held;
    else this.tail.next = held;
    this.tail = held;
  }

  /** Unlinks `held`; false if it was not listed (it was reported at close). */
  remove(held: Unretrieved): boolean {
    if (held.list !== this) return false;
    if (held.prev === null) this.head = held.next;
    else held.prev.next = held.next;
    if (held.next === null) this.tail = held.prev;
    else held.next.prev = held.prev;
    held.list = held.prev = held.next = null;
    return true;
  }
}

const listOf = new WeakMap<BaseEventLoop, UnretrievedList>();
/** A failed Future's node, so that retrieving its exception unlinks it. */
const nodeOf = new WeakMap<Future<unknown>, Unretrieved>();

function report(held: Unretrieved): void {
  held.loop.callExceptionHandler({
    message: `${held.kind} exception was never retrieved`,
    exception: held.exception,
    future: held.repr,
  });
}

// A node no longer listed was reported when its loop closed: never twice.
const unretrieved = new FinalizationRegistry<Unretrieved>((held) => {
  if (held.list?.remove(held) === true) report(held);
});

/** Entry and exit happen only for exceptions: a Future ending with a result pays nothing. */
function trackUnretrieved(fut: Future<unknown>, held: Unretrieved): void {
  unretrieved.register(fut, held, fut);
  nodeOf.set(fut, held);
  let list = listOf.get(held.loop);
  if (list === undefined) {
    list = new UnretrievedList();
    listOf.set(held.loop, list);
  }
  list.add(held);
}

function untrackUnretrieved(fut: Future<unknown>): void {
  unretrieved.unregister(fut);
  const held = nodeOf.get(fut);
  if (held === undefined) return;
  nodeOf.delete(fut);
  held.list?.remove(held);
}

/**
 * @internal Reports, through `loop`'s exception handler, every exception of its Futures and
 * Tasks still unretrieved; run when the loop closes, so that a short program is told of a
 * lost error whatever the garbage collector did. Each is reported once: the
 * garbage-collection report skips what this reported.
 */
export function _reportUnretrieved(loop: BaseEventLoop): void {
  const list = listOf.get(loop);
  if (list === undefined) return;
  for (let held = list.head; held !== null; held = list.head) {
    list.remove(held);
    report(held);
  }
}

/**
 * Tags the done-callback slot of an internal callback: a Runnable pushed onto the ready
 * queue with the Future as its argument (a waiting Task, gather's bookkeeping). A user
 * callback's tag is the Context it runs in.
 */
const INTERNAL = null;

/**
 * Options of {@link Future.addDoneCallback}.
 *
 * @example
 * ```ts
 * const ctx = asyncio.copyContext();
 * fut.addDoneCallback((f) => console.log(f.result()), { context: ctx });
 * ```
 */
export interface DoneCallbackOptions {
  /** The context the callback runs in; a copy of the current one by default. */
  context?: Context;
}

/**
 * Options of the {@link Future} constructor.
 *
 * @example
 * ```ts
 * const loop = asyncio.getRunningLoop();
 * const fut = new asyncio.Future<number>({ loop });
 * loop.callLater(1, () => fut.setResult(42));
 * ```
 */
export interface FutureOptions {
  /** The loop the Future belongs to; the running loop by default. */
  loop?: BaseEventLoop;
}

/**
 * A low-level awaitable result, as asyncio's `Future`. Most code uses Tasks and
 * coroutines; Futures connect callback-style code to them.
 *
 * `yield* fut` suspends until the Future is done and evaluates to its result (or throws its
 * exception, or `CancelledError`). A Future is also `PromiseLike`, so `async` code can
 * `await` it; the Promise side is created only when `then` is first called.
 *
 * @example
 * ```ts
 * function* main() {
 *   const loop = asyncio.getRunningLoop();
 *   const fut = loop.createFuture<string>();
 *   loop.callLater(1, () => fut.setResult("done"));
 *   console.log(yield* fut); // "done", one second later
 * }
 * ```
 */
export class Future<T> implements Awaitable<T>, PromiseLike<T> {
  /**
   * @internal The state and BLOCKING, LOG_TRACEBACK, FAILED, and the Task's bits and
   * cancel count (tasks.ts, from bit 5 on), in one Smi: Futures and Tasks are the objects
   * there are most of, so each field counts.
   */
  _flags = PENDING;
  /**
   * @internal Packed (docs/design.md, "Keeping a Task small"). Its meaning follows the
   * state, so every reader checks the state first:
   * - FINISHED: the result, or the exception when FAILED is set;
   * - CANCELLED: a Task's coroutine's own CancelledError until its first retriever takes
   *   it (see _makeCancelledError), then undefined; undefined for any other Future;
   * - PENDING, a Future: undefined;
   * - PENDING, a Task: what it waits on (a Future, a Sleep, or the delay while it is its
   *   own timer), or null or undefined when it waits on nothing.
   * Read through `_result`, `_exception`, `_cancelledExc` and Task's `_futWaiter`, or
   * directly only after the same state check. The step that ends a Task overwrites it
   * with the outcome (its waiter is null by then).
   */
  _value: unknown = undefined;
  /** @internal */
  _loop: BaseEventLoop;
  /**
   * @internal The done-callbacks. A lone internal Runnable (a waiting Task: the common case)
   * is stored as is; anything more is an array of (callback, tag) pairs, tag INTERNAL or a
   * Context. One field instead of two: Futures and Tasks are the objects there are most of.
   */
  _callbacks: Runnable | unknown[] | null = null;
  /**
   * @internal Packed (docs/design.md, "Keeping a Task small"): the side object of rarely
   * used fields once made, and before that null, or a Task's name (or number). Making the
   * side object moves the name into it. Only `_extra`, `_getExtra()` and Task's `_name`
   * read it.
   */
  _slot: FutureExtra | string | number | null = null;

  constructor(options?: FutureOptions) {
    this._loop = options?.loop ?? getRunningLoop();
  }

  /** @internal PENDING, CANCELLED or FINISHED */
  get _state(): number {
    return this._flags & STATE_MASK;
  }
  /** @internal */
  set _state(state: number) {
    this._flags = (this._flags & ~STATE_MASK) | state;
  }

  /** @internal the side object of rarely used fields, or null until one is needed */
  get _extra(): FutureExtra | null {
    const slot = this._slot;
    return typeof slot === "object" ? slot : null;
  }

  /** @internal The side object, made on first use. */
  _getExtra(): FutureExtra {
    const slot = this._slot;
    if (typeof slot === "object" && slot !== null) return slot;
    const extra: FutureExtra = {
      cancelMessage: undefined,
      settle: null,
      promise: null,
      controller: null,
      frames: null,
      cancelsOver: 0,
      name: slot,
    };
    this._slot = extra;
    return extra;
  }

  /** @internal the message given to cancel() */
  get _cancelMessage(): string | undefined {
    return this._extra === null ? undefined : this._extra.cancelMessage;
  }
  /** @internal */
  set _cancelMessage(msg: string | undefined) {
    if (msg !== undefined || this._extra !== null) this._getExtra().cancelMessage = msg;
  }

  /**
   * @internal The CancelledError a Task's coroutine ended with, until someone retrieves it
   * (see _makeCancelledError); in `_value`. Set just before the state becomes CANCELLED
   * (Task._finishWithException).
   */
  get _cancelledExc(): CancelledError | null {
    return this._state === CANCELLED ? ((this._value ?? null) as CancelledError | null) : null;
  }
  /** @internal */
  set _cancelledExc(exc: CancelledError | null) {
    this._value = exc;
  }

  /** @internal The result, once finished without an exception; undefined otherwise. */
  get _result(): T | undefined {
    return this._state === FINISHED && (this._flags & FAILED) === 0
      ? (this._value as T)
      : undefined;
  }

  /** @internal The exception it finished with, or null (also when pending or cancelled). */
  get _exception(): unknown {
    return (this._flags & FAILED) !== 0 ? this._value : null;
  }

  /** @internal set as `yield*` yields the Future: tells a Task this came from yield* */
  get _blocking(): boolean {
    return (this._flags & BLOCKING) !== 0;
  }
  /** @internal */
  set _blocking(on: boolean) {
    this._flags = on ? this._flags | BLOCKING : this._flags & ~BLOCKING;
  }

  /** @internal an exception was set and not yet retrieved */
  get _logTraceback(): boolean {
    return (this._flags & LOG_TRACEBACK) !== 0;
  }
  /** @internal */
  set _logTraceback(on: boolean) {
    this._flags = on ? this._flags | LOG_TRACEBACK : this._flags & ~LOG_TRACEBACK;
  }

  /** @internal settles the Promise side, once someone called then() */
  get _settle(): (() => void) | null {
    return this._extra === null ? null : this._extra.settle;
  }

  /** Whether the Future is done: it has a result, an exception, or was cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /** Whether the Future was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The result. Throws the Future's exception if it has one, `CancelledError` if it was
   * cancelled, and {@link InvalidStateError} if it is not done yet.
   */
  result(): T {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Result is not ready.");
    this._retrieved();
    if ((this._flags & FAILED) !== 0) throw this._value;
    return this._value as T;
  }

  /**
   * The exception the Future finished with, or `null` if it finished with a result.
   * Throws `CancelledError` if it was cancelled, {@link InvalidStateError} if not done.
   */
  exception(): unknown {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Exception is not set.");
    this._retrieved();
    return this._exception;
  }

  /**
   * Marks the Future done with `result` and schedules its callbacks.
   * Throws {@link InvalidStateError} if it is already done.
   */
  setResult(result: T): void {
    if (this._state !== PENDING) {
      throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this}`);
    }
    this._value = result;
    this._state = FINISHED;
    this._scheduleCallbacks();
  }

  /**
   * Marks the Future done with `exception` and schedules its callbacks.
   * Throws {@link InvalidStateError} if it is already done.
   */
  setException(exception: unknown): void {
    if (this._state !== PENDING) {
      throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this}`);
    }
    if (exception === null || exception === undefined) {
      throw new TypeError(
        `setException(): 'exception' must be an error value: received ${describe(exception)}`,
      );
    }
    this._value = exception;
    this._flags |= FAILED;
    this._state = FINISHED;
    this._logTraceback = true;
    // V8 keeps an error's stack frames, receivers included, until `.stack` is first read:
    // an error thrown inside a Task's step would keep the Task itself alive through the
    // registry's held value, and "exception was never retrieved" would never be reported.
    if (exception instanceof Error) void exception.stack;
    trackUnretrieved(this, {
      loop: this._loop,
      exception,
      repr: String(this),
      kind: this._kind(),
      list: null,
      prev: null,
      next: null,
    });
    this._scheduleCallbacks();
  }

  /**
   * Cancels the Future and schedules its callbacks. Returns `false` if it was already done,
   * `true` otherwise. `msg` becomes the message of the `CancelledError` it raises.
   */
  cancel(msg?: string): boolean {
    this._retrieved();
    if (this._state !== PENDING) return false;
    this._state = CANCELLED;
    this._cancelMessage = msg;
    this._scheduleCallbacks();
    return true;
  }

  /**
   * Calls `fn(future)` once the Future is done, through the loop (`callSoon`), never
   * inline. If it is already done, `fn` is scheduled at once.
   */
  addDoneCallback(fn: (future: this) => void, options: DoneCallbackOptions = {}): void {
    if (typeof fn !== "function") {
      throw new TypeError(`addDoneCallback(): 'fn' must be a function: received ${describe(fn)}`);
    }
    const context = options.context ?? new Context(_currentVars());
    if (this._state !== PENDING) {
      this._loop._callSoonWithContext(fn, [this], context);
      return;
    }
    this._pushCallback(fn, context);
  }

  /** @internal */
  _pushCallback(cb: unknown, tag: Context | null): void {
    const cbs = this._callbacks;
    if (cbs === null) this._callbacks = [cb, tag];
    else if (Array.isArray(cbs)) cbs.push(cb, tag);
    else this._callbacks = [cbs, INTERNAL, cb, tag];
  }

  /** Removes every registration of `fn`; returns how many were removed. */
  removeDoneCallback(fn: (future: this) => void): number {
    const cbs = this._callbacks;
    if (!Array.isArray(cbs)) return 0; // none, or a lone internal waiter
    const kept: unknown[] = [];
    let removed = 0;
    for (let i = 0; i < cbs.length; i += 2) {
      if (cbs[i] === fn && cbs[i + 1] !== INTERNAL) removed++;
      else kept.push(cbs[i], cbs[i + 1]);
    }
    this._callbacks = kept.length > 0 ? kept : null;
    return removed;
  }

  /** The loop this Future belongs to. */
  getLoop(): BaseEventLoop {
    return this._loop;
  }

  /** `yield* fut`: suspends until done, then evaluates to the result or throws. */
  [Symbol.iterator](): Iterator<Suspend, T, unknown> {
    return _awaitFuture(this);
  }

  /**
   * The Promise side: resolves with the result, rejects with the exception (the original
   * error, not a wrapper) or with `CancelledError`.
   */
  // biome-ignore lint/suspicious/noThenProperty: a Future is deliberately PromiseLike
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this._asPromise().then(onfulfilled, onrejected);
  }

  /** Promise-style `catch`, for `async` code. */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this._asPromise().catch(onrejected);
  }

  /** Promise-style `finally`, for `async` code. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this._asPromise().finally(onfinally);
  }

  toString(): string {
    return `<${this._kind()} ${this._stateText()}>`;
  }

  /** console.log shows the repr, not the internals (Tasks too). */
  [INSPECT](): string {
    return this.toString();
  }

  /** @internal */
  _kind(): string {
    return "Future";
  }

  /** @internal */
  _stateText(): string {
    if (this._state === PENDING) return "pending";
    if (this._state === CANCELLED) return "cancelled";
    if (this._exception !== null) return `finished exception=${describeError(this._exception)}`;
    return `finished result=${describe(this._result)}`;
  }

  /**
   * @internal The CancelledError to raise for this cancelled Future, as asyncio's
   * `_make_cancelled_error`: a Task that ended cancelled hands its coroutine's own error
   * (with the message it carried) to the first caller only; every other caller, and every
   * caller of a Future cancelled with `cancel(msg)`, gets a new one with the cancel
   * message. A pending Task asks for one to throw into its coroutine.
   */
  _makeCancelledError(): CancelledError {
    const own = this._cancelledExc;
    if (own !== null) {
      this._value = undefined;
      return own;
    }
    return _schedulerCancelledError(this._cancelMessage);
  }

  /**
   * @internal Registers `r` to be pushed onto the ready queue, with this Future as its
   * argument, when this is done (a waiting Task; gather's bookkeeping). No Handle, no
   * context: internal callbacks never touch context variables.
   */
  _addWaiter(r: Runnable): void {
    if (this._state !== PENDING) this._loop._readyPush(r, this);
    else if (this._callbacks === null) this._callbacks = r;
    else this._pushCallback(r, INTERNAL);
  }

  /** @internal Whether `r` is registered with {@link _addWaiter} (gather's dedupe). */
  _hasWaiter(r: Runnable): boolean {
    const cbs = this._callbacks;
    if (cbs === r) return true;
    if (!Array.isArray(cbs)) return false;
    for (let i = 0; i < cbs.length; i += 2) {
      if (cbs[i] === r && cbs[i + 1] === INTERNAL) return true;
    }
    return false;
  }

  /** @internal */
  private _runCallback(cb: unknown, tag: Context | null): void {
    if (tag === INTERNAL) this._loop._readyPush(cb as Runnable, this);
    else this._loop._callSoonWithContext(cb as (f: this) => void, [this], tag);
  }

  /** @internal */
  _retrieved(): void {
    if (this._logTraceback) {
      this._logTraceback = false;
      untrackUnretrieved(this);
    }
  }

  /** @internal */
  private _scheduleCallbacks(): void {
    const cbs = this._callbacks;
    if (cbs !== null) {
      this._callbacks = null;
      if (!Array.isArray(cbs)) this._loop._readyPush(cbs, this);
      else {
        for (let i = 0; i < cbs.length; i += 2) {
          this._runCallback(cbs[i], cbs[i + 1] as Context | null);
        }
      }
    }
    const extra = this._extra;
    if (extra !== null && extra.settle !== null) extra.settle();
  }

  /** @internal */
  private _asPromise(): Promise<T> {
    const extra = this._getExtra();
    if (extra.promise === null) {
      extra.promise = new Promise<T>((resolve, reject) => {
        extra.settle = () => {
          extra.settle = null;
          if (this._state === CANCELLED) reject(this._makeCancelledError());
          else if ((this._flags & FAILED) !== 0) {
            this._retrieved();
            reject(this._value);
          } else resolve(this._value as T);
        };
      });
      if (this._state !== PENDING) extra.settle?.();
    }
    return extra.promise as Promise<T>;
  }
}

// Recognised by brand, not by class: a Future of another copy of the library is a Future
// too (core/runtime.ts).
Object.defineProperty(Future.prototype, FUTURE_BRAND, { value: PROTOCOL_VERSION });

/** A one-line description of an error value for reprs. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}(${JSON.stringify(e.message)})`;
  return describe(e);
}

/**
 * Whether `x` is a Future (or a Task, which is a Future).
 *
 * @example
 * ```ts
 * console.log(asyncio.isfuture(asyncio.getRunningLoop().createFuture())); // true
 * ```
 */
export function isfuture(x: unknown): x is Future<unknown> {
  return _isFuture(x);
}
