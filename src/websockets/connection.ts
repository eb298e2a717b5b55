/**
 * A WebSocket connection with the `websockets` library's semantics, on `ws`: `recv()` and
 * iteration over messages, `send()` with backpressure, keepalive pings, close codes and
 * reasons — every wait on the loop, every timeout on the loop's clock.
 *
 * @module
 */

import type { WebSocket as WsSocket } from "ws";
import type { AsyncIter } from "../asyncgen.js";
import type { BaseEventLoop } from "../core/base_events.js";
import { type Coroutine, describe } from "../core/coroutines.js";
import { RuntimeError, TimeoutError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import type { TimerHandle } from "../core/handles.js";
import type { Task } from "../core/tasks.js";
import { _trackResource, _untrackResource, type LoopResource } from "../io/transports.js";

/**
 * A message: text arrives as a `string`, binary as a `Uint8Array` (a Node `Buffer`).
 *
 * @example
 * ```ts
 * yield* ws.send("hello"); // the echo server sends it back
 * const msg: websockets.Data = yield* ws.recv();
 * if (typeof msg === "string") console.log("text:", msg); // text: hello
 * ```
 */
export type Data = string | Uint8Array;

/**
 * Raised by `recv()`, `send()` and iteration once the connection is closed (the
 * `websockets` library's `ConnectionClosed`); carries the close code and reason received.
 *
 * @example
 * ```ts
 * try { yield* ws.send("x"); }
 * catch (e) { if (e instanceof websockets.ConnectionClosed) console.log(e.code, e.reason); }
 * ```
 */
export class ConnectionClosed extends Error {
  /** The close code (1000 normal, 1001 going away, 1006 no close frame, …). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  constructor(code: number, reason: string) {
    super(
      code === 1006
        ? "no close frame received or sent"
        : `received ${code} (${CLOSE_NAMES[code] ?? "unknown"})${reason ? `; ${reason}` : ""}`,
    );
    this.code = code;
    this.reason = reason;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

/** Closed normally (1000 or 1001): iteration ends quietly on it. @example `catch (e) { if (e instanceof websockets.ConnectionClosedOK) return; }` */
export class ConnectionClosedOK extends ConnectionClosed {}

/** Closed with an error code (or without a close frame). @example `catch (e) { if (e instanceof websockets.ConnectionClosedError) log(e.code); }` */
export class ConnectionClosedError extends ConnectionClosed {}

const CLOSE_NAMES: Record<number, string> = {
  1000: "OK",
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1006: "abnormal closure",
  1007: "invalid data",
  1008: "policy violation",
  1009: "message too big",
  1010: "mandatory extension",
  1011: "internal error",
  1012: "service restart",
  1013: "try again later",
};

/**
 * Options of a connection, for `serve()`, `route()` and `connect()`. Seconds on the loop's
 * clock; `null` turns a feature off. Defaults are the `websockets` library's.
 *
 * @example
 * ```ts
 * function* handler(ws: websockets.ServerConnection) {
 *   yield* ws.send("hi");
 * }
 * const options: websockets.ConnectionOptions = { pingInterval: 5, pingTimeout: 5, maxSize: 64 * 1024 };
 * const server = yield* websockets.serve(handler, "127.0.0.1", 0, options);
 * const ws = yield* websockets.connect(`ws://127.0.0.1:${server.port}`, options);
 * console.log(yield* ws.recv()); // hi
 * yield* ws.close();
 * yield* server.shutdown();
 * ```
 */
export interface ConnectionOptions {
  /** Seconds between keepalive pings (20); null for none. */
  pingInterval?: number | null;
  /** Seconds to wait for a pong before closing the connection with 1011 (20); null: wait for ever. */
  pingTimeout?: number | null;
  /** Seconds to wait for the closing handshake before dropping the connection (10). */
  closeTimeout?: number;
  /** Largest incoming message in bytes (1 MiB); larger ones close the connection with 1009. */
  maxSize?: number;
  /** Incoming messages buffered before reading from the socket stops (16): backpressure on the peer. */
  maxQueue?: number;
  /** Bytes buffered for sending above which `send()` waits for the peer (32 KiB). */
  writeLimit?: number;
}

/** @internal Options with defaults applied. */
export interface ResolvedOptions {
  pingInterval: number | null;
  pingTimeout: number | null;
  closeTimeout: number;
  maxSize: number;
  maxQueue: number;
  writeLimit: number;
}

function seconds(v: unknown, name: string, dflt: number | null, where: string): number | null {
  if (v === undefined) return dflt;
  if (v === null) return null;
  if (typeof v !== "number" || !(v > 0)) {
    throw new RangeError(
      `${where}: '${name}' must be a number of seconds > 0 or null: received ${describe(v)}`,
    );
  }
  return v;
}

function count(v: unknown, name: string, dflt: number, where: string, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new RangeError(
      `${where}: '${name}' must be an integer >= ${min}: received ${describe(v)}`,
    );
  }
  return v;
}

/** @internal */
export function resolveOptions(o: ConnectionOptions, where: string): ResolvedOptions {
  if (o === null || typeof o !== "object") {
    throw new TypeError(`${where}: 'options' must be an object: received ${describe(o)}`);
  }
  return {
    pingInterval: seconds(o.pingInterval, "pingInterval", 20, where),
    pingTimeout: seconds(o.pingTimeout, "pingTimeout", 20, where),
    closeTimeout: seconds(o.closeTimeout, "closeTimeout", 10, where) ?? 10,
    maxSize: count(o.maxSize, "maxSize", 1024 * 1024, where, 1),
    maxQueue: count(o.maxQueue, "maxQueue", 16, where, 1),
    writeLimit: count(o.writeLimit, "writeLimit", 32 * 1024, where, 0),
  };
}

/**
 * The states of a connection, as the `websockets` library names them.
 *
 * @example
 * ```ts
 * const state: websockets.State = ws.state;
 * if (state === "open") yield* ws.send("still here");
 * console.log(yield* ws.recv()); // still here
 * yield* ws.close();
 * console.log(ws.state); // closed
 * ```
 */
export type State = "open" | "closing" | "closed";

/**
 * One WebSocket connection, either side (the `websockets` library's `Connection`):
 *
 * - `recv(timeout?)` waits for the next message; iterating with `asyncio.asyncFor(ws, …)`
 *   gives every message until the peer closes normally (then the loop ends) or with an
 *   error (then `ConnectionClosedError` is thrown).
 * - `send(message)` returns at once while less than `writeLimit` bytes wait to be sent,
 *   and otherwise waits until this message has gone out: a slow peer slows the sender.
 *   Incoming messages past `maxQueue` stop reading from the socket, slowing the peer.
 * - Keepalive: a ping every `pingInterval` seconds; no pong within `pingTimeout` closes
 *   the connection with 1011 ("keepalive ping timeout").
 * - `close(code, reason)` runs the closing handshake (for up to `closeTimeout` seconds).
 *
 * Cancellation: a cancelled `recv()` loses no message (the next `recv()` gets it); a
 * cancelled `send()` has already queued its message.
 *
 * @example
 * ```ts
 * function* echo(ws: websockets.ServerConnection) {
 *   yield* asyncio.asyncFor(ws, (message) => ws.send(message));
 * }
 * ```
 */
export class Connection implements AsyncIter<Data>, LoopResource {
  /** The `ws` socket underneath. */
  readonly raw: WsSocket;
  /** @internal */
  protected readonly _loop: BaseEventLoop;
  /** @internal */
  protected readonly _options: ResolvedOptions;
  /** @internal Messages received and not yet read (from `_head` on). */
  private _queue: Data[] = [];
  /** @internal */
  private _head = 0;
  /** @internal The `recv()` waiting for a message. */
  private _recvWaiter: Future<void> | null = null;
  /** @internal How many calls wait on this connection (recv, send, close). */
  protected _waiting = 0;
  /** @internal */
  private _state: State = "open";
  /** @internal */
  private _closeCode: number | null = null;
  /** @internal */
  private _closeReason = "";
  /** @internal */
  private readonly _closed: Future<void>;
  /** @internal */
  private _closedWaiters: Future<void>[] = [];
  /** @internal */
  private _pingTimer: TimerHandle | null = null;
  /** @internal */
  private _pongTimer: TimerHandle | null = null;
  /** @internal */
  private _pingSentAt = 0;
  /** @internal */
  private _pongWaiters: Future<number>[] = [];
  /** Seconds the last keepalive ping took to be answered (0 until one was). */
  latency = 0;

  /** @internal */
  constructor(raw: WsSocket, loop: BaseEventLoop, options: ResolvedOptions) {
    this.raw = raw;
    this._loop = loop;
    this._options = options;
    this._closed = loop.createFuture<void>();
    raw.on("message", this._onMessage);
    raw.on("close", this._onClose);
    raw.on("pong", this._onPong);
    // ws reports protocol errors (an oversized message, a bad frame) here, then closes
    // with the right code: the close is what the connection's user sees.
    raw.on("error", this._onError);
    if (options.pingInterval !== null)
      this._pingTimer = loop.callLater(options.pingInterval, this._keepalive);
    _trackResource(loop, this);
  }

  /** @internal The loop closed with the connection open: drop it (Node would stay alive). */
  _closeAtLoopClose(): void {
    this.raw.terminate();
  }

  /** "open", "closing" or "closed". */
  get state(): State {
    return this._state;
  }

  /** The close code, once closed (1006 when no close frame came); null while open. */
  get closeCode(): number | null {
    return this._closeCode;
  }

  /** The close reason, once closed ("" if none). */
  get closeReason(): string {
    return this._closeReason;
  }

  // ---------------------------------------------------------------- ws events

  /** @internal */
  private readonly _onMessage = (
    data: Buffer | ArrayBuffer | Buffer[],
    isBinary: boolean,
  ): void => {
    const buf = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? Buffer.from(data)
        : data;
    this._queue.push(isBinary ? buf : buf.toString("utf8"));
    if (this._queue.length - this._head >= this._options.maxQueue && !this.raw.isPaused) {
      this.raw.pause();
    }
    const w = this._recvWaiter;
    if (w !== null && !w.done()) w.setResult(undefined);
  };

  /** @internal */
  private readonly _onClose = (code: number, reason: Buffer): void => {
    this._state = "closed";
    this._closeCode = code === 1006 && this._errorCode !== null ? this._errorCode : code;
    this._closeReason = reason.toString("utf8");
    this._stopKeepalive();
    _untrackResource(this._loop, this);
    const w = this._recvWaiter;
    if (w !== null && !w.done()) w.setResult(undefined);
    for (const p of this._pongWaiters) if (!p.done()) p.setException(this._closedError());
    this._pongWaiters = [];
    if (!this._closed.done()) this._closed.setResult(undefined);
    const waiters = this._closedWaiters;
    this._closedWaiters = [];
    for (const c of waiters) if (!c.done()) c.setResult(undefined);
    this._connectionClosed();
  };

  /** @internal The close code ws sent because of a protocol error (it reports 1006). */
  private _errorCode: number | null = null;

  /** @internal */
  private readonly _onError = (err: Error & { code?: string }): void => {
    this._errorCode = err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? 1009 : 1002;
  };

  /** @internal What a side does once the connection is closed (the server cancels its handler). */
  protected _connectionClosed(): void {}

  /** @internal */
  private readonly _onPong = (): void => {
    if (this._pongTimer === null) return;
    this._pongTimer.cancel();
    this._pongTimer = null;
    this.latency = this._loop.time() - this._pingSentAt;
    const waiters = this._pongWaiters;
    this._pongWaiters = [];
    for (const p of waiters) if (!p.done()) p.setResult(this.latency);
    if (this._options.pingInterval !== null && this._state === "open") {
      this._pingTimer = this._loop.callLater(this._options.pingInterval, this._keepalive);
    }
  };

  /** @internal */
  private readonly _keepalive = (): void => {
    this._pingTimer = null;
    if (this._state !== "open") return;
    this._sendPing();
  };

  /** @internal */
  private _sendPing(): void {
    this._pingSentAt = this._loop.time();
    try {
      this.raw.ping();
    } catch {
      return; // the socket is closing: its close event follows
    }
    const timeout = this._options.pingTimeout;
    if (this._pongTimer === null && timeout !== null) {
      this._pongTimer = this._loop.callLater(timeout, this._pongTimedOut);
    } else if (this._pongTimer === null) {
      // No timeout: a placeholder so that the pong is still recognised.
      this._pongTimer = this._loop.callLater(Number.MAX_SAFE_INTEGER, noop);
    }
  }

  /** @internal No pong: the peer is dead or stuck. The `websockets` library closes with 1011. */
  private readonly _pongTimedOut = (): void => {
    this._pongTimer = null;
    if (this._state === "closed") return;
    this._failConnection(1011, "keepalive ping timeout");
  };

  /** @internal */
  private _stopKeepalive(): void {
    this._pingTimer?.cancel();
    this._pingTimer = null;
    this._pongTimer?.cancel();
    this._pongTimer = null;
  }

  /**
   * @internal Ends the connection at once: a close frame is attempted, the socket is
   * dropped without waiting for the peer (a dead peer never answers).
   */
  protected _failConnection(code: number, reason: string): void {
    this._state = "closing";
    try {
      this.raw.close(code, reason);
    } catch {
      // already closing
    }
    this.raw.terminate();
    // ws reports the close it *received* (1006: none); what ended it is ours to say.
    this.raw.once("close", () => {
      this._closeCode = code;
      this._closeReason = reason;
    });
  }

  /** @internal */
  private _closedError(): ConnectionClosed {
    const code = this._closeCode ?? 1006;
    return code === 1000 || code === 1001
      ? new ConnectionClosedOK(code, this._closeReason)
      : new ConnectionClosedError(code, this._closeReason);
  }

  // ---------------------------------------------------------------- API

  /**
   * The next message: a `string` for a text message, a `Uint8Array` for binary. Waits for
   * one; with `timeout` (seconds), raises asyncio's `TimeoutError` when none came in time
   * (the connection stays usable). Raises {@link ConnectionClosedOK} /
   * {@link ConnectionClosedError} once the connection is closed and every message
   * received before has been read.
   *
   * @example
   * ```ts real-time: only the timeout ends the second wait on the socket
   * yield* ws.send("hello");
   * const greeting = yield* ws.recv(5); // at most 5 seconds
   * console.log(greeting); // hello
   * try {
   *   yield* ws.recv(0.5); // nothing more comes
   * } catch (e) {
   *   if (!(e instanceof asyncio.TimeoutError)) throw e;
   *   console.log("nothing within 0.5 s");
   * }
   * ```
   */
  *recv(timeout: number | null = null): Coroutine<Data> {
    if (timeout !== null && (typeof timeout !== "number" || !(timeout >= 0))) {
      throw new RangeError(
        `recv(): 'timeout' must be a number of seconds >= 0 or null: received ${describe(timeout)}`,
      );
    }
    if (this._recvWaiter !== null) {
      throw new RuntimeError("recv(): another coroutine is already waiting for the next message");
    }
    for (;;) {
      if (this._head < this._queue.length) return this._take();
      if (this._state === "closed") throw this._closedError();
      const loop = this._loop;
      const w = loop.createFuture<void>();
      this._recvWaiter = w;
      let timer: TimerHandle | null = null;
      if (timeout !== null) {
        timer = loop.callLater(timeout, () => {
          if (!w.done())
            w.setException(new TimeoutError(`recv(): no message within ${timeout} seconds`));
        });
      }
      this._waiting++;
      loop._externalPending++;
      try {
        yield* w;
      } finally {
        loop._externalPending--;
        this._waiting--;
        this._recvWaiter = null;
        timer?.cancel();
      }
    }
  }

  /** @internal */
  private _take(): Data {
    const msg = this._queue[this._head] as Data;
    this._queue[this._head++] = "";
    if (this._head === this._queue.length) {
      this._queue.length = 0;
      this._head = 0;
    }
    if (this.raw.isPaused && this._queue.length - this._head <= this._options.maxQueue >> 2) {
      this.raw.resume();
    }
    return msg;
  }

  /** `AsyncIter`: the next message; done when the peer closed normally (1000/1001). */
  *anext(): Coroutine<IteratorResult<Data, undefined>> {
    // A message already queued needs no wait: the common case under load.
    if (this._head < this._queue.length) return { done: false, value: this._take() };
    try {
      return { done: false, value: yield* this.recv() };
    } catch (e) {
      if (e instanceof ConnectionClosedOK) return { done: true, value: undefined };
      throw e;
    }
  }

  /**
   * Sends a message: a `string` as text, bytes as binary. Returns at once while the
   * send buffer holds less than `writeLimit` bytes; otherwise waits until this message has
   * been written to the socket (backpressure). Raises {@link ConnectionClosed} if the
   * connection is closed; `TypeError` for another kind of value.
   *
   * @example
   * ```ts
   * yield* ws.send(JSON.stringify({ type: "hello" })); // a text message
   * yield* ws.send(new Uint8Array([1, 2, 3])); // a binary message
   * console.log(yield* ws.recv(), yield* ws.recv()); // {"type":"hello"} <Buffer 01 02 03>
   * ```
   */
  *send(message: Data | ArrayBuffer): Coroutine<void> {
    if (
      typeof message !== "string" &&
      !(message instanceof Uint8Array) &&
      !(message instanceof ArrayBuffer)
    ) {
      throw new TypeError(
        `send(): 'message' must be a string or bytes: received ${describe(message)}`,
      );
    }
    if (this._state !== "open") throw this._closedError();
    if (this.raw.bufferedAmount < this._options.writeLimit) {
      this.raw.send(message);
      return;
    }
    const loop = this._loop;
    const w = loop.createFuture<void>();
    this.raw.send(message, (err) => {
      if (w.done()) return;
      if (err) w.setException(this._state === "open" ? err : this._closedError());
      else w.setResult(undefined);
    });
    this._waiting++;
    loop._externalPending++;
    try {
      yield* w;
    } finally {
      loop._externalPending--;
      this._waiting--;
    }
  }

  /**
   * Sends a ping and waits for its pong; evaluates to the round trip in seconds.
   * Raises {@link ConnectionClosed} if the connection closes first.
   *
   * @example
   * ```ts
   * const rtt = yield* ws.ping();
   * console.log(rtt >= 0); // true: the round trip, in seconds
   * ```
   */
  *ping(): Coroutine<number> {
    if (this._state !== "open") throw this._closedError();
    const w = this._loop.createFuture<number>();
    this._pongWaiters.push(w);
    if (this._pongTimer === null) {
      this._pingTimer?.cancel();
      this._pingTimer = null;
      this._sendPing();
    }
    this._waiting++;
    this._loop._externalPending++;
    try {
      return yield* w;
    } finally {
      this._loop._externalPending--;
      this._waiting--;
    }
  }

  /**
   * Closes the connection: sends a close frame with `code` (1000) and `reason`, waits for
   * the peer's (at most `closeTimeout` seconds, then drops the connection). Idempotent.
   * `RangeError` for a code that may not be sent (1000, 1001, 1002, 1003, 1007–1014,
   * 3000–4999 may) or a reason longer than 123 bytes.
   *
   * @example
   * ```ts
   * yield* ws.close(4000, "bye");
   * console.log(ws.closeCode, ws.closeReason); // 4000 bye
   * ```
   */
  *close(code = 1000, reason = ""): Coroutine<void> {
    if (!isSendableCode(code)) {
      throw new RangeError(
        `close(): 'code' must be 1000-1003, 1007-1014 or 3000-4999: received ${describe(code)}`,
      );
    }
    if (typeof reason !== "string" || Buffer.byteLength(reason) > 123) {
      throw new RangeError(
        `close(): 'reason' must be a string of at most 123 bytes: received ${describe(reason)}`,
      );
    }
    if (this._state === "open") {
      this._state = "closing";
      this.raw.close(code, reason);
    }
    yield* this._waitClosedFor(this._options.closeTimeout);
  }

  /** @internal Waits for the close event; past `timeout`, drops the connection. */
  protected *_waitClosedFor(timeout: number): Coroutine<void> {
    if (this._state === "closed") return;
    const loop = this._loop;
    const timer = loop.callLater(timeout, () => this.raw.terminate());
    try {
      yield* this.waitClosed();
    } finally {
      timer.cancel();
    }
  }

  /**
   * Waits until the connection is closed. Cancelling the wait leaves the connection as it
   * is.
   *
   * @example
   * ```ts
   * asyncio.createTask(ws.close(1001, "going away"));
   * yield* ws.waitClosed();
   * console.log("closed with", ws.closeCode, ws.closeReason); // closed with 1001 going away
   * ```
   */
  *waitClosed(): Coroutine<void> {
    if (this._state === "closed") return;
    const w = this._loop.createFuture<void>();
    this._closedWaiters.push(w);
    this._waiting++;
    this._loop._externalPending++;
    try {
      yield* w;
    } finally {
      this._loop._externalPending--;
      this._waiting--;
      const i = this._closedWaiters.indexOf(w);
      if (i >= 0) this._closedWaiters.splice(i, 1);
    }
  }

  /** Async context manager entry: the connection. */
  *aenter(): Coroutine<this> {
    return this;
  }

  /** Async context manager exit: closes the connection (1000). */
  *aexit(_exc: unknown): Coroutine<void> {
    yield* this.close();
  }

  toString(): string {
    return `<${this.constructor.name} ${this._state}${this._closeCode === null ? "" : ` ${this._closeCode}`}>`;
  }
}

function noop(): void {}

function isSendableCode(code: unknown): boolean {
  if (typeof code !== "number" || !Number.isInteger(code)) return false;
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

/**
 * @internal The server side: its handler runs as a Task, cancelled when the connection
 * closes while it waits on something other than this connection (a queue, a sleep) —
 * a call waiting on the connection gets {@link ConnectionClosed} instead.
 */
export class ServerConnectionBase extends Connection {
  /** @internal */
  _task: Task<unknown> | null = null;

  /** @internal */
  protected override _connectionClosed(): void {
    const task = this._task;
    if (task === null || task.done() || this._waiting > 0) return;
    // The close arrived from Node, between two steps of the loop: the task is suspended.
    task.cancel("the WebSocket connection was closed");
  }
}
