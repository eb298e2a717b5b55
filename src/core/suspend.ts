/**
 * The suspension protocol: the one place where a coroutine suspends to the Task that drives
 * it, and where the Task resumes it. Every token a coroutine can yield to its Task, every
 * hand-off between the two, and the iterators behind `yield* future`, `yield* sleep(d)`,
 * `yield* sleep(0)` and `yield* markedCoroutine()` are defined here and nowhere else (as
 * Trio keeps its yields to the run loop in `_traps.py`).
 *
 * ## Tokens: what a coroutine yields to its Task
 *
 * | yielded | meaning |
 * |---|---|
 * | a `Future` with its BLOCKING flag set | wake me when this Future is done |
 * | {@link SLEEP}, with a Sleep handed over | sleep; the Task arms the timer |
 * | {@link RESCHEDULE} | `sleep(0)`: put me at the back of the ready queue |
 * | {@link PUSH}, with a generator handed over | drive this `coroutine()` frame on top of me |
 *
 * Anything else is a bad yield (a `yield` written for `yield*`).
 *
 * ## Hand-offs
 *
 * The iterators are shared and stateless, so that awaiting allocates nothing and a
 * suspended generator keeps nothing alive but itself. What they need to know travels
 * through three registers, each written just before it is read, by code that runs without
 * user code in between:
 *
 * - **starting**: `[Symbol.iterator]()` puts the awaitable there; V8's `yield*` calls the
 *   iterator's first `next()` at once, which takes it.
 * - **handed**: that first `next()` of a sleep or a `coroutine()` frame puts the Sleep or
 *   the generator there as it yields SLEEP or PUSH; the Task takes it at once
 *   ({@link _takeHandOff}), before anything else runs.
 * - **resuming**: before it resumes a suspended coroutine with `next()`, the Task says what
 *   it resumes it from ({@link _resumeWith}): the Future or Sleep it waited on, its own
 *   timer, a reschedule, or a pushed frame's return. The innermost iterator, the one that
 *   suspended, takes it in that `next()`.
 *
 * The Task clears them all at the end of every step ({@link _endStep}), so a register that
 * nobody took (a coroutine closed from outside while it waited) cannot answer some later
 * await. And every iterator checks that the register holds what it expects, so an iterator
 * used outside `yield*` refuses loudly rather than answering for another awaitable.
 *
 * @module
 */

import type { Suspend } from "./coroutines.js";
import { _schedulerCancelledError, InvalidStateError, RuntimeError } from "./exceptions.js";
import type { Future } from "./futures.js";
import { BLOCKING, PENDING } from "./futures.js";
import { _isFuture, runtime } from "./runtime.js";
import type { Sleep } from "./sleep.js";

// ------------------------------------------------------------------------- tokens

/** @internal `sleep(d)`: the Sleep is handed over beside it (see the module comment). */
export const SLEEP = Symbol.for("asyncio-ts.suspend.sleep") as unknown as Suspend;
/** @internal `sleep(0)`: back of the ready queue. */
export const RESCHEDULE = Symbol.for("asyncio-ts.suspend.reschedule") as unknown as Suspend;
/** @internal A `coroutine()`-marked generator, handed over beside it, becomes a frame. */
export const PUSH = Symbol.for("asyncio-ts.suspend.push") as unknown as Suspend;

// ---------------------------------------------------------------------- registers

/** What the `R.starting` and `R.handed` registers hold. */
const EMPTY = 0;
/** A Future whose `yield*` is starting (taken by FUTURE_ITER's first `next()`). */
const FUTURE = 1;
/** A Sleep of `yield* sleep(d)`: the Task may become its own timer. */
export const SLEEP_DETACHABLE = 2;
/** A Sleep driven directly as a coroutine (`createTask(sleep(1))`): it stays the timer. */
export const SLEEP_BOUND = 3;
/** A `coroutine()`-marked generator to push as a frame. */
const FRAME = 4;

/**
 * The registers are fields of the realm's shared runtime (core/runtime.ts), so that a Task
 * of one copy of the library can resume a coroutine awaiting through another copy's
 * iterators. `R.starting`: the awaitable whose iterator `yield*` just asked for, until its
 * first `next()`. `R.handed`: what the SLEEP or PUSH just yielded hands to the Task, until
 * the Task takes it. `R.resuming`: what the Task resumes a coroutine from (below).
 */
const R = runtime;

/** What the Task resumes a coroutine from. */
export const NOTHING = 0;
/** The Future it waited on is done (`from`: that Future). */
export const FUTURE_DONE = 1;
/** The Sleep it waited on fired or was cancelled (`from`: that Sleep). */
export const SLEEP_DONE = 2;
/** The task was its own timer, and the timer fired. */
export const WOKEN = 3;
/** The task yielded RESCHEDULE and has had its turn at the back of the queue. */
export const RESCHEDULED = 4;
/** The frame it pushed returned; the value is `next()`'s argument. */
export const RETURNED = 5;

/** @internal Said by a Task just before it resumes a coroutine with `next()`. */
export function _resumeWith(kind: number, from: object | null): void {
  R.resuming = kind;
  R.resumingFrom = from;
}

/**
 * @internal The kind of the SLEEP or PUSH just yielded: SLEEP_DETACHABLE or SLEEP_BOUND for
 * a Sleep. Read it before {@link _takeHandOff}.
 */
export function _handOffKind(): number {
  return R.handedKind;
}

/** @internal What the SLEEP or PUSH just yielded hands over: the Sleep or the frame. */
export function _takeHandOff(): object {
  const x = R.handed as object;
  R.handed = null;
  R.handedKind = EMPTY;
  return x;
}

/** @internal Called by a Task after each step: forgets whatever nobody took. */
export function _endStep(): void {
  R.resuming = NOTHING;
  R.resumingFrom = null;
  R.starting = null;
  R.startingKind = EMPTY;
  R.handed = null;
  R.handedKind = EMPTY;
}

function start(x: object, kind: number): void {
  if (R.startingKind !== EMPTY) {
    // yield* asks for an iterator and steps it at once: only an iterator taken by hand
    // and kept unstepped gets here. It keeps the register (it still answers for its own
    // awaitable), and this one is refused rather than answered for the wrong one.
    throw new RuntimeError(
      "an awaitable's iterator was taken and not stepped before another one was asked for: " +
        "await asyncio-ts awaitables with yield*, one at a time",
    );
  }
  R.starting = x;
  R.startingKind = kind;
}

/** The first step of a shared iterator: takes `R.starting`, which must be of `kind`. */
function take(kind: number, what: string): object {
  if (R.startingKind !== kind) {
    throw new RuntimeError(
      `${what} was stepped outside yield* or after it suspended (a shared iterator answers only the await that asked for it, once)`,
    );
  }
  const x = R.starting as object;
  R.starting = null;
  R.startingKind = EMPTY;
  return x;
}

function handOver(x: object, kind: number): void {
  R.handed = x;
  R.handedKind = kind;
}

const DONE_UNDEFINED: IteratorResult<Suspend, undefined> = Object.freeze({
  done: true,
  value: undefined,
});

// ------------------------------------------------------------------------ Futures

/**
 * @internal `yield* fut`'s first step for a pending Future: what to yield to the Task.
 * FUTURE_ITER takes it, and so does a hand-written coroutine that awaits a Future without
 * the Future's iterator (Lock.acquire's state machine). Resume with {@link _resumedFrom}.
 */
export function _suspendOn(fut: Future<unknown>): IteratorResult<Suspend, never> {
  fut._flags |= BLOCKING;
  return { done: false, value: fut as unknown as Suspend };
}

/**
 * @internal The step after {@link _suspendOn}: takes the Task's resume and evaluates to
 * the Future's result, or throws its exception or CancelledError.
 */
export function _resumedFrom<T>(fut: Future<T>): T {
  if (R.resuming === FUTURE_DONE && R.resumingFrom === fut) {
    R.resuming = NOTHING;
    R.resumingFrom = null;
  }
  if (fut._state === PENDING) {
    throw new InvalidStateError("yield* was resumed before the Future was done");
  }
  return fut.result();
}

/**
 * The iterator behind every `yield* future`, shared and stateless: its first `next()` takes
 * the Future from `R.starting` and yields it (or completes at once when it is done); the
 * `next()` the Task's resume reaches completes the `yield*` with the Future's result.
 */
const FUTURE_ITER: Iterator<Suspend, unknown, unknown> = {
  next(): IteratorResult<Suspend, unknown> {
    if (R.resuming === FUTURE_DONE) {
      const fut = R.resumingFrom as Future<unknown>;
      R.resuming = NOTHING;
      R.resumingFrom = null;
      return { done: true, value: fut.result() };
    }
    const fut = take(FUTURE, "yield* future") as Future<unknown>;
    if (fut._state === PENDING) return _suspendOn(fut);
    return { done: true, value: fut.result() };
  },
  throw(e?: unknown): IteratorResult<Suspend, unknown> {
    throw e;
  },
  return(value?: unknown): IteratorResult<Suspend, unknown> {
    return { done: true, value };
  },
};

/** @internal `Future[Symbol.iterator]`. */
export function _awaitFuture<T>(fut: Future<T>): Iterator<Suspend, T, unknown> {
  start(fut, FUTURE);
  return FUTURE_ITER as Iterator<Suspend, T, unknown>;
}

// -------------------------------------------------------------------------- sleep

/** One result object for every first step of SLEEP_ITER. */
const SLEEP_YIELD: IteratorResult<Suspend, never> = Object.freeze({ done: false, value: SLEEP });

/**
 * The iterator behind every `yield* sleep(d)` (d > 0), shared and stateless, so that the
 * suspended generator does not keep the Sleep alive while the Task is its own timer. Its
 * first `next()` yields SLEEP and leaves the Sleep for the Task; the `next()` the Task's
 * resume reaches completes the `yield*` — from the Task's own timer, or from the Sleep it
 * waited on, whose outcome that Sleep gives.
 */
const SLEEP_ITER: Iterator<Suspend, unknown, unknown> = {
  next(): IteratorResult<Suspend, unknown> {
    const kind = R.resuming;
    if (kind === WOKEN) {
      R.resuming = NOTHING;
      return DONE_UNDEFINED;
    }
    if (kind === SLEEP_DONE) {
      const s = R.resumingFrom as Sleep<unknown>;
      R.resuming = NOTHING;
      R.resumingFrom = null;
      if (s._isCancelled()) {
        // Raised here rather than in a Sleep method: a throw costs more for every frame it
        // unwinds, and cancelling many sleeping tasks is a workload we measure.
        throw _schedulerCancelledError(s._finish() as string | undefined);
      }
      return { done: true, value: s._finish() };
    }
    const s = take(SLEEP_DETACHABLE, "yield* asyncio.sleep(…)") as Sleep<unknown>;
    s._yielded();
    handOver(s, SLEEP_DETACHABLE);
    return SLEEP_YIELD;
  },
  throw(e?: unknown): IteratorResult<Suspend, unknown> {
    throw e;
  },
  return(value?: unknown): IteratorResult<Suspend, unknown> {
    return { done: true, value };
  },
};

/** @internal `Sleep[Symbol.iterator]`. */
export function _awaitSleep<T>(s: Sleep<T>): Iterator<Suspend, T, unknown> {
  start(s, SLEEP_DETACHABLE);
  return SLEEP_ITER as Iterator<Suspend, T, unknown>;
}

/**
 * @internal A Sleep driven directly as a coroutine (`Sleep.next()`): its first step hands
 * itself over, bound (it stays the timer, since the Task resumes it, not SLEEP_ITER).
 */
export function _sleepStep(s: Sleep<unknown>): IteratorResult<Suspend, never> {
  handOver(s, SLEEP_BOUND);
  return SLEEP_YIELD;
}

/**
 * @internal Whether the Task is resuming a directly driven Sleep `s` (from itself);
 * takes the resume.
 */
export function _resumedSleep(s: Sleep<unknown>): boolean {
  if (R.resuming !== SLEEP_DONE || R.resumingFrom !== s) return false;
  R.resuming = NOTHING;
  R.resumingFrom = null;
  return true;
}

// ------------------------------------------------------------------------ sleep(0)

const RESCHEDULE_YIELD: IteratorResult<Suspend, never> = Object.freeze({
  done: false,
  value: RESCHEDULE,
});

/**
 * @internal `sleep(0)`: gives way to the other ready callbacks once. One stateless object
 * serves every task: its first `next()` yields RESCHEDULE, and the `next()` the Task's
 * resume reaches (RESCHEDULED) completes the `yield*`.
 */
export const YIELD_ONCE: Iterator<Suspend, undefined, unknown> &
  Iterable<Suspend, undefined, unknown> = {
  [Symbol.iterator]() {
    return YIELD_ONCE;
  },
  next(): IteratorResult<Suspend, undefined> {
    if (R.resuming === RESCHEDULED) {
      R.resuming = NOTHING;
      return DONE_UNDEFINED;
    }
    return RESCHEDULE_YIELD;
  },
  throw(e?: unknown): IteratorResult<Suspend, undefined> {
    throw e;
  },
  return(): IteratorResult<Suspend, undefined> {
    return DONE_UNDEFINED;
  },
};

// -------------------------------------------------------------------------- frames

const PUSH_YIELD: IteratorResult<Suspend, never> = Object.freeze({ done: false, value: PUSH });

/**
 * The iterator that `yield* markedCoroutine()` delegates to, one for every frame of every
 * task. Its first `next()` yields PUSH and leaves the generator for the Task, which pushes
 * it and drives it directly; when that frame returns `v`, the Task resumes the parent with
 * RETURNED and `next(v)`, which completes the parent's `yield*` with `v`. Errors come back
 * through `throw()`.
 */
const DELEGATE: Iterator<Suspend, unknown, unknown> = {
  next(value?: unknown): IteratorResult<Suspend, unknown> {
    if (R.resuming === RETURNED) {
      R.resuming = NOTHING;
      return { done: true, value };
    }
    handOver(take(FRAME, "yield* of a coroutine() function's call"), FRAME);
    return PUSH_YIELD;
  },
  throw(e?: unknown): IteratorResult<Suspend, unknown> {
    throw e;
  },
  return(value?: unknown): IteratorResult<Suspend, unknown> {
    return { done: true, value };
  },
};

/** @internal `[Symbol.iterator]` of a `coroutine()`-marked generator. */
export function _awaitFrame(gen: object): Iterator<Suspend, unknown, unknown> {
  start(gen, FRAME);
  return DELEGATE;
}

// -------------------------------------------------------------------- recognising

/**
 * @internal Whether `y`, a value a coroutine yielded, is a suspension token for its Task
 * rather than anything else (which a Task rejects, and an async generator emits as an
 * item). Kept beside the tokens, and agreeing with what `Task._drive` accepts.
 */
export function _isSuspendToken(y: unknown): boolean {
  if (typeof y === "object")
    return _isFuture(y) && ((y as Future<unknown>)._flags & BLOCKING) !== 0;
  return y === SLEEP || y === RESCHEDULE || y === PUSH;
}
