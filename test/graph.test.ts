import { afterEach, describe, expect, it, vi } from "vitest";
import { _noteTaskGroup } from "../src/debug/graph.js";
import * as asyncio from "../src/index.js";
import { runVirtualBare } from "./helpers.js";

/**
 * Replaces each distinct `id=0x…` with `id=#n`, numbered by first appearance, and default
 * task names (`Task-17`: the counter is shared by every test in the file) with `Task-N`.
 */
function normalizeIds(text: string): string {
  const seen = new Map<string, number>();
  return text.replace(/Task-\d+/g, "Task-N").replace(/id=0x[0-9a-f]+/g, (m) => {
    let n = seen.get(m);
    if (n === undefined) {
      n = seen.size + 1;
      seen.set(m, n);
    }
    return `id=#${n}`;
  });
}

/** A compact view of a graph, in the spirit of CPython's test_graph: [who, frames, awaitedBy]. */
type Walk = [string, string[], Walk[]];
function walk(g: asyncio.FutureCallGraph): Walk {
  const name = g.future instanceof asyncio.Task ? g.future.getName() : null;
  const who = name === null ? "F" : /^Task-\d+$/.test(name) ? "T<anon>" : `T<${name}>`;
  return [
    who,
    g.callStack.map((e) => e.name),
    g.awaitedBy.map(walk).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  ];
}

function captured(
  first?: asyncio.Future<unknown> | asyncio.CallGraphOptions | null,
  options?: asyncio.CallGraphOptions,
): Walk {
  const g =
    first === undefined || first === null || first instanceof asyncio.Future
      ? asyncio.captureCallGraph(first, options)
      : asyncio.captureCallGraph(first);
  if (g === null) throw new Error("no graph");
  return walk(g);
}

/** Lets every task step until all are blocked (the virtual clock does not move). */
function* settle(): asyncio.Coroutine<void> {
  for (let i = 0; i < 10; i++) yield* asyncio.sleep(0);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("captureCallGraph", () => {
  it("lists the current task's marked frames, innermost first, and the task awaiting it", async () => {
    let seen: Walk | null = null;
    const inner = asyncio.coroutine(function* inner() {
      yield* asyncio.sleep(0);
      seen = captured();
    });
    const c1 = asyncio.coroutine(function* c1() {
      yield* inner();
    });
    const c2 = asyncio.coroutine(function* c2() {
      yield* asyncio.createTask(c1(), { name: "there there" });
    });
    const main = asyncio.coroutine(function* main() {
      yield* c2();
    });
    await runVirtualBare(main());
    expect(seen).toEqual(["T<there there>", ["inner", "c1"], [["T<anon>", ["c2", "main"], []]]]);
  });

  it("shows an unmarked function* as one frame named 'coroutine', marked frames below it by name", async () => {
    let seen: asyncio.FutureCallGraph | null = null;
    const leaf = asyncio.coroutine(function* leaf() {
      seen = asyncio.captureCallGraph();
    });
    function* unmarkedMiddle(): asyncio.Coroutine<void> {
      yield* leaf();
    }
    const top = asyncio.coroutine(function* top() {
      yield* unmarkedMiddle(); // runs natively inside top's frame: hidden
    });
    function* plainMain(): asyncio.Coroutine<void> {
      yield* top();
    }
    await runVirtualBare(plainMain());
    const g = seen as asyncio.FutureCallGraph | null;
    expect(g?.callStack.map((e) => [e.name, e.marked])).toEqual([
      ["leaf", true],
      ["top", true],
      ["coroutine", false],
    ]);
    expect(asyncio.iscoroutine(g?.callStack[0]?.frame)).toBe(true);
  });

  it("follows tasks awaiting tasks up several levels", async () => {
    let seen: Walk | null = null;
    const leaf = asyncio.coroutine(function* leaf() {
      yield* asyncio.sleep(1);
      seen = captured();
    });
    const middle = asyncio.coroutine(function* middle() {
      yield* asyncio.createTask(leaf(), { name: "leaf" });
    });
    const main = asyncio.coroutine(function* main() {
      yield* asyncio.createTask(middle(), { name: "middle" });
    });
    await runVirtualBare(main());
    expect(seen).toEqual([
      "T<leaf>",
      ["leaf"],
      [["T<middle>", ["middle"], [["T<anon>", ["main"], []]]]],
    ]);
  });

  it("gather: the children are awaited by the task awaiting the gather (nested gathers too)", async () => {
    let deepSeen: Walk | null = null;
    let nestedSeen: Walk | null = null;
    const deep = asyncio.coroutine(function* deep() {
      yield* asyncio.sleep(0);
      deepSeen = captured();
    });
    const c1 = asyncio.coroutine(function* c1() {
      yield* asyncio.sleep(0);
      yield* deep();
    });
    const c2 = asyncio.coroutine(function* c2() {
      yield* asyncio.sleep(0);
    });
    const nested = asyncio.coroutine(function* nested() {
      yield* asyncio.sleep(0);
      nestedSeen = captured();
    });
    const main = asyncio.coroutine(function* main() {
      yield* asyncio.gather(c1(), c2(), asyncio.gather(nested()));
    });
    await runVirtualBare(main());
    expect(deepSeen).toEqual(["T<anon>", ["deep", "c1"], [["T<anon>", ["main"], []]]]);
    expect(nestedSeen).toEqual(["T<anon>", ["nested"], [["T<anon>", ["main"], []]]]);
  });

  it("a Future awaited by two tasks lists both, each with its own awaiter", async () => {
    let seen: Walk | null = null;
    let text = "";
    const a2 = asyncio.coroutine(function* a2(fut: asyncio.Future<void>) {
      yield* fut;
    });
    const a1 = asyncio.coroutine(function* a1(fut: asyncio.Future<void>) {
      yield* a2(fut);
    });
    const b1 = asyncio.coroutine(function* b1(fut: asyncio.Future<void>) {
      yield* fut;
    });
    const main = asyncio.coroutine(function* main() {
      const fut = asyncio.getRunningLoop().createFuture<void>();
      const ta = asyncio.createTask(a1(fut), { name: "task A" });
      const tb = asyncio.createTask(b1(fut), { name: "task B" });
      const both = asyncio.gather(ta, tb);
      const waiter = asyncio.createTask(
        (function* () {
          yield* both;
        })(),
        { name: "waiter" },
      );
      yield* settle();
      seen = captured(fut);
      text = asyncio.formatCallGraph(fut);
      fut.setResult(undefined);
      yield* waiter;
    });
    await runVirtualBare(main());
    expect(seen).toEqual([
      "F",
      [],
      [
        ["T<task A>", ["a2", "a1"], [["T<waiter>", ["coroutine"], []]]],
        ["T<task B>", ["b1"], [["T<waiter>", ["coroutine"], []]]],
      ],
    ]);
    expect(text.startsWith("* Future(id=0x")).toBe(true);
  });

  it("a task that awaited a done future does not count as its awaiter", async () => {
    let seen: Walk | null = null;
    let doneText = "";
    let doneTaskGraph: asyncio.FutureCallGraph | null = null;
    const main = asyncio.coroutine(function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      fut.setResult(1);
      const n = yield* fut; // done: completes at once, never suspends
      expect(n).toBe(1);
      const t = asyncio.createTask(asyncio.sleep(0, "x"));
      yield* t;
      seen = captured(fut);
      doneText = asyncio.formatCallGraph(fut);
      doneTaskGraph = asyncio.captureCallGraph(t);
    });
    await runVirtualBare(main());
    expect(seen).toEqual(["F", [], []]);
    expect(doneText).toMatch(/^\* Future\(id=0x[0-9a-f]+\)$/);
    // A finished task has no frames left.
    expect((doneTaskGraph as asyncio.FutureCallGraph | null)?.callStack).toEqual([]);
  });

  it.each([
    { mode: "lazy", eager: false },
    { mode: "eager", eager: true },
  ])(
    "TaskGroup ($mode tasks): children are awaited by the parent task and by tasks awaiting them",
    async ({ eager }) => {
      let seen: Walk | null = null;
      const c4 = asyncio.coroutine(function* c4() {
        yield* asyncio.sleep(0);
        seen = captured();
      });
      const c3 = asyncio.coroutine(function* c3() {
        yield* c4();
      });
      const c2 = asyncio.coroutine(function* c2() {
        yield* c3();
      });
      const c1 = asyncio.coroutine(function* c1(task: asyncio.Task<void>) {
        yield* task;
      });
      const main = asyncio.coroutine(function* main() {
        if (eager) asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
        yield* asyncio.withTaskGroup(function* (tg) {
          // What TaskGroup.aenter() does once it carries the hook (see src/debug/graph.ts).
          _noteTaskGroup(tg);
          const task = tg.createTask(c2(), { name: "c2_root" });
          tg.createTask(c1(task), { name: "sub_main_1" });
          tg.createTask(c1(task), { name: "sub_main_2" });
        });
      });
      await runVirtualBare(main());
      const parent: Walk = ["T<anon>", ["main"], []];
      expect(seen).toEqual([
        "T<c2_root>",
        ["c4", "c3", "c2"],
        [parent, ["T<sub_main_1>", ["c1"], [parent]], ["T<sub_main_2>", ["c1"], [parent]]],
      ]);
    },
  );

  it("TaskGroup: an exited group no longer links its parent", async () => {
    let after: Walk | null = null;
    const main = asyncio.coroutine(function* main() {
      yield* asyncio.withTaskGroup(function* (tg) {
        _noteTaskGroup(tg);
        tg.createTask(asyncio.sleep(1));
      });
      const t = asyncio.createTask(asyncio.sleep(1), { name: "later" });
      yield* asyncio.sleep(0);
      after = captured(t);
      yield* t;
    });
    await runVirtualBare(main());
    expect(after).toEqual(["T<later>", ["coroutine"], []]);
  });

  it("shield: the shielding task waits on the outer Future; the inner task's edge is registered", async () => {
    let outerSeen: Walk | null = null;
    let innerSeen: Walk | null = null;
    const work = asyncio.coroutine(function* work() {
      yield* asyncio.sleep(1);
    });
    const main = asyncio.coroutine(function* main() {
      const inner = asyncio.createTask(work(), { name: "inner" });
      const outer = asyncio.shield(inner);
      // What shield() does once it carries the hook (see the report): the shielding task
      // awaits the inner task through callbacks the runtime cannot see.
      const me = asyncio.currentTask() as asyncio.Task<unknown>;
      asyncio.futureAddToAwaitedBy(inner, me);
      const watcher = asyncio.createTask(
        (function* () {
          yield* asyncio.sleep(0.5);
          outerSeen = captured(outer);
          innerSeen = captured(inner);
        })(),
      );
      try {
        yield* outer;
      } finally {
        asyncio.futureDiscardFromAwaitedBy(inner, me);
      }
      yield* watcher;
    });
    await runVirtualBare(main());
    expect(outerSeen).toEqual(["F", [], [["T<anon>", ["main"], []]]]);
    expect(innerSeen).toEqual(["T<inner>", ["work"], [["T<anon>", ["main"], []]]]);
  });

  it("futureDiscardFromAwaitedBy removes the edge; discarding twice is harmless", async () => {
    let seen: Walk | null = null;
    const main = asyncio.coroutine(function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<void>();
      const other = loop.createFuture<void>();
      asyncio.futureAddToAwaitedBy(fut, other);
      expect(captured(fut)).toEqual(["F", [], [["F", [], []]]]);
      asyncio.futureDiscardFromAwaitedBy(fut, other);
      asyncio.futureDiscardFromAwaitedBy(fut, other);
      seen = captured(fut);
    });
    await runVirtualBare(main());
    expect(seen).toEqual(["F", [], []]);
  });

  it("depth leaves out innermost frames of the current task only", async () => {
    const results: Walk[] = [];
    let otherTask: asyncio.Task<void> | null = null;
    const helper = asyncio.coroutine(function* helper() {
      results.push(captured(undefined, { depth: 2 }));
      results.push(captured({ depth: 3 }));
      results.push(captured({ depth: 10 }));
      results.push(captured(otherTask, { depth: 5 }));
    });
    const sleeper = asyncio.coroutine(function* sleeper() {
      yield* asyncio.sleep(1);
    });
    const caller = asyncio.coroutine(function* caller() {
      yield* helper();
    });
    const main = asyncio.coroutine(function* main() {
      otherTask = asyncio.createTask(sleeper(), { name: "other" });
      yield* asyncio.sleep(0);
      yield* caller();
      yield* otherTask;
    });
    await runVirtualBare(main());
    expect(results).toEqual([
      ["T<anon>", ["caller", "main"], []],
      ["T<anon>", ["main"], []],
      ["T<anon>", [], []],
      ["T<other>", ["sleeper"], []],
    ]);
  });

  it("limit keeps the outermost (positive) or innermost (negative) frames of every stack", async () => {
    const results: Walk[] = [];
    const f3 = asyncio.coroutine(function* f3() {
      yield* asyncio.sleep(0);
      for (const limit of [2, -2, 0, null, 10]) results.push(captured({ limit }));
    });
    const f2 = asyncio.coroutine(function* f2() {
      yield* f3();
    });
    const f1 = asyncio.coroutine(function* f1() {
      yield* f2();
    });
    const m2 = asyncio.coroutine(function* m2() {
      yield* asyncio.createTask(f1(), { name: "t" });
    });
    const main = asyncio.coroutine(function* main() {
      yield* m2();
    });
    await runVirtualBare(main());
    expect(results).toEqual([
      ["T<t>", ["f2", "f1"], [["T<anon>", ["m2", "main"], []]]],
      ["T<t>", ["f3", "f2"], [["T<anon>", ["m2", "main"], []]]],
      ["T<t>", [], [["T<anon>", [], []]]],
      ["T<t>", ["f3", "f2", "f1"], [["T<anon>", ["m2", "main"], []]]],
      ["T<t>", ["f3", "f2", "f1"], [["T<anon>", ["m2", "main"], []]]],
    ]);
  });

  it("cuts an await cycle instead of recursing forever", async () => {
    let seen: Walk | null = null;
    const main = asyncio.coroutine(function* main() {
      const loop = asyncio.getRunningLoop();
      const gate = loop.createFuture<void>();
      const b = asyncio.createTask(
        (function* () {
          yield* gate;
        })(),
        { name: "b" },
      );
      const a = asyncio.createTask(
        (function* () {
          yield* b;
        })(),
        { name: "a" },
      );
      asyncio.futureAddToAwaitedBy(a, b); // b "waits for" a too: a cycle
      yield* settle();
      seen = captured(a);
      asyncio.futureDiscardFromAwaitedBy(a, b);
      gate.setResult(undefined);
      yield* a;
    });
    await runVirtualBare(main());
    expect(seen).toEqual([
      "T<a>",
      ["coroutine"],
      [["T<b>", ["coroutine"], [["T<a>", ["coroutine"], []]]]],
    ]);
  });

  it("returns null (and formats as '') when no task is running", async () => {
    const seen: unknown[] = [];
    const main = asyncio.coroutine(function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<void>();
      loop.callSoon(() => {
        seen.push(asyncio.captureCallGraph(), asyncio.formatCallGraph());
        fut.setResult(undefined);
      });
      yield* fut;
    });
    await runVirtualBare(main());
    expect(seen).toEqual([null, ""]);
  });

  it("works outside the loop when a future is given", async () => {
    let task: asyncio.Task<void> | null = null;
    const main = asyncio.coroutine(function* main() {
      task = asyncio.createTask(asyncio.sleep(0));
      yield* task;
    });
    await runVirtualBare(main());
    const t = task as asyncio.Task<void> | null;
    expect(t === null ? null : captured(t)).toEqual(["T<anon>", [], []]);
  });
});

describe("bad arguments", () => {
  it("names the argument and the value", async () => {
    const errors: unknown[] = [];
    const attempt = (fn: () => unknown): void => {
      try {
        fn();
        errors.push("no error");
      } catch (e) {
        errors.push(e);
      }
    };
    const main = asyncio.coroutine(function* main() {
      const bad = (x: unknown) => x as asyncio.Future<unknown>;
      attempt(() => asyncio.captureCallGraph(bad(42)));
      attempt(() => asyncio.captureCallGraph(bad(main())));
      attempt(() => asyncio.formatCallGraph(null, { depth: 0 }));
      attempt(() => asyncio.captureCallGraph({ depth: 1.5 }));
      attempt(() => asyncio.captureCallGraph({ depth: "2" as unknown as number }));
      attempt(() => asyncio.captureCallGraph({ limit: 0.5 }));
      attempt(() => asyncio.captureCallGraph({ limit: "3" as unknown as number }));
      attempt(() => asyncio.captureCallGraph(null, "x" as asyncio.CallGraphOptions));
      attempt(() => asyncio.printCallGraph({ file: {} as unknown as { write(t: string): void } }));
      attempt(() => asyncio.futureAddToAwaitedBy(bad({}), bad(null)));
      attempt(() =>
        asyncio.futureAddToAwaitedBy(asyncio.getRunningLoop().createFuture(), bad(undefined)),
      );
      attempt(() =>
        asyncio.futureDiscardFromAwaitedBy(bad("f"), asyncio.getRunningLoop().createFuture()),
      );
      attempt(() => asyncio.formatAllTasks({ loop: bad({}) as unknown as asyncio.BaseEventLoop }));
      attempt(() => asyncio.formatAllTasks({ limit: Number.NaN }));
      attempt(() => asyncio.printAllTasks(bad(7) as unknown as asyncio.AllTasksOptions));
    });
    await runVirtualBare(main());
    const described = errors.map((e) =>
      e instanceof Error ? `${e.constructor.name}: ${e.message}` : e,
    );
    expect(described).toEqual([
      "TypeError: captureCallGraph(): 'future' must be an asyncio Future or Task: received 42",
      "TypeError: captureCallGraph(): 'future' must be an asyncio Future or Task: received coroutine object main",
      "RangeError: formatCallGraph(): 'depth' must be a positive integer: received 0",
      "RangeError: captureCallGraph(): 'depth' must be a positive integer: received 1.5",
      "RangeError: captureCallGraph(): 'depth' must be a positive integer: received \"2\"",
      "TypeError: captureCallGraph(): 'limit' must be an integer or null: received 0.5",
      "TypeError: captureCallGraph(): 'limit' must be an integer or null: received \"3\"",
      "TypeError: captureCallGraph(): 'options' must be an object: received \"x\"",
      "TypeError: printCallGraph(): 'file' must have a write(text) method: received an object",
      "TypeError: futureAddToAwaitedBy(): 'fut' must be an asyncio Future or Task: received an object",
      "TypeError: futureAddToAwaitedBy(): 'waiter' must be an asyncio Future or Task: received undefined",
      "TypeError: futureDiscardFromAwaitedBy(): 'fut' must be an asyncio Future or Task: received \"f\"",
      "TypeError: formatAllTasks(): 'loop' must be an asyncio event loop: received an object",
      "TypeError: formatAllTasks(): 'limit' must be an integer or null: received NaN",
      "TypeError: printAllTasks(): 'options' must be an object: received 7",
    ]);
  });

  it("outside a running loop without a future: RuntimeError", () => {
    expect(() => asyncio.captureCallGraph()).toThrow(asyncio.RuntimeError);
    expect(() => asyncio.formatCallGraph()).toThrow(
      "formatCallGraph() was called outside of a running event loop and no 'future' to introspect was given",
    );
    expect(() => asyncio.formatAllTasks()).toThrow(
      "formatAllTasks(): no running event loop and no 'loop' was given",
    );
  });
});

describe("formatCallGraph / printCallGraph: the printed format", () => {
  it("prints asyncio's layout, nested four spaces per level", async () => {
    let text = "";
    let printed = "";
    const fetch = asyncio.coroutine(function* fetch() {
      yield* asyncio.sleep(5);
      text = asyncio.formatCallGraph();
      const chunks: string[] = [];
      asyncio.printCallGraph({ file: { write: (c: string) => chunks.push(c) } });
      printed = chunks.join("");
    });
    const worker = asyncio.coroutine(function* worker() {
      yield* fetch();
    });
    const supervise = asyncio.coroutine(function* supervise(t: asyncio.Task<void>) {
      yield* t;
    });
    const main = asyncio.coroutine(function* main() {
      const w = asyncio.createTask(worker(), { name: "worker" });
      yield* asyncio.createTask(supervise(w), { name: "it's" });
    });
    await runVirtualBare(main());
    expect(normalizeIds(text)).toBe(
      [
        "* Task(name='worker', id=#1)",
        "  + Call stack:",
        "  |   in fetch()",
        "  |   in worker()",
        "  + Awaited by:",
        '    * Task(name="it\'s", id=#2)',
        "      + Call stack:",
        "      |   in supervise()",
        "      + Awaited by:",
        "        * Task(name='Task-N', id=#3)",
        "          + Call stack:",
        "          |   in main()",
      ].join("\n"),
    );
    expect(printed).toBe(`${text}\n`);
  });

  it("the same object keeps its id from one graph to the next", async () => {
    let first = "";
    let second = "";
    const main = asyncio.coroutine(function* main() {
      first = asyncio.formatCallGraph();
      yield* asyncio.sleep(1);
      second = asyncio.formatCallGraph();
    });
    await runVirtualBare(main());
    expect(first).toMatch(
      /^\* Task\(name='Task-\d+', id=0x[0-9a-f]+\)\n {2}\+ Call stack:\n {2}\| {3}in main\(\)$/,
    );
    expect(second).toBe(first);
  });

  it("printCallGraph writes to console.log by default, an empty line without a task", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const main = asyncio.coroutine(function* main() {
      asyncio.printCallGraph();
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<void>();
      loop.callSoon(() => {
        asyncio.printCallGraph();
        fut.setResult(undefined);
      });
      yield* fut;
    });
    await runVirtualBare(main());
    expect(log).toHaveBeenCalledTimes(2);
    expect(normalizeIds(String(log.mock.calls[0]?.[0]))).toBe(
      "* Task(name='Task-N', id=#1)\n  + Call stack:\n  |   in main()",
    );
    expect(log.mock.calls[1]?.[0]).toBe("");
  });
});

describe("formatAllTasks", () => {
  it("lists every pending task: what it waits on, its stack, its awaiters", async () => {
    let text = "";
    const fetch = asyncio.coroutine(function* fetch() {
      yield* asyncio.sleep(3600);
    });
    const worker = asyncio.coroutine(function* worker() {
      yield* fetch();
    });
    const idle = asyncio.coroutine(function* idle(fut: asyncio.Future<void>) {
      yield* fut;
    });
    const main = asyncio.coroutine(function* main() {
      const fut = asyncio.getRunningLoop().createFuture<void>();
      const w = asyncio.createTask(worker(), { name: "worker" });
      const i = asyncio.createTask(idle(fut), { name: "idle" });
      const g = asyncio.createTask(
        (function* () {
          yield* asyncio.gather(w, i);
        })(),
        { name: "gatherer" },
      );
      yield* asyncio.sleep(1);
      text = asyncio.formatAllTasks();
      g.cancel();
      yield* asyncio.gather(g, { returnExceptions: true });
    });
    await runVirtualBare(main());
    expect(normalizeIds(text)).toBe(
      [
        "4 pending tasks",
        "",
        "* Task(name='Task-N', id=#1)",
        "  + Waiting on: running",
        "  + Call stack:",
        "  |   in main()",
        "",
        "* Task(name='worker', id=#2)",
        "  + Waiting on: sleep until t=3600.000",
        "  + Call stack:",
        "  |   in fetch()",
        "  |   in worker()",
        "  + Awaited by: Task(name='gatherer', id=#3)",
        "",
        "* Task(name='idle', id=#4)",
        "  + Waiting on: Future(id=#5)",
        "  + Call stack:",
        "  |   in idle()",
        "  + Awaited by: Task(name='gatherer', id=#3)",
        "",
        "* Task(name='gatherer', id=#3)",
        "  + Waiting on: gather(2 children, 2 pending)",
        "  + Call stack:",
        "  |   in coroutine()",
      ].join("\n"),
    );
  });

  it("a task whose sleep has fired but who has not resumed yet is shown waking up", async () => {
    let text = "";
    function* main() {
      const loop = asyncio.getRunningLoop();
      asyncio.createTask(asyncio.sleep(2.5), { name: "sleeper" });
      yield* asyncio.sleep(0); // the sleeper arms its timer
      // Due at the same time and armed later, so it runs right after the sleep's timer
      // has woken the task, before the task resumes.
      loop.callLater(2.5, () => {
        text = asyncio.formatAllTasks();
      });
      yield* asyncio.sleep(3);
    }
    await runVirtualBare(main());
    expect(text).toContain("* Task(name='sleeper'");
    expect(text).toContain("  + Waiting on: sleep(2.5) (done, waking up)");
  });

  it("reports await cycles, and takes an explicit loop and a limit", async () => {
    let text = "";
    const main = asyncio.coroutine(function* main() {
      const loop = asyncio.getRunningLoop();
      const gate = loop.createFuture<void>();
      const b = asyncio.createTask(
        (function* () {
          yield* gate;
        })(),
        { name: "b" },
      );
      const a = asyncio.createTask(
        (function* () {
          yield* b;
        })(),
        { name: "a" },
      );
      asyncio.futureAddToAwaitedBy(a, b);
      yield* settle();
      text = asyncio.formatAllTasks({ loop, limit: 0 });
      asyncio.futureDiscardFromAwaitedBy(a, b);
      gate.setResult(undefined);
      yield* a;
    });
    await runVirtualBare(main());
    const lines = normalizeIds(text).split("\n");
    expect(lines[0]).toBe("3 pending tasks");
    expect(lines).not.toContain("  + Call stack:");
    expect(lines.at(-1)).toBe(
      "Await cycle (these tasks wait for each other and can never finish): Task(name='b', id=#2) awaits Task(name='a', id=#4) awaits Task(name='b', id=#2)",
    );
  });

  it("a watchdog task reports a hang on the virtual loop (the idiom of docs/debugging.md)", async () => {
    const chunks: string[] = [];
    const stuck = asyncio.coroutine(function* stuck() {
      yield* asyncio.getRunningLoop().createFuture<void>(); // nobody will ever set it
    });
    const main = asyncio.coroutine(function* main() {
      const me = asyncio.currentTask() as asyncio.Task<unknown>;
      const dog = asyncio.createTask(
        (function* () {
          yield* asyncio.sleep(60); // jumps ahead at once when everything else is blocked
          asyncio.printAllTasks({ file: { write: (c: string) => chunks.push(c) } });
          me.cancel("watchdog: hung");
        })(),
        { name: "watchdog" },
      );
      try {
        yield* asyncio.createTask(stuck(), { name: "stuck" });
      } finally {
        dog.cancel();
      }
    });
    await expect(runVirtualBare(main())).rejects.toThrow("watchdog: hung");
    const report = normalizeIds(chunks.join(""));
    expect(report).toContain(
      "* Task(name='stuck', id=#2)\n  + Waiting on: Future(id=#4)\n  + Call stack:\n  |   in stuck()\n  + Awaited by: Task(name='Task-N', id=#1)",
    );
  });

  it("handles a chain of 5,000 tasks (no recursion limit) and a three-task cycle", async () => {
    let report = "";
    let depth = 0;
    const main = asyncio.coroutine(function* main() {
      const loop = asyncio.getRunningLoop();
      const gate = loop.createFuture<void>();
      let prev: asyncio.Task<void> = asyncio.createTask(
        (function* () {
          yield* gate;
        })(),
        { name: "leaf" },
      );
      const leaf = prev;
      for (let i = 0; i < 5000; i++) {
        const awaited = prev;
        prev = asyncio.createTask(
          (function* () {
            yield* awaited;
          })(),
        );
      }
      const [x, y, z] = ["x", "y", "z"].map((name) =>
        asyncio.createTask(
          (function* () {
            yield* gate;
          })(),
          { name },
        ),
      ) as [asyncio.Task<void>, asyncio.Task<void>, asyncio.Task<void>];
      const edges: [asyncio.Task<void>, asyncio.Task<void>][] = [
        [x, y],
        [y, z],
        [z, x],
      ];
      for (const [fut, waiter] of edges) asyncio.futureAddToAwaitedBy(fut, waiter);
      yield* settle();
      report = asyncio.formatAllTasks();
      for (let g = asyncio.captureCallGraph(leaf); g !== null; g = g.awaitedBy[0] ?? null) depth++;
      for (const [fut, waiter] of edges) asyncio.futureDiscardFromAwaitedBy(fut, waiter);
      gate.setResult(undefined);
      yield* prev;
    });
    await runVirtualBare(main());
    expect(depth).toBe(5001);
    const cycles = normalizeIds(report)
      .split("\n")
      .filter((l) => l.startsWith("Await cycle"));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatch(
      /: Task\(name='x', id=#\d+\) awaits Task\(name='z', id=#\d+\) awaits Task\(name='y', id=#\d+\) awaits Task\(name='x', id=#\d+\)$/,
    );
  });

  it("printAllTasks writes the report to a file", async () => {
    const chunks: string[] = [];
    const main = asyncio.coroutine(function* main() {
      asyncio.printAllTasks({ file: { write: (c: string) => chunks.push(c) } });
    });
    await runVirtualBare(main());
    expect(normalizeIds(chunks.join(""))).toBe(
      "1 pending task\n\n* Task(name='Task-N', id=#1)\n  + Waiting on: running\n  + Call stack:\n  |   in main()\n",
    );
  });
});
