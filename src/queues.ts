/**
 * Queues for producer/consumer tasks: Queue (FIFO), PriorityQueue (lowest first) and
 * LifoQueue (last in, first out) — asyncio's, with 3.13's `shutdown()`.
 *
 * Guarantees, as asyncio's:
 * - getters and putters are served in FIFO order (they park on the {@link WaiterQueue}
 *   that the locks use);
 * - a cancelled `get()` never loses an item: if it had been woken for one, the wakeup goes
 *   to the next getter and the item stays in the queue;
 * - a cancelled `put()` never inserts its item;
 * - `put()` and `get()` never suspend when they can complete at once.
 *
 * Consuming until shutdown is one line: `yield* queue.consume(function* (item) { … })`
 * in a coroutine, or `for await (const item of queue)` in `async` code.
 *
 * @module
 */

import type { Coroutine } from "./core/coroutines.js";
import { describe } from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import { isCancelledError } from "./core/exceptions.js";
import type { Task } from "./core/tasks.js";
import { Event, WaiterQueue } from "./locks.js";
import { Operation } from "./operation.js";

/** Base of the queue errors: a real Error subclass whose `name` is the class name. */
abstract class QueueError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Thrown by `getNowait()` when the queue is empty.
 *
 * @example
 * ```ts
 * try { queue.getNowait(); } catch (e) { if (e instanceof asyncio.QueueEmpty) console.log("nothing yet"); }
 * ```
 */
export class QueueEmpty extends QueueError {}

/**
 * Thrown by `putNowait()` when a bounded queue is full.
 *
 * @example
 * ```ts
 * try { queue.putNowait(item); } catch (e) { if (e instanceof asyncio.QueueFull) console.log("full"); }
 * ```
 */
export class QueueFull extends QueueError {}

/**
 * Thrown by `put()` / `putNowait()` on a queue that was shut down, and by `get()` /
 * `getNowait()` once a shut-down queue is empty (at once after `shutdown(true)`).
 *
 * @example
 * ```ts
 * function* consume(q: asyncio.Queue<number>) {
 *   for (;;) {
 *     try {
 *       console.log("got", yield* q.get());
 *     } catch (e) {
 *       if (e instanceof asyncio.QueueShutDown) return "queue shut down";
 *       throw e;
 *     }
 *   }
 * }
 * queue.putNowait(1);
 * queue.shutdown();
 * console.log(yield* consume(queue)); // got 1, then: queue shut down
 * ```
 */
export class QueueShutDown extends QueueError {}

/** What `consume` bodies may be: a coroutine function, or a plain function. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets plain `(x) => { … }` bodies type-check
type ItemBody<T> = (item: T) => Coroutine<unknown> | undefined | void;

/**
 * A FIFO queue for coordinating producer and consumer tasks, as asyncio's `Queue`.
 *
 * `maxsize` bounds it (0 or less, the default: unbounded): `put()` then waits while it is
 * full, which slows producers down to the pace of consumers (backpressure).
 *
 * - `put()` / `get()` wait; `putNowait()` / `getNowait()` throw {@link QueueFull} /
 *   {@link QueueEmpty} instead.
 * - `taskDone()` and `join()` track the processing of items.
 * - `shutdown()` (3.13) makes later puts, and gets once the queue is empty, throw
 *   {@link QueueShutDown}, waking every task waiting on the queue.
 *
 * Cancellation: a cancelled `get()` takes no item (and passes on the wakeup it may have
 * had); a cancelled `put()` inserts nothing.
 *
 * Not bound to a loop when created: it can serve several loops one after another.
 *
 * @example
 * ```ts
 * function* main() {
 *   const queue = new asyncio.Queue<number>(10);
 *   const consumer = asyncio.createTask(queue.consume(function* (n) {
 *     console.log("got", n);
 *   }));
 *   for (let i = 0; i < 3; i++) yield* queue.put(i);
 *   queue.shutdown();
 *   yield* consumer; // got 0, got 1, got 2
 * }
 * ```
 */
export class Queue<T = unknown> implements AsyncIterable<T> {
  /** @internal */
  readonly _getters = new WaiterQueue();
  /** @internal */
  readonly _putters = new WaiterQueue();
  /** @internal */
  _isShutdown = false;
  /** @internal */
  private readonly _maxsize: number;
  /** @internal Items allowed before `put()` waits: maxsize, or Infinity when unbounded. */
  private readonly _limit: number;
  /** @internal */
  private _unfinishedTasks = 0;
  /** @internal */
  private readonly _finished = new Event();
  // The FIFO store: a ring buffer with a power-of-two capacity.
  /** @internal */
  private _buf: Array<T | undefined> = new Array<T | undefined>(8);
  /** @internal */
  private _head = 0;
  /** @internal */
  private _mask = 7;
  /** @internal */
  private _len = 0;

  /**
   * @param maxsize the most items the queue holds before `put()` waits; 0 or less (the
   * default) means unbounded. `TypeError` if not a number, `RangeError` if not an integer
   * (`Infinity` is accepted as unbounded).
   */
  constructor(maxsize = 0) {
    if (typeof maxsize !== "number") {
      throw new TypeError(
        `Cannot create ${new.target.name}: 'maxsize' must be a number: received ${describe(maxsize)}`,
      );
    }
    if (!Number.isInteger(maxsize) && maxsize !== Infinity && maxsize !== -Infinity) {
      throw new RangeError(
        `Cannot create ${new.target.name}: 'maxsize' must be an integer (0 or less for unbounded): received ${maxsize}`,
      );
    }
    this._maxsize = maxsize;
    this._limit = maxsize > 0 ? maxsize : Infinity;
    this._finished.set();
  }

  // ---------------------------------------------------------------- storage hooks

  /**
   * Stores `item`. Override this, {@link _get} and {@link _qsize} (all three) to make a
   * queue with another order; they are called only when the operation is allowed.
   */
  protected _put(item: T): void {
    let buf = this._buf;
    if (this._len === buf.length) buf = this._grow();
    buf[(this._head + this._len) & this._mask] = item;
    this._len++;
  }

  /** Removes and returns the next item; only called when the queue is not empty. */
  protected _get(): T {
    const buf = this._buf;
    const item = buf[this._head] as T;
    buf[this._head] = undefined;
    this._head = (this._head + 1) & this._mask;
    this._len--;
    return item;
  }

  /** How many items are stored. */
  protected _qsize(): number {
    return this._len;
  }

  /** @internal */
  private _grow(): Array<T | undefined> {
    const old = this._buf;
    const buf = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this._len; i++) buf[i] = old[(this._head + i) & this._mask];
    this._buf = buf;
    this._head = 0;
    this._mask = buf.length - 1;
    return buf;
  }

  // ---------------------------------------------------------------- state

  /** Number of items in the queue. */
  qsize(): number {
    return this._qsize();
  }

  /** The bound given to the constructor (0 or less: unbounded). */
  get maxsize(): number {
    return this._maxsize;
  }

  /** Whether the queue holds no item. */
  empty(): boolean {
    return this._qsize() === 0;
  }

  /** Whether the queue holds `maxsize` items; never true for an unbounded queue. */
  full(): boolean {
    return this._qsize() >= this._limit;
  }

  // ---------------------------------------------------------------- put

  /**
   * Puts `item` at the end of the queue, first waiting while the queue is full. Never
   * suspends when there is room.
   *
   * Errors: {@link QueueShutDown} if the queue is shut down, or is shut down while waiting.
   * Cancellation: throws `CancelledError` and inserts nothing.
   *
   * @example
   * ```ts
   * yield* queue.put(item);
   * ```
   */
  put(item: T): Coroutine<void> {
    return new QueuePut(this, item);
  }

  /** @internal */
  *_putSlow(item: T): Coroutine<void> {
    while (this._qsize() >= this._limit) {
      if (this._isShutdown) throw new QueueShutDown("put(): the queue is shut down");
      const putters = this._putters;
      const putter = putters.park(this);
      try {
        yield* putter;
      } catch (e) {
        putter.cancel();
        putters.remove(putter);
        // Woken for a free slot we will not use: the next putter may take it.
        if (this._qsize() < this._limit && !putter.cancelled()) putters.wakeFirst();
        throw e;
      }
      putters.remove(putter);
    }
    if (this._isShutdown) throw new QueueShutDown("put(): the queue is shut down");
    this.putNowait(item);
  }

  /**
   * Puts `item` at the end of the queue at once. Throws {@link QueueFull} if the queue is
   * full, {@link QueueShutDown} if it is shut down.
   *
   * @example
   * ```ts
   * queue.putNowait(item);
   * ```
   */
  putNowait(item: T): void {
    if (this._isShutdown) throw new QueueShutDown("putNowait(): the queue is shut down");
    if (this._qsize() >= this._limit) {
      throw new QueueFull(`putNowait(): the queue is full (maxsize ${this._maxsize})`);
    }
    this._put(item);
    this._unfinishedTasks++;
    this._finished.clear();
    if (this._getters.length > 0) this._getters.wakeFirst();
  }

  // ---------------------------------------------------------------- get

  /**
   * Removes and returns the next item, first waiting while the queue is empty. Never
   * suspends when an item is there.
   *
   * Errors: {@link QueueShutDown} once the queue is shut down and empty (including while
   * waiting). Cancellation: throws `CancelledError` and takes no item; a wakeup it had
   * received goes to the next getter.
   *
   * @example
   * ```ts
   * asyncio.getRunningLoop().callLater(1, () => queue.putNowait(7));
   * const item = yield* queue.get(); // waits for the item
   * console.log(item); // 7
   * ```
   */
  get(): Coroutine<T> {
    return new QueueGet(this);
  }

  /** @internal */
  *_getSlow(): Coroutine<T> {
    while (this._qsize() === 0) {
      if (this._isShutdown) throw new QueueShutDown("get(): the queue is shut down and empty");
      const getters = this._getters;
      const getter = getters.park(this);
      try {
        yield* getter;
      } catch (e) {
        getter.cancel();
        getters.remove(getter);
        // Woken for an item we will not take: the next getter must take it, or it would
        // sit in the queue while tasks wait for it.
        if (this._qsize() > 0 && !getter.cancelled()) getters.wakeFirst();
        throw e;
      }
      getters.remove(getter);
    }
    return this.getNowait();
  }

  /**
   * Removes and returns the next item at once. Throws {@link QueueEmpty} if the queue is
   * empty ({@link QueueShutDown} if it is also shut down).
   *
   * @example
   * ```ts
   * queue.putNowait(1);
   * const item = queue.getNowait();
   * console.log(item); // 1
   * try {
   *   queue.getNowait();
   * } catch (e) {
   *   console.log(e instanceof asyncio.QueueEmpty); // true: nothing left
   * }
   * ```
   */
  getNowait(): T {
    if (this._qsize() === 0) {
      if (this._isShutdown) {
        throw new QueueShutDown("getNowait(): the queue is shut down and empty");
      }
      throw new QueueEmpty("getNowait(): the queue is empty");
    }
    const item = this._get();
    if (this._putters.length > 0) this._putters.wakeFirst();
    return item;
  }

  // ---------------------------------------------------------------- consuming

  /**
   * Gets items one by one and runs `body(item)` for each, until the queue is shut down and
   * empty; then returns. `body` may be a coroutine function (awaited before the next item is
   * taken) or a plain function. Errors of `body` propagate and stop the loop.
   *
   * It does not call {@link taskDone}: do it in `body` if you use {@link join}.
   *
   * Cancellation: throws `CancelledError`; an item whose `body` had not started is left in
   * the queue.
   *
   * @example
   * ```ts
   * function* consumer(queue: asyncio.Queue<string>) {
   *   yield* queue.consume(function* (url) {
   *     yield* download(url);
   *     queue.taskDone();
   *   });
   * }
   * ```
   */
  consume(body: ItemBody<T>): Coroutine<void> {
    if (typeof body !== "function") {
      throw new TypeError(
        `Queue.consume(): 'body' must be a function or a generator function: received ${describe(body)}`,
      );
    }
    return this._consume(body);
  }

  /** @internal */
  private *_consume(body: ItemBody<T>): Coroutine<void> {
    for (;;) {
      let item: T;
      if (this._qsize() > 0) {
        item = this.getNowait();
      } else {
        try {
          item = yield* this.get();
        } catch (e) {
          if (e instanceof QueueShutDown) return;
          throw e;
        }
      }
      const r = body(item);
      if (r !== undefined) yield* r;
    }
  }

  /**
   * `for await (const item of queue)` from `async` code running on the loop: yields items
   * until the queue is shut down and empty. Each item is taken only when the loop asks for
   * it; leaving the loop early (`break`, an error) cancels a pending wait, so no item is
   * taken that the loop did not receive.
   *
   * @example
   * ```ts
   * async function consume(queue: asyncio.Queue<number>) {
   *   for await (const n of queue) console.log(n);
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    let pending: Task<T> | null = null;
    let closed = false;
    const done: IteratorResult<T, undefined> = { done: true, value: undefined };
    return {
      next: (): Promise<IteratorResult<T, undefined>> => {
        if (closed) return Promise.resolve(done);
        if (this._qsize() > 0) return Promise.resolve({ done: false, value: this.getNowait() });
        if (this._isShutdown) return Promise.resolve(done);
        const task = getRunningLoop().createTask(this.get());
        pending = task;
        return task.then(
          (value): IteratorResult<T, undefined> => {
            pending = null;
            return { done: false, value };
          },
          (e: unknown): IteratorResult<T, undefined> => {
            pending = null;
            // A wait cancelled by return() ends the iteration; it is not an error.
            if (e instanceof QueueShutDown || (closed && isCancelledError(e))) return done;
            throw e;
          },
        );
      },
      return: (): Promise<IteratorResult<T, undefined>> => {
        closed = true;
        pending?.cancel();
        return Promise.resolve(done);
      },
    };
  }

  // ---------------------------------------------------------------- tasks

  /**
   * Tells the queue that an item taken with `get()` has been processed; when every item
   * put has been marked so, `join()` returns. Throws `RangeError`
   * ("taskDone() called too many times") if called more often than items were put.
   *
   * @example
   * ```ts
   * function* worker() {
   *   for (;;) {
   *     const job = yield* queue.get();
   *     try {
   *       yield* asyncio.sleep(job);
   *     } finally {
   *       queue.taskDone();
   *     }
   *   }
   * }
   * const w = asyncio.createTask(worker());
   * queue.putNowait(1);
   * queue.putNowait(2);
   * yield* queue.join(); // both jobs processed
   * w.cancel();
   * ```
   */
  taskDone(): void {
    if (this._unfinishedTasks <= 0) throw new RangeError("taskDone() called too many times");
    this._unfinishedTasks--;
    if (this._unfinishedTasks === 0) this._finished.set();
  }

  /**
   * Waits until every item put has been marked processed with `taskDone()`. Returns at
   * once, without suspending, when there is none.
   *
   * Cancellation: throws `CancelledError`; the queue is unchanged.
   *
   * @example
   * ```ts
   * const jobs = [1, 2, 3];
   * let processed = 0;
   * asyncio.createTask(
   *   (function* () {
   *     for (;;) {
   *       yield* asyncio.sleep(yield* queue.get());
   *       processed++;
   *       queue.taskDone();
   *     }
   *   })(),
   * );
   * for (const job of jobs) yield* queue.put(job);
   * yield* queue.join(); // every job was processed
   * console.log(processed); // 3
   * ```
   */
  *join(): Coroutine<void> {
    if (this._unfinishedTasks > 0) yield* this._finished.wait();
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Shuts the queue down (3.13): later `put()` / `putNowait()` calls throw
   * {@link QueueShutDown}, and so do `get()` / `getNowait()` once the queue is empty.
   * Every task waiting in `put()` or `get()` is woken to see it.
   *
   * With `immediate` true, the items still in the queue are dropped (each counts as done
   * for `join()`), so getters fail at once and `join()` returns.
   *
   * @example
   * ```ts
   * queue.shutdown();     // consumers finish what is queued, then stop
   * queue.shutdown(true); // consumers stop now
   * ```
   */
  shutdown(immediate = false): void {
    if (typeof immediate !== "boolean") {
      throw new TypeError(
        `Queue.shutdown(): 'immediate' must be a boolean: received ${describe(immediate)}`,
      );
    }
    this._isShutdown = true;
    if (immediate) {
      while (this._qsize() > 0) {
        this._get();
        if (this._unfinishedTasks > 0) this._unfinishedTasks--;
      }
      if (this._unfinishedTasks === 0) this._finished.set();
    }
    this._getters.wakeUpTo(this._getters.length, true);
    this._putters.wakeUpTo(this._putters.length, true);
  }

  /** Whether `shutdown()` was called. */
  isShutDown(): boolean {
    return this._isShutdown;
  }

  toString(): string {
    let s = `<${this.constructor.name} maxsize=${this._maxsize} qsize=${this._qsize()}`;
    if (this._getters.length > 0) s += ` getters[${this._getters.length}]`;
    if (this._putters.length > 0) s += ` putters[${this._putters.length}]`;
    if (this._unfinishedTasks > 0) s += ` tasks=${this._unfinishedTasks}`;
    if (this._isShutdown) s += " shutdown";
    return `${s}>`;
  }
}

class QueuePut<T> extends Operation<void> {
  constructor(
    private readonly _queue: Queue<T>,
    private readonly _item: T,
  ) {
    super();
  }
  protected _fast(): boolean {
    const queue = this._queue;
    if (queue.full()) return false;
    if (queue._isShutdown) throw new QueueShutDown("put(): the queue is shut down");
    queue.putNowait(this._item);
    return true;
  }
  protected _slow(): Coroutine<void> {
    return this._queue._putSlow(this._item);
  }
}

class QueueGet<T> extends Operation<T> {
  constructor(private readonly _queue: Queue<T>) {
    super();
  }
  protected _fast(): boolean {
    const queue = this._queue;
    if (queue.empty()) return false;
    this._value = queue.getNowait();
    return true;
  }
  protected _slow(): Coroutine<T> {
    return this._queue._getSlow();
  }
}

// ------------------------------------------------------------------ LifoQueue

/**
 * A queue that returns the most recently added item first, as asyncio's `LifoQueue`.
 * Same API and guarantees as {@link Queue}.
 *
 * @example
 * ```ts
 * const stack = new asyncio.LifoQueue<number>();
 * stack.putNowait(1);
 * stack.putNowait(2);
 * console.log(stack.getNowait()); // 2
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** @internal */
  private readonly _items: T[] = [];

  protected override _put(item: T): void {
    this._items.push(item);
  }

  protected override _get(): T {
    return this._items.pop() as T;
  }

  protected override _qsize(): number {
    return this._items.length;
  }
}

// ------------------------------------------------------------------ PriorityQueue

/**
 * Options of {@link PriorityQueue}.
 *
 * @example
 * ```ts
 * const q = new asyncio.PriorityQueue<{ due: number; job: string }>(0, {
 *   compare: (a, b) => a.due - b.due,
 * });
 * ```
 */
export interface PriorityQueueOptions<T> {
  /**
   * Orders two items: negative if `a` comes out first, positive if `b` does, 0 if they
   * tie (ties come out in insertion order). By default {@link naturalOrder}.
   */
  compare?: (a: T, b: T) => number;
}

/**
 * The default order of {@link PriorityQueue}, Python's `<` carried over: numbers, bigints
 * and booleans by value, strings by code unit, Dates by time, and arrays element by element
 * (so `[priority, data]` tuples sort by priority, then by data, as Python's tuples do).
 * Anything else throws `TypeError` (as Python's `'<' not supported`), unless identical.
 *
 * @example
 * ```ts
 * asyncio.naturalOrder([1, "b"], [1, "a"]); // 1: the first elements tie, "a" < "b"
 * ```
 */
export function naturalOrder(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ta = typeof a;
  const tb = typeof b;
  if (
    (ta === "number" || ta === "bigint" || ta === "boolean") &&
    (tb === "number" || tb === "bigint" || tb === "boolean")
  ) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (ta === "string" && tb === "string") return (a as string) < (b as string) ? -1 : 1;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = naturalOrder(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (a instanceof Date && b instanceof Date) return naturalOrder(a.getTime(), b.getTime());
  throw new TypeError(
    `PriorityQueue cannot order ${describe(a)} and ${describe(b)}: use numbers, strings, bigints, Dates or arrays of them (e.g. [priority, data]), or pass { compare } to the constructor`,
  );
}

/**
 * A queue that returns the lowest item first, as asyncio's `PriorityQueue`.
 *
 * Ordering: by {@link naturalOrder} by default — numbers, strings, bigints, Dates, and
 * arrays compared element by element, so the Python idiom of `[priority, data]` tuples
 * works. For objects, pass `{ compare: (a, b) => a.priority - b.priority }`. Items that
 * compare equal come out in the order they were put (unlike Python's heap, which does not
 * promise that). An item that cannot be compared makes `put()` / `putNowait()` throw the
 * comparison's error, and the queue is left unchanged.
 *
 * @example
 * ```ts
 * const jobs = new asyncio.PriorityQueue<[number, string]>();
 * jobs.putNowait([2, "later"]);
 * jobs.putNowait([1, "first"]);
 * console.log(jobs.getNowait()); // [1, "first"]
 *
 * const tasks = new asyncio.PriorityQueue<{ due: number }>(0, { compare: (a, b) => a.due - b.due });
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /** @internal */
  private readonly _heap: T[] = [];
  /** @internal Insertion numbers, parallel to the heap: ties come out in FIFO order. */
  private readonly _seqs: number[] = [];
  /** @internal */
  private readonly _path: number[] = [];
  /** @internal */
  private _counter = 0;
  /** @internal */
  private readonly _compare: (a: T, b: T) => number;

  /**
   * @param maxsize as {@link Queue}'s.
   * @param options `compare`: the order of items (see {@link PriorityQueueOptions}).
   */
  constructor(maxsize = 0, options: PriorityQueueOptions<T> = {}) {
    super(maxsize);
    const compare = options.compare ?? naturalOrder;
    if (typeof compare !== "function") {
      throw new TypeError(
        `Cannot create PriorityQueue: 'compare' must be a function: received ${describe(compare)}`,
      );
    }
    this._compare = compare;
  }

  /** @internal Whether (a, sa) comes out before (b, sb). */
  private _before(a: T, sa: number, b: T, sb: number): boolean {
    const c = this._compare(a, b);
    if (typeof c !== "number" || Number.isNaN(c)) {
      throw new TypeError(`PriorityQueue: 'compare' must return a number: returned ${describe(c)}`);
    }
    return c < 0 || (c === 0 && sa < sb);
  }

  // Every comparison is made before the heap is touched, so a comparison that throws
  // leaves the queue as it was: no item lost, none half-inserted.

  protected override _put(item: T): void {
    const heap = this._heap;
    const seqs = this._seqs;
    const seq = this._counter++;
    const end = heap.length;
    let pos = end;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this._before(item, seq, heap[parent] as T, seqs[parent] as number)) break;
      pos = parent;
    }
    heap.push(item);
    seqs.push(seq);
    let k = end;
    while (k > pos) {
      const parent = (k - 1) >> 1;
      heap[k] = heap[parent] as T;
      seqs[k] = seqs[parent] as number;
      k = parent;
    }
    heap[pos] = item;
    seqs[pos] = seq;
  }

  protected override _get(): T {
    const heap = this._heap;
    const seqs = this._seqs;
    const top = heap[0] as T;
    const n = heap.length - 1;
    const last = heap[n] as T;
    const lastSeq = seqs[n] as number;
    const path = this._path;
    let depth = 0;
    let pos = 0;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= n) break;
      let child = left;
      const right = left + 1;
      if (
        right < n &&
        this._before(heap[right] as T, seqs[right] as number, heap[left] as T, seqs[left] as number)
      ) {
        child = right;
      }
      if (!this._before(heap[child] as T, seqs[child] as number, last, lastSeq)) break;
      path[depth++] = child;
      pos = child;
    }
    let k = 0;
    for (let i = 0; i < depth; i++) {
      const child = path[i] as number;
      heap[k] = heap[child] as T;
      seqs[k] = seqs[child] as number;
      k = child;
    }
    heap[k] = last;
    seqs[k] = lastSeq;
    heap.length = n;
    seqs.length = n;
    return top;
  }

  protected override _qsize(): number {
    return this._heap.length;
  }
}
