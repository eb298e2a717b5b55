/**
 * asyncio-ts: Python's asyncio for TypeScript.
 *
 * ```ts
 * import * as asyncio from "asyncio-ts";
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
export {
  BrokenBarrierError,
  CancelledError,
  IncompleteReadError,
  InvalidStateError,
  KeyboardInterrupt,
  LimitOverrunError,
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
export { getEventLoop, newEventLoop, setEventLoop } from "./events.js";
export { fromPromise } from "./interop.js";
export { NodeEventLoop, NodeEventLoop as EventLoop } from "./loops/node.js";
export type { VirtualEventLoopOptions } from "./loops/virtual.js";
export { VirtualEventLoop } from "./loops/virtual.js";
export type { RunnerRunOptions, RunOptions } from "./runners.js";
export { Runner, run } from "./runners.js";
export type { GatherOptions, GatherResults, GatherResultsOrErrors } from "./tasks.js";
export {
  allTasks,
  createTask,
  currentTask,
  ensureFuture,
  GatheringFuture,
  gather,
  sleep,
} from "./tasks.js";
export type { AsyncContextManager, NonSuppressingAsyncContextManager } from "./contextlib.js";
export { asyncWith } from "./contextlib.js";
