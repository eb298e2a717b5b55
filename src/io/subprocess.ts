/**
 * Subprocesses, as asyncio's `subprocess.py`: {@link createSubprocessExec} and
 * {@link createSubprocessShell} start a child over `node:child_process` and give a
 * {@link Process} whose pipes are the library's streams — `stdin` a `StreamWriter`,
 * `stdout` and `stderr` `StreamReader`s.
 *
 * ```ts
 * function* main() {
 *   const proc = yield* asyncio.createSubprocessExec("ls", "-l", { stdout: asyncio.PIPE });
 *   const [out] = yield* proc.communicate();
 *   console.log(proc.returncode, out?.toString());
 * }
 * ```
 *
 * Guarantees (no child and no descriptor is ever lost):
 * - cancelling `createSubprocess*` while the child is starting kills it; its pipes are
 *   closed and Node reaps it (no zombie);
 * - cancelling `wait()` or `communicate()` only stops the waiting, as in asyncio: the
 *   child keeps running, and stays yours to `kill()` and `wait()` for;
 * - a child still running when its loop closes is killed (SIGKILL) and reported to the
 *   loop's exception handler, so a forgotten child can neither keep Node alive nor be lost
 *   silently;
 * - every pipe is closed once the child is gone and its output has been read.
 *
 * Unix only: `stderr: STDOUT` with `stdout: PIPE` runs the program through `/bin/sh`
 * (`exec "$0" "$@" 2>&1`), which keeps the same pid; shell commands run with `/bin/sh -c`.
 *
 * @module
 */

import type { ChildProcess, StdioOptions } from "node:child_process";
import type { Socket } from "node:net";
import { type BaseEventLoop, bridgePromise } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { ConnectionResetError, OSError, RuntimeError } from "../core/exceptions.js";
import { gather } from "../tasks.js";
import { builtin } from "./builtins.js";
import { _osError } from "./oserror.js";
import { BaseProtocol } from "./protocols.js";
import { DEFAULT_LIMIT, StreamReader, StreamReaderProtocol, StreamWriter } from "./streams.js";
import { _announceResource, SocketTransport, Transport } from "./transports.js";

/**
 * Make a pipe to the child (asyncio's `subprocess.PIPE`).
 *
 * @example
 * ```ts
 * yield* asyncio.createSubprocessExec("ls", { stdout: asyncio.PIPE, stderr: asyncio.DEVNULL });
 * ```
 */
export const PIPE = -1;
/**
 * As `stderr`: send it to wherever `stdout` goes (asyncio's `subprocess.STDOUT`).
 *
 * @example
 * ```ts
 * yield* asyncio.createSubprocessShell("make", { stdout: asyncio.PIPE, stderr: asyncio.STDOUT });
 * ```
 */
export const STDOUT = -2;
/**
 * Connect to `/dev/null` (asyncio's `subprocess.DEVNULL`).
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessExec("echo", "nobody reads this", {
 *   stdout: asyncio.DEVNULL,
 * });
 * console.log(yield* proc.wait(), proc.stdout); // 0 null
 * ```
 */
export const DEVNULL = -3;

/**
 * Where a standard stream of the child goes (`{ stdout: asyncio.PIPE }`): {@link PIPE}, {@link DEVNULL}, {@link STDOUT}
 * (for `stderr` only), a file descriptor of this process (`>= 0`), or `null` to inherit
 * ours (the default).
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessExec("make", {
 *   stdin: asyncio.DEVNULL,
 *   stdout: asyncio.PIPE,
 *   stderr: asyncio.STDOUT,
 * });
 * ```
 */
export type StdioTarget = number | null;

/**
 * Options of {@link createSubprocessExec} and {@link createSubprocessShell}, as one trailing
 * object: `createSubprocessExec("ls", "-l", { stdout: PIPE, cwd: "/tmp" })`.
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessShell("ls -l | wc -l", { stdout: asyncio.PIPE, cwd: "/tmp" });
 * const [out] = yield* proc.communicate();
 * ```
 */
export interface SubprocessOptions {
  /** The child's standard input. */
  stdin?: StdioTarget;
  /** The child's standard output. */
  stdout?: StdioTarget;
  /** The child's standard error (may be {@link STDOUT}). */
  stderr?: StdioTarget;
  /** The buffer limit of the `StreamReader`s (64 KiB by default). */
  limit?: number;
  /** The working directory of the child. */
  cwd?: string;
  /** The environment of the child; ours by default. */
  env?: Record<string, string | undefined>;
  /** Start the child in a new session (`setsid`), as Python's `start_new_session`. */
  startNewSession?: boolean;
}

/**
 * The child is gone: signalling it is impossible (Python's `ProcessLookupError`).
 * `code` is `"ESRCH"`.
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessExec("sleep", "10");
 * try {
 *   proc.terminate();
 * } catch (e) {
 *   if (!(e instanceof asyncio.ProcessLookupError)) throw e; // it had exited already
 * }
 * console.log(yield* proc.wait()); // -15
 * ```
 */
export class ProcessLookupError extends OSError {
  override readonly code = "ESRCH";
}

/** The children of each loop that have not finished: killed if the loop closes. */
const running = new WeakMap<BaseEventLoop, Set<Process>>();

/**
 * The stdin transports of children: parts of their Process, which the testing harness
 * reports as a whole (a child left behind is one problem, not two).
 */
const stdinTransports = new WeakSet<object>();

/** @internal Whether `r` is a child's stdin pipe (reported with its Process). */
export function _isSubprocessPipe(r: object): boolean {
  return stdinTransports.has(r);
}

/**
 * The children of each loop whose exit nobody has collected yet — by `wait()`,
 * `communicate()`, or reading a non-null `returncode` — whether or not they have exited
 * by now: the testing harness fails a test that leaves one. "Collected" rather than
 * "exited" because whether a child has exited by the end of a test depends on the OS's
 * timing, and what the test did with it does not (Python's `Popen` draws the same line:
 * it warns about a child whose `returncode` was never set by `poll()` or `wait()`).
 */
const uncollected = new WeakMap<BaseEventLoop, Set<Process>>();

/**
 * A running (or finished) child process, as asyncio's `Process`.
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessExec("cat", { stdin: asyncio.PIPE, stdout: asyncio.PIPE });
 * const [out] = yield* proc.communicate(Buffer.from("hello"));
 * console.log(out?.toString(), proc.returncode); // "hello" 0
 * ```
 */
export class Process {
  /** The child's standard input, when it is a {@link PIPE}. */
  readonly stdin: StreamWriter | null;
  /** The child's standard output, when it is a {@link PIPE}. */
  readonly stdout: StreamReader | null;
  /** The child's standard error, when it is a {@link PIPE}. */
  readonly stderr: StreamReader | null;
  /** The process id. */
  readonly pid: number;
  /** @internal */
  private readonly _child: ChildProcess;
  /** @internal */
  private readonly _loop: BaseEventLoop;
  /** @internal */
  private _returncode: number | null = null;
  /** @internal Resolves with the return code once the child exited and its pipes are closed. */
  private readonly _finished: Promise<number>;
  /** @internal Resolves with the return code when the child exits. */
  readonly _exited: Promise<number>;
  /** @internal The command line, for messages: `node -e "…"`. */
  readonly _command: string;

  /** @internal made by createSubprocessExec / createSubprocessShell */
  constructor(
    loop: BaseEventLoop,
    child: ChildProcess,
    pipes: { stdin: StreamWriter | null; stdout: StreamReader | null; stderr: StreamReader | null },
    exited: Promise<number>,
    closed: Promise<void>,
    command: string,
  ) {
    this._loop = loop;
    this._command = command;
    this._child = child;
    this.pid = child.pid as number;
    this.stdin = pipes.stdin;
    this.stdout = pipes.stdout;
    this.stderr = pipes.stderr;
    let set = running.get(loop);
    if (set === undefined) {
      set = new Set();
      running.set(loop, set);
    }
    set.add(this);
    let notCollected = uncollected.get(loop);
    if (notCollected === undefined) {
      notCollected = new Set();
      uncollected.set(loop, notCollected);
    }
    notCollected.add(this);
    _announceResource(loop, this);
    this._exited = exited;
    exited.then((code) => {
      this._returncode = code;
      running.get(loop)?.delete(this);
    });
    // asyncio's wait() returns once the child exited *and* its pipes are closed. Then,
    // as asyncio's subprocess protocol closes its transport, stdin closes too: nobody can
    // read it any more, and an open pipe would keep Node alive.
    this._finished = Promise.all([exited, closed]).then(([code]) => {
      const stdin = this.stdin;
      if (stdin !== null && !stdin.transport.isClosing()) stdin.close();
      return code;
    });
  }

  /**
   * The exit status: `null` while the child runs, its exit code once it exited, `-N` if
   * signal N killed it (as Python's). Seeing it non-null collects the exit, as `wait()`
   * does: asyncio-ts/testing fails a test whose children's exits were never collected.
   */
  get returncode(): number | null {
    if (this._returncode !== null) this._collected();
    return this._returncode;
  }

  /**
   * Waits for the child to exit (and its pipes to close) and evaluates to
   * {@link returncode}.
   *
   * Beware, as in asyncio: with `stdout: PIPE` or `stderr: PIPE`, a child writing more
   * than the pipe holds blocks until someone reads it, so `wait()` alone can wait forever;
   * use {@link communicate}. Cancellation stops the waiting only; the child runs on.
   *
   * @example
   * ```ts
   * const proc = yield* asyncio.createSubprocessExec("sh", "-c", "exit 3");
   * const code = yield* proc.wait();
   * console.log(code); // 3
   * ```
   */
  *wait(): Coroutine<number> {
    // As asyncio: once the exit is known, no waiting (not even for the pipes).
    if (this._returncode === null) yield* bridgePromise(this._finished, this._loop);
    this._collected();
    return this._returncode as unknown as number;
  }

  /**
   * Sends `input` (if given) to stdin and closes it, reads stdout and stderr to the end,
   * waits for the child to exit, and evaluates to `[stdout, stderr]` — `null` for a
   * stream that is not a {@link PIPE}.
   *
   * Errors: `TypeError` if `input` is given but stdin is not a PIPE. A child that exits
   * without reading its input is not an error (the broken pipe is ignored, as asyncio).
   * Cancellation: the reads stop, the child keeps running (as asyncio); bytes read before
   * the cancellation are dropped with the call.
   *
   * @example
   * ```ts
   * const proc = yield* asyncio.createSubprocessExec("tr", "a-z", "A-Z", {
   *   stdin: asyncio.PIPE,
   *   stdout: asyncio.PIPE,
   * });
   * const [out, err] = yield* proc.communicate("some input\n");
   * console.log(out?.toString(), err); // SOME INPUT null
   * ```
   */
  *communicate(input?: Uint8Array | string | null): Coroutine<[Buffer | null, Buffer | null]> {
    if (input !== undefined && input !== null) {
      if (typeof input !== "string" && !(input instanceof Uint8Array)) {
        throw new TypeError(
          `communicate(): 'input' must be bytes or a string: received ${describe(input)}`,
        );
      }
      if (this.stdin === null) {
        throw new TypeError("communicate(): 'input' was given but stdin is not a PIPE");
      }
    }
    const [, out, err] = yield* gather(
      this._feedStdin(input),
      readAll(this.stdout),
      readAll(this.stderr),
    );
    yield* this.wait();
    return [out, err];
  }

  /**
   * Sends signal `sig` (a name such as `"SIGTERM"`, or a number) to the child. Does
   * nothing once the child has exited (as Python's `Popen.send_signal`). Throws
   * `RangeError` for an unknown signal, {@link ProcessLookupError} if the child vanished.
   *
   * @example
   * ```ts
   * const proc = yield* asyncio.createSubprocessExec("sleep", "10");
   * proc.sendSignal("SIGINT");
   * console.log(yield* proc.wait()); // -2
   * ```
   */
  sendSignal(sig: NodeJS.Signals | number): void {
    const table = builtin("node:os").constants.signals as Record<string, number>;
    const known =
      typeof sig === "string" ? table[sig] !== undefined : Number.isInteger(sig) && sig >= 0;
    if (!known)
      throw new RangeError(`sendSignal(): 'sig' is not a valid signal: received ${describe(sig)}`);
    if (
      this._returncode !== null ||
      this._child.exitCode !== null ||
      this._child.signalCode !== null
    )
      return;
    try {
      process.kill(this.pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") {
        const { errno, syscall } = e as NodeJS.ErrnoException;
        throw new ProcessLookupError(`process ${this.pid} does not exist`, {
          ...(errno === undefined ? {} : { errno }),
          ...(syscall === undefined ? {} : { syscall }),
          cause: e,
        });
      }
      throw e;
    }
  }

  /**
   * Asks the child to stop: SIGTERM.
   *
   * @example
   * ```ts
   * const proc = yield* asyncio.createSubprocessExec("sleep", "10");
   * proc.terminate();
   * console.log(yield* proc.wait()); // -15
   * ```
   */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /**
   * Kills the child: SIGKILL.
   *
   * @example
   * ```ts
   * const proc = yield* asyncio.createSubprocessExec("sleep", "10");
   * proc.kill();
   * console.log(yield* proc.wait()); // -9
   * ```
   */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  toString(): string {
    return `<Process ${this.pid}${this._returncode === null ? " running" : ` returncode=${this._returncode}`}>`;
  }

  /** @internal */
  private *_feedStdin(input: Uint8Array | string | null | undefined): Coroutine<void> {
    const stdin = this.stdin;
    if (stdin === null) return;
    try {
      if (input !== undefined && input !== null) {
        stdin.write(typeof input === "string" ? Buffer.from(input) : input);
        yield* stdin.drain();
      }
    } catch (e) {
      // The child exited without reading all its input: as asyncio, not an error.
      if (!isBrokenPipe(e)) throw e;
    }
    stdin.close();
    try {
      // So that the descriptor is released by the time communicate() returns.
      yield* stdin.waitClosed();
    } catch (e) {
      if (!isBrokenPipe(e)) throw e;
    }
  }

  /** @internal Whether the child is still running (without collecting its exit). */
  get _running(): boolean {
    return this._returncode === null;
  }

  /** @internal Its exit has been seen by its owner. */
  private _collected(): void {
    uncollected.get(this._loop)?.delete(this);
  }

  /**
   * @internal Kills the child if it still runs and closes our ends of its pipes (the
   * testing harness, for a child a test left behind); resolves with its exit status
   * once it exited. Its exit then counts as collected.
   */
  _killAndReap(): Promise<number> {
    this._killAtClose();
    // Exited, but a grandchild may still hold a pipe open (`sleep 60 &`): ours close too.
    for (const s of [this._child.stdin, this._child.stdout, this._child.stderr]) s?.destroy();
    this._collected();
    return this._exited;
  }

  /** @internal Kills the child because its loop is closing. */
  _killAtClose(): void {
    if (this._returncode !== null) return;
    try {
      this._child.kill("SIGKILL");
    } catch {
      // already gone
    }
    for (const s of [this._child.stdin, this._child.stdout, this._child.stderr]) s?.destroy();
  }
}

/**
 * The read end of a pipe from the child, feeding a StreamReader. Not a SocketTransport:
 * Node drains (and drops) a child's output pipe at exit unless it already has a 'data'
 * listener, so this one listens from the moment of spawning; the reader's flow control
 * pauses and resumes the socket.
 */
class PipeReadTransport extends Transport {
  private _closing = false;
  private _paused = false;
  private _error: unknown = null;
  private _protocol: BaseProtocol = new BaseProtocol();

  constructor(
    private readonly _sock: Socket,
    reader: StreamReader,
    private readonly _loop: BaseEventLoop,
    role: string,
  ) {
    super({ socket: _sock });
    reader.setTransport(this);
    // Under an explorer, what the child writes reaches the reader through its I/O gate.
    const receive = (chunk: Buffer): void => {
      if (!this._closing) reader._feedOwned(chunk);
    };
    const eof = (): void => reader.feedEof();
    const closed = (): void => {
      this._closing = true;
      if (this._error !== null && !reader.atEof()) reader.setException(this._error);
      else reader.feedEof();
    };
    _sock.on("data", (chunk: Buffer) => {
      const gate = _loop._ioGate;
      if (gate === null) receive(chunk);
      else gate.data(this, role, chunk, receive);
    });
    _sock.on("end", () => {
      const gate = _loop._ioGate;
      if (gate === null) eof();
      else gate.event(this, role, "EOF", eof);
    });
    _sock.on("error", (e) => {
      this._error ??= _osError(e);
    });
    _sock.on("close", () => {
      const gate = _loop._ioGate;
      if (gate === null) closed();
      else gate.event(this, role, "closed", closed);
    });
  }

  isClosing(): boolean {
    return this._closing;
  }
  close(): void {
    this._closing = true;
    this._sock.destroy();
  }
  abort(): void {
    this.close();
  }
  setProtocol(protocol: BaseProtocol): void {
    this._protocol = protocol;
  }
  getProtocol(): BaseProtocol {
    return this._protocol;
  }
  pauseReading(): void {
    if (this._closing || this._paused) return;
    this._paused = true;
    this._sock.pause();
  }
  resumeReading(): void {
    if (this._closing || !this._paused) return;
    this._paused = false;
    this._sock.resume();
    this._loop._ioGate?.resumed(this);
  }
  isReading(): boolean {
    return !this._paused && !this._closing;
  }
  write(_data: Uint8Array): void {
    throw new RuntimeError("cannot write to the read end of a pipe");
  }
  writeEof(): void {
    throw new RuntimeError("cannot write to the read end of a pipe");
  }
  canWriteEof(): boolean {
    return false;
  }
  getWriteBufferSize(): number {
    return 0;
  }
  getWriteBufferLimits(): [low: number, high: number] {
    return [0, 0];
  }
  setWriteBufferLimits(_high?: number, _low?: number): void {}
}

function isBrokenPipe(e: unknown): boolean {
  if (e instanceof ConnectionResetError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ECONNRESET";
}

function* readAll(reader: StreamReader | null): Coroutine<Buffer | null> {
  if (reader === null) return null;
  return yield* reader.read();
}

/**
 * @internal The children started on `loop` whose exit nobody collected (see
 * `uncollected`), in starting order.
 */
export function _uncollectedSubprocesses(loop: BaseEventLoop): Process[] {
  return [...(uncollected.get(loop) ?? [])];
}

/** @internal Called when a loop closes: its children still running are killed and reported. */
export function killSubprocessesAtClose(loop: BaseEventLoop): void {
  const set = running.get(loop);
  if (set === undefined) return;
  running.delete(loop);
  for (const proc of set) {
    if (proc.returncode !== null) continue;
    proc._killAtClose();
    loop.callExceptionHandler({
      message: `subprocess ${proc.pid} was still running when its event loop closed: it was killed`,
      process: String(proc),
    });
  }
}

function checkTarget(
  value: unknown,
  name: string,
  method: string,
  allowStdout: boolean,
): StdioTarget {
  if (value === undefined || value === null) return null;
  if (
    Number.isInteger(value) &&
    ((value as number) >= 0 ||
      value === PIPE ||
      value === DEVNULL ||
      (allowStdout && value === STDOUT))
  ) {
    return value as number;
  }
  throw new RangeError(
    `${method}(): '${name}' must be PIPE, DEVNULL${allowStdout ? ", STDOUT" : ""}, a file descriptor or null: received ${describe(value)}`,
  );
}

function nodeStdio(t: StdioTarget): "pipe" | "ignore" | "inherit" | number {
  if (t === null) return "inherit";
  if (t === PIPE) return "pipe";
  if (t === DEVNULL) return "ignore";
  return t;
}

/** Starts the child and builds the Process once Node says it started. */
interface Validated {
  stdin: StdioTarget;
  stdout: StdioTarget;
  stderr: StdioTarget;
  limit: number;
}

/** Checks the options at the call, as the rest of the library does. */
function validate(method: string, options: SubprocessOptions): Validated {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${method}(): 'options' must be an object: received ${describe(options)}`);
  }
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (typeof limit !== "number" || !(limit > 0)) {
    throw new RangeError(
      `${method}(): 'limit' must be a number > 0: received ${describe(options.limit)}`,
    );
  }
  return {
    stdin: checkTarget(options.stdin, "stdin", method, false),
    stdout: checkTarget(options.stdout, "stdout", method, false),
    stderr: checkTarget(options.stderr, "stderr", method, true),
    limit,
  };
}

/** Starts the child and builds the Process once Node says it started. */
function* startProcess(
  file: string,
  args: string[],
  options: SubprocessOptions,
  checked: Validated,
): Coroutine<Process> {
  const { stdin, stdout, limit } = checked;
  let stderr = checked.stderr;
  const loop = getRunningLoop();
  loop._checkClosed();

  let program = file;
  let argv = args;
  if (stderr === STDOUT) {
    if (stdout === PIPE) {
      // Node cannot hand the child one pipe as two descriptors: the shell dups it and
      // execs the program, which keeps the pid. (Its own stderr is then unused.)
      argv = ["-c", 'exec "$0" "$@" 2>&1', file, ...args];
      program = "/bin/sh";
      stderr = null;
    } else {
      stderr = stdout === null ? 1 : stdout === DEVNULL ? DEVNULL : stdout;
    }
  }
  const stdio: StdioOptions = [nodeStdio(stdin), nodeStdio(stdout), nodeStdio(stderr)];
  const child = builtin("node:child_process").spawn(program, argv, {
    stdio,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    detached: options.startNewSession ?? false,
  });

  // Both promises are created at once, so no event can be missed.
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(
        code ??
          -((builtin("node:os").constants.signals as Record<string, number>)[signal ?? ""] ?? 0),
      );
    });
  });
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (e) => reject(_osError(e)));
  });

  // The pipes from the child get their readers now, before any exit can be seen (see
  // PipeReadTransport).
  const readerFor = (sock: Socket | null, role: string): StreamReader | null => {
    if (sock === null) return null;
    const reader = new StreamReader(limit, { loop });
    new PipeReadTransport(sock, reader, loop, role);
    return reader;
  };
  const stdoutReader = readerFor(child.stdout as Socket | null, "stdout pipe");
  const stderrReader = readerFor(child.stderr as Socket | null, "stderr pipe");

  const abandon = (): void => {
    // Not handed to the caller: kill it and close our ends; Node reaps it.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      child.kill("SIGKILL");
    for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
  };
  try {
    yield* bridgePromise(started, loop);
  } catch (e) {
    abandon();
    if (child.pid !== undefined) {
      // As asyncio: a start that is cancelled waits until the killed child is reaped, so
      // that nothing of it is left when the cancellation arrives.
      try {
        yield* bridgePromise(exited, loop);
      } catch {
        // cancelled again: Node still reaps the child
      }
    }
    throw e;
  }
  // Later errors (a failed kill) are reported by the calls that cause them.
  child.on("error", () => {});

  let writer: StreamWriter | null = null;
  if (child.stdin !== null) {
    const protocol = new StreamReaderProtocol(null, null, loop);
    const transport = new SocketTransport(loop, child.stdin as Socket, protocol);
    stdinTransports.add(transport);
    writer = new StreamWriter(transport, protocol, null, loop);
  }
  return new Process(
    loop,
    child,
    { stdin: writer, stdout: stdoutReader, stderr: stderrReader },
    exited,
    closed,
    commandLine(file, args),
  );
}

/** `program args…` as a shell would show it, shortened for messages. */
function commandLine(program: string, args: readonly string[]): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a));
  const line = [program, ...args].map(quote).join(" ");
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function checkArg(value: unknown, name: string, method: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`${method}(): '${name}' must be a string: received ${describe(value)}`);
  }
  if (value.includes("\0")) throw new RangeError(`${method}(): '${name}' contains a NUL character`);
  return value;
}

/**
 * Starts `program` with `args` (no shell) and evaluates to its {@link Process}, as
 * asyncio's `create_subprocess_exec`. Options come last, as one object.
 *
 * Errors: `TypeError`/`RangeError` for bad arguments, at the call; an {@link OSError}
 * with Node's `code` (`ENOENT` for a missing program, `EACCES`, …) when awaited.
 * Cancellation while the child starts kills it and closes its pipes.
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessExec("node", "-e", "console.log(42)", {
 *   stdout: asyncio.PIPE,
 * });
 * const line = yield* proc.stdout!.readline(); // <Buffer "42\n">
 * yield* proc.wait();
 * ```
 */
export function createSubprocessExec(
  program: string,
  ...rest: [...args: string[], options: SubprocessOptions] | string[]
): Coroutine<Process> {
  const last = rest[rest.length - 1];
  const hasOptions = last !== undefined && typeof last === "object";
  const options = (hasOptions ? last : {}) as SubprocessOptions;
  const args = (hasOptions ? rest.slice(0, -1) : rest) as unknown[];
  checkArg(program, "program", "createSubprocessExec");
  args.forEach((a, i) => {
    checkArg(a, `args[${i}]`, "createSubprocessExec");
  });
  const checked = validate("createSubprocessExec", options);
  return startProcess(program, args as string[], options, checked);
}

/**
 * Runs `cmd` with `/bin/sh -c` and evaluates to its {@link Process}, as asyncio's
 * `create_subprocess_shell`. Quote what you interpolate into `cmd`: the shell interprets
 * it. Errors and cancellation as {@link createSubprocessExec}.
 *
 * @example
 * ```ts
 * const proc = yield* asyncio.createSubprocessShell("ls | wc -l", { stdout: asyncio.PIPE });
 * const [out] = yield* proc.communicate();
 * ```
 */
export function createSubprocessShell(
  cmd: string,
  options: SubprocessOptions = {},
): Coroutine<Process> {
  checkArg(cmd, "cmd", "createSubprocessShell");
  const checked = validate("createSubprocessShell", options);
  return startProcess("/bin/sh", ["-c", cmd], options, checked);
}
