// biome-ignore-all lint/correctness/noUnsafeFinally: cleanup that fails or emits is a test case here
import { EventEmitter, on } from "node:events";
import { Readable } from "node:stream";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { collectGarbage, runVirtual } from "./helpers.js";

const powersOfTwo = asyncio.asyncGenerator(function* powersOfTwo(stop: number) {
  for (let i = 0; i < stop; i++) {
    yield 2 ** i;
    yield* asyncio.sleep(1);
  }
});

/** A producer that records what runs, for laziness and cleanup checks. */
function tracedCounter(log: string[], n = 3, cleanupDelay = 0) {
  return asyncio.asyncGenerator(function* counter() {
    log.push("start");
    try {
      for (let i = 0; i < n; i++) {
        log.push(`produce ${i}`);
        yield i;
        yield* asyncio.sleep(1);
      }
      log.push("end");
    } finally {
      if (cleanupDelay > 0) yield* asyncio.sleep(cleanupDelay);
      log.push("finally");
    }
  })();
}

describe("asyncGenerator", () => {
  it("infers the item type without annotations", () => {
    const strs = asyncio.asyncGenerator(function* (prefix: string) {
      const n = yield* asyncio.sleep(0, 3);
      yield `${prefix}${n}`;
    });
    expectTypeOf(strs).parameters.toEqualTypeOf<[string]>();
    expectTypeOf(strs("a")).toEqualTypeOf<asyncio.AsyncGen<string>>();
    expectTypeOf(powersOfTwo(1)).toEqualTypeOf<asyncio.AsyncGen<number>>();
    expectTypeOf(asyncio.collect(powersOfTwo(1))).toEqualTypeOf<asyncio.Coroutine<number[]>>();
    function* producer(this: void) {
      yield* asyncio.sleep(1);
      yield { tick: 1 };
    }
    expectTypeOf<asyncio.ItemOf<typeof producer>>().toEqualTypeOf<{ tick: number }>();
  });

  it("rejects a function that is not a generator function", () => {
    expect(() => asyncio.asyncGenerator((() => 1) as never)).toThrow(TypeError);
    expect(() => asyncio.asyncGenerator((() => 1) as never)).toThrow(
      /'fn' must be a generator function/,
    );
  });

  it("is lazy: the producer runs only while a consumer asks for the next item", async () => {
    const log: string[] = [];
    function* main() {
      const agen = tracedCounter(log);
      log.push("created");
      yield* asyncio.sleep(5);
      log.push("first anext");
      const a = yield* agen.anext();
      log.push(`got ${a.value}`);
      yield* asyncio.sleep(5);
      const b = yield* agen.anext();
      log.push(`got ${b.value}`);
      yield* agen.aclose();
    }
    await runVirtual(main());
    expect(log).toEqual([
      "created",
      "first anext",
      "start",
      "produce 0",
      "got 0",
      "produce 1",
      "got 1",
      "finally",
    ]);
  });

  it("emits the items in order, then stays exhausted", async () => {
    function* main() {
      const agen = powersOfTwo(3);
      const results = [];
      for (let i = 0; i < 5; i++) results.push(yield* agen.anext());
      return results;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: false, value: 4 },
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
    expect(elapsed).toBe(3);
  });

  it("throws the producer's error from anext() and is closed afterwards", async () => {
    const boom = new Error("boom");
    const failing = asyncio.asyncGenerator(function* () {
      yield 1;
      yield* asyncio.sleep(1);
      throw boom;
    });
    function* main() {
      const agen = failing();
      expect(yield* agen.anext()).toEqual({ done: false, value: 1 });
      let caught: unknown;
      try {
        yield* agen.anext();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(boom);
      expect(yield* agen.anext()).toEqual({ done: true, value: undefined });
      expect(String(agen)).toMatch(/closed/);
    }
    await runVirtual(main());
  });

  it("awaits coroutine()-marked coroutines and Futures resolved by other tasks", async () => {
    const double = asyncio.coroutine(function* double(x: number) {
      yield* asyncio.sleep(1);
      return x * 2;
    });
    const fails = asyncio.coroutine(function* fails() {
      yield* asyncio.sleep(1);
      throw new RangeError("marked failure");
    });
    const gen = asyncio.asyncGenerator(function* (fut: asyncio.Future<number>) {
      yield yield* double(1);
      yield yield* fut;
      try {
        yield* fails();
      } catch (e) {
        yield (e as Error).message;
      }
    });
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<number>();
      loop.callLater(5, () => fut.setResult(7));
      return yield* asyncio.collect(gen(fut));
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([2, 7, "marked failure"]);
    expect(elapsed).toBe(6);
  });

  it("refuses a second request while one is running", async () => {
    function* main() {
      const agen = powersOfTwo(3);
      yield* agen.anext();
      const first = asyncio.createTask(agen.anext());
      yield* asyncio.sleep(0);
      let caught: unknown;
      try {
        yield* agen.anext();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(asyncio.RuntimeError);
      expect(String(caught)).toMatch(/anext\(\): asynchronous generator is already running/);
      let closeError: unknown;
      try {
        yield* agen.aclose();
      } catch (e) {
        closeError = e;
      }
      expect(String(closeError)).toMatch(/aclose\(\): asynchronous generator is already running/);
      expect(yield* first).toEqual({ done: false, value: 2 });
      yield* agen.aclose();
    }
    await runVirtual(main());
  });

  it("asend() delivers a value to the pending yield; a just-started generator refuses one", async () => {
    const echo = asyncio.asyncGenerator(function* () {
      let received: unknown = "none";
      for (;;) received = yield `echo ${String(received)}`;
    });
    function* main() {
      const agen = echo();
      expect(() => agen.asend("early")).toThrow(TypeError);
      expect((yield* agen.anext()).value).toBe("echo none");
      expect((yield* agen.asend(5)).value).toBe("echo 5");
      expect((yield* agen.anext()).value).toBe("echo undefined");
      yield* agen.aclose();
    }
    await runVirtual(main());
  });

  it("athrow() throws into the producer, which may catch it and go on", async () => {
    const resilient = asyncio.asyncGenerator(function* () {
      for (let i = 0; ; i++) {
        try {
          yield i;
        } catch (e) {
          if (e instanceof asyncio.GeneratorExit) throw e;
          yield* asyncio.sleep(1);
          yield `recovered from ${(e as Error).message}`;
        }
      }
    });
    function* main() {
      const agen = resilient();
      yield* agen.anext();
      expect((yield* agen.athrow(new Error("x"))).value).toBe("recovered from x");
      expect((yield* agen.anext()).value).toBe(1);
      yield* agen.aclose();
      const err = new Error("after close");
      let caught: unknown;
      try {
        yield* agen.athrow(err);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(err);
    }
    const { elapsed } = await runVirtual(main());
    expect(elapsed).toBe(1);
  });

  it("athrow() of an error the producer does not catch closes it and re-throws", async () => {
    const log: string[] = [];
    function* main() {
      const agen = tracedCounter(log);
      yield* agen.anext();
      const err = new Error("stop");
      let caught: unknown;
      try {
        yield* agen.athrow(err);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(err);
      expect(yield* agen.anext()).toEqual({ done: true, value: undefined });
    }
    await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "finally"]);
  });
});

describe("aclose", () => {
  it("runs the producer's finally blocks, which may await", async () => {
    const log: string[] = [];
    function* main() {
      const agen = tracedCounter(log, 3, 10);
      yield* agen.anext();
      const loop = asyncio.getRunningLoop();
      const t0 = loop.time();
      yield* agen.aclose();
      log.push(`closed after ${loop.time() - t0}`);
      yield* agen.aclose(); // idempotent
      expect(yield* agen.anext()).toEqual({ done: true, value: undefined });
    }
    await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "finally", "closed after 10"]);
  });

  it("throws GeneratorExit into the producer", async () => {
    const seen: unknown[] = [];
    const gen = asyncio.asyncGenerator(function* () {
      try {
        yield 1;
      } catch (e) {
        seen.push(e);
        throw e;
      }
    });
    function* main() {
      const agen = gen();
      yield* agen.anext();
      yield* agen.aclose();
    }
    await runVirtual(main());
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(asyncio.GeneratorExit);
  });

  it("on a generator never started does nothing, and it stays closed", async () => {
    const log: string[] = [];
    function* main() {
      const agen = tracedCounter(log);
      yield* agen.aclose();
      expect(yield* agen.anext()).toEqual({ done: true, value: undefined });
    }
    await runVirtual(main());
    expect(log).toEqual([]);
  });

  it("raises RuntimeError when the producer emits instead of finishing", async () => {
    const stubborn = asyncio.asyncGenerator(function* () {
      try {
        yield 1;
      } finally {
        yield 2;
      }
    });
    function* main() {
      const agen = stubborn();
      yield* agen.anext();
      let caught: unknown;
      try {
        yield* agen.aclose();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(asyncio.RuntimeError);
      expect(String(caught)).toMatch(/async generator ignored GeneratorExit/);
    }
    await runVirtual(main());
  });

  it("propagates an error raised by the producer's cleanup", async () => {
    const err = new Error("cleanup failed");
    const gen = asyncio.asyncGenerator(function* () {
      try {
        yield 1;
      } finally {
        yield* asyncio.sleep(1);
        throw err;
      }
    });
    function* main() {
      const agen = gen();
      yield* agen.anext();
      try {
        yield* agen.aclose();
      } catch (e) {
        return e;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(err);
  });
});

describe("cancellation", () => {
  it("cancelling a consumer stops the producer, running its awaiting cleanup", async () => {
    const log: string[] = [];
    function* consumer(agen: asyncio.AsyncGen<number>) {
      for (;;) {
        const r = yield* agen.anext();
        if (r.done) return;
        log.push(`item ${r.value}`);
      }
    }
    function* main() {
      const agen = tracedCounter(log, 100, 2);
      const task = asyncio.createTask(consumer(agen));
      yield* asyncio.sleep(2.5);
      task.cancel("stop it");
      const loop = asyncio.getRunningLoop();
      const t0 = loop.time();
      try {
        yield* task;
      } catch (e) {
        expect(e).toBeInstanceOf(asyncio.CancelledError);
      }
      log.push(`consumer done after ${loop.time() - t0}`);
      expect(task.cancelled()).toBe(true);
      expect(yield* agen.anext()).toEqual({ done: true, value: undefined });
    }
    await runVirtual(main());
    expect(log).toEqual([
      "start",
      "produce 0",
      "item 0",
      "produce 1",
      "item 1",
      "produce 2",
      "item 2",
      "finally",
      "consumer done after 2",
    ]);
  });

  it("a consumer cancelled in asyncFor's body closes the generator", async () => {
    const log: string[] = [];
    function* main() {
      const agen = tracedCounter(log, 100, 1);
      const task = asyncio.createTask(
        asyncio.asyncFor(agen, function* (i) {
          log.push(`body ${i}`);
          yield* asyncio.sleep(100);
        }),
      );
      yield* asyncio.sleep(1);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      expect(task.cancelled()).toBe(true);
    }
    const { elapsed } = await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "body 0", "finally"]);
    expect(elapsed).toBe(2);
  });
});

describe("the loop's registry", () => {
  it("asyncio.run() closes generators left unfinished (shutdownAsyncgens)", async () => {
    const log: string[] = [];
    let agen: asyncio.AsyncGen<number> | null = null;
    function* main() {
      agen = tracedCounter(log, 5, 1);
      yield* agen.anext();
      log.push("main returns");
    }
    await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "main returns", "finally"]);
    expect(agen).not.toBeNull();
  });

  it("tracks a generator only from its first iteration until it finishes", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const agen = powersOfTwo(2);
      expect(loop._asyncgens.size).toBe(0);
      yield* agen.anext();
      expect(loop._asyncgens.size).toBe(1);
      yield* asyncio.collect(agen);
      expect(loop._asyncgens.size).toBe(0);
    }
    await runVirtual(main());
  });

  it("does not track generators first iterated after shutdownAsyncgens()", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      yield* loop.shutdownAsyncgens();
      const agen = powersOfTwo(2);
      yield* agen.anext();
      expect(loop._asyncgens.size).toBe(0);
      yield* agen.aclose();
    }
    await runVirtual(main());
  });

  it("reports an error raised while shutdownAsyncgens() closes a generator", async () => {
    const gen = asyncio.asyncGenerator(function* () {
      try {
        yield 1;
      } finally {
        throw new Error("bad cleanup");
      }
    });
    function* main() {
      yield* gen().anext();
    }
    const { reports } = await runVirtual(main(), { allowReports: true });
    expect(reports.map((r) => r.message)).toEqual([
      "an error occurred during closing of asynchronous generator",
    ]);
    expect(String(reports[0]?.exception)).toMatch(/bad cleanup/);
  });

  it("closes a started generator that was dropped, in a new task, while the loop runs", async () => {
    const log: string[] = [];
    function* start() {
      const agen = tracedCounter(log, 5);
      yield* agen.anext();
    }
    function* main() {
      yield* start();
      for (let i = 0; i < 20 && !log.includes("finally"); i++) {
        yield* asyncio.fromPromise(collectGarbage());
      }
      log.push("main returns");
    }
    await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "finally", "main returns"]);
  });
});

describe("asyncFor", () => {
  it("loops over every item with a plain body", async () => {
    function* main() {
      const seen: number[] = [];
      yield* asyncio.asyncFor(powersOfTwo(5), (n) => {
        seen.push(n);
      });
      return seen;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([1, 2, 4, 8, 16]);
    expect(elapsed).toBe(5);
  });

  it("awaits a coroutine body before asking for the next item", async () => {
    const log: string[] = [];
    function* main() {
      yield* asyncio.asyncFor(tracedCounter(log, 2), function* (i) {
        yield* asyncio.sleep(10);
        log.push(`body ${i}`);
      });
    }
    const { elapsed } = await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "body 0", "produce 1", "body 1", "end", "finally"]);
    expect(elapsed).toBe(22);
  });

  it("stops when the body returns false, closing the generator at once", async () => {
    const log: string[] = [];
    function* main() {
      yield* asyncio.asyncFor(tracedCounter(log, 10), (i) => {
        log.push(`body ${i}`);
        if (i === 1) return false;
      });
      log.push("after loop");
    }
    await runVirtual(main());
    expect(log).toEqual([
      "start",
      "produce 0",
      "body 0",
      "produce 1",
      "body 1",
      "finally",
      "after loop",
    ]);
  });

  it("a coroutine body may stop the loop too", async () => {
    function* main() {
      const seen: number[] = [];
      yield* asyncio.asyncFor(powersOfTwo(10), function* (n) {
        yield* asyncio.sleep(0);
        if (n > 4) return false;
        seen.push(n);
        return true;
      });
      return seen;
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual([1, 2, 4]);
  });

  it("closes the generator when the body throws, and re-throws", async () => {
    const log: string[] = [];
    const err = new Error("body failed");
    function* main() {
      try {
        yield* asyncio.asyncFor(tracedCounter(log, 10), () => {
          throw err;
        });
      } catch (e) {
        return e;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(err);
    expect(log).toEqual(["start", "produce 0", "finally"]);
  });

  it("ends quietly when the body closes the generator itself", async () => {
    const log: string[] = [];
    function* main() {
      const agen = tracedCounter(log, 10);
      yield* asyncio.asyncFor(agen, function* (i) {
        log.push(`body ${i}`);
        if (i === 1) yield* agen.aclose();
      });
      log.push("after loop");
    }
    await runVirtual(main());
    expect(log).toEqual([
      "start",
      "produce 0",
      "body 0",
      "produce 1",
      "body 1",
      "finally",
      "after loop",
    ]);
  });

  it("works over any AsyncIter and closes it on break", async () => {
    let closed = 0;
    const countdown = {
      n: 3,
      *anext(): asyncio.Coroutine<IteratorResult<number, undefined>> {
        yield* asyncio.sleep(1);
        return this.n > 0 ? { done: false, value: this.n-- } : { done: true, value: undefined };
      },
      *aclose(): asyncio.Coroutine<void> {
        closed++;
      },
    };
    function* main() {
      const all: number[] = [];
      yield* asyncio.asyncFor(countdown, (n) => {
        all.push(n);
        if (n === 2) return false;
      });
      return all;
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual([3, 2]);
    expect(closed).toBe(1);
  });

  it("rejects a body that is not a function and a non-iterable", () => {
    expect(() => asyncio.asyncFor(powersOfTwo(1), 5 as never)).toThrow(/'body' must be a function/);
    expect(() => asyncio.asyncFor([1, 2] as never, () => {})).toThrow(TypeError);
    expect(() => asyncio.aiter(null as never)).toThrow(/'iterable' must be an async iterable/);
  });
});

describe("comprehension helpers", () => {
  it("collect, filter: the walkthrough's comprehensions", async () => {
    function* main() {
      const g = yield* asyncio.collect(powersOfTwo(5));
      const f = yield* asyncio.collect(
        asyncio.filter(powersOfTwo(5), (j) => !(Math.floor(j / 3) % 5)),
      );
      return { g, f };
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual({ g: [1, 2, 4, 8, 16], f: [1, 2, 16] });
    expect(elapsed).toBe(10);
  });

  it("map with a plain function and with a coroutine function", async () => {
    function* main() {
      const labels = asyncio.map(powersOfTwo(3), (n) => `n=${n}`);
      expectTypeOf(labels).toEqualTypeOf<asyncio.AsyncGen<string>>();
      const slow = asyncio.map(powersOfTwo(3), function* (n) {
        yield* asyncio.sleep(1);
        return n * 10;
      });
      expectTypeOf(slow).toEqualTypeOf<asyncio.AsyncGen<number>>();
      return [yield* asyncio.collect(labels), yield* asyncio.collect(slow)];
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([
      ["n=1", "n=2", "n=4"],
      [10, 20, 40],
    ]);
    expect(elapsed).toBe(3 + 6);
  });

  it("filter with a coroutine predicate and with a type guard", async () => {
    const mixed = asyncio.asyncGenerator(function* () {
      for (const x of [1, "two", 3]) yield x;
    });
    function* main() {
      const nums = asyncio.filter(mixed(), (x): x is number => typeof x === "number");
      expectTypeOf(nums).toEqualTypeOf<asyncio.AsyncGen<number>>();
      const odd = asyncio.filter(powersOfTwo(4), function* (n) {
        yield* asyncio.sleep(0);
        return n > 2;
      });
      return [yield* asyncio.collect(nums), yield* asyncio.collect(odd)];
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual([
      [1, 3],
      [4, 8],
    ]);
  });

  it("take closes its source as soon as the n-th item was taken", async () => {
    const log: string[] = [];
    function* main() {
      const two = yield* asyncio.collect(asyncio.take(tracedCounter(log, 10), 2));
      log.push(`took ${two.join(",")}`);
      const none = yield* asyncio.collect(asyncio.take(powersOfTwo(3), 0));
      const all = yield* asyncio.collect(asyncio.take(powersOfTwo(2), 5));
      return { none, all };
    }
    const { result } = await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "produce 1", "finally", "took 0,1"]);
    expect(result).toEqual({ none: [], all: [1, 2] });
  });

  it("closing a helper closes its source", async () => {
    const log: string[] = [];
    function* main() {
      const doubled = asyncio.map(tracedCounter(log, 10), (i) => i * 2);
      expect((yield* doubled.anext()).value).toBe(0);
      yield* doubled.aclose();
      log.push("closed");
    }
    await runVirtual(main());
    expect(log).toEqual(["start", "produce 0", "finally", "closed"]);
  });

  it("an error in a helper's function closes the source and propagates", async () => {
    const log: string[] = [];
    function* main() {
      try {
        yield* asyncio.collect(
          asyncio.map(tracedCounter(log, 10), (i) => {
            if (i === 1) throw new Error("bad item");
            return i;
          }),
        );
      } catch (e) {
        return (e as Error).message;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBe("bad item");
    expect(log).toEqual(["start", "produce 0", "produce 1", "finally"]);
  });

  it("validate their arguments at the call", () => {
    expect(() => asyncio.take(powersOfTwo(1), -1)).toThrow(RangeError);
    expect(() => asyncio.take(powersOfTwo(1), 1.5)).toThrow(
      /'n' must be an integer >= 0: received 1.5/,
    );
    expect(() => asyncio.take(powersOfTwo(1), "2" as never)).toThrow(TypeError);
    expect(() => asyncio.map(powersOfTwo(1), null as never)).toThrow(/'fn' must be a function/);
    expect(() => asyncio.filter(powersOfTwo(1), null as never)).toThrow(
      /'predicate' must be a function/,
    );
  });
});

describe("native interop", () => {
  it("an AsyncGen is a native AsyncIterable: for await, break calls aclose", async () => {
    const log: string[] = [];
    const ticks = asyncio.asyncGenerator(function* () {
      try {
        for (let i = 0; ; i++) {
          yield* asyncio.sleep(0);
          yield i;
        }
      } finally {
        yield* asyncio.sleep(0);
        log.push("finally");
      }
    });
    function* main() {
      return yield* asyncio.fromAsync(async () => {
        const seen: number[] = [];
        for await (const i of ticks()) {
          expectTypeOf(i).toEqualTypeOf<number>();
          seen.push(i);
          if (i === 2) break;
        }
        log.push("after loop");
        return seen;
      });
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual([0, 1, 2]);
    expect(log).toEqual(["finally", "after loop"]);
  });

  it("native next() rejects with RuntimeError when no loop is running", async () => {
    await expect(powersOfTwo(2).next()).rejects.toThrow(asyncio.RuntimeError);
    await expect(powersOfTwo(2).next()).rejects.toThrow(/event loop to be running/);
  });

  it("native throw() reaches the producer", async () => {
    const gen = asyncio.asyncGenerator(function* () {
      try {
        yield 1;
      } catch (e) {
        yield `caught ${(e as Error).message}`;
      }
    });
    function* main() {
      const agen = gen();
      return yield* asyncio.fromAsync(async () => {
        await agen.next();
        const r = await agen.throw(new Error("x"));
        await agen.return();
        return r;
      });
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual({ done: false, value: "caught x" });
  });

  it("a coroutine consumes a native async generator function", async () => {
    async function* letters() {
      yield "a";
      await Promise.resolve();
      yield "b";
    }
    function* main() {
      const it = asyncio.aiter(letters());
      expectTypeOf(it).toEqualTypeOf<asyncio.AsyncIter<"a" | "b">>();
      return yield* asyncio.collect(letters());
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual(["a", "b"]);
  });

  it("a coroutine consumes a Node stream", async () => {
    function* main() {
      return yield* asyncio.collect(Readable.from(["x", "y", "z"]));
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual(["x", "y", "z"]);
  });

  it("an error of the native iterator propagates to the coroutine", async () => {
    async function* failing() {
      yield 1;
      throw new Error("native failure");
    }
    function* main() {
      try {
        yield* asyncio.collect(failing());
      } catch (e) {
        return (e as Error).message;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBe("native failure");
  });

  it("breaking out of a native iterator awaits its return(), running its finally", async () => {
    const log: string[] = [];
    async function* numbers() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        await Promise.resolve();
        log.push("native finally");
      }
    }
    function* main() {
      yield* asyncio.asyncFor(numbers(), (i) => {
        log.push(`got ${i}`);
        if (i === 1) return false;
      });
      log.push("after loop");
    }
    await runVirtual(main());
    expect(log).toEqual(["got 0", "got 1", "native finally", "after loop"]);
  });

  it("cancelling a coroutine waiting on events.on() calls its return()", async () => {
    const emitter = new EventEmitter();
    function* main() {
      const got: unknown[] = [];
      const task = asyncio.createTask(
        asyncio.asyncFor(on(emitter, "data"), ([value]) => {
          got.push(value);
        }),
      );
      yield* asyncio.sleep(0);
      expect(emitter.listenerCount("data")).toBe(1);
      emitter.emit("data", 1);
      emitter.emit("data", 2);
      for (let i = 0; i < 100 && got.length < 2; i++) {
        yield* asyncio.fromPromise(new Promise((r) => setImmediate(r)));
      }
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      expect(task.cancelled()).toBe(true);
      expect(emitter.listenerCount("data")).toBe(0);
      return got;
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual([1, 2]);
  });

  it("cancellation between items closes a native async generator", async () => {
    const log: string[] = [];
    async function* numbers() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        log.push("native finally");
      }
    }
    function* main() {
      const task = asyncio.createTask(
        asyncio.asyncFor(numbers(), function* (i) {
          log.push(`got ${i}`);
          yield* asyncio.sleep(10);
        }),
      );
      yield* asyncio.sleep(1);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
    }
    await runVirtual(main());
    expect(log).toEqual(["got 0", "native finally"]);
  });
});
