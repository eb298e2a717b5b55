/**
 * The library's own primitives under asyncio-ts/testing's explore(): schedules that
 * asyncio could produce when timing differs (timers due together in either order, eager
 * and lazy first steps), checking invariants that a lucky schedule would hide. Apart from
 * the behaviour suites, which also run bundled on Deno, Bun and browsers, where the
 * testing entry (Node only) cannot go.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { explore } from "../src/testing/index.js";

const { Queue, Semaphore } = asyncio;

function drain<T>(q: asyncio.Queue<T>): T[] {
  const out: T[] = [];
  while (!q.empty()) out.push(q.getNowait());
  return out;
}

describe("Semaphore under explored schedules", () => {
  it("never admits more than its value, and loses no permit to timeouts and cancellations", async () => {
    // Timeouts and a cancellation race the hand-over of permits: timers due together fire
    // in either order, first steps run eagerly or not. A permit handed to a waiter that
    // was cancelled meanwhile must go to the next waiter, not vanish or double.
    await explore(
      function* () {
        const sem = new Semaphore(2);
        let holders = 0;
        let most = 0;
        let admitted = 0;
        function* worker(i: number): asyncio.Coroutine<void> {
          try {
            yield* asyncio.waitFor(sem.acquire(), 0.01 * (i % 3));
          } catch (e) {
            if (e instanceof asyncio.TimeoutError) return;
            throw e;
          }
          holders++;
          most = Math.max(most, holders);
          admitted++;
          try {
            yield* asyncio.sleep(0.01 * ((i % 2) + 1));
          } finally {
            holders--;
            sem.release();
          }
        }
        const tasks = Array.from({ length: 8 }, (_, i) => asyncio.createTask(worker(i)));
        yield* asyncio.sleep(0.015);
        tasks[7]?.cancel();
        yield* asyncio.gather(...tasks, { returnExceptions: true });
        expect(most).toBeLessThanOrEqual(2);
        expect(admitted).toBeGreaterThan(0);
        // Exactly the two permits are back: two acquire at once, and then it is locked.
        yield* sem.acquire();
        yield* sem.acquire();
        expect(sem.locked()).toBe(true);
      },
      { runs: 200, seed: 1, eagerTasks: true },
    );
  });
});
describe("Queue under explored schedules", () => {
  it("loses and duplicates no item when puts and gets time out around the hand-over", async () => {
    // A bounded queue with producers and consumers that give up after short timeouts:
    // an item handed to a getter whose timeout fires in the same instant must stay in
    // the queue (or reach another getter), never vanish.
    await explore(
      function* () {
        const q = new Queue<number>(2);
        const put: number[] = [];
        const got: number[] = [];
        function* producer(p: number): asyncio.Coroutine<void> {
          for (let i = 0; i < 4; i++) {
            const item = p * 10 + i;
            try {
              yield* asyncio.waitFor(q.put(item), 0.01);
              put.push(item);
            } catch (e) {
              if (!(e instanceof asyncio.TimeoutError)) throw e;
            }
          }
        }
        function* consumer(): asyncio.Coroutine<void> {
          for (let i = 0; i < 4; i++) {
            try {
              got.push(yield* asyncio.waitFor(q.get(), 0.01));
            } catch (e) {
              if (!(e instanceof asyncio.TimeoutError)) throw e;
            }
            yield* asyncio.sleep(0.01);
          }
        }
        yield* asyncio.gather(producer(1), producer(2), consumer(), consumer());
        const left = drain(q);
        expect([...got, ...left].sort()).toEqual([...put].sort());
        expect(got.length).toBeGreaterThan(0);
      },
      { runs: 200, seed: 1, eagerTasks: true },
    );
  });
});
