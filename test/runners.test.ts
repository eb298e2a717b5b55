import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

describe("run", () => {
  it("returns the main coroutine's result", async () => {
    function* main() {
      yield* asyncio.sleep(1);
      return 42;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe(42);
    expect(elapsed).toBe(1);
  });
});

type Co<T = unknown> = asyncio.Coroutine<T>;
const virtual = { loopFactory: () => new asyncio.VirtualEventLoop() };

describe("run: results, errors, cleanup", () => {
  it("rejects with the main coroutine's original error", async () => {
    const err = new TypeError("mine");
    function* main(): Co<never> {
      yield* asyncio.sleep(1);
      throw err;
    }
    await expect(asyncio.run(main(), virtual)).rejects.toBe(err);
  });

  it("rejects with CancelledError when the main task is cancelled", async () => {
    function* main(): Co<void> {
      (asyncio.currentTask() as asyncio.Task<unknown>).cancel("self");
      yield* asyncio.sleep(1);
    }
    const e = await asyncio.run(main(), virtual).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(asyncio.CancelledError);
    expect((e as Error).message).toBe("self");
  });

  it("cancels leftover tasks at the end; their finally runs and may await", async () => {
    const log: string[] = [];
    function* leftover(name: string): Co<void> {
      try {
        yield* asyncio.sleep(3600);
      } catch (e) {
        log.push(`${name} got ${(e as Error).name}`);
        throw e;
      } finally {
        yield* asyncio.sleep(1);
        log.push(`${name} finally done`);
      }
    }
    let loop: asyncio.BaseEventLoop | undefined;
    function* main() {
      loop = asyncio.getRunningLoop();
      asyncio.createTask(leftover("a"));
      asyncio.createTask(leftover("b"));
      yield* asyncio.sleep(2);
      log.push("main done");
      return "result";
    }
    const { result, elapsed, reports } = await runVirtual(main());
    expect(result).toBe("result");
    expect(reports).toEqual([]);
    expect(log).toEqual([
      "main done",
      "a got CancelledError",
      "b got CancelledError",
      "a finally done",
      "b finally done",
    ]);
    expect(elapsed).toBe(3);
    expect(loop?.isClosed()).toBe(true);
  });

  it("cleans up even when main fails", async () => {
    const log: string[] = [];
    function* leftover(): Co<void> {
      try {
        yield* asyncio.sleep(3600);
      } finally {
        log.push("leftover finally");
      }
    }
    function* main(): Co<never> {
      asyncio.createTask(leftover());
      yield* asyncio.sleep(1);
      throw new Error("main failed");
    }
    await expect(asyncio.run(main(), virtual)).rejects.toThrow("main failed");
    expect(log).toEqual(["leftover finally"]);
  });

  it("shuts down 1,000,000 pending tasks: every finally runs, main's result comes back", {
    timeout: 90_000,
  }, async () => {
    const n = 1_000_000;
    let cleanups = 0;
    function* sleeper(): Co<void> {
      try {
        yield* asyncio.sleep(3600);
      } finally {
        cleanups++;
      }
    }
    function* main(): Co<string> {
      for (let i = 0; i < n; i++) asyncio.createTask(sleeper());
      yield* asyncio.sleep(1);
      return "main result";
    }
    // runVirtual fails on any report, "Task was destroyed but it is pending!" included.
    const { result } = await runVirtual(main());
    expect([result, cleanups]).toEqual(["main result", n]);
  });

  it("run() inside a running loop → RuntimeError; a non-awaitable → TypeError", async () => {
    function* main() {
      const p = asyncio.run(asyncio.sleep(0));
      return yield* asyncio.fromPromise(
        p.then(
          () => "ok",
          (e: Error) => e.message,
        ),
      );
    }
    expect((await runVirtual(main())).result).toBe(
      "asyncio.run() cannot be called from a running event loop",
    );
    await expect(asyncio.run(null as never)).rejects.toThrow(
      new TypeError("run(): an awaitable is required: received null"),
    );
  });
});

describe("run: options", () => {
  it("loopFactory makes the loop; the default is a NodeEventLoop", async () => {
    let made: asyncio.BaseEventLoop | undefined;
    function* which() {
      return asyncio.getRunningLoop();
    }
    const loop = await asyncio.run(which(), {
      loopFactory: () => {
        made = new asyncio.VirtualEventLoop();
        return made;
      },
    });
    expect(loop).toBe(made);
    expect(loop.isClosed()).toBe(true);
    const dflt = await asyncio.run(which());
    expect(dflt).toBeInstanceOf(asyncio.NodeEventLoop);
    expect(() => new asyncio.Runner({ loopFactory: 5 as never })).toThrow(
      new TypeError("Runner(): 'loopFactory' must be a function returning a loop: received 5"),
    );
  });

  it("debug: true turns the loop's debug mode on", async () => {
    function* debugOn() {
      return asyncio.getRunningLoop().getDebug();
    }
    expect(await asyncio.run(debugOn(), { ...virtual, debug: true })).toBe(true);
    expect(await asyncio.run(debugOn(), { ...virtual, debug: false })).toBe(false);
  });
});

describe("Runner", () => {
  it("reuses one loop across runs; tasks left by one run go on in the next", async () => {
    const runner = new asyncio.Runner(virtual);
    const loop = runner.getLoop();
    let background: asyncio.Task<string> | undefined;
    function* first() {
      background = asyncio.createTask(asyncio.sleep(5, "background"));
      yield* asyncio.sleep(1);
      return asyncio.getRunningLoop();
    }
    function* second() {
      yield* asyncio.sleep(10);
      return asyncio.getRunningLoop();
    }
    expect(await runner.run(first())).toBe(loop);
    expect(background?.done()).toBe(false);
    expect(await runner.run(second())).toBe(loop);
    expect(background?.result()).toBe("background");
    expect(loop.time()).toBe(11);
    await runner.close();
    expect(loop.isClosed()).toBe(true);
  });

  it('"Runner is closed" after close(); close() is idempotent', async () => {
    const runner = new asyncio.Runner(virtual);
    await runner.run(asyncio.sleep(0));
    await runner.close();
    await runner.close();
    await expect(runner.run(asyncio.sleep(0))).rejects.toThrow(
      new asyncio.RuntimeError("Runner is closed"),
    );
    expect(() => runner.getLoop()).toThrow(new asyncio.RuntimeError("Runner is closed"));
    const never = new asyncio.Runner(virtual);
    await never.close();
    expect(() => never.getLoop()).toThrow("Runner is closed");
  });

  it("shares one context across runs (a ContextVar set in one run is seen by the next)", async () => {
    const v = new asyncio.ContextVar<string>("v", { default: "unset" });
    const runner = new asyncio.Runner(virtual);
    function* set() {
      v.set("from run 1");
      yield* asyncio.sleep(0);
    }
    function* get() {
      yield* asyncio.sleep(0);
      return v.get();
    }
    await runner.run(set());
    expect(await runner.run(get())).toBe("from run 1");
    // An explicit context is used as is.
    const ctx = asyncio.copyContext();
    await runner.run(
      (function* () {
        v.set("in ctx");
      })(),
      { context: ctx },
    );
    expect(ctx.get(v)).toBe("in ctx");
    expect(await runner.run(get())).toBe("from run 1");
    await runner.close();
    // The caller's own context is untouched (CPython prints 'unset').
    expect(v.get()).toBe("unset");
  });

  it("Runner.run() inside a running loop → RuntimeError", async () => {
    const runner = new asyncio.Runner(virtual);
    function* main() {
      const p = runner.run(asyncio.sleep(0));
      return yield* asyncio.fromPromise(
        p.then(
          () => "ok",
          (e: Error) => e.message,
        ),
      );
    }
    expect((await runVirtual(main())).result).toBe(
      "Runner.run() cannot be called from a running event loop",
    );
    await runner.close();
  });
});

describe("getEventLoop / setEventLoop / newEventLoop (3.14 rules)", () => {
  it("getEventLoop() returns the running loop inside a loop", async () => {
    function* main() {
      return asyncio.getEventLoop() === asyncio.getRunningLoop();
    }
    expect((await runVirtual(main())).result).toBe(true);
  });

  it("outside a loop it returns the loop set with setEventLoop, else RuntimeError (never creates one)", () => {
    expect(() => asyncio.getEventLoop()).toThrow(
      new asyncio.RuntimeError("There is no current event loop"),
    );
    const loop = asyncio.newEventLoop();
    try {
      asyncio.setEventLoop(loop);
      expect(asyncio.getEventLoop()).toBe(loop);
    } finally {
      asyncio.setEventLoop(null);
      loop.close();
    }
    expect(() => asyncio.getEventLoop()).toThrow(asyncio.RuntimeError);
    expect(() => asyncio.setEventLoop(5 as never)).toThrow(
      new TypeError("setEventLoop(): 'loop' must be an event loop or null: received 5"),
    );
  });

  it("newEventLoop() makes a new NodeEventLoop each time, not running and not set as current", () => {
    const a = asyncio.newEventLoop();
    const b = asyncio.newEventLoop();
    expect(a).toBeInstanceOf(asyncio.NodeEventLoop);
    expect(a).not.toBe(b);
    expect(a.isRunning()).toBe(false);
    expect(a.isClosed()).toBe(false);
    expect(() => asyncio.getEventLoop()).toThrow(asyncio.RuntimeError);
    a.close();
    b.close();
  });
});

// The children compile the sources through tsx: on a loaded machine that takes long, so the
// limits only catch a hang, never a slow start.
describe("Ctrl-C (SIGINT) in run()", { timeout: 180_000 }, () => {
  const root = resolve(import.meta.dirname, "..");
  const indexUrl = pathToFileURL(join(root, "src/index.ts")).href;

  /** Runs a child, sends it SIGINT once it printed "ready", and collects its output. */
  function runInterrupted(source: string): Promise<{ code: number | null; stdout: string }> {
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-sigint-"));
    const file = join(dir, "child.mts");
    writeFileSync(file, source.replaceAll("ASYNCIO", JSON.stringify(indexUrl)));
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: root });
      let stdout = "";
      let sent = false;
      const killer = setTimeout(() => child.kill("SIGKILL"), 150_000);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        if (!sent && stdout.includes("ready")) {
          sent = true;
          child.kill("SIGINT");
        }
      });
      child.on("error", fail);
      child.on("close", (code) => {
        clearTimeout(killer);
        rmSync(dir, { recursive: true, force: true });
        done({ code, stdout });
      });
    });
  }

  it("the first Ctrl-C cancels the main task (its cleanup runs); run() rejects with KeyboardInterrupt", async () => {
    const r = await runInterrupted(`
      import * as asyncio from ASYNCIO;
      function* main() {
        try {
          console.log("ready");
          yield* asyncio.sleep(30);
        } finally {
          yield* asyncio.sleep(0.01);
          console.log("cleanup ran");
        }
      }
      try {
        await asyncio.run(main());
      } catch (e) {
        console.log(e instanceof asyncio.KeyboardInterrupt ? "KeyboardInterrupt" : String(e));
      }
    `);
    expect(r.stdout).toBe("ready\ncleanup ran\nKeyboardInterrupt\n");
    expect(r.code).toBe(0);
  });

  it("a main task that handles the cancellation returns normally", async () => {
    const r = await runInterrupted(`
      import * as asyncio from ASYNCIO;
      function* main() {
        try {
          console.log("ready");
          yield* asyncio.sleep(30);
          return "slept";
        } catch (e) {
          if (!(e instanceof asyncio.CancelledError)) throw e;
          asyncio.currentTask().uncancel();
          return "handled";
        }
      }
      console.log(await asyncio.run(main()));
    `);
    expect(r.stdout).toBe("ready\nhandled\n");
    expect(r.code).toBe(0);
  });
});
