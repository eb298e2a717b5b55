import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, runOn, virtualOnly } from "./helpers.js";

function now(): number {
  return asyncio.getRunningLoop().time();
}

describe("timeout()", () => {
  it("raises TimeoutError caused by the CancelledError when the deadline passes", async () => {
    virtualOnly("asserts virtual times");
    const events: string[] = [];
    function* main() {
      const cm = asyncio.timeout(2);
      const err = yield* caught(() =>
        asyncio.asyncWith(cm, function* () {
          try {
            yield* asyncio.sleep(10);
          } finally {
            events.push(`cleanup at ${now()}`);
          }
        }),
      );
      return { err, expired: cm.expired(), cancelling: asyncio.currentTask()?.cancelling() };
    }
    const { result, elapsed } = await runOn(main());
    expect(result.err).toBeInstanceOf(asyncio.TimeoutError);
    expect((result.err as Error).cause).toBeInstanceOf(asyncio.CancelledError);
    expect(result.expired).toBe(true);
    expect(result.cancelling).toBe(0);
    expect(events).toEqual(["cleanup at 2"]);
    expect(elapsed).toBe(2);
  });

  it("returns the body's result when in time, and cancels its timer", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const cm = asyncio.timeout(5);
      const v = yield* asyncio.asyncWith(cm, function* (t) {
        expect(t).toBe(cm);
        expect(t.when()).toBe(5);
        return yield* asyncio.sleep(1, "ok");
      });
      return [v, cm.expired(), String(cm)] as const;
    }
    const { result, elapsed } = await runOn(main());
    expect(result).toEqual(["ok", false, "<Timeout [finished]>"]);
    expect(elapsed).toBe(1); // the clock did not jump to the cancelled deadline
  });

  it("nested: only the inner one expired, so the outer scope goes on", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const outer = asyncio.timeout(10);
      const inner = asyncio.timeout(1);
      const log: string[] = [];
      yield* asyncio.asyncWith(outer, function* () {
        try {
          yield* asyncio.asyncWith(inner, function* () {
            yield* asyncio.sleep(5);
          });
        } catch (e) {
          log.push(`inner ${(e as Error).name} at ${now()}`);
        }
        yield* asyncio.sleep(2);
        log.push(`outer body done at ${now()}`);
      });
      return { log, inner: inner.expired(), outer: outer.expired() };
    }
    const { result, elapsed } = await runOn(main());
    expect(result.log).toEqual(["inner TimeoutError at 1", "outer body done at 3"]);
    expect(result.inner).toBe(true);
    expect(result.outer).toBe(false);
    expect(elapsed).toBe(3);
  });

  it("nested: the outer one expired, so the inner lets CancelledError through", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const outer = asyncio.timeout(1);
      const inner = asyncio.timeout(5);
      let innerSaw: unknown;
      const err = yield* caught(() =>
        asyncio.asyncWith(outer, function* () {
          try {
            yield* asyncio.asyncWith(inner, function* () {
              yield* asyncio.sleep(10);
            });
          } catch (e) {
            innerSaw = e;
            throw e;
          }
        }),
      );
      return { err, innerSaw, inner: inner.expired(), outer: outer.expired() };
    }
    const { result, elapsed } = await runOn(main());
    expect(result.innerSaw).toBeInstanceOf(asyncio.CancelledError);
    expect(result.err).toBeInstanceOf(asyncio.TimeoutError);
    expect([result.inner, result.outer]).toEqual([false, true]);
    expect(elapsed).toBe(1);
  });

  it("nested: both expire at once, and only the outer raises TimeoutError", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    function* main() {
      const outer = asyncio.timeout(1);
      const inner = asyncio.timeout(1);
      let innerSaw: unknown;
      const err = yield* caught(() =>
        asyncio.asyncWith(outer, function* () {
          try {
            yield* asyncio.asyncWith(inner, function* () {
              yield* asyncio.sleep(10);
            });
          } catch (e) {
            innerSaw = e;
            throw e;
          }
        }),
      );
      return { err, innerSaw, both: [inner.expired(), outer.expired()] };
    }
    const { result } = await runOn(main());
    expect(result.innerSaw).toBeInstanceOf(asyncio.CancelledError);
    expect(result.err).toBeInstanceOf(asyncio.TimeoutError);
    expect(result.both).toEqual([true, true]);
  });

  it("race: the deadline passes while the task is being cancelled from outside", async () => {
    virtualOnly("asserts virtual times");
    // The outside cancel arrives first; the deadline passes during the task's cleanup.
    function* victim() {
      yield* asyncio.asyncWith(asyncio.timeout(1), function* () {
        try {
          yield* asyncio.sleep(10);
        } finally {
          yield* asyncio.sleep(2); // cleanup that outlives the deadline
        }
      });
    }
    function* main() {
      const t = asyncio.createTask(victim());
      yield* asyncio.sleep(0.5);
      t.cancel();
      const err = yield* caught(() => t);
      return { err, cancelled: t.cancelled(), at: now() };
    }
    const { result } = await runOn(main());
    expect(result.err).toBeInstanceOf(asyncio.CancelledError);
    expect(result.cancelled).toBe(true);
    expect(result.at).toBe(1); // the expired deadline cut the cleanup short
  });

  it("race: the deadline and an outside cancel land in the same loop iteration", async () => {
    virtualOnly("callAt(1) is an absolute virtual time; on the Node loop it is long past");
    function* victim() {
      yield* asyncio.asyncWith(asyncio.timeout(1), function* () {
        yield* asyncio.sleep(10);
      });
    }
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(victim());
      loop.callAt(1, () => t.cancel());
      yield* asyncio.sleep(0);
      const err = yield* caught(() => t);
      return { err, cancelled: t.cancelled() };
    }
    const { result } = await runOn(main());
    expect(result.err).toBeInstanceOf(asyncio.CancelledError);
    expect(result.cancelled).toBe(true);
  });

  it("a body that swallows the expiry returns normally, and the count is restored", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    function* main() {
      const cm = asyncio.timeout(1);
      const v = yield* asyncio.asyncWith(cm, function* () {
        try {
          yield* asyncio.sleep(5);
        } catch {
          // swallowed
        }
        return "kept going";
      });
      return [v, cm.expired(), asyncio.currentTask()?.cancelling()];
    }
    const { result } = await runOn(main());
    expect(result).toEqual(["kept going", true, 0]);
  });

  it("another error after expiry passes through, with a TimeoutError spliced into its cause chain", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    function* main() {
      return yield* caught(() =>
        asyncio.asyncWith(asyncio.timeout(1), function* () {
          try {
            yield* asyncio.sleep(5);
          } catch (e) {
            throw new Error("wrapped", { cause: e });
          }
        }),
      );
    }
    const { result } = await runOn(main());
    const err = result as Error;
    expect(err.message).toBe("wrapped");
    expect(err.cause).toBeInstanceOf(asyncio.TimeoutError);
    expect((err.cause as Error).cause).toBeInstanceOf(asyncio.CancelledError);
  });

  it("an error in time is not touched", async () => {
    virtualOnly("sleeps 0.5 s of virtual time");
    const boom = new RangeError("boom");
    function* main() {
      return yield* caught(() =>
        asyncio.asyncWith(asyncio.timeout(1), function* () {
          yield* asyncio.sleep(0.5);
          throw boom;
        }),
      );
    }
    expect((await runOn(main())).result).toBe(boom);
  });

  it("reschedule() moves the deadline, to later, to the past, or away", async () => {
    virtualOnly("sleeps 9+ s of virtual time");
    function* main() {
      const log: unknown[] = [];
      yield* asyncio.asyncWith(asyncio.timeout(1), function* (cm) {
        cm.reschedule(now() + 3);
        yield* asyncio.sleep(2); // would have expired at 1
        log.push(now());
      });
      const e = yield* caught(() =>
        asyncio.asyncWith(asyncio.timeout(null), function* (cm) {
          expect(cm.when()).toBeNull();
          cm.reschedule(now() - 1); // in the past: fires via callSoon
          yield* asyncio.sleep(5);
        }),
      );
      log.push((e as Error).name, now());
      yield* asyncio.asyncWith(asyncio.timeout(1), function* (cm) {
        cm.reschedule(null);
        yield* asyncio.sleep(7);
      });
      log.push(now());
      return log;
    }
    expect((await runOn(main())).result).toEqual([2, "TimeoutError", 2, 9]);
  });

  it("reschedule() and re-entry errors name the state", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    function* main() {
      const cm = asyncio.timeout(1);
      expect(() => cm.reschedule(5)).toThrow("Timeout has not been entered");
      const messages: string[] = [];
      yield* caught(() =>
        asyncio.asyncWith(cm, function* (t) {
          try {
            yield* asyncio.sleep(5);
          } finally {
            try {
              t.reschedule(10);
            } catch (e) {
              messages.push((e as Error).message);
            }
          }
        }),
      );
      for (const f of [() => cm.reschedule(1)]) {
        try {
          f();
        } catch (e) {
          messages.push((e as Error).message);
        }
      }
      const e = yield* caught(() => asyncio.asyncWith(cm, function* () {}));
      messages.push((e as Error).message);
      const ok = asyncio.timeout(5);
      yield* asyncio.asyncWith(ok, function* () {});
      expect(() => ok.reschedule(1)).toThrow("Cannot change state of finished Timeout");
      return messages;
    }
    expect((await runOn(main())).result).toEqual([
      "Cannot change state of expiring Timeout",
      "Cannot change state of expired Timeout",
      "Timeout has already been entered",
    ]);
  });

  it("must be entered inside a task", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<unknown>();
      loop.callSoon(() => {
        try {
          asyncio.timeout(1).aenter().next();
        } catch (e) {
          fut.setResult(e);
        }
      });
      return yield* fut;
    }
    const { result } = await runOn(main());
    expect(result).toBeInstanceOf(asyncio.RuntimeError);
    expect((result as Error).message).toBe("Timeout should be used inside a task");
  });

  it("timeoutAt() takes loop time; bad arguments throw at the call", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const e = yield* caught(() =>
        asyncio.asyncWith(asyncio.timeoutAt(now() + 4), function* () {
          yield* asyncio.sleep(10);
        }),
      );
      expect(() => asyncio.timeout("1" as never)).toThrow(
        "timeout(): 'delay' must be a number of seconds or null: received \"1\"",
      );
      expect(() => asyncio.timeout(Number.NaN)).toThrow(RangeError);
      expect(() => asyncio.timeoutAt(undefined as never)).toThrow(TypeError);
      return [(e as Error).name, now()];
    }
    expect((await runOn(main())).result).toEqual(["TimeoutError", 4]);
  });

  it("an infinite deadline never fires and does not move the clock", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      return yield* asyncio.asyncWith(asyncio.timeout(Number.POSITIVE_INFINITY), function* () {
        return yield* asyncio.sleep(3, "done");
      });
    }
    const { result, elapsed } = await runOn(main());
    expect([result, elapsed]).toEqual(["done", 3]);
  });
});

describe("Timeout's repr", () => {
  it("shows when= only while active, rounded to 3 places, None when disabled", async () => {
    virtualOnly("asserts virtual times");
    // CPython 3.13: <Timeout [created]> / <Timeout [active] when=472.609> /
    // <Timeout [active] when=None> / <Timeout [active] when=471.875> / <Timeout [finished]>
    // / <Timeout [expiring]> / <Timeout [expired]>; created ones show no when either.
    function* main() {
      const loop = asyncio.getRunningLoop();
      const out: string[] = [];
      const cm = asyncio.timeout(1.23456);
      out.push(String(cm));
      yield* asyncio.asyncWith(cm, function* () {
        out.push(String(cm));
        cm.reschedule(null);
        out.push(String(cm));
        cm.reschedule(loop.time() + 0.5);
        out.push(String(cm));
        cm.reschedule(7);
        out.push(String(cm));
        cm.reschedule(2.0625); // a tie at 3 places: Python's round() goes to even
        out.push(String(cm));
        cm.reschedule(null);
      });
      out.push(String(cm));
      out.push(String(asyncio.timeout(null)), String(asyncio.timeoutAt(5.00049)));
      const expiring = asyncio.timeout(0);
      try {
        yield* asyncio.asyncWith(expiring, function* () {
          try {
            yield* asyncio.sleep(1);
          } catch (e) {
            out.push(String(expiring));
            throw e;
          }
        });
      } catch (e) {
        if (!(e instanceof asyncio.TimeoutError)) throw e;
      }
      out.push(String(expiring));
      return out;
    }
    expect((await runOn(main())).result).toEqual([
      "<Timeout [created]>",
      "<Timeout [active] when=1.235>",
      "<Timeout [active] when=None>",
      "<Timeout [active] when=0.5>",
      "<Timeout [active] when=7.0>",
      "<Timeout [active] when=2.062>",
      "<Timeout [finished]>",
      "<Timeout [created]>",
      "<Timeout [created]>",
      "<Timeout [expiring]>",
      "<Timeout [expired]>",
    ]);
  });
});

describe("waitFor()", () => {
  it("returns the result in time", async () => {
    virtualOnly("asserts virtual times");
    const { result, elapsed } = await runOn(asyncio.waitFor(asyncio.sleep(1, 7), 5));
    expect([result, elapsed]).toEqual([7, 1]);
  });

  it("runs a coroutine in the calling task", async () => {
    function* inner() {
      yield* asyncio.sleep(0);
      return asyncio.currentTask();
    }
    function* main() {
      return [asyncio.currentTask(), yield* asyncio.waitFor(inner(), 1)];
    }
    const { result } = await runOn(main());
    expect(result[0]).toBe(result[1]);
  });

  it("on timeout cancels the task, waits until it finished cancelling, raises TimeoutError", async () => {
    virtualOnly("asserts virtual times");
    const log: string[] = [];
    function* slow() {
      try {
        yield* asyncio.sleep(10);
      } finally {
        yield* asyncio.sleep(0.5);
        log.push(`inner cleaned up at ${now()}`);
      }
    }
    function* main() {
      const t = asyncio.createTask(slow());
      const e = yield* caught(() => asyncio.waitFor(t, 1));
      log.push(`waitFor raised ${(e as Error).name} at ${now()}`);
      return t.cancelled();
    }
    const { result } = await runOn(main());
    expect(result).toBe(true);
    expect(log).toEqual(["inner cleaned up at 1.5", "waitFor raised TimeoutError at 1.5"]);
  });

  it("an inner task that ignores cancellation: waitFor returns its value", async () => {
    virtualOnly("asserts virtual times");
    function* stubborn() {
      try {
        yield* asyncio.sleep(10);
      } catch {
        yield* asyncio.sleep(2);
        return "late but here";
      }
      return "on time";
    }
    function* main() {
      const t = asyncio.createTask(stubborn());
      const v = yield* asyncio.waitFor(t, 1);
      return [v, now(), asyncio.currentTask()?.cancelling()];
    }
    expect((await runOn(main())).result).toEqual(["late but here", 3, 0]);
  });

  it("timeout <= 0: the result if done, else cancelled without starting", async () => {
    virtualOnly("asserts virtual times");
    let started = false;
    function* never() {
      started = true;
      yield* asyncio.sleep(1);
    }
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<number>();
      fut.setResult(3);
      const v = yield* asyncio.waitFor(fut, 0);
      const e = yield* caught(() => asyncio.waitFor(never(), 0));
      const e2 = yield* caught(() => asyncio.waitFor(asyncio.sleep(1), -1));
      return [v, (e as Error).name, ((e as Error).cause as Error).name, (e2 as Error).name, now()];
    }
    const { result } = await runOn(main());
    expect(result).toEqual([3, "TimeoutError", "CancelledError", "TimeoutError", 0]);
    expect(started).toBe(false);
  });

  it("timeout null waits as long as it takes; Promises are accepted", async () => {
    virtualOnly("sleeps 20+ s of virtual time");
    function* main() {
      const a = yield* asyncio.waitFor(asyncio.sleep(100, "a"), null);
      const b = yield* asyncio.waitFor(Promise.resolve("b"), 1);
      return [a, b, now()];
    }
    expect((await runOn(main())).result).toEqual(["a", "b", 100]);
  });

  it("cancelling the waiter cancels the inner task", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    function* main() {
      const inner = asyncio.createTask(asyncio.sleep(10));
      const waiter = asyncio.createTask(asyncio.waitFor(inner, 5));
      yield* asyncio.sleep(1);
      waiter.cancel();
      const e = yield* caught(() => waiter);
      return [(e as Error).name, inner.cancelled(), waiter.cancelled()];
    }
    expect((await runOn(main())).result).toEqual(["CancelledError", true, true]);
  });

  it("rejects bad arguments at the call", async () => {
    function* main() {
      expect(() => asyncio.waitFor(5 as never, 1)).toThrow(/'aw' must be/);
      const c = asyncio.sleep(1);
      expect(() => asyncio.waitFor(c, "1" as never)).toThrow(/'timeout'/);
      c.return(undefined);
      yield* asyncio.sleep(0);
    }
    await runOn(main());
  });
});

describe("moveOnAfter() / moveOnAt() / CancelScope", () => {
  it("moveOnAfter ends the scope quietly at the deadline and says so", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const scope = asyncio.moveOnAfter(2);
      const v = yield* asyncio.asyncWith(scope, function* () {
        return yield* asyncio.sleep(10, "never");
      });
      return [
        v,
        scope.cancelledCaught,
        scope.cancelCalled,
        now(),
        asyncio.currentTask()?.cancelling(),
      ];
    }
    expect((await runOn(main())).result).toEqual([undefined, true, true, 2, 0]);
  });

  it("moveOnAfter in time: the body's result, cancelledCaught false", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const scope = asyncio.moveOnAfter(2);
      const v = yield* asyncio.asyncWith(scope, function* () {
        return yield* asyncio.sleep(1, "done");
      });
      return [v, scope.cancelledCaught, scope.cancelCalled, now()];
    }
    expect((await runOn(main())).result).toEqual(["done", false, false, 1]);
  });

  it("moveOnAt takes loop time", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const scope = asyncio.moveOnAt(now() + 3);
      yield* asyncio.asyncWith(scope, function* () {
        yield* asyncio.sleep(10);
      });
      return [scope.cancelledCaught, now()];
    }
    expect((await runOn(main())).result).toEqual([true, 3]);
  });

  it("a CancelScope cancelled by hand from another task", async () => {
    virtualOnly("sleeps 5+ s of virtual time");
    function* main() {
      const scope = new asyncio.CancelScope();
      const log: string[] = [];
      asyncio.createTask(
        (function* () {
          yield* asyncio.sleep(4);
          scope.cancel();
          scope.cancel(); // idempotent
        })(),
      );
      yield* asyncio.asyncWith(scope, function* () {
        try {
          yield* asyncio.sleep(100);
        } finally {
          log.push(`body stopped at ${now()}`);
        }
      });
      log.push(`after the scope, caught=${scope.cancelledCaught}`);
      scope.cancel(); // after exit: nothing
      yield* asyncio.sleep(1);
      log.push(`still running at ${now()}`);
      return log;
    }
    expect((await runOn(main())).result).toEqual([
      "body stopped at 4",
      "after the scope, caught=true",
      "still running at 5",
    ]);
  });

  it("cancel() before entry cancels the body at its first await", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const scope = new asyncio.CancelScope();
      scope.cancel();
      expect(scope.cancelCalled).toBe(true);
      const log: string[] = [];
      yield* asyncio.asyncWith(scope, function* () {
        log.push("entered");
        yield* asyncio.sleep(1);
        log.push("not reached");
      });
      return [log, scope.cancelledCaught, now()];
    }
    expect((await runOn(main())).result).toEqual([["entered"], true, 0]);
  });

  it("the body cancelling its own scope, then leaving without awaiting", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const scope = new asyncio.CancelScope();
      yield* asyncio.asyncWith(scope, function* (s) {
        s.cancel();
      });
      // the pending cancel was withdrawn by uncancel() at 0: this sleep is not cancelled
      yield* asyncio.sleep(1);
      return [scope.cancelledCaught, now()];
    }
    expect((await runOn(main())).result).toEqual([false, 1]);
  });

  it("a cancellation from outside is not swallowed, even when the scope fired too", async () => {
    virtualOnly("asserts virtual times");
    function* victim() {
      yield* asyncio.asyncWith(asyncio.moveOnAfter(1), function* () {
        try {
          yield* asyncio.sleep(10);
        } finally {
          yield* asyncio.sleep(5);
        }
      });
      return "moved on";
    }
    function* main() {
      const t = asyncio.createTask(victim());
      yield* asyncio.sleep(0.5);
      t.cancel();
      yield* caught(() => t);
      return [t.cancelled(), now()];
    }
    expect((await runOn(main())).result).toEqual([true, 1]);
  });

  it("errors propagate out of a scope", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    const boom = new TypeError("boom");
    function* main() {
      const scope = asyncio.moveOnAfter(5);
      const e = yield* caught(() =>
        asyncio.asyncWith(scope, function* () {
          yield* asyncio.sleep(1);
          throw boom;
        }),
      );
      return [e, scope.cancelledCaught];
    }
    expect((await runOn(main())).result).toEqual([boom, false]);
  });

  it("a moveOnAfter inside a timeout: each handles only its own expiry", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const log: unknown[] = [];
      yield* asyncio.asyncWith(asyncio.timeout(10), function* () {
        const scope = asyncio.moveOnAfter(1);
        yield* asyncio.asyncWith(scope, function* () {
          yield* asyncio.sleep(5);
        });
        log.push(scope.cancelledCaught, now());
      });
      const outer = asyncio.timeout(1);
      const inner = asyncio.moveOnAfter(5);
      const e = yield* caught(() =>
        asyncio.asyncWith(outer, function* () {
          yield* asyncio.asyncWith(inner, function* () {
            yield* asyncio.sleep(10);
          });
        }),
      );
      log.push((e as Error).name, inner.cancelledCaught, now());
      return log;
    }
    expect((await runOn(main())).result).toEqual([true, 1, "TimeoutError", false, 2]);
  });

  it("reschedule() works before entry and while active; errors after", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const scope = new asyncio.CancelScope({ deadline: now() + 100 });
      scope.reschedule(now() + 2);
      yield* asyncio.asyncWith(scope, function* (s) {
        expect(s.when()).toBe(2);
        s.reschedule(now() + 3);
        yield* asyncio.sleep(10);
      });
      expect(() => scope.reschedule(1)).toThrow("Cannot change state of expired CancelScope");
      expect(() => new asyncio.CancelScope({ deadline: "x" as never })).toThrow(TypeError);
      expect(() => asyncio.moveOnAfter(Number.NaN)).toThrow(RangeError);
      return now();
    }
    expect((await runOn(main())).result).toBe(3);
  });
});

describe("scopes around a TaskGroup", () => {
  it("a timeout cancels the group's children and raises TimeoutError once they ended", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const log: string[] = [];
      const e = yield* caught(() =>
        asyncio.asyncWith(asyncio.timeout(2), function* () {
          yield* asyncio.withTaskGroup(function* (tg) {
            tg.createTask(
              (function* () {
                try {
                  yield* asyncio.sleep(10);
                } finally {
                  yield* asyncio.sleep(1);
                  log.push(`child cleaned up at ${now()}`);
                }
              })(),
            );
          });
        }),
      );
      log.push(`${(e as Error).name} at ${now()}`);
      return log;
    }
    expect((await runOn(main())).result).toEqual(["child cleaned up at 3", "TimeoutError at 3"]);
  });

  it("a CancelScope cancelled by hand stops a whole group quietly", async () => {
    virtualOnly("asserts virtual times");
    function* main() {
      const scope = new asyncio.CancelScope();
      asyncio.getRunningLoop().callLater(1, () => scope.cancel());
      yield* asyncio.asyncWith(scope, function* () {
        yield* asyncio.withTaskGroup(function* (tg) {
          tg.createTask(asyncio.sleep(10));
          tg.createTask(asyncio.sleep(20));
        });
      });
      return [scope.cancelledCaught, now()];
    }
    expect((await runOn(main())).result).toEqual([true, 1]);
  });
});

// Orders of events only, with deadlines of milliseconds and far-apart sleeps, so that they
// hold on the Node loop as well (each test sleeps at most ~0.03 s of real time there).
describe("timeouts at millisecond deadlines, on both loops", () => {
  it("an expired timeout cancels the body, runs its cleanup, then raises TimeoutError", async () => {
    const log: string[] = [];
    function* main() {
      const cm = asyncio.timeout(0.01);
      const err = yield* caught(() =>
        asyncio.asyncWith(cm, function* () {
          try {
            yield* asyncio.sleep(10);
          } catch (e) {
            log.push(`body got ${(e as Error).name}`);
            throw e;
          } finally {
            log.push("cleanup");
          }
        }),
      );
      log.push(`raised ${(err as Error).name}, caused by ${((err as Error).cause as Error).name}`);
      return [cm.expired(), asyncio.currentTask()?.cancelling()];
    }
    expect((await runOn(main())).result).toEqual([true, 0]);
    expect(log).toEqual([
      "body got CancelledError",
      "cleanup",
      "raised TimeoutError, caused by CancelledError",
    ]);
  });

  it("nested: the inner deadline expires, the outer scope goes on to its result", async () => {
    function* main() {
      const outer = asyncio.timeout(10);
      const inner = asyncio.timeout(0.01);
      const v = yield* asyncio.asyncWith(outer, function* () {
        const e = yield* caught(() => asyncio.asyncWith(inner, () => asyncio.sleep(10)));
        return [(e as Error).name, yield* asyncio.sleep(0, "outer went on")];
      });
      return [v, inner.expired(), outer.expired()];
    }
    expect((await runOn(main())).result).toEqual([["TimeoutError", "outer went on"], true, false]);
  });

  it("nested: the outer deadline expires, the inner scope lets CancelledError through", async () => {
    const log: string[] = [];
    function* main() {
      const outer = asyncio.timeout(0.01);
      const inner = asyncio.timeout(10);
      const e = yield* caught(() =>
        asyncio.asyncWith(outer, function* () {
          const innerErr = yield* caught(() => asyncio.asyncWith(inner, () => asyncio.sleep(10)));
          log.push(`inner scope raised ${(innerErr as Error).name}`);
          throw innerErr;
        }),
      );
      log.push(`outer scope raised ${(e as Error).name}`);
      return [inner.expired(), outer.expired()];
    }
    expect((await runOn(main())).result).toEqual([false, true]);
    expect(log).toEqual(["inner scope raised CancelledError", "outer scope raised TimeoutError"]);
  });

  it("waitFor() waits until the inner task finished cancelling before raising TimeoutError", async () => {
    const log: string[] = [];
    function* slow() {
      try {
        yield* asyncio.sleep(10);
      } finally {
        yield* asyncio.sleep(0.01);
        log.push("inner cleaned up");
      }
    }
    function* main() {
      const t = asyncio.createTask(slow());
      const e = yield* caught(() => asyncio.waitFor(t, 0.01));
      log.push(`waitFor raised ${(e as Error).name}`);
      return t.cancelled();
    }
    expect((await runOn(main())).result).toBe(true);
    expect(log).toEqual(["inner cleaned up", "waitFor raised TimeoutError"]);
  });

  it("waitFor() in time returns the result and leaves the task done", async () => {
    function* main() {
      const t = asyncio.createTask(asyncio.sleep(0.001, "fast"));
      const v = yield* asyncio.waitFor(t, 10);
      return [v, t.done(), t.cancelled()];
    }
    expect((await runOn(main())).result).toEqual(["fast", true, false]);
  });

  it("moveOnAfter() ends the scope quietly; a scope cancelled by hand stops a task group", async () => {
    function* main() {
      const timed = asyncio.moveOnAfter(0.01);
      const v = yield* asyncio.asyncWith(timed, () => asyncio.sleep(10, "never"));
      const byHand = new asyncio.CancelScope();
      asyncio.getRunningLoop().callLater(0.01, () => byHand.cancel());
      const children: asyncio.Task<unknown>[] = [];
      yield* asyncio.asyncWith(byHand, function* () {
        yield* asyncio.withTaskGroup(function* (tg) {
          children.push(tg.createTask(asyncio.sleep(10)), tg.createTask(asyncio.sleep(20)));
        });
      });
      return [
        v,
        timed.cancelledCaught,
        byHand.cancelledCaught,
        children.map((c) => c.cancelled()),
        asyncio.currentTask()?.cancelling(),
      ];
    }
    expect((await runOn(main())).result).toEqual([undefined, true, true, [true, true], 0]);
  });
});
