/**
 * The awaitable behind `sleep(delay)` for `delay > 0`.
 *
 * A sleeping task should cost as little memory as possible: 1,000,000 sleeping tasks are a
 * workload we measure. The obvious form — a generator, a Future, the Future's iterator, a
 * TimerHandle with its argument array and a context copy — is six objects (about 600 bytes)
 * per sleeping task. Here it is none:
 *
 * - `yield* sleep(d)` does not iterate the Sleep itself: `[Symbol.iterator]` hands out
 *   SLEEP_ITER (core/suspend.ts), one stateless iterator shared by every sleep (as `yield* future`
 *   does with Futures), so the suspended generator does not keep the Sleep alive.
 * - The Task reads the delay from the yielded Sleep and becomes the timer-heap entry
 *   itself (see `Task._sleepOn`). The Sleep is garbage as soon as that step ends.
 *
 * Where the Task cannot be its own timer — the sleep has a result to return, the task has
 * a stale entry still in the heap (a cancelled sleep's), a cancel is already pending, or
 * the Sleep is driven directly (`createTask(sleep(1))`) — the Sleep is the timer entry and
 * what the Task waits on, as below. A sleeping task's cancellation also goes through a
 * Sleep, made in the CANCELLED state.
 *
 * States: CREATED → YIELDED (its first `next()`) → WAITING (the Task armed the timer) →
 * FIRED (the timer ran) → DONE (the `yield*` completed); or WAITING → CANCELLED (the Task
 * was cancelled), whose `next()` throws `CancelledError`; or YIELDED → HANDED_OFF (the
 * Task is its own timer; this object is finished with).
 *
 * @module
 */

import type { Suspend } from "./coroutines.js";
import { _schedulerCancelledError, RuntimeError } from "./exceptions.js";
import type { TimerEntry } from "./handles.js";
import { PROTOCOL_VERSION, SLEEP_BRAND } from "./runtime.js";
import { _awaitSleep, _resumedSleep, _sleepStep } from "./suspend.js";
import type { Task } from "./tasks.js";

/** Node's `util.inspect` (console.log) hook; `Symbol.for` needs no Node import. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

const CREATED = 0;
const YIELDED = 1;
const WAITING = 2;
const FIRED = 3;
const CANCELLED = 4;
const DONE = 5;
const HANDED_OFF = 6;
/** The state is the low bits of `_bits`; the flags sit above it. */
const STATE_MASK = 7;
const HEAP_CANCELLED = 8;
const HEAP_SCHEDULED = 16;

/**
 * @internal A Sleep already CANCELLED with `msg`: what a Task that was its own timer waits
 * on once cancelled, so the cancellation reaches the coroutine as any cancelled sleep's.
 */
export function _cancelledSleep(delay: number, msg: string | undefined): Sleep<unknown> {
  const s = new Sleep<unknown>(delay, msg);
  s._bits = CANCELLED;
  return s;
}

/** @internal See the module comment. */
export class Sleep<T> implements TimerEntry, Iterator<Suspend, T, unknown> {
  /**
   * @internal The delay in seconds. The deadline is kept by the timer heap, beside the
   * entry: on the object it would be a boxed double.
   */
  readonly _delay: number;
  /** @internal The state and the flags in one Smi. */
  _bits = CREATED;
  /** @internal the task sleeping here, once armed */
  _task: Task<unknown> | null = null;
  /** @internal the result to return; after a cancel, the cancel message */
  _value: unknown;

  constructor(delay: number, result: T) {
    this._delay = delay;
    this._value = result;
  }

  /** @internal CREATED … HANDED_OFF (see the module comment). */
  get _state(): number {
    return this._bits & STATE_MASK;
  }
  /** @internal */
  set _state(state: number) {
    this._bits = (this._bits & ~STATE_MASK) | state;
  }

  /** @internal the timer-heap sense: the heap may drop this entry */
  get _cancelled(): boolean {
    return (this._bits & HEAP_CANCELLED) !== 0;
  }
  /** @internal */
  set _cancelled(on: boolean) {
    this._bits = on ? this._bits | HEAP_CANCELLED : this._bits & ~HEAP_CANCELLED;
  }

  /** @internal in the timer heap */
  get _scheduled(): boolean {
    return (this._bits & HEAP_SCHEDULED) !== 0;
  }
  /** @internal */
  set _scheduled(on: boolean) {
    this._bits = on ? this._bits | HEAP_SCHEDULED : this._bits & ~HEAP_SCHEDULED;
  }

  [Symbol.iterator](): Iterator<Suspend, T, unknown> {
    if (this._state !== CREATED) {
      throw new RuntimeError("cannot reuse already awaited coroutine (a sleep() object)");
    }
    return _awaitSleep(this);
  }

  /** Driven directly as a coroutine (`createTask(sleep(1))`): the Task resumes this. */
  next(): IteratorResult<Suspend, T> {
    _resumedSleep(this as Sleep<unknown>);
    switch (this._state) {
      case CREATED:
        this._state = YIELDED;
        return _sleepStep(this as Sleep<unknown>);
      case FIRED:
        this._state = DONE;
        return { done: true, value: this._value as T };
      case CANCELLED:
        this._state = DONE;
        throw _schedulerCancelledError(this._value as string | undefined);
      case DONE:
      case HANDED_OFF:
        return { done: true, value: undefined as T };
      default:
        throw new RuntimeError(`${this} was resumed before it ended`);
    }
  }

  /** @internal SLEEP_ITER's first step: the Task takes this over next. */
  _yielded(): void {
    this._state = YIELDED;
  }

  /** @internal The Task resumes from this, fired or cancelled: whether it was cancelled. */
  _isCancelled(): boolean {
    return this._state === CANCELLED;
  }

  /** @internal Ends the wait: the result, or after a cancel the cancel message. */
  _finish(): unknown {
    this._state = DONE;
    return this._value;
  }

  throw(e?: unknown): IteratorResult<Suspend, T> {
    this._disarm();
    this._state = DONE;
    throw e;
  }

  return(value?: T): IteratorResult<Suspend, T> {
    this._disarm();
    this._state = DONE;
    return { done: true, value: value as T };
  }

  /** @internal The Task that got this from `yield*` starts the timer. */
  _arm(task: Task<unknown>): void {
    const loop = task._loop;
    this._state = WAITING;
    this._task = task;
    loop._pushTimer(this, loop.time() + this._delay);
  }

  /** @internal The Task took the timer over (it is its own timer entry). */
  _handOff(): void {
    this._state = HANDED_OFF;
  }

  /** @internal The timer fired: wake the task (it runs at the next iteration, as asyncio's). */
  _run(): void {
    const task = this._task;
    if (this._state !== WAITING || task === null) return;
    this._state = FIRED;
    this._task = null;
    task._loop._readyPush(task, this);
  }

  /** @internal The sleeping task is cancelled: drop the timer and wake the task. */
  cancel(msg?: string): boolean {
    const task = this._task;
    if (this._state !== WAITING || task === null) return false;
    this._disarm();
    this._state = CANCELLED;
    this._value = msg;
    this._task = null;
    task._loop._readyPush(task, this);
    return true;
  }

  /** @internal */
  private _disarm(): void {
    if (this._scheduled && !this._cancelled) {
      this._cancelled = true;
      this._task?._loop._timerHandleCancelled(this);
    }
  }

  toString(): string {
    return `<sleep ${this._delay}s ${STATE_NAMES[this._state]}>`;
  }

  /** console.log shows the repr, not the internals. */
  [INSPECT](): string {
    return this.toString();
  }
}

// Recognised by brand, not by class (core/runtime.ts).
Object.defineProperty(Sleep.prototype, SLEEP_BRAND, { value: PROTOCOL_VERSION });

const STATE_NAMES = ["created", "yielded", "waiting", "fired", "cancelled", "done", "handed off"];
