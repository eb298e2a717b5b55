/**
 * `asyncio-ts/http`: an HTTP client in the spirit of aiohttp, on undici. Its own entry so
 * that undici loads only in programs that import it.
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
