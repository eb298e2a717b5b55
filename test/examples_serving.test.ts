/**
 * The serving examples, run on Node's loop over loopback: what each prints, and the same
 * servers driven by other real clients — the `ws` library's client and curl (where
 * installed).
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { WebSocket as WsClient } from "ws";
import * as jsonApi from "../examples/json_api.js";
import * as chat from "../examples/websocket_chat.js";
import * as http from "../src/http/index.js";
import * as asyncio from "../src/index.js";
import { runNode } from "./fixtures/net_helpers.js";
import { capturePrinted, chatTranscript } from "./fixtures/printed.js";

const curl = await new Promise<boolean>((resolve) => {
  execFile("curl", ["--version"], (err) => resolve(err === null));
});
if (!curl) {
  if (process.env.ASYNCIO_TS_REQUIRE_ALL === "1")
    throw new Error("curl is required (ASYNCIO_TS_REQUIRE_ALL=1)");
  console.warn(
    "examples_serving: skipping the curl test: curl is not installed (apt-get install curl)",
  );
}

const lines = capturePrinted((line) => line);

describe("examples/websocket_chat", () => {
  it("broadcasts every message to every member, in order", async () => {
    await runNode(chat.main());
    expect(lines).toEqual(chatTranscript());
  });

  it("serves clients of the ws library", async () => {
    const { result } = await runNode(
      (function* () {
        const room = new chat.ChatRoom();
        const server = yield* http.serve(chat.chatApp(room), "127.0.0.1", 0);
        const url = `${server.url.replace("http:", "ws:")}/chat`;
        const inbox = (c: WsClient, n: number) =>
          asyncio.fromPromise(
            new Promise<string[]>((resolve) => {
              const got: string[] = [];
              c.on("message", (d: Buffer) => {
                got.push(d.toString());
                if (got.length === n) resolve(got);
              });
            }),
          );
        const open = (c: WsClient) =>
          asyncio.fromPromise(new Promise((resolve) => c.once("open", resolve)));
        const dora = new WsClient(url);
        const emil = new WsClient(url);
        yield* open(dora);
        yield* open(emil);
        const doraGot = inbox(dora, 2);
        const emilGot = inbox(emil, 2);
        dora.send("dora");
        emil.send("emil");
        while (room.members.size < 2) yield* asyncio.sleep(0.001);
        dora.send("hello from ws");
        const result = { dora: yield* doraGot, emil: yield* emilGot };
        dora.close();
        emil.close();
        yield* server.shutdown(5);
        return result;
      })(),
    );
    expect(result).toEqual({
      dora: ["welcome, dora", "dora: hello from ws"],
      emil: ["welcome, emil", "dora: hello from ws"],
    });
  });
});

describe("examples/json_api", () => {
  it("creates, lists, refuses and streams items", async () => {
    await runNode(jsonApi.main());
    expect(lines).toEqual([
      'POST /items apple: 201 {"id":1,"name":"apple"} at /items/1',
      'POST /items pear: 201 {"id":2,"name":"pear"} at /items/2',
      'GET /items: 200 {"items":[{"id":1,"name":"apple"},{"id":2,"name":"pear"}],"request":3}',
      "GET /items/99: 404 404: no item 99",
      "POST bad JSON: 400 400: Malformed JSON in the request body",
      "GET /items/stream: 200 application/x-ndjson",
      '  line {"id":1,"name":"apple"}',
      '  line {"id":2,"name":"pear"}',
      "server closed",
    ]);
  });

  it.skipIf(!curl)("answers curl", async () => {
    const run = (args: string[]) =>
      asyncio.fromPromise(
        new Promise<string>((resolve, reject) =>
          execFile("curl", ["-sS", ...args], (err, stdout) =>
            err ? reject(err) : resolve(stdout),
          ),
        ),
      );
    const { result } = await runNode(
      (function* () {
        const server = yield* http.serve(jsonApi.apiApp(), "127.0.0.1", 0);
        const created = yield* run([
          "-X",
          "POST",
          "-H",
          "content-type: application/json",
          "-d",
          '{"name":"fig"}',
          `${server.url}/items`,
        ]);
        const streamed = yield* run(["-N", `${server.url}/items/stream`]);
        const bad = yield* run([
          "-X",
          "POST",
          "-d",
          "{",
          "-w",
          " %{http_code}",
          `${server.url}/items`,
        ]);
        yield* server.shutdown(5);
        return { created, streamed, bad };
      })(),
    );
    expect(result.created).toBe('{"id":1,"name":"fig"}');
    expect(result.streamed).toBe('{"id":1,"name":"fig"}\n');
    expect(result.bad).toMatch(/^400: Malformed JSON in the request body: .* 400$/);
  });
});
