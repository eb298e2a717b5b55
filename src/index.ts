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
export {
  IOEventLoop,
  NodeEventLoop,
  NodeEventLoop as EventLoop,
  VirtualEventLoop,
} from "./io/loop_io.js";
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
export { newEventLoop, Runner, run } from "./io/runners.js";
export { Server, ServerSocket } from "./io/server.js";
export type { SignalName } from "./io/signals.js";
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
export type { InetAddress, SocketAddress, TransportExtraInfo } from "./io/transports.js";
export { BaseTransport, DatagramTransport, Transport } from "./io/transports.js";
// The portable part, whole. Its loops and runner (NodeEventLoop, VirtualEventLoop, run,
// Runner, newEventLoop) are the ones without I/O; the explicit exports above, with I/O,
// take their place: a module's own export wins over a name it re-exports with `*`.
export * from "./portable.js";
