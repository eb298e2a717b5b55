import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, failAfter, runVirtual } from "./helpers.js";

function now(): number {
  return asyncio.getRunningLoop().time();
}

describe("gather() cancellation semantics", () => {
  it("results come back in argument order, typed", async () => {
    function* main() {
      const [a, b] = yield* asyncio.gather(asyncio.sleep(2, "slow"), asyncio.sleep(1, 1));
      expectTypeOf(a).toEqualTypeOf<string>();
      expectTypeOf(b).toEqualTypeOf<number>();
      return [a, b, now()];
    }
    expect((await runVirtual(main())).result).toEqual(["slow", 1, 2]);
  });

  it.each([false, true])(
    "cancelling the gather (returnExceptions: %s) cancels every child; it then holds CancelledError('bye'), not cancelled()",
    async (returnExceptions) => {
      {
        function* main() {
          const a = asyncio.createTask(asyncio.sleep(10));
          const b = asyncio.createTask(asyncio.sleep(20));
          const g = asyncio.gather(a, b, { returnExceptions });
          yield* asyncio.sleep(1);
          const accepted = g.cancel("bye");
          const e = yield* caught(() => g);
          return [
            accepted,
            (e as Error).name,
            (e as Error).message,
            g.cancelled(),
            a.cancelled(),
            b.cancelled(),
            now(),
            g.cancel(),
          ];
        }
        const { result } = await runVirtual(main());
        expect(result).toEqual([true, "CancelledError", "bye", false, true, true, 1, false]);
      }
    },
  );

  it("cancelling the task awaiting the gather cancels the children", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(5));
      const b = asyncio.createTask(asyncio.sleep(6));
      const w = asyncio.createTask(
        (function* () {
          return yield* asyncio.gather(a, b, { returnExceptions: true });
        })(),
      );
      yield* asyncio.sleep(0.5);
      w.cancel();
      yield* caught(() => w);
      return [w.cancelled(), a.cancelled(), b.cancelled(), now()];
    }
    expect((await runVirtual(main())).result).toEqual([true, true, true, 0.5]);
  });

  it("without returnExceptions the first error propagates at once; siblings keep running", async () => {
    const boom = new RangeError("boom");
    function* main() {
      const sibling = asyncio.createTask(asyncio.sleep(3, "sibling result"));
      const e = yield* caught(() => asyncio.gather(failAfter(1, boom), sibling));
      const at = now();
      const stillRunning = !sibling.done();
      const v = yield* sibling;
      return [e === boom, at, stillRunning, v, now()];
    }
    expect((await runVirtual(main())).result).toEqual([true, 1, true, "sibling result", 3]);
  });

  it("with returnExceptions errors and cancellations come back in place", async () => {
    const boom = new RangeError("boom");
    function* main() {
      const victim = asyncio.createTask(asyncio.sleep(10));
      asyncio.getRunningLoop().callLater(0.5, () => victim.cancel());
      const results = yield* asyncio.gather(asyncio.sleep(1, "ok"), failAfter(2, boom), victim, {
        returnExceptions: true,
      });
      return results;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result[0]).toBe("ok");
    expect(result[1]).toBe(boom);
    expect(result[2]).toBeInstanceOf(asyncio.CancelledError);
    expect(elapsed).toBe(2);
  });

  it("a child cancelled on its own: the gather raises CancelledError but is not cancelled()", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1));
      const b = asyncio.createTask(asyncio.sleep(2, "b"));
      const g = asyncio.gather(a, b);
      yield* asyncio.sleep(0);
      a.cancel("child");
      const e = yield* caught(() => g);
      return [(e as Error).message, g.cancelled(), b.done(), yield* b];
    }
    expect((await runVirtual(main())).result).toEqual(["child", false, false, "b"]);
  });

  it("identical arguments run once; an empty gather is []", async () => {
    function* main() {
      const c = asyncio.sleep(1, "same");
      const r = yield* asyncio.gather(c, c);
      const empty = yield* asyncio.gather();
      return [r, empty];
    }
    expect((await runVirtual(main())).result).toEqual([["same", "same"], []]);
  });
});

describe("gather(returnExceptions) of cancelled children", () => {
  it("holds a new CancelledError with the Future's cancel message, and leaves a Task's own error to its awaiter", async () => {
    function* child() {
      yield* asyncio.sleep(10);
    }
    function* main() {
      const t = asyncio.createTask(child());
      const f = asyncio.getRunningLoop().createFuture<number>();
      yield* asyncio.sleep(0);
      t.cancel("m");
      f.cancel("fm");
      const r1 = yield* asyncio.gather(t, f, { returnExceptions: true });
      const r2 = yield* asyncio.gather(t, f, { returnExceptions: true });
      const awaited = yield* caught(t);
      return [...r1, ...r2, awaited].map((e) =>
        e instanceof asyncio.CancelledError ? `CancelledError(${JSON.stringify(e.message)})` : e,
      );
    }
    // What CPython 3.13 prints for the same program.
    expect((await runVirtual(main())).result).toEqual([
      'CancelledError("")',
      'CancelledError("fm")',
      'CancelledError("")',
      'CancelledError("fm")',
      'CancelledError("m")',
    ]);
  });
});

describe("a cancelled gather propagates the last child's cancellation, in argument order", () => {
  it("takes the last child given, not the last one to finish (as CPython 3.13)", async () => {
    const order: string[] = [];
    function* slowToStop() {
      try {
        yield* asyncio.sleep(0);
      } finally {
        yield* asyncio.sleep(0); // finishes last, cancelled with "m15"
        order.push("first child stopped");
      }
    }
    function* quick() {
      return "r4";
    }
    function* waiter() {
      try {
        yield* asyncio.gather(slowToStop(), quick(), { returnExceptions: true });
      } catch (e) {
        order.push(`caught ${String(e)}`);
      }
    }
    function* main() {
      const t = asyncio.createTask(waiter());
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      t.cancel("m15");
      yield* asyncio.gather(t, { returnExceptions: true });
      return order;
    }
    // CPython 3.13 prints "caught CancelledError()": its gather asks the last child in
    // argument order (here finished, not cancelled) for the error to raise.
    expect((await runVirtual(main())).result).toEqual([
      "first child stopped",
      "caught CancelledError",
    ]);
  });
});

describe("gather() of children already done (Python 3.12+)", () => {
  it("is done at once and yield* on it does not suspend: it comes before a callSoon made just before", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const events: string[] = [];
      const f = loop.createFuture<number>();
      f.setResult(1);
      loop.callSoon(() => events.push("callSoon"));
      const g = asyncio.gather(f, f);
      events.push(`gather done: ${g.done()}`);
      events.push(`result ${JSON.stringify(yield* g)}`);
      yield* asyncio.sleep(0);
      return events;
    }
    expect((await runVirtual(main())).result).toEqual([
      "gather done: true",
      "result [1,1]",
      "callSoon",
    ]);
  });

  it("a failed done child fails the gather at once, even beside a pending child", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const boom = new Error("boom");
      const failed = loop.createFuture<number>();
      failed.setException(boom);
      const pending = loop.createFuture<number>();
      const g = asyncio.gather(failed, pending);
      const doneAtOnce = g.done();
      const e = yield* caught(() => g);
      pending.cancel();
      const both = asyncio.gather(failed, asyncio.sleep(0, "s"), { returnExceptions: true });
      const withErrors = yield* both;
      return [doneAtOnce, e === boom, withErrors[0] === boom, withErrors[1]];
    }
    expect((await runVirtual(main())).result).toEqual([true, true, true, "s"]);
  });
});

describe("gatherAll(iterable)", () => {
  it("takes an array, a Set or a generator; results in order, typed", async () => {
    function* main() {
      const tuple = yield* asyncio.gatherAll([asyncio.sleep(2, "slow"), asyncio.sleep(1, 1)]);
      expectTypeOf(tuple).toEqualTypeOf<[string, number]>();
      const tasks = [3, 1, 2].map((d) => asyncio.createTask(asyncio.sleep(d, d)));
      const fromArray = yield* asyncio.gatherAll(tasks);
      expectTypeOf(fromArray).toEqualTypeOf<number[]>();
      const fromSet = yield* asyncio.gatherAll(new Set(tasks));
      function* coros() {
        for (let i = 0; i < 3; i++) yield asyncio.sleep(1, `c${i}`);
      }
      const fromGenerator = yield* asyncio.gatherAll(coros());
      expectTypeOf(fromGenerator).toEqualTypeOf<string[]>();
      const empty = yield* asyncio.gatherAll([]);
      return [tuple, fromArray, fromSet, fromGenerator, empty, now()];
    }
    expect((await runVirtual(main())).result).toEqual([
      ["slow", 1],
      [3, 1, 2],
      [3, 1, 2],
      ["c0", "c1", "c2"],
      [],
      6,
    ]);
  });

  it("identical items run once; returnExceptions puts errors in place", async () => {
    function* main() {
      const c = asyncio.sleep(1, "same");
      const t = asyncio.createTask(asyncio.sleep(1, "t"));
      const shared = yield* asyncio.gatherAll([c, t, c, t]);
      const boom = new Error("boom");
      const mixed = yield* asyncio.gatherAll([asyncio.sleep(1, 1), failAfter(1, boom)], {
        returnExceptions: true,
      });
      expectTypeOf(mixed).toEqualTypeOf<[number | Error, Error]>();
      const raised = yield* caught(() => asyncio.gatherAll([failAfter(1, boom)]));
      return [shared, mixed[0], mixed[1] === boom, raised === boom];
    }
    expect((await runVirtual(main())).result).toEqual([["same", "t", "same", "t"], 1, true, true]);
  });

  it("throws TypeError naming the argument for a non-iterable, and the item for a bad one", async () => {
    function* main() {
      const bad: unknown[] = [42, null, "abc", { length: 1 }];
      const messages = bad.map((x) => {
        try {
          asyncio.gatherAll(x as Iterable<asyncio.Coroutine<unknown>>);
          return "no error";
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      });
      const item = yield* caught(() =>
        asyncio.gatherAll([asyncio.sleep(0), 7 as unknown as asyncio.Coroutine<unknown>]),
      );
      const spread = yield* caught(() =>
        asyncio.gather([asyncio.sleep(0)] as unknown as asyncio.Coroutine<unknown>),
      );
      return [messages, (item as Error).message, (spread as Error).message];
    }
    const { result } = await runVirtual(main());
    expect(result[0]).toEqual([
      "TypeError: gatherAll(): 'aws' must be an iterable of awaitables (an array, a Set, a generator): received 42",
      "TypeError: gatherAll(): 'aws' must be an iterable of awaitables (an array, a Set, a generator): received null",
      "TypeError: gatherAll(): 'aws' must be an iterable of awaitables (an array, a Set, a generator): received \"abc\"",
      expect.stringMatching(/^TypeError: gatherAll\(\): 'aws' must be an iterable of awaitables/),
    ]);
    expect(result[1]).toBe("gatherAll(): item 1 is not awaitable: received 7");
    expect(result[2]).toMatch(
      /^gather\(\): argument 0 is not awaitable: .*use gatherAll\(items\)$/,
    );
  });

  it("gathers 1,000,000 children", { timeout: 60_000 }, async () => {
    const n = 1_000_000;
    function* main() {
      const children: asyncio.Coroutine<number>[] = new Array(n);
      for (let i = 0; i < n; i++) children[i] = asyncio.sleep(1, i);
      const results = yield* asyncio.gatherAll(children);
      let sum = 0;
      for (const r of results) sum += r;
      return [results.length, results[n - 1], sum, now()];
    }
    expect((await runVirtual(main())).result).toEqual([n, n - 1, (n * (n - 1)) / 2, 1]);
  });

  it("cancelling it cancels every child (100,000 of them)", { timeout: 60_000 }, async () => {
    const n = 100_000;
    let cleanups = 0;
    function* child() {
      try {
        yield* asyncio.sleep(10);
      } finally {
        cleanups++;
      }
    }
    function* main() {
      const tasks = Array.from({ length: n }, () => asyncio.createTask(child()));
      const all = asyncio.gatherAll(tasks);
      yield* asyncio.sleep(1);
      const accepted = all.cancel("stop");
      const e = yield* caught(() => all);
      return [
        accepted,
        (e as Error).name,
        (e as Error).message,
        tasks.every((t) => t.cancelled()),
        cleanups,
        now(),
      ];
    }
    expect((await runVirtual(main())).result).toEqual([true, "CancelledError", "stop", true, n, 1]);
  });
});
