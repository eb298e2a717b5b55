/**
 * In-memory connections: a pair of transports wired to each other, with the stream pair
 * (StreamReader/StreamWriter at both ends) on top — Trio's `memory_stream_pair` and
 * `lockstep_stream_pair` in asyncio's terms — and fault injection: short reads, stalls,
 * resets. Data crosses on the loop (a later iteration, or after a delay), never inline,
 * as on a socket; flow control (pauseReading, the write buffer's water marks, `drain()`)
 * behaves as on TCP.
 *
 * @module
 */

import type { BaseEventLoop } from "../core/base_events.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { ConnectionResetError, RuntimeError } from "../core/exceptions.js";
import type { BaseProtocol, Protocol } from "../io/protocols.js";
import { StreamReader, StreamReaderProtocol, StreamWriter } from "../io/streams.js";
import {
  _checkBytes,
  _trackResource,
  _untrackResource,
  type LoopResource,
  type SocketAddress,
  Transport,
} from "../io/transports.js";
import type { Random } from "./random.js";
import { mulberry32 } from "./random.js";

/**
 * Options of {@link transportPair} and {@link streamPair}.
 *
 * @example
 * ```ts
 * const [a, b, link] = streamPair({ shortReads: true, seed: 7 });
 * ```
 */
export interface MemoryLinkOptions {
  /**
   * No buffering between the ends: a write is delivered on its own, one per loop
   * iteration, and the writer stays paused (its `drain()` waits) until the peer has
   * received it — Trio's lockstep stream.
   */
  lockstep?: boolean;
  /** Deliver data in pieces of random size (1 … `maxChunk` bytes), as a socket may. */
  shortReads?: boolean;
  /**
   * The largest piece delivered at once (64 KiB by default); with `shortReads`, the upper
   * bound of the sizes.
   */
  maxChunk?: number;
  /** The seed of the short-read sizes: the same seed cuts the same pieces. */
  seed?: number;
  /** The peer names the two ends report (`getExtraInfo("peername")`). */
  names?: [SocketAddress, SocketAddress];
}

/** @internal A delay in loop seconds before a piece of `nbytes` bytes arrives. */
export type _DeliveryDelay = (nbytes: number, from: MemoryTransport) => number;

/** @internal Extra knobs the simulated network uses. */
export interface _LinkInternals {
  delay?: _DeliveryDelay;
  /** Whether the link is down (a partition): data waits on the wire meanwhile. */
  blocked?: () => boolean;
  /** Told when a pump found the link down. */
  onBlocked?: (end: MemoryTransport) => void;
  random?: Random;
}

/**
 * The wire between two {@link MemoryTransport}s, for fault injection: stall it, resume it,
 * reset it. Everything it does is deterministic.
 *
 * @example
 * ```ts
 * const [client, server, link] = streamPair();
 * link.stall();               // data written now waits on the wire
 * client.writer.write(Buffer.from("x"));
 * yield* asyncio.sleep(1);
 * link.resume();              // and arrives now
 * link.reset();               // both ends get ConnectionResetError
 * ```
 */
export class MemoryLink {
  /** @internal */
  readonly _ends: [MemoryTransport, MemoryTransport];
  /** @internal */
  _stalled = false;
  /** @internal */
  readonly _options: MemoryLinkOptions;
  /** @internal */
  readonly _internals: _LinkInternals;
  /** @internal */
  readonly _random: Random;

  /** @internal */
  constructor(
    loop: BaseEventLoop,
    protocols: [BaseProtocol, BaseProtocol],
    options: MemoryLinkOptions,
    internals: _LinkInternals = {},
  ) {
    this._options = options;
    this._internals = internals;
    this._random = internals.random ?? mulberry32(options.seed ?? 1);
    const names = options.names ?? ["memory-a", "memory-b"];
    const a = new MemoryTransport(loop, protocols[0], this, names[0], names[1]);
    const b = new MemoryTransport(loop, protocols[1], this, names[1], names[0]);
    a._peer = b;
    b._peer = a;
    this._ends = [a, b];
  }

  /** Whether data is held on the wire (see {@link stall}). */
  get stalled(): boolean {
    return this._stalled;
  }

  /** Holds data on the wire, both ways, until {@link resume}: a stalled peer. */
  stall(): void {
    this._stalled = true;
  }

  /** Lets held data go on. */
  resume(): void {
    this._stalled = false;
    for (const end of this._ends) end._schedulePump();
  }

  /**
   * Breaks the connection as a TCP reset does: data in flight is lost and both protocols
   * get `connectionLost(ConnectionResetError)`.
   */
  reset(): void {
    for (const end of this._ends) {
      end._lose(new ConnectionResetError("Connection reset by peer (memory link reset)"));
    }
  }
}

const DEFAULT_HIGH = 64 * 1024;
/** The most bytes delivered in one piece (one `dataReceived`) unless `maxChunk` says. */
const WINDOW = 64 * 1024;

/**
 * One end of an in-memory connection: a {@link Transport} whose writes arrive at the peer
 * end's protocol on a later loop iteration. Made by {@link transportPair},
 * {@link streamPair} and the simulated network.
 *
 * @example
 * ```ts
 * const [a] = transportPair(new asyncio.Protocol(), new asyncio.Protocol());
 * a.transport.write(Buffer.from("hi"));
 * ```
 */
export class MemoryTransport extends Transport implements LoopResource {
  /** @internal Its data comes through the loop's own callbacks: virtual time may jump. */
  readonly _inLoop = true;
  /** @internal */
  _peer: MemoryTransport | null = null;
  /** @internal */
  _protocol: BaseProtocol;
  /** @internal */
  private readonly _loop: BaseEventLoop;
  /** @internal */
  private readonly _link: MemoryLink;
  /** @internal bytes written and not yet delivered, oldest first */
  private readonly _out: Buffer[] = [];
  /** @internal */
  private _outSize = 0;
  /** @internal bytes on their way (delivery scheduled after a delay) */
  private _inFlight = 0;
  /** @internal */
  private _pumpScheduled = false;
  /** @internal */
  private _eofPending = false;
  /** @internal writeEof() or close() was called */
  private _eofWritten = false;
  /** @internal */
  private _closing = false;
  /** @internal */
  private _lost = false;
  /** @internal */
  private _reading = true;
  /** @internal */
  private _writePaused = false;
  /** @internal */
  private _high: number;
  /** @internal */
  private _low: number;
  /** @internal the peer sent EOF */
  private _eofReceived = false;
  /** @internal data that arrived while reading was paused */
  private readonly _held: Buffer[] = [];

  /** @internal */
  constructor(
    loop: BaseEventLoop,
    protocol: BaseProtocol,
    link: MemoryLink,
    sockname: SocketAddress,
    peername: SocketAddress,
  ) {
    super({ sockname, peername });
    this._loop = loop;
    this._protocol = protocol;
    this._link = link;
    const lockstep = link._options.lockstep === true;
    this._high = lockstep ? 0 : DEFAULT_HIGH;
    this._low = lockstep ? 0 : DEFAULT_HIGH / 4;
    _trackResource(loop, this);
  }

  /** @internal */
  _closeAtLoopClose(): void {
    this.abort();
  }

  override toString(): string {
    const state = this._lost ? "closed" : this._closing ? "closing" : "open";
    return `<MemoryTransport ${state} ${formatAddress(this._extra.sockname)} -> ${formatAddress(this._extra.peername)}>`;
  }

  write(data: Uint8Array): void {
    _checkBytes(data, "write");
    if (this._eofWritten) throw new RuntimeError("Cannot call write() after writeEof()");
    if (this._lost || this._closing) return;
    if (data.byteLength === 0) return;
    this._out.push(Buffer.from(data));
    this._outSize += data.byteLength;
    this._schedulePump();
    this._checkPause();
  }

  writeEof(): void {
    if (this._eofWritten || this._lost) return;
    this._eofWritten = true;
    this._eofPending = true;
    this._schedulePump();
  }

  canWriteEof(): boolean {
    return true;
  }

  isClosing(): boolean {
    return this._closing || this._lost;
  }

  close(): void {
    if (this._closing || this._lost) return;
    this._closing = true;
    this._reading = false;
    if (!this._eofWritten) {
      this._eofWritten = true;
      this._eofPending = true;
    }
    this._schedulePump();
  }

  abort(): void {
    if (this._lost) return;
    const peer = this._peer;
    this._lose(null);
    peer?._lose(new ConnectionResetError("Connection reset by peer"));
  }

  pauseReading(): void {
    if (this._closing || this._lost) return;
    this._reading = false;
  }

  resumeReading(): void {
    if (this._closing || this._lost || this._reading) return;
    this._reading = true;
    this._peer?._schedulePump();
    if (this._held.length > 0 || this._eofReceived) {
      this._loop.callSoon(() => this._drainHeld());
    }
  }

  isReading(): boolean {
    return this._reading && !this._closing && !this._lost;
  }

  getWriteBufferSize(): number {
    return this._outSize + this._inFlight;
  }

  getWriteBufferLimits(): [low: number, high: number] {
    return [this._low, this._high];
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    if (high === undefined) high = low === undefined ? DEFAULT_HIGH : 4 * low;
    if (low === undefined) low = Math.floor(high / 4);
    if (!(high >= low && low >= 0)) {
      throw new RangeError(
        `setWriteBufferLimits(): high (${high}) must be >= low (${low}) must be >= 0`,
      );
    }
    this._high = high;
    this._low = low;
    this._checkPause();
  }

  setProtocol(protocol: BaseProtocol): void {
    this._protocol = protocol;
  }

  getProtocol(): BaseProtocol {
    return this._protocol;
  }

  /** @internal */
  _schedulePump(): void {
    if (this._pumpScheduled || this._lost) return;
    this._pumpScheduled = true;
    this._loop.callSoon(() => {
      this._pumpScheduled = false;
      this._pump();
    });
  }

  /** @internal Sends one piece down the wire (then schedules the next). */
  private _pump(): void {
    const peer = this._peer;
    if (this._lost || peer === null) return;
    if (this._link._stalled) return;
    // As TCP's receive window: nothing more leaves while the peer does not read, so the
    // writer's buffer fills and its protocol is paused (drain() waits).
    // A peer that closed reads nothing more but does not hold data back either: what
    // reaches it is dropped, as a closed socket does.
    if (!peer._reading && !peer._closing && !peer._lost) return;
    // A partition holds the data, as TCP keeps retransmitting it; the simulated network
    // resumes the pumps when it heals, or resets the connection when it gives up.
    if (this._link._internals.blocked?.() === true) {
      this._link._internals.onBlocked?.(this);
      return;
    }
    if (this._out.length > 0) {
      const piece = this._takePiece();
      this._inFlight += piece.byteLength;
      this._deliverLater(piece.byteLength, () => {
        this._inFlight -= piece.byteLength;
        peer._receive(piece);
        this._checkResume();
      });
      this._checkResume();
      if (this._out.length > 0 || this._eofPending) this._schedulePump();
      return;
    }
    if (this._eofPending) {
      this._eofPending = false;
      this._deliverLater(0, () => {
        peer._receiveEof();
        if (this._closing) this._lose(null);
      });
    }
  }

  /** @internal */
  private _takePiece(): Buffer {
    const opts = this._link._options;
    const lockstep = opts.lockstep === true;
    let limit = opts.maxChunk ?? WINDOW;
    if (opts.shortReads === true) {
      const max = Math.min(limit, this._outSize);
      limit = 1 + Math.floor(this._link._random() * max);
    }
    const first = this._out[0] as Buffer;
    if (lockstep || limit >= this._outSize) {
      if (lockstep || this._out.length === 1) {
        if (first.byteLength <= limit) {
          this._out.shift();
          this._outSize -= first.byteLength;
          return first;
        }
      } else {
        const all = Buffer.concat(this._out);
        this._out.length = 0;
        this._outSize = 0;
        return all;
      }
    }
    const parts: Buffer[] = [];
    let n = 0;
    while (n < limit && this._out.length > 0) {
      const head = this._out[0] as Buffer;
      const take = Math.min(head.byteLength, limit - n);
      if (take === head.byteLength) this._out.shift();
      else this._out[0] = head.subarray(take);
      parts.push(head.subarray(0, take));
      n += take;
      if (lockstep) break;
    }
    this._outSize -= n;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /**
   * @internal Delivers pieces in the order they were sent, whatever order their timers
   * fire in (a schedule explorer may make one late): each firing delivers the oldest
   * piece still on its way, as TCP reassembles a stream.
   */
  private _deliverLater(nbytes: number, deliver: () => void): void {
    const delay = this._link._internals.delay?.(nbytes, this) ?? 0;
    this._arrivals.push(deliver);
    if (delay > 0) this._loop.callLater(delay, this._arriveNext);
    else this._loop.callSoon(this._arriveNext);
  }

  /** @internal */
  private readonly _arrivals: (() => void)[] = [];

  /** @internal */
  private readonly _arriveNext = (): void => {
    const next = this._arrivals.shift();
    if (next !== undefined && !this._lost) next();
  };

  /** @internal Called once when this end is lost (the network's server bookkeeping). */
  _onLost: (() => void) | null = null;

  /** @internal Bytes arrive from the peer. */
  _receive(data: Buffer): void {
    if (this._lost || this._closing) return;
    if (!this._reading) {
      this._held.push(data);
      return;
    }
    this._callProtocol("dataReceived", data);
  }

  /** @internal The peer's EOF arrives. */
  _receiveEof(): void {
    if (this._lost) return;
    this._eofReceived = true;
    if (this._held.length > 0 || !this._reading) return;
    this._deliverEof();
  }

  /** @internal */
  private _drainHeld(): void {
    while (this._held.length > 0 && this._reading && !this._lost) {
      this._callProtocol("dataReceived", this._held.shift() as Buffer);
    }
    if (this._held.length === 0 && this._eofReceived && this._reading) this._deliverEof();
  }

  /** @internal */
  private _deliverEof(): void {
    const keepOpen = this._callProtocol("eofReceived");
    if (keepOpen !== true && !this._lost) {
      // As asyncio: a protocol whose eofReceived() returns a false value closes the transport.
      this.close();
      if (this._eofWritten && this._out.length === 0 && !this._eofPending) this._lose(null);
    } else if (this._closing && this._eofWritten && !this._eofPending && this._outSize === 0) {
      this._lose(null);
    }
  }

  /** @internal Ends this side: `connectionLost(exc)` on the next iteration. */
  _lose(exc: Error | null): void {
    if (this._lost) return;
    this._lost = true;
    this._closing = true;
    this._reading = false;
    this._out.length = 0;
    this._outSize = 0;
    this._held.length = 0;
    _untrackResource(this._loop, this);
    const onLost = this._onLost;
    this._onLost = null;
    onLost?.();
    if (this._loop.isClosed()) return;
    this._loop.callSoon(() => this._callProtocol("connectionLost", exc));
  }

  /** @internal */
  private _checkPause(): void {
    if (!this._writePaused && this.getWriteBufferSize() > this._high) {
      this._writePaused = true;
      this._callProtocol("pauseWriting");
    }
  }

  /** @internal */
  private _checkResume(): void {
    if (this._writePaused && this.getWriteBufferSize() <= this._low) {
      this._writePaused = false;
      this._callProtocol("resumeWriting");
    }
  }

  /** @internal Calls a protocol method, reporting its error to the loop as asyncio does. */
  private _callProtocol(method: string, arg?: unknown): unknown {
    const protocol = this._protocol as unknown as Record<string, (a?: unknown) => unknown>;
    try {
      return protocol[method]?.call(protocol, arg);
    } catch (e) {
      this._loop.callExceptionHandler({
        message: `protocol.${method}() failed`,
        exception: e,
        transport: this,
        protocol: this._protocol,
      });
      if (method === "dataReceived" || method === "eofReceived") {
        this.abort();
      }
      return undefined;
    }
  }
}

function formatAddress(a: SocketAddress | undefined): string {
  if (a === undefined) return "?";
  if (typeof a === "string") return a;
  return `${a[0]}:${a[1]}`;
}

/**
 * Two in-memory transports connected to each other, each already connected to its
 * protocol (`connectionMade` has been called on both). Needs a running loop.
 *
 * Errors: `TypeError` unless both protocols are protocol objects; `RangeError` for a bad
 * `maxChunk`.
 *
 * @example
 * ```ts
 * class Echo extends asyncio.Protocol {
 *   t!: asyncio.Transport;
 *   override connectionMade(t: asyncio.BaseTransport) { this.t = t as asyncio.Transport; }
 *   override dataReceived(d: Buffer) { this.t.write(d); }
 * }
 * const [client, server, link] = transportPair(new asyncio.Protocol(), new Echo());
 * client.transport.write(Buffer.from("ping"));
 * ```
 */
export function transportPair<A extends BaseProtocol, B extends BaseProtocol>(
  protocolA: A,
  protocolB: B,
  options: MemoryLinkOptions = {},
): [
  { transport: MemoryTransport; protocol: A },
  { transport: MemoryTransport; protocol: B },
  MemoryLink,
] {
  checkProtocol(protocolA, "protocolA");
  checkProtocol(protocolB, "protocolB");
  checkOptions(options, "transportPair");
  const link = new MemoryLink(getRunningLoop(), [protocolA, protocolB], options);
  const [a, b] = link._ends;
  protocolA.connectionMade(a);
  protocolB.connectionMade(b);
  return [{ transport: a, protocol: protocolA }, { transport: b, protocol: protocolB }, link];
}

/**
 * One end of a {@link streamPair}: what `openConnection()` would have given.
 *
 * @example
 * ```ts
 * const [end] = streamPair();
 * end.writer.write(Buffer.from("x"));
 * ```
 */
export interface StreamEnd {
  reader: StreamReader;
  writer: StreamWriter;
}

/**
 * Two connected (StreamReader, StreamWriter) ends in memory — Trio's
 * `memory_stream_pair`; with `{ lockstep: true }`, its `lockstep_stream_pair`. What one
 * end writes, the other reads; `writer.close()` is EOF at the other end; the third
 * element controls faults. Needs a running loop.
 *
 * @example
 * ```ts
 * const [client, server] = streamPair();
 * client.writer.write(Buffer.from("hello\n"));
 * const line = yield* server.reader.readline(); // "hello\n"
 * ```
 */
export function streamPair(options: MemoryLinkOptions = {}): [StreamEnd, StreamEnd, MemoryLink] {
  checkOptions(options, "streamPair");
  const loop = getRunningLoop();
  const [a, b] = [0, 1].map(() => {
    const reader = new StreamReader(undefined, { loop });
    return { reader, protocol: new StreamReaderProtocol(reader, null, loop) };
  }) as [
    { reader: StreamReader; protocol: StreamReaderProtocol },
    { reader: StreamReader; protocol: StreamReaderProtocol },
  ];
  const [ta, tb, link] = transportPair(a.protocol, b.protocol, options);
  return [
    { reader: a.reader, writer: new StreamWriter(ta.transport, a.protocol, a.reader, loop) },
    { reader: b.reader, writer: new StreamWriter(tb.transport, b.protocol, b.reader, loop) },
    link,
  ];
}

/** @internal Used by the simulated network. */
export function _linkedTransports(
  loop: BaseEventLoop,
  protocols: [Protocol, Protocol],
  options: MemoryLinkOptions,
  internals: _LinkInternals,
): MemoryLink {
  return new MemoryLink(loop, protocols, options, internals);
}

function checkProtocol(p: unknown, what: string): void {
  if (
    p === null ||
    typeof p !== "object" ||
    typeof (p as BaseProtocol).connectionMade !== "function"
  ) {
    throw new TypeError(`transportPair(): '${what}' must be a protocol: received ${describe(p)}`);
  }
}

function checkOptions(options: MemoryLinkOptions, fn: string): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${fn}(): 'options' must be an object: received ${describe(options)}`);
  }
  const m = options.maxChunk;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) {
    throw new RangeError(`${fn}(): 'maxChunk' must be an integer >= 1: received ${describe(m)}`);
  }
}
