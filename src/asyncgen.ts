/**
 * Async generator coroutines — Python's `async def` with `yield` — and the helpers Python
 * writes as `async for` and async comprehensions.
 *
 * One `function*` both awaits and emits: `yield* aw` awaits (as in any coroutine) and a
 * bare `yield value` emits an item, exactly as `await` and `yield` read in Python:
 *
 * ```ts
 * const powersOfTwo = asyncio.asyncGenerator(function* (stop: number) {
 *   for (let i = 0; i < stop; i++) {
 *     yield 2 ** i;                 // emits a number: items are typed `number`
 *     yield* asyncio.sleep(0.1);    // awaits
 *   }
 * });
 * const all = yield* asyncio.collect(powersOfTwo(5)); // [1, 2, 4, 8, 16]
 * ```
 *
 * How the two are told apart: awaiting yields the loop's own suspension tokens (a Future
 * being awaited, or the "reschedule me" token of `sleep(0)`); the generator's driver
 * forwards those to the Task and hands every other yielded value to the consumer. Items
 * are therefore typed as the generator's yield type minus {@link Suspend}.
 *
 * Laziness: the producer runs only while a consumer is inside `anext()`; between two
 * requests it stays suspended at its `yield`. Closing (`aclose()`) throws
 * {@link GeneratorExit} into the producer, so its `finally` blocks run and may await.
 * A generator that was started and not finished is registered with its loop:
 * `shutdownAsyncgens()` (run by `asyncio.run()`) closes it, and one that is dropped while
 * the loop runs is closed in a new task, as asyncio's finalizer hook does.
 *
 * @module
 */

import type { AsyncGenLike, BaseEventLoop } from "./core/base_events.js";
import { bridgePromise } from "./core/base_events.js";
import {
  type Awaitable,
  COROUTINE_FUNCTION,
  type Coroutine,
  describe,
  iscoroutine,
  isGeneratorFunction,
  type Suspend,
} from "./core/coroutines.js";
import { _getRunningLoop, getRunningLoop } from "./core/events.js";
import { RuntimeError } from "./core/exceptions.js";
import { _isSuspendToken } from "./core/suspend.js";

/**
 * Thrown into an async generator's producer by `aclose()`, so that its `finally` blocks
 * run. Python's `GeneratorExit`. A producer may catch it to clean up but must not emit
 * again afterwards ("async generator ignored GeneratorExit").
 *
 * @example
 * ```ts
 * const ticks = asyncio.asyncGenerator(function* () {
 *   try {
 *     for (;;) { yield Date.now(); yield* asyncio.sleep(1); }
 *   } catch (e) {
 *     if (e instanceof asyncio.GeneratorExit) console.log("closed early");
 *     throw e;
 *   }
 * });
 * ```
 */
export class GeneratorExit extends Error {
  constructor(message?: string) {
    super(message);
    this.name = "GeneratorExit";
  }
}

// ---------------------------------------------------------------- the state machine

/** Created, the producer has not run yet. */
const CREATED = 0;
/** The producer is suspended at an emitting `yield`. */
const SUSPENDED = 1;
/** A request (anext, asend, athrow, aclose) is driving the producer. */
const RUNNING = 2;
/** The producer returned or threw; every later request finds it exhausted. */
const CLOSED = 3;
const STATE_NAMES = ["created", "suspended", "running", "closed"] as const;

const SEND = 0;
const THROW = 1;

/** What one resume of the producer ended with. */
const EMITTED = 0;
const AWAITING = 1;
const FINISHED = 2;

/** Whether a value the producer yielded is a suspension for the Task, not an item. */
const isSuspend = _isSuspendToken;

/**
 * Dropped generators that were started and not finished: closed in a new task while their
 * loop runs (asyncio's `_asyncgen_finalizer_hook`). Held: the state, never the wrapper.
 */
const abandoned = new FinalizationRegistry<AsyncGenState>((state) => {
  const loop = state._loop;
  if (state._state !== SUSPENDED || loop === null || !loop.isRunning()) return;
  if (!loop._asyncgens.delete(state)) return;
  loop.createTask(finalizeAbandoned(state, loop));
});

function* finalizeAbandoned(state: AsyncGenState, loop: BaseEventLoop): Coroutine<void> {
  try {
    yield* state.aclose();
  } catch (exception) {
    loop.callExceptionHandler({
      message: "an error occurred during closing of asynchronous generator",
      exception,
      asyncgen: state.toString(),
    });
  }
}

/**
 * @internal The producer and its state, apart from the public wrapper so that the loop
 * (which tracks unfinished generators) never keeps the wrapper alive.
 */
export class AsyncGenState implements AsyncGenLike {
  /** @internal */
  _state = CREATED;
  /** @internal The loop of the first iteration; unfinished generators are registered with it. */
  _loop: BaseEventLoop | null = null;
  /** @internal The last item emitted, or the suspension token being forwarded. */
  _value: unknown = undefined;

  constructor(
    /** @internal */ readonly _gen: Generator<unknown, unknown, unknown>,
    /** @internal */ readonly _name: string,
  ) {}

  /** @internal Checks that a request may start; false when the generator is already exhausted. */
  _begin(method: string, owner: object): boolean {
    const s = this._state;
    if (s === SUSPENDED) return true;
    if (s === CREATED) {
      const loop = _getRunningLoop();
      if (loop !== null) {
        this._loop = loop;
        if (!loop._asyncgensShutdownCalled) {
          loop._asyncgens.add(this);
          abandoned.register(owner, this, this);
        }
      }
      return true;
    }
    if (s === RUNNING) {
      throw new RuntimeError(`${method}(): asynchronous generator is already running`);
    }
    return false;
  }

  /**
   * Resumes the producer once. EMITTED: the item is in `_value`; AWAITING: `_value` is a
   * suspension token to forward to the Task; FINISHED: the producer returned. A producer
   * error closes the generator and is re-thrown.
   * @internal
   */
  _resume(mode: number, value: unknown): number {
    this._state = RUNNING;
    let r: IteratorResult<unknown, unknown>;
    try {
      r = mode === SEND ? this._gen.next(value) : this._gen.throw(value);
    } catch (e) {
      this._finish();
      throw e;
    }
    if (r.done === true) {
      this._finish();
      return FINISHED;
    }
    this._value = r.value;
    if (isSuspend(r.value)) return AWAITING;
    this._state = SUSPENDED;
    return EMITTED;
  }

  /** @internal */
  _finish(): void {
    this._state = CLOSED;
    this._value = undefined;
    if (this._loop !== null) {
      this._loop._asyncgens.delete(this);
      abandoned.unregister(this);
    }
  }

  /**
   * A request was abandoned half-way (the consumer's coroutine was closed with `return()`
   * instead of being cancelled): the producer cannot be resumed correctly any more.
   * @internal
   */
  _abandon(): void {
    if (this._state !== RUNNING) return;
    this._finish();
    try {
      this._gen.return(undefined);
    } catch {
      // the producer's finally threw while being discarded: nobody is left to receive it
    }
  }

  /** @internal Drives the producer until it emits (true) or finishes (false). */
  *_drive(mode: number, value: unknown): Generator<Suspend, boolean, unknown> {
    try {
      for (;;) {
        const k = this._resume(mode, value);
        if (k === EMITTED) return true;
        if (k === FINISHED) return false;
        try {
          value = yield this._value as Suspend;
          mode = SEND;
        } catch (e) {
          value = e;
          mode = THROW;
        }
      }
    } finally {
      this._abandon();
    }
  }

  *aclose(): Coroutine<void> {
    const s = this._state;
    if (s === CLOSED) return;
    if (s === RUNNING) {
      throw new RuntimeError("aclose(): asynchronous generator is already running");
    }
    if (s === CREATED) {
      // Never started: there is no finally block to run.
      this._state = CLOSED;
      this._gen.return(undefined);
      return;
    }
    const exit = new GeneratorExit();
    try {
      if (!(yield* this._drive(THROW, exit))) return;
    } catch (e) {
      if (e instanceof GeneratorExit) return;
      throw e;
    }
    throw new RuntimeError(`async generator ignored GeneratorExit: ${this}`);
  }

  toString(): string {
    return `<async_generator ${this._name} ${STATE_NAMES[this._state]}>`;
  }
}

// ---------------------------------------------------------------- the public wrapper

/**
 * The async iterator protocol in coroutine form (Python's `__anext__` and `aclose`):
 * what {@link asyncFor}, {@link collect}, {@link map}, {@link filter} and {@link take}
 * consume, besides native `AsyncIterable`s. Implement it to make your own type iterable
 * from coroutines without going through Promises.
 *
 * @example
 * ```ts
 * function countdown(from: number): asyncio.AsyncIter<number> {
 *   let n = from;
 *   return {
 *     *anext() {
 *       yield* asyncio.sleep(1);
 *       return n > 0 ? { done: false, value: n-- } : { done: true, value: undefined };
 *     },
 *   };
 * }
 * console.log(yield* asyncio.collect(countdown(3))); // [3, 2, 1]
 * ```
 */
export interface AsyncIter<T> {
  /** Awaits the next item: `{ done: false, value }`, or `{ done: true }` at the end. */
  anext(): Awaitable<IteratorResult<T, unknown>>;
  /** Stops the iterator early, running its cleanup. */
  aclose?(): Awaitable<unknown>;
}

/**
 * Anything the helpers of this module iterate: ours ({@link AsyncIter}) or native.
 *
 * @example
 * ```ts
 * function* count<T>(it: asyncio.AsyncIterableLike<T>) {
 *   let n = 0;
 *   yield* asyncio.asyncFor(it, () => { n++; });
 *   return n;
 * }
 * ```
 */
export type AsyncIterableLike<T> = AsyncIter<T> | AsyncIterable<T>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An async generator: what calling a function made by {@link asyncGenerator} returns
 * (Python's `async_generator` object). Consume it from a coroutine with
 * {@link asyncFor}, {@link collect} or `yield* agen.anext()`; from `async` code with
 * `for await` (each step then runs as a Task on the generator's loop).
 *
 * Only one request may run at a time: a second `anext()` while one is in progress throws
 * `RuntimeError("anext(): asynchronous generator is already running")`.
 *
 * @example
 * ```ts
 * const agen = powersOfTwo(3);
 * console.log(yield* agen.anext()); // { done: false, value: 1 }
 * yield* agen.aclose();             // runs the producer's finally blocks
 * console.log(yield* agen.anext()); // { done: true, value: undefined }
 * ```
 */
export class AsyncGen<T> implements AsyncIter<T>, AsyncIterableIterator<T, undefined, unknown> {
  /** @internal */
  readonly _s: AsyncGenState;

  /** @internal Made by {@link asyncGenerator} and the helpers, not by users. */
  constructor(gen: Generator<unknown, unknown, unknown>, name: string) {
    this._s = new AsyncGenState(gen, name);
  }

  /**
   * Runs the producer until it emits its next item (`{ done: false, value }`) or finishes
   * (`{ done: true }`). Errors of the producer are thrown here and close the generator.
   *
   * Cancellation: a `CancelledError` arriving while the producer awaits is thrown into the
   * producer (its `finally` blocks run) and then out of `anext()`; the generator is closed.
   */
  anext(): Coroutine<IteratorResult<T, undefined>> {
    return this._request("anext", SEND, undefined);
  }

  /**
   * Like {@link anext}, and `value` becomes the result of the producer's pending `yield`.
   * Sending anything but `undefined` to a generator that has not started throws
   * `TypeError`, as in Python.
   */
  asend(value: unknown): Coroutine<IteratorResult<T, undefined>> {
    if (value !== undefined && this._s._state === CREATED) {
      throw new TypeError(
        `asend(): can't send non-undefined value to a just-started async generator: received ${describe(value)}`,
      );
    }
    return this._request("asend", SEND, value);
  }

  /**
   * Throws `error` into the producer at its pending `yield` and runs it to its next item.
   * If the producer does not catch it, it is thrown here and the generator is closed.
   */
  athrow(error: unknown): Coroutine<IteratorResult<T, undefined>> {
    return this._request("athrow", THROW, error);
  }

  /**
   * Closes the generator: throws {@link GeneratorExit} into the producer so its `finally`
   * blocks run (they may await). Idempotent. Throws `RuntimeError` if the producer emits
   * again instead of finishing, or if a request is running.
   */
  aclose(): Coroutine<void> {
    return this._s.aclose();
  }

  /** @internal */
  private *_request(
    method: string,
    mode: number,
    value: unknown,
  ): Coroutine<IteratorResult<T, undefined>> {
    const s = this._s;
    if (!s._begin(method, this)) {
      if (mode === THROW) throw value;
      return DONE;
    }
    // _drive, inlined: one generator per request instead of two.
    try {
      for (;;) {
        const k = s._resume(mode, value);
        if (k === EMITTED) return { done: false, value: s._value as T };
        if (k === FINISHED) return DONE;
        try {
          value = yield s._value as Suspend;
          mode = SEND;
        } catch (e) {
          value = e;
          mode = THROW;
        }
      }
    } finally {
      s._abandon();
    }
  }

  // ------------------------------------------------------------ native interop

  /** This generator as a native async iterator: `for await (const x of agen)`. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The native `AsyncIterator` side, for `async` code: runs {@link asend} as a Task on the
   * generator's loop (the running loop for a generator not started yet). The Promise
   * rejects with `RuntimeError` when no loop is running.
   */
  next(...[value]: [] | [unknown]): Promise<IteratorResult<T, undefined>> {
    return this._onLoop(() => this.asend(value));
  }

  /** Native `return()`: {@link aclose} as a Task; what `for await` calls on `break`. */
  return(): Promise<IteratorResult<T, undefined>> {
    return this._onLoop(() => closeThenDone(this._s));
  }

  /** Native `throw()`: {@link athrow} as a Task. */
  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    return this._onLoop(() => this.athrow(error));
  }

  /** @internal */
  private _onLoop(
    start: () => Coroutine<IteratorResult<T, undefined>>,
  ): Promise<IteratorResult<T, undefined>> {
    try {
      const loop = this._s._loop ?? _getRunningLoop();
      if (loop === null || !loop.isRunning()) {
        throw new RuntimeError(
          `${this}: async iteration from async code needs the generator's event loop to be running`,
        );
      }
      return loop.createTask(start()).then();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  toString(): string {
    return this._s.toString();
  }
}

function* closeThenDone(s: AsyncGenState): Coroutine<IteratorReturnResult<undefined>> {
  yield* s.aclose();
  return DONE;
}

/**
 * The item type of an async generator's producer: what its bare `yield`s emit, that is its
 * yield type without the {@link Suspend} tokens of its awaits.
 *
 * @example
 * ```ts
 * function* producer() { yield* asyncio.sleep(1); yield "tick"; }
 * type Item = asyncio.ItemOf<typeof producer>; // string
 * ```
 */
export type ItemOf<F> = F extends (...args: never[]) => Generator<infer Y, unknown, unknown>
  ? Exclude<Y, Suspend>
  : never;

/**
 * The function {@link asyncGenerator} returns: same parameters, returns an {@link AsyncGen}.
 *
 * @example
 * ```ts
 * const words: asyncio.AsyncGeneratorFunction<[text: string], string> = asyncio.asyncGenerator(
 *   function* (text: string) {
 *     for (const word of text.split(" ")) {
 *       yield* asyncio.sleep(0.1);
 *       yield word;
 *     }
 *   },
 * );
 * console.log(yield* asyncio.collect(words("one two three"))); // ["one", "two", "three"]
 * ```
 */
export type AsyncGeneratorFunction<A extends unknown[], T> = (...args: A) => AsyncGen<T>;

function isCoroutineFunction(fn: unknown): boolean {
  if (isGeneratorFunction(fn)) return true;
  const proto = (fn as { prototype?: unknown } | null)?.prototype;
  return typeof fn === "function" && typeof proto === "object" && proto !== null
    ? COROUTINE_FUNCTION in proto
    : false;
}

/**
 * Makes an async generator function from a `function*` that awaits with `yield*` and emits
 * items with a bare `yield` (Python's `async def` containing `yield`). The item type is
 * inferred: the generator's yield type without the awaits' {@link Suspend} tokens.
 *
 * The returned function is lazy like any coroutine function: calling it runs nothing.
 * A `return` in the producer ends the iteration (its value is ignored, as Python allows
 * none). Note that `yield someCoroutine()` *emits* the coroutine object; await with `yield*`.
 *
 * Errors: `TypeError` if `fn` is not a generator function.
 *
 * @example
 * ```ts
 * const lines = asyncio.asyncGenerator(function* (n: number) {
 *   try {
 *     for (let i = 0; i < n; i++) {
 *       yield* asyncio.sleep(0.1);
 *       yield `line ${i}`;
 *     }
 *   } finally {
 *     yield* asyncio.sleep(0.1); // cleanup may await; runs on aclose() and cancellation
 *   }
 * });
 * function* main() {
 *   yield* asyncio.asyncFor(lines(3), (line) => console.log(line));
 * }
 * ```
 */
export function asyncGenerator<F extends (...args: never[]) => Generator<unknown, void, unknown>>(
  fn: F,
): AsyncGeneratorFunction<Parameters<F>, ItemOf<F>> {
  if (!isCoroutineFunction(fn)) {
    throw new TypeError(
      `asyncGenerator(): 'fn' must be a generator function (function*): received ${describe(fn)}`,
    );
  }
  const name = fn.name || "<anonymous>";
  const agenFunction = function (this: unknown, ...args: Parameters<F>) {
    return new AsyncGen<ItemOf<F>>(fn.apply(this, args), name);
  };
  Object.defineProperty(agenFunction, "name", { value: name });
  return agenFunction;
}

// ---------------------------------------------------------------- native → coroutines

function isAsyncIter(x: unknown): x is AsyncIter<unknown> {
  return (
    typeof x === "object" && x !== null && typeof (x as AsyncIter<unknown>).anext === "function"
  );
}

/**
 * An {@link AsyncIter} for `iterable` (Python's `aiter()`): ours as they are, and any
 * native `AsyncIterable` — a Node stream, `events.on(...)`, an `async function*` — wrapped
 * in an {@link AsyncGen} so a coroutine can consume it.
 *
 * Cancellation: cancelling a coroutine while it waits for the native iterator's next item
 * calls the iterator's `return()` (without waiting for it, since a native generator only
 * runs `return()` after its pending step); closing the wrapper between items awaits
 * `return()`. On the virtual-time loop the clock holds still while a native step is
 * pending, as for any bridged Promise.
 *
 * Errors: `TypeError` if `iterable` is neither.
 *
 * @example
 * ```ts
 * import { on } from "node:events";
 * function* main() {
 *   yield* asyncio.asyncFor(asyncio.aiter(on(emitter, "data")), ([chunk]) => {
 *     console.log(chunk);
 *   });
 * }
 * ```
 */
export function aiter<T>(iterable: AsyncIterableLike<T>): AsyncIter<T> {
  if (isAsyncIter(iterable)) return iterable as AsyncIter<T>;
  if (
    iterable !== null &&
    (typeof iterable === "object" || typeof iterable === "function") &&
    typeof (iterable as AsyncIterable<T>)[Symbol.asyncIterator] === "function"
  ) {
    return new AsyncGen<T>(consumeNative(iterable as AsyncIterable<T>), "aiter");
  }
  throw new TypeError(
    `aiter(): 'iterable' must be an async iterable (an AsyncGen, anything with anext(), or a native AsyncIterable): received ${describe(iterable)}`,
  );
}

function* consumeNative<T>(iterable: AsyncIterable<T>): Generator<unknown, void, unknown> {
  const it = iterable[Symbol.asyncIterator]();
  let finished = false;
  let stepPending = false;
  try {
    for (;;) {
      let step: Promise<IteratorResult<T, unknown>>;
      try {
        step = Promise.resolve(it.next());
      } catch (e) {
        finished = true;
        throw e;
      }
      const fut = bridgePromise(step, getRunningLoop());
      let r: IteratorResult<T, unknown>;
      stepPending = true;
      try {
        r = yield* fut;
      } catch (e) {
        // The iterator's own error ends it; a cancelled wait leaves it mid-step.
        if (!fut.cancelled()) finished = true;
        throw e;
      }
      stepPending = false;
      if (typeof r !== "object" || r === null) {
        finished = true;
        throw new TypeError(`aiter(): the iterator's next() gave a non-object: ${describe(r)}`);
      }
      if (r.done === true) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!finished && typeof it.return === "function") {
      if (stepPending) {
        const loop = getRunningLoop();
        Promise.resolve(it.return()).catch((exception: unknown) => {
          loop.callExceptionHandler({
            message: "an error occurred during closing of a native async iterator",
            exception,
          });
        });
      } else {
        yield* bridgePromise(Promise.resolve(it.return()), getRunningLoop());
      }
    }
  }
}

// ---------------------------------------------------------------- helpers

function checkFunction(fn: unknown, caller: string, arg: string): void {
  if (typeof fn !== "function") {
    throw new TypeError(`${caller}(): '${arg}' must be a function: received ${describe(fn)}`);
  }
}

/** Closes `it` if it can be closed; our generators ignore a second close. */
function* closeIter(it: AsyncIter<unknown>): Coroutine<void> {
  if (typeof it.aclose === "function") yield* it.aclose();
}

/**
 * Python's `async for item in iterable: body`: awaits each item in turn and calls
 * `body(item)`. The body may be a plain function or a coroutine function (a `function*`,
 * awaited before the next item). A body that returns `false` stops the loop (`break`).
 *
 * When the loop ends early — `false`, an error in the body, or cancellation — the iterator
 * is closed (`aclose()`), so the producer's cleanup runs at once (Python leaves that to
 * the garbage collector; `async with aclosing(...)` is the Python equivalent).
 *
 * @example
 * ```ts
 * function* main() {
 *   const found: number[] = [];
 *   yield* asyncio.asyncFor(powersOfTwo(10), (n) => {
 *     if (n > 100) return false;
 *     found.push(n);
 *   });
 * }
 * ```
 */
export function asyncFor<T>(
  iterable: AsyncIterableLike<T>,
  body: (item: T) => unknown,
): Coroutine<void> {
  checkFunction(body, "asyncFor", "body");
  const it = aiter(iterable);
  return it instanceof AsyncGen ? forOwn(it, body) : forAny(it, body);
}

/** The hot path: drives our own generator inline, no allocation per item. */
function* forOwn<T>(agen: AsyncGen<T>, body: (item: T) => unknown): Coroutine<void> {
  const s = agen._s;
  let exhausted = false;
  try {
    if (!s._begin("anext", agen)) {
      exhausted = true;
      return;
    }
    for (;;) {
      let mode = SEND;
      let value: unknown;
      for (;;) {
        const k = s._resume(mode, value);
        if (k === EMITTED) break;
        if (k === FINISHED) {
          exhausted = true;
          return;
        }
        try {
          value = yield s._value as Suspend;
          mode = SEND;
        } catch (e) {
          value = e;
          mode = THROW;
        }
      }
      let r = body(s._value as T);
      if (r !== undefined && iscoroutine(r)) r = yield* r;
      if (r === false) return;
      if (!s._begin("anext", agen)) {
        // the body closed the generator itself
        exhausted = true;
        return;
      }
    }
  } finally {
    s._abandon();
    if (!exhausted) yield* s.aclose();
  }
}

function* forAny<T>(it: AsyncIter<T>, body: (item: T) => unknown): Coroutine<void> {
  let exhausted = false;
  try {
    for (;;) {
      const r = yield* it.anext();
      if (r.done === true) {
        exhausted = true;
        return;
      }
      let b = body(r.value);
      if (b !== undefined && iscoroutine(b)) b = yield* b;
      if (b === false) return;
    }
  } finally {
    if (!exhausted) yield* closeIter(it);
  }
}

/**
 * Collects every item into an array: Python's `[x async for x in iterable]`. On an error
 * or cancellation the iterator is closed and the error propagates.
 *
 * @example
 * ```ts
 * const all = yield* asyncio.collect(powersOfTwo(5)); // [1, 2, 4, 8, 16]
 * ```
 */
export function* collect<T>(iterable: AsyncIterableLike<T>): Coroutine<T[]> {
  const out: T[] = [];
  yield* asyncFor(iterable, (x) => {
    out.push(x);
  });
  return out;
}

/**
 * A lazy async generator of `fn(item)` for each item: Python's
 * `(fn(x) async for x in iterable)`. `fn` may be a coroutine function; it is then awaited.
 * Closing the result closes `iterable`.
 *
 * @example
 * ```ts
 * const labels = asyncio.map(powersOfTwo(3), (n) => `got ${n}`);
 * console.log(yield* asyncio.collect(labels)); // ["got 1", "got 2", "got 4"]
 * const pages = asyncio.map(powersOfTwo(2), function* (n) {
 *   return yield* fetchText(`https://example.com/page/${n}`);
 * });
 * console.log(yield* asyncio.collect(pages)); // the text of page 1, then of page 2
 * ```
 */
export function map<T, U>(
  iterable: AsyncIterableLike<T>,
  fn: (item: T) => Coroutine<U>,
): AsyncGen<U>;
export function map<T, U>(iterable: AsyncIterableLike<T>, fn: (item: T) => U): AsyncGen<U>;
export function map<T, U>(iterable: AsyncIterableLike<T>, fn: (item: T) => unknown): AsyncGen<U> {
  checkFunction(fn, "map", "fn");
  return new AsyncGen<U>(mapProducer(aiter(iterable), fn), "map");
}

function* mapProducer<T>(it: AsyncIter<T>, fn: (item: T) => unknown): Generator<unknown, void> {
  try {
    for (;;) {
      const r = yield* it.anext();
      if (r.done === true) return;
      let v = fn(r.value);
      if (v !== undefined && iscoroutine(v)) v = yield* v;
      yield v;
    }
  } finally {
    yield* closeIter(it);
  }
}

/**
 * A lazy async generator of the items for which `predicate(item)` is truthy: Python's
 * `(x async for x in iterable if predicate(x))`. The predicate may be a coroutine
 * function, and may be a type guard. Closing the result closes `iterable`.
 *
 * @example
 * ```ts
 * const f = yield* asyncio.collect(
 *   asyncio.filter(powersOfTwo(5), (j) => !(Math.floor(j / 3) % 5)),
 * ); // [1, 2, 16]
 * ```
 */
export function filter<T, S extends T>(
  iterable: AsyncIterableLike<T>,
  predicate: (item: T) => item is S,
): AsyncGen<S>;
export function filter<T>(
  iterable: AsyncIterableLike<T>,
  predicate: (item: T) => unknown,
): AsyncGen<T>;
export function filter<T>(
  iterable: AsyncIterableLike<T>,
  predicate: (item: T) => unknown,
): AsyncGen<T> {
  checkFunction(predicate, "filter", "predicate");
  return new AsyncGen<T>(filterProducer(aiter(iterable), predicate), "filter");
}

function* filterProducer<T>(
  it: AsyncIter<T>,
  predicate: (item: T) => unknown,
): Generator<unknown, void> {
  try {
    for (;;) {
      const r = yield* it.anext();
      if (r.done === true) return;
      let keep = predicate(r.value);
      if (keep !== undefined && iscoroutine(keep)) keep = yield* keep;
      if (keep) yield r.value;
    }
  } finally {
    yield* closeIter(it);
  }
}

/**
 * A lazy async generator of the first `n` items of `iterable`, which is then closed (so its
 * cleanup runs as soon as the n-th item was taken, not at shutdown).
 *
 * Errors: `TypeError` if `n` is not a number, `RangeError` if it is not an integer >= 0.
 *
 * @example
 * ```ts
 * const firstThree = yield* asyncio.collect(asyncio.take(ticks(), 3));
 * ```
 */
export function take<T>(iterable: AsyncIterableLike<T>, n: number): AsyncGen<T> {
  if (typeof n !== "number") {
    throw new TypeError(`take(): 'n' must be a number: received ${describe(n)}`);
  }
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`take(): 'n' must be an integer >= 0: received ${describe(n)}`);
  }
  return new AsyncGen<T>(takeProducer(aiter(iterable), n), "take");
}

function* takeProducer<T>(it: AsyncIter<T>, n: number): Generator<unknown, void> {
  try {
    for (let i = 0; i < n; i++) {
      const r = yield* it.anext();
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    yield* closeIter(it);
  }
}
