/**
 * `asyncio-ts/http`: HTTP for asyncio-ts, in aiohttp's model — a client (`ClientSession`,
 * on undici) and a server (`Application`, `Router`, `function*` handlers, on `node:http`;
 * see docs/serving.md). Its own entry, so that programs that do no HTTP load neither.
 *
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import * as http from "asyncio-ts/http";
 *
 * function* main() {
 *   yield* asyncio.asyncWith(new http.ClientSession({ timeout: 10 }), function* (session) {
 *     yield* asyncio.asyncWith(session.get("https://example.com/"), function* (resp) {
 *       console.log(resp.status, (yield* resp.text()).length);
 *     });
 *   });
 * }
 * await asyncio.run(main());
 * ```
 *
 * @module
 */

export type {
  ClientHeaders,
  ClientSessionOptions,
  ClientTimeoutOptions,
  RequestOptions,
  TextOptions,
} from "./client.js";
export {
  ClientConnectionError,
  ClientError,
  ClientResponse,
  ClientResponseError,
  ClientSession,
  ClientTimeout,
  RequestContextManager,
  TooManyRedirects,
} from "./client.js";
export { BodyReader, Request } from "./request.js";
export type {
  EventSourceInit,
  HTTPExceptionInit,
  OutgoingHeaders,
  ResponseInit,
  ServerSentEvent,
} from "./response.js";
export {
  EventSourceResponse,
  HTTPBadRequest,
  HTTPException,
  HTTPForbidden,
  HTTPInternalServerError,
  HTTPMethodNotAllowed,
  HTTPNotFound,
  HTTPRequestEntityTooLarge,
  HTTPRequestTimeout,
  HTTPServiceUnavailable,
  HTTPUpgradeRequired,
  jsonResponse,
  Response,
  StreamingResponse,
} from "./response.js";
export type { Handler, Middleware, RouteDef } from "./router.js";
export { del, get, patch, post, put, Router, route } from "./router.js";
export type { AppHook, ApplicationOptions, ServeOptions } from "./server.js";
export { Application, runApp, serve, WebServer } from "./server.js";
