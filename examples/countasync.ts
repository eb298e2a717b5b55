/**
 * The walkthrough's countasync: three `count()` coroutines under `gather`. Each one
 * suspends at `yield* asyncio.sleep(1)`, so the loop runs the others meanwhile:
 * One One One, Two Two Two, in about 1 second instead of 3.
 */
import * as asyncio from "../src/index.js";

/**
 * The example to show next to this one: the same work done with a blocking sleep.
 *
 * @example
 * ```ts
 * console.log(pairWith); // "synchronous"
 * ```
 */
export const pairWith = "synchronous";

function* count(): asyncio.Coroutine<void> {
  console.log("One");
  yield* asyncio.sleep(1);
  console.log("Two");
}

/**
 * Three counts at once.
 *
 * @example
 * ```ts
 * await asyncio.run(main()); // One One One Two Two Two, ~1 s
 * ```
 */
export function* main(): asyncio.Coroutine<void> {
  yield* asyncio.gather(count(), count(), count());
}
