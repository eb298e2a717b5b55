/**
 * The REPL's event loop: Node's loop whose ticks Ctrl-C can end, so that a coroutine
 * stuck in a busy loop (`for (;;) {}`) does not take the REPL down with it.
 *
 * A busy step never returns to Node, so no key is read and no signal handler runs. Node's
 * `vm` can watch for SIGINT while a script runs (`breakOnSigint`, what the REPL's
 * `breakEvalOnSigint` uses for synchronous input): V8 then terminates the running
 * JavaScript — no `catch` or `finally` runs in it — and the `vm` call throws. So each tick
 * runs through such a script; when one is ended, the loop is put back in order (the fields
 * a tick and a task step restore in their `finally` blocks) and the REPL is told which
 * task's step was ended: it cancels that task and the input that was running, and says
 * `KeyboardInterrupt`.
 *
 * `breakOnSigint` alone is unsafe in a loop: each watched script starts Node's SIGINT
 * watchdog and stops it again, and while it stops the process has SIGINT's default action
 * (Node swaps its handler and the `process.on("SIGINT")` listeners out and back in), so a
 * Ctrl-C that lands between a tick and the next kills the process (7 bare-Node processes
 * in 10, sent 30 SIGINTs each while ticking). {@link SigintWatch} holds the watchdog for
 * the REPL's whole life instead: the scripts' watchdogs nest inside it, the process's
 * handler never changes (0 processes in 10 killed, every one of the 300 signals handled),
 * and a Ctrl-C that arrives between ticks is kept by the watchdog until the REPL takes it.
 *
 * The ended step's generator cannot resume (its frames are gone); frames of
 * `coroutine()`-marked callers are intact and get the CancelledError, so their `finally`
 * blocks run. Costs about ten microseconds a tick (the watchdog's signal handler is
 * installed and removed), in the REPL only.
 *
 * @module
 */

import { Script } from "node:vm";
import type { ContextHolder } from "../core/contextvars.js";
import { _enterContext } from "../core/contextvars.js";
import type { Coroutine } from "../core/coroutines.js";
import { RuntimeError } from "../core/exceptions.js";
import { _endStep } from "../core/suspend.js";
import type { Task } from "../core/tasks.js";
import { NodeEventLoop } from "../io/loop_io.js";

/** Where the script that runs a tick finds it. */
const TICK = Symbol.for("asyncio-ts.repl.tick");
const tickScript = new Script(`globalThis[Symbol.for("asyncio-ts.repl.tick")]()`, {
  filename: "asyncio-ts-repl-tick",
});

/** A frame that rethrows what is thrown into it: stands in for a step Ctrl-C ended. */
function* ENDED_FRAME(): Coroutine<never> {
  yield* [];
  throw new RuntimeError("an interrupted task was resumed");
}

/** Node's error for a script ended by SIGINT. */
function isInterrupted(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

/** Node's SIGINT watchdog, as its `vm` module and its REPL start and stop it. */
interface SigintWatchdogBinding {
  startSigintWatchdog(): unknown;
  stopSigintWatchdog(): boolean;
  watchdogHasPendingSigint(): boolean;
}

/**
 * Owns SIGINT for as long as it is held: the process's handler is Node's SIGINT watchdog
 * and stays so, and each Ctrl-C is handed over exactly once — to the `breakOnSigint`
 * script it ends if one runs, else kept by the watchdog until {@link take} takes it.
 *
 * Node's `vm` and REPL count their watchdog starts and stops, and only the stop that
 * brings the count to zero puts SIGINT's default handler back; holding two starts keeps
 * the count above zero, so taking a kept Ctrl-C (a stop that returns and clears it, and a
 * start) never reaches zero either. The watchdog's functions are Node's own internal
 * binding (what `node:repl` uses), reached through `process.binding`; where it is missing
 * {@link SigintWatch.hold} returns null and the REPL listens for SIGINT as other programs do.
 *
 * @example
 * ```ts fragment: holds the process's SIGINT for the REPL; a test must not take it
 * const watch = SigintWatch.hold();
 * if (watch?.take()) console.log("Ctrl-C was pressed");
 * watch?.release();
 * ```
 */
export class SigintWatch {
  private held = true;

  private constructor(private readonly binding: SigintWatchdogBinding) {
    binding.startSigintWatchdog();
    binding.startSigintWatchdog();
  }

  /** Starts holding SIGINT; null where Node's watchdog cannot be reached. */
  static hold(): SigintWatch | null {
    let binding: Partial<SigintWatchdogBinding> | undefined;
    try {
      const processBinding = (process as unknown as { binding?: (name: string) => unknown })
        .binding;
      binding = processBinding?.call(process, "contextify") as Partial<SigintWatchdogBinding>;
    } catch {
      return null;
    }
    if (
      typeof binding?.startSigintWatchdog !== "function" ||
      typeof binding.stopSigintWatchdog !== "function" ||
      typeof binding.watchdogHasPendingSigint !== "function"
    ) {
      return null;
    }
    return new SigintWatch(binding as SigintWatchdogBinding);
  }

  /** Takes the Ctrl-C kept since the last take, if there is one: true once per Ctrl-C. */
  take(): boolean {
    if (!this.held || !this.binding.watchdogHasPendingSigint()) return false;
    // The stop reads and clears the kept signal under the watchdog's lock.
    const pending = this.binding.stopSigintWatchdog();
    this.binding.startSigintWatchdog();
    return pending;
  }

  /** Gives SIGINT back to Node: its default handler (or the process's listeners). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.binding.stopSigintWatchdog();
    this.binding.stopSigintWatchdog();
  }
}

/**
 * The loop `asyncio-ts repl` runs on: ticks that Ctrl-C (SIGINT) can end.
 *
 * @example
 * ```ts
 * const loop = new ReplEventLoop();
 * loop.onInterrupt = (task) => task?.cancel("interrupted (Ctrl-C)");
 * ```
 */
export class ReplEventLoop extends NodeEventLoop {
  /** Told after Ctrl-C ended a tick: the task whose step was ended, or null. */
  onInterrupt: ((task: Task<unknown> | null) => void) | null = null;
  /**
   * Told as each tick starts (true) and ends (false), inside the span that Ctrl-C can
   * end: the REPL takes the terminal out of raw mode there, so the key becomes a SIGINT.
   */
  aroundTick: ((inTick: boolean) => void) | null = null;
  /** Told after each tick, outside the span Ctrl-C can end: the REPL takes a kept Ctrl-C. */
  afterTick: (() => void) | null = null;

  /** @internal Each tick runs where Ctrl-C can end it. */
  protected override _tick(): void {
    // The context outside any task, which an ended step leaves replaced by its task's.
    const outside = _enterContext(null as unknown as ContextHolder);
    _enterContext(outside);
    const g = globalThis as Record<symbol, unknown>;
    const around = this.aroundTick;
    g[TICK] = () => {
      around?.(true);
      try {
        super._tick();
      } finally {
        around?.(false);
      }
    };
    try {
      tickScript.runInThisContext({ breakOnSigint: true });
    } catch (e) {
      if (!isInterrupted(e)) throw e;
      around?.(false); // the ended tick's finally did not run
      this._recover(outside);
    } finally {
      delete g[TICK];
    }
    this.afterTick?.();
  }

  /** @internal Puts back what the ended tick's `finally` blocks would have, then carries on. */
  private _recover(outside: ContextHolder): void {
    const task = this._currentTask;
    this._currentTask = null;
    (this as unknown as { _inTick: boolean })._inTick = false;
    _endStep();
    _enterContext(outside);
    if (task !== null && !task.done()) {
      // Its generator still counts as running and can never be resumed: a fresh frame
      // stands in for it, which rethrows the cancellation to the frames below (coroutine()
      // callers, intact) or ends the task cancelled. Nothing else will step the task: the
      // step that delivers the cancellation is queued here.
      task._top = ENDED_FRAME();
      task.cancel("interrupted (Ctrl-C)");
      this._readyPush(task);
    }
    this.onInterrupt?.(task);
    if (this.isRunning()) this._arm();
  }
}
