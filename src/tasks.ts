/**
 * The task API: `createTask`, `ensureFuture`, `sleep`, `gather`, `currentTask`, `allTasks`.
 *
 * @module
 */

import type { BaseEventLoop } from "./core/base_events.js";
import { bridgePromise, wrapAwaitable } from "./core/base_events.js";
import {
  type AwaitableLike,
  type AwaitedResult,
  type Coroutine,
  describe,
  iscoroutine,
  RESCHEDULE,
} from "./core/coroutines.js";
import { _getRunningLoop, getRunningLoop } from "./core/events.js";
import { CancelledError } from "./core/exceptions.js";
import { Future, isfuture } from "./core/futures.js";
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
export function createTask<T>(coro: Coroutine<T>, options: TaskOptions = {}): Task<T> {
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

/** Whether `x` can be awaited by the combinators. Arrays and strings are not awaitable. */
export function isAwaitableLike(x: unknown): x is AwaitableLike<unknown> {
  if (typeof x !== "object" || x === null) return typeof x === "function" && "then" in x;
  if (Array.isArray(x) || ArrayBuffer.isView(x) || x instanceof Map || x instanceof Set) {
    return false;
  }
  return Symbol.iterator in x || typeof (x as PromiseLike<unknown>).then === "function";
}

// ---------------------------------------------------------------- sleep

function* sleepZero<T>(result: T): Coroutine<T> {
  yield RESCHEDULE;
  return result;
}

function wakeSleeper<T>(fut: Future<T>, result: T): void {
  if (!fut.done()) fut.setResult(result);
}

function* sleepFor<T>(delay: number, result: T): Coroutine<T> {
  const loop = getRunningLoop();
  const fut = loop.createFuture<T>();
  const handle = loop.callLater(delay, wakeSleeper, fut, result);
  try {
    return yield* fut;
  } finally {
    handle.cancel();
  }
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
  return delay <= 0 ? sleepZero(result) : sleepFor(delay, result);
}

// ---------------------------------------------------------------- gather

/** Options of {@link gather}. */
export interface GatherOptions {
  /** Put errors (and cancellations) in the results instead of raising the first one. */
  returnExceptions?: boolean;
}

/** The result tuple of {@link gather}. */
export type GatherResults<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: AwaitedResult<T[K]>;
};

/** The result tuple of {@link gather} with `returnExceptions: true`. */
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
  aws.forEach((aw, i) => {
    if (!isAwaitableLike(aw)) {
      const hint = Array.isArray(aw)
        ? "; pass the items as separate arguments: gather(...items)"
        : "";
      throw new TypeError(
        `gather(): argument ${i} is not awaitable: received ${describe(aw)}${hint}`,
      );
    }
  });
  let loop = _getRunningLoop();
  if (aws.length === 0) {
    const outer = new GatheringFuture<unknown[]>([], loop ?? getRunningLoop());
    outer.setResult([]);
    return outer;
  }
  if (loop === null) {
    const fut = aws.find(isfuture);
    if (fut === undefined) getRunningLoop(); // throws "no running event loop"
    loop = (fut as Future<unknown>)._loop;
  }
  const argToFut = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  for (const aw of aws) {
    let fut = argToFut.get(aw);
    if (fut === undefined) {
      fut = toFuture(aw as AwaitableLike<unknown>, loop);
      argToFut.set(aw, fut);
    }
    children.push(fut);
  }
  const outer = new GatheringFuture<unknown[]>(children, loop);
  const nfuts = argToFut.size;
  let nfinished = 0;

  const onChildDone = (fut: Future<unknown>): void => {
    nfinished++;
    if (outer.done()) {
      if (!fut.cancelled()) fut.exception(); // mark retrieved: the outer already failed
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer.setException(fut._makeCancelledError());
        return;
      }
      const exc = fut.exception();
      if (exc !== null) {
        outer.setException(exc);
        return;
      }
    }
    if (nfinished === nfuts) {
      const results: unknown[] = new Array(children.length);
      for (let i = 0; i < children.length; i++) {
        const child = children[i] as Future<unknown>;
        if (child.cancelled()) results[i] = child._makeCancelledError();
        else {
          const exc = child.exception();
          results[i] = exc !== null ? exc : child._result;
        }
      }
      if (outer._cancelRequested) {
        // A child raised CancelledError only because the outer Future was cancelled.
        outer.setException(new CancelledError(outer._cancelMessage));
      } else {
        outer.setResult(results);
      }
    }
  };
  for (const fut of argToFut.values()) fut.addDoneCallback(onChildDone);
  return outer;
}

function toFuture(aw: AwaitableLike<unknown>, loop: BaseEventLoop): Future<unknown> {
  if (isfuture(aw)) return aw;
  if (iscoroutine(aw)) return loop.createTask(aw);
  if (Symbol.iterator in aw) return loop.createTask(wrapAwaitable(aw, loop));
  return bridgePromise(aw, loop);
}

export { Task };
