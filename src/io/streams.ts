/**
 * Streams: the high-level network API, as asyncio's `streams.py` — `openConnection()` and
 * `startServer()` give a {@link StreamReader} / {@link StreamWriter} pair per connection.
 *
 * ```ts
 * function* main() {
 *   const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", 8888);
 *   writer.write(Buffer.from("hello\n"));
 *   yield* writer.drain();
 *   const line = yield* reader.readline();  // a Buffer, "" at EOF
 *   writer.close();
 *   yield* writer.waitClosed();
 * }
 * ```
 *
 * Bytes: everything read comes back as a Node `Buffer` (a `Uint8Array`), which belongs to
 * the caller: the reader never writes to it again. `write()` takes any `Uint8Array` and
 * copies it, so the caller may reuse its buffer at once.
 *
 * Guarantees:
 * - a read that is cancelled consumes nothing: the bytes it would have returned stay in the
 *   buffer for the next read; no byte is lost or returned twice;
 * - only one coroutine may wait for data at a time (RuntimeError otherwise), as in asyncio;
 * - `drain()` waits while the transport's write buffer is over its high water mark; any
 *   number of coroutines may wait in `drain()`, and they are released together;
 * - the reader's buffer holds at most about `2 × limit` bytes before the transport stops
 *   reading, so a slow consumer holds a fast producer back through TCP.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { BaseEventLoop } from "../core/base_events.js";
import { type Coroutine, describe, iscoroutine } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import {
  ConnectionError,
  ConnectionResetError,
  IncompleteReadError,
  LimitOverrunError,
  RuntimeError,
} from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import { _noteWait } from "../core/observer.js";
import type { Task } from "../core/tasks.js";
import { sleep } from "../tasks.js";
import {
  _checkPort,
  type ClientSSL,
  type CreateConnectionOptions,
  type CreateServerOptions,
  type CreateUnixConnectionOptions,
  type CreateUnixServerOptions,
  type ServerSSL,
} from "./loop_net.js";
import { Protocol } from "./protocols.js";
import type { Server } from "./server.js";
import {
  _checkBytes,
  _feedsFromOutside,
  type InetAddress,
  type Transport,
  type TransportExtraInfo,
} from "./transports.js";

/** The default buffer limit of a StreamReader: 64 KiB, as asyncio's. */
export const DEFAULT_LIMIT = 2 ** 16;

const EMPTY: Buffer = Buffer.alloc(0);
// Buffer.of, not Buffer.from with a string: the first string encoding at import costs ~1 ms.
const NEWLINE: Buffer = Buffer.of(0x0a);
const NEWLINE_SEPS: readonly Buffer[] = [NEWLINE];

/**
 * A separator for `readuntil()`: bytes, or a string (encoded as UTF-8).
 *
 * @example
 * ```ts
 * writer.write(Buffer.from("Host: x\r\n\r\nframe\0"));
 * const header = yield* reader.readuntil("\r\n\r\n"); // a string, encoded as UTF-8
 * const frame = yield* reader.readuntil(new Uint8Array([0])); // bytes
 * console.log(JSON.stringify(header.toString()), frame); // "Host: x\r\n\r\n" <Buffer 66 72 61 6d 65 00>
 * ```
 */
export type Separator = Uint8Array | string;

/**
 * Options of the {@link StreamReader} constructor.
 *
 * @example
 * ```ts
 * const reader = new asyncio.StreamReader(2 ** 16, { loop: asyncio.getRunningLoop() });
 * reader.feedData(Buffer.from("hello\n"));
 * reader.feedEof();
 * ```
 */
export interface StreamReaderOptions {
  /** The loop; the running loop by default (bound lazily, on first wait). */
  loop?: BaseEventLoop;
}

function toBytes(sep: Separator, method: string): Buffer {
  if (typeof sep === "string") return Buffer.from(sep, "utf8");
  if (sep instanceof Uint8Array) return Buffer.isBuffer(sep) ? sep : Buffer.from(sep);
  throw new TypeError(
    `${method}(): 'separator' must be a Uint8Array, a string, or an array of them: received ${describe(sep)}`,
  );
}

/**
 * Reads bytes from a connection, as asyncio's `StreamReader`. You get one from
 * `openConnection()` or a server's callback; a bare one (fed with {@link feedData}) is
 * handy in tests and for protocols of your own.
 *
 * Every read waits for data by awaiting a Future, so it is cancellable: a cancelled read
 * consumes nothing. Errors: a read after the connection failed throws that error
 * ({@link exception}); {@link IncompleteReadError} and {@link LimitOverrunError} as
 * asyncio.
 *
 * @example
 * ```ts
 * const reader = new asyncio.StreamReader();
 * reader.feedData(Buffer.from("one\ntwo"));
 * reader.feedEof();
 * console.log(String(yield* reader.readline())); // "one\n"
 * console.log(String(yield* reader.read()));     // "two"
 * console.log(reader.atEof());                   // true
 * ```
 */
export class StreamReader {
  /** @internal */
  readonly _limit: number;
  /** @internal */
  private _loop: BaseEventLoop | null;
  // The buffered bytes are _buf[_start, _end). Bytes before _start were handed out (as
  // views) and bytes at or after _end are free space of a buffer we allocated (_own):
  // appends write there, never before _end, so handed-out views are never overwritten.
  /** @internal */
  private _buf: Buffer = EMPTY;
  /** @internal */
  private _start = 0;
  /** @internal */
  private _end = 0;
  /** @internal */
  private _own = false;
  /** @internal */
  private _eof = false;
  /** @internal */
  private _waiter: Future<void> | null = null;
  /** @internal */
  private _exception: unknown = null;
  /** @internal */
  private _transport: Transport | null = null;
  /** @internal */
  private _paused = false;

  /**
   * `limit` bounds how far `readuntil()`/`readline()` look for a separator, and (twice it)
   * how much is buffered before the transport stops reading. RangeError if `limit <= 0`.
   */
  constructor(limit: number = DEFAULT_LIMIT, options: StreamReaderOptions = {}) {
    if (typeof limit !== "number" || Number.isNaN(limit)) {
      throw new TypeError(`StreamReader(): 'limit' must be a number: received ${describe(limit)}`);
    }
    if (limit <= 0)
      throw new RangeError(`StreamReader(): 'limit' cannot be <= 0: received ${limit}`);
    this._limit = limit;
    this._loop = options.loop ?? null;
  }

  /** The number of bytes buffered and not yet read. */
  get bufferedSize(): number {
    return this._end - this._start;
  }

  /** The error the stream ended with (set by {@link setException}), or `null`. */
  exception(): unknown {
    return this._exception;
  }

  /** Makes every later read throw `exc`, and wakes the waiting read with it. */
  setException(exc: unknown): void {
    this._exception = exc;
    const waiter = this._waiter;
    if (waiter !== null) {
      this._waiter = null;
      if (!waiter.cancelled()) waiter.setException(exc);
    }
  }

  /** @internal The transport to pause and resume. Throws if one is set already. */
  setTransport(transport: Transport): void {
    if (this._transport !== null) throw new RuntimeError("Transport already set");
    this._transport = transport;
  }

  /** Marks the end of the stream: waiting reads return what is left. */
  feedEof(): void {
    this._eof = true;
    this._wakeupWaiter();
  }

  /** Whether the stream has ended and every byte was read. */
  atEof(): boolean {
    return this._eof && this._end === this._start;
  }

  /**
   * Appends `data` to the buffer (copied) and wakes the waiting read.
   * RuntimeError after {@link feedEof}; TypeError unless `data` is bytes.
   */
  feedData(data: Uint8Array): void {
    _checkBytes(data, "feedData");
    this._feed(data, false);
  }

  /** @internal feedData for a Buffer nobody else holds (from a socket): kept without a copy. */
  _feedOwned(data: Buffer): void {
    this._feed(data, true);
  }

  /** @internal */
  private _feed(data: Uint8Array, adopt: boolean): void {
    if (this._eof) throw new RuntimeError("feedData() after feedEof()");
    const n = data.length;
    if (n === 0) return;
    const size = this._end - this._start;
    if (size === 0 && adopt) {
      this._buf = data as Buffer;
      this._start = 0;
      this._end = n;
      this._own = false;
    } else if (this._own && this._buf.length - this._end >= n) {
      this._buf.set(data, this._end);
      this._end += n;
    } else {
      const total = size + n;
      const nb = Buffer.allocUnsafe(Math.max(total * 2, 256));
      if (size > 0) this._buf.copy(nb, 0, this._start, this._end);
      nb.set(data, size);
      this._buf = nb;
      this._start = 0;
      this._end = total;
      this._own = true;
    }
    this._wakeupWaiter();
    const t = this._transport;
    if (t !== null && !this._paused && size + n > 2 * this._limit) {
      this._paused = true;
      t.pauseReading();
    }
  }

  /** @internal */
  private _wakeupWaiter(): void {
    const waiter = this._waiter;
    if (waiter !== null) {
      this._waiter = null;
      if (!waiter.cancelled()) waiter.setResult(undefined);
    }
  }

  /** @internal */
  private _maybeResumeTransport(): void {
    if (this._paused && this._end - this._start <= this._limit) {
      this._paused = false;
      this._transport?.resumeReading();
    }
  }

  /** @internal Takes `n` bytes from the front of the buffer (a view: never written to again). */
  private _take(n: number): Buffer {
    const s = this._start;
    this._start = s + n;
    const out = this._buf.subarray(s, s + n);
    if (this._paused) this._maybeResumeTransport();
    return out;
  }

  /** @internal Index (relative to the buffered data) of `sep` at or after `from`, or -1. */
  private _find(sep: Buffer, from: number): number {
    const s = this._start;
    const e = this._end;
    if (e - s - from < sep.length) return -1;
    // Searching past _end would scan free space (and could match stale bytes there).
    const i =
      e === this._buf.length
        ? this._buf.indexOf(sep, s + from)
        : this._buf.subarray(0, e).indexOf(sep, s + from);
    return i < 0 ? -1 : i - s;
  }

  /**
   * @internal Starts waiting for data: checks that nobody else waits, resumes a paused
   * transport, and sets `_waiter`, the Future to await. Returns whether a real socket feeds
   * the reader, for {@link _endWait}. Split from the `yield*` so that readline() waits
   * without a generator of its own per wait (a round trip of an echo server is one).
   */
  private _beginWait(funcName: string): boolean {
    if (this._waiter !== null) {
      throw new RuntimeError(
        `${funcName}() called while another coroutine is already waiting for incoming data`,
      );
    }
    if (this._eof) throw new RuntimeError("_waitForData after EOF");
    // Waiting while the transport is paused would wait forever: resume it.
    if (this._paused) {
      this._paused = false;
      this._transport?.resumeReading();
    }
    if (this._loop === null) this._loop = getRunningLoop();
    const loop = this._loop;
    const waiter = loop.createFuture<void>();
    _noteWait(loop, waiter, "io");
    this._waiter = waiter;
    // A real socket feeds this reader: a virtual clock must not jump while we wait for it.
    const external = _feedsFromOutside(this._transport);
    if (external) loop._externalPending++;
    return external;
  }

  /** @internal Ends the wait {@link _beginWait} started, however it ended. */
  private _endWait(waiter: Future<void>, external: boolean): void {
    if (external) (this._loop as BaseEventLoop)._externalPending--;
    if (this._waiter === waiter) this._waiter = null;
  }

  /** @internal */
  private *_waitForData(funcName: string): Coroutine<void> {
    const external = this._beginWait(funcName);
    const waiter = this._waiter as Future<void>;
    try {
      yield* waiter;
    } finally {
      this._endWait(waiter, external);
    }
  }

  /**
   * Reads up to `n` bytes; with `n` omitted or negative, reads until EOF. Returns an empty
   * Buffer at EOF (and for `n === 0`). Waits only when nothing is buffered.
   *
   * @example
   * ```ts
   * const chunk = yield* reader.read(100); // 1 to 100 bytes, or empty at EOF
   * const rest = yield* reader.read();     // everything up to EOF
   * ```
   */
  read(n = -1): Coroutine<Buffer> {
    if (typeof n !== "number" || Number.isNaN(n)) {
      throw new TypeError(`read(): 'n' must be a number: received ${describe(n)}`);
    }
    return this._read(n);
  }

  /** @internal */
  private *_read(n: number): Coroutine<Buffer> {
    if (this._exception !== null) throw this._exception;
    if (n === 0) return EMPTY;
    if (n < 0) {
      const blocks: Buffer[] = [];
      for (;;) {
        const block = yield* this._read(this._limit);
        if (block.length === 0) break;
        blocks.push(block);
      }
      return blocks.length === 1 ? (blocks[0] as Buffer) : Buffer.concat(blocks);
    }
    if (this._end === this._start && !this._eof) yield* this._waitForData("read");
    return this._take(Math.min(n, this._end - this._start));
  }

  /**
   * Reads one line, ending with `"\n"`. At EOF returns what is left (possibly an
   * incomplete line, or an empty Buffer). RangeError (asyncio's ValueError) if no newline
   * is found within the limit — the data is discarded up to and including the next
   * newline, if there is one buffered.
   *
   * @example
   * ```ts
   * for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
   *   console.log(line.toString().trimEnd());
   * }
   * ```
   */
  *readline(): Coroutine<Buffer> {
    // The common case, a line that is buffered or arrives while we wait, without the
    // general machinery. At the end of the stream, what is left is returned as asyncio's
    // readline returns IncompleteReadError's `partial`, without making that error (its
    // stack trace cost each closing connection ~9 us). An error or a line past the limit
    // leaves for readuntil's path below, which raises what asyncio's readline does.
    let from = 0;
    while (this._exception === null) {
      const i = this._find(NEWLINE, from);
      if (i >= 0) {
        if (i <= this._limit) return this._take(i + 1);
        break;
      }
      from = this._end - this._start;
      if (from > this._limit) break;
      if (this._eof) return from === 0 ? EMPTY : this._take(from);
      const external = this._beginWait("readuntil");
      const waiter = this._waiter as Future<void>;
      try {
        yield* waiter;
      } finally {
        this._endWait(waiter, external);
      }
    }
    try {
      return yield* this._readuntil(NEWLINE_SEPS);
    } catch (e) {
      if (e instanceof IncompleteReadError) return e.partial as Buffer;
      if (e instanceof LimitOverrunError) {
        const at = this._start + e.consumed;
        if (at < this._end && this._buf[at] === 0x0a) this._start = at + 1;
        else this._start = this._end;
        this._maybeResumeTransport();
        throw new RangeError(e.message, { cause: e });
      }
      throw e;
    }
  }

  /**
   * Reads up to and including `separator` — or, given several, the one whose match ends
   * first (3.13). Errors: {@link IncompleteReadError} at EOF (its `partial` holds what was
   * read; the buffer is emptied); {@link LimitOverrunError} if no separator is found within
   * the limit (the buffer is left as it is, `consumed` says how much to skip).
   *
   * @example
   * ```ts
   * writer.write(Buffer.from("Host: x\r\n\r\nname;value\n"));
   * const header = yield* reader.readuntil("\r\n\r\n");
   * const token = yield* reader.readuntil([";", "\n"]); // whichever separator comes first
   * console.log(header.length, token.toString()); // 11 name;
   * ```
   */
  readuntil(separator: Separator | readonly Separator[] = NEWLINE): Coroutine<Buffer> {
    // Validated at the call, as asyncio's raise at the first step.
    const seps = (Array.isArray(separator) ? separator : [separator]).map((s: Separator) =>
      toBytes(s, "readuntil"),
    );
    if (seps.length === 0) {
      throw new RangeError("readuntil(): Separator should contain at least one element");
    }
    // Shortest first: on equal end positions the shorter (later-starting) match wins.
    seps.sort((a, b) => a.length - b.length);
    if ((seps[0] as Buffer).length === 0) {
      throw new RangeError("readuntil(): Separator should be at least one-byte string");
    }
    return this._readuntil(seps);
  }

  /** @internal readuntil() with validated separators, sorted shortest first. */
  private *_readuntil(seps: readonly Buffer[]): Coroutine<Buffer> {
    if (this._exception !== null) throw this._exception;
    const minSeplen = (seps[0] as Buffer).length;
    const maxSeplen = (seps[seps.length - 1] as Buffer).length;
    let offset = 0;
    let matchStart = -1;
    let matchEnd = -1;
    for (;;) {
      const buflen = this._end - this._start;
      if (buflen - offset >= minSeplen) {
        for (const sep of seps) {
          const i = this._find(sep, offset);
          if (i >= 0) {
            const end = i + sep.length;
            if (matchEnd < 0 || end < matchEnd) {
              matchEnd = end;
              matchStart = i;
            }
          }
        }
        if (matchEnd >= 0) break;
        offset = Math.max(0, buflen + 1 - maxSeplen);
        if (offset > this._limit) {
          throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
      }
      if (this._eof) {
        throw new IncompleteReadError(this._take(buflen), null);
      }
      yield* this._waitForData("readuntil");
    }
    if (matchStart > this._limit) {
      throw new LimitOverrunError("Separator is found, but chunk is longer than limit", matchStart);
    }
    return this._take(matchEnd);
  }

  /**
   * Reads exactly `n` bytes. {@link IncompleteReadError} if the stream ends first (its
   * `partial` holds the bytes read; they are consumed). RangeError if `n < 0`.
   *
   * @example
   * ```ts
   * const message = Buffer.from("hello");
   * const length = Buffer.alloc(4);
   * length.writeUInt32BE(message.length);
   * writer.write(Buffer.concat([length, message])); // a length-prefixed frame
   * const header = yield* reader.readexactly(4);
   * const body = yield* reader.readexactly(header.readUInt32BE(0));
   * console.log(body.toString()); // hello
   * ```
   */
  readexactly(n: number): Coroutine<Buffer> {
    if (typeof n !== "number" || !Number.isInteger(n)) {
      throw new TypeError(`readexactly(): 'n' must be an integer: received ${describe(n)}`);
    }
    if (n < 0) throw new RangeError(`readexactly(): size can not be less than zero: received ${n}`);
    return this._readexactly(n);
  }

  /** @internal */
  private *_readexactly(n: number): Coroutine<Buffer> {
    if (this._exception !== null) throw this._exception;
    if (n === 0) return EMPTY;
    while (this._end - this._start < n) {
      if (this._eof) {
        throw new IncompleteReadError(this._take(this._end - this._start), n);
      }
      yield* this._waitForData("readexactly");
    }
    return this._take(n);
  }

  /**
   * The next line, as async iteration sees it: `{ done: true }` at EOF, else
   * `{ done: false, value: line }`.
   *
   * @example
   * ```ts
   * const lines: string[] = [];
   * for (let r = yield* reader.anext(); !r.done; r = yield* reader.anext()) {
   *   lines.push(r.value.toString().trim());
   * }
   * console.log(lines); // ["hello", "world"]
   * ```
   */
  *anext(): Coroutine<IteratorResult<Buffer, undefined>> {
    const line = yield* this.readline();
    if (line.length === 0) return { done: true, value: undefined };
    return { done: false, value: line };
  }

  /**
   * Native async iteration over lines, for `async` code (`for await (const line of
   * reader)`); each step runs `readline()` as a task on the reader's loop.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer, undefined> {
    return {
      next: () => {
        if (this._loop === null) this._loop = getRunningLoop();
        const loop = this._loop;
        return Promise.resolve(loop.createTask(this.anext()));
      },
    };
  }

  toString(): string {
    const info: string[] = [];
    if (this._end > this._start) info.push(`${this._end - this._start} bytes`);
    if (this._eof) info.push("eof");
    if (this._limit !== DEFAULT_LIMIT) info.push(`limit=${this._limit}`);
    if (this._waiter !== null) info.push("waiter");
    if (this._exception !== null) info.push("exception");
    if (this._transport !== null) info.push("transport");
    if (this._paused) info.push("paused");
    return `<StreamReader${info.length > 0 ? ` ${info.join(" ")}` : ""}>`;
  }
}

/**
 * What a server calls for each connection; a returned coroutine runs as a Task.
 *
 * @example
 * ```ts
 * const handle: asyncio.ClientConnectedCallback = function* (reader, writer) {
 *   writer.write(yield* reader.readline());
 *   yield* writer.drain();
 *   writer.close();
 * };
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 8888);
 * ```
 */
export type ClientConnectedCallback = (
  reader: StreamReader,
  writer: StreamWriter,
  // biome-ignore lint/suspicious/noConfusingVoidType: a plain callback returns nothing
) => Coroutine<unknown> | void;

/**
 * @internal The protocol between a transport and a reader/writer pair (asyncio's
 * `StreamReaderProtocol` with `FlowControlMixin`).
 */
export class StreamReaderProtocol extends Protocol {
  /** @internal */
  _reader: StreamReader | null;
  /** @internal */
  _clientConnectedCb: ClientConnectedCallback | null;
  /** @internal */
  _transport: Transport | null = null;
  /** @internal */
  _writer: StreamWriter | null = null;
  /** @internal */
  _task: Task<unknown> | null = null;
  /** @internal */
  private _loop: BaseEventLoop;
  /** @internal */
  private _closed: Future<void>;
  /** @internal */
  private _overSsl = false;
  /** @internal */
  private _paused = false;
  /** @internal */
  private _drainWaiters: Future<void>[] = [];
  /** @internal */
  private _closeWaiters: Future<void>[] = [];
  /** @internal */
  private _connectionLost = false;
  /**
   * The OS's account of how the connection ended, for drain() on a writer with no reader.
   * @internal
   */
  private _lostError: ConnectionError | null = null;

  constructor(
    reader: StreamReader | null,
    clientConnectedCb: ClientConnectedCallback | null = null,
    loop: BaseEventLoop = getRunningLoop(),
  ) {
    super();
    this._reader = reader;
    this._clientConnectedCb = clientConnectedCb;
    this._loop = loop;
    this._closed = loop.createFuture<void>();
  }

  override connectionMade(transport: Transport): void {
    this._transport = transport;
    this._reader?.setTransport(transport);
    this._overSsl = transport.getExtraInfo("sslObject") !== undefined;
    const cb = this._clientConnectedCb;
    if (cb === null) return;
    const reader = this._reader as StreamReader;
    const writer = new StreamWriter(transport, this, reader, this._loop);
    this._writer = writer;
    const res = cb(reader, writer);
    if (iscoroutine(res)) {
      const task = this._loop.createTask(res);
      this._task = task;
      task.addDoneCallback((t) => {
        if (t.cancelled()) {
          transport.close();
          return;
        }
        const exc = t.exception();
        if (exc !== null) {
          this._loop.callExceptionHandler({
            message: "Unhandled exception in client_connected_cb",
            exception: exc,
            transport,
          });
          transport.close();
        }
      });
    }
  }

  /** @internal After startTls. */
  _replaceTransport(transport: Transport): void {
    this._transport = transport;
    this._overSsl = transport.getExtraInfo("sslObject") !== undefined;
  }

  override connectionLost(exc: unknown): void {
    const reader = this._reader;
    if (reader !== null) {
      if (exc === null || exc === undefined) reader.feedEof();
      else reader.setException(exc);
    }
    if (!this._closed.done()) {
      if (exc === null || exc === undefined) this._closed.setResult(undefined);
      else {
        this._closed.setException(exc);
        // Retrieved here: waitClosed() still raises it, but nobody has to call it.
        this._closed.exception();
      }
    }
    for (const w of this._closeWaiters.splice(0)) if (!w.done()) w.setResult(undefined);
    this._connectionLost = true;
    if (exc instanceof ConnectionError) this._lostError = exc;
    if (this._paused) {
      for (const w of this._drainWaiters) {
        if (w.done()) continue;
        if (exc === null || exc === undefined) w.setResult(undefined);
        else w.setException(exc);
      }
    }
    this._reader = null;
    this._writer = null;
    this._task = null;
    this._transport = null;
  }

  override dataReceived(data: Buffer): void {
    this._reader?._feedOwned(data);
  }

  override eofReceived(): boolean {
    this._reader?.feedEof();
    // Half-open TLS is not supported: let the transport close.
    return !this._overSsl;
  }

  override pauseWriting(): void {
    this._paused = true;
  }

  override resumeWriting(): void {
    this._paused = false;
    for (const w of this._drainWaiters) if (!w.done()) w.setResult(undefined);
  }

  /** @internal Whether drain() has anything to wait for or to raise. */
  _mustDrain(): boolean {
    return this._paused || this._connectionLost;
  }

  /** @internal */
  *_drainHelper(): Coroutine<void> {
    if (this._connectionLost) throw this._lostError ?? new ConnectionResetError("Connection lost");
    if (!this._paused) return;
    const waiter = this._loop.createFuture<void>();
    _noteWait(this._loop, waiter, "io");
    this._drainWaiters.push(waiter);
    const external = _feedsFromOutside(this._transport);
    if (external) this._loop._externalPending++;
    try {
      yield* waiter;
    } finally {
      if (external) this._loop._externalPending--;
      const i = this._drainWaiters.indexOf(waiter);
      if (i >= 0) this._drainWaiters.splice(i, 1);
    }
  }

  /**
   * @internal Waits for the connection to be lost. Each call waits on a Future of its
   * own, so cancelling one waitClosed() never cancels the shared "closed" state (asyncio
   * awaits the shared Future directly, and a cancelled wait_closed() poisons it).
   */
  *_waitClosed(): Coroutine<void> {
    const closed = this._closed;
    if (!closed.done()) {
      const waiter = this._loop.createFuture<void>();
      this._closeWaiters.push(waiter);
      try {
        yield* waiter;
      } finally {
        const i = this._closeWaiters.indexOf(waiter);
        if (i >= 0) this._closeWaiters.splice(i, 1);
      }
    }
    closed.result();
  }
}

/**
 * Options of {@link StreamWriter.startTls}.
 *
 * @example
 * ```ts
 * // A server that upgrades each connection to TLS once the client asks for it.
 * const server = yield* asyncio.startServer(function* (reader, writer) {
 *   yield* reader.readline(); // STARTTLS
 *   writer.write(Buffer.from("GO\n"));
 *   yield* writer.startTls({ key: keyPem, cert: certPem });
 *   writer.write(yield* reader.readline()); // echo one line, over TLS
 *   writer.close();
 * }, "127.0.0.1", 0);
 * const [, port] = server.sockets[0]!.getsockname();
 * const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
 * writer.write(Buffer.from("STARTTLS\n"));
 * yield* reader.readline(); // GO
 * const options: asyncio.StreamStartTlsOptions = { serverHostname: "localhost", sslHandshakeTimeout: 10 };
 * yield* writer.startTls({ ca: [caPem] }, options);
 * writer.write(Buffer.from("secret\n"));
 * console.log((yield* reader.readline()).toString()); // secret
 * writer.close();
 * server.close();
 * ```
 */
export interface StreamStartTlsOptions {
  serverHostname?: string;
  sslHandshakeTimeout?: number;
}

/**
 * Writes bytes to a connection, as asyncio's `StreamWriter`: `write()` buffers at once and
 * `drain()` waits until the buffer is small enough.
 *
 * Cancellation: cancelling `drain()` or `waitClosed()` only stops that wait; the data
 * stays queued and is sent.
 *
 * @example
 * ```ts
 * writer.write(Buffer.from("PING\n"));
 * yield* writer.drain();       // backpressure: waits while the peer is slow
 * writer.close();
 * yield* writer.waitClosed();  // throws the connection's error, if it failed
 * ```
 */
export class StreamWriter {
  /** @internal */
  _transport: Transport;
  /** @internal */
  _protocol: StreamReaderProtocol;
  /** @internal */
  _reader: StreamReader | null;
  /** @internal */
  _loop: BaseEventLoop;

  /** @internal Made by openConnection() / startServer(). */
  constructor(
    transport: Transport,
    protocol: StreamReaderProtocol,
    reader: StreamReader | null,
    loop: BaseEventLoop,
  ) {
    this._transport = transport;
    this._protocol = protocol;
    this._reader = reader;
    this._loop = loop;
  }

  /** The transport under the writer. */
  get transport(): Transport {
    return this._transport;
  }

  /** Queues `data` for sending (copied). TypeError unless bytes. Does not wait: see drain(). */
  write(data: Uint8Array): void {
    this._transport.write(data);
  }

  /** Queues each buffer of `list`, in order. */
  writelines(list: Iterable<Uint8Array>): void {
    this._transport.writelines(list);
  }

  /** Closes the writing side after the buffered data (half-close); not on TLS. */
  writeEof(): void {
    this._transport.writeEof();
  }

  /** Whether {@link writeEof} is possible. */
  canWriteEof(): boolean {
    return this._transport.canWriteEof();
  }

  /** Closes the connection after the buffered data is sent; see {@link waitClosed}. */
  close(): void {
    this._transport.close();
  }

  /** Whether the connection is closing or closed. */
  isClosing(): boolean {
    return this._transport.isClosing();
  }

  /**
   * Waits until the connection is closed; throws the error it was lost with, if any.
   *
   * @example
   * ```ts
   * writer.close();
   * yield* writer.waitClosed();
   * ```
   */
  *waitClosed(): Coroutine<void> {
    yield* this._protocol._waitClosed();
  }

  /** Connection information by key: `"peername"`, `"sockname"`, `"peercert"`, … */
  getExtraInfo<K extends keyof TransportExtraInfo>(name: K): TransportExtraInfo[K] | undefined;
  getExtraInfo<K extends keyof TransportExtraInfo, D>(name: K, dflt: D): TransportExtraInfo[K] | D;
  getExtraInfo(name: string, dflt?: unknown): unknown;
  getExtraInfo(name: string, dflt?: unknown): unknown {
    return this._transport.getExtraInfo(name, dflt);
  }

  /**
   * Waits until the write buffer is below its high water mark; returns at once when it
   * is. Throws the reader's error if the connection failed, and once it is lost the
   * ConnectionError it ended with, or else ConnectionResetError. Concurrent drainers are
   * released together.
   */
  *drain(): Coroutine<void> {
    const reader = this._reader;
    if (reader !== null) {
      const exc = reader.exception();
      if (exc !== null) throw exc;
    }
    if (this._transport.isClosing()) {
      // Let connectionLost run, so that a write/drain loop on a closed connection sees
      // the error instead of spinning.
      yield* sleep(0);
    }
    // Nothing to wait for and nothing to raise: no helper generator (an echo server
    // drains once per line).
    if (this._protocol._mustDrain()) yield* this._protocol._drainHelper();
  }

  /**
   * Upgrades the connection to TLS (STARTTLS); the writer (and its reader) then speak TLS.
   * On the server side pass server options (`key`, `cert`).
   *
   * The client starts TLS only once the server has answered its request to (SMTP's
   * `220 Ready`): a TLS hello sent right behind the request could reach the server's
   * reader, which buffers what it receives, instead of the server's TLS layer.
   *
   * @example
   * ```ts
   * const server = yield* asyncio.startServer(function* (reader, writer) {
   *   yield* reader.readline(); // STARTTLS
   *   writer.write(Buffer.from("READY\n"));
   *   yield* writer.startTls({ key: keyPem, cert: certPem }); // the server side: key and cert
   *   writer.write(yield* reader.readline());
   *   writer.close();
   * }, "127.0.0.1", 0);
   * const [, port] = server.sockets[0]!.getsockname();
   * const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
   * writer.write(Buffer.from("STARTTLS\n"));
   * yield* reader.readline(); // READY: the server's TLS layer now reads the connection
   * yield* writer.startTls({ ca: [caPem] }, { serverHostname: "localhost" });
   * writer.write(Buffer.from("over TLS now\n"));
   * console.log((yield* reader.readline()).toString()); // over TLS now
   * writer.close();
   * server.close();
   * ```
   */
  *startTls(
    sslcontext: ClientSSL | ServerSSL,
    options: StreamStartTlsOptions = {},
  ): Coroutine<void> {
    const serverSide = this._protocol._clientConnectedCb !== null;
    yield* this.drain();
    const opts: { serverSide: boolean; serverHostname?: string; sslHandshakeTimeout?: number } = {
      serverSide,
    };
    if (options.serverHostname !== undefined) opts.serverHostname = options.serverHostname;
    if (options.sslHandshakeTimeout !== undefined)
      opts.sslHandshakeTimeout = options.sslHandshakeTimeout;
    const t = yield* this._loop.startTls(this._transport, this._protocol, sslcontext, opts);
    this._transport = t;
    this._protocol._replaceTransport(t);
  }

  /** `async with writer:` — returns the writer. */
  *aenter(): Coroutine<StreamWriter> {
    return this;
  }

  /** Closes the writer and waits until it is closed (errors of the close are not raised). */
  *aexit(_exc: unknown): Coroutine<undefined> {
    this.close();
    try {
      yield* this.waitClosed();
    } catch {
      // The connection's own error was delivered to the reader; closing still succeeded.
    }
    return undefined;
  }

  toString(): string {
    return `<StreamWriter transport=${String(this._transport)}>`;
  }
}

// ---------------------------------------------------------------- entry points

/**
 * Options of {@link openConnection}: `createConnection`'s options plus the reader's limit.
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0);
 * const [, port] = server.sockets[0]!.getsockname();
 * const options: asyncio.OpenConnectionOptions = { limit: 2 ** 20 }; // lines up to 1 MiB
 * const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port, options);
 * writer.write(Buffer.from(`${"x".repeat(100_000)}\n`)); // over the default 64 KiB limit
 * console.log((yield* reader.readline()).length); // 100001
 * writer.close();
 * server.close();
 * ```
 */
export interface OpenConnectionOptions extends CreateConnectionOptions {
  /** The reader's buffer limit (64 KiB by default). */
  limit?: number;
}

/**
 * Options of {@link startServer}.
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 8888, { limit: 2 ** 20, backlog: 512 });
 * ```
 */
export interface StartServerOptions extends CreateServerOptions {
  limit?: number;
}

/**
 * Options of {@link openUnixConnection}.
 *
 * @example
 * ```ts
 * const path = `${process.cwd()}/app.sock`;
 * const server = yield* asyncio.startUnixServer(handle, path);
 * const options: asyncio.OpenUnixConnectionOptions = { limit: 2 ** 20 };
 * const [reader, writer] = yield* asyncio.openUnixConnection(path, options);
 * writer.write(Buffer.from("hi\n"));
 * console.log((yield* reader.readline()).toString()); // hi
 * writer.close();
 * server.close();
 * ```
 */
export interface OpenUnixConnectionOptions extends CreateUnixConnectionOptions {
  limit?: number;
}

/**
 * Options of {@link startUnixServer}.
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startUnixServer(handle, "/tmp/app.sock", { limit: 2 ** 20, cleanupSocket: true });
 * ```
 */
export interface StartUnixServerOptions extends CreateUnixServerOptions {
  limit?: number;
}

function splitLimit<O extends { limit?: number }>(options: O): [number, Omit<O, "limit">] {
  const { limit = DEFAULT_LIMIT, ...rest } = options;
  return [limit, rest];
}

/**
 * Connects to `host`:`port` (TCP, or TLS with `ssl`) and evaluates to `[reader, writer]`.
 *
 * Errors: ConnectionRefusedError (`ECONNREFUSED`) and the other OSError classes, with
 * Node's `code`, `errno` and `syscall`; Node's own errors for name resolution and
 * certificates; TimeoutError after `sslHandshakeTimeout`. Cancelling it closes the
 * half-open socket.
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0); // a line echo
 * const [, port] = server.sockets[0]!.getsockname();
 * const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
 * writer.write(Buffer.from("ping\n"));
 * console.log((yield* reader.readline()).toString()); // ping
 * writer.close();
 * yield* writer.waitClosed();
 * server.close();
 * // Over TLS to a public server: openConnection("example.com", 443, { ssl: true })
 * ```
 */
export function openConnection(
  host: string | null = null,
  port: number | null = null,
  options: OpenConnectionOptions = {},
): Coroutine<[StreamReader, StreamWriter]> {
  _checkPort(port, "openConnection");
  checkLimit(options.limit, "openConnection");
  return openConnectionCo(host, port, options);
}

function* openConnectionCo(
  host: string | null,
  port: number | null,
  options: OpenConnectionOptions,
): Coroutine<[StreamReader, StreamWriter]> {
  const [limit, rest] = splitLimit(options);
  const loop = getRunningLoop();
  const reader = new StreamReader(limit, { loop });
  const protocol = new StreamReaderProtocol(reader, null, loop);
  const [transport] = yield* loop.createConnection(() => protocol, host, port, rest);
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/**
 * Serves `host`:`port`: for each client, `clientConnected(reader, writer)` is called; a
 * returned coroutine runs as a Task (its error is reported to the loop's exception handler
 * and the connection closed; its cancellation just closes the connection).
 *
 * @example
 * ```ts
 * function* handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) {
 *   const line = yield* reader.readline();
 *   writer.write(line);
 *   yield* writer.drain();
 *   writer.close();
 *   yield* writer.waitClosed();
 * }
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 8888);
 * ```
 */
export function startServer(
  clientConnected: ClientConnectedCallback,
  host: string | readonly string[] | null = null,
  port: number | null = null,
  options: StartServerOptions = {},
): Coroutine<Server<InetAddress>> {
  checkCallback(clientConnected, "startServer");
  _checkPort(port, "startServer");
  checkLimit(options.limit, "startServer");
  return startServerCo(clientConnected, host, port, options);
}

function* startServerCo(
  clientConnected: ClientConnectedCallback,
  host: string | readonly string[] | null,
  port: number | null,
  options: StartServerOptions,
): Coroutine<Server<InetAddress>> {
  const [limit, rest] = splitLimit(options);
  const loop = getRunningLoop();
  const factory = (): StreamReaderProtocol =>
    new StreamReaderProtocol(new StreamReader(limit, { loop }), clientConnected, loop);
  return yield* loop.createServer(factory, host, port, rest);
}

/**
 * As {@link openConnection}, over a Unix domain socket at `path`.
 *
 * @example
 * ```ts
 * const path = `${process.cwd()}/echo.sock`;
 * const server = yield* asyncio.startUnixServer(handle, path);
 * const [reader, writer] = yield* asyncio.openUnixConnection(path);
 * writer.write(Buffer.from("ping\n"));
 * console.log((yield* reader.readline()).toString()); // ping
 * writer.close();
 * server.close();
 * ```
 */
export function openUnixConnection(
  path: string,
  options: OpenUnixConnectionOptions = {},
): Coroutine<[StreamReader, StreamWriter]> {
  checkLimit(options.limit, "openUnixConnection");
  return openUnixConnectionCo(path, options);
}

function* openUnixConnectionCo(
  path: string,
  options: OpenUnixConnectionOptions,
): Coroutine<[StreamReader, StreamWriter]> {
  const [limit, rest] = splitLimit(options);
  const loop = getRunningLoop();
  const reader = new StreamReader(limit, { loop });
  const protocol = new StreamReaderProtocol(reader, null, loop);
  const [transport] = yield* loop.createUnixConnection(() => protocol, path, rest);
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/**
 * As {@link startServer}, on a Unix domain socket at `path`.
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startUnixServer(handle, "/tmp/app.sock");
 * ```
 */
export function startUnixServer(
  clientConnected: ClientConnectedCallback,
  path: string,
  options: StartUnixServerOptions = {},
): Coroutine<Server<string>> {
  checkCallback(clientConnected, "startUnixServer");
  checkLimit(options.limit, "startUnixServer");
  return startUnixServerCo(clientConnected, path, options);
}

function* startUnixServerCo(
  clientConnected: ClientConnectedCallback,
  path: string,
  options: StartUnixServerOptions,
): Coroutine<Server<string>> {
  const [limit, rest] = splitLimit(options);
  const loop = getRunningLoop();
  const factory = (): StreamReaderProtocol =>
    new StreamReaderProtocol(new StreamReader(limit, { loop }), clientConnected, loop);
  return yield* loop.createUnixServer(factory, path, rest);
}

function checkLimit(limit: unknown, method: string): void {
  if (limit === undefined) return;
  if (typeof limit !== "number" || Number.isNaN(limit)) {
    throw new TypeError(`${method}(): 'limit' must be a number: received ${describe(limit)}`);
  }
  if (limit <= 0) throw new RangeError(`${method}(): 'limit' cannot be <= 0: received ${limit}`);
}

function checkCallback(cb: unknown, method: string): void {
  if (typeof cb !== "function") {
    throw new TypeError(
      `${method}(): 'clientConnected' must be a function (reader, writer) => …: received ${describe(cb)}`,
    );
  }
}
