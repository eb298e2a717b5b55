/**
 * `asyncio-ts run FILE [args]`: runs a TypeScript or JavaScript module as Node would run
 * it — so a script whose top level does `await asyncio.run(main())` (the README's form)
 * just runs — and then, when the module exports a coroutine function (a generator
 * function as its default export, or else as `main`), runs that under `asyncio.run()`.
 *
 * TypeScript is loaded through tsx (`tsx/esm/api`'s `register()`), which must be
 * installed next to asyncio-ts; JavaScript needs nothing. The program sees its own path and
 * arguments in `process.argv`, as if run with `node FILE args`.
 *
 * @module
 */

import { existsSync, statSync } from "node:fs";
import { extname, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { Coroutine } from "../core/coroutines.js";
import { isGeneratorFunction } from "../core/coroutines.js";
import { _getRunningLoop } from "../core/events.js";
import { ExitCode, runProgram, UsageError } from "./program.js";
import {
  recordingHelp,
  startRecording,
  takeRecordingOptions,
  writeRecording,
} from "./recording.js";
import { answeredHelpOrVersion, parseArgs } from "./usage.js";

/**
 * `asyncio-ts run --help`.
 *
 * @example
 * ```ts
 * process.stdout.write(runHelp);
 * ```
 */
export const runHelp: string = `Usage: asyncio-ts run [options] FILE [args...]

Runs a TypeScript or JavaScript module as Node would (a top-level
'await asyncio.run(main())' runs as written); then, if the module exports a coroutine
function (a default export 'function*', or else 'export function* main()'), runs it under
asyncio.run(). The program gets FILE and args in process.argv. Options go before FILE.

Options:
  --debug        asyncio's debug mode (slow callbacks, swallowed cancellations reported),
                 also for the module's own asyncio.run() calls
  --virtual      run the exported coroutine on the virtual-time loop: sleeps take no real
                 time (a module's own asyncio.run() calls choose their own loop)
${recordingHelp}
  -h, --help     show this help
  -V, --version  show the version

Exit status: 0 when the coroutine returns, 1 when it fails (the error and its stack are
printed), 2 for bad usage, 130 after Ctrl-C, 143 after SIGTERM.
TypeScript files need tsx installed (npm install --save-dev tsx).
`;

const TYPESCRIPT = new Set([".ts", ".mts", ".cts", ".tsx"]);

let typescriptReady = false;

/**
 * Registers tsx (once). A program run from a checkout of asyncio-ts imports the library's
 * sources while this command runs its build: two copies, which share the running loop and
 * recognise each other's objects (core/runtime.ts), so nothing needs redirecting.
 */
async function enableTypeScript(): Promise<void> {
  if (typescriptReady) return;
  let tsx: { register: () => unknown };
  try {
    tsx = (await import("tsx/esm/api")) as { register: () => unknown };
  } catch {
    throw new UsageError(
      "running a TypeScript file needs tsx: install it (npm install --save-dev tsx) or run the compiled JavaScript",
    );
  }
  tsx.register();
  typescriptReady = true;
}

/**
 * The coroutine function a module offers: its default export when that is a generator
 * function, else its `main` export; null when it exports neither (a script that ran its
 * own `asyncio.run()` as it was imported). A `main` export that is not a generator
 * function throws {@link UsageError}, saying what to write.
 *
 * @example
 * ```ts
 * const main = findCoroutineFunction(await import(url), "hello.ts");
 * if (main !== null) await asyncio.run(main());
 * ```
 */
export function findCoroutineFunction(
  mod: Record<string, unknown>,
  file: string,
): (() => Coroutine<unknown>) | null {
  if (isGeneratorFunction(mod.default)) return mod.default as () => Coroutine<unknown>;
  const main = mod.main;
  if (main === undefined) return null;
  if (isGeneratorFunction(main)) return main as () => Coroutine<unknown>;
  const what = typeof main === "function" ? "a function but not a generator function" : typeof main;
  throw new UsageError(
    `${file}: the 'main' export is ${what}; a coroutine function is needed: export function* main() { … }`,
  );
}

/**
 * Resolves when the program has nothing left to do — when Node would end it (its
 * `beforeExit`) — with the exit code it set. A running asyncio loop is left to finish
 * first: it reports its own deadlock at `beforeExit`.
 */
function naturalEnd(): Promise<number> {
  return new Promise((resolve) => {
    const onBeforeExit = (): void => {
      if (_getRunningLoop() !== null) return;
      process.removeListener("beforeExit", onBeforeExit);
      const code = Number(process.exitCode ?? ExitCode.ok);
      resolve(Number.isInteger(code) ? code : ExitCode.failed);
    };
    process.on("beforeExit", onBeforeExit);
  });
}

/**
 * Runs the `run` subcommand with its arguments; resolves with the exit code, or rejects
 * with the program's error (the caller prints it and exits with 1).
 *
 * @example
 * ```ts
 * process.exitCode = await runCommand(["--virtual", "examples/countasync.ts"]);
 * ```
 */
export async function runCommand(input: string[]): Promise<number> {
  const { recording, argv } = takeRecordingOptions(input);
  const { flags, rest } = parseArgs(argv, ["debug", "virtual"], "asyncio-ts run");
  if (answeredHelpOrVersion(flags, runHelp)) return ExitCode.ok;
  const [file, ...args] = rest;
  if (file === undefined) throw new UsageError("missing FILE (see 'asyncio-ts run --help')");
  const path = resolvePath(file);
  if (!existsSync(path)) throw new UsageError(`no such file: ${file}`);
  if (!statSync(path).isFile()) throw new UsageError(`not a file: ${file}`);
  if (TYPESCRIPT.has(extname(path))) await enableTypeScript();
  process.argv = [process.argv[0] as string, path, ...args];
  // The module's own asyncio.run() calls read asyncio's debug switch from the environment.
  if (flags.has("debug")) process.env.ASYNCIO_TS_DEBUG = "1";
  // As `node FILE`: a top-level `await asyncio.run(main())` runs (and fails) right here.
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const main = findCoroutineFunction(mod, file);
  if (main === null) {
    const unused = [
      flags.has("virtual") ? "--virtual" : null,
      recording.timeline !== null ? "--timeline" : null,
      recording.trace !== null ? "--trace" : null,
    ].filter((o) => o !== null);
    if (unused.length > 0) {
      process.stderr.write(
        `asyncio-ts run: ${unused.join(", ")} ${unused.length === 1 ? "applies" : "apply"} to an exported coroutine function; ${file} has none (its own asyncio.run() calls chose their loop)\n`,
      );
    }
    return naturalEnd();
  }
  const rec = startRecording(recording);
  try {
    await runProgram(main, {
      debug: flags.has("debug"),
      virtual: flags.has("virtual"),
      onLoop: rec?.onLoop,
    });
  } finally {
    if (rec !== null) writeRecording(rec.timeline, recording, file);
  }
  return ExitCode.ok;
}
