/**
 * Bridges between coroutines and the Promise world.
 *
 * @module
 */

import { bridgePromise } from "./core/base_events.js";
import { describe } from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import type { Future } from "./core/futures.js";

/**
 * Lets a coroutine await any Promise (or PromiseLike): `yield* fromPromise(p)` evaluates
 * to its value or throws its rejection reason.
 *
 * Cancellation: cancelling the awaiting task throws `CancelledError` at once; the promise
 * itself cannot be stopped from outside, so pass the task's signal to the API that made it
 * (`fetch(url, { signal: asyncio.currentTask()!.signal })`).
 *
 * On the virtual-time loop, the clock does not jump while a bridged promise is pending.
 *
 * @example
 * ```ts
 * function* main() {
 *   const text = yield* asyncio.fromPromise(readFile("notes.txt", "utf8"));
 * }
 * ```
 */
export function fromPromise<T>(promise: PromiseLike<T>): Future<T> {
  if (
    promise === null ||
    (typeof promise !== "object" && typeof promise !== "function") ||
    typeof (promise as PromiseLike<T>).then !== "function"
  ) {
    throw new TypeError(
      `fromPromise(): 'promise' must be a Promise or thenable: received ${describe(promise)}`,
    );
  }
  return bridgePromise(promise, getRunningLoop());
}
