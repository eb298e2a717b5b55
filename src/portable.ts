/**
 * asyncio-ts's portable part: everything of asyncio that needs no I/O — the event loop,
 * tasks, structured concurrency, timeouts, locks and queues, async iteration, context
 * managers, context variables, Promise and AbortSignal interop, virtual time, call graphs.
 * It imports no `node:` module and nothing of src/io, so it runs, and bundles, wherever
 * JavaScript does: Node, Deno, Bun, browsers and Web Workers.
 *
 * Its loops have no I/O (their I/O methods throw NotImplementedError): `run()` picks a
 * `NodeEventLoop` where `setImmediate` exists (Node, Deno, Bun) and a `BrowserEventLoop`
 * elsewhere. The main entry (src/index.ts) is this, with the loops and runner with I/O, and
 * the I/O itself.
 *
 * ```ts
 * import * as asyncio from "asyncio-ts/portable";
 *
 * function* main() {
 *   yield* asyncio.sleep(1);
 *   console.log("hello");
 * }
 * await asyncio.run(main());
 * ```
 *
 * @module
 */

export type {
  AsyncGeneratorFunction,
  AsyncIter,
  AsyncIterableLike,
  ItemOf,
} from "./asyncgen.js";
export {
  AsyncGen,
  aiter,
  asyncFor,
  asyncGenerator,
  collect,
  filter,
  GeneratorExit,
  map,
  take,
} from "./asyncgen.js";
export type {
  AsyncContextManager,
  AsyncExitCallback,
  NonSuppressingAsyncContextManager,
} from "./contextlib.js";
export {
  AsyncExitStack,
  aclosing,
  asynccontextmanager,
  asyncWith,
  GeneratorContextManager,
} from "./contextlib.js";
export type {
  AsyncGenLike,
  ExceptionHandler,
  TaskFactory,
} from "./core/base_events.js";
export { BaseEventLoop } from "./core/base_events.js";
export type { ContextVarOptions } from "./core/contextvars.js";
export { Context, ContextVar, copyContext, Token } from "./core/contextvars.js";
export type {
  Awaitable,
  AwaitableLike,
  AwaitedResult,
  Coroutine,
  Suspend,
} from "./core/coroutines.js";
export { iscoroutine } from "./core/coroutines.js";
export { getRunningLoop } from "./core/events.js";
export type { OSErrorOptions } from "./core/exceptions.js";
export {
  BrokenBarrierError,
  BrokenPipeError,
  CancelledError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  DeadlockError,
  IncompleteReadError,
  InvalidStateError,
  KeyboardInterrupt,
  LimitOverrunError,
  NotImplementedError,
  OSError,
  RuntimeError,
  rethrowIfCancelled,
  SendfileNotAvailableError,
  TimeoutError,
} from "./core/exceptions.js";
export type { DoneCallbackOptions, FutureOptions } from "./core/futures.js";
export { Future, isfuture } from "./core/futures.js";
export type { ExceptionContext } from "./core/handles.js";
export { Handle, TimerHandle } from "./core/handles.js";
export type { TaskConstructorOptions, TaskOptions } from "./core/tasks.js";
export { coroutine, Task } from "./core/tasks.js";
export type {
  AllTasksOptions,
  CallGraphOptions,
  FrameCallGraphEntry,
  FutureCallGraph,
  PrintCallGraphOptions,
} from "./debug/graph.js";
export {
  captureCallGraph,
  formatAllTasks,
  formatCallGraph,
  futureAddToAwaitedBy,
  futureDiscardFromAwaitedBy,
  printAllTasks,
  printCallGraph,
} from "./debug/graph.js";
export type { TaskConstructor } from "./eager.js";
export { createEagerTaskFactory, eagerTaskFactory } from "./eager.js";
export { getEventLoop, newEventLoop, setEventLoop } from "./events.js";
export type { ErrorClass, ErrorMatcher, ExceptClause } from "./exceptiongroups.js";
export { BaseExceptionGroup, ExceptionGroup, exceptStar } from "./exceptiongroups.js";
export type { RunCoroutineThreadsafeOptions } from "./interop.js";
export { currentSignal, fromAsync, fromPromise, runCoroutineThreadsafe } from "./interop.js";
export {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  Semaphore,
} from "./locks.js";
export type { BrowserEventLoopOptions } from "./loops/browser.js";
export { BrowserEventLoop } from "./loops/browser.js";
export { NodeEventLoop } from "./loops/node.js";
export type { VirtualEventLoopOptions } from "./loops/virtual.js";
export { VirtualEventLoop } from "./loops/virtual.js";
export type { PriorityQueueOptions } from "./queues.js";
export {
  LifoQueue,
  naturalOrder,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
} from "./queues.js";
export type { RunnerRunOptions, RunOptions } from "./runners.js";
export { Runner, run } from "./runners.js";
export { TaskGroup, withTaskGroup } from "./taskgroups.js";
export type { GatherOptions, GatherResults, GatherResultsOrErrors } from "./tasks.js";
export {
  allTasks,
  createTask,
  currentTask,
  ensureFuture,
  GatheringFuture,
  gather,
  gatherAll,
  sleep,
} from "./tasks.js";
export type { CancelScopeOptions } from "./timeouts.js";
export {
  CancelScope,
  moveOnAfter,
  moveOnAt,
  Timeout,
  timeout,
  timeoutAt,
  waitFor,
} from "./timeouts.js";
export type { AsCompletedOptions, FutureOf, ReturnWhen, WaitOptions } from "./wait.js";
export {
  ALL_COMPLETED,
  AsCompleted,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  shield,
  wait,
} from "./wait.js";
