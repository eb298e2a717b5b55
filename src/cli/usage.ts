/**
 * Argument parsing for the subcommands: flags first, then positionals; everything after
 * the first positional (or after `--`) is left alone, so `run FILE --x` passes `--x` on.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./program.js";

/** The result of {@link parseArgs}. */
export interface ParsedArgs {
  /** The flags that were given (by their long name). */
  flags: Set<string>;
  /** The positional arguments and everything after them. */
  rest: string[];
}

/**
 * Parses `argv` against the allowed long flags (`-h` and `-V` are short for `--help` and
 * `--version`). Throws {@link UsageError} naming an unknown option.
 *
 * @example
 * ```ts
 * parseArgs(["--virtual", "countasync"], ["virtual", "list"], "demo");
 * // { flags: Set {"virtual"}, rest: ["countasync"] }
 * ```
 */
export function parseArgs(argv: string[], allowed: string[], command: string): ParsedArgs {
  const flags = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const name = arg === "-h" ? "help" : arg === "-V" ? "version" : arg.replace(/^--/, "");
    if (!arg.startsWith("--") && name === arg.slice(1)) {
      throw new UsageError(`unknown option '${arg}' (see '${command} --help')`);
    }
    if (name !== "help" && name !== "version" && !allowed.includes(name)) {
      throw new UsageError(`unknown option '${arg}' (see '${command} --help')`);
    }
    flags.add(name);
  }
  return { flags, rest: argv.slice(i) };
}

/**
 * The package's version, read from the nearest `package.json` named `asyncio-ts` above this
 * file (the CLI runs from `dist/src/cli/` when built and from `src/cli/` under tsx).
 *
 * @example
 * ```ts
 * console.log(packageVersion()); // "0.1.0"
 * ```
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "asyncio-ts" && typeof pkg.version === "string") return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/**
 * Answers `--help` (with `help`) or `--version` on stdout. Returns true when it answered,
 * so the subcommand ends there with exit code 0.
 *
 * @example
 * ```ts
 * if (answeredHelpOrVersion(flags, runHelp)) return ExitCode.ok;
 * ```
 */
export function answeredHelpOrVersion(flags: ReadonlySet<string>, help: string): boolean {
  if (flags.has("help")) process.stdout.write(help);
  else if (flags.has("version")) process.stdout.write(`asyncio-ts ${packageVersion()}\n`);
  else return false;
  return true;
}
