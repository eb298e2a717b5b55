/**
 * Future semantics, checked against CPython's `asyncio.Future`: state errors, cancellation
 * messages, done-callbacks scheduled (never inline) in registration order, the Promise side,
 * and "exception was never retrieved" reports.
 */
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { collectGarbage, runVirtual } from "./helpers.js";

const loops: asyncio.BaseEventLoop[] = [];

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
});

/** Runs the loop until every callback scheduled so far (and those they schedule) ran. */
async function drain(loop: asyncio.BaseEventLoop): Promise<void> {
  loop.callLater(0, () => loop.stop());
  await loop.runForever();
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("Future states", () => {
  it("a pending future: result() and exception() → InvalidStateError", () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    expect(fut.done()).toBe(false);
    expect(fut.cancelled()).toBe(false);
    expect(fut.getLoop()).toBe(loop);
    const r = thrown(() => fut.result());
    expect(r).toBeInstanceOf(asyncio.InvalidStateError);
    expect((r as Error).message).toBe("Result is not ready.");
    const x = thrown(() => fut.exception());
    expect(x).toBeInstanceOf(asyncio.InvalidStateError);
    expect((x as Error).message).toBe("Exception is not set.");
    expect(String(fut)).toBe("<Future pending>");
  });

  it("setResult: result() returns it, exception() is null; a second set → InvalidStateError", () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    fut.setResult(1);
    expect(fut.done()).toBe(true);
    expect(fut.result()).toBe(1);
    expect(fut.exception()).toBeNull();
    expect(String(fut)).toBe("<Future finished result=1>");
    const e1 = thrown(() => fut.setResult(2));
    expect(e1).toBeInstanceOf(asyncio.InvalidStateError);
    expect((e1 as Error).message).toBe("FINISHED: <Future finished result=1>");
    const e2 = thrown(() => fut.setException(new Error("x")));
    expect(e2).toBeInstanceOf(asyncio.InvalidStateError);
    expect((e2 as Error).message).toBe("FINISHED: <Future finished result=1>");
    expect(fut.cancel()).toBe(false);
    expect(fut.result()).toBe(1);
  });

  it("setException: result() throws the same error, exception() returns it; set twice → InvalidStateError", () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    const err = new RangeError("bad");
    fut.setException(err);
    expect(fut.done()).toBe(true);
    expect(fut.cancelled()).toBe(false);
    expect(thrown(() => fut.result())).toBe(err);
    expect(fut.exception()).toBe(err);
    expect(String(fut)).toBe('<Future finished exception=RangeError("bad")>');
    const e = thrown(() => fut.setException(new Error("again")));
    expect(e).toBeInstanceOf(asyncio.InvalidStateError);
    expect((e as Error).message).toBe('FINISHED: <Future finished exception=RangeError("bad")>');
    expect(thrown(() => fut.setResult(1))).toBeInstanceOf(asyncio.InvalidStateError);
  });

  it("setException with null or undefined → TypeError", () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    expect(() => fut.setException(undefined)).toThrow(
      new TypeError("setException(): 'exception' must be an error value: received undefined"),
    );
    expect(fut.done()).toBe(false);
  });

  it("cancel(msg): cancelled, CancelledError(msg) from result() and exception(); set* → InvalidStateError", () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    expect(fut.cancel("stop now")).toBe(true);
    expect(fut.cancel("again")).toBe(false);
    expect(fut.cancelled()).toBe(true);
    expect(fut.done()).toBe(true);
    const r = thrown(() => fut.result());
    expect(r).toBeInstanceOf(asyncio.CancelledError);
    expect((r as Error).message).toBe("stop now");
    const x = thrown(() => fut.exception());
    expect(x).toBeInstanceOf(asyncio.CancelledError);
    expect((x as Error).message).toBe("stop now");
    const e = thrown(() => fut.setResult(1));
    expect(e).toBeInstanceOf(asyncio.InvalidStateError);
    expect((e as Error).message).toBe("CANCELLED: <Future cancelled>");
    expect(thrown(() => fut.setException(new Error()))).toBeInstanceOf(asyncio.InvalidStateError);
  });

  it("cancel() without a message: CancelledError with an empty message", () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    fut.cancel();
    const r = thrown(() => fut.result());
    expect(r).toBeInstanceOf(asyncio.CancelledError);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toBe("");
    expect((r as Error).name).toBe("CancelledError");
  });

  it("a result that is an Error is a result, not an exception (both ways to read it agree)", async () => {
    const { loop } = newLoop();
    const err = new Error("a value");
    const ok = loop.createFuture<Error>();
    ok.setResult(err);
    expect([ok.result(), ok.exception(), ok.cancelled(), ok.done()]).toEqual([
      err,
      null,
      false,
      true,
    ]);
    expect(String(ok)).toBe("<Future finished result=Error: a value>");
    await expect(Promise.resolve(ok)).resolves.toBe(err);
    const bad = loop.createFuture<number>();
    bad.setException(err);
    expect(bad.exception()).toBe(err);
    expect(thrown(() => bad.result())).toBe(err);
    expect(String(bad)).toBe('<Future finished exception=Error("a value")>');
    await expect(Promise.resolve(bad)).rejects.toBe(err);
  });

  it("asyncio error classes take their name from the class, subclasses too; name stays assignable", () => {
    class StopWorker extends asyncio.CancelledError {}
    const e = new asyncio.CancelledError("bye");
    expect(e.name).toBe("CancelledError");
    expect(String(e)).toBe("CancelledError: bye");
    expect(e.stack?.startsWith("CancelledError: bye\n")).toBe(true);
    expect(Object.keys(e)).toEqual([]);
    expect(new asyncio.TimeoutError().name).toBe("TimeoutError");
    expect(new asyncio.IncompleteReadError(new Uint8Array(1), 4).name).toBe("IncompleteReadError");
    const s = new StopWorker("x");
    expect(s.name).toBe("StopWorker");
    expect(String(s)).toBe("StopWorker: x");
    s.name = "Renamed";
    expect(String(s)).toBe("Renamed: x");
    expect(e.name).toBe("CancelledError"); // the other instances are untouched
    // A cancellation delivered by the scheduler carries the name too.
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    fut.cancel("why");
    const r = thrown(() => fut.result()) as Error;
    expect([r.name, String(r)]).toEqual(["CancelledError", "CancelledError: why"]);
  });

  it("new Future() with no running loop → RuntimeError; inside a loop it binds the running loop", async () => {
    const e = thrown(() => new asyncio.Future());
    expect(e).toBeInstanceOf(asyncio.RuntimeError);
    expect((e as Error).message).toBe("no running event loop");
    function* main() {
      const fut = new asyncio.Future<number>();
      return fut.getLoop() === asyncio.getRunningLoop();
    }
    expect((await runVirtual(main())).result).toBe(true);
  });

  it("isfuture", () => {
    const { loop } = newLoop();
    expect(asyncio.isfuture(loop.createFuture())).toBe(true);
    expect(asyncio.isfuture(Promise.resolve(1))).toBe(false);
    expect(asyncio.isfuture(null)).toBe(false);
  });
});

describe("done-callbacks", () => {
  it("are scheduled with callSoon, never called inline, in registration order", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    const log: string[] = [];
    fut.addDoneCallback((f) => log.push(`cb1:${f.result()}`));
    fut.addDoneCallback((f) => log.push(`cb2:${f.result()}`));
    fut.addDoneCallback(() => log.push("cb3"));
    loop.callSoon(() => log.push("earlier callSoon"));
    fut.setResult(5);
    log.push("after setResult");
    expect(log).toEqual(["after setResult"]);
    await drain(loop);
    expect(log).toEqual(["after setResult", "earlier callSoon", "cb1:5", "cb2:5", "cb3"]);
  });

  it("are scheduled on cancel() and setException() too", async () => {
    const { loop } = newLoop();
    const a = loop.createFuture<number>();
    const b = loop.createFuture<number>();
    const log: string[] = [];
    a.addDoneCallback((f) => log.push(`a cancelled=${f.cancelled()}`));
    b.addDoneCallback((f) => log.push(`b ${String(f.exception())}`));
    a.cancel();
    b.setException(new Error("e"));
    expect(log).toEqual([]);
    await drain(loop);
    expect(log).toEqual(["a cancelled=true", "b Error: e"]);
  });

  it("on a done future: scheduled at once, still not inline", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<string>();
    fut.setResult("x");
    const log: string[] = [];
    loop.callSoon(() => log.push("first"));
    fut.addDoneCallback((f) => log.push(f.result()));
    expect(log).toEqual([]);
    await drain(loop);
    expect(log).toEqual(["first", "x"]);
  });

  it("removeDoneCallback removes every registration and returns the count", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    const log: string[] = [];
    const a = (): void => {
      log.push("a");
    };
    const b = (): void => {
      log.push("b");
    };
    fut.addDoneCallback(a);
    fut.addDoneCallback(b);
    fut.addDoneCallback(a);
    fut.addDoneCallback(b);
    fut.addDoneCallback(a);
    expect(fut.removeDoneCallback(a)).toBe(3);
    expect(fut.removeDoneCallback(a)).toBe(0);
    fut.setResult(1);
    await drain(loop);
    expect(log).toEqual(["b", "b"]);
    expect(fut.removeDoneCallback(b)).toBe(0);
  });

  it("a waiting task and user callbacks run in registration order", async () => {
    const log: string[] = [];
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<number>();
      fut.addDoneCallback(() => log.push("cb before"));
      const waiter = asyncio.createTask(
        (function* () {
          log.push(`waiter got ${yield* fut}`);
        })(),
      );
      yield* asyncio.sleep(0); // the waiter now waits on fut
      fut.addDoneCallback(() => log.push("cb after"));
      fut.setResult(1);
      yield* waiter;
    }
    await runVirtual(main());
    expect(log).toEqual(["cb before", "waiter got 1", "cb after"]);
  });

  it("runs in the context given, or a copy of the current one", async () => {
    const { loop } = newLoop();
    const v = new asyncio.ContextVar<string>("v", { default: "none" });
    const ctx = asyncio.copyContext();
    ctx.run(() => v.set("given"));
    const fut = loop.createFuture<number>();
    const seen: string[] = [];
    fut.addDoneCallback(() => seen.push(v.get()), { context: ctx });
    asyncio.copyContext().run(() => {
      v.set("current");
      fut.addDoneCallback(() => seen.push(v.get()));
    });
    fut.setResult(1);
    await drain(loop);
    expect(seen).toEqual(["given", "current"]);
  });

  it("a callback that throws is reported and the others still run", async () => {
    const { loop, reports } = newLoop();
    const fut = loop.createFuture<number>();
    const log: string[] = [];
    fut.addDoneCallback(function failing() {
      throw new Error("cb");
    });
    fut.addDoneCallback(() => log.push("second"));
    fut.setResult(1);
    await drain(loop);
    expect(log).toEqual(["second"]);
    expect(reports.map((r) => r.message)).toEqual([
      "Exception in callback failing(<Future finished result=1>)",
    ]);
  });

  it("addDoneCallback with a non-function → TypeError", () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    expect(() => fut.addDoneCallback("x" as never)).toThrow(
      new TypeError("addDoneCallback(): 'fn' must be a function: received \"x\""),
    );
  });
});

describe("yield* future", () => {
  it("evaluates to the result; a done future does not suspend (no other callback runs first)", async () => {
    const log: string[] = [];
    function* main() {
      const loop = asyncio.getRunningLoop();
      const done = loop.createFuture<string>();
      done.setResult("at once");
      loop.callSoon(() => log.push("callback"));
      log.push(yield* done);
      const later = loop.createFuture<string>();
      loop.callLater(1, () => later.setResult("later"));
      log.push(yield* later);
    }
    const { elapsed } = await runVirtual(main());
    expect(log).toEqual(["at once", "callback", "later"]);
    expect(elapsed).toBe(1);
  });

  it("throws the future's exception, or CancelledError(msg) when it is cancelled", async () => {
    const err = new Error("set");
    function* main() {
      const loop = asyncio.getRunningLoop();
      const failed = loop.createFuture<number>();
      const cancelled = loop.createFuture<number>();
      loop.callSoon(() => failed.setException(err));
      loop.callSoon(() => cancelled.cancel("nope"));
      const out: unknown[] = [];
      for (const f of [failed, cancelled]) {
        try {
          yield* f;
        } catch (e) {
          out.push(e);
        }
      }
      return out;
    }
    const { result } = await runVirtual(main());
    expect(result[0]).toBe(err);
    expect(result[1]).toBeInstanceOf(asyncio.CancelledError);
    expect((result[1] as Error).message).toBe("nope");
  });

  it("several tasks may await one future; they wake in the order they started waiting", async () => {
    const log: string[] = [];
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      function* waiter(name: string) {
        log.push(`${name}:${yield* fut}`);
      }
      const tasks = ["a", "b", "c"].map((n) => asyncio.createTask(waiter(n)));
      yield* asyncio.sleep(0);
      fut.setResult(1);
      for (const t of tasks) yield* t;
    }
    await runVirtual(main());
    expect(log).toEqual(["a:1", "b:1", "c:1"]);
  });
});

describe("the Promise side", () => {
  it("then() resolves with the result", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setResult(3));
    void loop.runUntilComplete(fut);
    await expect(fut.then((v) => v * 2)).resolves.toBe(6);
    expect(await fut).toBe(3);
  });

  it("then() on a future already done", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<string>();
    fut.setResult("ready");
    expect(await fut).toBe("ready");
  });

  it("rejects with the ORIGINAL error, which counts as retrieved", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    const err = new TypeError("original");
    fut.setException(err);
    const caught = await fut.then(
      () => "resolved",
      (e: unknown) => e,
    );
    expect(caught).toBe(err);
    expect(fut._logTraceback).toBe(false);
    await expect(fut.catch((e: unknown) => e)).resolves.toBe(err);
  });

  it("rejects with CancelledError(msg) on cancel", async () => {
    const { loop } = newLoop();
    const fut = loop.createFuture<number>();
    const p = fut.then(
      () => "resolved",
      (e: unknown) => e,
    );
    fut.cancel("bye");
    const e = await p;
    expect(e).toBeInstanceOf(asyncio.CancelledError);
    expect((e as Error).message).toBe("bye");
  });

  it("finally() runs and passes the outcome through", async () => {
    const { loop } = newLoop();
    const ok = loop.createFuture<number>();
    const bad = loop.createFuture<number>();
    const err = new Error("bad");
    const log: string[] = [];
    ok.setResult(1);
    bad.setException(err);
    await expect(ok.finally(() => log.push("ok"))).resolves.toBe(1);
    await expect(bad.finally(() => log.push("bad"))).rejects.toBe(err);
    expect(log).toEqual(["ok", "bad"]);
  });
});

describe("exception never retrieved", () => {
  function failedFuture(loop: asyncio.BaseEventLoop, retrieve: boolean): void {
    const fut = loop.createFuture<number>();
    fut.setException(new Error("lost"));
    if (retrieve) fut.exception();
  }

  it('"Future exception was never retrieved" is reported after garbage collection', async () => {
    const { loop, reports } = newLoop();
    failedFuture(loop, false);
    await collectGarbage();
    expect(reports).toHaveLength(1);
    expect(reports[0]?.message).toBe("Future exception was never retrieved");
    expect(((reports[0] as asyncio.ExceptionContext).exception as Error).message).toBe("lost");
    expect(String(reports[0]?.future)).toContain("Future finished exception");
  });

  it("is not reported when the exception was retrieved (exception() or result())", async () => {
    const { loop, reports } = newLoop();
    failedFuture(loop, true);
    (() => {
      const fut = loop.createFuture<number>();
      fut.setException(new Error("x"));
      try {
        fut.result();
      } catch {
        // retrieved
      }
    })();
    await collectGarbage();
    expect(reports).toEqual([]);
  });

  it("is not reported after cancel() on the failed future or task (asyncio clears it)", async () => {
    const { loop, reports } = newLoop();
    (() => {
      const fut = loop.createFuture<number>();
      fut.setException(new Error("x"));
      expect(fut.cancel()).toBe(false);
    })();
    function* fails() {
      yield* asyncio.sleep(0);
      throw new Error("task x");
    }
    function* main() {
      const t = asyncio.createTask(fails());
      yield* asyncio.sleep(1);
      expect(t.done()).toBe(true);
      expect(t.cancel()).toBe(false);
    }
    await loop.runUntilComplete(main());
    await collectGarbage();
    expect(reports).toEqual([]);
  });

  it('"Task exception was never retrieved" for a task that failed and was dropped', async () => {
    const { loop, reports } = newLoop();
    function* fails() {
      yield* asyncio.sleep(1);
      throw new Error("task lost");
    }
    function* main() {
      asyncio.createTask(fails());
      yield* asyncio.sleep(2);
    }
    await loop.runUntilComplete(main());
    await collectGarbage();
    expect(reports.map((r) => r.message)).toEqual(["Task exception was never retrieved"]);
    expect(((reports[0] as asyncio.ExceptionContext).exception as Error).message).toBe("task lost");
    expect(String(reports[0]?.future)).toContain("<Task finished");
  });

  it("is not reported for a task whose exception was awaited", async () => {
    const { loop, reports } = newLoop();
    function* fails() {
      yield* asyncio.sleep(1);
      throw new Error("seen");
    }
    function* main() {
      const t = asyncio.createTask(fails());
      try {
        yield* t;
      } catch {
        // retrieved by awaiting
      }
    }
    await loop.runUntilComplete(main());
    await collectGarbage();
    expect(reports).toEqual([]);
  });
});

describe("Node's inspection (console.log) prints the repr", () => {
  it("a Future, a Task, a Handle, a sleep() and a Timeout inspect as their toString()", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<number>();
      const task = asyncio.createTask(asyncio.sleep(1), { name: "sleeper" });
      const handle = loop.callLater(5, () => {});
      const sleep = asyncio.sleep(2);
      const out: [string, string][] = [];
      yield* asyncio.asyncWith(asyncio.timeout(3), function* (cm) {
        for (const x of [fut, task, handle, sleep, cm]) out.push([inspect(x), String(x)]);
      });
      handle.cancel();
      task.cancel();
      yield* asyncio.sleep(0);
      out.push([inspect({ task }), `{ task: ${task} }`]);
      fut.setResult(7);
      out.push([inspect([fut]), `[ ${fut} ]`]);
      return out;
    }
    const out = (await runVirtual(main())).result;
    expect(out.map(([shown]) => shown.split("\n").length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    for (const [shown, repr] of out) expect(shown).toBe(repr);
    expect(out[1]?.[0]).toMatch(/^<Task pending name='sleeper'/);
    expect(out[6]?.[0]).toBe("[ <Future finished result=7> ]");
  });
});

describe("exception never retrieved: reported when the loop closes", () => {
  function* fails(message: string): asyncio.Coroutine<never> {
    yield* asyncio.sleep(0);
    throw new Error(message);
  }

  it("a fire-and-forget failing task in run() is reported exactly once, without garbage collection", async () => {
    function* main() {
      asyncio.createTask(fails("forgotten"));
      yield* asyncio.sleep(1);
      return "done";
    }
    const { result, reports } = await runVirtual(main(), { allowReports: true });
    expect(result).toBe("done");
    expect(reports.map((r) => Object.keys(r).sort())).toEqual([["exception", "future", "message"]]);
    expect(reports[0]?.message).toBe("Task exception was never retrieved");
    expect(((reports[0] as asyncio.ExceptionContext).exception as Error).message).toBe("forgotten");
    expect(String(reports[0]?.future)).toContain("<Task finished");
    await collectGarbage();
    expect(reports).toHaveLength(1);
  });

  it("so is a failed task still referenced when run() ends, and a failed Future", async () => {
    const kept: asyncio.Future<unknown>[] = [];
    function* main() {
      kept.push(asyncio.createTask(fails("kept")));
      const fut = asyncio.getRunningLoop().createFuture<number>();
      fut.setException(new RangeError("future"));
      kept.push(fut);
      yield* asyncio.sleep(1);
    }
    const { reports } = await runVirtual(main(), { allowReports: true });
    expect(reports.map((r) => [r.message, (r.exception as Error).message])).toEqual([
      ["Future exception was never retrieved", "future"],
      ["Task exception was never retrieved", "kept"],
    ]);
    // Retrieved after the report: nothing more, at garbage collection either.
    expect((kept[0] as asyncio.Future<unknown>).exception()).toBeInstanceOf(Error);
    kept.length = 0;
    await collectGarbage();
    expect(reports).toHaveLength(2);
  });

  it("a retrieved exception is reported neither at close nor after garbage collection", async () => {
    function* main() {
      const awaited = asyncio.createTask(fails("awaited"));
      const asked = asyncio.createTask(fails("asked"));
      const gathered = asyncio.createTask(fails("gathered"));
      yield* asyncio.sleep(1);
      try {
        yield* awaited;
      } catch {
        // retrieved
      }
      asked.exception();
      yield* asyncio.gather(gathered, { returnExceptions: true });
    }
    const { reports } = await runVirtual(main());
    expect(reports).toEqual([]);
    await collectGarbage();
    expect(reports).toEqual([]);
  });

  it("a long-running loop still reports at garbage collection, and not again at close", async () => {
    const { loop, reports } = newLoop();
    function* main() {
      asyncio.createTask(fails("collected"));
      yield* asyncio.sleep(1);
    }
    await loop.runUntilComplete(main());
    await collectGarbage();
    expect(reports.map((r) => r.message)).toEqual(["Task exception was never retrieved"]);
    loop.close();
    expect(reports).toHaveLength(1);
  });
});
