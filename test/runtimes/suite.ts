/**
 * The runtime suite: the portable behaviour suites and the walkthrough examples, bundled
 * (test/runtimes/build.ts) and run on Deno, Bun, in a browser page and in a Web Worker.
 *
 * The behaviour suites are the project's own test files, unchanged: they register their
 * tests with the Vitest shim at import, and {@link runRuntimeSuite} runs them. Each
 * example runs on the virtual-time loop with its `console.log` captured, so that its output
 * can be compared, line for line, with the same example's output on Node.
 *
 * @module
 */
import * as asyncio from "../../src/index.js";
import { runRegistered, type SuiteReport } from "./vitest_shim.js";
import "../contextlib.test.js";
import "../contextvars.test.js";
import "../deep_chains.test.js";
import "../eager.test.js";
import "../gather.test.js";
import "../interop.core.test.js";
import "../locks.test.js";
import "../orders.test.js";
import "../queues.test.js";
import "../readyqueue.test.js";
import "../sleep.test.js";
import "../suspend.test.js";
import "../taskgroups.test.js";
import "../tasks.test.js";
import "../timeouts.test.js";
import "../timerheap.test.js";
import "../wait.test.js";
import * as as_completed from "../../examples/as_completed.js";
import * as chain from "../../examples/chain.js";
import * as countasync from "../../examples/countasync.js";
import * as create_task from "../../examples/create_task.js";
import * as exception_group from "../../examples/exception_group.js";
import * as gather_two from "../../examples/gather_two.js";
import * as powers_of_two from "../../examples/powers_of_two.js";
import * as producer_consumer from "../../examples/producer_consumer.js";
import * as producer_consumer_shutdown from "../../examples/producer_consumer_shutdown.js";
import * as rand from "../../examples/rand.js";
import * as synchronous from "../../examples/synchronous.js";

/** The behaviour suites in this bundle, by file (test/runtimes.test.ts checks the list). */
export const SUITE_FILES = [
  "contextlib",
  "contextvars",
  "deep_chains",
  "eager",
  "gather",
  "interop.core",
  "locks",
  "orders",
  "queues",
  "readyqueue",
  "sleep",
  "suspend",
  "taskgroups",
  "tasks",
  "timeouts",
  "timerheap",
  "wait",
];

/** The walkthrough examples that need no I/O: every other one uses sockets, HTTP or processes. */
const EXAMPLES: Record<string, { main: () => asyncio.Coroutine<unknown> }> = {
  synchronous,
  countasync,
  rand,
  chain,
  create_task,
  gather_two,
  as_completed,
  exception_group,
  producer_consumer,
  producer_consumer_shutdown,
  powers_of_two,
};

/** What a runtime reports back. */
export interface RuntimeReport extends SuiteReport {
  runtime: string;
  /** Each example's printed lines, or its error. */
  examples: Record<string, string[]>;
  /** The default loop's real-time run: its class, and what the program saw. */
  realTime: { loop: string; trace: string[] } | { error: string };
}

// Bun has no `gc` global, but a Bun.gc(): the suites' collectGarbage() wants the former.
const bun = (globalThis as { Bun?: { gc?: (force: boolean) => void } }).Bun;
const g = globalThis as { gc?: () => void };
if (typeof g.gc !== "function" && typeof bun?.gc === "function") g.gc = () => bun.gc?.(true);

/**
 * A program on the runtime's default loop, in real time: `run()` with no loop factory,
 * timers, a TaskGroup, a timeout, an Event. Its order depends on no race: the two sleeps'
 * deadlines are 10 ms apart, set a few microseconds apart.
 */
async function realTimeRun(): Promise<RuntimeReport["realTime"]> {
  const trace: string[] = [];
  function* sleeper(name: string, delay: number) {
    yield* asyncio.sleep(delay);
    trace.push(name);
  }
  function* main() {
    const ready = new asyncio.Event();
    yield* asyncio.gather(sleeper("late", 0.02), sleeper("early", 0.01));
    yield* asyncio.withTaskGroup(function* (tg) {
      tg.createTask(
        (function* () {
          yield* ready.wait();
          trace.push("event");
        })(),
      );
      tg.createTask(
        (function* () {
          try {
            yield* asyncio.waitFor(asyncio.sleep(10), 0.005);
          } catch (e) {
            trace.push(e instanceof asyncio.TimeoutError ? "timed out" : String(e));
          }
          ready.set();
        })(),
      );
    });
    return asyncio.getRunningLoop().constructor.name;
  }
  try {
    return { loop: await asyncio.run(main()), trace };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** Runs `main` of each example on a virtual-time loop, capturing what it prints. */
async function runExamples(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const log = console.log;
  for (const [name, mod] of Object.entries(EXAMPLES)) {
    const lines: string[] = [];
    console.log = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    };
    try {
      await asyncio.run(mod.main(), { loopFactory: () => new asyncio.VirtualEventLoop() });
    } catch (e) {
      lines.push(`error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    } finally {
      console.log = log;
    }
    out[name] = lines;
  }
  return out;
}

/**
 * Runs the behaviour suites, then the examples. `verbose` prints each failing test as it
 * fails.
 */
export async function runRuntimeSuite(runtime: string, verbose = true): Promise<RuntimeReport> {
  const report = await runRegistered((name, outcome, error) => {
    if (verbose && outcome === "fail") console.error(`FAIL ${name}\n${error ?? ""}`);
  });
  return { runtime, ...report, examples: await runExamples(), realTime: await realTimeRun() };
}
