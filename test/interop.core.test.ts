/**
 * The core bridges: Tasks awaited from `async` code, Promises awaited in coroutines with
 * `fromPromise`, and `run()` given a Promise or a Future.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

type Co<T = unknown> = asyncio.Coroutine<T>;

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

describe("a Task awaited from async code", () => {
  it("resolves with the task's result while the loop runs", async () => {
    // The child only yields to the loop: on the virtual-time loop the clock holds still
    // while main waits on a bridged promise, so a child sleeping in virtual time would
    // never wake (see the report on the virtual clock and bridged promises).
    function* child() {
      for (let i = 0; i < 3; i++) yield* asyncio.sleep(0);
      return "child";
    }
    function* main() {
      const t = asyncio.createTask(child());
      const fromAsync = (async () => `async saw ${await t}`)();
      return yield* asyncio.fromPromise(fromAsync);
    }
    expect(await run(main())).toBe("async saw child");
  });

  it("rejects with the coroutine's original error", async () => {
    const err = new URIError("original");
    function* child(): Co<never> {
      yield* asyncio.sleep(0);
      throw err;
    }
    function* main() {
      const t = asyncio.createTask(child());
      const caught = yield* asyncio.fromPromise(
        t.then(
          () => null,
          (e: unknown) => e,
        ),
      );
      return caught === err;
    }
    expect(await run(main())).toBe(true);
  });

  it("rejects with CancelledError(msg) when the task is cancelled", async () => {
    function* main() {
      const t = asyncio.createTask(asyncio.sleep(10));
      const p = t.then(
        () => null,
        (e: unknown) => e,
      );
      yield* asyncio.sleep(1);
      t.cancel("enough");
      const e = (yield* asyncio.fromPromise(p)) as Error;
      return [e instanceof asyncio.CancelledError, e.message];
    }
    expect(await run(main())).toEqual([true, "enough"]);
  });

  it("a finished task can be awaited after the loop stopped", async () => {
    const loop = new asyncio.VirtualEventLoop();
    let task: asyncio.Task<number> | undefined;
    function* main() {
      task = asyncio.createTask(asyncio.sleep(1, 7));
      yield* task;
    }
    await loop.runUntilComplete(main());
    loop.close();
    expect(await (task as asyncio.Task<number>)).toBe(7);
  });
});

describe("fromPromise", () => {
  it("evaluates to the resolved value", async () => {
    function* main() {
      const a = yield* asyncio.fromPromise(Promise.resolve(1));
      const thenable = {
        // biome-ignore lint/suspicious/noThenProperty: a hand-made thenable
        then(ok: (v: string) => void) {
          ok("thenable");
        },
      } as unknown as PromiseLike<string>;
      const b = yield* asyncio.fromPromise(thenable);
      return [a, b];
    }
    expect(await run(main())).toEqual([1, "thenable"]);
  });

  it("throws the original rejection reason", async () => {
    const err = new EvalError("rejected");
    function* main() {
      const e = yield* catchAll(asyncio.fromPromise(Promise.reject(err)));
      return e === err;
    }
    expect(await run(main())).toBe(true);
  });

  it("a rejection with undefined becomes a TypeError", async () => {
    function* main() {
      const e = (yield* catchAll(asyncio.fromPromise(Promise.reject(undefined)))) as Error;
      return [e instanceof TypeError, e.message];
    }
    expect(await run(main())).toEqual([true, "promise rejected with undefined"]);
  });

  it("cancelling the awaiting task while the promise is pending throws CancelledError at once", async () => {
    let settle: (v: string) => void = () => {};
    const pending = new Promise<string>((r) => {
      settle = r;
    });
    const log: string[] = [];
    function* waiter() {
      try {
        return yield* asyncio.fromPromise(pending);
      } catch (e) {
        log.push(`waiter got ${(e as Error).name}`);
        throw e;
      }
    }
    function* main() {
      const t = asyncio.createTask(waiter());
      yield* asyncio.sleep(0);
      t.cancel("gone");
      const e = (yield* catchAll(t)) as Error;
      // The promise settling later is ignored, without errors.
      settle("late");
      yield* asyncio.fromPromise(Promise.resolve());
      return [t.cancelled(), e.message];
    }
    expect(await run(main())).toEqual([true, "gone"]);
    expect(log).toEqual(["waiter got CancelledError"]);
  });

  it("argument errors", async () => {
    function* main() {
      const errors: string[] = [];
      // biome-ignore lint/suspicious/noThenProperty: a non-callable then is the point
      for (const bad of [5, null, {}, { then: 1 }]) {
        try {
          asyncio.fromPromise(bad as never);
        } catch (e) {
          expect(e).toBeInstanceOf(TypeError);
          errors.push((e as Error).message);
        }
      }
      return errors;
    }
    expect(await run(main())).toEqual([
      "fromPromise(): 'promise' must be a Promise or thenable: received 5",
      "fromPromise(): 'promise' must be a Promise or thenable: received null",
      "fromPromise(): 'promise' must be a Promise or thenable: received an object",
      "fromPromise(): 'promise' must be a Promise or thenable: received an object",
    ]);
    expect(() => asyncio.fromPromise(Promise.resolve())).toThrow(
      new asyncio.RuntimeError("no running event loop"),
    );
  });
});

describe("run() with a Promise or a Future", () => {
  const virtual = { loopFactory: () => new asyncio.VirtualEventLoop() };

  it("accepts a Promise and resolves with its value", async () => {
    await expect(asyncio.run(Promise.resolve(5), virtual)).resolves.toBe(5);
  });

  it("rejects with the Promise's original error", async () => {
    const err = new Error("p");
    await expect(asyncio.run(Promise.reject(err), virtual)).rejects.toBe(err);
  });

  it("Runner.run accepts a Future of its loop", async () => {
    const runner = new asyncio.Runner(virtual);
    const loop = runner.getLoop();
    const fut = loop.createFuture<string>();
    loop.callLater(3, () => fut.setResult("future"));
    expect(await runner.run(fut)).toBe("future");
    expect(loop.time()).toBe(3);
    await runner.close();
  });

  it("accepts any awaitable (a Task-less Awaitable such as sleep())", async () => {
    await expect(asyncio.run(asyncio.sleep(2, "slept"), virtual)).resolves.toBe("slept");
  });

  it("rejects a non-awaitable with a TypeError naming it", async () => {
    await expect(asyncio.run(5 as never, virtual)).rejects.toThrow(
      new TypeError("run(): an awaitable is required: received 5"),
    );
  });
});
