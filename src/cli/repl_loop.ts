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
 * The ended step's generator cannot resume (its frames are gone); frames of
 * `coroutine()`-marked callers are intact and get the CancelledError, so their `finally`
 * blocks run. Costs about ten microseconds a tick (the watchdog's signal handler is
 * installed and removed), in the REPL only.
 *
 * @module
 */

import type { Writable } from "node:stream";
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

/** The parts of a Node Writable's state that an interrupted write leaves behind. */
interface WriteState {
  writing?: unknown;
  sync?: unknown;
  writecb?: unknown;
  onwrite?: unknown;
}

/**
 * Finishes a write that Ctrl-C cut off inside its synchronous part; true if there was one.
 *
 * A busy loop that prints is most often ended inside `console.log`: after the bytes went
 * out but before the stream noted the write done. The stream then counts that write as in
 * progress for ever and buffers everything after it, so the REPL falls silent. Between
 * ticks no write can be in its synchronous part (`sync`), so one that is was ended with the
 * tick: finish it as written, as its own callback would have. Its text may be cut short, as
 * Python's `print` interrupted by Ctrl-C is. A write waiting for the OS (not `sync`) is left
 * to complete; so is a stream without these fields (other runtimes).
 *
 * @example
 * ```ts
 * finishInterruptedWrite(process.stdout); // after a tick was ended
 * ```
 */
export function finishInterruptedWrite(stream: Writable): boolean {
  const state = (stream as unknown as { _writableState?: WriteState })._writableState;
  if (state === undefined || state.writing !== true || state.sync !== true) return false;
  if (typeof state.writecb !== "function" || typeof state.onwrite !== "function") return false;
  state.sync = false;
  (state.onwrite as (err: Error | null) => void)(null);
  return true;
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
   * end: the REPL's watcher of long ticks lets the terminal make the key a SIGINT once a
   * tick has run a while (interrupt_key.ts).
   */
  aroundTick: ((inTick: boolean) => void) | null = null;

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
  }

  /** @internal Puts back what the ended tick's `finally` blocks would have, then carries on. */
  private _recover(outside: ContextHolder): void {
    const task = this._currentTask;
    this._currentTask = null;
    (this as unknown as { _inTick: boolean })._inTick = false;
    _endStep();
    _enterContext(outside);
    finishInterruptedWrite(process.stdout);
    finishInterruptedWrite(process.stderr);
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
