/**
 * `asyncio-ts/testing`: deterministic tests of concurrent code.
 *
 * - {@link asyncioTest} / {@link withAsyncio} / {@link runTest}: coroutine test bodies on
 *   the virtual-time loop, failing on leaked tasks, lost exceptions and open resources
 *   (sockets, servers, child processes not waited for, thread calls still running);
 *   {@link fixture} for setup and teardown.
 * - {@link waitAllTasksBlocked}, {@link Sequencer}, {@link advance}: Trio's tools.
 * - {@link streamPair}, {@link transportPair}: in-memory connections with fault injection.
 *
 * @module
 */

export type {
  ExploreFailure,
  ExploreOptions,
  ExploreResult,
  ExploreSchedule,
  Perturbation,
} from "./explore.js";
export { explore, scheduleArbitrary } from "./explore.js";
export type {
  CoroutineTestFunction,
  Fixture,
  Fixtures,
  FixtureValues,
  TestFunction,
  TestLoop,
  TestOptions,
  TestRun,
  Use,
} from "./harness.js";
export { asyncioTest, fixture, LeakError, runTest, withAsyncio } from "./harness.js";
export type { MemoryLinkOptions, StreamEnd } from "./memory.js";
export { MemoryLink, MemoryTransport, streamPair, transportPair } from "./memory.js";
export type { LinkOptions, NetworkOptions } from "./network.js";
export { Host, network, SimulatedLoop, SimulatedNetwork } from "./network.js";
export { advance, Sequencer, virtualLoop, waitAllTasksBlocked } from "./tools.js";
