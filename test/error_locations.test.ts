/**
 * Errors that point at the user's line: the bad-`yield` error's stack is the coroutine's
 * own frame (file, line, column of the `yield`), the deadlock report says where each
 * stuck task waits, and V8's "is not iterable" for `yield* promise` names `fromPromise`.
 *
 * In-process tests check the frame's function and file (vitest's transform shifts lines);
 * the exact line is checked as a user sees it, in a child process run through tsx.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { _setCoroutineLocator } from "../src/core/coroutines.js";
import { locateCoroutine } from "../src/debug/locate.js";
import * as asyncio from "../src/index.js";

const HERE = fileURLToPath(import.meta.url);

function runVirtual<T>(coro: asyncio.Coroutine<T>): Promise<T> {
  return asyncio.run(coro, { loopFactory: () => new asyncio.VirtualEventLoop() });
}

describe("the bad-yield error", () => {
  it("has the coroutine's own yield as its stack, not the scheduler's frames", async () => {
    function* userCoroutine() {
      yield asyncio.sleep(1);
    }
    const e = (await runVirtual(userCoroutine() as never).catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toContain("write 'yield* asyncio.sleep(…)'");
    const lines = (e.stack ?? "").split("\n");
    expect(lines[0]).toBe(`TypeError: ${e.message}`);
    expect(lines[1]).toMatch(/^ {4}at userCoroutine \(.+:\d+:\d+\)$/);
    expect(lines[1]).toContain(HERE);
    expect(e.stack).not.toContain("_drive");
  });

  it("points at the yield of a Future, and the coroutine can still catch it there", async () => {
    let caught: Error | undefined;
    function* futureYielder() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      try {
        yield fut;
      } catch (e) {
        caught = e as Error;
      }
    }
    await runVirtual(futureYielder() as never);
    expect(caught?.message).toMatch(/yield was used instead of yield\*/);
    expect(caught?.stack?.split("\n")[1]).toMatch(/^ {4}at futureYielder \(/);
  });

  it("names the innermost coroutine() frame", async () => {
    const inner = asyncio.coroutine(function* markedInner(): asyncio.Coroutine<void> {
      yield 42 as never;
    });
    function* outer(): asyncio.Coroutine<void> {
      yield* inner();
    }
    const e = (await runVirtual(outer()).catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/Task got bad yield: 42/);
    expect(e.stack?.split("\n")[1]).toMatch(/^ {4}at markedInner \(/);
  });

  it("keeps the scheduler's stack when no locator is installed", async () => {
    _setCoroutineLocator(null);
    try {
      function* plain() {
        yield asyncio.sleep(1);
      }
      const e = (await runVirtual(plain() as never).catch((x: unknown) => x)) as Error;
      expect(e.message).toContain("yield was used instead of yield*");
      expect(e.stack).not.toMatch(/at plain \(/);
    } finally {
      _setCoroutineLocator(locateCoroutine);
    }
  });

  it("is replaced by CancelledError when the task is cancelled before it is thrown in", async () => {
    function* slip() {
      yield asyncio.sleep(1);
    }
    function* main(): asyncio.Coroutine<boolean> {
      const t = asyncio.createTask(slip() as never);
      yield* asyncio.sleep(0); // slip runs and makes its bad yield; the error is queued
      t.cancel();
      yield* asyncio.sleep(0);
      yield* asyncio.sleep(0);
      return t.cancelled();
    }
    expect(await runVirtual(main())).toBe(true);
  });
});

describe("yield* of a Promise", () => {
  it("says to use fromPromise, once, across trampolined frames", async () => {
    const inner = asyncio.coroutine(function* awaitsPromise() {
      // @ts-expect-error: a Promise is not iterable
      yield* Promise.resolve(1);
    });
    const middle = asyncio.coroutine(function* middle() {
      yield* inner();
    });
    const e = (await runVirtual(middle()).catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/is not iterable/);
    expect(e.message.match(/asyncio\.fromPromise\(promise\)/g)).toHaveLength(1);
    expect(e.stack?.split("\n")[0]).toBe(`TypeError: ${e.message}`);
  });

  it("leaves other TypeErrors alone", async () => {
    function* typo(): asyncio.Coroutine<void> {
      yield* asyncio.sleep(0);
      throw new TypeError("x is not a function");
    }
    const e = (await runVirtual(typo()).catch((x: unknown) => x)) as Error;
    expect(e.message).toBe("x is not a function");
  });
});

/** Runs a fixture through tsx as a user runs a script; resolves with its stderr. */
function runScript(name: string): Promise<{ code: number | null; stderr: string }> {
  const file = fileURLToPath(new URL(`./fixtures/slips/${name}`, import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", file], { timeout: 60_000 });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.resume();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("as a user sees them (tsx, source-mapped)", () => {
  it("the bad-yield error names the file, line and column of the yield", async () => {
    const file = fileURLToPath(new URL("./fixtures/slips/bad_yield.ts", import.meta.url));
    const { code, stderr } = await runScript("bad_yield.ts");
    expect(code).toBe(1);
    expect(stderr).toContain("TypeError: yield was used instead of yield* in task Task-1");
    expect(stderr).toContain(`    at main (${file}:5:3)`);
  }, 60_000);

  it("the deadlock report says where each frame of the stuck task waits", async () => {
    const file = fileURLToPath(new URL("./fixtures/slips/deadlock.ts", import.meta.url));
    const { code, stderr } = await runScript("deadlock.ts");
    expect(code).toBe(1);
    const report = stderr.slice(stderr.indexOf("DeadlockError:"));
    expect(report).toMatch(/<Task pending name='Task-1'/);
    const inner = report.indexOf(`at waitForever (${file}:5:3)`);
    const outer = report.indexOf(`at main (${file}:9:3)`);
    expect(inner).toBeGreaterThan(0);
    expect(outer).toBeGreaterThan(inner);
  }, 60_000);
});
