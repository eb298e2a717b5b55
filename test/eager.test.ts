import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

function* immediate<T>(v: T): asyncio.Coroutine<T> {
  return v;
}

describe("eagerTaskFactory", () => {
  it("a coroutine that does not suspend comes back done, no longer in allTasks()", async () => {
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      const t = asyncio.createTask(immediate(42));
      return [t.done(), t.result(), asyncio.allTasks().has(t)];
    }
    expect((await runVirtual(main())).result).toEqual([true, 42, false]);
  });

  it("the first step runs inside createTask(), then the task goes on as usual", async () => {
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      const log: string[] = [];
      const t = asyncio.createTask(
        (function* () {
          log.push("child step 1");
          yield* asyncio.sleep(1);
          log.push("child step 2");
          return "done";
        })(),
        { name: "eager-child" },
      );
      log.push("creator continues");
      const pending = !t.done() && asyncio.allTasks().has(t);
      const v = yield* t;
      return [log, pending, v, t.getName()];
    }
    expect((await runVirtual(main())).result).toEqual([
      ["child step 1", "creator continues", "child step 2"],
      true,
      "done",
      "eager-child",
    ]);
  });

  it("is in allTasks() during its eager first step, whether it then finishes or blocks", async () => {
    // CPython 3.13: "eager in all_tasks: True False" / "True False" (done, not listed);
    // "eager in all_tasks: True True" / "False True" (blocked, still listed)
    function* child(block: boolean, seen: boolean[]) {
      seen.push(asyncio.allTasks().has(asyncio.currentTask() as asyncio.Task<unknown>));
      if (block) yield* asyncio.sleep(0);
      return 1;
    }
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      const out: boolean[][] = [];
      for (const block of [false, true]) {
        const seen: boolean[] = [];
        const t = asyncio.createTask(child(block, seen));
        out.push([...seen, t.done(), asyncio.allTasks().has(t)]);
        yield* t;
      }
      return out;
    }
    expect((await runVirtual(main())).result).toEqual([
      [true, true, false],
      [true, false, true],
    ]);
  });

  it("an eager task cancelled during its first step is listed, then gone once cancelled", async () => {
    function* child(seen: boolean[]) {
      const me = asyncio.currentTask() as asyncio.Task<unknown>;
      me.cancel("self");
      seen.push(asyncio.allTasks().has(me));
      yield* asyncio.sleep(1);
    }
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      const seen: boolean[] = [];
      const t = asyncio.createTask(child(seen));
      const listedAfterStep = asyncio.allTasks().has(t);
      try {
        yield* t;
      } catch (e) {
        seen.push(e instanceof asyncio.CancelledError, asyncio.allTasks().has(t));
      }
      return [...seen, listedAfterStep];
    }
    expect((await runVirtual(main())).result).toEqual([true, true, false, true]);
  });

  it("a createTask() call can still ask for eagerStart: false", async () => {
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      const t = asyncio.createTask(immediate(1), { eagerStart: false });
      const before = t.done();
      yield* asyncio.sleep(0);
      return [before, t.done()];
    }
    expect((await runVirtual(main())).result).toEqual([false, true]);
  });

  it("the current task is the child during its eager step, and the creator after", async () => {
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      const me = asyncio.currentTask();
      let inside: unknown = null;
      const t = asyncio.createTask(
        (function* () {
          inside = asyncio.currentTask();
          yield* asyncio.sleep(0);
        })(),
      );
      const after = asyncio.currentTask();
      yield* t;
      return [inside === t, after === me];
    }
    expect((await runVirtual(main())).result).toEqual([true, true]);
  });

  it("an eager task that fails at once holds its error", async () => {
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      const t = asyncio.createTask(
        (function* () {
          throw new RangeError("eager failure");
        })(),
      );
      return [t.done(), (t.exception() as Error).message];
    }
    expect((await runVirtual(main())).result).toEqual([true, "eager failure"]);
  });
});

describe("createEagerTaskFactory", () => {
  it("constructs tasks with the given class", async () => {
    class TracedTask<T> extends asyncio.Task<T> {
      traced = true;
    }
    function* main() {
      asyncio.getRunningLoop().setTaskFactory(asyncio.createEagerTaskFactory(TracedTask));
      const t = asyncio.createTask(immediate("x"));
      return [t instanceof TracedTask, t.done(), t.result()];
    }
    expect((await runVirtual(main())).result).toEqual([true, true, "x"]);
  });

  it("rejects what is not a Task class", () => {
    expect(() => asyncio.createEagerTaskFactory(5 as never)).toThrow(
      "createEagerTaskFactory(): 'taskConstructor' must be a Task class: received 5",
    );
    expect(() => asyncio.createEagerTaskFactory((() => {}) as never)).toThrow(TypeError);
  });
});

describe("createTask(..., { eagerStart: true }) without a factory", () => {
  it("starts that one task eagerly", async () => {
    function* main() {
      const eager = asyncio.createTask(immediate(1), { eagerStart: true });
      const lazy = asyncio.createTask(immediate(2));
      const r = [eager.done(), lazy.done()];
      yield* lazy;
      return r;
    }
    expect((await runVirtual(main())).result).toEqual([true, false]);
  });
});
