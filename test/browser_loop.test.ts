/**
 * BrowserEventLoop, deterministically: a fake host stands in for the browser — a
 * MessageChannel whose messages wait in a task queue, `setTimeout` on a fake clock,
 * `performance.now()` reading that clock — and the test runs the host one macrotask at a
 * time, recording which kind of task did what. (The real thing runs in headless Chromium,
 * page and Web Worker: test/runtimes.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as asyncio from "../src/portable.js";

const realSetImmediate = setImmediate;

type TaskKind = "message" | "postTask" | "timer" | "render";

interface HostTask {
  kind: TaskKind;
  run: () => void;
}

interface HostTimer {
  id: number;
  due: number;
  seq: number;
  run: () => void;
}

/** A browser's event loop, run by hand. Time is in milliseconds. */
class FakeHost {
  now = 1000;
  /** Added to the clock at every `performance.now()`: how long the code between two reads takes. */
  costPerRead = 0;
  /** Fire timers this many ms before their due time (some browsers do, by a rounding). */
  early = 0;
  readonly queue: HostTask[] = [];
  readonly timers: HostTimer[] = [];
  /** Every task run, by kind, in order. */
  readonly ran: TaskKind[] = [];
  /** Every setTimeout call: its delay and the kind of task that made it. */
  readonly setTimeoutCalls: Array<{ ms: number; from: TaskKind | null }> = [];
  readonly closedPorts: number[] = [];
  private current: TaskKind | null = null;
  private nextId = 1;
  private seq = 0;

  install(options: { postTask?: boolean; messageChannel?: boolean } = {}): void {
    const host = this;
    if (options.messageChannel !== false) {
      let channels = 0;
      class FakeMessageChannel {
        readonly id = ++channels;
        private closed = false;
        readonly port1 = {
          onmessage: null as ((event: unknown) => void) | null,
          close: (): void => {
            this.closed = true;
            host.closedPorts.push(this.id);
          },
        };
        readonly port2 = {
          postMessage: (_message: unknown): void => {
            host.queue.push({
              kind: "message",
              run: () => {
                if (!this.closed) this.port1.onmessage?.({ data: null });
              },
            });
          },
          close: (): void => {},
        };
      }
      vi.stubGlobal("MessageChannel", FakeMessageChannel);
    } else {
      vi.stubGlobal("MessageChannel", undefined);
    }
    vi.stubGlobal(
      "scheduler",
      options.postTask === true
        ? {
            postTask(callback: () => void): Promise<void> {
              return new Promise((resolve) => {
                host.queue.push({ kind: "postTask", run: () => resolve(callback()) });
              });
            },
          }
        : undefined,
    );
    vi.stubGlobal("setTimeout", (fn: () => void, ms = 0): number => {
      host.setTimeoutCalls.push({ ms, from: host.current });
      const id = host.nextId++;
      host.timers.push({ id, due: host.now + Math.max(0, ms), seq: host.seq++, run: fn });
      return id;
    });
    vi.stubGlobal("clearTimeout", (id: number): void => {
      const i = host.timers.findIndex((t) => t.id === id);
      if (i >= 0) host.timers.splice(i, 1);
    });
    vi.spyOn(performance, "now").mockImplementation(() => {
      host.now += host.costPerRead;
      return host.now;
    });
  }

  /** Queues a task of the page's own (a frame to render, an input event). */
  render(fn: () => void = () => {}): void {
    this.queue.push({ kind: "render", run: fn });
  }

  /** Runs one macrotask (a queued one first, else the earliest timer), then its microtasks. */
  async step(): Promise<void> {
    let task = this.queue.shift();
    if (task === undefined) {
      this.timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const timer = this.timers.shift();
      if (timer === undefined) throw new Error("the host is idle: nothing will ever run");
      this.now = Math.max(this.now, timer.due - this.early);
      task = { kind: "timer", run: timer.run };
    }
    this.current = task.kind;
    this.ran.push(task.kind);
    task.run();
    // The loop's tick runs as a microtask of the task that woke it: still inside that task.
    await new Promise((resolve) => realSetImmediate(resolve));
    this.current = null;
  }

  /** Runs tasks until `promise` settles; its value, or its error thrown. */
  async drive<T>(promise: Promise<T>, maxSteps = 10_000): Promise<T> {
    let settled = false;
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    for (let i = 0; i < maxSteps && !settled; i++) await this.step();
    if (!settled) throw new Error(`not settled after ${maxSteps} host tasks`);
    return promise;
  }
}

let host: FakeHost;

beforeEach(() => {
  host = new FakeHost();
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** Runs `main` on a new BrowserEventLoop on the fake host. */
function runOnHost<T>(main: asyncio.Coroutine<T>, options?: asyncio.BrowserEventLoopOptions) {
  const loop = new asyncio.BrowserEventLoop(options);
  return host.drive(asyncio.run(main, { loopFactory: () => loop }));
}

describe("BrowserEventLoop's ordering", () => {
  it("runs callSoon callbacks first in, first out, then timers by deadline, then FIFO", async () => {
    host.install();
    const order: string[] = [];
    function* main() {
      const loop = asyncio.getRunningLoop();
      const done = loop.createFuture<void>();
      loop.callLater(0.003, () => {
        order.push("late");
        done.setResult();
      });
      loop.callLater(0.001, () => order.push("t1-first"));
      loop.callLater(0.001, () => order.push("t1-second"));
      loop.callAt(loop.time() + 0.002, () => order.push("t2"));
      loop.callSoon(() => order.push("soon-1"));
      loop.callSoon(() => order.push("soon-2"));
      loop.callSoon(() => loop.callSoon(() => order.push("soon-3 (scheduled by soon-2's turn)")));
      yield* done;
    }
    await runOnHost(main());
    expect(order).toEqual([
      "soon-1",
      "soon-2",
      "soon-3 (scheduled by soon-2's turn)",
      "t1-first",
      "t1-second",
      "t2",
      "late",
    ]);
  });

  it("interleaves tasks at sleep(0) as asyncio does", async () => {
    host.install();
    const trace: string[] = [];
    function* worker(name: string) {
      for (let i = 0; i < 3; i++) {
        trace.push(`${name}${i}`);
        yield* asyncio.sleep(0);
      }
    }
    await runOnHost(
      (function* () {
        yield* asyncio.gather(worker("a"), worker("b"));
      })(),
    );
    expect(trace).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"]);
  });
});

describe("BrowserEventLoop's tick", () => {
  it("serves the ready queue through messages, never through setTimeout", async () => {
    host.install();
    function* main() {
      let n = 0;
      for (let i = 0; i < 1000; i++) {
        yield* asyncio.sleep(0);
        n++;
      }
      return n;
    }
    expect(await runOnHost(main())).toBe(1000);
    expect(host.setTimeoutCalls).toEqual([]);
    expect(host.ran.length).toBeGreaterThan(0);
    expect(new Set(host.ran)).toEqual(new Set(["message"]));
  });

  it("uses scheduler.postTask where the host has it, MessageChannel otherwise", async () => {
    host.install({ postTask: true });
    const auto = new asyncio.BrowserEventLoop();
    expect(auto.tickMechanism).toBe("postTask");
    auto.close();
    const chosen = new asyncio.BrowserEventLoop({ tick: "messageChannel" });
    expect(chosen.tickMechanism).toBe("messageChannel");
    chosen.close();
    await runOnHost(asyncio.sleep(0, "x"));
    expect(host.ran).toContain("postTask");
    expect(host.ran).not.toContain("message");
  });

  it("ends a busy tick within its budget, so the page renders between two ticks", async () => {
    host.install();
    host.costPerRead = 0.3; // each look at the clock finds 0.3 ms gone
    let rendered = -1;
    function* busy() {
      const loop = asyncio.getRunningLoop();
      let i = 0;
      // A page's frame arrives while the loop is busy with 20,000 sleep(0)s.
      loop.callSoon(() => host.render(() => (rendered = i)));
      for (; i < 20_000; i++) yield* asyncio.sleep(0);
      return i;
    }
    expect(await runOnHost(busy())).toBe(20_000);
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(20_000);
    const ticks = host.ran.filter((k) => k === "message").length;
    expect(ticks).toBeGreaterThan(5);
    expect(host.ran.indexOf("render")).toBeGreaterThan(0);
  });
});

describe("BrowserEventLoop's timers", () => {
  it("arms one setTimeout per deadline, rounded up to the millisecond", async () => {
    host.install();
    function* main() {
      yield* asyncio.sleep(0.0105);
      yield* asyncio.sleep(2);
      return "done";
    }
    expect(await runOnHost(main())).toBe("done");
    expect(host.setTimeoutCalls.map((c) => c.ms)).toEqual([11, 2000]);
  });

  it("arms every timer from a message task, never from a timer's (no nested clamping)", async () => {
    host.install();
    const woke: number[] = [];
    function* main() {
      for (let i = 0; i < 10; i++) {
        yield* asyncio.sleep(0.001);
        woke.push(i);
      }
    }
    await runOnHost(main());
    expect(woke).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(host.setTimeoutCalls).toHaveLength(10);
    for (const call of host.setTimeoutCalls) expect(call).toEqual({ ms: 1, from: "message" });
    // Each timer's task only posts the tick.
    expect(host.ran.filter((k) => k === "timer")).toHaveLength(10);
  });

  it("a timer that fires early is armed again, and its callback runs on time", async () => {
    host.install();
    host.early = 0.5;
    let at = 0;
    function* main() {
      const loop = asyncio.getRunningLoop();
      const due = loop.time() + 0.005;
      yield* asyncio.sleep(0.005);
      at = loop.time();
      return due;
    }
    const due = await runOnHost(main());
    expect(at).toBeGreaterThanOrEqual(due);
    expect(host.setTimeoutCalls.map((c) => c.ms)).toEqual([5, 1]);
  });

  it("a cancelled sleep clears its timer; the next deadline is armed instead", async () => {
    host.install();
    function* main() {
      const sleeper = asyncio.createTask(asyncio.sleep(0.01));
      yield* asyncio.sleep(0.001);
      sleeper.cancel();
      try {
        yield* sleeper;
      } catch (e) {
        if (!(e instanceof asyncio.CancelledError)) throw e;
      }
      yield* asyncio.sleep(0.005);
      return sleeper.cancelled();
    }
    expect(await runOnHost(main())).toBe(true);
    // Armed for 1 ms, then for 5 ms: never for the cancelled sleep's 10 ms.
    expect(host.setTimeoutCalls.map((c) => c.ms)).toEqual([1, 5]);
    expect(host.ran.filter((k) => k === "timer")).toHaveLength(2);
    expect(host.timers).toEqual([]);
  });
});

describe("BrowserEventLoop's lifetime and options", () => {
  it("releases its message port when the run ends, and when it closes", async () => {
    host.install();
    const loop = new asyncio.BrowserEventLoop();
    await host.drive(loop.runUntilComplete(asyncio.sleep(0)));
    expect(host.closedPorts).toEqual([1]);
    await host.drive(loop.runUntilComplete(asyncio.sleep(0)));
    expect(host.closedPorts).toEqual([1, 2]);
    loop.close();
    expect(host.queue).toEqual([]);
    expect(host.timers).toEqual([]);
  });

  it("stop() from a callback ends the run with nothing left armed", async () => {
    host.install();
    const loop = new asyncio.BrowserEventLoop();
    loop.callLater(30, () => {});
    loop.callSoon(() => loop.stop());
    await host.drive(loop.runForever());
    expect(host.timers).toEqual([]);
    loop.close();
  });

  it("refuses a bad 'tick' or 'options', naming the value", () => {
    host.install();
    expect(() => new asyncio.BrowserEventLoop({ tick: "setTimeout" as never })).toThrow(
      new TypeError(
        `BrowserEventLoop(): 'tick' must be "postTask" or "messageChannel": received "setTimeout"`,
      ),
    );
    expect(() => new asyncio.BrowserEventLoop(null as never)).toThrow(
      /BrowserEventLoop\(\): 'options' must be an object: received null/,
    );
  });

  it("says what the host lacks when it has neither mechanism", () => {
    host.install({ messageChannel: false });
    expect(() => new asyncio.BrowserEventLoop()).toThrow(
      new TypeError("BrowserEventLoop(): the host has no scheduler.postTask nor MessageChannel"),
    );
    expect(() => new asyncio.BrowserEventLoop({ tick: "postTask" })).toThrow(
      new TypeError("BrowserEventLoop(): the host has no scheduler.postTask"),
    );
  });

  it("has no I/O: an I/O method throws NotImplementedError naming the loop", () => {
    host.install();
    const loop = new asyncio.BrowserEventLoop();
    expect(() => loop.getaddrinfo("localhost", 80)).toThrow(
      /^BrowserEventLoop without I\/O: getaddrinfo\(\) needs an I\/O-capable loop/,
    );
    loop.close();
  });
});
