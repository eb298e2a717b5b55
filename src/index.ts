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
export { getEventLoop, setEventLoop } from "./events.js";
export type { ErrorClass, ErrorMatcher, ExceptClause } from "./exceptiongroups.js";
export { BaseExceptionGroup, ExceptionGroup, exceptStar } from "./exceptiongroups.js";
export type { RunCoroutineThreadsafeOptions } from "./interop.js";
export { currentSignal, fromAsync, fromPromise, runCoroutineThreadsafe } from "./interop.js";
// The loops and the runner of the main entry have I/O (the portable entry's have not).
export {
  IOEventLoop,
  NodeEventLoop,
  NodeEventLoop as EventLoop,
  VirtualEventLoop,
} from "./io/loop_io.js";
export { newEventLoop, Runner, run } from "./io/runners.js";
export type { BrowserEventLoopOptions } from "./loops/browser.js";
export { BrowserEventLoop } from "./loops/browser.js";
export type { VirtualEventLoopOptions } from "./loops/virtual.js";
export type { RunnerRunOptions, RunOptions } from "./runners.js";
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

// I/O — network (protocols, transports, servers, streams)

export type {
  ClientSSL,
  CreateConnectionOptions,
  CreateDatagramEndpointOptions,
  CreateServerOptions,
  CreateUnixConnectionOptions,
  CreateUnixServerOptions,
  ServerSSL,
  StartTlsOptions,
} from "./io/loop_net.js";
export type { DatagramAddress } from "./io/protocols.js";
export { BaseProtocol, BufferedProtocol, DatagramProtocol, Protocol } from "./io/protocols.js";
export { Server, ServerSocket } from "./io/server.js";
export type {
  ClientConnectedCallback,
  OpenConnectionOptions,
  OpenUnixConnectionOptions,
  Separator,
  StartServerOptions,
  StartUnixServerOptions,
  StreamReaderOptions,
  StreamStartTlsOptions,
} from "./io/streams.js";
export {
  openConnection,
  openUnixConnection,
  StreamReader,
  StreamWriter,
  startServer,
  startUnixServer,
} from "./io/streams.js";
export type { InetAddress, SocketAddress, TransportExtraInfo } from "./io/transports.js";
export { BaseTransport, DatagramTransport, Transport } from "./io/transports.js";
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

// I/O — threads, DNS, signals, subprocesses (files: asyncio-ts/files; HTTP: asyncio-ts/http)

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
export type {
  Instrument,
  InstrumentOptions,
  LoopStats,
  TaskOutcome,
  WaitKind,
  WaitTarget,
} from "./debug/instruments.js";
export { addInstrument, getInstruments, removeInstrument } from "./debug/instruments.js";
export type {
  TimelineCancel,
  TimelineGroup,
  TimelineHTMLOptions,
  TimelineSpan,
  TimelineTask,
  TimelineTextOptions,
  TimelineWait,
  TraceEvent,
} from "./debug/timeline.js";
export { Timeline } from "./debug/timeline.js";
export type { TaskReportOptions } from "./debug/tools.js";
export { formatTaskTable, formatTaskTree } from "./debug/tools.js";
export type { DecodeErrors } from "./io/decoding.js";
export { UnicodeDecodeError } from "./io/decoding.js";
export type { AddrInfo, GetaddrinfoOptions, SockAddr } from "./io/dns.js";
export {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_ADDRCONFIG,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_PASSIVE,
  AI_V4MAPPED,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "./io/dns.js";
export type { SignalName } from "./io/signals.js";
export type { StdioTarget, SubprocessOptions } from "./io/subprocess.js";
export {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  PIPE,
  Process,
  ProcessLookupError,
  STDOUT,
} from "./io/subprocess.js";
export type { Executor, ModuleFunction, ShutdownOptions, ThreadFunction } from "./io/threads.js";
export { moduleFunction, ThreadPoolExecutor, toThread } from "./io/threads.js";
