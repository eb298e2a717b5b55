/**
 * The default loop: asyncio-ts's scheduler on Node's event loop (and on Deno's and Bun's,
 * which provide the same globals).
 *
 * Ready callbacks run synchronously in ticks of about a millisecond; between ticks control
 * returns to libuv (through `setImmediate`), so sockets, child processes and promise
 * callbacks are served. One Node timer is armed for the earliest deadline. The process
 * stays alive exactly while the loop has a ready callback or a timer, while Node has
 * outside work (a socket, a child process, a pending promise's I/O) that will feed it, or
 * while a signal handler is installed on the running loop. When none is left, the loop
 * is deadlocked: it reports the stuck tasks and its run rejects with a DeadlockError.
 *
 * This module imports nothing from Node: it uses only globals that Node, Deno and Bun all
 * have (`setImmediate`, `setTimeout`, `process`), so it belongs to the portable part. The
 * class here has no I/O (its I/O methods throw NotImplementedError); the `NodeEventLoop`
 * of the main entry is this class with I/O (src/io/loop_io.ts).
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import { _frameLine, _locateCoroutine } from "../core/coroutines.js";
import { DeadlockError, RuntimeError } from "../core/exceptions.js";
import type { Task } from "../core/tasks.js";
import { formatAllTasks } from "../debug/graph.js";

/** The part of Node's `process` the loop uses; Deno and Bun have it too. */
interface HostProcess {
  on(event: "beforeExit", listener: () => void): unknown;
  removeListener(event: "beforeExit", listener: () => void): unknown;
}

/** The host's `process`, when it has one that tells of its exit (not in browsers). */
function hostProcess(): HostProcess | undefined {
  const p = (globalThis as { process?: Partial<HostProcess> }).process;
  return typeof p?.on === "function" && typeof p.removeListener === "function"
    ? (p as HostProcess)
    : undefined;
}

/**
 * A stuck task for the deadlock report: its repr, then where each of its frames waits
 * (innermost first) when the runtime can locate them (on Node, through the locator the I/O
 * layer installs): the user's own lines.
 */
function stuckTask(t: Task<unknown>): string {
  const gens: object[] = [t._top, ...[...(t._frames ?? [])].reverse()];
  const where = gens.map(_locateCoroutine).filter((at) => at !== null);
  return `\n  ${String(t)}${where.map((at) => `\n  ${_frameLine(at)}`).join("")}`;
}

/** Node's longest timer delay; longer ones are re-armed when they fire. */
const MAX_TIMER_MS = 2_147_483_647;

/** The keep-alive timer's callback: it only has to exist. */
function keepAliveTick(): void {}

/**
 * The event loop `asyncio.run()` uses by default on Node, Deno and Bun. Imported from the
 * main entry it has I/O (sockets, subprocesses, signals, threads); from the portable entry
 * it is the same scheduler without I/O. Needs `setImmediate`: in a browser or a worker,
 * use {@link BrowserEventLoop}.
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
   * never happen. asyncio would hang here forever; Node would exit, leaving `run()`'s
   * Promise unsettled and no `finally` run. Say which tasks are stuck, and where, then stop
   * the loop so that `runForever()` rejects with a DeadlockError and its caller (`run()`)
   * cleans up. A cleanup that itself can never finish is the next deadlock, and ends the
   * same way: Node emits `beforeExit` again each time its queue empties.
   * @internal
   */
  private readonly _onBeforeExit = (): void => {
    if (!this.isRunning() || this._ready.length > 0 || this._nextTimerWhen() !== undefined) return;
    if (this._deadlock !== null) return; // already stopping
    const tasks = [...this._tasks];
    const cancelled = tasks.filter((t) => t.cancelling() > 0).length;
    const stuck =
      `nothing can wake the loop, with ${tasks.length} task(s) pending` +
      (cancelled > 0 ? ` (${cancelled} of them cancelled, stuck in their cleanup)` : "");
    this.callExceptionHandler({
      message: `Event loop deadlock: ${stuck}:\n${formatAllTasks({ loop: this })}`,
    });
    this._deadlock = new DeadlockError(
      `Event loop deadlock: ${stuck}:${tasks.map(stuckTask).join("")}`,
      // A cleanup stuck after a deadlock: in run() this error replaces the first one.
      this._lastDeadlock === null ? undefined : { cause: this._lastDeadlock },
    );
    this.stop();
  };

  /** @internal Why the loop is stopping: a deadlock found at `beforeExit`. */
  private _deadlock: DeadlockError | null = null;
  /** @internal The deadlock that ended the previous run, if it ended so. */
  private _lastDeadlock: DeadlockError | null = null;
  /** @internal A referenced Node timer that never fires, held while a wake source is installed. */
  private _keepAlive: ReturnType<typeof setInterval> | null = null;
  /** @internal The host's process, where exits can be seen coming (`beforeExit`). */
  private readonly _process = hostProcess();

  constructor() {
    super();
    if (typeof setImmediate !== "function") {
      throw new RuntimeError(
        `${new.target.name}() needs setImmediate, which Node, Deno and Bun have: in a ` +
          "browser or a Web Worker use BrowserEventLoop",
      );
    }
  }

  /**
   * Runs the loop until `stop()`. Rejects with a {@link DeadlockError} when nothing can wake
   * the loop any more (the process would exit).
   */
  override runForever(): Promise<void> {
    const done = super.runForever();
    this._process?.on("beforeExit", this._onBeforeExit);
    this._holdProcess();
    return done.then(() => {
      this._process?.removeListener("beforeExit", this._onBeforeExit);
      this._holdProcess();
      const deadlock = this._deadlock;
      this._deadlock = null;
      this._lastDeadlock = deadlock;
      if (deadlock !== null) throw deadlock;
    });
  }

  /** @internal */
  override _addWakeSource(delta: 1 | -1): void {
    super._addWakeSource(delta);
    this._holdProcess();
  }

  /**
   * Node counts referenced handles to decide when the process may exit, and a signal
   * listener is not one. So while the loop runs with a wake source installed it holds a
   * referenced timer of its own; removing the last source lets Node, and the deadlock
   * check at `beforeExit`, see an idle process again.
   * @internal
   */
  private _holdProcess(): void {
    const wanted = this.isRunning() && this._wakeSources > 0;
    if (wanted && this._keepAlive === null) {
      this._keepAlive = setInterval(keepAliveTick, MAX_TIMER_MS);
    } else if (!wanted && this._keepAlive !== null) {
      clearInterval(this._keepAlive);
      this._keepAlive = null;
    }
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
