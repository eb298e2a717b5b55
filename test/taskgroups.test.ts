// biome-ignore-all lint/correctness/noUnsafeFinally: children that fail while being cancelled are test cases here
import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, failAfter, runVirtual } from "./helpers.js";

function now(): number {
  return asyncio.getRunningLoop().time();
}

class ValueError extends Error {}

/** CPython runs its TaskGroup tests with and without eager tasks; so do we. */
const modes = [
  { mode: "lazy tasks", eager: false },
  { mode: "eager tasks", eager: true },
];

describe.each(modes)("TaskGroup ($mode)", ({ eager }) => {
  function run<T>(main: () => asyncio.Coroutine<T>) {
    return runVirtual(
      (function* () {
        if (eager) asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
        return yield* main();
      })(),
    );
  }

  it("waits for every child on exit; children run concurrently", async () => {
    const { result, elapsed } = await run(function* () {
      const tasks = (yield* asyncio.asyncWith(new asyncio.TaskGroup(), function* (tg) {
        return [tg.createTask(asyncio.sleep(1, "a")), tg.createTask(asyncio.sleep(3, "b"))];
      })) as asyncio.Task<string>[];
      return tasks.map((t) => t.result());
    });
    expect(result).toEqual(["a", "b"]);
    expect(elapsed).toBe(3);
  });

  it("the first failure cancels the body and the siblings; only failures are raised", async () => {
    const log: string[] = [];
    const boom = new ValueError("boom");
    const { result } = await run(function* () {
      const err = yield* caught(() =>
        asyncio.asyncWith(new asyncio.TaskGroup(), function* (tg) {
          tg.createTask(failAfter(1, boom));
          tg.createTask(
            (function* () {
              try {
                yield* asyncio.sleep(10);
              } catch (e) {
                log.push(`sibling ${(e as Error).name} at ${now()}`);
                throw e;
              }
            })(),
          );
          try {
            yield* asyncio.sleep(100);
          } catch (e) {
            log.push(`body ${(e as Error).name} at ${now()}`);
            throw e;
          }
        }),
      );
      // the group's cancellation of this task was withdrawn: we can go on awaiting
      yield* asyncio.sleep(1);
      log.push(`after the group at ${now()}`);
      return { err, cancelling: asyncio.currentTask()?.cancelling() };
    });
    const err = result.err as asyncio.ExceptionGroup;
    expect(err).toBeInstanceOf(asyncio.ExceptionGroup);
    expect(err.message).toBe("unhandled errors in a TaskGroup");
    expect(err.exceptions).toEqual([boom]);
    expect(result.cancelling).toBe(0);
    expect(log.slice().sort()).toEqual([
      "after the group at 2",
      "body CancelledError at 1",
      "sibling CancelledError at 1",
    ]);
  });

  it("several failures come back together", async () => {
    const a = new ValueError("a");
    const b = new TypeError("b");
    const { result } = await run(function* () {
      return yield* caught(() =>
        asyncio.withTaskGroup(function* (tg) {
          tg.createTask(failAfter(1, a));
          tg.createTask(failAfter(1, b));
        }),
      );
    });
    expect((result as asyncio.ExceptionGroup).exceptions).toEqual([a, b]);
  });

  it("the body's own error is raised in the group, after the children's", async () => {
    const child = new ValueError("child");
    const body = new TypeError("body");
    const { result } = await run(function* () {
      return yield* caught(() =>
        asyncio.withTaskGroup(function* (tg) {
          tg.createTask(
            (function* () {
              try {
                yield* asyncio.sleep(10);
              } finally {
                // fails while being cancelled by the body's exit
                throw child;
              }
            })(),
          );
          yield* asyncio.sleep(1);
          throw body;
        }),
      );
    });
    expect((result as asyncio.ExceptionGroup).exceptions).toEqual([child, body]);
  });

  it("race: a child fails while the body is itself exiting with an error", async () => {
    // Child fails in the same iteration in which the body raises: its done-callback has
    // not run yet when the body's error reaches aexit.
    const child = new ValueError("child");
    const body = new TypeError("body");
    const { result } = await run(function* () {
      let parentCancelled = -1;
      const err = yield* caught(() =>
        asyncio.withTaskGroup(function* (tg) {
          tg.createTask(
            (function* () {
              yield* asyncio.sleep(0);
              throw child;
            })(),
            { eagerStart: false }, // the interleaving below is step by step
          );
          yield* asyncio.sleep(0);
          yield* asyncio.sleep(0);
          throw body;
        }),
      );
      parentCancelled = asyncio.currentTask()?.cancelling() ?? -1;
      yield* asyncio.sleep(1); // not cancelled
      return { err, parentCancelled };
    });
    expect((result.err as asyncio.ExceptionGroup).exceptions).toEqual([child, body]);
    expect(result.parentCancelled).toBe(0);
  });

  it("cancellation from outside propagates after the children have ended", async () => {
    const log: string[] = [];
    const { result } = await run(function* () {
      const outer = asyncio.createTask(
        asyncio.withTaskGroup(function* (tg) {
          tg.createTask(
            (function* () {
              try {
                yield* asyncio.sleep(10);
              } finally {
                yield* asyncio.sleep(2);
                log.push(`child cleaned up at ${now()}`);
              }
            })(),
          );
          yield* asyncio.sleep(10);
        }),
      );
      yield* asyncio.sleep(1);
      outer.cancel();
      const err = yield* caught(() => outer);
      log.push(`outer ended at ${now()}`);
      return [err instanceof asyncio.CancelledError, outer.cancelled()];
    });
    expect(result).toEqual([true, true]);
    expect(log).toEqual(["child cleaned up at 3", "outer ended at 3"]);
  });

  it("cancellation from outside while exit waits for the children", async () => {
    const { result } = await run(function* () {
      let childSaw = "";
      const outer = asyncio.createTask(
        asyncio.withTaskGroup(function* (tg) {
          tg.createTask(
            (function* () {
              try {
                yield* asyncio.sleep(10);
              } catch (e) {
                childSaw = (e as Error).name;
                throw e;
              }
            })(),
          );
        }),
      );
      yield* asyncio.sleep(1);
      outer.cancel();
      yield* caught(() => outer);
      return [outer.cancelled(), childSaw, now()];
    });
    expect(result).toEqual([true, "CancelledError", 1]);
  });

  it("errors win over cancellation, and the outside cancel stays pending", async () => {
    const child = new ValueError("failed while cancelled");
    const { result } = await run(function* () {
      const log: string[] = [];
      const outer = asyncio.createTask(
        (function* () {
          const err = yield* caught(() =>
            asyncio.withTaskGroup(function* (tg) {
              tg.createTask(
                (function* () {
                  try {
                    yield* asyncio.sleep(10);
                  } finally {
                    throw child;
                  }
                })(),
              );
              yield* asyncio.sleep(10);
            }),
          );
          log.push(`group raised ${(err as Error).name}`);
          log.push(`cancelling=${asyncio.currentTask()?.cancelling()}`);
          try {
            yield* asyncio.sleep(1);
            log.push("not reached");
          } catch (e) {
            log.push(`next await: ${(e as Error).name}`);
            throw e;
          }
        })(),
      );
      yield* asyncio.sleep(1);
      outer.cancel();
      yield* caught(() => outer);
      return [log, outer.cancelled()];
    });
    expect(result).toEqual([
      ["group raised ExceptionGroup", "cancelling=1", "next await: CancelledError"],
      true,
    ]);
  });

  it("never suspends on exit when it has no children", async () => {
    const { result } = await run(function* () {
      const log: string[] = [];
      asyncio.createTask(
        (function* () {
          log.push("other task ran");
        })(),
        { eagerStart: false },
      );
      yield* asyncio.withTaskGroup(function* () {});
      log.push("group exited");
      yield* asyncio.sleep(0);
      return log;
    });
    expect(result).toEqual(["group exited", "other task ran"]);
  });

  it("children may add children while the group exits", async () => {
    const { result, elapsed } = await run(function* () {
      const names: string[] = [];
      yield* asyncio.withTaskGroup(function* (tg) {
        tg.createTask(
          (function* () {
            yield* asyncio.sleep(1);
            tg.createTask(asyncio.sleep(2), { name: "grandchild" });
            names.push("spawned");
          })(),
        );
      });
      return names;
    });
    expect(result).toEqual(["spawned"]);
    expect(elapsed).toBe(3);
  });

  it("refuses tasks before entry, after exit, and while shutting down, closing the coroutine", async () => {
    const { result } = await run(function* () {
      const messages: string[] = [];
      let ran = false;
      function* work() {
        ran = true;
        yield* asyncio.sleep(1);
      }
      const tg = new asyncio.TaskGroup();
      const c1 = work();
      try {
        tg.createTask(c1);
      } catch (e) {
        messages.push((e as Error).message);
      }
      expect(c1.next().done).toBe(true); // closed
      yield* asyncio.asyncWith(tg, function* () {});
      try {
        tg.createTask(work());
      } catch (e) {
        messages.push((e as Error).message);
      }
      const err = yield* caught(() =>
        asyncio.withTaskGroup(function* (g) {
          g.createTask(failAfter(0, new ValueError("x")));
          try {
            yield* asyncio.sleep(5);
          } catch (e) {
            try {
              g.createTask(work());
            } catch (e2) {
              messages.push((e2 as Error).message);
            }
            throw e;
          }
        }),
      );
      expect(err).toBeInstanceOf(asyncio.ExceptionGroup);
      const reenter = yield* caught(() => asyncio.asyncWith(tg, function* () {}));
      messages.push((reenter as Error).message);
      return { messages, ran };
    });
    expect(result.ran).toBe(false);
    expect(result.messages).toEqual([
      "TaskGroup <TaskGroup> has not been entered",
      "TaskGroup <TaskGroup entered> is finished",
      "TaskGroup <TaskGroup errors=1 cancelling> is shutting down",
      "TaskGroup <TaskGroup entered> has already been entered",
    ]);
  });

  it("nested groups: the inner group's failure is raised inside the outer one's", async () => {
    const boom = new ValueError("inner boom");
    const { result } = await run(function* () {
      let sibling = "";
      const err = yield* caught(() =>
        asyncio.withTaskGroup(function* (outer) {
          outer.createTask(
            (function* () {
              try {
                yield* asyncio.sleep(10);
              } catch (e) {
                sibling = (e as Error).name;
                throw e;
              }
            })(),
          );
          yield* asyncio.withTaskGroup(function* (inner) {
            inner.createTask(failAfter(1, boom));
          });
        }),
      );
      return { err, sibling };
    });
    const outerGroup = result.err as asyncio.ExceptionGroup;
    expect(outerGroup.exceptions.length).toBe(1);
    const innerGroup = outerGroup.exceptions[0] as asyncio.ExceptionGroup;
    expect(innerGroup).toBeInstanceOf(asyncio.ExceptionGroup);
    expect(innerGroup.exceptions).toEqual([boom]);
    expect(result.sibling).toBe("CancelledError");
  });

  it("KeyboardInterrupt from a child is re-raised bare", async () => {
    const ki = new asyncio.KeyboardInterrupt();
    const { result } = await run(function* () {
      return yield* caught(() =>
        asyncio.withTaskGroup(function* (tg) {
          tg.createTask(failAfter(1, ki));
          tg.createTask(asyncio.sleep(5));
        }),
      );
    });
    expect(result).toBe(ki);
  });

  it("cancel() (3.15) ends the group quietly, cancelling the body and the children", async () => {
    const { result } = await run(function* () {
      const log: string[] = [];
      const v = yield* asyncio.withTaskGroup(function* (tg) {
        tg.createTask(
          (function* () {
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              log.push(`child ${(e as Error).name}`);
              throw e;
            }
          })(),
        );
        tg.createTask(
          (function* () {
            yield* asyncio.sleep(2);
            tg.cancel();
            tg.cancel();
          })(),
        );
        yield* asyncio.sleep(10);
        return "not reached";
      });
      log.push(`result ${v} at ${now()}, cancelling=${asyncio.currentTask()?.cancelling()}`);
      yield* asyncio.sleep(1);
      return log;
    });
    expect(result).toEqual(["child CancelledError", "result undefined at 2, cancelling=0"]);
  });

  it("cancel() before entry takes effect on entry; after exit it does nothing", async () => {
    const { result } = await run(function* () {
      const tg = new asyncio.TaskGroup();
      tg.cancel();
      const log: string[] = [];
      yield* asyncio.asyncWith(tg, function* (g) {
        log.push("entered");
        yield* asyncio.sleep(1);
        log.push("not reached");
        g.createTask(asyncio.sleep(1));
      });
      tg.cancel();
      yield* asyncio.sleep(1);
      log.push(`at ${now()}`);
      return log;
    });
    expect(result).toEqual(["entered", "at 1"]);
  });

  it("cancel() still raises the errors of children that failed", async () => {
    const boom = new ValueError("boom");
    const { result } = await run(function* () {
      return yield* caught(() =>
        asyncio.withTaskGroup(function* (tg) {
          tg.createTask(
            (function* () {
              try {
                yield* asyncio.sleep(10);
              } finally {
                throw boom;
              }
            })(),
          );
          yield* asyncio.sleep(1);
          tg.cancel();
          yield* asyncio.sleep(1);
        }),
      );
    });
    expect((result as asyncio.ExceptionGroup).exceptions).toEqual([boom]);
  });

  it("createTask passes name and context through", async () => {
    const { result } = await run(function* () {
      const v = new asyncio.ContextVar<string>("v", { default: "outer" });
      const ctx = asyncio.copyContext();
      ctx.run(() => v.set("inner"));
      let t: asyncio.Task<string> | undefined;
      yield* asyncio.withTaskGroup(function* (tg) {
        t = tg.createTask(
          (function* () {
            yield* asyncio.sleep(0);
            return v.get();
          })(),
          { name: "worker", context: ctx },
        );
      });
      return [t?.getName(), t?.result()];
    });
    expect(result).toEqual(["worker", "inner"]);
  });

  it("a long-lived group lets its finished children go and still cancels the live ones", async () => {
    const { result } = await run(function* () {
      const group = new asyncio.TaskGroup();
      let cancelled = 0;
      function* longRunner(): asyncio.Coroutine<void> {
        try {
          yield* asyncio.sleep(1000);
        } catch (e) {
          if (e instanceof asyncio.CancelledError) cancelled++;
          throw e;
        }
      }
      const reprs: string[] = [];
      const err = yield* caught(() =>
        asyncio.asyncWith(group, function* (tg) {
          for (let i = 0; i < 3; i++) tg.createTask(longRunner());
          // 1,000 short children come and go, as a server's connections do.
          for (let round = 0; round < 10; round++) {
            for (let i = 0; i < 100; i++) tg.createTask(asyncio.sleep(0.001 * (i % 7)));
            yield* asyncio.sleep(1);
          }
          reprs.push(String(tg));
          const held = (tg as unknown as { _tasks: asyncio.Task<unknown>[] })._tasks;
          reprs.push(`held ${held.length}, live ${held.filter((t) => !t.done()).length}`);
          throw new ValueError("stop");
        }),
      );
      return { err, cancelled, reprs };
    });
    expect(result.reprs[0]).toBe("<TaskGroup tasks=3 entered>");
    // The array is pruned once half of it is finished: it never holds the 1,000.
    const [held, live] = (result.reprs[1] as string).match(/\d+/g)!.map(Number);
    expect(live).toBe(3);
    expect(held).toBeLessThan(250);
    expect(result.cancelled).toBe(3);
    expect(result.err).toBeInstanceOf(asyncio.ExceptionGroup);
  });

  it("a child that fails without ever suspending still aborts the group", async () => {
    const boom = new ValueError("at once");
    const { result } = await run(function* () {
      let bodyReachedEnd = false;
      const err = yield* caught(() =>
        asyncio.withTaskGroup(function* (tg) {
          const t = tg.createTask(
            (function* () {
              throw boom;
            })(),
          );
          expect(t.done()).toBe(eager); // an eager child failed inside createTask()
          yield* asyncio.sleep(1);
          bodyReachedEnd = true;
        }),
      );
      return { err, bodyReachedEnd, at: now() };
    });
    expect((result.err as asyncio.ExceptionGroup).exceptions).toEqual([boom]);
    expect(result.bodyReachedEnd).toBe(false);
    expect(result.at).toBe(0);
  });
});

describe("TaskGroup outside a task", () => {
  it("aenter() needs a current task", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<unknown>();
      loop.callSoon(() => {
        try {
          new asyncio.TaskGroup().aenter().next();
        } catch (e) {
          fut.setResult(e);
        }
      });
      return yield* fut;
    }
    const { result } = await runVirtual(main());
    expect((result as Error).message).toBe(
      "TaskGroup <TaskGroup> cannot determine the parent task",
    );
  });

  it("withTaskGroup evaluates to the body's result", async () => {
    function* main() {
      return yield* asyncio.withTaskGroup(function* (tg) {
        const t = tg.createTask(asyncio.sleep(1, 21));
        return [t];
      });
    }
    const { result } = await runVirtual(main());
    expect(result?.[0]?.result()).toBe(21);
  });
});

describe("withTaskGroup's result type", () => {
  it("is R for a body that never awaits, R | undefined for one that can be cut short", async () => {
    const { result } = await runVirtual(
      (function* () {
        const [a, b] = yield* asyncio.withTaskGroup(function* (tg) {
          return [
            tg.createTask(asyncio.sleep(1, "a")),
            tg.createTask(asyncio.sleep(2, "b")),
          ] as const;
        });
        expectTypeOf(a).toEqualTypeOf<asyncio.Task<string>>();
        const maybe = yield* asyncio.withTaskGroup(function* (tg) {
          yield* asyncio.sleep(1);
          tg.cancel();
          yield* asyncio.sleep(1);
          return 5;
        });
        expectTypeOf(maybe).toEqualTypeOf<number | undefined>();
        // A body that never awaits returns even when it cancels its own group.
        const sure = yield* asyncio.withTaskGroup(function* (tg) {
          tg.createTask(asyncio.sleep(10));
          tg.cancel();
          return "returned";
        });
        expectTypeOf(sure).toEqualTypeOf<string>();
        return [a.result(), b.result(), maybe, sure];
      })(),
    );
    expect(result).toEqual(["a", "b", undefined, "returned"]);
  });
});
