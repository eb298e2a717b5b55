/**
 * The awaitable behind `sleep(delay)` for `delay > 0`.
 *
 * One object is the awaitable `yield*` iterates, the entry in the loop's timer heap, and
 * what the Task waits on. The obvious form — a generator, a Future, the Future's iterator,
 * a TimerHandle with its argument array and a context copy — is six objects (about 600
 * bytes) per sleeping task; 1,000,000 sleeping tasks are a workload we measure.
 *
 * States: CREATED → YIELDED (its first `next()`) → WAITING (the Task armed the timer) →
 * FIRED (the timer ran) → DONE (the `yield*` completed); or WAITING → CANCELLED (the Task
 * was cancelled), whose `next()` throws `CancelledError`.
 *
 * @module
 */

import type { Suspend } from "./coroutines.js";
import { _schedulerCancelledError, RuntimeError } from "./exceptions.js";
import type { TimerEntry } from "./handles.js";
import type { Task } from "./tasks.js";

const CREATED = 0;
const YIELDED = 1;
const WAITING = 2;
const FIRED = 3;
const CANCELLED = 4;
const DONE = 5;
/** The state is the low bits of `_bits`; the two timer-heap flags sit above it. */
const STATE_MASK = 7;
const HEAP_CANCELLED = 8;
const HEAP_SCHEDULED = 16;

/** @internal See the module comment. */
export class Sleep<T> implements TimerEntry, Iterator<Suspend, T, unknown> {
  /**
   * @internal The delay in seconds. The deadline is kept by the timer heap, beside the
   * entry: on the object it would be a boxed double (16 bytes more per sleeping task).
   */
  readonly _delay: number;
  /**
   * @internal The state and the two timer-heap flags in one Smi: a Sleep per sleeping task
   * is one of the three objects that make up its memory, so each field counts.
   */
  _bits = CREATED;
  /** @internal the task sleeping here, once armed */
  _task: Task<unknown> | null = null;
  /** @internal the result to return; after a cancel, the cancel message */
  _value: unknown;

  constructor(delay: number, result: T) {
    this._delay = delay;
    this._value = result;
  }

  /** @internal CREATED … DONE (see the module comment). */
  get _state(): number {
    return this._bits & STATE_MASK;
  }
  set _state(state: number) {
    this._bits = (this._bits & ~STATE_MASK) | state;
  }

  /** @internal the timer-heap sense: the heap may drop this entry */
  get _cancelled(): boolean {
    return (this._bits & HEAP_CANCELLED) !== 0;
  }
  set _cancelled(on: boolean) {
    this._bits = on ? this._bits | HEAP_CANCELLED : this._bits & ~HEAP_CANCELLED;
  }

  /** @internal in the timer heap */
  get _scheduled(): boolean {
    return (this._bits & HEAP_SCHEDULED) !== 0;
  }
  set _scheduled(on: boolean) {
    this._bits = on ? this._bits | HEAP_SCHEDULED : this._bits & ~HEAP_SCHEDULED;
  }

  [Symbol.iterator](): Iterator<Suspend, T, unknown> {
    if (this._state !== CREATED) {
      throw new RuntimeError("cannot reuse already awaited coroutine (a sleep() object)");
    }
    return this;
  }

  next(): IteratorResult<Suspend, T> {
    switch (this._state) {
      case CREATED:
        this._state = YIELDED;
        return { done: false, value: this as unknown as Suspend };
      case FIRED:
        this._state = DONE;
        return { done: true, value: this._value as T };
      case CANCELLED:
        this._state = DONE;
        throw _schedulerCancelledError(this._value as string | undefined);
      case DONE:
        return { done: true, value: undefined as T };
      default:
        // Resumed while still waiting: keep waiting.
        return { done: false, value: this as unknown as Suspend };
    }
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

  private _disarm(): void {
    if (this._scheduled && !this._cancelled) {
      this._cancelled = true;
      this._task?._loop._timerHandleCancelled(this);
    }
  }

  toString(): string {
    const names = ["created", "yielded", "waiting", "fired", "cancelled", "done"];
    return `<sleep ${this._delay}s ${names[this._state]}>`;
  }
}
