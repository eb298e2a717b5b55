/**
 * Operation: a coroutine object without a generator behind it, for the lock and queue
 * operations that usually complete at once (`acquire()`, `put()`, `get()`).
 *
 * @module
 */

import { _inheritIteratorPrototype, type Coroutine, type Suspend } from "./core/coroutines.js";

/** Not awaited yet: the first `next()` tries the fast path. */
const NOT_STARTED = 0;
/** The fast path could not complete: every step goes to the slow generator. */
const DELEGATING = 1;
/** Completed, failed or closed. */
const FINISHED = 2;
type OperationState = typeof NOT_STARTED | typeof DELEGATING | typeof FINISHED;

/** How the slow generator is resumed. */
const SEND = 0;
const THROW = 1;
const RETURN = 2;
type ResumeMode = typeof SEND | typeof THROW | typeof RETURN;

/**
 * @internal
 * Merged with the class below: an Operation is a Generator (by its prototype chain).
 */
export interface Operation<T> extends Coroutine<T> {}

/**
 * @internal
 * A coroutine object without a generator behind it, for the operations that usually
 * complete at once (`acquire()`, `put()`, `get()`). Like a coroutine it is lazy: nothing
 * happens until it is awaited (or driven by a Task). Its first `next()` tries `_fast()`;
 * only when that cannot complete does it start the real generator `_slow()` and delegate to
 * it. On the fast path this costs one small object instead of a generator object, which
 * is what keeps a million queue items a second cheap.
 *
 * Its instances inherit from %IteratorPrototype%, as generator objects do, and the
 * interface of the same name declares them a `Coroutine<T>`: whatever the lib declares of
 * a Generator (the iterator helpers with `ESNext`) they have.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the class is a Generator by its prototype chain; the interface says so to the type checker.
export abstract class Operation<T> implements Coroutine<T> {
  /** @internal */
  private _state: OperationState = NOT_STARTED;
  /** @internal */
  private _gen: Coroutine<T> | null = null;
  /** @internal set by `_fast()` when it completes */
  _value: T | undefined = undefined;

  /**
   * Completes at once if it can (setting `_value`) and returns true; else returns false.
   * @internal
   */
  protected abstract _fast(): boolean;
  /** @internal The waiting path, started only when `_fast()` returned false. */
  protected abstract _slow(): Coroutine<T>;

  next(value?: unknown): IteratorResult<Suspend, T> {
    if (this._state === DELEGATING) return this._resume(SEND, value);
    if (this._state === FINISHED) return { done: true, value: undefined as T };
    this._state = FINISHED;
    if (this._fast()) return { done: true, value: this._value as T };
    this._gen = this._slow();
    this._state = DELEGATING;
    return this._resume(SEND, undefined);
  }

  throw(e?: unknown): IteratorResult<Suspend, T> {
    if (this._state === DELEGATING) return this._resume(THROW, e);
    this._state = FINISHED;
    throw e;
  }

  return(value?: T): IteratorResult<Suspend, T> {
    if (this._state === DELEGATING) return this._resume(RETURN, value);
    this._state = FINISHED;
    return { done: true, value: value as T };
  }

  [Symbol.iterator](): this {
    return this;
  }

  [Symbol.dispose](): void {
    this.return();
  }

  /** @internal */
  private _resume(mode: ResumeMode, value: unknown): IteratorResult<Suspend, T> {
    const gen = this._gen as Coroutine<T>;
    let r: IteratorResult<Suspend, T>;
    try {
      r =
        mode === SEND
          ? gen.next(value)
          : mode === THROW
            ? gen.throw(value)
            : gen.return(value as T);
    } catch (e) {
      this._finish();
      throw e;
    }
    if (r.done === true) this._finish();
    return r;
  }

  /** @internal */
  private _finish(): void {
    this._state = FINISHED;
    this._gen = null;
  }
}
_inheritIteratorPrototype(Operation);
