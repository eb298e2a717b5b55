/**
 * `asyncio-ts/http`: the HTTP server (aiohttp.web's model on `node:http`). See
 * docs/serving.md.
 *
 * @module
 */

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
