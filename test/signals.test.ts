import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { hasSignalHandler } from "../src/io/signals.js";
import { runVirtual } from "./helpers.js";

const ctxVar = new asyncio.ContextVar<string>("signals-test", { default: "unset" });

describe("loop.addSignalHandler", () => {
  it("runs the callback on the loop with its arguments, in the context of registration", async () => {
    const { result } = await runVirtual(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const got = loop.createFuture<[string, number, string, boolean]>();
        ctxVar.set("registered");
        loop.addSignalHandler(
          "SIGUSR2",
          (label: string, n: number) => {
            got.setResult([label, n, ctxVar.get(), asyncio.getRunningLoop() === loop]);
          },
          "usr2",
          7,
        );
        ctxVar.set("changed later");
        process.kill(process.pid, "SIGUSR2");
        const r = yield* got;
        expect(loop.removeSignalHandler("SIGUSR2")).toBe(true);
        return r;
      })(),
    );
    expect(result).toEqual(["usr2", 7, "registered", true]);
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("replaces the previous handler instead of chaining", async () => {
    const { result } = await runVirtual(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const calls: string[] = [];
        const got = loop.createFuture<void>();
        loop.addSignalHandler("SIGUSR2", () => calls.push("first"));
        loop.addSignalHandler(process.platform === "linux" ? 12 : "SIGUSR2", () => {
          calls.push("second");
          got.setResult(undefined);
        });
        expect(process.listenerCount("SIGUSR2")).toBe(1);
        process.kill(process.pid, "SIGUSR2");
        yield* got;
        loop.removeSignalHandler("SIGUSR2");
        return calls;
      })(),
    );
    expect(result).toEqual(["second"]);
  });

  it("reports an error thrown by the callback to the exception handler", async () => {
    const { reports } = await runVirtual(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const got = loop.createFuture<void>();
        loop.addSignalHandler("SIGUSR2", () => {
          loop.callSoon(() => got.setResult(undefined));
          throw new Error("handler failed");
        });
        process.kill(process.pid, "SIGUSR2");
        yield* got;
        loop.removeSignalHandler("SIGUSR2");
      })(),
      { allowReports: true },
    );
    expect(reports.map((r) => (r.exception as Error).message)).toEqual(["handler failed"]);
  });

  it("refuses coroutine functions, non-functions, unknown and uncatchable signals", async () => {
    await runVirtual(
      (function* () {
        const loop = asyncio.getRunningLoop();
        expect(() => loop.addSignalHandler("SIGUSR2", function* () {})).toThrow(
          /coroutines cannot be used/,
        );
        expect(() => loop.addSignalHandler("SIGUSR2", async () => {})).toThrow(TypeError);
        expect(() => loop.addSignalHandler("SIGUSR2", "nope" as never)).toThrow(/'callback'/);
        expect(() => loop.addSignalHandler("SIGNOPE" as never, () => {})).toThrow(RangeError);
        expect(() => loop.addSignalHandler(999, () => {})).toThrow(RangeError);
        expect(() => loop.addSignalHandler({} as never, () => {})).toThrow(TypeError);
        expect(() => loop.addSignalHandler("SIGKILL", () => {})).toThrow(asyncio.RuntimeError);
        expect(process.listenerCount("SIGUSR2")).toBe(0);
      })(),
    );
  });

  it("removeSignalHandler returns false when there is nothing to remove", async () => {
    await runVirtual(
      (function* () {
        const loop = asyncio.getRunningLoop();
        expect(loop.removeSignalHandler("SIGUSR2")).toBe(false);
        expect(hasSignalHandler(loop, "SIGUSR2")).toBe(false);
        loop.addSignalHandler("SIGUSR2", () => {});
        expect(hasSignalHandler(loop, "SIGUSR2")).toBe(true);
        expect(loop.removeSignalHandler("SIGUSR2")).toBe(true);
        expect(loop.removeSignalHandler("SIGUSR2")).toBe(false);
        expect(() => loop.removeSignalHandler("SIGNOPE" as never)).toThrow(RangeError);
      })(),
    );
  });

  it("closing the loop removes its handlers, giving the signal back to Node", async () => {
    await runVirtual(
      (function* () {
        asyncio.getRunningLoop().addSignalHandler("SIGUSR2", () => {});
        expect(process.listenerCount("SIGUSR2")).toBe(1);
      })(),
    );
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("a handler can cancel the main task, whose cleanup then runs", async () => {
    const log: string[] = [];
    const main = (function* () {
      const loop = asyncio.getRunningLoop();
      const task = asyncio.currentTask() as asyncio.Task<unknown>;
      loop.addSignalHandler("SIGUSR2", () => task.cancel("SIGUSR2"));
      try {
        process.kill(process.pid, "SIGUSR2");
        yield* loop.createFuture<void>();
      } finally {
        log.push("cleanup");
      }
    })();
    await expect(runVirtual(main)).rejects.toBeInstanceOf(asyncio.CancelledError);
    expect(log).toEqual(["cleanup"]);
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("holds Node's process, on a running Node loop, while a handler can wake it", async () => {
    // Node counts a referenced timer as pending work, and a signal listener not at all.
    const held = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const counts = await asyncio.run(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const before = held();
        loop.addSignalHandler("SIGUSR2", () => {});
        loop.addSignalHandler("SIGUSR1", () => {});
        loop.addSignalHandler("SIGUSR2", () => {}); // a replacement adds nothing
        const withHandlers = held();
        loop.removeSignalHandler("SIGUSR2");
        const withOne = held();
        loop.removeSignalHandler("SIGUSR1");
        return [withHandlers - before, withOne - before, held() - before];
      })(),
    );
    expect(counts).toEqual([1, 1, 0]);
    expect(process.listenerCount("SIGUSR1") + process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("releases the process when the loop stops with a handler still installed", async () => {
    const runner = new asyncio.Runner();
    // The loop's own keep-alive timer, not a count of the process's timers: other timers
    // (the test runner's) come and go on a loaded machine.
    const keepAlive = () => {
      const t = (runner.getLoop() as unknown as { _keepAlive: NodeJS.Timeout | null })._keepAlive;
      return t === null ? "none" : t.hasRef() ? "referenced" : "unreferenced";
    };
    let whileRunning = "";
    try {
      await runner.run(
        (function* () {
          asyncio.getRunningLoop().addSignalHandler("SIGUSR2", () => {});
          whileRunning = keepAlive();
        })(),
      );
      expect([whileRunning, keepAlive()]).toEqual(["referenced", "none"]);
      expect(process.listenerCount("SIGUSR2")).toBe(1);
    } finally {
      await runner.close();
    }
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });
});
