/**
 * Signal handlers on the loop: `loop.addSignalHandler()` / `loop.removeSignalHandler()`
 * over Node's process signal events, with asyncio's rules:
 *
 * - one handler per signal for the whole process: adding a handler replaces the previous
 *   one (of this loop or of another), it never chains;
 * - the callback does not run inside Node's signal event: it is scheduled on the loop
 *   (`callSoon`), in a copy of the context current when the handler was added, so it may
 *   touch tasks, futures and queues; an error it throws goes to the loop's exception
 *   handler;
 * - coroutine functions are refused (asyncio's TypeError): schedule a task from the callback;
 * - removing the handler, or closing the loop, gives the signal back to Node's default
 *   behaviour (SIGINT and SIGTERM end the process again);
 * - while a handler is installed, the loop counts it as something that can wake it (a wake
 *   source): a program that only waits for a signal is not a deadlock, and the Node loop
 *   keeps the process alive for it, as asyncio's loop stays in its selector.
 *
 * @module
 */

import type { BaseEventLoop } from "../core/base_events.js";
import { _currentVars, Context } from "../core/contextvars.js";
import { describe, isGeneratorFunction } from "../core/coroutines.js";
import { RuntimeError } from "../core/exceptions.js";
import { builtin } from "./builtins.js";

/**
 * A signal name Node knows, such as `"SIGINT"`, `"SIGTERM"` or `"SIGUSR2"`: `loop.addSignalHandler("SIGTERM", stop)`.
 *
 * @example
 * ```ts
 * const sig: asyncio.SignalName = "SIGTERM";
 * asyncio.getRunningLoop().addSignalHandler(sig, () => mainTask.cancel());
 * ```
 */
export type SignalName = NodeJS.Signals;

interface Installed {
  loop: BaseEventLoop;
  name: SignalName;
  listener: () => void;
}

/** The handlers installed by any loop, by signal number: one per signal, as the OS has it. */
const installed = new Map<number, Installed>();

/** Signals a process can never catch. */
const UNCATCHABLE = new Set<string>(["SIGKILL", "SIGSTOP"]);

/** The name and number of `sig`, or the error asyncio raises for it. */
function resolveSignal(sig: unknown, method: string): { name: SignalName; signo: number } {
  const table = builtin("node:os").constants.signals as Record<string, number>;
  let name: string | undefined;
  if (typeof sig === "string") {
    if (table[sig] !== undefined) name = sig;
  } else if (typeof sig === "number" && Number.isInteger(sig)) {
    name = Object.keys(table).find((k) => table[k] === sig);
  } else {
    throw new TypeError(
      `${method}(): 'sig' must be a signal name or number: received ${describe(sig)}`,
    );
  }
  if (name === undefined) {
    throw new RangeError(`${method}(): 'sig' is not a valid signal: received ${describe(sig)}`);
  }
  return { name: name as SignalName, signo: table[name] as number };
}

function isCoroutineFunction(fn: unknown): boolean {
  return (
    isGeneratorFunction(fn) || (typeof fn === "function" && fn.constructor.name === "AsyncFunction")
  );
}

/** @internal `loop.addSignalHandler()`. */
export function addSignalHandler<A extends unknown[]>(
  loop: BaseEventLoop,
  sig: SignalName | number,
  callback: (...args: A) => unknown,
  args: A,
): void {
  if (isCoroutineFunction(callback)) {
    throw new TypeError("addSignalHandler(): coroutines cannot be used with addSignalHandler()");
  }
  if (typeof callback !== "function") {
    throw new TypeError(
      `addSignalHandler(): 'callback' must be a function: received ${describe(callback)}`,
    );
  }
  const { name, signo } = resolveSignal(sig, "addSignalHandler");
  loop._checkClosed();
  if (UNCATCHABLE.has(name)) throw new RuntimeError(`sig ${signo} cannot be caught`);
  const context = new Context(_currentVars());
  const fn = callback as (...args: never[]) => unknown;
  const listener = (): void => {
    // A signal can arrive after the loop closed but before close() removed us (another
    // listener ran first): drop it then, as there is no loop to run the callback on.
    if (loop.isClosed()) return;
    loop._callSoonWithContext(fn, args, context);
  };
  uninstall(signo);
  process.on(name, listener);
  installed.set(signo, { loop, name, listener });
  loop._addWakeSource(1);
}

/** @internal `loop.removeSignalHandler()`. */
export function removeSignalHandler(loop: BaseEventLoop, sig: SignalName | number): boolean {
  const { signo } = resolveSignal(sig, "removeSignalHandler");
  const entry = installed.get(signo);
  if (entry === undefined || entry.loop !== loop) return false;
  uninstall(signo);
  return true;
}

/**
 * @internal Whether `loop` has a handler for `sig` (for the Runner: a loop handler for
 * SIGINT replaces its Ctrl-C handling, as `signal.signal` replaces Python's).
 */
export function hasSignalHandler(loop: BaseEventLoop, sig: SignalName | number): boolean {
  const { signo } = resolveSignal(sig, "hasSignalHandler");
  return installed.get(signo)?.loop === loop;
}

/** @internal Called when a loop closes: its handlers go, the signals' defaults come back. */
export function removeAllSignalHandlers(loop: BaseEventLoop): void {
  for (const [signo, entry] of installed) {
    if (entry.loop === loop) uninstall(signo);
  }
}

function uninstall(signo: number): void {
  const entry = installed.get(signo);
  if (entry === undefined) return;
  installed.delete(signo);
  process.removeListener(entry.name, entry.listener);
  entry.loop._addWakeSource(-1);
}
