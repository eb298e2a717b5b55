/**
 * Protocols: the callback interfaces a transport calls, as asyncio's `protocols.py`.
 *
 * A transport owns the socket; a protocol is told what happens on it. Subclass one of these
 * classes and override the callbacks you need; the defaults do nothing. The order of calls
 * on a stream protocol is fixed:
 *
 * ```
 * connectionMade  →  dataReceived*  →  eofReceived?  →  connectionLost   (exactly once)
 * ```
 *
 * `pauseWriting()` / `resumeWriting()` may be called in between, when the transport's write
 * buffer crosses its high / low water mark. Callbacks run on the loop's thread, outside any
 * task: they must not block, and they cannot await (start a task for that).
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { BaseTransport, DatagramTransport, Transport } from "./transports.js";

/**
 * A datagram peer address: `[host, port]`.
 *
 * @example
 * ```ts
 * const [receiver] = yield* loop.createDatagramEndpoint(() => new asyncio.DatagramProtocol(), {
 *   localAddr: ["127.0.0.1", 0],
 * });
 * const peer: asyncio.DatagramAddress = receiver.getExtraInfo("sockname") as asyncio.DatagramAddress;
 * const [transport] = yield* loop.createDatagramEndpoint(() => new asyncio.DatagramProtocol(), {
 *   localAddr: ["127.0.0.1", 0],
 * });
 * transport.sendto(Buffer.from("ping"), peer);
 * transport.close();
 * receiver.close();
 * ```
 */
export type DatagramAddress = readonly [host: string, port: number];

/**
 * The callbacks every protocol has: connection start and end, and write flow control.
 *
 * @example
 * ```ts
 * class Counter extends asyncio.BaseProtocol {
 *   override connectionMade(t: asyncio.BaseTransport) { console.log("up", t.getExtraInfo("peername")); }
 *   override connectionLost(exc: unknown) { console.log("down", exc ?? "cleanly"); }
 * }
 * ```
 */
export class BaseProtocol {
  /** Called once, when the connection is made; `transport` is how to talk back. */
  connectionMade(_transport: BaseTransport): void {}
  /**
   * Called once, when the connection is lost or closed: `exc` is `null` after a clean
   * close or EOF, else the error that broke the connection.
   */
  connectionLost(_exc: unknown): void {}
  /** The transport's write buffer went over its high water mark: stop writing for now. */
  pauseWriting(): void {}
  /** The transport's write buffer drained below its low water mark: writing may go on. */
  resumeWriting(): void {}
}

/**
 * A stream protocol (TCP, Unix sockets, TLS): receives the bytes as they arrive.
 *
 * @example
 * ```ts
 * class Echo extends asyncio.Protocol {
 *   private transport!: asyncio.Transport;
 *   override connectionMade(t: asyncio.Transport) { this.transport = t; }
 *   override dataReceived(data: Buffer) { this.transport.write(data); }
 * }
 * const server = yield* loop.createServer(() => new Echo(), "127.0.0.1", 8888);
 * ```
 */
export class Protocol extends BaseProtocol {
  override connectionMade(_transport: Transport): void {}
  /** Bytes arrived. `data` is a Buffer the protocol may keep: the transport never reuses it. */
  dataReceived(_data: Buffer): void {}
  /**
   * The peer closed its writing side (sent EOF). Return `true` to keep the connection
   * half-open (you may still write); anything else closes the transport. Not honoured on
   * TLS, as in asyncio.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an override that returns nothing must fit
  eofReceived(): boolean | undefined | void {
    return undefined;
  }
}

/**
 * A stream protocol that provides its own receive buffers, to avoid copies: the transport
 * asks `getBuffer(sizeHint)` for space, fills it, then calls `bufferUpdated(nbytes)`.
 *
 * Node hands every read to JavaScript as a fresh Buffer, so the transport copies it into
 * the protocol's buffer (in pieces if that buffer is smaller).
 *
 * @example
 * ```ts
 * class Sink extends asyncio.BufferedProtocol {
 *   buf = new Uint8Array(65536);
 *   total = 0;
 *   override getBuffer(_hint: number) { return this.buf; }
 *   override bufferUpdated(n: number) { this.total += n; }
 * }
 * ```
 */
export class BufferedProtocol extends BaseProtocol {
  override connectionMade(_transport: Transport): void {}
  /** Returns a non-empty buffer to receive into; `sizeHint` is how much is waiting (or -1). */
  getBuffer(_sizeHint: number): Uint8Array {
    throw new TypeError("BufferedProtocol.getBuffer() must be overridden");
  }
  /** `nbytes` bytes were written at the start of the buffer from the last `getBuffer()`. */
  bufferUpdated(_nbytes: number): void {}
  /** As {@link Protocol.eofReceived}. */
  // biome-ignore lint/suspicious/noConfusingVoidType: an override that returns nothing must fit
  eofReceived(): boolean | undefined | void {
    return undefined;
  }
}

/**
 * A datagram (UDP) protocol.
 *
 * @example
 * ```ts
 * class EchoUdp extends asyncio.DatagramProtocol {
 *   private transport!: asyncio.DatagramTransport;
 *   override connectionMade(t: asyncio.DatagramTransport) { this.transport = t; }
 *   override datagramReceived(data: Buffer, addr: asyncio.DatagramAddress) {
 *     this.transport.sendto(data, addr);
 *   }
 * }
 * ```
 */
export class DatagramProtocol extends BaseProtocol {
  override connectionMade(_transport: DatagramTransport): void {}
  /** A datagram arrived from `addr`. */
  datagramReceived(_data: Buffer, _addr: DatagramAddress): void {}
  /** A send or receive failed (e.g. ICMP port unreachable); the transport stays open. */
  errorReceived(_exc: unknown): void {}
}

/** @internal Whether `p` looks like a BufferedProtocol (duck-typed, as asyncio does). */
export function _isBufferedProtocol(p: object): p is BufferedProtocol {
  return typeof (p as BufferedProtocol).getBuffer === "function";
}
