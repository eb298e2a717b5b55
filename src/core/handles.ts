/**
 * Handles: callbacks scheduled on the loop with `callSoon` / `callLater` / `callAt`.
 *
 * @module
 */

import { _enterContext, type Context } from "./contextvars.js";
import { describe } from "./coroutines.js";
import type { Runnable } from "./readyqueue.js";

/** Node's `util.inspect` (console.log) hook; `Symbol.for` needs no Node import. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** What a Handle needs from its loop: where to report a callback that threw. */
export interface HandleOwner {
  callExceptionHandler(context: ExceptionContext): void;
  /** @internal */
  _timerHandleCancelled(entry: TimerEntry): void;
}

/**
 * What the timer heap holds: a TimerHandle, or the awaitable of `sleep()` (which is its own
 * timer). Only its members are internal: `TimerHandle` implements it.
 */
export interface TimerEntry extends Runnable {
  /** @internal The heap may drop this entry when it reaches the top. */
  _cancelled: boolean;
  /** @internal In the heap. */
  _scheduled: boolean;
}

/**
 * What the loop's exception handler receives, as asyncio's context dict.
 *
 * @example
 * ```ts
 * const loop = asyncio.getRunningLoop();
 * loop.setExceptionHandler((_loop, ctx: asyncio.ExceptionContext) => {
 *   console.error(ctx.message, ctx.exception); // Exception in callback … Error: boom
 * });
 * loop.callSoon(() => {
 *   throw new Error("boom");
 * });
 * yield* asyncio.sleep(0);
 * loop.setExceptionHandler(null);
 * ```
 */
export interface ExceptionContext {
  message: string;
  exception?: unknown;
  future?: unknown;
  task?: unknown;
  handle?: Handle;
  [key: string]: unknown;
}

/** A short printable name of a function, for reprs. */
export function functionName(fn: unknown): string {
  if (typeof fn === "function") return fn.name || "<anonymous>";
  return String(fn);
}

/** The arguments of a callback, as asyncio's reprs show them: `boom(1, "x")`. */
function formatArgs(args: unknown[] | null): string {
  return args === null ? "" : args.map(describe).join(", ");
}

/**
 * A callback scheduled with `loop.callSoon()`; `cancel()` stops it from running.
 *
 * @example
 * ```ts
 * const h = loop.callSoon(() => console.log("never printed"));
 * h.cancel();
 * console.log(h.cancelled()); // true
 * ```
 */
export class Handle implements Runnable {
  /** @internal */
  _fn: ((...args: never[]) => unknown) | null;
  /** @internal */
  _args: unknown[] | null;
  /** @internal */
  _cancelled = false;

  /** @internal */
  constructor(
    fn: (...args: never[]) => unknown,
    args: unknown[],
    /** @internal */ readonly _loop: HandleOwner,
    /** @internal */ readonly _context: Context,
  ) {
    this._fn = fn;
    this._args = args;
  }

  /** Stops the callback from running. Does nothing if it already ran. */
  cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      this._fn = null;
      this._args = null;
    }
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** Function name and arguments, for reports. */
  toString(): string {
    const state = this._cancelled ? " cancelled" : "";
    return `<${this.constructor.name}${state} ${functionName(this._fn)}(${formatArgs(this._args)})>`;
  }

  /** console.log shows the repr, not the internals. */
  [INSPECT](): string {
    return this.toString();
  }

  /** @internal Runs the callback in its context; an exception goes to the loop's handler. */
  _run(): void {
    if (this._cancelled) return;
    const fn = this._fn as (...args: unknown[]) => unknown;
    const prev = _enterContext(this._context);
    try {
      fn(...(this._args as unknown[]));
    } catch (exc) {
      this._loop.callExceptionHandler({
        message: `Exception in callback ${functionName(fn)}(${formatArgs(this._args)})`,
        exception: exc,
        handle: this,
      });
    } finally {
      _enterContext(prev);
    }
  }
}

/**
 * A callback scheduled for a time with `loop.callLater()` / `loop.callAt()`.
 *
 * @example
 * ```ts
 * const h = loop.callLater(5, () => console.log("five seconds later"));
 * console.log(h.when() - loop.time()); // 5
 * ```
 */
export class TimerHandle extends Handle implements TimerEntry {
  /** @internal set while the handle sits in the loop's timer heap */
  _scheduled = false;

  /** @internal */
  constructor(
    /** @internal */ readonly _when: number,
    fn: (...args: never[]) => unknown,
    args: unknown[],
    loop: HandleOwner,
    context: Context,
  ) {
    super(fn, args, loop, context);
  }

  /** The loop time (seconds) at which the callback is due. */
  when(): number {
    return this._when;
  }

  override cancel(): void {
    if (!this._cancelled) {
      if (this._scheduled) this._loop._timerHandleCancelled(this);
      super.cancel();
    }
  }
}
