import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import {
  ClientConnectionError,
  ClientResponse,
  ClientResponseError,
  ClientSession,
  ClientTimeout,
  TooManyRedirects,
} from "../src/io/http.js";
import { runVirtual } from "./helpers.js";

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

function withSession<T>(
  body: (s: ClientSession) => asyncio.Coroutine<T>,
  options: ConstructorParameters<typeof ClientSession>[0] = {},
): Promise<T> {
  return runVirtual(asyncio.asyncWith(new ClientSession({ baseUrl: base, ...options }), body)).then(
    (r) => r.result,
  );
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
    // The Node loop: a virtual clock holds still while the request is outside work.
    const err = await asyncio.run(
      asyncio.asyncWith(
        new ClientSession({ baseUrl: base, timeout: new ClientTimeout({ total: 0.05 }) }),
        function* (s) {
          try {
            yield* s.get("/hang");
          } catch (e) {
            return e;
          }
        },
      ),
    );
    expect(err).toBeInstanceOf(asyncio.TimeoutError);
    await (await hangArrived.promise).closed;
  });

  it("the total timeout covers reading the body", async () => {
    hangArrived = deferred();
    const err = await asyncio.run(
      asyncio.asyncWith(new ClientSession({ baseUrl: base }), function* (s) {
        const resp = yield* s.get("/slow-body", { timeout: 0.05 });
        expect(resp).toBeInstanceOf(ClientResponse);
        try {
          yield* resp.text();
        } catch (e) {
          return e;
        }
      }),
    );
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
