/**
 * Server: what `loop.createServer()` and `startServer()` return, as asyncio's `Server`
 * (3.13 behaviour).
 *
 * Life cycle: created serving (unless `startServing: false`); `close()` stops listening
 * (connections already accepted go on); `waitClosed()` returns once the server is closed
 * *and* every connection it accepted has ended (3.12+); `closeClients()` / `abortClients()`
 * end those connections (3.13). Used as an async context manager, it closes and waits on
 * exit.
 *
 * @module
 */

import type * as net from "node:net";
import type { BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { CancelledError, RuntimeError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import { sleep } from "../tasks.js";
import {
  _sockAddress,
  _trackResource,
  _untrackResource,
  type LoopResource,
  type SocketAddress,
  type SocketTransport,
} from "./transports.js";

/**
 * One listening socket of a {@link Server}, as `server.sockets` lists them. `A` is the
 * type of its address: `[host, port]` for a TCP server (`startServer`, `createServer`),
 * the path for a Unix one (`startUnixServer`, `createUnixServer`).
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0);
 * const [host, port] = server.sockets[0]!.getsockname(); // string, number
 * ```
 */
export class ServerSocket<A extends SocketAddress = SocketAddress> {
  /** The Node server that listens. */
  readonly server: net.Server;
  /** @internal */
  constructor(server: net.Server) {
    this.server = server;
  }
  /** The address it listens on: `[host, port]`, or the path of a Unix socket. */
  getsockname(): A {
    const a = this.server.address();
    if (a === null) return "" as A;
    if (typeof a === "string") return a as A;
    return _sockAddress(a.address, a.port, undefined) as A;
  }
  /** `"IPv4"`, `"IPv6"` or `"unix"`. */
  get family(): string {
    const a = this.server.address();
    if (a === null || typeof a === "string") return "unix";
    return a.family;
  }
  toString(): string {
    return `<ServerSocket ${JSON.stringify(this.getsockname())}>`;
  }
}

/** @internal How a Server hands an accepted socket to the loop layer. */
export type AcceptCallback = (sock: net.Socket, server: Server) => void;

/**
 * A listening server, as asyncio's `Server`.
 *
 * Cancellation: cancelling `serveForever()` closes the server and waits for it to be
 * closed before re-raising; cancelling `waitClosed()` only stops that wait.
 *
 * @example
 * ```ts
 * function* main() {
 *   const server = yield* asyncio.startServer(handle, "127.0.0.1", 0);
 *   console.log("serving on", server.sockets.map((s) => s.getsockname()));
 *   yield* asyncio.asyncWith(server, function* () {
 *     yield* server.serveForever(); // until cancelled: Ctrl-C, or as below
 *   });
 * }
 * const serving = asyncio.createTask(main());
 * yield* asyncio.sleep(3600);
 * serving.cancel(); // the server closes
 * ```
 */
export class Server<A extends SocketAddress = SocketAddress> implements LoopResource {
  /** @internal */
  private _loop: BaseEventLoop;
  /** @internal */
  private _servers: net.Server[] | null;
  /** @internal */
  private _accept: AcceptCallback;
  /** @internal */
  private _serving = false;
  /** @internal */
  private _activeCount = 0;
  /** @internal */
  private _clients = new Set<SocketTransport>();
  /** @internal */
  private _waiters: Future<void>[] | null = [];
  /** @internal */
  private _servingForeverFut: Future<void> | null = null;
  /** @internal Connections accepted by Node before serving started: served once it starts. */
  private _queued: net.Socket[] = [];
  /** @internal */
  private _cleanups: (() => void)[] = [];

  /** @internal Made by the loop methods; `servers` already listen, paused. */
  constructor(loop: BaseEventLoop, servers: net.Server[], accept: AcceptCallback) {
    this._loop = loop;
    this._servers = servers;
    this._accept = accept;
    _trackResource(loop, this);
  }

  /** @internal */
  _closeAtLoopClose(): void {
    this.close();
  }

  /** @internal Called by the loop layer for each connection Node accepts. */
  _onConnection(sock: net.Socket): void {
    if (this._servers === null || this._loop.isClosed()) {
      sock.destroy();
      return;
    }
    if (!this._serving) {
      this._queued.push(sock);
      sock.on("error", ignoreError);
      return;
    }
    this._accept(sock, this);
  }

  /** @internal Registers something to run when the server closes (e.g. unlinking a path). */
  _onClose(fn: () => void): void {
    this._cleanups.push(fn);
  }

  /** @internal */
  _attach(transport: SocketTransport): void {
    this._activeCount++;
    this._clients.add(transport);
  }

  /** @internal */
  _detach(transport: SocketTransport): void {
    if (!this._clients.delete(transport)) return;
    this._activeCount--;
    if (this._activeCount === 0 && this._servers === null) this._wakeup();
  }

  /** @internal */
  private _wakeup(): void {
    const waiters = this._waiters;
    this._waiters = null;
    if (waiters === null) return;
    for (const w of waiters) if (!w.done()) w.setResult(undefined);
  }

  /** The loop the server runs on. */
  getLoop(): BaseEventLoop {
    return this._loop;
  }

  /** Whether the server accepts new connections. */
  isServing(): boolean {
    return this._serving;
  }

  /** The listening sockets; empty once closed. */
  get sockets(): ServerSocket<A>[] {
    if (this._servers === null) return [];
    return this._servers.map((s) => new ServerSocket<A>(s));
  }

  /**
   * Stops listening. Connections already accepted stay open (see {@link closeClients});
   * a `serveForever()` in progress is cancelled. Idempotent.
   */
  close(): void {
    const servers = this._servers;
    if (servers === null) return;
    this._servers = null;
    _untrackResource(this._loop, this);
    for (const s of servers) s.close();
    for (const sock of this._queued) sock.destroy();
    this._queued = [];
    this._serving = false;
    const fut = this._servingForeverFut;
    if (fut !== null && !fut.done()) {
      fut.cancel();
      this._servingForeverFut = null;
    }
    for (const fn of this._cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // best effort (a Unix socket path already removed)
      }
    }
    if (this._activeCount === 0) this._wakeup();
  }

  /** Closes every connection the server accepted (their buffers are flushed first). */
  closeClients(): void {
    for (const t of [...this._clients]) t.close();
  }

  /** Aborts every connection the server accepted (buffers dropped). */
  abortClients(): void {
    for (const t of [...this._clients]) t.abort();
  }

  /** Starts accepting connections, if not already. */
  *startServing(): Coroutine<void> {
    this._startServing();
    yield* sleep(0);
  }

  /** @internal */
  private _startServing(): void {
    if (this._serving || this._servers === null) return;
    this._serving = true;
    const queued = this._queued;
    this._queued = [];
    for (const sock of queued) {
      sock.removeListener("error", ignoreError);
      if (sock.destroyed) continue;
      this._accept(sock, this);
    }
  }

  /**
   * Serves until cancelled; cancelling closes the server (and waits for it) before the
   * CancelledError propagates. RuntimeError if the server is closed or another
   * `serveForever()` is running.
   */
  *serveForever(): Coroutine<void> {
    if (this._servingForeverFut !== null) {
      throw new RuntimeError(`server ${this} is already being awaited on serveForever()`);
    }
    if (this._servers === null) throw new RuntimeError(`server ${this} is closed`);
    this._startServing();
    const fut = this._loop.createFuture<void>();
    this._servingForeverFut = fut;
    try {
      yield* fut;
    } catch (e) {
      if (e instanceof CancelledError) {
        try {
          this.close();
          yield* this.waitClosed();
        } catch {
          // asyncio re-raises the original cancellation whatever the wait did
        }
      }
      throw e;
    } finally {
      this._servingForeverFut = null;
    }
  }

  /**
   * Waits until the server is closed and every connection it accepted has ended (3.12+).
   * Returns at once if that already happened.
   */
  *waitClosed(): Coroutine<void> {
    const waiters = this._waiters;
    if (waiters === null) return;
    const w = this._loop.createFuture<void>();
    waiters.push(w);
    try {
      yield* w;
    } finally {
      const i = this._waiters?.indexOf(w) ?? -1;
      if (i >= 0) this._waiters?.splice(i, 1);
    }
  }

  /** `async with server:` — returns the server. */
  *aenter(): Coroutine<this> {
    return this;
  }

  /** Closes the server and waits for it (and its connections) to be closed. */
  *aexit(_exc: unknown): Coroutine<undefined> {
    this.close();
    yield* this.waitClosed();
    return undefined;
  }

  toString(): string {
    const socks = this._servers === null ? "closed" : this.sockets.map(String).join(", ");
    return `<Server ${socks}>`;
  }
}

function ignoreError(): void {
  // A queued connection that fails before serving starts is dropped at accept time.
}
