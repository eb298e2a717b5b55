/**
 * The loop's FIFO ready queue: a ring buffer of (runnable, argument) pairs with a
 * power-of-two capacity that doubles when full. Push and shift allocate nothing once the
 * buffer has grown to the working size; the argument slot lets a Future schedule an
 * internal done-callback with itself as argument without allocating a Handle.
 *
 * @module
 */

/** Something the loop can run: a callback Handle, a Task's step, an internal callback. */
export interface Runnable {
  _run(arg: unknown): void;
}

const MIN_CAPACITY = 1024;
const SHRINK_ABOVE = 65_536;

export class ReadyQueue {
  private items: Array<Runnable | undefined>;
  /**
   * Arguments, parallel to `items`; made at the first push that has one. Most pushes have
   * none (a Task's step), and a burst of 1,000,000 of those should not pay for a second
   * million-slot array.
   */
  private args: unknown[] | null = null;
  private head = 0;
  private mask: number;
  length = 0;

  constructor(capacity = MIN_CAPACITY) {
    this.items = new Array<Runnable | undefined>(capacity);
    this.mask = capacity - 1;
  }

  push(item: Runnable, arg?: unknown): void {
    if (this.length === this.items.length) this.grow();
    const i = (this.head + this.length) & this.mask;
    this.items[i] = item;
    if (arg !== undefined) {
      if (this.args === null) this.args = new Array<unknown>(this.items.length);
      this.args[i] = arg;
    } else if (this.args !== null) this.args[i] = undefined;
    this.length++;
  }

  /** Runs the item at the head, removing it first (so the item may push itself again). */
  runHead(): void {
    const i = this.head;
    const item = this.items[i] as Runnable;
    this.items[i] = undefined;
    let arg: unknown;
    const args = this.args;
    if (args !== null) {
      arg = args[i];
      args[i] = undefined;
    }
    this.head = (i + 1) & this.mask;
    this.length--;
    item._run(arg);
  }

  /** Removes and returns the head item (its argument is dropped). */
  shift(): Runnable {
    const i = this.head;
    const item = this.items[i] as Runnable;
    this.items[i] = undefined;
    if (this.args !== null) this.args[i] = undefined;
    this.head = (i + 1) & this.mask;
    this.length--;
    return item;
  }

  /** The item at the head, without removing it. */
  peek(): Runnable | undefined {
    return this.length > 0 ? this.items[this.head] : undefined;
  }

  /** Removes everything (used when a loop closes). */
  clear(): void {
    while (this.length > 0) this.shift();
  }

  /** The number of slots (a power of two). */
  get capacity(): number {
    return this.items.length;
  }

  /**
   * Gives back memory after a burst: a queue that grew past 65,536 slots and is now
   * under an eighth full halves until it is at least a quarter full (never below 1,024). The
   * loop calls this once per iteration, not per item.
   */
  shrinkIfSparse(): void {
    let n = this.items.length;
    if (n <= SHRINK_ABOVE || this.length >= n >> 3) return;
    while (n > MIN_CAPACITY && this.length < n >> 2) n >>= 1;
    this.resize(n);
  }

  private grow(): void {
    this.resize(this.items.length * 2);
  }

  /** Moves the items, in order, to new arrays of `n` slots (`n` ≥ length, a power of two). */
  private resize(n: number): void {
    const oldItems = this.items;
    const oldArgs = this.args;
    const items = new Array<Runnable | undefined>(n);
    const args = oldArgs === null ? null : new Array<unknown>(n);
    for (let k = 0; k < this.length; k++) {
      const j = (this.head + k) & this.mask;
      items[k] = oldItems[j];
      if (args !== null) args[k] = (oldArgs as unknown[])[j];
    }
    this.items = items;
    this.args = args;
    this.head = 0;
    this.mask = n - 1;
  }
}
