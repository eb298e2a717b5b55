/**
 * What every copy of asyncio-ts loaded in one JavaScript realm shares.
 *
 * A program can load the library twice: two versions in one `node_modules`, a bundled and
 * an unbundled copy, a test runner's module isolation, a checkout's sources beside its
 * build. Each copy has its own classes and module variables, so without care a Future of
 * one copy could not be awaited by a Task of the other, the other copy would see no running
 * loop, and its `ContextVar`s would read an empty context.
 *
 * So the state a loop and its tasks share with the code they run lives in one object kept
 * on `globalThis` under a `Symbol.for` key named after the protocol version: the running
 * loop, the current context, the suspension protocol's registers, the task counter. Copies
 * that speak the same protocol find and use the same object, and recognise each other's
 * Futures, Sleeps and errors by `Symbol.for` brands rather than by `instanceof` against
 * their own classes. A copy speaking another protocol version gets its own object, and its
 * Futures are refused with a message that names the cause.
 *
 * @module
 */

/**
 * The version of what copies share: this object's fields, the suspension protocol's tokens
 * and register kinds, and the internal members one copy's Task calls on another copy's
 * Future or Sleep. Raise it whenever any of those changes shape.
 */
export const PROTOCOL_VERSION = 1;

/** @internal The state shared by every copy of the same protocol version. */
export interface SharedRuntime {
  /** The running event loop (see core/events.ts). */
  loop: unknown;
  /** The current context holder (see core/contextvars.ts); made by the first copy. */
  context: unknown;
  /**
   * The task report `asyncio-ts ps` / `pstree` evaluate in this process through Node's
   * inspector (see debug/tools.ts): given "ps" or "pstree", the text, or why there is
   * none. Optional: set by the first copy that has it, read by nothing in the library.
   */
  report?: (what: string) => { text: string; cycles: number } | { refused: string };
  /** The suspension protocol's registers (see core/suspend.ts). */
  starting: object | null;
  startingKind: number;
  handed: object | null;
  handedKind: number;
  resuming: number;
  resumingFrom: object | null;
  /** The last number given to an unnamed Task, so that names stay unique across copies. */
  taskCounter: number;
}

const KEY = Symbol.for(`asyncio-ts.runtime.v${PROTOCOL_VERSION}`);

function join(): SharedRuntime {
  const g = globalThis as Record<symbol, SharedRuntime | undefined>;
  let shared = g[KEY];
  if (shared === undefined) {
    shared = {
      loop: null,
      context: null,
      starting: null,
      startingKind: 0,
      handed: null,
      handedKind: 0,
      resuming: 0,
      resumingFrom: null,
      taskCounter: 0,
    };
    Object.defineProperty(g, KEY, { value: shared, configurable: true });
  }
  return shared;
}

/** @internal This realm's shared state, for this copy's protocol version. */
export const runtime: SharedRuntime = join();

/**
 * @internal The brand a Future carries on its prototype: the value is the protocol
 * version of the copy that made it.
 */
export const FUTURE_BRAND: unique symbol = Symbol.for("asyncio-ts.Future") as never;
/** @internal The brand a Sleep (sleep()'s awaitable) carries, likewise. */
export const SLEEP_BRAND: unique symbol = Symbol.for("asyncio-ts.Sleep") as never;

/** @internal Whether `x` is a Future made by a copy of this protocol version. */
export function _isFuture(x: unknown): boolean {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as { [FUTURE_BRAND]?: number })[FUTURE_BRAND] === PROTOCOL_VERSION
  );
}

/** @internal Whether `x` is a Sleep made by a copy of this protocol version. */
export function _isSleep(x: unknown): boolean {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as { [SLEEP_BRAND]?: number })[SLEEP_BRAND] === PROTOCOL_VERSION
  );
}

/**
 * @internal When `x` is a Future or Sleep of a copy that speaks another protocol version,
 * the sentence that says so; otherwise null.
 */
export function _foreignCopy(x: unknown): string | null {
  if (typeof x !== "object" || x === null) return null;
  const v =
    (x as { [FUTURE_BRAND]?: unknown })[FUTURE_BRAND] ??
    (x as { [SLEEP_BRAND]?: unknown })[SLEEP_BRAND];
  if (typeof v !== "number" || v === PROTOCOL_VERSION) return null;
  return (
    `it comes from another copy of asyncio-ts that speaks protocol version ${v}, while this ` +
    `Task's copy speaks version ${PROTOCOL_VERSION}: two incompatible versions of asyncio-ts ` +
    `are loaded (see \`npm ls asyncio-ts\`); install one version, or await across them with ` +
    `fromPromise()`
  );
}
