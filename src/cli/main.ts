#!/usr/bin/env node
/**
 * The `asyncio-ts` command. Kept thin: it picks the subcommand, and turns what the
 * subcommand returns or throws into an exit code (0 ok, 1 the program failed, 2 bad usage,
 * 130 Ctrl-C, 143 SIGTERM).
 *
 * @module
 */

import { demo } from "./demo.js";
import { ExitCode, reportFailure, UsageError } from "./program.js";
import { psCommand, pstreeCommand } from "./ps.js";
import { replCommand } from "./repl.js";
import { runCommand } from "./run.js";
import { packageVersion } from "./usage.js";

const help = `Usage: asyncio-ts [command] [options]

Python's asyncio for TypeScript: the walkthrough, a program runner, and the asyncio REPL.

Commands:
  demo [NAME...]       run the asyncio walkthrough's programs (--virtual: instantly)
  run FILE [args...]   run a script as Node would, then its exported coroutine (default or
                       'main') under asyncio.run()
  repl                 the asyncio REPL, where 'await' works at the top level (the default)
  ps PID               the pending tasks of a running Node process that uses asyncio-ts
  pstree PID           the same as an await tree (cycles flagged)

Options:
  -h, --help           show this help ('asyncio-ts COMMAND --help' for a command's)
  -V, --version        show the version

Exit status: 0 ok, 1 the program failed, 2 bad usage, 130 Ctrl-C, 143 SIGTERM.
`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  demo,
  run: runCommand,
  repl: replCommand,
  ps: psCommand,
  pstree: pstreeCommand,
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return replCommand([]);
  if (first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(help);
    return ExitCode.ok;
  }
  if (first === "-V" || first === "--version") {
    process.stdout.write(`asyncio-ts ${packageVersion()}\n`);
    return ExitCode.ok;
  }
  const command = commands[first];
  if (command === undefined) {
    if (first.startsWith("-")) return replCommand(argv);
    throw new UsageError(
      `unknown command '${first}' (commands: demo, run, repl, ps, pstree; see --help)`,
    );
  }
  return command(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.exitCode = reportFailure(e, "asyncio-ts");
}
// Whatever the program left behind (a socket, a timer) must not keep a finished command alive.
process.exit();
