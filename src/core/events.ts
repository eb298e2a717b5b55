/**
 * Which event loop is running. JavaScript has one thread, so "the running loop" is the loop
 * whose `runForever()` is in progress: code in its callbacks and tasks, and `async` code
 * reached from them, all see it.
 *
 * @module
 */

import type { BaseEventLoop } from "./base_events.js";
import { RuntimeError } from "./exceptions.js";
import { runtime } from "./runtime.js";

// The running loop is the realm's, shared with every other copy of the library
// (core/runtime.ts): code that imports another copy still sees the loop running it.

/**
 * The running event loop. Throws {@link RuntimeError} when no loop is running.
 *
 * @example
 * ```ts
 * function* main() {
 *   const loop = asyncio.getRunningLoop();
 *   console.log(loop.time());
 * }
 * ```
 */
export function getRunningLoop(): BaseEventLoop {
  const loop = runtime.loop as BaseEventLoop | null;
  if (loop === null) throw new RuntimeError("no running event loop");
  return loop;
}

/** @internal The running loop or null. */
export function _getRunningLoop(): BaseEventLoop | null {
  return runtime.loop as BaseEventLoop | null;
}

/** @internal Set by a loop as its runForever() starts and ends. */
export function _setRunningLoop(loop: BaseEventLoop | null): void {
  runtime.loop = loop;
}
