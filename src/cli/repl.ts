/**
 * The asyncio REPL (`asyncio-ts repl`, or `asyncio-ts` alone), as `python -m asyncio`:
 *
 * - the event loop keeps running between inputs, so a task created at one prompt keeps
 *   running while the next one is typed;
 * - `await X` at the top level runs X as a Task on that loop (a coroutine, a Task, a
 *   Future or a Promise) and prints its result; `asyncio` is already imported;
 * - Ctrl-C cancels the input that is running (its `finally` blocks run) and reports
 *   `KeyboardInterrupt`; at an empty prompt a second Ctrl-C (or Ctrl-D, or `.exit`) quits.
 *
 * It is Node's REPL (history, tab completion, multi-line input, `.help`) evaluating
 * JavaScript, with `await` routed through {@link rewriteAwaits}. With piped input, lines
 * are fed one at a time, each only after the previous input has finished, so a script of
 * inputs behaves as if typed.
 *
 * @module
 */

import type { EventEmitter } from "node:events";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import repl, { type REPLServer } from "node:repl";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import type { BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { CancelledError, KeyboardInterrupt } from "../core/exceptions.js";
import { type Future, isfuture } from "../core/futures.js";
import * as asyncio from "../index.js";
import { run } from "../io/runners.js";
import { ensureFuture, isAwaitableLike } from "../tasks.js";
import { InterruptKey, sttyWorks } from "./interrupt_key.js";
import { ExitCode, UsageError } from "./program.js";
import { AWAIT_HOOK, rewriteAwaits } from "./repl_await.js";
import { ReplEventLoop } from "./repl_loop.js";
import { answeredHelpOrVersion, packageVersion, parseArgs } from "./usage.js";

/**
 * `asyncio-ts repl --help`.
 *
 * @example
 * ```ts
 * process.stdout.write(replHelp);
 * ```
 */
export const replHelp = `Usage: asyncio-ts repl [options]

The asyncio REPL: JavaScript with 'await' at the top level, on an event loop that keeps
running between inputs. 'asyncio' is already imported.

  >>> const t = asyncio.createTask(asyncio.sleep(5, "done"))
  >>> await t            // waits for the task, prints 'done'
  >>> await asyncio.sleep(100)
  ^C                     // cancels the running input: KeyboardInterrupt

Ctrl-C cancels the running input; at an empty prompt, Ctrl-C twice, Ctrl-D or .exit quits.
History is kept in ~/.asyncio_ts_repl_history (ASYNCIO_TS_REPL_HISTORY: another file;
empty: none).

Options:
  --debug        asyncio's debug mode
  -h, --help     show this help
  -V, --version  show the version
`;

/** What one input is waiting for, so that Ctrl-C can cancel exactly that. */
class InputRun {
  readonly awaited = new Set<Future<unknown>>();
  interrupted = false;

  /** Cancels what the input awaits; false if it awaits nothing cancellable. */
  interrupt(): boolean {
    let cancelled = false;
    for (const fut of this.awaited) {
      if (fut.cancel("interrupted (Ctrl-C)")) cancelled = true;
    }
    if (cancelled) this.interrupted = true;
    return cancelled;
  }
}

/** Values written after an input: Futures and Tasks as asyncio shows them. */
function writer(colors: boolean): (value: unknown) => string {
  return (value) => (isfuture(value) ? String(value) : inspect(value, { colors, depth: 4 }));
}

/**
 * What the REPL shows for an input's error: `KeyboardInterrupt` for a cancellation that
 * Ctrl-C caused; other errors with the scheduler's frames taken out of their stack.
 */
function present(err: unknown, run: InputRun): unknown {
  if (run.interrupted && err instanceof CancelledError) {
    const interrupt = new KeyboardInterrupt("interrupted (Ctrl-C)");
    interrupt.stack = "KeyboardInterrupt: interrupted (Ctrl-C)";
    return interrupt;
  }
  if (err instanceof ReferenceError && /^yield is not defined/.test(err.message)) {
    // `yield* x` at the prompt parses as the variable `yield` times x.
    const hint = new ReferenceError(
      "yield is not defined: 'yield*' awaits only inside a function*; at the prompt, write 'await x' (it runs coroutines too)",
    );
    hint.stack = `ReferenceError: ${hint.message}`;
    return hint;
  }
  if (err instanceof Error && !(err instanceof SyntaxError) && !(err instanceof repl.Recoverable)) {
    try {
      err.stack = userStack(err);
    } catch {
      // a frozen error keeps its stack
    }
  }
  return err;
}

/** The library's own directory (…/src/ or …/dist/src/), to hide its frames from stacks. */
const libraryDir = fileURLToPath(new URL("../", import.meta.url));

/**
 * An error's stack without the frames of the scheduler and of the REPL machinery: what is
 * left is the user's coroutines (and the library functions they called).
 *
 * @example
 * ```ts
 * console.error(userStack(error)); // "Error: boom\n    at inner (REPL1:1:55)\n    at outer (…)"
 * ```
 */
export function userStack(err: Error): string {
  const lines = (err.stack ?? String(err)).split("\n");
  const kept = lines.filter((line) => {
    if (!/^\s+at /.test(line)) return true;
    if (/\((node:|<anonymous>)|^\s+at node:|^\s+at (async )?(new )?Promise/.test(line))
      return false;
    // The script that runs each tick where Ctrl-C can end it (repl_loop.ts).
    if (line.includes("asyncio-ts-repl-tick")) return false;
    const file = line.includes("file://")
      ? fileURLToPath(line.slice(line.indexOf("file://")).replace(/:\d+:\d+\)?$/, ""))
      : line;
    return !["core", "cli", "loops"].some((dir) => file.includes(join(libraryDir, dir)));
  });
  return kept.join("\n");
}

interface ReplSession {
  server: REPLServer;
  /** Resolves with the exit code once the REPL has closed. */
  closed: Future<number>;
}

type EvalCallback = (err: Error | null, result?: unknown) => void;
type EvalFunction = (code: string, context: object, file: string, cb: EvalCallback) => void;

/**
 * The REPL's `asyncio.run()`: the REPL's loop is always running, so it refuses at once
 * (one error, printed once) and says what to write instead, as Python's REPL refuses it.
 */
function replRun(): never {
  throw new asyncio.RuntimeError(
    "asyncio.run() cannot be called from a running event loop: at the prompt, write 'await main()' instead of 'asyncio.run(main())'",
  );
}

/** How long after a Ctrl-C ended a tick a process SIGINT is taken as its echo. */
const ECHO_WINDOW_MS = 1000;

function startRepl(loop: BaseEventLoop): ReplSession {
  const interactive = process.stdin.isTTY === true;
  const colors = interactive && process.stdout.isTTY === true && !process.env.NO_COLOR;
  let current: InputRun | null = null;

  // Ctrl-C ended a step that never returned (a busy loop): the loop cancelled that task;
  // the input that was running is interrupted too.
  // Node's SIGINT watchdog may raise the signal it caught once more as it stops, for the
  // process's own listeners: that echo of the Ctrl-C already handled must not quit the
  // REPL. When it arrives depends on how busy the machine is (after the next check phase
  // has been seen on a loaded machine), so one SIGINT within a second of the interrupt is
  // taken as its echo. A second Ctrl-C that soon at an idle prompt is swallowed once.
  let interruptedAt = Number.NEGATIVE_INFINITY;
  if (loop instanceof ReplEventLoop) {
    loop.onInterrupt = (task) => {
      interruptedAt = performance.now();
      const run = current;
      if (run !== null) {
        run.interrupt();
        run.interrupted = true;
      } else {
        process.stderr.write(
          `KeyboardInterrupt: ${task === null ? "a callback" : `task ${task.getName()}`} was interrupted\n`,
        );
      }
    };
  }

  // `await X` calls this: coroutines and Promises become Futures of the REPL's loop, which
  // native `await` can wait for (they are thenable) and Ctrl-C can cancel.
  const hook = (x: unknown): unknown => {
    // Anything else (a number, an array, a Map) is returned as native `await` would.
    if (!isAwaitableLike(x)) return x;
    const fut = ensureFuture(x);
    current?.awaited.add(fut);
    return fut;
  };
  Object.defineProperty(globalThis, AWAIT_HOOK, { value: hook, configurable: true });

  // Piped input: feed the REPL one line at a time, the next only when the prompt is back.
  let input: NodeJS.ReadableStream = process.stdin;
  let lineDone: () => void = () => {};
  if (!interactive) {
    const feed = new PassThrough();
    input = feed;
    const queue: string[] = [];
    let ended = false;
    let busy = false;
    const pump = (): void => {
      if (busy) return;
      const line = queue.shift();
      if (line !== undefined) {
        busy = true;
        feed.write(`${line}\n`);
      } else if (ended) feed.end();
    };
    lineDone = () => {
      busy = false;
      setImmediate(pump);
    };
    const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => {
      queue.push(line);
      pump();
    });
    lines.on("close", () => {
      ended = true;
      pump();
    });
  }

  process.stderr.write(
    `asyncio-ts REPL ${packageVersion()} on Node.js ${process.version}\n` +
      `Use "await" directly instead of "asyncio.run()"; "asyncio" is already imported.\n` +
      `Type ".help" for more information.\n`,
  );
  const server = repl.start({
    prompt: ">>> ",
    input,
    output: process.stdout,
    terminal: interactive,
    useGlobal: true,
    useColors: colors,
    ignoreUndefined: true,
    writer: writer(colors),
    // Lets Ctrl-C reach us while an input awaits (Node would otherwise queue the key).
    breakEvalOnSigint: true,
  });
  Object.defineProperty(server.context, "asyncio", {
    value: { ...asyncio, run: replRun },
    configurable: true,
    writable: true,
  });

  // A tick that runs long lets the terminal make Ctrl-C a SIGINT, which reaches the loop
  // even when a busy step keeps Node from reading keys; otherwise Node's readline reads it
  // as a key, as it always did (interrupt_key.ts). Without `stty` (Windows, a minimal
  // container), the terminal leaves raw mode for every tick instead.
  let interruptKey: InterruptKey | null = null;
  if (interactive && loop instanceof ReplEventLoop) {
    const raw = server as { _setRawMode?(mode: boolean): void };
    if (process.platform === "win32" || !sttyWorks()) {
      loop.aroundTick = (inTick) => raw._setRawMode?.(!inTick);
    } else {
      // Raw mode is already on as far as Node knows: it must leave it to re-enter it.
      const key = new InterruptKey(() => {
        raw._setRawMode?.(false);
        raw._setRawMode?.(true);
      });
      interruptKey = key;
      loop.aroundTick = (inTick) => (inTick ? key.tickStarted() : key.tickEnded());
    }
  }
  const finished = (run: InputRun): void => {
    if (current === run) current = null;
  };

  const nodeEval = server.eval as EvalFunction;
  const ourEval: EvalFunction = (code, context, file, cb) => {
    const run = new InputRun();
    current = run;
    nodeEval.call(server, rewriteAwaits(code), context, file, (err, result) => {
      finished(run);
      if (err === null) cb(null, result);
      else cb(present(err, run) as Error);
    });
  };
  (server as { eval: EvalFunction }).eval = ourEval;

  // Node hands an error thrown by an input that awaited to its domain, not to our callback.
  const domain = (server as unknown as { _domain: EventEmitter })._domain;
  const domainEmit = domain.emit.bind(domain);
  domain.emit = (event: string | symbol, ...args: unknown[]) => {
    if (event === "error" && current !== null) {
      const run = current;
      finished(run);
      args[0] = present(args[0], run);
    }
    return domainEmit(event, ...args);
  };

  // Ctrl-C while an input awaits: cancel what it awaits instead of abandoning it, so its
  // cleanup runs before the prompt comes back.
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === "SIGINT" && current?.interrupt()) return true;
    return emit(event, ...args);
  }) as typeof server.emit;

  const displayPrompt = server.displayPrompt.bind(server);
  server.displayPrompt = (preserveCursor?: boolean) => {
    displayPrompt(preserveCursor);
    lineDone();
  };

  const closed = loop.createFuture<number>();
  let exitCode: number = ExitCode.ok;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signal === "SIGINT" && performance.now() - interruptedAt < ECHO_WINDOW_MS) {
      interruptedAt = Number.NEGATIVE_INFINITY;
      return;
    }
    if (signal === "SIGINT" && current?.interrupt()) return;
    exitCode = signal === "SIGINT" ? ExitCode.sigint : ExitCode.sigterm;
    server.close();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  server.on("exit", () => {
    interruptKey?.close();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.stderr.write("\nexiting asyncio REPL...\n");
    if (!closed.done()) closed.setResult(exitCode);
  });

  const history =
    process.env.ASYNCIO_TS_REPL_HISTORY ?? join(homedir(), ".asyncio_ts_repl_history");
  if (interactive && history !== "") {
    server.setupHistory(history, (err) => {
      if (err) process.stderr.write(`(history not saved: ${err.message})\n`);
    });
  }
  return { server, closed };
}

function* replMain(): Coroutine<number> {
  const { closed } = startRepl(getRunningLoop());
  return yield* closed;
}

/**
 * Runs the `repl` subcommand; resolves with the exit code when the REPL is left.
 * Tasks still running then are cancelled (their cleanup runs), as `asyncio.run()` does.
 *
 * @example
 * ```ts
 * process.exitCode = await replCommand([]);
 * ```
 */
export async function replCommand(argv: string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv, ["debug"], "asyncio-ts repl");
  if (answeredHelpOrVersion(flags, replHelp)) return ExitCode.ok;
  if (rest.length > 0) {
    throw new UsageError(`repl takes no arguments: received '${rest.join(" ")}'`);
  }
  return run(replMain(), {
    debug: flags.has("debug"),
    handleSigint: false,
    loopFactory: () => new ReplEventLoop(),
  });
}
