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
  // the foundation
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
  // structured concurrency
  {
    name: "create_task",
    about: "two Tasks run concurrently; task.done() tells whether one finished",
    load: () => import("./create_task.js"),
  },
  {
    name: "gather_two",
    about: "gather() runs two coroutines and returns their results in argument order",
    load: () => import("./gather_two.js"),
  },
  {
    name: "as_completed",
    about: "asCompleted() hands back each result as soon as it is ready",
    load: () => import("./as_completed.js"),
  },
  {
    name: "exception_group",
    about: "three failures gathered, raised as an ExceptionGroup, handled with exceptStar",
    load: () => import("./exception_group.js"),
  },
  // queues
  {
    name: "producer_consumer",
    about:
      "a queue between one producer (three users fetched at once) and three consumers; sentinels stop them",
    load: () => import("./producer_consumer.js"),
  },
  {
    name: "producer_consumer_shutdown",
    about: "the same program stopping its consumers with queue.shutdown() instead of sentinels",
    load: () => import("./producer_consumer_shutdown.js"),
  },
  // async iteration and context managers
  {
    name: "powers_of_two",
    about:
      "an async generator: async for collects [1, 2, 4, 8, 16]; a filtered comprehension gives [1, 2, 16]",
    load: () => import("./powers_of_two.js"),
  },
  {
    name: "site_status",
    about: "async with: check three sites' status at once with fetch, against a local HTTP server",
    load: () => import("./site_status.js"),
  },
  // I/O
  {
    name: "site_checker",
    about: "the site checker on ClientSession: five local sites checked at once, one timing out",
    load: () => import("./site_checker.js"),
  },
  {
    name: "subprocess_pipeline",
    about: "a pipeline of two child processes wired with streams: generate | grep 7",
    load: () => import("./subprocess_pipeline.js"),
  },
  {
    name: "echo_server",
    about: "streams: a TCP echo server and a client in one program, on a free loopback port",
    load: () => import("./echo_server.js"),
  },
  {
    name: "chat_server",
    about: "a chat server: three clients, one broadcast queue, every message to everyone in order",
    load: () => import("./chat_server.js"),
  },
];
