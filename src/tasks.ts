/**
 * The task API: `createTask`, `ensureFuture`, `sleep`, `gather`, `currentTask`, `allTasks`.
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
import { CancelledError } from "./core/exceptions.js";
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
 * const [n, s] = yield* asyncio.gather(asyncio.sleep(1, 1), fetchText(), { returnExceptions: true });
 * if (s instanceof Error) console.log("failed:", s); // n: number | Error, s: string | Error
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
 * Coroutines are wrapped in Tasks; Promises are bridged.
 *
 * - The first error is raised at once; the other children keep running (as in asyncio —
 *   use a TaskGroup to cancel siblings on error).
 * - With `{ returnExceptions: true }` errors and cancellations come back in the results.
 * - Cancelling the returned Future cancels every unfinished child.
 *
 * @example
 * ```ts
 * function* main() {
 *   const [a, b] = yield* asyncio.gather(count(), asyncio.sleep(1, "b"));
 *   const results = yield* asyncio.gather(...urls.map(fetch), { returnExceptions: true });
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
  const returnExceptions = options.returnExceptions === true;
  let loop = _getRunningLoop();
  if (aws.length === 0) {
    const outer = new GatheringFuture<unknown[]>([], loop ?? getRunningLoop());
    outer.setResult([]);
    return outer;
  }
  aws.forEach(checkAwaitable);
  if (loop === null) {
    const fut = aws.find(isfuture);
    if (fut === undefined) getRunningLoop(); // throws "no running event loop"
    loop = (fut as Future<unknown>)._loop;
  }
  // Identical arguments share one child, as in asyncio. Coroutine objects are fresh in
  // practice, so the map is only consulted from the first repeat on.
  const seen = new Set<unknown>();
  let argToFut: Map<unknown, Future<unknown>> | null = null;
  const children: Future<unknown>[] = new Array(aws.length);
  const unique: Future<unknown>[] = [];
  for (let i = 0; i < aws.length; i++) {
    const aw = aws[i];
    let fut: Future<unknown> | undefined;
    if (seen.has(aw)) {
      if (argToFut === null) {
        argToFut = new Map();
        for (let j = 0; j < i; j++) argToFut.set(aws[j], children[j] as Future<unknown>);
      }
      fut = argToFut.get(aw) as Future<unknown>;
    } else {
      seen.add(aw);
      fut = loop._ensureFuture(aw as AwaitableLike<unknown>);
      unique.push(fut);
      argToFut?.set(aw, fut);
    }
    children[i] = fut;
  }
  const outer = new GatheringFuture<unknown[]>(children, loop);
  const waiter = new GatherWaiter(outer, children, unique.length, returnExceptions);
  for (const fut of unique) fut._addWaiter(waiter);
  return outer;
}

function checkAwaitable(aw: unknown, i: number): void {
  if (!iscoroutine(aw) && !isAwaitableLike(aw)) {
    const hint = Array.isArray(aw)
      ? "; pass the items as separate arguments: gather(...items)"
      : "";
    throw new TypeError(
      `gather(): argument ${i} is not awaitable: received ${describe(aw)}${hint}`,
    );
  }
}

/**
 * gather's bookkeeping, run (through the ready queue, like a done-callback) each time a
 * child finishes. One object per gather: children finishing allocate nothing.
 */
class GatherWaiter implements Runnable {
  private nfinished = 0;

  constructor(
    private readonly outer: GatheringFuture<unknown[]>,
    private readonly children: Future<unknown>[],
    private readonly nfuts: number,
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
    if (this.nfinished === this.nfuts) this.finish(child);
  }

  private finish(last: Future<unknown>): void {
    const children = this.children;
    const results: unknown[] = new Array(children.length);
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as Future<unknown>;
      if (child.cancelled()) results[i] = child._makeCancelledError();
      else {
        const exc = child.exception();
        results[i] = exc !== null ? exc : child._result;
      }
    }
    const outer = this.outer;
    if (outer._cancelRequested) {
      // The children raised CancelledError only because the outer Future was cancelled:
      // propagate a child's own (it carries the cancel message), as asyncio does.
      outer.setException(last.cancelled() ? last._makeCancelledError() : new CancelledError());
    } else {
      outer.setResult(results);
    }
  }
}

export { isAwaitableLike, Task };
