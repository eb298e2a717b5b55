/**
 * Which event loop is running. JavaScript has one thread, so "the running loop" is the loop
 * whose `runForever()` is in progress: code in its callbacks and tasks, and `async` code
 * reached from them, all see it.
 *
 * @module
 */

import type { BaseEventLoop } from "./base_events.js";
import { RuntimeError } from "./exceptions.js";

let runningLoop: BaseEventLoop | null = null;

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
  if (runningLoop === null) throw new RuntimeError("no running event loop");
  return runningLoop;
}

/** @internal The running loop or null. */
export function _getRunningLoop(): BaseEventLoop | null {
  return runningLoop;
}

/** @internal Set by a loop as its runForever() starts and ends. */
export function _setRunningLoop(loop: BaseEventLoop | null): void {
  runningLoop = loop;
}
