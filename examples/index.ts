/**
 * The walkthrough: every ported program, in the order the walkthrough introduces them.
 * `asyncio-ts demo` runs them one after another; `asyncio-ts demo NAME` runs one.
 *
 * Each example module exports `main` (a coroutine function that prints with console.log)
 * and may export `pairWith` (the name of the example it should be compared with).
 */
import type { Coroutine } from "../src/index.js";

export interface ExampleModule {
  main: () => Coroutine<unknown>;
}

export interface Example {
  /** The name used by `asyncio-ts demo NAME` (the file is examples/NAME.ts). */
  name: string;
  /** One line saying what the example shows. */
  about: string;
  load: () => Promise<ExampleModule>;
}

export const examples: Example[] = [
  // issue 2: the foundation
  {
    name: "synchronous",
    about: "three counts with a blocking sleep: the loop is frozen, they run one after the other",
    load: () => import("./synchronous.js"),
  },
  {
    name: "countasync",
    about: "the same three counts with asyncio.sleep under gather: One One One, Two Two Two",
    load: () => import("./countasync.js"),
  },
  {
    name: "rand",
    about: "three makerandom() retrying until a number beats their threshold, interleaved",
    load: () => import("./rand.js"),
  },
  {
    name: "chain",
    about: "chained coroutines: fetch a user, then their posts, for three users at once",
    load: () => import("./chain.js"),
  },
  // issue 3: structured concurrency
  // issue 4: queues
  // issue 5: async iteration and context managers
  // issue 6: I/O
];
