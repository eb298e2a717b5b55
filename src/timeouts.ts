/**
 * Deadlines and cancel scopes: asyncio's `timeout()` / `timeoutAt()` / `Timeout` and
 * `waitFor()`, and Trio's `moveOnAfter()` / `moveOnAt()` / `CancelScope`.
 *
 * All of them rest on one mechanism, asyncio's: a scope remembers the task that entered it
 * and how many cancellation requests that task had pending (`task.cancelling()`); when the
 * scope fires (its deadline passed, or `cancel()` was called) it calls `task.cancel()` once;
 * on exit it calls `task.uncancel()`, and the `CancelledError` leaving the body is the
 * scope's own only if no other request is left pending. That rule is what makes nested
 * scopes and a deadline racing an outside `cancel()` come out right: only the scope that
 * fired converts (or swallows) the cancellation, and an outside cancellation always
 * propagates as `CancelledError`.
 *
 * Like asyncio (and unlike Trio), delivery is edge-triggered: the task receives one
 * `CancelledError`. A body that catches it and goes on awaiting is not cancelled again.
 *
 * @module
 */

import type { AsyncContextManager, NonSuppressingAsyncContextManager } from "./contextlib.js";
import { awaitAny, type BaseEventLoop } from "./core/base_events.js";
import { type AwaitableLike, type Coroutine, describe } from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import { isCancelledError, RuntimeError, TimeoutError } from "./core/exceptions.js";
import type { Future } from "./core/futures.js";
import type { Handle } from "./core/handles.js";
import type { Task } from "./core/tasks.js";
import { BaseExceptionGroup } from "./exceptiongroups.js";
import { ensureFuture, isAwaitableLike } from "./tasks.js";

/** Node's `util.inspect` (console.log) hook; `Symbol.for` needs no Node import. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

// Timeout's states, as asyncio's `_State`; the names are the ones messages show.
const CREATED = 0;
const ENTERED = 1;
const EXPIRING = 2;
const EXPIRED = 3;
const EXITED = 4;
const STATE_NAMES = ["created", "active", "expiring", "expired", "finished"] as const;

function fireScope(scope: ScopeCore): void {
  scope._fire();
}

/**
 * The one mechanism under Timeout and CancelScope. Only its members are internal: the
 * published classes extend it.
 *
 * Transitions: CREATED -enter-> ENTERED -fire-> EXPIRING -exit-> EXPIRED, or
 * ENTERED -exit-> EXITED. Only ENTERED may fire; only ENTERED/EXPIRING may exit.
 */
export abstract class ScopeCore {
  /** @internal */
  _state = CREATED;
  /** @internal the deadline in loop time, or null for none */
  _when: number | null;
  /** @internal */
  _task: Task<unknown> | null = null;
  /** @internal the task's `cancelling()` when the scope was entered */
  _cancelling = 0;
  /** @internal the pending timer (or callSoon) that fires the scope */
  _handle: Handle | null = null;

  constructor(when: number | null) {
    this._when = when;
  }

  /** The deadline, in loop time (`loop.time()` seconds), or `null` for none. */
  when(): number | null {
    return this._when;
  }

  /** @internal */
  _enter(kind: string): void {
    if (this._state !== CREATED) {
      throw new RuntimeError(`${kind} has already been entered`);
    }
    const task = getRunningLoop()._currentTask;
    if (task === null) throw new RuntimeError(`${kind} should be used inside a task`);
    this._state = ENTERED;
    this._task = task;
    this._cancelling = task.cancelling();
    this._arm(this._when);
  }

  /** @internal (Re)arms the timer for `when`; a deadline already passed fires soon. */
  _arm(when: number | null): void {
    if (this._handle !== null) {
      this._handle.cancel();
      this._handle = null;
    }
    // An infinite deadline never fires; arming it would let a virtual clock jump to it.
    if (when === null || when === Number.POSITIVE_INFINITY) return;
    const loop: BaseEventLoop = (this._task as Task<unknown>)._loop;
    this._handle =
      when <= loop.time() ? loop.callSoon(fireScope, this) : loop.callAt(when, fireScope, this);
  }

  /** @internal The deadline passed or cancel() was called: cancel the task once. */
  _fire(): void {
    this._handle = null;
    if (this._state !== ENTERED) return;
    this._state = EXPIRING;
    (this._task as Task<unknown>).cancel();
  }

  /**
   * @internal Leaves the scope. True when the scope fired and no other cancellation of
   * the task is pending, i.e. a CancelledError leaving the body is this scope's own.
   */
  _exit(kind: string): boolean {
    if (this._state !== ENTERED && this._state !== EXPIRING) {
      throw new RuntimeError(
        this._state === CREATED
          ? `${kind} has not been entered`
          : `${kind} has already been exited (it is ${STATE_NAMES[this._state]})`,
      );
    }
    if (this._handle !== null) {
      this._handle.cancel();
      this._handle = null;
    }
    const task = this._task as Task<unknown>;
    this._task = null;
    if (this._state === EXPIRING) {
      this._state = EXPIRED;
      return task.uncancel() <= this._cancelling;
    }
    this._state = EXITED;
    return false;
  }

  /** @internal */
  _stateName(): string {
    return STATE_NAMES[this._state] as string;
  }

  /** console.log shows the repr, not the internals. */
  [INSPECT](): string {
    return this.toString();
  }
}

function* enter<T extends ScopeCore>(scope: T, kind: string): Coroutine<T> {
  scope._enter(kind);
  return scope;
}

/**
 * asyncio 3.13: an error (other than the CancelledError itself) that leaves an expired
 * scope gets a TimeoutError spliced into its `cause` chain, just above the CancelledError
 * it was raised from, so the chain says why the cancellation happened.
 */
function insertTimeoutError(exc: unknown): void {
  let e: unknown = exc;
  for (let depth = 0; e instanceof Error && depth < 100; depth++) {
    const cause: unknown = e.cause;
    if (isCancelledError(cause)) {
      Object.defineProperty(e, "cause", {
        value: new TimeoutError(undefined, { cause }),
        writable: true,
        configurable: true,
      });
      return;
    }
    e = cause;
  }
}

// ---------------------------------------------------------------- Timeout

/**
 * asyncio's `Timeout`: a scope that cancels the task that entered it when its deadline
 * passes, and turns that cancellation into {@link TimeoutError} as it leaves the scope.
 * Make one with {@link timeout} or {@link timeoutAt}; enter it with `asyncWith`.
 *
 * - Only the scope that expired raises `TimeoutError`: an inner scope that did not expire
 *   lets the outer one's cancellation through, and a task also cancelled from outside
 *   gets `CancelledError`, not `TimeoutError`.
 * - One use only; must be entered inside a task (`RuntimeError` otherwise).
 * - States: created → active → expiring → expired, or active → finished.
 *
 * @example
 * ```ts
 * function* main() {
 *   try {
 *     yield* asyncio.asyncWith(asyncio.timeout(10), function* (cm) {
 *       yield* longRunningTask();
 *     });
 *   } catch (e) {
 *     if (!(e instanceof asyncio.TimeoutError)) throw e;
 *     console.log("took more than 10 seconds");
 *   }
 * }
 * ```
 */
export class Timeout extends ScopeCore implements NonSuppressingAsyncContextManager<Timeout> {
  /** A Timeout with deadline `when` in loop time (`null`: none). Prefer {@link timeoutAt}. */
  constructor(when: number | null) {
    checkWhen(when, "Timeout()", "when");
    super(when);
  }

  /**
   * Moves the deadline (`null` removes it; a time already passed fires at once).
   * Throws `RuntimeError` unless the scope is active (entered, not expired, not exited).
   *
   * @example
   * ```ts
   * yield* asyncio.asyncWith(asyncio.timeout(null), function* (cm) {
   *   cm.reschedule(asyncio.getRunningLoop().time() + 5);
   *   yield* work();
   * });
   * ```
   */
  reschedule(when: number | null): void {
    checkWhen(when, "Timeout.reschedule()", "when");
    if (this._state !== ENTERED) {
      if (this._state === CREATED) throw new RuntimeError("Timeout has not been entered");
      throw new RuntimeError(`Cannot change state of ${this._stateName()} Timeout`);
    }
    this._when = when;
    this._arm(when);
  }

  /** Whether the deadline passed and the scope cancelled its task. */
  expired(): boolean {
    return this._state === EXPIRING || this._state === EXPIRED;
  }

  /** Enters the scope (`async with`): records the task and arms the deadline. */
  aenter(): Coroutine<Timeout> {
    return enter(this, "Timeout");
  }

  /**
   * Leaves the scope. If it expired and no other cancellation is pending, a
   * `CancelledError` from the body becomes `TimeoutError` (with the CancelledError as its
   * `cause`). Never suppresses an error.
   */
  *aexit(exc: unknown): Coroutine<undefined> {
    if (this._exit("Timeout") && exc !== undefined) {
      if (isCancelledError(exc)) throw new TimeoutError(undefined, { cause: exc });
      insertTimeoutError(exc);
      if (exc instanceof BaseExceptionGroup) for (const e of exc.exceptions) insertTimeoutError(e);
    }
    return undefined;
  }

  /** asyncio's repr: the deadline only while active, `None` when there is none. */
  override toString(): string {
    const state = this._stateName();
    if (this._state !== ENTERED) return `<Timeout [${state}]>`;
    const when = this._when === null ? "None" : roundedFloatRepr(this._when);
    return `<Timeout [${state}] when=${when}>`;
  }
}

/**
 * Python's `repr(round(x, 3))` for a float: ties at the third place go to even, an
 * integral value keeps its `.0`, infinities read `inf`.
 */
function roundedFloatRepr(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const scaled = x * 1000;
  let r = Number(x.toFixed(3));
  // An exact tie (x * 1000 ends in .5 exactly): toFixed rounds away from zero, Python to even.
  if (Math.abs(scaled % 1) === 0.5 && Number.isSafeInteger(scaled * 2)) {
    const down = Math.floor(scaled);
    r = (down % 2 === 0 ? down : down + 1) / 1000;
  }
  if (Math.abs(r) >= 1e16) return r.toExponential();
  return Number.isInteger(r) ? `${r}.0` : String(r);
}

function checkWhen(when: unknown, fn: string, arg: string): void {
  if (when === null) return;
  if (typeof when !== "number") {
    throw new TypeError(
      `${fn}: '${arg}' must be a number of seconds or null: received ${describe(when)}`,
    );
  }
  if (Number.isNaN(when)) throw new RangeError(`${fn}: '${arg}' must not be NaN`);
}

function deadlineAfter(delay: number | null, fn: string): number | null {
  checkWhen(delay, fn, "delay");
  return delay === null ? null : getRunningLoop().time() + delay;
}

/**
 * A {@link Timeout} scope whose deadline is `delay` seconds from now (`null`: no deadline,
 * which can be set later with `reschedule`). Raises {@link TimeoutError} out of the scope
 * when the deadline passes. Needs a running loop.
 *
 * Cancellation: a cancellation from outside the scope always propagates as
 * `CancelledError`, even if the deadline passed at the same time.
 *
 * @example
 * ```ts
 * yield* asyncio.asyncWith(asyncio.timeout(1.5), function* () {
 *   yield* asyncio.sleep(1); // done in time
 * });
 * ```
 */
export function timeout(delay: number | null): Timeout {
  return new Timeout(deadlineAfter(delay, "timeout()"));
}

/**
 * A {@link Timeout} scope with an absolute deadline `when`, in loop time
 * (`getRunningLoop().time()`); `null` for none.
 *
 * @example
 * ```ts
 * const deadline = asyncio.getRunningLoop().time() + 10;
 * yield* asyncio.asyncWith(asyncio.timeoutAt(deadline), function* () {
 *   yield* step1();
 *   yield* step2(); // both must finish by the deadline
 * });
 * ```
 */
export function timeoutAt(when: number | null): Timeout {
  checkWhen(when, "timeoutAt()", "when");
  return new Timeout(when);
}

// ---------------------------------------------------------------- waitFor

function releaseWaiter(waiter: Future<unknown>): void {
  if (!waiter.done()) waiter.setResult(undefined);
}

function* cancelAndWait(fut: Future<unknown>): Coroutine<void> {
  const waiter = getRunningLoop().createFuture<unknown>();
  const cb = (): void => releaseWaiter(waiter);
  fut.addDoneCallback(cb);
  try {
    fut.cancel();
    yield* waiter;
  } finally {
    fut.removeDoneCallback(cb);
  }
}

function* waitForImpl<T>(aw: AwaitableLike<T>, delay: number | null): Coroutine<T> {
  if (delay !== null && delay <= 0) {
    const fut = ensureFuture(aw);
    if (fut.done()) return fut.result();
    yield* cancelAndWait(fut);
    try {
      return fut.result();
    } catch (e) {
      if (isCancelledError(e)) throw new TimeoutError(undefined, { cause: e });
      throw e;
    }
  }
  const scope = timeout(delay);
  scope._enter("Timeout");
  let result: T;
  try {
    result = yield* awaitAny(aw);
  } catch (e) {
    yield* scope.aexit(e);
    throw e;
  }
  yield* scope.aexit(undefined);
  return result;
}

/**
 * Waits for `aw` to finish, for at most `timeout` seconds (`null`: no limit), and
 * evaluates to its result. As in asyncio 3.12+, it is `timeout(t)` around `yield* aw`:
 * a coroutine runs in the calling task (no new task is made); a Task or Future is awaited.
 *
 * - On timeout, `aw` is cancelled, `waitFor` waits until it has finished cancelling, then
 *   raises {@link TimeoutError}. If `aw` suppresses its cancellation and returns a value,
 *   `waitFor` returns that value instead.
 * - `timeout <= 0`: the result if `aw` is already done; otherwise `aw` is cancelled (a
 *   coroutine never starts) and `TimeoutError` raised once it has finished.
 * - Cancelling the task that waits cancels `aw` too and raises `CancelledError`.
 *
 * Errors: `TypeError` at the call if `aw` is not awaitable or `timeout` not a number/null.
 *
 * @example
 * ```ts
 * function* main() {
 *   try {
 *     yield* asyncio.waitFor(asyncio.sleep(3600), 1);
 *   } catch (e) {
 *     if (e instanceof asyncio.TimeoutError) console.log("timeout!");
 *     else throw e;
 *   }
 * }
 * ```
 */
export function waitFor<T>(aw: AwaitableLike<T>, timeout: number | null): Coroutine<T> {
  if (!isAwaitableLike(aw)) {
    throw new TypeError(
      `waitFor(): 'aw' must be a coroutine, Future, Task, awaitable or Promise: received ${describe(aw)}`,
    );
  }
  checkWhen(timeout, "waitFor()", "timeout");
  return waitForImpl(aw, timeout);
}

// ---------------------------------------------------------------- CancelScope

/**
 * Options of {@link CancelScope}.
 *
 * @example
 * ```ts
 * const scope = new asyncio.CancelScope({ deadline: asyncio.getRunningLoop().time() + 5 });
 * yield* asyncio.asyncWith(scope, function* () {
 *   yield* serveForever();
 * });
 * ```
 */
export interface CancelScopeOptions {
  /** The deadline in loop time (`loop.time()` seconds); none by default. */
  deadline?: number | null;
}

/**
 * Trio's cancel scope, on asyncio's mechanism: a scope whose body is cancelled when
 * {@link CancelScope.cancel} is called (from anywhere: another task, a callback, the body
 * itself) or when its deadline passes — and which then simply ends, without raising.
 * {@link moveOnAfter} and {@link moveOnAt} make one with a deadline.
 *
 * After the scope, {@link CancelScope.cancelledCaught} tells whether it ended the body
 * early. Only the scope's own cancellation is swallowed: a cancellation of the task from
 * outside, or an error, propagates. `cancel()` before entry cancels the body as soon as it
 * is entered; after exit it does nothing.
 *
 * @example
 * ```ts
 * const scope = new asyncio.CancelScope();
 * asyncio.getRunningLoop().callLater(5, () => scope.cancel()); // or from another task
 * yield* asyncio.asyncWith(scope, function* () {
 *   yield* serveForever();
 * });
 * console.log(scope.cancelledCaught); // true: stopped by cancel()
 * ```
 */
export class CancelScope extends ScopeCore implements AsyncContextManager<CancelScope> {
  /** @internal */
  private _cancelOnEnter = false;
  /** @internal */
  private _caught = false;

  constructor(options: CancelScopeOptions = {}) {
    const deadline = options.deadline ?? null;
    checkWhen(deadline, "CancelScope()", "deadline");
    super(deadline);
  }

  /**
   * Cancels the scope's body: the task gets `CancelledError` at its next `yield*` (at once
   * if it is suspended), and the scope swallows it on exit. Idempotent; callable from
   * anywhere; before entry it takes effect on entry; after exit it does nothing.
   */
  cancel(): void {
    if (this._state === CREATED) this._cancelOnEnter = true;
    else if (this._state === ENTERED) this._fire();
  }

  /**
   * Moves the deadline (`null` removes it; a time already passed fires at once). Allowed
   * before entry; after the scope fired or exited, throws `RuntimeError`.
   */
  reschedule(when: number | null): void {
    checkWhen(when, "CancelScope.reschedule()", "when");
    if (this._state === CREATED) {
      this._when = when;
      return;
    }
    if (this._state !== ENTERED) {
      throw new RuntimeError(`Cannot change state of ${this._stateName()} CancelScope`);
    }
    this._when = when;
    this._arm(when);
  }

  /** Whether the scope fired: `cancel()` was called or the deadline passed. */
  get cancelCalled(): boolean {
    return this._cancelOnEnter || this._state === EXPIRING || this._state === EXPIRED;
  }

  /** Whether the scope ended its body early: it swallowed its own `CancelledError`. */
  get cancelledCaught(): boolean {
    return this._caught;
  }

  /** Enters the scope (`async with`). */
  aenter(): Coroutine<CancelScope> {
    return this._enterScope();
  }

  /** Leaves the scope; returns `true` (suppress) when the body ended by this scope's cancellation. */
  *aexit(exc: unknown): Coroutine<boolean> {
    if (this._exit("CancelScope") && isCancelledError(exc)) {
      this._caught = true;
      return true;
    }
    return false;
  }

  override toString(): string {
    const when = this._when === null ? "" : ` deadline=${this._when}`;
    return `<CancelScope [${this._stateName()}]${when}>`;
  }

  /** @internal */
  private *_enterScope(): Coroutine<CancelScope> {
    this._enter("CancelScope");
    if (this._cancelOnEnter) {
      this._cancelOnEnter = false;
      this._fire();
    }
    return this;
  }
}

/**
 * Trio's `move_on_after`: a {@link CancelScope} whose body is cancelled after `delay`
 * seconds (`null`: never, unless `cancel()` is called), ending the scope quietly.
 * `scope.cancelledCaught` tells afterwards whether it did.
 *
 * @example
 * ```ts
 * const scope = asyncio.moveOnAfter(2);
 * const reply = yield* asyncio.asyncWith(scope, function* () {
 *   return yield* slowQuery();
 * });
 * if (scope.cancelledCaught) console.log("no reply within 2 s"); // reply is undefined
 * ```
 */
export function moveOnAfter(delay: number | null): CancelScope {
  return new CancelScope({ deadline: deadlineAfter(delay, "moveOnAfter()") });
}

/**
 * Trio's `move_on_at`: as {@link moveOnAfter} with an absolute deadline in loop time.
 *
 * @example
 * ```ts
 * const scope = asyncio.moveOnAt(asyncio.getRunningLoop().time() + 2);
 * yield* asyncio.asyncWith(scope, function* () { yield* poll(); });
 * ```
 */
export function moveOnAt(when: number | null): CancelScope {
  checkWhen(when, "moveOnAt()", "when");
  return new CancelScope({ deadline: when });
}
