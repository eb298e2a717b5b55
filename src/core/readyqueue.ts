/**
 * The loop's FIFO ready queue of (runnable, argument) pairs, kept in a linked list of
 * fixed-size chunks. The argument slot lets a Future schedule an internal done-callback with
 * itself as argument without allocating a Handle.
 *
 * Why chunks and not one ring buffer that doubles: a burst of 1,000,000 task steps grew a
 * ring 1,024 → 1,048,576 slots, and every doubling left the previous array behind in V8's
 * large-object space (4 + 2 + 1 + … MiB of garbage, kept until the next full GC, which a
 * growing heap may not reach before its peak), before the 8 MiB array itself was dropped. A
 * chunk of 1,024 slots (8 KiB) is an ordinary heap object: growing appends a chunk and copies
 * nothing, and the head frees each chunk as it leaves it, so a burst's memory goes back while
 * the burst is consumed, with no shrink pass.
 *
 * Push and runHead allocate nothing in steady state: a queue that stays small cycles through
 * the same one or two chunks (up to {@link MAX_SPARES} drained chunks are kept for reuse).
 *
 * Invariant: every slot outside the queued range holds `undefined`, in `items` and in `args`
 * alike. Consumers clear the slots they take, so a push without an argument never has to
 * write to `args`, and a reused chunk needs no wiping.
 *
 * @module
 */

/** Something the loop can run: a callback Handle, a Task's step, an internal callback. */
export interface Runnable {
  /** @internal */
  _run(arg: unknown): void;
}

/**
 * Slots per chunk. 8 KiB of pointers: far below V8's large-object threshold (~128 KiB), and
 * small enough that an idle queue's chunk and two spares cost little (24 KiB).
 */
const CHUNK = 1024;
/** Drained chunks kept for reuse; the rest are left to the GC. */
const MAX_SPARES = 2;

class Chunk {
  readonly items = new Array<Runnable | undefined>(CHUNK);
  /**
   * Arguments, parallel to `items`; made at the first push into this chunk that has one.
   * Most pushes have none (a Task's step), and a burst of 1,000,000 of those should not pay
   * for a second million slots.
   */
  args: unknown[] | null = null;
  next: Chunk | null = null;
}

export class ReadyQueue {
  /** The chunk holding the head item (the oldest); `headPos` is its slot. */
  private head: Chunk;
  private headPos = 0;
  /** The chunk the next push writes to, at `tailPos` (`CHUNK` when it is full). */
  private tail: Chunk;
  private tailPos = 0;
  /**
   * The head and tail chunks' arrays, copied here so the hot paths read one field instead of
   * following the chunk. Updated whenever `head`/`tail` change or a chunk gets its `args`.
   */
  private headItems: Array<Runnable | undefined>;
  private headArgs: unknown[] | null = null;
  private tailItems: Array<Runnable | undefined>;
  private tailArgs: unknown[] | null = null;
  /** Drained chunks, linked through `next`, at most MAX_SPARES. */
  private spare: Chunk | null = null;
  private spareCount = 0;
  /** Chunks in the list from head to tail. */
  private chunkCount = 1;
  length = 0;

  constructor() {
    const c = new Chunk();
    this.head = this.tail = c;
    this.headItems = this.tailItems = c.items;
  }

  push(item: Runnable, arg?: unknown): void {
    if (this.tailPos === CHUNK) this.appendChunk();
    const i = this.tailPos++;
    this.tailItems[i] = item;
    if (arg !== undefined) {
      const args = this.tailArgs;
      if (args === null) this.firstArg(i, arg);
      else args[i] = arg;
    }
    this.length++;
  }

  /** Runs the item at the head, removing it first (so the item may push itself again). */
  runHead(): void {
    const i = this.headPos;
    const items = this.headItems;
    const item = items[i] as Runnable;
    items[i] = undefined;
    let arg: unknown;
    const args = this.headArgs;
    if (args !== null) {
      arg = args[i];
      args[i] = undefined;
    }
    this.length--;
    if (i + 1 === CHUNK) this.advanceHead();
    else this.headPos = i + 1;
    item._run(arg);
  }

  /** Removes and returns the head item (its argument is dropped). */
  shift(): Runnable {
    const i = this.headPos;
    const items = this.headItems;
    const item = items[i] as Runnable;
    items[i] = undefined;
    const args = this.headArgs;
    if (args !== null) args[i] = undefined;
    this.length--;
    if (i + 1 === CHUNK) this.advanceHead();
    else this.headPos = i + 1;
    return item;
  }

  /** The item at the head, without removing it. */
  peek(): Runnable | undefined {
    return this.length > 0 ? this.headItems[this.headPos] : undefined;
  }

  /** Removes everything (used when a loop closes). */
  clear(): void {
    while (this.length > 0) this.shift();
  }

  /** The number of slots allocated: the chunks in use and the spare ones. */
  get capacity(): number {
    return (this.chunkCount + this.spareCount) * CHUNK;
  }

  /** The first argument pushed into the tail chunk: it gets its argument array. */
  private firstArg(i: number, arg: unknown): void {
    const c = this.tail;
    const args = new Array<unknown>(CHUNK);
    args[i] = arg;
    c.args = this.tailArgs = args;
    if (this.head === c) this.headArgs = args;
  }

  /** The tail chunk is full: continue in a spare chunk, or a new one. */
  private appendChunk(): void {
    let c = this.spare;
    if (c !== null) {
      this.spare = c.next;
      c.next = null;
      this.spareCount--;
    } else {
      c = new Chunk();
    }
    this.tail.next = c;
    this.tail = c;
    this.tailItems = c.items;
    this.tailArgs = c.args;
    this.tailPos = 0;
    this.chunkCount++;
  }

  /** The head has consumed the last slot of its chunk. */
  private advanceHead(): void {
    const c = this.head;
    const next = c.next;
    this.headPos = 0;
    if (next === null) {
      // The head chunk is the tail chunk and the queue is now empty: start it over.
      this.tailPos = 0;
      return;
    }
    this.head = next;
    this.headItems = next.items;
    this.headArgs = next.args;
    this.chunkCount--;
    if (this.spareCount < MAX_SPARES) {
      c.next = this.spare;
      this.spare = c;
      this.spareCount++;
    } else {
      c.next = null;
    }
  }
}
