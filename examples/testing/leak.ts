/**
 * A leaked task, caught by the test harness.
 *
 * `openSession()` starts a heartbeat task and forgets it: nothing awaits or cancels it,
 * so it outlives the session. Under asyncio.run() it would be cancelled silently at the
 * end; under asyncioTest()/runTest() the test fails and says which task leaked and the
 * line that created it. `openSessionFixed()` keeps the task and cancels it on close.
 *
 * Run it: `npx tsx examples/testing/leak.ts`
 */
import * as asyncio from "../../src/index.js";
import { runTest } from "../../src/testing/index.js";

export class Session {
  beats = 0;
  heartbeat: asyncio.Task<void> | null = null;

  *beat(): asyncio.Coroutine<void> {
    for (;;) {
      yield* asyncio.sleep(15);
      this.beats++;
    }
  }

  /** Ends the session; the fixed version also stops its heartbeat. */
  *close(): asyncio.Coroutine<void> {
    const hb = this.heartbeat;
    if (hb === null) return;
    hb.cancel();
    try {
      yield* hb;
    } catch (e) {
      if (!(e instanceof asyncio.CancelledError)) throw e;
    }
  }
}

/** The bug: the heartbeat task is started and forgotten. */
export function* openSession(): asyncio.Coroutine<Session> {
  const session = new Session();
  asyncio.createTask(session.beat(), { name: "heartbeat" });
  return session;
}

/** The fix: the session owns its heartbeat, and close() stops it. */
export function* openSessionFixed(): asyncio.Coroutine<Session> {
  const session = new Session();
  session.heartbeat = asyncio.createTask(session.beat(), { name: "heartbeat" });
  return session;
}

/** The test body: a minute of session, then close. */
export function sessionTest(open: () => asyncio.Coroutine<Session>) {
  return function* (): asyncio.Coroutine<number> {
    const session = yield* open();
    yield* asyncio.sleep(60);
    yield* session.close();
    return session.beats;
  };
}

/** Runs the buggy and the fixed session under the harness. */
export async function main(): Promise<void> {
  try {
    await runTest(sessionTest(openSession));
  } catch (e) {
    console.log(`the harness caught the leak:\n${(e as Error).message}`);
  }
  const { result } = await runTest(sessionTest(openSessionFixed));
  console.log(`fixed: ${result} heartbeats in a minute, nothing left behind`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
