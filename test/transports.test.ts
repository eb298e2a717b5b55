import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { b, portOf, runNode } from "./fixtures/net_helpers.js";

const str = (x: Uint8Array): string => Buffer.from(x).toString("latin1");

function* errorOf(co: asyncio.Coroutine<unknown>): asyncio.Coroutine<unknown> {
  try {
    yield* co;
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

/** A protocol that logs every callback and resolves `lost` at connectionLost. */
class Recorder extends asyncio.Protocol {
  log: string[] = [];
  transport: asyncio.Transport | null = null;
  readonly lost: asyncio.Future<unknown>;
  keepOpen = false;
  constructor() {
    super();
    this.lost = asyncio.getRunningLoop().createFuture<unknown>();
  }
  override connectionMade(t: asyncio.Transport): void {
    this.transport = t;
    this.log.push("made");
  }
  override dataReceived(data: Buffer): void {
    this.log.push(`data:${str(data)}`);
  }
  override eofReceived(): boolean {
    this.log.push("eof");
    return this.keepOpen;
  }
  override pauseWriting(): void {
    this.log.push("pause");
  }
  override resumeWriting(): void {
    this.log.push("resume");
  }
  override connectionLost(exc: unknown): void {
    this.log.push(`lost:${exc === null ? "null" : String(exc)}`);
    this.lost.setResult(exc);
  }
}

/** Waits until `pred()` holds, checking after each loop iteration (no timers). */
function* until(pred: () => boolean): asyncio.Coroutine<void> {
  for (let i = 0; i < 1_000_000 && !pred(); i++) yield* asyncio.sleep(0);
  if (!pred()) throw new Error("condition never held");
}

/** Waits for a Future set by a protocol callback. */
function* nextEvent<T>(fut: asyncio.Future<T>): asyncio.Coroutine<T> {
  return yield* fut;
}

describe("stream transports and protocols", () => {
  it("calls connectionMade → dataReceived → eofReceived → connectionLost exactly once, in order", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const serverProtos: Recorder[] = [];
        const server = yield* loop.createServer(
          () => {
            const p = new Recorder();
            serverProtos.push(p);
            return p;
          },
          "127.0.0.1",
          0,
        );
        const [transport, client] = yield* loop.createConnection(
          () => new Recorder(),
          "127.0.0.1",
          portOf(server),
        );
        transport.write(b("hello"));
        transport.writeEof();
        yield* until(() => serverProtos.length === 1);
        const sp = serverProtos[0] as Recorder;
        const exc = yield* nextEvent(sp.lost);
        yield* client.lost;
        server.close();
        yield* server.waitClosed();
        return { server: sp.log, client: client.log, exc };
      })(),
    );
    expect(result.server).toEqual(["made", "data:hello", "eof", "lost:null"]);
    // The server closed when it got EOF (eofReceived returned false): the client sees EOF too.
    expect(result.client).toEqual(["made", "eof", "lost:null"]);
    expect(result.exc).toBe(null);
  });

  it("eofReceived returning true keeps the connection half-open for replies", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        class Replier extends asyncio.Protocol {
          private t!: asyncio.Transport;
          private got = "";
          override connectionMade(t: asyncio.Transport): void {
            this.t = t;
          }
          override dataReceived(d: Buffer): void {
            this.got += str(d);
          }
          override eofReceived(): boolean {
            this.t.write(b(`you said ${this.got}`));
            this.t.close();
            return true;
          }
        }
        const server = yield* loop.createServer(() => new Replier(), "127.0.0.1", 0);
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        writer.write(b("ping"));
        writer.writeEof();
        const reply = str(yield* reader.read());
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return reply;
      })(),
    );
    expect(result).toBe("you said ping");
  });

  it("pauseReading() holds data back until resumeReading()", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const events: string[] = [];
        let got = loop.createFuture<void>();
        const serverSide = loop.createFuture<asyncio.Transport>();
        class Paused extends asyncio.Protocol {
          override connectionMade(t: asyncio.Transport): void {
            t.pauseReading();
            events.push(`paused, reading=${t.isReading()}`);
            serverSide.setResult(t);
          }
          override dataReceived(d: Buffer): void {
            events.push(`data ${str(d)}`);
            // Paused again while data flows: the next bytes wait too.
            serverSide.result().pauseReading();
            got.setResult(undefined);
          }
        }
        const server = yield* loop.createServer(() => new Paused(), "127.0.0.1", 0);
        const [, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const t = yield* serverSide;
        for (const chunk of ["held", "more"]) {
          writer.write(b(chunk));
          yield* writer.drain();
          // The bytes are in the server's socket now; give Node's poll phase several turns
          // to deliver them, which it would if reading were not paused.
          for (let i = 0; i < 5; i++) yield* asyncio.sleep(0.01);
          events.push("resume");
          t.resumeReading();
          yield* got;
          got = loop.createFuture<void>();
        }
        writer.close();
        yield* writer.waitClosed();
        server.close();
        server.closeClients();
        yield* server.waitClosed();
        return events;
      })(),
    );
    expect(result).toEqual(["paused, reading=false", "resume", "data held", "resume", "data more"]);
  });

  it("pauseWriting / resumeWriting at the water marks when the peer does not read", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        let serverT: asyncio.Transport | null = null;
        class Stalled extends asyncio.Protocol {
          override connectionMade(t: asyncio.Transport): void {
            serverT = t;
            t.pauseReading();
          }
        }
        const server = yield* loop.createServer(() => new Stalled(), "127.0.0.1", 0);
        const [t, client] = yield* loop.createConnection(
          () => new Recorder(),
          "127.0.0.1",
          portOf(server),
        );
        t.setWriteBufferLimits(1024);
        const limits = t.getWriteBufferLimits();
        const chunk = Buffer.alloc(64 * 1024, 1);
        let sent = 0;
        while (!client.log.includes("pause") && sent < 256 * 1024 * 1024) {
          t.write(chunk);
          sent += chunk.length;
          if (t.getWriteBufferSize() === 0) yield* asyncio.sleep(0);
        }
        const paused = client.log.includes("pause");
        const buffered = t.getWriteBufferSize();
        yield* until(() => serverT !== null);
        (serverT as unknown as asyncio.Transport).resumeReading();
        yield* until(() => client.log.includes("resume"));
        const lowAtResume = t.getWriteBufferSize() <= limits[0];
        t.close();
        yield* client.lost;
        server.close();
        server.closeClients();
        yield* server.waitClosed();
        return {
          limits,
          paused,
          buffered: buffered > 1024,
          lowAtResume,
          log: client.log.filter((x) => x === "pause" || x === "resume"),
        };
      })(),
    );
    expect(result).toEqual({
      limits: [256, 1024],
      paused: true,
      buffered: true,
      lowAtResume: true,
      log: ["pause", "resume"],
    });
  });

  it("validates write(), writeEof() and the water marks", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const server = yield* loop.createServer(() => new asyncio.Protocol(), "127.0.0.1", 0);
        const [t, p] = yield* loop.createConnection(
          () => new Recorder(),
          "127.0.0.1",
          portOf(server),
        );
        const errs: string[] = [];
        const attempt = (f: () => void): void => {
          try {
            f();
            errs.push("ok");
          } catch (e) {
            errs.push((e as Error).constructor.name);
          }
        };
        attempt(() => t.write("str" as unknown as Uint8Array));
        attempt(() => t.setWriteBufferLimits(10, 20));
        attempt(() => t.setWriteBufferLimits(undefined, 100));
        const limits = t.getWriteBufferLimits();
        attempt(() => t.write(new Uint8Array(0)));
        attempt(() => t.writeEof());
        attempt(() => t.write(b("late")));
        t.close();
        t.close();
        yield* p.lost;
        server.close();
        yield* server.waitClosed();
        return { errs, limits, closing: t.isClosing(), extra: t.getExtraInfo("nope", 7) };
      })(),
    );
    expect(result).toEqual({
      errs: ["TypeError", "RangeError", "ok", "ok", "ok", "RuntimeError"],
      limits: [100, 400],
      closing: true,
      extra: 7,
    });
  });

  it("abort() drops buffered data and calls connectionLost(null)", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const server = yield* loop.createServer(() => new asyncio.Protocol(), "127.0.0.1", 0);
        const [t, p] = yield* loop.createConnection(
          () => new Recorder(),
          "127.0.0.1",
          portOf(server),
        );
        t.write(Buffer.alloc(1024 * 1024));
        t.abort();
        const exc = yield* p.lost;
        server.close();
        server.abortClients();
        yield* server.waitClosed();
        return [exc, p.log, t.isClosing()];
      })(),
    );
    expect(result).toEqual([null, ["made", "lost:null"], true]);
  });

  it("an error in dataReceived is reported and ends the connection with it", async () => {
    const { result, reports } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        class Bad extends Recorder {
          override dataReceived(): void {
            throw new Error("bad protocol");
          }
        }
        const server = yield* asyncio.startServer(
          function* (_r, w) {
            w.write(b("data"));
            yield* w.drain();
          },
          "127.0.0.1",
          0,
        );
        const [, p] = yield* loop.createConnection(() => new Bad(), "127.0.0.1", portOf(server));
        const exc = (yield* p.lost) as Error;
        server.close();
        server.closeClients();
        yield* server.waitClosed();
        return exc.message;
      })(),
      { allowReports: true },
    );
    expect(result).toBe("bad protocol");
    expect(reports.map((r) => r.message)).toEqual([
      "Fatal error: protocol.dataReceived() call failed.",
    ]);
  });

  it("a BufferedProtocol receives into its own buffer", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const done = loop.createFuture<string>();
        class Into extends asyncio.BufferedProtocol {
          buf = new Uint8Array(3);
          got = "";
          override getBuffer(_hint: number): Uint8Array {
            return this.buf;
          }
          override bufferUpdated(n: number): void {
            this.got += str(this.buf.subarray(0, n));
          }
          override eofReceived(): boolean {
            done.setResult(this.got);
            return false;
          }
        }
        const server = yield* loop.createServer(() => new Into(), "127.0.0.1", 0);
        const [, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        writer.write(b("a longer message than three bytes"));
        writer.writeEof();
        const got = yield* done;
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return got;
      })(),
    );
    expect(result).toBe("a longer message than three bytes");
  });

  it("the loop methods reject bad arguments at the call", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const f = () => new asyncio.Protocol();
        const names: string[] = [];
        const attempt = (call: () => unknown): void => {
          try {
            call();
            names.push("ok");
          } catch (e) {
            names.push((e as Error).constructor.name);
          }
        };
        attempt(() => loop.createConnection(42 as never, "127.0.0.1", 1));
        attempt(() => loop.createConnection(f, "127.0.0.1", -1));
        attempt(() =>
          loop.createConnection(f, "127.0.0.1", 1, { ssl: true, sslHandshakeTimeout: 0 }),
        );
        attempt(() => loop.createServer(f, "127.0.0.1", 0, { backlog: -1 }));
        attempt(() => loop.createDatagramEndpoint(f as never, { localAddr: ["127.0.0.1", 1e6] }));
        // Checked when the coroutine runs: what needs the other arguments together.
        names.push(
          (
            (yield* errorOf(
              loop.createConnection(f, "127.0.0.1", 1, { serverHostname: "x" }),
            )) as Error
          ).constructor.name,
        );
        names.push(
          ((yield* errorOf(loop.createConnection(f, null, null))) as Error).constructor.name,
        );
        return names;
      })(),
    );
    expect(result).toEqual([
      "TypeError",
      "RangeError",
      "RangeError",
      "RangeError",
      "RangeError",
      "RangeError",
      "RangeError",
    ]);
  });

  it("drain() on a connection lost cleanly raises ConnectionResetError", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(
          (_r, w) => {
            w.close();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        yield* reader.read();
        writer.close();
        yield* writer.waitClosed();
        const e = (yield* errorOf(writer.drain())) as asyncio.ConnectionResetError;
        server.close();
        yield* server.waitClosed();
        return [e.constructor.name, e.code, e.message];
      })(),
    );
    expect(result).toEqual(["ConnectionResetError", "ECONNRESET", "Connection lost"]);
  });
});

describe("datagram endpoints", () => {
  it("a UDP echo over loopback", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        class EchoUdp extends asyncio.DatagramProtocol {
          t!: asyncio.DatagramTransport;
          override connectionMade(t: asyncio.DatagramTransport): void {
            this.t = t;
          }
          override datagramReceived(data: Buffer, addr: asyncio.DatagramAddress): void {
            this.t.sendto(Buffer.concat([b("echo:"), data]), addr);
          }
        }
        const [st] = yield* loop.createDatagramEndpoint(() => new EchoUdp(), {
          localAddr: ["127.0.0.1", 0],
        });
        const addr = st.getExtraInfo("sockname") as [string, number];
        const replies: string[] = [];
        let want = 3;
        const done = loop.createFuture<void>();
        class Client extends asyncio.DatagramProtocol {
          lost = loop.createFuture<unknown>();
          override datagramReceived(data: Buffer, from: asyncio.DatagramAddress): void {
            replies.push(`${str(data)} from ${from[1] === addr[1]}`);
            if (--want === 0) done.setResult(undefined);
          }
          override connectionLost(exc: unknown): void {
            this.lost.setResult(exc);
          }
        }
        const [ct, cp] = yield* loop.createDatagramEndpoint(() => new Client(), {
          remoteAddr: addr,
        });
        const peer = ct.getExtraInfo("peername");
        for (const m of ["a", "b", "c"]) ct.sendto(b(m));
        yield* done;
        const wrongAddr = (() => {
          try {
            ct.sendto(b("x"), ["127.0.0.1", 1]);
            return "ok";
          } catch (e) {
            return (e as Error).constructor.name;
          }
        })();
        ct.close();
        const lost = yield* cp.lost;
        st.close();
        return { replies: replies.sort(), peer, wrongAddr, lost, closing: ct.isClosing() };
      })(),
    );
    expect(result).toEqual({
      replies: ["echo:a from true", "echo:b from true", "echo:c from true"],
      peer: ["127.0.0.1", expect.any(Number)],
      wrongAddr: "RangeError",
      lost: null,
      closing: true,
    });
  });

  it("sendto without an address on an unconnected endpoint is a TypeError", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const [t] = yield* loop.createDatagramEndpoint(() => new asyncio.DatagramProtocol(), {
          localAddr: ["127.0.0.1", 0],
        });
        let name = "ok";
        try {
          t.sendto(b("x"));
        } catch (e) {
          name = (e as Error).constructor.name;
        }
        t.close();
        return name;
      })(),
    );
    expect(result).toBe("TypeError");
  });
});

describe("createConnection: sock and TLS handshake timeout", () => {
  it("adopts an already connected net.Socket with { sock }", async () => {
    const net = await import("node:net");
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const server = yield* asyncio.startServer(
          function* (r, w) {
            w.write(yield* r.readline());
            w.close();
          },
          "127.0.0.1",
          0,
        );
        const raw = net.connect({ host: "127.0.0.1", port: portOf(server) });
        const connected = loop.createFuture<void>();
        raw.once("connect", () => connected.setResult(undefined));
        yield* connected;
        const [t, p] = yield* loop.createConnection(() => new Recorder(), null, null, {
          sock: raw,
        });
        t.write(b("adopted\n"));
        yield* p.lost;
        server.close();
        yield* server.waitClosed();
        return p.log;
      })(),
    );
    expect(result).toEqual(["made", "data:adopted\n", "eof", "lost:null"]);
  });

  it("a TLS handshake that never completes fails with TimeoutError and closes the socket", async () => {
    const { result } = await runNode(
      (function* () {
        // A plain TCP server that never answers the ClientHello.
        const server = yield* asyncio.startServer(
          function* (r, w) {
            yield* r.read();
            w.close();
          },
          "127.0.0.1",
          0,
        );
        const e = (yield* errorOf(
          asyncio.openConnection("127.0.0.1", portOf(server), {
            ssl: true,
            sslHandshakeTimeout: 0.05,
          }),
        )) as Error;
        server.close();
        yield* server.waitClosed(); // returns: the half-made client socket was destroyed
        return e.constructor.name;
      })(),
    );
    expect(result).toBe("TimeoutError");
  });
});
