/**
 * asyncio-ts/testing's end-of-test check of subprocesses and threads: a child whose exit
 * the test never collected, or a thread call whose function still runs, fails the test
 * with its name and the line that started it — and is killed or stopped, so that it can
 * neither outlive the test nor keep the test process waiting.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import type { Process } from "../src/io/subprocess.js";
import { LeakError, runTest, type TestOptions, withAsyncio } from "../src/testing/index.js";

const test = withAsyncio(it);
const NODE = process.execPath;
/** A child that runs until it is killed. */
const FOREVER = ["-e", "setInterval(() => {}, 1000)"] as const;

/** Runs `body` through the harness and returns what it rejected with. */
async function failure(
  body: () => asyncio.Coroutine<unknown>,
  options: TestOptions = {},
): Promise<Error> {
  try {
    await runTest(body, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error("the test passed, and it was meant to fail");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A thread function that blocks its worker until word 0 of `gate` is set (or it is terminated). */
function blockUntilOpened(gate: SharedArrayBuffer): string {
  Atomics.wait(new Int32Array(gate), 0, 0);
  return "opened";
}

function open(gate: SharedArrayBuffer): void {
  const flags = new Int32Array(gate);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
}

describe("subprocesses left behind", () => {
  it("a child still running at the end fails the test, naming it, its command and line; it is killed", async () => {
    let proc: Process | null = null;
    const e = await failure(function* () {
      proc = yield* asyncio.createSubprocessExec(NODE, ...FOREVER);
    });
    const p = proc as unknown as Process;
    expect(e).toBeInstanceOf(LeakError);
    const problems = (e as LeakError).problems;
    // One problem: the loop's own kill-at-close report does not come on top of it.
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^subprocess still running: <Process ${p.pid} running> \\S*node -e "setInterval\\(\\(\\) => \\{\\}, 1000\\)", started at \\S*testing_leaks\\.test\\.ts:\\d+:\\d+ \\(killed`,
      ),
    );
    expect(await p._exited).toBe(-9);
    expect(alive(p.pid)).toBe(false);
  });

  it("a child left running with its stdin a pipe is one problem: the pipe is part of it", async () => {
    const e = await failure(function* () {
      yield* asyncio.createSubprocessExec(NODE, ...FOREVER, {
        stdin: asyncio.PIPE,
        stdout: asyncio.PIPE,
      });
    });
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(/^subprocess still running: <Process \d+ running>/),
    ]);
  });

  test("a child with pipes, killed and waited for, leaves nothing open: its stdin closes as it finishes", function* () {
    const proc = yield* asyncio.createSubprocessExec(NODE, ...FOREVER, {
      stdin: asyncio.PIPE,
      stdout: asyncio.PIPE,
    });
    const stdin = proc.stdin as asyncio.StreamWriter;
    proc.kill();
    expect(yield* proc.wait()).toBe(-9);
    expect(stdin.isClosing()).toBe(true);
  });

  it("a child that exited but was never waited for fails the test", async () => {
    const e = await failure(function* () {
      const proc = yield* asyncio.createSubprocessShell("exit 3");
      // Seen to exit by the test's own means, but its exit never collected.
      yield* asyncio.fromPromise(proc._exited);
    });
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(
        /^subprocess never waited for: <Process \d+ returncode=3> \/bin\/sh -c "exit 3", started at \S*testing_leaks\.test\.ts:\d+:\d+ \(collect its exit with wait\(\) or communicate\(\)\)$/,
      ),
    ]);
  });

  test("wait(), communicate() and a non-null returncode each collect a child's exit", function* () {
    const waited = yield* asyncio.createSubprocessExec(NODE, ...FOREVER);
    waited.kill();
    expect(yield* waited.wait()).toBe(-9);

    const talked = yield* asyncio.createSubprocessExec(
      NODE,
      "-e",
      "process.stdin.pipe(process.stdout)",
      {
        stdin: asyncio.PIPE,
        stdout: asyncio.PIPE,
      },
    );
    const [out] = yield* talked.communicate("echo");
    expect(out?.toString()).toBe("echo");

    const polled = yield* asyncio.createSubprocessShell("exit 0");
    yield* asyncio.fromPromise(polled._exited);
    expect(polled.returncode).toBe(0);
  });

  it("cancelling wait() leaves the child running (as asyncio): a leak, and it is killed", async () => {
    let proc: Process | null = null;
    const e = await failure(function* () {
      const p = yield* asyncio.createSubprocessExec(NODE, ...FOREVER);
      proc = p;
      const waiting = asyncio.createTask(p.wait());
      yield* asyncio.sleep(0);
      waiting.cancel();
      try {
        yield* waiting;
      } catch (err) {
        if (!(err instanceof asyncio.CancelledError)) throw err;
      }
    });
    const p = proc as unknown as Process;
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(new RegExp(`^subprocess still running: <Process ${p.pid} running>`)),
    ]);
    expect(await p._exited).toBe(-9);
  });

  it("a failing test fails with its own error, and its child is still killed", async () => {
    let proc: Process | null = null;
    const e = await failure(function* () {
      proc = yield* asyncio.createSubprocessExec(NODE, ...FOREVER);
      throw new RangeError("the body's own failure");
    });
    expect(e).toBeInstanceOf(RangeError);
    expect(await (proc as unknown as Process)._exited).toBe(-9);
  });

  it("a test that times out waiting for its child fails with TimeoutError; the child is killed", async () => {
    let proc: Process | null = null;
    const e = await failure(
      function* () {
        const p = yield* asyncio.createSubprocessExec(NODE, ...FOREVER);
        proc = p;
        yield* p.wait();
      },
      { timeout: 5 },
    );
    expect(e).toBeInstanceOf(asyncio.TimeoutError);
    expect(e.message).toBe("the test timed out after 5 s of loop time (virtual)");
    expect(await (proc as unknown as Process)._exited).toBe(-9);
  });

  it("allowOpenResources accepts a child left running, and still kills it", async () => {
    let proc: Process | null = null;
    await runTest(
      function* () {
        proc = yield* asyncio.createSubprocessExec(NODE, ...FOREVER);
      },
      { allowOpenResources: true },
    );
    expect(await (proc as unknown as Process)._exited).toBe(-9);
  });
});

describe("threads left behind", () => {
  const pools: asyncio.ThreadPoolExecutor[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.shutdown())));
  function pool(n: number): asyncio.ThreadPoolExecutor {
    const p = new asyncio.ThreadPoolExecutor(n);
    pools.push(p);
    return p;
  }

  it("a call still running at the end fails the test, naming the function and line; its worker is terminated", async () => {
    const one = pool(1);
    const gate = new SharedArrayBuffer(4);
    const e = await failure(function* () {
      asyncio.getRunningLoop().runInExecutor(one, blockUntilOpened, gate);
    });
    expect(e).toBeInstanceOf(LeakError);
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(
        /^thread still running: <thread call blockUntilOpened\(\) running in ThreadPoolExecutor\(maxWorkers=1\)>, started at \S*testing_leaks\.test\.ts:\d+:\d+ \(its worker was terminated\)$/,
      ),
    ]);
    // The blocked worker is gone (the gate was never opened), and the pool works on.
    expect(one.workerCount).toBe(0);
    await expect(one.submit((a: number) => a + 1, 1).promise).resolves.toBe(2);
  });

  it("a call still queued behind it is reported as queued, and withdrawn", async () => {
    const one = pool(1);
    const gate = new SharedArrayBuffer(4);
    const ran = new SharedArrayBuffer(4);
    const e = await failure(function* () {
      const loop = asyncio.getRunningLoop();
      loop.runInExecutor(one, blockUntilOpened, gate);
      loop.runInExecutor(
        one,
        (flag: SharedArrayBuffer) => Atomics.store(new Int32Array(flag), 0, 1),
        ran,
      );
    });
    const problems = (e as LeakError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^thread still running: <thread call blockUntilOpened\(\) running/);
    expect(problems[1]).toMatch(
      /^thread call still queued: <thread call \(flag\) => Atomics\.store\(.*\.\.\. queued in ThreadPoolExecutor\(maxWorkers=1\)>, started at \S*testing_leaks\.test\.ts:\d+:\d+ \(withdrawn\)$/,
    );
    await expect(one.submit(() => "next").promise).resolves.toBe("next");
    expect(Atomics.load(new Int32Array(ran), 0)).toBe(0);
  });

  it("cancelling a toThread() call leaves its function running (as asyncio): a leak, stopped", async () => {
    const gate = new SharedArrayBuffer(4);
    let cancelled = false;
    const e = await failure(function* () {
      const call = asyncio.createTask(asyncio.toThread(blockUntilOpened, gate));
      yield* asyncio.sleep(0);
      call.cancel();
      try {
        yield* call;
      } catch (err) {
        cancelled = err instanceof asyncio.CancelledError;
      }
    });
    expect(cancelled).toBe(true);
    // On the default executor: had the worker not been terminated, run()'s shutdown of the
    // default executor would wait for it, and this test would never end.
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(
        /^thread still running: <thread call blockUntilOpened\(\) running in ThreadPoolExecutor\(maxWorkers=\d+\)>, started by Task-2 \(created at \S*testing_leaks\.test\.ts:\d+:\d+\) \(its worker was terminated\)$/,
      ),
    ]);
  });

  test("calls that returned or raised, and idle workers, are not left behind", function* () {
    const loop = asyncio.getRunningLoop();
    const own = new asyncio.ThreadPoolExecutor(1); // never shut down: its worker idles
    expect(yield* asyncio.toThread((a: number) => a * 2, 21)).toBe(42);
    expect(yield* loop.runInExecutor(own, () => "own")).toBe("own");
    let raised: unknown = null;
    try {
      yield* asyncio.toThread(() => {
        throw new RangeError("in the worker");
      });
    } catch (e) {
      raised = e;
    }
    expect(raised).toBeInstanceOf(RangeError);
    expect(own.workerCount).toBe(1);
    void own.shutdown(false);
  });

  test("a call whose awaiter was cancelled, then waited for by shutting its pool down, is not left behind", function* () {
    const one = pool(1);
    const gate = new SharedArrayBuffer(4);
    const fut = asyncio.getRunningLoop().runInExecutor(one, blockUntilOpened, gate);
    const call = asyncio.createTask(
      (function* () {
        return yield* fut;
      })(),
    );
    yield* asyncio.sleep(0);
    call.cancel();
    open(gate);
    yield* asyncio.fromPromise(one.shutdown());
    expect(call.cancelled()).toBe(true);
  });

  it("a failing test fails with its own error, and its thread is still stopped", async () => {
    const one = pool(1);
    const gate = new SharedArrayBuffer(4);
    const e = await failure(function* () {
      asyncio.getRunningLoop().runInExecutor(one, blockUntilOpened, gate);
      throw new RangeError("the body's own failure");
    });
    expect(e).toBeInstanceOf(RangeError);
    expect(one.workerCount).toBe(0);
  });

  it("allowOpenResources accepts a call left running, and still stops it", async () => {
    const one = pool(1);
    const gate = new SharedArrayBuffer(4);
    await runTest(
      function* () {
        asyncio.getRunningLoop().runInExecutor(one, blockUntilOpened, gate);
      },
      { allowOpenResources: true },
    );
    expect(one.workerCount).toBe(0);
  });

  it("a call on an executor that cannot stop it is reported, and left to the executor", async () => {
    let cancelCalls = 0;
    const never: asyncio.Executor = {
      submit: () => ({
        promise: new Promise<never>(() => {}),
        cancel: () => {
          cancelCalls++;
          return false;
        },
      }),
      shutdown: async () => {},
    };
    const e = await failure(function* () {
      asyncio.getRunningLoop().runInExecutor(never, function remote() {});
    });
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(
        /^thread still running: <thread call remote\(\) running in Object>, started at \S*testing_leaks\.test\.ts:\d+:\d+$/,
      ),
    ]);
    expect(cancelCalls).toBe(1);
  });
});
