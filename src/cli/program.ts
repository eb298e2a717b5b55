/**
 * What the subcommands share: exit codes, usage errors, and running one main coroutine
 * with asyncio's `run()` the way a command-line program should — Ctrl-C and SIGTERM cancel
 * the main task (its cleanup runs) and end the process with 130 and 143, as shells expect.
 *
 * @module
 */

import type { BaseEventLoop } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { CancelledError, KeyboardInterrupt } from "../core/exceptions.js";
import type { Task } from "../core/tasks.js";
import { NodeEventLoop, VirtualEventLoop } from "../io/loop_io.js";
import { run } from "../io/runners.js";
import { currentTask } from "../tasks.js";

/**
 * Exit codes scripts can rely on. 130 and 143 are 128 + the signal number.
 *
 * @example
 * ```ts
 * process.exitCode = ExitCode.usage; // 2
 * ```
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  sigint: 130,
  sigterm: 143,
} as const;

/**
 * Bad usage of the command: an unknown option, a missing argument, a file that is not a
 * program. Printed without a stack, and the process exits with 2.
 *
 * @example
 * ```ts
 * throw new UsageError("run: missing FILE");
 * ```
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The main task was cancelled because the process got SIGTERM.
 *
 * @example
 * ```ts
 * if (e instanceof Terminated) process.exitCode = 143;
 * ```
 */
export class Terminated extends Error {
  constructor(options?: ErrorOptions) {
    super("terminated (SIGTERM)", options);
    this.name = "Terminated";
  }
}

/** Options of {@link runProgram}. */
export interface ProgramOptions {
  /** asyncio's debug mode. */
  debug?: boolean;
  /** Run on the virtual-time loop. */
  virtual?: boolean;
  /** Called with the loop before it runs (instruments, timelines). */
  onLoop?: ((loop: BaseEventLoop) => void) | undefined;
}

/** What {@link runProgram} returns. */
export interface ProgramRun<T> {
  result: T;
  /** Loop seconds from the loop's creation to the end of `main`. */
  elapsed: number;
}

/**
 * Runs `main()` under `asyncio.run()` and measures it on the loop's own clock (so on the
 * virtual loop `elapsed` is virtual time). The first Ctrl-C cancels the main task and the
 * Promise rejects with `KeyboardInterrupt` (that is `run()`'s own behaviour); SIGTERM does
 * the same and rejects with {@link Terminated}. A second signal ends the process at once.
 *
 * @example
 * ```ts
 * const { result, elapsed } = await runProgram(() => main(), { virtual: true });
 * ```
 */
export async function runProgram<T>(
  main: () => Coroutine<T>,
  options: ProgramOptions = {},
): Promise<ProgramRun<T>> {
  let loop: BaseEventLoop | null = null;
  let start = 0;
  let end = 0;
  let mainTask: Task<unknown> | null = null;
  let terminated = false;
  function* wrapper(): Coroutine<T> {
    mainTask = currentTask();
    try {
      return yield* main();
    } finally {
      end = (loop as BaseEventLoop).time();
    }
  }
  const onSigterm = (): void => {
    if (terminated || mainTask === null || mainTask.done()) process.exit(ExitCode.sigterm);
    terminated = true;
    mainTask.cancel("terminated (SIGTERM)");
  };
  process.on("SIGTERM", onSigterm);
  try {
    const result = await run(wrapper(), {
      debug: options.debug ?? false,
      loopFactory: () => {
        loop = options.virtual === true ? new VirtualEventLoop() : new NodeEventLoop();
        start = loop.time();
        options.onLoop?.(loop);
        return loop;
      },
    });
    return { result, elapsed: end - start };
  } catch (e) {
    if (terminated && e instanceof CancelledError) throw new Terminated({ cause: e });
    throw e;
  } finally {
    process.removeListener("SIGTERM", onSigterm);
  }
}

/**
 * Prints what ended a program to stderr and returns the exit code for it: 2 for a
 * {@link UsageError} (message only), 130 for Ctrl-C, 143 for SIGTERM, 1 for anything else
 * (with its stack, which shows the coroutine frames).
 *
 * @example
 * ```ts
 * process.exitCode = reportFailure(error, "asyncio-ts run");
 * ```
 */
export function reportFailure(error: unknown, prefix: string): number {
  if (error instanceof UsageError) {
    process.stderr.write(`${prefix}: ${error.message}\n`);
    return ExitCode.usage;
  }
  if (error instanceof KeyboardInterrupt) {
    process.stderr.write("KeyboardInterrupt\n");
    return ExitCode.sigint;
  }
  if (error instanceof Terminated) {
    process.stderr.write("Terminated\n");
    return ExitCode.sigterm;
  }
  const text = error instanceof Error && error.stack ? error.stack : String(error);
  process.stderr.write(`${text}\n`);
  return ExitCode.failed;
}
