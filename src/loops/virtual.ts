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
import type { TimerEntry } from "../core/handles.js";
import { type Macrotask, macrotask } from "./macrotask.js";

/**
 * @internal What a schedule explorer (asyncio-ts/testing's `explore`) plugs into a virtual
 * loop: it may move each timer's deadline later (never earlier: a timer never fires before
 * its deadline) and delay the delivery of settled outside promises by whole iterations.
 * Ready callbacks are never reordered: callSoon stays FIFO.
 */
export interface _SchedulePerturber {
  /** The deadline to file `entry` under, `>= when`. */
  timer(when: number, entry: TimerEntry): number;
  /** Runs `deliver` now or some loop iterations later. */
  outside(deliver: () => void): void;
}

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
  /**
   * Real seconds the loop must stay idle before the clock jumps to the next timer, as
   * Trio's `MockClock.autojump_threshold`: 0 (the default) jumps at once; `Infinity` never
   * jumps, so time moves only through {@link VirtualEventLoop.advance} (a manual clock).
   */
  autojumpThreshold?: number;
}

function thresholdMs(value: unknown, what: string): number {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new RangeError(
      `VirtualEventLoop(): '${what}' must be a number of seconds >= 0: received ${String(value)}`,
    );
  }
  return value === Infinity ? Infinity : Math.min(value * 1000, 2_147_483_647);
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
  /** @internal real ms of idleness before a jump when no outside work is pending */
  private _autojumpMs: number;
  /** @internal tasks waiting for every other task to block (waitAllTasksBlocked), FIFO */
  private readonly _idleWaiters: (() => void)[] = [];
  /** @internal the schedule explorer's hook; null on an ordinary run */
  private _perturber: _SchedulePerturber | null = null;
  /**
   * @internal Called when the loop goes idle with nothing that can move it on: no timer,
   * no outside work (the testing harness's deadlock check; real I/O may still come).
   */
  _onStall: (() => void) | null = null;
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
    this._patienceMs = thresholdMs(options.outsideWorkPatience ?? 0.1, "outsideWorkPatience");
    this._autojumpMs = thresholdMs(options.autojumpThreshold ?? 0, "autojumpThreshold");
  }

  /**
   * Real seconds the loop stays idle before the clock jumps (see
   * {@link VirtualEventLoopOptions.autojumpThreshold}); settable while the loop runs.
   *
   * @example
   * ```ts
   * const loop = asyncio.getRunningLoop() as asyncio.VirtualEventLoop;
   * loop.autojumpThreshold = Infinity; // manual clock: only advance() moves time
   * ```
   */
  get autojumpThreshold(): number {
    return this._autojumpMs === Infinity ? Infinity : this._autojumpMs / 1000;
  }

  set autojumpThreshold(seconds: number) {
    this._autojumpMs = thresholdMs(seconds, "autojumpThreshold");
    if (this.isRunning() && !this._jumpAnyway) {
      this._clearPatience();
      this._arm();
    }
  }

  /**
   * @internal Calls `wake` once every task is blocked: nothing ready, no timer due. Waiters
   * are woken one at a time, first come first served, before the clock may jump.
   */
  _onAllBlocked(wake: () => void): () => void {
    this._idleWaiters.push(wake);
    return () => {
      const i = this._idleWaiters.indexOf(wake);
      if (i >= 0) this._idleWaiters.splice(i, 1);
    };
  }

  /** @internal Installs (or, with null, removes) a schedule explorer's perturbations. */
  _setPerturber(perturber: _SchedulePerturber | null): void {
    this._perturber = perturber;
    this._deliverOutside =
      perturber === null ? null : (deliver: () => void) => perturber.outside(deliver);
  }

  /** @internal */
  override _pushTimer(entry: TimerEntry, when: number): void {
    const p = this._perturber;
    super._pushTimer(entry, p === null ? when : p.timer(when, entry));
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
    const waiter = this._idleWaiters.shift();
    if (waiter !== undefined) {
      waiter();
      return true;
    }
    if (
      this._onStall !== null &&
      this._externalPending === 0 &&
      this._nextTimerWhen() === undefined
    ) {
      this._onStall();
      return false;
    }
    if (!this._jumpAnyway && (this._externalPending > 0 || this._autojumpMs > 0)) return false;
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
  protected _requestTimer(when: number): void {
    // Time jumps as soon as nothing but outside work is pending; while outside work is
    // pending, its settling wakes the loop through callSoon — or, if it does not come
    // within the patience, the clock jumps anyway. An autojump threshold makes the loop
    // wait that long, idle, before any jump; a timer already due (advance()) runs now.
    const waitMs =
      this._externalPending === 0 ? this._autojumpMs : Math.max(this._patienceMs, this._autojumpMs);
    if (waitMs === 0 || when <= this._now) {
      // A patience of 0 jumps at once, outside work or not (the idle check alone would
      // wait for the outside work for ever: there is no patience timer to give up on it).
      if (waitMs === 0 && this._externalPending > 0) this._jumpAnyway = true;
      this._requestImmediate();
    } else if (this._patienceTimer === null && Number.isFinite(waitMs)) {
      this._patienceTimer = setTimeout(this._onPatienceExhausted, waitMs);
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
