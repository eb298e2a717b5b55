/**
 * The loops with I/O. `BaseEventLoop` (src/core) only declares the I/O methods — executors,
 * DNS, signals, and the network methods of loop_net.ts — and throws NotImplementedError
 * from them, as asyncio's AbstractEventLoop; the I/O layer here implements them with Node.
 *
 * A loop has two independent traits: its clock and wake-ups (real time on Node's event
 * loop, virtual time, a browser's tasks — src/loops, all portable), and whether it has I/O
 * (Node only). So the I/O layer is applied on top of a portable loop class by `withIO()`,
 * and gives the main entry's `NodeEventLoop` and `VirtualEventLoop`; `IOEventLoop` is the
 * layer on `BaseEventLoop` alone, for a loop of your own. TypeScript cannot type a mixin of
 * classes that have private members, and needs none here: every I/O method is already
 * declared, with its exact type, by `BaseEventLoop`, so `withIO(Base)` is typed as `Base`.
 * Nothing here touches another module's class: a loop built on the core alone stays
 * without I/O.
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { _setCoroutineLocator } from "../core/coroutines.js";
import type { Future } from "../core/futures.js";
import { locateCoroutine } from "../debug/locate.js";
import { NodeEventLoop as PortableNodeEventLoop } from "../loops/node.js";
import { VirtualEventLoop as PortableVirtualEventLoop } from "../loops/virtual.js";
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
  hasSignalHandler,
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

// Where node:inspector is (the main entry, not the portable one), the bad-yield error and
// the deadlock report can name the user's line.
_setCoroutineLocator(locateCoroutine);

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

/** The brand every loop class made by {@link withIO} carries on its prototype. */
const IO_LOOP: unique symbol = Symbol.for("asyncio-ts.IOEventLoop") as never;

/** A loop class: what {@link withIO} can add I/O to. */
// biome-ignore lint/suspicious/noExplicitAny: TypeScript requires `any[]` of a mixin's base constructor.
type LoopClass = abstract new (...args: any[]) => BaseEventLoop;

/**
 * @internal `Base` with I/O: a subclass that implements every I/O method `BaseEventLoop`
 * declares, and releases what a loop holds (signal handlers, child processes, sockets)
 * when it closes. Typed as `Base`, whose I/O methods the core already declares.
 */
export function withIO<C extends LoopClass>(Base: C): C {
  abstract class WithIO extends Base {
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
    /** @internal Whether this loop has a handler for `sig` (the Runner asks for SIGINT). */
    _hasSignalHandler(sig: SignalName): boolean {
      return hasSignalHandler(this, sig);
    }
  }
  Object.defineProperty(WithIO.prototype, IO_LOOP, { value: true });
  return WithIO;
}

/**
 * An event loop with I/O: what `NodeEventLoop` and `VirtualEventLoop` are. It implements
 * the I/O methods `BaseEventLoop` declares — sockets, servers, TLS, UDP, executors, DNS,
 * signals — with Node, and releases what a loop holds (signal handlers, child processes,
 * sockets) when it closes. Extend it, rather than `BaseEventLoop`, to write a loop of your
 * own that has I/O: provide `time()` and how to be woken. `loop instanceof IOEventLoop`
 * is true of every loop with I/O.
 *
 * @example
 * ```ts
 * const loop = asyncio.newEventLoop();
 * console.log(loop instanceof asyncio.IOEventLoop); // true
 * loop.close();
 * ```
 */
export abstract class IOEventLoop extends withIO(BaseEventLoop) {
  /**
   * `instanceof IOEventLoop` asks "has this loop I/O?": the library's loops get their I/O
   * from the same layer without descending from this class. For a subclass, `instanceof`
   * keeps its usual meaning.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== IOEventLoop) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && IO_LOOP in value;
  }
}

/**
 * The event loop `asyncio.run()` uses by default: asyncio-ts's scheduler on Node's event
 * loop (Deno's and Bun's too), with I/O. See the portable `NodeEventLoop` for how it
 * ticks and how it finds a deadlock.
 *
 * @example
 * ```ts
 * await asyncio.run(main(), { loopFactory: () => new asyncio.NodeEventLoop() });
 * ```
 */
export class NodeEventLoop extends withIO(PortableNodeEventLoop) {}

/**
 * The event loop for tests and simulations: virtual, deterministic time, with I/O (real
 * I/O holds the clock still while it is pending). See the portable `VirtualEventLoop`.
 *
 * @example
 * ```ts
 * const elapsed = await asyncio.run(function* () {
 *   const loop = asyncio.getRunningLoop();
 *   const t0 = loop.time();
 *   yield* asyncio.sleep(3600);
 *   return loop.time() - t0;
 * }(), { loopFactory: () => new asyncio.VirtualEventLoop() });
 * console.log(elapsed); // 3600, at once
 * ```
 */
export class VirtualEventLoop extends withIO(PortableVirtualEventLoop) {}
