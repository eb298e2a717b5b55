/**
 * Waiting on several Futures at once: `wait`, `asCompleted`, and `shield`.
 *
 * @module
 */

import type { BaseEventLoop } from "./core/base_events.js";
import {
  type AwaitableLike,
  type AwaitedResult,
  type Coroutine,
  describe,
  iscoroutine,
} from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import { TimeoutError } from "./core/exceptions.js";
import { type Future, isfuture } from "./core/futures.js";
import type { TimerHandle } from "./core/handles.js";
import type { Task } from "./core/tasks.js";
import { futureAddToAwaitedBy, futureDiscardFromAwaitedBy } from "./debug/graph.js";
import { ensureFuture, isAwaitableLike } from "./tasks.js";

// ---------------------------------------------------------------- wait

/**
 * `wait()` returns when any future finishes or is cancelled.
 *
 * @example
 * ```ts
 * const [done, pending] = yield* asyncio.wait(tasks, { returnWhen: asyncio.FIRST_COMPLETED });
 * ```
 */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * `wait()` returns when any future finishes with an error, or when all are done.
 *
 * @example
 * ```ts
 * const [done, pending] = yield* asyncio.wait(tasks, { returnWhen: asyncio.FIRST_EXCEPTION });
 * for (const t of pending) t.cancel();
 * ```
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/**
 * `wait()` returns when all futures are done (the default).
 *
 * @example
 * ```ts
 * const [done] = yield* asyncio.wait(tasks, { returnWhen: asyncio.ALL_COMPLETED }); // the default
 * ```
 */
export const ALL_COMPLETED = "ALL_COMPLETED";

/**
 * When {@link wait} returns.
 *
 * @example
 * ```ts
 * const failFast = true;
 * const returnWhen: asyncio.ReturnWhen = failFast ? asyncio.FIRST_EXCEPTION : asyncio.ALL_COMPLETED;
 * const [done, pending] = yield* asyncio.wait(tasks, { returnWhen });
 * console.log(done.size, pending.size); // 2 0: neither failed, so wait() waited for both
 * ```
 */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * Options of {@link wait}.
 *
 * @example
 * ```ts
 * const [done, pending] = yield* asyncio.wait(tasks, { timeout: 5, returnWhen: asyncio.FIRST_COMPLETED });
 * ```
 */
export interface WaitOptions {
  /** Return after this many seconds even if the condition is not met; `null`: no limit. */
  timeout?: number | null;
  /** When to return: {@link ALL_COMPLETED} by default. */
  returnWhen?: ReturnWhen;
}

function checkTimeout(timeout: unknown, fn: string): void {
  if (timeout === null || timeout === undefined) return;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(
      `${fn}: 'timeout' must be a number of seconds or null: received ${describe(timeout)}`,
    );
  }
}

function checkIterable(fs: unknown, fn: string): void {
  if (isfuture(fs) || iscoroutine(fs)) {
    throw new TypeError(`${fn}: expected an iterable of futures, not a single ${describe(fs)}`);
  }
  if (
    fs === null ||
    typeof fs !== "object" ||
    typeof (fs as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(`${fn}: expected an iterable of futures: received ${describe(fs)}`);
  }
}

function releaseWaiter(waiter: Future<unknown>): void {
  if (!waiter.done()) waiter.setResult(undefined);
}

/**
 * Waits for the Futures and Tasks in `fs` until the `returnWhen` condition holds or
 * `timeout` seconds pass, and evaluates to `[done, pending]`: two Sets of the inputs.
 * It never raises `TimeoutError` and never cancels anything: what is still running is in
 * `pending`. `FIRST_EXCEPTION` does not count cancelled futures as failures.
 *
 * Inputs are deduplicated. Promises are accepted and appear in the sets as the Futures
 * bridging them. Bare coroutines are refused (`TypeError`): wrap them in tasks, so you can
 * tell which is which in the result. An empty `fs` raises `RangeError`.
 *
 * Cancellation: cancelling the waiting task stops the wait; the futures go on.
 *
 * @example
 * ```ts
 * function* main() {
 *   const tasks = [asyncio.createTask(a()), asyncio.createTask(b())];
 *   const [done, pending] = yield* asyncio.wait(tasks, { returnWhen: asyncio.FIRST_COMPLETED });
 *   for (const t of pending) t.cancel();
 * }
 * ```
 */
export function wait<F extends Future<unknown>>(
  fs: Iterable<F>,
  options?: WaitOptions,
): Coroutine<[Set<F>, Set<F>]>;
export function wait<T>(
  fs: Iterable<Future<T> | PromiseLike<T>>,
  options?: WaitOptions,
): Coroutine<[Set<Future<T>>, Set<Future<T>>]>;
export function wait(
  fs: Iterable<Future<unknown> | PromiseLike<unknown>>,
  options: WaitOptions = {},
): Coroutine<[Set<Future<unknown>>, Set<Future<unknown>>]> {
  checkIterable(fs, "wait()");
  const timeout = options.timeout ?? null;
  checkTimeout(timeout, "wait()");
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== FIRST_COMPLETED &&
    returnWhen !== FIRST_EXCEPTION &&
    returnWhen !== ALL_COMPLETED
  ) {
    throw new RangeError(`wait(): invalid 'returnWhen' value: received ${describe(returnWhen)}`);
  }
  const items = [...new Set(fs)];
  if (items.length === 0) throw new RangeError("wait(): the set of Tasks/Futures is empty");
  items.forEach((f, i) => {
    if (iscoroutine(f)) {
      throw new TypeError(
        `wait(): item ${i} is a coroutine: passing coroutines is forbidden, use tasks explicitly (asyncio.createTask(coro))`,
      );
    }
    if (
      !isfuture(f) &&
      !(isAwaitableLike(f) && typeof (f as PromiseLike<unknown>).then === "function")
    ) {
      throw new TypeError(
        `wait(): item ${i} is not a Future, Task or Promise: received ${describe(f)}`,
      );
    }
  });
  return waitImpl(items, timeout, returnWhen);
}

function* waitImpl(
  items: (Future<unknown> | PromiseLike<unknown>)[],
  timeout: number | null,
  returnWhen: ReturnWhen,
): Coroutine<[Set<Future<unknown>>, Set<Future<unknown>>]> {
  const loop = getRunningLoop();
  const futs = new Set<Future<unknown>>(items.map((f) => ensureFuture(f)));
  const waiter = loop.createFuture<unknown>();
  let timeoutHandle: TimerHandle | null = null;
  if (timeout !== null) timeoutHandle = loop.callLater(timeout, releaseWaiter, waiter);
  let counter = futs.size;
  const onCompletion = (f: Future<unknown>): void => {
    counter--;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== null)
    ) {
      timeoutHandle?.cancel();
      releaseWaiter(waiter);
    }
  };
  for (const f of futs) f.addDoneCallback(onCompletion);
  // For the call graph: the waiting task is awaiting every one of them.
  const me = loop._currentTask;
  if (me !== null) for (const f of futs) futureAddToAwaitedBy(f, me);
  try {
    yield* waiter;
  } finally {
    timeoutHandle?.cancel();
    for (const f of futs) f.removeDoneCallback(onCompletion);
    if (me !== null) for (const f of futs) futureDiscardFromAwaitedBy(f, me);
  }
  const done = new Set<Future<unknown>>();
  const pending = new Set<Future<unknown>>();
  for (const f of futs) (f.done() ? done : pending).add(f);
  return [done, pending];
}

// ---------------------------------------------------------------- asCompleted

/**
 * Options of {@link asCompleted}.
 *
 * @example
 * ```ts
 * try {
 *   for (const next of asyncio.asCompleted([fetchUser(1), slow()], { timeout: 5 })) {
 *     console.log(yield* next); // { id: 1, name: "user1" }, then a TimeoutError
 *   }
 * } catch (e) {
 *   if (!(e instanceof asyncio.TimeoutError)) throw e;
 *   console.log("slow() was not done after 5 s");
 * }
 * ```
 */
export interface AsCompletedOptions {
  /** Raise `TimeoutError` from the next item once this many seconds have passed; `null`: no limit. */
  timeout?: number | null;
}

/**
 * What an awaitable's `ensureFuture` gives: the Future itself, or a Task for the rest.
 *
 * @example
 * ```ts
 * type T1 = asyncio.FutureOf<asyncio.Coroutine<number>>; // Task<number>
 * type T2 = asyncio.FutureOf<asyncio.Future<string>>; // Future<string>: the input itself
 * const r = yield* asyncio.asCompleted([count()]).next(); // r.value: a FutureOf the input
 * ```
 */
export type FutureOf<A> = A extends Future<unknown> ? A : Task<AwaitedResult<A>>;

const TIMED_OUT = null;

/**
 * The object {@link asCompleted} returns. Two ways to consume it, as in asyncio 3.13:
 *
 * - plain iteration (`for (const next of it)`) gives one awaitable per input, in order of
 *   completion: `yield* next` evaluates to the next result (or throws its error);
 * - `yield* it.next()` (the coroutine form of `async for`) evaluates to
 *   `{ done: false, value }` with the next input *itself* to finish (a coroutine or
 *   Promise given as input comes back as the Task or Future wrapping it), then
 *   `{ done: true }`. From `async` code, `for await (const task of it)` does the same.
 *
 * The two may be mixed; each input is handed out once. A timeout surfaces as
 * `TimeoutError` from the awaitable (or `next()`) that could not complete in time.
 *
 * @example
 * ```ts
 * const it = asyncio.asCompleted([asyncio.createTask(a()), asyncio.createTask(b())]);
 * for (let r = yield* it.next(); !r.done; r = yield* it.next()) {
 *   console.log(r.value.getName(), "finished first"); // the original Task
 * }
 * ```
 */
export class AsCompleted<T, F extends Future<T> = Future<T>> implements Iterable<Coroutine<T>> {
  /** @internal */
  private readonly _done: (F | typeof TIMED_OUT)[] = [];
  /** @internal */
  private _doneHead = 0;
  /** @internal */
  private readonly _waiters: Future<unknown>[] = [];
  /** @internal */
  private readonly _todo: Set<F>;
  /** @internal */
  private _todoLeft: number;
  /** @internal */
  private _timeoutHandle: TimerHandle | null = null;
  /** @internal */
  private readonly _onCompletion = (f: F): void => this._handleCompletion(f);
  /** @internal */
  private readonly _loop: BaseEventLoop;

  /** @internal */
  constructor(futs: Set<F>, timeout: number | null, loop: BaseEventLoop) {
    this._loop = loop;
    this._todo = futs;
    this._todoLeft = futs.size;
    for (const f of futs) f.addDoneCallback(this._onCompletion);
    if (futs.size > 0 && timeout !== null) {
      this._timeoutHandle = loop.callLater(timeout, () => this._handleTimeout());
    }
  }

  /**
   * The coroutine form of `async for`: evaluates to the next input to finish, or to
   * `{ done: true, value: undefined }` when every input was handed out. Throws
   * `TimeoutError` if the timeout passed first.
   *
   * @example
   * ```ts
   * const it = asyncio.asCompleted(tasks);
   * for (let r = yield* it.next(); !r.done; r = yield* it.next()) {
   *   console.log(r.value.getName(), r.value.result());
   * }
   * ```
   */
  *next(): Coroutine<IteratorResult<F, undefined>> {
    if (this._todoLeft === 0) return { done: true, value: undefined };
    this._todoLeft--;
    return { done: false, value: yield* this._waitForOne() };
  }

  /** Plain iteration: one awaitable of the next result per input, in completion order. */
  *[Symbol.iterator](): Iterator<Coroutine<T>> {
    while (this._todoLeft > 0) {
      this._todoLeft--;
      yield this._resultOfNext();
    }
  }

  /**
   * `for await (const fut of it)` from `async` code: each step runs `next()` as a task on
   * the loop `asCompleted()` was called on.
   */
  [Symbol.asyncIterator](): AsyncIterator<F, undefined> {
    return {
      next: () => Promise.resolve(this._loop.createTask(this.next())),
    };
  }

  /** @internal */
  private *_resultOfNext(): Coroutine<T> {
    const f = yield* this._waitForOne();
    return f.result();
  }

  /** @internal */
  private *_waitForOne(): Coroutine<F> {
    const loop = this._loop;
    // A FIFO of completed futures with waiter wake-ups, as asyncio's Queue.get(): an item
    // stays queued until a woken waiter takes it, so a cancelled waiter loses nothing.
    while (this._doneHead === this._done.length) {
      const waiter = loop.createFuture<unknown>();
      this._waiters.push(waiter);
      try {
        yield* waiter;
      } catch (e) {
        const i = this._waiters.indexOf(waiter);
        if (i >= 0) this._waiters.splice(i, 1);
        if (this._doneHead < this._done.length) this._wakeNext();
        throw e;
      }
    }
    const f = this._done[this._doneHead] as F | null;
    this._done[this._doneHead++] = TIMED_OUT;
    if (this._doneHead === this._done.length) {
      this._done.length = 0;
      this._doneHead = 0;
    }
    if (f === TIMED_OUT) throw new TimeoutError();
    return f;
  }

  /** @internal */
  private _put(f: F | null): void {
    this._done.push(f);
    this._wakeNext();
  }

  /** @internal */
  private _wakeNext(): void {
    while (this._waiters.length > 0) {
      const w = this._waiters.shift() as Future<unknown>;
      if (!w.done()) {
        w.setResult(undefined);
        return;
      }
    }
  }

  /** @internal */
  private _handleTimeout(): void {
    for (const f of this._todo) {
      f.removeDoneCallback(this._onCompletion);
      this._put(TIMED_OUT);
    }
    this._todo.clear();
  }

  /** @internal */
  private _handleCompletion(f: F): void {
    if (this._todo.size === 0) return; // the timeout came first
    this._todo.delete(f);
    this._put(f);
    if (this._todo.size === 0) this._timeoutHandle?.cancel();
  }
}

/**
 * Runs the awaitables in `aws` concurrently (coroutines are wrapped in tasks at once) and
 * hands them back in the order they finish — asyncio 3.13's `as_completed`, in both forms
 * (see {@link AsCompleted}). Duplicates are dropped.
 *
 * Timeout: once `timeout` seconds have passed, each item not yet handed out raises
 * {@link TimeoutError}; nothing is cancelled. Cancellation: cancelling the consuming task
 * stops the wait for the current item; the inputs go on running.
 *
 * @example
 * ```ts
 * function* main() {
 *   const jobs = [asyncio.sleep(3, "third"), asyncio.sleep(1, "first"), asyncio.sleep(2, "second")];
 *   for (const next of asyncio.asCompleted(jobs)) {
 *     console.log(yield* next); // fastest first: first, second, third
 *   }
 * }
 * ```
 */
export function asCompleted<const A extends AwaitableLike<unknown>>(
  aws: Iterable<A>,
  options: AsCompletedOptions = {},
): AsCompleted<AwaitedResult<A>, FutureOf<A> & Future<AwaitedResult<A>>> {
  checkIterable(aws, "asCompleted()");
  const timeout = options.timeout ?? null;
  checkTimeout(timeout, "asCompleted()");
  const items = [...new Set(aws)];
  items.forEach((aw, i) => {
    if (!isAwaitableLike(aw)) {
      throw new TypeError(`asCompleted(): item ${i} is not awaitable: received ${describe(aw)}`);
    }
  });
  const loop = getRunningLoop();
  const futs = new Set(items.map((aw) => ensureFuture(aw)));
  return new AsCompleted(futs, timeout, loop) as unknown as AsCompleted<
    AwaitedResult<A>,
    FutureOf<A> & Future<AwaitedResult<A>>
  >;
}

// ---------------------------------------------------------------- shield

/**
 * Protects `aw` from cancellation: cancelling the task that awaits `shield(aw)` raises
 * `CancelledError` in that task, but `aw` (a Task, or a coroutine wrapped in one) keeps
 * running. If `aw` itself is cancelled, the shield is cancelled too. An `aw` already done
 * is returned as is.
 *
 * Keep a reference to the inner task if you may need its result after the shield was
 * cancelled; an error it ends with is then yours to retrieve (it is reported as
 * "never retrieved" otherwise, never silently dropped).
 *
 * @example
 * ```ts
 * function* main() {
 *   const save = asyncio.createTask(saveToDisk(data));
 *   try {
 *     yield* asyncio.shield(save);
 *   } catch (e) {
 *     if (e instanceof asyncio.CancelledError) yield* save; // finish saving, then stop
 *     throw e;
 *   }
 * }
 * ```
 */
export function shield<A extends AwaitableLike<unknown>>(aw: A): Future<AwaitedResult<A>> {
  if (!isAwaitableLike(aw)) {
    throw new TypeError(
      `shield(): 'aw' must be a coroutine, Future, Task, awaitable or Promise: received ${describe(aw)}`,
    );
  }
  const inner = ensureFuture(aw) as Future<AwaitedResult<A>>;
  if (inner.done()) return inner;
  const outer = inner.getLoop().createFuture<AwaitedResult<A>>();
  // For the call graph: the task that shields is waiting for the inner one.
  const waiter = inner.getLoop()._currentTask;
  if (waiter !== null) futureAddToAwaitedBy(inner, waiter);
  const innerDone = (f: Future<AwaitedResult<A>>): void => {
    if (outer.cancelled()) return;
    if (f.cancelled()) {
      outer.cancel();
      return;
    }
    const exc = f.exception();
    if (exc !== null) outer.setException(exc);
    else outer.setResult(f.result());
  };
  const outerDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(innerDone);
    if (waiter !== null) futureDiscardFromAwaitedBy(inner, waiter);
  };
  inner.addDoneCallback(innerDone);
  outer.addDoneCallback(outerDone);
  return outer;
}
