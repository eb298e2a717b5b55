/**
 * Routes: a method and a path pattern to a handler. Patterns are aiohttp's: `/items` (a
 * plain path), `/items/{id}` (a parameter: one path segment), `/files/{path:.*}` (a
 * parameter with its own regular expression). Plain paths are found in one `Map` lookup;
 * patterns are tried in the order they were added.
 *
 * @module
 */

import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { RuntimeError } from "../core/exceptions.js";
import type { Request } from "./request.js";
import type { Response } from "./response.js";

/**
 * A request handler: a coroutine function from the request to the response.
 *
 * @example
 * ```ts
 * const hello: http.Handler = function* (request) {
 *   return new http.Response(`hello ${request.matchInfo.name}`);
 * };
 * ```
 */
export type Handler = (request: Request) => Coroutine<Response>;

/**
 * A middleware: a coroutine function that receives the request and the next handler, and
 * returns the response — calling `handler(request)` or not, changing what goes in or
 * comes out (aiohttp's `@web.middleware`). Middlewares run in the order they are listed,
 * the first outermost.
 *
 * @example
 * ```ts
 * const timing: http.Middleware = function* (request, handler) {
 *   const t0 = performance.now();
 *   try {
 *     return yield* handler(request);
 *   } finally {
 *     console.log(request.method, request.path, `${(performance.now() - t0).toFixed(1)} ms`);
 *   }
 * };
 * ```
 */
export type Middleware = (request: Request, handler: Handler) => Coroutine<Response>;

/**
 * A route made without a router, for {@link Router.addRoutes}: `http.get("/", index)`.
 *
 * @example
 * ```ts
 * function* index() {
 *   return new http.Response("home");
 * }
 * function* createItem(request: http.Request) {
 *   return http.jsonResponse(yield* request.json(), { status: 201 });
 * }
 * const routes: http.RouteDef[] = [http.get("/", index), http.post("/items", createItem)];
 * const app = new http.Application();
 * app.router.addRoutes(routes);
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * const resp = yield* new http.ClientSession().post(`${server.url}/items`, { json: { name: "x" } });
 * console.log(resp.status); // 201
 * yield* server.shutdown();
 * ```
 */
export interface RouteDef {
  /** The method ("GET"), or "*" for any. */
  readonly method: string;
  /** The path pattern. */
  readonly path: string;
  /** The handler. */
  readonly handler: Handler;
}

const METHOD = /^(?:\*|[A-Z][A-Z0-9_-]*)$/;

function checkHandler(handler: unknown, where: string): Handler {
  if (typeof handler !== "function") {
    throw new TypeError(
      `${where}: 'handler' must be a coroutine function (function*): received ${describe(handler)}`,
    );
  }
  return handler as Handler;
}

/**
 * A route for {@link Router.addRoutes}. `method` is an HTTP method in upper case, or "*".
 *
 * @example
 * ```ts
 * function* deleteItem(request: http.Request) {
 *   return new http.Response(`deleted ${request.matchInfo.id}`);
 * }
 * const app = new http.Application();
 * app.router.addRoutes([http.route("DELETE", "/items/{id}", deleteItem)]);
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * const resp = yield* new http.ClientSession().delete(`${server.url}/items/7`);
 * console.log(yield* resp.text()); // deleted 7
 * yield* server.shutdown();
 * ```
 */
export function route(method: string, path: string, handler: Handler): RouteDef {
  if (typeof method !== "string" || !METHOD.test(method)) {
    throw new TypeError(
      `route(): 'method' must be an upper-case HTTP method or "*": received ${describe(method)}`,
    );
  }
  compilePath(path, "route()");
  return { method, path, handler: checkHandler(handler, "route()") };
}

/** A GET route. @example `app.router.addRoutes([http.get("/", index)]);` */
export function get(path: string, handler: Handler): RouteDef {
  return route("GET", path, handler);
}
/** A POST route. @example `app.router.addRoutes([http.post("/items", create)]);` */
export function post(path: string, handler: Handler): RouteDef {
  return route("POST", path, handler);
}
/** A PUT route. @example `app.router.addRoutes([http.put("/items/{id}", replace)]);` */
export function put(path: string, handler: Handler): RouteDef {
  return route("PUT", path, handler);
}
/** A PATCH route. @example `app.router.addRoutes([http.patch("/items/{id}", update)]);` */
export function patch(path: string, handler: Handler): RouteDef {
  return route("PATCH", path, handler);
}
/** A DELETE route. @example `app.router.addRoutes([http.del("/items/{id}", remove)]);` */
export function del(path: string, handler: Handler): RouteDef {
  return route("DELETE", path, handler);
}

/** @internal A compiled path pattern. */
interface Pattern {
  /** null for a plain path. */
  regex: RegExp | null;
  names: string[];
}

/** @internal */
export function compilePath(path: unknown, where: string): Pattern {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(
      `${where}: 'path' must be a string starting with "/": received ${describe(path)}`,
    );
  }
  if (!path.includes("{")) return { regex: null, names: [] };
  const names: string[] = [];
  let source = "^";
  let i = 0;
  while (i < path.length) {
    const open = path.indexOf("{", i);
    if (open < 0) {
      source += escapeRegExp(path.slice(i));
      break;
    }
    source += escapeRegExp(path.slice(i, open));
    // The parameter runs to the matching "}" (a regex may hold braces: {id:\d{2}}).
    let depth = 0;
    let close = -1;
    for (let j = open; j < path.length; j++) {
      if (path[j] === "{") depth++;
      else if (path[j] === "}" && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close < 0) throw new TypeError(`${where}: unbalanced "{" in path ${JSON.stringify(path)}`);
    const body = path.slice(open + 1, close);
    const colon = body.indexOf(":");
    const name = colon < 0 ? body : body.slice(0, colon);
    const re = colon < 0 ? "[^/]+" : body.slice(colon + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new TypeError(
        `${where}: bad parameter name ${JSON.stringify(name)} in path ${JSON.stringify(path)}`,
      );
    }
    if (names.includes(name)) {
      throw new TypeError(
        `${where}: parameter ${JSON.stringify(name)} appears twice in ${JSON.stringify(path)}`,
      );
    }
    try {
      new RegExp(re);
    } catch (e) {
      throw new TypeError(
        `${where}: bad regular expression for {${name}} in ${JSON.stringify(path)}: ${(e as Error).message}`,
      );
    }
    names.push(name);
    source += `(${re.replace(/\((?!\?)/g, "(?:")})`;
    i = close + 1;
  }
  return { regex: new RegExp(`${source}$`), names };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** @internal */
interface DynamicRoute {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
  path: string;
}

function decode(s: string): string {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The routing table of an {@link Application} (aiohttp's `app.router`). Routes are added
 * before the application starts; afterwards the router is frozen and adding throws
 * `RuntimeError`. `HEAD` requests are served by the `GET` route when there is no `HEAD`
 * one. A path that exists for other methods only gets 405 with an `Allow` header; an
 * unknown path 404 — both through the middlewares, as aiohttp's.
 *
 * @example
 * ```ts
 * const items = new Map<string, unknown>();
 * function* getItem(request: http.Request) {
 *   if (!items.has(request.matchInfo.id!)) throw new http.HTTPNotFound();
 *   return http.jsonResponse(items.get(request.matchInfo.id!));
 * }
 * function* createItem(request: http.Request) {
 *   const id = String(items.size + 1);
 *   items.set(id, yield* request.json());
 *   return http.jsonResponse({ id }, { status: 201 });
 * }
 * const app = new http.Application();
 * app.router.addGet("/items/{id}", getItem);
 * app.router.addPost("/items", createItem);
 * const server = yield* http.serve(app, "127.0.0.1", 0);
 * const session = new http.ClientSession({ baseUrl: server.url });
 * yield* session.post("/items", { json: { name: "apple" } });
 * console.log(yield* (yield* session.get("/items/1")).json()); // { name: "apple" }
 * yield* server.shutdown();
 * ```
 */
export class Router {
  /** @internal path → method → handler, for plain paths */
  private readonly _static = new Map<string, Map<string, Handler>>();
  /** @internal */
  private readonly _dynamic: DynamicRoute[] = [];
  /** @internal Set once the application starts. */
  _frozen = false;
  /** @internal The composed handlers (middlewares applied), after freezing. */
  private _composedStatic = new Map<string, Map<string, Handler>>();
  /** @internal */
  private _composedDynamic: DynamicRoute[] = [];

  /**
   * Adds a route. `method` is an upper-case HTTP method or "*" (any method). Throws
   * `TypeError` for a bad method, path or handler; `RuntimeError` once frozen.
   *
   * @example
   * ```ts
   * function* getUser(request: http.Request) {
   *   return http.jsonResponse({ id: Number(request.matchInfo.id) });
   * }
   * const app = new http.Application();
   * app.router.addRoute("GET", "/users/{id:\\d+}", getUser);
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * const session = new http.ClientSession({ baseUrl: server.url });
   * console.log(yield* (yield* session.get("/users/42")).json()); // { id: 42 }
   * console.log((yield* session.get("/users/bob")).status); // 404: not digits
   * yield* server.shutdown();
   * ```
   */
  addRoute(method: string, path: string, handler: Handler): void {
    if (this._frozen) {
      throw new RuntimeError(
        `addRoute(): the router is frozen (the application has started): cannot add ${method} ${path}`,
      );
    }
    const def = route(method, path, handler);
    const pattern = compilePath(def.path, "addRoute()");
    if (pattern.regex === null) {
      let byMethod = this._static.get(path);
      if (byMethod === undefined) {
        byMethod = new Map();
        this._static.set(path, byMethod);
      }
      if (byMethod.has(method)) {
        throw new TypeError(`addRoute(): ${method} ${path} is already routed`);
      }
      byMethod.set(method, def.handler);
    } else {
      this._dynamic.push({
        method,
        regex: pattern.regex,
        names: pattern.names,
        handler: def.handler,
        path,
      });
    }
  }

  /** Adds a GET route. @example `app.router.addGet("/", index);` */
  addGet(path: string, handler: Handler): void {
    this.addRoute("GET", path, handler);
  }
  /** Adds a POST route. @example `app.router.addPost("/items", createItem);` */
  addPost(path: string, handler: Handler): void {
    this.addRoute("POST", path, handler);
  }
  /** Adds a PUT route. @example `app.router.addPut("/items/{id}", replaceItem);` */
  addPut(path: string, handler: Handler): void {
    this.addRoute("PUT", path, handler);
  }
  /** Adds a PATCH route. @example `app.router.addPatch("/items/{id}", updateItem);` */
  addPatch(path: string, handler: Handler): void {
    this.addRoute("PATCH", path, handler);
  }
  /** Adds a DELETE route. @example `app.router.addDelete("/items/{id}", deleteItem);` */
  addDelete(path: string, handler: Handler): void {
    this.addRoute("DELETE", path, handler);
  }

  /**
   * Adds routes made with {@link get}, {@link post}, {@link route}, …
   *
   * @example
   * ```ts
   * const app = new http.Application();
   * app.router.addRoutes([
   *   http.get("/", function* () {
   *     return new http.Response("home");
   *   }),
   *   http.post("/items", function* (request) {
   *     return http.jsonResponse(yield* request.json(), { status: 201 });
   *   }),
   * ]);
   * const server = yield* http.serve(app, "127.0.0.1", 0);
   * console.log(yield* (yield* new http.ClientSession().get(server.url)).text()); // home
   * yield* server.shutdown();
   * ```
   */
  addRoutes(routes: Iterable<RouteDef>): void {
    for (const r of routes) this.addRoute(r.method, r.path, r.handler);
  }

  /** @internal Freezes the table, composing every handler with the middlewares once. */
  _freeze(compose: (h: Handler) => Handler): void {
    this._frozen = true;
    this._composedStatic = new Map();
    for (const [path, byMethod] of this._static) {
      const composed = new Map<string, Handler>();
      for (const [m, h] of byMethod) composed.set(m, compose(h));
      this._composedStatic.set(path, composed);
    }
    this._composedDynamic = this._dynamic.map((r) => ({ ...r, handler: compose(r.handler) }));
  }

  /** @internal The parameters of the last {@link _resolve} that matched a pattern. */
  _params: Record<string, string> | null = null;

  /**
   * @internal Finds the handler for `method` on `path` (percent-encoded, no query): the
   * handler (parameters in `_params`), the methods the path accepts, or null. No
   * allocation for a plain path: the hot path of every request.
   */
  _resolve(method: string, path: string): Handler | string[] | null {
    this._params = null;
    const byMethod = this._composedStatic.get(path);
    if (byMethod !== undefined) {
      const h =
        byMethod.get(method) ??
        (method === "HEAD" ? byMethod.get("GET") : undefined) ??
        byMethod.get("*");
      if (h !== undefined) return h;
    }
    let allowed: string[] | null = byMethod === undefined ? null : [...byMethod.keys()];
    for (const r of this._composedDynamic) {
      const m = r.regex.exec(path);
      if (m === null) continue;
      if (r.method === method || r.method === "*" || (method === "HEAD" && r.method === "GET")) {
        const params: Record<string, string> = {};
        for (let i = 0; i < r.names.length; i++) {
          params[r.names[i] as string] = decode(m[i + 1] ?? "");
        }
        this._params = params;
        return r.handler;
      }
      if (allowed === null) allowed = [];
      allowed.push(r.method);
    }
    return allowed === null ? null : [...new Set(allowed)];
  }
}
