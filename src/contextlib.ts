/**
 * The async context manager protocol — asyncio's `async with` — and the helper that uses it.
 *
 * An async context manager has `aenter()` (awaited on entry; its result is handed to the
 * body) and `aexit(exc)` (awaited on exit; `exc` is `undefined` when the body completed,
 * else the error it threw; returning `true` suppresses that error). TaskGroup, timeouts,
 * locks, semaphores, streams and servers all implement it.
 *
 * @module
 */

import { type AsyncGen, asyncGenerator, type ItemOf } from "./asyncgen.js";
import { bridgePromise } from "./core/base_events.js";
import type { Awaitable, Coroutine } from "./core/coroutines.js";
import { describe } from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import { RuntimeError } from "./core/exceptions.js";

/**
 * An async context manager: what `async with` takes in Python.
 *
 * @example
 * ```ts
 * class Resource implements asyncio.AsyncContextManager<Resource> {
 *   *aenter() { yield* asyncio.sleep(0.1); return this; }
 *   *aexit(exc: unknown) { yield* asyncio.sleep(0.1); }
 * }
 * ```
 */
export interface AsyncContextManager<T> {
  /** Awaited on entry; its result is passed to the body. */
  aenter(): Awaitable<T>;
  /**
   * Awaited on exit with `undefined` if the body completed, or with the error it threw.
   * Returning `true` suppresses that error.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a coroutine that returns nothing is Coroutine<void>
  aexit(exc: unknown): Awaitable<boolean | undefined | void>;
}

/**
 * An async context manager that never suppresses errors (its `aexit` returns nothing).
 *
 * @example
 * ```ts
 * const cm: asyncio.NonSuppressingAsyncContextManager<string> = {
 *   *aenter() { return "resource"; },
 *   *aexit(_exc: unknown) { console.log("released"); },
 * };
 * const n = yield* asyncio.asyncWith(cm, function* (r) { return r.length; }); // number, never undefined
 * ```
 */
export interface NonSuppressingAsyncContextManager<T> {
  aenter(): Awaitable<T>;
  // biome-ignore lint/suspicious/noConfusingVoidType: a coroutine that returns nothing is Coroutine<void>
  aexit(exc: unknown): Awaitable<false | undefined | void>;
}

/**
 * Python's `async with cm as value: body`: enters `cm`, runs `body(value)`, and always
 * exits `cm` — on success, on error and on cancellation — awaiting its `aexit`.
 * Evaluates to the body's result (`undefined` when the manager suppressed an error).
 *
 * @example
 * ```ts
 * const lock = new asyncio.Lock();
 * function* main() {
 *   yield* asyncio.asyncWith(lock, function* () {
 *     console.log("locked:", lock.locked()); // true
 *     yield* asyncio.sleep(1);
 *   });
 *   console.log("locked:", lock.locked()); // false: released on the way out
 * }
 * ```
 */
export function asyncWith<T, R>(
  cm: NonSuppressingAsyncContextManager<T>,
  body: (value: T) => Coroutine<R>,
): Coroutine<R>;
export function asyncWith<T, R>(
  cm: AsyncContextManager<T>,
  body: (value: T) => Coroutine<R>,
): Coroutine<R | undefined>;
export function* asyncWith<T, R>(
  cm: AsyncContextManager<T>,
  body: (value: T) => Coroutine<R>,
): Coroutine<R | undefined> {
  if (
    cm === null ||
    typeof cm !== "object" ||
    typeof cm.aenter !== "function" ||
    typeof cm.aexit !== "function"
  ) {
    throw new TypeError(
      `asyncWith(): 'cm' must be an async context manager (with aenter() and aexit()): received ${describe(cm)}`,
    );
  }
  if (typeof body !== "function") {
    throw new TypeError(
      `asyncWith(): 'body' must be a generator function: received ${describe(body)}`,
    );
  }
  const value = yield* cm.aenter();
  let result: R;
  try {
    result = yield* body(value);
  } catch (e) {
    // A thrown undefined/null would read as "no error" to aexit: never lose it.
    const exc = e ?? new TypeError(`the body of asyncWith() threw ${e}`);
    if ((yield* cm.aexit(exc)) === true) return undefined;
    throw exc;
  }
  yield* cm.aexit(undefined);
  return result;
}

// ---------------------------------------------------------------- asynccontextmanager

/**
 * The async context manager made by {@link asynccontextmanager} (Python's
 * `_AsyncGeneratorContextManager`). One use only: entering it a second time throws
 * `RuntimeError("generator didn't yield")`.
 *
 * @example
 * ```ts
 * const opened = asyncio.asynccontextmanager(function* (name: string) {
 *   const conn = yield* connect(name);
 *   try {
 *     yield conn;
 *   } finally {
 *     yield* conn.close();
 *   }
 * });
 * const cm: asyncio.GeneratorContextManager<Connection> = opened("db");
 * const rows = yield* asyncio.asyncWith(cm, (conn) => conn.query("select 1"));
 * console.log(rows); // ["db: select 1"]
 * ```
 */
export class GeneratorContextManager<T> implements AsyncContextManager<T> {
  /** @internal */
  readonly _gen: AsyncGen<T>;

  /** @internal Made by {@link asynccontextmanager}. */
  constructor(gen: AsyncGen<T>) {
    this._gen = gen;
  }

  /** Runs the generator up to its `yield` and evaluates to the yielded value. */
  *aenter(): Coroutine<T> {
    const r = yield* this._gen.anext();
    if (r.done === true) throw new RuntimeError("generator didn't yield");
    return r.value;
  }

  /**
   * Resumes the generator after its `yield`: normally when the body completed, by throwing
   * `exc` there when it failed. Evaluates to `true` (suppress) when the generator caught
   * the error and finished.
   */
  *aexit(exc: unknown): Coroutine<boolean> {
    if (exc === undefined) {
      const r = yield* this._gen.anext();
      if (r.done === true) return false;
      yield* this._gen.aclose();
      throw new RuntimeError("generator didn't stop");
    }
    try {
      const r = yield* this._gen.athrow(exc);
      if (r.done === true) return true;
    } catch (e) {
      // The generator let the body's error through (or re-raised it): not suppressed.
      if (e === exc) return false;
      throw e;
    }
    yield* this._gen.aclose();
    throw new RuntimeError("generator didn't stop after athrow()");
  }
}

/**
 * Makes async context managers from a `function*` that yields exactly once (Python's
 * `@contextlib.asynccontextmanager`): the code before the bare `yield value` is the entry,
 * `value` is what the body receives, the code after it is the exit. Await with `yield*`
 * anywhere, including in `finally`.
 *
 * The body's error is thrown at the `yield`: wrap it in `try/finally` to always clean up;
 * catch it (and not re-throw) to suppress it. Cancellation arrives the same way, as
 * `CancelledError`, so the `finally` still runs.
 *
 * Errors: `TypeError` if `fn` is not a generator function; `RuntimeError` if the
 * generator finishes without yielding ("generator didn't yield") or yields a second time
 * ("generator didn't stop").
 *
 * @example
 * ```ts
 * const opened = asyncio.asynccontextmanager(function* (name: string) {
 *   const conn = yield* connect(name);
 *   try {
 *     yield conn;
 *   } finally {
 *     yield* conn.close();
 *   }
 * });
 * function* main() {
 *   yield* asyncio.asyncWith(opened("db"), function* (conn) {
 *     yield* conn.query("select 1");
 *   });
 * }
 * ```
 */
export function asynccontextmanager<
  F extends (...args: never[]) => Generator<unknown, void, unknown>,
>(fn: F): (...args: Parameters<F>) => GeneratorContextManager<ItemOf<F>> {
  let factory: (...args: Parameters<F>) => AsyncGen<ItemOf<F>>;
  try {
    factory = asyncGenerator(fn);
  } catch {
    throw new TypeError(
      `asynccontextmanager(): 'fn' must be a generator function (function*): received ${describe(fn)}`,
    );
  }
  const name = fn.name || "<anonymous>";
  const makeCm = function (this: unknown, ...args: Parameters<F>) {
    return new GeneratorContextManager(factory.apply(this, args));
  };
  Object.defineProperty(makeCm, "name", { value: name });
  return makeCm;
}

/**
 * An async context manager that closes `thing` on exit (Python's `contextlib.aclosing`):
 * use it to make sure an async generator's cleanup runs when the block ends, however it
 * ends.
 *
 * @example
 * ```ts
 * const numbers = asyncio.asyncGenerator(function* () {
 *   try {
 *     for (let i = 0; ; i++) yield i;
 *   } finally {
 *     console.log("numbers() cleaned up");
 *   }
 * });
 * const first = yield* asyncio.asyncWith(asyncio.aclosing(numbers()), function* (agen) {
 *   return yield* agen.anext();
 * }); // numbers() is closed here: "numbers() cleaned up" is printed before the next line
 * console.log(first); // { done: false, value: 0 }
 * ```
 */
export function aclosing<T extends { aclose(): Awaitable<unknown> }>(
  thing: T,
): NonSuppressingAsyncContextManager<T> {
  if (thing === null || typeof thing !== "object" || typeof thing.aclose !== "function") {
    throw new TypeError(
      `aclosing(): 'thing' must have an aclose() method: received ${describe(thing)}`,
    );
  }
  return {
    *aenter(): Coroutine<T> {
      return thing;
    },
    *aexit(): Coroutine<undefined> {
      yield* thing.aclose();
      return undefined;
    },
  };
}

// ---------------------------------------------------------------- AsyncExitStack

/**
 * An exit callback of {@link AsyncExitStack.pushAsyncExit}: told of the pending error
 * (`undefined` if none); returning (or evaluating to) `true` suppresses it. It may be a
 * plain function, a coroutine function or an `async` function.
 *
 * @example
 * ```ts
 * const ignoreTimeouts: asyncio.AsyncExitCallback = (exc) => exc instanceof asyncio.TimeoutError;
 * yield* asyncio.asyncWith(new asyncio.AsyncExitStack(), function* (stack) {
 *   stack.pushAsyncExit(ignoreTimeouts);
 *   yield* asyncio.waitFor(asyncio.sleep(10), 1); // TimeoutError, suppressed on exit
 * });
 * console.log("the timeout was suppressed");
 * ```
 */
export type AsyncExitCallback = (exc: unknown) => unknown;

/** Whether `x` can be awaited with `yield*` (a coroutine, Future or other awaitable). */
function isAwaitableObject(x: unknown): x is Awaitable<unknown> {
  return (
    typeof x === "object" &&
    x !== null &&
    !Array.isArray(x) &&
    typeof (x as Awaitable<unknown>)[Symbol.iterator] === "function"
  );
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null &&
    (typeof x === "object" || typeof x === "function") &&
    typeof (x as PromiseLike<unknown>).then === "function"
  );
}

/** Awaits what an exit callback returned, whatever form it has. */
function* settle(x: unknown): Coroutine<unknown> {
  if (isAwaitableObject(x)) return yield* x;
  if (isThenable(x)) return yield* bridgePromise(x, getRunningLoop());
  return x;
}

function isAsyncContextManager(cm: unknown): cm is AsyncContextManager<unknown> {
  return (
    cm !== null &&
    typeof cm === "object" &&
    typeof (cm as AsyncContextManager<unknown>).aenter === "function" &&
    typeof (cm as AsyncContextManager<unknown>).aexit === "function"
  );
}

/**
 * A stack of exit callbacks, run last-in first-out when the stack is closed — Python's
 * `contextlib.AsyncExitStack`: enter a number of context managers that is only known at
 * run time, and leave them all, in reverse order, however the block ends.
 *
 * Itself an async context manager. Exit semantics, as Python's: each callback is told of
 * the error pending at that point (the body's, or one raised by a later callback); a
 * callback returning `true` suppresses it; an error raised by a callback replaces the
 * pending one, which is kept as its `cause` when it has none. Every callback runs, even
 * after one fails or the task is cancelled.
 *
 * @example
 * ```ts
 * const opened = asyncio.asynccontextmanager(function* (name: string) {
 *   const conn = yield* connect(name);
 *   try {
 *     yield conn;
 *   } finally {
 *     yield* conn.close();
 *     console.log(`closed ${name}`);
 *   }
 * });
 * function* queryAll(names: string[]) {
 *   return yield* asyncio.asyncWith(new asyncio.AsyncExitStack(), function* (stack) {
 *     const conns: Connection[] = [];
 *     for (const name of names) conns.push(yield* stack.enterAsyncContext(opened(name)));
 *     stack.callback(() => console.log("all closed"));
 *     return yield* asyncio.gather(...conns.map((c) => c.query("select 1")));
 *   }); // "all closed", then every connection closed, last opened first
 * }
 * console.log(yield* queryAll(["users", "orders"]));
 * ```
 */
export class AsyncExitStack implements AsyncContextManager<AsyncExitStack> {
  /** @internal */
  private _exits: AsyncExitCallback[] = [];

  /**
   * Enters `cm` and pushes its exit; evaluates to what its `aenter()` gave.
   * Errors: `TypeError` if `cm` is not an async context manager (nothing is pushed).
   */
  *enterAsyncContext<T>(cm: AsyncContextManager<T>): Coroutine<T> {
    if (!isAsyncContextManager(cm)) {
      throw new TypeError(
        `AsyncExitStack.enterAsyncContext(): 'cm' must be an async context manager (with aenter() and aexit()): received ${describe(cm)}`,
      );
    }
    const value = yield* cm.aenter();
    this._exits.push((exc) => cm.aexit(exc));
    return value;
  }

  /**
   * Pushes an exit: an async context manager's `aexit` (the manager is not entered), or a
   * callback told of the pending error that may suppress it by returning `true`. Returns
   * its argument, so it can be used as a decorator-style helper.
   */
  pushAsyncExit<E extends AsyncContextManager<unknown> | AsyncExitCallback>(exit: E): E {
    if (isAsyncContextManager(exit)) {
      this._exits.push((exc) => exit.aexit(exc));
    } else if (typeof exit === "function") {
      this._exits.push(exit as AsyncExitCallback);
    } else {
      throw new TypeError(
        `AsyncExitStack.pushAsyncExit(): 'exit' must be an async context manager or a function: received ${describe(exit)}`,
      );
    }
    return exit;
  }

  /**
   * Pushes `fn(...args)`, called on exit whatever happened; it is not told of errors and
   * cannot suppress them. `fn` may be a plain, coroutine or `async` function (a result to
   * await is awaited). Returns `fn`.
   */
  callback<A extends unknown[], F extends (...args: A) => unknown>(fn: F, ...args: A): F {
    if (typeof fn !== "function") {
      throw new TypeError(
        `AsyncExitStack.callback(): 'fn' must be a function: received ${describe(fn)}`,
      );
    }
    this._exits.push(function* () {
      yield* settle(fn(...args));
      return false;
    });
    return fn;
  }

  /**
   * Moves every pushed exit to a new stack and returns it; this stack is left empty (so
   * closing it does nothing). Used to keep resources open past a block on success.
   */
  popAll(): AsyncExitStack {
    const stack = new AsyncExitStack();
    stack._exits = this._exits;
    this._exits = [];
    return stack;
  }

  /** Runs every exit now, last pushed first, as on leaving the block without an error. */
  *aclose(): Coroutine<void> {
    yield* this.aexit(undefined);
  }

  /** Returns the stack itself. */
  *aenter(): Coroutine<AsyncExitStack> {
    return this;
  }

  /**
   * Runs every exit, last pushed first, each told of the error pending at that point.
   * Evaluates to `true` when `exc` was suppressed; throws the error still pending at the end.
   */
  *aexit(exc: unknown): Coroutine<boolean> {
    const received = exc !== undefined;
    let pending = exc;
    let pendingRaise = false;
    let suppressed = false;
    const exits = this._exits;
    while (exits.length > 0) {
      const exit = exits.pop() as AsyncExitCallback;
      try {
        if ((yield* settle(exit(pending))) === true) {
          suppressed = true;
          pendingRaise = false;
          pending = undefined;
        }
      } catch (e) {
        const err = e ?? new TypeError(`an exit callback threw ${e}`);
        if (pending !== undefined && err !== pending && err instanceof Error) {
          // Python chains it as __context__: keep the replaced error reachable.
          if (err.cause === undefined) {
            try {
              err.cause = pending;
            } catch {
              // a frozen error: it still propagates, without the chain
            }
          }
        }
        pendingRaise = true;
        pending = err;
      }
    }
    if (pendingRaise) throw pending;
    return received && suppressed;
  }
}
