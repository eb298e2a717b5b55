/**
 * Production sampling: which tasks, iterations and host waits a sampling instrument hears
 * about, and the loop's aggregated counts (`loopStats`) that see everything.
 */
import { describe, expect, it } from "vitest";
import { serve } from "../examples/production_instruments.js";
import { waitOwners } from "../src/core/observer.js";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

/** Runs `main` with asyncio.run itself on a virtual loop (no harness steps in the counts). */
function runOnVirtual<T>(main: asyncio.Coroutine<T>): Promise<T> {
  return asyncio.run(main, { loopFactory: () => new asyncio.VirtualEventLoop() });
}

/** Every event a task-level hook receives, as `hook name`. */
function taskEvents(log: string[]): asyncio.Instrument {
  return {
    taskCreated: (t) => log.push(`created ${t.getName()}`),
    taskScheduled: (t) => log.push(`scheduled ${t.getName()}`),
    stepStarted: (t) => log.push(`start ${t.getName()}`),
    stepEnded: (t) => log.push(`end ${t.getName()}`),
    taskCancelled: (t) => log.push(`cancel ${t.getName()}`),
    taskDone: (t) => log.push(`done ${t.getName()}`),
  };
}

function* worker(steps: number): asyncio.Coroutine<void> {
  for (let i = 0; i < steps; i++) yield* asyncio.sleep(0);
}

describe("instrument sampling", () => {
  it("decide once per task, at creation: every event of a sampled task, none of the others", async () => {
    const all: string[] = [];
    const sampled: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      const a = taskEvents(all);
      const b = taskEvents(sampled);
      asyncio.addInstrument(a);
      asyncio.addInstrument(b, { sample: 1 / 3 });
      const tasks = [];
      for (let i = 0; i < 7; i++) tasks.push(asyncio.createTask(worker(2), { name: `w${i}` }));
      const doomed = asyncio.createTask(asyncio.sleep(10), { name: "doomed" });
      const spared = asyncio.createTask(asyncio.sleep(10), { name: "spared" });
      yield* asyncio.gather(...tasks);
      doomed.cancel();
      spared.cancel();
      yield* asyncio.wait([doomed, spared]);
      // (asyncio.run's own clean-up tasks are not part of this test.)
      asyncio.removeInstrument(a);
      asyncio.removeInstrument(b);
    }
    await runOnVirtual(main());
    const names = (log: string[]) => [...new Set(log.map((l) => l.split(" ")[1]))];
    // main (pending at install) is the first of every three; then w2, w5; doomed is the 8th
    // task created after main, spared the 9th.
    expect(names(sampled)).toEqual(["main", "w2", "w5", "spared"]);
    expect(names(all)).toHaveLength(10);
    // A sampled task's events are exactly what the unsampled instrument saw of it.
    for (const name of names(sampled)) {
      expect(sampled.filter((l) => l.endsWith(` ${name}`))).toEqual(
        all.filter((l) => l.endsWith(` ${name}`)),
      );
    }
    expect(sampled).toContain("cancel spared");
    expect(sampled).not.toContain("cancel doomed");
    expect(all).toContain("cancel doomed");
  });

  it("sample each instrument on its own: the others' rates change nothing", async () => {
    const half: string[] = [];
    const quarter: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      const a: asyncio.Instrument = { taskCreated: (t) => half.push(t.getName()) };
      const b: asyncio.Instrument = { stepStarted: (t) => quarter.push(t.getName()) };
      asyncio.addInstrument(a, { sample: 0.5 });
      asyncio.addInstrument(b, { sample: 0.25 });
      const tasks = [];
      for (let i = 0; i < 8; i++) tasks.push(asyncio.createTask(worker(0), { name: `t${i}` }));
      yield* asyncio.gather(...tasks);
      asyncio.removeInstrument(a);
      asyncio.removeInstrument(b);
    }
    await runOnVirtual(main());
    expect(half).toEqual(["main", "t1", "t3", "t5", "t7"]);
    // main's step in progress at install is not reported; its later steps are.
    expect([...new Set(quarter)]).toEqual(["t3", "t7", "main"]);
  });

  it("re-decide for pending tasks when an instrument is installed after another left", async () => {
    const first: string[] = [];
    const second: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      const a: asyncio.Instrument = { stepStarted: (t) => first.push(t.getName()) };
      asyncio.addInstrument(a, { sample: 0.5 });
      const tasks = [];
      for (let i = 0; i < 4; i++) tasks.push(asyncio.createTask(worker(3), { name: `t${i}` }));
      yield* asyncio.sleep(0);
      asyncio.removeInstrument(a);
      // Announced again: main and t0..t3 pending; every task is heard now.
      const b: asyncio.Instrument = { stepStarted: (t) => second.push(t.getName()) };
      asyncio.addInstrument(b);
      yield* asyncio.gather(...tasks);
      asyncio.removeInstrument(b);
    }
    await runOnVirtual(main());
    // main was pending at the first install: the first sampled, then every other task.
    expect([...new Set(first)].sort()).toEqual(["main", "t1", "t3"]);
    expect([...new Set(second)].sort()).toEqual(["main", "t0", "t1", "t2", "t3"]);
  });

  it("select tasks at creation: refused tasks are never heard of and use up no sample", async () => {
    const heard: string[] = [];
    const parents: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      const ins = taskEvents(heard);
      asyncio.addInstrument(ins, {
        sample: 0.5,
        select: (t, parent) => {
          parents.push(`${t.getName()}<${parent?.getName() ?? "-"}`);
          return t.getName().startsWith("handler-");
        },
      });
      const tasks = [];
      for (let i = 0; i < 4; i++) {
        tasks.push(asyncio.createTask(worker(1), { name: `handler-${i}` }));
        tasks.push(asyncio.createTask(worker(1), { name: `noise-${i}` }));
      }
      yield* asyncio.gather(...tasks);
      asyncio.removeInstrument(ins);
    }
    await runOnVirtual(main());
    // main, pending at install, is asked with no parent and refused; of the handlers,
    // every other one is sampled, the noise tasks in between counting for nothing.
    expect(parents.slice(0, 3)).toEqual(["main<-", "handler-0<main", "noise-0<main"]);
    expect([...new Set(heard.map((l) => l.split(" ")[1]))]).toEqual(["handler-0", "handler-2"]);
    expect(heard.filter((l) => l.endsWith("handler-0"))).toEqual([
      "created handler-0",
      "scheduled handler-0",
      "start handler-0",
      "scheduled handler-0", // sleep(0) queues it again within the step
      "end handler-0",
      "start handler-0",
      "end handler-0",
      "done handler-0",
    ]);
  });

  it("refuse a task whose select throws, report it, and keep the instrument", async () => {
    const heard: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      const ins: asyncio.Instrument = { taskCreated: (t) => heard.push(t.getName()) };
      asyncio.addInstrument(ins, {
        select: (t) => {
          if (t.getName() === "odd") throw new Error("no such rule");
          return true;
        },
      });
      yield* asyncio.gather(
        asyncio.createTask(worker(1), { name: "odd" }),
        asyncio.createTask(worker(1), { name: "even" }),
      );
      expect(asyncio.getInstruments()).toEqual([ins]);
      asyncio.removeInstrument(ins);
    }
    const { reports } = await runVirtual(main(), { allowReports: true });
    expect(heard).toContain("even");
    expect(heard).not.toContain("odd");
    expect(reports).toHaveLength(1);
    expect(String(reports[0]?.message)).toMatch(/The 'select' of instrument .* raised for/);
    expect((reports[0] as asyncio.ExceptionContext & { exception: Error }).exception.message).toBe(
      "no such rule",
    );
  });

  it("throw to addInstrument's caller what taskCreated throws for a pending task", async () => {
    function* main(): asyncio.Coroutine<void> {
      const bad: asyncio.Instrument = {
        taskCreated() {
          throw new Error("not now");
        },
      };
      expect(() => asyncio.addInstrument(bad)).toThrow("not now");
      expect(asyncio.getInstruments()).toEqual([]);
      yield* asyncio.sleep(0);
    }
    const { reports } = await runVirtual(main());
    expect(reports).toEqual([]);
  });

  it("report every 1/rate-th iteration and host wait, with loopStats counting all of them", async () => {
    let allIterations = 0;
    let allReady = 0;
    const sampledStarts: number[] = [];
    const sampledEnds: number[] = [];
    let allWaits = 0;
    let sampledWaits = 0;
    const windows: asyncio.LoopStats[] = [];
    let created = 0;
    function* main(): asyncio.Coroutine<void> {
      asyncio.addInstrument({
        taskCreated: () => created++,
        iterationStarted: (_l, ready) => {
          allIterations++;
          allReady += ready;
        },
        ioWaited: () => allWaits++,
      });
      asyncio.addInstrument(
        {
          iterationStarted: (_l, ready) => sampledStarts.push(ready),
          iterationEnded: (_l, ran, d) => {
            expect(d).toBeGreaterThanOrEqual(0);
            sampledEnds.push(ran);
          },
          ioWaited: (_l, d) => {
            expect(d).toBeGreaterThanOrEqual(0);
            sampledWaits++;
          },
          loopStats: (_l, s) => windows.push(s),
        },
        { sample: 0.25, statsInterval: 0 },
      );
      const tasks = [];
      for (let i = 0; i < 5; i++) tasks.push(asyncio.createTask(worker(7 + i)));
      // A bridged Promise settles in the host: the loop must go back to it (a host wait).
      for (let i = 0; i < 3; i++) yield* asyncio.fromPromise(Promise.resolve(i));
      yield* asyncio.gather(...tasks);
    }
    await runOnVirtual(main());
    expect(allIterations).toBeGreaterThan(12);
    // The first iteration is sampled, then every fourth; start and end pair up.
    expect(sampledStarts).toHaveLength(Math.ceil(allIterations / 4));
    expect(sampledEnds).toEqual(sampledStarts);
    expect(allWaits).toBeGreaterThanOrEqual(3);
    expect(sampledWaits).toBe(Math.ceil(allWaits / 4));
    // statsInterval 0: a window per tick; together they count every iteration and task.
    const sum = (k: keyof asyncio.LoopStats) => windows.reduce((a, s) => a + s[k], 0);
    expect(sum("iterations")).toBe(allIterations);
    expect(sum("callbacks")).toBe(allReady);
    expect(sum("tasksCreated")).toBe(created - 1); // main was pending at install
    expect(sum("ticks")).toBe(windows.length);
    expect(windows.length).toBeGreaterThanOrEqual(4);
    for (const s of windows) {
      expect(s.busy).toBeGreaterThanOrEqual(0);
      expect(s.ioWait).toBeGreaterThanOrEqual(0);
      expect(s.longestTick).toBeCloseTo(s.busy, 9);
      expect(s.ticks).toBe(1);
    }
    // The last window ends when asyncio.run's last run stops: nothing is pending then.
    expect(windows.at(-1)?.tasksPending).toBe(0);
    // Earlier ticks end with main waiting on its Promise.
    expect(windows[0]?.tasksPending).toBe(1);
  });

  it("report loopStats per window of loop time, and the partial last window on removal", async () => {
    const windows: asyncio.LoopStats[] = [];
    let t0 = 0;
    let removedAt = 0;
    const stats: asyncio.Instrument = { loopStats: (_l, s) => windows.push(s) };
    function* ticker(): asyncio.Coroutine<void> {
      for (let i = 0; i < 10; i++) {
        yield* asyncio.sleep(0.5);
        // Back to the host after every sleep, so that ticks end inside the run.
        yield* asyncio.fromPromise(Promise.resolve());
      }
    }
    function* main(): asyncio.Coroutine<void> {
      const loop = asyncio.getRunningLoop();
      t0 = loop.time();
      asyncio.addInstrument(stats, { statsInterval: 2 });
      yield* ticker();
      removedAt = loop.time();
      expect(asyncio.removeInstrument(stats)).toBe(true);
    }
    await runOnVirtual(main());
    expect(removedAt - t0).toBe(5);
    // Windows of at least 2 s of loop time, then what was left when it was removed.
    expect(windows.length).toBeGreaterThanOrEqual(2);
    for (const s of windows.slice(0, -1)) expect(s.duration).toBeGreaterThanOrEqual(2);
    expect(windows.reduce((a, s) => a + s.duration, 0)).toBe(5);
    expect(windows.every((s) => s.iterations > 0 && s.callbacks >= s.iterations)).toBe(true);
  });

  it("flush loopStats when the loop stops, and not count the gap between runs as I/O", async () => {
    const windows: asyncio.LoopStats[] = [];
    const loop = new asyncio.VirtualEventLoop();
    const starts: number[] = [];
    try {
      // statsInterval 60: the windows below end only because each run stops.
      asyncio.addInstrument({ loopStats: (_l, s) => windows.push(s) }, { loop, statsInterval: 60 });
      for (let r = 0; r < 2; r++) {
        starts.push(windows.length);
        await loop.runUntilComplete(worker(3));
        // Real time passes between the runs, outside any tick of this loop.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const perRun = [windows.slice(0, starts[1]), windows.slice(starts[1])];
      for (const w of perRun) {
        expect(w).toHaveLength(1);
        expect(w[0]?.iterations).toBeGreaterThanOrEqual(4);
        expect(w[0]?.tasksCreated).toBe(1);
        expect(w[0]?.duration).toBe(0);
      }
      // A run of sleep(0) steps never waits in the host: had the gap between the runs been
      // counted as a wait, the second run's window would show it.
      expect(perRun[1]?.[0]?.ioWait).toBe(0);
      const ticked: asyncio.LoopStats[] = [];
      asyncio.addInstrument({ loopStats: (_l, s) => ticked.push(s) }, { loop, statsInterval: 0 });
      await loop.runUntilComplete(worker(1));
      expect(ticked[0]?.ioWait).toBe(0);
    } finally {
      loop.close();
    }
  });

  it("tell a failing loopStats nothing more: it is removed and reported", async () => {
    let calls = 0;
    function* main(): asyncio.Coroutine<void> {
      asyncio.addInstrument(
        {
          loopStats() {
            calls++;
            throw new Error("stats sink down");
          },
        },
        { statsInterval: 0 },
      );
      for (let i = 0; i < 3; i++) yield* asyncio.fromPromise(Promise.resolve(i));
      expect(asyncio.getInstruments()).toEqual([]);
    }
    const { reports } = await runVirtual(main(), { allowReports: true });
    expect(calls).toBe(1);
    expect(reports).toHaveLength(1);
    expect(String(reports[0]?.message)).toMatch(/raised in loopStats\(\); it was removed/);
  });

  it("unmark the pending tasks when the last instrument leaves, not before", async () => {
    const seen: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      const loop = asyncio.getRunningLoop();
      const a: asyncio.Instrument = { stepStarted: (t) => seen.push(`a ${t.getName()}`) };
      const b: asyncio.Instrument = { taskCreated: () => {} };
      asyncio.addInstrument(a);
      asyncio.addInstrument(b);
      const tasks = [0, 1].map((i) => asyncio.createTask(worker(4), { name: `t${i}` }));
      yield* asyncio.sleep(0);
      expect(tasks.map((t) => t._observed)).toEqual([true, true]);
      asyncio.removeInstrument(a);
      // b still hears about them: the marks stay (b has no step hook to call, though).
      expect(tasks.map((t) => t._observed)).toEqual([true, true]);
      expect(loop._observer).not.toBeNull();
      const before = seen.length;
      yield* asyncio.sleep(0);
      expect(seen.length).toBe(before);
      asyncio.removeInstrument(b);
      // The last one left: no pending task's step reads the loop's observer any more.
      expect(tasks.map((t) => t._observed)).toEqual([false, false]);
      expect(asyncio.currentTask()?._observed).toBe(false);
      expect(loop._observer).toBeNull();
      expect(loop._queueObserver).toBeNull();
      yield* asyncio.gather(...tasks);
      expect(seen.filter((l) => l === "a t0").length).toBe(1);
    }
    await runOnVirtual(main());
  });

  it("let queued runnables reach the dispatcher only while some instrument has taskScheduled", async () => {
    const scheduled: string[] = [];
    function* main(): asyncio.Coroutine<void> {
      const loop = asyncio.getRunningLoop();
      asyncio.currentTask()?.setName("main");
      const steps: asyncio.Instrument = { stepEnded: () => {} };
      const queue: asyncio.Instrument = { taskScheduled: (t) => scheduled.push(t.getName()) };
      asyncio.addInstrument(steps, { sample: 0.5 });
      expect(loop._observer).not.toBeNull();
      expect(loop._queueObserver).toBeNull();
      asyncio.addInstrument(queue);
      expect(loop._queueObserver).toBe(loop._observer);
      yield* asyncio.createTask(worker(1), { name: "heard" });
      asyncio.removeInstrument(queue);
      expect(loop._queueObserver).toBeNull();
      yield* asyncio.createTask(worker(1), { name: "after" });
      asyncio.removeInstrument(steps);
    }
    await runOnVirtual(main());
    // Queued at creation, by its sleep(0), then main queued by its end.
    expect(scheduled).toEqual(["heard", "heard", "main"]);
  });

  it("note what a wait stands for only for a task some instrument hears about", async () => {
    const waits: string[] = [];
    function* waiter(lock: asyncio.Lock): asyncio.Coroutine<void> {
      yield* lock.acquire();
      lock.release();
    }
    function* main(): asyncio.Coroutine<void> {
      const lock = new asyncio.Lock();
      asyncio.addInstrument(
        {
          stepEnded: (t, _d, on) => {
            if (on !== null) waits.push(`${t.getName()} ${on.kind}`);
          },
        },
        { select: (t) => t.getName() === "heard" },
      );
      yield* lock.acquire();
      const heard = asyncio.createTask(waiter(lock), { name: "heard" });
      const unheard = asyncio.createTask(waiter(lock), { name: "unheard" });
      yield* asyncio.sleep(0);
      // Both wait on a waiter Future of the lock; only the heard one's is classified.
      const futureOf = (t: asyncio.Task<unknown>) => t._futWaiter as object;
      expect(waitOwners.get(futureOf(heard))).toBe(lock);
      expect(waitOwners.has(futureOf(unheard))).toBe(false);
      lock.release();
      yield* asyncio.gather(heard, unheard);
    }
    await runOnVirtual(main());
    expect(waits).toEqual(["heard lock"]);
  });

  it("sample iterations per instrument from the iteration after it is installed", async () => {
    let all = 0;
    const quarter: number[] = [];
    const half: number[] = [];
    let allAtHalf = 0;
    let allAtEnd = 0;
    const halfIns: asyncio.Instrument = { iterationStarted: (_l, ready) => half.push(ready) };
    function* main(): asyncio.Coroutine<void> {
      asyncio.addInstrument({ iterationStarted: () => all++ });
      asyncio.addInstrument({ iterationStarted: (_l, n) => quarter.push(n) }, { sample: 0.25 });
      const tasks = [];
      for (let i = 0; i < 3; i++) tasks.push(asyncio.createTask(worker(9)));
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      allAtHalf = all;
      asyncio.addInstrument(halfIns, { sample: 0.5 });
      yield* asyncio.gather(...tasks);
      allAtEnd = all;
      asyncio.removeInstrument(halfIns);
    }
    await runOnVirtual(main());
    expect(allAtEnd - allAtHalf).toBeGreaterThan(6);
    // Each from its first iteration on, every 4th and every 2nd: the others' rates aside.
    expect(quarter).toHaveLength(Math.ceil(all / 4));
    expect(half.length).toBe(Math.ceil((allAtEnd - allAtHalf) / 2));
    expect(half.every((n) => n >= 1)).toBe(true);
  });

  it("reject a bad rate or interval, naming the argument and the value", () => {
    const loop = new asyncio.VirtualEventLoop();
    const ins: asyncio.Instrument = { loopStats() {} };
    try {
      for (const bad of [0, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => asyncio.addInstrument(ins, { loop, sample: bad })).toThrow(
          new RangeError(
            `addInstrument(): 'sample' must be a number in (0, 1]: received ${String(bad)}`,
          ),
        );
      }
      expect(() => asyncio.addInstrument(ins, { loop, sample: "0.1" as never })).toThrow(
        /'sample' must be a number in \(0, 1\]: received "0\.1"/,
      );
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => asyncio.addInstrument(ins, { loop, statsInterval: bad })).toThrow(
          new RangeError(
            `addInstrument(): 'statsInterval' must be a finite number of seconds >= 0: received ${String(bad)}`,
          ),
        );
      }
      expect(() => asyncio.addInstrument(ins, { loop, statsInterval: "1" as never })).toThrow(
        /'statsInterval' must be a finite number of seconds >= 0: received "1"/,
      );
      expect(() => asyncio.addInstrument(ins, { loop, select: "handler-*" as never })).toThrow(
        new TypeError(
          `addInstrument(): 'select' must be a function (task, parent) => boolean: received "handler-*"`,
        ),
      );
      expect(() => asyncio.addInstrument({ loopStats: 1 } as never, { loop })).toThrow(
        /'instrument.loopStats' must be a function: received 1/,
      );
      // Nothing was installed by the failed calls.
      expect(asyncio.getInstruments({ loop })).toEqual([]);
    } finally {
      loop.close();
    }
  });

  it("run the production example: sampled slow steps and failures, and every task counted", async () => {
    const lines = await serve();
    // request-99 (a sampled task: every hundredth) blocks the loop for 60 ms and
    // request-199 fails; the 300 requests are counted by loopStats whatever the sampling.
    expect(lines.some((l) => /^slow step: request-99 held the loop \d+ ms$/.test(l))).toBe(true);
    expect(lines).toContain("failed: request-199: Error: bad request");
    expect(lines.some((l) => /request-(?!99\b|199\b)/.test(l))).toBe(false);
    const loopLines = lines.filter((l) => l.startsWith("loop: "));
    const created = loopLines.map((l) => Number(/(\d+) tasks created/.exec(l)?.[1]));
    expect(created.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    const blocked = loopLines.map((l) => Number(/blocked at most (\d+) ms/.exec(l)?.[1]));
    expect(Math.max(...blocked)).toBeGreaterThanOrEqual(60);
  });
});
