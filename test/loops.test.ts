/**
 * The two loops: VirtualEventLoop (autojump virtual time, deterministic, holds still while
 * a bridged promise is pending) and NodeEventLoop (the process exits when the loop is done,
 * I/O is served between batches), and the rules for running loops.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

type Co<T = unknown> = asyncio.Coroutine<T>;

describe("VirtualEventLoop", () => {
  it("sleep(3600) returns at once with loop.time() advanced by exactly 3600", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t0 = loop.time();
      yield* asyncio.sleep(3600);
      return loop.time() - t0;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe(3600);
    expect(elapsed).toBe(3600);
  });

  it("starts at the time given; a bad start → TypeError", async () => {
    const loop = new asyncio.VirtualEventLoop({ start: 100 });
    expect(loop.time()).toBe(100);
    await loop.runUntilComplete(asyncio.sleep(5));
    expect(loop.time()).toBe(105);
    loop.close();
    expect(() => new asyncio.VirtualEventLoop({ start: Number.NaN })).toThrow(
      new TypeError("VirtualEventLoop(): 'start' must be a finite number: received NaN"),
    );
  });

  it("a seeded scenario gives the same trace on every run", async () => {
    function scenario(seed: number): Co<string[]> {
      // A small LCG: the only source of randomness.
      let state = seed;
      const random = (): number => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return state / 2 ** 31;
      };
      const trace: string[] = [];
      function* worker(name: string): Co<void> {
        for (let i = 0; i < 5; i++) {
          const d = Math.round(random() * 100) / 10;
          yield* asyncio.sleep(d);
          trace.push(`${asyncio.getRunningLoop().time().toFixed(1)} ${name}#${i}`);
          if (random() < 0.3) yield* asyncio.sleep(0);
        }
      }
      return (function* () {
        yield* asyncio.gather(worker("a"), worker("b"), worker("c"));
        return trace;
      })();
    }
    const first = await runVirtual(scenario(42));
    const second = await runVirtual(scenario(42));
    const other = await runVirtual(scenario(7));
    expect(first.result).toHaveLength(15);
    expect(second.result).toEqual(first.result);
    expect(second.elapsed).toBe(first.elapsed);
    expect(other.result).not.toEqual(first.result);
  });

  it("the clock does not jump while a fromPromise-bridged promise is pending", async () => {
    const log: string[] = [];
    function* sleeper() {
      yield* asyncio.sleep(10);
      log.push(`sleeper woke at ${asyncio.getRunningLoop().time()}`);
    }
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t = asyncio.createTask(sleeper());
      yield* asyncio.sleep(0);
      // Real outside work: 30 ms of Node time, during which the virtual clock holds still.
      const v = yield* asyncio.fromPromise(
        new Promise<string>((r) => setTimeout(() => r("outside"), 30)),
      );
      log.push(`${v} done at ${loop.time()}`);
      yield* t;
    }
    const { elapsed } = await runVirtual(main());
    expect(log).toEqual(["outside done at 0", "sleeper woke at 10"]);
    expect(elapsed).toBe(10);
  });

  it("a cancelled bridge stops holding the clock", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const never = new Promise<never>(() => {});
      const t = asyncio.createTask(
        (function* () {
          return yield* asyncio.fromPromise(never);
        })(),
      );
      yield* asyncio.sleep(0);
      const pendingBefore = loop._externalPending;
      t.cancel();
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      const pendingAfter = loop._externalPending;
      yield* asyncio.sleep(5);
      return [pendingBefore, pendingAfter, t.cancelled(), loop.time()];
    }
    expect((await runVirtual(main())).result).toEqual([1, 0, true, 5]);
  });

  it("outside work that never answers does not freeze virtual time (the patience)", async () => {
    // A promise nobody settles: the clock holds still for the patience (0.1 s of real
    // time), then jumps anyway, and the timeout fires at exactly its virtual deadline.
    const never = new Promise<string>(() => {});
    function* main() {
      const loop = asyncio.getRunningLoop();
      try {
        yield* asyncio.waitFor(asyncio.fromPromise(never), 5);
        return "answered";
      } catch (e) {
        return [e instanceof asyncio.TimeoutError, loop.time()];
      }
    }
    expect((await runVirtual(main())).result).toEqual([true, 5]);
  });

  it("a patience of 0 jumps the clock at once, past outside work that never answers", async () => {
    const never = new Promise<string>(() => {});
    const { result } = await asyncio.run(
      (function* () {
        const loop = asyncio.getRunningLoop();
        try {
          yield* asyncio.waitFor(asyncio.fromPromise(never), 5);
          return { result: "answered" };
        } catch (e) {
          return { result: [e instanceof asyncio.TimeoutError, loop.time()] };
        }
      })(),
      { loopFactory: () => new asyncio.VirtualEventLoop({ outsideWorkPatience: 0 }) },
    );
    expect(result).toEqual([true, 5]);
  });

  it("outside work that answers within the patience still wins over a later timer", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const quick = new Promise<string>((resolve) => setImmediate(resolve, "quick"));
      const v = yield* asyncio.waitFor(asyncio.fromPromise(quick), 5);
      return [v, loop.time()];
    }
    expect((await runVirtual(main())).result).toEqual(["quick", 0]);
  });

  it("outsideWorkPatience must be a number of seconds >= 0", () => {
    expect(() => new asyncio.VirtualEventLoop({ outsideWorkPatience: -1 })).toThrow(
      "VirtualEventLoop(): 'outsideWorkPatience' must be a number of seconds >= 0: received -1",
    );
    expect(() => new asyncio.VirtualEventLoop({ outsideWorkPatience: Infinity })).not.toThrow();
  });

  it("advance() moves the clock by hand; due timers run at the next iteration", async () => {
    const log: string[] = [];
    function* main() {
      const loop = asyncio.getRunningLoop() as asyncio.VirtualEventLoop;
      loop.callLater(3, () => log.push(`timer at ${loop.time()}`));
      loop.advance(5);
      log.push(`advanced to ${loop.time()}`);
      yield* asyncio.sleep(0);
      log.push("main");
      yield* asyncio.sleep(0);
      expect(() => loop.advance(-1)).toThrow(
        new RangeError("advance(): 'seconds' must be a number >= 0: received -1"),
      );
      expect(() => loop.advance(Number.NaN)).toThrow(RangeError);
      return loop.time();
    }
    expect((await runVirtual(main())).result).toBe(5);
    expect(log).toEqual(["advanced to 5", "main", "timer at 5"]);
  });

  it("advance() on a loop that is not running", async () => {
    const loop = new asyncio.VirtualEventLoop();
    const log: number[] = [];
    loop.callLater(2, () => log.push(loop.time()));
    loop.advance(3);
    expect(loop.time()).toBe(3);
    loop.stop();
    await loop.runForever();
    expect(log).toEqual([3]);
    loop.close();
  });
});

// Child processes compile the sources through tsx: on a loaded machine that takes long, so
// their limit only catches a hang, never a slow start.
describe("NodeEventLoop", { timeout: 180_000 }, () => {
  const root = resolve(import.meta.dirname, "..");
  const indexUrl = pathToFileURL(join(root, "src/index.ts")).href;

  function runChild(source: string): { status: number | null; stdout: string; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-loop-"));
    try {
      const file = join(dir, "child.mts");
      writeFileSync(file, source.replaceAll("ASYNCIO", JSON.stringify(indexUrl)));
      const r = spawnSync(process.execPath, ["--import", "tsx", file], {
        cwd: root,
        encoding: "utf8",
        timeout: 150_000,
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("the process exits with 0 once asyncio.run() is done (no hang)", () => {
    const r = runChild(`
      import * as asyncio from ASYNCIO;
      function* main() {
        yield* asyncio.sleep(0.05);
        asyncio.createTask(asyncio.sleep(3600)); // left pending: cancelled by run()
        return "done";
      }
      console.log(await asyncio.run(main()));
    `);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("done\n");
    expect(r.status).toBe(0);
  });

  it("a loop that is not running holds no Node handle: the process exits", () => {
    const r = runChild(`
      import * as asyncio from ASYNCIO;
      const loop = asyncio.newEventLoop();
      loop.callLater(3600, () => console.log("never"));
      loop.callSoon(() => console.log("never either"));
      console.log(loop.isRunning());
    `);
    expect(r.stdout).toBe("false\n");
    expect(r.status).toBe(0);
  });

  it("a long CPU-bound chain of sleep(0) still lets setImmediate and I/O callbacks run between batches", async () => {
    const seen: Record<string, number> = {};
    let steps = 0;
    function* main() {
      setImmediate(() => {
        seen.immediate ??= steps;
      });
      setTimeout(() => {
        seen.timeout ??= steps;
      }, 0);
      void import("node:fs/promises").then((fs) =>
        fs.stat(import.meta.filename).then(() => {
          seen.io ??= steps;
        }),
      );
      const deadline = performance.now() + 300;
      while (performance.now() < deadline || Object.keys(seen).length < 3) {
        yield* asyncio.sleep(0);
        steps++;
      }
      return steps;
    }
    const total = await asyncio.run(main());
    expect(Object.keys(seen).sort()).toEqual(["immediate", "io", "timeout"]);
    for (const at of Object.values(seen)) expect(at).toBeLessThan(total);
  });

  it("a callback from Node (outside the loop's tick) wakes the loop: callSoon and setResult", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<string>();
      const log: string[] = [];
      setTimeout(() => {
        loop.callSoon(() => log.push("callSoon from Node"));
        fut.setResult("set from Node");
      }, 5);
      log.push(yield* fut);
      yield* asyncio.sleep(0);
      return log;
    }
    expect(await asyncio.run(main())).toEqual(["callSoon from Node", "set from Node"]);
  });

  it("time() is monotonic seconds and callLater fires in order", async () => {
    const log: string[] = [];
    function* main() {
      const loop = asyncio.getRunningLoop();
      const t0 = loop.time();
      const fut = loop.createFuture<void>();
      loop.callLater(0.02, () => log.push("b"));
      loop.callLater(0.01, () => log.push("a"));
      loop.callLater(0.03, () => fut.setResult(undefined));
      yield* fut;
      return loop.time() - t0;
    }
    const dt = await asyncio.run(main());
    expect(log).toEqual(["a", "b"]);
    expect(dt).toBeGreaterThanOrEqual(0.029);
  });
});

describe("running loops", () => {
  // The tick runs as a microtask queued by the host's wake-up, where a V8 throw is about
  // three times cheaper (see BaseEventLoop._tickSoon). The observable trace: a microtask
  // queued by a callback runs in the same microtask drain, before a process.nextTick
  // queued next to it (which Node only runs once the drain is over).
  it.each([
    ["NodeEventLoop", () => new asyncio.NodeEventLoop()],
    ["VirtualEventLoop", () => new asyncio.VirtualEventLoop()],
  ] as const)("%s runs each tick inside a microtask", async (_name, loopFactory) => {
    const order: string[] = [];
    function* main() {
      yield* asyncio.sleep(0); // a tick started by a host wake-up, not by run() itself
      process.nextTick(() => order.push("nextTick"));
      queueMicrotask(() => order.push("microtask"));
      yield* asyncio.sleep(0.001);
    }
    await asyncio.run(main(), { loopFactory });
    expect(order).toEqual(["microtask", "nextTick"]);
  });

  it("run() inside a running loop → RuntimeError, and the coroutine is closed", async () => {
    const log: string[] = [];
    function* inner() {
      try {
        log.push("inner started");
        yield* asyncio.sleep(0);
      } finally {
        log.push("inner finally");
      }
    }
    function* main() {
      const coro = inner();
      const e = (yield* asyncio.fromPromise(
        asyncio.run(coro).then(
          () => null,
          (x: unknown) => x,
        ),
      )) as Error;
      return [e instanceof asyncio.RuntimeError, e.message, coro.next().done];
    }
    expect((await runVirtual(main())).result).toEqual([
      true,
      "asyncio.run() cannot be called from a running event loop",
      true,
    ]);
    expect(log).toEqual([]);
  });

  it("a second concurrent run() → RuntimeError while the first runs", async () => {
    function* slow() {
      yield* asyncio.sleep(0.01);
      return "first";
    }
    const first = asyncio.run(slow());
    const second = asyncio.run(asyncio.sleep(0, "second"));
    await expect(second).rejects.toThrow(
      new asyncio.RuntimeError("asyncio.run() cannot be called from a running event loop"),
    );
    await expect(first).resolves.toBe("first");
  });

  it("getRunningLoop() outside a loop → RuntimeError 'no running event loop'", () => {
    expect(() => asyncio.getRunningLoop()).toThrow(
      new asyncio.RuntimeError("no running event loop"),
    );
  });
});
