/**
 * A loop with virtual time, as Trio's autojump clock: whenever no callback is ready and no
 * outside work (a bridged promise) is pending, the clock jumps to the next timer. So
 * `sleep(3600)` returns at once with `loop.time()` 3600 seconds later, and a program's
 * output and timings are the same on every run.
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";

/** Options of {@link VirtualEventLoop}. */
export interface VirtualEventLoopOptions {
  /** The clock's starting time in seconds; 0 by default. */
  start?: number;
}

/**
 * The event loop for tests and simulations: virtual, deterministic time.
 *
 * @example
 * ```ts
 * const elapsed = await asyncio.run(function* () {
 *   const loop = asyncio.getRunningLoop();
 *   const t0 = loop.time();
 *   yield* asyncio.sleep(3600);
 *   return loop.time() - t0;
 * }(), { loopFactory: () => new asyncio.VirtualEventLoop() });
 * console.log(elapsed); // 3600, at once
 * ```
 */
export class VirtualEventLoop extends BaseEventLoop {
  private _now: number;
  private _immediate: ReturnType<typeof setImmediate> | null = null;

  private readonly _onImmediate = (): void => {
    this._immediate = null;
    this._tick();
  };

  constructor(options: VirtualEventLoopOptions = {}) {
    super();
    const start = options.start ?? 0;
    if (typeof start !== "number" || !Number.isFinite(start)) {
      throw new TypeError(
        `VirtualEventLoop(): 'start' must be a finite number: received ${String(start)}`,
      );
    }
    this._now = start;
  }

  /** The virtual clock, in seconds. */
  time(): number {
    return this._now;
  }

  /**
   * Moves the clock forward by `seconds` by hand (timers that become due run at the next
   * iteration). Usually unnecessary: the clock jumps by itself when everything waits.
   */
  advance(seconds: number): void {
    if (typeof seconds !== "number" || !(seconds >= 0)) {
      throw new RangeError(
        `advance(): 'seconds' must be a number >= 0: received ${String(seconds)}`,
      );
    }
    this._now += seconds;
    if (this.isRunning()) this._arm();
  }

  protected override _idleJump(): boolean {
    if (this._externalPending > 0) return false;
    const next = this._nextTimer();
    if (next === undefined) return false;
    if (next._when > this._now) this._now = next._when;
    return true;
  }

  protected _requestImmediate(): void {
    if (this._immediate === null) this._immediate = setImmediate(this._onImmediate);
  }

  protected _requestTimer(_when: number): void {
    // Time jumps as soon as nothing but outside work is pending; while a promise is
    // pending, its settling wakes the loop through callSoon.
    if (this._externalPending === 0) this._requestImmediate();
  }

  protected _cancelWakeups(): void {
    if (this._immediate !== null) {
      clearImmediate(this._immediate);
      this._immediate = null;
    }
  }
}
