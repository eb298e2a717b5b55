/**
 * A loop with virtual time, as Trio's autojump clock: whenever no callback is ready and no
 * outside work (a bridged promise, a socket read) is pending, the clock jumps to the next
 * timer. So `sleep(3600)` returns at once with `loop.time()` 3600 seconds later, and a
 * program's output and timings are the same on every run.
 *
 * Outside work holds the clock still, so real I/O that answers promptly interleaves with
 * timers exactly as it would in real time. But outside work that never answers (a server
 * that hangs, a promise waiting on this loop's own timers) must not freeze virtual time:
 * once the loop has been idle for `outsideWorkPatience` seconds of real time with only
 * outside work pending, the clock jumps anyway — Trio's autojump threshold.
 *
 * It runs wherever JavaScript does: woken by `setImmediate` on Node, Deno and Bun, by a
 * posted task or message in browsers and workers (src/loops/macrotask.ts). The class here
 * has no I/O; the main entry's `VirtualEventLoop` is this class with I/O (src/io/loop_io.ts).
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import { type Macrotask, macrotask } from "./macrotask.js";

/**
 * Options of {@link VirtualEventLoop}.
 *
 * @example
 * ```ts
 * await asyncio.run(main(), {
 *   loopFactory: () => new asyncio.VirtualEventLoop({ start: 1000, outsideWorkPatience: 0.5 }),
 * });
 * ```
 */
export interface VirtualEventLoopOptions {
  /** The clock's starting time in seconds; 0 by default. */
  start?: number;
  /**
   * Real seconds the loop waits, idle, on pending outside work before it jumps the clock
   * anyway; 0.1 by default. `Infinity` waits for outside work for ever.
   */
  outsideWorkPatience?: number;
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
  /** @internal */
  private _now: number;
  /** @internal */
  private readonly _patienceMs: number;
  /** @internal How the host gives control back: `setImmediate` where there is one. */
  private readonly _wakeup: Macrotask = macrotask(
    () => this._onImmediate(),
    ["setImmediate", "postTask", "messageChannel", "setTimeout"],
  );
  /** @internal */
  private _patienceTimer: ReturnType<typeof setTimeout> | null = null;
  /** @internal The patience ran out: the next idle moment jumps despite pending outside work. */
  private _jumpAnyway = false;

  /** @internal */
  private _onImmediate(): void {
    this._clearPatience();
    this._tickSoon();
  }

  /** @internal */
  private readonly _onPatienceExhausted = (): void => {
    this._patienceTimer = null;
    this._jumpAnyway = true;
    this._tickSoon();
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
    const patience = options.outsideWorkPatience ?? 0.1;
    if (typeof patience !== "number" || !(patience >= 0)) {
      throw new RangeError(
        `VirtualEventLoop(): 'outsideWorkPatience' must be a number of seconds >= 0: received ${String(patience)}`,
      );
    }
    this._patienceMs = patience === Infinity ? Infinity : Math.min(patience * 1000, 2_147_483_647);
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

  /** @internal */
  protected override _idleJump(): boolean {
    if (this._externalPending > 0 && !this._jumpAnyway) return false;
    this._jumpAnyway = false;
    const next = this._nextTimerWhen();
    if (next === undefined) return false;
    if (next > this._now) this._now = next;
    return true;
  }

  /** @internal */
  protected _requestImmediate(): void {
    this._wakeup.post();
  }

  /** @internal */
  protected _requestTimer(_when: number): void {
    // Time jumps as soon as nothing but outside work is pending; while outside work is
    // pending, its settling wakes the loop through callSoon — or, if it does not come
    // within the patience, the clock jumps anyway.
    if (this._externalPending === 0) this._requestImmediate();
    else if (this._patienceTimer === null && Number.isFinite(this._patienceMs)) {
      this._patienceTimer = setTimeout(this._onPatienceExhausted, this._patienceMs);
    }
  }

  /** Closes the loop as `BaseEventLoop.close()` does, releasing its wake-up channel. */
  override close(): void {
    super.close();
    if (this.isClosed()) this._wakeup.close();
  }

  /** @internal */
  private _clearPatience(): void {
    if (this._patienceTimer !== null) {
      clearTimeout(this._patienceTimer);
      this._patienceTimer = null;
    }
  }

  /** @internal */
  protected _cancelWakeups(): void {
    this._wakeup.cancel();
    this._clearPatience();
    this._jumpAnyway = false;
  }
}
