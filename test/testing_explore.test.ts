/**
 * explore(): the race finder. It finds seeded races (check-then-act, lock-order deadlock),
 * replays a failure from its seed, shrinks it to the perturbations that matter, and never
 * produces a schedule asyncio forbids (callSoon order, timers before their deadline).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bank, morning, SafeBank } from "../examples/testing/bank.js";
import * as asyncio from "../src/index.js";
import { type ExploreFailure, explore, scheduleArbitrary } from "../src/testing/index.js";

const accounts = () => ({ alice: 100, bob: 0, carol: 0 });

async function exploreFailure(
  ...args: Parameters<typeof explore>
): Promise<Error & ExploreFailure> {
  try {
    await explore(...args);
  } catch (e) {
    return e as Error & ExploreFailure;
  }
  throw new Error("explore() found nothing, and it was meant to");
}

describe("explore", () => {
  it("finds the check-then-act race of the bank in under 1,000 runs", async () => {
    const e = await exploreFailure(() => morning(new Bank(accounts())), { runs: 1000 });
    expect(e.message).toMatch(/^money was created: the bank holds 160, not 100 \[seed \d+\]/);
    expect(e.message).toContain(`seed ${e.seed}`);
    expect(e.run).toBeLessThan(1000);
    expect(e.schedule).toMatch(/replay it: explore\(body, \{ seed: \d+, runs: 1 \}\)/);
    expect(e.perturbations.length).toBeGreaterThan(0);
    expect(e.perturbations.length).toBeLessThanOrEqual(e.perturbationsBeforeShrinking);
    expect(e.schedule).toMatch(/#\d+ at t=[\d.]+: the sleep of task/);
  });

  it("the plain schedule of the bank passes: only a perturbed one fails", async () => {
    const e = await exploreFailure(() => morning(new Bank(accounts())), { runs: 1000 });
    await explore(() => morning(new Bank(accounts())), {
      seed: e.seed,
      runs: 1,
      perturbations: [],
    });
  });

  it("{ seed, runs: 1 } replays the failing schedule exactly, as does the shrunk one", async () => {
    const e = await exploreFailure(() => morning(new Bank(accounts())), { runs: 1000 });
    const again = await exploreFailure(() => morning(new Bank(accounts())), {
      seed: e.seed,
      runs: 1,
    });
    expect(again.seed).toBe(e.seed);
    expect(again.run).toBe(1);
    expect(again.message.split("\n")[0]).toBe(e.message.split("\n")[0]);
    const shrunk = await exploreFailure(() => morning(new Bank(accounts())), {
      seed: e.seed,
      runs: 1,
      perturbations: e.perturbations.map((p) => p.index),
    });
    expect(shrunk.perturbations.map((p) => p.description)).toEqual(
      e.perturbations.map((p) => p.description),
    );
  });

  it("the same options find the same failure on every run: exploring is deterministic", async () => {
    const a = await exploreFailure(() => morning(new Bank(accounts())), { runs: 1000, seed: 7 });
    const b = await exploreFailure(() => morning(new Bank(accounts())), { runs: 1000, seed: 7 });
    expect([b.seed, b.run, b.perturbations.map((p) => p.index)]).toEqual([
      a.seed,
      a.run,
      a.perturbations.map((p) => p.index),
    ]);
  });

  it("the bank with a Lock passes every schedule", async () => {
    const result = await explore(() => morning(new SafeBank(accounts())), { runs: 300 });
    expect(result.runs).toBe(300);
    expect(result.perturbations).toBeGreaterThan(0);
  });

  it("finds a lock-ordering deadlock, and reports it as one", async () => {
    const body = function* (): asyncio.Coroutine<void> {
      const a = new asyncio.Lock();
      const b = new asyncio.Lock();
      yield* asyncio.gather(
        asyncio.asyncWith(a, function* () {
          yield* asyncio.sleep(0.01);
          yield* asyncio.asyncWith(b, function* () {});
        }),
        (function* () {
          yield* asyncio.sleep(0.01);
          yield* asyncio.asyncWith(b, function* () {
            yield* asyncio.sleep(0);
            yield* asyncio.asyncWith(a, function* () {});
          });
        })(),
      );
    };
    const e = await exploreFailure(body, { runs: 1000 });
    expect(e).toBeInstanceOf(asyncio.DeadlockError);
    expect(e.message).toMatch(/the test deadlocked/);
    expect(e.run).toBeLessThan(1000);
  });

  it("never reorders callSoon callbacks, sleep(0) turns or task starts", async () => {
    await explore(
      function* () {
        const loop = asyncio.getRunningLoop();
        const order: string[] = [];
        for (const name of ["a", "b", "c"]) loop.callSoon(() => order.push(name));
        const tasks = ["t1", "t2", "t3"].map((name) =>
          asyncio.createTask(
            (function* () {
              order.push(name);
              yield* asyncio.sleep(0);
              order.push(`${name}'`);
            })(),
          ),
        );
        yield* asyncio.gather(...tasks);
        expect(order).toEqual(["a", "b", "c", "t1", "t2", "t3", "t1'", "t2'", "t3'"]);
      },
      { runs: 200 },
    );
  });

  it("never fires a timer before its deadline, and moves it by at most the jitter", async () => {
    await explore(
      function* () {
        const loop = asyncio.getRunningLoop();
        for (const d of [0.5, 1, 1, 2.25]) {
          const t0 = loop.time();
          yield* asyncio.sleep(d);
          const late = loop.time() - t0 - d;
          expect(late).toBeGreaterThanOrEqual(-1e-12);
          expect(late).toBeLessThanOrEqual(0.005 + 1e-9);
        }
      },
      { runs: 200, jitter: 0.005 },
    );
  });

  it("explores both orders of timers due at the same time", async () => {
    const seen = new Set<string>();
    await explore(
      function* () {
        const order: string[] = [];
        const loop = asyncio.getRunningLoop();
        loop.callLater(1, () => order.push("x"));
        loop.callLater(1, () => order.push("y"));
        yield* asyncio.sleep(2);
        seen.add(order.join(""));
      },
      { runs: 100 },
    );
    expect([...seen].sort()).toEqual(["xy", "yx"]);
  });

  it("explores the arrival order of outside promises", async () => {
    const seen = new Set<string>();
    await explore(
      function* () {
        const order: string[] = [];
        const arrive = (name: string) =>
          asyncio.createTask(
            (function* () {
              yield* asyncio.fromPromise(Promise.resolve(name));
              order.push(name);
            })(),
          );
        yield* asyncio.gather(arrive("p"), arrive("q"));
        seen.add(order.join(""));
      },
      { runs: 100 },
    );
    expect([...seen].sort()).toEqual(["pq", "qp"]);
  });

  it("with eagerTasks, explores eager and lazy first steps (only where asked)", async () => {
    const seen = new Set<string>();
    const body = function* (): asyncio.Coroutine<void> {
      const order: string[] = [];
      const child = asyncio.createTask(
        (function* () {
          order.push("child");
        })(),
      );
      order.push("parent");
      yield* child;
      seen.add(order.join(" "));
    };
    await explore(body, { runs: 50 });
    expect([...seen]).toEqual(["parent child"]);
    await explore(body, { runs: 50, eagerTasks: true });
    expect([...seen].sort()).toEqual(["child parent", "parent child"]);
  });

  it("a leak in some schedules fails them as it fails a test", async () => {
    const e = await exploreFailure(
      function* () {
        const t = asyncio.createTask(asyncio.sleep(1));
        yield* asyncio.sleep(1);
        if (!t.done()) return; // the timer of t was perturbed: t is left behind
      },
      { runs: 200 },
    );
    expect(e.message).toMatch(/task still pending/);
    expect(e.seed).toEqual(expect.any(Number));
  });

  it("a thrown non-Error is wrapped, keeping it as the cause", async () => {
    const e = await exploreFailure(
      function* () {
        yield* asyncio.sleep(1);
        throw "plain string";
      },
      { runs: 1 },
    );
    expect(e.message).toMatch(/^plain string \[seed 1\]/);
    expect(e.cause).toBe("plain string");
    expect(e.schedule).toMatch(/it fails with no perturbation at all/);
  });

  it("works with fast-check: inputs and schedules together, shrunk together", async () => {
    let failure: unknown = null;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 100 }),
          scheduleArbitrary(fc),
          (amount, schedule) =>
            schedule.run(function* () {
              const bank = new Bank(accounts());
              yield* asyncio.gather(
                bank.transfer("alice", "bob", amount),
                (function* () {
                  yield* asyncio.sleep(0.01);
                  yield* bank.transfer("alice", "carol", amount);
                })(),
                { returnExceptions: true },
              );
              if (bank.total() !== 100) throw new Error(`total ${bank.total()}`);
            }),
        ),
        { seed: 42, numRuns: 300 },
      );
    } catch (e) {
      failure = e;
    }
    expect(String(failure)).toMatch(/Counterexample: \[\d+,Schedule\(seed=\d+, rate=[\d.e-]+\)\]/);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100 }), scheduleArbitrary(fc), (amount, s) =>
        s.run(function* () {
          const bank = new SafeBank(accounts());
          yield* asyncio.gather(
            bank.transfer("alice", "bob", amount),
            bank.transfer("alice", "carol", amount),
            { returnExceptions: true },
          );
          if (bank.total() !== 100) throw new Error(`total ${bank.total()}`);
        }),
      ),
      { seed: 42, numRuns: 50 },
    );
  });

  it("bad arguments fail at the call, naming them", async () => {
    await expect(explore(42 as unknown as () => asyncio.Coroutine<void>)).rejects.toThrow(
      "explore(): 'body' must be a generator function (it is called once per schedule): received 42",
    );
    await expect(explore(function* () {}, { runs: 0 })).rejects.toThrow(
      "explore(): 'runs' must be an integer >= 1: received 0",
    );
    await expect(explore(function* () {}, { jitter: -1 })).rejects.toThrow(
      "explore(): 'jitter' must be a finite number of seconds >= 0: received -1",
    );
    await expect(explore(function* () {}, { seed: 1.5 })).rejects.toThrow(
      "explore(): 'seed' must be an integer >= 0: received 1.5",
    );
    expect(() => scheduleArbitrary(null as unknown as typeof fc)).toThrow(
      /'fc' must be the fast-check module/,
    );
  });
});
