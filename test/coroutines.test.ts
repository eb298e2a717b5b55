/**
 * Coroutines: the `asyncio.coroutine()` marker (trampolined frames) behaves exactly as a
 * plain `function*`, runs at any depth, names its frames, and reports a coroutine never
 * awaited; plus `iscoroutine` and the TypeScript inference of `yield*`.
 */
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import * as asyncio from "../src/index.js";
import { collectGarbage, runVirtual } from "./helpers.js";

type Co<T = unknown> = asyncio.Coroutine<T>;

afterEach(() => {
  vi.restoreAllMocks();
});

async function run<T>(main: Co<T>): Promise<T> {
  return (await runVirtual(main)).result;
}

function* catchAll<T>(aw: asyncio.Awaitable<T>): Co<T | unknown> {
  try {
    return yield* aw;
  } catch (e) {
    return e;
  }
}

/** The same program, built from plain or from marked coroutine functions. */
function program(mark: <F extends (...a: never[]) => Co>(f: F) => F) {
  const add = mark(function* add(a: number, b: number): Co<number> {
    yield* asyncio.sleep(1);
    return a + b;
  });
  const fail = mark(function* fail(msg: string): Co<never> {
    yield* asyncio.sleep(0);
    throw new RangeError(msg);
  });
  const sum = mark(function* sum(xs: number[]): Co<number> {
    let total = 0;
    for (const x of xs) total = yield* add(total, x);
    return total;
  });
  const guarded = mark(function* guarded(log: string[]): Co<string> {
    try {
      yield* fail("inner");
      return "not reached";
    } catch (e) {
      log.push(`caught ${(e as Error).message}`);
      return `ok ${yield* add(1, 1)}`;
    }
  });
  return { add, fail, sum, guarded };
}

const plain = <F>(f: F): F => f;

describe("asyncio.coroutine() marker", () => {
  it("returns a function of the same name and length that makes a lazy generator", () => {
    const log: string[] = [];
    const f = asyncio.coroutine(function* named(a: number, _b: string): Co<number> {
      log.push("ran");
      return a;
    });
    expect(f.name).toBe("named");
    expect(f.length).toBe(2);
    const gen = f(1, "x");
    expect(log).toEqual([]);
    expect(asyncio.iscoroutine(gen)).toBe(true);
    expect(gen.next()).toEqual({ done: true, value: 1 });
    expect(log).toEqual(["ran"]);
  });

  it("rejects anything but a generator function", () => {
    expect(() => asyncio.coroutine((() => 1) as never)).toThrow(
      new TypeError(
        "coroutine(): 'fn' must be a generator function (function*): received function <anonymous>",
      ),
    );
  });

  for (const [kind, mark] of [
    ["plain", plain],
    ["marked", asyncio.coroutine],
  ] as const) {
    it(`${kind}: results, exceptions and elapsed time`, async () => {
      const p = program(mark as never);
      function* main() {
        const log: string[] = [];
        const s = yield* p.sum([1, 2, 3]);
        const e = yield* catchAll(p.fail("boom"));
        const g = yield* p.guarded(log);
        return [s, e instanceof RangeError, (e as Error).message, g, log];
      }
      const { result, elapsed } = await runVirtual(main());
      expect(result).toEqual([6, true, "boom", "ok 2", ["caught inner"]]);
      expect(elapsed).toBe(4);
    });

    it(`${kind}: cancellation reaches the innermost frame and unwinds every frame`, async () => {
      const log: string[] = [];
      const inner = (mark as typeof plain)(function* inner(): Co<void> {
        try {
          yield* asyncio.sleep(10);
        } finally {
          log.push("inner finally");
        }
      });
      const outer = (mark as typeof plain)(function* outer(): Co<void> {
        try {
          yield* inner();
          log.push("outer continued");
        } finally {
          log.push("outer finally");
        }
      });
      function* main() {
        const t = asyncio.createTask(outer());
        yield* asyncio.sleep(1);
        t.cancel("c");
        const e = (yield* catchAll(t)) as Error;
        return [t.cancelled(), e.message];
      }
      expect(await run(main())).toEqual([true, "c"]);
      expect(log).toEqual(["inner finally", "outer finally"]);
    });

    it(`${kind}: a coroutine may catch the CancelledError and return a value`, async () => {
      const inner = (mark as typeof plain)(function* inner(): Co<string> {
        try {
          yield* asyncio.sleep(10);
          return "slept";
        } catch (e) {
          if (e instanceof asyncio.CancelledError) return "caught";
          throw e;
        }
      });
      const outer = (mark as typeof plain)(function* outer(): Co<string> {
        return `outer got ${yield* inner()}`;
      });
      function* main() {
        const t = asyncio.createTask(outer());
        yield* asyncio.sleep(1);
        t.cancel();
        return [yield* t, t.cancelled()];
      }
      expect(await run(main())).toEqual(["outer got caught", false]);
    });
  }

  it("runs at depth 10,000 without stack overflow, resumes included", async () => {
    const deep = asyncio.coroutine(function* deep(n: number): Co<number> {
      if (n === 0) {
        for (let i = 0; i < 100; i++) yield* asyncio.sleep(0);
        yield* asyncio.sleep(1);
        return 0;
      }
      return 1 + (yield* deep(n - 1));
    });
    const { result, elapsed } = await runVirtual(deep(10_000));
    expect(result).toBe(10_000);
    expect(elapsed).toBe(1);
  });

  it("an error thrown at depth 10,000 propagates through every frame", async () => {
    const deep = asyncio.coroutine(function* deep(n: number): Co<number> {
      if (n === 0) {
        yield* asyncio.sleep(0);
        throw new Error("bottom");
      }
      return 1 + (yield* deep(n - 1));
    });
    const e = (await run(catchAll(deep(10_000)))) as Error;
    expect(e.message).toBe("bottom");
  });

  it("a cancel at depth 10,000 unwinds every frame", async () => {
    let unwound = 0;
    const deep = asyncio.coroutine(function* deep(n: number): Co<number> {
      try {
        if (n === 0) return yield* asyncio.sleep(3600, 0);
        return 1 + (yield* deep(n - 1));
      } finally {
        unwound++;
      }
    });
    function* main() {
      const t = asyncio.createTask(deep(10_000));
      yield* asyncio.sleep(1);
      t.cancel();
      yield* catchAll(t);
      return t.cancelled();
    }
    expect(await run(main())).toBe(true);
    expect(unwound).toBe(10_001);
  });

  it("getStack() lists the marked frames, outermost first", async () => {
    const leaf = asyncio.coroutine(function* leaf(): Co<void> {
      yield* asyncio.sleep(10);
    });
    const middle = asyncio.coroutine(function* middle(): Co<void> {
      yield* leaf();
    });
    const top = asyncio.coroutine(function* top(): Co<void> {
      yield* middle();
    });
    function* plainTop(): Co<void> {
      yield* asyncio.sleep(10);
    }
    function* main() {
      const coro = top();
      const t = asyncio.createTask(coro);
      const p = asyncio.createTask(plainTop());
      const before = t.getStack();
      yield* asyncio.sleep(1);
      const during = t.getStack();
      const plainStack = p.getStack();
      // getCoro() is the outermost coroutine however deep the task is, and after it ends.
      const coroDuring = t.getCoro() === coro;
      t.cancel();
      p.cancel();
      yield* catchAll(t);
      yield* catchAll(p);
      return [before, during, plainStack, t.getStack(), coroDuring, t.getCoro() === coro];
    }
    expect(await run(main())).toEqual([
      ["top"],
      ["top", "middle", "leaf"],
      ["coroutine"],
      [],
      true,
      true,
    ]);
  });

  it('errors crossing marked frames get an "at yield* name" line per frame', async () => {
    const leaf = asyncio.coroutine(function* leaf(): Co<void> {
      yield* asyncio.sleep(0);
      throw new Error("deep");
    });
    const middle = asyncio.coroutine(function* middle(): Co<void> {
      yield* leaf();
    });
    const top = asyncio.coroutine(function* top(): Co<void> {
      yield* middle();
    });
    const e = (await run(catchAll(top()))) as Error;
    const lines = (e.stack ?? "").split("\n");
    const frameLines = lines.filter((l) => l.includes("asyncio-ts frame"));
    expect(frameLines.map((l) => l.trim())).toEqual([
      "at yield* leaf (asyncio-ts frame)",
      "at yield* middle (asyncio-ts frame)",
      // top is itself a frame pushed by the (plain) catchAll coroutine that awaits it
      "at yield* top (asyncio-ts frame)",
    ]);
    expect(lines[0]).toBe("Error: deep");
  });
});

describe('"coroutine was never awaited"', () => {
  const neverAwaited = asyncio.coroutine(function* neverAwaited(): Co<number> {
    yield* asyncio.sleep(0);
    return 1;
  });

  async function runDropping(use: (coro: Co<number>) => Co<unknown>) {
    const loop = new asyncio.VirtualEventLoop();
    const reports: asyncio.ExceptionContext[] = [];
    loop.setExceptionHandler((_l, ctx) => {
      reports.push(ctx);
    });
    function* main() {
      yield* use(neverAwaited());
    }
    await loop.runUntilComplete(main());
    await collectGarbage();
    loop.close();
    return reports.map((r) => r.message);
  }

  it("is reported through the loop's exception handler after GC for a marked coroutine never awaited", async () => {
    const messages = await runDropping(function* () {
      yield* asyncio.sleep(0);
    });
    expect(messages).toEqual(["coroutine 'neverAwaited' was never awaited"]);
  });

  it("is not reported once awaited", async () => {
    const messages = await runDropping(function* (coro) {
      return yield* coro;
    });
    expect(messages).toEqual([]);
  });

  it("is not reported once wrapped in a task", async () => {
    const messages = await runDropping(function* (coro) {
      return yield* asyncio.createTask(coro);
    });
    expect(messages).toEqual([]);
  });

  it("is printed as a RuntimeWarning when no loop was running at creation", async () => {
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: unknown) => {
      printed.push(String(s));
    });
    (() => {
      neverAwaited();
    })();
    await collectGarbage();
    expect(printed).toEqual(["RuntimeWarning: coroutine 'neverAwaited' was never awaited"]);
  });
});

describe("iscoroutine", () => {
  it("is true for generator objects only", () => {
    function* g() {}
    const marked = asyncio.coroutine(function* m() {});
    expect(asyncio.iscoroutine(g())).toBe(true);
    expect(asyncio.iscoroutine(marked())).toBe(true);
    expect(asyncio.iscoroutine(g)).toBe(false);
    expect(asyncio.iscoroutine(Promise.resolve())).toBe(false);
    expect(asyncio.iscoroutine([1])).toBe(false);
    expect(asyncio.iscoroutine(null)).toBe(false);
    expect(asyncio.iscoroutine({ next() {} })).toBe(false);
  });
});

describe("TypeScript inference", () => {
  it("infers results of yield* without annotations", async () => {
    function* f() {
      yield* asyncio.sleep(0);
      return 1;
    }
    function* g() {
      yield* asyncio.sleep(0);
      return "g";
    }
    const h = asyncio.coroutine(function* h(x: boolean) {
      yield* asyncio.sleep(0);
      return x;
    });
    function* main() {
      const [a, b] = yield* asyncio.gather(f(), g());
      expectTypeOf(a).toEqualTypeOf<number>();
      expectTypeOf(b).toEqualTypeOf<string>();
      const both = yield* asyncio.gather(h(true), asyncio.sleep(1, 2n), Promise.resolve("p"));
      expectTypeOf(both).toEqualTypeOf<[boolean, bigint, string]>();
      const s = yield* asyncio.sleep(1, "x");
      expectTypeOf(s).toEqualTypeOf<string>();
      const u = yield* asyncio.sleep(1);
      expectTypeOf(u).toEqualTypeOf<undefined>();
      const task = asyncio.createTask(f());
      expectTypeOf(task).toEqualTypeOf<asyncio.Task<number>>();
      const t = yield* task;
      expectTypeOf(t).toEqualTypeOf<number>();
      const p = yield* asyncio.fromPromise(Promise.resolve(new Date(0)));
      expectTypeOf(p).toEqualTypeOf<Date>();
      const m = yield* h(false);
      expectTypeOf(m).toEqualTypeOf<boolean>();
      expectTypeOf(h).toEqualTypeOf<(x: boolean) => Generator<asyncio.Suspend, boolean, unknown>>();
      const fut = asyncio.getRunningLoop().createFuture<number[]>();
      fut.setResult([1]);
      const r = yield* fut;
      expectTypeOf(r).toEqualTypeOf<number[]>();
      return [a, b, both, s, u, t, p.getTime(), m, r];
    }
    expect(await run(main())).toEqual([1, "g", [true, 2n, "p"], "x", undefined, 1, 0, false, [1]]);
    expectTypeOf(asyncio.run<number>).returns.toEqualTypeOf<Promise<number>>();
  });
});
