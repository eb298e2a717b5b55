/**
 * The WebSocket client: {@link connect}, as the `websockets` library's `connect(uri)`.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import { WebSocket as WsSocket } from "ws";
import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { TimeoutError } from "../core/exceptions.js";
import { _osError } from "../io/oserror.js";
import { Connection, type ConnectionOptions, resolveOptions } from "./connection.js";

/**
 * The URI given to {@link connect} is not a `ws:` or `wss:` URL.
 *
 * @example
 * ```ts
 * try {
 *   yield* websockets.connect("http://127.0.0.1/chat");
 * } catch (e) {
 *   if (e instanceof websockets.InvalidURI) console.log("bad address:", e.uri);
 *   else throw e;
 * }
 * ```
 */
export class InvalidURI extends TypeError {
  /** The URI that was given. */
  readonly uri: string;
  constructor(uri: string, why: string) {
    super(`${JSON.stringify(uri)} isn't a valid WebSocket URI: ${why}`);
    this.uri = uri;
  }
  override get name(): string {
    return "InvalidURI";
  }
}

/**
 * The server answered the opening handshake with an HTTP status other than 101 (the
 * `websockets` library's `InvalidStatus`): a 404, a 401 from an authentication
 * middleware, a 426 from a plain HTTP endpoint.
 *
 * @example
 * ```ts
 * const app = new http.Application();
 * app.router.addGet("/chat", function* () {
 *   throw new http.HTTPException(401);
 * });
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * try {
 *   yield* websockets.connect(`ws://127.0.0.1:${server.port}/chat`);
 * } catch (e) {
 *   if (e instanceof websockets.InvalidStatus && e.status === 401) console.log("log in first");
 *   else throw e;
 * }
 * yield* server.shutdown();
 * ```
 */
export class InvalidStatus extends Error {
  /** The HTTP status received. */
  readonly status: number;
  constructor(status: number) {
    super(`server rejected WebSocket connection: HTTP ${status}`);
    this.status = status;
  }
  override get name(): string {
    return "InvalidStatus";
  }
}

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * websockets.connect("ws://127.0.0.1:8765/chat", { headers: { authorization: "Bearer x" }, openTimeout: 5 });
 * ```
 */
export interface ConnectOptions extends ConnectionOptions {
  /** Extra headers for the opening handshake. */
  headers?: Record<string, string>;
  /** Seconds for the opening handshake (10); asyncio's `TimeoutError` after that. */
  openTimeout?: number;
  /** Subprotocols to offer. */
  subprotocols?: string[];
}

/**
 * A client connection, as {@link connect} opens it.
 *
 * @example
 * ```ts
 * const server = yield* wsEchoServer();
 * const ws: websockets.ClientConnection = yield* websockets.connect(`ws://127.0.0.1:${server.port}`);
 * console.log(ws.subprotocol === ""); // true: none was asked for
 * yield* ws.close();
 * yield* server.shutdown();
 * ```
 */
export class ClientConnection extends Connection {
  /** The subprotocol the server chose ("" if none). */
  get subprotocol(): string {
    return this.raw.protocol;
  }
}

/**
 * What {@link connect} returns: await it for the connection, or use it as an async context
 * manager that closes the connection on exit (`async with connect(uri) as ws`).
 *
 * @example
 * ```ts
 * const server = yield* wsEchoServer();
 * const connecting: websockets.Connect = websockets.connect(`ws://127.0.0.1:${server.port}`);
 * yield* asyncio.asyncWith(connecting, function* (ws) {
 *   yield* ws.send("hi");
 *   console.log(yield* ws.recv()); // hi
 * }); // closed here
 * yield* server.shutdown();
 * ```
 */
export class Connect {
  /** @internal */
  private _conn: ClientConnection | null = null;
  /** @internal */
  private readonly _open: () => Coroutine<ClientConnection>;

  /** @internal Made by {@link connect}. */
  constructor(open: () => Coroutine<ClientConnection>) {
    this._open = open;
  }

  *[Symbol.iterator](): Coroutine<ClientConnection> {
    return yield* this._open();
  }

  /** Opens the connection. */
  *aenter(): Coroutine<ClientConnection> {
    this._conn = yield* this._open();
    return this._conn;
  }

  /** Closes the connection (1000). */
  *aexit(_exc: unknown): Coroutine<void> {
    const c = this._conn;
    this._conn = null;
    if (c !== null) yield* c.close();
  }
}

/**
 * Opens a WebSocket connection to `uri` (`ws://` or `wss://`). Errors: {@link InvalidURI}
 * at the call; {@link InvalidStatus} when the server refuses the handshake; `OSError`
 * (`ConnectionRefusedError`, …) when it cannot be reached; asyncio's `TimeoutError`
 * after `openTimeout`. Cancellation aborts the handshake.
 *
 * @example
 * ```ts
 * function* main() {
 *   const ws = yield* websockets.connect("ws://127.0.0.1:8765");
 *   yield* ws.send("hello");
 *   console.log(yield* ws.recv());
 *   yield* ws.close();
 * }
 * ```
 */
export function connect(uri: string, options: ConnectOptions = {}): Connect {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidURI(String(uri), "not a URL");
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new InvalidURI(uri, `scheme isn't ws or wss: ${url.protocol}`);
  }
  const opts = resolveOptions(options, "connect()");
  const openTimeout = options.openTimeout ?? 10;
  if (typeof openTimeout !== "number" || !(openTimeout > 0)) {
    throw new RangeError(
      `connect(): 'openTimeout' must be a number of seconds > 0: received ${describe(openTimeout)}`,
    );
  }
  return new Connect(function* () {
    const loop = getRunningLoop();
    const raw = new WsSocket(url, options.subprotocols ?? [], {
      maxPayload: opts.maxSize,
      perMessageDeflate: false,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    const fut = loop.createFuture<ClientConnection>();
    // The connection listens from the moment the socket opens: a message the server sends
    // at once must not be emitted before anyone listens.
    const onOpen = (): void => {
      if (!fut.done()) fut.setResult(new ClientConnection(raw, loop, opts));
      else raw.terminate();
    };
    const onError = (err: Error): void => {
      if (!fut.done()) fut.setException(_osError(err));
    };
    const onResponse = (_req: unknown, res: IncomingMessage): void => {
      if (!fut.done()) fut.setException(new InvalidStatus(res.statusCode ?? 0));
      res.resume();
      raw.terminate();
    };
    raw.once("open", onOpen);
    raw.on("error", onError);
    raw.once("unexpected-response", onResponse);
    const timer = loop.callLater(openTimeout, () => {
      if (!fut.done()) {
        fut.setException(
          new TimeoutError(
            `connect(): the opening handshake took more than ${openTimeout} seconds`,
          ),
        );
      }
    });
    loop._externalPending++;
    try {
      return yield* fut;
    } catch (e) {
      raw.terminate();
      throw e;
    } finally {
      loop._externalPending--;
      timer.cancel();
      raw.removeListener("open", onOpen);
      raw.removeListener("error", onError);
      raw.removeListener("unexpected-response", onResponse);
    }
  });
}
