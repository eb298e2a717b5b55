/**
 * The placeholder helpers that documentation examples use without defining them, as a page
 * says "`yield* download(url)`" without spelling out a download. The test of the examples
 * (test/doc_examples.test.ts) imports into each example those of these names it uses and
 * does not declare; docs/contributing.md lists them. Each is small, real and quick on the
 * virtual-time loop, so an example that uses them runs.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ClientLog } from "../../examples/testing/reconnect.js";
import * as asyncio from "../../src/index.js";
import { echoLines } from "../fixtures/net_helpers.js";

/** The quote server and reconnecting client of examples/testing/reconnect.ts. */
export { quoteServer, reconnectingClient } from "../../examples/testing/reconnect.js";

/** A user record, as `fetchUser` returns it. */
export interface User {
  id: number;
  name: string;
}

/** A unit of work on a queue. */
export interface Job {
  id: number;
}

/** A URL, and a few: examples never reach the network with them (see `fetchText`). */
export const url = "https://example.com/";
export const urls = ["https://example.com/a", "https://example.com/b"];
/** User ids. */
export const ids = [1, 2, 3];
/** A job, and a queue item. */
export const job: Job = { id: 1 };
export const item = 1;
/** Some data to save. */
export const data = "some data";

/** Does a little work: sleeps 0.1 s and returns `"done"`. */
export function* work(): asyncio.Coroutine<string> {
  yield* asyncio.sleep(0.1);
  return "done";
}

/** The walkthrough's `count`: prints One, sleeps 1 s, prints Two; returns 1. */
export function* count(): asyncio.Coroutine<number> {
  console.log("One");
  yield* asyncio.sleep(1);
  console.log("Two");
  return 1;
}

/** Prints `msg` after `delay` seconds. */
export function* say(msg: string, delay: number): asyncio.Coroutine<void> {
  yield* asyncio.sleep(delay);
  console.log(msg);
}

/** Returns 1 after 0.1 s. */
export function* a(): asyncio.Coroutine<number> {
  yield* asyncio.sleep(0.1);
  return 1;
}

/** Returns 2 after 0.2 s. */
export function* b(): asyncio.Coroutine<number> {
  yield* asyncio.sleep(0.2);
  return 2;
}

/** Something slow: 10 s. */
export function* slow(): asyncio.Coroutine<string> {
  yield* asyncio.sleep(10);
  return "slow";
}

/** A slow database query: 3 s. */
export function* slowQuery(): asyncio.Coroutine<string[]> {
  yield* asyncio.sleep(3);
  return ["row"];
}

/** A task that would run for an hour. */
export function* longRunningTask(): asyncio.Coroutine<string> {
  yield* asyncio.sleep(3600);
  return "finished";
}

/** Polls for ever, once a second. */
export function* poll(): asyncio.Coroutine<never> {
  for (;;) yield* asyncio.sleep(1);
}

/** A worker: works for a second, returns `"worked"`. */
export function* worker(): asyncio.Coroutine<string> {
  yield* asyncio.sleep(1);
  return "worked";
}

/** "Downloads" `url` in 0.1 s (no network): returns its pretend body. */
export function* download(url: string): asyncio.Coroutine<string> {
  yield* asyncio.sleep(0.1);
  return `<body of ${url}>`;
}

/** "Fetches" the text at `url` in 0.1 s (no network). */
export function* fetchText(url: string): asyncio.Coroutine<string> {
  yield* asyncio.sleep(0.1);
  return `text of ${url}`;
}

/** Fetches something once; it works. */
export function* fetchOnce(): asyncio.Coroutine<string> {
  yield* asyncio.sleep(0.1);
  return "fetched";
}

/** "Fetches" user `id` in 0.1 s. */
export function* fetchUser(id: number): asyncio.Coroutine<User> {
  yield* asyncio.sleep(0.1);
  return { id, name: `user${id}` };
}

/** "Fetches" the posts of user `id` in 0.1 s. */
export function* fetchPosts(id: number): asyncio.Coroutine<string[]> {
  yield* asyncio.sleep(0.1);
  return [`post by ${id}`];
}

/** Steps of a longer job: 1 s each. */
export function* step1(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(1);
}
export function* step2(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(1);
}

/** Flushes logs during cleanup: 0.1 s. */
export function* flushLogs(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(0.1);
}

/** Saves `data`: 0.5 s. */
export function* saveToDisk(data: string): asyncio.Coroutine<void> {
  yield* asyncio.sleep(0.5);
  void data;
}

/** Setup, then serving (a second), as a program's phases. */
export function* setup(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(0.1);
}
export function* serve(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(1);
}

/** A stream server's client handler: echoes each line back. */
export function* handle(
  reader: asyncio.StreamReader,
  writer: asyncio.StreamWriter,
): asyncio.Coroutine<void> {
  yield* echoLines(reader, writer);
  writer.close();
}

/** A protocol that echoes what it receives. */
export class EchoProtocol extends asyncio.Protocol {
  private transport: asyncio.Transport | null = null;
  override connectionMade(transport: asyncio.BaseTransport): void {
    this.transport = transport as asyncio.Transport;
  }
  override dataReceived(data: Uint8Array): void {
    this.transport?.write(data);
  }
}

/** A client protocol that prints what it receives. */
export class MyProtocol extends asyncio.Protocol {
  override dataReceived(data: Uint8Array): void {
    console.log(new TextDecoder().decode(data));
  }
}

/** Powers of two, one every 0.1 s: an async generator. */
export const powersOfTwo = asyncio.asyncGenerator(function* (stop: number = 10) {
  for (let i = 0; i < stop; i++) {
    yield 2 ** i;
    yield* asyncio.sleep(0.1);
  }
});

/** Runs a job: 0.1 s. */
export function* runJob(job: Job): asyncio.Coroutine<void> {
  yield* asyncio.sleep(0.1);
  void job;
}

/** The bank of examples/testing/bank.ts, with its check-then-act race, and its morning. */
export { Bank, morning, SafeBank } from "../../examples/testing/bank.js";

/** A pretend database connection, as `connect` opens it. */
export interface Connection {
  readonly name: string;
  query(sql: string): asyncio.Coroutine<string[]>;
  close(): asyncio.Coroutine<void>;
}

/** Opens a pretend connection to `name` in 0.1 s; its `close()` takes 0.1 s too. */
export function* connect(name: string): asyncio.Coroutine<Connection> {
  yield* asyncio.sleep(0.1);
  return {
    name,
    *query(sql: string) {
      yield* asyncio.sleep(0.1);
      return [`${name}: ${sql}`];
    },
    *close() {
      yield* asyncio.sleep(0.1);
    },
  };
}

/** A server's main loop: runs until cancelled. */
export function* serveForever(): asyncio.Coroutine<never> {
  for (;;) yield* asyncio.sleep(3600);
}

/** A program's main coroutine: two pieces of work side by side. */
export function* main(): asyncio.Coroutine<string[]> {
  return yield* asyncio.gather(work(), work());
}

/** How many times `fetchWithRetry` has tried (since it was last called afresh). */
export let attempts = 0;

/** Fails its first attempt, waits 10 s, then succeeds: `attempts` counts the tries. */
export function* fetchWithRetry(): asyncio.Coroutine<string> {
  attempts = 0;
  for (;;) {
    attempts++;
    if (attempts >= 2) return "fetched";
    yield* asyncio.sleep(10);
  }
}

/** The client's log, as examples/testing/reconnect.ts keeps it. */
export const log: ClientLog = { quotes: 0, connects: 0, failures: 0 };

/**
 * A TLS certificate for `localhost` and 127.0.0.1 and its private key (PEM), as a TLS
 * example reads them from files: test/fixtures/localhost-*.pem. The certificate is
 * self-signed, so it is its own certificate authority: `caPem`.
 */
export const certPem = readFileSync(
  new URL("../fixtures/localhost-cert.pem", import.meta.url),
  "utf8",
);
export const keyPem = readFileSync(
  new URL("../fixtures/localhost-key.pem", import.meta.url),
  "utf8",
);
export const caPem = certPem;

/** An event emitter, and a few ticks: a native async iterable. */
export const emitter = new EventEmitter();
export async function* ticks(): AsyncGenerator<number> {
  for (let i = 0; i < 3; i++) yield i;
}

/**
 * A local HTTP server for the client examples, as a page would use a public API: its base
 * URL (`http://127.0.0.1:<port>`). It answers `GET /items` with `{"items":["apple","pear"]}`,
 * a POST or PUT with the JSON it was sent (201 for a POST), `/latin1` with Latin-1 text,
 * `/bad-utf8` with bytes that are not UTF-8, `/missing` with 404, `/loop` with a redirect
 * to itself, and anything else with `hello`. Node's own server: it runs whatever loop the
 * example uses.
 */
export const api: string = await new Promise<string>((resolve) => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? "/").split("?")[0];
      if ((req.method === "POST" || req.method === "PUT") && path?.startsWith("/items")) {
        res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" });
        res.end(body);
      } else if (path === "/items") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ items: ["apple", "pear"] }));
      } else if (path === "/latin1") {
        res.writeHead(200, { "content-type": "text/plain; charset=latin1" });
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
      } else if (path === "/bad-utf8") {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        res.end(Buffer.from([0x6f, 0x6b, 0xff]));
      } else if (path === "/missing") {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found");
      } else if (path === "/loop") {
        res.writeHead(302, { location: "/loop" });
        res.end();
      } else {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("hello");
      }
    });
  });
  server.keepAliveTimeout = 100;
  server.listen(0, "127.0.0.1", () => {
    server.unref();
    resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
});

/**
 * Starts a WebSocket echo server on 127.0.0.1 and a free port (its `port`): the server a
 * WebSocket client example talks to. Shut it down with `server.shutdown()`.
 */
export function* wsEchoServer(): asyncio.Coroutine<
  import("../../src/websockets/index.js").WebSocketServer
> {
  const websockets = yield* asyncio.fromPromise(import("../../src/websockets/index.js"));
  return yield* websockets.serve(
    function* (ws) {
      yield* asyncio.asyncFor(ws, (msg) => ws.send(msg));
    },
    "127.0.0.1",
    0,
  );
}
