/**
 * The network examples, run on Node's loop over loopback: what each prints.
 */
import { describe, expect, it } from "vitest";
import * as chatServer from "../examples/chat_server.js";
import * as echoServer from "../examples/echo_server.js";
import { examples } from "../examples/index.js";
import { runNode } from "./fixtures/net_helpers.js";
import { capturePrinted, chatTranscript } from "./fixtures/printed.js";

const lines = capturePrinted((line) => line);

describe("examples/echo_server", () => {
  it("echoes three lines, then the client leaves and the server closes", async () => {
    await runNode(echoServer.main());
    expect(lines).toEqual([
      "server: listening on 127.0.0.1 (a free port)",
      "server: client connected from 127.0.0.1",
      'server: echoing "hello"',
      'client: got "hello"',
      'server: echoing "asyncio-ts"',
      'client: got "asyncio-ts"',
      'server: echoing "goodbye"',
      'client: got "goodbye"',
      "server: client left",
      "server: closed",
    ]);
  });
});

describe("examples/chat_server", () => {
  it("broadcasts every message to every client, in order", async () => {
    await runNode(chatServer.main());
    expect(lines).toEqual(chatTranscript());
  });
});

describe("the walkthrough registry", () => {
  it("lists both network examples, and they load", async () => {
    for (const name of ["echo_server", "chat_server"]) {
      const entry = examples.find((e) => e.name === name);
      expect(entry?.about).toBeTruthy();
      const mod = await entry?.load();
      expect(typeof mod?.main).toBe("function");
    }
  });
});
