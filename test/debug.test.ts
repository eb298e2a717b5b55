/**
 * Debug mode and "no error is lost" reports: slow callbacks, swallowed cancellations,
 * tasks destroyed while pending, errors during run()'s shutdown, and stacks that show the
 * coroutine frames.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

type Co<T = unknown> = asyncio.Coroutine<T>;

function newLoop(debug: boolean) {
  const loop = new asyncio.VirtualEventLoop();
  const reports: asyncio.ExceptionContext[] = [];
  loop.setExceptionHandler((_l, ctx) => {
    reports.push(ctx);
  });
  loop.setDebug(debug);
  return { loop, reports };
}

describe("slow callbacks", () => {
  it("debug mode reports every callback and task step slower than slowCallbackDuration", async () => {
    const { loop, reports } = newLoop(true);
    loop.slowCallbackDuration = 0; // every callback counts as slow: deterministic
    function slowOne(): void {}
    loop.callSoon(slowOne);
    await loop.runUntilComplete(asyncio.sleep(1));
    loop.close();
    const messages = reports.map((r) => r.message);
    expect(messages[0]).toMatch(/^Executing <Handle slowOne\(\)> took \d+\.\d{3} seconds$/);
    expect(messages.some((m) => /^Executing <Task .*> took \d+\.\d{3} seconds$/.test(m))).toBe(
      true,
    );
  });

  it("is silent outside debug mode", async () => {
    const { loop, reports } = newLoop(false);
    loop.slowCallbackDuration = 0;
    loop.callSoon(function slowOne() {});
    await loop.runUntilComplete(asyncio.sleep(1));
    loop.close();
    expect(reports).toEqual([]);
  });

  it("is silent in debug mode for callbacks faster than the threshold", async () => {
    const { loop, reports } = newLoop(true);
    loop.slowCallbackDuration = 3600;
    loop.callSoon(function fastOne() {});
    await loop.runUntilComplete(asyncio.sleep(1));
    loop.close();
    expect(reports).toEqual([]);
  });
});

describe("a task that swallowed its cancellation", () => {
  function* swallower(): Co<string> {
    try {
      yield* asyncio.sleep(10);
    } catch {
      // swallowed, without uncancel()
    }
    return "kept going";
  }
  function* main(): Co<unknown> {
    const t = asyncio.createTask(swallower(), { name: "swallower" });
    yield* asyncio.sleep(1);
    t.cancel();
    return yield* t;
  }

  it("is reported in debug mode", async () => {
    const { result, reports } = await runVirtual(main(), { debug: true, allowReports: true });
    expect(result).toBe("kept going");
    expect(reports.map((r) => r.message)).toEqual([
      "Task swallower swallowed its cancellation: it was cancelled 1 time(s) and returned normally without uncancel()",
    ]);
    expect(reports[0]?.task).toBeInstanceOf(asyncio.Task);
  });

  it("is not reported outside debug mode", async () => {
    const { result, reports } = await runVirtual(main(), { allowReports: true });
    expect(result).toBe("kept going");
    expect(reports).toEqual([]);
  });

  it("is not reported when the task called uncancel()", async () => {
    function* polite(): Co<string> {
      try {
        yield* asyncio.sleep(10);
      } catch {
        (asyncio.currentTask() as asyncio.Task<unknown>).uncancel();
      }
      return "kept going";
    }
    function* main2(): Co<unknown> {
      const t = asyncio.createTask(polite());
      yield* asyncio.sleep(1);
      t.cancel();
      return yield* t;
    }
    const { reports } = await runVirtual(main2(), { debug: true });
    expect(reports).toEqual([]);
  });
});

describe("pending tasks at close", () => {
  it('"Task was destroyed but it is pending!" for each task pending when the loop closes', async () => {
    const { loop, reports } = newLoop(false);
    let left: asyncio.Task<unknown> | undefined;
    function* main() {
      left = asyncio.createTask(asyncio.sleep(3600), { name: "left" });
      yield* asyncio.sleep(1);
    }
    await loop.runUntilComplete(main());
    expect(reports).toEqual([]);
    loop.close();
    expect(reports.map((r) => r.message)).toEqual(["Task was destroyed but it is pending!"]);
    expect(reports[0]?.task).toBe(left);
  });

  it("run() cancels leftover tasks, so nothing is destroyed pending", async () => {
    function* main() {
      asyncio.createTask(asyncio.sleep(3600));
      yield* asyncio.sleep(1);
    }
    const { reports } = await runVirtual(main());
    expect(reports).toEqual([]);
  });

  it('run() reports "unhandled exception during asyncio.run() shutdown" for a leftover task that fails while cancelled', async () => {
    const err = new Error("cleanup failed");
    function* stubborn() {
      try {
        yield* asyncio.sleep(3600);
      } finally {
        // biome-ignore lint/correctness/noUnsafeFinally: the point of the test
        throw err;
      }
    }
    function* main() {
      asyncio.createTask(stubborn(), { name: "stubborn" });
      yield* asyncio.sleep(1);
      return "main done";
    }
    const { result, reports } = await runVirtual(main(), { allowReports: true });
    expect(result).toBe("main done");
    expect(reports.map((r) => r.message)).toEqual([
      "unhandled exception during asyncio.run() shutdown",
    ]);
    expect(reports[0]?.exception).toBe(err);
    expect(((reports[0] as asyncio.ExceptionContext).task as asyncio.Task<unknown>).getName()).toBe(
      "stubborn",
    );
  });
});

describe("stacks", () => {
  it("an error's stack shows the frames of a plain function* chain", async () => {
    function* innermost(): Co<never> {
      yield* asyncio.sleep(1);
      throw new Error("deep");
    }
    function* middleFrame(): Co<never> {
      return yield* innermost();
    }
    function* outerFrame(): Co<unknown> {
      try {
        return yield* middleFrame();
      } catch (e) {
        return e;
      }
    }
    const { result } = await runVirtual(outerFrame());
    const stack = (result as Error).stack ?? "";
    expect(stack).toMatch(/at innermost \(/);
    expect(stack).toMatch(/at middleFrame \(/);
    expect(stack).toMatch(/at outerFrame \(/);
    expect(stack.indexOf("innermost")).toBeLessThan(stack.indexOf("middleFrame"));
  });
});
