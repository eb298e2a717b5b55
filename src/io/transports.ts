/**
 * Transports: what a protocol writes to, as asyncio's `transports.py`, implemented over
 * Node's sockets (`node:net`, `node:tls`, `node:dgram`).
 *
 * Node delivers socket events between the loop's ticks; the transport turns each into a
 * protocol callback at that moment (asyncio's "I/O callbacks" phase of an iteration), so a
 * callback that wakes a task (a Future's `setResult`) makes the loop run it in the next
 * tick. `connectionMade` and `connectionLost` are scheduled with `callSoon`, as asyncio
 * does, so they keep FIFO order with everything else.
 *
 * Flow control in both directions:
 * - reading: `pauseReading()` stops `dataReceived` calls and, once Node's own small buffer
 *   is full, reading from the kernel, so a peer that keeps sending is held back by TCP;
 * - writing: the write buffer is Node's socket buffer (`socket.writableLength`); when it
 *   passes the high water mark the protocol's `pauseWriting()` is called, and when it falls
 *   to the low water mark, `resumeWriting()`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type * as dgram from "node:dgram";
import type * as net from "node:net";
import type * as tls from "node:tls";
import type { BaseEventLoop } from "../core/base_events.js";
import { describe } from "../core/coroutines.js";
import { RuntimeError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import { _osError } from "./oserror.js";
import {
  _isBufferedProtocol,
  type BaseProtocol,
  type BufferedProtocol,
  type DatagramAddress,
  type DatagramProtocol,
  type Protocol,
} from "./protocols.js";

/** Default high water mark of a transport's write buffer (asyncio's 64 KiB). */
const DEFAULT_HIGH_WATER = 64 * 1024;

/**
 * A socket address as asyncio gives it: `[host, port]` for TCP and UDP, a path for Unix
 * sockets (`""` for an unnamed one).
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0);
 * const [, port] = server.sockets[0]!.getsockname();
 * const [, writer] = yield* asyncio.openConnection("127.0.0.1", port);
 * const peer: asyncio.SocketAddress | undefined = writer.transport.getExtraInfo("peername");
 * if (typeof peer === "string") console.log("unix socket", peer);
 * else if (peer !== undefined) console.log("host", peer[0], "port", peer[1]); // host 127.0.0.1 port …
 * writer.close();
 * server.close();
 * ```
 */
export type SocketAddress = InetAddress | string;

/**
 * The address of a TCP (or UDP) socket: `[host, port]`. What a TCP server's
 * `server.sockets[i].getsockname()` gives.
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0);
 * const [host, port]: asyncio.InetAddress = server.sockets[0]!.getsockname();
 * ```
 */
export type InetAddress = readonly [host: string, port: number];

/**
 * The keys `getExtraInfo()` knows, with their types (asyncio's names in camelCase).
 * A key the transport does not have gives `undefined` (or the default you pass).
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0, {
 *   ssl: { key: keyPem, cert: certPem },
 * });
 * const [, port] = server.sockets[0]!.getsockname();
 * const [, writer] = yield* asyncio.openConnection("127.0.0.1", port, { ssl: { ca: [caPem] } });
 * const cert = writer.transport.getExtraInfo("peercert"); // tls.PeerCertificate | undefined
 * const version = writer.getExtraInfo("sslVersion", "none"); // string
 * const key: keyof asyncio.TransportExtraInfo = "sockname";
 * console.log(cert?.subject.CN, version, writer.getExtraInfo(key) !== undefined); // localhost TLSv1.3 true
 * writer.close();
 * server.close();
 * ```
 */
export interface TransportExtraInfo {
  /** The remote address. */
  peername: SocketAddress;
  /** The local address. */
  sockname: SocketAddress;
  /** The Node socket under the transport (`net.Socket`, `tls.TLSSocket` or `dgram.Socket`). */
  socket: net.Socket | dgram.Socket;
  /** TLS only: the TLS socket (asyncio's `ssl_object`). */
  sslObject: tls.TLSSocket;
  /** TLS only: the peer's certificate (empty object when the peer sent none). */
  peercert: tls.PeerCertificate;
  /** TLS only: the negotiated cipher. */
  cipher: tls.CipherNameAndProtocol;
  /** TLS only: the negotiated protocol version, e.g. `"TLSv1.3"`. */
  sslVersion: string;
}

/**
 * Something that must not outlive its loop: closed by `loop.close()`. Only its member is
 * internal: `Server` implements it.
 */
export interface LoopResource {
  /** @internal */
  _closeAtLoopClose(): void;
}

/**
 * Open sockets and servers per loop. Node keeps the process alive while a socket is
 * open, so a transport or server still open when its loop closes (Python's garbage
 * collector would close it, with a ResourceWarning) is closed then; see loop_net.ts.
 */
const resources = new WeakMap<BaseEventLoop, Set<LoopResource>>();

/**
 * Loops whose resources are watched (the testing harness): each resource tracked on such a
 * loop is passed to the watcher when it opens, so a test can name where a leaked one was
 * made. Unwatched loops pay one WeakMap miss per opened resource.
 */
const watchers = new WeakMap<BaseEventLoop, (r: object) => void>();

/** @internal */
export function _trackResource(loop: BaseEventLoop, r: LoopResource): void {
  let set = resources.get(loop);
  if (set === undefined) {
    set = new Set();
    resources.set(loop, set);
  }
  set.add(r);
  watchers.get(loop)?.(r);
}

/** @internal The resources (servers, transports) still open on `loop`, in opening order. */
export function _openResources(loop: BaseEventLoop): LoopResource[] {
  return [...(resources.get(loop) ?? [])];
}

/**
 * @internal Calls `watcher` with each resource opened on `loop` from now on — the tracked
 * ones (servers, transports) and those announced by {@link _announceResource}
 * (subprocesses, thread calls); null stops.
 */
export function _watchResources(loop: BaseEventLoop, watcher: ((r: object) => void) | null): void {
  if (watcher === null) watchers.delete(loop);
  else watchers.set(loop, watcher);
}

/**
 * @internal Tells `loop`'s watcher (if any) that `r` was just opened, without tracking it
 * here: subprocesses and thread calls keep their own registries (subprocess.ts,
 * threads.ts), because what "left open" means differs for them.
 */
export function _announceResource(loop: BaseEventLoop, r: object): void {
  watchers.get(loop)?.(r);
}

/** @internal */
export function _untrackResource(loop: BaseEventLoop, r: LoopResource): void {
  resources.get(loop)?.delete(r);
}

/** @internal Closes what is still open on `loop` (called once the loop is closed). */
export function _closeLoopResources(loop: BaseEventLoop): void {
  const set = resources.get(loop);
  if (set === undefined) return;
  resources.delete(loop);
  for (const r of set) {
    try {
      r._closeAtLoopClose();
    } catch {
      // best effort: the loop is gone, there is nobody left to report to
    }
  }
}

/**
 * @internal Whether waiting on `t` waits on the outside world (a socket): a virtual clock
 * then holds still. In-memory and simulated transports (asyncio-ts/testing) mark
 * themselves `_inLoop`: their data comes through the loop's own timers.
 */
export function _feedsFromOutside(t: BaseTransport | null): boolean {
  return t !== null && (t as { _inLoop?: boolean })._inLoop !== true;
}

/** @internal Throws a TypeError unless `data` is bytes. */
export function _checkBytes(data: unknown, method: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(
      `${method}(): 'data' must be a Uint8Array (or Buffer): received ${describe(data)}`,
    );
  }
}

/** @internal The address of a socket end as asyncio reports it. */
export function _sockAddress(
  address: string | undefined,
  port: number | undefined,
  path: string | undefined,
): SocketAddress {
  if (path !== undefined) return path;
  return [address ?? "", port ?? 0];
}

/**
 * Base of every transport: closing and extra information.
 *
 * @example
 * ```ts
 * const server = yield* loop.createServer(() => new asyncio.Protocol(), "127.0.0.1", 0);
 * const [, port] = server.sockets[0]!.getsockname();
 * const [transport] = yield* loop.createConnection(() => new asyncio.Protocol(), "127.0.0.1", port);
 * console.log(transport.getExtraInfo("peername")); // ["127.0.0.1", port]
 * transport.close();
 * console.log(transport.isClosing()); // true
 * server.close();
 * ```
 */
export abstract class BaseTransport {
  /** @internal */
  _extra: Partial<TransportExtraInfo>;

  constructor(extra: Partial<TransportExtraInfo> = {}) {
    this._extra = extra;
  }

  /**
   * Information about the connection, by key (see {@link TransportExtraInfo}); `dflt` (or
   * `undefined`) when the transport does not have it.
   */
  getExtraInfo<K extends keyof TransportExtraInfo>(name: K): TransportExtraInfo[K] | undefined;
  getExtraInfo<K extends keyof TransportExtraInfo, D>(name: K, dflt: D): TransportExtraInfo[K] | D;
  getExtraInfo(name: string, dflt?: unknown): unknown;
  getExtraInfo(name: string, dflt?: unknown): unknown {
    const v = (this._extra as Record<string, unknown>)[name];
    return v === undefined ? dflt : v;
  }

  /** Whether the transport is closing or closed. */
  abstract isClosing(): boolean;
  /**
   * Closes the transport: buffered data is still sent, then the connection is closed and
   * the protocol's `connectionLost(null)` is called. Idempotent.
   */
  abstract close(): void;
  /** Sets a new protocol; it receives the callbacks from now on. */
  abstract setProtocol(protocol: BaseProtocol): void;
  /** The current protocol. */
  abstract getProtocol(): BaseProtocol;
}

/**
 * A bidirectional stream transport (TCP, Unix socket, TLS), as asyncio's `Transport`.
 *
 * `write()` never blocks: data goes to the write buffer at once. Watch the buffer with the
 * protocol's `pauseWriting()` / `resumeWriting()` (the StreamWriter's `drain()` does that).
 *
 * @example
 * ```ts
 * const server = yield* loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0);
 * const [, port] = server.sockets[0]!.getsockname();
 * const [transport] = yield* loop.createConnection(() => new MyProtocol(), "127.0.0.1", port);
 * transport.write(Buffer.from("hello\n")); // MyProtocol prints the echo
 * if (transport.canWriteEof()) transport.writeEof();
 * yield* asyncio.sleep(0.1);
 * transport.close();
 * server.close();
 * ```
 */
export abstract class Transport extends BaseTransport {
  /** Queues `data` for sending. TypeError unless bytes; RuntimeError after `writeEof()`. */
  abstract write(data: Uint8Array): void;
  /** Writes each buffer of `list`, in order. */
  writelines(list: Iterable<Uint8Array>): void {
    for (const data of list) this.write(data);
  }
  /** Closes the writing side after the buffered data is sent (half-close). */
  abstract writeEof(): void;
  /** Whether `writeEof()` is possible (false on TLS, as in asyncio). */
  abstract canWriteEof(): boolean;
  /** Closes at once: buffered data is dropped; `connectionLost(null)` follows. */
  abstract abort(): void;
  /** Stops `dataReceived` calls until {@link resumeReading}. */
  abstract pauseReading(): void;
  /** Resumes `dataReceived` calls. */
  abstract resumeReading(): void;
  /** Whether the transport is receiving (not paused, not closing). */
  abstract isReading(): boolean;
  /** Bytes in the write buffer, not yet handed to the kernel. */
  abstract getWriteBufferSize(): number;
  /** `[low, high]`: the water marks that resume and pause the protocol's writing. */
  abstract getWriteBufferLimits(): [low: number, high: number];
  /**
   * Sets the water marks. With neither given, high is 64 KiB; a missing one derives from
   * the other (high = 4 × low, low = high / 4). RangeError unless `high >= low >= 0`.
   */
  abstract setWriteBufferLimits(high?: number, low?: number): void;
}

/**
 * A datagram (UDP) transport, as asyncio's `DatagramTransport`.
 *
 * @example
 * ```ts
 * const [transport] = yield* loop.createDatagramEndpoint(() => new asyncio.DatagramProtocol(), {
 *   remoteAddr: ["127.0.0.1", 9999],
 * });
 * transport.sendto(Buffer.from("ping"));
 * ```
 */
export abstract class DatagramTransport extends BaseTransport {
  /** Sends one datagram to `addr` (or to the connected remote address). */
  abstract sendto(data: Uint8Array, addr?: DatagramAddress): void;
  /** Closes at once (datagrams have nothing to flush). */
  abstract abort(): void;
  /** Bytes queued for sending. */
  abstract getWriteBufferSize(): number;
}

/** @internal Who is told when a server-side transport ends. */
export interface TransportOwner {
  /** @internal */
  _attach(transport: SocketTransport): void;
  /** @internal */
  _detach(transport: SocketTransport): void;
}

/** @internal Options of the SocketTransport constructor. */
export interface SocketTransportOptions {
  /** Set (to undefined) once connectionMade has been called. */
  waiter?: Future<void> | null;
  server?: TransportOwner | null;
  /** The socket is a TLS socket. */
  tls?: boolean;
  /** The connection was upgraded (startTls): the protocol is already connected. */
  upgraded?: boolean;
}

function extraFor(sock: net.Socket, isTls: boolean): Partial<TransportExtraInfo> {
  const unix = sock.remoteFamily === undefined && sock.remoteAddress === undefined;
  const extra: Partial<TransportExtraInfo> = { socket: sock };
  if (unix) {
    // Unix sockets: Node does not expose the paths; the loop methods fill in the one they
    // know (the server's path); asyncio gives "" for an unnamed end, as clients are.
    extra.peername = "";
    extra.sockname = "";
  } else {
    extra.peername = _sockAddress(sock.remoteAddress, sock.remotePort, undefined);
    extra.sockname = _sockAddress(sock.localAddress, sock.localPort, undefined);
  }
  if (isTls) {
    const t = sock as tls.TLSSocket;
    extra.sslObject = t;
    extra.peercert = t.getPeerCertificate();
    extra.cipher = t.getCipher();
    const version = t.getProtocol();
    if (version !== null) extra.sslVersion = version;
  }
  return extra;
}

/**
 * @internal The stream transport over a Node socket (`net.Socket` or `tls.TLSSocket`).
 * Exported for the loop methods; users see it as a {@link Transport}.
 */
export class SocketTransport extends Transport implements LoopResource {
  /** @internal */
  _loop: BaseEventLoop;
  /** @internal */
  _sock: net.Socket;
  /** @internal */
  _protocol: BaseProtocol;
  /** @internal */
  private _buffered: boolean;
  /** @internal */
  private _closing = false;
  /** @internal close() or abort() ran, or the connection is gone */
  private _connLost = 0;
  /** @internal */
  private _lostScheduled = false;
  /** @internal */
  private _started = false;
  /** @internal */
  private _paused = false;
  /** @internal */
  private _eof = false;
  /** @internal */
  private _detached = false;
  /** @internal */
  private _error: unknown = null;
  /** @internal */
  private _high = DEFAULT_HIGH_WATER;
  /** @internal */
  private _low = DEFAULT_HIGH_WATER / 4;
  /** @internal */
  private _protocolPaused = false;
  /** @internal */
  private _server: TransportOwner | null;
  /** @internal */
  private readonly _tls: boolean;
  /** @internal */
  private readonly _upgraded: boolean;

  constructor(
    loop: BaseEventLoop,
    sock: net.Socket,
    protocol: BaseProtocol,
    options: SocketTransportOptions = {},
  ) {
    const isTls = options.tls ?? false;
    super(extraFor(sock, isTls));
    this._loop = loop;
    this._sock = sock;
    this._protocol = protocol;
    this._buffered = _isBufferedProtocol(protocol);
    this._tls = isTls;
    this._server = options.server ?? null;
    // No 'data' listener yet: nothing is delivered before connectionMade, and pause()
    // makes the stream stay paused when the listener is added.
    sock.pause();
    // asyncio turns Nagle's algorithm off on every TCP transport (a no-op on pipes).
    sock.setNoDelay(true);
    sock.on("error", this._onError);
    sock.on("close", this._onClose);
    sock.on("end", this._onEnd);
    this._server?._attach(this);
    _trackResource(loop, this);
    const waiter = options.waiter ?? null;
    this._upgraded = options.upgraded ?? false;
    // An accepted connection arrives from outside: an explorer may make it later.
    const gate = loop._ioGate;
    if (gate === null || this._server === null) loop.callSoon(this._start, waiter);
    else gate.event(this, this._role(), "accepted", () => loop.callSoon(this._start, waiter));
    // The socket may have died between its connect event and now (its 'close' is gone).
    if (sock.destroyed && (sock as net.Socket & { closed?: boolean }).closed === true) {
      this._onClose();
    }
  }

  /** @internal What this connection is, for an explorer's trace and per-source choices. */
  _role(): string {
    return this._server === null ? "connection" : "accepted connection";
  }

  // ------------------------------------------------------------------ Node events

  /** @internal */
  private readonly _start = (waiter: Future<void> | null): void => {
    if (this._detached) return;
    this._started = true;
    try {
      if (!this._upgraded) this._protocol.connectionMade(this);
    } catch (exc) {
      this._fatalError(exc, "protocol.connectionMade() failed");
      if (waiter !== null && !waiter.done()) waiter.setException(exc);
      return;
    }
    if (!this._closing && !this._detached) {
      this._sock.on("data", this._onData);
      if (!this._paused) this._sock.resume();
    }
    if (waiter !== null && !waiter.done()) waiter.setResult(undefined);
  };

  /** @internal */
  private readonly _onData = (chunk: Buffer): void => {
    const gate = this._loop._ioGate;
    if (gate === null) this._receive(chunk);
    else gate.data(this, this._role(), chunk, this._receive);
  };

  /** @internal */
  private readonly _receive = (chunk: Buffer): void => {
    if (this._closing || this._detached) return;
    try {
      if (this._buffered) this._feedBuffered(chunk);
      else (this._protocol as Protocol).dataReceived(chunk);
    } catch (exc) {
      this._fatalError(exc, "Fatal error: protocol.dataReceived() call failed.");
    }
  };

  /** @internal */
  private _feedBuffered(chunk: Buffer): void {
    const proto = this._protocol as BufferedProtocol;
    let off = 0;
    while (off < chunk.length) {
      const remaining = chunk.length - off;
      const buf = proto.getBuffer(remaining);
      if (!(buf instanceof Uint8Array) || buf.length === 0) {
        throw new RuntimeError("getBuffer() returned an empty buffer");
      }
      const n = Math.min(buf.length, remaining);
      buf.set(chunk.subarray(off, off + n));
      off += n;
      proto.bufferUpdated(n);
    }
  }

  /** @internal */
  private readonly _onEnd = (): void => {
    const gate = this._loop._ioGate;
    if (gate === null) this._eofReceived();
    else gate.event(this, this._role(), "EOF", this._eofReceived);
  };

  /** @internal */
  private readonly _eofReceived = (): void => {
    if (this._closing || this._detached) return;
    let keepOpen: unknown;
    try {
      keepOpen = (this._protocol as Protocol).eofReceived?.();
    } catch (exc) {
      this._fatalError(exc, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    // Half-open connections are not supported over TLS, as in asyncio.
    if (keepOpen !== true || this._tls) this.close();
  };

  /** @internal */
  private readonly _onError = (nodeError: Error): void => {
    const err = _osError(nodeError);
    if (this._error === null) this._error = err;
    if (this._loop.getDebug() && !this._loop.isClosed()) {
      this._loop.callExceptionHandler({
        message: "Fatal error on transport",
        exception: err,
        transport: this,
        protocol: this._protocol,
      });
    }
  };

  /** @internal */
  private readonly _onClose = (): void => {
    if (this._detached) return;
    const gate = this._loop._ioGate;
    if (gate === null) this._scheduleConnectionLost(this._error);
    else gate.event(this, this._role(), "closed", this._closed);
  };

  /** @internal */
  private readonly _closed = (): void => {
    if (!this._detached) this._scheduleConnectionLost(this._error);
  };

  /** @internal */
  private readonly _onWritten = (): void => {
    if (this._protocolPaused && this._sock.writableLength <= this._low) {
      this._protocolPaused = false;
      try {
        this._protocol.resumeWriting();
      } catch (exc) {
        this._loop.callExceptionHandler({
          message: "protocol.resumeWriting() failed",
          exception: exc,
          transport: this,
          protocol: this._protocol,
        });
      }
    }
  };

  // ------------------------------------------------------------------ closing

  /** @internal */
  private _scheduleConnectionLost(exc: unknown): void {
    if (this._lostScheduled) return;
    this._lostScheduled = true;
    this._closing = true;
    this._connLost++;
    if (this._loop.isClosed()) return;
    this._loop.callSoon(this._callConnectionLost, exc);
  }

  /** @internal */
  private readonly _callConnectionLost = (exc: unknown): void => {
    try {
      // A connection lost before connectionMade ran: connectionMade already ran because
      // both were scheduled in FIFO order; if start never happened (closed loop), skip.
      if (this._started) this._protocol.connectionLost(exc);
    } catch (e) {
      this._loop.callExceptionHandler({
        message: "protocol.connectionLost() failed",
        exception: e,
        transport: this,
        protocol: this._protocol,
      });
    } finally {
      if (!this._sock.destroyed) this._sock.destroy();
      _untrackResource(this._loop, this);
      const server = this._server;
      this._server = null;
      server?._detach(this);
    }
  };

  /** @internal An error that ends the connection: reported, then the socket is destroyed. */
  _fatalError(exc: unknown, message: string): void {
    this._loop.callExceptionHandler({
      message,
      exception: exc,
      transport: this,
      protocol: this._protocol,
    });
    if (this._error === null) this._error = exc;
    this._closing = true;
    this._sock.destroy();
    this._scheduleConnectionLost(exc);
  }

  // ------------------------------------------------------------------ Transport API

  isClosing(): boolean {
    return this._closing;
  }

  close(): void {
    if (this._closing) return;
    this._closing = true;
    const sock = this._sock;
    sock.pause();
    if (sock.destroyed) return;
    // Flush what is buffered, send EOF, then release the descriptor. A peer that never
    // reads keeps the connection until abort(), as in asyncio.
    if (sock.writableFinished) {
      sock.destroy();
      return;
    }
    sock.end(() => {
      if (!sock.destroyed) sock.destroy();
    });
  }

  abort(): void {
    this._closing = true;
    if (!this._sock.destroyed) this._sock.destroy();
    else this._scheduleConnectionLost(null);
  }

  write(data: Uint8Array): void {
    _checkBytes(data, "write");
    if (this._eof) throw new RuntimeError("Cannot call write() after writeEof()");
    if (data.length === 0) return;
    if (this._connLost > 0 || this._closing || this._sock.destroyed) {
      // As asyncio: a write to a closing or lost connection is dropped; the writer's
      // drain() reports the lost connection (ConnectionResetError or its error).
      this._connLost++;
      return;
    }
    // A copy: the caller may reuse its buffer as soon as write() returns, but Node keeps
    // a reference to what it could not send at once.
    this._sock.write(Buffer.from(data), this._onWritten);
    if (!this._protocolPaused && this._sock.writableLength > this._high) this._pauseProtocol();
  }

  override writelines(list: Iterable<Uint8Array>): void {
    const parts: Uint8Array[] = [];
    for (const data of list) {
      _checkBytes(data, "writelines");
      parts.push(data);
    }
    if (parts.length === 1) this.write(parts[0] as Uint8Array);
    else if (parts.length > 1) this.write(Buffer.concat(parts));
  }

  /** @internal */
  private _pauseProtocol(): void {
    this._protocolPaused = true;
    try {
      this._protocol.pauseWriting();
    } catch (exc) {
      this._loop.callExceptionHandler({
        message: "protocol.pauseWriting() failed",
        exception: exc,
        transport: this,
        protocol: this._protocol,
      });
    }
  }

  writeEof(): void {
    if (this._closing || this._eof) return;
    if (this._tls) throw new RuntimeError("writeEof() is not supported on TLS transports");
    this._eof = true;
    this._sock.end();
  }

  canWriteEof(): boolean {
    return !this._tls;
  }

  pauseReading(): void {
    if (this._closing || this._paused) return;
    this._paused = true;
    this._sock.pause();
  }

  resumeReading(): void {
    if (this._closing || !this._paused) return;
    this._paused = false;
    if (this._started) this._sock.resume();
    this._loop._ioGate?.resumed(this);
  }

  isReading(): boolean {
    return !this._paused && !this._closing;
  }

  getWriteBufferSize(): number {
    return this._sock.writableLength;
  }

  getWriteBufferLimits(): [low: number, high: number] {
    return [this._low, this._high];
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    let h = high;
    let l = low;
    if (h === undefined) h = l === undefined ? DEFAULT_HIGH_WATER : 4 * l;
    if (l === undefined) l = Math.floor(h / 4);
    if (typeof h !== "number" || typeof l !== "number" || !(h >= l && l >= 0)) {
      throw new RangeError(
        `setWriteBufferLimits(): 'high' (${describe(h)}) must be >= 'low' (${describe(l)}) must be >= 0`,
      );
    }
    this._high = h;
    this._low = l;
    if (!this._protocolPaused && this._sock.writableLength > h) this._pauseProtocol();
    else this._onWritten();
  }

  setProtocol(protocol: BaseProtocol): void {
    this._protocol = protocol;
    this._buffered = _isBufferedProtocol(protocol);
  }

  getProtocol(): BaseProtocol {
    return this._protocol;
  }

  /** @internal */
  _closeAtLoopClose(): void {
    this._closing = true;
    this._sock.destroy();
  }

  /**
   * @internal For startTls: stops this transport from delivering anything and returns the
   * raw socket, which the TLS layer takes over. The transport counts as closed.
   */
  _detach(): net.Socket {
    this._detached = true;
    this._closing = true;
    const sock = this._sock;
    sock.pause();
    sock.removeListener("data", this._onData);
    sock.removeListener("end", this._onEnd);
    sock.removeListener("close", this._onClose);
    sock.removeListener("error", this._onError);
    _untrackResource(this._loop, this);
    const server = this._server;
    this._server = null;
    server?._detach(this);
    return sock;
  }

  /** @internal The owner (a Server) that counts this connection, if any. */
  _takeServer(): TransportOwner | null {
    return this._server;
  }

  override toString(): string {
    const state = this._closing ? "closing" : "open";
    return `<SocketTransport ${state} ${JSON.stringify(this._extra.peername ?? null)}>`;
  }
}

/** @internal The datagram transport over a `dgram.Socket`. */
export class UdpTransport extends DatagramTransport implements LoopResource {
  /** @internal */
  private _loop: BaseEventLoop;
  /** @internal */
  private _sock: dgram.Socket;
  /** @internal */
  private _protocol: DatagramProtocol;
  /** @internal */
  private _closing = false;
  /** @internal */
  private _lost = false;
  /** @internal */
  private _remote: DatagramAddress | null;

  constructor(
    loop: BaseEventLoop,
    sock: dgram.Socket,
    protocol: DatagramProtocol,
    remote: DatagramAddress | null,
    waiter: Future<void>,
  ) {
    super({});
    this._loop = loop;
    this._sock = sock;
    this._protocol = protocol;
    this._remote = remote;
    const local = sock.address();
    this._extra.socket = sock;
    this._extra.sockname = [local.address, local.port];
    if (remote !== null) this._extra.peername = remote;
    sock.on("message", this._onMessage);
    sock.on("error", this._onError);
    sock.on("close", this._onClose);
    _trackResource(loop, this);
    loop.callSoon(this._start, waiter);
  }

  /** @internal */
  _closeAtLoopClose(): void {
    this.close();
  }

  /** @internal */
  private readonly _start = (waiter: Future<void>): void => {
    try {
      this._protocol.connectionMade(this);
    } catch (exc) {
      this._loop.callExceptionHandler({
        message: "protocol.connectionMade() failed",
        exception: exc,
        transport: this,
      });
      this.abort();
    }
    if (!waiter.done()) waiter.setResult(undefined);
  };

  /** @internal */
  private readonly _onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const gate = this._loop._ioGate;
    if (gate === null) this._datagram(msg, rinfo);
    else
      gate.event(this, "datagram endpoint", `a datagram of ${msg.length} bytes`, () =>
        this._datagram(msg, rinfo),
      );
  };

  /** @internal */
  private _datagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this._closing) return;
    try {
      this._protocol.datagramReceived(msg, [rinfo.address, rinfo.port]);
    } catch (exc) {
      this._loop.callExceptionHandler({
        message: "Fatal error: protocol.datagramReceived() call failed.",
        exception: exc,
        transport: this,
      });
    }
  }

  /** @internal */
  private readonly _onError = (err: Error): void => {
    if (this._closing) return;
    try {
      this._protocol.errorReceived(_osError(err));
    } catch (exc) {
      this._loop.callExceptionHandler({
        message: "protocol.errorReceived() failed",
        exception: exc,
        transport: this,
      });
    }
  };

  /** @internal */
  private readonly _onClose = (): void => {
    this._closing = true;
    _untrackResource(this._loop, this);
    if (this._lost || this._loop.isClosed()) return;
    this._lost = true;
    this._loop.callSoon(() => {
      try {
        this._protocol.connectionLost(null);
      } catch (exc) {
        this._loop.callExceptionHandler({
          message: "protocol.connectionLost() failed",
          exception: exc,
          transport: this,
        });
      }
    });
  };

  sendto(data: Uint8Array, addr?: DatagramAddress): void {
    _checkBytes(data, "sendto");
    if (this._closing) return;
    const copy = Buffer.from(data);
    if (addr === undefined) {
      if (this._remote === null) {
        throw new TypeError("sendto(): 'addr' is required: the transport has no remote address");
      }
      this._sock.send(copy, this._onSent);
      return;
    }
    if (this._remote !== null) {
      if (addr[0] !== this._remote[0] || addr[1] !== this._remote[1]) {
        throw new RangeError(
          `sendto(): 'addr' must be ${JSON.stringify(this._remote)} (the remote address): received ${JSON.stringify(addr)}`,
        );
      }
      this._sock.send(copy, this._onSent);
      return;
    }
    this._sock.send(copy, addr[1], addr[0], this._onSent);
  }

  /** @internal */
  private readonly _onSent = (err: Error | null): void => {
    if (err !== null) this._onError(err);
  };

  close(): void {
    if (this._closing) return;
    this._closing = true;
    this._sock.close();
  }

  abort(): void {
    this.close();
  }

  isClosing(): boolean {
    return this._closing;
  }

  getWriteBufferSize(): number {
    return this._closing ? 0 : this._sock.getSendQueueSize();
  }

  setProtocol(protocol: BaseProtocol): void {
    this._protocol = protocol as DatagramProtocol;
  }

  getProtocol(): BaseProtocol {
    return this._protocol;
  }
}
