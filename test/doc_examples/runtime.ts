/**
 * What a documentation example gets when it imports `asyncio-ts` while the test suite runs
 * it: the real entry, except that `run()` and `Runner` default to the virtual-time loop, so
 * an example's `sleep(1)` takes no real time. The runs an example starts are recorded, so
 * the harness can wait for one the example did not await.
 *
 * Real I/O works, and the examples' virtual loop holds its clock for as long as outside
 * work (a connect, a TLS handshake, a socket read, an HTTP request) is pending: its
 * `outsideWorkPatience` is infinite. The library's default patience (0.1 s of real
 * idleness, then the clock jumps anyway) would make an example's result depend on the
 * machine's load: a handshake that takes longer than that on a busy machine has its clock
 * jumped past its 60 s timeout. Held this way, an example either passes on every machine
 * or never does. One whose outside work waits on the loop's own timers (a fetch answered by
 * a handler that sleeps on this loop, a read that only a timeout ends) would wait for ever:
 * the watchdog cancels it after REAL_TIME_LIMIT_MS with a message pointing at the
 * `real-time: <reason>` mark, under which it runs on the real-time `NodeEventLoop`, as a
 * reader's program would (see {@link runningRealTime}).
 *
 * @module
 */

import * as real from "../../src/index.js";

export * from "../../src/index.js";

const started = new Set<Promise<unknown>>();

/** The runs started by examples and not yet settled. */
export function pendingRuns(): Promise<unknown>[] {
  return [...started];
}

/**
 * How much virtual time an example may take. An example that never ends (a server, a
 * `for (;;)` worker) would otherwise keep the virtual clock jumping for ever.
 */
export const VIRTUAL_TIME_LIMIT = 7 * 24 * 3600;

/**
 * How much real time an example's run may take: a wait on outside work that never ends, or
 * (with `real-time:`) an example that is slow in real time.
 */
export const REAL_TIME_LIMIT_MS = 5000;

/** Why the runs that were stopped were stopped, by loop. */
export const stopped = new WeakMap<real.BaseEventLoop, string>();

let realTime = false;
let realTimeLimitMs = REAL_TIME_LIMIT_MS;

/**
 * Sets the real-time limit of the runs started from now on to `ms` (the harness's own
 * tests shorten it); returns a function that restores REAL_TIME_LIMIT_MS.
 */
export function limitRealTime(ms: number): () => void {
  realTimeLimitMs = ms;
  return () => {
    realTimeLimitMs = REAL_TIME_LIMIT_MS;
  };
}

/**
 * Makes the runs the example starts from now on use the real-time `NodeEventLoop` (`true`:
 * the block is marked `real-time: <reason>`) or the virtual-time loop (`false`, the
 * default). The test sets it before it loads a block and resets it after the block's runs.
 */
export function runningRealTime(on: boolean): void {
  realTime = on;
}

/**
 * Watches `loop` from outside: a real-time interval (which does not move a virtual clock,
 * as a timer of the loop would) cancels every task of the loop once a virtual clock passes
 * a virtual week or the run has taken REAL_TIME_LIMIT_MS.
 */
function watched<L extends real.BaseEventLoop>(loop: L): L {
  const virtual = loop instanceof real.VirtualEventLoop;
  const limitMs = realTimeLimitMs;
  const started = Date.now();
  const watch = setInterval(() => {
    if (loop.isClosed()) {
      clearInterval(watch);
      return;
    }
    const why =
      virtual && loop.time() > VIRTUAL_TIME_LIMIT
        ? "ran for more than a virtual week"
        : Date.now() - started <= limitMs
          ? undefined
          : virtual
            ? `waited on outside work for more than ${limitMs / 1000} s of real time ` +
              "(the virtual clock holds while outside work is pending: if that work waits on " +
              "this loop's own timers, mark the block 'real-time: <reason>')"
            : `ran for more than ${limitMs / 1000} s of real time`;
    if (why === undefined || stopped.has(loop)) return;
    stopped.set(loop, why);
    loop.callSoon(() => {
      for (const task of real.allTasks()) task.cancel(`the example ${why}`);
    });
  }, 20);
  watch.unref();
  return loop;
}

/** The examples' virtual-time loop: it holds its clock while outside work is pending. */
function watchedVirtualLoop(): real.BaseEventLoop {
  return watched(new real.VirtualEventLoop({ outsideWorkPatience: Infinity }));
}

/** The loop of a `real-time:` example: the one `asyncio.run()` uses outside the tests. */
function watchedRealTimeLoop(): real.BaseEventLoop {
  return watched(new real.NodeEventLoop());
}

function virtualByDefault<O extends { loopFactory?: () => real.BaseEventLoop }>(options: O): O {
  return options.loopFactory === undefined
    ? { ...options, loopFactory: realTime ? watchedRealTimeLoop : watchedVirtualLoop }
    : options;
}

/**
 * `asyncio.run`, on the virtual-time loop unless the example chooses a loop (or is marked
 * `real-time:`).
 */
export const run: typeof real.run = (main, options = {}) => {
  const promise = real.run(main, virtualByDefault(options));
  started.add(promise);
  const forget = (): void => {
    started.delete(promise);
  };
  promise.then(forget, forget);
  return promise;
};

/**
 * `asyncio.Runner`, on the virtual-time loop unless the example chooses a loop (or is marked
 * `real-time:`).
 */
export class Runner extends real.Runner {
  constructor(options: real.RunOptions = {}) {
    super(virtualByDefault(options));
  }
}
