/**
 * `sleep(delay, result)`: sleep(0) is one bare yield to the loop (the order of output
 * matches CPython's), argument checks, and a cancelled sleep cancels its timer.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { collectGarbage, runVirtual } from "./helpers.js";

type Co<T = unknown> = asyncio.Coroutine<T>;

async function run<T>(main: Co<T>): Promise<T> {
  return (await runVirtual(main)).result;
}

describe("sleep(0)", () => {
  it("gives way exactly once: callbacks scheduled meanwhile run in the next iteration", async () => {
    // CPython: ['a', 'b', 'main1', 'c', 'main2']
    const log: string[] = [];
    function* main() {
      const loop = asyncio.getRunningLoop();
      loop.callSoon(() => {
        log.push("a");
        loop.callSoon(() => log.push("c"));
      });
      loop.callSoon(() => log.push("b"));
      yield* asyncio.sleep(0);
      log.push("main1");
      yield* asyncio.sleep(0);
      log.push("main2");
    }
    await run(main());
    expect(log).toEqual(["a", "b", "main1", "c", "main2"]);
  });

  it("interleaves tasks and callbacks as CPython does", async () => {
    // CPython: [('x', 0), ('y', 0), 'cb', 'm', ('x', 1), ('y', 1)]
    const log: string[] = [];
    function* w(n: string) {
      for (let i = 0; i < 2; i++) {
        log.push(`${n}${i}`);
        yield* asyncio.sleep(0);
      }
    }
    function* main() {
      const t1 = asyncio.createTask(w("x"));
      const t2 = asyncio.createTask(w("y"));
      asyncio.getRunningLoop().callSoon(() => log.push("cb"));
      yield* asyncio.sleep(0);
      log.push("m");
      yield* t1;
      yield* t2;
    }
    await run(main());
    expect(log).toEqual(["x0", "y0", "cb", "m", "x1", "y1"]);
  });

  it("arms no timer and takes no time; evaluates to the result", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(asyncio.sleep(0, "r0"));
      yield* asyncio.sleep(0);
      const timers = loop._timers.size;
      return [yield* asyncio.sleep(0, 7), yield* t, timers, yield* asyncio.sleep(0)];
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([7, "r0", 0, undefined]);
    expect(elapsed).toBe(0);
  });

  it("a negative delay acts as 0", async () => {
    const log: string[] = [];
    function* main() {
      asyncio.getRunningLoop().callSoon(() => log.push("callback"));
      const v = yield* asyncio.sleep(-5, "neg");
      log.push("main");
      return v;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe("neg");
    expect(elapsed).toBe(0);
    expect(log).toEqual(["callback", "main"]);
  });
});

describe("sleep(delay)", () => {
  it("resumes after `delay` virtual seconds with the result", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const a = yield* asyncio.sleep(1.5, "a");
      const t1 = loop.time();
      const b = yield* asyncio.sleep(2);
      return [a, t1, b, loop.time()];
    }
    expect(await run(main())).toEqual(["a", 1.5, undefined, 3.5]);
  });

  it("concurrent sleepers wake in deadline order", async () => {
    const log: number[] = [];
    function* sleeper(d: number) {
      yield* asyncio.sleep(d);
      log.push(d);
    }
    function* main() {
      yield* asyncio.gather(sleeper(3), sleeper(1), sleeper(2), sleeper(1));
    }
    const { elapsed } = await runVirtual(main());
    expect(log).toEqual([1, 1, 2, 3]);
    expect(elapsed).toBe(3);
  });

  it("argument errors: NaN → RangeError, non-number → TypeError, at the call", () => {
    expect(() => asyncio.sleep(Number.NaN)).toThrow(
      new RangeError("sleep(): 'delay' must not be NaN"),
    );
    expect(() => asyncio.sleep("1" as never)).toThrow(
      new TypeError("sleep(): 'delay' must be a number of seconds: received \"1\""),
    );
    expect(() => asyncio.sleep(undefined as never)).toThrow(TypeError);
    expect(() => asyncio.sleep(1n as never)).toThrow(
      new TypeError("sleep(): 'delay' must be a number of seconds: received 1"),
    );
  });

  it("`yield sleep(...)` instead of `yield*` fails at once with a message that says yield*", async () => {
    function* slip(d: number) {
      yield asyncio.sleep(d) as unknown as asyncio.Suspend;
      return "continued";
    }
    function* main() {
      const out: unknown[] = [];
      for (const d of [1, 0]) {
        const t = asyncio.createTask(slip(d), { name: `slip${d}` });
        try {
          out.push(yield* t);
        } catch (e) {
          out.push([(e as Error).constructor.name, /yield\*/.test((e as Error).message)]);
        }
      }
      return out;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([
      ["TypeError", true],
      ["TypeError", true],
    ]);
    expect(elapsed).toBe(0);
  });

  it("a sleep() object awaited twice → RuntimeError, as a reused coroutine", async () => {
    function* main() {
      const s = asyncio.sleep(1, "once");
      const first = yield* s;
      try {
        yield* s;
        return [first, "no error"];
      } catch (e) {
        return [first, (e as Error).constructor.name, (e as Error).message];
      }
    }
    expect(await run(main())).toEqual([
      "once",
      "RuntimeError",
      "cannot reuse already awaited coroutine (a sleep() object)",
    ]);
  });

  it("a sleep's repr shows its delay and state; a waiting task's repr shows the sleep", async () => {
    function* main() {
      const s = asyncio.sleep(2.5, "x");
      const created = String(s);
      const t = asyncio.createTask(
        (function* () {
          return yield* s;
        })(),
        { name: "sleeper" },
      );
      yield* asyncio.sleep(0);
      const waiting = [String(s), String(t)];
      const r = yield* t;
      return [created, ...waiting, String(s), r];
    }
    expect(await run(main())).toEqual([
      "<sleep 2.5s created>",
      "<sleep 2.5s waiting>",
      "<Task pending name='sleeper' coro=<coroutine> wait_for=<sleep 2.5s waiting>>",
      "<sleep 2.5s done>",
      "x",
    ]);
  });

  it("a cancelled sleep raises CancelledError(msg) and cancels its timer", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(asyncio.sleep(3600, "never"));
      yield* asyncio.sleep(0);
      const armed = loop._nextTimerWhen();
      t.cancel("wake");
      let err: unknown;
      try {
        yield* t;
      } catch (e) {
        err = e;
      }
      return [
        err instanceof asyncio.CancelledError,
        (err as Error).message,
        armed,
        loop._nextTimerWhen() === undefined,
        loop.time(),
      ];
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([true, "wake", 3600, true, 0]);
    expect(elapsed).toBe(0);
  });

  it("cancel() after the timer fired but before the task resumed still cancels it (CPython)", async () => {
    function* sleeper() {
      try {
        return yield* asyncio.sleep(1, "woke");
      } catch (e) {
        return `cancelled: ${(e as Error).message}`;
      }
    }
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(sleeper());
      yield* asyncio.sleep(0); // t's timer is armed first: it fires first at t=1
      loop.callLater(1, () => t.cancel("just in time"));
      return yield* t;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe("cancelled: just in time");
    expect(elapsed).toBe(1);
  });

  it("a cancelled sleep's timer no longer holds its result or its task (the heap does not keep it live)", async () => {
    let payloadRef: WeakRef<object> | undefined;
    let taskRef: WeakRef<object> | undefined;
    function* main() {
      (() => {
        const payload = { big: new Array(1000).fill(0) };
        payloadRef = new WeakRef(payload);
        const t = asyncio.createTask(asyncio.sleep(3600, payload));
        taskRef = new WeakRef(t);
        asyncio.getRunningLoop().callSoon(() => t.cancel());
      })();
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      // Time must not jump to the cancelled deadline while the garbage collector runs.
      yield* asyncio.fromPromise(collectGarbage());
      return [payloadRef?.deref() === undefined, taskRef?.deref() === undefined];
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toEqual([true, true]);
    expect(elapsed).toBe(0);
  });
});
