/**
 * asyncio-ts/testing's coroutine tests: bodies on the virtual loop, leak checks that name
 * the task or resource and where it was made, fixtures whose teardown always runs,
 * timeouts in virtual and real seconds. The suite uses the harness for its own tests.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import {
  asyncioTest,
  type Fixture,
  fixture,
  LeakError,
  runTest,
  type Use,
  withAsyncio,
} from "../src/testing/index.js";

const test = withAsyncio(it);

function* never(): asyncio.Coroutine<void> {
  yield* asyncio.getRunningLoop().createFuture<void>();
}

/** Runs `body` through the harness and returns what it rejected with. */
async function failure(
  body: () => asyncio.Coroutine<unknown>,
  options: Parameters<typeof runTest>[1] = {},
): Promise<Error> {
  try {
    await runTest(body, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error("the test passed, and it was meant to fail");
}

describe("coroutine tests", () => {
  test("a body runs on the virtual loop: an hour passes at once", function* () {
    const loop = asyncio.getRunningLoop();
    expect(loop).toBeInstanceOf(asyncio.VirtualEventLoop);
    yield* asyncio.sleep(3600);
    expect(loop.time()).toBe(3600);
  });

  test("a test can opt into the real loop", { loop: "real" }, function* () {
    expect(asyncio.getRunningLoop()).toBeInstanceOf(asyncio.NodeEventLoop);
    yield* asyncio.sleep(0.001);
  });

  it("runTest resolves with the result and the virtual time the body took", async () => {
    const run = await runTest(function* () {
      yield* asyncio.sleep(90);
      return "done";
    });
    expect(run.result).toBe("done");
    expect(run.elapsed).toBe(90);
    expect(run.loop.isClosed()).toBe(true);
  });

  it("a failing body rejects with its own error", async () => {
    const boom = new Error("boom");
    expect(
      await failure(function* () {
        yield* asyncio.sleep(1);
        throw boom;
      }),
    ).toBe(boom);
  });

  it("a task left pending fails the test, naming it and the line that created it", async () => {
    const e = await failure(function* () {
      asyncio.createTask(never(), { name: "forgotten" });
      yield* asyncio.sleep(0);
    });
    expect(e).toBeInstanceOf(LeakError);
    expect((e as LeakError).problems).toHaveLength(1);
    expect(e.message).toMatch(/task still pending: <Task pending name='forgotten'/);
    expect(e.message).toMatch(/created at .*testing_harness\.test\.ts:\d+:\d+/);
  });

  it("the leftover task is cancelled, and its cleanup runs before the loop closes", async () => {
    const log: string[] = [];
    await failure(function* () {
      asyncio.createTask(
        (function* () {
          try {
            yield* never();
          } finally {
            yield* asyncio.sleep(1);
            log.push("cleaned up");
          }
        })(),
      );
      yield* asyncio.sleep(0);
    });
    expect(log).toEqual(["cleaned up"]);
  });

  it("allowPending accepts leftover tasks (and still cancels them)", async () => {
    let task: asyncio.Task<void> | null = null;
    await runTest(
      function* () {
        task = asyncio.createTask(never());
        yield* asyncio.sleep(0);
      },
      { allowPending: true },
    );
    expect((task as asyncio.Task<void> | null)?.cancelled()).toBe(true);
  });

  it("a task cancelled at the end of the body gets to finish: not a leak", async () => {
    await runTest(function* () {
      const t = asyncio.createTask(never());
      yield* asyncio.sleep(0);
      t.cancel();
    });
  });

  it("an exception nobody retrieved fails the test", async () => {
    const e = await failure(function* () {
      asyncio.createTask(
        (function* () {
          throw new Error("lost");
        })(),
        { name: "loser" },
      );
      yield* asyncio.sleep(1);
    });
    expect(e).toBeInstanceOf(LeakError);
    expect(e.message).toMatch(/Task exception was never retrieved: Error: lost/);
    expect(e.message).toMatch(/name='loser'.*created at .*testing_harness\.test\.ts/);
  });

  it("a callback that raised fails the test", async () => {
    const e = await failure(function* () {
      asyncio.getRunningLoop().callSoon(() => {
        throw new TypeError("bad callback");
      });
      yield* asyncio.sleep(0);
    });
    expect(e.message).toMatch(/Exception in callback.*TypeError: bad callback/s);
  });

  it("allowReports takes a predicate: expected reports pass, others fail", async () => {
    const run = await runTest(
      function* () {
        asyncio.getRunningLoop().callExceptionHandler({ message: "expected" });
      },
      { allowReports: (ctx) => ctx.message === "expected" },
    );
    expect(run.reports.map((r) => r.message)).toEqual(["expected"]);
    const e = await failure(
      function* () {
        asyncio.getRunningLoop().callExceptionHandler({ message: "surprise" });
      },
      { allowReports: (ctx) => ctx.message === "expected" },
    );
    expect(e.message).toMatch(/surprise/);
  });

  it("a server left open fails the test, naming where it was opened", async () => {
    const e = await failure(
      function* () {
        yield* asyncio.startServer(() => {}, "127.0.0.1", 0);
      },
      { loop: "real" },
    );
    expect(e).toBeInstanceOf(LeakError);
    expect(e.message).toMatch(/resource still open: <Server .*created at .*testing_harness/s);
  });

  it("a body that deadlocks fails with DeadlockError naming the stuck tasks", async () => {
    const e = await failure(
      function* () {
        const lock = new asyncio.Lock();
        yield* lock.acquire();
        yield* asyncio.gather(lock.acquire());
      },
      { deadlockAfter: 0 },
    );
    expect(e).toBeInstanceOf(asyncio.DeadlockError);
    expect(e.message).toMatch(/the test deadlocked/);
    expect(e.message).toMatch(/<Task pending/);
  });

  it("bad options fail at the call, naming the option", () => {
    expect(() => asyncioTest({ timeout: -1 }, function* () {})).toThrow(
      /'timeout' must be a number of seconds > 0: received -1/,
    );
    expect(() => asyncioTest({ loop: "fast" as "real" }, function* () {})).not.toThrow();
    expect(() => asyncioTest(42 as unknown as () => asyncio.Coroutine<void>)).toThrow(
      /'options' must be an object/,
    );
    expect(() => withAsyncio(null as unknown as typeof it)).toThrow(
      /'test' must be a test function/,
    );
  });

  it("an unknown loop kind fails the run, naming the value", async () => {
    await expect(runTest(function* () {}, { loop: "fast" as "real" })).rejects.toThrow(
      /'loop' must be "virtual", "real" or a loop factory: received "fast"/,
    );
  });
});

describe("timeouts", () => {
  it("a timeout in virtual seconds fails a test that sleeps past it", async () => {
    const e = await failure(
      function* () {
        yield* asyncio.sleep(7200);
      },
      { timeout: 3600 },
    );
    expect(e).toBeInstanceOf(asyncio.TimeoutError);
    expect(e.message).toBe("the test timed out after 3600 s of loop time (virtual)");
  });

  it("a body's own TimeoutError is not mistaken for the test's timeout", async () => {
    const e = await failure(
      function* () {
        yield* asyncio.waitFor(asyncio.sleep(10), 1);
      },
      { timeout: 3600 },
    );
    expect(e).toBeInstanceOf(asyncio.TimeoutError);
    expect(e.message).not.toMatch(/the test timed out/);
  });

  it("a real timeout stops a test stuck on outside work", async () => {
    const e = await failure(
      function* () {
        yield* asyncio.fromPromise(new Promise(() => {}));
      },
      { realTimeout: 0.05, virtual: { outsideWorkPatience: Infinity } },
    );
    expect(e).toBeInstanceOf(asyncio.TimeoutError);
    expect(e.message).toBe("the test exceeded its real timeout of 0.05 s");
  });
});

describe("fixtures", () => {
  const log: string[] = [];
  const resource = fixture(function* (use: Use<string[]>) {
    log.push("setup");
    yield* asyncio.sleep(1);
    try {
      yield* use(log);
    } finally {
      yield* asyncio.sleep(1);
      log.push("teardown");
    }
  });

  test("a fixture's value reaches the body", { fixtures: { resource } }, function* ({ resource }) {
    expect(resource).toBe(log);
    expect(log.at(-1)).toBe("setup");
    expect(asyncio.getRunningLoop().time()).toBe(1);
  });

  it("teardown runs after a failing body, in reverse order of setup", async () => {
    const order: string[] = [];
    const make = (name: string): Fixture<string> =>
      fixture(function* (use: Use<string>) {
        order.push(`up ${name}`);
        try {
          yield* use(name);
        } finally {
          order.push(`down ${name}`);
        }
      });
    const boom = new Error("body failed");
    const e = await failure(
      function* () {
        throw boom;
      },
      { fixtures: { a: make("a"), b: make("b") } },
    );
    expect(e).toBe(boom);
    expect(order).toEqual(["up a", "up b", "down b", "down a"]);
  });

  it("teardown runs after a timeout", async () => {
    const order: string[] = [];
    const slow = fixture({
      setup: function* () {
        return 1;
      },
      teardown: function* () {
        order.push("teardown");
      },
    });
    const e = await failure(
      function* () {
        yield* asyncio.sleep(100);
      },
      { timeout: 10, fixtures: { slow } },
    );
    expect(e).toBeInstanceOf(asyncio.TimeoutError);
    expect(order).toEqual(["teardown"]);
  });

  it("a fixture that fails in setup fails the test with its error", async () => {
    const broken = fixture({
      setup: function* (): asyncio.Coroutine<number> {
        throw new Error("cannot set up");
      },
    });
    const e = await failure(function* () {}, { fixtures: { broken } });
    expect(e.message).toBe("cannot set up");
  });

  it("a fixture that never calls use() fails the test naming it", async () => {
    const lazy = fixture(function* lazy(_use: Use<number>) {}, "lazy");
    const e = await failure(function* () {}, { fixtures: { lazy } });
    expect(e.message).toBe("fixture lazy ('lazy') returned without calling use()");
  });

  it("a fixture that fails in teardown fails a passing test", async () => {
    const bad = fixture(function* (use: Use<number>) {
      yield* use(1);
      throw new Error("teardown broke");
    });
    const e = await failure(function* () {}, { fixtures: { bad } });
    expect(e.message).toMatch(/teardown broke/);
  });

  it("fixture() rejects what is not a body", () => {
    expect(() => fixture(3 as unknown as { setup: () => asyncio.Coroutine<number> })).toThrow(
      /fixture\(\): 'body' must be a generator function taking use, or \{ setup, teardown \}: received 3/,
    );
  });
});
