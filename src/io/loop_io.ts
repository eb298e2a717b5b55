/**
 * The event loop's I/O methods — executors, DNS, signals — attached to
 * `BaseEventLoop.prototype`. They live here, not in `src/core/`, because they need Node;
 * importing this module (which `src/index.ts` does) installs them on every loop, and the
 * declaration merging below gives them their types.
 *
 * @module
 */

import { _addCloseHook, BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import type { Future } from "../core/futures.js";
import {
  type AddrInfo,
  type GetaddrinfoOptions,
  getaddrinfo,
  getnameinfo,
  type SockAddr,
} from "./dns.js";
import {
  addSignalHandler,
  removeAllSignalHandlers,
  removeSignalHandler,
  type SignalName,
} from "./signals.js";
import { killSubprocessesAtClose } from "./subprocess.js";
import {
  type Executor,
  runInExecutor,
  setDefaultExecutor,
  shutdownDefaultExecutor,
  type ThreadFunction,
} from "./threads.js";

declare module "../core/base_events.js" {
  interface BaseEventLoop {
    /**
     * Runs `fn(...args)` in `executor` (the loop's default {@link ThreadPoolExecutor} when
     * `null`) and returns a Future for its result. `fn` must follow the thread rule: a
     * self-contained function or a `moduleFunction()` (see `toThread`).
     *
     * Cancelling the Future withdraws a call not yet started; a running call finishes in
     * its worker and its result is dropped. Throws `RuntimeError` once
     * `shutdownDefaultExecutor()` has been called (for the default executor).
     *
     * @example
     * ```ts
     * const loop = asyncio.getRunningLoop();
     * const n = yield* loop.runInExecutor(null, (a: number, b: number) => a + b, 1, 2);
     * ```
     */
    runInExecutor<A extends unknown[], R>(
      executor: Executor | null,
      fn: ThreadFunction<A, R>,
      ...args: A
    ): Future<R>;

    /**
     * Makes `executor` the one `runInExecutor(null, …)` and `toThread()` use.
     *
     * @example
     * ```ts
     * loop.setDefaultExecutor(new asyncio.ThreadPoolExecutor(2));
     * ```
     */
    setDefaultExecutor(executor: Executor): void;

    /**
     * Shuts the default executor down and waits for its workers (at most `timeout`
     * seconds; after that the slow workers are reported and terminated). Later
     * `runInExecutor(null, …)` calls raise `RuntimeError`. `Runner.close()` calls it.
     *
     * @example
     * ```ts
     * yield* loop.shutdownDefaultExecutor();
     * ```
     */
    shutdownDefaultExecutor(timeout?: number | null): Coroutine<void>;

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
      host: string | null,
      port: number | string | null,
      options?: GetaddrinfoOptions,
    ): Future<AddrInfo[]>;

    /**
     * Reverse lookup of a socket address: `[host, service]`.
     *
     * @example
     * ```ts
     * const [host, service] = yield* loop.getnameinfo(["127.0.0.1", 22]);
     * ```
     */
    getnameinfo(sockaddr: SockAddr, flags?: number): Future<[string, string]>;

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
      sig: SignalName | number,
      callback: (...args: A) => unknown,
      ...args: A
    ): void;

    /**
     * Removes the handler for `sig`; returns whether there was one. Node's default
     * behaviour for the signal comes back.
     *
     * @example
     * ```ts
     * loop.removeSignalHandler("SIGTERM");
     * ```
     */
    removeSignalHandler(sig: SignalName | number): boolean;
  }
}

const proto = BaseEventLoop.prototype;

proto.runInExecutor = function runInExecutorMethod<A extends unknown[], R>(
  this: BaseEventLoop,
  executor: Executor | null,
  fn: ThreadFunction<A, R>,
  ...args: A
): Future<R> {
  return runInExecutor(this, executor, fn, args);
};

proto.setDefaultExecutor = function setDefaultExecutorMethod(
  this: BaseEventLoop,
  executor: Executor,
): void {
  setDefaultExecutor(this, executor);
};

proto.shutdownDefaultExecutor = function shutdownDefaultExecutorMethod(
  this: BaseEventLoop,
  timeout: number | null = null,
): Coroutine<void> {
  return shutdownDefaultExecutor(this, timeout);
};

proto.getaddrinfo = function getaddrinfoMethod(
  this: BaseEventLoop,
  host: string | null,
  port: number | string | null,
  options: GetaddrinfoOptions = {},
): Future<AddrInfo[]> {
  return getaddrinfo(this, host, port, options);
};

proto.getnameinfo = function getnameinfoMethod(
  this: BaseEventLoop,
  sockaddr: SockAddr,
  flags = 0,
): Future<[string, string]> {
  return getnameinfo(this, sockaddr, flags);
};

proto.addSignalHandler = function addSignalHandlerMethod<A extends unknown[]>(
  this: BaseEventLoop,
  sig: SignalName | number,
  callback: (...args: A) => unknown,
  ...args: A
): void {
  addSignalHandler(this, sig, callback, args);
};

proto.removeSignalHandler = function removeSignalHandlerMethod(
  this: BaseEventLoop,
  sig: SignalName | number,
): boolean {
  return removeSignalHandler(this, sig);
};

// A closed loop must not keep process signals caught (Ctrl-C would be ignored for good),
// as asyncio's Unix loop removes its handlers in close(); nor leave a child running that
// nobody can wait for any more (it would keep Node alive).
_addCloseHook((loop) => {
  removeAllSignalHandlers(loop);
  killSubprocessesAtClose(loop);
});
