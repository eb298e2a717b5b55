/**
 * The WebSocket server side: {@link serve} (the `websockets` library's `serve(handler,
 * host, port)`) and {@link route}, which puts a WebSocket endpoint on an
 * `asyncio-ts/http` application — one port for HTTP and WebSockets.
 *
 * @module
 */

import type { WebSocket as WsSocket } from "ws";
import { WebSocketServer as WsServer } from "ws";
import type { BaseEventLoop } from "../core/base_events.js";
import { type Coroutine, describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { CancelledError, ConnectionResetError } from "../core/exceptions.js";
import type { Task } from "../core/tasks.js";
import type { Request } from "../http/request.js";
import { HTTPBadRequest, HTTPUpgradeRequired, Response } from "../http/response.js";
import type { Handler } from "../http/router.js";
import {
  Application,
  type ServeOptions,
  serve as serveHttp,
  type WebServer,
} from "../http/server.js";
import { currentTask } from "../tasks.js";
import {
  ConnectionClosed,
  type ConnectionOptions,
  type ResolvedOptions,
  resolveOptions,
  ServerConnectionBase,
} from "./connection.js";

/**
 * A connection accepted by a server: a {@link Connection} that also knows the HTTP
 * request it was opened with (`request.path`, `request.headers`, `request.query`).
 * Its handler runs as a Task; when the connection closes, the handler's `recv()` /
 * iteration ends (or raises `ConnectionClosed`), and if it was waiting on anything else
 * its task is cancelled, so no handler outlives its connection.
 *
 * @example
 * ```ts
 * function* handler(ws: websockets.ServerConnection) {
 *   const name = ws.request.query.get("name") ?? "anonymous";
 *   yield* ws.send(`hello, ${name}`);
 * }
 * ```
 */
export class ServerConnection extends ServerConnectionBase {
  /** The opening HTTP request (path, headers, query, remote address). */
  readonly request: Request;

  /** @internal */
  constructor(raw: WsSocket, loop: BaseEventLoop, options: ResolvedOptions, request: Request) {
    super(raw, loop, options);
    this.request = request;
  }

  /** The client's address, `[host, port]`. */
  get remoteAddress(): [string, number] {
    return this.request.remote;
  }
}

/**
 * A connection handler: a coroutine function that serves one connection. When it
 * returns, the connection is closed with 1000; when it throws, with 1011 and the error is
 * reported to the loop's exception handler — except `ConnectionClosed`, which only says
 * the peer left.
 *
 * @example
 * ```ts
 * const echo: websockets.ConnectionHandler = function* (ws) {
 *   yield* asyncio.asyncFor(ws, (msg) => ws.send(msg));
 * };
 * ```
 */
export type ConnectionHandler = (ws: ServerConnection) => Coroutine<void>;

/** @internal What the route handler returns once the connection was taken over. */
const UPGRADED = new Response(null, { status: 101 });

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * An HTTP handler that accepts WebSocket connections and runs `handler` on each, for
 * `app.router.addGet(path, …)`: HTTP routes and WebSocket endpoints share one port and
 * one set of middlewares (authentication runs before the upgrade). A plain HTTP request
 * to the path gets 426; a malformed handshake 400.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * app.router.addGet("/", function* () {
 *   return new http.Response("the page");
 * });
 * app.router.addGet("/ws", websockets.route(function* (ws) {
 *   yield* asyncio.asyncFor(ws, (msg) => ws.send(msg));
 * }));
 * const server = yield* http.serve(app, "127.0.0.1", 0); // HTTP and WebSockets on one port
 * const ws = yield* websockets.connect(`ws://127.0.0.1:${server.port}/ws`);
 * yield* ws.send("ping");
 * console.log(yield* ws.recv()); // ping
 * yield* ws.close();
 * yield* server.shutdown();
 * ```
 */
export function route(handler: ConnectionHandler, options: ConnectionOptions = {}): Handler {
  if (typeof handler !== "function") {
    throw new TypeError(
      `route(): 'handler' must be a coroutine function (function*): received ${describe(handler)}`,
    );
  }
  const opts = resolveOptions(options, "route()");
  const wss = new WsServer({ noServer: true, maxPayload: opts.maxSize, perMessageDeflate: false });
  return function* (request: Request): Coroutine<Response> {
    const up = request._upgrade;
    if (up === null || (request.headers.upgrade ?? "").toLowerCase() !== "websocket") {
      throw new HTTPUpgradeRequired({
        text: `426: Upgrade Required: ${request.path} only accepts WebSocket connections`,
        headers: { upgrade: "websocket", connection: "Upgrade" },
      });
    }
    const key = request.headers["sec-websocket-key"];
    const version = request.headers["sec-websocket-version"];
    if (request.method !== "GET" || key === undefined || !KEY.test(key.trim())) {
      throw new HTTPBadRequest({ text: "400: Bad Request: missing or invalid Sec-WebSocket-Key" });
    }
    if (version !== "13" && version !== "8") {
      throw new HTTPBadRequest({
        text: `400: Bad Request: unsupported Sec-WebSocket-Version ${JSON.stringify(version ?? "")}`,
        headers: { "sec-websocket-version": "13, 8" },
      });
    }
    let raw: WsSocket | null = null;
    // Synchronous when the handshake is valid (checked above) and the socket alive.
    wss.handleUpgrade(request.raw, up.socket, up.head, (ws) => {
      raw = ws;
    });
    if (raw === null)
      throw new ConnectionResetError("the client left during the WebSocket handshake");
    request._upgraded = true;
    const loop = getRunningLoop();
    const ws = new ServerConnection(raw, loop, opts, request);
    ws._task = currentTask() as Task<unknown>;
    const goingAway = (): void => {
      if (ws.state === "open") {
        ws.raw.close(1001, "server shutting down");
      }
    };
    request._shutdownCallbacks?.add(goingAway);
    try {
      yield* handler(ws);
      yield* ws.close(1000);
    } catch (e) {
      if (e instanceof CancelledError) {
        // Cancelled by the connection's own close (nothing more to say), or by a shutdown
        // that stopped waiting: going away.
        if (ws.state === "open") ws.raw.close(1001, "going away");
      } else if (e instanceof ConnectionClosed) {
        // recv() or send() found the connection closed: the peer left, a normal end.
        return UPGRADED;
      } else if (ws.state === "open") {
        // The handler failed: tell the peer (1011); the server reports the error.
        yield* ws.close(1011, "internal error");
      }
      throw e;
    } finally {
      request._shutdownCallbacks?.delete(goingAway);
      if (ws.state !== "closed") ws.raw.terminate();
    }
    return UPGRADED;
  };
}

/**
 * Options of {@link serve}: the connection options and the HTTP server's.
 *
 * @example
 * ```ts
 * function* handler(ws: websockets.ServerConnection) {
 *   yield* ws.send("welcome");
 * }
 * const options: websockets.WebSocketServeOptions = { pingInterval: 10, maxSize: 2 ** 16 };
 * const server = yield* websockets.serve(handler, "127.0.0.1", 0, options);
 * const ws = yield* websockets.connect(`ws://127.0.0.1:${server.port}`);
 * console.log(yield* ws.recv()); // welcome
 * yield* server.shutdown();
 * ```
 */
export interface WebSocketServeOptions extends ConnectionOptions, ServeOptions {}

/**
 * A running WebSocket server (what {@link serve} returns): the HTTP server underneath,
 * with every path answering WebSocket handshakes.
 *
 * @example
 * ```ts
 * function* echo(ws: websockets.ServerConnection) {
 *   yield* asyncio.asyncFor(ws, (msg) => ws.send(msg));
 * }
 * const server: websockets.WebSocketServer = yield* websockets.serve(echo, "127.0.0.1", 0);
 * asyncio.getRunningLoop().callLater(60, () => asyncio.createTask(server.shutdown()));
 * yield* server.serveForever(); // until shut down, or cancelled (Ctrl-C)
 * console.log("stopped");
 * ```
 */
export class WebSocketServer {
  /** The HTTP server underneath. */
  readonly http: WebServer;
  /** @internal */
  private _closing: Task<void> | null = null;

  /** @internal */
  constructor(server: WebServer) {
    this.http = server;
  }

  /** The port listened on. */
  get port(): number {
    return this.http.port;
  }

  /** `ws://host:port`. */
  get url(): string {
    return this.http.url.replace(/^http:/, "ws:");
  }

  /**
   * Closes the server: stops accepting, closes every connection with 1001 (going away),
   * waits up to `timeout` seconds for the handlers to end, then cancels them.
   *
   * @example
   * ```ts
   * const server = yield* wsEchoServer();
   * const ws = yield* websockets.connect(`ws://127.0.0.1:${server.port}`);
   * yield* server.shutdown(5);
   * console.log(ws.closeCode); // 1001: going away
   * ```
   */
  shutdown(timeout?: number): Coroutine<void> {
    return this.http.shutdown(timeout);
  }

  /** Starts closing (see {@link shutdown}) without waiting; {@link waitClosed} waits. @example `server.close(); yield* server.waitClosed();` */
  close(): void {
    if (this._closing === null) this._closing = getRunningLoop().createTask(this.http.shutdown());
  }

  /** Waits until the server is closed. @example `yield* server.waitClosed();` */
  *waitClosed(): Coroutine<void> {
    if (this._closing === null) this.close();
    yield* this._closing as Task<void>;
  }

  /** Serves until cancelled, then shuts down. @example `yield* server.serveForever();` */
  serveForever(): Coroutine<void> {
    return this.http.serveForever();
  }

  /** Async context manager entry. */
  *aenter(): Coroutine<this> {
    return this;
  }

  /** Async context manager exit: {@link shutdown}. */
  *aexit(_exc: unknown): Coroutine<void> {
    yield* this.shutdown();
  }
}

/**
 * Starts a WebSocket server on `host`:`port` (0 for a free port) that runs `handler` on
 * every connection, whatever the path (`ws.request.path` tells it): the `websockets`
 * library's `serve(handler, host, port)`. For WebSockets beside HTTP routes on one port,
 * use {@link route} on an `http.Application`.
 *
 * @example
 * ```ts
 * function* main() {
 *   const server = yield* websockets.serve(function* (ws) {
 *     yield* asyncio.asyncFor(ws, (msg) => ws.send(msg));
 *   }, "127.0.0.1", 8765);
 *   yield* server.serveForever();
 * }
 * ```
 */
export function* serve(
  handler: ConnectionHandler,
  host: string,
  port: number,
  options: WebSocketServeOptions = {},
): Coroutine<WebSocketServer> {
  const app = new Application();
  app.router.addGet("/{path:.*}", route(handler, options));
  const server = yield* serveHttp(app, host, port, options);
  return new WebSocketServer(server);
}
