/**
 * `asyncio-ts run FILE [args]`: imports a TypeScript or JavaScript module and runs its
 * coroutine function (the default export, or else the export named `main`) under
 * `asyncio.run()`.
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

Runs a TypeScript or JavaScript module's coroutine under asyncio.run(): its default
export or, failing that, its export named 'main' (a generator function: function* main()).
The program gets FILE and args in process.argv. Options go before FILE.

Options:
  --debug        asyncio's debug mode (slow callbacks, swallowed cancellations reported)
  --virtual      run on the virtual-time loop: sleeps take no real time
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
 * The coroutine function a module offers: its default export, else `main`. Throws
 * {@link UsageError} saying what to write when there is none.
 *
 * @example
 * ```ts
 * const main = findCoroutineFunction(await import(url), "hello.ts");
 * ```
 */
export function findCoroutineFunction(
  mod: Record<string, unknown>,
  file: string,
): () => Coroutine<unknown> {
  for (const key of ["default", "main"]) {
    const value = mod[key];
    if (value === undefined) continue;
    if (isGeneratorFunction(value)) return value as () => Coroutine<unknown>;
    if (key === "main" || typeof value === "function") {
      const what =
        typeof value === "function" ? "a function but not a generator function" : typeof value;
      throw new UsageError(
        `${file}: the '${key}' export is ${what}; a coroutine function is needed: export function* main() { … }`,
      );
    }
  }
  throw new UsageError(
    `${file} exports no coroutine function: add 'export function* main() { … }' (or a default export)`,
  );
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
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const main = findCoroutineFunction(mod, file);
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
