/**
 * Test harness: run a coroutine on the virtual-time loop and collect what the loop's
 * exception handler was told, so that a test fails on any report it did not expect.
 */
import * as asyncio from "../src/index.js";

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
export async function runVirtual<T>(
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
