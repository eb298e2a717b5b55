/**
 * The loop for browsers and Web Workers: asyncio-ts's scheduler on the page's (or the
 * worker's) event loop.
 *
 * - **Ticks are never clamped.** Ready callbacks run in ticks posted with
 *   `scheduler.postTask` where the host has it (Chromium, in pages and workers), else with a
 *   `MessageChannel` message — not with `setTimeout(0)`, which browsers clamp to 4 ms once
 *   nested, so a loop ticking through it would crawl.
 * - **Rendering and input are served.** A tick runs iterations for about a millisecond (the
 *   scheduler's budget, looked at every 256 callbacks), then ends its macrotask and posts
 *   the next one: the browser paints and delivers input events in between, so a busy loop
 *   does not freeze the page. (One slow callback is still one slow callback.)
 * - **Timers keep their deadlines.** One `setTimeout` is armed for the earliest timer, with
 *   its delay rounded up to the millisecond. When it fires, the tick is posted rather than
 *   run inside the timer's task, so the next `setTimeout` is armed from a message task:
 *   timers armed from timers would be nested, and clamped to 4 ms.
 * - **asyncio's order.** `callSoon` callbacks run first in, first out; timers by deadline,
 *   then in the order they were scheduled — the scheduler's rules, the same on every loop.
 *
 * Browsers throttle timers in background tabs (to once a second, or less): a sleeping task
 * in a hidden tab wakes late, as every timer there does.
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import { describe } from "../core/coroutines.js";
import { type Macrotask, type MacrotaskKind, macrotask } from "./macrotask.js";

/** The longest delay `setTimeout` takes; longer timers are re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;
/** What a delay may be over a whole number of milliseconds by floating-point error alone. */
const ROUNDING_MS = 1e-6;

/**
 * Options of {@link BrowserEventLoop}.
 *
 * @example
 * ```ts
 * const loop = new asyncio.BrowserEventLoop({ tick: "messageChannel" });
 * ```
 */
export interface BrowserEventLoopOptions {
  /**
   * How the loop posts its ticks: `"postTask"` (`scheduler.postTask`, at its default
   * "user-visible" priority) or `"messageChannel"`. By default the first of the two the
   * host has.
   */
  tick?: "postTask" | "messageChannel";
}

/**
 * The event loop for browsers and Web Workers: real time (`performance.now()`), ticks
 * posted as unclamped macrotasks, timers on `setTimeout`. It has no I/O: its I/O methods
 * throw NotImplementedError (use `fetch` and other signal-aware web APIs through
 * `fromPromise` and the task's `currentSignal()` instead). `asyncio.run()` uses it by
 * default where Node's `setImmediate` does not exist.
 *
 * @example
 * ```ts
 * const answer = await asyncio.run(main(), { loopFactory: () => new asyncio.BrowserEventLoop() });
 * ```
 */
export class BrowserEventLoop extends BaseEventLoop {
  /** @internal */
  private readonly _wakeup: Macrotask;
  /** @internal */
  private _timer: ReturnType<typeof setTimeout> | null = null;
  /** @internal */
  private _timerWhen = Number.NaN;

  /** @internal The timer posts the tick: see the module's note on nested timers. */
  private readonly _onTimer = (): void => {
    this._timer = null;
    this._timerWhen = Number.NaN;
    this._wakeup.post();
  };

  constructor(options: BrowserEventLoopOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `BrowserEventLoop(): 'options' must be an object: received ${describe(options)}`,
      );
    }
    const tick = options.tick;
    let order: MacrotaskKind[];
    if (tick === undefined) order = ["postTask", "messageChannel"];
    else if (tick === "postTask" || tick === "messageChannel") order = [tick];
    else {
      throw new TypeError(
        `BrowserEventLoop(): 'tick' must be "postTask" or "messageChannel": received ${describe(tick)}`,
      );
    }
    try {
      this._wakeup = macrotask(() => this._tickSoon(), order);
    } catch {
      throw new TypeError(
        `BrowserEventLoop(): the host has no ${order.map((k) => (k === "postTask" ? "scheduler.postTask" : "MessageChannel")).join(" nor ")}`,
      );
    }
  }

  /** How ticks are posted: `"postTask"` or `"messageChannel"`. */
  get tickMechanism(): "postTask" | "messageChannel" {
    return this._wakeup.kind as "postTask" | "messageChannel";
  }

  /** Monotonic seconds (`performance.now()` / 1000). */
  time(): number {
    return performance.now() / 1000;
  }

  /** Runs the loop until `stop()`; the tick's message port is released when it ends. */
  override runForever(): Promise<void> {
    return super.runForever().then(() => this._wakeup.close());
  }

  /** Closes the loop as `BaseEventLoop.close()` does, releasing its message port. */
  override close(): void {
    super.close();
    if (this.isClosed()) this._wakeup.close();
  }

  /** @internal */
  protected _requestImmediate(): void {
    this._wakeup.post();
  }

  /** @internal */
  protected _requestTimer(when: number): void {
    if (this._timer !== null) {
      if (this._timerWhen === when) return;
      clearTimeout(this._timer);
    }
    // Rounded up (a timer that fires early finds nothing due and is armed again), less a
    // nanosecond: 1.002 - 1.0 is 2.0000000000000018 ms in floating point, not 3 ms.
    const ms = Math.min(
      MAX_TIMER_MS,
      Math.max(0, Math.ceil((when - this.time()) * 1000 - ROUNDING_MS)),
    );
    this._timer = setTimeout(this._onTimer, ms);
    this._timerWhen = when;
  }

  /** @internal */
  protected _cancelWakeups(): void {
    this._wakeup.cancel();
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
      this._timerWhen = Number.NaN;
    }
  }
}
