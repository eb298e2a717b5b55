import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type AsyncFile, openFile } from "../src/files/index.js";
import * as asyncio from "../src/index.js";
import { caught, runVirtual } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (content?: string | Uint8Array): string => {
  const p = join(dir, `f${n++}`);
  if (content !== undefined) writeFileSync(p, content);
  return p;
};

async function run<T>(main: asyncio.Coroutine<T>): Promise<T> {
  return (await runVirtual(main)).result;
}

describe("openFile: reading", () => {
  it("reads all, by size in characters, and returns '' at EOF", async () => {
    const p = fresh("héllo wörld\n");
    const r = await run(
      (function* () {
        const f = yield* openFile(p);
        const a = yield* f.read(2);
        const b = yield* f.read(4);
        const rest = yield* f.read();
        const eof = yield* f.read();
        yield* f.close();
        return [a, b, rest, eof];
      })(),
    );
    expect(r).toEqual(["hé", "llo ", "wörld\n", ""]);
  });

  it("reads lines across chunk boundaries, keeping the newline", async () => {
    // 70,000-byte lines straddle the 64 KiB chunks.
    const long = "x".repeat(70_000);
    const p = fresh(`${long}\nshort\n${long}`);
    const lines = await run(
      (function* () {
        const f = yield* openFile(p);
        const got = yield* f.readlines();
        yield* f.close();
        return got;
      })(),
    );
    expect(lines).toEqual([`${long}\n`, "short\n", long]);
  });

  it("reads bytes in binary mode", async () => {
    const p = fresh(new Uint8Array([0, 1, 2, 10, 3, 4]));
    const r = await run(
      (function* () {
        const f = yield* openFile(p, "rb");
        const line = yield* f.readline();
        const two = yield* f.read(2);
        const rest = yield* f.read();
        yield* f.close();
        return [line, two, rest];
      })(),
    );
    expect(r).toEqual([new Uint8Array([0, 1, 2, 10]), new Uint8Array([3, 4]), new Uint8Array([])]);
  });

  it("is a native async iterable of lines", async () => {
    const p = fresh("a\nb\nc");
    const lines = await run(
      (function* () {
        const f = yield* openFile(p);
        const out = yield* asyncio.fromPromise(
          (async () => {
            const got: string[] = [];
            for await (const line of f) got.push(line);
            return got;
          })(),
        );
        yield* f.close();
        return out;
      })(),
    );
    expect(lines).toEqual(["a\n", "b\n", "c"]);
  });

  it("iterates over lines with asyncFor, and an early stop leaves the file open", async () => {
    const p = fresh("x\ny\nz\n");
    const r = await run(
      (function* () {
        return yield* asyncio.asyncWith(openFile(p), function* (f) {
          const seen: string[] = [];
          yield* asyncio.asyncFor(f, (line) => {
            seen.push(line);
            if (line === "y\n") return false;
          });
          const rest = yield* asyncio.collect(f);
          return { seen, rest, closed: f.closed };
        });
      })(),
    );
    expect(r).toEqual({ seen: ["x\n", "y\n"], rest: ["z\n"], closed: false });
  });

  it("reads a readline loop to the end", async () => {
    const p = fresh("1\n2\n3\n");
    const lines = await run(
      (function* () {
        return yield* asyncio.asyncWith(openFile(p), function* (f) {
          const out: string[] = [];
          for (let line = yield* f.readline(); line !== ""; line = yield* f.readline())
            out.push(line.trimEnd());
          return out;
        });
      })(),
    );
    expect(lines).toEqual(["1", "2", "3"]);
  });

  it("raises Node's error for a missing file and RangeError/TypeError for bad arguments", async () => {
    const err = await run(
      (function* () {
        try {
          yield* openFile(join(dir, "missing"));
        } catch (e) {
          return e as NodeJS.ErrnoException;
        }
      })(),
    );
    expect(err?.code).toBe("ENOENT");
    expect(() => openFile("x", "rw" as never)).toThrow(RangeError);
    expect(() => openFile("x", "r", { encoding: "utf-16le" as never })).toThrow(/'encoding'/);
    expect(() => openFile(42 as never)).toThrow(TypeError);
    expect(() => openFile(new URL("http://example.com/x"))).toThrow(/file: URL/);
  });

  it("refuses reads on a write-only file, and everything after close", async () => {
    const p = fresh();
    await run(
      (function* () {
        const f = yield* openFile(p, "w");
        expect(() => f.read().next()).toThrow(/not open for reading/);
        yield* f.close();
        yield* f.close();
        expect(f.closed).toBe(true);
        expect(() => f.write("x").next()).toThrow(/closed file/);
      })(),
    );
  });
});

describe("openFile: writing", () => {
  it("writes, appends and creates exclusively, as an async context manager", async () => {
    const p = fresh();
    const r = await run(
      (function* () {
        const n1 = yield* asyncio.asyncWith(openFile(p, "w"), (f) => f.write("héllo\n"));
        yield* asyncio.asyncWith(openFile(pathToFileURL(p), "a"), function* (f) {
          yield* f.writelines(["a\n", "b\n"]);
          expect(yield* f.tell()).toBe(Buffer.byteLength("héllo\na\nb\n"));
        });
        let exists: unknown;
        try {
          yield* openFile(p, "x");
        } catch (e) {
          exists = (e as NodeJS.ErrnoException).code;
        }
        return { n1, exists };
      })(),
    );
    expect(r).toEqual({ n1: 6, exists: "EEXIST" });
    expect(readFileSync(p, "utf8")).toBe("héllo\na\nb\n");
  });

  it("writes bytes, seeks, truncates, and reads back in r+ mode", async () => {
    const p = fresh("0123456789");
    const r = await run(
      (function* () {
        const f = yield* openFile(p, "r+b");
        const head = yield* f.read(3);
        yield* f.write(new Uint8Array([65, 66]));
        yield* f.seek(-2, 2);
        const tail = yield* f.read();
        yield* f.seek(0);
        yield* f.truncate(6);
        const all = yield* f.read();
        yield* f.close();
        return {
          head: Buffer.from(head).toString(),
          tail: Buffer.from(tail).toString(),
          all: Buffer.from(all).toString(),
        };
      })(),
    );
    expect(r).toEqual({ head: "012", tail: "89", all: "012AB5" });
  });

  it("refuses the wrong kind of data", async () => {
    const p = fresh();
    await run(
      (function* () {
        const t = yield* openFile(p, "w");
        expect(() => t.write(new Uint8Array(1) as never).next()).toThrow(/takes a string/);
        yield* t.close();
        const b = yield* openFile(p, "wb");
        expect(() => b.write("x" as never).next()).toThrow(/takes a Uint8Array/);
        yield* b.close();
      })(),
    );
  });

  it("the file is closed when the body of asyncWith throws", async () => {
    const p = fresh("data");
    let file: AsyncFile<string> | null = null;
    await expect(
      run(
        asyncio.asyncWith(openFile(p), function* (f) {
          file = f;
          yield* f.read(1);
          throw new Error("body failed");
        }),
      ),
    ).rejects.toThrow("body failed");
    expect((file as AsyncFile<string> | null)?.closed).toBe(true);
  });
});

describe("openFile: cancellation", () => {
  it("a cancelled read loses no data: the next read gets it", async () => {
    const content = `${"a".repeat(100_000)}\nend\n`;
    const p = fresh(content);
    const r = await run(
      (function* () {
        const f = yield* openFile(p);
        const reader = asyncio.createTask(f.readline());
        yield* asyncio.sleep(0);
        reader.cancel();
        let cancelled = false;
        try {
          yield* reader;
        } catch (e) {
          cancelled = e instanceof asyncio.CancelledError;
        }
        const rest = yield* f.read();
        yield* f.close();
        return { cancelled, rest };
      })(),
    );
    expect(r.cancelled).toBe(true);
    expect(r.rest).toBe(content);
  });

  it("a cancelled whole-file read (readFile with the task's signal) loses nothing", async () => {
    const content = "0123456789".repeat(500_000);
    const p = fresh(content);
    const r = await run(
      (function* () {
        const f = yield* openFile(p);
        const reader = asyncio.createTask(f.read());
        yield* asyncio.sleep(0);
        reader.cancel();
        let cancelled = false;
        try {
          yield* reader;
        } catch (e) {
          cancelled = e instanceof asyncio.CancelledError;
        }
        const first = yield* f.read(5);
        const rest = yield* f.read();
        yield* f.close();
        return { cancelled, first, rest: rest.length };
      })(),
    );
    expect(r).toEqual({ cancelled: true, first: "01234", rest: content.length - 5 });
  });

  it("a cancelled write still reaches the file, in order", async () => {
    const p = fresh();
    const r = await run(
      (function* () {
        const f = yield* openFile(p, "w");
        const w1 = asyncio.createTask(f.write("first\n"));
        yield* asyncio.sleep(0);
        w1.cancel();
        yield* f.write("second\n");
        yield* f.close();
        return w1.cancelled();
      })(),
    );
    expect(r).toBe(true);
    expect(readFileSync(p, "utf8")).toBe("first\nsecond\n");
  });

  it("a cancelled open leaks no descriptor", async () => {
    const p = fresh("x");
    const { readdirSync } = await import("node:fs");
    const before = readdirSync("/proc/self/fd").length;
    await run(
      (function* () {
        for (let i = 0; i < 20; i++) {
          const t = asyncio.createTask(
            (function* () {
              return yield* openFile(p);
            })(),
          );
          yield* asyncio.sleep(0);
          t.cancel();
          try {
            yield* t;
          } catch {
            // cancelled, as intended
          }
        }
        // Let the opens that completed after their cancellation be closed.
        const f = yield* openFile(p);
        yield* f.close();
      })(),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync("/proc/self/fd").length).toBeLessThanOrEqual(before);
  });
});

describe("openFile: decoding", () => {
  // "ok\n", then "caf" + a lone 0xE9 (Latin-1 é) + "!\n", then "end\n".
  const bad = Buffer.concat([Buffer.from("ok\ncaf"), Buffer.from([0xe9]), Buffer.from("!\nend\n")]);

  it("raises UnicodeDecodeError with the file offset of the bad byte, losing nothing", async () => {
    const p = fresh(bad);
    const r = await run(
      (function* () {
        return yield* asyncio.asyncWith(openFile(p), function* (f) {
          const first = yield* f.readline();
          const err = yield* caught(f.readline());
          // The line that failed stays buffered: the next read raises again, skipping nothing.
          const again = yield* caught(f.readline());
          return { first, err, again };
        });
      })(),
    );
    expect(r.first).toBe("ok\n");
    expect(r.err).toBeInstanceOf(asyncio.UnicodeDecodeError);
    const e = r.err as asyncio.UnicodeDecodeError;
    expect({ encoding: e.encoding, start: e.start }).toEqual({ encoding: "utf-8", start: 6 });
    expect(e.message).toContain(JSON.stringify(p));
    expect(e.message).toMatch(/offset 6 \(0xe9\)/);
    expect(r.again).toMatchObject({ start: 6 });
  });

  it("whole-file and sized reads are strict too", async () => {
    const p = fresh(bad);
    const r = await run(
      (function* () {
        const whole = yield* caught(asyncio.asyncWith(openFile(p), (f) => f.read()));
        const sized = yield* caught(asyncio.asyncWith(openFile(p), (f) => f.read(8)));
        return [whole, sized] as asyncio.UnicodeDecodeError[];
      })(),
    );
    expect(r[0]).toMatchObject({ name: "UnicodeDecodeError", start: 6 });
    expect(r[1]).toMatchObject({ name: "UnicodeDecodeError", start: 6 });
  });

  it('reads U+FFFD in place of bad bytes with { errors: "replace" }', async () => {
    const p = fresh(bad);
    const r = await run(
      (function* () {
        const lines = yield* asyncio.asyncWith(openFile(p, "r", { errors: "replace" }), (f) =>
          f.readlines(),
        );
        const whole = yield* asyncio.asyncWith(openFile(p, "r", { errors: "replace" }), (f) =>
          f.read(),
        );
        const strictGood = yield* asyncio.asyncWith(
          openFile(fresh("héllo\n"), "r", { errors: "strict" }),
          (f) => f.read(),
        );
        return { lines, whole, strictGood };
      })(),
    );
    expect(r.lines).toEqual(["ok\n", "caf\ufffd!\n", "end\n"]);
    expect(r.whole).toBe("ok\ncaf\ufffd!\nend\n");
    expect(r.strictGood).toBe("héllo\n");
  });

  it("refuses a bad errors value at the call", () => {
    expect(() => openFile("x", "r", { errors: "ignore" as never })).toThrow(
      /openFile\(\): 'errors' must be "strict" or "replace": received "ignore"/,
    );
  });
});
