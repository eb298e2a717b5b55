/**
 * Asynchronous files, in the spirit of aiofiles: {@link openFile} gives an
 * {@link AsyncFile} whose `read`, `readline`, `write`, `seek` and `close` are awaitables on
 * the loop, over `node:fs/promises` file handles.
 *
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import * as files from "asyncio-ts/files";
 *
 * function* main() {
 *   yield* asyncio.asyncWith(files.openFile("notes.txt", "w"), function* (f) {
 *     yield* f.write("one\ntwo\n");
 *   });
 *   yield* asyncio.asyncWith(files.openFile("notes.txt"), function* (f) {
 *     yield* asyncio.asyncFor(f, (line) => console.log(line.trimEnd()));
 *   });
 * }
 * ```
 *
 * Text modes (`"r"`, `"w"`, `"a"`, `"x"`, with `"+"`) read and write strings (UTF-8 or
 * Latin-1); binary modes (with `"b"`) read and write `Uint8Array`s. Reading invalid UTF-8
 * raises `UnicodeDecodeError` (with the file offset of the bad byte), unless the file was
 * opened with `{ errors: "replace" }`. Lines end at `"\n"`,
 * which is kept; unlike Python there is no newline translation (`"\r\n"` stays as is).
 * Sizes in text mode count characters (code points), as Python's.
 *
 * **Cancellation.** Reads fill an internal buffer from the file in 64 KiB chunks; a read
 * takes its data from that buffer only when it resumes. So a cancelled `read` or
 * `readline` loses nothing: what was read from the disk waits in the buffer for the next
 * call. A cancelled `write` cannot be taken back: it still reaches the file, in order, and
 * a later error from it is raised by the next `write`, `flush` or `close`. A cancelled
 * `openFile` closes the file if the open completed anyway. A `read()` of a whole file from
 * its start uses `FileHandle.readFile` with the task's `AbortSignal`, which stops it;
 * Node's other file-handle reads and writes take no signal, so a cancelled call stops
 * waiting at once while the chunk in flight completes in the background.
 *
 * @module
 */

import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { bridgePromise } from "../core/base_events.js";
import type { Awaitable, Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { RuntimeError } from "../core/exceptions.js";
import {
  checkErrors,
  type DecodeErrors,
  type Decoder,
  decodeText,
  makeDecoder,
} from "../io/decoding.js";

/** How much one read from the disk asks for. */
const CHUNK = 64 * 1024;

type Base = "r" | "w" | "a" | "x";
/**
 * A text mode: `"r"` (default), `"w"`, `"a"`, `"x"`, with `"+"` to read and write, `"t"` allowed.
 *
 * @example
 * ```ts
 * const mode: files.TextMode = "a+";
 * yield* asyncio.asyncWith(files.openFile("log.txt", mode), function* (f) {
 *   yield* f.write("started\n");
 * });
 * ```
 */
export type TextMode = Base | `${Base}+` | `${Base}t` | `${Base}+t` | `${Base}t+`;
/**
 * A binary mode: a text mode's letter with `"b"`: `"rb"`, `"wb"`, `"ab"`, `"xb"`, `"r+b"`, `"rb+"`, …
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("image.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
 * const mode: files.BinaryMode = "rb";
 * const bytes = yield* asyncio.asyncWith(files.openFile("image.png", mode), (f) => f.read()); // Uint8Array
 * console.log(bytes.length); // 4
 * ```
 */
export type BinaryMode = `${Base}b` | `${Base}+b` | `${Base}b+`;

/**
 * The encodings text mode supports.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("legacy.txt", new Uint8Array([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
 * const encoding: files.FileEncoding = "latin1";
 * const opener = files.openFile("legacy.txt", "r", { encoding });
 * const text = yield* asyncio.asyncWith(opener, (f) => f.read());
 * console.log(text); // café
 * ```
 */
export type FileEncoding = "utf-8" | "utf8" | "latin1";

/**
 * Options of {@link openFile}: `openFile(path, "r", { encoding: "latin1" })`.
 *
 * @example
 * ```ts
 * yield* asyncio.asyncWith(files.openFile("notes.txt", "w", { encoding: "utf-8" }), function* (f) {
 *   yield* f.write("héllo\n");
 * });
 * ```
 */
export interface OpenFileOptions {
  /** Text mode's encoding: `"utf-8"` (default) or `"latin1"`. Ignored in binary mode. */
  encoding?: FileEncoding;
  /**
   * Text mode's handling of undecodable bytes, as Python's `errors=`: `"strict"` (default)
   * raises `UnicodeDecodeError`, `"replace"` reads U+FFFD in their place.
   */
  errors?: DecodeErrors;
}

interface ParsedMode {
  flags: string;
  readable: boolean;
  writable: boolean;
  append: boolean;
  binary: boolean;
}

function parseMode(mode: unknown): ParsedMode {
  if (typeof mode !== "string" || !/^[rwax](?:\+?[bt]?|[bt]\+?)$/.test(mode)) {
    throw new RangeError(
      `openFile(): 'mode' must be r, w, a or x, optionally with + and b or t: received ${describe(mode)}`,
    );
  }
  const kind = mode[0] as Base;
  const plus = mode.includes("+");
  const flags = { r: "r", w: "w", a: "a", x: "wx" }[kind] + (plus ? "+" : "");
  return {
    flags,
    readable: kind === "r" || plus,
    writable: kind !== "r" || plus,
    append: kind === "a",
    binary: mode.includes("b"),
  };
}

/**
 * An open file whose operations are awaitables on the loop: made by {@link openFile}.
 * `T` is `string` in text mode, `Uint8Array` in binary mode. Also an async context manager
 * (`aexit` closes it) and a native `AsyncIterable` of lines (`for await` in async code).
 *
 * Operations may be issued by several tasks: reads take data in the order they resume,
 * writes reach the file in the order they were called.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("data.bin", new Uint8Array(64).fill(7));
 * const f: files.AsyncFile<Uint8Array> = yield* files.openFile("data.bin", "rb");
 * const header = yield* f.read(16);
 * yield* f.close();
 * console.log(header.length); // 16
 * ```
 */
export class AsyncFile<T extends string | Uint8Array> implements AsyncIterable<T> {
  /** The path the file was opened with. */
  readonly name: string;
  /** The mode the file was opened with. */
  readonly mode: string;
  /** @internal */
  private readonly _fh: FileHandle;
  /** @internal */
  private readonly _m: ParsedMode;
  /** @internal */
  private readonly _encoding: BufferEncoding;
  /** @internal */
  private readonly _decoder: Decoder | null;
  /** @internal Bytes read from the disk and not yet taken by a read. */
  private _buf: Buffer = Buffer.alloc(0);
  /** @internal The file position just after `_buf` (where the next disk read starts). */
  private _filePos: number;
  /** @internal */
  private _eof = false;
  /** @internal */
  private _inflight: Promise<void> | null = null;
  /** @internal The last write issued: later writes and close() wait for it. */
  private _writeTail: Promise<void> = Promise.resolve();
  /** @internal An error of a write nobody was waiting for any more, raised by the next call. */
  private _writeError: unknown = null;
  /** @internal */
  private _closing: Promise<void> | null = null;

  /** @internal use {@link openFile} */
  constructor(
    fh: FileHandle,
    name: string,
    mode: string,
    m: ParsedMode,
    encoding: FileEncoding,
    errors: DecodeErrors,
    position: number,
  ) {
    this._fh = fh;
    this.name = name;
    this.mode = mode;
    this._m = m;
    this._encoding = encoding === "latin1" ? "latin1" : "utf8";
    this._decoder = m.binary
      ? null
      : makeDecoder(encoding === "latin1" ? "latin1" : "utf-8", errors);
    this._filePos = position;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this._closing !== null;
  }

  /**
   * Reads up to `size` characters (text) or bytes (binary); all that is left when `size`
   * is negative (the default). Evaluates to an empty string or array at end of file.
   *
   * Errors: `RuntimeError` if the file is closed or not open for reading; Node's error if
   * the disk read fails. Cancellation: nothing is lost (see the module).
   *
   * @example
   * ```ts
   * const all = yield* f.read();
   * ```
   */
  *read(size = -1): Coroutine<T> {
    this._checkReadable("read");
    if (!Number.isInteger(size)) {
      throw new TypeError(`read(): 'size' must be an integer: received ${describe(size)}`);
    }
    const loop = getRunningLoop();
    if (
      size < 0 &&
      this._filePos === 0 &&
      this._buf.length === 0 &&
      !this._eof &&
      !this._m.append
    ) {
      // Reading a whole file from its start: one readFile() that the task's signal stops.
      yield* bridgePromise(this._fillAll(loop._currentTask?.signal), loop);
    }
    for (;;) {
      const got = this._takeSize(size);
      if (got !== null) return got;
      yield* bridgePromise(this._fill(), loop);
    }
  }

  /**
   * Reads one line, with its `"\n"`; the last line may lack it. Evaluates to an empty
   * string or array at end of file. Errors and cancellation as {@link read}.
   *
   * @example
   * ```ts
   * for (let line = yield* f.readline(); line !== ""; line = yield* f.readline()) {}
   * ```
   */
  *readline(): Coroutine<T> {
    this._checkReadable("readline");
    for (;;) {
      const got = this._takeLine();
      if (got !== null) return got;
      yield* bridgePromise(this._fill(), getRunningLoop());
    }
  }

  /**
   * Reads every remaining line into an array.
   *
   * @example
   * ```ts
   * const lines = yield* f.readlines();
   * ```
   */
  *readlines(): Coroutine<T[]> {
    const lines: T[] = [];
    for (;;) {
      const line = yield* this.readline();
      if (line.length === 0) return lines;
      lines.push(line);
    }
  }

  /**
   * Writes `data` (a string in text mode, a `Uint8Array` in binary mode) and evaluates to
   * the number of characters or bytes written, once it is in the file.
   *
   * Errors: `TypeError` for the wrong kind of data; `RuntimeError` if the file is closed or
   * not writable; Node's error if a write (this one or an earlier cancelled one) failed.
   * Cancellation: the data is still written, in order; only the waiting stops.
   *
   * @example
   * ```ts
   * yield* f.write("hello\n");
   * ```
   */
  *write(data: T): Coroutine<number> {
    this._checkOpen("write");
    if (!this._m.writable) throw new RuntimeError("write(): the file is not open for writing");
    let bytes: Buffer;
    if (this._m.binary) {
      if (!(data instanceof Uint8Array)) {
        throw new TypeError(
          `write(): a binary file takes a Uint8Array: received ${describe(data)}`,
        );
      }
      bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    } else {
      if (typeof data !== "string") {
        throw new TypeError(`write(): a text file takes a string: received ${describe(data)}`);
      }
      bytes = Buffer.from(data, this._encoding);
    }
    this._raiseWriteError();
    // Writing after reading continues at the logical position: drop what was read ahead.
    this._dropReadAhead();
    const position = this._m.append ? null : this._filePos;
    this._filePos += bytes.length;
    const done = this._chainWrite(bytes, position);
    try {
      yield* bridgePromise(done, getRunningLoop());
    } catch (e) {
      // This caller receives its own write's error: it is no longer pending for others.
      if (this._writeError === e) this._writeError = null;
      throw e;
    }
    return this._m.binary ? bytes.length : [...(data as string)].length;
  }

  /**
   * Writes each item of `lines` in turn (no separators are added).
   *
   * @example
   * ```ts
   * yield* f.writelines(["a\n", "b\n"]);
   * ```
   */
  *writelines(lines: Iterable<T>): Coroutine<void> {
    for (const line of lines) yield* this.write(line);
  }

  /**
   * Waits until every write issued so far is in the file, raising a failed one's error.
   *
   * @example
   * ```ts
   * yield* f.flush();
   * ```
   */
  *flush(): Coroutine<void> {
    this._checkOpen("flush");
    yield* bridgePromise(this._writeTail, getRunningLoop());
    this._raiseWriteError();
  }

  /**
   * Moves to byte `offset` from the start (`whence` 0), the current position (1) or the
   * end (2) and evaluates to the new position. In text mode, only `whence` 0 with an
   * offset from {@link tell}, or `seek(0, 2)`, are meaningful (as in Python).
   *
   * @example
   * ```ts
   * yield* f.seek(0);
   * ```
   */
  *seek(offset: number, whence: 0 | 1 | 2 = 0): Coroutine<number> {
    this._checkOpen("seek");
    if (!Number.isInteger(offset)) {
      throw new TypeError(`seek(): 'offset' must be an integer: received ${describe(offset)}`);
    }
    if (whence !== 0 && whence !== 1 && whence !== 2) {
      throw new RangeError(`seek(): 'whence' must be 0, 1 or 2: received ${describe(whence)}`);
    }
    const loop = getRunningLoop();
    yield* bridgePromise(this._settled(), loop);
    let base = 0;
    if (whence === 1) base = this._filePos - this._buf.length;
    else if (whence === 2) base = (yield* bridgePromise(this._fh.stat(), loop)).size;
    const target = base + offset;
    if (target < 0) throw new RangeError(`seek(): negative position ${target}`);
    this._buf = Buffer.alloc(0);
    this._eof = false;
    this._filePos = target;
    return target;
  }

  /**
   * The current position in bytes (after the writes issued so far).
   *
   * @example
   * ```ts
   * const pos = yield* f.tell();
   * ```
   */
  *tell(): Coroutine<number> {
    this._checkOpen("tell");
    yield* bridgePromise(this._settled(), getRunningLoop());
    return this._filePos - this._buf.length;
  }

  /**
   * Cuts the file to `size` bytes (the current position by default); evaluates to `size`.
   *
   * @example
   * ```ts
   * yield* f.truncate(0);
   * ```
   */
  *truncate(size?: number): Coroutine<number> {
    this._checkOpen("truncate");
    if (!this._m.writable) throw new RuntimeError("truncate(): the file is not open for writing");
    const loop = getRunningLoop();
    yield* bridgePromise(this._settled(), loop);
    const n = size ?? this._filePos - this._buf.length;
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `truncate(): 'size' must be an integer >= 0: received ${describe(size)}`,
      );
    }
    yield* bridgePromise(this._fh.truncate(n), loop);
    return n;
  }

  /**
   * Closes the file once pending writes are done; idempotent. Raises the error of a write
   * that failed unobserved. If the awaiting task is cancelled, the file is still closed.
   *
   * @example
   * ```ts
   * yield* f.close();
   * ```
   */
  *close(): Coroutine<void> {
    yield* bridgePromise(this._startClose(), getRunningLoop());
    this._raiseWriteError();
  }

  /** @internal Starts closing (once): pending reads and writes finish first. */
  _startClose(): Promise<void> {
    if (this._closing === null) {
      this._closing = this._settled().then(() => this._fh.close());
      this._closing.catch(() => {});
    }
    return this._closing;
  }

  /** Async context manager entry: the file itself. */
  *aenter(): Coroutine<this> {
    return this;
  }

  /** Async context manager exit: closes the file; never suppresses the body's error. */
  *aexit(_exc: unknown): Coroutine<void> {
    yield* this.close();
  }

  /**
   * The next line, in the library's async iterator protocol (`AsyncIter`): `{ done:
   * false, value: line }`, or `{ done: true }` at end of file. So `asyncFor(file, body)`
   * and `collect(file)` iterate over the lines. Ending a loop early does not close the
   * file (as in Python); errors and cancellation as {@link readline}.
   *
   * @example
   * ```ts
   * yield* asyncio.asyncFor(file, (line) => console.log(line.trimEnd()));
   * ```
   */
  *anext(): Coroutine<IteratorResult<T, undefined>> {
    const line = yield* this.readline();
    if (line.length === 0) return { done: true, value: undefined };
    return { done: false, value: line };
  }

  /**
   * The lines of the file, for `for await` in `async` code (outside coroutines).
   *
   * @example
   * ```ts
   * yield* file.write("one\ntwo\n");
   * yield* file.seek(0);
   * const lines: string[] = [];
   * // In an async function, `for await` reads the file line by line.
   * yield* asyncio.fromPromise(
   *   (async () => {
   *     for await (const line of file) lines.push(line);
   *   })(),
   * );
   * console.log(lines); // ["one\n", "two\n"]
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    this._checkReadable("iterate");
    for (;;) {
      const line = this._takeLine();
      if (line === null) {
        await this._fill();
        continue;
      }
      if (line.length === 0) return;
      yield line;
    }
  }

  toString(): string {
    return `<AsyncFile name=${JSON.stringify(this.name)} mode=${JSON.stringify(this.mode)}${this.closed ? " closed" : ""}>`;
  }

  // ---------------------------------------------------------------- internals

  /** @internal */
  private _checkOpen(method: string): void {
    if (this._closing !== null) throw new RuntimeError(`${method}(): I/O operation on closed file`);
  }

  /** @internal */
  private _checkReadable(method: string): void {
    this._checkOpen(method);
    if (!this._m.readable) throw new RuntimeError(`${method}(): the file is not open for reading`);
  }

  /** @internal */
  private _raiseWriteError(): void {
    const e = this._writeError;
    if (e !== null) {
      this._writeError = null;
      throw e;
    }
  }

  /** @internal Resolves when no read and no write is in flight. */
  private async _settled(): Promise<void> {
    for (;;) {
      const read = this._inflight;
      const tail = this._writeTail;
      await Promise.allSettled([read, tail]);
      if (this._inflight === null && this._writeTail === tail) return;
    }
  }

  /** @internal */
  private _dropReadAhead(): void {
    if (this._buf.length > 0) {
      this._filePos -= this._buf.length;
      this._buf = Buffer.alloc(0);
    }
    this._eof = false;
  }

  /** @internal Reads the next chunk from the disk into the buffer; shared by concurrent readers. */
  private _fill(): Promise<void> {
    if (this._inflight !== null) return this._inflight;
    const p = (async () => {
      await this._writeTail.catch(() => {});
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await this._fh.read(chunk, 0, CHUNK, this._filePos);
      if (bytesRead === 0) this._eof = true;
      else {
        this._buf =
          this._buf.length === 0
            ? chunk.subarray(0, bytesRead)
            : Buffer.concat([this._buf, chunk.subarray(0, bytesRead)]);
        this._filePos += bytesRead;
      }
    })().finally(() => {
      this._inflight = null;
    });
    this._inflight = p;
    return p;
  }

  /**
   * Reads the whole file into the buffer with `FileHandle.readFile`, which takes an
   * AbortSignal. Only valid from position 0 with nothing buffered: readFile reads from the
   * kernel's file position, which our positional reads and writes never move (append mode
   * excepted). An aborted read adds nothing; readers then go on chunk by chunk.
   * @internal
   */
  private _fillAll(signal: AbortSignal | undefined): Promise<void> {
    if (this._inflight !== null) return this._inflight;
    const p = (async () => {
      await this._writeTail.catch(() => {});
      if (this._filePos !== 0 || this._buf.length !== 0) return;
      try {
        const data = await this._fh.readFile(signal === undefined ? {} : { signal });
        this._buf = data;
        this._filePos = data.length;
        this._eof = true;
      } catch (e) {
        if ((e as { name?: unknown } | null)?.name !== "AbortError") throw e;
      }
    })().finally(() => {
      this._inflight = null;
    });
    this._inflight = p;
    return p;
  }

  /** @internal */
  private _chainWrite(bytes: Buffer, position: number | null): Promise<void> {
    const write = async (): Promise<void> => {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await this._fh.write(
          bytes,
          off,
          bytes.length - off,
          position === null ? null : position + off,
        );
        off += bytesWritten;
      }
    };
    const p = this._writeTail.then(write, write);
    // Recorded for the next call; cleared if the writer itself receives it (see write()).
    const tracked = p.catch((e: unknown) => {
      if (this._writeError === null) this._writeError = e;
    });
    this._writeTail = tracked;
    return p;
  }

  /** @internal Decodes the first `end` bytes of the buffer, then takes them out of it. */
  private _take(end: number): T {
    const buf = this._buf;
    const bytes = buf.subarray(0, end);
    // Decoded before the buffer moves on: a decoding error loses nothing.
    const value =
      this._decoder === null
        ? new Uint8Array(bytes)
        : decodeText(
            this._decoder,
            bytes,
            `the file ${JSON.stringify(this.name)}`,
            this._filePos - buf.length,
          );
    this._buf = buf.subarray(end);
    return value as T;
  }

  /**
   * Takes up to `size` units from the buffer if enough are there (or at EOF); else null.
   * @internal
   */
  private _takeSize(size: number): T | null {
    const buf = this._buf;
    if (size < 0) {
      if (!this._eof) return null;
      return this._take(buf.length);
    }
    let end: number;
    if (this._decoder === null || this._encoding === "latin1") {
      if (buf.length < size && !this._eof) return null;
      end = Math.min(size, buf.length);
    } else {
      // Find where the (size+1)-th code point starts: UTF-8 lead bytes are not 10xxxxxx.
      let seen = 0;
      end = -1;
      for (let i = 0; i < buf.length; i++) {
        if (((buf[i] as number) & 0xc0) !== 0x80) {
          if (seen === size) {
            end = i;
            break;
          }
          seen++;
        }
      }
      if (end < 0) {
        if (!this._eof) return null;
        end = buf.length;
      }
    }
    return this._take(end);
  }

  /** @internal Takes one line from the buffer if a whole one is there (or at EOF); else null. */
  private _takeLine(): T | null {
    const buf = this._buf;
    const nl = buf.indexOf(0x0a);
    if (nl < 0 && !this._eof) return null;
    return this._take(nl < 0 ? buf.length : nl + 1);
  }
}

/**
 * What {@link openFile} returns: await it for the file, or use it as an async context
 * manager that closes the file on exit.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("a.txt", "hello");
 * const opener: files.FileOpener<string> = files.openFile("a.txt");
 * const f = yield* opener; // awaited: close it yourself
 * yield* f.close();
 * console.log(yield* asyncio.asyncWith(files.openFile("a.txt"), (f) => f.read())); // managed: hello
 * ```
 */
export class FileOpener<T extends string | Uint8Array> implements Awaitable<AsyncFile<T>> {
  /** @internal */
  private _file: AsyncFile<T> | null = null;

  /** @internal */
  constructor(
    /** @internal */ private readonly _path: string,
    /** @internal */ private readonly _mode: string,
    /** @internal */ private readonly _m: ParsedMode,
    /** @internal */ private readonly _encoding: FileEncoding,
    /** @internal */ private readonly _errors: DecodeErrors,
  ) {}

  *[Symbol.iterator](): Coroutine<AsyncFile<T>> {
    const loop = getRunningLoop();
    const m = this._m;
    const opening = open(this._path, m.flags).then(async (fh) => {
      try {
        const position = m.append ? (await fh.stat()).size : 0;
        return new AsyncFile<T>(
          fh,
          this._path,
          this._mode,
          m,
          this._encoding,
          this._errors,
          position,
        );
      } catch (e) {
        await fh.close();
        throw e;
      }
    });
    const fut = bridgePromise(opening, loop);
    // Cancelled while opening: the open still completes, so close what it gives.
    fut.addDoneCallback((f) => {
      if (f.cancelled()) {
        opening.then(
          (file) => file._startClose(),
          () => {},
        );
      }
    });
    return yield* fut;
  }

  /** Opens the file. */
  *aenter(): Coroutine<AsyncFile<T>> {
    this._file = yield* this;
    return this._file;
  }

  /** Closes the file; never suppresses the body's error. */
  *aexit(_exc: unknown): Coroutine<void> {
    const f = this._file;
    this._file = null;
    if (f !== null) yield* f.close();
  }
}

/**
 * Opens a file, as aiofiles' `open()`: `yield* openFile(path)` evaluates to an
 * {@link AsyncFile}; `asyncWith(openFile(path), body)` also closes it at the end.
 *
 * `mode` as Python's: `"r"` (default), `"w"` (truncate), `"a"` (append), `"x"` (create,
 * fail if it exists), `"+"` to read and write, `"b"` for bytes.
 *
 * Errors: `RangeError` for a bad mode, encoding or `errors`, `TypeError` for a bad path, at
 * the call; Node's error (`ENOENT`, `EEXIST`, `EACCES`, …) when awaited. In text mode, a
 * read of invalid UTF-8 raises `UnicodeDecodeError` unless `{ errors: "replace" }`. Cancellation: a file opened
 * after its opener was cancelled is closed, never leaked.
 *
 * @example
 * ```ts
 * function* main() {
 *   const text = yield* asyncio.asyncWith(files.openFile("a.txt"), (f) => f.read());
 *   yield* asyncio.asyncWith(files.openFile("b.bin", "wb"), function* (f) {
 *     yield* f.write(new Uint8Array([1, 2, 3]));
 *   });
 * }
 * ```
 */
export function openFile(
  path: string | URL,
  mode: BinaryMode,
  options?: OpenFileOptions,
): FileOpener<Uint8Array>;
export function openFile(
  path: string | URL,
  mode?: TextMode,
  options?: OpenFileOptions,
): FileOpener<string>;
export function openFile(
  path: string | URL,
  mode: string = "r",
  options: OpenFileOptions = {},
): FileOpener<string | Uint8Array> {
  if ((typeof path !== "string" || path === "") && !(path instanceof URL)) {
    throw new TypeError(
      `openFile(): 'path' must be a non-empty string or a file: URL: received ${describe(path)}`,
    );
  }
  if (path instanceof URL && path.protocol !== "file:") {
    throw new TypeError(
      `openFile(): 'path' must be a non-empty string or a file: URL: received ${path.href}`,
    );
  }
  const pathString = path instanceof URL ? fileURLToPath(path) : path;
  const m = parseMode(mode);
  const encoding = options.encoding ?? "utf-8";
  if (encoding !== "utf-8" && encoding !== "utf8" && encoding !== "latin1") {
    throw new RangeError(
      `openFile(): 'encoding' must be "utf-8" or "latin1": received ${describe(encoding)}`,
    );
  }
  const errors = checkErrors(options.errors, "openFile()");
  return new FileOpener(pathString, mode, m, encoding, errors);
}
