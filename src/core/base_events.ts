/**
 * BaseEventLoop: the scheduler that every loop shares — the FIFO ready queue, the timer
 * heap, `runOnce`, and `runForever` / `runUntilComplete` as Promises. It imports nothing
 * from Node: a subclass says how to be woken (now, or at a time) and what time it is.
 *
 * One iteration (`_runOnce`), as asyncio's: due timers are moved to the ready queue, then
 * exactly the callbacks that are ready at that moment run; callbacks they schedule run in
 * the next iteration. A *tick* runs iterations back to back, synchronously, until nothing
 * is ready or about a millisecond has passed, then returns to the host (Node's event loop)
 * so I/O is never starved, and asks to be woken for the next ready callback or timer.
 *
 * @module
 */

// Types only, erased from the build: the I/O surface's signatures, which the core declares
// and src/io implements. Nothing of src/io or Node is loaded by the core.
import type { AddrInfo, GetaddrinfoOptions, SockAddr } from "../io/dns.js";
import type {
  ClientSSL,
  CreateConnectionOptions,
  CreateDatagramEndpointOptions,
  CreateServerOptions,
  CreateUnixConnectionOptions,
  CreateUnixServerOptions,
  ServerSSL,
  StartTlsOptions,
} from "../io/loop_net.js";
import type { BaseProtocol, DatagramProtocol } from "../io/protocols.js";
import type { Server } from "../io/server.js";
import type { SignalName } from "../io/signals.js";
import type { Executor, ThreadFunction } from "../io/threads.js";
import type { DatagramTransport, InetAddress, Transport } from "../io/transports.js";
import { _currentVars, Context } from "./contextvars.js";
import {
  type AwaitableLike,
  type Coroutine,
  describe,
  isAwaitableLike,
  iscoroutine,
} from "./coroutines.js";
import { _getRunningLoop, _setRunningLoop, getRunningLoop } from "./events.js";
import { isCancelledError, NotImplementedError, RuntimeError } from "./exceptions.js";
import { _reportUnretrieved, Future, isfuture } from "./futures.js";
import { type ExceptionContext, Handle, type TimerEntry, TimerHandle } from "./handles.js";
import { _noteWait, type LoopObserver } from "./observer.js";
import { ReadyQueue, type Runnable } from "./readyqueue.js";
import { _newTask, type Task, TaskList, type TaskOptions } from "./tasks.js";
import { TimerHeap } from "./timerheap.js";

/** How long one tick may run before returning to the host loop, in milliseconds. */
const TICK_BUDGET_MS = 1;
/** Ready callbacks run between two looks at the clock during a tick. */
const CLOCK_CHECK_EVERY = 256;
/** The timer heap is compacted only past this size… */
const MIN_TIMERS_TO_COMPACT = 100;
/** …and when more than this fraction of it is cancelled. */
const CANCELLED_FRACTION_TO_COMPACT = 0.5;

/**
 * A loop's exception handler: receives the loop and asyncio's context object.
 *
 * @example
 * ```ts
 * const seen: string[] = [];
 * const handler: asyncio.ExceptionHandler = (_loop, ctx) => {
 *   seen.push(ctx.message);
 * };
 * const loop = asyncio.getRunningLoop();
 * loop.setExceptionHandler(handler);
 * loop.callSoon(() => {
 *   throw new Error("boom");
 * });
 * yield* asyncio.sleep(0);
 * loop.setExceptionHandler(null);
 * console.log(seen); // ["Exception in callback …"]
 * ```
 */
export type ExceptionHandler = (loop: BaseEventLoop, context: ExceptionContext) => void;

/**
 * A task factory, as `loop.setTaskFactory()` takes it.
 *
 * @example
 * ```ts
 * const named: asyncio.TaskFactory = (loop, coro, opts) =>
 *   new asyncio.Task(coro, { ...opts, loop, name: opts.name ?? "worker" });
 * const loop = asyncio.getRunningLoop();
 * loop.setTaskFactory(named);
 * const task = asyncio.createTask(work());
 * loop.setTaskFactory(null);
 * console.log(task.getName(), yield* task); // worker done
 * ```
 */
export type TaskFactory = <T>(
  loop: BaseEventLoop,
  coro: Coroutine<T>,
  options: TaskOptions,
) => Task<T>;

/**
 * Something `shutdownAsyncgens()` closes: an async generator not yet finished.
 *
 * @example
 * ```ts
 * const agen: asyncio.AsyncGenLike = powersOfTwo(3); // every AsyncGen is one
 * yield* agen.aclose();
 * ```
 */
export interface AsyncGenLike {
  aclose(): Coroutine<void>;
}

/** Reused by createFuture(): no options object per Future (every contended wait makes one). */
const FUTURE_OPTIONS: { loop?: BaseEventLoop } = {};

/** Run by close() on a loop that is neither running nor closed (see _addCloseHook). */
const closeHooks: Array<(loop: BaseEventLoop) => void> = [];

/**
 * @internal What reads from the outside world on a stream (a socket, a pipe): the I/O
 * gate holds deliveries back while the stream is paused, in the same way the transport does.
 */
export interface _IoSource {
  isReading(): boolean;
  isClosing(): boolean;
}

/**
 * @internal How the I/O layer hands over what arrives from outside (data, EOF, a closed or
 * accepted connection, a datagram) when a schedule explorer runs the loop: now, some
 * iterations later, or (data) in several pieces — always after everything the same source
 * handed over before, and data never while the source is paused. Null on every other
 * loop, so the I/O paths pay one branch.
 */
export interface _IoGate {
  /**
   * `deliver(piece)` for the bytes of `chunk`, in order, possibly in several pieces (each
   * a `subarray` of it, so a Buffer's pieces are Buffers).
   */
  data<C extends Uint8Array>(
    source: _IoSource,
    role: string,
    chunk: C,
    deliver: (piece: C) => void,
  ): void;
  /** `deliver()` now or later: `what` happened on `source` (for the trace). */
  event(source: object, role: string, what: string, deliver: () => void): void;
  /** `source` resumed reading: held data may move on. */
  resumed(source: _IoSource): void;
}

/**
 * @internal Registers `hook` to run when any loop closes, before its queues are dropped:
 * how layers above the core (signal handlers, child processes) release what they hold
 * for a loop without the core knowing about them.
 */
export function _addCloseHook(hook: (loop: BaseEventLoop) => void): void {
  closeHooks.push(hook);
}

/** The context a handler is given when the default one is asked to print. */
function formatContext(context: ExceptionContext): string {
  const lines = [context.message];
  for (const [key, value] of Object.entries(context)) {
    if (key === "message" || key === "exception") continue;
    lines.push(`${key}: ${String(value)}`);
  }
  const exc = context.exception;
  if (exc !== undefined) {
    lines.push(exc instanceof Error && exc.stack ? exc.stack : `exception: ${describe(exc)}`);
  }
  return lines.join("\n");
}

/**
 * The event loop's scheduler, shared by every loop implementation. Subclasses provide
 * `time()` and how to be woken; see `NodeEventLoop` and `VirtualEventLoop`.
 *
 * @example
 * ```ts
 * const loop = asyncio.newEventLoop();
 * loop.callSoon(() => console.log("first"));
 * loop.callLater(0.1, () => loop.stop());
 * await loop.runForever();
 * loop.close();
 * ```
 */
export abstract class BaseEventLoop {
  /** @internal */
  readonly _ready = new ReadyQueue();
  /** @internal */
  readonly _timers = new TimerHeap();
  /** @internal cancelled handles still in the heap */
  _cancelledTimers = 0;
  /** @internal pending tasks, held strongly */
  readonly _tasks = new TaskList();
  /** @internal */
  _currentTask: Task<unknown> | null = null;
  /** @internal */
  _debug = false;
  /**
   * @internal The installed instruments' dispatcher, or null (see core/observer.ts): read
   * by a step only when its task is marked as heard (OBSERVED_FLAG), and per iteration.
   */
  _observer: LoopObserver | null = null;
  /**
   * @internal The same dispatcher while an instrument wants to hear about tasks queued
   * (`taskScheduled`), else null: what a queued runnable reads instead of `_observer`.
   */
  _queueObserver: LoopObserver | null = null;
  /** @internal outside work the loop waits for (bridged promises); virtual time holds still */
  _externalPending = 0;
  /**
   * @internal How a settled outside promise reaches its Future: null (at once) except on a
   * virtual-time loop that explores schedules, which may deliver it some iterations later.
   */
  _deliverOutside: ((deliver: () => void) => void) | null = null;
  /** @internal The schedule explorer's gate for socket and pipe deliveries; null otherwise. */
  _ioGate: _IoGate | null = null;
  /**
   * @internal Installed sources that can call back at any moment but that the host does
   * not count as pending work (signal handlers: Node lets a process exit while it listens
   * for signals). Change it through {@link _addWakeSource}.
   */
  _wakeSources = 0;
  /** @internal async generators to close at shutdown */
  readonly _asyncgens = new Set<AsyncGenLike>();
  /** @internal set once shutdownAsyncgens() ran: later generators are not tracked */
  _asyncgensShutdownCalled = false;
  /** Callbacks or task steps slower than this (seconds) are reported in debug mode. */
  slowCallbackDuration = 0.1;

  /** @internal */
  private _closed = false;
  /** @internal */
  private _running = false;
  /** @internal */
  private _stopping = false;
  /** @internal stop() came before runForever(): asyncio still runs one iteration first */
  private _stopOnEntry = false;
  /** @internal */
  private _inTick = false;
  /**
   * @internal The callbacks at the head of the ready queue that belong to an iteration a
   * tick left unfinished when its budget ran out (0: none); the next tick runs them first.
   */
  private _iterationLeft = 0;
  /** @internal */
  private _stopResolve: (() => void) | null = null;
  /** @internal */
  private _exceptionHandler: ExceptionHandler | null = null;
  /** @internal */
  private _taskFactory: TaskFactory | null = null;

  /** The loop's clock: monotonic seconds. */
  abstract time(): number;

  /** @internal Ask the host to call `_tick()` soon. Idempotent. */
  protected abstract _requestImmediate(): void;
  /** @internal Ask the host to call `_tick()` at loop time `when`, replacing an earlier ask. */
  protected abstract _requestTimer(when: number): void;
  /** @internal Drop every pending wake-up (the loop stopped). */
  protected abstract _cancelWakeups(): void;

  /**
   * @internal `delta` wake sources were installed (1) or removed (-1). A host that would
   * otherwise end while the loop runs idle must stay alive while there is one: the loop
   * is not deadlocked, a signal can still wake it.
   */
  _addWakeSource(delta: 1 | -1): void {
    this._wakeSources += delta;
  }

  /**
   * @internal Called when nothing is ready: a virtual clock jumps to the next timer and
   * returns true; a real clock returns false and the tick ends.
   */
  protected _idleJump(): boolean {
    return false;
  }

  // ------------------------------------------------------------------ scheduling

  /**
   * Schedules `callback(...args)` for the next iteration of the loop, after the callbacks
   * already scheduled (FIFO). It runs in a copy of the current context.
   *
   * @example
   * ```ts
   * loop.callSoon(console.log, "hello");
   * ```
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    this._checkCallback(callback, "callSoon");
    this._checkClosed();
    return this._callSoonWithContext(callback, args, new Context(_currentVars()));
  }

  /**
   * Schedules `callback(...args)` to run `delay` seconds from now. Callbacks due at the
   * same time run in the order they were scheduled.
   *
   * @example
   * ```ts
   * const h = loop.callLater(2.5, () => console.log("2.5 s later"));
   * ```
   */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    if (typeof delay !== "number" || Number.isNaN(delay)) {
      throw new TypeError(
        `callLater(): 'delay' must be a number of seconds: received ${describe(delay)}`,
      );
    }
    this._checkCallback(callback, "callLater");
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /**
   * Schedules `callback(...args)` to run at loop time `when` (see {@link time}).
   *
   * @example
   * ```ts
   * loop.callAt(loop.time() + 1, () => console.log("one second later"));
   * ```
   */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    if (typeof when !== "number" || Number.isNaN(when)) {
      throw new TypeError(
        `callAt(): 'when' must be a number (loop time): received ${describe(when)}`,
      );
    }
    this._checkCallback(callback, "callAt");
    this._checkClosed();
    const h = new TimerHandle(
      when,
      callback as (...args: never[]) => unknown,
      args,
      this,
      new Context(_currentVars()),
    );
    this._pushTimer(h, when);
    return h;
  }

  /**
   * @internal Adds a timer entry due at loop time `when` to the heap, re-arming the host
   * wake-up if needed.
   */
  _pushTimer(entry: TimerEntry, when: number): void {
    entry._scheduled = true;
    this._timers.push(entry, when);
    if (!this._inTick && this._running) this._arm();
  }

  /** @internal callSoon without checks, with an explicit context. */
  _callSoonWithContext(
    callback: (...args: never[]) => unknown,
    args: unknown[],
    context: Context,
  ): Handle {
    const h = new Handle(callback, args, this, context);
    this._readyPush(h);
    return h;
  }

  /** @internal Appends to the ready queue, waking the host if we are between ticks. */
  _readyPush(r: Runnable, arg?: unknown): void {
    this._ready.push(r, arg);
    const observer = this._queueObserver;
    if (observer !== null) observer._queued(r, arg, this._currentTask);
    if (!this._inTick && this._running) this._requestImmediate();
  }

  /** @internal */
  _timerHandleCancelled(_entry: TimerEntry): void {
    this._cancelledTimers++;
  }

  // ------------------------------------------------------------------ running

  /**
   * Runs the loop until {@link stop} is called. Returns a Promise: Node cannot block.
   *
   * @example
   * ```ts
   * const loop = new asyncio.VirtualEventLoop();
   * loop.callLater(1, () => loop.stop());
   * await loop.runForever();
   * console.log(loop.time()); // 1
   * loop.close();
   * ```
   */
  runForever(): Promise<void> {
    this._checkClosed();
    this._checkNotRunning();
    this._running = true;
    this._stopOnEntry = this._stopping;
    _setRunningLoop(this);
    return new Promise<void>((resolve) => {
      this._stopResolve = resolve;
      this._requestImmediate();
    });
  }

  /**
   * Runs the loop until `future` is done and returns its result (a coroutine is wrapped in
   * a Task first). The Promise rejects with the Future's own exception.
   *
   * @example
   * ```ts
   * const loop = asyncio.newEventLoop();
   * console.log(await loop.runUntilComplete(asyncio.sleep(1, "done")));
   * loop.close();
   * ```
   */
  runUntilComplete<T>(future: AwaitableLike<T>): Promise<T> {
    this._checkClosed();
    this._checkNotRunning();
    const fut = this._ensureFuture(future);
    const onDone = (): void => this.stop();
    fut.addDoneCallback(onDone);
    return this.runForever().then(() => {
      fut.removeDoneCallback(onDone);
      if (!fut.done()) throw new RuntimeError("Event loop stopped before Future completed.");
      return fut.result();
    });
  }

  /**
   * Stops the loop after the current iteration; `runForever()`'s Promise then resolves.
   *
   * @example
   * ```ts
   * loop.callLater(5, () => loop.stop());
   * ```
   */
  stop(): void {
    this._stopping = true;
    if (this._running && !this._inTick) this._requestImmediate();
  }

  /** Whether the loop is running (its `runForever()` is in progress). */
  isRunning(): boolean {
    return this._running;
  }

  /** Whether {@link close} was called. */
  isClosed(): boolean {
    return this._closed;
  }

  /**
   * Closes the loop: drops scheduled callbacks and timers. Exceptions of its Futures and
   * Tasks that nobody retrieved are reported ("Task exception was never retrieved"), and so
   * are pending tasks ("Task was destroyed but it is pending!"). Throws if the loop is running.
   *
   * @example
   * ```ts
   * const loop = new asyncio.VirtualEventLoop();
   * console.log(await loop.runUntilComplete(work())); // done
   * loop.close();
   * console.log(loop.isClosed()); // true
   * ```
   */
  close(): void {
    if (this._running) throw new RuntimeError("Cannot close a running event loop");
    if (this._closed) return;
    for (const hook of closeHooks) {
      try {
        hook(this);
      } catch (exception) {
        this.callExceptionHandler({ message: "Error while closing the event loop", exception });
      }
    }
    this._closed = true;
    this._ready.clear();
    this._iterationLeft = 0;
    this._timers.clear();
    this._cancelledTimers = 0;
    _reportUnretrieved(this);
    for (const task of this._tasks) {
      this.callExceptionHandler({ message: "Task was destroyed but it is pending!", task });
    }
    this._tasks.clear();
  }

  // ------------------------------------------------------------------ futures and tasks

  /**
   * A new Future attached to this loop.
   *
   * @example
   * ```ts
   * const fut = loop.createFuture<number>();
   * loop.callLater(1, () => fut.setResult(42));
   * ```
   */
  createFuture<T>(): Future<T> {
    FUTURE_OPTIONS.loop = this;
    return new Future<T>(FUTURE_OPTIONS);
  }

  /**
   * Wraps `coro` in a Task scheduled on this loop (through the task factory, if set).
   *
   * @example
   * ```ts
   * const task = loop.createTask(worker(), { name: "worker-1" });
   * ```
   */
  createTask<T>(coro: Coroutine<T>, options?: TaskOptions): Task<T> {
    this._checkClosed();
    if (this._taskFactory === null) return _newTask(this, coro, options);
    options ??= {};
    if (!iscoroutine(coro)) {
      throw new TypeError(
        `createTask(): 'coro' must be a coroutine (a generator object): received ${describe(coro)}`,
      );
    }
    const task = this._taskFactory(this, coro, options);
    if (options.name !== undefined) task.setName(options.name);
    return task;
  }

  /**
   * Sets the factory `createTask()` uses; `null` restores the default.
   *
   * @example
   * ```ts
   * loop.setTaskFactory(asyncio.eagerTaskFactory);
   * ```
   */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== "function") {
      throw new TypeError(
        `setTaskFactory(): 'factory' must be a function or null: received ${describe(factory)}`,
      );
    }
    this._taskFactory = factory;
  }

  /** The task factory, or `null` for the default. */
  getTaskFactory(): TaskFactory | null {
    return this._taskFactory;
  }

  /**
   * Closes every async generator that is not finished (run by `asyncio.run()` at the end).
   *
   * @example
   * ```ts
   * yield* loop.shutdownAsyncgens();
   * ```
   */
  *shutdownAsyncgens(): Coroutine<void> {
    this._asyncgensShutdownCalled = true;
    const gens = [...this._asyncgens];
    this._asyncgens.clear();
    // Concurrently, as asyncio's gather(..., return_exceptions=True): one generator whose
    // cleanup awaits does not hold up the others.
    const closing = gens.map((gen) => this.createTask(gen.aclose()));
    for (let i = 0; i < gens.length; i++) {
      const gen = gens[i];
      try {
        yield* closing[i] as Task<void>;
      } catch (exception) {
        if (isCancelledError(exception)) continue;
        this.callExceptionHandler({
          message: "an error occurred during closing of asynchronous generator",
          exception,
          asyncgen: gen,
        });
      }
    }
  }

  // ------------------------------------------------------------------ errors and debug

  /**
   * Sets the handler for errors nobody else can receive (a callback that threw, an
   * exception never retrieved, …); `null` restores the default, which prints them.
   *
   * @example
   * ```ts
   * const errors: asyncio.ExceptionContext[] = [];
   * const loop = asyncio.getRunningLoop();
   * loop.setExceptionHandler((_loop, ctx) => {
   *   errors.push(ctx);
   * });
   * loop.callSoon(() => {
   *   throw new Error("boom");
   * });
   * yield* asyncio.sleep(0);
   * loop.setExceptionHandler(null);
   * console.log(errors.length, errors[0]?.exception); // 1 Error: boom
   * ```
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(
        `setExceptionHandler(): 'handler' must be a function or null: received ${describe(handler)}`,
      );
    }
    this._exceptionHandler = handler;
  }

  /** The exception handler, or `null` for the default. */
  getExceptionHandler(): ExceptionHandler | null {
    return this._exceptionHandler;
  }

  /**
   * Prints `context` to stderr: the message, the other fields, and the exception's stack.
   *
   * @example
   * ```ts
   * const ignorable = (ctx: asyncio.ExceptionContext) => ctx.exception instanceof asyncio.CancelledError;
   * const loop = asyncio.getRunningLoop();
   * loop.setExceptionHandler((loop, ctx) => {
   *   if (!ignorable(ctx)) loop.defaultExceptionHandler(ctx);
   * });
   * loop.callSoon(() => {
   *   throw new asyncio.CancelledError(); // ignored: nothing is printed
   * });
   * yield* asyncio.sleep(0);
   * loop.setExceptionHandler(null);
   * ```
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    console.error(formatContext(context));
  }

  /**
   * Reports an error to the exception handler. Never throws: an error in the handler itself
   * is printed by the default handler.
   *
   * @example
   * ```ts
   * const loop = asyncio.getRunningLoop();
   * const reported: string[] = [];
   * loop.setExceptionHandler((_loop, ctx) => reported.push(ctx.message));
   * const err = new asyncio.ConnectionResetError("peer went away");
   * loop.callExceptionHandler({ message: "lost connection", exception: err });
   * loop.setExceptionHandler(null);
   * console.log(reported); // ["lost connection"]
   * ```
   */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this._exceptionHandler;
    if (handler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch {
        // printing failed (stderr closed): nothing more can be done
      }
      return;
    }
    try {
      handler(this, context);
    } catch (exception) {
      try {
        this.defaultExceptionHandler({
          message: "Unhandled error in exception handler",
          exception,
          context: context.message,
        });
      } catch {
        // as above
      }
    }
  }

  /** Whether debug mode is on. */
  getDebug(): boolean {
    return this._debug;
  }

  /**
   * Turns debug mode on or off: slow callbacks and swallowed cancellations are reported.
   *
   * @example
   * ```ts
   * loop.setDebug(true);
   * ```
   */
  setDebug(enabled: boolean): void {
    this._debug = Boolean(enabled);
  }

  toString(): string {
    const state = this._closed ? "closed" : this._running ? "running" : "idle";
    return `<${this.constructor.name} ${state} debug=${this._debug}>`;
  }

  // ------------------------------------------------------------------ the tick

  /** @internal */
  private readonly _tickJob = (): void => this._tick();

  /**
   * @internal What a host wake-up (an immediate, a timer) calls: the tick, run as a
   * microtask queued from the wake-up.
   *
   * Why not call `_tick()` directly: with no native `TryCatch` on the stack, as in a
   * `setImmediate` or `setTimeout` callback, V8 builds a message object (walking the stack)
   * for every `throw`, even one that JavaScript catches a frame later. The microtask
   * runner installs a `TryCatch`, and a throw inside it costs a third as much. Cancelling
   * a task is a throw in every frame it unwinds, and so is every error a task raises. The
   * microtask runs right after the wake-up returns, before libuv polls again, so nothing
   * else can run in between.
   */
  protected _tickSoon(): void {
    queueMicrotask(this._tickJob);
  }

  /**
   * @internal Runs iterations until nothing is ready or the budget is spent, then asks to
   * be woken for what comes next. Called (through {@link _tickSoon}) by the subclass's
   * host wake-ups.
   */
  protected _tick(): void {
    if (!this._running) return;
    this._inTick = true;
    const observer = this._observer;
    if (observer !== null) observer._tickStarted(this);
    try {
      if (this._stopOnEntry) {
        this._stopOnEntry = false;
        if (this._debug || this._observer !== null) this._runOnceDebug();
        else this._runOnce();
      }
      let start = -1;
      let sinceCheck = 0;
      const ready = this._ready;
      // The callbacks of the iteration the previous tick left unfinished come first.
      let left = Math.min(this._iterationLeft, ready.length);
      this._iterationLeft = 0;
      for (;;) {
        if (left === 0) {
          if (this._stopping) break;
          if (ready.length === 0 && !this._timerDue() && !this._idleJump()) break;
          if (this._debug || this._observer !== null) {
            // Instruments ride the debug iteration, which is never split: the plain one
            // stays free of checks.
            sinceCheck += this._runOnceDebug();
          } else {
            if (this._timers.size > 0) this._collectDueTimers();
            left = ready.length;
          }
        }
        // Run the iteration in slices between two looks at the clock: a burst of 100,000
        // ready task steps is one iteration, and Node's loop must not wait for all of it.
        if (left > 0) {
          const slice = Math.min(left, CLOCK_CHECK_EVERY - sinceCheck);
          for (let i = 0; i < slice; i++) ready.runHead();
          left -= slice;
          sinceCheck += slice;
        }
        if (sinceCheck >= CLOCK_CHECK_EVERY) {
          sinceCheck = 0;
          const now = performance.now();
          if (start < 0) start = now;
          else if (now - start >= TICK_BUDGET_MS && !this._stopping) {
            // Back to the host; the next tick finishes this iteration before it starts
            // another (what was queued meanwhile, I/O callbacks too, runs after it, as if
            // it had arrived before the next iteration's poll). A stop() finishes it first.
            this._iterationLeft = left;
            break;
          }
        }
      }
    } finally {
      this._inTick = false;
      if (this._observer !== null) this._observer._tickEnded(this, this._stopping);
    }
    if (this._stopping) this._finishRunForever();
    else this._arm();
  }

  /** @internal One iteration; returns how many callbacks ran. */
  _runOnce(): number {
    if (this._timers.size > 0) this._collectDueTimers();
    const ready = this._ready;
    const n = ready.length;
    for (let i = 0; i < n; i++) ready.runHead();
    return n;
  }

  /** @internal */
  private _runOnceDebug(): number {
    if (this._timers.size > 0) this._collectDueTimers();
    const ready = this._ready;
    const n = ready.length;
    const observer = this._observer;
    if (observer !== null) observer._iterationStarted(this, n);
    if (!this._debug) {
      for (let i = 0; i < n; i++) ready.runHead();
    } else {
      for (let i = 0; i < n; i++) {
        const r = ready.peek();
        const t0 = performance.now();
        ready.runHead();
        const dt = (performance.now() - t0) / 1000;
        if (dt >= this.slowCallbackDuration) {
          this.callExceptionHandler({
            message: `Executing ${String(r)} took ${dt.toFixed(3)} seconds`,
          });
        }
      }
    }
    // An instrument may have been removed by a callback of this very iteration.
    if (observer !== null) observer._iterationEnded(this, n);
    return n;
  }

  /** @internal */
  private _collectDueTimers(): void {
    const timers = this._timers;
    if (
      timers.size > MIN_TIMERS_TO_COMPACT &&
      this._cancelledTimers > timers.size * CANCELLED_FRACTION_TO_COMPACT
    ) {
      timers.compact((h) => {
        const drop = h._cancelled;
        // Leaving the heap clears a Task's stale mark too: read it first.
        if (drop) h._scheduled = false;
        return drop;
      });
      this._cancelledTimers = 0;
    }
    const now = this.time();
    for (let h = timers.peek(); h !== undefined; h = timers.peek()) {
      if (h._cancelled) {
        timers.pop();
        h._scheduled = false;
        this._cancelledTimers--;
        continue;
      }
      if (timers.peekWhen() > now) break;
      timers.pop();
      h._scheduled = false;
      this._ready.push(h);
    }
  }

  /**
   * @internal The deadline of the earliest live timer (undefined when there is none; a
   * timer may be due at `Infinity`), dropping cancelled ones from the top.
   */
  _nextTimerWhen(): number | undefined {
    const timers = this._timers;
    for (let h = timers.peek(); h !== undefined; h = timers.peek()) {
      if (!h._cancelled) return timers.peekWhen();
      timers.pop();
      h._scheduled = false;
      this._cancelledTimers--;
    }
    return undefined;
  }

  /** @internal */
  private _timerDue(): boolean {
    if (this._timers.size === 0) return false;
    const next = this._nextTimerWhen();
    return next !== undefined && next <= this.time();
  }

  /** @internal Asks the host for the next wake-up: now if work is ready, else at the next timer. */
  protected _arm(): void {
    if (this._ready.length > 0) {
      this._requestImmediate();
      return;
    }
    const next = this._nextTimerWhen();
    if (next !== undefined) this._requestTimer(next);
    else this._cancelWakeups();
  }

  /** @internal */
  private _finishRunForever(): void {
    this._stopping = false;
    this._running = false;
    this._cancelWakeups();
    _setRunningLoop(null);
    const resolve = this._stopResolve;
    this._stopResolve = null;
    resolve?.();
  }

  // ------------------------------------------------------------------ I/O (declared only)
  //
  // The I/O surface, as asyncio's AbstractEventLoop declares it: the core has no Node, so
  // here every method throws NotImplementedError; an I/O-capable loop (IOEventLoop in
  // src/io/loop_io.ts, which NodeEventLoop and VirtualEventLoop extend) implements them.

  /**
   * Runs `fn(...args)` in `executor` (the loop's default {@link ThreadPoolExecutor} when
   * `null`) and returns a Future for its result. `fn` must follow the thread rule: a
   * self-contained function or a `moduleFunction()` (see `toThread`).
   *
   * Cancelling the Future withdraws a call not yet started; a running call finishes in
   * its worker and its result is dropped. Throws `RuntimeError` once
   * `shutdownDefaultExecutor()` has been called (for the default executor), and
   * `NotImplementedError` on a loop without I/O.
   *
   * @example
   * ```ts
   * const loop = asyncio.getRunningLoop();
   * const n = yield* loop.runInExecutor(null, (a: number, b: number) => a + b, 1, 2);
   * ```
   */
  runInExecutor<A extends unknown[], R>(
    _executor: Executor | null,
    _fn: ThreadFunction<A, R>,
    ..._args: A
  ): Future<R> {
    throw this._noIO("runInExecutor");
  }

  /**
   * Makes `executor` the one `runInExecutor(null, …)` and `toThread()` use.
   *
   * @example
   * ```ts
   * loop.setDefaultExecutor(new asyncio.ThreadPoolExecutor(2));
   * ```
   */
  setDefaultExecutor(_executor: Executor): void {
    throw this._noIO("setDefaultExecutor");
  }

  /**
   * Shuts the default executor down and waits for its workers (at most `timeout`
   * seconds; after that the slow workers are reported and terminated). Later
   * `runInExecutor(null, …)` calls raise `RuntimeError`. `Runner.close()` calls it. A loop
   * without I/O has no executor: there is nothing to wait for.
   *
   * @example
   * ```ts
   * yield* loop.shutdownDefaultExecutor();
   * ```
   */
  *shutdownDefaultExecutor(_timeout?: number | null): Coroutine<void> {}

  /**
   * Resolves `host` and `port` as the C library's `getaddrinfo` does: a list of
   * `[family, type, proto, canonname, sockaddr]`. See `src/io/dns.ts`.
   *
   * @example
   * ```ts
   * const infos = yield* loop.getaddrinfo("localhost", 80, { type: asyncio.SOCK_STREAM });
   * ```
   */
  getaddrinfo(
    _host: string | null,
    _port: number | string | null,
    _options?: GetaddrinfoOptions,
  ): Future<AddrInfo[]> {
    throw this._noIO("getaddrinfo");
  }

  /**
   * Reverse lookup of a socket address: `[host, service]`.
   *
   * @example
   * ```ts
   * const [host, service] = yield* loop.getnameinfo(["127.0.0.1", 22]);
   * ```
   */
  getnameinfo(_sockaddr: SockAddr, _flags?: number): Future<[string, string]> {
    throw this._noIO("getnameinfo");
  }

  /**
   * Calls `callback(...args)` on the loop whenever the process receives signal `sig`.
   * A second call for the same signal replaces the handler (no chaining), as asyncio.
   * Throws `TypeError` for a coroutine function or a non-function, `RangeError` for an
   * unknown signal, `RuntimeError` for a signal that cannot be caught or a closed loop.
   *
   * @example
   * ```ts
   * loop.addSignalHandler("SIGTERM", () => mainTask.cancel());
   * ```
   */
  addSignalHandler<A extends unknown[]>(
    _sig: SignalName | number,
    _callback: (...args: A) => unknown,
    ..._args: A
  ): void {
    throw this._noIO("addSignalHandler");
  }

  /**
   * Removes the handler for `sig`; returns whether there was one. Node's default
   * behaviour for the signal comes back.
   *
   * @example
   * ```ts
   * loop.removeSignalHandler("SIGTERM");
   * ```
   */
  removeSignalHandler(_sig: SignalName | number): boolean {
    throw this._noIO("removeSignalHandler");
  }

  /**
   * Opens a TCP (or TLS) connection to `host`:`port` and wires it to a new protocol
   * from `protocolFactory`; evaluates to `[transport, protocol]` once the protocol's
   * `connectionMade` has run.
   *
   * Errors: asyncio's OSError classes for system errors (ConnectionRefusedError for
   * `ECONNREFUSED`, …, with Node's `code`, `errno`, `syscall`); Node's own errors for
   * name resolution (`ENOTFOUND`) and certificates; TimeoutError when the TLS handshake
   * exceeds `sslHandshakeTimeout`. Cancellation destroys the socket.
   *
   * @example
   * ```ts
   * const loop = asyncio.getRunningLoop();
   * const server = yield* loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0);
   * const [, port] = server.sockets[0]!.getsockname();
   * const [transport, protocol] = yield* loop.createConnection(() => new MyProtocol(), "127.0.0.1", port);
   * transport.write(Buffer.from("hello")); // the echo comes back: MyProtocol prints "hello"
   * yield* asyncio.sleep(0.1);
   * console.log(protocol instanceof MyProtocol); // true
   * transport.close();
   * server.close();
   * yield* server.waitClosed();
   * ```
   */
  createConnection<P extends BaseProtocol>(
    _protocolFactory: () => P,
    _host?: string | null,
    _port?: number | null,
    _options?: CreateConnectionOptions,
  ): Coroutine<[Transport, P]> {
    throw this._noIO("createConnection");
  }

  /**
   * Listens on `host`:`port` (every address of `host`, every interface when `host` is
   * `null`; a list of hosts listens on each) and serves each connection with a new
   * protocol from `protocolFactory`. Port 0 picks a free port (see `server.sockets`).
   *
   * @example
   * ```ts
   * const server = yield* loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0);
   * const [, port] = server.sockets[0]!.getsockname();
   * ```
   */
  createServer(
    _protocolFactory: () => BaseProtocol,
    _host?: string | readonly string[] | null,
    _port?: number | null,
    _options?: CreateServerOptions,
  ): Coroutine<Server<InetAddress>> {
    throw this._noIO("createServer");
  }

  /**
   * As {@link createConnection}, to a Unix domain socket at `path`.
   *
   * @example
   * ```ts
   * const path = `${process.cwd()}/app.sock`;
   * const server = yield* loop.createUnixServer(() => new EchoProtocol(), path);
   * const [transport] = yield* loop.createUnixConnection(() => new MyProtocol(), path);
   * transport.write(Buffer.from("hello")); // MyProtocol prints the echo: "hello"
   * yield* asyncio.sleep(0.1);
   * transport.close();
   * server.close();
   * yield* server.waitClosed();
   * ```
   */
  createUnixConnection<P extends BaseProtocol>(
    _protocolFactory: () => P,
    _path: string,
    _options?: CreateUnixConnectionOptions,
  ): Coroutine<[Transport, P]> {
    throw this._noIO("createUnixConnection");
  }

  /**
   * As {@link createServer}, listening on a Unix domain socket at `path` (a stale socket
   * file there is replaced; it is removed when the server closes).
   *
   * @example
   * ```ts
   * const server = yield* loop.createUnixServer(() => new EchoProtocol(), "/tmp/app.sock");
   * ```
   */
  createUnixServer(
    _protocolFactory: () => BaseProtocol,
    _path: string,
    _options?: CreateUnixServerOptions,
  ): Coroutine<Server<string>> {
    throw this._noIO("createUnixServer");
  }

  /**
   * Opens a UDP socket (bound to `localAddr` and/or connected to `remoteAddr`) and
   * evaluates to `[transport, protocol]`.
   *
   * @example
   * ```ts
   * class EchoUdp extends asyncio.DatagramProtocol {
   *   transport: asyncio.DatagramTransport | null = null;
   *   override connectionMade(transport: asyncio.DatagramTransport): void {
   *     this.transport = transport;
   *   }
   *   override datagramReceived(data: Buffer, addr: asyncio.DatagramAddress): void {
   *     this.transport?.sendto(data, addr);
   *   }
   * }
   * const [transport, proto] = yield* loop.createDatagramEndpoint(() => new EchoUdp(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * console.log(transport.getExtraInfo("sockname")); // ["127.0.0.1", <a free port>]
   * console.log(proto.transport === transport); // true
   * transport.close();
   * ```
   */
  createDatagramEndpoint<P extends DatagramProtocol>(
    _protocolFactory: () => P,
    _options?: CreateDatagramEndpointOptions,
  ): Coroutine<[DatagramTransport, P]> {
    throw this._noIO("createDatagramEndpoint");
  }

  /**
   * Upgrades an open connection to TLS: evaluates to a new transport that `protocol`
   * (now its protocol) talks through; the old transport must not be used again.
   *
   * @example
   * ```ts
   * const server = yield* loop.createServer(() => new asyncio.Protocol(), "127.0.0.1", 0, {
   *   ssl: { key: keyPem, cert: certPem },
   * });
   * const [, port] = server.sockets[0]!.getsockname();
   * // A plain TCP connection (a STARTTLS protocol would first agree on the upgrade)...
   * const [transport, protocol] = yield* loop.createConnection(() => new MyProtocol(), "127.0.0.1", port);
   * // ...then the TLS handshake over it.
   * const tlsTransport = yield* loop.startTls(transport, protocol, { ca: [caPem] }, {
   *   serverHostname: "localhost",
   * });
   * console.log(tlsTransport.getExtraInfo("sslVersion")); // "TLSv1.3"
   * tlsTransport.close();
   * server.close();
   * yield* server.waitClosed();
   * ```
   */
  startTls(
    _transport: Transport,
    _protocol: BaseProtocol,
    _sslcontext: ClientSSL | ServerSSL,
    _options?: StartTlsOptions,
  ): Coroutine<Transport> {
    throw this._noIO("startTls");
  }

  /** @internal The error an I/O method of a loop without I/O throws, at the call. */
  private _noIO(method: string): NotImplementedError {
    const name = this.constructor.name;
    return new NotImplementedError(
      `${name} without I/O: ${method}() needs an I/O-capable loop such as NodeEventLoop ` +
        `(a loop class gets I/O by extending IOEventLoop instead of BaseEventLoop)`,
    );
  }

  // ------------------------------------------------------------------ checks

  /** @internal */
  _checkClosed(): void {
    if (this._closed) throw new RuntimeError("Event loop is closed");
  }

  /** @internal */
  private _checkNotRunning(): void {
    if (this._running) throw new RuntimeError("This event loop is already running");
    if (_getRunningLoop() !== null) {
      throw new RuntimeError("Cannot run the event loop while another loop is running");
    }
  }

  /** @internal */
  private _checkCallback(callback: unknown, method: string): void {
    if (typeof callback !== "function") {
      throw new TypeError(
        `${method}(): 'callback' must be a function: received ${describe(callback)}`,
      );
    }
  }

  /** @internal ensureFuture bound to this loop. */
  _ensureFuture<T>(aw: AwaitableLike<T>): Future<T> {
    if (isfuture(aw)) {
      if (aw._loop !== this) {
        throw new RangeError(
          "The future belongs to a different loop than the one specified as the loop argument",
        );
      }
      return aw as Future<T>;
    }
    if (iscoroutine(aw)) return this.createTask(aw as Coroutine<T>);
    if (!isAwaitableLike(aw)) {
      throw new TypeError(
        `An awaitable (coroutine, Future, Task or Promise) is required: received ${describe(aw)}`,
      );
    }
    // A Promise is bridged now, not at a task's first step: its rejection would be
    // unhandled meanwhile.
    if (!(Symbol.iterator in aw)) return bridgePromise(aw, this);
    return this.createTask(awaitAny(aw, this));
  }
}

/**
 * @internal A coroutine that awaits any awaitable (with `yield*`) or promise-like value
 * (bridged on `loop`, the running loop by default). The one place the combinators, the
 * runner and the timeouts turn "anything awaitable" into something a Task can drive.
 */
export function* awaitAny<T>(aw: AwaitableLike<T>, loop?: BaseEventLoop): Coroutine<T> {
  if (Symbol.iterator in aw) return yield* aw;
  return yield* bridgePromise(aw, loop ?? getRunningLoop());
}

/**
 * @internal A Future settled by `p`. While `p` is pending the loop counts it as outside
 * work (a virtual clock does not jump past it); a cancelled Future stops counting at once.
 */
export function bridgePromise<T>(p: PromiseLike<T>, loop: BaseEventLoop): Future<T> {
  const fut = loop.createFuture<T>();
  _noteWait(loop, fut, "promise");
  let counted = true;
  loop._externalPending++;
  const uncount = (): void => {
    if (counted) {
      counted = false;
      loop._externalPending--;
    }
  };
  fut.addDoneCallback(uncount);
  p.then(
    (value) => {
      uncount();
      const delay = loop._deliverOutside;
      if (delay === null) {
        if (!fut.done() && !loop.isClosed()) fut.setResult(value);
      } else {
        delay(() => {
          if (!fut.done() && !loop.isClosed()) fut.setResult(value);
        });
      }
    },
    (error: unknown) => {
      uncount();
      const settle = (): void => {
        if (!fut.done() && !loop.isClosed()) {
          fut.setException(error ?? new TypeError(`promise rejected with ${error}`));
        }
      };
      const delay = loop._deliverOutside;
      if (delay === null) settle();
      else delay(settle);
    },
  );
  return fut;
}
