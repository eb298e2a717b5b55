/**
 * `IOEventLoop`: the loop with I/O. `BaseEventLoop` (src/core) only declares the I/O methods
 * — executors, DNS, signals, and the network methods of loop_net.ts — and throws
 * NotImplementedError from them, as asyncio's AbstractEventLoop; this class implements them
 * with Node, and `NodeEventLoop` and `VirtualEventLoop` extend it. Nothing here touches
 * another module's class: a loop built on the core alone stays without I/O.
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import type { Future } from "../core/futures.js";
import {
  type AddrInfo,
  type GetaddrinfoOptions,
  getaddrinfo,
  getnameinfo,
  type SockAddr,
} from "./dns.js";
import {
  _createConnection,
  _createDatagramEndpoint,
  _createServer,
  _createUnixConnection,
  _createUnixServer,
  _startTls,
  type ClientSSL,
  type CreateConnectionOptions,
  type CreateDatagramEndpointOptions,
  type CreateServerOptions,
  type CreateUnixConnectionOptions,
  type CreateUnixServerOptions,
  type ServerSSL,
  type StartTlsOptions,
} from "./loop_net.js";
import type { BaseProtocol, DatagramProtocol } from "./protocols.js";
import type { Server } from "./server.js";
import {
  addSignalHandler,
  removeAllSignalHandlers,
  removeSignalHandler,
  type SignalName,
} from "./signals.js";
import { killSubprocessesAtClose } from "./subprocess.js";
import {
  type Executor,
  runInExecutor,
  setDefaultExecutor,
  shutdownDefaultExecutor,
  type ThreadFunction,
} from "./threads.js";
import {
  _closeLoopResources,
  type DatagramTransport,
  type InetAddress,
  type Transport,
} from "./transports.js";

/**
 * What a closing loop releases, in this order: a closed loop must not keep process signals
 * caught (Ctrl-C would be ignored for good), as asyncio's Unix loop removes its handlers in
 * close(); nor leave a child running that nobody can wait for any more, nor a socket or
 * server open (either would keep Node alive; Python's garbage collector would close it).
 */
const RELEASE_AT_CLOSE: ReadonlyArray<(loop: BaseEventLoop) => void> = [
  removeAllSignalHandlers,
  killSubprocessesAtClose,
  _closeLoopResources,
];

/**
 * An event loop with I/O: the base of `NodeEventLoop` and `VirtualEventLoop`. It implements
 * the I/O methods `BaseEventLoop` declares — sockets, servers, TLS, UDP, executors, DNS,
 * signals — with Node, and releases what a loop holds (signal handlers, child processes,
 * sockets) when it closes. Extend it, rather than `BaseEventLoop`, to write a loop of your
 * own that has I/O: provide `time()` and how to be woken, as the two loops do.
 *
 * @example
 * ```ts
 * const loop = asyncio.newEventLoop();
 * console.log(loop instanceof asyncio.IOEventLoop); // true
 * loop.close();
 * ```
 */
export abstract class IOEventLoop extends BaseEventLoop {
  override runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: ThreadFunction<A, R>,
    ...args: A
  ): Future<R> {
    return runInExecutor(this, executor, fn, args);
  }

  override setDefaultExecutor(executor: Executor): void {
    setDefaultExecutor(this, executor);
  }

  override shutdownDefaultExecutor(timeout: number | null = null): Coroutine<void> {
    return shutdownDefaultExecutor(this, timeout);
  }

  override getaddrinfo(
    host: string | null,
    port: number | string | null,
    options: GetaddrinfoOptions = {},
  ): Future<AddrInfo[]> {
    return getaddrinfo(this, host, port, options);
  }

  override getnameinfo(sockaddr: SockAddr, flags = 0): Future<[string, string]> {
    return getnameinfo(this, sockaddr, flags);
  }

  override addSignalHandler<A extends unknown[]>(
    sig: SignalName | number,
    callback: (...args: A) => unknown,
    ...args: A
  ): void {
    addSignalHandler(this, sig, callback, args);
  }

  override removeSignalHandler(sig: SignalName | number): boolean {
    return removeSignalHandler(this, sig);
  }

  override createConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    options?: CreateConnectionOptions,
  ): Coroutine<[Transport, P]> {
    return _createConnection.call(this, protocolFactory, host, port, options) as Coroutine<
      [Transport, P]
    >;
  }

  override createServer(
    protocolFactory: () => BaseProtocol,
    host?: string | readonly string[] | null,
    port?: number | null,
    options?: CreateServerOptions,
  ): Coroutine<Server<InetAddress>> {
    return _createServer.call(this, protocolFactory, host, port, options);
  }

  override createUnixConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    path: string,
    options?: CreateUnixConnectionOptions,
  ): Coroutine<[Transport, P]> {
    return _createUnixConnection.call(this, protocolFactory, path, options) as Coroutine<
      [Transport, P]
    >;
  }

  override createUnixServer(
    protocolFactory: () => BaseProtocol,
    path: string,
    options?: CreateUnixServerOptions,
  ): Coroutine<Server<string>> {
    return _createUnixServer.call(this, protocolFactory, path, options);
  }

  override createDatagramEndpoint<P extends DatagramProtocol>(
    protocolFactory: () => P,
    options?: CreateDatagramEndpointOptions,
  ): Coroutine<[DatagramTransport, P]> {
    return _createDatagramEndpoint.call(this, protocolFactory, options) as Coroutine<
      [DatagramTransport, P]
    >;
  }

  override startTls(
    transport: Transport,
    protocol: BaseProtocol,
    sslcontext: ClientSSL | ServerSSL,
    options?: StartTlsOptions,
  ): Coroutine<Transport> {
    return _startTls.call(this, transport, protocol, sslcontext, options);
  }

  /**
   * Closes the loop as `BaseEventLoop.close()` does, first releasing its signal handlers,
   * child processes and sockets (each failure is reported, the others still run).
   */
  override close(): void {
    if (!this.isRunning() && !this.isClosed()) {
      for (const release of RELEASE_AT_CLOSE) {
        try {
          release(this);
        } catch (exception) {
          this.callExceptionHandler({ message: "Error while closing the event loop", exception });
        }
      }
    }
    super.close();
  }
}
