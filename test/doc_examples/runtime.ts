/**
 * What a documentation example gets when it imports `asyncio-ts` while the test suite runs
 * it: the real entry, except that `run()` and `Runner` default to the virtual-time loop, so
 * an example's `sleep(1)` takes no real time. Real I/O still works (the virtual loop holds
 * its clock while outside work is pending). The runs an example starts are recorded, so the
 * harness can wait for one the example did not await.
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

/** How much real time an example's run may take: a wait on outside work that never ends. */
export const REAL_TIME_LIMIT_MS = 5000;

/** Why the runs that were stopped were stopped, by loop. */
export const stopped = new WeakMap<real.BaseEventLoop, string>();

/**
 * A virtual-time loop watched from outside: a real-time interval (which does not move the
 * virtual clock, as a timer of the loop would) cancels every task of the loop once its
 * clock passes a virtual week or the run has taken REAL_TIME_LIMIT_MS.
 */
function watchedVirtualLoop(): real.BaseEventLoop {
  const loop = new real.VirtualEventLoop();
  const started = Date.now();
  const watch = setInterval(() => {
    if (loop.isClosed()) {
      clearInterval(watch);
      return;
    }
    const why =
      loop.time() > VIRTUAL_TIME_LIMIT
        ? "ran for more than a virtual week"
        : Date.now() - started > REAL_TIME_LIMIT_MS
          ? `waited on outside work for more than ${REAL_TIME_LIMIT_MS / 1000} s of real time`
          : undefined;
    if (why === undefined || stopped.has(loop)) return;
    stopped.set(loop, why);
    loop.callSoon(() => {
      for (const task of real.allTasks()) task.cancel(`the example ${why}`);
    });
  }, 20);
  watch.unref();
  return loop;
}

function virtualByDefault<O extends { loopFactory?: () => real.BaseEventLoop }>(options: O): O {
  return options.loopFactory === undefined
    ? { ...options, loopFactory: watchedVirtualLoop }
    : options;
}

/** `asyncio.run`, on the virtual-time loop unless the example chooses a loop. */
export const run: typeof real.run = (main, options = {}) => {
  const promise = real.run(main, virtualByDefault(options));
  started.add(promise);
  const forget = (): void => {
    started.delete(promise);
  };
  promise.then(forget, forget);
  return promise;
};

/** `asyncio.Runner`, on the virtual-time loop unless the example chooses a loop. */
export class Runner extends real.Runner {
  constructor(options: real.RunOptions = {}) {
    super(virtualByDefault(options));
  }
}
