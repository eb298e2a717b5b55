/**
 * The async context manager protocol — asyncio's `async with` — and the helper that uses it.
 *
 * An async context manager has `aenter()` (awaited on entry; its result is handed to the
 * body) and `aexit(exc)` (awaited on exit; `exc` is `undefined` when the body completed,
 * else the error it threw; returning `true` suppresses that error). TaskGroup, timeouts,
 * locks, semaphores, streams and servers all implement it.
 *
 * @module
 */

import type { Awaitable, Coroutine } from "./core/coroutines.js";
import { describe } from "./core/coroutines.js";

/**
 * An async context manager: what `async with` takes in Python.
 *
 * @example
 * ```ts
 * class Resource implements asyncio.AsyncContextManager<Resource> {
 *   *aenter() { yield* asyncio.sleep(0.1); return this; }
 *   *aexit(exc: unknown) { yield* asyncio.sleep(0.1); }
 * }
 * ```
 */
export interface AsyncContextManager<T> {
  /** Awaited on entry; its result is passed to the body. */
  aenter(): Awaitable<T>;
  /**
   * Awaited on exit with `undefined` if the body completed, or with the error it threw.
   * Returning `true` suppresses that error.
   */
  aexit(exc: unknown): Awaitable<boolean | undefined | void>;
}

/** An async context manager that never suppresses errors (its `aexit` returns nothing). */
export interface NonSuppressingAsyncContextManager<T> {
  aenter(): Awaitable<T>;
  aexit(exc: unknown): Awaitable<false | undefined | void>;
}

/**
 * Python's `async with cm as value: body`: enters `cm`, runs `body(value)`, and always
 * exits `cm` — on success, on error and on cancellation — awaiting its `aexit`.
 * Evaluates to the body's result (`undefined` when the manager suppressed an error).
 *
 * @example
 * ```ts
 * function* main() {
 *   yield* asyncio.asyncWith(lock, function* () {
 *     yield* useTheResource();
 *   });
 * }
 * ```
 */
export function asyncWith<T, R>(
  cm: NonSuppressingAsyncContextManager<T>,
  body: (value: T) => Coroutine<R>,
): Coroutine<R>;
export function asyncWith<T, R>(
  cm: AsyncContextManager<T>,
  body: (value: T) => Coroutine<R>,
): Coroutine<R | undefined>;
export function* asyncWith<T, R>(
  cm: AsyncContextManager<T>,
  body: (value: T) => Coroutine<R>,
): Coroutine<R | undefined> {
  if (
    cm === null ||
    typeof cm !== "object" ||
    typeof cm.aenter !== "function" ||
    typeof cm.aexit !== "function"
  ) {
    throw new TypeError(
      `asyncWith(): 'cm' must be an async context manager (with aenter() and aexit()): received ${describe(cm)}`,
    );
  }
  if (typeof body !== "function") {
    throw new TypeError(
      `asyncWith(): 'body' must be a generator function: received ${describe(body)}`,
    );
  }
  const value = yield* cm.aenter();
  let result: R;
  try {
    result = yield* body(value);
  } catch (e) {
    // A thrown undefined/null would read as "no error" to aexit: never lose it.
    const exc = e ?? new TypeError(`the body of asyncWith() threw ${e}`);
    if ((yield* cm.aexit(exc)) === true) return undefined;
    throw exc;
  }
  yield* cm.aexit(undefined);
  return result;
}
