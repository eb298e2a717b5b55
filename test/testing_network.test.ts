/**
 * The simulated network: asyncio's own openConnection/startServer/UDP/DNS between
 * simulated hosts, with latency, bandwidth, loss, reordering, resets and partitions, in
 * virtual time and the same on every run.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import {
  explore,
  type NetworkOptions,
  network,
  SimulatedLoop,
  withAsyncio,
} from "../src/testing/index.js";
import { echoLines } from "./fixtures/net_helpers.js";
import { caught } from "./helpers.js";

const test = withAsyncio(it);
const onNetwork = (o: NetworkOptions = {}) => ({ loop: () => new SimulatedLoop(o) });

function* echo(
  reader: asyncio.StreamReader,
  writer: asyncio.StreamWriter,
): asyncio.Coroutine<void> {
  try {
    yield* echoLines(reader, writer);
  } catch (e) {
    if (!(e instanceof asyncio.ConnectionError || e instanceof asyncio.OSError)) throw e;
  } finally {
    writer.close();
  }
}

/** Closes `server` and waits until its connections have ended too. */
function* stop(server: asyncio.Server): asyncio.Coroutine<void> {
  server.close();
  yield* server.waitClosed();
}

/** Starts an echo server on host `name`, port 7; returns the Server. */
function* echoHost(name: string): asyncio.Coroutine<asyncio.Server> {
  const host = network().addHost(name);
  return yield* host.run(asyncio.startServer(echo, null, 7));
}

describe("the simulated network", () => {
  test(
    "openConnection/startServer talk across it, a round trip per exchange",
    onNetwork({ latency: 0.01 }),
    function* () {
      const server = yield* echoHost("server");
      const loop = asyncio.getRunningLoop();
      const t0 = loop.time();
      const [r, w] = yield* asyncio.openConnection("server", 7);
      expect(loop.time() - t0).toBeCloseTo(0.02, 9); // SYN + SYN-ACK
      w.write(Buffer.from("hello\n"));
      const t1 = loop.time();
      expect((yield* r.readline()).toString()).toBe("hello\n");
      expect(loop.time() - t1).toBeCloseTo(0.02, 9);
      expect(w.getExtraInfo("peername")).toEqual(["10.0.0.2", 7]);
      expect(w.getExtraInfo("sockname")).toEqual(["10.0.0.1", 49152]);
      w.close();
      yield* w.waitClosed();
      yield* stop(server);
    },
  );

  test(
    "the server sees the client's address, and its handler runs on its own host",
    onNetwork(),
    function* () {
      const net = network();
      const seen: unknown[] = [];
      const server = yield* net.addHost("server").run(
        asyncio.startServer(
          function* (_r, w) {
            seen.push(w.getExtraInfo("peername"));
            // A connection made by the handler comes from the server's address.
            const [, w2] = yield* asyncio.openConnection("db", 5432);
            seen.push(w2.getExtraInfo("sockname"));
            w2.close();
            w.close();
          },
          null,
          80,
        ),
      );
      const db = yield* net
        .addHost("db")
        .run(asyncio.startServer((_r, w) => w.close(), null, 5432));
      const client = net.addHost("client");
      yield* client.run(
        (function* () {
          const [r, w] = yield* asyncio.openConnection("server", 80);
          expect((yield* r.read()).length).toBe(0);
          w.close();
        })(),
      );
      expect(seen).toEqual([
        ["10.0.0.4", 49152],
        ["10.0.0.2", 49152],
      ]);
      yield* stop(server);
      yield* stop(db);
    },
  );

  test(
    "DNS: names resolve to host addresses; unknown names fail as getaddrinfo does",
    onNetwork(),
    function* () {
      const net = network();
      net.addHost("api", { address: "192.168.1.9" });
      const loop = asyncio.getRunningLoop();
      const infos = yield* loop.getaddrinfo("api", 443, { type: asyncio.SOCK_STREAM });
      expect(infos).toEqual([
        [asyncio.AF_INET, asyncio.SOCK_STREAM, asyncio.IPPROTO_TCP, "", ["192.168.1.9", 443]],
      ]);
      const e = yield* caught(loop.getaddrinfo("nowhere.example", 80));
      expect((e as Error).message).toBe(
        "getaddrinfo EAI_NONAME nowhere.example: Name or service not known",
      );
      const e2 = yield* caught(asyncio.openConnection("nowhere.example", 80));
      expect((e2 as { code: string }).code).toBe("EAI_NONAME");
    },
  );

  test(
    "a port nobody listens on refuses, after a round trip",
    onNetwork({ latency: 0.05 }),
    function* () {
      network().addHost("server");
      const e = yield* caught(asyncio.openConnection("server", 81));
      expect(e).toBeInstanceOf(asyncio.ConnectionRefusedError);
      expect((e as Error).message).toBe("Connect call failed ('10.0.0.2', 81): connection refused");
      expect(asyncio.getRunningLoop().time()).toBeCloseTo(0.1, 9);
    },
  );

  test(
    "connecting across a partition times out; after heal() it works",
    onNetwork({ connectTimeout: 10 }),
    function* () {
      const net = network();
      const server = yield* echoHost("server");
      net.partition(["main"], ["server"]);
      const e = yield* caught(asyncio.openConnection("server", 7));
      expect((e as { code: string }).code).toBe("ETIMEDOUT");
      expect(asyncio.getRunningLoop().time()).toBe(10);
      net.heal();
      const [, w] = yield* asyncio.openConnection("server", 7);
      w.close();
      yield* stop(server);
    },
  );

  test(
    "data sent during a short partition waits, and arrives after heal()",
    onNetwork(),
    function* () {
      const net = network();
      const server = yield* echoHost("server");
      const [r, w] = yield* asyncio.openConnection("server", 7);
      net.partition(["server"]);
      w.write(Buffer.from("held\n"));
      const reply = asyncio.createTask(r.readline());
      yield* asyncio.sleep(20);
      expect(reply.done()).toBe(false);
      net.heal();
      expect((yield* reply).toString()).toBe("held\n");
      w.close();
      yield* stop(server);
    },
  );

  test(
    "a partition longer than giveUpAfter fails the connection with ETIMEDOUT",
    onNetwork({ giveUpAfter: 30 }),
    function* () {
      const net = network();
      const server = yield* echoHost("server");
      const [r, w] = yield* asyncio.openConnection("server", 7);
      net.partition(["server"]);
      w.write(Buffer.from("lost\n"));
      const e = yield* caught(r.readline());
      expect((e as { code: string }).code).toBe("ETIMEDOUT");
      expect(asyncio.getRunningLoop().time()).toBeGreaterThanOrEqual(30);
      net.heal();
      yield* stop(server);
    },
  );

  test("resetConnections() resets both ends", onNetwork(), function* () {
    const net = network();
    const server = yield* echoHost("server");
    const [r, w] = yield* asyncio.openConnection("server", 7);
    expect(net.resetConnections("server")).toBe(1);
    expect(yield* caught(r.readline())).toBeInstanceOf(asyncio.ConnectionResetError);
    expect(w.isClosing()).toBe(true);
    yield* stop(server);
  });

  test(
    "bandwidth: a megabyte over a 1 MB/s link takes a second more than latency",
    onNetwork({ latency: 0.01, bandwidth: 1e6 }),
    function* () {
      const net = network();
      const sink = yield* net.addHost("sink").run(
        asyncio.startServer(
          function* (r, w) {
            const data = yield* r.read();
            w.write(Buffer.from(String(data.length)));
            w.close();
          },
          null,
          9,
        ),
      );
      void sink;
      const loop = asyncio.getRunningLoop();
      const [r, w] = yield* asyncio.openConnection("sink", 9);
      const t0 = loop.time();
      w.write(Buffer.alloc(1_000_000));
      w.writeEof();
      const reply = yield* r.read();
      expect(reply.toString()).toBe("1000000");
      const took = loop.time() - t0;
      expect(took).toBeGreaterThanOrEqual(1.02 - 1e-9);
      expect(took).toBeLessThan(1.1);
      w.close();
      yield* stop(sink);
    },
  );

  test(
    "TCP loss is retransmission delay, never lost or reordered data",
    onNetwork({ loss: 0.3, seed: 9 }),
    function* () {
      const server = yield* echoHost("server");
      const [r, w] = yield* asyncio.openConnection("server", 7);
      for (let i = 0; i < 50; i++) w.write(Buffer.from(`line ${i}\n`));
      for (let i = 0; i < 50; i++) expect((yield* r.readline()).toString()).toBe(`line ${i}\n`);
      w.close();
      yield* stop(server);
    },
  );

  test(
    "UDP: datagrams arrive, may be lost or overtaken, per seed",
    onNetwork({ loss: 0.2, reorder: 0.5, latency: 0.01, seed: 4 }),
    function* () {
      const net = network();
      const got: number[] = [];
      const loop = asyncio.getRunningLoop();
      const [rx] = yield* net.addHost("rx").run(
        loop.createDatagramEndpoint(
          () =>
            new (class extends asyncio.DatagramProtocol {
              override datagramReceived(d: Buffer, addr: asyncio.DatagramAddress) {
                expect(addr).toEqual(["10.0.0.1", 49152]);
                got.push(d.readUInt32BE());
              }
            })(),
          { localAddr: ["0.0.0.0", 5353] },
        ),
      );
      const [tx] = yield* loop.createDatagramEndpoint(() => new asyncio.DatagramProtocol(), {
        remoteAddr: ["rx", 5353],
      });
      for (let i = 0; i < 100; i++) {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(i);
        tx.sendto(b);
        yield* asyncio.sleep(0.001);
      }
      yield* asyncio.sleep(1);
      expect(got.length).toBeGreaterThan(60);
      expect(got.length).toBeLessThan(100);
      expect(got).not.toEqual([...got].sort((a, b) => a - b));
      expect(new Set(got).size).toBe(got.length);
      tx.close();
      rx.close();
    },
  );

  it("the same seed gives the same run, datagram for datagram", async () => {
    const { runTest } = await import("../src/testing/index.js");
    const once = async () =>
      (
        await runTest(
          function* () {
            const net = network();
            const got: number[] = [];
            const loop = asyncio.getRunningLoop();
            const [rx] = yield* net.addHost("rx").run(
              loop.createDatagramEndpoint(
                () =>
                  new (class extends asyncio.DatagramProtocol {
                    override datagramReceived(d: Buffer) {
                      got.push(d[0] as number);
                    }
                  })(),
                { localAddr: ["0.0.0.0", 1] },
              ),
            );
            const [tx] = yield* loop.createDatagramEndpoint(() => new asyncio.DatagramProtocol());
            for (let i = 0; i < 50; i++) tx.sendto(Buffer.from([i]), ["rx", 1]);
            yield* asyncio.sleep(1);
            tx.close();
            rx.close();
            return got;
          },
          onNetwork({ loss: 0.3, reorder: 0.3, seed: 11 }),
        )
      ).result;
    expect(await once()).toEqual(await once());
  });

  test(
    "an hour of simulated traffic, in virtual time",
    onNetwork({ latency: 0.02, loss: 0.01 }),
    function* () {
      const server = yield* echoHost("server");
      const [r, w] = yield* asyncio.openConnection("server", 7);
      let exchanges = 0;
      const loop = asyncio.getRunningLoop();
      while (loop.time() < 3600) {
        w.write(Buffer.from("ping\n"));
        expect((yield* r.readline()).toString()).toBe("ping\n");
        exchanges++;
        yield* asyncio.sleep(1);
      }
      expect(exchanges).toBeGreaterThan(3000);
      w.close();
      yield* stop(server);
    },
  );

  test("bad arguments fail at the call, naming them", function* () {
    expect(() => new SimulatedLoop({ loss: 2 })).toThrow(
      "SimulatedLoop(): 'loss' must be a number in [0, 1]: received 2",
    );
    expect(() => new SimulatedLoop({ connectTimeout: 0 })).toThrow(
      "SimulatedLoop(): 'connectTimeout' must be a number of seconds > 0: received 0",
    );
    expect(() => network()).toThrow(/network\(\) needs a SimulatedLoop/);
  });

  test("host names are unique; addresses too", onNetwork(), function* () {
    const net = network();
    net.addHost("a", { address: "10.9.9.9" });
    expect(() => net.addHost("a")).toThrow("addHost(): a host named a exists");
    expect(() => net.addHost("b", { address: "10.9.9.9" })).toThrow(/address 10.9.9.9 is taken/);
    expect(() => net.setLink("a", "main", { latency: -1 })).toThrow(
      "setLink(): 'latency' must be a number >= 0: received -1",
    );
    expect(() => net.host("zzz")).toThrow('no host named "zzz" on this network');
  });

  it("explore() runs over the simulated network too", async () => {
    const result = await explore(
      function* () {
        const server = yield* echoHost("server");
        const [r, w] = yield* asyncio.openConnection("server", 7);
        w.write(Buffer.from("x\n"));
        expect((yield* r.readline()).toString()).toBe("x\n");
        w.close();
        yield* stop(server);
      },
      { runs: 30, test: onNetwork({ latency: 0.01 }) },
    );
    expect(result.perturbations).toBeGreaterThan(0);
  });
});
