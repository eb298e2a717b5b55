import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

describe("ContextVar", () => {
  it("get() falls back to the argument, then the default, else RangeError", () => {
    const withDefault = new asyncio.ContextVar<string>("withDefault", { default: "d" });
    const bare = new asyncio.ContextVar<number>("bare");
    asyncio.copyContext().run(() => {
      expect(withDefault.get()).toBe("d");
      expect(withDefault.get("fallback")).toBe("fallback");
      expect(bare.get(5)).toBe(5);
      expect(() => bare.get()).toThrow(RangeError);
      expect(() => bare.get()).toThrow(/ContextVar 'bare' has no value/);
      expect(String(bare)).toBe("<ContextVar name='bare'>");
    });
  });

  it("set() returns a token; reset(token) restores the previous value or absence", () => {
    const v = new asyncio.ContextVar<number>("v");
    asyncio.copyContext().run(() => {
      const t1 = v.set(1);
      expect(t1.oldValue).toBe(asyncio.Token.MISSING);
      expect(t1.var).toBe(v);
      const t2 = v.set(2);
      expect(t2.oldValue).toBe(1);
      expect(v.get()).toBe(2);
      v.reset(t2);
      expect(v.get()).toBe(1);
      v.reset(t1);
      expect(v.get(0)).toBe(0);
    });
  });

  it("reset() refuses a used token, another variable's token, another context's token", () => {
    const a = new asyncio.ContextVar<number>("a");
    const b = new asyncio.ContextVar<number>("b");
    const ctx1 = asyncio.copyContext();
    const ctx2 = asyncio.copyContext();
    const token = ctx1.run(() => a.set(1));
    ctx2.run(() => {
      expect(() => a.reset(token)).toThrow(/created in a different Context/);
    });
    ctx1.run(() => {
      expect(() => b.reset(token as never)).toThrow(/created by a different ContextVar/);
      a.reset(token);
      expect(() => a.reset(token)).toThrow(asyncio.RuntimeError);
      expect(() => a.reset(token)).toThrow(/already been used once/);
      expect(() => a.reset({} as never)).toThrow(TypeError);
    });
  });

  it("rejects a name that is not a string", () => {
    expect(() => new asyncio.ContextVar(3 as never)).toThrow(/'name' must be a string/);
  });
});

describe("Context", () => {
  it("run() makes the context current and restores the previous one", () => {
    const v = new asyncio.ContextVar<string>("v", { default: "outer" });
    const ctx = asyncio.copyContext();
    const seen = ctx.run((suffix: string) => {
      v.set(`inner${suffix}`);
      return v.get();
    }, "!");
    expect(seen).toBe("inner!");
    expect(v.get()).toBe("outer");
    expect(ctx.get(v)).toBe("inner!");
    expect(ctx.has(v)).toBe(true);
    expect(ctx.size).toBe(1);
    expect([...ctx.keys()]).toEqual([v]);
  });

  it("run() restores the previous context when fn throws", () => {
    const v = new asyncio.ContextVar<number>("v", { default: 0 });
    const ctx = asyncio.copyContext();
    expect(() =>
      ctx.run(() => {
        v.set(1);
        throw new Error("inside");
      }),
    ).toThrow("inside");
    expect(v.get()).toBe(0);
    expect(ctx.get(v)).toBe(1);
  });

  it("cannot be entered twice at once", () => {
    const ctx = asyncio.copyContext();
    expect(() => ctx.run(() => ctx.run(() => 1))).toThrow(asyncio.RuntimeError);
    expect(() => ctx.run(() => ctx.run(() => 1))).toThrow(/is already entered/);
    expect(ctx.run(() => 2)).toBe(2); // usable again afterwards
  });

  it("copy() is independent in both directions", () => {
    const v = new asyncio.ContextVar<number>("v");
    const a = asyncio.copyContext();
    a.run(() => v.set(1));
    const b = a.copy();
    b.run(() => v.set(2));
    a.run(() => v.set(3));
    expect(a.get(v)).toBe(3);
    expect(b.get(v)).toBe(2);
  });
});

describe("context and tasks", () => {
  const requestId = new asyncio.ContextVar<string>("requestId", { default: "none" });

  it("every task runs in a copy of its creator's context: sets never leak between tasks", async () => {
    const log: string[] = [];
    function* handle(id: string, delay: number) {
      requestId.set(id);
      yield* asyncio.sleep(delay);
      log.push(`${id} sees ${requestId.get()}`);
    }
    function* main() {
      requestId.set("main");
      const t1 = asyncio.createTask(handle("r1", 2));
      const t2 = asyncio.createTask(handle("r2", 1));
      yield* asyncio.gather(t1, t2);
      log.push(`main sees ${requestId.get()}`);
    }
    await runVirtual(main());
    expect(log).toEqual(["r2 sees r2", "r1 sees r1", "main sees main"]);
  });

  it("a task inherits the values set before it was created, not after", async () => {
    function* child() {
      yield* asyncio.sleep(1);
      return requestId.get();
    }
    function* main() {
      requestId.set("before");
      const task = asyncio.createTask(child());
      requestId.set("after");
      return yield* task;
    }
    const { result } = await runVirtual(main());
    expect(result).toBe("before");
  });

  it("createTask({ context }) runs the task in that very context", async () => {
    function* child() {
      const before = requestId.get();
      requestId.set("set by child");
      return before;
    }
    function* main() {
      const ctx = asyncio.copyContext();
      ctx.run(() => requestId.set("given"));
      const task = asyncio.createTask(child(), { context: ctx });
      expect(task.getContext()).toBe(ctx);
      const before = yield* task;
      return { before, after: ctx.get(requestId), mine: requestId.get() };
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual({ before: "given", after: "set by child", mine: "none" });
  });

  it("callbacks scheduled from a task run in a copy of its context", async () => {
    function* main() {
      requestId.set("task value");
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<string>();
      loop.callSoon(() => {
        const seen = requestId.get();
        requestId.set("changed by callback");
        fut.setResult(seen);
      });
      const seen = yield* fut;
      return { seen, after: requestId.get() };
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual({ seen: "task value", after: "task value" });
  });

  it("a reset inside a task with a token from the same task works across awaits", async () => {
    function* main() {
      const token = requestId.set("temporary");
      yield* asyncio.sleep(1);
      requestId.reset(token);
      return requestId.get();
    }
    const { result } = await runVirtual(main());
    expect(result).toBe("none");
  });

  // A task keeps only the mapping it copied until someone asks for its Context object; these
  // pin that the object, once handed out, is the task's context in both directions.
  it("getContext() of a running task is its live context: sets seen both ways, tokens survive", async () => {
    function* child() {
      const token = requestId.set("before getContext");
      const task = asyncio.currentTask() as asyncio.Task<unknown>;
      yield* asyncio.sleep(1);
      const ctx = task.getContext(); // made now, inside the task
      expect(task.getContext()).toBe(ctx);
      const seenByCtx = ctx.get(requestId);
      requestId.set("after getContext");
      const afterSet = ctx.get(requestId);
      yield* asyncio.sleep(1);
      requestId.reset(token); // a token from before the Context existed
      return {
        seenByCtx,
        afterSet,
        afterReset: requestId.get(),
        ctxAfterReset: ctx.get(requestId),
      };
    }
    function* main() {
      requestId.set("main");
      const r = yield* asyncio.createTask(child());
      return { ...r, mine: requestId.get() };
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual({
      seenByCtx: "before getContext",
      afterSet: "after getContext",
      afterReset: "main",
      ctxAfterReset: "main",
      mine: "main",
    });
  });

  it("getContext() from outside, between steps: a set through ctx.run() reaches the task", async () => {
    const task: { t: asyncio.Task<string> | null } = { t: null };
    function* child() {
      yield* asyncio.sleep(2);
      return requestId.get();
    }
    function* main() {
      task.t = asyncio.createTask(child());
      yield* asyncio.sleep(1);
      const ctx = task.t.getContext();
      ctx.run(() => requestId.set("from outside"));
      return yield* task.t;
    }
    const { result } = await runVirtual(main());
    expect(result).toBe("from outside");
  });

  it("a token from one task cannot reset in another, even after both handed out contexts", async () => {
    function* main() {
      const token = requestId.set("main");
      (asyncio.currentTask() as asyncio.Task<unknown>).getContext();
      function* other() {
        (asyncio.currentTask() as asyncio.Task<unknown>).getContext();
        try {
          requestId.reset(token);
          return "reset";
        } catch (e) {
          return (e as Error).message;
        }
      }
      return yield* asyncio.createTask(other());
    }
    const { result } = await runVirtual(main());
    expect(result).toBe("Token was created in a different Context");
  });

  it("an async generator runs in the context of the task consuming it", async () => {
    const gen = asyncio.asyncGenerator(function* () {
      yield requestId.get();
      yield* asyncio.sleep(1);
      yield requestId.get();
    });
    function* consume(id: string, agen: asyncio.AsyncGen<string>) {
      requestId.set(id);
      return (yield* agen.anext()).value;
    }
    function* main() {
      const agen = gen();
      const a = yield* asyncio.createTask(consume("first", agen));
      const b = yield* asyncio.createTask(consume("second", agen));
      return [a, b];
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual(["first", "second"]);
  });

  it("Runner.run({ context }) runs the main task in the given context", async () => {
    const ctx = asyncio.copyContext();
    ctx.run(() => requestId.set("from runner"));
    const runner = new asyncio.Runner({ loopFactory: () => new asyncio.VirtualEventLoop() });
    try {
      const seen = await runner.run(
        (function* () {
          return requestId.get();
        })(),
        { context: ctx },
      );
      expect(seen).toBe("from runner");
    } finally {
      await runner.close();
    }
  });
});
