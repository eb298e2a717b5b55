/**
 * One run of a program, seen from the page: compile, start a fresh worker, relay what it
 * reports, stop it. Stop asks the worker to cancel the main task, so the program's
 * `finally` blocks run and print; a worker that does not even acknowledge the request
 * within STOP_GRACE_MS is in a busy loop (it never gives its thread back), and is
 * terminated. A second Stop terminates at once.
 */
import { compile } from "./compiler.js";
import type { ConsoleLine, FromWorker, Outcome, TimelineSnapshot } from "./protocol.js";

/** How long a worker may take to acknowledge Stop before it is terminated (ms). */
export const STOP_GRACE_MS = 1000;

/** What a run reports to the page. */
export interface RunListener {
  console(lines: readonly ConsoleLine[], dropped: number): void;
  timeline(snapshot: TimelineSnapshot): void;
  compileFailed(errors: readonly string[]): void;
  /** The run is over: how it ended, or "terminated" for a hard stop. */
  finished(outcome: Outcome | { kind: "terminated"; reason: string }, elapsed: number | null): void;
  stopping(): void;
}

/** The state of a run: `compiling`, `running`, `stopping` (cancel requested), `done`. */
export type RunState = "compiling" | "running" | "stopping" | "done";

/**
 * A program's run. `start()` compiles and runs; `stop()` cancels, then terminates.
 *
 * @example
 * ```ts
 * const run = new ProgramRun(source, HELPERS, true, listener);
 * await run.start();
 * run.stop();
 * ```
 */
export class ProgramRun {
  state: RunState = "compiling";
  private worker: Worker | null = null;
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  private acknowledged = false;

  constructor(
    private readonly source: string,
    private readonly helpers: Readonly<Record<string, string>>,
    private readonly virtual: boolean,
    private readonly listener: RunListener,
  ) {}

  async start(): Promise<void> {
    const compiled = await compile(this.source, this.helpers);
    if (this.state === "done") return;
    if (!compiled.ok) {
      this.state = "done";
      this.listener.compileFailed(compiled.errors);
      return;
    }
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: "asyncio-ts playground",
    });
    this.worker = worker;
    this.state = "running";
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.terminate(`the worker failed: ${event.message || "an error outside the program"}`);
    };
    worker.postMessage({
      type: "run",
      code: compiled.code,
      map: compiled.map,
      virtual: this.virtual,
    });
  }

  private receive(message: FromWorker): void {
    if (this.state === "done") return;
    switch (message.type) {
      case "console":
        this.listener.console(message.lines, message.dropped);
        break;
      case "timeline":
        this.listener.timeline(message);
        break;
      case "stopping":
        this.acknowledged = true;
        this.clearGrace();
        break;
      case "done":
        this.finish();
        this.listener.finished(message.outcome, message.elapsed);
        break;
    }
  }

  /**
   * First call: cancel the main task, and terminate the worker if it does not answer in
   * STOP_GRACE_MS. A later call, or one while compiling: terminate now.
   */
  stop(): void {
    if (this.state === "done") return;
    if (this.state === "compiling") {
      this.finish();
      this.listener.finished({ kind: "terminated", reason: "stopped before it started" }, null);
      return;
    }
    if (this.state === "stopping") {
      this.terminate("stopped: the worker was terminated (finally blocks did not run)");
      return;
    }
    this.state = "stopping";
    this.listener.stopping();
    this.worker?.postMessage({ type: "stop" });
    this.graceTimer = setTimeout(() => {
      if (!this.acknowledged) {
        this.terminate(
          `stopped: the program did not give the thread back for ${STOP_GRACE_MS / 1000} s (a busy loop?), so its worker was terminated; finally blocks did not run`,
        );
      }
    }, STOP_GRACE_MS);
  }

  private terminate(reason: string): void {
    if (this.state === "done") return;
    this.finish();
    this.listener.finished({ kind: "terminated", reason }, null);
  }

  private clearGrace(): void {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }

  private finish(): void {
    this.state = "done";
    this.clearGrace();
    this.worker?.terminate();
    this.worker = null;
  }
}
