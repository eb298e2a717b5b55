/**
 * The request a handler receives: method, path, path parameters, headers and query at
 * once; the body read on demand, as a stream of chunks or whole (bytes, text, JSON), never
 * buffered past the application's `maxBodySize`.
 *
 * @module
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { AsyncIter } from "../asyncgen.js";
import type { BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { ConnectionResetError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import type { TimerHandle } from "../core/handles.js";
import type { Task } from "../core/tasks.js";
import { HTTPBadRequest, HTTPRequestEntityTooLarge, HTTPRequestTimeout } from "./response.js";

/** @internal What the server knows of one connection (see server.ts). */
export interface ConnectionLike {
  /** Loop time after which the connection is closed for slowness (Infinity: never). */
  deadline: number;
  /** The body was refused part-way: the connection must close after the response. */
  mustClose: boolean;
}

/** @internal The server's limits a request reads its body under. */
export interface BodyLimits {
  maxBodySize: number;
  bodyTimeout: number;
}

function bodyTimedOut(reader: BodyReader): void {
  reader._timedOut();
}

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
const NO_BYTES = new Uint8Array(0);

/**
 * The body of a request, read as it arrives: `yield* request.content.read()` gives the
 * next chunk (an empty array at the end); `asyncFor(request.content, …)` iterates the
 * chunks. At most `maxBodySize` bytes are accepted: past that, reading throws
 * {@link HTTPRequestEntityTooLarge} (sent as 413) and the rest is never read. A client
 * that stops sending for `bodyTimeout` seconds has its connection closed.
 *
 * Cancellation: a cancelled read leaves the body where it was; reading again continues.
 * Errors: `ConnectionResetError` when the client goes away in the middle of the body.
 *
 * @example
 * ```ts
 * function* upload(request: http.Request) {
 *   let size = 0;
 *   yield* asyncio.asyncFor(request.content, (chunk) => { size += chunk.byteLength; });
 *   return http.jsonResponse({ size });
 * }
 * ```
 */
export class BodyReader implements AsyncIter<Uint8Array> {
  /** @internal */
  private readonly _msg: IncomingMessage;
  /** @internal */
  private readonly _loop: BaseEventLoop;
  /** @internal */
  private readonly _limits: BodyLimits;
  /** @internal */
  private readonly _conn: ConnectionLike;
  /** @internal Bytes read so far. */
  private _received = 0;
  /** @internal */
  private _ended = false;
  /** @internal */
  private _error: Error | null = null;
  /** @internal */
  private _waiter: Future<void> | null = null;
  /** @internal */
  private _listening = false;

  /** @internal */
  constructor(msg: IncomingMessage, loop: BaseEventLoop, limits: BodyLimits, conn: ConnectionLike) {
    this._msg = msg;
    this._loop = loop;
    this._limits = limits;
    this._conn = conn;
    const declared = msg.headers["content-length"];
    if (declared !== undefined) {
      const n = Number(declared);
      if (n > limits.maxBodySize) this._fail(new HTTPRequestEntityTooLarge(limits.maxBodySize, n));
    }
  }

  /** Bytes of the body read so far. */
  get received(): number {
    return this._received;
  }

  /** @internal Wakes a read waiting for data (or the end, or an error). */
  _wake(): void {
    const w = this._waiter;
    if (w !== null && !w.done()) w.setResult(undefined);
  }

  /** @internal The body cannot be read on: the connection closes after the response. */
  private _fail(e: Error): Error {
    this._error = e;
    this._conn.mustClose = true;
    return e;
  }

  /** @internal */
  _timedOut(): void {
    this._fail(
      new HTTPRequestTimeout({
        text: `408: Request Timeout: no body data for ${this._limits.bodyTimeout} seconds`,
      }),
    );
    this._wake();
  }

  /** @internal */
  private _aborted(): void {
    if (!this._ended && !this._msg.complete && this._error === null) {
      this._fail(new ConnectionResetError("the client closed the connection during the body"));
    }
    this._wake();
  }

  /**
   * @internal Listens to the request stream, the first time a read has to wait (most
   * bodies have fully arrived when the handler runs: those never get here).
   */
  private _listen(): void {
    this._listening = true;
    const msg = this._msg;
    const wake = (): void => this._wake();
    const aborted = (): void => this._aborted();
    msg.on("readable", wake);
    msg.on("end", () => {
      this._ended = true;
      this._wake();
    });
    msg.on("aborted", aborted);
    msg.on("error", aborted);
    msg.on("close", aborted);
  }

  /**
   * The next chunk of the body, waiting for it if none has arrived; an empty array at the
   * end. Throws {@link HTTPRequestEntityTooLarge} past the limit.
   *
   * @example
   * ```ts
   * const app = new http.Application();
   * app.router.addPost("/upload", function* (request) {
   *   const sink: Uint8Array[] = [];
   *   for (;;) {
   *     const chunk = yield* request.content.read();
   *     if (chunk.byteLength === 0) break;
   *     sink.push(chunk);
   *   }
   *   return new http.Response(`${Buffer.concat(sink).length} bytes`);
   * });
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * const resp = yield* new http.ClientSession().post(`${server.url}/upload`, { data: "x".repeat(100_000) });
   * console.log(yield* resp.text()); // 100000 bytes
   * yield* server.shutdown();
   * ```
   */
  *read(): Coroutine<Uint8Array> {
    for (;;) {
      if (this._error !== null) throw this._error;
      const chunk = this._msg.read() as Buffer | null;
      if (chunk !== null) {
        this._received += chunk.byteLength;
        if (this._received > this._limits.maxBodySize) {
          throw this._fail(new HTTPRequestEntityTooLarge(this._limits.maxBodySize, this._received));
        }
        return chunk;
      }
      if (this._ended || this._msg.readableEnded || this._msg.complete) {
        // complete and nothing buffered: the end (read() above drained the last chunk)
        if (this._msg.readableLength === 0) {
          this._ended = true;
          return NO_BYTES;
        }
      }
      if (!this._listening) this._listen();
      const loop = this._loop;
      const w = loop.createFuture<void>();
      this._waiter = w;
      const timer: TimerHandle = loop.callLater(this._limits.bodyTimeout, bodyTimedOut, this);
      // A real client feeds the body: a virtual clock holds still while we wait for it.
      loop._externalPending++;
      try {
        yield* w;
      } finally {
        loop._externalPending--;
        this._waiter = null;
        timer.cancel();
      }
    }
  }

  /** `AsyncIter`: the next chunk, or done at the end of the body. */
  *anext(): Coroutine<IteratorResult<Uint8Array, undefined>> {
    const chunk = yield* this.read();
    if (chunk.byteLength === 0) return { done: true, value: undefined };
    return { done: false, value: chunk };
  }

  /** The rest of the body, whole. */
  *readAll(): Coroutine<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = yield* this.read();
      if (chunk.byteLength === 0) break;
      parts.push(chunk);
      total += chunk.byteLength;
    }
    if (parts.length === 1) return parts[0] as Uint8Array;
    return Buffer.concat(parts, total);
  }
}

/**
 * An HTTP request, as a handler receives it (aiohttp's `web.Request`): the method, the
 * path and its parameters (`matchInfo`), headers, query, and the body through
 * {@link BodyReader} (`content`) or whole (`bytes()`, `text()`, `json()`).
 *
 * @example
 * ```ts
 * function* createItem(request: http.Request) {
 *   const item = (yield* request.json()) as { name: string };
 *   console.log(request.method, request.path, request.headers["user-agent"]);
 *   return http.jsonResponse({ created: item.name }, { status: 201 });
 * }
 * ```
 */
export class Request {
  /** The method, upper case ("GET"). */
  readonly method: string;
  /** The path, without the query string, as sent (percent-encoded). */
  readonly path: string;
  /** The path parameters of the route that matched (`/items/{id}` → `{ id: "7" }`), decoded. */
  readonly matchInfo: Readonly<Record<string, string>>;
  /** The Node request underneath. */
  readonly raw: IncomingMessage;
  /** @internal */
  private _state: Map<string, unknown> | null = null;
  /** @internal */
  _conn: ConnectionLike;
  /** @internal */
  _limits: BodyLimits;
  /** @internal */
  _loop: BaseEventLoop;
  /** @internal */
  private _content: BodyReader | null = null;
  /** @internal */
  private _query: URLSearchParams | null = null;
  /** @internal For a WebSocket upgrade: the socket and the bytes read past the headers. */
  _upgrade: { socket: Socket; head: Buffer } | null = null;
  /** @internal The upgrade was taken over (by a WebSocket): the server writes no response. */
  _upgraded = false;
  /** @internal The server's callbacks run when shutdown begins (a WebSocket adds its close). */
  _shutdownCallbacks: Set<() => void> | null = null;
  /**
   * @internal The Task handling this request and the Node response it writes to, set by
   * the server. Declared here, not added later, so that every Request has one shape.
   */
  _task: Task<void> | null = null;
  /** @internal */
  _res: ServerResponse | null = null;

  /** @internal */
  constructor(
    raw: IncomingMessage,
    path: string,
    matchInfo: Record<string, string> | null,
    conn: ConnectionLike,
    limits: BodyLimits,
    loop: BaseEventLoop,
  ) {
    this.raw = raw;
    this.method = raw.method as string;
    this.path = path;
    this.matchInfo = matchInfo ?? EMPTY_PARAMS;
    this._conn = conn;
    this._limits = limits;
    this._loop = loop;
  }

  /** Per-request values for middlewares and handlers to share (aiohttp's `request["key"]`). */
  get state(): Map<string, unknown> {
    if (this._state === null) this._state = new Map();
    return this._state;
  }

  /** The headers, names lower-cased (Node's `IncomingHttpHeaders`). */
  get headers(): IncomingHttpHeaders {
    return this.raw.headers;
  }

  /** The target as sent: path and query string. */
  get url(): string {
    return this.raw.url as string;
  }

  /** The query string, without the `?` ("" when there is none). */
  get queryString(): string {
    const url = this.raw.url as string;
    const q = url.indexOf("?");
    return q < 0 ? "" : url.slice(q + 1);
  }

  /** The query parameters (parsed on first use). */
  get query(): URLSearchParams {
    if (this._query === null) this._query = new URLSearchParams(this.queryString);
    return this._query;
  }

  /** The `Content-Type` without its parameters, lower case ("" when absent). */
  get contentType(): string {
    const t = this.raw.headers["content-type"];
    if (t === undefined) return "";
    const semi = t.indexOf(";");
    return (semi < 0 ? t : t.slice(0, semi)).trim().toLowerCase();
  }

  /** The client's address (`[host, port]`), as the socket reports it. */
  get remote(): [string, number] {
    const s = this.raw.socket;
    return [s.remoteAddress ?? "", s.remotePort ?? 0];
  }

  /** The body, as a stream of chunks (see {@link BodyReader}). */
  get content(): BodyReader {
    if (this._content === null) {
      this._content = new BodyReader(this.raw, this._loop, this._limits, this._conn);
    }
    return this._content;
  }

  /**
   * The whole body as bytes. Throws {@link HTTPRequestEntityTooLarge} (413) past
   * `maxBodySize`, `ConnectionResetError` if the client leaves mid-body.
   *
   * @example
   * ```ts
   * const app = new http.Application();
   * app.router.addPost("/upload", function* (request) {
   *   const data = yield* request.bytes();
   *   return new http.Response(`${data.length} bytes`);
   * });
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * const resp = yield* new http.ClientSession().post(`${server.url}/upload`, { data: "hello" });
   * console.log(yield* resp.text()); // 5 bytes
   * yield* server.shutdown();
   * ```
   */
  bytes(): Coroutine<Uint8Array> {
    return this.content.readAll();
  }

  /**
   * The whole body decoded as UTF-8 (invalid bytes become U+FFFD). Errors as {@link bytes}.
   *
   * @example
   * ```ts
   * const app = new http.Application();
   * app.router.addPost("/shout", function* (request) {
   *   const text = yield* request.text();
   *   return new http.Response(text.toUpperCase());
   * });
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * const resp = yield* new http.ClientSession().post(`${server.url}/shout`, { data: "hello" });
   * console.log(yield* resp.text()); // HELLO
   * yield* server.shutdown();
   * ```
   */
  *text(): Coroutine<string> {
    const data = yield* this.bytes();
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  }

  /**
   * The body parsed as JSON. A body that is not JSON throws {@link HTTPBadRequest} (sent as
   * 400) with a message that says where parsing failed. Errors otherwise as {@link bytes}.
   *
   * @example
   * ```ts
   * const app = new http.Application();
   * app.router.addPost("/greet", function* (request) {
   *   const { name } = (yield* request.json()) as { name: string };
   *   return http.jsonResponse({ greeting: `hello ${name}` });
   * });
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * const resp = yield* new http.ClientSession().post(`${server.url}/greet`, { json: { name: "ada" } });
   * console.log(yield* resp.json()); // { greeting: "hello ada" }
   * yield* server.shutdown();
   * ```
   */
  *json<T = unknown>(): Coroutine<T> {
    const text = yield* this.text();
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      throw new HTTPBadRequest({
        text: `400: Malformed JSON in the request body: ${detail}`,
      });
    }
  }

  toString(): string {
    return `<Request ${this.method} ${this.path}>`;
  }
}
