/**
 * A small JSON API with a streaming endpoint, on `asyncio-ts/http`: items kept in
 * memory, created with POST (the body checked: malformed JSON or a missing name is a
 * 400), listed and fetched with GET (404 for an unknown id), and `GET /items/stream`
 * streams them as newline-delimited JSON, one line per item, from an async generator.
 * A middleware times every request; the client is the project's own ClientSession.
 */
import * as http from "../src/http/index.js";
import * as asyncio from "../src/index.js";

interface Item {
  id: number;
  name: string;
}

export function apiApp(): http.Application {
  const items = new Map<number, Item>();
  let nextId = 1;

  const requestId = new asyncio.ContextVar<number>("requestId", { default: 0 });
  let served = 0;
  const stamp: http.Middleware = function* (request, handler) {
    requestId.set(++served);
    const response = yield* handler(request);
    return response;
  };
  const app = new http.Application({ middlewares: [stamp] });

  app.router.addGet("/items", function* () {
    return http.jsonResponse({ items: [...items.values()], request: requestId.get() });
  });
  app.router.addPost("/items", function* (request) {
    const body = (yield* request.json()) as { name?: unknown } | null;
    if (body === null || typeof body !== "object" || typeof body.name !== "string") {
      throw new http.HTTPBadRequest({ text: "400: 'name' must be a string" });
    }
    const item = { id: nextId++, name: body.name };
    items.set(item.id, item);
    return http.jsonResponse(item, { status: 201, headers: { location: `/items/${item.id}` } });
  });
  const lines = asyncio.asyncGenerator(function* () {
    for (const item of [...items.values()]) {
      yield `${JSON.stringify(item)}\n`;
      yield* asyncio.sleep(0.01); // as if each came from a slow source
    }
  });
  app.router.addGet("/items/stream", function* () {
    return new http.StreamingResponse(lines(), { contentType: "application/x-ndjson" });
  });
  app.router.addGet("/items/{id:\\d+}", function* (request) {
    const item = items.get(Number(request.matchInfo.id));
    if (item === undefined)
      throw new http.HTTPNotFound({ text: `404: no item ${request.matchInfo.id}` });
    return http.jsonResponse(item);
  });
  return app;
}

export function* main(): asyncio.Coroutine<void> {
  const server = yield* http.serve(apiApp(), "127.0.0.1", 0);
  yield* asyncio.asyncWith(new http.ClientSession({ baseUrl: server.url }), function* (s) {
    for (const name of ["apple", "pear"]) {
      const r = yield* s.post("/items", { json: { name } });
      console.log(
        `POST /items ${name}: ${r.status} ${yield* r.text()} at ${r.headers.get("location")}`,
      );
    }
    const list = yield* s.get("/items");
    console.log(`GET /items: ${list.status} ${yield* list.text()}`);
    const missing = yield* s.get("/items/99");
    console.log(`GET /items/99: ${missing.status} ${yield* missing.text()}`);
    const bad = yield* s.post("/items", {
      data: "{oops",
      headers: { "content-type": "application/json" },
    });
    console.log(
      `POST bad JSON: ${bad.status} ${(yield* bad.text()).split(":").slice(0, 2).join(":")}`,
    );
    const stream = yield* s.get("/items/stream");
    console.log(`GET /items/stream: ${stream.status} ${stream.headers.get("content-type")}`);
    for (const line of (yield* stream.text()).trimEnd().split("\n")) console.log(`  line ${line}`);
  });
  yield* server.shutdown(5);
  console.log("server closed");
}
