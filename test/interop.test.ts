import { EventEmitter, once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

/** A promise settled by Node's loop, not by a timer: outside work, without real sleeping. */
function nextTurn<T>(value: T): Promise<T> {
  return new Promise((resolve) => setImmediate(() => resolve(value)));
}

describe("Tasks and Futures are PromiseLike", () => {
  it("async code awaits a Task's result", async () => {
    let promise: Promise<string> | null = null;
    function* main() {
      const task = asyncio.createTask(asyncio.sleep(3, "done"));
      promise = Promise.resolve(task);
      yield* task;
    }
    await runVirtual(main());
    expect(await (promise as unknown as Promise<string>)).toBe("done");
  });

  it("the Promise rejects with the coroutine's own error", async () => {
    const err = new Error("own error");
    let promise: PromiseLike<never> | null = null;
    function* failing(): asyncio.Coroutine<never> {
      yield* asyncio.sleep(1);
      throw err;
    }
    function* main() {
      const task = asyncio.createTask(failing());
      promise = task;
      yield* asyncio.gather(task, { returnExceptions: true });
    }
    await runVirtual(main());
    await expect(promise).rejects.toBe(err);
  });

  it("cancellation crosses: a cancelled Task's Promise rejects with CancelledError", async () => {
    let outcome: Promise<unknown> | null = null;
    function* main() {
      const task = asyncio.createTask(asyncio.sleep(100));
      // The handler is attached before the rejection happens, as real code would.
      outcome = task.then(
        () => "fulfilled",
        (e: unknown) => e,
      );
      yield* asyncio.sleep(1);
      task.cancel("no longer needed");
      yield* asyncio.gather(task, { returnExceptions: true });
    }
    await runVirtual(main());
    const reason = await outcome;
    expect(reason).toBeInstanceOf(asyncio.CancelledError);
    expect(reason).toMatchObject({ message: "no longer needed" });
  });
});

describe("fromPromise: a coroutine awaits a Promise", () => {
  it("evaluates to the value; the virtual clock holds still while it is pending", async () => {
    const log: string[] = [];
    function* io() {
      log.push(`io got ${yield* asyncio.fromPromise(nextTurn("data"))}`);
    }
    function* timer() {
      yield* asyncio.sleep(1000);
      log.push("timer fired");
    }
    function* main() {
      yield* asyncio.gather(io(), timer());
    }
    const { elapsed } = await runVirtual(main());
    expect(log).toEqual(["io got data", "timer fired"]);
    expect(elapsed).toBe(1000);
  });

  it("throws the rejection reason itself", async () => {
    const err = new Error("rejected");
    function* main() {
      try {
        yield* asyncio.fromPromise(Promise.reject(err));
      } catch (e) {
        return e;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(err);
  });

  it("cancellation crosses: the awaiting task stops at once, even if the Promise never settles", async () => {
    function* waiter() {
      yield* asyncio.fromPromise(new Promise<never>(() => {}));
    }
    function* main() {
      const task = asyncio.createTask(waiter());
      yield* asyncio.sleep(0);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      return task.cancelled();
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(true);
  });

  it("rejects what is not a Promise", () => {
    expect(() => asyncio.fromPromise(42 as never)).toThrow(
      /'promise' must be a Promise or thenable/,
    );
  });
});

describe("currentSignal: the task's AbortSignal inside its coroutine", () => {
  it("is the running task's signal and aborts with CancelledError on cancel", async () => {
    function* main() {
      let signal: AbortSignal | null = null;
      const task = asyncio.createTask(
        (function* () {
          signal = asyncio.currentSignal();
          expect(signal).toBe(asyncio.currentTask()?.signal);
          yield* asyncio.sleep(100);
        })(),
      );
      yield* asyncio.sleep(1);
      const s = signal as unknown as AbortSignal;
      expect(s.aborted).toBe(false);
      task.cancel("stop");
      expect(s.aborted).toBe(true);
      expect(s.reason).toBeInstanceOf(asyncio.CancelledError);
      yield* asyncio.gather(task, { returnExceptions: true });
    }
    await runVirtual(main());
  });

  it("cancellation crosses into signal-aware APIs: events.once and timers/promises stop", async () => {
    const emitter = new EventEmitter();
    let timerPromise: Promise<unknown> | null = null;
    function* waitForEvent() {
      const signal = asyncio.currentSignal();
      timerPromise = delay(3_600_000, "late", { signal });
      timerPromise.catch(() => {});
      yield* asyncio.fromPromise(once(emitter, "ready", { signal }));
    }
    function* main() {
      const task = asyncio.createTask(waitForEvent());
      yield* asyncio.sleep(0);
      expect(emitter.listenerCount("ready")).toBe(1);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      expect(task.cancelled()).toBe(true);
      expect(emitter.listenerCount("ready")).toBe(0);
    }
    await runVirtual(main());
    await expect(timerPromise).rejects.toMatchObject({ name: "AbortError" });
  });

  it("throws RuntimeError outside a task", async () => {
    expect(() => asyncio.currentSignal()).toThrow(asyncio.RuntimeError);
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<unknown>();
      loop.callSoon(() => {
        try {
          asyncio.currentSignal();
        } catch (e) {
          fut.setResult(e);
        }
      });
      return yield* fut;
    }
    const { result } = await runVirtual(main());
    expect(String(result)).toMatch(/currentSignal\(\): no current task/);
  });
});

describe("fromAsync: an async function as a coroutine (and so as a Task)", () => {
  it("is lazy, hands the task's signal, and evaluates to the function's result", async () => {
    const log: string[] = [];
    function* main() {
      const coro = asyncio.fromAsync(async (signal) => {
        log.push(`called, aborted=${signal.aborted}`);
        expect(signal).toBe(asyncio.currentTask()?.signal);
        return (await nextTurn(20)) + 1;
      });
      expectTypeOf(coro).toEqualTypeOf<asyncio.Coroutine<number>>();
      log.push("created");
      yield* asyncio.sleep(0);
      const task = asyncio.createTask(coro);
      log.push("task created");
      return yield* task;
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(21);
    expect(log).toEqual(["created", "task created", "called, aborted=false"]);
  });

  it("throws the function's own rejection", async () => {
    const err = new Error("async failure");
    function* main() {
      try {
        yield* asyncio.fromAsync(async () => {
          await nextTurn(null);
          throw err;
        });
      } catch (e) {
        return e;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(err);
  });

  it("cancellation crosses: the signal aborts, the function finishes, then the task is cancelled", async () => {
    const log: string[] = [];
    const emitter = new EventEmitter();
    function* main() {
      const task = asyncio.createTask(
        asyncio.fromAsync(async (signal) => {
          try {
            await once(emitter, "never", { signal });
          } finally {
            await nextTurn(null);
            log.push("async cleanup done");
          }
        }),
      );
      yield* asyncio.sleep(0);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      log.push(`task cancelled=${task.cancelled()}`);
    }
    await runVirtual(main());
    expect(log).toEqual(["async cleanup done", "task cancelled=true"]);
  });

  it("an error other than the abort, raised while stopping, is not lost", async () => {
    const emitter = new EventEmitter();
    function* main() {
      const task = asyncio.createTask(
        asyncio.fromAsync(async (signal) => {
          try {
            await once(emitter, "never", { signal });
          } catch {
            throw new Error("cleanup failed");
          }
        }),
      );
      yield* asyncio.sleep(0);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      return task.exception();
    }
    const { result } = await runVirtual(main());
    expect(String(result)).toMatch(/cleanup failed/);
  });

  it("a function that ignores its signal is abandoned by a second cancel", async () => {
    function* main() {
      const task = asyncio.createTask(asyncio.fromAsync(() => new Promise<never>(() => {})));
      yield* asyncio.sleep(0);
      task.cancel();
      for (let i = 0; i < 5; i++) yield* asyncio.sleep(0);
      expect(task.done()).toBe(false);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      return task.cancelled();
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(true);
  });

  it("validates: a function, returning a Promise, run by a Task", async () => {
    expect(() => asyncio.fromAsync("x" as never)).toThrow(/'fn' must be an async function/);
    expect(() => asyncio.fromAsync(async () => 1).next()).toThrow(/no running event loop/);
    function* main() {
      try {
        yield* asyncio.fromAsync((() => 5) as never);
      } catch (e) {
        return e;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBeInstanceOf(TypeError);
    expect(String(result)).toMatch(/'fn' must return a Promise: it returned 5/);
  });
});

describe("runCoroutineThreadsafe: submitting a coroutine from outside the loop", () => {
  function* work(log: string[], name: string, seconds: number) {
    try {
      log.push(`${name} starts`);
      yield* asyncio.sleep(seconds);
      log.push(`${name} done`);
      return `${name} result`;
    } finally {
      log.push(`${name} finally`);
    }
  }

  async function withLoop(fn: (loop: asyncio.VirtualEventLoop) => Promise<void>): Promise<void> {
    const loop = new asyncio.VirtualEventLoop();
    const running = loop.runForever();
    try {
      await fn(loop);
    } finally {
      loop.stop();
      await running;
      loop.close();
    }
  }

  it("runs the coroutines in submission order and resolves with their results", async () => {
    const log: string[] = [];
    await withLoop(async (loop) => {
      const a = asyncio.runCoroutineThreadsafe(work(log, "a", 2), loop);
      const b = asyncio.runCoroutineThreadsafe(work(log, "b", 1), loop);
      expectTypeOf(a).toEqualTypeOf<Promise<string>>();
      expect(await Promise.all([a, b])).toEqual(["a result", "b result"]);
      expect(loop.time()).toBe(2);
    });
    expect(log).toEqual(["a starts", "b starts", "b done", "b finally", "a done", "a finally"]);
  });

  it("rejects with the coroutine's own error", async () => {
    const err = new Error("inside the loop");
    function* failing(): asyncio.Coroutine<never> {
      yield* asyncio.sleep(1);
      throw err;
    }
    await withLoop(async (loop) => {
      await expect(asyncio.runCoroutineThreadsafe(failing(), loop)).rejects.toBe(err);
    });
  });

  it("cancellation crosses: aborting the signal cancels the task, which cleans up", async () => {
    const log: string[] = [];
    await withLoop(async (loop) => {
      const controller = new AbortController();
      function* blocked() {
        try {
          log.push("blocked starts");
          yield* asyncio.getRunningLoop().createFuture<never>(); // never set: virtual time cannot end it
        } finally {
          log.push("blocked finally");
        }
      }
      const p = asyncio.runCoroutineThreadsafe(blocked(), loop, { signal: controller.signal });
      await nextTurn(null);
      await nextTurn(null);
      controller.abort();
      await expect(p).rejects.toBeInstanceOf(asyncio.CancelledError);
    });
    expect(log).toEqual(["blocked starts", "blocked finally"]);
  });

  it("an already aborted signal drops the coroutine before it runs", async () => {
    const log: string[] = [];
    await withLoop(async (loop) => {
      const p = asyncio.runCoroutineThreadsafe(work(log, "never", 1), loop, {
        signal: AbortSignal.abort(),
      });
      await expect(p).rejects.toBeInstanceOf(asyncio.CancelledError);
    });
    expect(log).toEqual([]);
  });

  it("cancelling the task from inside the loop rejects the Promise with CancelledError", async () => {
    await withLoop(async (loop) => {
      const p = asyncio.runCoroutineThreadsafe(
        (function* () {
          asyncio.currentTask()?.cancel("from inside");
          yield* asyncio.sleep(1);
        })(),
        loop,
      );
      await expect(p).rejects.toThrow("from inside");
    });
  });

  it("validates its arguments and refuses a closed loop", () => {
    const loop = new asyncio.VirtualEventLoop();
    expect(() => asyncio.runCoroutineThreadsafe((() => 1) as never, loop)).toThrow(
      /'coro' must be a coroutine/,
    );
    expect(() => asyncio.runCoroutineThreadsafe(asyncio.sleep(1), {} as never)).toThrow(
      /'loop' must be an event loop/,
    );
    expect(() =>
      asyncio.runCoroutineThreadsafe(asyncio.sleep(1), loop, { signal: "x" as never }),
    ).toThrow(/'signal' must be an AbortSignal/);
    loop.close();
    expect(() => asyncio.runCoroutineThreadsafe(asyncio.sleep(1), loop)).toThrow(
      asyncio.RuntimeError,
    );
  });
});

describe("async iteration across the bridge", () => {
  it("async code iterates an AsyncGen with for await; the producer stays lazy", async () => {
    const log: string[] = [];
    const gen = asyncio.asyncGenerator(function* () {
      for (let i = 0; i < 3; i++) {
        log.push(`produce ${i}`);
        yield* asyncio.sleep(0);
        yield i;
      }
    });
    function* main() {
      return yield* asyncio.fromAsync(async () => {
        const out: number[] = [];
        for await (const x of gen()) {
          log.push(`consume ${x}`);
          out.push(x);
        }
        return out;
      });
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual([0, 1, 2]);
    expect(log).toEqual([
      "produce 0",
      "consume 0",
      "produce 1",
      "consume 1",
      "produce 2",
      "consume 2",
    ]);
  });

  it("a coroutine iterates an async generator function and cancellation calls its return()", async () => {
    const log: string[] = [];
    const emitter = new EventEmitter();
    async function* events() {
      try {
        for (;;) {
          const [value] = await once(emitter, "value");
          yield value as number;
        }
      } finally {
        log.push("native return() ran");
      }
    }
    function* main() {
      const task = asyncio.createTask(
        asyncio.asyncFor(events(), function* (v) {
          log.push(`got ${v}`);
          yield* asyncio.sleep(10);
        }),
      );
      for (let i = 0; i < 10 && !log.includes("got 1"); i++) {
        emitter.emit("value", 1);
        yield* asyncio.fromPromise(nextTurn(null));
      }
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      return task.cancelled();
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(true);
    expect(log).toEqual(["got 1", "native return() ran"]);
  });
});
