/**
 * The timer heap on its own, against a sorted reference: deadlines with many ties (which
 * must come out in arrival order), interleaved pushes and pops, compaction, and key arrays
 * that grow past their first capacity and shrink back after a burst.
 */
import { describe, expect, it } from "vitest";
import type { TimerEntry } from "../src/core/handles.js";
import { TimerHeap } from "../src/core/timerheap.js";

interface Entry extends TimerEntry {
  id: number;
  when: number;
}

function entry(id: number, when: number): Entry {
  return { id, when, _cancelled: false, _scheduled: true, _run() {} };
}

/** A deterministic LCG, so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
}

/** The order the heap must produce: by deadline, ties by arrival (id order here). */
const byDeadline = (a: Entry, b: Entry) => a.when - b.when || a.id - b.id;

function drain(heap: TimerHeap): Entry[] {
  const out: Entry[] = [];
  for (let h = heap.pop(); h !== undefined; h = heap.pop()) out.push(h as Entry);
  return out;
}

describe("TimerHeap", () => {
  it("pops by deadline, equal deadlines in arrival order, through growth past 4096 entries", () => {
    const heap = new TimerHeap();
    const next = rng(7);
    const all: Entry[] = [];
    for (let i = 0; i < 10_000; i++) {
      const e = entry(i, Math.floor(next() * 50)); // 50 distinct deadlines: ties everywhere
      all.push(e);
      heap.push(e, e.when);
    }
    expect(heap.size).toBe(10_000);
    expect(heap.peekWhen()).toBe(0);
    const out = drain(heap);
    expect(out.map((e) => e.id)).toEqual([...all].sort(byDeadline).map((e) => e.id));
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.peekWhen()).toBe(Number.POSITIVE_INFINITY);
  });

  it("interleaved pushes and pops agree with the reference at every step", () => {
    const heap = new TimerHeap();
    const next = rng(42);
    let pending: Entry[] = [];
    let id = 0;
    for (let step = 0; step < 10_000; step++) {
      if (pending.length === 0 || next() < 0.55) {
        const e = entry(id++, Math.floor(next() * 1000) / 10);
        pending.push(e);
        heap.push(e, e.when);
      } else {
        pending.sort(byDeadline);
        const want = pending.shift() as Entry;
        expect(heap.peekWhen()).toBe(want.when);
        expect((heap.pop() as Entry).id).toBe(want.id);
      }
    }
    pending = pending.sort(byDeadline);
    expect(drain(heap).map((e) => e.id)).toEqual(pending.map((e) => e.id));
  });

  it("compact() drops the cancelled entries and keeps the order of the rest", () => {
    const heap = new TimerHeap();
    const next = rng(3);
    const all: Entry[] = [];
    for (let i = 0; i < 9000; i++) {
      const e = entry(i, Math.floor(next() * 100));
      all.push(e);
      heap.push(e, e.when);
    }
    for (const e of all) if (e.id % 3 !== 0) e._cancelled = true;
    heap.compact((h) => h._cancelled);
    expect(heap.size).toBe(3000);
    const live = all.filter((e) => !e._cancelled).sort(byDeadline);
    expect(drain(heap).map((e) => e.id)).toEqual(live.map((e) => e.id));
  });

  it("keeps working after shrinking: a burst drained, then new timers arrive", () => {
    const heap = new TimerHeap();
    for (let i = 0; i < 50_000; i++) heap.push(entry(i, 50_000 - i), 50_000 - i);
    for (let i = 0; i < 49_990; i++) heap.pop(); // shrinks the key arrays several times
    expect(heap.size).toBe(10);
    // The ten left are the latest deadlines: 49,991 … 50,000; later arrivals tie with them.
    heap.push(entry(100_000, 49_995), 49_995);
    heap.push(entry(100_001, 1), 1);
    const out = drain(heap);
    expect(out.map((e) => e.when)).toEqual([
      1, 49_991, 49_992, 49_993, 49_994, 49_995, 49_995, 49_996, 49_997, 49_998, 49_999, 50_000,
    ]);
    // Of the two due at 49,995, the one that arrived first comes out first.
    expect(out.filter((e) => e.when === 49_995).map((e) => e.id)).toEqual([5, 100_000]);
  });

  it("clear() empties it and it accepts timers again; deadlines() reports each entry's key", () => {
    const heap = new TimerHeap();
    const a = entry(1, 2.5);
    const b = entry(2, 0.25);
    heap.push(a, 2.5);
    heap.push(b, 0.25);
    expect([...heap.deadlines().entries()].map(([e, w]) => [(e as Entry).id, w])).toEqual(
      expect.arrayContaining([
        [1, 2.5],
        [2, 0.25],
      ]),
    );
    expect(heap.clear().length).toBe(2);
    expect(heap.size).toBe(0);
    heap.push(a, 7);
    expect(heap.peekWhen()).toBe(7);
    expect(heap.pop()).toBe(a);
  });

  it("compact() that cancels everything leaves nothing to peek at", () => {
    const heap = new TimerHeap();
    // 100 entries: few enough that compact() keeps its arrays rather than making new ones.
    const all = Array.from({ length: 100 }, (_, i) => entry(i, i % 17));
    for (const e of all) heap.push(e, e.when);
    heap.compact(() => true);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined(); // not a stale, cancelled entry left in slot 0
    expect(heap.peekWhen()).toBe(Number.POSITIVE_INFINITY);
    expect(heap.pop()).toBeUndefined();
    expect(heap.deadlines().size).toBe(0);
    const e = entry(9999, 3);
    heap.push(e, 3);
    expect(heap.size).toBe(1);
    expect(heap.pop()).toBe(e);
  });

  it("pop() on an empty heap changes nothing; clear() returns exactly the live entries", () => {
    const heap = new TimerHeap();
    expect(heap.pop()).toBeUndefined();
    expect(heap.size).toBe(0);
    const all = Array.from({ length: 300 }, (_, i) => entry(i, 300 - i));
    for (const e of all) heap.push(e, e.when);
    for (let i = 0; i < 100; i++) heap.pop(); // the 100 latest-pushed: deadlines 1 … 100
    const rest = heap.clear() as Entry[];
    expect(rest).toHaveLength(200);
    expect(new Set(rest.map((e) => e.id))).toEqual(new Set(all.slice(0, 200).map((e) => e.id)));
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it("renumbering arrival order when it runs out keeps ties first-come first-served", () => {
    // 64 arrival numbers instead of 2^31: renumbered every few dozen pushes, with up to 40
    // entries live, most of them tied with others (8 distinct deadlines).
    const heap = new TimerHeap(64);
    const next = rng(11);
    let pending: Entry[] = [];
    let id = 0;
    for (let step = 0; step < 20_000; step++) {
      if (pending.length === 0 || (pending.length < 40 && next() < 0.5)) {
        const e = entry(id++, Math.floor(next() * 8));
        pending.push(e);
        heap.push(e, e.when);
      } else {
        pending.sort(byDeadline);
        const want = pending.shift() as Entry;
        expect((heap.pop() as Entry).id).toBe(want.id);
      }
    }
    pending = pending.sort(byDeadline);
    expect(drain(heap).map((e) => e.id)).toEqual(pending.map((e) => e.id));
  });

  it("renumbering amid a run of equal deadlines, then compaction", () => {
    const heap = new TimerHeap(100);
    const all: Entry[] = [];
    const push = (e: Entry) => {
      all.push(e);
      heap.push(e, e.when);
    };
    for (let i = 0; i < 90; i++) push(entry(i, 5)); // 90 tied entries, seqs 0 … 89
    // Then one in, one out: 90 live, renumbered every ten pushes; a third tie with the first.
    for (let i = 90; i < 5090; i++) {
      push(entry(i, i % 3 === 0 ? 5 : 5 + (i % 7)));
      const popped = heap.pop() as Entry;
      expect(popped).toBe([...all].sort(byDeadline)[0]);
      all.splice(all.indexOf(popped), 1);
    }
    for (const e of all) if (e.id % 5 === 0) e._cancelled = true;
    heap.compact((h) => h._cancelled);
    const live = all.filter((e) => !e._cancelled).sort(byDeadline);
    expect(drain(heap).map((e) => e.id)).toEqual(live.map((e) => e.id));
  });
});
