import { afterAll, describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { b, echoLines, portOf, runNode, selfSignedCert, unixPath } from "./fixtures/net_helpers.js";
import { runVirtual } from "./helpers.js";

const str = (x: Uint8Array): string => Buffer.from(x).toString("latin1");

/** A fake transport that records pause/resume calls. */
class FakeTransport extends asyncio.Transport {
  calls: string[] = [];
  write(): void {}
  writeEof(): void {}
  canWriteEof(): boolean {
    return true;
  }
  abort(): void {}
  pauseReading(): void {
    this.calls.push("pause");
  }
  resumeReading(): void {
    this.calls.push("resume");
  }
  isReading(): boolean {
    return true;
  }
  getWriteBufferSize(): number {
    return 0;
  }
  getWriteBufferLimits(): [number, number] {
    return [0, 0];
  }
  setWriteBufferLimits(): void {}
  isClosing(): boolean {
    return false;
  }
  close(): void {}
  setProtocol(): void {}
  getProtocol(): asyncio.BaseProtocol {
    return new asyncio.Protocol();
  }
}

/** Records the error a coroutine throws. */
function* errorOf(co: asyncio.Awaitable<unknown>): asyncio.Coroutine<unknown> {
  try {
    yield* co;
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("StreamReader: reading", () => {
  it("read(n) returns at most n bytes, what is buffered, without waiting", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        r.feedData(b("hello world"));
        const a = yield* r.read(5);
        const c = yield* r.read(100);
        return [str(a), str(c)];
      })(),
    );
    expect(result).toEqual(["hello", " world"]);
  });

  it("read() reads to EOF; read(0) is empty; read at EOF is empty", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader(4);
        r.feedData(b("abcdefghij"));
        const zero = yield* r.read(0);
        r.feedEof();
        const all = yield* r.read();
        const after = yield* r.read(10);
        return [zero.length, str(all), after.length, r.atEof()];
      })(),
    );
    expect(result).toEqual([0, "abcdefghij", 0, true]);
  });

  it("a read waits for data fed later (partial reads)", async () => {
    const { result, elapsed } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const loop = asyncio.getRunningLoop();
        loop.callLater(1, () => r.feedData(b("abc")));
        loop.callLater(2, () => r.feedData(b("def")));
        const first = yield* r.read(100);
        const second = yield* r.read(100);
        return [str(first), str(second)];
      })(),
    );
    expect(result).toEqual(["abc", "def"]);
    expect(elapsed).toBe(2);
  });

  it("readline joins chunks and returns the rest at EOF, then empty", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const loop = asyncio.getRunningLoop();
        r.feedData(b("li"));
        loop.callLater(1, () => r.feedData(b("ne1\nline")));
        loop.callLater(2, () => r.feedData(b("2\ntail")));
        loop.callLater(3, () => r.feedEof());
        const out: string[] = [];
        for (let i = 0; i < 4; i++) out.push(str(yield* r.readline()));
        return out;
      })(),
    );
    expect(result).toEqual(["line1\n", "line2\n", "tail", ""]);
  });

  it("readuntil finds a separator split across chunk boundaries", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const loop = asyncio.getRunningLoop();
        r.feedData(b("head\r"));
        loop.callLater(1, () => r.feedData(b("\n")));
        loop.callLater(2, () => r.feedData(b("a\r\n\r")));
        loop.callLater(3, () => r.feedData(b("\nrest")));
        const one = yield* r.readuntil("\r\n");
        const two = yield* r.readuntil(b("\r\n\r\n"));
        return [str(one), str(two), r.bufferedSize];
      })(),
    );
    expect(result).toEqual(["head\r\n", "a\r\n\r\n", 4]);
  });

  it("readuntil with several separators returns the earliest-ending match (3.13)", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        r.feedData(b("xx;yy\nzz"));
        const a = yield* r.readuntil(["\n", ";"]);
        const r2 = new asyncio.StreamReader();
        // "bcd" starts first but "c" ends first.
        r2.feedData(b("abcdef"));
        const c = yield* r2.readuntil(["bcd", "c"]);
        const r3 = new asyncio.StreamReader();
        r3.feedData(b("abcdef"));
        const d = yield* r3.readuntil(["abcd", "bcd"]);
        return [str(a), str(c), str(d)];
      })(),
    );
    expect(result).toEqual(["xx;", "abc", "abcd"]);
  });

  it("readuntil at EOF raises IncompleteReadError and empties the buffer", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        r.feedData(b("no separator"));
        r.feedEof();
        const e = (yield* errorOf(r.readuntil("\n"))) as asyncio.IncompleteReadError;
        return [e instanceof asyncio.IncompleteReadError, str(e.partial), e.expected, r.atEof()];
      })(),
    );
    expect(result).toEqual([true, "no separator", null, true]);
  });

  it("readuntil, read and readexactly reject bad arguments at the call", () => {
    const r = new asyncio.StreamReader();
    expect(() => r.readuntil([])).toThrow(RangeError);
    expect(() => r.readuntil("")).toThrow(RangeError);
    expect(() => r.readuntil(42 as unknown as string)).toThrow(TypeError);
    expect(() => r.read("1" as unknown as number)).toThrow(TypeError);
    expect(() => r.readexactly(1.5)).toThrow(TypeError);
    expect(() => r.readexactly(-1)).toThrow(RangeError);
  });

  it("readexactly waits for n bytes and raises IncompleteReadError on EOF midway", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const loop = asyncio.getRunningLoop();
        r.feedData(b("ab"));
        loop.callLater(1, () => r.feedData(b("cdef")));
        const four = yield* r.readexactly(4);
        loop.callLater(1, () => {
          r.feedData(b("gh"));
          r.feedEof();
        });
        const e = (yield* errorOf(r.readexactly(10))) as asyncio.IncompleteReadError;
        return [str(four), str(e.partial), e.expected, e.message, r.atEof()];
      })(),
    );
    expect(result).toEqual([
      "abcd",
      "efgh",
      10,
      "4 bytes read on a total of 10 expected bytes",
      true,
    ]);
  });

  it("readexactly(0) is empty", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        return (yield* r.readexactly(0)).length;
      })(),
    );
    expect(result).toBe(0);
  });

  it("returned buffers are never overwritten by later data", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        r.feedData(b("aaaa\n"));
        const first = yield* r.readline();
        for (let i = 0; i < 100; i++) r.feedData(b("zzzzzzzz\n"));
        const second = yield* r.readline();
        return [str(first), str(second)];
      })(),
    );
    expect(result).toEqual(["aaaa\n", "zzzzzzzz\n"]);
  });

  it("feedData copies its argument", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const data = b("abc\n");
        r.feedData(data);
        data.fill(0x78);
        return str(yield* r.readline());
      })(),
    );
    expect(result).toBe("abc\n");
  });
});

describe("StreamReader: the limit", () => {
  it("LimitOverrunError when no separator is found within the limit; buffer kept", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader(5);
        r.feedData(b("0123456789"));
        const e = (yield* errorOf(r.readuntil("\n"))) as asyncio.LimitOverrunError;
        const kept = yield* r.read(100);
        return [e instanceof asyncio.LimitOverrunError, e.message, e.consumed, str(kept)];
      })(),
    );
    expect(result).toEqual([
      true,
      "Separator is not found, and chunk exceed the limit",
      10,
      "0123456789",
    ]);
  });

  it("LimitOverrunError when the separator is found beyond the limit", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader(3);
        r.feedData(b("abcdef\n"));
        const e = (yield* errorOf(r.readuntil("\n"))) as asyncio.LimitOverrunError;
        return [e.message, e.consumed, r.bufferedSize];
      })(),
    );
    expect(result).toEqual(["Separator is found, but chunk is longer than limit", 6, 7]);
  });

  it("readline over the limit raises RangeError and discards up to the newline", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader(4);
        r.feedData(b("abcdefgh\nnext\n"));
        const e = (yield* errorOf(r.readline())) as Error;
        const next = yield* r.readline();
        const r2 = new asyncio.StreamReader(4);
        r2.feedData(b("abcdefghij"));
        const e2 = (yield* errorOf(r2.readline())) as Error;
        return [
          e.constructor.name,
          e.cause instanceof asyncio.LimitOverrunError,
          str(next),
          e2.constructor.name,
          r2.bufferedSize,
        ];
      })(),
    );
    expect(result).toEqual(["RangeError", true, "next\n", "RangeError", 0]);
  });

  it("readline that waits while its line grows past the limit raises RangeError", async () => {
    const { result } = await runVirtual(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const r = new asyncio.StreamReader(4);
        // The line arrives in pieces while readline waits: no newline within the limit.
        loop.callLater(1, () => r.feedData(b("abc")));
        loop.callLater(2, () => r.feedData(b("defg")));
        loop.callLater(3, () => r.feedData(b("hi\nok\n")));
        const e = (yield* errorOf(r.readline())) as Error;
        const at = loop.time();
        const next = yield* r.readline();
        return [e.constructor.name, e.cause instanceof asyncio.LimitOverrunError, at, str(next)];
      })(),
    );
    // Raised as soon as the buffered part passed the limit (at 2 s), not at the newline;
    // what was buffered is dropped, so the next line is the long line's tail (as CPython).
    expect(result).toEqual(["RangeError", true, 2, "hi\n"]);
  });

  it("pauses the transport past 2 × limit and resumes it at the limit", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader(4);
        const t = new FakeTransport();
        r.setTransport(t);
        r.feedData(b("12345678"));
        const before = [...t.calls];
        r.feedData(b("9"));
        const paused = [...t.calls];
        yield* r.read(3);
        const stillPaused = [...t.calls];
        yield* r.read(2);
        return [before, paused, stillPaused, t.calls];
      })(),
    );
    expect(result).toEqual([[], ["pause"], ["pause"], ["pause", "resume"]]);
  });

  it("rejects a limit <= 0 and a second transport", () => {
    expect(() => new asyncio.StreamReader(0)).toThrow(RangeError);
    const r = new asyncio.StreamReader();
    r.setTransport(new FakeTransport());
    expect(() => r.setTransport(new FakeTransport())).toThrow(asyncio.RuntimeError);
  });
});

describe("StreamReader: errors and misuse", () => {
  it("setException wakes the waiting read and fails every later read", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const boom = new Error("boom");
        asyncio.getRunningLoop().callLater(1, () => r.setException(boom));
        const e1 = yield* errorOf(r.readline());
        const e2 = yield* errorOf(r.read(1));
        const e3 = yield* errorOf(r.readexactly(1));
        const e4 = yield* errorOf(r.readuntil("x"));
        return [e1, e2, e3, e4].every((e) => e === boom) && r.exception() === boom;
      })(),
    );
    expect(result).toBe(true);
  });

  it("two concurrent reads: the second raises RuntimeError", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const first = asyncio.createTask(r.read(10));
        yield* asyncio.sleep(0);
        const e = (yield* errorOf(r.readline())) as Error;
        r.feedData(b("x"));
        return [e.message, str(yield* first)];
      })(),
    );
    expect(result).toEqual([
      "readuntil() called while another coroutine is already waiting for incoming data",
      "x",
    ]);
  });

  it("feedData after feedEof, and of a non-bytes value, throw", () => {
    const r = new asyncio.StreamReader();
    expect(() => r.feedData("text" as unknown as Uint8Array)).toThrow(TypeError);
    r.feedEof();
    expect(() => r.feedData(b("x"))).toThrow(asyncio.RuntimeError);
  });
});

describe("StreamReader: cancellation loses and duplicates nothing", () => {
  function* cancelThenRead(
    start: (r: asyncio.StreamReader) => asyncio.Coroutine<unknown>,
    feedBefore: string,
    feedAfter: string,
    finish: (r: asyncio.StreamReader) => asyncio.Coroutine<Buffer>,
  ): asyncio.Coroutine<[boolean, string]> {
    const r = new asyncio.StreamReader();
    if (feedBefore) r.feedData(b(feedBefore));
    const t = asyncio.createTask(start(r));
    yield* asyncio.sleep(1);
    t.cancel();
    const cancelled = yield* errorOf(t);
    r.feedData(b(feedAfter));
    r.feedEof();
    return [cancelled instanceof asyncio.CancelledError, str(yield* finish(r))];
  }

  it.each([
    ["read", (r: asyncio.StreamReader) => r.read(10), ""],
    ["readline", (r: asyncio.StreamReader) => r.readline(), "par"],
    ["readuntil", (r: asyncio.StreamReader) => r.readuntil("\r\n"), "par\r"],
    ["readexactly", (r: asyncio.StreamReader) => r.readexactly(100), "par"],
    ["anext", (r: asyncio.StreamReader) => r.anext(), "par"],
  ])("a cancelled %s leaves its bytes for the next read", async (_name, start, before) => {
    const { result } = await runVirtual(
      cancelThenRead(start, before, "tial\r\nmore", (r) => r.read()),
    );
    expect(result).toEqual([true, `${before}tial\r\nmore`]);
  });

  it("a read after a cancelled one may wait again", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        const t = asyncio.createTask(r.readline());
        yield* asyncio.sleep(0);
        t.cancel();
        yield* errorOf(t);
        asyncio.getRunningLoop().callLater(1, () => r.feedData(b("ok\n")));
        return str(yield* r.readline());
      })(),
    );
    expect(result).toBe("ok\n");
  });
});

describe("StreamReader: iteration", () => {
  it("anext yields lines and then done", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        r.feedData(b("a\nb\nc"));
        r.feedEof();
        const out: string[] = [];
        for (let x = yield* r.anext(); !x.done; x = yield* r.anext()) out.push(str(x.value));
        return out;
      })(),
    );
    expect(result).toEqual(["a\n", "b\n", "c"]);
  });

  it("asyncFor and for await iterate over lines", async () => {
    const { result } = await runVirtual(
      (function* () {
        const r = new asyncio.StreamReader();
        r.feedData(b("a\nb\n"));
        r.feedEof();
        const out: string[] = [];
        yield* asyncio.asyncFor(r, (line) => {
          out.push(str(line));
        });
        const r2 = new asyncio.StreamReader();
        r2.feedData(b("x\ny\n"));
        r2.feedEof();
        const native = yield* asyncio.fromPromise(
          (async () => {
            const got: string[] = [];
            for await (const line of r2) got.push(str(line));
            return got;
          })(),
        );
        return [out, native];
      })(),
    );
    expect(result).toEqual([
      ["a\n", "b\n"],
      ["x\n", "y\n"],
    ]);
  });
});

// ------------------------------------------------------------------ over real sockets

function* echoHandler(
  reader: asyncio.StreamReader,
  writer: asyncio.StreamWriter,
): asyncio.Coroutine<void> {
  yield* echoLines(reader, writer);
  writer.close();
  yield* writer.waitClosed();
}

describe("streams over TCP", () => {
  it("openConnection / startServer: an echo round trip with extra info", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0);
        const port = portOf(server);
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
        writer.writelines([b("one\n"), b("two\n")]);
        yield* writer.drain();
        const lines = [str(yield* reader.readline()), str(yield* reader.readline())];
        const peer = writer.getExtraInfo("peername");
        const missing = writer.getExtraInfo("peercert", "none");
        const canEof = writer.canWriteEof();
        writer.writeEof();
        const eof = yield* reader.read();
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return { lines, peer, missing, canEof, eof: eof.length, closing: writer.isClosing() };
      })(),
    );
    expect(result.lines).toEqual(["one\n", "two\n"]);
    expect(result.peer).toEqual(["127.0.0.1", expect.any(Number)]);
    expect(result.missing).toBe("none");
    expect(result.canEof).toBe(true);
    expect(result.eof).toBe(0);
    expect(result.closing).toBe(true);
  });

  it("works over IPv6 loopback", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "::1", 0);
        const [reader, writer] = yield* asyncio.openConnection("::1", portOf(server));
        writer.write(b("six\n"));
        const line = str(yield* reader.readline());
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return [line, writer.getExtraInfo("peername")?.[0]];
      })(),
    );
    expect(result).toEqual(["six\n", "::1"]);
  });

  it("EOF in the middle of readexactly raises IncompleteReadError with the partial bytes", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(
          function* (_r, w) {
            w.write(b("abc"));
            w.close();
            yield* w.waitClosed();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const e = (yield* errorOf(reader.readexactly(10))) as asyncio.IncompleteReadError;
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return [e.constructor.name, str(e.partial), e.expected];
      })(),
    );
    expect(result).toEqual(["IncompleteReadError", "abc", 10]);
  });

  it("connection refused rejects openConnection with Node's error", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0);
        const port = portOf(server);
        server.close();
        yield* server.waitClosed();
        const e = (yield* errorOf(
          asyncio.openConnection("127.0.0.1", port),
        )) as NodeJS.ErrnoException;
        return e.code;
      })(),
    );
    expect(result).toBe("ECONNREFUSED");
  });

  it("a slow reader makes drain() wait, with bounded memory, and concurrent drainers are released together", async () => {
    const CHUNK = 64 * 1024;
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const blocked = loop.createFuture<number>();
        let written = 0;
        let maxBuffer = 0;
        let released = 0;
        const TOTAL = 64 * 1024 * 1024;
        const server = yield* asyncio.startServer(
          function* (_r, w) {
            const chunk = Buffer.alloc(CHUNK, 0x61);
            while (written < TOTAL) {
              w.write(chunk);
              written += CHUNK;
              maxBuffer = Math.max(maxBuffer, w.transport.getWriteBufferSize());
              if (
                w.transport.getWriteBufferSize() > w.transport.getWriteBufferLimits()[1] &&
                !blocked.done()
              ) {
                // The peer is not reading: three drainers wait together.
                blocked.setResult(written);
                const extra = [1, 2].map(() =>
                  asyncio.createTask(
                    (function* () {
                      yield* w.drain();
                      released++;
                    })(),
                  ),
                );
                yield* w.drain();
                yield* asyncio.gather(...extra);
                released++;
              } else {
                yield* w.drain();
              }
            }
            w.close();
            yield* w.waitClosed();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const atBlock = yield* blocked;
        // Nothing read yet: the writer is stuck with a bounded amount in flight.
        const stuck = written;
        let total = 0;
        for (;;) {
          const data = yield* reader.read(1 << 20);
          if (data.length === 0) break;
          total += data.length;
        }
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return { atBlock, stuck, total, maxBuffer, released };
      })(),
    );
    expect(result.atBlock).toBe(result.stuck);
    expect(result.stuck).toBeLessThan(result.total);
    // kernel buffers on loopback plus our 64 KiB mark: far below what was sent in total
    expect(result.stuck).toBeLessThan(32 * 1024 * 1024);
    expect(result.maxBuffer).toBeLessThanOrEqual(64 * 1024 + CHUNK);
    expect(result.total).toBe(64 * 1024 * 1024);
    expect(result.released).toBe(3);
  });

  it("cancelled readline / read / readexactly / drain / waitClosed on a socket lose and duplicate nothing", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const go = loop.createFuture<void>();
        const server = yield* asyncio.startServer(
          function* (r, w) {
            yield* go;
            w.write(b("first\nsecond\nthird-partial"));
            yield* w.drain();
            const more = yield* r.readline();
            w.write(more);
            w.close();
            yield* w.waitClosed();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const outcomes: string[] = [];
        const waits: asyncio.Coroutine<unknown>[] = [
          reader.readline(),
          reader.read(5),
          reader.readexactly(3),
          reader.readuntil("!"),
          writer.waitClosed(),
        ];
        for (const co of waits) {
          const t = asyncio.createTask(co);
          yield* asyncio.sleep(0);
          t.cancel();
          outcomes.push(((yield* errorOf(t)) as Error).constructor.name);
        }
        const d = asyncio.createTask(writer.drain());
        d.cancel();
        outcomes.push(((yield* errorOf(d)) as Error).constructor.name);
        go.setResult(undefined);
        writer.write(b("echo me\n"));
        const rest = yield* reader.read();
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return [outcomes, str(rest)];
      })(),
    );
    expect(result).toEqual([
      Array(6).fill("CancelledError"),
      "first\nsecond\nthird-partialecho me\n",
    ]);
  });

  it("cancelling openConnection before it connects leaves nothing open", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0);
        const t = asyncio.createTask(asyncio.openConnection("127.0.0.1", portOf(server)));
        yield* asyncio.sleep(0);
        t.cancel();
        const e = yield* errorOf(t);
        server.close();
        yield* server.waitClosed();
        return (e as Error).constructor.name;
      })(),
    );
    expect(result).toBe("CancelledError");
  });

  it("a connection reset reaches read(), drain() and waitClosed() as the same error", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(
          (_r, w) => {
            // A plain (non-coroutine) callback is fine too.
            const sock = w.getExtraInfo("socket") as import("node:net").Socket;
            sock.resetAndDestroy();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const e1 = (yield* errorOf(reader.read())) as NodeJS.ErrnoException;
        const e2 = yield* errorOf(writer.drain());
        const e3 = yield* errorOf(writer.waitClosed());
        server.close();
        yield* server.waitClosed();
        return [e1.code, e2 === e1, e3 === e1, writer.isClosing()];
      })(),
    );
    expect(result).toEqual(["ECONNRESET", true, true, true]);
  });

  it("write() rejects strings with a TypeError", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0);
        const [, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        let e: unknown = null;
        try {
          writer.write("text" as unknown as Uint8Array);
        } catch (err) {
          e = err;
        }
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return (e as Error).constructor.name;
      })(),
    );
    expect(result).toBe("TypeError");
  });
});

describe("streams over Unix sockets", () => {
  const sock = unixPath();
  afterAll(() => sock.cleanup());

  it("startUnixServer / openUnixConnection echo, and the path is removed on close", async () => {
    const fs = await import("node:fs");
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startUnixServer(echoHandler, sock.path);
        const name = server.sockets[0]?.getsockname();
        const [reader, writer] = yield* asyncio.openUnixConnection(sock.path);
        writer.write(b("unix\n"));
        const line = str(yield* reader.readline());
        const peer = writer.getExtraInfo("peername");
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return [line, name, peer, fs.existsSync(sock.path)];
      })(),
    );
    expect(result).toEqual(["unix\n", sock.path, sock.path, false]);
  });
});

describe("streams over TLS", () => {
  const { key, cert } = selfSignedCert();

  it("a TLS echo with certificate verification against our own CA", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0, {
          ssl: { key, cert },
        });
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server), {
          ssl: { ca: [cert] },
          serverHostname: "localhost",
        });
        writer.write(b("secret\n"));
        const line = str(yield* reader.readline());
        const info = {
          cn: writer.getExtraInfo("peercert")?.subject.CN,
          version: writer.getExtraInfo("sslVersion"),
          cipher: typeof writer.getExtraInfo("cipher")?.name,
          canWriteEof: writer.canWriteEof(),
        };
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return { line, ...info };
      })(),
    );
    expect(result).toEqual({
      line: "secret\n",
      cn: "localhost",
      version: "TLSv1.3",
      cipher: "string",
      canWriteEof: false,
    });
  });

  it("verification is on by default: a self-signed server is refused", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0, {
          ssl: { key, cert },
        });
        const e = (yield* errorOf(
          asyncio.openConnection("localhost", portOf(server), { ssl: true }),
        )) as NodeJS.ErrnoException;
        const e2 = (yield* errorOf(
          asyncio.openConnection("127.0.0.1", portOf(server), {
            ssl: { ca: [cert] },
            serverHostname: "example.com",
          }),
        )) as NodeJS.ErrnoException;
        server.close();
        yield* server.waitClosed();
        return [e.code, e2.code];
      })(),
    );
    expect(result[0]).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(result[1]).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("startTls upgrades a plain connection on both sides (STARTTLS)", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(
          function* (r, w) {
            const cmd = str(yield* r.readline());
            if (cmd !== "STARTTLS\n") throw new Error(cmd);
            w.write(b("GO\n"));
            yield* w.startTls({ key, cert });
            const secret = yield* r.readline();
            w.write(b(`got ${str(secret)}`));
            yield* w.drain();
            w.close();
            yield* w.waitClosed();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        writer.write(b("STARTTLS\n"));
        const go = str(yield* reader.readline());
        yield* writer.startTls({ ca: [cert] }, { serverHostname: "localhost" });
        writer.write(b("hush\n"));
        const reply = str(yield* reader.readline());
        const tls = writer.getExtraInfo("sslVersion");
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        return [go, reply, tls];
      })(),
    );
    expect(result).toEqual(["GO\n", "got hush\n", "TLSv1.3"]);
  });
});

describe("real sockets on the virtual-time loop", () => {
  it("the clock does not jump past a read that waits on a socket", async () => {
    const { result } = await runVirtual(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0);
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const t0 = loop.time();
        writer.write(b("in time\n"));
        // A 5 s deadline on the virtual clock: it would fire at once if the clock jumped
        // while the read waits for the (real) echo.
        const line = yield* asyncio.waitFor(reader.readline(), 5);
        const waited = loop.time() - t0;
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
        // Timers still work while nothing waits on a socket.
        yield* asyncio.sleep(3600);
        return [str(line), waited, loop.time() - t0 >= 3600];
      })(),
    );
    expect(result).toEqual(["in time\n", 0, true]);
  });
});

describe("StreamWriter as an async context manager", () => {
  it("closes the connection on exit, even when the body fails", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(echoHandler, "127.0.0.1", 0);
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const e = yield* errorOf(
          asyncio.asyncWith(writer, function* (w) {
            w.write(b("last\n"));
            yield* reader.readline();
            throw new Error("body failed");
          }),
        );
        const closing = writer.isClosing();
        server.close();
        yield* server.waitClosed();
        return [(e as Error).message, closing];
      })(),
    );
    expect(result).toEqual(["body failed", true]);
  });
});
