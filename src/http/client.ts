/**
 * An HTTP client in the spirit of aiohttp's `ClientSession`, on undici (Node's own HTTP
 * client): a session pools keep-alive connections; each request is an awaitable on the
 * loop that cancellation aborts; the `total` timeout runs on the loop's clock.
 *
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import * as http from "asyncio-ts/http";
 *
 * function* main() {
 *   yield* asyncio.asyncWith(new http.ClientSession(), function* (session) {
 *     yield* asyncio.asyncWith(session.get("http://127.0.0.1:8080/"), function* (resp) {
 *       console.log(resp.status, yield* resp.text());
 *     });
 *   });
 * }
 * ```
 *
 * Guarantees:
 * - **Cancellation** of the task awaiting a request or a body read aborts the request:
 *   its connection is closed (not returned to the pool) and the server sees it go.
 * - **Timeouts**: `ClientTimeout.total` bounds the whole exchange, from sending the request
 *   to the end of reading the body (as aiohttp's `total`), measured by the loop's clock
 *   (`loop.callLater`). On expiry the request is aborted and the waiting call raises
 *   asyncio's `TimeoutError`. The default is 300 seconds, as aiohttp's.
 * - A response's connection goes back to the pool once its body is read, or when it is
 *   released (`release()`, or leaving `asyncWith(session.get(…), …)`). A response dropped
 *   unread is closed when it is garbage-collected (as aiohttp's); until then it holds its
 *   connection, so read or release every response.
 * - Redirects (301, 302, 303, 307, 308) are followed, up to `maxRedirects` (10). A redirect
 *   to another origin (scheme, host or port) drops `Authorization`, `Cookie`,
 *   `Proxy-Authorization` and `Host`; one that turns the request into a GET (303, or 301/302
 *   after a POST) drops the body and its `Content-*` headers.
 * - Text is decoded strictly: invalid bytes raise `UnicodeDecodeError` unless
 *   `text({ errors: "replace" })`.
 *
 * @module
 */

import { STATUS_CODES } from "node:http";
import { Agent, Headers, request } from "undici";
import type { BaseEventLoop } from "../core/base_events.js";
import { bridgePromise } from "../core/base_events.js";
import type { Awaitable, Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { CancelledError, RuntimeError, TimeoutError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import type { TimerHandle } from "../core/handles.js";
import { checkErrors, type DecodeErrors, decodeText, makeDecoder } from "../io/decoding.js";

/**
 * Base of the client's errors (aiohttp's `ClientError`).
 *
 * @example
 * ```ts
 * try { yield* session.get(url); }
 * catch (e) { if (e instanceof http.ClientError) console.log("request failed:", e.message); }
 * ```
 */
export class ClientError extends Error {
  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * The server could not be reached or the connection failed (refused, reset, bad URL…).
 * `code` is the system error code when there is one (`ECONNREFUSED`); `cause` the original.
 *
 * @example
 * ```ts
 * const session = new http.ClientSession();
 * try {
 *   yield* session.get("http://127.0.0.1:1/"); // nothing listens on port 1
 * } catch (e) {
 *   if (e instanceof http.ClientConnectionError && e.code === "ECONNREFUSED") console.log("refused");
 *   else throw e;
 * }
 * ```
 */
export class ClientConnectionError extends ClientError {
  /** The system error code, such as `ECONNREFUSED`, if any. */
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/**
 * A response with a status of 400 or more, raised by `raiseForStatus()` (aiohttp's
 * `ClientResponseError`); also raised for too many redirects.
 *
 * @example
 * ```ts
 * const session = new http.ClientSession({ baseUrl: api });
 * function* fetchOptional(path: string) {
 *   try {
 *     const resp = yield* session.get(path, { raiseForStatus: true });
 *     return yield* resp.text();
 *   } catch (e) {
 *     if (e instanceof http.ClientResponseError && e.status === 404) return null;
 *     throw e;
 *   }
 * }
 * console.log(yield* fetchOptional("/missing")); // null
 * ```
 */
export class ClientResponseError extends ClientError {
  /** The HTTP status. */
  readonly status: number;
  /** The URL of the response. */
  readonly url: string;
  constructor(status: number, message: string, url: string) {
    super(`${status}, message=${JSON.stringify(message)}, url=${JSON.stringify(url)}`);
    this.status = status;
    this.url = url;
  }
}

/**
 * More redirects than `maxRedirects` (aiohttp's `TooManyRedirects`).
 *
 * @example
 * ```ts
 * const session = new http.ClientSession({ baseUrl: api });
 * try {
 *   yield* session.get("/loop"); // redirects to itself
 * } catch (e) {
 *   if (e instanceof http.TooManyRedirects) console.log("redirect loop at", e.url);
 *   else throw e;
 * }
 * ```
 */
export class TooManyRedirects extends ClientResponseError {}

/**
 * Options of {@link ClientTimeout}: `new ClientTimeout({ total: 10 })`.
 *
 * @example
 * ```ts
 * const timeout = new http.ClientTimeout({ total: 30 });
 * const session = new http.ClientSession({ timeout });
 * ```
 */
export interface ClientTimeoutOptions {
  /** Seconds for the whole exchange, body included; `null` for none. */
  total?: number | null;
}

/**
 * Timeouts of a session or request, as aiohttp's `ClientTimeout` (only `total` for now).
 * Throws `RangeError` for a negative or non-numeric `total`.
 *
 * @example
 * ```ts
 * new http.ClientSession({ timeout: new http.ClientTimeout({ total: 10 }) });
 * ```
 */
export class ClientTimeout {
  /** Seconds for the whole exchange, or `null`. */
  readonly total: number | null;
  constructor(options: ClientTimeoutOptions = {}) {
    const total = options.total ?? null;
    if (total !== null && (typeof total !== "number" || !(total >= 0))) {
      throw new RangeError(
        `ClientTimeout(): 'total' must be a number >= 0 or null: received ${describe(total)}`,
      );
    }
    this.total = total;
  }
}

const DEFAULT_TIMEOUT = new ClientTimeout({ total: 300 });

/**
 * Header values as a record, a `Headers`, or a list of pairs: `{ accept: "text/html" }`.
 *
 * @example
 * ```ts
 * const headers: http.ClientHeaders = [["accept", "application/json"]];
 * const session = new http.ClientSession({ headers: { "user-agent": "asyncio-ts" } });
 * const resp = yield* session.get(`${api}/items`, { headers });
 * console.log(resp.status); // 200
 * yield* resp.release();
 * ```
 */
export type ClientHeaders = Record<string, string> | Headers | [string, string][];

/**
 * Options of {@link ClientSession}: `new ClientSession({ baseUrl, timeout: 10 })`.
 *
 * @example
 * ```ts
 * const session = new http.ClientSession({
 *   baseUrl: "http://127.0.0.1:8080",
 *   timeout: 10,
 *   raiseForStatus: true,
 * });
 * ```
 */
export interface ClientSessionOptions {
  /** Relative request URLs are resolved against it. */
  baseUrl?: string | URL;
  /** Headers sent with every request. */
  headers?: ClientHeaders;
  /** The default timeout: a {@link ClientTimeout}, or seconds for `total`. 300 s by default. */
  timeout?: ClientTimeout | number | null;
  /** Raise {@link ClientResponseError} for statuses >= 400 (default false). */
  raiseForStatus?: boolean;
  /** Most connections open to one host at a time (default: no limit). */
  limitPerHost?: number;
  /** Seconds an idle keep-alive connection stays in the pool (default 4). */
  keepaliveTimeout?: number;
}

/**
 * Options of one request: `session.get(url, { params: { q: "x" }, timeout: 5 })`.
 *
 * @example
 * ```ts
 * const session = new http.ClientSession({ baseUrl: api });
 * const options: http.RequestOptions = { json: { name: "x" }, timeout: 5, raiseForStatus: true };
 * const resp = yield* session.post("/items", options);
 * console.log(resp.status, yield* resp.json()); // 201 { name: "x" }
 * ```
 */
export interface RequestOptions {
  /** Query parameters added to the URL. */
  params?: Record<string, string | number> | URLSearchParams;
  /** Headers for this request, over the session's. */
  headers?: ClientHeaders;
  /** A body: text, bytes, or form fields (sent url-encoded). */
  data?: string | Uint8Array | Record<string, string> | URLSearchParams;
  /** A value sent as JSON. */
  json?: unknown;
  /** This request's timeout, over the session's. */
  timeout?: ClientTimeout | number | null;
  /** Follow redirects (default true). */
  allowRedirects?: boolean;
  /** The most redirects followed (default 10). */
  maxRedirects?: number;
  /** Raise for statuses >= 400; the session's setting by default. */
  raiseForStatus?: boolean;
}

function toTimeout(
  t: ClientTimeout | number | null | undefined,
  fallback: ClientTimeout,
  where: string,
): ClientTimeout {
  if (t === undefined) return fallback;
  if (t === null) return new ClientTimeout();
  if (t instanceof ClientTimeout) return t;
  if (typeof t === "number") return new ClientTimeout({ total: t });
  throw new TypeError(
    `${where}: 'timeout' must be a ClientTimeout, a number of seconds or null: received ${describe(t)}`,
  );
}

/**
 * One exchange's abort machinery: the controller undici listens to, the loop timer of the
 * `total` timeout, and the Future a call is waiting on (so a timeout can fail it at once).
 */
class Exchange {
  readonly controller = new AbortController();
  timedOut = false;
  finished = false;
  /** Called once when the exchange is over (the session stops tracking it). */
  onFinish: (() => void) | null = null;
  private _timer: TimerHandle | null = null;
  private _waiter: Future<unknown> | null = null;

  constructor(
    readonly loop: BaseEventLoop,
    readonly total: number | null,
  ) {
    if (total !== null) this._timer = loop.callLater(total, () => this._expire());
  }

  private _expire(): void {
    this._timer = null;
    if (this.finished) return;
    this.timedOut = true;
    this.controller.abort(new TimeoutError(`HTTP request timed out after ${this.total} seconds`));
    const w = this._waiter;
    if (w !== null && !w.done()) w.setException(this._timeoutError());
  }

  _timeoutError(): TimeoutError {
    return new TimeoutError(`HTTP request timed out after ${this.total} seconds`);
  }

  /** Awaits `p` on the loop; cancelling the wait aborts the exchange. */
  *wait<T>(p: Promise<T>): Coroutine<T> {
    if (this.timedOut) throw this._timeoutError();
    const fut = bridgePromise(p, this.loop);
    this._waiter = fut as Future<unknown>;
    fut.addDoneCallback((f) => {
      if (f.cancelled()) this.abort();
    });
    try {
      return yield* fut;
    } catch (e) {
      if (this.timedOut && !(e instanceof TimeoutError)) throw this._timeoutError();
      throw e;
    } finally {
      if (this._waiter === fut) this._waiter = null;
    }
  }

  /** Aborts the request (closing its connection) and stops the timer. */
  abort(reason = "the request was aborted"): void {
    this.finish();
    if (!this.controller.signal.aborted) this.controller.abort(new ClientConnectionError(reason));
  }

  /** The exchange is over: the timer is no longer needed. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    unreadResponses.unregister(this);
    this._timer?.cancel();
    this._timer = null;
    const done = this.onFinish;
    this.onFinish = null;
    done?.();
  }
}

/**
 * Closes the connection of a response garbage-collected before its body was read or
 * released (aiohttp does the same in `__del__`): otherwise it would hold a slot of the
 * pool until the `total` timeout. It holds the exchange, never the response.
 */
const unreadResponses = new FinalizationRegistry<Exchange>((exchange) => {
  if (!exchange.finished) exchange.abort("the response was garbage-collected unread");
});

/** Most of an unread body drained to keep its connection; a longer one closes it. */
const DRAIN_LIMIT = 128 * 1024;

/**
 * Options of {@link ClientResponse.text}: `resp.text({ errors: "replace" })`.
 *
 * @example
 * ```ts
 * const session = new http.ClientSession({ baseUrl: api });
 * const resp = yield* session.get("/latin1");
 * const options: http.TextOptions = { encoding: "latin1", errors: "strict" };
 * const text = yield* resp.text(options);
 * console.log(text); // café
 * ```
 */
export interface TextOptions {
  /** The encoding (a WHATWG label); by default the `Content-Type` charset, else UTF-8. */
  encoding?: string;
  /** `"strict"` (default): invalid bytes raise `UnicodeDecodeError`; `"replace"`: U+FFFD. */
  errors?: DecodeErrors;
}

function wrapError(e: unknown, url: string): unknown {
  if (e instanceof ClientError || e instanceof TimeoutError || e instanceof CancelledError)
    return e;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const detail = (e as { cause?: { code?: string; message?: string } }).cause;
    const sys = detail?.code ?? (typeof code === "string" ? code : undefined);
    return new ClientConnectionError(`cannot reach ${url}: ${detail?.message ?? e.message}`, {
      cause: e,
      ...(sys === undefined ? {} : { code: sys }),
    });
  }
  return e;
}

/**
 * A response: status and headers at once, the body through awaitable readers. Usable as
 * an async context manager that releases the connection on exit.
 *
 * @example
 * ```ts
 * const session = new http.ClientSession();
 * const resp: http.ClientResponse = yield* session.get(`${api}/items`);
 * if (resp.ok) console.log(yield* resp.json()); // { items: ["apple", "pear"] }
 * ```
 */
export class ClientResponse {
  /** The HTTP method of the request. */
  readonly method: string;
  /** The final URL (after redirects). */
  readonly url: URL;
  /** The HTTP status code. */
  readonly status: number;
  /** The status's reason phrase, as Node knows it ("OK", "Not Found", …). */
  readonly reason: string;
  /** The response headers (case-insensitive). */
  readonly headers: Headers;
  /** @internal */
  private readonly _body: {
    bytes(): Promise<Uint8Array>;
    dump(opts?: { limit: number }): Promise<void>;
  };
  /** @internal */
  private readonly _exchange: Exchange;
  /** @internal */
  private _read: Promise<Uint8Array> | null = null;
  /** @internal */
  private _released = false;

  /** @internal */
  constructor(
    method: string,
    url: URL,
    status: number,
    headers: Headers,
    body: { bytes(): Promise<Uint8Array>; dump(opts?: { limit: number }): Promise<void> },
    exchange: Exchange,
  ) {
    this.method = method;
    this.url = url;
    this.status = status;
    this.reason = STATUS_CODES[status] ?? "";
    this.headers = headers;
    this._body = body;
    this._exchange = exchange;
  }

  /** Whether the status is below 400 (aiohttp's `ok`). */
  get ok(): boolean {
    return this.status < 400;
  }

  /** Throws {@link ClientResponseError} if the status is 400 or more. */
  raiseForStatus(): void {
    if (!this.ok) throw new ClientResponseError(this.status, this.reason, this.url.href);
  }

  /**
   * The whole body as bytes (read once, then kept). Errors: `TimeoutError` when the
   * session's `total` expires; `ClientConnectionError` if the connection fails.
   * Cancellation aborts the transfer and closes the connection.
   *
   * @example
   * ```ts
   * const session = new http.ClientSession({ baseUrl: api });
   * const resp = yield* session.get("/latin1");
   * const data = yield* resp.bytes();
   * console.log(data.length); // 4
   * ```
   */
  *bytes(): Coroutine<Uint8Array> {
    if (this._read === null) {
      if (this._released)
        throw new ClientError("the response was released before its body was read");
      this._read = this._body.bytes();
      this._read.then(
        () => this._exchange.finish(),
        () => this._exchange.abort(),
      );
    }
    try {
      return yield* this._exchange.wait(this._read);
    } catch (e) {
      throw wrapError(e, this.url.href);
    }
  }

  /**
   * The body decoded as text: with `encoding`, else the charset of `Content-Type`, else
   * UTF-8. Strict, as aiohttp's: bytes invalid in the encoding raise
   * `UnicodeDecodeError` (naming the encoding and the byte offset); `{ errors: "replace" }`
   * puts U+FFFD in their place. Throws `RangeError` for an unknown encoding or a bad
   * `errors`, before reading. Errors and cancellation otherwise as {@link bytes}.
   *
   * @example
   * ```ts
   * const session = new http.ClientSession({ baseUrl: api });
   * const html = yield* (yield* session.get("/")).text();
   * const lenient = yield* (yield* session.get("/bad-utf8")).text({ errors: "replace" });
   * const legacy = yield* (yield* session.get("/latin1")).text("windows-1252", { errors: "replace" });
   * console.log(html, lenient, legacy); // hello ok� café
   * ```
   */
  *text(encoding?: string | TextOptions | null, options: TextOptions = {}): Coroutine<string> {
    const opts = typeof encoding === "object" && encoding !== null ? encoding : options;
    const name = typeof encoding === "object" && encoding !== null ? opts.encoding : encoding;
    if (name !== undefined && name !== null && typeof name !== "string") {
      throw new TypeError(`text(): 'encoding' must be a string: received ${describe(name)}`);
    }
    const errors = checkErrors(opts.errors, "text()");
    const charset =
      name ??
      /charset=("?)([^";\s]+)\1/i.exec(this.headers.get("content-type") ?? "")?.[2] ??
      "utf-8";
    let decoder: ReturnType<typeof makeDecoder>;
    try {
      decoder = makeDecoder(charset, errors);
    } catch {
      throw new RangeError(`text(): unknown encoding ${JSON.stringify(charset)}`);
    }
    const data = yield* this.bytes();
    return decodeText(decoder, data, `the body of ${this.url.href}`);
  }

  /**
   * The body parsed as JSON. Throws `SyntaxError` if it is not JSON. Errors and
   * cancellation otherwise as {@link bytes}.
   *
   * @example
   * ```ts
   * const session = new http.ClientSession({ baseUrl: api });
   * const resp = yield* session.get("/items");
   * const { items } = (yield* resp.json()) as { items: string[] };
   * console.log(items); // ["apple", "pear"]
   * ```
   */
  *json<T = unknown>(): Coroutine<T> {
    return JSON.parse(yield* this.text()) as T;
  }

  /**
   * Gives the connection back: the unread body is drained (a small one) or the connection
   * closed (a large one). Idempotent; the body can no longer be read afterwards.
   *
   * @example
   * ```ts
   * const session = new http.ClientSession({ baseUrl: api });
   * const resp = yield* session.get("/items");
   * console.log(resp.status); // 200: the body is not needed
   * yield* resp.release();
   * ```
   */
  *release(): Coroutine<void> {
    if (this._released || this._read !== null) {
      this._released = true;
      return;
    }
    this._released = true;
    try {
      yield* this._exchange.wait(this._body.dump({ limit: DRAIN_LIMIT }));
      this._exchange.finish();
    } catch {
      // A body that cannot be drained just loses its connection: nothing to report.
      this._exchange.abort();
    }
  }

  /**
   * @internal Drains a redirect's body so that its connection can serve the next hop; the
   * exchange (its timer, its place in the session) goes on. A body that cannot be drained
   * only loses its connection; the timeout and cancellation still raise.
   */
  *_discard(): Coroutine<void> {
    this._released = true;
    try {
      yield* this._exchange.wait(this._body.dump({ limit: DRAIN_LIMIT }));
    } catch (e) {
      if (e instanceof TimeoutError || e instanceof CancelledError) throw e;
    }
  }

  /** Closes the connection at once, without reading the rest of the body. */
  close(): void {
    this._released = true;
    this._exchange.abort();
  }

  /** Async context manager entry: the response itself. */
  *aenter(): Coroutine<this> {
    return this;
  }

  /** Async context manager exit: releases the connection. */
  *aexit(_exc: unknown): Coroutine<void> {
    yield* this.release();
  }

  toString(): string {
    return `<ClientResponse(${this.url.href}) [${this.status} ${this.reason}]>`;
  }
}

/**
 * What `session.get()` and the other request methods return: await it for the
 * {@link ClientResponse}, or use it as an async context manager that releases the
 * response's connection on exit (aiohttp's `async with session.get(url) as resp`).
 *
 * @example
 * ```ts
 * const status = yield* asyncio.asyncWith(session.get(`${api}/items`), function* (resp) {
 *   return resp.status;
 * }); // the response is released here
 * console.log(status); // 200
 * ```
 */
export class RequestContextManager implements Awaitable<ClientResponse> {
  /** @internal */
  private _response: ClientResponse | null = null;

  /** @internal */
  constructor(/** @internal */ private readonly _start: () => Coroutine<ClientResponse>) {}

  *[Symbol.iterator](): Coroutine<ClientResponse> {
    return yield* this._start();
  }

  /** Sends the request; evaluates to the response. */
  *aenter(): Coroutine<ClientResponse> {
    this._response = yield* this._start();
    return this._response;
  }

  /** Releases the response's connection. */
  *aexit(_exc: unknown): Coroutine<void> {
    const r = this._response;
    this._response = null;
    if (r !== null) yield* r.release();
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Headers that must not follow a redirect to another origin (scheme, host or port), as
 * in aiohttp, undici, requests and httpx: they would hand the credentials to a server the
 * caller did not name, and over plain text after an https-to-http redirect. `Host` names
 * the old server.
 */
const CROSS_ORIGIN_DROPPED = ["authorization", "cookie", "proxy-authorization", "host"];

function dropCredentials(headers: Headers): void {
  for (const name of CROSS_ORIGIN_DROPPED) headers.delete(name);
}

/** A redirect that turns the request into a GET sends no body: none of its headers either. */
function dropBodyHeaders(headers: Headers): void {
  const names = [...headers.keys()].filter(
    (k) => k.startsWith("content-") || k === "transfer-encoding",
  );
  for (const name of names) headers.delete(name);
}

/**
 * An HTTP client session, as aiohttp's: a pool of keep-alive connections shared by its
 * requests, default headers, a default timeout. Close it when done (`asyncWith` does):
 * closing aborts requests still in flight.
 *
 * Request methods return a {@link RequestContextManager}; awaiting it raises
 * `ClientConnectionError` (unreachable server), `TimeoutError` (the `total` timeout, on
 * the loop's clock), `ClientResponseError` (with `raiseForStatus`), `TooManyRedirects`;
 * `RuntimeError` if the session is closed; `TypeError` for a bad URL or option.
 * Cancellation aborts the request and closes its connection.
 *
 * @example
 * ```ts
 * function* main() {
 *   yield* asyncio.asyncWith(new http.ClientSession({ timeout: 10 }), function* (s) {
 *     const resp = yield* s.get("http://127.0.0.1:8080/status", { params: { verbose: 1 } });
 *     console.log(resp.status, yield* resp.json());
 *   });
 * }
 * ```
 */
export class ClientSession {
  /** @internal */
  private readonly _agent: Agent;
  /** @internal */
  private readonly _baseUrl: URL | null;
  /** @internal */
  private readonly _headers: Headers;
  /** @internal */
  private readonly _timeout: ClientTimeout;
  /** @internal */
  private readonly _raiseForStatus: boolean;
  /** @internal */
  private readonly _exchanges = new Set<Exchange>();
  /** @internal */
  private _closed = false;

  constructor(options: ClientSessionOptions = {}) {
    const limit = options.limitPerHost;
    if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) {
      throw new RangeError(
        `ClientSession(): 'limitPerHost' must be a positive integer: received ${describe(limit)}`,
      );
    }
    const keepalive = options.keepaliveTimeout ?? 4;
    if (typeof keepalive !== "number" || !(keepalive > 0)) {
      throw new RangeError(
        `ClientSession(): 'keepaliveTimeout' must be a number > 0: received ${describe(options.keepaliveTimeout)}`,
      );
    }
    this._baseUrl = options.baseUrl === undefined ? null : new URL(options.baseUrl);
    this._headers = new Headers(options.headers);
    this._timeout = toTimeout(options.timeout, DEFAULT_TIMEOUT, "ClientSession()");
    this._raiseForStatus = options.raiseForStatus ?? false;
    this._agent = new Agent({
      keepAliveTimeout: keepalive * 1000,
      ...(limit === undefined ? {} : { connections: limit }),
    });
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this._closed;
  }

  /**
   * Sends `method` to `url`. See the class for errors and cancellation.
   *
   * @example
   * ```ts
   * const session = new http.ClientSession({ baseUrl: api });
   * const resp = yield* session.request("PUT", "/items/1", { json: { name: "x" } });
   * console.log(resp.status, yield* resp.json()); // 200 { name: "x" }
   * ```
   */
  request(method: string, url: string | URL, options: RequestOptions = {}): RequestContextManager {
    if (typeof method !== "string" || !/^[A-Za-z]+$/.test(method)) {
      throw new TypeError(
        `request(): 'method' must be an HTTP method name: received ${describe(method)}`,
      );
    }
    const target = this._resolve(url, options.params);
    const timeout = toTimeout(options.timeout, this._timeout, "request()");
    const maxRedirects = options.maxRedirects ?? 10;
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
      throw new RangeError(
        `request(): 'maxRedirects' must be an integer >= 0: received ${describe(maxRedirects)}`,
      );
    }
    const { headers, body } = this._prepare(options);
    return new RequestContextManager(() =>
      this._send(method.toUpperCase(), target, headers, body, timeout, {
        allowRedirects: options.allowRedirects ?? true,
        maxRedirects,
        raiseForStatus: options.raiseForStatus ?? this._raiseForStatus,
      }),
    );
  }

  /** A GET request. @example `const resp = yield* session.get(url);` */
  get(url: string | URL, options?: RequestOptions): RequestContextManager {
    return this.request("GET", url, options);
  }

  /** A POST request. @example `yield* session.post(url, { json: { a: 1 } });` */
  post(url: string | URL, options?: RequestOptions): RequestContextManager {
    return this.request("POST", url, options);
  }

  /** A PUT request. @example `yield* session.put(url, { data: "text" });` */
  put(url: string | URL, options?: RequestOptions): RequestContextManager {
    return this.request("PUT", url, options);
  }

  /** A PATCH request. @example `yield* session.patch(url, { json: patch });` */
  patch(url: string | URL, options?: RequestOptions): RequestContextManager {
    return this.request("PATCH", url, options);
  }

  /** A DELETE request. @example `yield* session.delete(url);` */
  delete(url: string | URL, options?: RequestOptions): RequestContextManager {
    return this.request("DELETE", url, options);
  }

  /** A HEAD request. @example `const { status } = yield* session.head(url);` */
  head(url: string | URL, options?: RequestOptions): RequestContextManager {
    return this.request("HEAD", url, { allowRedirects: false, ...options });
  }

  /** An OPTIONS request. @example `yield* session.options(url);` */
  options(url: string | URL, options?: RequestOptions): RequestContextManager {
    return this.request("OPTIONS", url, options);
  }

  /**
   * Closes the session: aborts the requests in flight and closes every pooled connection.
   * Idempotent.
   *
   * @example
   * ```ts
   * yield* session.close();
   * ```
   */
  *close(): Coroutine<void> {
    if (this._closed) return;
    this._closed = true;
    for (const ex of this._exchanges) ex.abort("the session was closed");
    this._exchanges.clear();
    yield* bridgePromise(this._agent.destroy(), getRunningLoop());
  }

  /** Async context manager entry: the session itself. */
  *aenter(): Coroutine<this> {
    return this;
  }

  /** Async context manager exit: closes the session. */
  *aexit(_exc: unknown): Coroutine<void> {
    yield* this.close();
  }

  // ---------------------------------------------------------------- internals

  /** @internal */
  private _resolve(url: string | URL, params: RequestOptions["params"]): URL {
    let u: URL;
    try {
      u = this._baseUrl === null ? new URL(url) : new URL(url, this._baseUrl);
    } catch {
      throw new TypeError(
        `request(): 'url' must be an absolute URL (or relative to baseUrl): received ${describe(url)}`,
      );
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new TypeError(`request(): 'url' must be http: or https:: received ${u.href}`);
    }
    if (params !== undefined) {
      const entries = params instanceof URLSearchParams ? [...params] : Object.entries(params);
      for (const [k, v] of entries) u.searchParams.append(k, String(v));
    }
    return u;
  }

  /** @internal */
  private _prepare(options: RequestOptions): {
    headers: Headers;
    body: string | Uint8Array | null;
  } {
    const headers = new Headers(this._headers);
    for (const [k, v] of new Headers(options.headers)) headers.set(k, v);
    let body: string | Uint8Array | null = null;
    let type: string | null = null;
    if (options.json !== undefined && options.data !== undefined) {
      throw new TypeError("request(): 'data' and 'json' cannot be used together");
    }
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      type = "application/json";
    } else if (typeof options.data === "string") {
      body = options.data;
      type = "text/plain; charset=utf-8";
    } else if (options.data instanceof Uint8Array) {
      body = options.data;
      type = "application/octet-stream";
    } else if (options.data !== undefined) {
      if (options.data === null || typeof options.data !== "object") {
        throw new TypeError(
          `request(): 'data' must be a string, bytes or form fields: received ${describe(options.data)}`,
        );
      }
      body = new URLSearchParams(options.data as Record<string, string>).toString();
      type = "application/x-www-form-urlencoded";
    }
    if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
    return { headers, body };
  }

  /** @internal */
  private *_send(
    method: string,
    url: URL,
    headers: Headers,
    body: string | Uint8Array | null,
    timeout: ClientTimeout,
    opts: { allowRedirects: boolean; maxRedirects: number; raiseForStatus: boolean },
  ): Coroutine<ClientResponse> {
    if (this._closed) throw new RuntimeError("Session is closed");
    const loop = getRunningLoop();
    const exchange = new Exchange(loop, timeout.total);
    this._exchanges.add(exchange);
    exchange.onFinish = () => this._exchanges.delete(exchange);
    let current = url;
    let redirects = 0;
    try {
      for (;;) {
        let data: Awaited<ReturnType<typeof request>>;
        try {
          data = yield* exchange.wait(
            request(current, {
              method: method as "GET",
              headers: Object.fromEntries(headers),
              body,
              dispatcher: this._agent,
              signal: exchange.controller.signal,
            }),
          );
        } catch (e) {
          throw wrapError(e, current.href);
        }
        const resHeaders = new Headers();
        for (const [k, v] of Object.entries(data.headers)) {
          if (Array.isArray(v)) for (const item of v) resHeaders.append(k, item);
          else if (v !== undefined) resHeaders.append(k, v);
        }
        const response = new ClientResponse(
          method,
          current,
          data.statusCode,
          resHeaders,
          data.body,
          exchange,
        );
        const location = resHeaders.get("location");
        if (opts.allowRedirects && REDIRECTS.has(data.statusCode) && location !== null) {
          yield* response._discard();
          if (++redirects > opts.maxRedirects) {
            throw new TooManyRedirects(data.statusCode, "Too many redirects", current.href);
          }
          const next = new URL(location, current);
          if (next.origin !== current.origin) dropCredentials(headers);
          current = next;
          if (
            data.statusCode === 303 ||
            ((data.statusCode === 301 || data.statusCode === 302) && method === "POST")
          ) {
            if (method !== "HEAD") method = "GET";
            body = null;
            dropBodyHeaders(headers);
          }
          continue;
        }
        if (method === "HEAD" || data.statusCode === 204 || data.statusCode === 304) {
          // No body will come: the connection is free now.
          yield* response.release();
          exchange.finish();
        }
        if (opts.raiseForStatus && !response.ok) {
          yield* response.release();
          response.raiseForStatus();
        }
        if (!exchange.finished) unreadResponses.register(response, exchange, exchange);
        return response;
      }
    } catch (e) {
      exchange.abort();
      throw e;
    }
  }
}
