/**
 * The walkthrough's countasync: three `count()` coroutines under `gather`. Each one
 * suspends at `yield* asyncio.sleep(1)`, so the loop runs the others meanwhile:
 * One One One, Two Two Two, in about 2 seconds instead of 6.
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
  yield* asyncio.sleep(1);
}

/**
 * Three counts at once.
 *
 * @example
 * ```ts
 * await asyncio.run(main()); // One One One Two Two Two, ~2 s
 * ```
 */
export function* main(): asyncio.Coroutine<void> {
  yield* asyncio.gather(count(), count(), count());
}
