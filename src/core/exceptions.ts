/**
 * asyncio's exception classes, as real `Error` subclasses so that `instanceof` works and
 * every one carries a stack trace.
 *
 * @module
 */

/**
 * Base for every asyncio-ts error class. Its `name` is the class's name (so stacks and
 * `String(e)` read well, subclasses included), through an accessor on the prototype rather
 * than an own property per instance: the scheduler makes one CancelledError per cancelled
 * task, and the property store was a fifth of that cost. Assigning `name` still works; it
 * makes an own property, as on any Error.
 */
abstract class AsyncioError extends Error {
  /**
   * `e instanceof asyncio.CancelledError` also holds for a CancelledError made by another
   * copy of the library loaded in the same program (core/runtime.ts): the classes differ,
   * so the check falls back to a `Symbol.for` brand that every copy puts on its classes.
   */
  static override [Symbol.hasInstance]<T>(
    this: abstract new (
      ...args: never[]
    ) => T,
    x: unknown,
  ): x is T {
    if (Function.prototype[Symbol.hasInstance].call(this, x)) return true;
    if (typeof x !== "object" || x === null || !Object.hasOwn(this, ERROR_BRAND)) return false;
    const brand = (this as unknown as Record<symbol, symbol>)[ERROR_BRAND] as symbol;
    return (x as Record<symbol, unknown>)[brand] === true;
  }
}

/** Where a library error class keeps its brand (a static, own property). */
const ERROR_BRAND = Symbol.for("asyncio-ts.error-brand");

/** Brands `cls` and its instances as asyncio-ts's `name`, the same in every copy. */
function brand(cls: abstract new (...args: never[]) => Error, name: string): void {
  const sym = Symbol.for(`asyncio-ts.error.${name}`);
  Object.defineProperty(cls, ERROR_BRAND, { value: sym });
  Object.defineProperty(cls.prototype, sym, { value: true });
}

Object.defineProperty(AsyncioError.prototype, "name", {
  configurable: true,
  enumerable: false,
  get(this: Error): string {
    return this.constructor.name;
  },
  set(this: Error, value: unknown) {
    Object.defineProperty(this, "name", {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  },
});

/**
 * Thrown into a coroutine at its suspended `yield*` when its Task is cancelled.
 *
 * As in asyncio it can be caught, but it should be re-thrown: a task that swallows its
 * cancellation keeps running after it was asked to stop. {@link rethrowIfCancelled} does
 * that from a catch-all.
 *
 * @example
 * ```ts
 * function* worker() {
 *   try {
 *     yield* asyncio.sleep(3600);
 *   } catch (e) {
 *     if (e instanceof asyncio.CancelledError) console.log("cancelled:", e.message);
 *     throw e;
 *   }
 * }
 * ```
 */
export class CancelledError extends AsyncioError {}

/**
 * @internal A CancelledError made by the scheduler (a Task delivering a cancel). Its stack
 * would only show the loop's own frames, and capturing it is most of the cost of
 * cancelling a task (about 10 µs), so none is captured: the error still carries its
 * message, and an error re-thrown by user code keeps the user's frames in its own stack.
 */
export function _schedulerCancelledError(message: string | undefined): CancelledError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CancelledError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Raised when an operation is not valid in the current state, e.g. reading the result of a
 * Future that is not done, or setting the result of one that is.
 *
 * @example
 * ```ts
 * const fut = asyncio.getRunningLoop().createFuture<number>();
 * try { fut.result(); } catch (e) { console.log(e instanceof asyncio.InvalidStateError); } // true
 * ```
 */
export class InvalidStateError extends AsyncioError {}

/**
 * What an {@link OSError} keeps of the system error it stands for.
 *
 * @example
 * ```ts
 * const err = new asyncio.OSError("bind failed", { code: "EACCES", errno: -13, syscall: "bind" });
 * console.log(err.message, err.code, err.errno, err.syscall); // [Errno 13] bind failed EACCES -13 bind
 * ```
 */
export interface OSErrorOptions {
  /** The system error's name, e.g. `"ECONNRESET"` (Node's `code`). */
  code?: string;
  /** The error number as Node gives it (negative on POSIX: -104 for ECONNRESET on Linux). */
  errno?: number;
  /** The system call that failed, e.g. `"connect"`, `"read"`, `"write"`. */
  syscall?: string;
  /** The address involved, when there is one (a connect's host or a socket path). */
  address?: string;
  /** The port involved, when there is one. */
  port?: number;
  /** The original error, e.g. Node's own. */
  cause?: unknown;
}

/**
 * Python's `OSError`: a system call failed. The network and process APIs raise it (or one
 * of its subclasses, {@link ConnectionError} and the rest, chosen by the error's `code` as
 * Python chooses by `errno`) in place of Node's plain errors, keeping Node's `code`,
 * `errno`, `syscall`, `address` and `port`, and Node's error as `cause`.
 *
 * `errno` is Node's number, negative on POSIX (-111 for ECONNREFUSED on Linux); the
 * message shows it as Python does, positive: `[Errno 111] Connect call failed (…)`.
 *
 * @example
 * ```ts
 * const first = yield* asyncio.startServer(handle, "127.0.0.1", 0);
 * const [, port] = first.sockets[0]!.getsockname();
 * try {
 *   yield* asyncio.startServer(handle, "127.0.0.1", port); // the same port again
 * } catch (e) {
 *   if (e instanceof asyncio.OSError && e.code === "EADDRINUSE") console.log("port taken");
 *   else throw e;
 * } finally {
 *   first.close();
 * }
 * ```
 */
export class OSError extends AsyncioError {
  /** The system error's name, e.g. `"ECONNRESET"`. */
  declare readonly code: string | undefined;
  /** The error number as Node gives it (negative on POSIX), if known. */
  declare readonly errno: number | undefined;
  /** The system call that failed, if known. */
  declare readonly syscall: string | undefined;
  /** The address involved, if any. */
  declare readonly address: string | undefined;
  /** The port involved, if any. */
  declare readonly port: number | undefined;

  constructor(message?: string, options?: OSErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options === undefined) return;
    // Own properties only for what is known: a subclass's default `code` (on its
    // prototype) shows through otherwise.
    const self = this as { -readonly [K in keyof OSErrorOptions]: OSErrorOptions[K] };
    if (options.code !== undefined) self.code = options.code;
    if (options.errno !== undefined) self.errno = options.errno;
    if (options.syscall !== undefined) self.syscall = options.syscall;
    if (options.address !== undefined) self.address = options.address;
    if (options.port !== undefined) self.port = options.port;
  }
}

/**
 * Python's `ConnectionError`: the base of the errors a connection ends with
 * ({@link ConnectionResetError}, {@link BrokenPipeError}, {@link ConnectionRefusedError},
 * {@link ConnectionAbortedError}).
 *
 * @example
 * ```ts
 * try { line = yield* reader.readline(); }
 * catch (e) { if (e instanceof asyncio.ConnectionError) console.log("connection lost:", e.code); else throw e; }
 * ```
 */
export class ConnectionError extends OSError {}

/**
 * The peer reset the connection (`ECONNRESET`), or the connection was lost while writing.
 *
 * @example
 * ```ts
 * try { yield* writer.drain(); }
 * catch (e) { if (e instanceof asyncio.ConnectionResetError) console.log("peer went away"); }
 * ```
 */
export class ConnectionResetError extends ConnectionError {}

/**
 * Writing to a connection or pipe whose other end is closed (`EPIPE`).
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessExec("true", { stdin: asyncio.PIPE });
 * yield* proc.wait(); // the reader is gone: `true` exits without reading
 * const writer = proc.stdin!;
 * try {
 *   writer.write(Buffer.alloc(1 << 20));
 *   yield* writer.drain();
 * } catch (e) {
 *   if (e instanceof asyncio.BrokenPipeError) console.log("reader is gone");
 *   else if (!(e instanceof asyncio.ConnectionResetError)) throw e;
 * }
 * ```
 */
export class BrokenPipeError extends ConnectionError {}

/**
 * Nothing listens at the address connected to (`ECONNREFUSED`).
 *
 * @example
 * ```ts
 * try { yield* asyncio.openConnection("127.0.0.1", 1); }
 * catch (e) { if (e instanceof asyncio.ConnectionRefusedError) console.log(e.message); }
 * // [Errno 111] Connect call failed ('127.0.0.1', 1): connect ECONNREFUSED 127.0.0.1:1
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {}

/**
 * The connection was aborted on this side (`ECONNABORTED`).
 *
 * @example
 * ```ts
 * try { line = yield* reader.readline(); }
 * catch (e) { if (e instanceof asyncio.ConnectionAbortedError) console.log("aborted"); else throw e; }
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {}

for (const [cls, code] of [
  [ConnectionResetError, "ECONNRESET"],
  [BrokenPipeError, "EPIPE"],
  [ConnectionRefusedError, "ECONNREFUSED"],
  [ConnectionAbortedError, "ECONNABORTED"],
] as const) {
  // Made without a code (e.g. `new ConnectionResetError("Connection lost")`), an error
  // still answers `code` as Node's errors of its kind do.
  Object.defineProperty(cls.prototype, "code", { value: code, writable: true, configurable: true });
}

/**
 * A deadline passed: raised by `waitFor`, `timeout()` scopes and `asCompleted`, and by a
 * system call that timed out (`ETIMEDOUT`). As in Python 3.11+, it is an {@link OSError}.
 *
 * @example
 * ```ts
 * try { yield* asyncio.waitFor(asyncio.sleep(10), 1); }
 * catch (e) { if (e instanceof asyncio.TimeoutError) console.log("too slow"); }
 * ```
 */
export class TimeoutError extends OSError {}

/**
 * Python's `RuntimeError`: an operation was called in the wrong situation, e.g.
 * `getRunningLoop()` with no loop running, or running a loop that is already running.
 *
 * @example
 * ```ts
 * try { asyncio.getRunningLoop(); } catch (e) { console.log(e instanceof asyncio.RuntimeError); } // true
 * ```
 */
export class RuntimeError extends AsyncioError {}

/**
 * Python's `NotImplementedError`: the loop does not provide this method. A loop built on
 * the core alone has no I/O, so its `createConnection()`, `runInExecutor()`,
 * `addSignalHandler()`, … throw it, as asyncio's `AbstractEventLoop` methods do.
 *
 * @example
 * ```ts
 * try { loop.addSignalHandler("SIGTERM", () => {}); }
 * catch (e) { if (e instanceof asyncio.NotImplementedError) console.log(e.message); }
 * ```
 */
export class NotImplementedError extends RuntimeError {}

/**
 * Raised by `StreamReader.readexactly()` and `readuntil()` when the stream ended first.
 *
 * @example
 * ```ts
 * const err = new asyncio.IncompleteReadError(new Uint8Array(18), 36);
 * console.log(err.message); // "18 bytes read on a total of 36 expected bytes"
 * ```
 */
export class IncompleteReadError extends AsyncioError {
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes were expected, or `null` when reading up to a separator. */
  readonly expected: number | null;
  constructor(partial: Uint8Array, expected: number | null) {
    const total = expected === null ? "undefined" : String(expected);
    super(`${partial.length} bytes read on a total of ${total} expected bytes`);
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * Raised by `StreamReader.readuntil()` when the separator was not found within the limit.
 *
 * @example
 * ```ts
 * const err = new asyncio.LimitOverrunError("Separator is not found, and chunk exceed the limit", 65536);
 * console.log(err.consumed); // 65536
 * ```
 */
export class LimitOverrunError extends AsyncioError {
  /** How many bytes are to be consumed. */
  readonly consumed: number;
  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}

/**
 * Raised by `Barrier.wait()` when the barrier is broken or reset while waiting.
 *
 * @example
 * ```ts
 * try { yield* barrier.wait(); } catch (e) { if (e instanceof asyncio.BrokenBarrierError) console.log("aborted"); }
 * ```
 */
export class BrokenBarrierError extends RuntimeError {}

/**
 * The platform cannot do `sendfile` for this transport.
 *
 * @example
 * ```ts
 * console.log(new asyncio.SendfileNotAvailableError("not a regular file") instanceof asyncio.RuntimeError); // true
 * ```
 */
export class SendfileNotAvailableError extends RuntimeError {}

/**
 * Re-throws `e` if it is a {@link CancelledError}; otherwise does nothing.
 *
 * JavaScript's `catch (e)` catches everything, cancellation included. Call this first in a
 * catch-all so that cancelling the task still stops it.
 *
 * @example
 * ```ts
 * try {
 *   yield* fetchOnce();
 * } catch (e) {
 *   asyncio.rethrowIfCancelled(e);
 *   console.log("fetch failed, retrying:", e);
 * }
 * ```
 */
export function rethrowIfCancelled(e: unknown): void {
  if (isCancelledError(e)) throw e;
}

/** The brand every copy of the library puts on `CancelledError.prototype` (see `brand`). */
const CANCELLED_BRAND = Symbol.for("asyncio-ts.error.CancelledError");

/**
 * `e instanceof CancelledError`, for the scheduler's own paths (a Task finishing with an
 * error, TaskGroup and timeout exits). The public `instanceof` goes through the classes'
 * `Symbol.hasInstance`, a call V8 does not inline; this is one property load, and it answers
 * for a CancelledError of any copy of the library, as `instanceof` does.
 *
 * @internal
 */
export function isCancelledError(e: unknown): e is CancelledError {
  return (
    typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[CANCELLED_BRAND] === true
  );
}

/**
 * Python's `KeyboardInterrupt`: `run()` rejects with it when Ctrl-C interrupted the main
 * task and the task did not handle the cancellation.
 *
 * @example
 * ```ts
 * try { await asyncio.run(main()); }
 * catch (e) { if (e instanceof asyncio.KeyboardInterrupt) process.exitCode = 130; }
 * ```
 */
export class KeyboardInterrupt extends AsyncioError {}

/**
 * The Node loop found that nothing can ever wake it again: every pending task waits for
 * something that cannot happen (no ready callback, no timer, no socket, child process or
 * signal handler that could call back). asyncio would hang forever; here the loop reports
 * the stuck tasks, stops, and `runForever()` / `runUntilComplete()` — and so `run()`, after
 * cancelling the stuck tasks and running their cleanup — reject with this error. Its
 * message lists the tasks that were pending.
 *
 * @example
 * ```ts
 * try {
 *   await asyncio.run(main());
 * } catch (e) {
 *   if (e instanceof asyncio.DeadlockError) console.error(e.message); // names the stuck tasks
 *   throw e;
 * }
 * ```
 */
export class DeadlockError extends RuntimeError {}

brand(CancelledError, "CancelledError");
brand(InvalidStateError, "InvalidStateError");
brand(OSError, "OSError");
brand(ConnectionError, "ConnectionError");
brand(ConnectionResetError, "ConnectionResetError");
brand(BrokenPipeError, "BrokenPipeError");
brand(ConnectionRefusedError, "ConnectionRefusedError");
brand(ConnectionAbortedError, "ConnectionAbortedError");
brand(TimeoutError, "TimeoutError");
brand(RuntimeError, "RuntimeError");
brand(NotImplementedError, "NotImplementedError");
brand(IncompleteReadError, "IncompleteReadError");
brand(LimitOverrunError, "LimitOverrunError");
brand(BrokenBarrierError, "BrokenBarrierError");
brand(SendfileNotAvailableError, "SendfileNotAvailableError");
brand(KeyboardInterrupt, "KeyboardInterrupt");
brand(DeadlockError, "DeadlockError");
