import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

/** A manager that logs entry and exit, awaiting in both, and may suppress. */
class Logged implements asyncio.AsyncContextManager<string> {
  constructor(
    readonly name: string,
    readonly log: string[],
    readonly suppress = false,
  ) {}
  *aenter(): asyncio.Coroutine<string> {
    yield* asyncio.sleep(1);
    this.log.push(`enter ${this.name}`);
    return this.name;
  }
  *aexit(exc: unknown): asyncio.Coroutine<boolean> {
    yield* asyncio.sleep(1);
    this.log.push(`exit ${this.name} ${exc === undefined ? "ok" : String((exc as Error).message)}`);
    return this.suppress;
  }
}

function* catching<T>(coro: asyncio.Coroutine<T>): asyncio.Coroutine<unknown> {
  try {
    return yield* coro;
  } catch (e) {
    return e;
  }
}

describe("asyncWith", () => {
  it("enters, runs the body with the value, exits; all awaiting", async () => {
    const log: string[] = [];
    function* main() {
      return yield* asyncio.asyncWith(new Logged("a", log), function* (v) {
        log.push(`body ${v}`);
        return 42;
      });
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe(42);
    expect(log).toEqual(["enter a", "body a", "exit a ok"]);
    expect(elapsed).toBe(2);
  });

  it("tells exit of the error; a true result suppresses it", async () => {
    const log: string[] = [];
    function* main() {
      const suppressed = yield* asyncio.asyncWith(new Logged("s", log, true), function* () {
        throw new Error("inner");
      });
      const raised = yield* catching(
        asyncio.asyncWith(new Logged("r", log), function* () {
          throw new Error("outer");
        }),
      );
      return { suppressed, raised: (raised as Error).message };
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual({ suppressed: undefined, raised: "outer" });
    expect(log).toEqual(["enter s", "exit s inner", "enter r", "exit r outer"]);
  });

  it("exits with the CancelledError when the body is cancelled", async () => {
    const log: string[] = [];
    function* main() {
      const task = asyncio.createTask(
        asyncio.asyncWith(new Logged("c", log), function* () {
          yield* asyncio.sleep(100);
        }),
      );
      yield* asyncio.sleep(2);
      task.cancel("stop");
      yield* asyncio.gather(task, { returnExceptions: true });
      return task.cancelled();
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe(true);
    expect(log).toEqual(["enter c", "exit c stop"]);
    expect(elapsed).toBe(3);
  });

  it("rejects what is not a context manager", () => {
    expect(() => asyncio.asyncWith({} as never, function* () {}).next()).toThrow(
      /'cm' must be an async context manager/,
    );
  });
});

describe("asynccontextmanager", () => {
  const resource = (log: string[]) =>
    asyncio.asynccontextmanager(function* resource(name: string) {
      yield* asyncio.sleep(1);
      log.push(`open ${name}`);
      try {
        yield { name };
      } finally {
        yield* asyncio.sleep(1);
        log.push(`close ${name}`);
      }
    });

  it("runs the code before the yield on entry and after it on exit", async () => {
    const log: string[] = [];
    const opened = resource(log);
    function* main() {
      const cm = opened("db");
      expectTypeOf(cm).toEqualTypeOf<asyncio.GeneratorContextManager<{ name: string }>>();
      return yield* asyncio.asyncWith(cm, function* (conn) {
        expectTypeOf(conn).toEqualTypeOf<{ name: string }>();
        log.push(`use ${conn.name}`);
        return conn.name.length;
      });
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe(2);
    expect(log).toEqual(["open db", "use db", "close db"]);
    expect(elapsed).toBe(2);
  });

  it("throws the body's error at the yield: finally runs, the error propagates", async () => {
    const log: string[] = [];
    const opened = resource(log);
    const err = new Error("query failed");
    function* main() {
      return yield* catching(
        asyncio.asyncWith(opened("db"), function* () {
          throw err;
        }),
      );
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(err);
    expect(log).toEqual(["open db", "close db"]);
  });

  it("suppresses the error when the generator catches it and finishes", async () => {
    const seen: unknown[] = [];
    const ignoring = asyncio.asynccontextmanager(function* () {
      try {
        yield;
      } catch (e) {
        seen.push(e);
      }
    });
    function* main() {
      return yield* asyncio.asyncWith(ignoring(), function* () {
        throw new RangeError("ignored");
      });
    }
    const { result } = await runVirtual(main());
    expect(result).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it("lets a different error raised by the generator replace the body's", async () => {
    const translating = asyncio.asynccontextmanager(function* () {
      try {
        yield;
      } catch (e) {
        throw new TypeError(`translated ${(e as Error).message}`);
      }
    });
    function* main() {
      return yield* catching(
        asyncio.asyncWith(translating(), function* () {
          throw new Error("low-level");
        }),
      );
    }
    const { result } = await runVirtual(main());
    expect(result).toBeInstanceOf(TypeError);
    expect((result as Error).message).toBe("translated low-level");
  });

  it("runs the cleanup on cancellation, then the task ends cancelled", async () => {
    const log: string[] = [];
    const opened = resource(log);
    function* main() {
      const task = asyncio.createTask(
        asyncio.asyncWith(opened("db"), function* () {
          yield* asyncio.sleep(100);
        }),
      );
      yield* asyncio.sleep(5);
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      return task.cancelled();
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe(true);
    expect(log).toEqual(["open db", "close db"]);
    expect(elapsed).toBe(6);
  });

  it("RuntimeError when the generator does not yield, or yields twice", async () => {
    const noYield = asyncio.asynccontextmanager(function* () {
      yield* asyncio.sleep(0);
    });
    const twice = asyncio.asynccontextmanager(function* () {
      yield 1;
      yield 2;
    });
    const twiceOnError = asyncio.asynccontextmanager(function* () {
      try {
        yield 1;
      } catch {
        yield 2;
      }
    });
    function* main() {
      const a = yield* catching(asyncio.asyncWith(noYield(), function* () {}));
      const b = yield* catching(asyncio.asyncWith(twice(), function* () {}));
      const c = yield* catching(
        asyncio.asyncWith(twiceOnError(), function* () {
          throw new Error("x");
        }),
      );
      return [a, b, c].map((e) => `${(e as Error).name}: ${(e as Error).message}`);
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual([
      "RuntimeError: generator didn't yield",
      "RuntimeError: generator didn't stop",
      "RuntimeError: generator didn't stop after athrow()",
    ]);
  });

  it("is one-shot: entering again fails", async () => {
    const log: string[] = [];
    const opened = resource(log);
    function* main() {
      const cm = opened("db");
      yield* asyncio.asyncWith(cm, function* () {});
      return yield* catching(asyncio.asyncWith(cm, function* () {}));
    }
    const { result } = await runVirtual(main());
    expect(String(result)).toMatch(/generator didn't yield/);
  });

  it("rejects what is not a generator function", () => {
    expect(() => asyncio.asynccontextmanager((() => {}) as never)).toThrow(
      /asynccontextmanager\(\): 'fn' must be a generator function/,
    );
  });
});

describe("aclosing", () => {
  it("closes an async generator when the block ends, running its cleanup", async () => {
    const log: string[] = [];
    const ticks = asyncio.asyncGenerator(function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        yield* asyncio.sleep(1);
        log.push("ticks closed");
      }
    });
    function* main() {
      yield* asyncio.asyncWith(asyncio.aclosing(ticks()), function* (agen) {
        log.push(`first ${(yield* agen.anext()).value}`);
      });
      log.push("after");
    }
    await runVirtual(main());
    expect(log).toEqual(["first 0", "ticks closed", "after"]);
  });

  it("rejects what has no aclose()", () => {
    expect(() => asyncio.aclosing({} as never)).toThrow(/'thing' must have an aclose\(\) method/);
  });
});

describe("AsyncExitStack", () => {
  it("exits every context last-in first-out", async () => {
    const log: string[] = [];
    function* main() {
      return yield* asyncio.asyncWith(new asyncio.AsyncExitStack(), function* (stack) {
        const names = [];
        for (const n of ["a", "b", "c"])
          names.push(yield* stack.enterAsyncContext(new Logged(n, log)));
        stack.callback((x: string) => log.push(`callback ${x}`), "arg");
        log.push("body");
        return names;
      });
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual(["a", "b", "c"]);
    expect(log).toEqual([
      "enter a",
      "enter b",
      "enter c",
      "body",
      "callback arg",
      "exit c ok",
      "exit b ok",
      "exit a ok",
    ]);
  });

  it("tells each exit of the pending error; one returning true suppresses it", async () => {
    const log: string[] = [];
    function* main() {
      const result = yield* asyncio.asyncWith(new asyncio.AsyncExitStack(), function* (stack) {
        yield* stack.enterAsyncContext(new Logged("outer", log));
        stack.pushAsyncExit(function* (exc) {
          yield* asyncio.sleep(1);
          log.push(`suppressor saw ${(exc as Error).message}`);
          return true;
        });
        yield* stack.enterAsyncContext(new Logged("inner", log));
        throw new Error("body failed");
      });
      return result;
    }
    const { result } = await runVirtual(main());
    expect(result).toBeUndefined();
    expect(log).toEqual([
      "enter outer",
      "enter inner",
      "exit inner body failed",
      "suppressor saw body failed",
      "exit outer ok",
    ]);
  });

  it("an exit's error replaces the pending one, which becomes its cause; all exits run", async () => {
    const log: string[] = [];
    const original = new Error("original");
    const replacement = new Error("replacement");
    function* main() {
      return yield* catching(
        asyncio.asyncWith(new asyncio.AsyncExitStack(), function* (stack) {
          stack.callback(() => log.push("first pushed, runs last"));
          stack.pushAsyncExit((exc: unknown) => {
            log.push(`saw ${(exc as Error).message}`);
          });
          stack.pushAsyncExit(() => {
            throw replacement;
          });
          throw original;
        }),
      );
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(replacement);
    expect(replacement.cause).toBe(original);
    expect(log).toEqual(["saw replacement", "first pushed, runs last"]);
  });

  it("accepts async functions and context managers pushed without entering", async () => {
    const log: string[] = [];
    function* main() {
      const stack = new asyncio.AsyncExitStack();
      const cm = new Logged("pushed", log);
      expect(stack.pushAsyncExit(cm)).toBe(cm);
      stack.pushAsyncExit(async (exc) => {
        await Promise.resolve();
        log.push(`async exit ${String(exc)}`);
        return false;
      });
      stack.callback(async () => {
        await Promise.resolve();
        log.push("async callback");
      });
      yield* stack.aclose();
      yield* stack.aclose(); // nothing left
    }
    await runVirtual(main());
    expect(log).toEqual(["async callback", "async exit undefined", "exit pushed ok"]);
  });

  it("popAll() moves the exits to a new stack", async () => {
    const log: string[] = [];
    function* main() {
      let kept: asyncio.AsyncExitStack | null = null;
      yield* asyncio.asyncWith(new asyncio.AsyncExitStack(), function* (stack) {
        yield* stack.enterAsyncContext(new Logged("kept", log));
        kept = stack.popAll();
      });
      log.push("block left");
      yield* (kept as unknown as asyncio.AsyncExitStack).aclose();
    }
    await runVirtual(main());
    expect(log).toEqual(["enter kept", "block left", "exit kept ok"]);
  });

  it("runs every exit when the block is cancelled, and stays cancelled", async () => {
    const log: string[] = [];
    function* main() {
      const task = asyncio.createTask(
        asyncio.asyncWith(new asyncio.AsyncExitStack(), function* (stack) {
          yield* stack.enterAsyncContext(new Logged("a", log));
          yield* stack.enterAsyncContext(new Logged("b", log));
          yield* asyncio.sleep(100);
        }),
      );
      yield* asyncio.sleep(3);
      task.cancel("cancelled!");
      yield* asyncio.gather(task, { returnExceptions: true });
      return task.cancelled();
    }
    const { result } = await runVirtual(main());
    expect(result).toBe(true);
    expect(log).toEqual(["enter a", "enter b", "exit b cancelled!", "exit a cancelled!"]);
  });

  it("aexit() returns true only when a received error was suppressed", async () => {
    function* main() {
      const s1 = new asyncio.AsyncExitStack();
      s1.pushAsyncExit(() => true);
      const noError = yield* s1.aexit(undefined);
      const s2 = new asyncio.AsyncExitStack();
      s2.pushAsyncExit(() => true);
      const suppressed = yield* s2.aexit(new Error("x"));
      return { noError, suppressed };
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual({ noError: false, suppressed: true });
  });

  it("validates its arguments at the call", async () => {
    const stack = new asyncio.AsyncExitStack();
    expect(() => stack.pushAsyncExit(5 as never)).toThrow(
      /'exit' must be an async context manager or a function/,
    );
    expect(() => stack.callback("nope" as never)).toThrow(/'fn' must be a function/);
    function* main() {
      return yield* catching(stack.enterAsyncContext({} as never));
    }
    const { result } = await runVirtual(main());
    expect(result).toBeInstanceOf(TypeError);
    expect(String(result)).toMatch(/'cm' must be an async context manager/);
  });
});
