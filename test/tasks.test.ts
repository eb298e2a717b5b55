/**
 * Task semantics, checked against CPython's `asyncio.Task`: first step via callSoon, names,
 * currentTask/allTasks, every cancellation path with cancelling()/uncancel() counts, the
 * task's AbortSignal, bad yields, and eager start.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runOn, virtualOnly } from "./helpers.js";

type Co<T = unknown> = asyncio.Coroutine<T>;

async function run<T>(main: Co<T>): Promise<T> {
  return (await runOn(main)).result;
}

function* forever(): Co<never> {
  for (;;) yield* asyncio.sleep(3600);
}

function* catchAll<T>(aw: asyncio.Awaitable<T>): Co<T | unknown> {
  try {
    return yield* aw;
  } catch (e) {
    return e;
  }
}

describe("createTask", () => {
  it("schedules the first step with callSoon: nothing runs until the creator yields", async () => {
    const log: string[] = [];
    function* child(name: string) {
      log.push(`${name} start`);
      yield* asyncio.sleep(0);
      log.push(`${name} end`);
    }
    function* main() {
      const loop = asyncio.getRunningLoop();
      loop.callSoon(() => log.push("callSoon before"));
      const a = asyncio.createTask(child("a"));
      const b = asyncio.createTask(child("b"));
      loop.callSoon(() => log.push("callSoon after"));
      log.push("created");
      yield* asyncio.sleep(0);
      log.push("main resumed");
      yield* a;
      yield* b;
    }
    await run(main());
    // CPython prints the same order.
    expect(log).toEqual([
      "created",
      "callSoon before",
      "a start",
      "b start",
      "callSoon after",
      "main resumed",
      "a end",
      "b end",
    ]);
  });

  it("runs each task in a copy of the creator's context (or the one given)", async () => {
    const v = new asyncio.ContextVar<string>("v", { default: "unset" });
    function* child() {
      const before = v.get();
      v.set("child");
      return before;
    }
    function* main() {
      v.set("main");
      const t = asyncio.createTask(child());
      v.set("main again");
      const seen = yield* t;
      const ctx = new asyncio.Context();
      const t2 = asyncio.createTask(child(), { context: ctx });
      const seen2 = yield* t2;
      return [seen, v.get(), seen2, ctx.get(v), t2.getContext() === ctx];
    }
    expect(await run(main())).toEqual(["main", "main again", "unset", "child", true]);
  });

  it("rejects a non-coroutine with a TypeError naming it, and hints at calling a function*", async () => {
    function* gen() {}
    function* main() {
      const errors: string[] = [];
      for (const bad of [gen, 42, Promise.resolve(1)]) {
        try {
          asyncio.createTask(bad as never);
        } catch (e) {
          expect(e).toBeInstanceOf(TypeError);
          errors.push((e as Error).message);
        }
      }
      return errors;
    }
    expect(await run(main())).toEqual([
      "createTask(): 'coro' must be a coroutine (a generator object): received function gen (call it: function gen(...))",
      "createTask(): 'coro' must be a coroutine (a generator object): received 42",
      "createTask(): 'coro' must be a coroutine (a generator object): received a Promise",
    ]);
  });

  it("without a running loop → RuntimeError", () => {
    function* f() {}
    expect(() => asyncio.createTask(f())).toThrow(
      new asyncio.RuntimeError("no running event loop"),
    );
  });
});

describe("names, getCoro, currentTask, allTasks", () => {
  it("default names are Task-N from a global counter; setName converts to a string", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(0));
      const b = asyncio.createTask(asyncio.sleep(0));
      const n = Number(/^Task-(\d+)$/.exec(a.getName())?.[1]);
      expect(b.getName()).toBe(`Task-${n + 1}`);
      const c = asyncio.createTask(asyncio.sleep(0), { name: "worker" });
      expect(c.getName()).toBe("worker");
      c.setName(5);
      expect(c.getName()).toBe("5");
      expect(String(c)).toContain("name='5'");
      yield* asyncio.gather(a, b, c);
      return Number.isInteger(n);
    }
    expect(await run(main())).toBe(true);
  });

  it("a name survives the task growing its side object (signal, cancel message, frames)", async () => {
    // The name shares a slot with the side object until there is one.
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1));
      const b = asyncio.createTask(asyncio.sleep(1));
      const bNumber = Number(/^Task-(\d+)$/.exec(b.getName())?.[1]);
      void a.signal; // a's number is still unformatted when its side object is made
      const c = asyncio.createTask(asyncio.sleep(1), { name: "named" });
      c.cancel("with a message");
      b.setName("renamed");
      void b.signal;
      b.setName("renamed again");
      const names = [a.getName(), b.getName(), c.getName()];
      a.cancel();
      b.cancel();
      yield* asyncio.gather(a, b, c, { returnExceptions: true });
      return { bNumber, names, after: [a.getName(), b.getName(), c.getName()] };
    }
    const { bNumber, names, after } = await run(main());
    const expected = [`Task-${bNumber - 1}`, "renamed again", "named"];
    expect(names).toEqual(expected);
    expect(after).toEqual(expected);
  });

  it("toString shows the state, the name and what the task waits for", async () => {
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      const waiting = asyncio.createTask(
        (function* () {
          return yield* fut;
        })(),
        { name: "w" },
      );
      const failing = asyncio.createTask(
        (function* () {
          yield* asyncio.sleep(0);
          throw new RangeError("r");
        })(),
        { name: "f" },
      );
      const fresh = String(waiting);
      yield* asyncio.sleep(0);
      const blocked = String(waiting);
      fut.setResult(3);
      yield* waiting;
      yield* catchAll(failing);
      const cancelled = asyncio.createTask(asyncio.sleep(1), { name: "c" });
      cancelled.cancel();
      yield* catchAll(cancelled);
      return [fresh, blocked, String(waiting), String(failing), String(cancelled)];
    }
    expect(await run(main())).toEqual([
      "<Task pending name='w' coro=<coroutine>>",
      "<Task pending name='w' coro=<coroutine> wait_for=<Future pending>>",
      "<Task finished name='w' coro=<coroutine> result=3>",
      "<Task finished name='f' coro=<coroutine> exception=RangeError(\"r\")>",
      "<Task cancelled name='c' coro=<coroutine>>",
    ]);
  });

  it("toString reads 'cancelling' while a cancel is pending, as asyncio's repr", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    // CPython 3.13:
    // <Task pending name='kid' coro=<child() …> wait_for=<Future pending cb=[…]>>
    // <Task cancelling name='kid' coro=<child() …> wait_for=<Future cancelled>>
    // <Task cancelled name='kid' coro=<child() …>>
    // <Task cancelling name='k2' coro=<child() …>>   (cancelled before its first step)
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      const kid = asyncio.createTask(
        (function* () {
          return yield* fut;
        })(),
        { name: "kid" },
      );
      yield* asyncio.sleep(0);
      const out = [String(kid)];
      kid.cancel();
      out.push(String(kid));
      yield* catchAll(kid);
      out.push(String(kid));
      const k2 = asyncio.createTask(asyncio.sleep(1), { name: "k2" });
      k2.cancel();
      out.push(String(k2));
      k2.uncancel();
      out.push(String(k2));
      yield* catchAll(k2);
      return out;
    }
    expect(await run(main())).toEqual([
      "<Task pending name='kid' coro=<coroutine> wait_for=<Future pending>>",
      "<Task cancelling name='kid' coro=<coroutine> wait_for=<Future cancelled>>",
      "<Task cancelled name='kid' coro=<coroutine>>",
      "<Task cancelling name='k2' coro=<coroutine>>",
      "<Task pending name='k2' coro=<coroutine>>",
    ]);
  });

  it("getCoro returns the coroutine object", async () => {
    function* child() {
      return 1;
    }
    function* main() {
      const coro = child();
      const t = asyncio.createTask(coro);
      yield* t;
      return t.getCoro() === coro;
    }
    expect(await run(main())).toBe(true);
  });

  it("currentTask: the task inside a step, null from a plain callback, RuntimeError without a loop", async () => {
    function* main() {
      const me = asyncio.currentTask();
      const loop = asyncio.getRunningLoop();
      const fromCallback = loop.createFuture<unknown>();
      loop.callSoon(() => fromCallback.setResult(asyncio.currentTask()));
      const child = asyncio.createTask(
        (function* () {
          return asyncio.currentTask();
        })(),
      );
      const childSaw = yield* child;
      return [me instanceof asyncio.Task, yield* fromCallback, childSaw === child];
    }
    expect(await run(main())).toEqual([true, null, true]);
    expect(() => asyncio.currentTask()).toThrow(new asyncio.RuntimeError("no running event loop"));
  });

  it("allTasks: the unfinished tasks only; RuntimeError without a loop", async () => {
    function* main() {
      const me = asyncio.currentTask();
      const quick = asyncio.createTask(asyncio.sleep(0));
      const slow = asyncio.createTask(asyncio.sleep(10));
      const first = asyncio.allTasks();
      yield* quick;
      const second = asyncio.allTasks();
      slow.cancel();
      yield* catchAll(slow);
      const third = asyncio.allTasks();
      return [
        first.size === 3 && first.has(me as never) && first.has(quick) && first.has(slow),
        second.size === 2 && !second.has(quick),
        third.size === 1 && third.has(me as never),
      ];
    }
    expect(await run(main())).toEqual([true, true, true]);
    expect(() => asyncio.allTasks()).toThrow(new asyncio.RuntimeError("no running event loop"));
  });
});

describe("results and errors", () => {
  it("a task's result and its own error reach the awaiter", async () => {
    virtualOnly("sleeps 2 s of virtual time");
    const err = new SyntaxError("mine");
    function* fails(): Co<number> {
      yield* asyncio.sleep(1);
      throw err;
    }
    function* main() {
      const ok = asyncio.createTask(asyncio.sleep(2, "ok"));
      const bad = asyncio.createTask(fails());
      const e = yield* catchAll(bad);
      return [yield* ok, e === err, bad.exception() === err, bad.done(), bad.cancelled()];
    }
    expect(await run(main())).toEqual(["ok", true, true, true, false]);
  });

  it("setResult / setException on a Task → RuntimeError", async () => {
    function* main() {
      const t = asyncio.createTask(asyncio.sleep(0));
      const errors: unknown[] = [];
      for (const call of [() => t.setResult(undefined), () => t.setException(new Error())]) {
        try {
          call();
        } catch (e) {
          errors.push(e);
        }
      }
      yield* t;
      return errors.map((e) => [e instanceof asyncio.RuntimeError, (e as Error).message]);
    }
    expect(await run(main())).toEqual([
      [true, "Task does not support setResult()"],
      [true, "Task does not support setException()"],
    ]);
  });

  it("a task awaiting itself gets RuntimeError at its yield*", async () => {
    function* selfish(): Co<unknown> {
      const me = asyncio.currentTask() as asyncio.Task<unknown>;
      yield* asyncio.sleep(0);
      return yield* catchAll(me);
    }
    function* main() {
      const t = asyncio.createTask(selfish(), { name: "selfish" });
      const e = (yield* t) as Error;
      return [e instanceof asyncio.RuntimeError, e.message];
    }
    const [isRuntime, message] = (await run(main())) as [boolean, string];
    expect(isRuntime).toBe(true);
    expect(message).toMatch(/^Task cannot await on itself: <Task pending name='selfish'/);
  });

  it("awaiting a Future of another loop → RuntimeError", async () => {
    const other = new asyncio.VirtualEventLoop();
    const foreign = other.createFuture<number>();
    function* main() {
      const e = (yield* catchAll(foreign)) as Error;
      return [e instanceof asyncio.RuntimeError, e.message];
    }
    const [isRuntime, message] = (await run(main())) as [boolean, string];
    other.close();
    expect(isRuntime).toBe(true);
    expect(message).toMatch(
      /^Task <Task pending name='Task-\d+' coro=<coroutine>> got Future <Future pending> attached to a different loop$/,
    );
  });

  it("a bare `yield` fails at its next step with a message that says to write yield*", async () => {
    function* slip() {
      yield undefined as unknown as asyncio.Suspend;
      return "continued";
    }
    function* main() {
      const t = asyncio.createTask(slip(), { name: "slip" });
      const e = (yield* catchAll(t)) as Error;
      return [e instanceof TypeError, e.message];
    }
    expect(await run(main())).toEqual([
      true,
      "Task got bad yield: undefined in task slip: a bare 'yield' does not suspend a coroutine; write 'yield* asyncio.sleep(0)' to give way to other tasks",
    ]);
  });

  it("`yield coroutine` instead of `yield*` fails at its next step", async () => {
    const log: string[] = [];
    function* inner() {
      log.push("inner ran");
      return 1;
    }
    function* slip() {
      yield inner() as unknown as asyncio.Suspend;
      log.push("continued");
    }
    function* main() {
      const e = (yield* catchAll(asyncio.createTask(slip(), { name: "slip" }))) as Error;
      return [e instanceof TypeError, e.message];
    }
    expect(await run(main())).toEqual([
      true,
      "Task got bad yield: coroutine object coroutine in task slip: await it with 'yield*', not 'yield'",
    ]);
    expect(log).toEqual([]);
  });

  it("`yield future` instead of `yield*` fails at its next step", async () => {
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      function* slip() {
        yield fut as unknown as asyncio.Suspend;
        return "continued";
      }
      const e = (yield* catchAll(asyncio.createTask(slip(), { name: "slip" }))) as Error;
      return [e instanceof TypeError, e.message, fut.done()];
    }
    expect(await run(main())).toEqual([
      true,
      "yield was used instead of yield* in task slip with <Future pending>: write 'yield* future' to await it",
      false,
    ]);
  });

  it("yielding any other value → 'Task got bad yield'", async () => {
    function* slip() {
      yield 42 as unknown as asyncio.Suspend;
    }
    function* main() {
      const e = (yield* catchAll(asyncio.createTask(slip(), { name: "slip" }))) as Error;
      return e.message;
    }
    expect(await run(main())).toBe(
      "Task got bad yield: 42 in task slip: coroutines await with 'yield* awaitable'",
    );
  });

  it("the bad-yield error is thrown into the coroutine, which may catch it and go on", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    function* slip() {
      try {
        yield 1 as unknown as asyncio.Suspend;
      } catch (e) {
        yield* asyncio.sleep(1);
        return `recovered from ${(e as Error).name}`;
      }
      return "not reached";
    }
    expect(await run(slip())).toBe("recovered from TypeError");
  });

  it("awaiting a non-awaitable → TypeError naming what was given", async () => {
    function* main() {
      const e = (yield* catchAll(
        (function* () {
          return yield* 5 as unknown as asyncio.Awaitable<number>;
        })(),
      )) as Error;
      return [e instanceof TypeError, e.message];
    }
    const [isType, message] = (await run(main())) as [boolean, string];
    expect(isType).toBe(true);
    expect(message).toContain("5 is not iterable");
  });
});

describe("cancellation", () => {
  it("cancel() before the first step: the body never runs, the task ends cancelled", async () => {
    const log: string[] = [];
    function* body() {
      try {
        log.push("started");
        yield* asyncio.sleep(1);
      } finally {
        log.push("finally");
      }
    }
    function* main() {
      const t = asyncio.createTask(body());
      expect(t.cancel("early")).toBe(true);
      expect(t.cancelling()).toBe(1);
      const e = (yield* catchAll(t)) as Error;
      return [e instanceof asyncio.CancelledError, e.message, t.cancelled(), t.cancel()];
    }
    expect(await run(main())).toEqual([true, "early", true, false]);
    // CPython: a coroutine cancelled before it started never runs, not even its finally.
    expect(log).toEqual([]);
  });

  it("cancel while awaiting a Future cancels that Future with the message", async () => {
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      const t = asyncio.createTask(
        (function* () {
          return yield* fut;
        })(),
      );
      yield* asyncio.sleep(0);
      expect(t.cancel("stop")).toBe(true);
      expect(fut.cancelled()).toBe(true);
      const e = (yield* catchAll(t)) as Error;
      return [t.cancelled(), e.message, fut.cancelled()];
    }
    expect(await run(main())).toEqual([true, "stop", true]);
  });

  it("cancel while awaiting another task cancels that task", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    const log: string[] = [];
    function* inner() {
      try {
        yield* asyncio.sleep(10);
      } catch (e) {
        log.push(`inner got ${(e as Error).message}`);
        throw e;
      }
    }
    function* outer(innerTask: asyncio.Task<void>) {
      yield* innerTask;
    }
    function* main() {
      const i = asyncio.createTask(inner());
      const o = asyncio.createTask(outer(i));
      yield* asyncio.sleep(1);
      o.cancel("outer cancelled");
      yield* catchAll(o);
      return [o.cancelled(), i.cancelled(), i.cancelling()];
    }
    expect(await run(main())).toEqual([true, true, 1]);
    expect(log).toEqual(["inner got outer cancelled"]);
  });

  it("an awaited task that swallows its cancellation: each outer cancel() reaches it again, and the outer gets its value", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    // CPython: True 1 1 / True 2 2 / "outer got inner swallowed 2", neither task cancelled.
    function* inner(): Co<string> {
      let n = 0;
      for (;;) {
        try {
          yield* asyncio.sleep(10);
          return "slept";
        } catch {
          n++;
          if (n === 2) return `inner swallowed ${n}`;
        }
      }
    }
    function* outer(t: asyncio.Task<string>): Co<string> {
      return `outer got ${yield* t}`;
    }
    function* main() {
      const i = asyncio.createTask(inner());
      const o = asyncio.createTask(outer(i));
      yield* asyncio.sleep(1);
      const first = [o.cancel(), i.cancelling(), o.cancelling()];
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      const second = [o.cancel(), i.cancelling(), o.cancelling()];
      return [first, second, yield* o, o.cancelled(), i.cancelled()];
    }
    expect(await run(main())).toEqual([
      [true, 1, 1],
      [true, 2, 2],
      "outer got inner swallowed 2",
      false,
      false,
    ]);
  });

  it("a coroutine may throw a value that is not an Error; the awaiter gets it as is", async () => {
    function* main() {
      const t = asyncio.createTask(
        (function* () {
          yield* asyncio.sleep(0);
          throw "a string";
        })(),
      );
      return [yield* catchAll(t), t.exception()];
    }
    expect(await run(main())).toEqual(["a string", "a string"]);
  });

  it("a future that finished but whose wakeup has not run yet: cancel() still cancels the task", async () => {
    // CPython: the waiter cannot be cancelled any more, so must-cancel is set and the
    // next step throws CancelledError instead of sending the result.
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      const t = asyncio.createTask(
        (function* () {
          try {
            return yield* fut;
          } catch (e) {
            return `cancelled: ${(e as Error).message}`;
          }
        })(),
      );
      yield* asyncio.sleep(0);
      fut.setResult(1);
      expect(t.cancel("late")).toBe(true);
      return [yield* t, fut.result()];
    }
    expect(await run(main())).toEqual(["cancelled: late", 1]);
  });

  it("cancelling() counts repeated cancels; cancel() returns true each time while pending", async () => {
    function* swallow() {
      try {
        yield* asyncio.sleep(10);
      } catch {
        return "swallowed";
      }
      return "slept";
    }
    function* main() {
      const t = asyncio.createTask(swallow());
      yield* asyncio.sleep(0);
      const r = [t.cancel(), t.cancel(), t.cancelling()];
      const v = yield* t;
      // A coroutine that catches CancelledError and returns is not cancelled.
      return [...r, v, t.cancelled(), t.cancelling(), t.cancel()];
    }
    expect(await run(main())).toEqual([true, true, 2, "swallowed", false, 2, false]);
  });

  it("uncancel() decrements, never below 0", async () => {
    function* main() {
      const t = asyncio.createTask(forever());
      yield* asyncio.sleep(0);
      t.cancel();
      t.cancel();
      const counts = [t.uncancel(), t.uncancel(), t.uncancel()];
      yield* catchAll(t);
      return [...counts, t.cancelled()];
    }
    // The waiter was already cancelled by the first cancel(): the task still ends cancelled.
    expect(await run(main())).toEqual([1, 0, 0, true]);
  });

  it("cancelling() counts past 262,143 requests (where the count leaves the flag bits) and back", async () => {
    const N = 300_000;
    function* main() {
      const t = asyncio.createTask(forever());
      yield* asyncio.sleep(0);
      const at: number[] = [];
      for (let i = 1; i <= N; i++) {
        t.cancel();
        if (i === 262_142 || i === 262_143 || i === 262_144 || i === N) at.push(t.cancelling());
      }
      const down: number[] = [];
      for (let i = N - 1; i >= 0; i--) {
        const left = t.uncancel();
        if (left !== i) throw new Error(`uncancel() returned ${left}, expected ${i}`);
        if (i === 262_143 || i === 262_142 || i === 0) down.push(left);
      }
      // Other flags survive the count crossing their neighbourhood.
      const state = [t.done(), t.cancelling()];
      t.cancel();
      yield* catchAll(t);
      return [...at, ...down, ...state, t.cancelled(), t.cancelling()];
    }
    expect(await run(main())).toEqual([
      262_142,
      262_143,
      262_144,
      N,
      262_143,
      262_142,
      0,
      false,
      0,
      true,
      1,
    ]);
  });

  it("a task's outcome never shows what it waited on (the two share a slot)", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<number>();
      loop.callSoon(() => fut.setResult(1));
      const returnsNothing = asyncio.createTask(
        (function* () {
          yield* fut;
        })(),
      );
      const fails = asyncio.createTask(
        (function* () {
          yield* asyncio.sleep(0.01);
          throw new Error("boom");
        })(),
      );
      const cancelled = asyncio.createTask(forever());
      yield* asyncio.sleep(0);
      const pendingResult = cancelled.done();
      cancelled.cancel();
      yield* asyncio.gather(returnsNothing, fails, cancelled, { returnExceptions: true });
      return [
        pendingResult,
        returnsNothing.result(),
        (fails.exception() as Error).message,
        cancelled.cancelled(),
        String(returnsNothing).includes("wait_for"),
      ];
    }
    expect((await runOn(main())).result).toEqual([false, undefined, "boom", true, false]);
  });

  it("cancel counts are the same whether the task has a side object or not", async () => {
    function* main() {
      // a has a side object before the first cancel (its signal); b has none.
      const a = asyncio.createTask(forever());
      const b = asyncio.createTask(forever());
      yield* asyncio.sleep(0);
      void a.signal;
      const before = [a.cancelling(), b.cancelling()];
      a.cancel();
      a.cancel();
      b.cancel();
      b.cancel();
      const up = [a.cancelling(), b.cancelling(), String(b).includes("cancelling")];
      const down = [a.uncancel(), a.uncancel(), b.uncancel(), b.uncancel(), b.uncancel()];
      const reprAtZero = String(b).includes("cancelling");
      b.cancel("again");
      const again = b.cancelling();
      a.cancel();
      yield* catchAll(a);
      yield* catchAll(b);
      return { before, up, down, reprAtZero, again, done: [a.cancelled(), b.cancelled()] };
    }
    expect(await run(main())).toEqual({
      before: [0, 0],
      up: [2, 2, true],
      down: [1, 0, 1, 0, 0],
      reprAtZero: false,
      again: 1,
      done: [true, true],
    });
  });

  it("uncancel() reaching 0 withdraws a cancellation not yet delivered (3.13)", async () => {
    function* selfCancel() {
      const me = asyncio.currentTask() as asyncio.Task<unknown>;
      me.cancel();
      const c = me.cancelling();
      const u = me.uncancel();
      yield* asyncio.sleep(0);
      return [c, u, "survived"];
    }
    expect(await run(selfCancel())).toEqual([1, 0, "survived"]);
  });

  it("uncancel() above 0 keeps the pending cancellation", async () => {
    function* selfCancel() {
      const me = asyncio.currentTask() as asyncio.Task<unknown>;
      me.cancel();
      me.cancel();
      me.uncancel();
      try {
        yield* asyncio.sleep(0);
        return "survived";
      } catch (e) {
        return `cancelled:${e instanceof asyncio.CancelledError}`;
      }
    }
    expect(await run(selfCancel())).toBe("cancelled:true");
  });

  it("a pending cancel cancels the next Future the task awaits, with the message", async () => {
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      const t = asyncio.createTask(
        (function* () {
          (asyncio.currentTask() as asyncio.Task<unknown>).cancel("pending");
          return yield* fut;
        })(),
      );
      const e = (yield* catchAll(t)) as Error;
      return [fut.cancelled(), t.cancelled(), e.message];
    }
    expect(await run(main())).toEqual([true, true, "pending"]);
  });

  it("cancel() during the final step still ends the task cancelled", async () => {
    function* last() {
      (asyncio.currentTask() as asyncio.Task<unknown>).cancel("at the end");
      return 5;
    }
    function* main() {
      const t = asyncio.createTask(last());
      const e = (yield* catchAll(t)) as Error;
      return [t.cancelled(), e instanceof asyncio.CancelledError, e.message];
    }
    expect(await run(main())).toEqual([true, true, "at the end"]);
  });

  it("the first await of a cancelled task gets the CancelledError the coroutine raised; later ones a bare one", async () => {
    let raised: unknown;
    function* child() {
      try {
        yield* asyncio.sleep(10);
      } catch (e) {
        raised = e;
        throw e;
      }
    }
    function* main() {
      const t = asyncio.createTask(child());
      yield* asyncio.sleep(0);
      t.cancel("m");
      const first = yield* catchAll(t);
      let fromResult: unknown;
      try {
        t.result();
      } catch (e) {
        fromResult = e;
      }
      return [
        first === raised,
        fromResult === raised,
        (first as Error).message,
        fromResult instanceof asyncio.CancelledError,
        (fromResult as Error).message,
      ];
    }
    // As asyncio: the coroutine's own error goes to the first retriever only; a later
    // retriever gets a new CancelledError without the message.
    expect(await run(main())).toEqual([true, false, "m", true, ""]);
  });

  it("a task cancelled while it is rescheduled by sleep(0) gets CancelledError at that sleep(0)", async () => {
    const log: string[] = [];
    function* spinner() {
      for (let i = 0; ; i++) {
        log.push(`step ${i}`);
        yield* asyncio.sleep(0);
      }
    }
    function* main() {
      const t = asyncio.createTask(spinner());
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      t.cancel();
      yield* catchAll(t);
      return t.cancelled();
    }
    expect(await run(main())).toBe(true);
    expect(log).toEqual(["step 0", "step 1"]);
  });
});

describe("cancellation through a `finally` that awaits (Effection #1190/#1185)", () => {
  function chain(mark: <F extends (...a: never[]) => Co>(f: F) => F, log: string[]) {
    const leaf = mark(function* leaf(): Co<string> {
      try {
        yield* asyncio.sleep(10);
        return "leaf done";
      } finally {
        log.push("leaf finally start");
        yield* asyncio.sleep(1);
        log.push("leaf finally end");
      }
    });
    const middle = mark(function* middle(): Co<string> {
      try {
        const r = yield* leaf();
        log.push("middle continued after cancel"); // must never run
        return r;
      } finally {
        log.push("middle finally start");
        yield* asyncio.sleep(1);
        log.push("middle finally end");
      }
    });
    const top = mark(function* top(): Co<string> {
      const r = yield* middle();
      log.push("top continued after cancel"); // must never run
      return r;
    });
    return top;
  }

  for (const [kind, mark] of [
    ["plain function* chain", <F>(f: F): F => f],
    ["asyncio.coroutine()-marked chain", asyncio.coroutine],
  ] as const) {
    it(`${kind}: the outer coroutines do not continue after the cancel`, async () => {
      virtualOnly("asserts virtual times");
      const log: string[] = [];
      const top = chain(mark as never, log);
      function* main() {
        const t = asyncio.createTask(top());
        yield* asyncio.sleep(1);
        t.cancel("stop");
        const e = (yield* catchAll(t)) as Error;
        return [t.cancelled(), e instanceof asyncio.CancelledError, e.message];
      }
      const { result, elapsed } = await runOn(main());
      expect(result).toEqual([true, true, "stop"]);
      expect(log).toEqual([
        "leaf finally start",
        "leaf finally end",
        "middle finally start",
        "middle finally end",
      ]);
      expect(elapsed).toBe(3);
    });

    it(`${kind}: a second cancel during the awaiting finally interrupts it, outer still stops`, async () => {
      virtualOnly("sleeps 2.5 s of virtual time");
      const log: string[] = [];
      const top = chain(mark as never, log);
      function* main() {
        const t = asyncio.createTask(top());
        yield* asyncio.sleep(1);
        t.cancel("first");
        yield* asyncio.sleep(0.5); // inside leaf's finally sleep
        t.cancel("second");
        const e = (yield* catchAll(t)) as Error;
        return [t.cancelled(), e.message, t.cancelling()];
      }
      const { result } = await runOn(main());
      expect(result).toEqual([true, "second", 2]);
      expect(log).toEqual(["leaf finally start", "middle finally start", "middle finally end"]);
    });
  }

  it("mixed chain: plain outer over marked inner and back", async () => {
    virtualOnly("sleeps 2 s of virtual time");
    const log: string[] = [];
    const marked = asyncio.coroutine(function* marked(): Co<void> {
      try {
        yield* asyncio.sleep(10);
      } finally {
        yield* asyncio.sleep(1);
        log.push("marked finally");
      }
    });
    function* plainMiddle(): Co<void> {
      yield* marked();
      log.push("plain middle continued");
    }
    const markedTop = asyncio.coroutine(function* markedTop(): Co<void> {
      yield* plainMiddle();
      log.push("marked top continued");
    });
    function* main() {
      const t = asyncio.createTask(markedTop());
      yield* asyncio.sleep(1);
      t.cancel();
      yield* catchAll(t);
      return t.cancelled();
    }
    expect(await run(main())).toBe(true);
    expect(log).toEqual(["marked finally"]);
  });
});

describe("Task.signal", () => {
  it("aborts on cancel with a CancelledError reason carrying the message", async () => {
    function* main() {
      const t = asyncio.createTask(forever());
      const signal = t.signal;
      const events: string[] = [];
      signal.addEventListener("abort", () => events.push("abort"));
      yield* asyncio.sleep(0);
      expect(signal.aborted).toBe(false);
      t.cancel("bye");
      const reason = signal.reason as Error;
      yield* catchAll(t);
      return [signal.aborted, reason instanceof asyncio.CancelledError, reason.message, events];
    }
    expect(await run(main())).toEqual([true, true, "bye", ["abort"]]);
  });

  it("a signal asked for after cancel() is already aborted", async () => {
    function* main() {
      const t = asyncio.createTask(forever());
      yield* asyncio.sleep(0);
      t.cancel();
      const aborted = t.signal.aborted;
      yield* catchAll(t);
      return aborted;
    }
    expect(await run(main())).toBe(true);
  });

  it("after uncancel() back to 0, a fresh signal that is not aborted", async () => {
    function* main() {
      const me = asyncio.currentTask() as asyncio.Task<unknown>;
      const first = me.signal;
      me.cancel();
      const abortedAfterCancel = first.aborted;
      me.uncancel();
      const second = me.signal;
      yield* asyncio.sleep(0);
      return [abortedAfterCancel, second !== first, second.aborted, me.signal === second];
    }
    expect(await run(main())).toEqual([true, true, false, true]);
  });

  it("stops a signal-aware API (an AbortSignal-driven promise) when the task is cancelled", async () => {
    function* main() {
      const t = asyncio.createTask(
        (function* () {
          const signal = (asyncio.currentTask() as asyncio.Task<unknown>).signal;
          return yield* asyncio.fromPromise(
            new Promise((_resolve, reject) => {
              signal.addEventListener("abort", () => reject(signal.reason));
            }),
          );
        })(),
      );
      yield* asyncio.sleep(0);
      t.cancel("stop fetch");
      const e = (yield* catchAll(t)) as Error;
      return [t.cancelled(), e.message];
    }
    expect(await run(main())).toEqual([true, "stop fetch"]);
  });
});

describe("eagerStart", () => {
  it("runs the first step inside createTask; a task that finishes eagerly comes back done", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    const log: string[] = [];
    function* quick() {
      log.push("quick ran");
      return 1;
    }
    function* slow() {
      log.push("slow first step");
      yield* asyncio.sleep(1);
      log.push("slow resumed");
      return 2;
    }
    function* main() {
      const q = asyncio.createTask(quick(), { eagerStart: true });
      log.push("after quick");
      const s = asyncio.createTask(slow(), { eagerStart: true });
      log.push("after slow");
      const listed = [asyncio.allTasks().has(q), asyncio.allTasks().has(s)];
      return [q.done(), q.result(), s.done(), ...listed, yield* s];
    }
    expect(await run(main())).toEqual([true, 1, false, false, true, 2]);
    expect(log).toEqual([
      "quick ran",
      "after quick",
      "slow first step",
      "after slow",
      "slow resumed",
    ]);
  });

  it("currentTask() inside an eager first step is the new task, and is restored after", async () => {
    function* main() {
      const me = asyncio.currentTask();
      let inside: unknown = null;
      const t = asyncio.createTask(
        (function* () {
          inside = asyncio.currentTask();
          yield* asyncio.sleep(0);
        })(),
        { eagerStart: true },
      );
      const after = asyncio.currentTask();
      yield* t;
      return [inside === t, after === me];
    }
    expect(await run(main())).toEqual([true, true]);
  });

  it("is ignored when the loop is not running: the first step is scheduled", async () => {
    virtualOnly("builds its own loop");
    const loop = new asyncio.VirtualEventLoop();
    const log: string[] = [];
    const t = new asyncio.Task(
      (function* () {
        log.push("ran");
        return 3;
      })(),
      { loop, eagerStart: true },
    );
    expect(log).toEqual([]);
    expect(t.done()).toBe(false);
    expect(await loop.runUntilComplete(t)).toBe(3);
    loop.close();
  });
});

describe("a cancellation caught on the must-cancel path (regression)", () => {
  it("leaves no CancelledError behind: the task finishes with its own value", async () => {
    function* swallow() {
      try {
        yield* asyncio.sleep(0); // suspended by a bare reschedule: cancel() sets must-cancel
      } catch (e) {
        if (!(e instanceof asyncio.CancelledError)) throw e;
      }
      return 42;
    }
    function* main() {
      const task = asyncio.createTask(swallow());
      yield* asyncio.sleep(0); // the task reaches its sleep(0)
      task.cancel();
      yield* asyncio.gather(task, { returnExceptions: true });
      return [task.cancelled(), task.exception(), task.result()];
    }
    const { result } = await runOn(main());
    expect(result).toEqual([false, null, 42]);
  });
});

describe("a bad await is thrown in on a later step, through the loop", () => {
  // CPython delivers every bad await (a task awaiting itself, a Future of another loop, a
  // bad yield) with call_soon(__step, error): the callbacks that were ready run first, and
  // a cancel() arriving meanwhile turns it into CancelledError.
  const badAwaits: [string, (me: asyncio.Task<unknown>) => Co<unknown>, string][] = [
    [
      "awaiting itself",
      function* (me) {
        return yield* me;
      },
      "RuntimeError",
    ],
    [
      "a Future of another loop",
      function* () {
        const other = new asyncio.VirtualEventLoop();
        const foreign = other.createFuture<number>();
        other.close();
        return yield* foreign;
      },
      "RuntimeError",
    ],
    [
      "yielding a non-awaitable",
      function* () {
        yield 42 as unknown as asyncio.Suspend;
      },
      "TypeError",
    ],
    [
      "`yield future` instead of `yield*`",
      function* () {
        yield asyncio.getRunningLoop().createFuture() as unknown as asyncio.Suspend;
      },
      "TypeError",
    ],
    [
      "`yield sleep()` instead of `yield*`",
      function* () {
        yield asyncio.sleep(1) as unknown as asyncio.Suspend;
      },
      "TypeError",
    ],
  ];

  function* badTask(log: string[], bad: (me: asyncio.Task<unknown>) => Co<unknown>): Co<unknown> {
    log.push("step");
    try {
      return yield* bad(asyncio.currentTask() as asyncio.Task<unknown>);
    } catch (e) {
      log.push(
        `got ${(e as Error).constructor.name}${(e as Error).message === "meanwhile" ? ": meanwhile" : ""}`,
      );
      throw e;
    }
  }

  for (const [what, bad, errorName] of badAwaits) {
    it(`${what}: the callbacks that were ready run before the error is thrown in`, async () => {
      // CPython (awaiting itself): ['step', 'cb', 'got RuntimeError']
      const log: string[] = [];
      function* main() {
        const t = asyncio.createTask(badTask(log, bad));
        asyncio.getRunningLoop().callSoon(() => log.push("cb"));
        yield* catchAll(t);
      }
      await run(main());
      expect(log).toEqual(["step", "cb", `got ${errorName}`]);
    });

    it(`${what}: a cancel() arriving meanwhile turns the error into CancelledError`, async () => {
      // CPython: ['step', 'cancel', 'got CancelledError: meanwhile'], cancelling() == 1
      const log: string[] = [];
      function* main() {
        const t = asyncio.createTask(badTask(log, bad));
        asyncio.getRunningLoop().callSoon(() => {
          log.push("cancel");
          t.cancel("meanwhile");
        });
        const e = (yield* catchAll(t)) as Error;
        return [t.cancelled(), e.message, t.cancelling()];
      }
      expect(await run(main())).toEqual([true, "meanwhile", 1]);
      expect(log).toEqual(["step", "cancel", "got CancelledError: meanwhile"]);
    });
  }

  it("while the error is on its way the task's repr waits on nothing", async () => {
    function* main() {
      const t = asyncio.createTask(
        badTask([], function* () {
          yield 42 as unknown as asyncio.Suspend;
        }),
        { name: "bad" },
      );
      let repr = "";
      asyncio.getRunningLoop().callSoon(() => {
        repr = String(t);
      });
      yield* catchAll(t);
      return repr;
    }
    expect(await run(main())).toMatch(/^<Task pending name='bad' coro=<[^>]*>>$/);
  });
});

describe("racing cancels of a waiting task: the first message wins", () => {
  // CPython: the first cancel() cancels what the task waits on; the second finds it done and
  // only sets must-cancel, but the task wakes with the waited-on CancelledError('first').
  const waits: [string, () => asyncio.Awaitable<unknown>][] = [
    ["sleep(d) (the task is its own timer)", () => asyncio.sleep(1)],
    ["sleep(d, result) (the Sleep is the timer)", () => asyncio.sleep(1, "r")],
    ["Event.wait()", () => new asyncio.Event().wait()],
    ["a plain Future", () => asyncio.getRunningLoop().createFuture()],
  ];
  for (const [what, wait] of waits) {
    it(`${what}: CancelledError('first'), cancelling() 2`, async () => {
      // CPython: woke with CancelledError('first') 2; outer CancelledError('first')
      const seen: unknown[] = [];
      function* victim() {
        try {
          yield* wait();
        } catch (e) {
          seen.push((e as Error).message, asyncio.currentTask()?.cancelling());
          throw e;
        }
      }
      function* canceller(t: asyncio.Task<unknown>, msg: string) {
        t.cancel(msg);
      }
      function* main() {
        const v = asyncio.createTask(victim());
        yield* asyncio.sleep(0);
        yield* asyncio.gather(canceller(v, "first"), canceller(v, "second"));
        const e = (yield* catchAll(v)) as Error;
        return [e instanceof asyncio.CancelledError, e.message];
      }
      expect(await run(main())).toEqual([true, "first"]);
      expect(seen).toEqual(["first", 2]);
    });
  }

  it("a sleep() driven directly as the task's coroutine: the first message wins", async () => {
    function* main() {
      const v = asyncio.createTask(asyncio.sleep(1));
      yield* asyncio.sleep(0);
      v.cancel("first");
      v.cancel("second");
      const e = (yield* catchAll(v)) as Error;
      return [e.message, v.cancelling()];
    }
    expect(await run(main())).toEqual(["first", 2]);
  });

  it("after the sleep's timer fired, nothing was cancelled yet: the last message is used", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    // CPython: ["s CancelledError('y') 2", 'r woke']
    const log: string[] = [];
    function* s() {
      try {
        yield* asyncio.sleep(1);
        log.push("s woke");
      } catch (e) {
        log.push(`s ${(e as Error).message} ${asyncio.currentTask()?.cancelling()}`);
      }
    }
    function* r() {
      yield* asyncio.sleep(1);
      log.push("r woke");
    }
    function* main() {
      const st = asyncio.createTask(s());
      const rt = asyncio.createTask(r());
      yield* asyncio.sleep(0);
      asyncio.getRunningLoop().callLater(1, () => {
        st.cancel("x");
        st.cancel("y");
      });
      yield* asyncio.gather(st, rt);
    }
    await run(main());
    expect(log).toEqual(["s y 2", "r woke"]);
  });
});
