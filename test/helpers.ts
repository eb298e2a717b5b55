/**
 * Test harness: run a coroutine on the virtual-time loop (or, for the ordering suites, on
 * the loop ASYNCIO_TS_TEST_LOOP selects) and collect what the loop's
 * exception handler was told, so that a test fails on any report it did not expect.
 */
import { TestRunner } from "vitest";
import * as asyncio from "../src/index.js";
import { _runTestWith } from "../src/testing/harness.js";

export interface VirtualRun<T> {
  result: T;
  /** Virtual seconds from start to end of `main`. */
  elapsed: number;
  /** Every context the loop's exception handler received. */
  reports: asyncio.ExceptionContext[];
}

export interface RunVirtualOptions {
  debug?: boolean;
  /** Accept exception-handler reports (they are returned); by default any report fails. */
  allowReports?: boolean;
}

/** Runs `main` on a fresh VirtualEventLoop; rejects with main's error. */
export function runVirtual<T>(
  main: asyncio.Coroutine<T>,
  options: RunVirtualOptions = {},
): Promise<VirtualRun<T>> {
  return runWith(() => new asyncio.VirtualEventLoop(), main, options);
}

/** The loops a behaviour suite can run on; see {@link TEST_LOOP}. */
export type TestLoopKind = "virtual" | "node";

/**
 * The loop {@link runOn} uses: `ASYNCIO_TS_TEST_LOOP=node` selects NodeEventLoop (the
 * vitest project "node-loop" sets it to run the ordering suites a second time), anything
 * else the virtual-time loop.
 */
export const TEST_LOOP: TestLoopKind = testLoopFromEnv(process.env.ASYNCIO_TS_TEST_LOOP);

/** True when this run of the suite is the NodeEventLoop one: skip virtual-time-only tests. */
export const onNodeLoop = TEST_LOOP === "node";

function testLoopFromEnv(value: string | undefined): TestLoopKind {
  if (value === undefined || value === "" || value === "virtual") return "virtual";
  if (value === "node") return "node";
  throw new Error(`ASYNCIO_TS_TEST_LOOP must be "virtual" or "node": received ${value}`);
}

/**
 * Runs `main` on a fresh loop of the kind {@link TEST_LOOP} selects, for tests that assert
 * orders of events and so must hold on both loops. On the Node loop `elapsed` is NaN: a
 * test that asserts virtual time must be virtual-only (`it.skipIf(onNodeLoop)`).
 */
export async function runOn<T>(
  main: asyncio.Coroutine<T>,
  options: RunVirtualOptions = {},
): Promise<VirtualRun<T>> {
  if (!onNodeLoop) return runVirtual(main, options);
  const run = await runWith(() => new asyncio.NodeEventLoop(), main, options);
  return { ...run, elapsed: Number.NaN };
}

/**
 * Skips the calling test in the NodeEventLoop run of its suite, with `reason` as the
 * skip note: for a test that asserts virtual time (elapsed seconds, `loop.time()`), sleeps
 * too long for real time (each test gets at most ~0.05 s of real sleep), or builds its own
 * loop. Call it first in the test body; on the virtual-time loop it does nothing.
 */
export function virtualOnly(reason: string): void {
  if (!onNodeLoop) return;
  const test = TestRunner.getCurrentTest();
  if (test === undefined) throw new Error("virtualOnly() must be called inside a test");
  test.context.skip(`virtual-time loop only: ${reason}`);
}

/**
 * The suite's runs go through asyncio-ts/testing's harness (runTest): a fresh loop, the
 * exception-handler reports collected and, unless `allowReports`, failing the run. The
 * suite's older tests leave tasks and sockets for the loop's shutdown to clean up, as
 * asyncio.run() does, so those checks (and the deadlock watchdog, which real I/O on the
 * virtual loop would trip) are off here; new tests use `withAsyncio(it)` with all of them.
 */
async function runWith<T>(
  makeLoop: () => asyncio.BaseEventLoop,
  main: asyncio.Coroutine<T>,
  options: RunVirtualOptions,
): Promise<VirtualRun<T>> {
  let loop: asyncio.BaseEventLoop | null = null;
  const run = await _runTestWith(
    () => main,
    {
      loop: () => {
        loop = makeLoop();
        return loop;
      },
      debug: options.debug ?? false,
      allowReports: options.allowReports ?? false,
      allowPending: true,
      allowOpenResources: true,
      deadlockAfter: Number.POSITIVE_INFINITY,
      recordSites: false,
    },
    { plainTasks: true },
  );
  const end = (loop as asyncio.BaseEventLoop | null)?.time() ?? 0;
  return { result: run.result, elapsed: end, reports: run.reports };
}

/**
 * As {@link runVirtual}, with `main` itself as the main task: for tests that inspect the
 * main task's own frames (call graphs), where the harness's frames would show.
 */
export async function runVirtualBare<T>(
  main: asyncio.Coroutine<T>,
  options: RunVirtualOptions = {},
): Promise<VirtualRun<T>> {
  const reports: asyncio.ExceptionContext[] = [];
  let loop: asyncio.BaseEventLoop | null = null;
  const result = await asyncio.run(main, {
    debug: options.debug ?? false,
    loopFactory: () => {
      loop = new asyncio.VirtualEventLoop();
      loop.setExceptionHandler((_loop, ctx) => {
        reports.push(ctx);
      });
      return loop;
    },
  });
  if (!options.allowReports && reports.length > 0) {
    throw new Error(
      `unexpected exception-handler reports: ${reports.map((r) => r.message).join("; ")}`,
    );
  }
  const end = (loop as asyncio.BaseEventLoop | null)?.time() ?? 0;
  return { result, elapsed: end, reports };
}

/** Awaits Node's loop until the FinalizationRegistry callbacks of dropped objects have run. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the tests with --expose-gc");
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Awaits `aw` (or the awaitable `aw()` returns, made only when awaited) and evaluates to
 * what it threw, or to its result if it did not throw.
 */
export function* caught<T>(
  aw: asyncio.Awaitable<T> | (() => asyncio.Awaitable<T>),
): asyncio.Coroutine<unknown> {
  try {
    return yield* typeof aw === "function" ? aw() : aw;
  } catch (e) {
    return e;
  }
}

/** Lets every ready task run `n` times (n iterations of the loop). */
export function* ticks(n = 1): asyncio.Coroutine<void> {
  for (let i = 0; i < n; i++) yield* asyncio.sleep(0);
}

/** Sleeps `delay` seconds, then throws `error`. */
export function* failAfter(delay: number, error: unknown): asyncio.Coroutine<never> {
  yield* asyncio.sleep(delay);
  throw error;
}
