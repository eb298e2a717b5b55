/**
 * `asyncio-ts/websockets`: WebSocket servers and clients with the `websockets` library's
 * API on `ws`. See docs/serving.md.
 *
 * @module
 */

export type { ConnectOptions } from "./client.js";
export { ClientConnection, Connect, connect, InvalidStatus, InvalidURI } from "./client.js";
export type { ConnectionOptions, Data, State } from "./connection.js";
export {
  Connection,
  ConnectionClosed,
  ConnectionClosedError,
  ConnectionClosedOK,
} from "./connection.js";
export type { ConnectionHandler, WebSocketServeOptions } from "./server.js";
export { route, ServerConnection, serve, WebSocketServer } from "./server.js";
