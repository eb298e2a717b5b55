/**
 * The default loop: asyncio-ts's scheduler on Node's event loop.
 *
 * Ready callbacks run synchronously in ticks of about a millisecond; between ticks control
 * returns to libuv (through `setImmediate`), so sockets, child processes and promise
 * callbacks are served. One Node timer is armed for the earliest deadline. The process
 * stays alive exactly while the loop has a ready callback or a timer, or while Node has
 * outside work (a socket, a pending promise's I/O) that will feed it.
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import { formatAllTasks } from "../debug/graph.js";

/** Node's longest timer delay; longer ones are re-armed when they fire. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The event loop `asyncio.run()` uses by default.
 *
 * @example
 * ```ts
 * await asyncio.run(main(), { loopFactory: () => new asyncio.NodeEventLoop() });
 * ```
 */
export class NodeEventLoop extends BaseEventLoop {
  /** @internal */
  private _immediate: ReturnType<typeof setImmediate> | null = null;
  /** @internal */
  private _timer: ReturnType<typeof setTimeout> | null = null;
  /** @internal */
  private _timerWhen = Number.NaN;

  /** @internal */
  private readonly _onImmediate = (): void => {
    this._immediate = null;
    this._tickSoon();
  };

  /** @internal */
  private readonly _onTimer = (): void => {
    this._timer = null;
    this._timerWhen = Number.NaN;
    this._tickSoon();
  };

  /**
   * Node is about to exit while this loop still runs: nothing is ready, no timer is set
   * and no outside work can call back. Every pending task waits for something that will
   * never happen. asyncio would hang here forever; Node exits, leaving `run()`'s Promise
   * unsettled. Say which tasks are stuck, and where, before it does.
   * @internal
   */
  private readonly _onBeforeExit = (): void => {
    if (!this.isRunning() || this._ready.length > 0 || this._nextTimerWhen() !== undefined) return;
    this.callExceptionHandler({
      message:
        `Event loop deadlock: the process is exiting because nothing can wake the loop, ` +
        `with ${this._tasks.size} task(s) pending:\n${formatAllTasks({ loop: this })}`,
    });
  };

  override runForever(): Promise<void> {
    const done = super.runForever();
    process.on("beforeExit", this._onBeforeExit);
    return done.finally(() => process.removeListener("beforeExit", this._onBeforeExit));
  }

  /** Monotonic seconds (`performance.now()` / 1000). */
  time(): number {
    return performance.now() / 1000;
  }

  /** @internal */
  protected _requestImmediate(): void {
    if (this._immediate === null) this._immediate = setImmediate(this._onImmediate);
  }

  /** @internal */
  protected _requestTimer(when: number): void {
    if (this._timer !== null) {
      if (this._timerWhen === when) return;
      clearTimeout(this._timer);
    }
    // Round up: a timer that fires early finds nothing due and is re-armed, a wasted wake-up.
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil((when - this.time()) * 1000)));
    this._timer = setTimeout(this._onTimer, ms);
    this._timerWhen = when;
  }

  /** @internal */
  protected _cancelWakeups(): void {
    if (this._immediate !== null) {
      clearImmediate(this._immediate);
      this._immediate = null;
    }
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
      this._timerWhen = Number.NaN;
    }
  }
}
