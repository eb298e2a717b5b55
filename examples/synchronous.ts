/**
 * The walkthrough's synchronous count: `time.sleep()` blocks. Here `count()` is even a
 * coroutine and the three calls are gathered, but the sleep inside is a blocking one, so
 * the event loop is frozen during it: nothing else can run, and the three counts happen
 * one after the other (One Two, One Two, One Two) in about 3 seconds. Compare countasync.
 *
 * On the virtual-time loop the blocking sleep moves the clock forward without waiting,
 * while still letting nothing else run, so the output and the elapsed time are the same.
 */
import * as asyncio from "../src/index.js";

/**
 * Blocks the whole thread (the event loop included) for `seconds`, as `time.sleep()`.
 *
 * @example
 * ```ts
 * blockingSleep(1); // nothing else runs for a second
 * ```
 */
export function blockingSleep(seconds: number): void {
  const loop = asyncio.getRunningLoop();
  if (loop instanceof asyncio.VirtualEventLoop) {
    loop.advance(seconds);
    return;
  }
  // Atomics.wait parks the thread without burning a core; nothing else runs meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}

function* count(): asyncio.Coroutine<void> {
  console.log("One");
  blockingSleep(1);
  console.log("Two");
}

/**
 * Three blocking counts: they cannot overlap, whatever `gather` does.
 *
 * @example
 * ```ts
 * await asyncio.run(main()); // One Two One Two One Two, ~3 s
 * ```
 */
export function* main(): asyncio.Coroutine<void> {
  yield* asyncio.gather(count(), count(), count());
}
