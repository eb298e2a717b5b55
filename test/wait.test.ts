import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, failAfter, runVirtual } from "./helpers.js";

function now(): number {
  return asyncio.getRunningLoop().time();
}

describe("wait()", () => {
  it("ALL_COMPLETED (default) waits for everything", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1, "a"));
      const b = asyncio.createTask(asyncio.sleep(2, "b"));
      const [done, pending] = yield* asyncio.wait([a, b]);
      expectTypeOf(done).toEqualTypeOf<Set<asyncio.Task<string>>>();
      return [done.size, pending.size, done.has(a) && done.has(b), now()];
    }
    expect((await runVirtual(main())).result).toEqual([2, 0, true, 2]);
  });

  it("FIRST_COMPLETED returns at the first one; nothing is cancelled", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1, "a"));
      const b = asyncio.createTask(asyncio.sleep(2, "b"));
      const [done, pending] = yield* asyncio.wait([a, b], {
        returnWhen: asyncio.FIRST_COMPLETED,
      });
      const at = now();
      const bCancelled = b.cancelled();
      yield* b;
      return [[...done], [...pending], at, bCancelled];
    }
    const { result } = await runVirtual(main());
    expect((result[0] as asyncio.Task<string>[]).map((t) => t.result())).toEqual(["a"]);
    expect((result[1] as unknown[]).length).toBe(1);
    expect(result.slice(2)).toEqual([1, false]);
  });

  it("FIRST_EXCEPTION returns at the first error, ignoring cancelled futures", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const c = loop.createFuture<string>();
      loop.callLater(0.5, () => c.cancel());
      const bad = asyncio.createTask(failAfter(1, new RangeError("x")));
      const slow = asyncio.createTask(asyncio.sleep(5));
      const [done, pending] = yield* asyncio.wait([c, bad, slow], {
        returnWhen: asyncio.FIRST_EXCEPTION,
      });
      slow.cancel();
      return [done.size, pending.size, done.has(bad), now()];
    }
    expect((await runVirtual(main())).result).toEqual([2, 1, true, 1]);
  });

  it("FIRST_EXCEPTION without errors waits for all", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1));
      const b = asyncio.createTask(asyncio.sleep(2));
      yield* asyncio.wait([a, b], { returnWhen: asyncio.FIRST_EXCEPTION });
      return now();
    }
    expect((await runVirtual(main())).result).toBe(2);
  });

  it("a timeout returns what is done so far and never raises", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1));
      const b = asyncio.createTask(asyncio.sleep(10));
      const [done, pending] = yield* asyncio.wait([a, b], { timeout: 3 });
      const at = now();
      b.cancel();
      return [done.has(a), pending.has(b), at];
    }
    expect((await runVirtual(main())).result).toEqual([true, true, 3]);
  });

  it("deduplicates, and accepts Promises as bridged Futures", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1, 1));
      const [done] = yield* asyncio.wait([a, a, Promise.resolve(2)]);
      return [...done].map((f) => f.result()).sort();
    }
    expect((await runVirtual(main())).result).toEqual([1, 2]);
  });

  it("cancelling the waiter leaves the futures running", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(5, "a"));
      const w = asyncio.createTask(asyncio.wait([a]));
      yield* asyncio.sleep(1);
      w.cancel();
      yield* caught(() => w);
      return [w.cancelled(), yield* a, now()];
    }
    expect((await runVirtual(main())).result).toEqual([true, "a", 5]);
  });

  it("bad arguments throw at the call", async () => {
    function* main() {
      const t = asyncio.createTask(asyncio.sleep(0));
      const coro = asyncio.sleep(1);
      expect(() => asyncio.wait([])).toThrow("wait(): the set of Tasks/Futures is empty");
      expect(() => asyncio.wait([coro as never])).toThrow(/passing coroutines is forbidden/);
      expect(() => asyncio.wait(t as never)).toThrow(/expected an iterable of futures/);
      expect(() => asyncio.wait([t], { returnWhen: "SOMETIMES" as never })).toThrow(RangeError);
      expect(() => asyncio.wait([t], { timeout: "1" as never })).toThrow(TypeError);
      expect(() => asyncio.wait([5 as never])).toThrow(/item 0 is not a Future/);
      coro.return(undefined);
      yield* t;
    }
    await runVirtual(main());
  });
});

describe("asCompleted()", () => {
  it("plain iteration: awaitables of the results, in completion order", async () => {
    function* main() {
      const log: string[] = [];
      for (const next of asyncio.asCompleted([
        asyncio.sleep(3, "c"),
        asyncio.sleep(1, "a"),
        asyncio.sleep(2, "b"),
      ])) {
        const r = yield* next;
        expectTypeOf(r).toEqualTypeOf<string>();
        log.push(`${r} at ${now()}`);
      }
      return log;
    }
    expect((await runVirtual(main())).result).toEqual(["a at 1", "b at 2", "c at 3"]);
  });

  it("errors come out of the awaitable of the one that failed", async () => {
    function* main() {
      const log: string[] = [];
      for (const next of asyncio.asCompleted([
        failAfter(1, new RangeError("bad")),
        asyncio.sleep(2, "ok"),
      ])) {
        try {
          log.push(String(yield* next));
        } catch (e) {
          log.push(`error ${(e as Error).message}`);
        }
      }
      return log;
    }
    expect((await runVirtual(main())).result).toEqual(["error bad", "ok"]);
  });

  it("the 3.13 async form yields the original tasks (coroutines wrapped in new tasks)", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(2, "a"), { name: "A" });
      const b = asyncio.createTask(asyncio.sleep(1, "b"), { name: "B" });
      const it = asyncio.asCompleted([a, b, asyncio.sleep(3, "c")]);
      const order: unknown[] = [];
      for (let r = yield* it.next(); !r.done; r = yield* it.next()) {
        expectTypeOf(r.value).toMatchTypeOf<asyncio.Future<string>>();
        order.push(
          r.value === a ? "A" : r.value === b ? "B" : (r.value as asyncio.Task<string>).result(),
        );
      }
      const after = yield* it.next();
      return [order, after];
    }
    expect((await runVirtual(main())).result).toEqual([
      ["B", "A", "c"],
      { done: true, value: undefined },
    ]);
  });

  it("deduplicates inputs and accepts Promises", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1, 1));
      const results: unknown[] = [];
      for (const next of asyncio.asCompleted([a, a, Promise.resolve(2)])) results.push(yield* next);
      return results;
    }
    expect((await runVirtual(main())).result).toEqual([2, 1]);
  });

  it("a timeout raises TimeoutError from each item not yet handed out; nothing is cancelled", async () => {
    function* main() {
      const slow = asyncio.createTask(asyncio.sleep(10, "slow"));
      const log: string[] = [];
      for (const next of asyncio.asCompleted([asyncio.sleep(1, "fast"), slow], { timeout: 5 })) {
        try {
          log.push(`${yield* next} at ${now()}`);
        } catch (e) {
          log.push(`${(e as Error).name} at ${now()}`);
        }
      }
      log.push(`slow cancelled: ${slow.cancelled()}`);
      return log;
    }
    expect((await runVirtual(main())).result).toEqual([
      "fast at 1",
      "TimeoutError at 5",
      "slow cancelled: false",
    ]);
  });

  it("resumable after a break; each input handed out once across both forms", async () => {
    function* main() {
      const it = asyncio.asCompleted([
        asyncio.sleep(1, 1),
        asyncio.sleep(2, 2),
        asyncio.sleep(3, 3),
      ]);
      const got: unknown[] = [];
      for (const next of it) {
        got.push(yield* next);
        break;
      }
      const r = yield* it.next();
      got.push((r.value as asyncio.Task<number>).result());
      for (const next of it) got.push(yield* next);
      return got;
    }
    expect((await runVirtual(main())).result).toEqual([1, 2, 3]);
  });

  it("a cancelled consumer loses no item", async () => {
    function* main() {
      const it = asyncio.asCompleted([asyncio.sleep(1, "x"), asyncio.sleep(2, "y")]);
      const consumer = asyncio.createTask(it.next());
      yield* asyncio.sleep(0.5);
      consumer.cancel();
      yield* caught(() => consumer);
      const results: unknown[] = [];
      // the cancelled next() used up one turn, as in asyncio; the two results are still queued
      const r = yield* it.next();
      results.push((r.value as asyncio.Task<string>).result(), (yield* it.next()).done);
      return [consumer.cancelled(), results];
    }
    expect((await runVirtual(main())).result).toEqual([true, ["x", true]]);
  });

  it("works with for await from async code", async () => {
    const order: string[] = [];
    function* main() {
      // no timers: a virtual clock holds still while a bridged promise is pending
      function* afterTurns(turns: number, v: string) {
        for (let i = 0; i < turns; i++) yield* asyncio.sleep(0);
        return v;
      }
      const it = asyncio.asCompleted([afterTurns(5, "two"), afterTurns(1, "one")]);
      yield* asyncio.fromPromise(
        (async () => {
          for await (const t of it) order.push(t.result());
        })(),
      );
    }
    await asyncio.run(main(), { loopFactory: () => new asyncio.VirtualEventLoop() });
    expect(order).toEqual(["one", "two"]);
  });

  it("bad arguments throw at the call", async () => {
    function* main() {
      const t = asyncio.createTask(asyncio.sleep(0));
      expect(() => asyncio.asCompleted(t as never)).toThrow(/iterable of futures/);
      expect(() => asyncio.asCompleted([5 as never])).toThrow(/item 0 is not awaitable/);
      expect(() => asyncio.asCompleted([t], { timeout: "x" as never })).toThrow(TypeError);
      const empty = [...asyncio.asCompleted([])];
      yield* t;
      return empty.length;
    }
    expect((await runVirtual(main())).result).toBe(0);
  });
});

describe("shield()", () => {
  it("cancelling the awaiting task leaves the inner task running", async () => {
    function* main() {
      const inner = asyncio.createTask(asyncio.sleep(3, "saved"));
      const waiter = asyncio.createTask(
        (function* () {
          return yield* asyncio.shield(inner);
        })(),
      );
      yield* asyncio.sleep(1);
      waiter.cancel();
      const e = yield* caught(() => waiter);
      const at = now();
      const v = yield* inner;
      return [(e as Error).name, at, v, now()];
    }
    expect((await runVirtual(main())).result).toEqual(["CancelledError", 1, "saved", 3]);
  });

  it("passes the inner result and error through", async () => {
    function* main() {
      const v = yield* asyncio.shield(asyncio.sleep(1, 5));
      const e = yield* caught(() => asyncio.shield(failAfter(1, new RangeError("r"))));
      return [v, (e as Error).message];
    }
    expect((await runVirtual(main())).result).toEqual([5, "r"]);
  });

  it("cancelling the inner task cancels the shield", async () => {
    function* main() {
      const inner = asyncio.createTask(asyncio.sleep(3));
      const outer = asyncio.shield(inner);
      yield* asyncio.sleep(1);
      inner.cancel();
      const e = yield* caught(() => outer);
      return [(e as Error).name, outer.cancelled()];
    }
    expect((await runVirtual(main())).result).toEqual(["CancelledError", true]);
  });

  it("an inner future already done is returned as is; bad arguments throw", async () => {
    function* main() {
      const f = asyncio.getRunningLoop().createFuture<number>();
      f.setResult(1);
      expect(asyncio.shield(f)).toBe(f);
      expect(() => asyncio.shield(3 as never)).toThrow(/'aw' must be/);
      yield* asyncio.sleep(0);
    }
    await runVirtual(main());
  });

  it("an error of an inner task whose shield was cancelled is not silently dropped", async () => {
    function* main() {
      const inner = asyncio.createTask(failAfter(2, new RangeError("lost?")));
      const outer = asyncio.shield(inner);
      yield* asyncio.sleep(1);
      outer.cancel();
      yield* asyncio.sleep(2);
      // nobody retrieved it: it is still there to be retrieved (and reported at GC otherwise)
      return [inner.done(), (inner.exception() as Error).message];
    }
    expect((await runVirtual(main())).result).toEqual([true, "lost?"]);
  });
});
