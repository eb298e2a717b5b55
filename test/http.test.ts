import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientConnectionError,
  ClientResponse,
  ClientResponseError,
  ClientSession,
  ClientTimeout,
  TooManyRedirects,
} from "../src/http/index.js";
import * as asyncio from "../src/index.js";
import { selfSignedCert } from "./fixtures/net_helpers.js";
import { caught, collectGarbage } from "./helpers.js";

let server: Server;
let base = "";
/**
 * Resolved when the server receives a request to /hang or /slow-body, with a promise of its
 * connection closing (wrapped: a promise resolved with a promise would wait for it).
 */
let hangArrived = deferred<{ closed: Promise<void> }>();

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString();
    switch (url.pathname) {
      case "/":
        res.end("hello");
        return;
      case "/json":
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ a: 1, list: [1, 2] }));
        return;
      case "/latin1":
        res.setHeader("content-type", "text/plain; charset=latin1");
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
        return;
      case "/echo":
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            method: req.method,
            query: url.search,
            type: req.headers["content-type"] ?? null,
            custom: req.headers["x-custom"] ?? null,
            session: req.headers["x-session"] ?? null,
            body,
            port: req.socket.remotePort,
          }),
        );
        return;
      case "/redirect":
        res.writeHead(302, { location: "/echo" });
        res.end();
        return;
      case "/see-other":
        res.writeHead(303, { location: "/echo" });
        res.end();
        return;
      case "/loop":
        res.writeHead(302, { location: "/loop" });
        res.end();
        return;
      case "/missing":
        res.writeHead(404);
        res.end("nope");
        return;
      case "/big":
        res.end("z".repeat(1_000_000));
        return;
      case "/redirect-big":
        res.writeHead(302, { location: "/big" });
        res.end();
        return;
      case "/bad-utf8":
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x21]));
        return;
      case "/truncated-utf8":
        res.end(Buffer.from([0x6f, 0x6b, 0xe2, 0x82]));
        return;
      case "/hang": {
        const closed = new Promise<void>((resolve) => res.on("close", () => resolve()));
        hangArrived.resolve({ closed });
        return; // never answers
      }
      case "/slow-body": {
        const closed = new Promise<void>((resolve) => res.on("close", () => resolve()));
        res.writeHead(200, { "content-length": "10" });
        res.write("12345");
        hangArrived.resolve({ closed });
        return; // the rest never comes
      }
      default:
        res.writeHead(500);
        res.end();
    }
  });
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/**
 * Runs `main` on a virtual-time loop that waits for outside work for ever: a request in
 * flight holds the clock still however slow the machine is, so a session's 300 s timeout
 * never fires because a loaded machine answered late. (With the default patience the clock
 * jumps after 0.1 s of real idleness.) A test that needs time to pass while a server
 * hangs advances the clock by hand once the server holds the request: events in order,
 * never real durations.
 */
async function runPatient<T>(main: asyncio.Coroutine<T>): Promise<T> {
  const reports: asyncio.ExceptionContext[] = [];
  const result = await asyncio.run(main, {
    loopFactory: () => {
      const loop = new asyncio.VirtualEventLoop({ outsideWorkPatience: Infinity });
      loop.setExceptionHandler((_loop, ctx) => {
        reports.push(ctx);
      });
      return loop;
    },
  });
  expect(reports.map((r) => r.message)).toEqual([]);
  return result;
}

function withSession<T>(
  body: (s: ClientSession) => asyncio.Coroutine<T>,
  options: ConstructorParameters<typeof ClientSession>[0] = {},
): Promise<T> {
  return runPatient(asyncio.asyncWith(new ClientSession({ baseUrl: base, ...options }), body));
}

describe("ClientSession", () => {
  it("gets status, reason, headers and text", async () => {
    const r = await withSession(function* (s) {
      const resp = yield* s.get("/");
      return {
        status: resp.status,
        reason: resp.reason,
        ok: resp.ok,
        len: resp.headers.get("Content-Length"),
        text: yield* resp.text(),
      };
    });
    expect(r).toEqual({ status: 200, reason: "OK", ok: true, len: "5", text: "hello" });
  });

  it("reads json and bytes, and decodes the declared charset", async () => {
    const r = await withSession(function* (s) {
      const j = yield* (yield* s.get("/json")).json<{ a: number; list: number[] }>();
      const b = yield* (yield* s.get("/")).bytes();
      const t = yield* (yield* s.get("/latin1")).text();
      return { j, b, t };
    });
    expect(r).toEqual({
      j: { a: 1, list: [1, 2] },
      b: new Uint8Array(Buffer.from("hello")),
      t: "café",
    });
  });

  it("sends params, headers, json, text and form bodies", async () => {
    const r = await withSession(
      function* (s) {
        const a = yield* (yield* s.post("/echo", {
          json: { x: 1 },
          params: { q: "a b", n: 2 },
          headers: { "X-Custom": "c" },
        })).json();
        const b = yield* (yield* s.put("/echo", { data: "plain" })).json();
        const c = yield* (yield* s.patch("/echo", { data: { k: "v" } })).json();
        return [a, b, c];
      },
      { headers: { "x-session": "s1" } },
    );
    expect(r[0]).toMatchObject({
      method: "POST",
      query: "?q=a+b&n=2",
      type: "application/json",
      custom: "c",
      session: "s1",
      body: '{"x":1}',
    });
    expect(r[1]).toMatchObject({ method: "PUT", type: "text/plain; charset=utf-8", body: "plain" });
    expect(r[2]).toMatchObject({
      method: "PATCH",
      type: "application/x-www-form-urlencoded",
      body: "k=v",
    });
  });

  it("reuses a keep-alive connection for sequential requests", async () => {
    const ports = await withSession(function* (s) {
      const out: number[] = [];
      for (let i = 0; i < 3; i++)
        out.push(((yield* (yield* s.get("/echo")).json()) as { port: number }).port);
      return out;
    });
    expect(new Set(ports).size).toBe(1);
  });

  it("releases the connection when leaving asyncWith without reading the body", async () => {
    const ports = await withSession(
      function* (s) {
        const out: number[] = [];
        const status = yield* asyncio.asyncWith(s.get("/big"), function* (resp) {
          yield* asyncio.sleep(0);
          return resp.status;
        });
        expect(status).toBe(200);
        for (let i = 0; i < 2; i++)
          out.push(((yield* (yield* s.get("/echo")).json()) as { port: number }).port);
        return out;
      },
      { limitPerHost: 1 },
    );
    expect(ports).toHaveLength(2);
  });

  it("runs concurrent requests with gather", async () => {
    const texts = await withSession(function* (s) {
      return yield* asyncio.gather(
        ...[1, 2, 3, 4].map((i) =>
          (function* () {
            const resp = yield* s.get("/echo", { params: { i } });
            return ((yield* resp.json()) as { query: string }).query;
          })(),
        ),
      );
    });
    expect(texts).toEqual(["?i=1", "?i=2", "?i=3", "?i=4"]);
  });

  it("follows redirects, turning a 303 POST into a GET", async () => {
    const r = await withSession(function* (s) {
      const a = yield* s.get("/redirect");
      const b = yield* s.post("/see-other", { data: "x" });
      const c = yield* s.get("/redirect", { allowRedirects: false });
      return [
        a.url.pathname,
        ((yield* a.json()) as { method: string }).method,
        ((yield* b.json()) as { method: string }).method,
        c.status,
      ];
    });
    expect(r).toEqual(["/echo", "GET", "GET", 302]);
  });

  it("raises TooManyRedirects and, with raiseForStatus, ClientResponseError", async () => {
    const r = await withSession(function* (s) {
      const errors: unknown[] = [];
      try {
        yield* s.get("/loop", { maxRedirects: 3 });
      } catch (e) {
        errors.push(e);
      }
      const missing = yield* s.get("/missing");
      expect(missing.status).toBe(404);
      expect(yield* missing.text()).toBe("nope");
      try {
        missing.raiseForStatus();
      } catch (e) {
        errors.push(e);
      }
      try {
        yield* s.get("/missing", { raiseForStatus: true });
      } catch (e) {
        errors.push(e);
      }
      return errors;
    });
    expect(r[0]).toBeInstanceOf(TooManyRedirects);
    expect(r[1]).toBeInstanceOf(ClientResponseError);
    expect((r[2] as ClientResponseError).status).toBe(404);
  });

  it("raises ClientConnectionError for a refused connection", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await withSession(function* (s) {
      try {
        yield* s.get(`http://127.0.0.1:${port}/`);
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(ClientConnectionError);
    expect((err as ClientConnectionError).code).toBe("ECONNREFUSED");
  });

  it("refuses bad arguments at the call, and requests on a closed session", async () => {
    await withSession(function* (s) {
      expect(() => s.get("http://127.0.0.1:99999/")).toThrow(TypeError);
      expect(() => s.get("ftp://127.0.0.1/")).toThrow(/http/);
      expect(() => s.request("GE T", "/")).toThrow(/'method'/);
      expect(() => s.post("/", { data: "a", json: 1 })).toThrow(/together/);
      expect(() => s.get("/", { maxRedirects: -1 })).toThrow(RangeError);
      expect(() => s.get("/", { timeout: "1" as never })).toThrow(/'timeout'/);
      yield* s.close();
      expect(s.closed).toBe(true);
      let closedErr: unknown;
      try {
        yield* s.get("/");
      } catch (e) {
        closedErr = e;
      }
      expect(closedErr).toBeInstanceOf(asyncio.RuntimeError);
    });
    expect(() => new ClientTimeout({ total: -1 })).toThrow(RangeError);
    expect(() => new ClientSession({ limitPerHost: 0 })).toThrow(RangeError);
  });
});

describe("ClientSession: cancellation and timeouts", () => {
  it("cancelling the awaiting task aborts the request: the server sees the connection close", async () => {
    hangArrived = deferred();
    const outcome = await withSession(function* (s) {
      const task = asyncio.createTask(
        (function* () {
          return yield* s.get("/hang");
        })(),
      );
      const { closed } = yield* asyncio.fromPromise(hangArrived.promise);
      task.cancel();
      let cancelled = false;
      try {
        yield* task;
      } catch (e) {
        cancelled = e instanceof asyncio.CancelledError;
      }
      yield* asyncio.fromPromise(closed);
      return cancelled;
    });
    expect(outcome).toBe(true);
  });

  it("cancelling a body read aborts the transfer", async () => {
    hangArrived = deferred();
    const outcome = await withSession(function* (s) {
      const resp = yield* s.get("/slow-body");
      const { closed } = yield* asyncio.fromPromise(hangArrived.promise);
      const reader = asyncio.createTask(resp.text());
      yield* asyncio.sleep(0);
      reader.cancel();
      try {
        yield* reader;
      } catch {
        // cancelled
      }
      yield* asyncio.fromPromise(closed);
      return reader.cancelled();
    });
    expect(outcome).toBe(true);
  });

  it("the total timeout, on the loop's clock, raises TimeoutError and aborts the request", async () => {
    hangArrived = deferred();
    // The clock moves by hand once the server holds the request, however slow the machine.
    const err = await withSession(
      function* (s) {
        const task = asyncio.createTask(caught(s.get("/hang")));
        yield* asyncio.fromPromise(hangArrived.promise);
        (asyncio.getRunningLoop() as asyncio.VirtualEventLoop).advance(5);
        return yield* task;
      },
      { timeout: new ClientTimeout({ total: 5 }) },
    );
    expect(err).toBeInstanceOf(asyncio.TimeoutError);
    await (await hangArrived.promise).closed;
  });

  it("the total timeout covers reading the body", async () => {
    hangArrived = deferred();
    // The clock moves by hand once the reader waits for the rest of the body: the headers
    // arrive first however slowly the machine answers.
    const { err, readerWasWaiting } = await withSession(function* (s) {
      const resp = yield* s.get("/slow-body", { timeout: 5 });
      expect(resp).toBeInstanceOf(ClientResponse);
      yield* asyncio.fromPromise(hangArrived.promise);
      const reader = asyncio.createTask(caught(resp.text()));
      yield* asyncio.sleep(0);
      const readerWasWaiting = !reader.done();
      (asyncio.getRunningLoop() as asyncio.VirtualEventLoop).advance(5);
      return { err: yield* reader, readerWasWaiting };
    });
    expect(readerWasWaiting).toBe(true);
    expect(err).toBeInstanceOf(asyncio.TimeoutError);
    await (await hangArrived.promise).closed;
  });

  it("closing the session aborts requests in flight", async () => {
    hangArrived = deferred();
    const err = await withSession(function* (s) {
      const task = asyncio.createTask(
        (function* () {
          return yield* s.get("/hang");
        })(),
      );
      yield* asyncio.fromPromise(hangArrived.promise);
      yield* s.close();
      try {
        yield* task;
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(ClientConnectionError);
  });
});

// ------------------------------------------------------------------ redirects across origins

/** What a redirect target saw: its scheme, method, headers and body. */
interface Seen {
  scheme: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One handler for every server of the redirect tests: `/to?url=…&status=…` redirects,
 * `/seen` answers what it received.
 */
function redirectHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (url.pathname === "/to") {
      res.writeHead(Number(url.searchParams.get("status") ?? 302), {
        location: url.searchParams.get("url") ?? "/seen",
      });
      res.end();
      return;
    }
    const seen: Seen = {
      scheme: (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http",
      method: req.method ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    };
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(seen));
  });
}

/**
 * A server speaking both HTTP and HTTPS on one port (the first byte of a TLS connection is
 * 0x16), so that a redirect can change the scheme alone.
 */
function dualServer(): { front: NetServer; close: () => void } {
  const plain = createServer(redirectHandler);
  const secure = createHttpsServer(selfSignedCert(), redirectHandler);
  const sockets = new Set<Socket>();
  const front = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 ? secure : plain).emit("connection", socket);
      process.nextTick(() => socket.resume());
    });
  });
  return {
    front,
    close: () => {
      for (const s of sockets) s.destroy();
      front.close();
    },
  };
}

function listen(server: NetServer, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"] as const;

describe("ClientSession: redirects and credentials", () => {
  let main: ReturnType<typeof dualServer>;
  let otherHost: ReturnType<typeof dualServer>;
  let otherPort: ReturnType<typeof dualServer>;
  /** The port of `main` (127.0.0.1) and of `otherHost` (127.0.0.2). */
  let port = 0;
  let port2 = 0;
  const rejectUnauthorized = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

  beforeAll(async () => {
    main = dualServer();
    otherHost = dualServer();
    otherPort = dualServer();
    port = await listen(main.front, "127.0.0.1");
    await listen(otherHost.front, "127.0.0.2", port);
    port2 = await listen(otherPort.front, "127.0.0.1");
    // The test certificate is self-signed: this file's process trusts it.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
  });
  afterAll(() => {
    if (rejectUnauthorized === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = rejectUnauthorized;
    for (const s of [main, otherHost, otherPort]) s.close();
  });

  const to = (from: string, target: string, status = 302): string =>
    `${from}/to?${new URLSearchParams({ url: target, status: String(status) })}`;

  function* follow(
    s: ClientSession,
    method: string,
    url: string,
    options: Parameters<ClientSession["request"]>[2] = {},
  ): asyncio.Coroutine<Seen & { url: string }> {
    const resp = yield* s.request(method, url, options);
    return { ...((yield* resp.json()) as Seen), url: resp.url.href };
  }

  const changes = [
    ["the scheme (https to http: a downgrade)", "https://127.0.0.1:P", "http://127.0.0.1:P"],
    ["the scheme (http to https)", "http://127.0.0.1:P", "https://127.0.0.1:P"],
    ["the host", "http://127.0.0.1:P", "http://127.0.0.2:P"],
    ["the port", "http://127.0.0.1:P", "http://127.0.0.1:Q"],
  ] as const;
  const at = (u: string): string => u.replace("P", String(port)).replace("Q", String(port2));

  for (const [what, from, target] of changes) {
    for (const header of CREDENTIALS) {
      it(`drops ${header} when a redirect changes ${what}`, async () => {
        const seen = await withSession(function* (s) {
          return yield* follow(s, "GET", to(at(from), `${at(target)}/seen`), {
            headers: { [header]: "secret", "x-other": "kept" },
          });
        });
        expect(seen.url).toBe(`${at(target)}/seen`);
        expect(seen.scheme).toBe(at(target).split(":")[0]);
        expect(seen.headers[header]).toBeUndefined();
        expect(seen.headers["x-other"]).toBe("kept");
      });
    }
  }

  it("drops the session's default credentials too, and keeps them for the next request", async () => {
    const [seen, again] = await withSession(
      function* (s) {
        const away = yield* follow(
          s,
          "GET",
          to(`http://127.0.0.1:${port}`, `http://127.0.0.1:${port2}/seen`),
          { headers: { cookie: "c=1", "proxy-authorization": "Basic eDp5" } },
        );
        const home = yield* follow(s, "GET", `http://127.0.0.1:${port2}/seen`);
        return [away, home];
      },
      { headers: { authorization: "Bearer T" } },
    );
    for (const h of CREDENTIALS) expect(seen.headers[h]).toBeUndefined();
    expect(again.headers.authorization).toBe("Bearer T");
  });

  it("keeps every credential on a same-origin redirect", async () => {
    for (const origin of [`http://127.0.0.1:${port}`, `https://127.0.0.1:${port}`]) {
      const seen = await withSession(
        function* (s) {
          return yield* follow(s, "GET", to(origin, `${origin}/seen`), {
            headers: { cookie: "c=1", "proxy-authorization": "Basic eDp5" },
          });
        },
        { headers: { authorization: "Bearer T" } },
      );
      expect(seen.url).toBe(`${origin}/seen`);
      expect({
        authorization: seen.headers.authorization,
        cookie: seen.headers.cookie,
        "proxy-authorization": seen.headers["proxy-authorization"],
      }).toEqual({ authorization: "Bearer T", cookie: "c=1", "proxy-authorization": "Basic eDp5" });
    }
  });

  it("a Host header set by the caller stays on its origin", async () => {
    const [away, home] = await withSession(function* (s) {
      const options = { headers: { host: "app.example" } };
      const from = `http://127.0.0.1:${port}`;
      return [
        yield* follow(s, "GET", to(from, `http://127.0.0.1:${port2}/seen`), options),
        yield* follow(s, "GET", to(from, `${from}/seen`), options),
      ];
    });
    expect(away.headers.host).toBe(`127.0.0.1:${port2}`);
    expect(home.headers.host).toBe("app.example");
  });

  it("a redirect that switches to GET drops the body and the body's headers", async () => {
    const origin = `http://127.0.0.1:${port}`;
    const headers = {
      "content-type": "text/x-custom",
      "content-language": "fr",
      "content-encoding": "identity",
      "x-other": "kept",
    };
    const r = await withSession(function* (s) {
      const out: Record<string, Seen> = {};
      for (const [method, status] of [
        ["POST", 303],
        ["PUT", 303],
        ["POST", 301],
        ["POST", 302],
      ] as const) {
        out[`${method} ${status}`] = yield* follow(s, method, to(origin, "/seen", status), {
          data: "payload",
          headers,
        });
      }
      return out;
    });
    for (const [key, seen] of Object.entries(r)) {
      expect({ key, method: seen.method, body: seen.body }).toEqual({
        key,
        method: "GET",
        body: "",
      });
      for (const h of ["content-type", "content-length", "content-language", "content-encoding"])
        expect({ key, h, value: seen.headers[h] }).toEqual({ key, h, value: undefined });
      expect(seen.headers["transfer-encoding"]).toBeUndefined();
      expect(seen.headers["x-other"]).toBe("kept");
    }
  });

  it("307 and 308 keep the method, the body and its headers", async () => {
    const origin = `http://127.0.0.1:${port}`;
    const r = await withSession(function* (s) {
      const out: Seen[] = [];
      for (const status of [307, 308]) {
        out.push(
          yield* follow(s, "POST", to(origin, "/seen", status), {
            data: "payload",
            headers: { "content-language": "fr" },
          }),
        );
      }
      return out;
    });
    for (const seen of r) {
      expect(seen).toMatchObject({ method: "POST", body: "payload" });
      expect(seen.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(seen.headers["content-language"]).toBe("fr");
    }
  });

  it("the total timeout still runs after a redirect", async () => {
    hangArrived = deferred();
    const err = await withSession(function* (s) {
      const task = asyncio.createTask(
        caught(s.get(to(`http://127.0.0.1:${port}`, `${base}/hang`), { timeout: 5 })),
      );
      yield* asyncio.fromPromise(hangArrived.promise);
      (asyncio.getRunningLoop() as asyncio.VirtualEventLoop).advance(5);
      return yield* task;
    });
    expect(err).toBeInstanceOf(asyncio.TimeoutError);
    await (await hangArrived.promise).closed;
  });
});

// ------------------------------------------------------------------ unread responses

describe("ClientSession: responses dropped unread", () => {
  /** Gets /big (1 MB: more than the socket buffers hold) and drops the response unread. */
  function* getAndDrop(s: ClientSession, path: string): asyncio.Coroutine<void> {
    const resp = yield* s.get(path);
    expect(resp.status).toBe(200);
  }

  it("a response garbage-collected unread gives its connection back to the pool", async () => {
    const ports = await withSession(
      function* (s) {
        yield* getAndDrop(s, "/big");
        yield* getAndDrop(s, "/big");
        yield* asyncio.fromPromise(collectGarbage());
        // Both connections were taken by unread bodies: this one waits until they are freed.
        const seen = (yield* (yield* s.get("/echo")).json()) as { port: number };
        return seen.port;
      },
      { limitPerHost: 2 },
    );
    expect(ports).toBeTypeOf("number");
  });

  it("the same after a redirect", async () => {
    const r = await withSession(
      function* (s) {
        yield* getAndDrop(s, "/redirect-big");
        yield* asyncio.fromPromise(collectGarbage());
        return yield* (yield* s.get("/")).text();
      },
      { limitPerHost: 1 },
    );
    expect(r).toBe("hello");
  });

  it("a response still referenced keeps its body readable", async () => {
    const r = await withSession(function* (s) {
      const resp = yield* s.get("/big");
      yield* asyncio.fromPromise(collectGarbage());
      return (yield* resp.text()).length;
    });
    expect(r).toBe(1_000_000);
  });
});

// ------------------------------------------------------------------ decoding

describe("ClientResponse.text: decoding", () => {
  it("raises UnicodeDecodeError for invalid UTF-8, naming the encoding and the byte offset", async () => {
    const err = await withSession(function* (s) {
      return yield* caught((yield* s.get("/bad-utf8")).text());
    });
    expect(err).toBeInstanceOf(asyncio.UnicodeDecodeError);
    expect(err).toBeInstanceOf(TypeError);
    const e = err as asyncio.UnicodeDecodeError;
    expect({ encoding: e.encoding, start: e.start }).toEqual({ encoding: "utf-8", start: 3 });
    expect(e.message).toMatch(/utf-8.*offset 3/);
    expect(e.message).toMatch(/errors: "replace"/);
  });

  it("json() is strict too", async () => {
    const err = await withSession(function* (s) {
      return yield* caught((yield* s.get("/bad-utf8")).json());
    });
    expect(err).toBeInstanceOf(asyncio.UnicodeDecodeError);
  });

  it("finds the offset of a truncated sequence at the end, and in another encoding", async () => {
    const r = await withSession(function* (s) {
      const truncated = yield* caught((yield* s.get("/truncated-utf8")).text());
      const sjis = yield* caught((yield* s.get("/bad-utf8")).text("shift_jis"));
      return [truncated, sjis] as asyncio.UnicodeDecodeError[];
    });
    expect(r[0]).toMatchObject({ encoding: "utf-8", start: 2 });
    expect(r[1]).toBeInstanceOf(asyncio.UnicodeDecodeError);
    expect(r[1]?.encoding).toBe("shift_jis");
  });

  it('decodes leniently with { errors: "replace" }', async () => {
    const r = await withSession(function* (s) {
      const a = yield* (yield* s.get("/bad-utf8")).text({ errors: "replace" });
      const b = yield* (yield* s.get("/bad-utf8")).text("utf-8", { errors: "replace" });
      const c = yield* (yield* s.get("/latin1")).text({ errors: "strict" });
      return [a, b, c];
    });
    expect(r).toEqual(["caf\ufffd!", "caf\ufffd!", "café"]);
  });

  it("refuses a bad errors value or encoding at the call", async () => {
    const r = await withSession(function* (s) {
      const resp = yield* s.get("/");
      const bad = yield* caught(resp.text({ errors: "ignore" as never }));
      const enc = yield* caught(resp.text("no-such-encoding"));
      const notString = yield* caught(resp.text(42 as never));
      return [bad, enc, notString, yield* resp.text()];
    });
    expect(r[0]).toBeInstanceOf(RangeError);
    expect(String(r[0])).toMatch(/'errors'.*"ignore"/);
    expect(r[1]).toBeInstanceOf(RangeError);
    expect(String(r[2])).toMatch(/TypeError: text\(\): 'encoding' must be a string: received 42/);
    expect(r[3]).toBe("hello");
  });
});
