import { afterAll, describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { moduleFunction, ThreadPoolExecutor, toThread } from "../src/io/threads.js";
import { runTest, type TestRun } from "../src/testing/index.js";

/**
 * Runs `main` through asyncio-ts/testing's harness with every check on: a test that
 * leaves a thread call running, a task pending or an exception unretrieved fails,
 * naming it. (Threads are outside work, so the deadlock watchdog is off.)
 */
function runChecked<T>(main: asyncio.Coroutine<T>): Promise<TestRun<T>> {
  return runTest(() => main, { deadlockAfter: Number.POSITIVE_INFINITY });
}

// One small pool for most tests: worker threads are costly on a shared 2-core machine.
const pool = new ThreadPoolExecutor(2);
afterAll(() => pool.shutdown());

describe("toThread", () => {
  it("runs a self-contained function in a worker and returns its result", async () => {
    const { result } = await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const sum = yield* toThread(
          (n: number, label: string) => {
            let s = 0;
            for (let i = 0; i < n; i++) s += i;
            return { label, s, inMain: require("node:worker_threads").isMainThread };
          },
          1000,
          "sum",
        );
        yield* loop.shutdownDefaultExecutor();
        return sum;
      })(),
    );
    expect(result).toEqual({ label: "sum", s: 499500, inMain: false });
  });

  it("raises RuntimeError once the default executor was shut down", async () => {
    const { result } = await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        yield* loop.shutdownDefaultExecutor();
        try {
          yield* toThread(() => 1);
          return "ran";
        } catch (e) {
          return e;
        }
      })(),
    );
    expect(result).toBeInstanceOf(asyncio.RuntimeError);
    expect((result as Error).message).toBe("Executor shutdown has been called");
  });
});

describe("loop.shutdownDefaultExecutor", () => {
  it("reports and terminates workers still busy after its timeout (Node loop: real seconds)", async () => {
    const messages: string[] = [];
    const gate = new SharedArrayBuffer(4);
    const outcome = await asyncio.run(
      (function* () {
        const loop = asyncio.getRunningLoop();
        loop.setExceptionHandler((_loop, ctx) => {
          messages.push(ctx.message);
        });
        // A call that never returns on its own: its worker waits on a gate nobody opens.
        const stuck = loop.runInExecutor(
          null,
          (sab: SharedArrayBuffer) => Atomics.wait(new Int32Array(sab), 0, 0),
          gate,
        );
        yield* loop.shutdownDefaultExecutor(0.05);
        try {
          yield* stuck;
          return "finished";
        } catch (e) {
          return e;
        }
      })(),
    );
    expect(messages).toEqual([
      "The executor did not finish joining its threads within 0.05 seconds.",
    ]);
    expect(outcome).toBeInstanceOf(asyncio.RuntimeError);
    expect(String(outcome)).toContain("terminated");
  });
});

describe("loop.runInExecutor", () => {
  it("carries errors back with their class, stack and properties", async () => {
    const { result } = await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        try {
          yield* loop.runInExecutor(
            pool,
            function failInWorker(code: string) {
              throw Object.assign(new RangeError("out of range in worker"), { code });
            },
            "E_TEST",
          );
        } catch (e) {
          return e;
        }
      })(),
    );
    expect(result).toBeInstanceOf(RangeError);
    const e = result as RangeError & { code: string };
    expect(e.message).toBe("out of range in worker");
    expect(e.code).toBe("E_TEST");
    expect(e.stack).toContain("failInWorker");
  });

  it("reports a closed-over variable as the worker's ReferenceError", async () => {
    const outside = 41;
    const { result } = await runChecked(
      (function* () {
        try {
          yield* asyncio.getRunningLoop().runInExecutor(pool, () => outside + 1);
        } catch (e) {
          return e;
        }
      })(),
    );
    expect(result).toBeInstanceOf(ReferenceError);
  });

  it("runs module functions, and awaits async ones", async () => {
    const inc = moduleFunction<(a: number) => number>(
      "data:text/javascript,export async function inc(a) { return a + 1 }",
      "inc",
    );
    const platform = moduleFunction<() => string>("node:os", "platform");
    const { result } = await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const a = yield* loop.runInExecutor(pool, inc, 41);
        const p = yield* loop.runInExecutor(pool, platform);
        let missing: unknown;
        try {
          yield* loop.runInExecutor(pool, moduleFunction("node:os", "nope"));
        } catch (e) {
          missing = e;
        }
        return { a, p, missing };
      })(),
    );
    expect(result.a).toBe(42);
    expect(result.p).toBe(process.platform);
    expect(result.missing).toBeInstanceOf(TypeError);
    expect(String(result.missing)).toContain("'nope'");
  });

  it("reuses at most maxWorkers workers", async () => {
    const { result } = await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const ids = yield* asyncio.gather(
          ...Array.from({ length: 6 }, () =>
            loop.runInExecutor(pool, () => require("node:worker_threads").threadId as number),
          ),
        );
        return ids;
      })(),
    );
    expect(new Set(result).size).toBeLessThanOrEqual(2);
    expect(pool.workerCount).toBeLessThanOrEqual(2);
  });

  it("withdraws a cancelled call that has not started: it never runs", async () => {
    const one = new ThreadPoolExecutor(1);
    const gate = new SharedArrayBuffer(8);
    const flags = new Int32Array(gate);
    const { result } = await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        // The only worker blocks until the main thread opens the gate.
        const blocker = loop.runInExecutor(
          one,
          (sab: SharedArrayBuffer) => {
            Atomics.wait(new Int32Array(sab), 0, 0);
            return "released";
          },
          gate,
        );
        const queued = asyncio.createTask(
          (function* () {
            return yield* loop.runInExecutor(
              one,
              (sab: SharedArrayBuffer) => {
                Atomics.add(new Int32Array(sab), 1, 1);
              },
              gate,
            );
          })(),
        );
        yield* asyncio.sleep(0);
        queued.cancel();
        let cancelled = false;
        try {
          yield* queued;
        } catch (e) {
          cancelled = e instanceof asyncio.CancelledError;
        }
        Atomics.store(flags, 0, 1);
        Atomics.notify(flags, 0);
        const released = yield* blocker;
        // A later call runs on the same worker after the withdrawn one would have.
        const after = yield* loop.runInExecutor(
          one,
          (sab: SharedArrayBuffer) => Atomics.load(new Int32Array(sab), 1),
          gate,
        );
        return { cancelled, released, after };
      })(),
    );
    await one.shutdown();
    expect(result).toEqual({ cancelled: true, released: "released", after: 0 });
    expect(Atomics.load(flags, 1)).toBe(0);
  });

  it("fails the call of a worker that exits, and replaces the worker", async () => {
    const { result } = await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        let error: unknown;
        try {
          yield* loop.runInExecutor(pool, () => process.exit(3));
        } catch (e) {
          error = e;
        }
        const next = yield* loop.runInExecutor(pool, () => "still working");
        return { error, next };
      })(),
    );
    expect(result.error).toBeInstanceOf(asyncio.RuntimeError);
    expect(String(result.error)).toContain("code 3");
    expect(result.next).toBe("still working");
  });

  it("refuses what cannot be sent, and bad pool sizes", async () => {
    const obj = {
      method() {
        return 1;
      },
    };
    await runChecked(
      (function* () {
        const loop = asyncio.getRunningLoop();
        expect(() => loop.runInExecutor(pool, obj.method)).toThrow(TypeError);
        expect(() => loop.runInExecutor(pool, Math.max)).toThrow(/native and bound/);
        expect(() => loop.runInExecutor(pool, 42 as never)).toThrow(TypeError);
      })(),
    );
    expect(() => new ThreadPoolExecutor(0)).toThrow(RangeError);
    expect(() => new ThreadPoolExecutor(1.5)).toThrow(/'maxWorkers'/);
    expect(() => moduleFunction("", "f")).toThrow(TypeError);
  });

  it("shutdown(cancelFutures) cancels queued calls; submit after shutdown raises", async () => {
    const one = new ThreadPoolExecutor(1);
    const first = one.submit(() => 1);
    const second = one.submit(() => 2);
    const closing = one.shutdown(true, { cancelFutures: true });
    expect(() => one.submit(() => 3)).toThrow(asyncio.RuntimeError);
    await closing;
    await expect(first.promise).resolves.toBe(1);
    await expect(second.promise).rejects.toBeInstanceOf(asyncio.CancelledError);
    expect(one.workerCount).toBe(0);
  });
});

describe("the public API of the I/O modules", () => {
  it("is exported by src/index.ts, and importing it installs the loop methods", () => {
    for (const name of [
      "toThread",
      "ThreadPoolExecutor",
      "moduleFunction",
      "createSubprocessExec",
      "createSubprocessShell",
      "Process",
      "ProcessLookupError",
    ]) {
      expect(typeof (asyncio as Record<string, unknown>)[name], name).toBe("function");
    }
    expect([asyncio.PIPE, asyncio.STDOUT, asyncio.DEVNULL]).toEqual([-1, -2, -3]);
    expect([asyncio.AF_INET, asyncio.AF_INET6, asyncio.SOCK_STREAM]).toEqual([2, 10, 1]);
    for (const method of [
      "runInExecutor",
      "setDefaultExecutor",
      "shutdownDefaultExecutor",
      "getaddrinfo",
      "getnameinfo",
      "addSignalHandler",
      "removeSignalHandler",
    ]) {
      expect(
        typeof (asyncio.BaseEventLoop.prototype as unknown as Record<string, unknown>)[method],
        method,
      ).toBe("function");
    }
  });
});
