/**
 * Threads: `toThread()`, `loop.runInExecutor()` and the {@link ThreadPoolExecutor} behind
 * them — a pool of `node:worker_threads` workers.
 *
 * **The rule.** JavaScript threads share no heap, so what runs in a worker is *sent* there,
 * never shared. A thread function is one of:
 *
 * - a **self-contained function** — an arrow function or `function` expression whose source
 *   text (`fn.toString()`) is re-evaluated in the worker. It may use its parameters, globals,
 *   `require("node:…")` and `await import(…)`, but **no variable it closes over** (imports of the
 *   calling module included): those do not exist in the worker and raise `ReferenceError`
 *   there. Class methods, bound and native functions are refused with a `TypeError`.
 * - a **module function**, {@link moduleFunction}`(moduleUrl, "exportName")` — the worker
 *   imports the module (a `.js`/`.mjs` file or a package; Node itself must be able to load
 *   it) and calls the named export. This is the way to run code that has imports.
 *
 * Arguments and results cross the thread boundary by structured clone (numbers, strings,
 * plain objects, arrays, `Uint8Array`, `Map`, `Date`, …; not functions or class instances).
 * A function may be `async`: the worker awaits it. An error thrown in the worker comes back
 * with its class (for the built-in error classes), its `name`, message, stack (frames in
 * the worker) and its own cloneable properties such as `code`.
 *
 * Context variables are not carried into workers (they have no access to the loop).
 *
 * @module
 */

import type { Worker } from "node:worker_threads";
import { type BaseEventLoop, bridgePromise } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { CancelledError, RuntimeError, TimeoutError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import { _noteWait } from "../core/observer.js";
import { builtin } from "./builtins.js";
import { _announceResource } from "./transports.js";

const MODULE_FUNCTION = Symbol("asyncio-ts: module function");

/**
 * A reference to a function exported by a module, to be run in a worker thread: made by
 * {@link moduleFunction}. `A` and `R` are the function's parameters and (awaited) result:
 * `moduleFunction<typeof fib>(url, "fib")` is a `ModuleFunction<[number], number>`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * const url = new URL("./fib.mjs", import.meta.url);
 * writeFileSync(url, "export function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n");
 * const fib: asyncio.ModuleFunction<[number], number> =
 *   asyncio.moduleFunction<(n: number) => number>(url, "fib");
 * const n = yield* asyncio.toThread(fib, 30); // in a worker thread: the loop stays free
 * console.log(n); // 832040
 * ```
 */
export interface ModuleFunction<A extends unknown[] = unknown[], R = unknown> {
  readonly [MODULE_FUNCTION]: true;
  /** The module's URL or specifier, as `import()` takes it in the worker. */
  readonly module: string;
  /** The name of the export to call. */
  readonly exportName: string;
  /** @internal phantom types */
  readonly _types?: (...args: A) => R;
}

/**
 * What a worker can run: a self-contained function (`(n: number) => n * 2`) or a
 * {@link ModuleFunction}. See the module's rule.
 *
 * @example
 * ```ts
 * const double: asyncio.ThreadFunction<[number], number> = (n) => n * 2;
 * const r = yield* asyncio.toThread(double, 21); // 42
 * ```
 */
export type ThreadFunction<A extends unknown[], R> =
  | ((...args: A) => R | PromiseLike<R>)
  | ModuleFunction<A, R>;

/**
 * Names an exported function of a module so that a worker thread can import it and call
 * it. Use it for anything that has imports; the module must be loadable by plain Node
 * (compiled JavaScript), and its arguments and result structured-cloneable.
 *
 * Throws `TypeError` if `module` or `exportName` is not a non-empty string or URL. A
 * missing module or export is reported when the function runs, by the awaiting call.
 *
 * @example
 * ```ts
 * import type { gzipSync } from "node:zlib";
 *
 * // Or your own: moduleFunction(new URL("./hash.mjs", import.meta.url), "sha256")
 * const gzip = asyncio.moduleFunction<typeof gzipSync>("node:zlib", "gzipSync");
 * const packed = yield* asyncio.toThread(gzip, Buffer.from("hello ".repeat(1000)));
 * ```
 */
export function moduleFunction<F extends (...args: never[]) => unknown>(
  module: string | URL,
  exportName: string,
): ModuleFunction<Parameters<F>, Awaited<ReturnType<F>>> {
  const spec = module instanceof URL ? module.href : module;
  if (typeof spec !== "string" || spec === "") {
    throw new TypeError(
      `moduleFunction(): 'module' must be a non-empty string or URL: received ${describe(module)}`,
    );
  }
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(
      `moduleFunction(): 'exportName' must be a non-empty string: received ${describe(exportName)}`,
    );
  }
  return { [MODULE_FUNCTION]: true, module: spec, exportName };
}

function isModuleFunction(x: unknown): x is ModuleFunction {
  return typeof x === "object" && x !== null && MODULE_FUNCTION in x;
}

/** What is posted to a worker: one call. */
type Job =
  | { id: number; kind: "source"; source: string; args: unknown[] }
  | { id: number; kind: "module"; module: string; exportName: string; args: unknown[] };

/** What a worker posts back. */
type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: unknown; name: string; props: Record<string, unknown> };

/**
 * The worker's program. Plain JavaScript evaluated as a script (`eval: true`), so it needs
 * no file on disk and works the same under tsx, vitest and compiled output.
 * `__name` is defined because esbuild (tsx, vitest) inserts calls to it into function
 * bodies when it keeps names; without it a transpiled function would fail in the worker.
 */
const WORKER_SOURCE = `
"use strict";
const { parentPort } = require("node:worker_threads");
globalThis.__name ??= (f) => f;
const compiled = new Map();
function compile(source) {
  let fn = compiled.get(source);
  if (fn === undefined) {
    fn = (0, eval)("(" + source + "\\n)");
    compiled.set(source, fn);
  }
  return fn;
}
function ownProps(e) {
  const props = {};
  if (e === null || typeof e !== "object") return props;
  for (const k of Object.keys(e)) {
    try { props[k] = structuredClone(e[k]); } catch {}
  }
  return props;
}
parentPort.on("message", async (job) => {
  try {
    let fn;
    if (job.kind === "source") fn = compile(job.source);
    else {
      const mod = await import(job.module);
      fn = mod[job.exportName];
      if (typeof fn !== "function") {
        throw new TypeError("module " + job.module + " has no exported function '" + job.exportName + "'");
      }
    }
    const value = await fn(...job.args);
    parentPort.postMessage({ id: job.id, ok: true, value });
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    let sent = error;
    try { structuredClone(error); } catch { sent = new Error(String(error)); }
    try {
      parentPort.postMessage({ id: job.id, ok: false, error: sent, name, props: ownProps(error) });
    } catch (e) {
      parentPort.postMessage({ id: job.id, ok: false, error: new Error(String(e)), name: "Error", props: {} });
    }
  }
});
`;

/** Rebuilds the error a worker reported, keeping its name, stack and properties. */
function reviveError(reply: Extract<Reply, { ok: false }>): unknown {
  const e = reply.error;
  if (e instanceof Error) {
    if (e.name !== reply.name) {
      Object.defineProperty(e, "name", { value: reply.name, configurable: true, writable: true });
    }
    for (const [k, v] of Object.entries(reply.props)) {
      if (!(k in e)) (e as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return e;
}

/** A submitted call: settled by a worker, or cancelled before it started. */
class WorkItem<R> {
  readonly promise: Promise<R>;
  resolve!: (value: R) => void;
  reject!: (error: unknown) => void;
  /** "queued" → "running" → "done"; or "queued" → "cancelled". */
  state: "queued" | "running" | "done" | "cancelled" = "queued";

  constructor(
    readonly job: Job,
    private readonly _pool: ThreadPoolExecutor,
  ) {
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody may be listening (a cancelled awaiter): the rejection is delivered through the
    // asyncio Future, never as an unhandled rejection.
    this.promise.catch(() => {});
  }

  /** Cancels the call if no worker has started it; returns whether it was cancelled. */
  cancel(): boolean {
    if (this.state !== "queued") return this.state === "cancelled";
    this.state = "cancelled";
    this._pool._dequeue(this as WorkItem<unknown>);
    this.reject(new CancelledError());
    return true;
  }
}

/**
 * Something that runs thread functions: what `loop.runInExecutor()` accepts.
 * {@link ThreadPoolExecutor} is one; implement it to run calls elsewhere.
 *
 * @example
 * ```ts
 * const ex: asyncio.Executor = new asyncio.ThreadPoolExecutor(2);
 * const n = yield* loop.runInExecutor(ex, (a: number) => a + 1, 1);
 * ```
 */
export interface Executor {
  /**
   * Starts `fn(...args)` and returns its pending call: a Promise for the result, and
   * `cancel()`, which stops the call if it has not started yet (returning `true`).
   */
  submit<A extends unknown[], R>(
    fn: ThreadFunction<A, R>,
    ...args: A
  ): { readonly promise: Promise<R>; cancel(): boolean };
  /**
   * Stops accepting work; with `wait`, resolves once the workers have finished their work
   * and exited.
   */
  shutdown(wait?: boolean, options?: ShutdownOptions): Promise<void>;
}

/**
 * Options of {@link ThreadPoolExecutor.shutdown}: `pool.shutdown(true, { cancelFutures: true })`.
 *
 * @example
 * ```ts
 * const pool = new asyncio.ThreadPoolExecutor(1);
 * const running = asyncio.getRunningLoop().runInExecutor(pool, (ms: number) => {
 *   const end = Date.now() + ms;
 *   while (Date.now() < end); // busy in the worker
 *   return "ran";
 * }, 50);
 * const queued = asyncio.getRunningLoop().runInExecutor(pool, () => "never ran");
 * const options: asyncio.ShutdownOptions = { cancelFutures: true };
 * yield* asyncio.fromPromise(pool.shutdown(true, options));
 * console.log(yield* running, queued.cancelled()); // ran true
 * ```
 */
export interface ShutdownOptions {
  /** Cancel the calls that have not started yet (default false: they still run). */
  cancelFutures?: boolean;
}

interface PoolWorker {
  worker: Worker;
  item: WorkItem<unknown> | null;
  /** Why the pool terminated this worker while it ran a call, if it did. */
  stopped: string | null;
}

let nextJobId = 1;

/**
 * A pool of worker threads, as Python's `concurrent.futures.ThreadPoolExecutor`.
 * Workers start on demand up to `maxWorkers` (default: `min(32, cpus + 4)`, as Python) and
 * are reused; calls wait in FIFO order for a free worker. Idle workers do not keep the
 * process alive.
 *
 * Guarantees: a call cancelled before a worker takes it never runs; a call already
 * running cannot be stopped (its result is dropped), as with Python's threads. A worker
 * that dies (its code called `process.exit`, or crashed) fails its call with the error and
 * is replaced.
 *
 * Throws `RangeError` if `maxWorkers` is not a positive integer.
 *
 * @example
 * ```ts
 * const pool = new asyncio.ThreadPoolExecutor(4);
 * const n = yield* loop.runInExecutor(pool, (a: number) => a * 2, 21); // 42
 * yield* asyncio.fromPromise(pool.shutdown());
 * ```
 */
export class ThreadPoolExecutor implements Executor {
  /** The most workers this pool runs at once. */
  readonly maxWorkers: number;
  /** @internal */
  private readonly _workers: PoolWorker[] = [];
  /** @internal */
  private readonly _queue: WorkItem<unknown>[] = [];
  /** @internal */
  private _shutdown = false;
  /** @internal */
  private _terminating = false;
  /** @internal */
  private readonly _exits = new Set<Promise<void>>();

  constructor(maxWorkers?: number | null) {
    if (maxWorkers === undefined || maxWorkers === null) {
      this.maxWorkers = Math.min(32, builtin("node:os").availableParallelism() + 4);
    } else {
      if (!Number.isInteger(maxWorkers) || maxWorkers <= 0) {
        throw new RangeError(
          `ThreadPoolExecutor(): 'maxWorkers' must be a positive integer: received ${describe(maxWorkers)}`,
        );
      }
      this.maxWorkers = maxWorkers;
    }
  }

  /** How many worker threads exist now (busy or idle). */
  get workerCount(): number {
    return this._workers.length;
  }

  /**
   * Queues `fn(...args)` for a worker. Throws `RuntimeError` after {@link shutdown},
   * `TypeError` if `fn` is not a thread function (see the module's rule).
   */
  submit<A extends unknown[], R>(
    fn: ThreadFunction<A, R>,
    ...args: A
  ): { readonly promise: Promise<R>; cancel(): boolean } {
    if (this._shutdown) throw new RuntimeError("cannot schedule new futures after shutdown");
    const id = nextJobId++;
    let job: Job;
    if (isModuleFunction(fn)) {
      job = { id, kind: "module", module: fn.module, exportName: fn.exportName, args };
    } else if (typeof fn === "function") {
      job = { id, kind: "source", source: functionSource(fn), args };
    } else {
      throw new TypeError(
        `submit(): 'fn' must be a self-contained function or a moduleFunction(): received ${describe(fn)}`,
      );
    }
    const item = new WorkItem<R>(job, this);
    this._queue.push(item as WorkItem<unknown>);
    this._dispatch();
    return item;
  }

  /**
   * Stops accepting work. Calls not started yet still run unless `cancelFutures` is set.
   * With `wait` (the default), resolves once every call has finished and every worker has
   * exited; without it, workers exit as soon as they are idle.
   */
  async shutdown(wait = true, options: ShutdownOptions = {}): Promise<void> {
    this._shutdown = true;
    if (options.cancelFutures) {
      for (const item of [...this._queue]) item.cancel();
    }
    this._reapIdle();
    if (!wait) return;
    // Every worker's exit promise is in _exits until it exits; idle workers exit once the
    // queue is empty, so this ends when all the work has run.
    while (this._exits.size > 0) await Promise.all([...this._exits]);
  }

  /** Terminates every worker at once, failing running calls; queued calls are cancelled. */
  async terminate(): Promise<void> {
    this._shutdown = true;
    this._terminating = true;
    for (const item of [...this._queue]) item.cancel();
    await Promise.all(this._workers.map((w) => w.worker.terminate()));
    while (this._exits.size > 0) await Promise.all([...this._exits]);
  }

  /**
   * @internal Stops one call: withdrawn if queued; if running, its worker is terminated
   * (the call fails with a RuntimeError saying `why`) and replaced on demand. The other
   * calls and workers are untouched.
   */
  _stopCall(item: WorkItem<unknown>, why: string): void {
    if (item.cancel()) return;
    const pw = this._workers.find((w) => w.item === item);
    if (pw === undefined) return;
    pw.stopped = why;
    void pw.worker.terminate();
  }

  /** @internal */
  _dequeue(item: WorkItem<unknown>): void {
    const i = this._queue.indexOf(item);
    if (i >= 0) this._queue.splice(i, 1);
  }

  /** @internal */
  private _dispatch(): void {
    while (this._queue.length > 0) {
      let w = this._workers.find((pw) => pw.item === null);
      if (w === undefined) {
        if (this._workers.length >= this.maxWorkers) return;
        w = this._spawn();
      }
      const item = this._queue.shift() as WorkItem<unknown>;
      item.state = "running";
      w.item = item;
      w.worker.ref();
      w.worker.postMessage(item.job);
    }
    this._reapIdle();
  }

  /** @internal */
  private _spawn(): PoolWorker {
    const worker = new (builtin("node:worker_threads").Worker)(WORKER_SOURCE, { eval: true });
    const pw: PoolWorker = { worker, item: null, stopped: null };
    this._workers.push(pw);
    worker.on("message", (reply: Reply) => {
      const item = pw.item;
      if (item === null || item.job.id !== reply.id) return;
      pw.item = null;
      item.state = "done";
      if (reply.ok) item.resolve(reply.value);
      else item.reject(reviveError(reply));
      worker.unref();
      this._dispatch();
    });
    let failure: unknown = null;
    worker.on("error", (e) => {
      failure = e;
    });
    const exited = new Promise<void>((resolve) => {
      worker.once("exit", (code) => {
        const i = this._workers.indexOf(pw);
        if (i >= 0) this._workers.splice(i, 1);
        const item = pw.item;
        pw.item = null;
        if (item !== null && item.state === "running") {
          item.state = "done";
          item.reject(
            failure ??
              new RuntimeError(
                pw.stopped ??
                  (this._terminating
                    ? "the executor was terminated while the call was running"
                    : `the worker thread exited with code ${code} during the call`),
              ),
          );
        }
        this._exits.delete(exited);
        resolve();
        this._dispatch();
      });
    });
    this._exits.add(exited);
    return pw;
  }

  /** @internal After shutdown, idle workers are told to exit. */
  private _reapIdle(): void {
    if (!this._shutdown || this._queue.length > 0) return;
    for (const pw of this._workers) {
      if (pw.item === null) void pw.worker.terminate();
    }
  }
}

/** The source text of a self-contained function, or a TypeError saying why it is not one. */
function functionSource(fn: (...args: never[]) => unknown): string {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(source)) {
    throw new TypeError(
      `cannot run ${describe(fn)} in a worker thread: native and bound functions have no source; wrap the call in a self-contained function or use moduleFunction()`,
    );
  }
  // A method ("name(a) { … }") is not an expression; arrows, function and class-less
  // async/generator function expressions are.
  if (!/^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(source)) {
    throw new TypeError(
      `cannot run ${describe(fn)} in a worker thread: only arrow functions and function expressions can be sent (not methods); use moduleFunction() for anything else`,
    );
  }
  return source;
}

// ------------------------------------------------------------------ the loop's executor

const defaultExecutors = new WeakMap<BaseEventLoop, Executor>();
const executorShutDown = new WeakSet<BaseEventLoop>();

/** @internal `loop.setDefaultExecutor()`. */
export function setDefaultExecutor(loop: BaseEventLoop, executor: Executor): void {
  if (
    executor === null ||
    typeof executor !== "object" ||
    typeof (executor as Executor).submit !== "function" ||
    typeof (executor as Executor).shutdown !== "function"
  ) {
    throw new TypeError(
      `setDefaultExecutor(): 'executor' must be an Executor (with submit() and shutdown()): received ${describe(executor)}`,
    );
  }
  defaultExecutors.set(loop, executor);
}

/** @internal `loop.runInExecutor()`. */
export function runInExecutor<A extends unknown[], R>(
  loop: BaseEventLoop,
  executor: Executor | null,
  fn: ThreadFunction<A, R>,
  args: A,
): Future<R> {
  loop._checkClosed();
  let ex = executor;
  if (ex === null || ex === undefined) {
    if (executorShutDown.has(loop)) throw new RuntimeError("Executor shutdown has been called");
    ex = defaultExecutors.get(loop) ?? null;
    if (ex === null) {
      ex = new ThreadPoolExecutor();
      defaultExecutors.set(loop, ex);
    }
  }
  const item = ex.submit(fn, ...args);
  const fut = bridgePromise(item.promise, loop);
  _noteWait(loop, fut, "thread");
  // Cancelling the awaiter withdraws a call that has not started (as wrap_future does).
  fut.addDoneCallback((f) => {
    if (f.cancelled()) item.cancel();
  });
  trackCall(loop, new _ThreadCall(describeThreadFunction(fn), ex, item, fut));
  return fut;
}

/**
 * @internal A call started through a loop (`runInExecutor`, `toThread`) whose function
 * has not returned yet: what the testing harness reports when a test leaves one running.
 * Only calls a worker is running or about to run are here; idle workers are not calls.
 */
export class _ThreadCall {
  constructor(
    /** The function, for messages: its name, or the start of its source. */
    readonly fn: string,
    readonly executor: Executor,
    /** @internal */
    readonly _item: { readonly promise: Promise<unknown>; cancel(): boolean },
    /** @internal */
    readonly _future: Future<unknown>,
  ) {}

  /** Whether a worker has the call ("running") or it waits for one ("queued"). */
  get state(): "queued" | "running" {
    return this._item instanceof WorkItem && this._item.state === "queued" ? "queued" : "running";
  }

  /**
   * Stops the call as far as its executor allows: the awaiting Future is cancelled (a
   * queued call is withdrawn); a running call of a {@link ThreadPoolExecutor} has its
   * worker terminated. Resolves once the call has ended, or at once if nothing can stop
   * it (another kind of executor).
   */
  stop(why: string): Promise<void> {
    this._future.cancel();
    const item = this._item;
    if (item instanceof WorkItem && this.executor instanceof ThreadPoolExecutor) {
      this.executor._stopCall(item as WorkItem<unknown>, why);
      return item.promise.then(
        () => {},
        () => {},
      );
    }
    return Promise.resolve();
  }

  toString(): string {
    return `<thread call ${this.fn} ${this.state} in ${describeExecutor(this.executor)}>`;
  }
}

const unfinishedCalls = new WeakMap<BaseEventLoop, Set<_ThreadCall>>();

function trackCall(loop: BaseEventLoop, call: _ThreadCall): void {
  let set = unfinishedCalls.get(loop);
  if (set === undefined) {
    set = new Set();
    unfinishedCalls.set(loop, set);
  }
  set.add(call);
  const forget = (): void => {
    unfinishedCalls.get(loop)?.delete(call);
  };
  // Settled by the worker, or withdrawn before it started: either way no code runs for it.
  call._item.promise.then(forget, forget);
  _announceResource(loop, call);
}

/** @internal The calls started on `loop` whose function has not returned, oldest first. */
export function _unfinishedThreadCalls(loop: BaseEventLoop): _ThreadCall[] {
  return [...(unfinishedCalls.get(loop) ?? [])];
}

function describeThreadFunction(fn: unknown): string {
  if (isModuleFunction(fn)) return `${fn.exportName}() from ${fn.module}`;
  if (typeof fn !== "function") return String(fn);
  if (fn.name !== "") return `${fn.name}()`;
  const source = Function.prototype.toString.call(fn).replace(/\s+/g, " ");
  return source.length > 40 ? `${source.slice(0, 37)}...` : source;
}

function describeExecutor(ex: Executor): string {
  if (ex instanceof ThreadPoolExecutor) return `ThreadPoolExecutor(maxWorkers=${ex.maxWorkers})`;
  return ex.constructor?.name ?? "an executor";
}

/** @internal `loop.shutdownDefaultExecutor()`. */
export function* shutdownDefaultExecutor(
  loop: BaseEventLoop,
  timeout: number | null,
): Coroutine<void> {
  if (timeout !== null && (typeof timeout !== "number" || !(timeout >= 0))) {
    throw new RangeError(
      `shutdownDefaultExecutor(): 'timeout' must be a number >= 0 or null: received ${describe(timeout)}`,
    );
  }
  executorShutDown.add(loop);
  const ex = defaultExecutors.get(loop);
  if (ex === undefined) return;
  defaultExecutors.delete(loop);
  const done = bridgePromise(ex.shutdown(true), loop);
  if (timeout === null) {
    yield* done;
    return;
  }
  const timer = loop.callLater(timeout, () => {
    if (!done.done()) done.setException(new TimeoutError());
  });
  try {
    yield* done;
  } catch (e) {
    if (!(e instanceof TimeoutError)) throw e;
    // As asyncio, a slow executor is reported, not waited for forever; our workers can be
    // stopped, so they are.
    loop.callExceptionHandler({
      message: `The executor did not finish joining its threads within ${timeout} seconds.`,
    });
    if (ex instanceof ThreadPoolExecutor) yield* bridgePromise(ex.terminate(), loop);
  } finally {
    timer.cancel();
  }
}

/**
 * Runs `fn(...args)` in a worker thread of the running loop's default executor and
 * evaluates to its result: asyncio's `to_thread`. See the module's rule for what `fn` may
 * be (a self-contained function, or a {@link moduleFunction}).
 *
 * Errors: the function's own error, rethrown with its stack from the worker; `TypeError`
 * for a function that cannot be sent; `RuntimeError` after the executor was shut down.
 * Cancellation: a call still queued is withdrawn and never runs; a running one finishes in
 * its worker and its result is dropped.
 *
 * @example
 * ```ts
 * function* main() {
 *   const sum = yield* asyncio.toThread((n: number) => {
 *     let s = 0;
 *     for (let i = 0; i < n; i++) s += i;
 *     return s;
 *   }, 1e8);
 * }
 * ```
 */
export function* toThread<A extends unknown[], R>(
  fn: ThreadFunction<A, R>,
  ...args: A
): Coroutine<R> {
  // Through the loop's method, as asyncio's to_thread: a loop without I/O refuses.
  return yield* getRunningLoop().runInExecutor(null, fn, ...args);
}
