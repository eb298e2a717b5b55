/**
 * A child process left running by a timeout, caught by the test harness.
 *
 * `runCommand()` gives a command a deadline with `waitFor(proc.wait(), seconds)`. When the
 * deadline passes, `waitFor` cancels the *waiting* — and, as in asyncio, that is all it
 * cancels: the child runs on, nobody will ever wait for it, and in production it piles up
 * with its siblings. Under asyncio.run() nothing says so; under asyncioTest()/runTest() the
 * test fails naming the child, its command line and the line that started it, and the
 * harness kills it so that the test run cannot hang on it. `runCommandFixed()` kills the
 * child on timeout and waits for it.
 *
 * Run it: `npx tsx examples/testing/child_timeout.ts`
 */
import * as asyncio from "../../src/index.js";
import { runTest } from "../../src/testing/index.js";

/** A command that never ends by itself. */
export const STUCK: readonly string[] = [process.execPath, "-e", "setInterval(() => {}, 1000)"];

/** The bug: on timeout, the child is forgotten, not stopped. */
export function* runCommand(argv: readonly string[], seconds: number): asyncio.Coroutine<string> {
  const [program, ...args] = argv as [string, ...string[]];
  const proc = yield* asyncio.createSubprocessExec(program, ...args);
  try {
    return `exited with ${yield* asyncio.waitFor(proc.wait(), seconds)}`;
  } catch (e) {
    if (e instanceof asyncio.TimeoutError) return "timed out";
    throw e;
  }
}

/** The fix: a child that missed its deadline is killed, and its exit collected. */
export function* runCommandFixed(
  argv: readonly string[],
  seconds: number,
): asyncio.Coroutine<string> {
  const [program, ...args] = argv as [string, ...string[]];
  const proc = yield* asyncio.createSubprocessExec(program, ...args);
  try {
    return `exited with ${yield* asyncio.waitFor(proc.wait(), seconds)}`;
  } catch (e) {
    if (!(e instanceof asyncio.TimeoutError)) throw e;
    proc.kill();
    yield* proc.wait();
    return "timed out";
  }
}

/** The test body: a stuck command with a 30-second deadline (virtual seconds). */
export function deadlineTest(run: typeof runCommand) {
  return function* (): asyncio.Coroutine<string> {
    return yield* run(STUCK, 30);
  };
}

/** Runs the buggy and the fixed version under the harness. */
export async function main(): Promise<void> {
  try {
    await runTest(deadlineTest(runCommand));
  } catch (e) {
    console.log(`the harness caught the leak:\n${(e as Error).message}`);
  }
  const { result, elapsed } = await runTest(deadlineTest(runCommandFixed));
  console.log(`fixed: ${result} after ${elapsed} s (virtual), nothing left behind`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
