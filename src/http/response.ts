/**
 * What a handler returns: a {@link Response} (text or bytes, written at once), a JSON
 * response ({@link jsonResponse}), a {@link StreamingResponse} whose body an async generator
 * produces, or an {@link EventSourceResponse} (server-sent events). A handler may also
 * throw an {@link HTTPException} (`HTTPNotFound`, `HTTPBadRequest`, …): it becomes the
 * response with that status, as aiohttp's `web.HTTPException`s do.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import { type AsyncIterableLike, asyncFor } from "../asyncgen.js";
import type { BaseEventLoop } from "../core/base_events.js";
import { type Coroutine, describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import type { Future } from "../core/futures.js";
import type { TimerHandle } from "../core/handles.js";

/**
 * Response headers: names (any case; sent as given) to values.
 *
 * @example
 * ```ts
 * const headers: http.OutgoingHeaders = { "cache-control": "no-store", "set-cookie": ["a=1", "b=2"] };
 * ```
 */
export type OutgoingHeaders = Record<string, string | number | readonly string[]>;

/**
 * Options of a response: status, headers and content type.
 *
 * @example
 * ```ts
 * new http.Response("created", { status: 201, headers: { location: "/items/7" } });
 * ```
 */
export interface ResponseInit {
  /** The status code, 200 by default. */
  status?: number;
  /** Extra headers. */
  headers?: OutgoingHeaders;
  /** The `Content-Type`; by default `text/plain; charset=utf-8` for text, `application/octet-stream` for bytes. */
  contentType?: string;
}

const TEXT = "text/plain; charset=utf-8";
const BYTES = "application/octet-stream";
const JSON_TYPE = "application/json; charset=utf-8";

function checkStatus(status: unknown, where: string): number {
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(
      `${where}: 'status' must be an integer from 100 to 999: received ${describe(status)}`,
    );
  }
  return status;
}

/**
 * A complete response: a status, headers and a body of text or bytes (or none). The
 * `Content-Length` is set from the body.
 *
 * @example
 * ```ts
 * function* hello(request: http.Request) {
 *   return new http.Response(`hello, ${request.matchInfo.name}`);
 * }
 * ```
 */
export class Response {
  /** The status code. */
  readonly status: number;
  /** The `Content-Type`. */
  readonly contentType: string;
  /** Extra headers, or null. */
  readonly headers: OutgoingHeaders | null;
  /** The body: text, bytes, or null for none. */
  readonly body: string | Uint8Array | null;

  constructor(body: string | Uint8Array | null = null, init?: ResponseInit) {
    if (body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
      throw new TypeError(
        `Response(): 'body' must be a string, a Uint8Array or null: received ${describe(body)}`,
      );
    }
    this.body = body;
    if (init === undefined) {
      this.status = 200;
      this.headers = null;
      this.contentType = typeof body === "string" || body === null ? TEXT : BYTES;
      return;
    }
    this.status = init.status === undefined ? 200 : checkStatus(init.status, "Response()");
    this.headers = init.headers ?? null;
    this.contentType =
      init.contentType ?? (typeof body === "string" || body === null ? TEXT : BYTES);
  }

  /** The status's reason phrase ("OK", "Not Found", …). */
  get reason(): string {
    return STATUS_CODES[this.status] ?? "";
  }

  /**
   * @internal Writes the whole response on `res`. Returns null when done, or a coroutine
   * that streams the body (the streaming subclasses).
   */
  _send(res: ServerResponse, _keepAlive: boolean): Coroutine<void> | null {
    const body = this.body;
    const length =
      body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    const extra = this.headers;
    if (extra === null) {
      res.writeHead(this.status, {
        "content-type": this.contentType,
        "content-length": length,
      });
    } else {
      res.writeHead(this.status, {
        "content-type": this.contentType,
        "content-length": length,
        ...(extra as Record<string, string | number | string[]>),
      });
    }
    if (body === null) res.end();
    else res.end(body);
    return null;
  }

  toString(): string {
    return `<${this.constructor.name} ${this.status} ${this.reason}>`;
  }
}

/**
 * A JSON response: `data` serialised with `JSON.stringify`, `Content-Type:
 * application/json`. aiohttp's `web.json_response`. Throws `TypeError` if `data` cannot be
 * serialised (a cycle, a BigInt) — at the call, inside the handler.
 *
 * @example
 * ```ts
 * function* listItems() {
 *   return http.jsonResponse({ items: ["a", "b"] });
 * }
 * ```
 */
export function jsonResponse(data: unknown, init?: ResponseInit): Response {
  const text = JSON.stringify(data);
  if (text === undefined) {
    throw new TypeError(`jsonResponse(): 'data' is not serialisable: received ${describe(data)}`);
  }
  if (init === undefined) return new Response(text, JSON_INIT);
  return new Response(text, { ...init, contentType: init.contentType ?? JSON_TYPE });
}
const JSON_INIT: ResponseInit = Object.freeze({ contentType: JSON_TYPE });

/**
 * @internal Waits until `res` can take more data (its `drain`), or until it is closed. The
 * wait is outside work for a virtual clock.
 */
function* drained(res: ServerResponse, loop: BaseEventLoop): Coroutine<void> {
  const fut: Future<void> = loop.createFuture<void>();
  const wake = (): void => {
    if (!fut.done()) fut.setResult(undefined);
  };
  res.once("drain", wake);
  res.once("close", wake);
  loop._externalPending++;
  try {
    yield* fut;
  } finally {
    loop._externalPending--;
    res.removeListener("drain", wake);
    res.removeListener("close", wake);
  }
}

/** @internal Writes `chunk`, then waits while the peer is slower than we are. */
export function* writeChunk(
  res: ServerResponse,
  chunk: string | Uint8Array,
  loop: BaseEventLoop,
): Coroutine<void> {
  if (res.destroyed) return;
  if (!res.write(chunk)) yield* drained(res, loop);
}

/**
 * A response whose body is produced while it is sent: each item of `body` (an async
 * generator of strings or bytes) is written as it comes, with backpressure — the producer
 * is not asked for the next item while the client is slower than it. Sent chunked (no
 * `Content-Length`). Starlette's `StreamingResponse`.
 *
 * Cancellation: a client that disconnects cancels the handler's task; the generator is
 * closed (its `finally` runs). An error in the generator after the headers were sent
 * cannot become a 500 any more: the connection is closed and the error reported to the
 * loop's exception handler.
 *
 * @example
 * ```ts
 * const numbers = asyncio.asyncGenerator(function* () {
 *   for (let i = 0; i < 3; i++) { yield `${i}\n`; yield* asyncio.sleep(0.1); }
 * });
 * function* stream() {
 *   return new http.StreamingResponse(numbers());
 * }
 * ```
 */
export class StreamingResponse extends Response {
  /** @internal */
  readonly _iterable: AsyncIterableLike<string | Uint8Array>;

  constructor(body: AsyncIterableLike<string | Uint8Array>, init?: ResponseInit) {
    super(null, init);
    if (
      body === null ||
      typeof body !== "object" ||
      (typeof (body as { anext?: unknown }).anext !== "function" &&
        typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function")
    ) {
      throw new TypeError(
        `StreamingResponse(): 'body' must be an async iterable of strings or bytes: received ${describe(body)}`,
      );
    }
    this._iterable = body;
  }

  /** @internal */
  override _send(res: ServerResponse, _keepAlive: boolean): Coroutine<void> {
    return this._stream(res);
  }

  /** @internal The headers this kind of response sends. */
  protected _head(): OutgoingHeaders {
    return { "content-type": this.contentType, ...this.headers };
  }

  /** @internal */
  private *_stream(res: ServerResponse): Coroutine<void> {
    const loop = getRunningLoop();
    res.writeHead(this.status, this._head() as Record<string, string>);
    // Headers go out at once, before the first item: a client sees the response start
    // (an event stream must, before its first event).
    res.flushHeaders();
    yield* this._body(res, loop);
    res.end();
  }

  /** @internal Writes every item of the body. */
  protected *_body(res: ServerResponse, loop: BaseEventLoop): Coroutine<void> {
    yield* asyncFor(this._iterable, (chunk) => {
      if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
        throw new TypeError(
          `StreamingResponse: the body produced ${describe(chunk)}: items must be strings or bytes`,
        );
      }
      if (chunk.length === 0) return;
      return writeChunk(res, chunk, loop);
    });
  }
}

/**
 * One server-sent event. Only `data` is required; it may hold several lines.
 *
 * @example
 * ```ts
 * const event: http.ServerSentEvent = { event: "tick", id: "7", data: JSON.stringify({ n: 7 }) };
 * ```
 */
export interface ServerSentEvent {
  /** The payload (split into `data:` lines at each newline). */
  data: string;
  /** The event type (`event:` field). */
  event?: string;
  /** The event id (`id:` field), which the browser sends back as `Last-Event-ID`. */
  id?: string;
  /** The reconnection delay the client should use, in milliseconds (`retry:` field). */
  retry?: number;
}

/**
 * Options of {@link EventSourceResponse}.
 *
 * @example
 * ```ts real-time: the client reads events the server sends as this loop's timers fire
 * const tickEvents = asyncio.asyncGenerator(function* () {
 *   for (let n = 1; n <= 3; n++) {
 *     yield* asyncio.sleep(0.2);
 *     yield `tick ${n}`;
 *   }
 * });
 * const init: http.EventSourceInit = { ping: 15 }; // a comment line every 15 s of silence
 * const app = new http.Application();
 * app.router.addGet("/events", function* () {
 *   return new http.EventSourceResponse(tickEvents(), init);
 * });
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * const resp = yield* new http.ClientSession().get(`${server.url}/events`);
 * console.log(yield* resp.text()); // data: tick 1, data: tick 2, data: tick 3
 * yield* server.shutdown();
 * ```
 */
export interface EventSourceInit extends Omit<ResponseInit, "contentType"> {
  /** Seconds between keep-alive comments (`: ping`) while no event comes; 0 for none (default 15). */
  ping?: number;
}

const NEWLINES = /\r\n|\r|\n/;

function checkField(value: string, name: string): string {
  if (NEWLINES.test(value)) {
    throw new TypeError(
      `EventSourceResponse: the '${name}' field must be one line: ${describe(value)}`,
    );
  }
  return value;
}

/** @internal The wire form of one event. */
export function formatEvent(e: ServerSentEvent | string): string {
  if (typeof e === "string") e = { data: e };
  if (e === null || typeof e !== "object" || typeof e.data !== "string") {
    throw new TypeError(
      `EventSourceResponse: events must be strings or { data: string, ... } objects: received ${describe(e)}`,
    );
  }
  let out = "";
  if (e.event !== undefined) out += `event: ${checkField(e.event, "event")}\n`;
  if (e.id !== undefined) out += `id: ${checkField(e.id, "id")}\n`;
  if (e.retry !== undefined) {
    if (!Number.isInteger(e.retry) || e.retry < 0) {
      throw new TypeError(
        `EventSourceResponse: 'retry' must be an integer >= 0: received ${describe(e.retry)}`,
      );
    }
    out += `retry: ${e.retry}\n`;
  }
  for (const line of e.data.split(NEWLINES)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * A server-sent events stream (`text/event-stream`): each item of `events` — a string (the
 * data) or a {@link ServerSentEvent} — is sent as one event, with backpressure, and a
 * `: ping` comment goes out after `ping` seconds without an event so that proxies keep the
 * connection. The browser's `EventSource` reads it. Cancellation and errors as
 * {@link StreamingResponse}.
 *
 * @example
 * ```ts
 * const ticks = asyncio.asyncGenerator(function* () {
 *   for (let n = 0; ; n++) { yield { event: "tick", data: String(n) }; yield* asyncio.sleep(1); }
 * });
 * function* events() {
 *   return new http.EventSourceResponse(ticks());
 * }
 * ```
 */
export class EventSourceResponse extends StreamingResponse {
  /** @internal */
  private readonly _ping: number;
  /** @internal */
  private readonly _events: AsyncIterableLike<ServerSentEvent | string>;

  constructor(events: AsyncIterableLike<ServerSentEvent | string>, init: EventSourceInit = {}) {
    super(events as AsyncIterableLike<string>, { ...init, contentType: "text/event-stream" });
    const ping = init.ping ?? 15;
    if (typeof ping !== "number" || !(ping >= 0)) {
      throw new RangeError(
        `EventSourceResponse(): 'ping' must be a number of seconds >= 0: received ${describe(ping)}`,
      );
    }
    this._ping = ping;
    this._events = events;
  }

  /** @internal */
  protected override _head(): OutgoingHeaders {
    return {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      ...this.headers,
    };
  }

  /** @internal */
  protected override *_body(res: ServerResponse, loop: BaseEventLoop): Coroutine<void> {
    const ping = this._ping;
    let timer: TimerHandle | null = null;
    const beat = (): void => {
      // A comment line: ignored by EventSource, but traffic for proxies and dead-peer checks.
      if (!res.destroyed) res.write(": ping\n\n");
      timer = loop.callLater(ping, beat);
    };
    if (ping > 0) timer = loop.callLater(ping, beat);
    try {
      yield* asyncFor(this._events, (e) => {
        const text = formatEvent(e);
        if (timer !== null) {
          timer.cancel();
          timer = loop.callLater(ping, beat);
        }
        return writeChunk(res, text, loop);
      });
    } finally {
      (timer as TimerHandle | null)?.cancel();
    }
  }
}

/**
 * Options of {@link HTTPException}.
 *
 * @example
 * ```ts
 * const init: http.HTTPExceptionInit = { text: "name taken", headers: { "retry-after": "5" } };
 * const app = new http.Application();
 * app.router.addPost("/users", function* () {
 *   throw new http.HTTPException(409, init);
 * });
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * const resp = yield* new http.ClientSession().post(`${server.url}/users`);
 * console.log(resp.status, resp.headers.get("retry-after"), yield* resp.text()); // 409 5 name taken
 * yield* server.shutdown();
 * ```
 */
export interface HTTPExceptionInit {
  /** The body sent (text/plain); the status's reason phrase by default. */
  text?: string;
  /** Extra response headers. */
  headers?: OutgoingHeaders;
}

/**
 * An error that is also a response: thrown from a handler (or a middleware), it is sent
 * with its status, as aiohttp's `web.HTTPException`. Subclasses name the common ones.
 * `RangeError` for a status outside 100–999.
 *
 * @example
 * ```ts
 * const items = new Map([["1", { name: "apple" }]]);
 * function* getItem(request: http.Request) {
 *   const item = items.get(request.matchInfo.id!);
 *   if (item === undefined) throw new http.HTTPNotFound({ text: `no item ${request.matchInfo.id}` });
 *   return http.jsonResponse(item);
 * }
 * const app = new http.Application();
 * app.router.addGet("/items/{id}", getItem);
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * const session = new http.ClientSession({ baseUrl: server.url });
 * console.log(yield* (yield* session.get("/items/1")).json()); // { name: "apple" }
 * const missing = yield* session.get("/items/2");
 * console.log(missing.status, yield* missing.text()); // 404 no item 2
 * yield* server.shutdown();
 * ```
 */
export class HTTPException extends Error {
  /** The status code sent. */
  readonly status: number;
  /** The body sent. */
  readonly text: string;
  /** Extra headers sent. */
  readonly headers: OutgoingHeaders | null;

  constructor(status: number, init: HTTPExceptionInit = {}) {
    checkStatus(status, "HTTPException()");
    const text = init.text ?? `${status}: ${STATUS_CODES[status] ?? "Unknown"}`;
    super(text);
    this.status = status;
    this.text = text;
    this.headers = init.headers ?? null;
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** The response this error stands for. */
  toResponse(): Response {
    return new Response(
      this.text,
      this.headers === null
        ? { status: this.status }
        : { status: this.status, headers: this.headers },
    );
  }
}

/** 400: the request is malformed (bad JSON, a bad parameter). @example `throw new http.HTTPBadRequest({ text: "'n' must be a number" });` */
export class HTTPBadRequest extends HTTPException {
  constructor(init?: HTTPExceptionInit) {
    super(400, init);
  }
}

/** 403. @example `throw new http.HTTPForbidden();` */
export class HTTPForbidden extends HTTPException {
  constructor(init?: HTTPExceptionInit) {
    super(403, init);
  }
}

/** 404: no such resource (also what an unknown path gets). @example `throw new http.HTTPNotFound();` */
export class HTTPNotFound extends HTTPException {
  constructor(init?: HTTPExceptionInit) {
    super(404, init);
  }
}

/**
 * 405: the path exists but not for this method; `allowed` becomes the `Allow` header.
 *
 * @example
 * ```ts
 * const err = new http.HTTPMethodNotAllowed("DELETE", ["GET", "POST"]);
 * console.log(err.status, err.headers); // 405 { allow: "GET, POST" }
 * ```
 */
export class HTTPMethodNotAllowed extends HTTPException {
  /** The method that was refused. */
  readonly method: string;
  /** The methods the path accepts. */
  readonly allowed: readonly string[];
  constructor(method: string, allowed: readonly string[], init: HTTPExceptionInit = {}) {
    super(405, {
      text: init.text ?? `405: Method Not Allowed: ${method}`,
      headers: { ...init.headers, allow: allowed.join(", ") },
    });
    this.method = method;
    this.allowed = allowed;
  }
}

/** 408: the client was too slow to send its request. @example `throw new http.HTTPRequestTimeout();` */
export class HTTPRequestTimeout extends HTTPException {
  constructor(init?: HTTPExceptionInit) {
    super(408, init);
  }
}

/**
 * 413: the request body is larger than the server accepts (`maxBodySize`).
 *
 * @example
 * ```ts
 * const err = new http.HTTPRequestEntityTooLarge(1024, 5000);
 * console.log(err.status, err.text); // 413 and what it says about the two sizes
 * ```
 */
export class HTTPRequestEntityTooLarge extends HTTPException {
  /** The most bytes accepted. */
  readonly maxSize: number;
  /** How many bytes the body has (or had when reading stopped). */
  readonly actualSize: number;
  constructor(maxSize: number, actualSize: number, init: HTTPExceptionInit = {}) {
    super(413, {
      ...init,
      text:
        init.text ??
        `413: Request Entity Too Large: the body has ${actualSize} bytes or more, the limit is ${maxSize}`,
    });
    this.maxSize = maxSize;
    this.actualSize = actualSize;
  }
}

/** 426: this path only speaks WebSocket. @example `throw new http.HTTPUpgradeRequired();` */
export class HTTPUpgradeRequired extends HTTPException {
  constructor(init?: HTTPExceptionInit) {
    super(426, init);
  }
}

/** 500. @example `throw new http.HTTPInternalServerError();` */
export class HTTPInternalServerError extends HTTPException {
  constructor(init?: HTTPExceptionInit) {
    super(500, init);
  }
}

/** 503: e.g. while shutting down. @example `throw new http.HTTPServiceUnavailable();` */
export class HTTPServiceUnavailable extends HTTPException {
  constructor(init?: HTTPExceptionInit) {
    super(503, init);
  }
}
