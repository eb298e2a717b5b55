/**
 * Context variables: values that follow the logical flow of a task, as Python's
 * `contextvars`. Every Task runs in a copy of the context that was current when it was
 * created, so a `set()` in one task is never seen by another.
 *
 * A context's mapping is never mutated in place: `set()` replaces it, so `copy()` is O(1)
 * (the copy shares the current mapping until one side sets a variable).
 *
 * @module
 */

import { RuntimeError } from "./exceptions.js";
import { runtime } from "./runtime.js";

/** @internal A context's mapping: never mutated, replaced by each set(). */
export type Vars = ReadonlyMap<ContextVar<unknown>, unknown>;
const EMPTY: Vars = new Map();

/**
 * What can be the current context: a {@link Context}, or a Task that has not
 * materialised its Context object. A Task starts with only the mapping it copied (a Context
 * object per task is 40 bytes, and most tasks never hand theirs out); it answers `_vars`
 * itself, and creates the object the first time `getContext()` asks for it, then forwards
 * to it. Not marked internal itself (its members are) because `Context` implements it.
 */
export interface ContextHolder {
  /** @internal */
  _vars: Vars;
  /**
   * The object that identifies this context for tokens: the Context, once there is one.
   * @internal
   */
  _contextIdentity(): object;
}

/**
 * A mapping of context variables to values. Tasks and callbacks run inside one.
 *
 * @example
 * ```ts
 * const user = new asyncio.ContextVar<string>("user", { default: "nobody" });
 * const ctx = asyncio.copyContext();
 * ctx.run(() => user.set("alice"));
 * console.log(user.get(), ctx.get(user)); // "nobody" "alice"
 * ```
 */
export class Context implements ContextHolder {
  /** @internal */
  _vars: Vars;
  private entered = false;

  /** @internal published as asyncio's `Context()`: no argument */
  constructor(vars: Vars = EMPTY) {
    this._vars = vars;
  }

  /** @internal */
  _contextIdentity(): object {
    return this;
  }

  /** A shallow copy: same values, independent from now on. */
  copy(): Context {
    return new Context(this._vars);
  }

  /** Calls `fn(...args)` with this context current, and restores the previous one after. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    if (this.entered) {
      throw new RuntimeError("cannot enter context: <Context> is already entered");
    }
    const prev = shared.context;
    this.entered = true;
    shared.context = this;
    try {
      return fn(...args);
    } finally {
      shared.context = prev;
      this.entered = false;
    }
  }

  /** The value of `v` in this context, or `undefined` when it has none. */
  get<T>(v: ContextVar<T>): T | undefined {
    return this._vars.get(v as ContextVar<unknown>) as T | undefined;
  }

  has(v: ContextVar<unknown>): boolean {
    return this._vars.has(v);
  }

  get size(): number {
    return this._vars.size;
  }

  keys(): IterableIterator<ContextVar<unknown>> {
    return this._vars.keys();
  }
}

// The current context is the realm's, shared with every other copy of the library
// (core/runtime.ts), so a ContextVar of one copy reads the context of another copy's task.
const shared = runtime as unknown as { context: ContextHolder };
if (runtime.context === null) shared.context = new Context();

/**
 * @internal Makes `ctx` current and returns the previous one. The loop calls this around
 * every callback and task step; it is the allocation-free form of `ctx.run`.
 */
export function _enterContext(ctx: ContextHolder): ContextHolder {
  const prev = shared.context;
  shared.context = ctx;
  return prev;
}

/** @internal The current mapping (what a new Task or callback copies). */
export function _currentVars(): Vars {
  return shared.context._vars;
}

/**
 * A copy of the current context.
 *
 * @example
 * ```ts
 * const ctx = asyncio.copyContext();
 * asyncio.createTask(worker(), { context: ctx });
 * ```
 */
export function copyContext(): Context {
  return new Context(shared.context._vars);
}

/**
 * Options of {@link ContextVar}.
 *
 * @example
 * ```ts
 * const level = new asyncio.ContextVar("level", { default: 0 });
 * console.log(level.get()); // 0 until set in this context
 * ```
 */
export interface ContextVarOptions<T> {
  /** The value `get()` returns when the variable has no value in the current context. */
  default?: T;
}

const MISSING: unique symbol = Symbol("MISSING");

/**
 * A variable whose value depends on the current context (and so on the current task).
 *
 * @example
 * ```ts
 * const requestId = new asyncio.ContextVar<number>("requestId");
 * function* handle(id: number) {
 *   requestId.set(id);
 *   yield* asyncio.sleep(0.1);
 *   console.log(requestId.get()); // still this task's id
 * }
 * ```
 */
export class ContextVar<T> {
  readonly name: string;
  private readonly dflt: T | typeof MISSING;

  constructor(name: string, options: ContextVarOptions<T> = {}) {
    if (typeof name !== "string") {
      throw new TypeError(`ContextVar(): 'name' must be a string: received ${String(name)}`);
    }
    this.name = name;
    this.dflt = "default" in options ? (options.default as T) : MISSING;
  }

  /**
   * The value in the current context, else `defaultValue` if given, else the variable's
   * default. Throws `RangeError` (Python's `LookupError`) when there is none of these.
   */
  get(...fallback: [] | [T]): T {
    const vars = shared.context._vars;
    const key = this as ContextVar<unknown>;
    if (vars.has(key)) return vars.get(key) as T;
    if (fallback.length > 0) return fallback[0] as T;
    if (this.dflt !== MISSING) return this.dflt;
    throw new RangeError(`ContextVar '${this.name}' has no value in the current context`);
  }

  /** Sets the value in the current context; the token undoes it with {@link reset}. */
  set(value: T): Token<T> {
    const ctx = shared.context;
    const key = this as ContextVar<unknown>;
    const had = ctx._vars.has(key);
    const old = had ? (ctx._vars.get(key) as T) : MISSING;
    const next = new Map(ctx._vars);
    next.set(key, value);
    ctx._vars = next;
    return new Token(this, ctx, old);
  }

  /** Restores the value the variable had before the `set()` that returned `token`. */
  reset(token: Token<T>): void {
    if (!(token instanceof Token)) {
      throw new TypeError(`ContextVar.reset(): 'token' must be a Token: received ${String(token)}`);
    }
    if (token.used) throw new RuntimeError("Token has already been used once");
    if (token.var !== this) throw new RangeError("Token was created by a different ContextVar");
    // Identities, not holders: a Task's mapping and the Context it hands out later are one
    // context.
    if (token._ctx._contextIdentity() !== shared.context._contextIdentity()) {
      throw new RangeError("Token was created in a different Context");
    }
    const next = new Map(shared.context._vars);
    if (token.oldValue === MISSING) next.delete(this as ContextVar<unknown>);
    else next.set(this as ContextVar<unknown>, token.oldValue);
    shared.context._vars = next;
    token.used = true;
  }

  toString(): string {
    return `<ContextVar name='${this.name}'>`;
  }
}

/**
 * Returned by {@link ContextVar.set}; pass it to {@link ContextVar.reset} to undo the set.
 *
 * @example
 * ```ts
 * const token = v.set(1);
 * try { yield* work(); } finally { v.reset(token); }
 * ```
 */
export class Token<T> {
  /** @internal */
  used = false;
  /** The variable this token restores. */
  readonly var: ContextVar<T>;
  /** @internal */
  readonly _ctx: ContextHolder;
  /** The value before the set, or `Token.MISSING` if the variable had none. */
  readonly oldValue: T | typeof MISSING;
  /** Marks "no value" in {@link oldValue}. */
  static readonly MISSING: typeof MISSING = MISSING;

  /** @internal */
  constructor(v: ContextVar<T>, ctx: ContextHolder, oldValue: T | typeof MISSING) {
    this.var = v;
    this._ctx = ctx;
    this.oldValue = oldValue;
  }
}
