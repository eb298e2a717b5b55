/**
 * The loop's timer queue: a binary min-heap of TimerEntrys ordered by (deadline, seq),
 * where seq is the order of arrival, so equal deadlines fire first-come first-served.
 *
 * The keys live beside the entries, in typed arrays, not on the entries. A deadline stored
 * on an object is a boxed double (a 16-byte HeapNumber per timer), and 1,000,000 sleeping
 * tasks are 1,000,000 timers; comparisons also read flat memory instead of following a
 * pointer per entry.
 *
 * Deadlines are Float64; arrival numbers are Int32 (4 bytes a timer less than Float64). An
 * Int32 runs out after 2^31 pushes, so when the next number would not fit, the live entries
 * are renumbered 0 … size-1 in their current seq order and numbering continues from size.
 * That never misorders: only the relative order of seqs is ever compared, renumbering keeps
 * it among the live entries (so the heap stays a heap, unchanged), and every later push gets
 * a number above all of them, as it would have before. It costs an O(n log n) sort once per
 * 2^31 timers.
 *
 * The entries array has the same explicit capacity as the key arrays and grows with them, by
 * doubling. Grown by `push`, V8 would size it 1.5× + 16 on its own schedule, and at a million
 * timers each step leaves a multi-megabyte array behind in the large-object space; doubling
 * leaves half as much behind and, at 2^20 slots, fits 1,000,000 timers exactly.
 * Slots at or past `size` hold `undefined`, so a popped entry is not kept alive.
 *
 * Cancelled timers are dropped lazily, when they reach the top; the loop compacts the heap
 * when most of it is cancelled, so a program that arms and cancels many long timers (every
 * `waitFor` does) keeps a small heap.
 *
 * @module
 */

import type { TimerEntry } from "./handles.js";

const INITIAL_CAPACITY = 64;
/** Key arrays larger than this shrink by half once a quarter full (after a burst of timers). */
const SHRINK_ABOVE = 4096;
/** Arrival numbers are in [0, SEQ_LIMIT): what an Int32Array holds. */
const SEQ_LIMIT = 2 ** 31;

export class TimerHeap {
  /** Entries in heap order in slots [0, size); `undefined` beyond. Same length as the keys. */
  private items = new Array<TimerEntry | undefined>(INITIAL_CAPACITY);
  private whens = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Int32Array(INITIAL_CAPACITY);
  private n = 0;
  private nextSeq = 0;

  /**
   * @param seqLimit How many arrival numbers there are before a renumbering. Only tests pass
   *   it, to renumber after a few pushes instead of 2^31. With as many entries live as
   *   numbers, every push would renumber: still in order, but slow (2^31 entries are more
   *   than the arrays can hold, so the default never gets there).
   */
  constructor(private readonly seqLimit = SEQ_LIMIT) {}

  get size(): number {
    return this.n;
  }

  /** The entry with the earliest deadline, or undefined when empty. */
  peek(): TimerEntry | undefined {
    return this.items[0];
  }

  /** The earliest deadline; `Infinity` when empty. */
  peekWhen(): number {
    return this.n > 0 ? (this.whens[0] as number) : Number.POSITIVE_INFINITY;
  }

  /** Adds `h` due at loop time `when`, after every entry already due at that time. */
  push(h: TimerEntry, when: number): void {
    const i = this.n;
    if (i === this.whens.length) this.grow();
    let seq = this.nextSeq;
    if (seq >= this.seqLimit) seq = this.renumber();
    this.nextSeq = seq + 1;
    this.n = i + 1;
    this.up(i, h, when, seq);
  }

  pop(): TimerEntry | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const n = this.n - 1;
    this.n = n;
    const last = items[n] as TimerEntry;
    items[n] = undefined;
    if (n > 0) this.down(0, last, this.whens[n] as number, this.seqs[n] as number);
    if (n < this.whens.length >> 2 && this.whens.length > SHRINK_ABOVE)
      this.resize(this.whens.length >> 1);
    return top;
  }

  /** Removes every cancelled entry and restores the heap, in O(n). */
  compact(isCancelled: (h: TimerEntry) => boolean): void {
    const { items, whens, seqs } = this;
    const n = this.n;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const h = items[i] as TimerEntry;
      if (isCancelled(h)) continue;
      items[k] = h;
      whens[k] = whens[i] as number;
      seqs[k] = seqs[i] as number;
      k++;
    }
    items.fill(undefined, k, n);
    this.n = k;
    while (k < this.whens.length >> 2 && this.whens.length > SHRINK_ABOVE) {
      this.resize(this.whens.length >> 1);
    }
    for (let i = (k >> 1) - 1; i >= 0; i--) {
      this.down(i, this.items[i] as TimerEntry, this.whens[i] as number, this.seqs[i] as number);
    }
  }

  /** Removes and returns everything (for close()). */
  clear(): TimerEntry[] {
    const out = this.items.slice(0, this.n) as TimerEntry[];
    this.items = new Array<TimerEntry | undefined>(INITIAL_CAPACITY);
    this.whens = new Float64Array(INITIAL_CAPACITY);
    this.seqs = new Int32Array(INITIAL_CAPACITY);
    this.n = 0;
    return out;
  }

  /** Each entry's deadline, for debugging output (O(n)). */
  deadlines(): Map<TimerEntry, number> {
    const out = new Map<TimerEntry, number>();
    for (let i = 0; i < this.n; i++) out.set(this.items[i] as TimerEntry, this.whens[i] as number);
    return out;
  }

  private grow(): void {
    this.resize(this.whens.length * 2);
  }

  /** New entry and key arrays of `capacity` slots (at least `size`), contents copied. */
  private resize(capacity: number): void {
    const n = this.n;
    const old = this.items;
    const items = new Array<TimerEntry | undefined>(capacity);
    for (let i = 0; i < n; i++) items[i] = old[i];
    this.items = items;
    const whens = new Float64Array(capacity);
    whens.set(this.whens.subarray(0, n));
    this.whens = whens;
    const seqs = new Int32Array(capacity);
    seqs.set(this.seqs.subarray(0, n));
    this.seqs = seqs;
  }

  /**
   * Gives the live entries the arrival numbers 0 … size-1 in the order of their current
   * ones (which are distinct) and returns size, the next number to give out.
   */
  private renumber(): number {
    const n = this.n;
    const seqs = this.seqs;
    const bySeq = Array.from({ length: n }, (_, i) => i);
    bySeq.sort((a, b) => (seqs[a] as number) - (seqs[b] as number));
    for (let rank = 0; rank < n; rank++) seqs[bySeq[rank] as number] = rank;
    return n;
  }

  /** Places (h, when, seq) at slot i or above it. */
  private up(i: number, h: TimerEntry, when: number, seq: number): void {
    const { items, whens, seqs } = this;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pw = whens[p] as number;
      if (pw < when || (pw === when && (seqs[p] as number) < seq)) break;
      items[i] = items[p] as TimerEntry;
      whens[i] = pw;
      seqs[i] = seqs[p] as number;
      i = p;
    }
    items[i] = h;
    whens[i] = when;
    seqs[i] = seq;
  }

  /** Places (h, when, seq) at slot i or below it. */
  private down(i: number, h: TimerEntry, when: number, seq: number): void {
    const { items, whens, seqs, n } = this;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      let cw = whens[l] as number;
      let cs = seqs[l] as number;
      const r = l + 1;
      if (r < n) {
        const rw = whens[r] as number;
        const rs = seqs[r] as number;
        if (rw < cw || (rw === cw && rs < cs)) {
          c = r;
          cw = rw;
          cs = rs;
        }
      }
      if (when < cw || (when === cw && seq < cs)) break;
      items[i] = items[c] as TimerEntry;
      whens[i] = cw;
      seqs[i] = cs;
      i = c;
    }
    items[i] = h;
    whens[i] = when;
    seqs[i] = seq;
  }
}
