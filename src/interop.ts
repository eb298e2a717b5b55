/**
 * Bridges between coroutines and the Promise world.
 *
 * @module
 */

import { BaseEventLoop, bridgePromise } from "./core/base_events.js";
import { type Coroutine, describe, iscoroutine } from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import { CancelledError, isCancelledError, RuntimeError } from "./core/exceptions.js";
import type { Future } from "./core/futures.js";
import type { Task } from "./core/tasks.js";

/**
 * Lets a coroutine await any Promise (or PromiseLike): `yield* fromPromise(p)` evaluates
 * to its value or throws its rejection reason.
 *
 * Cancellation: cancelling the awaiting task throws `CancelledError` at once; the promise
 * itself cannot be stopped from outside, so pass the task's signal to the API that made it
 * (`fetch(url, { signal: asyncio.currentTask()!.signal })`).
 *
 * On the virtual-time loop, the clock does not jump while a bridged promise is pending.
 *
 * @example
 * ```ts
 * import { readFile, writeFile } from "node:fs/promises";
 * function* main() {
 *   yield* asyncio.fromPromise(writeFile("notes.txt", "remember the milk"));
 *   const text = yield* asyncio.fromPromise(readFile("notes.txt", "utf8"));
 *   console.log(text); // remember the milk
 * }
 * ```
 */
export function fromPromise<T>(promise: PromiseLike<T>): Future<T> {
  if (
    promise === null ||
    (typeof promise !== "object" && typeof promise !== "function") ||
    typeof (promise as PromiseLike<T>).then !== "function"
  ) {
    throw new TypeError(
      `fromPromise(): 'promise' must be a Promise or thenable: received ${describe(promise)}`,
    );
  }
  return bridgePromise(promise, getRunningLoop());
}

/**
 * The AbortSignal of the task running the current coroutine: it aborts (with a
 * `CancelledError` as its reason) when the task is cancelled. Hand it to signal-aware APIs
 * (`fetch`, `node:fs/promises`, `timers/promises`, `events.once`) so they stop with the
 * task. Read it while the coroutine runs (before `yield*`-ing the promise), not later from
 * inside `async` code.
 *
 * Errors: `RuntimeError` outside a Task (no running loop, or called from a plain callback).
 *
 * @example
 * ```ts
 * function* download(url: string) {
 *   const response = yield* asyncio.fromPromise(fetch(url, { signal: asyncio.currentSignal() }));
 *   return yield* asyncio.fromPromise(response.text());
 * }
 * ```
 */
export function currentSignal(): AbortSignal {
  const task = getRunningLoop()._currentTask;
  if (task === null) {
    throw new RuntimeError(
      "currentSignal(): no current task: call it from a coroutine that a Task runs",
    );
  }
  return task.signal;
}

function isAbort(e: unknown, signal: AbortSignal): boolean {
  return (
    e === signal.reason || isCancelledError(e) || (e instanceof Error && e.name === "AbortError")
  );
}

/**
 * Runs an `async` function as a coroutine: `fn` receives the current task's AbortSignal
 * and the coroutine evaluates to what its Promise resolves to (or throws its rejection).
 * Wrap it in a Task to run an `async` function as one:
 * `asyncio.createTask(asyncio.fromAsync(async (signal) => ...))`.
 *
 * Lazy: `fn` is called when the coroutine first runs, inside its task.
 *
 * Cancellation: cancelling the task aborts the signal, then waits for `fn`'s Promise to
 * settle, so the `async` function does not outlive its task; the coroutine then throws
 * `CancelledError`. An error other than the abort that `fn` throws while stopping is
 * thrown instead. Cancelling a second time stops waiting at once (for functions that ignore
 * their signal).
 *
 * Errors: `TypeError` if `fn` is not a function or does not return a Promise;
 * `RuntimeError` when not run by a Task.
 *
 * @example
 * ```ts
 * function* main() {
 *   const task = asyncio.createTask(
 *     asyncio.fromAsync(async (signal) => {
 *       const res = await fetch("http://127.0.0.1:8080/", { signal });
 *       return res.status;
 *     }),
 *   );
 *   yield* asyncio.sleep(0.5);
 *   task.cancel(); // aborts the fetch
 * }
 * ```
 */
export function fromAsync<T>(fn: (signal: AbortSignal) => PromiseLike<T>): Coroutine<T> {
  if (typeof fn !== "function") {
    throw new TypeError(`fromAsync(): 'fn' must be an async function: received ${describe(fn)}`);
  }
  return runAsync(fn);
}

function* runAsync<T>(fn: (signal: AbortSignal) => PromiseLike<T>): Coroutine<T> {
  const loop = getRunningLoop();
  const task = loop._currentTask;
  if (task === null) {
    throw new RuntimeError("fromAsync(): the coroutine must be run by a Task");
  }
  const signal = task.signal;
  const promise = fn(signal);
  if (
    promise === null ||
    (typeof promise !== "object" && typeof promise !== "function") ||
    typeof (promise as PromiseLike<T>).then !== "function"
  ) {
    throw new TypeError(
      `fromAsync(): 'fn' must return a Promise: it returned ${describe(promise)}`,
    );
  }
  const fut = bridgePromise(promise, loop);
  try {
    return yield* fut;
  } catch (e) {
    if (!fut.cancelled()) throw e;
    // Told through its signal; let it finish so no work outlives the task.
    try {
      yield* bridgePromise(promise, loop);
    } catch (stopError) {
      if (!isAbort(stopError, signal)) throw stopError;
    }
    throw e;
  }
}

/**
 * Options of {@link runCoroutineThreadsafe}.
 *
 * @example
 * ```ts
 * const options: asyncio.RunCoroutineThreadsafeOptions = { signal: AbortSignal.timeout(5000) };
 * ```
 */
export interface RunCoroutineThreadsafeOptions {
  /** Aborting it cancels the task; the Promise then rejects with `CancelledError`. */
  signal?: AbortSignal;
}

/**
 * Submits `coro` to `loop` from code outside it — a Node callback, `async` code, another
 * loop — and returns a Promise of its result (asyncio's `run_coroutine_threadsafe`). The
 * task is created in a callback on `loop`, in the order of submission; the Promise rejects
 * with the coroutine's own error, or with `CancelledError` if the task was cancelled.
 *
 * Cancellation: a JavaScript Promise cannot be cancelled, so pass `{ signal }`: aborting
 * it cancels the task (or drops the coroutine if its task has not been created yet).
 *
 * Errors: `TypeError` for a non-coroutine or a non-loop; `RuntimeError` if the loop is
 * closed.
 *
 * @example
 * ```ts real-time: the fetch is answered by render(), which sleeps on this loop
 * import { createServer } from "node:http";
 * import type { AddressInfo } from "node:net";
 * function* render(path: string) {
 *   yield* asyncio.sleep(0.1);
 *   return `<h1>${path}</h1>`;
 * }
 * const loop = asyncio.getRunningLoop();
 * // Node's own server, whose callbacks are async functions, hands work to the loop.
 * const server = createServer(async (req, res) => {
 *   const body = await asyncio.runCoroutineThreadsafe(render(req.url ?? "/"), loop, {
 *     signal: AbortSignal.timeout(5000),
 *   });
 *   res.end(body);
 * });
 * yield* asyncio.fromPromise(new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening)));
 * const { port } = server.address() as AddressInfo;
 * const resp = yield* asyncio.fromPromise(fetch(`http://127.0.0.1:${port}/hello`));
 * console.log(yield* asyncio.fromPromise(resp.text())); // <h1>/hello</h1>
 * server.closeAllConnections();
 * server.close();
 * ```
 */
export function runCoroutineThreadsafe<T>(
  coro: Coroutine<T>,
  loop: BaseEventLoop,
  options: RunCoroutineThreadsafeOptions = {},
): Promise<T> {
  if (!iscoroutine(coro)) {
    throw new TypeError(
      `runCoroutineThreadsafe(): 'coro' must be a coroutine (a generator object): received ${describe(coro)}`,
    );
  }
  if (!(loop instanceof BaseEventLoop)) {
    throw new TypeError(
      `runCoroutineThreadsafe(): 'loop' must be an event loop: received ${describe(loop)}`,
    );
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `runCoroutineThreadsafe(): 'signal' must be an AbortSignal: received ${describe(signal)}`,
    );
  }
  loop._checkClosed();
  const msg = "runCoroutineThreadsafe(): the caller's signal aborted";
  return new Promise<T>((resolve, reject) => {
    let task: Task<T> | null = null;
    let dropped = false;
    const onAbort = (): void => {
      if (task !== null) task.cancel(msg);
      else dropped = true;
    };
    if (signal?.aborted) dropped = true;
    else signal?.addEventListener("abort", onAbort, { once: true });
    const start = (): void => {
      if (dropped) {
        coro.return(undefined as never);
        reject(new CancelledError(msg));
        return;
      }
      const t = loop.createTask(coro);
      task = t;
      t.addDoneCallback(() => {
        signal?.removeEventListener("abort", onAbort);
        try {
          resolve(t.result());
        } catch (e) {
          reject(e);
        }
      });
    };
    try {
      loop.callSoon(start);
    } catch (e) {
      signal?.removeEventListener("abort", onAbort);
      reject(e);
    }
  });
}
