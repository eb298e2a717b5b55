/**
 * The loop's timer queue: a binary min-heap of TimerEntrys ordered by (when, seq).
 *
 * Cancelled timers are dropped lazily, when they reach the top; the loop compacts the heap
 * when most of it is cancelled, so a program that arms and cancels many long timers (every
 * `waitFor` does) keeps a small heap.
 *
 * @module
 */

import type { TimerEntry } from "./handles.js";

const before = (a: TimerEntry, b: TimerEntry): boolean =>
  a._when < b._when || (a._when === b._when && a._seq < b._seq);

export class TimerHeap {
  private readonly items: TimerEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): TimerEntry | undefined {
    return this.items[0];
  }

  push(h: TimerEntry): void {
    const items = this.items;
    items.push(h);
    this.up(items.length - 1);
  }

  pop(): TimerEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) return undefined;
    if (items.length > 0) {
      items[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Removes every cancelled handle and restores the heap, in O(n). */
  compact(isCancelled: (h: TimerEntry) => boolean): void {
    const kept = this.items.filter((h) => !isCancelled(h));
    this.items.length = 0;
    for (const h of kept) this.items.push(h);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** Removes and returns everything (for close()). */
  clear(): TimerEntry[] {
    return this.items.splice(0);
  }

  private up(i: number): void {
    const items = this.items;
    const h = items[i] as TimerEntry;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p] as TimerEntry;
      if (!before(h, parent)) break;
      items[i] = parent;
      i = p;
    }
    items[i] = h;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const h = items[i] as TimerEntry;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(items[r] as TimerEntry, items[l] as TimerEntry)) c = r;
      const child = items[c] as TimerEntry;
      if (!before(child, h)) break;
      items[i] = child;
      i = c;
    }
    items[i] = h;
  }
}
