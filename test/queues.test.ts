import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, runOn, ticks, virtualOnly } from "./helpers.js";

const { Queue, LifoQueue, PriorityQueue, QueueEmpty, QueueFull, QueueShutDown } = asyncio;

function spawn<T>(coro: asyncio.Coroutine<T>, name?: string): asyncio.Task<T> {
  return asyncio.createTask(coro, name === undefined ? {} : { name });
}

function drain<T>(q: asyncio.Queue<T>): T[] {
  const out: T[] = [];
  while (!q.empty()) out.push(q.getNowait());
  return out;
}

describe("Queue: construction and state", () => {
  it("rejects a maxsize that is not an integer", () => {
    expect(() => new Queue("10" as never)).toThrow(
      new TypeError("Cannot create Queue: 'maxsize' must be a number: received \"10\""),
    );
    expect(() => new Queue(1.5)).toThrow(
      new RangeError(
        "Cannot create Queue: 'maxsize' must be an integer (0 or less for unbounded): received 1.5",
      ),
    );
    expect(() => new PriorityQueue(Number.NaN)).toThrow(
      "Cannot create PriorityQueue: 'maxsize' must be an integer (0 or less for unbounded): received NaN",
    );
  });

  it("reports maxsize, qsize, empty and full", () => {
    const q = new Queue<number>(2);
    expect(q.maxsize).toBe(2);
    expect([q.qsize(), q.empty(), q.full()]).toEqual([0, true, false]);
    q.putNowait(1);
    expect([q.qsize(), q.empty(), q.full()]).toEqual([1, false, false]);
    q.putNowait(2);
    expect([q.qsize(), q.empty(), q.full()]).toEqual([2, false, true]);
    expect(String(q)).toBe("<Queue maxsize=2 qsize=2 tasks=2>");
  });

  it("is unbounded with maxsize 0, a negative maxsize or Infinity", () => {
    for (const maxsize of [0, -1, Infinity]) {
      const q = new Queue<number>(maxsize);
      for (let i = 0; i < 1000; i++) q.putNowait(i);
      expect(q.full()).toBe(false);
      expect(drain(q)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    }
    expect(new Queue().maxsize).toBe(0);
  });

  it("putNowait() and getNowait() throw QueueFull and QueueEmpty", () => {
    const q = new Queue<string>(1);
    const empty = (() => {
      try {
        q.getNowait();
      } catch (e) {
        return e;
      }
    })();
    expect(empty).toBeInstanceOf(QueueEmpty);
    expect(empty).toBeInstanceOf(Error);
    expect((empty as Error).name).toBe("QueueEmpty");
    expect((empty as Error).message).toBe("getNowait(): the queue is empty");
    q.putNowait("a");
    expect(() => q.putNowait("b")).toThrow(QueueFull);
    expect(() => q.putNowait("b")).toThrow("putNowait(): the queue is full (maxsize 1)");
    expect(drain(q)).toEqual(["a"]);
  });
});

describe("Queue: put and get", () => {
  it("keeps FIFO order across a growing buffer", () => {
    const q = new Queue<number>();
    const out: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) q.putNowait(round * 100 + i);
      for (let i = 0; i < 7; i++) out.push(q.getNowait());
    }
    out.push(...drain(q));
    const expected = [0, 1, 2, 3, 4].flatMap((r) =>
      Array.from({ length: 20 }, (_, i) => r * 100 + i),
    );
    expect(out).toEqual(expected);
  });

  it("put() and get() do not suspend when they can complete at once", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>(1);
        const order: string[] = [];
        const other = spawn(
          (function* () {
            order.push("other");
          })(),
        );
        yield* q.put(1);
        order.push("put");
        expect(yield* q.get()).toBe(1);
        order.push("get");
        yield* other;
        expect(order).toEqual(["put", "get", "other"]);
      })(),
    );
  });

  it("put() and get() are lazy: nothing happens until awaited", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        const put = q.put(1);
        expect(q.qsize()).toBe(0);
        yield* put;
        expect(q.qsize()).toBe(1);
        const get = q.get();
        expect(q.qsize()).toBe(1);
        expect(yield* get).toBe(1);
        // Awaiting a finished operation again yields nothing more, as a finished generator.
        expect(yield* get).toBe(undefined);
      })(),
    );
  });

  it("put() and get() can be wrapped in tasks", async () => {
    await runOn(
      (function* () {
        const q = new Queue<string>();
        const getter = spawn(q.get());
        yield* ticks();
        yield* spawn(q.put("via task"));
        expect(yield* getter).toBe("via task");
      })(),
    );
  });

  it("serves waiting getters in FIFO order", async () => {
    const { result } = await runOn(
      (function* () {
        const q = new Queue<number>();
        const got: string[] = [];
        const getters = ["a", "b", "c"].map((name) =>
          spawn(
            (function* () {
              got.push(`${name}=${yield* q.get()}`);
            })(),
          ),
        );
        yield* ticks();
        expect(String(q)).toBe("<Queue maxsize=0 qsize=0 getters[3]>");
        for (const i of [1, 2, 3]) q.putNowait(i);
        yield* asyncio.gather(...getters);
        return got;
      })(),
    );
    expect(result).toEqual(["a=1", "b=2", "c=3"]);
  });

  it("serves waiting putters in FIFO order", async () => {
    const { result } = await runOn(
      (function* () {
        const q = new Queue<string>(1);
        q.putNowait("first");
        const putters = ["a", "b", "c"].map((name) => spawn(q.put(name)));
        yield* ticks();
        expect(String(q)).toBe("<Queue maxsize=1 qsize=1 putters[3] tasks=1>");
        const out: string[] = [];
        for (let i = 0; i < 4; i++) out.push(yield* q.get());
        yield* asyncio.gather(...putters);
        return out;
      })(),
    );
    expect(result).toEqual(["first", "a", "b", "c"]);
  });

  it("a bounded queue applies backpressure to a fast producer", async () => {
    virtualOnly("sleeps 6+ s of virtual time");
    const { result, elapsed } = await runOn(
      (function* () {
        const q = new Queue<number>(2);
        const loop = asyncio.getRunningLoop();
        const putAt: number[] = [];
        const producer = spawn(
          (function* () {
            for (let i = 0; i < 6; i++) {
              yield* q.put(i);
              putAt.push(loop.time());
            }
          })(),
        );
        const consumer = spawn(
          (function* () {
            const got: number[] = [];
            for (let i = 0; i < 6; i++) {
              yield* asyncio.sleep(1);
              got.push(yield* q.get());
              expect(q.qsize()).toBeLessThanOrEqual(2);
            }
            return got;
          })(),
        );
        yield* producer;
        return { putAt, got: yield* consumer };
      })(),
    );
    // Two go in at once; after that the producer moves at the consumer's pace.
    expect(result.putAt).toEqual([0, 0, 1, 2, 3, 4]);
    expect(result.got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(elapsed).toBe(6);
  });

  it("a getter that loses the race for an item waits again", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        const a = spawn(q.get(), "a");
        yield* ticks();
        q.putNowait(1); // wakes a…
        expect(q.getNowait()).toBe(1); // …but the item is taken before a runs
        yield* ticks(2);
        expect(a.done()).toBe(false);
        q.putNowait(2);
        expect(yield* a).toBe(2);
      })(),
    );
  });
});

describe("Queue: cancellation", () => {
  it("a get() or put() task cancelled before its first step does nothing", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        q.putNowait(1);
        const g = spawn(q.get());
        const p = spawn(q.put(2));
        g.cancel();
        p.cancel();
        expect(yield* caught(g)).toBeInstanceOf(asyncio.CancelledError);
        expect(yield* caught(p)).toBeInstanceOf(asyncio.CancelledError);
        expect(drain(q)).toEqual([1]);
      })(),
    );
  });

  it("a cancelled waiting get() takes no item", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        const a = spawn(q.get());
        yield* ticks();
        a.cancel();
        expect(yield* caught(a)).toBeInstanceOf(asyncio.CancelledError);
        q.putNowait(1);
        expect(String(q)).toBe("<Queue maxsize=0 qsize=1 tasks=1>");
        expect(q.getNowait()).toBe(1);
      })(),
    );
  });

  it("a get() cancelled at the moment it is woken leaves the item to the next getter", async () => {
    await runOn(
      (function* () {
        const q = new Queue<string>();
        const a = spawn(q.get(), "a");
        const b = spawn(q.get(), "b");
        yield* ticks();
        q.putNowait("item"); // wakes a…
        a.cancel(); // …which is cancelled before it runs
        expect(yield* caught(a)).toBeInstanceOf(asyncio.CancelledError);
        expect(yield* b).toBe("item");
        expect(q.empty()).toBe(true);
      })(),
    );
  });

  it("a get() cancelled when woken keeps the item in the queue if nobody else waits", async () => {
    await runOn(
      (function* () {
        const q = new Queue<string>();
        const a = spawn(q.get());
        yield* ticks();
        q.putNowait("kept");
        a.cancel();
        yield* caught(a);
        expect(q.qsize()).toBe(1);
        expect(yield* q.get()).toBe("kept");
      })(),
    );
  });

  it("a cancelled waiting put() inserts nothing", async () => {
    await runOn(
      (function* () {
        const q = new Queue<string>(1);
        q.putNowait("a");
        const p = spawn(q.put("never"));
        yield* ticks();
        p.cancel();
        expect(yield* caught(p)).toBeInstanceOf(asyncio.CancelledError);
        expect(q.getNowait()).toBe("a");
        yield* ticks(3);
        expect(q.empty()).toBe(true);
      })(),
    );
  });

  it("a put() cancelled at the moment it is woken hands the free slot to the next putter", async () => {
    await runOn(
      (function* () {
        const q = new Queue<string>(1);
        q.putNowait("a");
        const p1 = spawn(q.put("p1"), "p1");
        const p2 = spawn(q.put("p2"), "p2");
        yield* ticks();
        expect(q.getNowait()).toBe("a"); // wakes p1…
        p1.cancel(); // …which is cancelled before it runs
        expect(yield* caught(p1)).toBeInstanceOf(asyncio.CancelledError);
        yield* p2;
        expect(drain(q)).toEqual(["p2"]);
      })(),
    );
  });

  it("a cancelled join() leaves the queue unchanged", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        q.putNowait(1);
        const j = spawn(q.join());
        yield* ticks();
        j.cancel();
        expect(yield* caught(j)).toBeInstanceOf(asyncio.CancelledError);
        q.getNowait();
        q.taskDone();
        yield* q.join();
      })(),
    );
  });
});

describe("Queue: taskDone and join", () => {
  it("join() returns at once when every item was marked done", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        const order: string[] = [];
        const other = spawn(
          (function* () {
            order.push("other");
          })(),
        );
        yield* q.join();
        order.push("joined");
        yield* other;
        expect(order).toEqual(["joined", "other"]);
      })(),
    );
  });

  it("join() waits until taskDone() was called for every item", async () => {
    virtualOnly("sleeps 6+ s of virtual time");
    const { elapsed } = await runOn(
      (function* () {
        const q = new Queue<number>();
        for (const i of [1, 2, 3]) q.putNowait(i);
        const worker = spawn(
          q.consume(function* (n) {
            yield* asyncio.sleep(n);
            q.taskDone();
          }),
        );
        yield* q.join();
        expect(q.empty()).toBe(true);
        q.shutdown();
        yield* worker;
      })(),
    );
    expect(elapsed).toBe(6);
  });

  it("taskDone() called too many times throws RangeError", () => {
    const q = new Queue<number>();
    expect(() => q.taskDone()).toThrow(new RangeError("taskDone() called too many times"));
    q.putNowait(1);
    q.getNowait();
    q.taskDone();
    expect(() => q.taskDone()).toThrow(RangeError);
  });
});

describe("Queue: shutdown", () => {
  it("wakes every waiting getter and putter with QueueShutDown", async () => {
    await runOn(
      (function* () {
        const empty = new Queue<number>();
        const getters = [1, 2, 3].map(() => spawn(empty.get()));
        const full = new Queue<number>(1);
        full.putNowait(0);
        const putters = [1, 2, 3].map((i) => spawn(full.put(i)));
        yield* ticks();
        empty.shutdown();
        full.shutdown();
        for (const t of getters) {
          const err = yield* caught(t);
          expect(err).toBeInstanceOf(QueueShutDown);
          expect((err as Error).message).toBe("get(): the queue is shut down and empty");
        }
        for (const t of putters) {
          const err = yield* caught(t);
          expect(err).toBeInstanceOf(QueueShutDown);
          expect((err as Error).message).toBe("put(): the queue is shut down");
        }
        expect(drain(full)).toEqual([0]);
        expect(String(full)).toBe("<Queue maxsize=1 qsize=0 tasks=1 shutdown>");
      })(),
    );
  });

  it("refuses later puts, and later gets once the remaining items are taken", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>(5);
        q.putNowait(1);
        q.putNowait(2);
        q.shutdown();
        expect(q.isShutDown()).toBe(true);
        expect(() => q.putNowait(3)).toThrow(
          new QueueShutDown("putNowait(): the queue is shut down"),
        );
        expect(yield* caught(q.put(3))).toEqual(new QueueShutDown("put(): the queue is shut down"));
        expect(yield* q.get()).toBe(1);
        expect(q.getNowait()).toBe(2);
        expect(() => q.getNowait()).toThrow("getNowait(): the queue is shut down and empty");
        expect(yield* caught(q.get())).toEqual(
          new QueueShutDown("get(): the queue is shut down and empty"),
        );
      })(),
    );
  });

  it("a putter woken by a free slot after shutdown() fails instead of putting", async () => {
    await runOn(
      (function* () {
        const q = new Queue<string>(1);
        q.putNowait("a");
        const p = spawn(q.put("late"));
        yield* ticks();
        expect(q.getNowait()).toBe("a"); // wakes the putter…
        q.shutdown(); // …but the queue is shut down before it runs
        expect(yield* caught(p)).toEqual(new QueueShutDown("put(): the queue is shut down"));
        expect(q.empty()).toBe(true);
      })(),
    );
  });

  it("shutdown(true) drops the items, fails getters at once and releases join()", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        for (const i of [1, 2, 3]) q.putNowait(i);
        expect(q.getNowait()).toBe(1); // taken, not marked done
        const joiner = spawn(q.join());
        yield* ticks();
        q.shutdown(true);
        expect(q.qsize()).toBe(0);
        yield* ticks();
        expect(joiner.done()).toBe(false); // the item that was taken is still unfinished
        q.taskDone();
        yield* joiner;
        expect(yield* caught(q.get())).toBeInstanceOf(QueueShutDown);
        expect(() => q.taskDone()).toThrow(RangeError);
      })(),
    );
  });

  it("shutdown(true) wakes a blocked join() when nothing was taken", async () => {
    virtualOnly("asserts virtual times");
    const { result, elapsed } = await runOn(
      (function* () {
        const q = new Queue<number>();
        q.putNowait(1);
        const joiner = spawn(q.join());
        yield* ticks();
        const blockedBefore = !joiner.done();
        q.shutdown(true); // drops the item and its unfinished-task count
        yield* ticks();
        return [blockedBefore, joiner.done(), q.qsize(), yield* joiner];
      })(),
    );
    expect(result).toEqual([true, true, 0, undefined]);
    expect(elapsed).toBe(0);
  });

  it("shutdown() rejects a non-boolean", () => {
    expect(() => new Queue().shutdown(1 as never)).toThrow(
      new TypeError("Queue.shutdown(): 'immediate' must be a boolean: received 1"),
    );
  });
});

describe("Queue: consuming until shutdown", () => {
  it("consume() runs the body for every item until shutdown", async () => {
    virtualOnly("asserts virtual times");
    const { result, elapsed } = await runOn(
      (function* () {
        const q = new Queue<number>(2);
        const seen: number[] = [];
        const consumer = spawn(
          q.consume(function* (n) {
            yield* asyncio.sleep(1);
            seen.push(n);
          }),
        );
        for (let i = 0; i < 4; i++) yield* q.put(i);
        q.shutdown();
        yield* consumer;
        return seen;
      })(),
    );
    expect(result).toEqual([0, 1, 2, 3]);
    expect(elapsed).toBe(4);
  });

  it("consume() takes plain functions too", async () => {
    await runOn(
      (function* () {
        const q = new Queue<string>();
        const seen: string[] = [];
        q.putNowait("x");
        q.putNowait("y");
        q.shutdown();
        yield* q.consume((s) => {
          seen.push(s);
        });
        expect(seen).toEqual(["x", "y"]);
      })(),
    );
  });

  it("consume() propagates the body's error and stops", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        for (const i of [1, 2, 3]) q.putNowait(i);
        const err = yield* caught(
          q.consume(function* (n) {
            if (n === 2) throw new Error("bad item");
          }),
        );
        expect((err as Error).message).toBe("bad item");
        expect(drain(q)).toEqual([3]);
      })(),
    );
  });

  it("consume() cancelled while waiting leaves later items in the queue", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        const seen: number[] = [];
        const consumer = spawn(q.consume((n) => void seen.push(n)));
        yield* ticks();
        consumer.cancel();
        q.putNowait(1);
        expect(yield* caught(consumer)).toBeInstanceOf(asyncio.CancelledError);
        expect(seen).toEqual([]);
        expect(drain(q)).toEqual([1]);
      })(),
    );
  });

  it("consume() rejects a body that is not a function", async () => {
    await runOn(
      (function* () {
        expect(() => new Queue().consume("nope" as never)).toThrow(
          new TypeError(
            "Queue.consume(): 'body' must be a function or a generator function: received \"nope\"",
          ),
        );
      })(),
    );
  });

  it("for await consumes items from async code until shutdown", async () => {
    const { result } = await runOn(
      (function* () {
        const q = new Queue<number>(1);
        async function consume(): Promise<number[]> {
          const seen: number[] = [];
          for await (const n of q) seen.push(n);
          return seen;
        }
        const consumer = asyncio.fromPromise(consume());
        for (let i = 0; i < 5; i++) yield* q.put(i);
        q.shutdown();
        return yield* consumer;
      })(),
    );
    expect(result).toEqual([0, 1, 2, 3, 4]);
  });

  it("leaving a for await loop early takes no item it did not deliver", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        q.putNowait(1);
        async function firstOnly(): Promise<number | undefined> {
          for await (const n of q) return n;
          return undefined;
        }
        expect(yield* asyncio.fromPromise(firstOnly())).toBe(1);
        // A pending wait is cancelled when the iteration is closed, and ends it.
        const it = q[Symbol.asyncIterator]();
        const next = it.next();
        yield* ticks();
        const closing = it.return?.();
        if (closing === undefined) throw new Error("the iterator has no return()");
        expect(yield* asyncio.fromPromise(closing)).toEqual({ done: true, value: undefined });
        expect(yield* asyncio.fromPromise(next)).toEqual({ done: true, value: undefined });
        q.putNowait(2);
        yield* ticks(2);
        expect(q.qsize()).toBe(1);
        expect(yield* asyncio.fromPromise(it.next())).toEqual({ done: true, value: undefined });
      })(),
    );
  });

  it("for await from async code propagates errors other than shutdown", async () => {
    await runOn(
      (function* () {
        const q = new Queue<number>();
        const it = q[Symbol.asyncIterator]();
        const next = it.next();
        yield* ticks();
        // Cancelling the task behind next() without closing the iteration is an error.
        for (const t of asyncio.allTasks()) if (t !== asyncio.currentTask()) t.cancel();
        const err = yield* caught(asyncio.fromPromise(next));
        expect(err).toBeInstanceOf(asyncio.CancelledError);
      })(),
    );
  });
});

describe("LifoQueue", () => {
  it("returns the most recent item first", async () => {
    await runOn(
      (function* () {
        const q = new LifoQueue<number>(3);
        for (const i of [1, 2, 3]) yield* q.put(i);
        expect(q.full()).toBe(true);
        const p = spawn(q.put(4));
        yield* ticks();
        expect(yield* q.get()).toBe(3);
        yield* p;
        expect(drain(q)).toEqual([4, 2, 1]);
        expect(String(q)).toBe("<LifoQueue maxsize=3 qsize=0 tasks=4>");
      })(),
    );
  });
});

describe("PriorityQueue", () => {
  it("returns the lowest item first, with [priority, data] tuples as in Python", () => {
    const q = new PriorityQueue<[number, string]>();
    for (const item of [
      [3, "c"],
      [1, "b"],
      [2, "x"],
      [1, "a"],
      [5, "e"],
      [0, "z"],
    ] as [number, string][]) {
      q.putNowait(item);
    }
    expect(drain(q)).toEqual([
      [0, "z"],
      [1, "a"],
      [1, "b"],
      [2, "x"],
      [3, "c"],
      [5, "e"],
    ]);
  });

  it("orders numbers, strings, bigints and Dates naturally", () => {
    const nums = new PriorityQueue<number>();
    const input = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0, 3];
    for (const n of input) nums.putNowait(n);
    expect(drain(nums)).toEqual([...input].sort((a, b) => a - b));
    const words = new PriorityQueue<string>();
    for (const w of ["pear", "apple", "fig"]) words.putNowait(w);
    expect(drain(words)).toEqual(["apple", "fig", "pear"]);
    const big = new PriorityQueue<bigint>();
    for (const b of [3n, 1n, 2n]) big.putNowait(b);
    expect(drain(big)).toEqual([1n, 2n, 3n]);
    const dates = new PriorityQueue<Date>();
    dates.putNowait(new Date(2000, 1));
    dates.putNowait(new Date(1990, 1));
    expect(dates.getNowait().getFullYear()).toBe(1990);
  });

  it("naturalOrder compares like Python's <", () => {
    expect(asyncio.naturalOrder(1, 2)).toBe(-1);
    expect(asyncio.naturalOrder("b", "a")).toBe(1);
    expect(asyncio.naturalOrder([1, "b"], [1, "a"])).toBe(1);
    expect(asyncio.naturalOrder([1], [1, 0])).toBeLessThan(0);
    const o = {};
    expect(asyncio.naturalOrder([1, o], [1, o])).toBe(0);
    expect(() => asyncio.naturalOrder({}, {})).toThrow(
      new TypeError(
        "PriorityQueue cannot order an object and an object: use numbers, strings, bigints, Dates or arrays of them (e.g. [priority, data]), or pass { compare } to the constructor",
      ),
    );
    expect(() => asyncio.naturalOrder(1, "1")).toThrow(TypeError);
  });

  it("uses a compare option, and keeps ties in insertion order", () => {
    const q = new PriorityQueue<{ due: number; name: string }>(0, {
      compare: (a, b) => a.due - b.due,
    });
    const names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    names.forEach((name, i) => {
      q.putNowait({ due: i % 2, name });
    });
    expect(drain(q).map((j) => j.name)).toEqual(["a", "c", "e", "g", "b", "d", "f", "h"]);
  });

  it("rejects a compare option that is not a function", () => {
    expect(() => new PriorityQueue(0, { compare: 1 as never })).toThrow(
      new TypeError("Cannot create PriorityQueue: 'compare' must be a function: received 1"),
    );
  });

  it("an item that cannot be compared is refused and the queue is unchanged", () => {
    const q = new PriorityQueue<unknown>();
    for (const n of [5, 3, 8, 1]) q.putNowait(n);
    expect(() => q.putNowait({})).toThrow(TypeError);
    expect(q.qsize()).toBe(4);
    expect(String(q)).toBe("<PriorityQueue maxsize=0 qsize=4 tasks=4>");
    expect(drain(q)).toEqual([1, 3, 5, 8]);
  });

  it("a compare that throws while taking an item leaves the queue unchanged", () => {
    let armed = false;
    const q = new PriorityQueue<number>(0, {
      compare: (a, b) => {
        if (armed) throw new Error("compare failed");
        return a - b;
      },
    });
    for (const n of [4, 2, 6, 1, 3]) q.putNowait(n);
    armed = true;
    expect(() => q.getNowait()).toThrow("compare failed");
    armed = false;
    expect(drain(q)).toEqual([1, 2, 3, 4, 6]);
  });

  it("a compare that does not return a number is a TypeError", () => {
    const q = new PriorityQueue<number>(0, { compare: () => Number.NaN });
    q.putNowait(1);
    expect(() => q.putNowait(2)).toThrow(
      new TypeError("PriorityQueue: 'compare' must return a number: returned NaN"),
    );
  });

  it("waits and wakes like a Queue", async () => {
    await runOn(
      (function* () {
        const q = new PriorityQueue<number>(2);
        const getter = spawn(q.get());
        yield* ticks();
        q.putNowait(7);
        expect(yield* getter).toBe(7);
        yield* q.put(5);
        yield* q.put(3);
        const putter = spawn(q.put(4));
        yield* ticks();
        expect(yield* q.get()).toBe(3);
        yield* putter;
        expect(drain(q)).toEqual([4, 5]);
      })(),
    );
  });
});

describe("queues and loops", () => {
  it("a queue is usable from several loops one after another", async () => {
    const q = new Queue<number>(1);
    function* roundTrip(base: number) {
      const consumer = spawn(
        (function* () {
          const got: number[] = [];
          for (let i = 0; i < 3; i++) got.push(yield* q.get());
          return got;
        })(),
      );
      for (let i = 0; i < 3; i++) yield* q.put(base + i);
      return yield* consumer;
    }
    expect((await runOn(roundTrip(0))).result).toEqual([0, 1, 2]);
    expect((await runOn(roundTrip(10))).result).toEqual([10, 11, 12]);
    expect(await asyncio.run(roundTrip(20))).toEqual([20, 21, 22]);
  });

  it("refuses waiters from another loop while getters of a stopped loop still wait", async () => {
    virtualOnly("builds its own loops");
    const q = new Queue<number>();
    const loop1 = new asyncio.VirtualEventLoop();
    await loop1.runUntilComplete(
      (function* () {
        spawn(q.get(), "stuck");
        yield* ticks();
      })(),
    );
    const err = await asyncio.run(
      (function* () {
        q.putNowait(1); // never waits: fine from any loop
        q.getNowait();
        return yield* caught(q.get());
      })(),
    );
    expect(err).toBeInstanceOf(asyncio.RuntimeError);
    expect((err as Error).message).toBe(
      "<Queue maxsize=0 qsize=0 getters[1] tasks=1> is bound to a different event loop",
    );
  });
});
