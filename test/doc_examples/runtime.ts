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

/** The examples' loops that ran into the limit. */
export const overran = new WeakSet<real.BaseEventLoop>();

function limitedVirtualLoop(): real.BaseEventLoop {
  const loop = new real.VirtualEventLoop();
  loop.callLater(VIRTUAL_TIME_LIMIT, () => {
    overran.add(loop);
    for (const task of real.allTasks()) task.cancel("the example ran for a virtual week");
  });
  return loop;
}

function virtualByDefault<O extends { loopFactory?: () => real.BaseEventLoop }>(options: O): O {
  return options.loopFactory === undefined ? { ...options, loopFactory: limitedVirtualLoop } : options;
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
