/**
 * The portable part of asyncio-ts: what runs wherever JavaScript runs, with no `node:`
 * module and no dependency — tasks, structured concurrency, timeouts, synchronisation
 * primitives, queues, async iteration, context managers, context variables and
 * Promise/AbortSignal interop. Browsers and workers get this entry for `asyncio-ts`
 * (the `browser` and `worker` conditions of the package's exports).
 *
 * ```ts
 * import * as asyncio from "asyncio-ts"; // in a browser bundle: this entry
 *
 * const q = new asyncio.Queue<number>(10);
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
export type { TaskConstructor } from "./eager.js";
export { createEagerTaskFactory, eagerTaskFactory } from "./eager.js";
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
