/**
 * When the REPL's Ctrl-C key is a signal: only while a tick has run for a while.
 *
 * In raw mode (the REPL's, between inputs) the terminal hands Ctrl-C to Node's readline
 * as a key: it clears the line, or offers to quit. A coroutine stuck in a busy loop never
 * lets readline read, so there the key must reach the process as SIGINT, which ends the
 * tick (`repl_loop.ts`). Letting the terminal make the key a signal for every tick would
 * be wrong whenever something runs in the background: a task that wakes every few
 * milliseconds keeps the loop in short ticks, and a Ctrl-C meant to clear the line would
 * land in one of them, ending a healthy step of that task and losing the key.
 *
 * So a worker thread watches the ticks. The main thread only writes to shared memory as
 * a tick starts and ends (no system call); the worker looks every `pollMs`, and when it
 * sees the same tick still running twice in a row (it has run at least that long), it
 * claims the tick and switches the terminal's signal keys on (`stty isig`; everything
 * else stays raw, so typed keys are kept for readline). When the claimed tick ends, the
 * main thread waits for the switch to be finished and puts the terminal back in raw mode.
 * A Ctrl-C pressed in the first `pollMs` or two of a busy tick stays a key; the next one
 * ends the tick.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";

/** Slots of the shared memory. */
const TICK = 0; // (sequence << 2) | phase
const SWITCHED = 1; // 0 while not yet, 1 once the signal keys are on, 2 if switching failed
const STOP = 2; // 1 tells the worker to end
/** Phases of the current tick. */
const IDLE = 0;
const RUNNING = 1;
const CLAIMED = 2;
const SEQUENCE_MASK = 0x1fffffff;
/** How long the main thread waits, at most, for a switch the worker has begun. */
const SWITCH_WAIT_MS = 5000;

/** The worker's program: plain JavaScript, run with `eval`, so bundling leaves it alone. */
const WATCHER = `
const { workerData } = require("node:worker_threads");
const { spawnSync } = require("node:child_process");
const shared = new Int32Array(workerData.buffer);
const [command, ...args] = workerData.command;
let seen = -1;
for (;;) {
  Atomics.wait(shared, ${STOP}, 0, workerData.pollMs);
  if (Atomics.load(shared, ${STOP}) !== 0) break;
  const tick = Atomics.load(shared, ${TICK});
  if ((tick & 3) === ${RUNNING} && tick === seen &&
      Atomics.compareExchange(shared, ${TICK}, tick, (tick & ~3) | ${CLAIMED}) === tick) {
    const r = spawnSync(command, args, { stdio: [0, "ignore", "ignore"] });
    Atomics.store(shared, ${SWITCHED}, r.status === 0 ? 1 : 2);
    Atomics.notify(shared, ${SWITCHED});
    seen = -1;
  } else {
    seen = tick;
  }
}
`;

/**
 * Whether `stty` can change the terminal on standard input: it is a terminal, and `stty`
 * is installed. Where it cannot, the REPL falls back to leaving raw mode for every tick.
 *
 * @example
 * ```ts
 * if (process.stdin.isTTY && sttyWorks()) new InterruptKey(restoreRaw);
 * ```
 */
export function sttyWorks(): boolean {
  return spawnSync("stty", ["-g"], { stdio: [0, "ignore", "ignore"] }).status === 0;
}

/**
 * Options of {@link InterruptKey}.
 *
 * @example
 * ```ts
 * // Look every 20 ms; run a logging command instead of stty (as the tests do).
 * const key = new InterruptKey(restoreRaw, { pollMs: 20, command: ["sh", "-c", "echo long tick"] });
 * ```
 */
export interface InterruptKeyOptions {
  /** How often the worker looks at the current tick, in milliseconds (default 40). */
  pollMs?: number;
  /** The command that switches the terminal's signal keys on (default `stty isig`). */
  command?: readonly string[];
}

/**
 * Watches the REPL loop's ticks and lets the terminal turn Ctrl-C into SIGINT only while
 * one has run for a while (see the module's comment).
 *
 * @example
 * ```ts
 * const key = new InterruptKey(() => { stdin.setRawMode(false); stdin.setRawMode(true); });
 * loop.aroundTick = (inTick) => (inTick ? key.tickStarted() : key.tickEnded());
 * // ... when the REPL closes:
 * key.close();
 * ```
 */
export class InterruptKey {
  private readonly shared = new Int32Array(new SharedArrayBuffer(3 * 4));
  private readonly worker: Worker;
  private readonly command: readonly string[];
  private sequence = 0;
  private failureSaid = false;

  /**
   * @param restoreRaw puts the terminal back in raw mode after the worker switched its
   *   signal keys on (called on the main thread, as the claimed tick ends).
   */
  constructor(
    private readonly restoreRaw: () => void,
    options: InterruptKeyOptions = {},
  ) {
    const pollMs = options.pollMs ?? 40;
    if (!(pollMs > 0)) throw new RangeError(`pollMs must be positive, got ${pollMs}`);
    const command = options.command ?? ["stty", "isig"];
    this.command = command;
    if (command.length === 0 || command[0] === "" || command.some((w) => typeof w !== "string")) {
      throw new RangeError(
        `command must be a program and its arguments as strings, got ${JSON.stringify(command)}`,
      );
    }
    this.worker = new Worker(WATCHER, {
      eval: true,
      workerData: { buffer: this.shared.buffer, pollMs, command },
      stdin: false,
      stdout: false,
      stderr: false,
    });
    // Should the watcher fail, the REPL goes on, and says once what no longer works.
    this.worker.on("error", (e: unknown) => {
      process.stderr.write(
        `asyncio-ts repl: the watcher of long ticks stopped (${e instanceof Error ? e.message : String(e)}); Ctrl-C can no longer end a busy loop\n`,
      );
    });
    // The REPL's exit does not wait for it.
    this.worker.unref();
  }

  /** A tick starts: two stores to shared memory. */
  tickStarted(): void {
    this.sequence = (this.sequence + 1) & SEQUENCE_MASK;
    Atomics.store(this.shared, TICK, (this.sequence << 2) | RUNNING);
  }

  /** The tick ended (returned, threw, or was ended by SIGINT). */
  tickEnded(): void {
    const was = Atomics.exchange(this.shared, TICK, (this.sequence << 2) | IDLE);
    if ((was & 3) !== CLAIMED) return;
    // The worker is switching the signal keys on, or has: wait for it to finish, so that
    // the terminal is put back in raw mode after its switch, never before.
    Atomics.wait(this.shared, SWITCHED, 0, SWITCH_WAIT_MS);
    const switched = Atomics.exchange(this.shared, SWITCHED, 0);
    this.restoreRaw();
    if (switched === 2 && !this.failureSaid) {
      this.failureSaid = true;
      process.stderr.write(
        `asyncio-ts repl: '${this.command.join(" ")}' failed, so Ctrl-C could not end that long step\n`,
      );
    }
  }

  /** Ends the worker. */
  close(): void {
    Atomics.store(this.shared, STOP, 1);
    Atomics.notify(this.shared, STOP);
  }
}
