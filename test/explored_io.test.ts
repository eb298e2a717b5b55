/**
 * explore() over real I/O: what real sockets and pipes deliver (data, EOF, closed and
 * accepted connections) goes through the explorer's gate, which holds deliveries back some
 * iterations and cuts data into several reads, keeping each stream's order. Races between
 * I/O delivery and the other tasks are found, and a failing seed replays them.
 */
import { describe, expect, it, vi } from "vitest";
import {
  greeter,
  greetingOneRead,
  greetingReadline,
  main,
  withServer,
} from "../examples/testing/greeting.js";
import * as asyncio from "../src/index.js";
import { type ExploreFailure, explore } from "../src/testing/index.js";

async function exploreFailure(
  ...args: Parameters<typeof explore>
): Promise<Error & ExploreFailure> {
  try {
    await explore(...args);
  } catch (e) {
    return e as Error & ExploreFailure;
  }
  throw new Error("explore() found nothing, and it was meant to");
}

const enc = (s: string) => Buffer.from(s);

function* echoLine(r: asyncio.StreamReader, w: asyncio.StreamWriter): asyncio.Coroutine<void> {
  const line = yield* r.readline();
  w.write(line);
  yield* w.drain();
  w.close();
  yield* w.waitClosed();
}

/**
 * The bug: the config task and the query task ask the same server over two connections,
 * the config first; the query task takes for granted that the config's reply was handled
 * before its own. On loopback both replies arrive in one poll of the kernel, in request
 * order, so the plain schedule always passes.
 */
function* configBeforeQuery(): asyncio.Coroutine<void> {
  yield* withServer(echoLine, function* (port) {
    const state = { configured: false };
    const a = yield* asyncio.openConnection("127.0.0.1", port);
    const b = yield* asyncio.openConnection("127.0.0.1", port);
    try {
      a[1].write(enc("config\n"));
      b[1].write(enc("query\n"));
      const config = asyncio.createTask(
        (function* () {
          yield* a[0].readline();
          state.configured = true;
        })(),
        { name: "config" },
      );
      const query = asyncio.createTask(
        (function* () {
          yield* b[0].readline();
          if (!state.configured) throw new Error("the query was answered before the config");
        })(),
        { name: "query" },
      );
      yield* asyncio.gather(config, query);
    } finally {
      for (const [, w] of [a, b]) {
        w.close();
        yield* w.waitClosed();
      }
    }
  });
}

describe("explore over real sockets", () => {
  it("the plain schedule of a one-read greeting passes: loopback delivers it whole", async () => {
    await explore(greetingOneRead, { runs: 1, perturbations: [] });
  });

  it("finds a reader that takes one read() for one message, within 20 seeds", async () => {
    const e = await exploreFailure(greetingOneRead, { runs: 20 });
    expect(e.message).toMatch(/^a partial greeting: "[^"]*" \[seed \d+\]/);
    expect(e.run).toBeLessThanOrEqual(20);
    expect(e.schedule).toMatch(
      /#\d+ at t=[\d.]+: connection 1: data #1 \(9 bytes\) arrives \d iteration\(s\) later in \d pieces/,
    );
    // Every perturbation that is left is one of the connection's.
    expect(e.perturbations.every((p) => p.description.startsWith("connection 1: "))).toBe(true);
  });

  it("replays the failing seed: the same partial greeting, the same schedule", async () => {
    const e = await exploreFailure(greetingOneRead, { runs: 20 });
    const first = e.message.split("\n")[0];
    for (let i = 0; i < 3; i++) {
      const again = await exploreFailure(greetingOneRead, { seed: e.seed, runs: 1 });
      expect(again.message.split("\n")[0]).toBe(first);
      const shrunk = await exploreFailure(greetingOneRead, {
        seed: e.seed,
        runs: 1,
        perturbations: e.perturbations.map((p) => p.index),
      });
      expect(shrunk.message.split("\n")[0]).toBe(first);
      expect(shrunk.perturbations.map((p) => p.description)).toEqual(
        e.perturbations.map((p) => p.description),
      );
    }
  });

  it("passes every seed once the reader reads up to the end of the message", async () => {
    const r = await explore(greetingReadline, { runs: 100 });
    expect(r.perturbations).toBeGreaterThan(0);
  });

  it("dataPieces: 1 never cuts data: the one-read greeting then passes", async () => {
    // outsideDelay still holds deliveries back; with one connection that changes no order.
    await explore(greetingOneRead, { runs: 50, dataPieces: 1 });
  });

  it("finds a reply handled before the reply it depends on, across two connections", async () => {
    await explore(configBeforeQuery, { runs: 1, perturbations: [] });
    const e = await exploreFailure(configBeforeQuery, { runs: 50 });
    expect(e.message).toMatch(/^the query was answered before the config \[seed \d+\]/);
    expect(e.schedule).toMatch(/connection 1: data #1 \(7 bytes\) arrives \d iteration/);
    const again = await exploreFailure(configBeforeQuery, { seed: e.seed, runs: 1 });
    expect(again.message.split("\n")[0]).toBe(e.message.split("\n")[0]);
  });

  it("keeps each stream's bytes in order and before its EOF, whatever the schedule", async () => {
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
    const r = await explore(
      () =>
        withServer(
          function* (_r, w) {
            for (let i = 0; i < payload.length; i += 10_000)
              w.write(payload.subarray(i, i + 10_000));
            yield* w.drain();
            w.close();
            yield* w.waitClosed();
          },
          function* (port) {
            // A small limit: the reader pauses the transport while pieces are still held.
            const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port, {
              limit: 1024,
            });
            const got: Buffer[] = [];
            for (;;) {
              const chunk = yield* reader.read(700);
              if (chunk.length === 0) break;
              got.push(chunk);
            }
            expect(reader.atEof()).toBe(true);
            expect(Buffer.concat(got).equals(payload)).toBe(true);
            writer.close();
            yield* writer.waitClosed();
          },
        ),
      { runs: 20 },
    );
    expect(r.perturbations).toBeGreaterThan(0);
  });

  it("an accepted connection may be made later: the server still sees every client", async () => {
    const seen: string[][] = [];
    const r = await explore(
      function* () {
        const names: string[] = [];
        seen.push(names);
        yield* withServer(
          function* (reader, w) {
            names.push((yield* reader.readline()).toString().trim());
            w.close();
            yield* w.waitClosed();
          },
          function* (port) {
            yield* asyncio.gather(
              ...["a", "b", "c"].map((n) =>
                (function* () {
                  const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
                  writer.write(enc(`${n}\n`));
                  expect(yield* reader.read()).toHaveLength(0);
                  writer.close();
                  yield* writer.waitClosed();
                })(),
              ),
            );
          },
        );
        expect([...names].sort()).toEqual(["a", "b", "c"]);
      },
      { runs: 30 },
    );
    expect(r.perturbations).toBeGreaterThan(0);
    expect(seen).toHaveLength(30);
  });

  it("a protocol error in a held delivery fails the schedule as it fails the plain run", async () => {
    class Fragile extends asyncio.Protocol {
      readonly lost = asyncio.getRunningLoop().createFuture<void>();
      override dataReceived(data: Buffer): void {
        if (data.length < 9) throw new TypeError(`a short read of ${data.length} bytes`);
      }
      override connectionLost(): void {
        if (!this.lost.done()) this.lost.setResult(undefined);
      }
    }
    const e = await exploreFailure(
      () =>
        withServer(greeter, function* (port) {
          const loop = asyncio.getRunningLoop();
          const [transport, p] = yield* loop.createConnection(
            () => new Fragile(),
            "127.0.0.1",
            port,
          );
          try {
            yield* p.lost;
          } finally {
            transport.close();
          }
        }),
      { runs: 30 },
    );
    expect(e.message).toContain("protocol.dataReceived() call failed");
    expect(e.message).toContain("a short read of");
  });

  it("a reader cancelled while its data is held loses nothing: the next read gets it", async () => {
    let cancelledBeforeDelivery = 0;
    await explore(
      () =>
        withServer(
          function* (reader, w) {
            yield* reader.readline(); // "go"
            w.write(enc("first\nsecond\n"));
            yield* w.drain();
            yield* reader.read(); // until the client closes
            w.close();
            yield* w.waitClosed();
          },
          function* (port) {
            const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
            const sock = writer.transport.getExtraInfo("socket") as import("node:net").Socket;
            const t = asyncio.createTask(reader.readline());
            writer.write(enc("go\n"));
            // The reply has reached the socket: delivered to the reader, or held.
            while (sock.bytesRead === 0) yield* asyncio.sleep(0);
            const lines: string[] = [];
            if (t.cancel()) {
              cancelledBeforeDelivery++;
              yield* asyncio.wait([t]);
              expect(t.cancelled()).toBe(true);
            } else {
              lines.push((yield* t).toString());
            }
            while (lines.length < 2) lines.push((yield* reader.readline()).toString());
            expect(lines).toEqual(["first\n", "second\n"]);
            writer.close();
            yield* writer.waitClosed();
          },
        ),
      { runs: 20 },
    );
    expect(cancelledBeforeDelivery).toBeGreaterThan(0);
  });
});

describe("examples/testing/greeting", () => {
  it("main() prints the plain run, the race, its replay, and the fixed client", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(" "));
    });
    try {
      await main();
    } finally {
      vi.restoreAllMocks();
    }
    expect(lines[0]).toBe('plain run: "HELLO 42\\n"');
    expect(lines[1]).toMatch(/^explore found the race:\na partial greeting: "[^"]*" \[seed \d+\]/);
    const partial = /a partial greeting: "[^"]*"/.exec(lines[1] as string)?.[0];
    expect(lines[2]).toMatch(/^seed \d+ again: /);
    expect(lines[2]?.endsWith(partial as string)).toBe(true);
    expect(lines[3]).toBe("with readline(): 100 schedules, all correct");
  });
});

describe("explore over real pipes", () => {
  const sh = (script: string) =>
    asyncio.createSubprocessExec("/bin/sh", "-c", script, { stdout: asyncio.PIPE });

  function* firstReadIsTheLine(): asyncio.Coroutine<void> {
    const proc = yield* sh("printf 'READY 7\\n'");
    const first = (yield* proc.stdout!.read(100)).toString();
    yield* proc.stdout!.read(); // to EOF
    yield* proc.wait();
    if (first !== "READY 7\n")
      throw new Error(`a partial line from the child: ${JSON.stringify(first)}`);
  }

  it("finds a parent that takes one read of a child's pipe for one line", async () => {
    const e = await exploreFailure(firstReadIsTheLine, {
      runs: 20,
      shrinkRuns: 10,
      test: { realTimeout: 150 },
    });
    expect(e.message).toMatch(/^a partial line from the child: "[^"]*" \[seed \d+\]/);
    expect(e.schedule).toMatch(/stdout pipe 1: data #1 \(8 bytes\)/);
    const again = await exploreFailure(firstReadIsTheLine, {
      seed: e.seed,
      runs: 1,
      test: { realTimeout: 150 },
    });
    // The same choices for the same deliveries; how much of the line is already in when
    // the parent reads depends on when the child's output came, which the kernel decides.
    expect(again.message).toMatch(/^a partial line from the child: "[^"]*" \[seed \d+\]/);
    expect(again.seed).toBe(e.seed);
  });

  it("a child's whole output arrives in order before EOF in every schedule", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    await explore(
      function* () {
        const proc = yield* sh('i=0; while [ "$i" -lt 200 ]; do echo "line $i"; i=$((i+1)); done');
        const got: string[] = [];
        for (;;) {
          const line = (yield* proc.stdout!.readline()).toString();
          if (line === "") break;
          got.push(line.trimEnd());
        }
        expect(yield* proc.wait()).toBe(0);
        expect(got).toEqual(lines);
      },
      { runs: 10, test: { realTimeout: 150 } },
    );
  });
});

describe("explore's I/O options", () => {
  it("rejects a dataPieces that is not an integer >= 1, naming it", async () => {
    await expect(explore(greetingReadline, { dataPieces: 0 })).rejects.toThrow(
      "explore(): 'dataPieces' must be an integer >= 1: received 0",
    );
    await expect(explore(greetingReadline, { dataPieces: 1.5 })).rejects.toThrow(RangeError);
  });

  it("leaves the plain loops alone: no gate outside explore()", async () => {
    await asyncio.run(
      (function* () {
        expect(asyncio.getRunningLoop()._ioGate).toBeNull();
      })(),
    );
    await asyncio.run(
      (function* () {
        expect(asyncio.getRunningLoop()._ioGate).toBeNull();
      })(),
      { loopFactory: () => new asyncio.VirtualEventLoop() },
    );
  });
});
