/**
 * `run()`, `Runner` and `newEventLoop()` as the main entry has them: their default loop is
 * the `NodeEventLoop` with I/O. The portable ones (src/runners.ts, src/events.ts) default
 * to a loop without I/O, so that the portable entry loads nothing of src/io; everything
 * else about them is theirs.
 *
 * @module
 */

import type { BaseEventLoop } from "../core/base_events.js";
import type { AwaitableLike } from "../core/coroutines.js";
import { Runner as PortableRunner, run as portableRun, type RunOptions } from "../runners.js";
import { NodeEventLoop } from "./loop_io.js";

/** A new loop with I/O: the main entry's default. */
function newIOLoop(): NodeEventLoop {
  return new NodeEventLoop();
}

/** `options`, with the loop with I/O as the default loop. */
function withIOLoop(options: RunOptions): RunOptions {
  return options.loopFactory === undefined ? { ...options, loopFactory: newIOLoop } : options;
}

/**
 * A new default event loop (a `NodeEventLoop`, with I/O), not running.
 *
 * @example
 * ```ts
 * const loop = asyncio.newEventLoop();
 * try { await loop.runUntilComplete(main()); } finally { loop.close(); }
 * ```
 */
export function newEventLoop(): BaseEventLoop {
  return new NodeEventLoop();
}

/**
 * Runs several top-level coroutines on one loop, in one shared context, as asyncio's
 * `Runner`. `close()` cancels what is left, closes async generators and the loop. Its loop
 * is a `NodeEventLoop` (with I/O) unless `loopFactory` says otherwise.
 *
 * @example
 * ```ts
 * const runner = new asyncio.Runner();
 * try {
 *   await runner.run(setup());
 *   await runner.run(main());
 * } finally {
 *   await runner.close();
 * }
 * ```
 */
export class Runner extends PortableRunner {
  constructor(options: RunOptions = {}) {
    super(typeof options === "object" && options !== null ? withIOLoop(options) : options);
  }
}

/**
 * Runs `main` on a new event loop (a `NodeEventLoop`, with I/O, unless `loopFactory` says
 * otherwise) and resolves with its result: asyncio's `run()`. At the end, tasks still
 * pending are cancelled, async generators are closed and the loop is closed. Rejects with
 * `main`'s own error; with `RuntimeError` if a loop is running.
 *
 * @example
 * ```ts
 * function* main() {
 *   yield* asyncio.sleep(1);
 *   return "done";
 * }
 * console.log(await asyncio.run(main())); // "done"
 * ```
 */
export function run<T>(main: AwaitableLike<T>, options: RunOptions = {}): Promise<T> {
  return portableRun(
    main,
    typeof options === "object" && options !== null ? withIOLoop(options) : options,
  );
}
