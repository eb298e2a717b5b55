/**
 * The HTTP server (src/http): routing, requests, responses, middlewares, hooks, the Task
 * per request (its own context, cancelled when the client leaves), graceful shutdown, and
 * bad input — against real clients over loopback: the project's ClientSession, raw
 * sockets, and curl where installed. Timeouts run on the virtual-time loop.
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import * as http from "../src/http/index.js";
import * as asyncio from "../src/index.js";
import { runNode } from "./fixtures/net_helpers.js";
import { caught, runVirtual } from "./helpers.js";

type App = http.Application;

/** Serves `app` on a free port, runs `body` with a session on it, shuts down. */
function* withServer<T>(
  app: App,
  body: (server: http.WebServer, session: http.ClientSession) => asyncio.Coroutine<T>,
  options: http.ServeOptions = {},
): asyncio.Coroutine<T> {
  const server = yield* http.serve(app, "127.0.0.1", 0, options);
  const session = new http.ClientSession({ baseUrl: server.url });
  try {
    return yield* body(server, session);
  } finally {
    yield* session.close();
    yield* server.shutdown(1);
  }
}

function* get(session: http.ClientSession, url: string, options?: http.RequestOptions) {
  const resp = yield* session.get(url, options);
  return { status: resp.status, headers: resp.headers, text: yield* resp.text() };
}

function* send(
  session: http.ClientSession,
  method: string,
  url: string,
  options?: http.RequestOptions,
) {
  const resp = yield* session.request(method, url, options);
  return { status: resp.status, headers: resp.headers, text: yield* resp.text() };
}

/** Sends raw bytes on a new connection; evaluates to the reader and writer. */
function* rawConnect(server: http.WebServer) {
  return yield* asyncio.openConnection("127.0.0.1", server.port);
}

describe("routing", () => {
  it("serves plain paths, path parameters (decoded), regex parameters and the query", async () => {
    const app = new http.Application();
    app.router.addGet("/", function* () {
      return new http.Response("index");
    });
    app.router.addGet("/users/{id:\\d+}", function* (r) {
      return http.jsonResponse({ id: r.matchInfo.id });
    });
    app.router.addGet("/items/{name}", function* (r) {
      return http.jsonResponse({ name: r.matchInfo.name, q: r.query.getAll("q") });
    });
    app.router.addRoutes([
      http.get("/files/{path:.*}", function* (r) {
        return new http.Response(`file ${r.matchInfo.path}`);
      }),
    ]);
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        return [
          yield* get(s, "/"),
          yield* get(s, "/users/42"),
          yield* get(s, "/users/abc"),
          yield* get(s, "/items/a%20b?q=1&q=2"),
          yield* get(s, "/files/a/b/c.txt"),
        ].map((r) => [r.status, r.text]);
      }),
    );
    expect(result).toEqual([
      [200, "index"],
      [200, '{"id":"42"}'],
      [404, "404: Not Found: /users/abc"],
      [200, '{"name":"a b","q":["1","2"]}'],
      [200, "file a/b/c.txt"],
    ]);
  });

  it("answers 405 with Allow for a known path and another method; HEAD uses the GET route", async () => {
    const app = new http.Application();
    app.router.addGet("/thing", function* () {
      return new http.Response("thing");
    });
    app.router.addPut("/thing", function* () {
      return new http.Response("put");
    });
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        const post = yield* send(s, "POST", "/thing", { data: "x" });
        const head = yield* s.head("/thing");
        return [
          post.status,
          post.headers.get("allow"),
          post.text,
          head.status,
          head.headers.get("content-length"),
        ];
      }),
    );
    expect(result).toEqual([405, "GET, PUT", "405: Method Not Allowed: POST", 200, "5"]);
  });

  it("rejects bad routes at the call, and routes once the application started", async () => {
    const app = new http.Application();
    const h = function* () {
      return new http.Response("x");
    };
    expect(() => app.router.addGet("no-slash", h)).toThrow(
      /'path' must be a string starting with "\/"/,
    );
    expect(() => app.router.addRoute("get", "/", h)).toThrow(
      /'method' must be an upper-case HTTP method/,
    );
    expect(() => app.router.addGet("/{a}/{a}", h)).toThrow(/appears twice/);
    expect(() => app.router.addGet("/{a:(}", h)).toThrow(/bad regular expression for \{a\}/);
    expect(() => app.router.addGet("/", "nope" as never)).toThrow(
      /'handler' must be a coroutine function/,
    );
    app.router.addGet("/", h);
    expect(() => app.router.addGet("/", h)).toThrow(/already routed/);
    await runNode(
      withServer(app, function* () {
        expect(() => app.router.addGet("/late", h)).toThrow(asyncio.RuntimeError);
        expect(yield* caught(http.serve(app, "127.0.0.1", 0))).toBeInstanceOf(asyncio.RuntimeError);
      }),
    );
  });

  it("checks serve()'s arguments", async () => {
    const app = new http.Application();
    await runNode(
      (function* () {
        const e1 = yield* caught(http.serve(app, "127.0.0.1", 70000));
        expect(String(e1)).toMatch(/'port' must be an integer from 0 to 65535: received 70000/);
        const e2 = yield* caught(http.serve({} as never, "127.0.0.1", 0));
        expect(String(e2)).toMatch(/'app' must be an http.Application/);
        expect(() => new http.Application({ maxBodySize: -1 })).toThrow(/'maxBodySize'/);
        const e3 = yield* caught(
          http.serve(new http.Application(), "127.0.0.1", 0, { headersTimeout: 0 }),
        );
        expect(String(e3)).toMatch(/'headersTimeout' must be a number of seconds > 0: received 0/);
      })(),
    );
  });
});

describe("requests and responses", () => {
  it("reads JSON and text bodies, and answers a malformed JSON body with 400 saying why", async () => {
    const app = new http.Application();
    app.router.addPost("/json", function* (r) {
      const body = (yield* r.json()) as { n: number };
      return http.jsonResponse({ doubled: body.n * 2, type: r.contentType }, { status: 201 });
    });
    app.router.addPost("/text", function* (r) {
      return new http.Response((yield* r.text()).toUpperCase());
    });
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        const ok = yield* send(s, "POST", "/json", { json: { n: 21 } });
        const bad = yield* send(s, "POST", "/json", {
          data: '{"n": ',
          headers: { "content-type": "application/json" },
        });
        const text = yield* send(s, "POST", "/text", { data: "héllo" });
        return { ok, bad, text };
      }),
    );
    expect([result.ok.status, result.ok.text]).toEqual([
      201,
      '{"doubled":42,"type":"application/json"}',
    ]);
    expect(result.bad.status).toBe(400);
    expect(result.bad.text).toMatch(/^400: Malformed JSON in the request body: .*JSON/);
    expect(result.text.text).toBe("HÉLLO");
  });

  it("streams the body chunk by chunk with asyncFor", async () => {
    const app = new http.Application();
    app.router.addPost("/count", function* (r) {
      let bytes = 0;
      let chunks = 0;
      yield* asyncio.asyncFor(r.content, (chunk) => {
        bytes += chunk.byteLength;
        chunks++;
      });
      return http.jsonResponse({ bytes, some: chunks > 0, received: r.content.received });
    });
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        return yield* send(s, "POST", "/count", { data: new Uint8Array(300_000) });
      }),
    );
    expect(JSON.parse(result.text)).toEqual({ bytes: 300_000, some: true, received: 300_000 });
  });

  it("refuses a body over maxBodySize with 413, declared or streamed, reading no further", async () => {
    const app = new http.Application({ maxBodySize: 1000 });
    let seen = -1;
    app.router.addPost("/upload", function* (r) {
      try {
        yield* r.bytes();
      } finally {
        seen = r.content.received;
      }
      return new http.Response("stored");
    });
    const { result } = await runNode(
      withServer(app, function* (server, s) {
        const declared = yield* send(s, "POST", "/upload", { data: new Uint8Array(5000) });
        const declaredSeen = seen;
        // Chunked: no Content-Length, the limit is found while reading.
        const [reader, writer] = yield* rawConnect(server);
        writer.write(
          Buffer.from(
            "POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n" +
              `400\r\n${"a".repeat(0x400)}\r\n`,
          ),
        );
        const head = (yield* reader.readuntil(Buffer.from("\r\n\r\n"))).toString();
        writer.close();
        return { declared, declaredSeen, head, chunkedSeen: seen };
      }),
    );
    expect(result.declared.status).toBe(413);
    expect(result.declared.text).toBe(
      "413: Request Entity Too Large: the body has 5000 bytes or more, the limit is 1000",
    );
    expect(result.declaredSeen).toBe(0);
    expect(result.head).toMatch(/^HTTP\/1.1 413 /);
    expect(result.head.toLowerCase()).toContain("connection: close");
    expect(result.chunkedSeen).toBe(1024);
  });

  it("sends bytes, headers and statuses; a Response checks its arguments", async () => {
    const app = new http.Application();
    app.router.addGet("/bytes", function* () {
      return new http.Response(new Uint8Array([1, 2, 3]), {
        headers: { "x-a": "1", "set-cookie": ["a=1", "b=2"] },
      });
    });
    app.router.addGet("/empty", function* () {
      return new http.Response(null, { status: 204 });
    });
    app.router.addGet("/teapot", function* () {
      throw new http.HTTPException(418, { text: "short and stout", headers: { "x-why": "tea" } });
    });
    expect(() => new http.Response(42 as never)).toThrow(
      /'body' must be a string, a Uint8Array or null: received 42/,
    );
    expect(() => new http.Response("x", { status: 99 })).toThrow(
      /'status' must be an integer from 100 to 999/,
    );
    expect(() => http.jsonResponse(10n)).toThrow(TypeError);
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        const b = yield* s.get("/bytes");
        const bytes = [...(yield* b.bytes())];
        const e = yield* s.get("/empty");
        const t = yield* get(s, "/teapot");
        return {
          bytes,
          type: b.headers.get("content-type"),
          xa: b.headers.get("x-a"),
          cookie: b.headers.getSetCookie(),
          empty: e.status,
          teapot: [t.status, t.text, t.headers.get("x-why")],
        };
      }),
    );
    expect(result).toEqual({
      bytes: [1, 2, 3],
      type: "application/octet-stream",
      xa: "1",
      cookie: ["a=1", "b=2"],
      empty: 204,
      teapot: [418, "short and stout", "tea"],
    });
  });

  it("streams a response from an async generator and closes the generator", async () => {
    const app = new http.Application();
    const events: string[] = [];
    const lines = asyncio.asyncGenerator(function* (n: number) {
      try {
        for (let i = 0; i < n; i++) {
          yield `line ${i}\n`;
          yield* asyncio.sleep(0);
        }
      } finally {
        events.push("generator closed");
      }
    });
    app.router.addGet("/lines", function* () {
      return new http.StreamingResponse(lines(3), { contentType: "text/plain" });
    });
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        const r = yield* s.get("/lines");
        return [r.headers.get("transfer-encoding"), yield* r.text()];
      }),
    );
    expect(result).toEqual(["chunked", "line 0\nline 1\nline 2\n"]);
    expect(events).toEqual(["generator closed"]);
  });

  it("sends server-sent events in the wire format", async () => {
    const app = new http.Application();
    const ticks = asyncio.asyncGenerator(function* () {
      yield "plain";
      yield { event: "tick", id: "2", data: "line 1\nline 2" };
      yield { data: "{}", retry: 1000 };
    });
    app.router.addGet("/events", function* () {
      return new http.EventSourceResponse(ticks());
    });
    expect(() => new http.EventSourceResponse(ticks(), { ping: -1 })).toThrow(/'ping'/);
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        const r = yield* s.get("/events");
        return [r.headers.get("content-type"), r.headers.get("cache-control"), yield* r.text()];
      }),
    );
    expect(result).toEqual([
      "text/event-stream; charset=utf-8",
      "no-cache",
      "data: plain\n\nevent: tick\nid: 2\ndata: line 1\ndata: line 2\n\nretry: 1000\ndata: {}\n\n",
    ]);
  });

  it("sends a ping comment after `ping` seconds without an event (virtual time)", async () => {
    const app = new http.Application();
    const slow = asyncio.asyncGenerator(function* () {
      yield "first";
      yield* asyncio.sleep(25);
      yield "second";
    });
    app.router.addGet("/events", function* () {
      return new http.EventSourceResponse(slow(), { ping: 10 });
    });
    const { result } = await runVirtual(
      withServer(
        app,
        function* (_server, s) {
          const r = yield* s.get("/events", { timeout: 100 });
          return yield* r.text();
        },
        // Fewer deadline sweeps: each is a jump of the virtual clock past outside work.
        { headersTimeout: 100, keepAliveTimeout: 100 },
      ),
    );
    expect(result).toBe("data: first\n\n: ping\n\n: ping\n\ndata: second\n\n");
  });
});

describe("errors", () => {
  it("answers 500 to a handler that throws and reports the error to the loop's exception handler", async () => {
    const app = new http.Application();
    const boom = new Error("boom");
    app.router.addGet("/boom", function* () {
      throw boom;
    });
    app.router.addGet("/wrong", function* () {
      return "not a response" as never;
    });
    const { result, reports } = await runNode(
      withServer(app, function* (_server, s) {
        return [yield* get(s, "/boom"), yield* get(s, "/wrong")].map((r) => [r.status, r.text]);
      }),
      { allowReports: true },
    );
    expect(result).toEqual([
      [500, "500: Internal Server Error"],
      [500, "500: Internal Server Error"],
    ]);
    expect(reports.map((r) => r.message)).toEqual([
      "Error handling request GET /boom",
      "Error handling request GET /wrong",
    ]);
    expect(reports[0]?.exception).toBe(boom);
    expect(String(reports[1]?.exception)).toMatch(
      /returned "not a response": a handler must return an http.Response/,
    );
    expect(String(reports[0]?.request)).toBe("<Request GET /boom>");
  });

  it("cuts a streamed response short when its generator fails, and reports it", async () => {
    const app = new http.Application();
    const failing = asyncio.asyncGenerator(function* () {
      yield "partial\n";
      throw new Error("generator failed");
    });
    app.router.addGet("/s", function* () {
      return new http.StreamingResponse(failing());
    });
    const { result, reports } = await runNode(
      withServer(app, function* (_server, s) {
        const r = yield* s.get("/s");
        return [r.status, yield* caught(r.text())];
      }),
      { allowReports: true },
    );
    expect(result[0]).toBe(200);
    expect(result[1]).toBeInstanceOf(http.ClientError);
    expect(reports.map((r) => [r.message, String(r.exception)])).toEqual([
      ["Error while streaming the response to GET /s", "Error: generator failed"],
    ]);
  });
});

describe("middlewares and hooks", () => {
  it("runs middlewares outermost first, around 404s too, and lets one answer alone", async () => {
    const order: string[] = [];
    const outer: http.Middleware = function* (request, handler) {
      order.push(`outer in ${request.path}`);
      const resp = yield* handler(request);
      order.push(`outer out ${resp.status}`);
      return resp;
    };
    const auth: http.Middleware = function* (request, handler) {
      if (request.headers.authorization !== "secret") throw new http.HTTPForbidden();
      return yield* handler(request);
    };
    const app = new http.Application({ middlewares: [outer] });
    app.middlewares.push(auth);
    app.router.addGet("/", function* () {
      order.push("handler");
      return new http.Response("ok");
    });
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        const headers = { authorization: "secret" };
        const a = yield* get(s, "/", { headers });
        const b = yield* get(s, "/");
        const c = yield* get(s, "/missing", { headers });
        return [a.status, b.status, c.status];
      }),
    );
    expect(result).toEqual([200, 403, 404]);
    expect(order).toEqual([
      "outer in /",
      "handler",
      "outer out 200",
      "outer in /",
      "outer in /missing",
    ]);
  });

  it("runs startup, shutdown and cleanup hooks in order; a failing startup hook stops serve()", async () => {
    const order: string[] = [];
    const app = new http.Application();
    app.onStartup.push(function* (a) {
      a.state.set("db", "connected");
      order.push("startup");
    });
    app.onShutdown.push(function* () {
      order.push("shutdown");
    });
    app.onCleanup.push(function* (a) {
      order.push(`cleanup ${a.state.get("db")}`);
    });
    app.router.addGet("/", function* () {
      order.push("request");
      return new http.Response("x");
    });
    await runNode(
      withServer(app, function* (_server, s) {
        yield* get(s, "/");
      }),
    );
    expect(order).toEqual(["startup", "request", "shutdown", "cleanup connected"]);

    const broken = new http.Application();
    broken.onStartup.push(function* () {
      throw new Error("no database");
    });
    await runNode(
      (function* () {
        expect(String(yield* caught(http.serve(broken, "127.0.0.1", 0)))).toBe(
          "Error: no database",
        );
      })(),
    );
  });

  it("raises OSError when the port is taken, and runs the cleanup hooks", async () => {
    const cleaned: string[] = [];
    await runNode(
      (function* () {
        const first = yield* http.serve(new http.Application(), "127.0.0.1", 0);
        const app = new http.Application();
        app.onCleanup.push(function* () {
          cleaned.push("cleanup");
        });
        const e = yield* caught(http.serve(app, "127.0.0.1", first.port));
        yield* first.shutdown(1);
        expect(e).toBeInstanceOf(asyncio.OSError);
        expect((e as asyncio.OSError).code).toBe("EADDRINUSE");
      })(),
    );
    expect(cleaned).toEqual(["cleanup"]);
  });
});

describe("a Task per request", () => {
  it("runs each request in a task of its own, whose context variables are its own", async () => {
    const user = new asyncio.ContextVar<string>("user", { default: "nobody" });
    const setUser: http.Middleware = function* (request, handler) {
      user.set(request.headers["x-user"] as string);
      return yield* handler(request);
    };
    const app = new http.Application({ middlewares: [setUser] });
    const tasks = new Set<unknown>();
    app.router.addGet("/", function* () {
      tasks.add(asyncio.currentTask());
      yield* asyncio.sleep(0.01);
      return new http.Response(user.get());
    });
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        const names = ["ann", "bob", "cid"];
        const rs = yield* asyncio.gather(
          ...names.map((n) => get(s, "/", { headers: { "x-user": n } })),
        );
        return { texts: rs.map((r) => r.text), outside: user.get() };
      }),
    );
    expect(result).toEqual({ texts: ["ann", "bob", "cid"], outside: "nobody" });
    expect(tasks.size).toBe(3);
  });

  it("cancels the handler when the client disconnects; its finally runs, nothing is sent", async () => {
    const app = new http.Application();
    const events: string[] = [];
    const started = new asyncio.Event();
    const cleaned = new asyncio.Event();
    app.router.addGet("/slow", function* () {
      started.set();
      try {
        yield* asyncio.sleep(3600);
        events.push("finished");
        return new http.Response("late");
      } catch (e) {
        events.push(e instanceof asyncio.CancelledError ? `cancelled: ${e.message}` : "error");
        throw e;
      } finally {
        yield* asyncio.sleep(0); // a finally may await
        events.push("finally");
        cleaned.set();
      }
    });
    await runNode(
      withServer(app, function* (server) {
        const [reader, writer] = yield* rawConnect(server);
        writer.write(Buffer.from("GET /slow HTTP/1.1\r\nhost: x\r\n\r\n"));
        yield* started.wait();
        writer.close();
        yield* cleaned.wait();
        expect(yield* reader.read()).toHaveLength(0);
        expect(server.inflight).toBe(0);
      }),
    );
    expect(events).toEqual(["cancelled: the client closed the connection", "finally"]);
  });
});

describe("graceful shutdown", () => {
  it("lets requests in flight finish, refuses new connections, then closes", async () => {
    const app = new http.Application();
    const started = new asyncio.Event();
    const release = new asyncio.Event();
    app.router.addGet("/work", function* () {
      started.set();
      yield* release.wait();
      return new http.Response("done");
    });
    const order: string[] = [];
    app.onShutdown.push(function* () {
      order.push("onShutdown");
      release.set();
    });
    await runNode(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0);
        const url = server.url;
        const session = new http.ClientSession({ baseUrl: url });
        const inflight = asyncio.createTask(get(session, "/work"));
        yield* started.wait();
        const stopping = asyncio.createTask(server.shutdown(30));
        yield* asyncio.sleep(0);
        expect(server.isServing()).toBe(false);
        const r = yield* inflight;
        order.push(`response ${r.status} ${r.text}`);
        yield* stopping;
        order.push("closed");
        const other = new http.ClientSession();
        const refused = yield* caught(get(other, `${url}/work`));
        expect(refused).toBeInstanceOf(http.ClientConnectionError);
        yield* other.close();
        yield* session.close();
      })(),
    );
    expect(order).toEqual(["onShutdown", "response 200 done", "closed"]);
  });

  it("cancels the requests still running when the timeout expires (virtual time)", async () => {
    const app = new http.Application();
    const events: string[] = [];
    const started = new asyncio.Event();
    app.router.addGet("/forever", function* () {
      started.set();
      try {
        yield* asyncio.sleep(3600);
        return new http.Response("never");
      } finally {
        events.push(`handler finally at ${asyncio.getRunningLoop().time()}`);
      }
    });
    await runVirtual(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0);
        const [reader, writer] = yield* rawConnect(server);
        writer.write(Buffer.from("GET /forever HTTP/1.1\r\nhost: x\r\n\r\n"));
        yield* started.wait();
        const t0 = asyncio.getRunningLoop().time();
        yield* server.shutdown(5);
        events.push(`shutdown done after ${asyncio.getRunningLoop().time() - t0}`);
        expect(yield* reader.read()).toHaveLength(0);
        writer.close();
      })(),
    );
    expect(events).toEqual(["handler finally at 5", "shutdown done after 5"]);
  });

  it("serveForever() shuts down when cancelled; shutdown() checks its timeout", async () => {
    const app = new http.Application();
    const order: string[] = [];
    app.onCleanup.push(function* () {
      order.push("cleanup");
    });
    await runNode(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0);
        expect(String(yield* caught(server.shutdown(-1)))).toMatch(
          /'timeout' must be a number of seconds >= 0/,
        );
        const task = asyncio.createTask(server.serveForever());
        yield* asyncio.sleep(0);
        task.cancel();
        expect(yield* caught(task)).toBeInstanceOf(asyncio.CancelledError);
        order.push(`serving: ${server.isServing()}`);
        yield* server.shutdown(); // a second shutdown just waits
      })(),
    );
    expect(order).toEqual(["cleanup", "serving: false"]);
  });
});

describe("at loop close", () => {
  it("closes a server and its connections left open when the loop closes", async () => {
    const app = new http.Application();
    app.router.addGet("/", function* () {
      return new http.Response("ok");
    });
    const { result: port } = await runNode(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0);
        const [reader, writer] = yield* rawConnect(server);
        writer.write(Buffer.from("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
        yield* reader.readuntil(Buffer.from("ok"));
        return server.port; // neither the server nor the connection is closed
      })(),
    );
    const refused = await runNode(
      (function* () {
        return yield* caught(asyncio.openConnection("127.0.0.1", port));
      })(),
    );
    expect(refused.result).toBeInstanceOf(asyncio.ConnectionRefusedError);
  });
});

describe("slow clients (virtual time)", () => {
  it("drops a connection that does not finish its headers within headersTimeout", async () => {
    const app = new http.Application();
    const { result } = await runVirtual(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0, { headersTimeout: 10 });
        const [reader, writer] = yield* rawConnect(server);
        const t0 = asyncio.getRunningLoop().time();
        writer.write(Buffer.from("GET / HTTP/1.1\r\nhost: x\r\n")); // never the blank line
        const data = yield* reader.read();
        const waited = asyncio.getRunningLoop().time() - t0;
        writer.close();
        yield* server.shutdown(1);
        return { eof: data.length === 0, waited };
      })(),
    );
    expect(result.eof).toBe(true);
    expect(result.waited).toBeGreaterThanOrEqual(10);
    expect(result.waited).toBeLessThanOrEqual(12);
  });

  it("closes an idle keep-alive connection after keepAliveTimeout", async () => {
    const app = new http.Application();
    app.router.addGet("/", function* () {
      return new http.Response("ok");
    });
    const { result } = await runVirtual(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0, { keepAliveTimeout: 3 });
        const [reader, writer] = yield* rawConnect(server);
        writer.write(Buffer.from("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
        const head = (yield* reader.readuntil(Buffer.from("ok"))).toString();
        const t0 = asyncio.getRunningLoop().time();
        const eof = yield* reader.read();
        const waited = asyncio.getRunningLoop().time() - t0;
        writer.close();
        yield* server.shutdown(1);
        return { ok: head.startsWith("HTTP/1.1 200"), eof: eof.length === 0, waited };
      })(),
    );
    expect(result.ok && result.eof).toBe(true);
    expect(result.waited).toBeGreaterThanOrEqual(3);
    expect(result.waited).toBeLessThanOrEqual(4);
  });

  it("answers 408 to a body that stalls for bodyTimeout", async () => {
    const app = new http.Application();
    app.router.addPost("/", function* (r) {
      return new http.Response(yield* r.text());
    });
    const { result } = await runVirtual(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0, { bodyTimeout: 7 });
        const [reader, writer] = yield* rawConnect(server);
        writer.write(Buffer.from("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc"));
        const t0 = asyncio.getRunningLoop().time();
        const response = (yield* reader.read()).toString();
        const waited = asyncio.getRunningLoop().time() - t0;
        writer.close();
        yield* server.shutdown(1);
        return { response, waited };
      })(),
    );
    expect(result.response).toMatch(/^HTTP\/1.1 408 Request Timeout/);
    expect(result.response).toContain("no body data for 7 seconds");
    expect(result.waited).toBe(7);
  });
});

const curl = await new Promise<boolean>((resolve) => {
  execFile("curl", ["--version"], (err) => resolve(err === null));
});
if (!curl) {
  if (process.env.ASYNCIO_TS_REQUIRE_ALL === "1")
    throw new Error("curl is required (ASYNCIO_TS_REQUIRE_ALL=1)");
  console.warn(
    "http_server: skipping the curl suite: curl is not installed (apt-get install curl)",
  );
}

describe.skipIf(!curl)("with curl", () => {
  it("serves JSON and a streamed response to curl", async () => {
    const app = new http.Application();
    app.router.addPost("/echo", function* (r) {
      return http.jsonResponse({ got: yield* r.json() });
    });
    const numbers = asyncio.asyncGenerator(function* () {
      for (let i = 1; i <= 3; i++) yield `${i}\n`;
    });
    app.router.addGet("/numbers", function* () {
      return new http.StreamingResponse(numbers());
    });
    const run = (args: string[]) =>
      asyncio.fromPromise(
        new Promise<string>((resolve, reject) =>
          execFile("curl", ["-sS", ...args], (err, stdout) =>
            err ? reject(err) : resolve(stdout),
          ),
        ),
      );
    const { result } = await runNode(
      withServer(app, function* (server) {
        return [
          yield* run([
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "-d",
            '{"a":1}',
            `${server.url}/echo`,
          ]),
          yield* run([`${server.url}/numbers`]),
          yield* run(["-o", "/dev/null", "-w", "%{http_code}", `${server.url}/nope`]),
        ];
      }),
    );
    expect(result).toEqual(['{"got":{"a":1}}', "1\n2\n3\n", "404"]);
  });
});

describe("the public surface", () => {
  it("exports exactly these names: the server's, beside the client's", () => {
    expect(Object.keys(http).sort()).toEqual([
      "Application",
      "BodyReader",
      "ClientConnectionError",
      "ClientError",
      "ClientResponse",
      "ClientResponseError",
      "ClientSession",
      "ClientTimeout",
      "EventSourceResponse",
      "HTTPBadRequest",
      "HTTPException",
      "HTTPForbidden",
      "HTTPInternalServerError",
      "HTTPMethodNotAllowed",
      "HTTPNotFound",
      "HTTPRequestEntityTooLarge",
      "HTTPRequestTimeout",
      "HTTPServiceUnavailable",
      "HTTPUpgradeRequired",
      "Request",
      "RequestContextManager",
      "Response",
      "Router",
      "StreamingResponse",
      "TooManyRedirects",
      "WebServer",
      "del",
      "get",
      "jsonResponse",
      "patch",
      "post",
      "put",
      "route",
      "runApp",
      "serve",
    ]);
  });

  it("describes a request: url, query string, content type, remote address", async () => {
    const app = new http.Application();
    app.router.addPost("/p", function* (r) {
      const [host] = r.remote;
      return http.jsonResponse([r.url, r.queryString, r.contentType, host, String(r)]);
    });
    const { result } = await runNode(
      withServer(app, function* (_server, s) {
        return yield* send(s, "POST", "/p?a=1", {
          data: "x",
          headers: { "content-type": "Text/Plain; charset=utf-8" },
        });
      }),
    );
    expect(JSON.parse(result.text)).toEqual([
      "/p?a=1",
      "a=1",
      "text/plain",
      "127.0.0.1",
      "<Request POST /p>",
    ]);
  });

  it("runApp() serves until cancelled, calling onReady once listening", async () => {
    const app = new http.Application();
    app.router.addGet("/", function* () {
      return new http.Response("up");
    });
    const { result } = await runNode(
      (function* () {
        const ready = new asyncio.Future<string>();
        const task = asyncio.createTask(
          http.runApp(app, "127.0.0.1", 0, { onReady: (server) => ready.setResult(server.url) }),
        );
        const url = yield* ready;
        const s = new http.ClientSession();
        const r = yield* get(s, url);
        yield* s.close();
        task.cancel();
        yield* caught(task);
        return [r.text, task.cancelled()];
      })(),
    );
    expect(result).toEqual(["up", true]);
  });
});
