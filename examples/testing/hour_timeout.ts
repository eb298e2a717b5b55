/**
 * A timeout test that covers an hour, in milliseconds of real time.
 *
 * A job queue gives each job an hour (`JOB_TIMEOUT`) before it is abandoned; a retry
 * policy waits longer after each failure. Testing that in real time would take hours;
 * on the virtual-time loop the clock jumps whenever every task waits, so the hour passes
 * at once, and the test can assert exactly when things happened.
 *
 * Run it: `npx tsx examples/testing/hour_timeout.ts`
 */
import * as asyncio from "../../src/index.js";
import { runTest } from "../../src/testing/index.js";

export const JOB_TIMEOUT = 3600;

/** Runs `job` with the hour's timeout; returns what happened and when. */
export function* runJob(job: () => asyncio.Coroutine<string>): asyncio.Coroutine<string> {
  const loop = asyncio.getRunningLoop();
  try {
    const result = yield* asyncio.waitFor(job(), JOB_TIMEOUT);
    return `${result} at t=${loop.time()}`;
  } catch (e) {
    if (e instanceof asyncio.TimeoutError) return `abandoned at t=${loop.time()}`;
    throw e;
  }
}

/** A job that finishes after `seconds`. */
export function slowJob(seconds: number): () => asyncio.Coroutine<string> {
  return function* () {
    yield* asyncio.sleep(seconds);
    return "done";
  };
}

/** Runs a 59-minute job and a 61-minute one; prints when each ended and the real time. */
export async function main(): Promise<void> {
  const t0 = performance.now();
  const quick = await runTest(() => runJob(slowJob(59 * 60)));
  const slow = await runTest(() => runJob(slowJob(61 * 60)));
  console.log(quick.result); // done at t=3540
  console.log(slow.result); // abandoned at t=3600
  console.log(`two hours of virtual time in ${(performance.now() - t0).toFixed(0)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
