/**
 * Getting hold of an event loop: `getRunningLoop`, `getEventLoop`, `newEventLoop`.
 * Policies are deprecated in asyncio 3.14 and do not exist here: pass `loopFactory` to
 * `run()` / `Runner` instead.
 *
 * @module
 */

import { BaseEventLoop } from "./core/base_events.js";
import { describe } from "./core/coroutines.js";
import { _getRunningLoop } from "./core/events.js";
import { RuntimeError } from "./core/exceptions.js";
import { BrowserEventLoop } from "./loops/browser.js";
import { NodeEventLoop } from "./loops/node.js";

let currentLoop: BaseEventLoop | null = null;

/**
 * A new default event loop, not running: a `NodeEventLoop` on Node, Deno and Bun (with
 * I/O when it comes from the main entry), a `BrowserEventLoop` in browsers and workers.
 *
 * @example
 * ```ts
 * const loop = asyncio.newEventLoop();
 * try { await loop.runUntilComplete(main()); } finally { loop.close(); }
 * ```
 */
export function newEventLoop(): BaseEventLoop {
  return typeof setImmediate === "function" ? new NodeEventLoop() : new BrowserEventLoop();
}

/**
 * The running loop; else the loop given to {@link setEventLoop}. As in 3.14, throws
 * `RuntimeError` when there is neither (it never creates one).
 *
 * @example
 * ```ts
 * asyncio.setEventLoop(asyncio.newEventLoop());
 * const loop = asyncio.getEventLoop();
 * ```
 */
export function getEventLoop(): BaseEventLoop {
  const running = _getRunningLoop();
  if (running !== null) return running;
  if (currentLoop === null) throw new RuntimeError("There is no current event loop");
  return currentLoop;
}

/**
 * Sets the loop {@link getEventLoop} returns when none is running (`null` to clear).
 *
 * @example
 * ```ts
 * asyncio.setEventLoop(new asyncio.VirtualEventLoop());
 * ```
 */
export function setEventLoop(loop: BaseEventLoop | null): void {
  if (loop !== null && !(loop instanceof BaseEventLoop)) {
    throw new TypeError(
      `setEventLoop(): 'loop' must be an event loop or null: received ${describe(loop)}`,
    );
  }
  currentLoop = loop;
}
