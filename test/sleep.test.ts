/**
 * `sleep(delay, result)`: sleep(0) is one bare yield to the loop (the order of output
 * matches CPython's), argument checks, and a cancelled sleep cancels its timer.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { collectGarbage, runOn, virtualOnly } from "./helpers.js";

type Co<T = unknown> = asyncio.Coroutine<T>;

async function run<T>(main: Co<T>): Promise<T> {
  return (await runOn(main)).result;
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
    virtualOnly("asserts virtual times");
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(asyncio.sleep(0, "r0"));
      yield* asyncio.sleep(0);
      const timers = loop._timers.size;
      return [yield* asyncio.sleep(0, 7), yield* t, timers, yield* asyncio.sleep(0)];
    }
    const { result, elapsed } = await runOn(main());
    expect(result).toEqual([7, "r0", 0, undefined]);
    expect(elapsed).toBe(0);
  });

  it("a negative delay acts as 0", async () => {
    virtualOnly("asserts virtual times");
    const log: string[] = [];
    function* main() {
      asyncio.getRunningLoop().callSoon(() => log.push("callback"));
      const v = yield* asyncio.sleep(-5, "neg");
      log.push("main");
      return v;
    }
    const { result, elapsed } = await runOn(main());
    expect(result).toBe("neg");
    expect(elapsed).toBe(0);
    expect(log).toEqual(["callback", "main"]);
  });
});

describe("sleep(delay)", () => {
  it("resumes after `delay` virtual seconds with the result", async () => {
    virtualOnly("asserts virtual times");
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
    virtualOnly("asserts virtual times");
    const log: number[] = [];
    function* sleeper(d: number) {
      yield* asyncio.sleep(d);
      log.push(d);
    }
    function* main() {
      yield* asyncio.gather(sleeper(3), sleeper(1), sleeper(2), sleeper(1));
    }
    const { elapsed } = await runOn(main());
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

  it("`yield sleep(...)` instead of `yield*` fails at its next step with a message that says yield*", async () => {
    virtualOnly("asserts virtual times");
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
    const { result, elapsed } = await runOn(main());
    expect(result).toEqual([
      ["TypeError", true],
      ["TypeError", true],
    ]);
    expect(elapsed).toBe(0);
  });

  it("a sleep() object awaited twice → RuntimeError, as a reused coroutine", async () => {
    virtualOnly("sleeps 1 s of virtual time");
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
    virtualOnly("sleeps 3 s of virtual time");
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
    virtualOnly("asserts virtual times");
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
    const { result, elapsed } = await runOn(main());
    expect(result).toEqual([true, "wake", 3600, true, 0]);
    expect(elapsed).toBe(0);
  });

  // With a result, the Sleep object is the timer; without, the task is its own timer.
  it.each([
    ["a sleep with a result", "woke"],
    ["a sleep without one", undefined],
  ])(
    "cancel() after the timer fired but before the task resumed still cancels it (CPython): %s",
    async (_label, value) => {
      virtualOnly("sleeps 1 s of virtual time");
      function* sleeper() {
        try {
          yield* asyncio.sleep(1, value);
          return "woke";
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
      const { result, elapsed } = await runOn(main());
      expect(result).toBe("cancelled: just in time");
      expect(elapsed).toBe(1);
    },
  );

  it("a cancelled sleep's timer no longer holds its result or its task (the heap does not keep it live)", async () => {
    virtualOnly("asserts virtual times");
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
    const { result, elapsed } = await runOn(main());
    expect(result).toEqual([true, true]);
    expect(elapsed).toBe(0);
  });
});

describe("sleep(delay > 0): the task is its own timer", () => {
  function* nap(d: number): Co<void> {
    yield* asyncio.sleep(d);
  }

  it("nothing but the task stays alive while it sleeps: the sleep() object is collectable", async () => {
    virtualOnly("sleeps 5+ s of virtual time");
    let sleepRef: WeakRef<object> | undefined;
    function made(): asyncio.Coroutine<undefined> {
      const s = asyncio.sleep(5);
      sleepRef = new WeakRef(s);
      return s;
    }
    function* sleeper() {
      yield* made(); // not held in a local of the coroutine, which would keep it
      return "woke";
    }
    function* main() {
      const t = asyncio.createTask(sleeper());
      yield* asyncio.sleep(0);
      yield* asyncio.fromPromise(collectGarbage());
      const collected = sleepRef?.deref() === undefined;
      return [collected, yield* t, asyncio.getRunningLoop().time()];
    }
    expect(await run(main())).toEqual([true, "woke", 5]);
  });

  it("the task's repr shows the sleep waiting, then fired until the task resumes", async () => {
    virtualOnly("sleeps 3 s of virtual time");
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(nap(2.5), {
        name: "napper",
      });
      yield* asyncio.sleep(0);
      const waiting = String(t);
      let fired = "";
      loop.callLater(2.5, () => {
        fired = String(t);
      });
      yield* t;
      return [waiting, fired];
    }
    const [waiting, fired] = await run(main());
    expect(waiting).toMatch(/^<Task pending name='napper' .* wait_for=<sleep 2\.5s waiting>>$/);
    expect(fired).toMatch(/^<Task pending name='napper' .* wait_for=<sleep 2\.5s fired>>$/);
  });

  it("cancel() raises CancelledError(msg) at the sleep, drops the timer, and counts once", async () => {
    virtualOnly("asserts virtual times");
    function* sleeper() {
      try {
        yield* asyncio.sleep(3600);
        return "slept";
      } catch (e) {
        return [(e as Error).constructor.name, (e as Error).message];
      }
    }
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(sleeper());
      yield* asyncio.sleep(0);
      const armed = loop._nextTimerWhen();
      t.cancel("stop");
      const repr = String(t);
      const caught = yield* t;
      return [caught, armed, loop._nextTimerWhen(), t.cancelling(), repr];
    }
    const { result, elapsed } = await runOn(main());
    expect(result.slice(0, 4)).toEqual([["CancelledError", "stop"], 3600, undefined, 1]);
    expect(result[4]).toMatch(/wait_for=<sleep 3600s cancelled>>$/);
    expect(elapsed).toBe(0);
  });

  it("cancel() then uncancel() before the task runs still delivers the CancelledError", async () => {
    virtualOnly("asserts virtual times");
    // As asyncio: the cancel already reached the sleep; uncancel() only lowers the count.
    function* sleeper() {
      try {
        yield* asyncio.sleep(10);
        return "slept";
      } catch (e) {
        return `caught ${(e as Error).constructor.name}`;
      }
    }
    function* main() {
      const t = asyncio.createTask(sleeper());
      yield* asyncio.sleep(0);
      t.cancel();
      const left = t.uncancel();
      return [left, yield* t, asyncio.getRunningLoop().time()];
    }
    expect(await run(main())).toEqual([0, "caught CancelledError", 0]);
  });

  it("after a cancelled sleep, the stale timer entry never wakes the task early", async () => {
    virtualOnly("sleeps 20+ s of virtual time");
    // The cancelled sleep's entry (due at t=10) stays in the heap until it reaches the top;
    // the task sleeps again meanwhile, around it and across it.
    function* sleeper(log: unknown[]) {
      const loop = asyncio.getRunningLoop();
      try {
        yield* asyncio.sleep(10);
      } catch (e) {
        log.push(["cancelled", loop.time(), e instanceof asyncio.CancelledError]);
        asyncio.currentTask()?.uncancel();
      }
      yield* asyncio.sleep(5);
      log.push(["woke", loop.time()]);
      yield* asyncio.sleep(15); // across the stale deadline at t=10
      log.push(["woke", loop.time()]);
      yield* asyncio.sleep(1);
      log.push(["woke", loop.time()]);
    }
    function* main() {
      const log: unknown[] = [];
      const t = asyncio.createTask(sleeper(log));
      yield* asyncio.sleep(0);
      t.cancel();
      yield* t;
      return log;
    }
    const { result, elapsed } = await runOn(main());
    expect(result).toEqual([
      ["cancelled", 0, true],
      ["woke", 5],
      ["woke", 20],
      ["woke", 21],
    ]);
    expect(elapsed).toBe(21);
  });

  it("many cancelled sleepers: the heap compacts their stale entries and lets the tasks go", async () => {
    virtualOnly("asserts virtual times");
    let firstRef: WeakRef<object> | undefined;
    function* main() {
      const loop = asyncio.getRunningLoop();
      (() => {
        const tasks = Array.from({ length: 300 }, () => asyncio.createTask(nap(3600)));
        firstRef = new WeakRef(tasks[0] as object);
        loop.callSoon(() => {
          for (const t of tasks) t.cancel();
        });
      })();
      yield* asyncio.sleep(0);
      const before = loop._timers.size;
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      const after = loop._timers.size;
      yield* asyncio.fromPromise(collectGarbage());
      return [before, after, firstRef?.deref() === undefined, loop._nextTimerWhen()];
    }
    const { result, elapsed } = await runOn(main());
    expect(result).toEqual([300, 0, true, undefined]);
    expect(elapsed).toBe(0);
  });

  it("a sleep() driven directly as a task's coroutine is its own timer entry", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const t = asyncio.createTask(asyncio.sleep(2));
      yield* asyncio.sleep(0);
      const repr = String(t);
      return [yield* t, asyncio.getRunningLoop().time(), repr];
    }
    const [value, time, repr] = await run(main());
    expect([value, time]).toEqual([undefined, 2]);
    expect(repr).toMatch(/wait_for=<sleep 2s waiting>>$/);
  });

  it("the shared sleep iterator resumed without a wake-up raises RuntimeError", () => {
    const it = asyncio.sleep(1)[Symbol.iterator]();
    const first = it.next();
    expect(first.done).toBe(false);
    expect(() => it.next()).toThrow(asyncio.RuntimeError);
    expect(() => it.next()).toThrow(/yield\* asyncio\.sleep\(…\) was stepped outside yield\*/);
  });
});

describe("resume markers", () => {
  // A Task tells the shared iterators (sleep(0)'s, sleep(d)'s, a Future's) what it resumes
  // from just before resuming. If the coroutine was closed from outside meanwhile, nothing
  // takes that marker; it must not answer the next task's first await of the same kind.
  type Kind = "sleep0" | "sleep" | "future";

  function* scenario(kind: Kind) {
    const loop = asyncio.getRunningLoop();
    const fut1 = loop.createFuture<string>();
    const victim = (function* () {
      if (kind === "sleep0") for (;;) yield* asyncio.sleep(0);
      else if (kind === "sleep") yield* asyncio.sleep(1);
      else yield* fut1;
    })();
    asyncio.createTask(victim);
    // Registered before the probe's timer: at t=1 the victim is woken first.
    if (kind === "future") loop.callLater(1, () => fut1.setResult("fut1"));
    const gate = loop.createFuture<void>();
    const probe = asyncio.createTask(
      (function* () {
        // Resumed right after the victim, by a wake-up of another kind than the victim's.
        if (kind === "future") yield* asyncio.sleep(1);
        else yield* gate;
        const t0 = loop.time();
        let ranMeanwhile = false;
        loop.callSoon(() => {
          ranMeanwhile = true;
        });
        if (kind === "sleep0") yield* asyncio.sleep(0);
        else if (kind === "sleep") yield* asyncio.sleep(2);
        else {
          const fut2 = loop.createFuture<string>();
          loop.callLater(2, () => fut2.setResult("fut2"));
          return [yield* fut2, loop.time() - t0];
        }
        return [ranMeanwhile, loop.time() - t0];
      })(),
    );
    yield* asyncio.sleep(0);
    if (kind === "sleep") loop.callLater(1, () => gate.setResult());
    // Close the victim from outside, in the iteration before its wake-up is handled.
    loop.callLater(kind === "sleep0" ? 0 : 0.5, () => {
      victim.return(undefined);
      if (kind === "sleep0") gate.setResult();
    });
    return yield* probe;
  }

  it("sleep(0): a closed coroutine's marker does not skip the next task's sleep(0)", async () => {
    virtualOnly("asserts virtual times");
    expect((await runOn(scenario("sleep0"))).result).toEqual([true, 0]);
  });

  it("sleep(d): a closed coroutine's marker does not end the next task's sleep at once", async () => {
    virtualOnly("asserts virtual times");
    expect((await runOn(scenario("sleep"))).result).toEqual([true, 2]);
  });

  it("a Future: a closed coroutine's marker does not answer the next task's await", async () => {
    virtualOnly("asserts virtual times");
    expect((await runOn(scenario("future"))).result).toEqual(["fut2", 2]);
  });
});

describe("a sleep cancelled in the loop iteration its timer is due", () => {
  // asyncio moves every due timer to the ready queue, in deadline order, at the start of an
  // iteration. A cancel() run from one of them cancels the sleep's Future, which queues the
  // task's wake-up at once; the sleep's own timer, run later in the same iteration, finds
  // the Future cancelled and does nothing. So the cancelled task wakes in the order of the
  // cancel, not of its timer.
  function* sleeper(name: string, log: string[]) {
    try {
      yield* asyncio.sleep(1);
      log.push(`${name} woke`);
    } catch (e) {
      if (!(e instanceof asyncio.CancelledError)) throw e;
      log.push(`${name} cancelled`);
    }
  }

  function* variant(names: string[], target: string, cancelFirst: boolean) {
    const loop = asyncio.getRunningLoop();
    const log: string[] = [];
    const tasks = new Map<string, asyncio.Task<void>>();
    const cancel = () => tasks.get(target)?.cancel();
    if (cancelFirst) loop.callLater(1, cancel);
    for (const n of names) tasks.set(n, asyncio.createTask(sleeper(n, log)));
    if (!cancelFirst) {
      yield* asyncio.sleep(0);
      loop.callLater(1, cancel);
    }
    yield* asyncio.gather(...tasks.values());
    return log;
  }

  const cases: [string[], string, boolean, string[]][] = [
    // CPython 3.13, each line: tasks, cancelled one, callLater before/after the sleeps
    [["a", "b"], "b", true, ["b cancelled", "a woke"]],
    [["a", "b"], "a", true, ["a cancelled", "b woke"]],
    [["a", "b", "c"], "a", true, ["a cancelled", "b woke", "c woke"]],
    [["a", "b", "c"], "c", true, ["c cancelled", "a woke", "b woke"]],
    [["a", "b", "c"], "b", false, ["a woke", "b cancelled", "c woke"]],
  ];
  for (const [names, target, cancelFirst, expected] of cases) {
    it(`tasks ${names.join(",")}, ${target} cancelled by a timer armed ${cancelFirst ? "before" : "after"} the sleeps`, async () => {
      virtualOnly("sleeps 1 s of virtual time; needs timers due in one iteration");
      expect(await run(variant(names, target, cancelFirst))).toEqual(expected);
    });
  }

  function* timed(name: string, log: string[], giveWayFirst: boolean) {
    try {
      yield* asyncio.asyncWith(asyncio.timeout(1), function* () {
        if (giveWayFirst) yield* asyncio.sleep(0);
        yield* asyncio.sleep(1);
      });
      log.push(`${name} done`);
    } catch (e) {
      if (!(e instanceof asyncio.TimeoutError)) throw e;
      log.push(`${name} timeout`);
    }
  }

  function* plain(name: string, log: string[]) {
    yield* asyncio.sleep(1);
    log.push(`${name} woke`);
  }

  it("timeout(d) around sleep(d): the scope's timer, armed first, cancels the sleep due with it", async () => {
    virtualOnly("sleeps 3 s of virtual time");
    // CPython: ['t timeout', 'p woke'] / ['p woke', 't timeout'] / ['p woke', 't timeout', 'q woke']
    function* main() {
      const out: string[][] = [];
      let log: string[] = [];
      yield* asyncio.gather(timed("t", log, false), plain("p", log));
      out.push(log);
      log = [];
      yield* asyncio.gather(plain("p", log), timed("t", log, false));
      out.push(log);
      log = [];
      yield* asyncio.gather(plain("p", log), timed("t", log, false), plain("q", log));
      out.push(log);
      return out;
    }
    expect(await run(main())).toEqual([
      ["t timeout", "p woke"],
      ["p woke", "t timeout"],
      ["p woke", "t timeout", "q woke"],
    ]);
  });

  it("timeout(d) around sleep(d) with another sleeper's timer between the two", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    // CPython: ['t timeout', 'q woke']: the scope's timer comes before q's, t's sleep after
    const log: string[] = [];
    function* main() {
      yield* asyncio.gather(timed("t", log, true), plain("q", log));
    }
    await run(main());
    expect(log).toEqual(["t timeout", "q woke"]);
  });

  it("a cancel due with the sleep cancels it once: cancelling() is 1 and the stale step is skipped", async () => {
    virtualOnly("asserts virtual times");
    const seen: unknown[] = [];
    function* victim() {
      try {
        yield* asyncio.sleep(1);
      } catch (e) {
        seen.push((e as Error).message, asyncio.currentTask()?.cancelling());
      }
      // Sleeps again at once: the skipped timer step must not wake this sleep early.
      const loop = asyncio.getRunningLoop();
      const t0 = loop.time();
      yield* asyncio.sleep(2);
      seen.push(loop.time() - t0);
    }
    function* main() {
      let v: asyncio.Task<void> | null = null;
      asyncio.getRunningLoop().callLater(1, () => v?.cancel("due"));
      v = asyncio.createTask(victim());
      yield* v;
    }
    await run(main());
    expect(seen).toEqual(["due", 1, 2]);
  });
});
