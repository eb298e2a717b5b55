/**
 * The loop's scheduling semantics, checked against CPython's `BaseEventLoop`: FIFO
 * callbacks, one snapshot of the ready queue per iteration, timers, stop/close, the
 * exception handler and argument checks.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { _addCloseHook } from "../src/core/base_events.js";
import * as asyncio from "../src/index.js";

const loops: asyncio.BaseEventLoop[] = [];

/** A fresh virtual-time loop whose exception-handler reports are collected. */
function newLoop(): { loop: asyncio.VirtualEventLoop; reports: asyncio.ExceptionContext[] } {
  const loop = new asyncio.VirtualEventLoop();
  const reports: asyncio.ExceptionContext[] = [];
  loop.setExceptionHandler((_l, ctx) => {
    reports.push(ctx);
  });
  loops.push(loop);
  return { loop, reports };
}

afterEach(() => {
  for (const loop of loops.splice(0)) if (!loop.isRunning()) loop.close();
  vi.restoreAllMocks();
});

describe("callSoon", () => {
  it("runs callbacks in FIFO order with their arguments", async () => {
    const { loop } = newLoop();
    const log: unknown[] = [];
    for (let i = 0; i < 5; i++)
      loop.callSoon((n: number, s: string) => log.push(`${s}${n}`), i, "cb");
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(log).toEqual(["cb0", "cb1", "cb2", "cb3", "cb4"]);
  });

  it("runs a snapshot per iteration: callbacks scheduled during an iteration run in the next", async () => {
    // CPython: stop() in `a` finishes the iteration (b runs) but c, scheduled by a, waits.
    const { loop } = newLoop();
    const log: string[] = [];
    loop.callSoon(() => {
      log.push("a");
      loop.stop();
      loop.callSoon(() => log.push("c"));
    });
    loop.callSoon(() => log.push("b"));
    await loop.runForever();
    expect(log).toEqual(["a", "b"]);
    loop.stop();
    await loop.runForever();
    expect(log).toEqual(["a", "b", "c"]);
  });

  it("_runOnce runs exactly the callbacks ready when it starts", () => {
    const { loop } = newLoop();
    const log: string[] = [];
    loop.callSoon(() => {
      log.push("a");
      loop.callSoon(() => log.push("c"));
    });
    loop.callSoon(() => log.push("b"));
    expect(loop._runOnce()).toBe(2);
    expect(log).toEqual(["a", "b"]);
    expect(loop._ready.length).toBe(1);
    expect(loop._runOnce()).toBe(1);
    expect(log).toEqual(["a", "b", "c"]);
  });

  describe("an iteration longer than a tick's budget", () => {
    /** Busy for `ms` of real time: makes the tick's budget run out, whatever the load. */
    const busy = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // spin
      }
    };
    const BURST = 3000; // > the 256 callbacks between two looks at the clock

    it("returns to Node's loop in the middle, and the iteration still ends before the next", async () => {
      const loop = new asyncio.NodeEventLoop();
      loops.push(loop);
      const log: string[] = [];
      let nodeRanAt = -1;
      let ran = 0;
      for (let i = 0; i < BURST; i++) {
        loop.callSoon(() => {
          if (i === 0) {
            // Node's own loop: a setImmediate queued now runs only when the tick returns.
            setImmediate(() => {
              nodeRanAt = ran;
              // What Node's I/O hands the loop meanwhile joins the next iteration.
              loop.callSoon(() => log.push("from node"));
            });
            loop.callSoon(() => log.push("scheduled by the first"));
          }
          ran++;
          busy(0.01);
          if (i === BURST - 1) log.push("last of the burst");
        });
      }
      loop.callSoon(() => log.push("queued after the burst"));
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      // stop() ends the loop after its iteration: the next one has not run yet.
      expect(log).toEqual(["last of the burst", "queued after the burst"]);
      expect(nodeRanAt).toBeGreaterThan(0);
      expect(nodeRanAt).toBeLessThan(BURST);
      loop.stop();
      await loop.runForever();
      expect(log).toEqual([
        "last of the burst",
        "queued after the burst",
        "scheduled by the first",
        "from node",
      ]);
    });

    it("is finished before stop() takes effect, even when stop() comes from Node meanwhile", async () => {
      const loop = new asyncio.NodeEventLoop();
      loops.push(loop);
      let ran = 0;
      let stoppedAt = -1;
      for (let i = 0; i < BURST; i++) {
        loop.callSoon(() => {
          if (i === 0)
            setImmediate(() => {
              stoppedAt = ran;
              loop.stop();
            });
          ran++;
          busy(0.01);
        });
      }
      loop.callSoon(() => ran++); // the same iteration
      await loop.runForever();
      expect(stoppedAt).toBeGreaterThan(0);
      expect(stoppedAt).toBeLessThan(BURST);
      expect(ran).toBe(BURST + 1);
    });

    it("keeps tasks' steps in order across the split", async () => {
      const order: number[] = [];
      function* child(i: number): asyncio.Coroutine<number> {
        busy(0.01);
        yield* asyncio.sleep(0);
        order.push(i);
        return i;
      }
      const results = await asyncio.run(
        (function* () {
          const coros: asyncio.Coroutine<number>[] = [];
          for (let i = 0; i < BURST; i++) coros.push(child(i));
          return yield* asyncio.gatherAll(coros);
        })(),
      );
      expect(results).toEqual(Array.from({ length: BURST }, (_, i) => i));
      expect(order).toEqual(results);
    });
  });

  it("returns a Handle that can be cancelled before it runs", async () => {
    const { loop } = newLoop();
    const log: string[] = [];
    const h = loop.callSoon(() => log.push("never"));
    loop.callSoon(() => log.push("kept"));
    expect(h).toBeInstanceOf(asyncio.Handle);
    expect(h.cancelled()).toBe(false);
    h.cancel();
    h.cancel(); // idempotent
    expect(h.cancelled()).toBe(true);
    expect(String(h)).toContain("cancelled");
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(log).toEqual(["kept"]);
  });

  it("runs each callback in a copy of the context current at scheduling time", async () => {
    const { loop } = newLoop();
    const v = new asyncio.ContextVar<string>("v", { default: "outer" });
    const seen: string[] = [];
    const ctx = asyncio.copyContext();
    ctx.run(() => {
      v.set("inner");
      loop.callSoon(() => {
        seen.push(v.get());
        v.set("changed in callback");
      });
    });
    loop.callSoon(() => seen.push(v.get()));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(seen).toEqual(["inner", "outer"]);
    expect(ctx.get(v)).toBe("inner");
  });
});

describe("callLater / callAt", () => {
  it("orders timers by deadline, equal deadlines in scheduling order", async () => {
    const { loop } = newLoop();
    const log: string[] = [];
    loop.callLater(2, () => log.push("2a"));
    loop.callAt(1, () => log.push("1a"));
    loop.callLater(1, () => log.push("1b"));
    loop.callAt(2, () => log.push("2b"));
    loop.callLater(0.5, () => log.push("0.5"));
    loop.callAt(1, () => log.push("1c"));
    loop.callLater(3, () => loop.stop());
    await loop.runForever();
    expect(log).toEqual(["0.5", "1a", "1b", "1c", "2a", "2b"]);
    expect(loop.time()).toBe(3);
  });

  it("appends due timers after the callbacks already ready (CPython's iteration order)", async () => {
    const { loop } = newLoop();
    const log: string[] = [];
    loop.callLater(0, () => log.push("t0"));
    loop.callSoon(() => log.push("s"));
    loop.callLater(0, () => loop.stop());
    await loop.runForever();
    expect(log).toEqual(["s", "t0"]);
  });

  it("returns a TimerHandle with when(), cancel() and cancelled()", async () => {
    const { loop } = newLoop();
    const log: string[] = [];
    const h = loop.callLater(5, () => log.push("never"));
    const k = loop.callAt(7, (x: string) => log.push(x), "kept");
    expect(h).toBeInstanceOf(asyncio.TimerHandle);
    expect(h.when()).toBe(5);
    expect(k.when()).toBe(7);
    expect(h.cancelled()).toBe(false);
    h.cancel();
    expect(h.cancelled()).toBe(true);
    loop.callLater(10, () => loop.stop());
    await loop.runForever();
    expect(log).toEqual(["kept"]);
    expect(loop.time()).toBe(10);
  });

  it("a negative delay is due at once", async () => {
    const { loop } = newLoop();
    const log: string[] = [];
    loop.callLater(-5, () => log.push("late"));
    loop.callSoon(() => log.push("soon"));
    loop.callSoon(() => loop.callSoon(() => loop.stop()));
    await loop.runForever();
    expect(log).toEqual(["soon", "late"]);
    expect(loop.time()).toBe(0);
  });

  it("compacts a heap that is mostly cancelled timers", async () => {
    const { loop } = newLoop();
    const handles: asyncio.TimerHandle[] = [];
    for (let i = 0; i < 300; i++) handles.push(loop.callLater(1000 + i, () => {}));
    // The earliest timers stay live so that lazy dropping from the top cannot help.
    for (let i = 100; i < 300; i++) handles[i]?.cancel();
    expect(loop._timers.size).toBe(300);
    expect(loop._cancelledTimers).toBe(200);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(loop._timers.size).toBe(100);
    expect(loop._cancelledTimers).toBe(0);
    // A handle cancelled after compaction is counted once, not twice.
    handles[0]?.cancel();
    handles[0]?.cancel();
    expect(loop._cancelledTimers).toBe(1);
  });

  it("drops a cancelled timer from the top of the heap", async () => {
    const { loop } = newLoop();
    const h = loop.callLater(1, () => {});
    loop.callLater(2, () => loop.stop());
    h.cancel();
    await loop.runForever();
    expect(loop._timers.size).toBe(0);
    expect(loop._cancelledTimers).toBe(0);
  });

  it("cancelling a timer that already ran does not count it as cancelled in the heap", async () => {
    const { loop } = newLoop();
    const h = loop.callLater(1, () => {});
    loop.callLater(2, () => loop.stop());
    await loop.runForever();
    h.cancel();
    expect(h.cancelled()).toBe(true);
    expect(loop._cancelledTimers).toBe(0);
  });
});

describe("runForever / stop", () => {
  it("stop() before runForever() runs exactly one iteration", async () => {
    const { loop } = newLoop();
    const log: string[] = [];
    loop.callSoon(() => {
      log.push("a");
      loop.callSoon(() => log.push("c"));
    });
    loop.stop();
    await loop.runForever();
    expect(log).toEqual(["a"]);
    expect(loop.isRunning()).toBe(false);
  });

  it("stop() before runForever() does not jump virtual time to a timer", async () => {
    const { loop } = newLoop();
    const log: string[] = [];
    loop.callLater(10, () => log.push("timer"));
    loop.stop();
    await loop.runForever();
    expect(log).toEqual([]);
    expect(loop.time()).toBe(0);
  });

  it("isRunning() is true inside callbacks and false after", async () => {
    const { loop } = newLoop();
    let inside: boolean | undefined;
    let running: asyncio.BaseEventLoop | undefined;
    loop.callSoon(() => {
      inside = loop.isRunning();
      running = asyncio.getRunningLoop();
      loop.stop();
    });
    expect(loop.isRunning()).toBe(false);
    const p = loop.runForever();
    expect(loop.isRunning()).toBe(true);
    await p;
    expect(inside).toBe(true);
    expect(running).toBe(loop);
    expect(loop.isRunning()).toBe(false);
    expect(() => asyncio.getRunningLoop()).toThrow("no running event loop");
  });

  it("runForever() while running → RuntimeError", async () => {
    const { loop } = newLoop();
    let err: unknown;
    loop.callSoon(() => {
      try {
        void loop.runForever();
      } catch (e) {
        err = e;
      }
      loop.stop();
    });
    await loop.runForever();
    expect(err).toBeInstanceOf(asyncio.RuntimeError);
    expect((err as Error).message).toBe("This event loop is already running");
  });

  it("running a second loop while one runs → RuntimeError", async () => {
    const { loop } = newLoop();
    const { loop: other } = newLoop();
    let err: unknown;
    loop.callSoon(() => {
      try {
        void other.runForever();
      } catch (e) {
        err = e;
      }
      loop.stop();
    });
    await loop.runForever();
    expect(err).toBeInstanceOf(asyncio.RuntimeError);
    expect((err as Error).message).toBe("Cannot run the event loop while another loop is running");
  });
});

describe("runUntilComplete", () => {
  it("resolves with the future's result", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    loop.callLater(3, () => fut.setResult(42));
    await expect(loop.runUntilComplete(fut)).resolves.toBe(42);
    expect(loop.time()).toBe(3);
    expect(loop.isRunning()).toBe(false);
  });

  it("wraps a coroutine in a Task", async () => {
    const { loop } = newLoop();
    function* main() {
      yield* asyncio.sleep(2);
      return asyncio.currentTask() instanceof asyncio.Task;
    }
    await expect(loop.runUntilComplete(main())).resolves.toBe(true);
    expect(loop.time()).toBe(2);
  });

  it("rejects with the future's own error", async () => {
    const { loop, reports } = newLoop();
    const err = new SyntaxError("original");
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setException(err));
    await expect(loop.runUntilComplete(fut)).rejects.toBe(err);
    expect(reports).toEqual([]);
  });

  it("rejects with CancelledError(msg) for a cancelled future", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.cancel("why"));
    const e = await loop.runUntilComplete(fut).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(asyncio.CancelledError);
    expect((e as Error).message).toBe("why");
  });

  it("accepts a Promise, bridged at once so that its rejection is never unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const { loop } = newLoop();
      await expect(loop.runUntilComplete(Promise.resolve("ok"))).resolves.toBe("ok");
      const err = new Error("rejected");
      const outcome = loop.runUntilComplete(Promise.reject(err)).then(
        () => null,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 20));
      expect(await outcome).toBe(err);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('"Event loop stopped before Future completed."', async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    loop.callSoon(() => loop.stop());
    const e = await loop.runUntilComplete(fut).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(asyncio.RuntimeError);
    expect((e as Error).message).toBe("Event loop stopped before Future completed.");
    // The loop can run again and complete it.
    loop.callSoon(() => fut.setResult(1));
    await expect(loop.runUntilComplete(fut)).resolves.toBe(1);
  });

  it("a future of another loop → RangeError", async () => {
    const { loop } = newLoop();
    const { loop: other } = newLoop();
    const fut = other.createFuture<number>();
    expect(() => loop.runUntilComplete(fut)).toThrow(
      "The future belongs to a different loop than the one specified as the loop argument",
    );
  });
});

describe("runUntilComplete with something not awaitable", () => {
  it("throws a TypeError naming the value, and the loop stays usable", async () => {
    const { loop } = newLoop();
    const bad = [5, "text", [asyncio.sleep(0)]] as unknown[];
    for (const value of bad) {
      expect(() => loop.runUntilComplete(value as asyncio.AwaitableLike<unknown>)).toThrow(
        TypeError,
      );
    }
    expect(() => loop.runUntilComplete(5 as unknown as asyncio.AwaitableLike<number>)).toThrow(
      "An awaitable (coroutine, Future, Task or Promise) is required: received 5",
    );
    expect(await loop.runUntilComplete(asyncio.sleep(1, "fine"))).toBe("fine");
  });
});

describe("close", () => {
  it("close() while running → RuntimeError", async () => {
    const { loop } = newLoop();
    let err: unknown;
    loop.callSoon(() => {
      try {
        loop.close();
      } catch (e) {
        err = e;
      }
      loop.stop();
    });
    await loop.runForever();
    expect(err).toBeInstanceOf(asyncio.RuntimeError);
    expect((err as Error).message).toBe("Cannot close a running event loop");
    expect(loop.isClosed()).toBe(false);
  });

  it('calls on a closed loop → RuntimeError "Event loop is closed"; close() is idempotent', () => {
    const { loop } = newLoop();
    expect(loop.isClosed()).toBe(false);
    loop.callSoon(() => {});
    loop.callLater(1, () => {});
    loop.close();
    loop.close();
    expect(loop.isClosed()).toBe(true);
    expect(loop._ready.length).toBe(0);
    expect(loop._timers.size).toBe(0);
    const calls: Array<() => unknown> = [
      () => loop.callSoon(() => {}),
      () => loop.callLater(1, () => {}),
      () => loop.callAt(1, () => {}),
      () => loop.runForever(),
      () => loop.runUntilComplete(loop.createFuture()),
      () => loop.createTask((function* () {})()),
    ];
    for (const call of calls) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(asyncio.RuntimeError);
      expect((err as Error).message).toBe("Event loop is closed");
    }
    expect(String(loop)).toContain("closed");
  });
});

describe("debug, task factory", () => {
  it("getDebug / setDebug", () => {
    const { loop } = newLoop();
    expect(loop.getDebug()).toBe(false);
    loop.setDebug(true);
    expect(loop.getDebug()).toBe(true);
    expect(String(loop)).toContain("debug=true");
    loop.setDebug(false);
    expect(loop.getDebug()).toBe(false);
    expect(loop.slowCallbackDuration).toBe(0.1);
  });

  it("setTaskFactory / getTaskFactory: createTask goes through the factory", async () => {
    const { loop } = newLoop();
    expect(loop.getTaskFactory()).toBeNull();
    const seen: unknown[] = [];
    const factory: asyncio.TaskFactory = (l, coro, opts) => {
      seen.push([l, opts]);
      return new asyncio.Task(coro, { ...opts, loop: l });
    };
    loop.setTaskFactory(factory);
    expect(loop.getTaskFactory()).toBe(factory);
    function* child() {
      return 7;
    }
    function* main() {
      const t = asyncio.createTask(child(), { name: "kid" });
      expect(t.getName()).toBe("kid");
      return yield* t;
    }
    await expect(loop.runUntilComplete(main())).resolves.toBe(7);
    // main (from runUntilComplete) and child both went through the factory.
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual([loop, { name: "kid" }]);
    loop.setTaskFactory(null);
    expect(loop.getTaskFactory()).toBeNull();
  });

  it("a task factory does not receive non-coroutines", () => {
    const { loop } = newLoop();
    loop.setTaskFactory((l, coro, opts) => new asyncio.Task(coro, { ...opts, loop: l }));
    expect(() => loop.createTask(42 as never)).toThrow(
      "createTask(): 'coro' must be a coroutine (a generator object): received 42",
    );
  });
});

describe("exception handler", () => {
  it('a callback that throws is reported as "Exception in callback …" and the loop goes on', async () => {
    const { loop, reports } = newLoop();
    const log: string[] = [];
    const err = new Error("boom");
    function boom(_n: number, _s: string): void {
      throw err;
    }
    const h = loop.callSoon(boom, 1, "x");
    expect(String(h)).toBe('<Handle boom(1, "x")>');
    loop.callSoon(() => log.push("after"));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(log).toEqual(["after"]);
    expect(reports).toHaveLength(1);
    // CPython: "Exception in callback boom(1, 'x')"
    expect(reports[0]?.message).toBe('Exception in callback boom(1, "x")');
    expect(reports[0]?.exception).toBe(err);
    expect(reports[0]?.handle).toBe(h);
  });

  it("callExceptionHandler passes the loop and the context", () => {
    const { loop } = newLoop();
    const calls: unknown[] = [];
    loop.setExceptionHandler((l, ctx) => {
      calls.push([l, ctx]);
    });
    const ctx = { message: "lost connection", exception: new Error("x"), extra: 1 };
    loop.callExceptionHandler(ctx);
    expect(calls).toEqual([[loop, ctx]]);
    expect(loop.getExceptionHandler()).not.toBeNull();
  });

  it("without a handler, the default handler prints the message, the fields and the stack", () => {
    const { loop } = newLoop();
    loop.setExceptionHandler(null);
    expect(loop.getExceptionHandler()).toBeNull();
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: unknown) => {
      printed.push(String(s));
    });
    loop.callExceptionHandler({
      message: "something failed",
      exception: new Error("why"),
      where: "here",
    });
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain("something failed");
    expect(printed[0]).toContain("where: here");
    expect(printed[0]).toContain("Error: why");
  });

  it('a handler that throws: "Unhandled error in exception handler" goes to the default handler', async () => {
    const { loop } = newLoop();
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: unknown) => {
      printed.push(String(s));
    });
    loop.setExceptionHandler(() => {
      throw new Error("handler broke");
    });
    loop.callSoon(() => {
      throw new Error("cb broke");
    });
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain("Unhandled error in exception handler");
    expect(printed[0]).toContain("Exception in callback");
    expect(printed[0]).toContain("handler broke");
  });
});

describe("bad arguments", () => {
  it("name the argument and the value", () => {
    const { loop } = newLoop();
    expect(() => loop.callSoon(5 as never)).toThrow(
      new TypeError("callSoon(): 'callback' must be a function: received 5"),
    );
    expect(() => loop.callLater("1" as never, () => {})).toThrow(
      new TypeError("callLater(): 'delay' must be a number of seconds: received \"1\""),
    );
    expect(() => loop.callLater(Number.NaN, () => {})).toThrow(
      new TypeError("callLater(): 'delay' must be a number of seconds: received NaN"),
    );
    expect(() => loop.callLater(1, null as never)).toThrow(
      new TypeError("callLater(): 'callback' must be a function: received null"),
    );
    expect(() => loop.callAt(undefined as never, () => {})).toThrow(
      new TypeError("callAt(): 'when' must be a number (loop time): received undefined"),
    );
    expect(() => loop.setExceptionHandler("x" as never)).toThrow(
      new TypeError("setExceptionHandler(): 'handler' must be a function or null: received \"x\""),
    );
    expect(() => loop.setTaskFactory({} as never)).toThrow(
      new TypeError("setTaskFactory(): 'factory' must be a function or null: received an object"),
    );
    expect(loop._timers.size).toBe(0);
    expect(loop._ready.length).toBe(0);
  });
});

describe("close hooks", () => {
  it("run when a loop closes; one that throws is reported and close() still completes", () => {
    const { loop, reports } = newLoop();
    const seen: asyncio.BaseEventLoop[] = [];
    _addCloseHook((l) => {
      if (l === loop) seen.push(l);
    });
    _addCloseHook((l) => {
      if (l === loop) throw new RangeError("hook failed");
    });
    loop.close();
    expect(seen).toEqual([loop]);
    expect(loop.isClosed()).toBe(true);
    expect(reports.map((r) => [r.message, (r.exception as Error).message])).toEqual([
      ["Error while closing the event loop", "hook failed"],
    ]);
  });
});

describe("shutdownAsyncgens", () => {
  it("closes unfinished generators concurrently and reports one whose cleanup fails", async () => {
    const { loop, reports } = newLoop();
    const closed: string[] = [];
    const gen = (name: string, fails: boolean): asyncio.AsyncGenLike => ({
      *aclose() {
        yield* asyncio.sleep(1); // cleanup that awaits
        closed.push(name);
        if (fails) throw new RangeError(`${name} cleanup failed`);
      },
    });
    loop._asyncgens.add(gen("a", false));
    loop._asyncgens.add(gen("b", true));
    const start = loop.time();
    await loop.runUntilComplete(loop.shutdownAsyncgens());
    expect(closed).toEqual(["a", "b"]);
    expect(loop.time() - start).toBe(1); // both cleanups at once, not 2 s one after the other
    expect(loop._asyncgens.size).toBe(0);
    expect(reports.map((r) => [r.message, (r.exception as Error).message])).toEqual([
      ["an error occurred during closing of asynchronous generator", "b cleanup failed"],
    ]);
  });
});
