/**
 * asyncio-ts/testing's Trio-style tools — waitAllTasksBlocked, Sequencer, the manual
 * clock and the autojump threshold — and the in-memory transport and stream pairs with
 * their faults. Every test here runs through the harness it tests (withAsyncio).
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import {
  advance,
  runTest,
  Sequencer,
  streamPair,
  transportPair,
  virtualLoop,
  waitAllTasksBlocked,
  withAsyncio,
} from "../src/testing/index.js";
import { caught } from "./helpers.js";

const test = withAsyncio(it);
const bytes = (s: string): Buffer => Buffer.from(s);

describe("waitAllTasksBlocked", () => {
  test("returns once every other task is parked, before the clock moves", function* () {
    const q = new asyncio.Queue<number>();
    const log: string[] = [];
    const consumer = asyncio.createTask(
      (function* () {
        yield* asyncio.sleep(0);
        yield* asyncio.sleep(0);
        log.push(`got ${yield* q.get()}`);
      })(),
    );
    const sleeper = asyncio.createTask(asyncio.sleep(5));
    yield* waitAllTasksBlocked();
    expect(consumer.done()).toBe(false);
    expect(asyncio.getRunningLoop().time()).toBe(0);
    q.putNowait(1);
    yield* waitAllTasksBlocked();
    expect(log).toEqual(["got 1"]);
    expect(consumer.done()).toBe(true);
    yield* sleeper;
  });

  test("several waiters are woken one at a time, first come first served", function* () {
    const order: string[] = [];
    const waiter = (name: string) =>
      asyncio.createTask(
        (function* () {
          yield* waitAllTasksBlocked();
          order.push(name);
        })(),
      );
    const a = waiter("a");
    const b = waiter("b");
    yield* asyncio.sleep(0);
    yield* asyncio.gather(a, b);
    expect(order).toEqual(["a", "b"]);
  });

  test("a cancelled waiter is not woken later", function* () {
    const t = asyncio.createTask(waitAllTasksBlocked());
    yield* asyncio.sleep(0);
    t.cancel();
    expect(yield* caught(t)).toBeInstanceOf(asyncio.CancelledError);
    yield* waitAllTasksBlocked();
  });

  test("needs the virtual loop: a clear error on the real one", { loop: "real" }, function* () {
    const e = yield* caught(waitAllTasksBlocked());
    expect(e).toBeInstanceOf(asyncio.RuntimeError);
    expect((e as Error).message).toMatch(/needs a VirtualEventLoop/);
  });
});

describe("Sequencer", () => {
  test("bodies run in the order of their positions, whatever the start order", function* () {
    const seq = new Sequencer();
    const order: number[] = [];
    const at = (n: number) =>
      asyncio.asyncWith(seq.at(n), function* () {
        yield* asyncio.sleep(0);
        order.push(n);
      });
    yield* asyncio.gather(at(2), at(0), at(3), at(1));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  test("a position used twice is an error", function* () {
    const seq = new Sequencer();
    yield* asyncio.asyncWith(seq.at(0), function* () {});
    const e = yield* caught(asyncio.asyncWith(seq.at(0), function* () {}));
    expect((e as Error).message).toBe("Sequencer.at(0): position 0 was already used");
  });

  test("a body that fails breaks the sequence: later positions fail, not hang", function* () {
    const seq = new Sequencer();
    const [first, second] = yield* asyncio.gather(
      caught(
        asyncio.asyncWith(seq.at(0), function* () {
          throw new Error("first failed");
        }),
      ),
      caught(asyncio.asyncWith(seq.at(1), function* () {})),
    );
    expect((first as Error).message).toBe("first failed");
    expect((second as Error).message).toBe("Sequencer.at(1): the sequence is broken");
  });

  test("a cancelled waiter breaks the sequence", function* () {
    const seq = new Sequencer();
    const waiting = asyncio.createTask(asyncio.asyncWith(seq.at(1), function* () {}));
    yield* asyncio.sleep(0);
    waiting.cancel();
    expect(yield* caught(waiting)).toBeInstanceOf(asyncio.CancelledError);
    const e = yield* caught(asyncio.asyncWith(seq.at(0), function* () {}));
    expect((e as Error).message).toBe("Sequencer.at(0): the sequence is broken");
  });

  it("rejects a position that is not a non-negative integer", () => {
    expect(() => new Sequencer().at(-1)).toThrow(
      "Sequencer.at(): 'position' must be an integer >= 0: received -1",
    );
  });
});

describe("the clock", () => {
  test("a manual clock moves only when advanced", {
    virtual: { autojumpThreshold: Infinity },
  }, function* () {
    const t = asyncio.createTask(asyncio.sleep(10));
    yield* advance(9.5);
    expect(t.done()).toBe(false);
    expect(asyncio.getRunningLoop().time()).toBe(9.5);
    yield* advance(0.5);
    expect(t.done()).toBe(true);
  });

  test("the threshold can change while the loop runs", function* () {
    const loop = virtualLoop();
    loop.autojumpThreshold = Infinity;
    expect(loop.autojumpThreshold).toBe(Infinity);
    const t = asyncio.createTask(asyncio.sleep(1));
    yield* waitAllTasksBlocked();
    expect(t.done()).toBe(false);
    loop.autojumpThreshold = 0;
    yield* t;
    expect(loop.time()).toBe(1);
  });

  test("with a threshold, the clock jumps only after the loop has been idle that long (real time)", {
    virtual: { autojumpThreshold: 0.01 },
  }, function* () {
    const loop = virtualLoop();
    const real = performance.now();
    yield* asyncio.sleep(100);
    expect(loop.time()).toBe(100);
    // ordered, not timed: the jump waited for a real timer, so real time passed
    expect(performance.now()).toBeGreaterThan(real);
  });

  it("rejects a bad threshold, naming it", () => {
    expect(() => new asyncio.VirtualEventLoop({ autojumpThreshold: -1 })).toThrow(
      "VirtualEventLoop(): 'autojumpThreshold' must be a number of seconds >= 0: received -1",
    );
  });

  it("advance() needs a running virtual loop", async () => {
    await expect(
      runTest(
        function* () {
          yield* advance(1);
        },
        { loop: "real" },
      ),
    ).rejects.toThrow(/needs a VirtualEventLoop/);
  });
});

describe("in-memory streams", () => {
  test("what one end writes the other reads; close is EOF", function* () {
    const [a, b] = streamPair();
    a.writer.write(bytes("hello\nworld"));
    expect((yield* b.reader.readline()).toString()).toBe("hello\n");
    a.writer.close();
    expect((yield* b.reader.read()).toString()).toBe("world");
    expect(b.reader.atEof()).toBe(true);
    yield* a.writer.waitClosed();
    b.writer.close();
    yield* b.writer.waitClosed();
  });

  test("data crosses on a later iteration, never inline", function* () {
    const got: string[] = [];
    const receiver = new (class extends asyncio.Protocol {
      override dataReceived(d: Buffer) {
        got.push(d.toString());
      }
    })();
    const [a, b] = transportPair(new asyncio.Protocol(), receiver);
    a.transport.write(bytes("x"));
    expect(got).toEqual([]);
    yield* waitAllTasksBlocked();
    expect(got).toEqual(["x"]);
    a.transport.close();
    b.transport.close();
  });

  test("short reads deliver pieces, same seed same pieces", function* () {
    const pieces = function* (seed: number): asyncio.Coroutine<number[]> {
      const sizes: number[] = [];
      const proto = new (class extends asyncio.Protocol {
        override dataReceived(d: Buffer) {
          sizes.push(d.length);
        }
      })();
      const [a, , link] = transportPair(new asyncio.Protocol(), proto, {
        shortReads: true,
        maxChunk: 8,
        seed,
      });
      a.transport.write(Buffer.alloc(100));
      yield* waitAllTasksBlocked();
      link.reset();
      yield* asyncio.sleep(0);
      return sizes;
    };
    const one = yield* pieces(5);
    expect(one.reduce((x, y) => x + y, 0)).toBe(100);
    expect(Math.max(...one)).toBeLessThanOrEqual(8);
    expect(one.length).toBeGreaterThan(12);
    expect(yield* pieces(5)).toEqual(one);
  });

  test("a stalled link holds data until resumed", function* () {
    const [a, b, link] = streamPair();
    link.stall();
    a.writer.write(bytes("late"));
    const read = asyncio.createTask(b.reader.read(4));
    yield* asyncio.sleep(60);
    expect(read.done()).toBe(false);
    link.resume();
    expect((yield* read).toString()).toBe("late");
    a.writer.close();
    b.writer.close();
  });

  test("a reset fails both ends with ConnectionResetError", function* () {
    const [a, b, link] = streamPair();
    const read = asyncio.createTask(b.reader.read(10));
    yield* waitAllTasksBlocked();
    link.reset();
    expect(yield* caught(read)).toBeInstanceOf(asyncio.ConnectionResetError);
    yield* asyncio.sleep(0);
    expect(a.writer.isClosing()).toBe(true);
    expect(yield* caught(a.writer.drain())).toBeInstanceOf(asyncio.ConnectionResetError);
  });

  test("lockstep: drain() returns only once the peer has received the bytes", function* () {
    const [a, b] = streamPair({ lockstep: true });
    const log: string[] = [];
    a.writer.write(bytes("ab"));
    const drained = asyncio.createTask(
      (function* () {
        yield* a.writer.drain();
        log.push("drained");
      })(),
    );
    yield* asyncio.sleep(0);
    expect(log).toEqual([]);
    log.push(`read ${(yield* b.reader.readexactly(2)).toString()}`);
    yield* drained;
    expect(log).toEqual(["read ab", "drained"]);
    a.writer.close();
    b.writer.close();
  });

  test("flow control: a reader that stops reading pushes back on the writer", function* () {
    const [a, b] = streamPair();
    a.writer.transport.setWriteBufferLimits(1024);
    const big = Buffer.alloc(1 << 20);
    a.writer.write(big);
    const drain = asyncio.createTask(a.writer.drain());
    yield* waitAllTasksBlocked();
    expect(drain.done()).toBe(false);
    const got = yield* b.reader.readexactly(big.length);
    expect(got.length).toBe(big.length);
    yield* drain;
    a.writer.close();
    b.writer.close();
  });

  it("an in-memory transport left open is a leak the harness names", async () => {
    await expect(
      runTest(function* () {
        streamPair();
      }),
    ).rejects.toThrow(
      /resource still open: <MemoryTransport open memory-a -> memory-b>, created at .*testing_tools/,
    );
  });

  test("bad arguments fail at the call", function* () {
    expect(() => streamPair({ maxChunk: 0 })).toThrow(
      "streamPair(): 'maxChunk' must be an integer >= 1: received 0",
    );
    expect(() =>
      transportPair(null as unknown as asyncio.Protocol, new asyncio.Protocol()),
    ).toThrow("transportPair(): 'protocolA' must be a protocol: received null");
    const [a, b] = streamPair();
    expect(() => a.writer.write("text" as unknown as Buffer)).toThrow(TypeError);
    a.writer.writeEof();
    expect(() => a.writer.write(bytes("x"))).toThrow(/after writeEof/);
    a.writer.close();
    b.writer.close();
  });
});
