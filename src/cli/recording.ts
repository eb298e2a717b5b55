/**
 * `asyncio-ts run --timeline out.html --trace out.json`: record the run with a
 * {@link Timeline} and write it when the program ends, whether it returned or failed.
 *
 * Kept apart from run.ts: the options take a value, which the command's flag parser does
 * not, so they are taken out of the arguments first (only before FILE: what follows FILE
 * belongs to the program).
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { BaseEventLoop } from "../core/base_events.js";
import { Timeline } from "../debug/timeline.js";
import { UsageError } from "./program.js";

/**
 * Where to write the recording; both null when the run is not recorded.
 *
 * @example
 * ```ts
 * const recording: RecordingOptions = { timeline: "run.html", trace: null };
 * ```
 */
export interface RecordingOptions {
  /** The HTML timeline's path. */
  timeline: string | null;
  /** The Chrome trace-event JSON's path. */
  trace: string | null;
}

/**
 * Help lines for the options, to go in the command's help.
 *
 * @example
 * ```ts
 * const help = `Options:\n${recordingHelp}\n`;
 * ```
 */
export const recordingHelp = `  --timeline FILE  record the run and write its timeline as HTML (one lane per task)
  --trace FILE     record the run and write Chrome trace-event JSON (open in Perfetto)`;

const NAMES = ["timeline", "trace"] as const;

/**
 * Takes `--timeline FILE` / `--trace FILE` (or `--name=FILE`) out of the options before
 * the first positional argument; returns them and the remaining arguments.
 *
 * @example
 * ```ts
 * const { recording, argv } = takeRecordingOptions(["--timeline", "t.html", "main.ts"]);
 * ```
 */
export function takeRecordingOptions(input: string[]): {
  recording: RecordingOptions;
  argv: string[];
} {
  const recording: RecordingOptions = { timeline: null, trace: null };
  const argv: string[] = [];
  let i = 0;
  for (; i < input.length; i++) {
    const arg = input[i] as string;
    if (arg === "--" || !arg.startsWith("-") || arg === "-") break;
    const name = NAMES.find((n) => arg === `--${n}` || arg.startsWith(`--${n}=`));
    if (name === undefined) {
      argv.push(arg);
      continue;
    }
    let value: string | undefined;
    if (arg.includes("=")) value = arg.slice(arg.indexOf("=") + 1);
    else value = input[++i];
    if (value === undefined || value === "" || (value.startsWith("-") && value !== "-")) {
      throw new UsageError(`--${name} needs a file name: --${name} FILE`);
    }
    recording[name] = value;
  }
  return { recording, argv: [...argv, ...input.slice(i)] };
}

/**
 * A Timeline and the loop hook that starts it, when `options` asks for a recording.
 *
 * @example
 * ```ts
 * const rec = startRecording(recording);
 * await runProgram(main, { onLoop: rec?.onLoop });
 * ```
 */
export function startRecording(
  options: RecordingOptions,
): { timeline: Timeline; onLoop: (loop: BaseEventLoop) => void } | null {
  if (options.timeline === null && options.trace === null) return null;
  const timeline = new Timeline();
  return { timeline, onLoop: (loop) => void timeline.observe(loop) };
}

/**
 * Writes what was asked for, and says so on stderr.
 *
 * @example
 * ```ts
 * writeRecording(rec.timeline, recording, "main.ts");
 * ```
 */
export function writeRecording(timeline: Timeline, options: RecordingOptions, file: string): void {
  if (options.timeline !== null) {
    writeFileSync(options.timeline, timeline.toHTML({ title: `asyncio-ts run ${basename(file)}` }));
    process.stderr.write(
      `timeline: ${timeline.tasks().length} tasks written to ${options.timeline}\n`,
    );
  }
  if (options.trace !== null) {
    writeFileSync(options.trace, JSON.stringify(timeline.toTraceEvents()));
    process.stderr.write(
      `trace: written to ${options.trace} (open it in https://ui.perfetto.dev)\n`,
    );
  }
}
