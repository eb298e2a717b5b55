/**
 * The task API: `createTask`, `ensureFuture`, `sleep`, `gather`, `gatherAll`, `currentTask`,
 * `allTasks`.
 *
 * @module
 */

import type { BaseEventLoop } from "./core/base_events.js";
import {
  type AwaitableLike,
  type AwaitedResult,
  type Coroutine,
  describe,
  isAwaitableLike,
  iscoroutine,
} from "./core/coroutines.js";
import { _getRunningLoop, getRunningLoop } from "./core/events.js";
import { _schedulerCancelledError, CancelledError } from "./core/exceptions.js";
import { Future, isfuture } from "./core/futures.js";
import type { Runnable } from "./core/readyqueue.js";
import { Sleep } from "./core/sleep.js";
import { YIELD_ONCE } from "./core/suspend.js";
import { Task, type TaskOptions } from "./core/tasks.js";

/**
 * Wraps `coro` in a {@link Task} on the running loop and schedules its first step. Keep a
 * reference if you need its result; the loop itself keeps it alive until it is done.
 *
 * @example
 * ```ts
 * function* main() {
 *   const task = asyncio.createTask(say("hello", 1), { name: "greeter" });
 *   yield* asyncio.sleep(0.5);
 *   console.log(task.done()); // false
 *   yield* task;
 * }
 * ```
 */
export function createTask<T>(coro: Coroutine<T>, options?: TaskOptions): Task<T> {
  return getRunningLoop().createTask(coro, options);
}

/**
 * The Task whose step is running, or `null` from a plain callback. Throws
 * `RuntimeError` when no loop is running.
 *
 * @example
 * ```ts
 * function* main() {
 *   console.log(asyncio.currentTask()?.getName()); // "Task-1"
 * }
 * ```
 */
export function currentTask(): Task<unknown> | null {
  return getRunningLoop()._currentTask;
}

/**
 * The running loop's tasks that are not done yet. Throws `RuntimeError` when no loop runs.
 *
 * @example
 * ```ts
 * console.log(asyncio.allTasks().size);
 * ```
 */
export function allTasks(): Set<Task<unknown>> {
  return new Set(getRunningLoop()._tasks);
}

/**
 * A Future for `aw`: a Future or Task as is, a coroutine or other awaitable wrapped in a
 * Task, a Promise bridged to a Future. Throws `TypeError` for anything else.
 *
 * @example
 * ```ts
 * const fut = asyncio.ensureFuture(Promise.resolve(1)); // a Future<number>
 * ```
 */
export function ensureFuture<T>(aw: AwaitableLike<T>): Future<T> {
  if (isfuture(aw)) return aw as Future<T>;
  if (!isAwaitableLike(aw)) {
    throw new TypeError(
      `ensureFuture(): an asyncio.Future, a coroutine, an awaitable or a Promise is required: received ${describe(aw)}`,
    );
  }
  return getRunningLoop()._ensureFuture(aw);
}

// ---------------------------------------------------------------- sleep

function* sleepZero<T>(result: T): Coroutine<T> {
  yield* YIELD_ONCE;
  return result;
}

/**
 * Suspends the current task for `delay` seconds, then evaluates to `result`.
 * `sleep(0)` (or any `delay <= 0`) just gives way to the other ready tasks once.
 *
 * Cancellation: a cancelled sleep throws `CancelledError` and cancels its timer.
 * Errors: `TypeError` if `delay` is not a number, `RangeError` if it is NaN.
 *
 * @example
 * ```ts
 * function* main() {
 *   yield* asyncio.sleep(1.5);
 *   const v = yield* asyncio.sleep(0.1, "value"); // "value"
 * }
 * ```
 */
export function sleep(delay: number): Coroutine<undefined>;
export function sleep<T>(delay: number, result: T): Coroutine<T>;
export function sleep<T>(delay: number, result?: T): Coroutine<T | undefined> {
  if (typeof delay !== "number") {
    throw new TypeError(
      `sleep(): 'delay' must be a number of seconds: received ${describe(delay)}`,
    );
  }
  if (Number.isNaN(delay)) throw new RangeError("sleep(): 'delay' must not be NaN");
  if (delay <= 0) {
    // The common `sleep(0)` shares one stateless awaitable: no allocation per call.
    return result === undefined ? (YIELD_ONCE as Coroutine<undefined>) : sleepZero(result);
  }
  // One object is the awaitable, the timer and what the task waits on (see core/sleep.ts).
  return new Sleep(delay, result) as unknown as Coroutine<T | undefined>;
}

// ---------------------------------------------------------------- gather

/**
 * Options of {@link gather}.
 *
 * @example
 * ```ts
 * const results = yield* asyncio.gather(a(), b(), { returnExceptions: true }); // errors as values
 * ```
 */
export interface GatherOptions {
  /** Put errors (and cancellations) in the results instead of raising the first one. */
  returnExceptions?: boolean;
}

/**
 * The result tuple of {@link gather}.
 *
 * @example
 * ```ts
 * type R = asyncio.GatherResults<[asyncio.Coroutine<number>, Promise<string>]>; // [number, string]
 * const [n, s] = yield* asyncio.gather(asyncio.sleep(1, 1), Promise.resolve("s")); // n: number, s: string
 * ```
 */
export type GatherResults<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: AwaitedResult<T[K]>;
};

/**
 * The result tuple of {@link gather} with `returnExceptions: true`.
 *
 * @example
 * ```ts
 * function* failing(): asyncio.Coroutine<string> {
 *   yield* asyncio.sleep(0.5);
 *   throw new Error("no route");
 * }
 * const results: asyncio.GatherResultsOrErrors<[asyncio.Coroutine<number>, asyncio.Coroutine<string>]> =
 *   yield* asyncio.gather(
 *     asyncio.sleep(1, 1),
 *     failing(),
 *     { returnExceptions: true },
 *   );
 * const [n, s] = results; // n: number | Error, s: string | Error
 * if (s instanceof Error) console.log("failed:", s.message); // failed: no route
 * console.log(n); // 1
 * ```
 */
export type GatherResultsOrErrors<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: AwaitedResult<T[K]> | Error;
};

/**
 * The Future `gather()` returns. Cancelling it cancels every child that is not done.
 *
 * @example
 * ```ts
 * const all = asyncio.gather(a(), b());
 * all.cancel(); // cancels a() and b()
 * ```
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal */
  _cancelRequested = false;

  /** @internal */
  constructor(
    /** @internal */ readonly _children: Future<unknown>[],
    loop: BaseEventLoop,
  ) {
    super({ loop });
  }

  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let ret = false;
    for (const child of this._children) {
      if (child.cancel(msg)) ret = true;
    }
    // Children are cancelled; the outer Future ends with CancelledError once they are done.
    if (ret) this._cancelRequested = true;
    return ret;
  }
}

function splitOptions(args: unknown[]): { aws: unknown[]; options: GatherOptions } {
  const last = args[args.length - 1];
  if (
    typeof last === "object" &&
    last !== null &&
    !Array.isArray(last) &&
    !isAwaitableLike(last) &&
    Object.getPrototypeOf(last) === Object.prototype
  ) {
    return { aws: args.slice(0, -1), options: last as GatherOptions };
  }
  return { aws: args, options: {} };
}

/**
 * Runs awaitables concurrently and evaluates to their results, in argument order.
 * Coroutines are wrapped in Tasks; Promises are bridged. For an array or any other
 * iterable of awaitables, of any length, use {@link gatherAll}.
 *
 * - The first error is raised at once; the other children keep running (as in asyncio —
 *   use a TaskGroup to cancel siblings on error).
 * - With `{ returnExceptions: true }` errors and cancellations come back in the results.
 * - Cancelling the returned Future cancels every unfinished child.
 * - When every child is already done, the returned Future is done at once (as in
 *   Python 3.12+): `yield*` on it does not suspend.
 *
 * @example
 * ```ts
 * function* main() {
 *   const [a, b] = yield* asyncio.gather(count(), asyncio.sleep(1, "b"));
 *   const [user, posts] = yield* asyncio.gather(fetchUser(1), fetchPosts(1), { returnExceptions: true });
 * }
 * ```
 */
export function gather<const T extends readonly AwaitableLike<unknown>[]>(
  ...aws: T
): GatheringFuture<GatherResults<T>>;
export function gather<const T extends readonly AwaitableLike<unknown>[]>(
  ...args: [...T, { returnExceptions: true }]
): GatheringFuture<GatherResultsOrErrors<T>>;
export function gather<const T extends readonly AwaitableLike<unknown>[]>(
  ...args: [...T, GatherOptions]
): GatheringFuture<GatherResults<T>>;
export function gather(...args: unknown[]): GatheringFuture<unknown[]> {
  const { aws, options } = splitOptions(args);
  return gatherArray(aws, options.returnExceptions === true, "gather(): argument");
}

/**
 * {@link gather} for an array or any iterable of awaitables (a generator of coroutines
 * too), of any length: `gatherAll(tasks)` reads "gather all of these", next to
 * `gather(a, b)` for a few. A spread `gather(...tasks)` fails with `RangeError` past
 * ~120,000 items (the engine's limit on arguments); `gatherAll` takes millions. Same
 * semantics as `gather`: results in order, identical items run once, the first error is
 * raised unless `returnExceptions`, cancelling the Future cancels the children, an empty
 * iterable gives `[]`. A tuple gives a tuple of results; an array or iterable, an array.
 *
 * Errors: `TypeError` if `aws` is not iterable or one of its items is not awaitable.
 *
 * @example
 * ```ts
 * function* main() {
 *   const tasks = ids.map((id) => asyncio.createTask(fetchUser(id)));
 *   const users = yield* asyncio.gatherAll(tasks); // User[]
 *   const [n, s] = yield* asyncio.gatherAll([count(), asyncio.sleep(1, "s")]); // [number, string]
 *   const outcomes = yield* asyncio.gatherAll(urls.map(fetchText), { returnExceptions: true });
 * }
 * ```
 */
export function gatherAll<const T extends readonly AwaitableLike<unknown>[]>(
  aws: T,
  options: { returnExceptions: true },
): GatheringFuture<GatherResultsOrErrors<T>>;
export function gatherAll<const T extends readonly AwaitableLike<unknown>[]>(
  aws: T,
  options?: GatherOptions,
): GatheringFuture<GatherResults<T>>;
export function gatherAll<A extends AwaitableLike<unknown>>(
  aws: Iterable<A>,
  options: { returnExceptions: true },
): GatheringFuture<(AwaitedResult<A> | Error)[]>;
export function gatherAll<A extends AwaitableLike<unknown>>(
  aws: Iterable<A>,
  options?: GatherOptions,
): GatheringFuture<AwaitedResult<A>[]>;
export function gatherAll(
  aws: Iterable<unknown>,
  options: GatherOptions = {},
): GatheringFuture<unknown[]> {
  if (
    aws === null ||
    aws === undefined ||
    typeof (aws as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function" ||
    typeof aws === "string"
  ) {
    throw new TypeError(
      `gatherAll(): 'aws' must be an iterable of awaitables (an array, a Set, a generator): received ${describe(aws)}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `gatherAll(): 'options' must be an object such as { returnExceptions: true }: received ${describe(options)}`,
    );
  }
  const items = Array.isArray(aws) ? aws : Array.from(aws);
  return gatherArray(items, options.returnExceptions === true, "gatherAll(): item");
}

/**
 * gather's implementation for both forms. `what` starts the message of a bad item's
 * TypeError ("gather(): argument", "gatherAll(): item").
 */
function gatherArray(
  aws: readonly unknown[],
  returnExceptions: boolean,
  what: string,
): GatheringFuture<unknown[]> {
  let loop = _getRunningLoop();
  if (aws.length === 0) {
    const outer = new GatheringFuture<unknown[]>([], loop ?? getRunningLoop());
    outer.setResult([]);
    return outer;
  }
  for (let i = 0; i < aws.length; i++) checkAwaitable(aws[i], i, what);
  if (loop === null) {
    const fut = aws.find(isfuture);
    if (fut === undefined) getRunningLoop(); // throws "no running event loop"
    loop = (fut as Future<unknown>)._loop;
  }
  const children = childFutures(aws, loop);
  const outer = new GatheringFuture<unknown[]>(children, loop);
  const waiter = new GatherWaiter(outer, children, returnExceptions);
  // Identical arguments share one child, as in asyncio: a pending child is registered
  // once (the waiter looks for itself among its callbacks, so a million Tasks need no
  // hash set), a done one is remembered in a set, made only if there is one.
  let done: Set<Future<unknown>> | null = null;
  let nfuts = 0;
  for (let i = 0; i < children.length; i++) {
    const fut = children[i] as Future<unknown>;
    if (!fut.done()) {
      if (fut._hasWaiter(waiter)) continue;
      fut._addWaiter(waiter);
    } else {
      done ??= new Set();
      if (done.has(fut)) continue;
      done.add(fut);
    }
    nfuts++;
  }
  waiter.nfuts = nfuts;
  // Children already done are accounted for now, as Python 3.12+ does: when all are, the
  // outer Future is done before it is returned and awaiting it does not suspend.
  if (done !== null) for (const fut of done) waiter._run(fut);
  return outer;
}

/**
 * The Future of each argument, in order: Futures as they are, anything else wrapped once
 * (a repeated coroutine or Promise shares the Future made for its first occurrence).
 */
function childFutures(aws: readonly unknown[], loop: BaseEventLoop): Future<unknown>[] {
  const children: Future<unknown>[] = new Array(aws.length);
  let wrapped: Map<unknown, Future<unknown>> | null = null;
  for (let i = 0; i < aws.length; i++) {
    const aw = aws[i];
    if (isfuture(aw) && aw._loop === loop) {
      children[i] = aw;
      continue;
    }
    wrapped ??= new Map(); // _ensureFuture() throws for another loop's Future
    let fut = wrapped.get(aw);
    if (fut === undefined) {
      fut = loop._ensureFuture(aw as AwaitableLike<unknown>);
      wrapped.set(aw, fut);
    }
    children[i] = fut;
  }
  return children;
}

function checkAwaitable(aw: unknown, i: number, what: string): void {
  if (!iscoroutine(aw) && !isAwaitableLike(aw)) {
    const hint = Array.isArray(aw)
      ? what.startsWith("gather()")
        ? "; for an array of awaitables use gatherAll(items)"
        : "; nested arrays are not flattened"
      : "";
    throw new TypeError(`${what} ${i} is not awaitable: received ${describe(aw)}${hint}`);
  }
}

/**
 * gather's bookkeeping, run (through the ready queue, like a done-callback) each time a
 * child finishes. One object per gather: children finishing allocate nothing.
 */
class GatherWaiter implements Runnable {
  private nfinished = 0;
  /** How many distinct children there are: set once they are registered. */
  nfuts = 0;

  constructor(
    private readonly outer: GatheringFuture<unknown[]>,
    private readonly children: Future<unknown>[],
    private readonly returnExceptions: boolean,
  ) {}

  _run(fut: unknown): void {
    const child = fut as Future<unknown>;
    const outer = this.outer;
    this.nfinished++;
    if (outer.done()) {
      if (!child.cancelled()) child.exception(); // mark retrieved: the outer already failed
      return;
    }
    if (!this.returnExceptions) {
      if (child.cancelled()) {
        outer.setException(child._makeCancelledError());
        return;
      }
      const exc = child.exception();
      if (exc !== null) {
        outer.setException(exc);
        return;
      }
    }
    if (this.nfinished === this.nfuts) this.finish();
  }

  private finish(): void {
    const children = this.children;
    const results: unknown[] = new Array(children.length);
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as Future<unknown>;
      // A fresh error with the child's cancel message, as asyncio's gather: a Task that
      // ended cancelled keeps its coroutine's own CancelledError for whoever retrieves it.
      if (child.cancelled()) results[i] = _schedulerCancelledError(child._cancelMessage);
      else {
        const exc = child.exception();
        results[i] = exc !== null ? exc : child._result;
      }
    }
    const outer = this.outer;
    if (outer._cancelRequested) {
      // The children raised CancelledError only because the outer Future was cancelled:
      // propagate the last child's own, in argument order as asyncio's gather does (its
      // loop over the children leaves that one in hand), not the last one to finish.
      const lastChild = children[children.length - 1] as Future<unknown>;
      outer.setException(
        lastChild.cancelled() ? lastChild._makeCancelledError() : new CancelledError(),
      );
    } else {
      outer.setResult(results);
    }
  }
}

export { isAwaitableLike, Task };
