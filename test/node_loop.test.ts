import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";

const INDEX = resolve(import.meta.dirname, "../src/index.ts");
const ROOT = resolve(import.meta.dirname, "..");
// Each test starts a Node process with tsx, which can take seconds on a loaded machine.
// Deadlines only turn a hang into a failure.
vi.setConfig({ testTimeout: 120_000 });
const HANG_MS = 60_000;

/** Writes a small TypeScript program importing asyncio-ts from src; returns its path. */
function writeProgram(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-"));
  const file = join(dir, "program.mts");
  writeFileSync(file, `import * as asyncio from ${JSON.stringify(INDEX)};\n${body}\n`);
  return file;
}

/** Runs a small TypeScript program (importing asyncio-ts from src) in a fresh node. */
function runProgram(body: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", writeProgram(body)], {
    encoding: "utf8",
    timeout: HANG_MS,
    cwd: ROOT,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts a program and lets the test wait for lines of its output (no sleeps): for
 * programs that must be signalled while they run.
 */
function startProgram(body: string) {
  const child = spawn(process.execPath, ["--import", "tsx", writeProgram(body)], {
    cwd: ROOT,
    timeout: HANG_MS,
  });
  let stdout = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  const onData = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    onData();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    onData();
  });
  const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    /** Resolves once stdout contains `text`; rejects if the program exits first. */
    async stdoutHas(text: string): Promise<void> {
      let ended = false;
      void exited.then(() => {
        ended = true;
        onData();
      });
      while (!stdout.includes(text)) {
        if (ended) {
          throw new Error(`exited before printing ${JSON.stringify(text)}:\n${stdout}${stderr}`);
        }
        await new Promise<void>((wake) => waiters.push(wake));
      }
    },
  };
}

/** Prints, on stderr (one ordered stream with the loop's reports), that a finally ran. */
const STUCK_TASKS = `
  function* waiter() {
    try {
      yield* asyncio.getRunningLoop().createFuture();
    } finally {
      console.error("cleanup: stuck-waiter");
    }
  }
  function* main() {
    try {
      yield* asyncio.createTask(waiter(), { name: "stuck-waiter" });
    } finally {
      console.error("cleanup: main");
    }
  }
`;

const REPORT = "Event loop deadlock: nothing can wake the loop, with 2 task(s) pending:\n";
const ERROR = `DeadlockError: ${REPORT}  <Task pending name='Task-1'`;

describe("NodeEventLoop and the process", () => {
  it("lets the process exit as soon as the main coroutine is done", () => {
    const r = runProgram(`
      function* main() {
        yield* asyncio.sleep(0.01);
        return "done";
      }
      console.log(await asyncio.run(main()));
    `);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("done");
    expect(r.status).toBe(0);
  });
});

describe("a deadlock (nothing can ever wake the loop)", () => {
  it("is reported, the stuck tasks' cleanup runs, and an awaited run() rejects", () => {
    const r = runProgram(`${STUCK_TASKS}
      await asyncio.run(main());
    `);
    const report = r.stderr.indexOf(REPORT);
    const cleanup = r.stderr.indexOf("cleanup: stuck-waiter\ncleanup: main\n");
    const error = r.stderr.indexOf(ERROR);
    expect(report).toBeGreaterThanOrEqual(0);
    expect(r.stderr).toContain("* Task(name='stuck-waiter'");
    expect(cleanup).toBeGreaterThan(report);
    expect(error).toBeGreaterThan(cleanup);
    expect(r.stderr).toContain("\n  <Task pending name='stuck-waiter'");
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
  });

  it("ends the process with a failure when run() is not awaited", () => {
    const r = runProgram(`${STUCK_TASKS}
      void asyncio.run(main());
    `);
    const report = r.stderr.indexOf(REPORT);
    const cleanup = r.stderr.indexOf("cleanup: stuck-waiter\ncleanup: main\n");
    const error = r.stderr.indexOf(ERROR);
    expect(report).toBeGreaterThanOrEqual(0);
    expect(cleanup).toBeGreaterThan(report);
    expect(error).toBeGreaterThan(cleanup);
    expect(r.status).toBe(1);
  });

  it("rejects run() with a DeadlockError, a RuntimeError that names the stuck tasks", () => {
    const r = runProgram(`${STUCK_TASKS}
      asyncio.run(main()).catch((e) => {
        console.log(e instanceof asyncio.DeadlockError, e instanceof asyncio.RuntimeError, e.name);
        console.log(e.message);
        console.log("cause:", e.cause);
        process.exitCode = 3;
      });
    `);
    // Each stuck task is followed by where it waits: the program's own line.
    const at = (fn: string, line: number) =>
      new RegExp(`^ {6}at ${fn} \\(.*program\\.mts:${line}:\\d+\\)$`, "m");
    expect(r.stdout).toMatch(at("main", 12));
    expect(r.stdout).toMatch(at("waiter", 5));
    expect(r.stdout.replace(/^ {6}at .*\n/gm, "")).toBe(
      "true true DeadlockError\n" +
        REPORT +
        "  <Task pending name='Task-1' coro=<coroutine> wait_for=<Task pending name='stuck-waiter' coro=<coroutine> wait_for=<Future pending>>>\n" +
        "  <Task pending name='stuck-waiter' coro=<coroutine> wait_for=<Future pending>>\n" +
        "cause: undefined\n",
    );
    expect(r.stderr).toContain(REPORT);
    expect(r.stderr).toContain("cleanup: stuck-waiter\ncleanup: main\n");
    expect(r.status).toBe(3);
  });

  it("ends a cleanup that can never finish in the same way, instead of hanging", () => {
    const r = runProgram(`
      function* main() {
        const never = () => asyncio.getRunningLoop().createFuture();
        try {
          yield* never();
        } finally {
          console.error("cleanup starts");
          yield* never();
          console.error("cleanup ends");
        }
      }
      try {
        await asyncio.run(main());
      } catch (e) {
        console.log(e.name, e.message.split("\\n")[0]);
        console.log("cause:", e.cause.name, e.cause.message.split("\\n")[0]);
        process.exitCode = 4;
      }
    `);
    expect(r.stdout).toBe(
      "DeadlockError Event loop deadlock: nothing can wake the loop, with 1 task(s) pending " +
        "(1 of them cancelled, stuck in their cleanup):\n" +
        "cause: DeadlockError Event loop deadlock: nothing can wake the loop, with 1 task(s) pending:\n",
    );
    const first = r.stderr.indexOf(
      "Event loop deadlock: nothing can wake the loop, with 1 task(s) pending:",
    );
    const cleanup = r.stderr.indexOf("cleanup starts\n");
    const second = r.stderr.indexOf("stuck in their cleanup):");
    expect(first).toBeGreaterThanOrEqual(0);
    expect(cleanup).toBeGreaterThan(first);
    expect(second).toBeGreaterThan(cleanup);
    expect(r.stderr).not.toContain("cleanup ends");
    expect(r.stderr).toContain("Task was destroyed but it is pending!");
    expect(r.status).toBe(4);
  });
});

describe("a signal handler can wake the loop", () => {
  const WAIT_FOR_SIGUSR1 = `
    function* main() {
      const loop = asyncio.getRunningLoop();
      const stop = new asyncio.Event();
      loop.addSignalHandler("SIGUSR1", () => stop.set());
      console.log("ready");
      yield* stop.wait();
      return "woken by SIGUSR1";
    }
  `;

  it("keeps the process alive while the loop waits only for a signal", async () => {
    const p = startProgram(`${WAIT_FOR_SIGUSR1}
      console.log(await asyncio.run(main()));
    `);
    await p.stdoutHas("ready\n");
    p.child.kill("SIGUSR1");
    expect(await p.exited).toBe(0);
    expect(p.output()).toEqual({ stdout: "ready\nwoken by SIGUSR1\n", stderr: "" });
  });

  it("reports the deadlock again once the handler is removed", async () => {
    const p = startProgram(`
      function* main() {
        const loop = asyncio.getRunningLoop();
        const woken = new asyncio.Event();
        loop.addSignalHandler("SIGUSR1", () => woken.set());
        console.log("ready");
        yield* woken.wait();
        console.log("removed:", loop.removeSignalHandler("SIGUSR1"));
        try {
          yield* loop.createFuture();
        } finally {
          console.log("cleanup");
        }
      }
      try {
        await asyncio.run(main());
      } catch (e) {
        console.log(e.name);
        process.exitCode = 5;
      }
    `);
    await p.stdoutHas("ready\n");
    p.child.kill("SIGUSR1");
    expect(await p.exited).toBe(5);
    const { stdout, stderr } = p.output();
    expect(stdout).toBe("ready\nremoved: true\ncleanup\nDeadlockError\n");
    expect(stderr).toContain(
      "Event loop deadlock: nothing can wake the loop, with 1 task(s) pending:",
    );
  });

  it("holds the process only while its loop runs", () => {
    const r = runProgram(`
      const runner = new asyncio.Runner();
      const loop = runner.getLoop();
      loop.addSignalHandler("SIGUSR1", () => {});
      await runner.run((function* () { yield* asyncio.sleep(0); })());
      // The runner is left open, its handler installed: the loop is not running, so
      // nothing keeps the process alive.
      console.log("done");
    `);
    expect(r).toEqual({ status: 0, stdout: "done\n", stderr: "" });
  });
});
