/**
 * Orders of events in sleep, gather, wait, asCompleted, shield and TaskGroup, with delays
 * of milliseconds, so that they hold on the Node loop as well: this file runs on both
 * loops (the vitest project "node-loop"). No order here depends on how promptly real time
 * passes: sleeps that must end in a given order are measured from one reading of the
 * clock (`sleepUntil`), other waits are on Events or far apart (10 ms against 10 s).
 * Timings are tested on the virtual-time loop in sleep, gather, wait and taskgroups.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, failAfter, runOn } from "./helpers.js";

class ValueError extends Error {}

/**
 * Sleeps until `start + delay` on the loop's clock. Sleepers that must wake in a given
 * order use it: each `sleep(d)` reads the clock itself, and on the Node loop a stall of
 * the process between two tasks' steps (a busy machine) would shift their deadlines.
 */
function* sleepUntil<T>(start: number, delay: number, value: T): asyncio.Coroutine<T> {
  return yield* asyncio.sleep(start + delay - asyncio.getRunningLoop().time(), value);
}

describe("orders of events at millisecond delays", () => {
  it("concurrent sleepers wake in deadline order", async () => {
    const log: string[] = [];
    function* sleeper(start: number, delay: number, name: string) {
      yield* sleepUntil(start, delay, undefined);
      log.push(name);
      return name;
    }
    function* main() {
      const t0 = asyncio.getRunningLoop().time();
      return yield* asyncio.gather(
        sleeper(t0, 0.03, "c"),
        sleeper(t0, 0.01, "a"),
        sleeper(t0, 0.02, "b"),
      );
    }
    expect((await runOn(main())).result).toEqual(["c", "a", "b"]);
    // Equal deadlines are not compared here: `start + delay - now` rounds differently for
    // each sleeper. Their first-come first-served order is tested on the virtual loop.
    expect(log).toEqual(["a", "b", "c"]);
  });

  it("gather(): the first error propagates at once and leaves the siblings running", async () => {
    const boom = new ValueError("boom");
    const log: string[] = [];
    function* main() {
      const release = new asyncio.Event();
      const sibling = asyncio.createTask(
        (function* () {
          yield* release.wait();
          log.push("sibling released");
          return "sibling";
        })(),
      );
      const err = yield* caught(() => asyncio.gather(failAfter(0.01, boom), sibling));
      log.push(err === boom ? "gather raised boom" : `gather raised ${String(err)}`);
      const running = !sibling.done();
      release.set();
      return [running, yield* sibling];
    }
    expect((await runOn(main())).result).toEqual([true, "sibling"]);
    expect(log).toEqual(["gather raised boom", "sibling released"]);
  });

  it("wait(FIRST_COMPLETED) returns at the first one and cancels nothing", async () => {
    function* main() {
      const release = new asyncio.Event();
      const a = asyncio.createTask(asyncio.sleep(0.01, "a"));
      const b = asyncio.createTask(
        (function* () {
          yield* release.wait();
          return "b";
        })(),
      );
      const [done, pending] = yield* asyncio.wait([a, b], { returnWhen: asyncio.FIRST_COMPLETED });
      const state = [[...done].map((t) => t.result()), pending.has(b), b.done()];
      release.set();
      return [...state, yield* b];
    }
    expect((await runOn(main())).result).toEqual([["a"], true, false, "b"]);
  });

  it("asCompleted() hands out the results in completion order", async () => {
    function* main() {
      const results: string[] = [];
      const t0 = asyncio.getRunningLoop().time();
      for (const next of asyncio.asCompleted([
        sleepUntil(t0, 0.03, "a"),
        sleepUntil(t0, 0.01, "b"),
        sleepUntil(t0, 0.02, "c"),
      ])) {
        results.push(yield* next);
      }
      return results;
    }
    expect((await runOn(main())).result).toEqual(["b", "c", "a"]);
  });

  it("shield(): cancelling the awaiting task leaves the inner task running to its result", async () => {
    function* main() {
      const inner = asyncio.createTask(asyncio.sleep(0.01, "saved"));
      const outer = asyncio.createTask(
        (function* () {
          return yield* asyncio.shield(inner);
        })(),
      );
      yield* asyncio.sleep(0);
      outer.cancel();
      const e = yield* caught(() => outer);
      return [(e as Error).name, inner.cancelled(), yield* inner];
    }
    expect((await runOn(main())).result).toEqual(["CancelledError", false, "saved"]);
  });

  for (const eager of [false, true]) {
    it(`TaskGroup (${eager ? "eager" : "lazy"} tasks): a failure cancels the siblings and the body, then raises`, async () => {
      const log: string[] = [];
      const boom = new ValueError("boom");
      function* cancellable(name: string) {
        try {
          yield* asyncio.sleep(10);
        } catch (e) {
          log.push(`${name} ${(e as Error).name}`);
          throw e;
        }
      }
      function* main() {
        if (eager) asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
        const err = yield* caught(() =>
          asyncio.asyncWith(new asyncio.TaskGroup(), function* (tg) {
            tg.createTask(failAfter(0.01, boom));
            tg.createTask(cancellable("sibling"));
            yield* cancellable("body");
          }),
        );
        log.push(`group raised ${(err as Error).name}`);
        return (err as AggregateError).errors;
      }
      expect((await runOn(main())).result).toEqual([boom]);
      expect(log).toEqual([
        "sibling CancelledError", // the children are cancelled before the body, as in CPython
        "body CancelledError",
        "group raised ExceptionGroup",
      ]);
    });
  }
});
