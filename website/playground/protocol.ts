/**
 * The messages between the playground page and the Web Worker that runs a program. One
 * worker runs one program: the page starts a fresh worker for every run, so a run never
 * sees the last one's state, and a hard stop is `worker.terminate()`.
 */
import type { TimelineTask } from "../../src/debug/timeline.js";

/** The page asks the worker to run compiled code. */
export interface RunRequest {
  type: "run";
  /** The program bundled as an ES module (by the page's esbuild-wasm). */
  code: string;
  /** Its source map (JSON), to show errors at the lines of the TypeScript. */
  map: string;
  /** VirtualEventLoop (true) or BrowserEventLoop (false). */
  virtual: boolean;
}

/** The page asks the worker to cancel the main task (its `finally` blocks run). */
export interface StopRequest {
  type: "stop";
}

export type ToWorker = RunRequest | StopRequest;

/** One line the program printed. */
export interface ConsoleLine {
  level: "log" | "info" | "warn" | "error" | "debug";
  text: string;
}

/** The timeline so far. */
export interface TimelineSnapshot {
  type: "timeline";
  lanes: TimelineTask[];
  /** Seconds since the recording started, on the loop's clock. */
  now: number;
  virtual: boolean;
}

/** How the run ended. */
export type Outcome =
  | { kind: "returned"; value: string | null }
  | { kind: "cancelled"; message: string }
  | { kind: "failed"; error: string };

export type FromWorker =
  | { type: "console"; lines: ConsoleLine[]; dropped: number }
  | TimelineSnapshot
  /** The worker received the stop request: it is not stuck in a busy loop. */
  | { type: "stopping"; cancelled: boolean }
  | { type: "done"; outcome: Outcome; elapsed: number; virtual: boolean };
