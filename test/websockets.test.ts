/**
 * WebSockets (src/websockets): our server against our client and against the `ws`
 * library's client, our client against a plain `ws` server; messages, iteration, recv
 * timeouts, close codes, oversized frames, backpressure, keepalive against a dead peer
 * (virtual time), the handler task cancelled on close, shutdown, one port with HTTP.
 */
import { describe, expect, it } from "vitest";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import * as http from "../src/http/index.js";
import * as asyncio from "../src/index.js";
import * as websockets from "../src/websockets/index.js";
import { runNode } from "./fixtures/net_helpers.js";
import { caught, runVirtual } from "./helpers.js";

const echo: websockets.ConnectionHandler = function* (ws) {
  yield* asyncio.asyncFor(ws, (msg) => ws.send(msg));
};

function* withServer<T>(
  handler: websockets.ConnectionHandler,
  body: (server: websockets.WebSocketServer) => asyncio.Coroutine<T>,
  options: websockets.WebSocketServeOptions = {},
): asyncio.Coroutine<T> {
  const server = yield* websockets.serve(handler, "127.0.0.1", 0, options);
  try {
    return yield* body(server);
  } finally {
    yield* server.shutdown(1);
  }
}

/** Opens a `ws` library client; evaluates once open. */
function* wsClient(url: string): asyncio.Coroutine<WsClient> {
  const c = new WsClient(url);
  yield* asyncio.fromPromise(
    new Promise<void>((resolve, reject) => {
      c.once("open", resolve);
      c.once("error", reject);
    }),
  );
  return c;
}

function* nextMessage(c: WsClient): asyncio.Coroutine<string> {
  return yield* asyncio.fromPromise(
    new Promise<string>((resolve) => c.once("message", (d: Buffer) => resolve(d.toString()))),
  );
}

describe("messages", () => {
  it("echoes text and binary between our client and our server", async () => {
    const { result } = await runNode(
      withServer(echo, function* (server) {
        const ws = yield* websockets.connect(`${server.url}/echo`);
        yield* ws.send("hello");
        const text = yield* ws.recv();
        yield* ws.send(new Uint8Array([1, 2, 3]));
        const bytes = yield* ws.recv();
        yield* ws.close();
        return {
          text,
          bytes: [...(bytes as Uint8Array)],
          binary: bytes instanceof Uint8Array,
          code: ws.closeCode,
          state: ws.state,
        };
      }),
    );
    expect(result).toEqual({
      text: "hello",
      bytes: [1, 2, 3],
      binary: true,
      code: 1000,
      state: "closed",
    });
  });

  it("serves the ws library's client, and ends the handler's iteration when it closes", async () => {
    const events: string[] = [];
    const handler: websockets.ConnectionHandler = function* (ws) {
      events.push(`open ${ws.request.path}`);
      yield* asyncio.asyncFor(ws, (msg) => {
        events.push(`got ${String(msg)}`);
        return ws.send(`re: ${String(msg)}`);
      });
      events.push(`iteration ended ${ws.closeCode} ${ws.closeReason}`);
    };
    const done = new asyncio.Event();
    await runNode(
      withServer(
        function* (ws) {
          try {
            yield* handler(ws);
          } finally {
            done.set();
          }
        },
        function* (server) {
          const c = yield* wsClient(`${server.url}/room`);
          const reply = nextMessage(c);
          c.send("one");
          events.push(`client ${yield* reply}`);
          c.close(1000, "bye");
          yield* done.wait();
        },
      ),
    );
    expect(events).toEqual(["open /room", "got one", "client re: one", "iteration ended 1000 bye"]);
  });

  it("connects our client to a plain ws server", async () => {
    const wss = new WsServer({ host: "127.0.0.1", port: 0 });
    wss.on("connection", (s) =>
      s.on("message", (d, binary) => s.send(binary ? d : `ws says ${d}`)),
    );
    await new Promise((r) => wss.once("listening", r));
    const port = (wss.address() as { port: number }).port;
    const { result } = await runNode(
      (function* () {
        return yield* asyncio.asyncWith(
          websockets.connect(`ws://127.0.0.1:${port}`),
          function* (ws) {
            yield* ws.send("hi");
            return yield* ws.recv();
          },
        );
      })(),
    );
    wss.close();
    expect(result).toBe("ws says hi");
  });

  it("recv() with a timeout raises TimeoutError and the connection stays usable (virtual time)", async () => {
    const { result } = await runVirtual(
      withServer(
        function* (ws) {
          const first = yield* ws.recv();
          yield* asyncio.sleep(30);
          yield* ws.send(`late ${String(first)}`);
          yield* ws.recv();
        },
        function* (server) {
          const ws = yield* websockets.connect(server.url);
          yield* ws.send("x");
          const loop = asyncio.getRunningLoop();
          const t0 = loop.time();
          const e = yield* caught(ws.recv(10));
          const waited = loop.time() - t0;
          const msg = yield* ws.recv(60);
          yield* ws.close();
          return { e: String(e), waited, msg };
        },
      ),
    );
    expect(result).toEqual({
      e: "TimeoutError: recv(): no message within 10 seconds",
      waited: 10,
      msg: "late x",
    });
  });

  it("checks its arguments at the call", async () => {
    expect(() => websockets.connect("http://x")).toThrow(websockets.InvalidURI);
    expect(() => websockets.connect("not a url")).toThrow(/isn't a valid WebSocket URI/);
    expect(() => websockets.connect("ws://x", { pingInterval: -1 })).toThrow(
      /'pingInterval' must be a number of seconds > 0 or null: received -1/,
    );
    expect(() => websockets.route("x" as never)).toThrow(/'handler' must be a coroutine function/);
    await runNode(
      withServer(echo, function* (server) {
        const ws = yield* websockets.connect(server.url);
        expect(String(yield* caught(ws.send(42 as never)))).toMatch(
          /'message' must be a string or bytes: received 42/,
        );
        expect(String(yield* caught(ws.close(1005)))).toMatch(
          /'code' must be 1000-1003, 1007-1014 or 3000-4999: received 1005/,
        );
        expect(String(yield* caught(ws.recv(-1)))).toMatch(
          /'timeout' must be a number of seconds >= 0/,
        );
        yield* ws.close();
      }),
    );
  });
});

describe("closing", () => {
  it("carries close codes and reasons both ways; recv after close raises ConnectionClosed", async () => {
    const { result } = await runNode(
      withServer(
        function* (ws) {
          const msg = yield* ws.recv();
          if (msg === "leave") yield* ws.close(4001, "asked to leave");
        },
        function* (server) {
          const ws = yield* websockets.connect(server.url);
          yield* ws.send("leave");
          const e = yield* caught(ws.recv());
          const again = yield* caught(ws.send("more"));
          return { e, again, code: ws.closeCode, reason: ws.closeReason };
        },
      ),
    );
    expect(result.e).toBeInstanceOf(websockets.ConnectionClosedError);
    expect(String(result.e)).toBe("ConnectionClosedError: received 4001 (unknown); asked to leave");
    expect(result.again).toBeInstanceOf(websockets.ConnectionClosed);
    expect([result.code, result.reason]).toEqual([4001, "asked to leave"]);
  });

  it("closes with 1000 when the handler returns and 1011 when it throws (reported)", async () => {
    const { result, reports } = await runNode(
      withServer(
        function* (ws) {
          const msg = yield* ws.recv();
          if (msg === "fail") throw new Error("handler failed");
        },
        function* (server) {
          const a = yield* websockets.connect(server.url);
          yield* a.send("fine");
          yield* a.waitClosed();
          const b = yield* websockets.connect(server.url);
          yield* b.send("fail");
          yield* b.waitClosed();
          return [a.closeCode, b.closeCode, b.closeReason];
        },
      ),
      { allowReports: true },
    );
    expect(result).toEqual([1000, 1011, "internal error"]);
    expect(reports.map((r) => String(r.exception))).toEqual(["Error: handler failed"]);
  });

  it("closes a connection whose message is over maxSize with 1009, on both sides", async () => {
    let serverSide: number | null = null;
    const handled = new asyncio.Event();
    const { result } = await runNode(
      withServer(
        function* (ws) {
          try {
            yield* echo(ws);
          } finally {
            serverSide = ws.closeCode;
            handled.set();
          }
        },
        function* (server) {
          const ws = yield* websockets.connect(server.url);
          yield* ws.send("x".repeat(2000));
          yield* ws.waitClosed();
          yield* handled.wait();
          return [ws.closeCode, serverSide];
        },
        { maxSize: 1000 },
      ),
    );
    expect(result).toEqual([1009, 1009]);
  });

  it("cancels the handler task when the connection closes while it waits on something else", async () => {
    const events: string[] = [];
    const waiting = new asyncio.Event();
    await runNode(
      withServer(
        function* (ws) {
          const never = new asyncio.Event();
          try {
            waiting.set();
            yield* never.wait();
          } catch (e) {
            events.push(e instanceof asyncio.CancelledError ? `cancelled: ${e.message}` : "other");
            throw e;
          } finally {
            events.push(`finally, closed with ${ws.closeCode}`);
          }
        },
        function* (server) {
          const ws = yield* websockets.connect(server.url);
          yield* waiting.wait();
          yield* ws.close(1000, "leaving");
          while (events.length < 2) yield* asyncio.sleep(0.001);
        },
      ),
    );
    expect(events).toEqual([
      "cancelled: the WebSocket connection was closed",
      "finally, closed with 1000",
    ]);
  });

  it("closes open connections with 1001 at shutdown", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* websockets.serve(echo, "127.0.0.1", 0);
        const ws = yield* websockets.connect(server.url);
        yield* server.shutdown(5);
        yield* ws.waitClosed();
        return [ws.closeCode, ws.closeReason];
      })(),
    );
    expect(result).toEqual([1001, "server shutting down"]);
  });
});

describe("at loop close", () => {
  it("drops connections and servers still open when the loop closes", async () => {
    const wss = new WsServer({ host: "127.0.0.1", port: 0 });
    await new Promise((r) => wss.once("listening", r));
    const closed = new Promise<number>((resolve) =>
      wss.on("connection", (s) => s.on("close", (code) => resolve(code))),
    );
    const port = (wss.address() as { port: number }).port;
    await runNode(
      (function* () {
        yield* websockets.connect(`ws://127.0.0.1:${port}`); // never closed
        const server = yield* websockets.serve(echo, "127.0.0.1", 0);
        yield* websockets.connect(server.url); // neither is this, nor the server
      })(),
    );
    expect(await closed).toBe(1006);
    wss.close();
  });
});

describe("flow control", () => {
  it("send() waits while the peer does not read, and resumes when it does", async () => {
    const blocked = new asyncio.Event();
    const total = 64;
    const chunk = "x".repeat(256 * 1024);
    let sent = 0;
    const { result } = await runNode(
      withServer(
        function* (ws) {
          for (let i = 0; i < total; i++) {
            if (ws.raw.bufferedAmount >= 64 * 1024) blocked.set();
            yield* ws.send(chunk);
            sent++;
          }
          yield* ws.recv();
        },
        function* (server) {
          const c = new WsClient(server.url);
          const socketOf = () => (c as unknown as { _socket: import("node:net").Socket })._socket;
          let received = 0;
          const all = new asyncio.Event();
          c.on("message", () => {
            if (++received === total) all.set();
          });
          yield* asyncio.fromPromise(new Promise((r) => c.once("upgrade", r)));
          socketOf().pause(); // a slow reader: the server's writes pile up
          yield* blocked.wait();
          const sentWhileBlocked = sent;
          socketOf().resume();
          yield* all.wait();
          c.send("done");
          c.close();
          return { sentWhileBlocked, received };
        },
        { writeLimit: 64 * 1024 },
      ),
    );
    expect(result.sentWhileBlocked).toBeLessThan(total);
    expect(result.received).toBe(total);
  });
});

describe("receiving", () => {
  it("stops reading past maxQueue unread messages and reads on once they are taken", async () => {
    const states: string[] = [];
    const full = new asyncio.Event();
    const { result } = await runNode(
      withServer(
        function* (ws) {
          while (!ws.raw.isPaused) yield* asyncio.sleep(0.001);
          states.push("paused");
          const got: string[] = [];
          for (let i = 0; i < 10; i++) got.push(String(yield* ws.recv()));
          states.push(ws.raw.isPaused ? "still paused" : "reading again");
          yield* ws.send(got.join(","));
          full.set();
        },
        function* (server) {
          const ws = yield* websockets.connect(server.url);
          for (let i = 0; i < 10; i++) yield* ws.send(String(i));
          const all = yield* ws.recv();
          yield* full.wait();
          yield* ws.close();
          return all;
        },
        { maxQueue: 4 },
      ),
    );
    expect(result).toBe("0,1,2,3,4,5,6,7,8,9");
    expect(states).toEqual(["paused", "reading again"]);
  });

  it("raises OSError when the server cannot be reached, InvalidStatus when it refuses", async () => {
    const { result } = await runNode(
      (function* () {
        const probe = yield* http.serve(new http.Application(), "127.0.0.1", 0);
        const port = probe.port;
        const e404 = yield* caught(websockets.connect(`ws://127.0.0.1:${port}/`));
        yield* probe.shutdown(1);
        const refused = yield* caught(websockets.connect(`ws://127.0.0.1:${port}/`));
        return { e404, refused };
      })(),
    );
    expect(result.e404).toBeInstanceOf(websockets.InvalidStatus);
    expect((result.e404 as websockets.InvalidStatus).status).toBe(404);
    expect(result.refused).toBeInstanceOf(asyncio.ConnectionRefusedError);
  });

  it("server.close() and waitClosed() close connections like shutdown()", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* websockets.serve(echo, "127.0.0.1", 0);
        const ws = yield* websockets.connect(server.url);
        server.close();
        yield* server.waitClosed();
        yield* ws.waitClosed();
        return ws.closeCode;
      })(),
    );
    expect(result).toBe(1001);
  });
});

describe("the public surface", () => {
  it("exports exactly these names", () => {
    expect(Object.keys(websockets).sort()).toEqual([
      "ClientConnection",
      "Connect",
      "Connection",
      "ConnectionClosed",
      "ConnectionClosedError",
      "ConnectionClosedOK",
      "InvalidStatus",
      "InvalidURI",
      "ServerConnection",
      "WebSocketServer",
      "connect",
      "route",
      "serve",
    ]);
  });
});

describe("keepalive (virtual time)", () => {
  it("closes a peer that stops answering pings with 1011 after pingTimeout", async () => {
    const events: string[] = [];
    await runVirtual(
      withServer(
        function* (ws) {
          const loop = asyncio.getRunningLoop();
          const t0 = loop.time();
          const e = yield* caught(ws.recv());
          events.push(`${String(e)} after ${loop.time() - t0}`);
        },
        function* (server) {
          // A dead peer: it completes the handshake by hand, then never reads again.
          const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", server.port);
          writer.write(
            Buffer.from(
              "GET / HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n" +
                "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
            ),
          );
          const head = (yield* reader.readuntil(Buffer.from("\r\n\r\n"))).toString();
          events.push(head.split("\r\n")[0] as string);
          while ((yield* reader.read(1024)).length > 0) {
            // pings, then the close frame, then EOF
          }
          events.push("peer saw EOF");
          writer.close();
        },
        { pingInterval: 5, pingTimeout: 3 },
      ),
    );
    expect(events).toEqual([
      "HTTP/1.1 101 Switching Protocols",
      "ConnectionClosedError: received 1011 (internal error); keepalive ping timeout after 8",
      "peer saw EOF",
    ]);
  });

  it("measures latency with ping() against a live peer", async () => {
    const { result } = await runNode(
      withServer(echo, function* (server) {
        const ws = yield* websockets.connect(server.url);
        const rtt = yield* ws.ping();
        yield* ws.close();
        return rtt >= 0 && ws.latency === rtt;
      }),
    );
    expect(result).toBe(true);
  });
});

describe("one port with HTTP", () => {
  it("routes WebSockets beside HTTP through the same middlewares; plain HTTP to it gets 426", async () => {
    const auth: http.Middleware = function* (request, handler) {
      if (request.query.get("token") !== "t") throw new http.HTTPForbidden();
      return yield* handler(request);
    };
    const app = new http.Application({ middlewares: [auth] });
    app.router.addGet("/", function* () {
      return new http.Response("page");
    });
    app.router.addGet("/ws", websockets.route(echo));
    const { result } = await runNode(
      (function* () {
        const server = yield* http.serve(app, "127.0.0.1", 0);
        const wsUrl = server.url.replace("http:", "ws:");
        const session = new http.ClientSession({ baseUrl: server.url });
        const page = yield* session.get("/?token=t");
        const pageText = yield* page.text();
        const plain = yield* session.get("/ws?token=t");
        const ws = yield* websockets.connect(`${wsUrl}/ws?token=t`);
        yield* ws.send("same port");
        const echoed = yield* ws.recv();
        yield* ws.close();
        const refused = yield* caught(websockets.connect(`${wsUrl}/ws`));
        const missing = yield* caught(websockets.connect(`${wsUrl}/nope?token=t`));
        yield* session.close();
        yield* server.shutdown(1);
        return {
          pageText,
          plain: plain.status,
          echoed,
          refused: (refused as websockets.InvalidStatus).status,
          missing: (missing as websockets.InvalidStatus).status,
        };
      })(),
    );
    expect(result).toEqual({
      pageText: "page",
      plain: 426,
      echoed: "same port",
      refused: 403,
      missing: 404,
    });
  });
});
