/**
 * Orders of events in sleep, gather, wait, asCompleted, shield and TaskGroup, with delays
 * of milliseconds, so that they hold on the Node loop as well: this file runs on both
 * loops (the vitest project "node-loop"). No order here depends on how promptly real time
 * passes: delays that must order events are armed in one loop iteration (their deadlines
 * differ by exactly the delays), other waits are on Events. Timings are tested on the
 * virtual-time loop in sleep, gather, wait and taskgroups.test.ts.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, failAfter, runOn } from "./helpers.js";

class ValueError extends Error {}

function* logAfter<T>(log: string[], delay: number, value: T): asyncio.Coroutine<T> {
  yield* asyncio.sleep(delay);
  log.push(String(value));
  return value;
}

describe("orders of events at millisecond delays", () => {
  it("concurrent sleepers wake in deadline order, ties in the order they slept", async () => {
    const log: string[] = [];
    function* main() {
      return yield* asyncio.gather(
        logAfter(log, 0.03, "c"),
        logAfter(log, 0.01, "a1"),
        logAfter(log, 0.02, "b"),
        logAfter(log, 0.01, "a2"),
      );
    }
    expect((await runOn(main())).result).toEqual(["c", "a1", "b", "a2"]);
    expect(log).toEqual(["a1", "a2", "b", "c"]);
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
      for (const next of asyncio.asCompleted([
        asyncio.sleep(0.03, "a"),
        asyncio.sleep(0.01, "b"),
        asyncio.sleep(0.02, "c"),
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
