/**
 * Synchronization primitives: Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier —
 * asyncio's, with its 3.11+ fairness and cancellation guarantees.
 *
 * Every waiting primitive (and the queues of `queues.ts`) parks its waiters on one
 * mechanism, {@link WaiterQueue}: a FIFO of Futures, each awaited by exactly one task.
 * A woken waiter stays at its place until its task runs and removes itself, so a newcomer
 * always sees that someone is ahead of it (no barging), and a waiter that is cancelled at
 * the moment it is woken can hand its wakeup to the next one (no wakeup is ever lost).
 *
 * None of them is bound to a loop when created: a primitive uses the running loop of the
 * task that waits on it, so one Lock can serve several loops one after another. Only while
 * tasks are parked on it is it tied to their loop.
 *
 * Every primitive that guards a critical section is an async context manager
 * (`aenter()` / `aexit()`, for `asyncWith`) and has the short form `with(body)`:
 *
 * ```ts
 * yield* lock.with(function* () {
 *   // the lock is held here, and released on return, on error and on cancellation
 * });
 * ```
 *
 * or, without a closure, `hold()` with a `using` declaration (releases when the block is
 * left, however it is left):
 *
 * ```ts
 * using _held = yield* lock.hold();
 * ```
 *
 * Not thread-safe, as asyncio's: JavaScript has one thread per loop anyway.
 *
 * @module
 */

import type { BaseEventLoop } from "./core/base_events.js";
import type { Awaitable, Coroutine, Suspend } from "./core/coroutines.js";
import { _inheritIteratorPrototype, describe } from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import { BrokenBarrierError, isCancelledError, RuntimeError } from "./core/exceptions.js";
import { CANCELLED, type Future, PENDING } from "./core/futures.js";
import { _noteWait } from "./core/observer.js";
import { _resumedFrom, _suspendOn } from "./core/suspend.js";
import { Operation } from "./operation.js";

// ------------------------------------------------------------------ the waiter queue

/**
 * @internal
 * A FIFO of parked waiters, each a Future that exactly one task awaits. A ring buffer: push
 * at the back, removal at the front in O(1) (the common case: the woken head removes
 * itself), removal from the middle (a cancelled waiter) in O(n).
 *
 * Waking never removes: the woken Future stays in place until its task resumes and calls
 * `remove`. That is what lets Lock and Semaphore see "someone is already woken" and refuse
 * newcomers, and what lets a waiter cancelled after its wakeup pass that wakeup on.
 */
export class WaiterQueue {
  /** @internal */
  private _buf: Array<Future<boolean> | undefined> | null = null;
  /** @internal */
  private _head = 0;
  /** @internal */
  private _mask = 0;
  /** How many waiters are parked (woken ones included, until they remove themselves). */
  length = 0;
  /** @internal */
  private _loop: BaseEventLoop | null = null;

  /**
   * Appends a new waiter Future on the running loop and returns it. Throws RuntimeError
   * when no loop is running, or when `owner` still has waiters parked on another loop.
   */
  park(owner: object): Future<boolean> {
    const loop = getRunningLoop();
    if (loop !== this._loop) {
      if (this.length > 0) {
        throw new RuntimeError(`${String(owner)} is bound to a different event loop`);
      }
      this._loop = loop;
    }
    const fut = loop.createFuture<boolean>();
    _noteWait(loop, fut, owner);
    let buf = this._buf;
    if (buf === null) {
      buf = this._buf = new Array<Future<boolean> | undefined>(4);
      this._mask = 3;
    } else if (this.length === buf.length) {
      buf = this._grow(buf);
    }
    buf[(this._head + this.length) & this._mask] = fut;
    this.length++;
    return fut;
  }

  /** The waiter at position `i` (0 is the head). */
  at(i: number): Future<boolean> {
    return (this._buf as Array<Future<boolean>>)[(this._head + i) & this._mask] as Future<boolean>;
  }

  /** Removes `fut` if it is parked here; keeps the order of the others. */
  remove(fut: Future<boolean>): void {
    const buf = this._buf;
    if (buf === null || this.length === 0) return;
    const mask = this._mask;
    if (buf[this._head] === fut) {
      buf[this._head] = undefined;
      this._head = (this._head + 1) & mask;
      this.length--;
      return;
    }
    for (let i = 1; i < this.length; i++) {
      if (buf[(this._head + i) & mask] === fut) {
        for (let j = i; j < this.length - 1; j++) {
          buf[(this._head + j) & mask] = buf[(this._head + j + 1) & mask];
        }
        buf[(this._head + this.length - 1) & mask] = undefined;
        this.length--;
        return;
      }
    }
  }

  /**
   * Wakes the head waiter if it is still waiting: the Lock's rule. Only the head — if it
   * was already woken, or cancelled and not yet run, its task hands the wakeup on when it
   * runs; waking a later waiter as well would let two tasks take the lock.
   */
  wakeHead(): void {
    if (this.length === 0) return;
    const fut = this.at(0);
    if (fut._state === PENDING) fut.setResult(true);
  }

  /** Wakes the first waiter still waiting; returns whether there was one. */
  wakeFirst(): boolean {
    for (let i = 0; i < this.length; i++) {
      const fut = this.at(i);
      if (fut._state === PENDING) {
        fut.setResult(true);
        return true;
      }
    }
    return false;
  }

  /** Wakes up to `n` waiters still waiting, in order; returns how many were woken. */
  wakeUpTo(n: number, value: boolean): number {
    let woken = 0;
    for (let i = 0; i < this.length && woken < n; i++) {
      const fut = this.at(i);
      if (fut._state === PENDING) {
        fut.setResult(value);
        woken++;
      }
    }
    return woken;
  }

  /** Whether some parked waiter is not cancelled (waiting, or woken and about to run). */
  hasLive(): boolean {
    const buf = this._buf;
    if (buf === null) return false;
    for (let i = 0; i < this.length; i++) {
      if ((buf[(this._head + i) & this._mask] as Future<boolean>)._state !== CANCELLED) {
        return true;
      }
    }
    return false;
  }

  /** @internal */
  private _grow(old: Array<Future<boolean> | undefined>): Array<Future<boolean> | undefined> {
    const buf = new Array<Future<boolean> | undefined>(old.length * 2);
    for (let i = 0; i < this.length; i++) buf[i] = old[(this._head + i) & this._mask];
    this._buf = buf;
    this._head = 0;
    this._mask = buf.length - 1;
    return buf;
  }
}

const FINISHED_RESULT: IteratorResult<Suspend, undefined> = { done: true, value: undefined };
const FINISHED_ITERATOR: Iterator<Suspend, undefined, unknown> = { next: () => FINISHED_RESULT };
/** An awaitable that is already done: what `aexit()` returns once it released, eagerly. */
const NOTHING: Awaitable<undefined> = { [Symbol.iterator]: () => FINISHED_ITERATOR };

/** Number of waiters in a repr: `, waiters:2`, or nothing. */
function waitersText(waiters: WaiterQueue): string {
  return waiters.length > 0 ? `, waiters:${waiters.length}` : "";
}

function checkBody(what: string, body: unknown): void {
  if (typeof body !== "function") {
    throw new TypeError(
      `${what}.with(): 'body' must be a generator function: received ${describe(body)}`,
    );
  }
}

/** What `hold()` evaluates to: disposing it releases what was acquired, once. */
class Held implements Disposable {
  constructor(private _owner: { release(): void } | null) {}

  [Symbol.dispose](): void {
    const owner = this._owner;
    if (owner !== null) {
      this._owner = null;
      owner.release();
    }
  }
}

// ------------------------------------------------------------------ Lock

/**
 * A mutual-exclusion lock, as asyncio's `Lock`.
 *
 * Fairness: strict FIFO. A task that finds the lock held, or finds other tasks already
 * waiting, queues behind them; release hands the turn to the first waiter, and nobody can
 * take the lock before that waiter has run (no barging).
 *
 * Cancellation: a cancelled `acquire()` throws `CancelledError` and leaves the lock as it
 * was; if it had just been woken, the wakeup goes to the next waiter, so none is lost.
 *
 * Errors: `release()` of an unlocked lock throws {@link RuntimeError}.
 *
 * @example
 * ```ts
 * const lock = new asyncio.Lock();
 * function* worker() {
 *   yield* lock.with(function* () {
 *     yield* asyncio.sleep(0.1); // only one worker at a time in here
 *   });
 * }
 * ```
 */
export class Lock {
  /** @internal */
  readonly _waiters = new WaiterQueue();
  /** @internal */
  _locked = false;

  /** Whether the lock is held. */
  locked(): boolean {
    return this._locked;
  }

  /**
   * Waits until the lock is free and this task's turn has come, then takes it; evaluates
   * to `true`. Never suspends when the lock is free and nobody is waiting.
   *
   * Cancellation: throws `CancelledError` without holding the lock; a wakeup it received
   * is passed to the next waiter.
   *
   * @example
   * ```ts
   * yield* lock.acquire();
   * try { yield* work(); } finally { lock.release(); }
   * ```
   */
  acquire(): Coroutine<boolean> {
    return new LockAcquire(this, true);
  }

  /** @internal Takes the lock if nobody could be ahead of us. */
  _tryAcquire(): boolean {
    // A waiter that was woken but has not run yet is still parked, so it blocks newcomers.
    if (!this._locked && (this._waiters.length === 0 || !this._waiters.hasLive())) {
      this._locked = true;
      return true;
    }
    return false;
  }

  /**
   * Releases the lock and wakes the first waiter. Throws {@link RuntimeError}
   * ("Lock is not acquired.") if the lock is not held.
   *
   * @example
   * ```ts
   * yield* lock.acquire();
   * console.log(lock.locked()); // true
   * lock.release();
   * console.log(lock.locked()); // false
   * ```
   */
  release(): void {
    if (!this._locked) throw new RuntimeError("Lock is not acquired.");
    this._locked = false;
    this._waiters.wakeHead();
  }

  /**
   * Runs `body` holding the lock (Python's `async with lock:`), and releases it however
   * the body ends: return, error or cancellation. Evaluates to the body's result.
   *
   * @example
   * ```ts
   * const n = yield* lock.with(function* () {
   *   yield* asyncio.sleep(0);
   *   return 42;
   * });
   * ```
   */
  with<R>(body: () => Coroutine<R>): Coroutine<R> {
    checkBody("Lock", body);
    return this._with(body);
  }

  /** @internal */
  private *_with<R>(body: () => Coroutine<R>): Coroutine<R> {
    if (!this._locked && this._waiters.length === 0) this._locked = true;
    else yield* new LockAcquire(this, undefined);
    try {
      return yield* body();
    } finally {
      this.release();
    }
  }

  /**
   * Acquires the lock (as {@link acquire}) and evaluates to a guard that releases it when
   * disposed: with a `using` declaration, the lock is released when the block is left —
   * by return, error or cancellation — and no closure is needed. Disposing the guard a
   * second time does nothing.
   *
   * @example
   * ```ts
   * let counter = 0;
   * function* increment() {
   *   using _held = yield* lock.hold();
   *   const v = counter;
   *   yield* asyncio.sleep(0);
   *   counter = v + 1;
   * } // released here
   * yield* asyncio.gather(increment(), increment(), increment());
   * console.log(counter); // 3: without the lock, 1
   * ```
   */
  hold(): Coroutine<Disposable> {
    return new LockAcquire<Disposable>(this, new Held(this));
  }

  /** The async context manager protocol (`asyncWith(lock, ...)`): acquires. */
  aenter(): Coroutine<undefined> {
    return new LockAcquire(this, undefined);
  }

  /** The async context manager protocol: releases; never suppresses the error. */
  aexit(_exc: unknown): Awaitable<undefined> {
    this.release();
    return NOTHING;
  }

  toString(): string {
    return `<Lock [${this._locked ? "locked" : "unlocked"}${waitersText(this._waiters)}]>`;
  }
}

/**
 * `lock.acquire()`: the hot path of a contended lock, so written as a small state machine
 * rather than a generator. It awaits its waiter Future with the two steps of `yield* fut`
 * (`_suspendOn`, `_resumedFrom`), without the Future's iterator and its extra result object. If the wait fails (cancellation) while the lock is free,
 * it wakes the head waiter: we may have been woken ourselves, and the wakeup must not be
 * lost.
 */
/** Not awaited yet: the first `next()` takes the lock or parks a waiter. */
const NOT_STARTED = 0;
/** Parked: suspended on the waiter Future `_fut`. */
const WAITING = 1;
/** Acquired, failed or closed. */
const FINISHED = 2;
type LockAcquireState = typeof NOT_STARTED | typeof WAITING | typeof FINISHED;

// A Generator by its prototype chain (see `_inheritIteratorPrototype`, after the class);
// this interface, merged with the class, says so to the type checker.
// biome-ignore lint/correctness/noUnusedVariables: merged with the class below.
interface LockAcquire<R> extends Coroutine<R> {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
class LockAcquire<R> implements Coroutine<R> {
  private _state: LockAcquireState = NOT_STARTED;
  private _fut: Future<boolean> | null = null;

  constructor(
    private readonly _lock: Lock,
    private readonly _result: R,
  ) {}

  next(_value?: unknown): IteratorResult<Suspend, R> {
    const lock = this._lock;
    if (this._state === NOT_STARTED) {
      this._state = FINISHED;
      if (lock._tryAcquire()) return { done: true, value: this._result };
      const fut = lock._waiters.park(lock);
      this._fut = fut;
      this._state = WAITING;
      return _suspendOn(fut);
    }
    if (this._state === WAITING) {
      const fut = this._fut as Future<boolean>;
      this._finish();
      try {
        _resumedFrom(fut);
      } catch (e) {
        lock._waiters.remove(fut);
        if (!lock._locked) lock._waiters.wakeHead();
        throw e;
      }
      lock._waiters.remove(fut);
      lock._locked = true;
      return { done: true, value: this._result };
    }
    return { done: true, value: undefined as never };
  }

  throw(e?: unknown): IteratorResult<Suspend, R> {
    if (this._state === WAITING) this._abandon();
    this._state = FINISHED;
    throw e;
  }

  return(value?: R): IteratorResult<Suspend, R> {
    if (this._state === WAITING) this._abandon();
    this._state = FINISHED;
    return { done: true, value: value as R };
  }

  [Symbol.iterator](): this {
    return this;
  }

  [Symbol.dispose](): void {
    this.return();
  }

  private _finish(): void {
    this._state = FINISHED;
    this._fut = null;
  }

  /** Leaves the queue without the lock; a wakeup we had goes to the next waiter. */
  private _abandon(): void {
    const lock = this._lock;
    const fut = this._fut as Future<boolean>;
    this._finish();
    lock._waiters.remove(fut);
    if (!lock._locked) lock._waiters.wakeHead();
  }
}
_inheritIteratorPrototype(LockAcquire);

// ------------------------------------------------------------------ Event

/**
 * An event flag tasks can wait for, as asyncio's `Event`: `set()` wakes every waiter,
 * `clear()` resets the flag.
 *
 * A waiter woken by `set()` returns `true` even if `clear()` is called before it runs.
 *
 * Cancellation: a cancelled `wait()` throws `CancelledError` and leaves the event as it was.
 *
 * @example
 * ```ts
 * const ready = new asyncio.Event();
 * asyncio.createTask((function* () { yield* ready.wait(); console.log("go"); })());
 * yield* asyncio.sleep(1);
 * ready.set(); // prints "go"
 * ```
 */
export class Event {
  /** @internal */
  readonly _waiters = new WaiterQueue();
  /** @internal */
  _value = false;

  /** Whether the flag is set. */
  isSet(): boolean {
    return this._value;
  }

  /**
   * Sets the flag and wakes every task waiting for it. Later `wait()` calls return at once
   * until `clear()`.
   */
  set(): void {
    if (!this._value) {
      this._value = true;
      this._waiters.wakeUpTo(this._waiters.length, true);
    }
  }

  /** Resets the flag: later `wait()` calls block until the next `set()`. */
  clear(): void {
    this._value = false;
  }

  /**
   * Waits until the flag is set; evaluates to `true`. Returns at once, without
   * suspending, if it is set already.
   *
   * Cancellation: throws `CancelledError`; the event is unchanged.
   *
   * @example
   * ```ts
   * asyncio.getRunningLoop().callLater(1, () => event.set());
   * console.log(yield* event.wait()); // true, a second later
   * ```
   */
  wait(): Coroutine<true> {
    return this._wait();
  }

  /** @internal */
  private *_wait(): Coroutine<true> {
    if (this._value) return true;
    const fut = this._waiters.park(this);
    try {
      yield* fut;
      return true;
    } finally {
      this._waiters.remove(fut);
    }
  }

  toString(): string {
    return `<Event [${this._value ? "set" : "unset"}${waitersText(this._waiters)}]>`;
  }
}

// ------------------------------------------------------------------ Condition

/**
 * A condition variable, as asyncio's `Condition`: tasks holding its lock wait until
 * another task notifies them.
 *
 * - `wait()` releases the lock, waits for a notification, and always re-acquires the lock
 *   before returning or throwing, even when cancelled (then re-throwing the same
 *   `CancelledError`).
 * - A waiter that fails after being notified passes the notification to another waiter.
 * - `wait()`, `notify()` and `notifyAll()` throw {@link RuntimeError} unless the lock is held.
 *
 * Several Conditions may share one Lock (pass it to the constructor).
 *
 * @example
 * ```ts
 * const cond = new asyncio.Condition();
 * let items: number[] = [];
 * function* consumer() {
 *   yield* cond.with(function* () {
 *     yield* cond.waitFor(() => items.length > 0);
 *     console.log(items.shift());
 *   });
 * }
 * function* producer() {
 *   yield* cond.with(function* () {
 *     items.push(1);
 *     cond.notify();
 *   });
 * }
 * ```
 */
export class Condition {
  /** @internal */
  readonly _lock: Lock;
  /** @internal */
  readonly _waiters = new WaiterQueue();

  /**
   * @param lock the Lock to use; a new one by default. Throws `TypeError` if it is not a
   * {@link Lock}.
   */
  constructor(lock?: Lock) {
    if (lock === undefined) lock = new Lock();
    else if (!(lock instanceof Lock)) {
      throw new TypeError(
        `Cannot create Condition: 'lock' must be an asyncio Lock: received ${describe(lock)}`,
      );
    }
    this._lock = lock;
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this._lock._locked;
  }

  /** Acquires the underlying lock (see {@link Lock.acquire}). */
  acquire(): Coroutine<boolean> {
    return this._lock.acquire();
  }

  /** Releases the underlying lock (see {@link Lock.release}). */
  release(): void {
    this._lock.release();
  }

  /**
   * Releases the lock, waits until notified, re-acquires the lock; evaluates to `true`.
   * Throws {@link RuntimeError} ("cannot wait on un-acquired lock") if the lock is not held.
   *
   * Cancellation: the lock is re-acquired first (the task waits for it even though it was
   * cancelled), then the same `CancelledError` is thrown. If the task had already been
   * notified, the notification goes to another waiter.
   *
   * @example
   * ```ts
   * yield* cond.with(function* () {
   *   while (!ready) yield* cond.wait();
   * });
   * ```
   */
  *wait(): Coroutine<true> {
    if (!this._lock._locked) throw new RuntimeError("cannot wait on un-acquired lock");
    this._lock.release();
    let failed = false;
    let error: unknown;
    try {
      const fut = this._waiters.park(this);
      try {
        yield* fut;
      } finally {
        this._waiters.remove(fut);
      }
    } catch (e) {
      failed = true;
      error = e;
    }
    // Re-acquire even if cancelled: the caller's `with` block will release the lock, which
    // must then be held. Only cancellation is retried; any other error propagates.
    for (;;) {
      try {
        yield* this._lock.acquire();
        break;
      } catch (e) {
        failed = true;
        error = e;
        if (!isCancelledError(e)) break;
      }
    }
    if (failed) {
      // We may have been notified before failing: hand the notification on (a spurious
      // wakeup for someone is allowed; a lost one is not).
      this._waiters.wakeUpTo(1, false);
      throw error;
    }
    return true;
  }

  /**
   * Waits until `predicate()` is truthy, calling `wait()` between checks; evaluates to the
   * predicate's last result. The lock must be held.
   *
   * Cancellation: as {@link wait}; the lock is held when the error propagates.
   *
   * @example
   * ```ts
   * const items: string[] = [];
   * function* produce() {
   *   yield* asyncio.sleep(1);
   *   yield* cond.with(function* () {
   *     items.push("apple");
   *     cond.notify();
   *   });
   * }
   * asyncio.createTask(produce());
   * yield* cond.with(function* () {
   *   const item = yield* cond.waitFor(() => items.shift());
   *   console.log(item); // apple
   * });
   * ```
   */
  waitFor<T>(predicate: () => T): Coroutine<T> {
    if (typeof predicate !== "function") {
      throw new TypeError(
        `Condition.waitFor(): 'predicate' must be a function: received ${describe(predicate)}`,
      );
    }
    return this._waitFor(predicate);
  }

  /** @internal */
  private *_waitFor<T>(predicate: () => T): Coroutine<T> {
    let result = predicate();
    while (!result) {
      yield* this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` tasks waiting on this condition (1 by default). The lock must be held
   * ({@link RuntimeError} "cannot notify on un-acquired lock"); `n` must be a non-negative
   * integer or `Infinity` (`RangeError`).
   *
   * @example
   * ```ts
   * yield* cond.with(function* () { cond.notify(2); });
   * ```
   */
  notify(n = 1): void {
    if (typeof n !== "number" || !(n >= 0) || (!Number.isInteger(n) && n !== Infinity)) {
      const err = typeof n === "number" ? RangeError : TypeError;
      throw new err(
        `Condition.notify(): 'n' must be a non-negative integer: received ${describe(n)}`,
      );
    }
    if (!this._lock._locked) throw new RuntimeError("cannot notify on un-acquired lock");
    this._waiters.wakeUpTo(n, false);
  }

  /** Wakes every task waiting on this condition. The lock must be held. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /**
   * Runs `body` holding the underlying lock (Python's `async with cond:`), releasing it
   * however the body ends. Evaluates to the body's result.
   */
  with<R>(body: () => Coroutine<R>): Coroutine<R> {
    checkBody("Condition", body);
    return this._lock.with(body);
  }

  /** Acquires the underlying lock and evaluates to a guard releasing it (see {@link Lock.hold}). */
  hold(): Coroutine<Disposable> {
    return this._lock.hold();
  }

  /** The async context manager protocol: acquires the lock. */
  aenter(): Coroutine<undefined> {
    return this._lock.aenter();
  }

  /** The async context manager protocol: releases the lock. */
  aexit(exc: unknown): Awaitable<undefined> {
    return this._lock.aexit(exc);
  }

  toString(): string {
    const state = this._lock._locked ? "locked" : "unlocked";
    return `<Condition [${state}${waitersText(this._waiters)}]>`;
  }
}

// ------------------------------------------------------------------ Semaphore

/**
 * A counter of permits, as asyncio's `Semaphore`: `acquire()` takes one (waiting while
 * there are none), `release()` gives one back.
 *
 * Fairness (the 3.11+ rules): strict FIFO. While tasks are waiting, a newcomer queues
 * behind them even if a permit is free, so nobody is overtaken; `locked()` says whether an
 * `acquire()` would have to wait.
 *
 * Cancellation: a cancelled `acquire()` throws `CancelledError` without holding a permit;
 * a permit it had just been handed goes back and on to the next waiter.
 *
 * Errors: the constructor throws `RangeError` for a negative or non-integer `value`.
 *
 * @example
 * ```ts
 * const sem = new asyncio.Semaphore(3); // at most 3 downloads at a time
 * let running = 0;
 * function* download(url: string) {
 *   return yield* sem.with(function* () {
 *     running++;
 *     console.log("downloading", running); // never more than 3
 *     yield* asyncio.sleep(1);
 *     running--;
 *     return `<body of ${url}>`;
 *   });
 * }
 * const pages = yield* asyncio.gather(...[1, 2, 3, 4, 5].map((n) => download(`https://example.com/${n}`)));
 * console.log(pages.length); // 5
 * ```
 */
export class Semaphore {
  /** @internal */
  readonly _waiters = new WaiterQueue();
  /** @internal */
  _value: number;

  /** @param value the initial number of permits (1 by default), a non-negative integer. */
  constructor(value = 1) {
    checkCount(new.target.name, "value", value, 0);
    this._value = value;
  }

  /**
   * Whether `acquire()` would wait: no permit is free, or tasks are already waiting ahead.
   */
  locked(): boolean {
    return this._value === 0 || (this._waiters.length > 0 && this._waiters.hasLive());
  }

  /**
   * Takes a permit, waiting for one (behind every task already waiting); evaluates to
   * `true`. Never suspends when a permit is free and nobody waits.
   *
   * Cancellation: throws `CancelledError` holding no permit; a permit handed to it just
   * before is given to the next waiter.
   */
  acquire(): Coroutine<boolean> {
    return new SemaphoreAcquire(this);
  }

  /** @internal */
  *_acquire(): Coroutine<boolean> {
    if (!this.locked()) {
      this._value--;
      return true;
    }
    const waiters = this._waiters;
    const fut = waiters.park(this);
    try {
      try {
        yield* fut;
      } finally {
        waiters.remove(fut);
      }
    } catch (e) {
      // The permit was already counted out for us by the wakeup: give it back.
      if (fut.done() && !fut.cancelled()) this._value++;
      throw e;
    } finally {
      // Newcomers that had to queue behind us while a permit was free must not stay
      // parked once we are gone: wake as many as there are permits.
      while (this._value > 0 && this._wakeUpNext()) {}
    }
    return true;
  }

  /** Gives a permit back and wakes the first waiter. */
  release(): void {
    this._value++;
    this._wakeUpNext();
  }

  /** @internal Hands one permit to the first waiter still waiting. */
  _wakeUpNext(): boolean {
    if (this._waiters.wakeFirst()) {
      this._value--;
      return true;
    }
    return false;
  }

  /**
   * Runs `body` holding a permit (Python's `async with sem:`), giving it back however the
   * body ends. Evaluates to the body's result.
   *
   * @example
   * ```ts
   * yield* sem.with(function* () { yield* asyncio.sleep(1); });
   * ```
   */
  with<R>(body: () => Coroutine<R>): Coroutine<R> {
    checkBody(this.constructor.name, body);
    return this._with(body);
  }

  /** @internal */
  private *_with<R>(body: () => Coroutine<R>): Coroutine<R> {
    yield* this._acquire();
    try {
      return yield* body();
    } finally {
      this.release();
    }
  }

  /**
   * Takes a permit (as {@link acquire}) and evaluates to a guard that gives it back when
   * disposed, for a `using` declaration. Disposing it a second time does nothing.
   *
   * @example
   * ```ts
   * using _permit = yield* sem.hold();
   * yield* download(url);
   * ```
   */
  *hold(): Coroutine<Disposable> {
    yield* this._acquire();
    return new Held(this);
  }

  /** The async context manager protocol: acquires a permit. */
  *aenter(): Coroutine<undefined> {
    yield* this._acquire();
    return undefined;
  }

  /** The async context manager protocol: releases the permit. */
  aexit(_exc: unknown): Awaitable<undefined> {
    this.release();
    return NOTHING;
  }

  toString(): string {
    const state = this.locked() ? "locked" : `unlocked, value:${this._value}`;
    return `<${this.constructor.name} [${state}${waitersText(this._waiters)}]>`;
  }
}

class SemaphoreAcquire extends Operation<boolean> {
  constructor(private readonly _sem: Semaphore) {
    super();
  }
  protected _fast(): boolean {
    const sem = this._sem;
    if (sem.locked()) return false;
    sem._value--;
    this._value = true;
    return true;
  }
  protected _slow(): Coroutine<boolean> {
    return this._sem._acquire();
  }
}

function checkCount(cls: string, name: string, value: unknown, min: number): void {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create ${cls}: '${name}' must be a number: received ${describe(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < min) {
    const what = min === 0 ? "a non-negative integer" : "a positive integer";
    throw new RangeError(`Cannot create ${cls}: '${name}' must be ${what}: received ${value}`);
  }
}

/**
 * A {@link Semaphore} that refuses to go above its initial value: releasing more often
 * than acquiring is a bug, reported with `RangeError`
 * ("BoundedSemaphore released too many times").
 *
 * @example
 * ```ts
 * const sem = new asyncio.BoundedSemaphore(2);
 * try {
 *   sem.release(); // never acquired
 * } catch (e) {
 *   console.log(String(e)); // RangeError: BoundedSemaphore released too many times
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal */
  readonly _boundValue: number;

  constructor(value = 1) {
    super(value);
    this._boundValue = value;
  }

  /** Gives a permit back. Throws `RangeError` if that would exceed the initial value. */
  override release(): void {
    if (this._value >= this._boundValue) {
      throw new RangeError("BoundedSemaphore released too many times");
    }
    super.release();
  }
}

// ------------------------------------------------------------------ Barrier

/**
 * The states of a {@link Barrier}, as asyncio's `_BarrierState`:
 * - filling: tasks arrive and wait for the last one;
 * - draining: the last task arrived and the waiters are leaving; newcomers wait until
 *   they are gone;
 * - resetting: `reset()` was called while tasks waited; they leave with BrokenBarrierError;
 * - broken: `abort()` was called; every wait fails until `reset()`.
 */
type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * A barrier, as asyncio's `Barrier` (3.11): `wait()` blocks until `parties` tasks are
 * waiting, then releases them all together; it can then be used again.
 *
 * - `wait()` evaluates to the arrival index, 0 to `parties - 1`.
 * - `abort()` breaks the barrier: waiting and later `wait()` calls throw
 *   {@link BrokenBarrierError} until `reset()`.
 * - `reset()` returns it to empty; tasks waiting at that moment get BrokenBarrierError.
 *
 * Cancellation: a cancelled `wait()` throws `CancelledError` and no longer counts as
 * arrived.
 *
 * Errors: the constructor throws `RangeError` unless `parties` is a positive integer.
 *
 * @example
 * ```ts
 * const barrier = new asyncio.Barrier(3);
 * function* runner(i: number) {
 *   yield* asyncio.sleep(i);
 *   const index = yield* barrier.wait(); // all three leave at t = 2
 * }
 * ```
 */
export class Barrier {
  /** @internal */
  private readonly _cond = new Condition();
  /** @internal */
  private readonly _parties: number;
  /** @internal */
  private _state: BarrierState = "filling";
  /** @internal */
  private _count = 0;

  /** @param parties how many tasks must wait before all are released (≥ 1). */
  constructor(parties: number) {
    checkCount("Barrier", "parties", parties, 1);
    this._parties = parties;
  }

  /**
   * Waits until `parties` tasks are waiting; evaluates to this task's arrival index.
   * Throws {@link BrokenBarrierError} if the barrier is broken, or is reset or aborted
   * while waiting.
   *
   * Cancellation: throws `CancelledError`; the task no longer counts as arrived.
   */
  *wait(): Coroutine<number> {
    const cond = this._cond;
    yield* cond._lock.acquire();
    try {
      yield* this._block();
      const index = this._count;
      this._count++;
      try {
        if (index + 1 === this._parties) {
          this._state = "draining";
          cond.notifyAll();
        } else {
          yield* cond.waitFor(() => this._state !== "filling");
          if (this._state === "broken" || this._state === "resetting") {
            throw new BrokenBarrierError("Abort or reset of barrier");
          }
        }
        return index;
      } finally {
        this._count--;
        this._exit();
      }
    } finally {
      cond._lock.release();
    }
  }

  /** @internal Blocks while the barrier drains or resets; fails if it is broken. */
  private *_block(): Coroutine<void> {
    yield* this._cond.waitFor(() => this._state !== "draining" && this._state !== "resetting");
    if (this._state === "broken") throw new BrokenBarrierError("Barrier aborted");
  }

  /** @internal The last task out lets the next round in. */
  private _exit(): void {
    if (this._count === 0) {
      if (this._state === "resetting" || this._state === "draining") {
        this._state = "filling";
      }
      this._cond.notifyAll();
    }
  }

  /**
   * Returns the barrier to its empty state. Tasks waiting at that moment throw
   * {@link BrokenBarrierError}; a broken barrier becomes usable again.
   */
  *reset(): Coroutine<void> {
    const lock = this._cond._lock;
    yield* lock.acquire();
    try {
      // Tasks still inside wait() must leave with BrokenBarrierError before it refills.
      this._state = this._count > 0 ? "resetting" : "filling";
      this._cond.notifyAll();
    } finally {
      lock.release();
    }
  }

  /**
   * Breaks the barrier: waiting tasks and every later `wait()` throw
   * {@link BrokenBarrierError}, until `reset()`.
   */
  *abort(): Coroutine<void> {
    const lock = this._cond._lock;
    yield* lock.acquire();
    try {
      this._state = "broken";
      this._cond.notifyAll();
    } finally {
      lock.release();
    }
  }

  /** How many tasks must wait for the barrier to release them. */
  get parties(): number {
    return this._parties;
  }

  /** How many tasks are waiting for the barrier to fill (0 while it drains or resets). */
  get nWaiting(): number {
    return this._state === "filling" ? this._count : 0;
  }

  /** Whether the barrier is broken (aborted and not reset since). */
  get broken(): boolean {
    return this._state === "broken";
  }

  /** The async context manager protocol: `aenter()` is `wait()`, its index the value. */
  aenter(): Coroutine<number> {
    return this.wait();
  }

  /** The async context manager protocol: nothing to do on exit. */
  aexit(_exc: unknown): Awaitable<undefined> {
    return NOTHING;
  }

  toString(): string {
    const waiting = this._state === "filling" ? `, waiters:${this._count}/${this._parties}` : "";
    return `<Barrier [${this._state}${waiting}]>`;
  }
}
