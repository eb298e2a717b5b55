import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

/** An instrument that logs every event as a line. */
function logger(log: string[]): asyncio.Instrument {
  const n = (t: asyncio.Task<unknown> | null): string => (t === null ? "loop" : t.getName());
  return {
    taskCreated: (t, parent) => log.push(`created ${n(t)} by ${n(parent)}`),
    taskScheduled: (t, by) => log.push(`scheduled ${n(t)} by ${n(by)}`),
    stepStarted: (t, woken) => log.push(`start ${n(t)} woken by ${woken?.label ?? "-"}`),
    stepEnded: (t, d, on) => {
      expect(d).toBeGreaterThanOrEqual(0);
      log.push(`end ${n(t)} waiting on ${on === null ? "-" : `${on.kind}:${on.label}`}`);
    },
    taskCancelled: (t, by, msg) => log.push(`cancel ${n(t)} by ${n(by)} msg=${msg}`),
    taskDone: (t, o) =>
      log.push(
        `done ${n(t)} ${o.state}${o.state === "result" ? `=${String(o.result)}` : `:${(o.error as Error).message}`}`,
      ),
  };
}

describe("instruments", () => {
  it("see a task created, scheduled, stepped, waiting on a sleep, woken, and done", async () => {
    const log: string[] = [];
    function* child(): asyncio.Coroutine<number> {
      yield* asyncio.sleep(1);
      return 7;
    }
    function* main(): asyncio.Coroutine<number> {
      asyncio.currentTask()?.setName("main");
      asyncio.addInstrument(logger(log));
      const t = asyncio.createTask(child(), { name: "child" });
      return yield* t;
    }
    // Run by asyncio.run itself (not the test harness, whose wrapper steps would show).
    const result = await asyncio.run(main(), { loopFactory: () => new asyncio.VirtualEventLoop() });
    expect(result).toBe(7);
    // main's first step was in progress when the instrument was installed: not reported.
    // Finishing child queues main during child's own last step.
    expect(log.slice(0, 12)).toEqual([
      "created main by loop",
      "created child by main",
      "scheduled child by main",
      "start child woken by -",
      "end child waiting on sleep:sleep(1)",
      "scheduled child by loop",
      "start child woken by sleep(1)",
      "scheduled main by child",
      "end child waiting on -",
      "done child result=7",
      "start main woken by Task 'child'",
      "end main waiting on -",
    ]);
    expect(log[12]).toBe("done main result=7");
  });

  it("name what a task waits on: lock, event, queue, gather, TaskGroup, promise", async () => {
    const kinds: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      asyncio.addInstrument({
        stepEnded(task, _d, on) {
          if (on !== null && task.getName().startsWith("w-"))
            kinds.push(`${task.getName()}:${on.kind}`);
        },
      });
      const lock = new asyncio.Lock();
      const ev = new asyncio.Event();
      const q = new asyncio.Queue<number>();
      yield* lock.acquire();
      const a = asyncio.createTask(lock.acquire(), { name: "w-lock" });
      const b = asyncio.createTask(ev.wait(), { name: "w-event" });
      const c = asyncio.createTask(q.get(), { name: "w-queue" });
      const d = asyncio.createTask(
        (function* () {
          yield* asyncio.gather(asyncio.sleep(0.1), asyncio.sleep(0.2));
        })(),
        { name: "w-gather" },
      );
      const e = asyncio.createTask(
        (function* () {
          yield* asyncio.withTaskGroup(function* (tg) {
            tg.createTask(asyncio.sleep(0.1));
          });
        })(),
        { name: "w-group" },
      );
      const f = asyncio.createTask(
        (function* () {
          yield* asyncio.fromPromise(Promise.resolve(1));
        })(),
        { name: "w-promise" },
      );
      yield* asyncio.sleep(0);
      lock.release();
      ev.set();
      q.putNowait(1);
      yield* asyncio.gather(a, b, c, d, e, f);
    }
    await runVirtual(main());
    expect(kinds).toEqual(
      expect.arrayContaining([
        "w-lock:lock",
        "w-event:event",
        "w-queue:queue",
        "w-gather:gather",
        "w-group:taskgroup",
        "w-promise:promise",
      ]),
    );
  });

  it("see who cancelled a task, with the message, and that it ended cancelled", async () => {
    const log: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      asyncio.addInstrument(logger(log));
      const t = asyncio.createTask(asyncio.sleep(10), { name: "victim" });
      yield* asyncio.sleep(1);
      t.cancel("enough");
      try {
        yield* t;
      } catch (e) {
        if (!(e instanceof asyncio.CancelledError)) throw e;
      }
    }
    await runVirtual(main());
    expect(log).toContain("cancel victim by main msg=enough");
    expect(log).toContain("done victim cancelled:enough");
    expect(log.indexOf("cancel victim by main msg=enough")).toBeLessThan(
      log.indexOf("done victim cancelled:enough"),
    );
  });

  it("see a task's error as its outcome, without retrieving it for the task", async () => {
    const log: string[] = [];
    function* boom(): asyncio.Coroutine<never> {
      yield* asyncio.sleep(0);
      throw new Error("kaput");
    }
    function* main(): asyncio.Coroutine<string> {
      asyncio.currentTask()?.setName("main");
      asyncio.addInstrument(logger(log));
      const t = asyncio.createTask(boom(), { name: "boom" });
      try {
        yield* t;
        return "no";
      } catch (e) {
        return (e as Error).message;
      }
    }
    const { result } = await runVirtual(main());
    expect(result).toBe("kaput");
    expect(log).toContain("done boom error:kaput");
  });

  it("report loop iterations and the host waits between ticks", async () => {
    const events: string[] = [];
    let iterations = 0;
    let waits = 0;
    function* main(): asyncio.Coroutine<void> {
      asyncio.addInstrument({
        iterationStarted: (_l, ready) => {
          iterations++;
          expect(ready).toBeGreaterThan(0);
          events.push("it-start");
        },
        iterationEnded: (_l, ran, d) => {
          expect(ran).toBeGreaterThan(0);
          expect(d).toBeGreaterThanOrEqual(0);
          events.push("it-end");
        },
        ioWaited: (_l, d) => {
          expect(d).toBeGreaterThanOrEqual(0);
          waits++;
        },
      });
      // A real timer: the loop must go back to the host between ticks.
      yield* asyncio.sleep(0.005);
      yield* asyncio.sleep(0);
    }
    await asyncio.run(main());
    expect(iterations).toBeGreaterThan(0);
    expect(waits).toBeGreaterThan(0);
    for (let i = 0; i < events.length; i += 2) {
      expect(events.slice(i, i + 2)).toEqual(["it-start", "it-end"]);
    }
  });

  it("sample a fraction of the tasks, all events of a sampled task and none of the others", async () => {
    const created: string[] = [];
    const stepped = new Set<string>();
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      asyncio.addInstrument(
        {
          taskCreated: (t) => created.push(t.getName()),
          stepStarted: (t) => stepped.add(t.getName()),
        },
        { sample: 0.25 },
      );
      const tasks = [];
      for (let i = 0; i < 8; i++)
        tasks.push(asyncio.createTask(asyncio.sleep(0.1), { name: `t${i}` }));
      yield* asyncio.gather(...tasks);
    }
    await runVirtual(main());
    // main (already pending at install) is the first sampled; then every fourth.
    expect(created).toEqual(["main", "t3", "t7"]);
    expect([...stepped].sort()).toEqual(["main", "t3", "t7"]);
  });

  it("cost nothing once removed: the loop has no observer left", async () => {
    function* main(): asyncio.Coroutine<void> {
      const loop = asyncio.getRunningLoop();
      const a: asyncio.Instrument = { taskCreated() {} };
      asyncio.addInstrument(a);
      asyncio.addInstrument(a); // twice: once
      expect(asyncio.getInstruments()).toEqual([a]);
      expect(loop._observer).not.toBeNull();
      expect(asyncio.removeInstrument(a)).toBe(true);
      expect(asyncio.removeInstrument(a)).toBe(false);
      expect(loop._observer).toBeNull();
      yield* asyncio.sleep(0);
    }
    await runVirtual(main());
  });

  it("remove an instrument that throws, and report it to the exception handler", async () => {
    let calls = 0;
    function* main(): asyncio.Coroutine<void> {
      asyncio.addInstrument({
        stepStarted() {
          calls++;
          throw new Error("bad instrument");
        },
      });
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      expect(asyncio.getInstruments()).toEqual([]);
    }
    const { reports } = await runVirtual(main(), { allowReports: true });
    expect(calls).toBe(1);
    expect(reports).toHaveLength(1);
    expect(String(reports[0]?.message)).toMatch(/raised in stepStarted\(\); it was removed/);
    expect((reports[0] as asyncio.ExceptionContext & { exception: Error }).exception.message).toBe(
      "bad instrument",
    );
  });

  it("reject bad arguments, naming them", async () => {
    expect(() => asyncio.addInstrument({ taskCreated() {} })).toThrow(
      /addInstrument\(\): no running event loop/,
    );
    const loop = new asyncio.VirtualEventLoop();
    try {
      expect(() => asyncio.addInstrument(null as never, { loop })).toThrow(
        /'instrument' must be an object/,
      );
      expect(() => asyncio.addInstrument({}, { loop })).toThrow(/has none of the hooks/);
      expect(() => asyncio.addInstrument({ stepStarted: 3 } as never, { loop })).toThrow(
        /'instrument.stepStarted' must be a function: received 3/,
      );
      expect(() => asyncio.addInstrument({ taskCreated() {} }, { loop, sample: 0 })).toThrow(
        /'sample' must be a number in \(0, 1\]: received 0/,
      );
      expect(() => asyncio.addInstrument({ taskCreated() {} }, { loop: {} as never })).toThrow(
        /'loop' must be an asyncio event loop/,
      );
    } finally {
      loop.close();
    }
  });

  it("follow an eager task's step nested inside its creator's", async () => {
    const log: string[] = [];
    function* quick(): asyncio.Coroutine<number> {
      return 1;
    }
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      asyncio.addInstrument(logger(log));
      yield* asyncio.sleep(0);
      asyncio.createTask(quick(), { name: "eager", eagerStart: true });
    }
    await runVirtual(main());
    const i = log.indexOf("start main woken by -");
    expect(log.slice(i, i + 5)).toEqual([
      "start main woken by -",
      "created eager by main",
      "start eager woken by -",
      "end eager waiting on -",
      "done eager result=1",
    ]);
  });
});
