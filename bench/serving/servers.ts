// The servers of the serving benchmark, one per process: `node servers.mjs IMPL WORKLOAD`
// listens on a free loopback port and prints {"port": N} once ready.
//   IMPL: asyncio_ts | node_http | fastify   WORKLOAD: hello | json
//   IMPL: asyncio_ts | ws                    WORKLOAD: ws_echo
// Every implementation answers the same bytes: hello → "Hello, World!" (text/plain);
// json → POST /echo parses the JSON body and answers {"received": body, "ok": true}.
import * as nodeHttp from "node:http";
import Fastify from "fastify";
import { WebSocketServer } from "ws";
import * as http from "../../src/http/index.js";
import * as asyncio from "../../src/index.js";
import * as websockets from "../../src/websockets/index.js";

const [impl, workload] = process.argv.slice(2);
const HELLO = "Hello, World!";
const ready = (port: number) => console.log(JSON.stringify({ port }));

function asyncioTs(): void {
  if (workload === "ws_echo") {
    void asyncio.run(
      (function* () {
        const server = yield* websockets.serve(
          function* (ws) {
            yield* asyncio.asyncFor(ws, (msg) => ws.send(msg));
          },
          "127.0.0.1",
          0,
          { pingInterval: null },
        );
        ready(server.port);
        yield* server.serveForever();
      })(),
    );
    return;
  }
  const app = new http.Application();
  app.router.addGet("/", function* () {
    return new http.Response(HELLO);
  });
  app.router.addPost("/echo", function* (request) {
    return http.jsonResponse({ received: yield* request.json(), ok: true });
  });
  void asyncio.run(http.runApp(app, "127.0.0.1", 0, { onReady: (s) => ready(s.port) }));
}

function nodeHttpServer(): void {
  const server = nodeHttp.createServer((req, res) => {
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": 13 });
      res.end(HELLO);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const out = JSON.stringify({ received: body, ok: true });
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(out),
      });
      res.end(out);
    });
  });
  server.listen(0, "127.0.0.1", () => ready((server.address() as { port: number }).port));
}

function fastifyServer(): void {
  const app = Fastify({ logger: false });
  app.get("/", async (_req, reply) => {
    reply.type("text/plain; charset=utf-8");
    return HELLO;
  });
  app.post("/echo", async (req) => ({ received: req.body, ok: true }));
  app.listen({ host: "127.0.0.1", port: 0 }).then(() => {
    ready((app.server.address() as { port: number }).port);
  });
}

function wsServer(): void {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  wss.on("connection", (s) => {
    s.on("message", (data, isBinary) => s.send(data, { binary: isBinary }));
  });
  wss.on("listening", () => ready((wss.address() as { port: number }).port));
}

const servers: Record<string, () => void> = {
  asyncio_ts: asyncioTs,
  node_http: nodeHttpServer,
  fastify: fastifyServer,
  ws: wsServer,
};
const start = servers[impl ?? ""];
if (start === undefined) {
  console.error(`servers: unknown implementation ${JSON.stringify(impl)}`);
  process.exit(2);
}
start();
