/**
 * Exception groups: several errors raised together, as Python's `BaseExceptionGroup` and
 * `ExceptionGroup`, and {@link exceptStar}, the effect of Python's `except*`.
 *
 * A group is a real `AggregateError` (so `instanceof AggregateError` holds and `errors`
 * lists the members), with Python's API on top: `exceptions`, `split`, `subgroup`,
 * `derive`, nesting. Printed with `console.log` or left uncaught, a group shows every nested
 * error with its stack, as Python's traceback of a group does.
 *
 * "Base" errors are the ones Python does not let `except Exception` catch: `CancelledError`,
 * `KeyboardInterrupt`, and groups holding one of them. Only a {@link BaseExceptionGroup} may
 * hold them; an {@link ExceptionGroup} may not.
 *
 * @module
 */

import { describe } from "./core/coroutines.js";
import { isCancelledError, KeyboardInterrupt } from "./core/exceptions.js";

/**
 * A class of errors, as a matcher takes it: `TypeError`, `asyncio.CancelledError`, …
 *
 * @example
 * ```ts
 * const group = new asyncio.ExceptionGroup("two failures", [new RangeError("r"), new TypeError("t")]);
 * const cls: asyncio.ErrorClass<RangeError> = RangeError;
 * const [ranges, rest] = group.split(cls);
 * console.log(ranges?.exceptions, rest?.exceptions); // [RangeError: r] [TypeError: t]
 * ```
 */
export type ErrorClass<E> = abstract new (...args: never[]) => E;

/**
 * What `split`, `subgroup` and {@link exceptStar} match errors with, as Python's `except*`
 * and `split()` do: a class, an array of classes, or a predicate. A class also matches a
 * group that is an instance of it; a predicate is called on groups too, and matching a
 * group takes it whole.
 *
 * @example
 * ```ts
 * const group = new asyncio.ExceptionGroup("failures", [
 *   new asyncio.TimeoutError(),
 *   new TypeError("bad type"),
 *   new asyncio.ConnectionRefusedError("refused", { code: "ECONNREFUSED" }),
 * ]);
 * const [timeouts, rest] = group.split(asyncio.TimeoutError); // a class
 * const bad = group.subgroup([TypeError, RangeError]); // an array of classes
 * const coded = group.subgroup((e) => e instanceof Error && "code" in e); // a predicate
 * console.log(timeouts?.exceptions.length, rest?.exceptions.length); // 1 2
 * console.log(bad?.exceptions, coded?.exceptions.length); // [TypeError: bad type] 1
 * ```
 */
export type ErrorMatcher<E> =
  | ErrorClass<E>
  | readonly ErrorClass<E>[]
  | ((error: unknown) => error is E)
  | ((error: unknown) => boolean);

/** Whether `e` is one of the errors `except Exception` would not catch in Python. */
export function isBaseError(e: unknown): boolean {
  return (
    isCancelledError(e) ||
    e instanceof KeyboardInterrupt ||
    (e instanceof BaseExceptionGroup && !(e instanceof ExceptionGroup))
  );
}

function matches(matcher: ErrorMatcher<unknown>, e: unknown): boolean {
  if (Array.isArray(matcher)) return matcher.some((cls) => e instanceof cls);
  if (isClassLike(matcher)) return e instanceof (matcher as ErrorClass<unknown>);
  return (matcher as (error: unknown) => boolean)(e) === true;
}

/** Classes (and `function` constructors of Error) versus arrow-function predicates. */
function isClassLike(fn: unknown): boolean {
  if (typeof fn !== "function") return false;
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) return true;
  return fn === Error || (fn as { prototype?: unknown }).prototype instanceof Error;
}

function checkMatcher(matcher: unknown, method: string): void {
  const ok =
    typeof matcher === "function" ||
    (Array.isArray(matcher) && matcher.every((m) => typeof m === "function"));
  if (!ok) {
    throw new TypeError(
      `${method}: 'matcher' must be an error class, an array of error classes or a predicate: received ${describe(matcher)}`,
    );
  }
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * A group of errors raised together, any of which may be a "base" error (a
 * `CancelledError`, a `KeyboardInterrupt`): Python's `BaseExceptionGroup`.
 *
 * `new BaseExceptionGroup(msg, errors)` gives an {@link ExceptionGroup} when none of the
 * errors is a base error, as in Python. A group is an `AggregateError`: `errors` is the
 * same list as `exceptions`.
 *
 * @example
 * ```ts
 * const g = new asyncio.BaseExceptionGroup("stopped", [new asyncio.CancelledError(), new TypeError("x")]);
 * const [cancels, others] = g.split(asyncio.CancelledError);
 * console.log(cancels?.exceptions.length, others?.exceptions.length); // 1 1
 * ```
 */
export class BaseExceptionGroup<E = unknown> extends AggregateError {
  /** The member errors, in order; nested groups stay groups. */
  readonly exceptions!: readonly (E | BaseExceptionGroup<E>)[];
  declare readonly errors: (E | BaseExceptionGroup<E>)[];

  /**
   * Throws `TypeError` if `message` is not a string or `exceptions` is not a non-empty
   * iterable of error values (anything but `null`/`undefined`).
   */
  // biome-ignore lint/correctness/noUnreachableSuper: the early return mirrors Python's __new__
  constructor(
    message: string,
    exceptions: Iterable<E | BaseExceptionGroup<E>>,
    options?: ErrorOptions,
  ) {
    const list = checkArgs(new.target.name, message, exceptions);
    if (new.target === BaseExceptionGroup && !list.some(isBaseError)) {
      // Python's BaseExceptionGroup.__new__ picks ExceptionGroup when it can.
      // biome-ignore lint/correctness/noConstructorReturn: mirrors Python's __new__
      return new ExceptionGroup<E>(message, list as (E | ExceptionGroup<E>)[], options);
    }
    super(list, message, options);
    this.name = new.target.name;
    this.exceptions = Object.freeze(list.slice());
  }

  /**
   * Splits the group by `matcher` into `[match, rest]`: two groups with the same nesting
   * and message, or `null` for a side with no errors.
   *
   * @example
   * ```ts
   * const group = new asyncio.ExceptionGroup("many", [new TypeError("a"), new Error("b")]);
   * const [types, rest] = group.split(TypeError);
   * console.log(types?.exceptions, rest?.exceptions); // [TypeError: a] [Error: b]
   * ```
   */
  split<M>(
    matcher: ErrorMatcher<M>,
  ): [BaseExceptionGroup<M> | null, BaseExceptionGroup<Exclude<E, M>> | null] {
    checkMatcher(matcher, "split()");
    const [m, r] = splitGroup(this, matcher as ErrorMatcher<unknown>, true);
    return [m as BaseExceptionGroup<M> | null, r as BaseExceptionGroup<Exclude<E, M>> | null];
  }

  /**
   * The errors `matcher` matches, in a group of the same nesting and message, or `null`.
   *
   * @example
   * ```ts
   * const group = new asyncio.BaseExceptionGroup("many", [new asyncio.CancelledError(), new Error("b")]);
   * const cancels = group.subgroup(asyncio.CancelledError);
   * console.log(cancels?.exceptions.length); // 1
   * ```
   */
  subgroup<M>(matcher: ErrorMatcher<M>): BaseExceptionGroup<M> | null {
    checkMatcher(matcher, "subgroup()");
    return splitGroup(
      this,
      matcher as ErrorMatcher<unknown>,
      false,
    )[0] as BaseExceptionGroup<M> | null;
  }

  /**
   * A new group with this group's message and `exceptions`; `split` and `subgroup` build
   * their results with it (then copy `cause` and `stack`). Override it in a subclass to
   * keep the subclass and its extra fields.
   *
   * @example
   * ```ts
   * class HttpErrors extends asyncio.ExceptionGroup {
   *   override derive(excs: Iterable<unknown>) { return new HttpErrors(this.message, excs); }
   * }
   * ```
   */
  derive(exceptions: Iterable<unknown>): BaseExceptionGroup {
    return new BaseExceptionGroup(this.message, exceptions);
  }

  /**
   * The printed form: the group's own stack, then every member (nested groups
   * recursively) with its stack, framed as Python prints a group's traceback.
   */
  format(): string {
    return formatGroup(this);
  }

  /** `ExceptionGroup: message (2 sub-exceptions)`. */
  override toString(): string {
    return `${this.name}: ${this.message} (${countText(this.exceptions.length)})`;
  }

  /** @internal Node's `util.inspect` (console.log, uncaught errors) prints the full tree. */
  [INSPECT](): string {
    return this.format();
  }

  /**
   * Wraps a plain `AggregateError` (from `Promise.any`, say) as a group with the same
   * message and errors; a group is returned as is.
   *
   * @example
   * ```ts
   * const promises = [Promise.reject(new Error("a")), Promise.reject(new Error("b"))];
   * try {
   *   await Promise.any(promises);
   * } catch (e) {
   *   const group = asyncio.BaseExceptionGroup.fromAggregateError(e as AggregateError);
   *   console.log(group.exceptions.length); // 2
   * }
   * ```
   */
  static fromAggregateError<E>(error: AggregateError): BaseExceptionGroup<E> {
    if (error instanceof BaseExceptionGroup) return error as BaseExceptionGroup<E>;
    if (!(error instanceof AggregateError)) {
      throw new TypeError(
        `fromAggregateError(): 'error' must be an AggregateError: received ${describe(error)}`,
      );
    }
    const group = new BaseExceptionGroup<E>(error.message, error.errors as E[]);
    copyStack(error, group);
    return group;
  }
}

/**
 * A group of ordinary errors raised together: Python's `ExceptionGroup`. TaskGroup raises
 * one with every child's failure; {@link exceptStar} handles one kind at a time.
 *
 * Throws `TypeError` if any member is a base error (`CancelledError`, `KeyboardInterrupt`,
 * a `BaseExceptionGroup` holding one): use {@link BaseExceptionGroup} for those.
 *
 * @example
 * ```ts
 * const g = new asyncio.ExceptionGroup("several", [new TypeError("a"), new RangeError("b")]);
 * console.log(String(g));            // "ExceptionGroup: several (2 sub-exceptions)"
 * console.log(g instanceof AggregateError, g.errors.length); // true 2
 * ```
 */
export class ExceptionGroup<E = unknown> extends BaseExceptionGroup<E> {
  constructor(
    message: string,
    exceptions: Iterable<E | ExceptionGroup<E>>,
    options?: ErrorOptions,
  ) {
    const list = checkArgs(new.target.name, message, exceptions);
    const base = list.findIndex(isBaseError);
    if (base >= 0) {
      throw new TypeError(
        `${new.target.name}(): Cannot nest base errors (CancelledError, KeyboardInterrupt) in an ExceptionGroup: item ${base} is ${describeValue(list[base])}; use BaseExceptionGroup`,
      );
    }
    super(message, list, options);
  }

  override derive(exceptions: Iterable<unknown>): BaseExceptionGroup {
    return new BaseExceptionGroup(this.message, exceptions);
  }
}

function checkArgs<E>(name: string, message: unknown, exceptions: Iterable<E>): E[] {
  if (typeof message !== "string") {
    throw new TypeError(`${name}(): 'message' must be a string: received ${describe(message)}`);
  }
  if (
    exceptions === null ||
    typeof exceptions !== "object" ||
    typeof (exceptions as Iterable<E>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `${name}(): 'exceptions' must be an iterable of errors: received ${describe(exceptions)}`,
    );
  }
  const list = [...exceptions];
  if (list.length === 0) {
    throw new TypeError(`${name}(): 'exceptions' must be a non-empty iterable: received none`);
  }
  const bad = list.findIndex((e) => e === null || e === undefined);
  if (bad >= 0) {
    throw new TypeError(
      `${name}(): item ${bad} of 'exceptions' is ${String(list[bad])}, not an error`,
    );
  }
  return list;
}

function describeValue(e: unknown): string {
  return e instanceof Error ? `${e.name}(${JSON.stringify(e.message)})` : describe(e);
}

function copyStack(from: Error, to: Error): void {
  try {
    Object.defineProperty(to, "stack", { value: from.stack, writable: true, configurable: true });
  } catch {
    // a frozen error keeps its own stack
  }
}

function copyMetadata(from: BaseExceptionGroup, to: BaseExceptionGroup): void {
  copyStack(from, to);
  if ("cause" in from) {
    Object.defineProperty(to, "cause", { value: from.cause, writable: true, configurable: true });
  }
}

/** Python's split algorithm: `[match, rest]`, rest only when `withRest`. */
function splitGroup(
  group: BaseExceptionGroup,
  matcher: ErrorMatcher<unknown>,
  withRest: boolean,
): [BaseExceptionGroup | null, BaseExceptionGroup | null] {
  if (matches(matcher, group)) return [group, null];
  const matched: unknown[] = [];
  const rest: unknown[] = [];
  for (const e of group.exceptions) {
    if (e instanceof BaseExceptionGroup) {
      const [m, r] = splitGroup(e, matcher, withRest);
      if (m !== null) matched.push(m);
      if (r !== null) rest.push(r);
    } else if (matches(matcher, e)) matched.push(e);
    else if (withRest) rest.push(e);
  }
  let m: BaseExceptionGroup | null = null;
  let r: BaseExceptionGroup | null = null;
  if (matched.length > 0) {
    m = group.derive(matched);
    copyMetadata(group, m);
  }
  if (withRest && rest.length > 0) {
    r = group.derive(rest);
    copyMetadata(group, r);
  }
  return [m, r];
}

function countText(n: number): string {
  return n === 1 ? "1 sub-exception" : `${n} sub-exceptions`;
}

function errorText(e: unknown): string {
  if (e instanceof BaseExceptionGroup) return formatGroup(e);
  if (e instanceof Error) {
    const stack = typeof e.stack === "string" && e.stack !== "" ? e.stack : String(e);
    let text = stack;
    if (e.cause !== undefined && e.cause !== null) {
      text += `\n[cause]: ${errorText(e.cause)}`;
    }
    return text;
  }
  return describe(e);
}

const RULE = "-".repeat(16);

function formatGroup(group: BaseExceptionGroup): string {
  const stack = typeof group.stack === "string" ? group.stack : "";
  const lines = stack.split("\n");
  // The first stack line is "Name: message"; Python's header also counts the members.
  const frames = lines.filter((l) => /^\s+at /.test(l));
  const out: string[] = [`${String(group)}`, ...frames];
  if (group.cause !== undefined && group.cause !== null) {
    out.push(`[cause]: ${errorText(group.cause)}`);
  }
  const n = group.exceptions.length;
  group.exceptions.forEach((e, i) => {
    const lead = i === 0 ? "+-+" : "  +";
    out.push(`${lead}${RULE} ${i + 1} ${RULE}`);
    for (const line of errorText(e).split("\n")) out.push(`    | ${line}`);
  });
  if (n > 0) out.push(`  +${RULE}${"-".repeat(String(n).length + 2)}${RULE}`);
  return out.join("\n");
}

// ---------------------------------------------------------------- except*

/**
 * One clause of {@link exceptStar}: what to match, and the handler that receives the
 * matching errors as a group.
 *
 * @example
 * ```ts
 * const onTimeout: asyncio.ExceptClause<asyncio.TimeoutError> = [
 *   asyncio.TimeoutError, (g) => console.log(g.exceptions.length, "timed out"),
 * ];
 * try { yield* work(); } catch (e) { asyncio.exceptStar(e, onTimeout); }
 * ```
 */
export type ExceptClause<E> = readonly [
  matcher: ErrorMatcher<E>,
  handler: (group: BaseExceptionGroup<E>) => void,
];

/**
 * Python's `except*` for TypeScript: handles each kind of error in a group, and re-throws
 * what no clause handled. Call it as the whole body of a `catch`.
 *
 * For each clause in order, the errors its matcher matches (and no earlier clause took)
 * are split off and passed to its handler as a group with the original nesting. At the
 * end, the unhandled errors are re-thrown as a group; errors thrown by handlers are
 * thrown together with them as `ExceptionGroup("", [...thrown, unhandled])`. A handler that
 * re-throws the group it received leaves those errors unhandled.
 *
 * `error` may be a group, a plain `AggregateError` (its members are matched), or a single
 * ("naked") error: a naked error that no clause matches is re-thrown as is. Nothing is
 * caught unless a clause matches it, so `CancelledError` passes through unless asked for.
 *
 * @example
 * ```ts
 * try {
 *   yield* asyncio.withTaskGroup(function* (tg) { tg.createTask(a()); tg.createTask(b()); });
 * } catch (e) {
 *   asyncio.exceptStar(
 *     e,
 *     [TypeError, (g) => console.log("type errors:", g.exceptions.length)],
 *     [RangeError, (g) => console.log("range errors:", g.exceptions.length)],
 *   ); // anything else is re-thrown
 * }
 * ```
 */
export function exceptStar<const C extends readonly unknown[]>(
  error: unknown,
  ...clauses: { [K in keyof C]: ExceptClause<C[K]> }
): void {
  for (const [i, clause] of (clauses as readonly unknown[]).entries()) {
    if (!Array.isArray(clause) || clause.length !== 2 || typeof clause[1] !== "function") {
      throw new TypeError(
        `exceptStar(): clause ${i} must be a [matcher, handler] pair: received ${describe(clause)}`,
      );
    }
    checkMatcher(clause[0], `exceptStar() clause ${i}`);
  }
  if (error === undefined || error === null) {
    throw new TypeError(`exceptStar(): 'error' must be the caught error: received ${error}`);
  }
  const naked = !(error instanceof AggregateError);
  const original: BaseExceptionGroup = naked
    ? new BaseExceptionGroup("", [error])
    : BaseExceptionGroup.fromAggregateError(error as AggregateError);

  let rest: BaseExceptionGroup | null = original;
  const thrown: unknown[] = [];
  const reraised = new Set<unknown>();
  let matchedAny = false;
  for (const clause of clauses as readonly ExceptClause<unknown>[]) {
    if (rest === null) break;
    const [match, remaining]: [BaseExceptionGroup | null, BaseExceptionGroup | null] = rest.split(
      clause[0],
    );
    rest = remaining;
    if (match === null) continue;
    matchedAny = true;
    try {
      clause[1](match);
    } catch (e) {
      if (e === match || (naked && e === error)) {
        for (const leaf of leaves(match)) reraised.add(leaf);
      } else thrown.push(e);
    }
  }
  if (!matchedAny) throw error;
  if (rest !== null) for (const leaf of leaves(rest)) reraised.add(leaf);
  let unhandled: BaseExceptionGroup | null = null;
  if (reraised.size > 0) {
    unhandled = original.subgroup((e) => !(e instanceof BaseExceptionGroup) && reraised.has(e));
  }
  if (thrown.length === 0) {
    if (unhandled === null) return;
    throw naked ? error : unhandled;
  }
  const all = unhandled === null ? thrown : [...thrown, naked ? error : unhandled];
  throw new BaseExceptionGroup("", all);
}

function leaves(group: BaseExceptionGroup, out: unknown[] = []): unknown[] {
  // Appended one by one: a group may hold more errors than a call takes arguments.
  for (const e of group.exceptions) {
    if (e instanceof BaseExceptionGroup) leaves(e, out);
    else out.push(e);
  }
  return out;
}
