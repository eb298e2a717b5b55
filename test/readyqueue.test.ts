/**
 * The ready queue on its own: FIFO order with arguments across growth and wrap-around, and
 * giving memory back after a burst without losing or reordering what is still queued.
 */
import { describe, expect, it } from "vitest";
import { ReadyQueue, type Runnable } from "../src/core/readyqueue.js";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

function recorder(log: unknown[]): Runnable {
  return { _run: (arg) => log.push(arg) };
}

describe("ReadyQueue", () => {
  it("keeps FIFO order with each item's argument across growth and wrap-around", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const r = recorder(log);
    let pushed = 0;
    // Interleave pushes and runs so the head wraps around while the buffer grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.push(r, pushed++);
      for (let i = 0; i < 200; i++) q.runHead();
    }
    while (q.length > 0) q.runHead();
    expect(log).toEqual(Array.from({ length: pushed }, (_, i) => i));
    expect(q.capacity).toBeGreaterThanOrEqual(1024);
  });

  it("items pushed without an argument, then with, then without, keep their own across growth", () => {
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

  it("shrinkIfSparse() gives back a burst's slots, keeping what is queued in order", () => {
    const q = new ReadyQueue();
    const log: unknown[] = [];
    const r = recorder(log);
    for (let i = 0; i < 200_000; i++) q.push(r, i);
    expect(q.capacity).toBe(262_144);
    q.shrinkIfSparse(); // full: nothing to give back
    expect(q.capacity).toBe(262_144);
    for (let i = 0; i < 199_000; i++) q.runHead();
    q.shrinkIfSparse();
    expect(q.capacity).toBe(2048); // 1,000 left: halved while under a quarter full
    while (q.length > 0) q.runHead();
    q.shrinkIfSparse(); // at 2,048 slots it is below the threshold: left alone
    expect(q.capacity).toBe(2048);
    expect(log).toEqual(Array.from({ length: 200_000 }, (_, i) => i));
  });

  it("the loop shrinks its queue after a burst of 100,000 callbacks", async () => {
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
    expect(result).toEqual([100_000, 131_072, 1024]);
  });
});
