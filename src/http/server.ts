/**
 * An HTTP server with asyncio's semantics, on `node:http` (aiohttp.web's model):
 * an {@link Application} holds routes, middlewares and startup/shutdown hooks;
 * {@link serve} runs it on a host and port and returns a {@link WebServer}.
 *
 * ```ts
 * const app = new http.Application();
 * app.router.addGet("/hello/{name}", function* (request) {
 *   return new http.Response(`hello, ${request.matchInfo.name}`);
 * });
 * function* main() {
 *   const server = yield* http.serve(app, "127.0.0.1", 8080);
 *   yield* server.serveForever();
 * }
 * ```
 *
 * Guarantees:
 * - **A Task per request**, and only one: the handler (with its middlewares) runs in it,
 *   in a copy of the context `serve()` was called in, so context variables set while
 *   handling one request are never seen by another.
 * - **Disconnect cancels**: a client that closes its connection while its request is being
 *   handled has the handler's task cancelled; `CancelledError` is thrown at its `yield*`,
 *   its `finally` blocks run, nothing is written.
 * - **Graceful shutdown**: `shutdown(timeout)` stops accepting connections, closes idle
 *   keep-alive ones, runs the `onShutdown` hooks, lets the requests in flight finish for up
 *   to `timeout` seconds (on the loop's clock), then cancels those left and waits for their
 *   cleanup, closes every connection and runs the `onCleanup` hooks.
 * - **No error lost**: a handler that throws gets a 500, and the error goes to the loop's
 *   exception handler with the request; an {@link HTTPException} is sent as its response.
 * - **Bad input**: a body over `maxBodySize` is refused with 413 and never buffered past
 *   the limit; malformed JSON is a 400 saying why; a client that takes longer than
 *   `headersTimeout` to send its headers, stays idle on a keep-alive connection longer than
 *   `keepAliveTimeout`, or stalls its body for `bodyTimeout`, is disconnected (slowloris).
 *   Headers over 16 KiB are refused by Node (431).
 *
 * @module
 */

import * as nodeHttp from "node:http";
import type { Socket } from "node:net";
import { type BaseEventLoop, bridgePromise } from "../core/base_events.js";
import { _enterContext, type Context, copyContext } from "../core/contextvars.js";
import { type Coroutine, describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { CancelledError, RuntimeError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import type { TimerHandle } from "../core/handles.js";
import { _osError } from "../io/oserror.js";
import { _trackResource, _untrackResource, type LoopResource } from "../io/transports.js";
import { type BodyLimits, type ConnectionLike, Request } from "./request.js";
import { HTTPException, HTTPMethodNotAllowed, HTTPNotFound, Response } from "./response.js";
import { type Handler, type Middleware, Router } from "./router.js";

/**
 * A startup, shutdown or cleanup hook: a coroutine function given the application.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * const connectDatabase = () => connect("db"); // a pretend database
 * const hook: http.AppHook = function* (app) {
 *   app.state.set("db", yield* connectDatabase());
 * };
 * app.onStartup.push(hook);
 * const server = yield* http.serve(app, "127.0.0.1", 0); // the startup hooks have run
 * console.log((app.state.get("db") as Connection).name); // db
 * yield* server.shutdown();
 * ```
 */
export type AppHook = (app: Application) => Coroutine<void>;

/**
 * Options of {@link Application}.
 *
 * @example
 * ```ts
 * const timing: http.Middleware = function* (request, handler) {
 *   const started = asyncio.getRunningLoop().time();
 *   const response = yield* handler(request);
 *   console.log(`${request.method} ${request.path}: ${asyncio.getRunningLoop().time() - started}s`);
 *   return response;
 * };
 * const options: http.ApplicationOptions = { middlewares: [timing], maxBodySize: 10 * 1024 * 1024 };
 * const app = new http.Application(options);
 * app.router.addGet("/", function* () {
 *   return new http.Response("hi");
 * });
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * const resp = yield* new http.ClientSession().get(server.url); // GET /: 0s
 * console.log(resp.status); // 200
 * yield* server.shutdown();
 * ```
 */
export interface ApplicationOptions {
  /** Middlewares, outermost first. */
  middlewares?: Middleware[];
  /** The largest request body accepted, in bytes (default 1 MiB, as aiohttp's `client_max_size`). */
  maxBodySize?: number;
}

/**
 * A web application (aiohttp's `web.Application`): a {@link Router}, middlewares, hooks
 * run at startup, shutdown and cleanup, and `state` for what they set up. Frozen when it
 * starts serving: routes and middlewares cannot change afterwards.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * app.onStartup.push(function* (app) {
 *   app.state.set("db", yield* connect("db"));
 * });
 * app.router.addGet("/", function* () {
 *   return new http.Response("hi");
 * });
 * app.onCleanup.push(function* (app) {
 *   yield* (app.state.get("db") as Connection).close();
 *   console.log("database closed");
 * });
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * console.log(yield* (yield* new http.ClientSession().get(server.url)).text()); // hi
 * yield* server.shutdown(); // database closed
 * ```
 */
export class Application {
  /** The routing table. */
  readonly router = new Router();
  /** Middlewares, outermost first (may be added to until the application starts). */
  readonly middlewares: Middleware[];
  /** Run in order by {@link serve} before it listens; an error stops the start. */
  readonly onStartup: AppHook[] = [];
  /** Run when shutdown begins, after the server stopped accepting (close WebSockets here). */
  readonly onShutdown: AppHook[] = [];
  /** Run last, after every request has ended (close pools and files here). */
  readonly onCleanup: AppHook[] = [];
  /** Values shared by the application's handlers and hooks. */
  readonly state = new Map<string, unknown>();
  /** The largest request body accepted, in bytes. */
  readonly maxBodySize: number;
  /** @internal */
  _started = false;

  constructor(options: ApplicationOptions = {}) {
    const max = options.maxBodySize ?? 1024 * 1024;
    if (!Number.isInteger(max) || max < 0) {
      throw new RangeError(
        `Application(): 'maxBodySize' must be an integer >= 0: received ${describe(options.maxBodySize)}`,
      );
    }
    this.maxBodySize = max;
    const mws = options.middlewares ?? [];
    if (!Array.isArray(mws)) {
      throw new TypeError(
        `Application(): 'middlewares' must be an array of coroutine functions: received ${describe(mws)}`,
      );
    }
    this.middlewares = [...mws];
  }

  /** @internal Wraps `h` in the middlewares, the first outermost. */
  _compose(h: Handler): Handler {
    let handler = h;
    for (let i = this.middlewares.length - 1; i >= 0; i--) {
      const mw = this.middlewares[i] as Middleware;
      const next = handler;
      handler = (request) => mw(request, next);
    }
    return handler;
  }

  /** @internal */
  _freeze(): void {
    for (const mw of this.middlewares) {
      if (typeof mw !== "function") {
        throw new TypeError(
          `Application: every middleware must be a coroutine function: received ${describe(mw)}`,
        );
      }
    }
    this.router._freeze((h) => this._compose(h));
    this._started = true;
  }
}

/**
 * Options of {@link serve}. Times are seconds on the loop's clock.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * const options: http.ServeOptions = { shutdownTimeout: 10, keepAliveTimeout: 30 };
 * const server = yield* http.serve(app, "127.0.0.1", 0, options);
 * console.log(server.url); // http://127.0.0.1:…
 * yield* server.shutdown(); // within 10 s
 * ```
 */
export interface ServeOptions {
  /** The default `timeout` of {@link WebServer.shutdown} (60, as aiohttp's). */
  shutdownTimeout?: number;
  /** Most seconds a client may take to send a request's headers after connecting (60). */
  headersTimeout?: number;
  /** Most seconds a keep-alive connection may stay idle between requests (5, as Node's). */
  keepAliveTimeout?: number;
  /** Most seconds a client may pause in the middle of a request body (60). */
  bodyTimeout?: number;
  /** The listen backlog (511, Node's). */
  backlog?: number;
}

function checkSeconds(value: unknown, name: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(
      `serve(): '${name}' must be a number of seconds > 0: received ${describe(value)}`,
    );
  }
  return value;
}

/** @internal Where a socket keeps its connection record. */
const CONN = Symbol("asyncio-ts http connection");

/** @internal One connection of a server. */
class Connection implements ConnectionLike {
  deadline: number;
  mustClose = false;
  /** The socket closed; the record stays while a request on it is still running. */
  closed = false;
  /**
   * Waiting for the client's next request: counted as outside work of the loop, so that a
   * virtual clock does not race past the timeouts while a real client is on its way.
   */
  waiting = false;
  /** The request being handled (HTTP/1.1 handles one at a time, unless pipelined). */
  active: Request | null = null;
  /** Pipelined requests behind `active`, rarely any. */
  more: Request[] | null = null;

  constructor(
    readonly socket: Socket,
    deadline: number,
  ) {
    this.deadline = deadline;
  }

  add(r: Request): void {
    if (this.active === null) this.active = r;
    else if (this.more === null) this.more = [r];
    else this.more.push(r);
  }

  remove(r: Request): void {
    if (this.active === r) {
      const more = this.more;
      this.active = more === null || more.length === 0 ? null : (more.shift() as Request);
    } else if (this.more !== null) {
      const i = this.more.indexOf(r);
      if (i >= 0) this.more.splice(i, 1);
    }
  }

  *requests(): Generator<Request> {
    if (this.active !== null) yield this.active;
    if (this.more !== null) yield* this.more;
  }
}

/** The states of a {@link WebServer}. */
const SERVING = "serving";
const SHUTTING_DOWN = "shutting down";
const CLOSED = "closed";
type State = typeof SERVING | typeof SHUTTING_DOWN | typeof CLOSED;

/**
 * A running HTTP server, as {@link serve} returns it. Serves until {@link shutdown};
 * `serveForever()` waits until cancelled and then shuts down; as an async context manager
 * it shuts down on exit.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * app.router.addGet("/", function* () {
 *   return new http.Response("hi");
 * });
 * const server: http.WebServer = yield* http.serve(app, "127.0.0.1", 0);
 * console.log("listening on", server.url);
 * yield* asyncio.asyncWith(server, function* () {
 *   console.log(yield* (yield* new http.ClientSession().get(server.url)).text()); // hi
 * }); // shut down here
 * ```
 */
export class WebServer implements LoopResource {
  /** The application served. */
  readonly app: Application;
  /** The Node server underneath. */
  readonly raw: nodeHttp.Server;
  /** @internal */
  private readonly _loop: BaseEventLoop;
  /** @internal */
  private readonly _context: Context;
  /** @internal */
  private readonly _limits: BodyLimits;
  /** @internal */
  private readonly _headersTimeout: number;
  /** @internal */
  private readonly _keepAliveTimeout: number;
  /** @internal */
  private readonly _shutdownTimeout: number;
  /** @internal */
  private readonly _connections = new Set<Connection>();
  /** @internal */
  private _inflight = 0;
  /** @internal Waiters for `_inflight` to reach 0. */
  private _idleWaiters: Future<void>[] = [];
  /** @internal */
  private _state: State = SERVING;
  /** @internal Settled once shutdown is complete. */
  private readonly _closed: Future<void>;
  /** @internal */
  private _sweepTimer: TimerHandle | null = null;
  /** @internal */
  private readonly _sweepEvery: number;
  /** @internal 404 through the middlewares. */
  private readonly _notFound: Handler;
  /** @internal Shutdown callbacks of taken-over connections (WebSockets). */
  readonly _onShutdownCallbacks = new Set<() => void>();

  /** @internal Made by {@link serve}. */
  constructor(app: Application, raw: nodeHttp.Server, loop: BaseEventLoop, options: ServeOptions) {
    this.app = app;
    this.raw = raw;
    this._loop = loop;
    this._context = copyContext();
    this._limits = {
      maxBodySize: app.maxBodySize,
      bodyTimeout: checkSeconds(options.bodyTimeout, "bodyTimeout", 60),
    };
    this._headersTimeout = checkSeconds(options.headersTimeout, "headersTimeout", 60);
    this._keepAliveTimeout = checkSeconds(options.keepAliveTimeout, "keepAliveTimeout", 5);
    this._shutdownTimeout = checkSeconds(options.shutdownTimeout, "shutdownTimeout", 60);
    // Deadlines are checked by one sweep, not a timer per request: the hot path only
    // writes a number. A fifth of the shortest timeout is the precision.
    this._sweepEvery = Math.min(this._headersTimeout, this._keepAliveTimeout) / 5;
    this._closed = loop.createFuture<void>();
    this._notFound = app._compose(notFound);
    raw.on("connection", this._onConnection);
    raw.on("request", this._onRequest);
    raw.on("upgrade", this._onUpgrade);
    _trackResource(loop, this);
  }

  /** @internal A loop closed with the server still open: Node would keep the process alive. */
  _closeAtLoopClose(): void {
    this._state = CLOSED;
    this.raw.close();
    this.raw.closeAllConnections();
    for (const conn of this._connections) conn.socket.destroy();
  }

  /** The address listened on: `[host, port]`. */
  get address(): [string, number] {
    const a = this.raw.address();
    if (a === null || typeof a === "string") return ["", 0];
    return [a.address, a.port];
  }

  /** The port listened on (useful after asking for port 0). */
  get port(): number {
    return this.address[1];
  }

  /** The base URL, `http://host:port`. */
  get url(): string {
    const [host, port] = this.address;
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  }

  /** Whether it still accepts connections. */
  isServing(): boolean {
    return this._state === SERVING;
  }

  /** How many requests are being handled now. */
  get inflight(): number {
    return this._inflight;
  }

  // ---------------------------------------------------------------- Node's events

  /** @internal */
  private readonly _onConnection = (socket: Socket): void => {
    const conn = new Connection(socket, this._loop.time() + this._headersTimeout);
    (socket as Socket & { [CONN]?: Connection })[CONN] = conn;
    this._connections.add(conn);
    conn.waiting = true;
    this._loop._externalPending++;
    socket.once("close", () => this._onSocketClose(conn));
    if (this._sweepTimer === null) this._armSweep();
  };

  /** @internal */
  private _onSocketClose(conn: Connection): void {
    conn.closed = true;
    if (conn.waiting) {
      conn.waiting = false;
      this._loop._externalPending--;
    }
    if (conn.active === null) this._connections.delete(conn);
    for (const r of conn.requests()) {
      // A taken-over connection (a WebSocket) deals with its own close.
      if (r._upgraded) continue;
      const task = r._task;
      if (task !== null && !task.done()) task.cancel("the client closed the connection");
    }
  }

  /** @internal */
  private readonly _onRequest = (
    req: nodeHttp.IncomingMessage,
    res: nodeHttp.ServerResponse,
  ): void => {
    this._start(req, res, null, null);
  };

  /** @internal */
  private readonly _onUpgrade = (
    req: nodeHttp.IncomingMessage,
    socket: Socket,
    head: Buffer,
  ): void => {
    this._start(req, null, socket, head);
  };

  /** @internal The hot path: one Request, one Task. */
  private _start(
    req: nodeHttp.IncomingMessage,
    res: nodeHttp.ServerResponse | null,
    socket: Socket | null,
    head: Buffer | null,
  ): void {
    const loop = this._loop;
    const conn = (req.socket as Socket & { [CONN]?: Connection })[CONN];
    if (conn === undefined || loop.isClosed()) {
      req.socket.destroy();
      return;
    }
    conn.deadline = Number.POSITIVE_INFINITY;
    if (conn.waiting) {
      conn.waiting = false;
      loop._externalPending--;
    }
    const url = req.url as string;
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const router = this.app.router;
    const found = router._resolve(req.method as string, path);
    const request = new Request(req, path, router._params, conn, this._limits, loop);
    request._res = res;
    if (socket !== null) {
      request._upgrade = { socket, head: head as Buffer };
      request._shutdownCallbacks = this._onShutdownCallbacks;
    }
    const handler =
      typeof found === "function"
        ? found
        : found === null
          ? this._notFound
          : this.app._compose(methodNotAllowed(req.method as string, found));
    const prev = _enterContext(this._context);
    try {
      request._task = loop.createTask(this._exchange(request, handler));
    } finally {
      _enterContext(prev);
    }
    conn.add(request);
    this._inflight++;
  }

  /** @internal The coroutine of a request's Task. */
  private *_exchange(request: Request, handler: Handler): Coroutine<void> {
    const res = request._res;
    let response: Response;
    try {
      try {
        response = yield* handler(request);
        if (!(response instanceof Response)) {
          throw new TypeError(
            `the handler of ${request.method} ${request.path} returned ${describe(response)}: a handler must return an http.Response`,
          );
        }
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        response = this._errorResponse(e, request);
      }
      if (request._upgrade !== null) {
        if (!request._upgraded) writeRaw(request._upgrade.socket, response);
        return;
      }
      const out = res as nodeHttp.ServerResponse;
      if (out.destroyed) return;
      // The body was refused part-way: the rest is unread, the connection cannot go on.
      if (request._conn.mustClose || this._state !== SERVING) out.shouldKeepAlive = false;
      const streaming = response._send(out, out.shouldKeepAlive);
      if (streaming !== null) {
        try {
          yield* streaming;
        } catch (e) {
          if (e instanceof CancelledError) throw e;
          // The headers are out: too late for a 500. Cut the response short, say why.
          this._loop.callExceptionHandler({
            message: `Error while streaming the response to ${request.method} ${request.path}`,
            exception: e,
            request,
          });
          out.destroy();
        }
      }
    } catch (e) {
      // Cancelled: the client left, or shutdown gave up waiting. Nothing more is sent.
      if (request._upgrade !== null) {
        if (!request._upgraded) request._upgrade.socket.destroy();
      } else if (res !== null && !res.writableEnded) res.destroy();
      throw e;
    } finally {
      this._finish(request);
    }
  }

  /** @internal */
  private _errorResponse(e: unknown, request: Request): Response {
    if (e instanceof HTTPException) return e.toResponse();
    this._loop.callExceptionHandler({
      message: `Error handling request ${request.method} ${request.path}`,
      exception: e,
      request,
    });
    return new Response("500: Internal Server Error", { status: 500 });
  }

  /** @internal Bookkeeping once a request's task ends. */
  private _finish(request: Request): void {
    const conn = request._conn as Connection;
    conn.remove(request);
    if (conn.active === null) {
      if (conn.closed) this._connections.delete(conn);
      else {
        conn.deadline = this._loop.time() + this._keepAliveTimeout;
        conn.waiting = true;
        this._loop._externalPending++;
        if (this._sweepTimer === null && this._state === SERVING) this._armSweep();
      }
    }
    if (--this._inflight === 0 && this._idleWaiters.length > 0) {
      const waiters = this._idleWaiters;
      this._idleWaiters = [];
      for (const w of waiters) if (!w.done()) w.setResult(undefined);
    }
  }

  /** @internal */
  private _armSweep(): void {
    this._sweepTimer = this._loop.callLater(this._sweepEvery, this._sweep);
  }

  /**
   * @internal Closes the connections past their deadline: still no headers after
   * `headersTimeout`, or idle for `keepAliveTimeout`.
   */
  private readonly _sweep = (): void => {
    this._sweepTimer = null;
    const now = this._loop.time();
    let pending = false;
    for (const conn of this._connections) {
      if (conn.deadline <= now) {
        this._connections.delete(conn);
        conn.socket.destroy();
      } else if (conn.deadline !== Number.POSITIVE_INFINITY) pending = true;
    }
    // Only while some connection has a deadline: a server whose connections are all busy
    // (long handlers, WebSockets) or that has none holds no timer.
    if (pending && !this._loop.isClosed()) this._armSweep();
  };

  // ---------------------------------------------------------------- shutdown

  /** @internal */
  private *_waitIdle(): Coroutine<void> {
    if (this._inflight === 0) return;
    const w = this._loop.createFuture<void>();
    this._idleWaiters.push(w);
    yield* w;
  }

  /**
   * Shuts the server down gracefully: stops accepting connections and closes idle
   * keep-alive ones; runs the `onShutdown` hooks; lets the requests in flight finish for
   * up to `timeout` seconds (default: `shutdownTimeout`); then cancels those still
   * running and waits for their cleanup; closes every connection; runs the `onCleanup`
   * hooks. A hook's error is reported to the loop's exception handler and the others still
   * run. A second call waits for the first to complete.
   *
   * Cancellation: cancelling `shutdown()` stops its wait; the server is left closing.
   *
   * @example
   * ```ts
   * const app = new http.Application();
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * yield* server.shutdown(10); // in-flight requests get 10 s, then are cancelled
   * ```
   */
  *shutdown(timeout: number = this._shutdownTimeout): Coroutine<void> {
    if (typeof timeout !== "number" || !(timeout >= 0)) {
      throw new RangeError(
        `shutdown(): 'timeout' must be a number of seconds >= 0: received ${describe(timeout)}`,
      );
    }
    if (this._state !== SERVING) {
      yield* this._waitClosed();
      return;
    }
    this._state = SHUTTING_DOWN;
    const loop = this._loop;
    const listening = new Promise<void>((resolve) => this.raw.close(() => resolve()));
    this.raw.closeIdleConnections();
    for (const conn of this._connections) {
      if (conn.active === null) conn.socket.destroy();
    }
    for (const cb of [...this._onShutdownCallbacks]) {
      try {
        cb();
      } catch (exception) {
        loop.callExceptionHandler({ message: "Error closing a connection at shutdown", exception });
      }
    }
    yield* this._runHooks(this.app.onShutdown, "onShutdown");
    if (this._inflight > 0) {
      const idle = loop.createTask(this._waitIdle());
      const timer = loop.callLater(timeout, () => idle.cancel());
      try {
        yield* idle;
      } catch (e) {
        if (!(e instanceof CancelledError) || !idle.cancelled()) throw e;
      } finally {
        timer.cancel();
      }
      if (this._inflight > 0) {
        for (const conn of this._connections) {
          for (const r of conn.requests()) {
            const task = r._task;
            if (task !== null && !task.done()) task.cancel("the server is shutting down");
          }
        }
        yield* this._waitIdle();
      }
    }
    this.raw.closeAllConnections();
    for (const conn of this._connections) conn.socket.destroy();
    this._connections.clear();
    this._sweepTimer?.cancel();
    this._sweepTimer = null;
    yield* bridgePromise(listening, loop);
    yield* this._runHooks(this.app.onCleanup, "onCleanup");
    this._state = CLOSED;
    _untrackResource(loop, this);
    if (!this._closed.done()) this._closed.setResult(undefined);
  }

  /** @internal */
  private *_runHooks(hooks: AppHook[], which: string): Coroutine<void> {
    for (const hook of hooks) {
      try {
        yield* hook(this.app);
      } catch (exception) {
        if (exception instanceof CancelledError) throw exception;
        this._loop.callExceptionHandler({ message: `Error in an ${which} hook`, exception });
      }
    }
  }

  /** @internal */
  private *_waitClosed(): Coroutine<void> {
    if (this._closed.done()) return;
    const w = this._loop.createFuture<void>();
    this._closed.addDoneCallback(() => {
      if (!w.done()) w.setResult(undefined);
    });
    yield* w;
  }

  /**
   * Serves until cancelled, then shuts down (with the default timeout) before the
   * cancellation propagates (aiohttp's `run_app`, asyncio's `serve_forever`).
   *
   * @example
   * ```ts
   * const app = new http.Application();
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * asyncio.getRunningLoop().callLater(60, () => asyncio.createTask(server.shutdown()));
   * yield* server.serveForever(); // until shut down, or cancelled (Ctrl-C)
   * console.log("stopped serving");
   * ```
   */
  *serveForever(): Coroutine<void> {
    if (this._state !== SERVING)
      throw new RuntimeError(`serveForever(): the server is ${this._state}`);
    try {
      yield* this._waitClosed();
    } finally {
      if (this._state === SERVING) yield* this.shutdown();
    }
  }

  /** Async context manager entry: the server. */
  *aenter(): Coroutine<this> {
    return this;
  }

  /** Async context manager exit: {@link shutdown}. */
  *aexit(_exc: unknown): Coroutine<void> {
    yield* this.shutdown();
  }

  toString(): string {
    return `<WebServer ${this._state === CLOSED ? "closed" : this.url} ${this._state}>`;
  }
}

function* notFound(request: Request): Coroutine<Response> {
  throw new HTTPNotFound({ text: `404: Not Found: ${request.path}` });
}

function methodNotAllowed(method: string, allowed: string[]): Handler {
  return function* () {
    throw new HTTPMethodNotAllowed(method, allowed);
  };
}

/** @internal A response on a socket that asked for an upgrade and did not get one. */
function writeRaw(socket: Socket, response: Response): void {
  if (socket.destroyed) return;
  const body = response.body ?? "";
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  let head = `HTTP/1.1 ${response.status} ${response.reason}\r\nconnection: close\r\ncontent-type: ${response.contentType}\r\ncontent-length: ${bytes.byteLength}\r\n`;
  for (const [k, v] of Object.entries(response.headers ?? {})) {
    for (const item of Array.isArray(v) ? v : [v]) head += `${k}: ${String(item)}\r\n`;
  }
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n`), bytes]));
}

/**
 * Starts `app` on `host`:`port` (port 0 picks a free port): runs the `onStartup` hooks,
 * freezes the router, listens, and returns the running {@link WebServer}. Errors:
 * `OSError` (e.g. `EADDRINUSE`) if it cannot listen — the `onCleanup` hooks then run;
 * a startup hook's own error; `RuntimeError` if the application was already started.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * app.router.addGet("/", function* () {
 *   return new http.Response("hi");
 * });
 * function* main() {
 *   const server = yield* http.serve(app, "127.0.0.1", 0);
 *   console.log(`serving on ${server.url}`);
 *   yield* server.serveForever();
 * }
 * const serving = asyncio.createTask(main());
 * yield* asyncio.sleep(3600);
 * serving.cancel(); // the server shuts down gracefully
 * ```
 */
export function* serve(
  app: Application,
  host: string,
  port: number,
  options: ServeOptions = {},
): Coroutine<WebServer> {
  if (!(app instanceof Application)) {
    throw new TypeError(`serve(): 'app' must be an http.Application: received ${describe(app)}`);
  }
  if (typeof host !== "string") {
    throw new TypeError(`serve(): 'host' must be a string: received ${describe(host)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `serve(): 'port' must be an integer from 0 to 65535: received ${describe(port)}`,
    );
  }
  if (app._started) throw new RuntimeError("serve(): this application is already being served");
  const loop = getRunningLoop();
  const raw = nodeHttp.createServer({
    // Timeouts run on the loop's clock (the server's sweep): Node's own are off.
    requestTimeout: 0,
    headersTimeout: 0,
    keepAliveTimeout: 0,
  });
  const server = new WebServer(app, raw, loop, options);
  app._freeze();
  for (const hook of app.onStartup) yield* hook(app);
  const fut = loop.createFuture<void>();
  const onError = (err: Error): void => {
    if (!fut.done()) fut.setException(_osError(err));
  };
  raw.once("error", onError);
  raw.listen({ host, port, backlog: options.backlog ?? 511 }, () => {
    if (!fut.done()) fut.setResult(undefined);
  });
  loop._externalPending++;
  try {
    yield* fut;
  } catch (e) {
    raw.close();
    _untrackResource(loop, server);
    for (const hook of app.onCleanup) {
      try {
        yield* hook(app);
      } catch (exception) {
        loop.callExceptionHandler({ message: "Error in an onCleanup hook", exception });
      }
    }
    throw e;
  } finally {
    loop._externalPending--;
    raw.removeListener("error", onError);
  }
  raw.on("error", (exception) => {
    loop.callExceptionHandler({ message: "HTTP server error", exception });
  });
  return server;
}

/**
 * Serves `app` until cancelled (Ctrl-C under `asyncio-ts run` or `asyncio.run`), then shuts
 * down gracefully: aiohttp's `web.run_app`. `onReady` is called with the server once it
 * listens.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * await asyncio.run(
 *   http.runApp(app, "127.0.0.1", 0, {
 *     onReady: (server) => {
 *       console.log(`serving on ${server.url}`);
 *       // A program runs until Ctrl-C; this one stops itself after a minute.
 *       const running = asyncio.currentTask();
 *       asyncio.getRunningLoop().callLater(60, () => running?.cancel());
 *     },
 *   }),
 * ).catch((e: unknown) => {
 *   if (!(e instanceof asyncio.CancelledError)) throw e;
 * });
 * ```
 */
export function* runApp(
  app: Application,
  host: string,
  port: number,
  options: ServeOptions & { onReady?: (server: WebServer) => void } = {},
): Coroutine<void> {
  const server = yield* serve(app, host, port, options);
  options.onReady?.(server);
  yield* server.serveForever();
}
