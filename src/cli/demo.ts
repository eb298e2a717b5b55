/**
 * `asyncio-ts demo`: the asyncio walkthrough, ported. Runs every program registered in
 * `examples/index.ts`, in order (or the ones named), each introduced by one line, with its
 * output live and its elapsed time; an example that declares `pairWith` is followed by a
 * side-by-side comparison with that one (countasync's 2 s against synchronous's 6 s).
 *
 * @module
 */

import { existsSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Example, ExampleModule } from "../../examples/index.js";
import { DemoLanes } from "./lanes.js";
import { ExitCode, reportFailure, runProgram, UsageError } from "./program.js";
import { answeredHelpOrVersion, parseArgs } from "./usage.js";

/**
 * `asyncio-ts demo --help`.
 *
 * @example
 * ```ts
 * process.stdout.write(demoHelp);
 * ```
 */
export const demoHelp = `Usage: asyncio-ts demo [options] [NAME...]

Runs the asyncio walkthrough: every ported program in order, or only the NAMEs given.
Each is introduced by one line, prints its output live, and ends with its elapsed time.
The synchronous and asynchronous versions of the same work are compared side by side.

Options:
  --virtual      run on the virtual-time loop: instant, same output and timings
  --debug        asyncio's debug mode
  --list         list the programs and what each one shows, then exit
  -h, --help     show this help
  -V, --version  show the version

Examples:
  asyncio-ts demo                 # the whole walkthrough, in real time
  asyncio-ts demo --virtual       # the same, instantly
  asyncio-ts demo countasync      # one program
`;

interface Style {
  bold(s: string): string;
  dim(s: string): string;
}

/**
 * Whether to colour the output: `FORCE_COLOR` (anything but "0" or "false") forces it,
 * `NO_COLOR` (any non-empty value, no-color.org) turns it off, and otherwise only a
 * terminal gets colours — never a pipe or a file.
 *
 * @example
 * ```ts
 * useColor({ FORCE_COLOR: "1" }, false); // true
 * ```
 */
export function useColor(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "0" && force.toLowerCase() !== "false") return true;
  if (force === "0" || force?.toLowerCase() === "false") return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return isTTY;
}

/**
 * Where to read an example: its TypeScript source in a checkout (`examples/NAME.ts`), else
 * the compiled file the package ships; relative to the working directory when inside it.
 *
 * @example
 * ```ts
 * console.log(exampleSource("countasync")); // "examples/countasync.ts"
 * ```
 */
export function exampleSource(name: string): string {
  const candidates = [
    new URL(`../../../examples/${name}.ts`, import.meta.url),
    new URL(`../../examples/${name}.ts`, import.meta.url),
    new URL(`../../examples/${name}.js`, import.meta.url),
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p)) ?? (candidates[2] as string);
  const rel = relative(process.cwd(), found);
  return rel.startsWith("..") || isAbsolute(rel) ? found : rel;
}

function style(enabled: boolean): Style {
  const wrap = (open: string) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[0m` : s);
  return { bold: wrap("1"), dim: wrap("2") };
}

/** Seconds as the walkthrough prints them. */
function seconds(s: number): string {
  return `${s.toFixed(2)} s`;
}

/** The example an example module wants to be compared with, if it names one. */
function pairOf(mod: ExampleModule): string | undefined {
  const pair = (mod as { pairWith?: unknown }).pairWith;
  return typeof pair === "string" ? pair : undefined;
}

/** Two bars of proportional length: the saving, visible at a glance. */
function comparison(
  a: { name: string; elapsed: number },
  b: { name: string; elapsed: number },
  st: Style,
): string {
  const width = 40;
  const longest = Math.max(a.elapsed, b.elapsed, 1e-9);
  const pad = Math.max(a.name.length, b.name.length);
  const row = (r: { name: string; elapsed: number }): string => {
    const bar = "█".repeat(Math.max(1, Math.round((r.elapsed / longest) * width)));
    return `  ${r.name.padEnd(pad)}  ${seconds(r.elapsed).padStart(8)}  ${bar}`;
  };
  const [slow, fast] = a.elapsed >= b.elapsed ? [a, b] : [b, a];
  const factor =
    fast.elapsed > 0 ? `${(slow.elapsed / fast.elapsed).toFixed(1)}x faster` : "instant";
  return [row(a), row(b), st.bold(`  same work: ${fast.name} is ${factor} than ${slow.name}`)].join(
    "\n",
  );
}

async function loadExamples(): Promise<Example[]> {
  try {
    const registry = await import("../../examples/index.js");
    return registry.examples;
  } catch (e) {
    throw new UsageError(
      `the walkthrough's programs are not available in this installation (${String(e)})`,
    );
  }
}

/**
 * Runs the `demo` subcommand with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await demo(["--virtual", "countasync"]);
 * ```
 */
export async function demo(argv: string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv, ["virtual", "debug", "list"], "asyncio-ts demo");
  if (answeredHelpOrVersion(flags, demoHelp)) return ExitCode.ok;
  const all = await loadExamples();
  if (flags.has("list")) {
    const pad = Math.max(...all.map((e) => e.name.length));
    for (const e of all) process.stdout.write(`${e.name.padEnd(pad)}  ${e.about}\n`);
    return ExitCode.ok;
  }
  for (const name of rest) {
    if (!all.some((e) => e.name === name)) {
      throw new UsageError(
        `no program named '${name}' (available: ${all.map((e) => e.name).join(", ")})`,
      );
    }
  }
  const chosen = rest.length === 0 ? all : all.filter((e) => rest.includes(e.name));
  const virtual = flags.has("virtual");
  const color = useColor(process.env, process.stdout.isTTY === true);
  const st = style(color);
  const clock = virtual ? "virtual time: instant, same output" : "real time";
  process.stdout.write(
    st.bold(`asyncio-ts demo: ${chosen.length} program(s) of the asyncio walkthrough (${clock})\n`),
  );
  const elapsedByName = new Map<string, number>();
  const lanes = new DemoLanes();
  for (const [i, example] of chosen.entries()) {
    process.stdout.write(
      `\n${st.bold(`[${i + 1}/${chosen.length}] ${example.name}`)}: ${example.about}\n` +
        st.dim(`source: ${exampleSource(example.name)}\n`),
    );
    const mod = await example.load();
    let elapsed: number;
    try {
      ({ elapsed } = await runProgram(() => mod.main(), {
        virtual,
        debug: flags.has("debug"),
        onLoop: lanes.record(example.name),
      }));
    } catch (e) {
      return reportFailure(e, `asyncio-ts demo ${example.name}`);
    }
    elapsedByName.set(example.name, elapsed);
    process.stdout.write(st.dim(`(${example.name} took ${seconds(elapsed)})\n`));
    const pair = pairOf(mod);
    const pairElapsed = pair === undefined ? undefined : elapsedByName.get(pair);
    if (pair !== undefined && pairElapsed !== undefined) {
      process.stdout.write(
        `\n${comparison({ name: pair, elapsed: pairElapsed }, { name: example.name, elapsed }, st)}\n`,
      );
      process.stdout.write(`\n${lanes.draw([pair, example.name], color)}`);
    }
  }
  return ExitCode.ok;
}
