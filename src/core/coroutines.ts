/**
 * The awaitable protocol. A coroutine is a generator object; `yield*` is `await`.
 *
 * Anything whose `[Symbol.iterator]()` returns an iterator of {@link Suspend} tokens is an
 * {@link Awaitable}: `yield* x` hands its tokens to the Task driving the coroutine and
 * evaluates to the awaitable's result. Coroutine objects, Futures and Tasks are awaitable.
 *
 * @module
 */

declare const SuspendBrand: unique symbol;

/**
 * The opaque token a coroutine yields to its Task when it suspends. User code never makes
 * or inspects one; it only appears in types.
 *
 * @example
 * ```ts
 * // Coroutine<T> is Generator<Suspend, T, unknown>: the two signatures are the same
 * function* answer(): Generator<asyncio.Suspend, number, unknown> {
 *   return yield* asyncio.sleep(1, 42);
 * }
 * ```
 */
export interface Suspend {
  readonly [SuspendBrand]: "asyncio-ts suspension token";
}

/**
 * A coroutine object: what calling a coroutine function (a `function*` that awaits with
 * `yield*`) returns. Lazy: nothing runs until it is awaited or wrapped in a Task.
 *
 * @example
 * ```ts
 * function* add(a: number, b: number): asyncio.Coroutine<number> {
 *   yield* asyncio.sleep(0.1);
 *   return a + b;
 * }
 * ```
 */
export type Coroutine<T = unknown> = Generator<Suspend, T, unknown>;

/**
 * Anything `yield*` can await inside a coroutine, evaluating to `T`.
 *
 * @example
 * ```ts
 * function* main() {
 *   const aw: asyncio.Awaitable<number> = asyncio.sleep(1, 42);
 *   const n = yield* aw; // 42
 * }
 * ```
 */
export interface Awaitable<T> {
  [Symbol.iterator](): Iterator<Suspend, T, unknown>;
}

/**
 * What the combinators (`gather`, `ensureFuture`, `run`, …) accept: an {@link Awaitable}
 * or any Promise-like value.
 *
 * @example
 * ```ts
 * const [a, b] = yield* asyncio.gather(asyncio.sleep(1, "a"), Promise.resolve("b"));
 * ```
 */
export type AwaitableLike<T> = Awaitable<T> | PromiseLike<T>;

/**
 * The result type of an awaitable or promise-like value.
 *
 * @example
 * ```ts
 * type N = asyncio.AwaitedResult<asyncio.Coroutine<number>>; // number
 * type S = asyncio.AwaitedResult<Promise<string>>; // string
 * ```
 */
export type AwaitedResult<A> =
  A extends Awaitable<infer R> ? R : A extends PromiseLike<infer R> ? R : never;

const GeneratorFunction = Object.getPrototypeOf(function* () {}) as object;

/** Whether `fn` is a generator function (`function*`). */
export function isGeneratorFunction(fn: unknown): boolean {
  return typeof fn === "function" && Object.getPrototypeOf(fn) === GeneratorFunction;
}

/**
 * Whether `x` is a coroutine object (a generator object).
 *
 * @example
 * ```ts
 * function* f() {}
 * console.log(asyncio.iscoroutine(f()), asyncio.iscoroutine(f)); // true false
 * ```
 */
export function iscoroutine(x: unknown): x is Coroutine {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as Generator).next === "function" &&
    typeof (x as Generator).throw === "function" &&
    typeof (x as Generator).return === "function" &&
    typeof (x as Generator)[Symbol.iterator] === "function"
  );
}

/**
 * @internal
 * Makes the instances of `cls`, a hand-written coroutine object (a class implementing
 * `Coroutine`), inherit from %IteratorPrototype% as generator objects do: where the engine
 * has the iterator helpers (`map`, `filter`, `take`, `toArray`, ...), they have them too,
 * so the type they declare with the lib `ESNext` (Generator extends IteratorObject) is
 * true. Done once, when the class is defined; instances pay nothing.
 */
export function _inheritIteratorPrototype(cls: { readonly prototype: object }): void {
  Object.setPrototypeOf(
    cls.prototype,
    Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object,
  );
}

/** @internal Key under which a marked generator function's prototype keeps the function. */
export const COROUTINE_FUNCTION = Symbol("asyncio-ts: coroutine function");

/** The name of the function that made coroutine `gen`, when it is known. */
export function coroutineName(gen: object): string {
  const proto = Object.getPrototypeOf(gen) as Record<symbol, unknown> | null;
  const fn = proto?.[COROUTINE_FUNCTION];
  if (typeof fn === "function" && fn.name) return fn.name;
  return "coroutine";
}

/** @internal Where a suspended coroutine is: its function and its source position. */
export interface CoroutineLocation {
  /** The generator function's name, or "<anonymous>". */
  name: string;
  /** The source file (a path, or a URL when it is not a file). */
  file: string;
  /** 1-based line and column of the `yield` it is suspended at. */
  line: number;
  column: number;
}

/**
 * @internal Finds where a suspended generator is. The core cannot ask the engine (that
 * needs the runtime's debugger: see debug/locate.ts, which installs one on Node); it only
 * holds the hook. Asked on error paths only: the bad-`yield` error and the deadlock report.
 */
let coroutineLocator: ((gen: object) => CoroutineLocation | null) | null = null;

/** @internal Installs the runtime's coroutine locator (debug/locate.ts on Node). */
export function _setCoroutineLocator(f: ((gen: object) => CoroutineLocation | null) | null): void {
  coroutineLocator = f;
}

/**
 * @internal Where suspended generator `gen` is, when the runtime can say; never throws.
 * Costs a debugger round trip (about a millisecond once warm): error paths only.
 */
export function _locateCoroutine(gen: object): CoroutineLocation | null {
  if (coroutineLocator === null) return null;
  try {
    return coroutineLocator(gen);
  } catch {
    return null;
  }
}

/** @internal A location as a stack-trace line: `    at main (/app/main.ts:5:3)`. */
export function _frameLine(loc: CoroutineLocation): string {
  return `    at ${loc.name} (${loc.file}:${loc.line}:${loc.column})`;
}

/** Whether `x` can be awaited by the combinators. Arrays and strings are not awaitable. */
export function isAwaitableLike(x: unknown): x is AwaitableLike<unknown> {
  if (typeof x !== "object" || x === null) return typeof x === "function" && "then" in x;
  if (Array.isArray(x) || ArrayBuffer.isView(x) || x instanceof Map || x instanceof Set) {
    return false;
  }
  return Symbol.iterator in x || typeof (x as PromiseLike<unknown>).then === "function";
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (typeof x === "string") return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
  if (typeof x === "function") return `function ${x.name || "<anonymous>"}`;
  if (typeof x === "symbol") return x.toString();
  if (typeof x !== "object") return String(x);
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (iscoroutine(x)) return `coroutine object ${coroutineName(x)}`;
  // A Future or Task is thenable too, but its own toString says more.
  if (
    typeof (x as PromiseLike<unknown>).then === "function" &&
    (x instanceof Promise || (x as object).toString === Object.prototype.toString)
  ) {
    return "a Promise";
  }
  const ctor = (x as { constructor?: { name?: string } }).constructor?.name;
  const s = String(x);
  if (s !== "[object Object]") return s;
  if (!ctor || ctor === "Object") return "an object";
  return `${/^[AEIOU]/.test(ctor) ? "an" : "a"} ${ctor} object`;
}
