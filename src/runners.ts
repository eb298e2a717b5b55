/**
 * `run()` and `Runner`: create a loop, run a main coroutine on it, clean up.
 *
 * Portable: the default loop is `newEventLoop()`'s (src/events.ts), which needs no I/O, and
 * Ctrl-C handling and the debug environment variables are used where the host has a
 * `process` (Node, Deno, Bun). The main entry's `run` and `Runner` (src/io/runners.ts)
 * default to the loop with I/O instead.
 *
 * @module
 */

import { awaitAny, type BaseEventLoop, bridgePromise } from "./core/base_events.js";
import type { Context } from "./core/contextvars.js";
import { copyContext } from "./core/contextvars.js";
import { type AwaitableLike, type Coroutine, describe, iscoroutine } from "./core/coroutines.js";
import { _getRunningLoop } from "./core/events.js";
import { KeyboardInterrupt, RuntimeError } from "./core/exceptions.js";
import type { Task } from "./core/tasks.js";
import { newEventLoop } from "./events.js";
import { gatherAll, isAwaitableLike } from "./tasks.js";

/** The part of Node's `process` the Runner uses (Deno and Bun have it too). */
interface HostProcess {
  pid: number;
  env: Record<string, string | undefined>;
  on(event: "SIGINT", listener: () => void): unknown;
  removeListener(event: "SIGINT", listener: () => void): unknown;
  listenerCount(event: "SIGINT"): number;
  kill(pid: number, signal: "SIGINT"): unknown;
}

/** The host's `process`, where there is one with signal events (not in browsers). */
function hostProcess(): HostProcess | undefined {
  const p = (globalThis as { process?: Partial<HostProcess> }).process;
  return typeof p?.on === "function" && typeof p.listenerCount === "function"
    ? (p as HostProcess)
    : undefined;
}

/** Whether PYTHONASYNCIODEBUG or ASYNCIO_TS_DEBUG asks for debug mode. */
function debugFromEnv(): boolean {
  try {
    const env = hostProcess()?.env;
    return Boolean(env?.PYTHONASYNCIODEBUG || env?.ASYNCIO_TS_DEBUG);
  } catch {
    // Deno without --allow-env refuses to read the environment: no debug mode then.
    return false;
  }
}

/** Whether `loop` (a loop with I/O) has its own SIGINT handler. */
function loopHandlesSigint(loop: BaseEventLoop): boolean {
  const has = (loop as { _hasSignalHandler?: (sig: "SIGINT") => boolean })._hasSignalHandler;
  return typeof has === "function" && has.call(loop, "SIGINT");
}

/** How long close() waits for the default executor's threads (asyncio's constant). */
const THREAD_JOIN_TIMEOUT = 300;

/**
 * Options of {@link run} and {@link Runner}.
 *
 * @example
 * ```ts
 * await asyncio.run(main(), { debug: true, handleSigint: false });
 * const runner = new asyncio.Runner({ loopFactory: () => new asyncio.VirtualEventLoop() });
 * ```
 */
export interface RunOptions {
  /** Debug mode: slow callbacks and swallowed cancellations are reported. */
  debug?: boolean;
  /**
   * Makes the loop; by default `newEventLoop()`'s, a `NodeEventLoop` on Node, Deno and Bun
   * (`() => new VirtualEventLoop()` for virtual time).
   */
  loopFactory?: () => BaseEventLoop;
  /** Turn Ctrl-C into cancellation of the main task (default true when nothing else handles SIGINT). */
  handleSigint?: boolean;
}

/**
 * Options of {@link Runner.run}.
 *
 * @example
 * ```ts
 * const runner = new asyncio.Runner();
 * await runner.run(main(), { context: asyncio.copyContext() });
 * await runner.close();
 * ```
 */
export interface RunnerRunOptions {
  /** The context the main task runs in; the runner's own context by default. */
  context?: Context;
}

const CREATED = "created";
const INITIALIZED = "initialized";
const CLOSED = "closed";
type RunnerState = typeof CREATED | typeof INITIALIZED | typeof CLOSED;

/**
 * Runs several top-level coroutines on one loop, in one shared context, as asyncio's
 * `Runner`. `close()` cancels what is left, closes async generators and the loop.
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
export class Runner {
  /** @internal */
  private _state: RunnerState = CREATED;
  /** @internal */
  private _loop: BaseEventLoop | null = null;
  /** @internal */
  private readonly _context: Context = copyContext();
  /** @internal */
  private _interruptCount = 0;

  constructor(/** @internal */ private readonly _options: RunOptions = {}) {
    if (_options.loopFactory !== undefined && typeof _options.loopFactory !== "function") {
      throw new TypeError(
        `Runner(): 'loopFactory' must be a function returning a loop: received ${describe(_options.loopFactory)}`,
      );
    }
  }

  /**
   * Runs `main` (a coroutine or any awaitable) to completion on the runner's loop and
   * resolves with its result, or rejects with its own error.
   */
  async run<T>(main: AwaitableLike<T>, options: RunnerRunOptions = {}): Promise<T> {
    if (!isAwaitableLike(main)) {
      throw new TypeError(`Runner.run(): an awaitable is required: received ${describe(main)}`);
    }
    if (_getRunningLoop() !== null) {
      closeCoroutine(main);
      throw new RuntimeError("Runner.run() cannot be called from a running event loop");
    }
    const loop = this._lazyInit();
    // A Promise is bridged at once, so that its rejection is handled before the loop runs
    // (Node would report it as unhandled meanwhile).
    const coro: Coroutine<T> = iscoroutine(main)
      ? (main as Coroutine<T>)
      : awaitAny(Symbol.iterator in main ? main : bridgePromise(main, loop));
    const context = options.context ?? this._context;
    // The task runs in the runner's context itself, not a copy: what one run sets, the
    // next run sees (asyncio's Runner passes context= to create_task).
    const task = loop.createTask(coro, { context });
    const removeSigint = this._installSigint(task);
    this._interruptCount = 0;
    try {
      return await loop.runUntilComplete(task);
    } catch (e) {
      if (this._interruptCount > 0 && task.cancelled() && task.uncancel() <= 0) {
        throw new KeyboardInterrupt("interrupted (Ctrl-C)", { cause: e });
      }
      throw e;
    } finally {
      removeSigint();
    }
  }

  /** The runner's loop (created on first use). */
  getLoop(): BaseEventLoop {
    return this._lazyInit();
  }

  /**
   * Cancels the tasks still pending, closes async generators, closes the loop. Idempotent.
   */
  async close(): Promise<void> {
    if (this._state !== INITIALIZED) {
      this._state = CLOSED;
      return;
    }
    const loop = this._loop as BaseEventLoop;
    try {
      await cancelAllTasks(loop);
      await loop.runUntilComplete(loop.shutdownAsyncgens());
      await loop.runUntilComplete(loop.shutdownDefaultExecutor(THREAD_JOIN_TIMEOUT));
    } finally {
      loop.close();
      this._loop = null;
      this._state = CLOSED;
    }
  }

  /** @internal */
  private _lazyInit(): BaseEventLoop {
    if (this._state === CLOSED) throw new RuntimeError("Runner is closed");
    if (this._state === INITIALIZED) return this._loop as BaseEventLoop;
    const factory = this._options.loopFactory;
    const loop = factory === undefined ? newEventLoop() : factory();
    if (this._options.debug !== undefined) loop.setDebug(this._options.debug);
    else if (debugFromEnv()) loop.setDebug(true);
    this._loop = loop;
    this._state = INITIALIZED;
    return loop;
  }

  /**
   * First Ctrl-C cancels the main task (its cleanup runs); a second one ends the process.
   * @internal
   */
  private _installSigint(task: Task<unknown>): () => void {
    const process = hostProcess();
    if (process === undefined) return () => {};
    const wanted = this._options.handleSigint ?? process.listenerCount("SIGINT") === 0;
    if (!wanted) return () => {};
    const onSigint = (): void => {
      // A loop handler for SIGINT replaces the Runner's, as signal.signal() does in Python.
      if (this._loop !== null && loopHandlesSigint(this._loop)) return;
      this._interruptCount++;
      if (this._interruptCount === 1 && !task.done()) {
        task.cancel("interrupted (Ctrl-C)");
        return;
      }
      process.removeListener("SIGINT", onSigint);
      process.kill(process.pid, "SIGINT");
    };
    process.on("SIGINT", onSigint);
    return () => process.removeListener("SIGINT", onSigint);
  }
}

function closeCoroutine(x: unknown): void {
  if (iscoroutine(x)) x.return(undefined);
}

/** Cancels every pending task of `loop` and waits for them, reporting their errors. */
async function cancelAllTasks(loop: BaseEventLoop): Promise<void> {
  const tasks = [...loop._tasks];
  if (tasks.length === 0) return;
  for (const t of tasks) t.cancel();
  // Not a spread: a million pending tasks must shut down too.
  await loop.runUntilComplete(gatherAll(tasks, { returnExceptions: true }));
  for (const t of tasks) {
    if (t.cancelled()) continue;
    const exception = t.exception();
    if (exception !== null) {
      loop.callExceptionHandler({
        message: "unhandled exception during asyncio.run() shutdown",
        exception,
        task: t,
      });
    }
  }
}

/**
 * Runs `main` on a new event loop and resolves with its result: asyncio's `run()`.
 * At the end, tasks still pending are cancelled, async generators are closed and the loop
 * is closed. Rejects with `main`'s own error; with `RuntimeError` if a loop is running.
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
export async function run<T>(main: AwaitableLike<T>, options: RunOptions = {}): Promise<T> {
  if (!isAwaitableLike(main)) {
    throw new TypeError(`run(): an awaitable is required: received ${describe(main)}`);
  }
  if (_getRunningLoop() !== null) {
    closeCoroutine(main);
    throw new RuntimeError("asyncio.run() cannot be called from a running event loop");
  }
  const runner = new Runner(options);
  try {
    return await runner.run(main);
  } finally {
    await runner.close();
  }
}
