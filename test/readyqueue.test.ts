/**
 * The ready queue on its own: FIFO order with arguments across chunk boundaries, reuse of
 * drained chunks, and memory given back after a burst without losing or reordering what is
 * still queued.
 */
import { describe, expect, it } from "vitest";
import { ReadyQueue, type Runnable } from "../src/core/readyqueue.js";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

function recorder(log: unknown[]): Runnable {
  return { _run: (arg) => log.push(arg) };
}

describe("ReadyQueue", () => {
  it("keeps FIFO order with each item's argument across chunk boundaries", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const r = recorder(log);
    let pushed = 0;
    // Interleave pushes and runs so head and tail cross chunk boundaries while it grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.push(r, pushed++);
      for (let i = 0; i < 200; i++) q.runHead();
    }
    while (q.length > 0) q.runHead();
    expect(log).toEqual(Array.from({ length: pushed }, (_, i) => i));
    expect(q.capacity).toBeGreaterThanOrEqual(1024);
  });

  it("items pushed without an argument, then with, then without, keep their own across chunks", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const r = recorder(log);
    const expected: unknown[] = [];
    for (let i = 0; i < 5000; i++) {
      const arg = i < 1500 || i >= 4000 ? undefined : i; // the argument array appears mid-way
      q.push(r, arg);
      expected.push(arg);
      if (i % 7 === 0) {
        q.runHead();
      }
    }
    while (q.length > 0) q.runHead();
    expect(log).toEqual(expected);
  });

  it("gives a burst's chunks back as they drain, keeping two spares, with no shrink pass", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const r = recorder(log);
    expect(q.capacity).toBe(1024);
    for (let i = 0; i < 200_000; i++) q.push(r, i);
    expect(q.capacity).toBe(196 * 1024); // ⌈200,000 / 1,024⌉ chunks: no power-of-two overshoot
    for (let i = 0; i < 199_000; i++) q.runHead();
    // 1,000 left, in slots 199,000 … 199,999: chunks 194 and 195, and two drained spares.
    expect(q.capacity).toBe(4 * 1024);
    while (q.length > 0) q.runHead();
    expect(q.capacity).toBe(3 * 1024);
    expect(log).toEqual(Array.from({ length: 200_000 }, (_, i) => i));
  });

  it("reuses its spare chunks before making new ones", () => {
    const q = new ReadyQueue();
    const r = recorder([]);
    for (let i = 0; i < 5 * 1024; i++) q.push(r);
    while (q.length > 0) q.runHead();
    // Empty in the last chunk (slot 1,024: it restarted at 0), two spares kept.
    expect(q.capacity).toBe(3 * 1024);
    // The head chunk takes 1,024 pushes; the next 2,048 go to the two spares.
    for (let i = 0; i < 3 * 1024; i++) q.push(r);
    expect(q.capacity).toBe(3 * 1024);
    q.push(r); // one more than the spares hold: a new chunk
    expect(q.capacity).toBe(4 * 1024);
  });

  it("a reused chunk that once held arguments gives none to items pushed without one", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const r = recorder(log);
    for (let i = 0; i < 2048; i++) q.push(r, `a${i}`); // two chunks, each with arguments
    q.push(r); // a third chunk, without arguments
    for (let i = 0; i < 2048; i++) q.runHead(); // the first two drain and become spares
    log.length = 0;
    for (let i = 0; i < 3000; i++) q.push(r, i % 3 === 0 ? i : undefined); // through both spares
    while (q.length > 0) q.runHead();
    expect(log).toEqual([
      undefined,
      ...Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? i : undefined)),
    ]);
  });

  it("an item that pushes itself again as it runs stays in one chunk", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    let k = 0;
    const self: Runnable = {
      _run(arg) {
        log.push(arg);
        if (++k < 5000) q.push(self, k);
      },
    };
    q.push(self, 0);
    while (q.length > 0) q.runHead();
    expect(log).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(q.capacity).toBe(1024); // emptied at a chunk's end, it starts that chunk over
  });

  it("peek() and shift() follow the head across a chunk boundary", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const items = Array.from({ length: 2100 }, () => recorder(log));
    for (const [i, it] of items.entries()) q.push(it, i);
    for (let i = 0; i < 1023; i++) expect(q.shift()).toBe(items[i]);
    expect(q.peek()).toBe(items[1023]); // the last slot of the first chunk
    expect(q.shift()).toBe(items[1023]);
    expect(q.peek()).toBe(items[1024]); // the first slot of the second
    q.runHead(); // its argument survived the shifts before it
    expect(log).toEqual([1024]);
    expect(q.length).toBe(2100 - 1025);
  });

  it("clear() empties it across chunks; what is pushed next runs with its own arguments", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const r = recorder(log);
    for (let i = 0; i < 3000; i++) q.push(r, `old${i}`);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
    expect(q.capacity).toBe(3 * 1024); // the last chunk and two spares
    for (let i = 0; i < 1500; i++) q.push(r, i % 2 === 0 ? i : undefined);
    while (q.length > 0) q.runHead();
    expect(log).toEqual(Array.from({ length: 1500 }, (_, i) => (i % 2 === 0 ? i : undefined)));
    expect(log).toHaveLength(1500);
  });

  it("the loop's queue gives back a burst of 100,000 callbacks once they have run", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      let ran = 0;
      for (let i = 0; i < 100_000; i++) loop.callSoon(() => ran++);
      const peak = loop._ready.capacity;
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      return [ran, peak, loop._ready.capacity];
    }
    const { result } = await runVirtual(main());
    const [ran, peak, after] = result as number[];
    expect(ran).toBe(100_000);
    expect(peak).toBeGreaterThanOrEqual(100_000);
    expect(peak).toBeLessThan(100_000 + 4 * 1024); // whole chunks, no doubling
    expect(after).toBe(3 * 1024); // one chunk in use and two spares
  });
});
