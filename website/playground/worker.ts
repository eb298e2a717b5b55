/**
 * The playground's runner: a module Web Worker that runs one program on asyncio-ts's
 * portable part, on a BrowserEventLoop (real time) or a VirtualEventLoop, with a Timeline
 * recording it. It streams console lines and timeline snapshots to the page, cancels the
 * main task when asked (so `finally` blocks run), and reports how the run ended.
 *
 * The program is an ES module bundled by the page; its `import … from "asyncio-ts"` reads
 * `globalThis.__asyncioPlayground`, which is the playground's library (library.ts) with one
 * change: `run()` runs on the playground's loop (or the program's own `loopFactory`) and
 * records the timeline. A module that exports `main` and does not call `run()` itself has
 * `main()` run for it; a run the module starts without awaiting it is waited for.
 */
/// <reference lib="webworker" />

import { addInstrument } from "../../src/debug/instruments.js";
import { Timeline, type TimelineTask } from "../../src/debug/timeline.js";
import type { BaseEventLoop, RunOptions, Task } from "../../src/portable.js";
import { formatArgs } from "./inspect.js";
import * as portable from "./library.js";
import type { ConsoleLine, FromWorker, Outcome, RunRequest, ToWorker } from "./protocol.js";
import { type BundleInfo, formatError, SourceMapIndex } from "./traceback.js";

declare const self: DedicatedWorkerGlobalScope;

/** Lines kept for the page; the rest are counted, not sent (a runaway print loop). */
const MAX_LINES = 20_000;
/** How often, at most, output and the timeline are sent (ms). */
const FLUSH_MS = 50;
const SNAPSHOT_MS = 100;

function send(message: FromWorker): void {
  self.postMessage(message);
}

// ---------------------------------------------------------------- console

let pending: ConsoleLine[] = [];
let sentLines = 0;
let dropped = 0;
let lastFlush = 0;
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function flushConsole(): void {
  if (flushTimer !== null) {
    clearTimeout(flushTimer);
    flushTimer = null;
  }
  lastFlush = performance.now();
  if (pending.length === 0 && dropped === 0) return;
  send({ type: "console", lines: pending, dropped });
  pending = [];
  dropped = 0;
}

function print(level: ConsoleLine["level"], args: unknown[]): void {
  const text = formatArgs(args);
  for (const line of text.split("\n")) {
    if (sentLines >= MAX_LINES) dropped++;
    else {
      sentLines++;
      pending.push({ level, text: line });
    }
  }
  // Sent synchronously when due, so a program stuck in a busy loop still shows what it
  // printed before it got stuck.
  if (performance.now() - lastFlush >= FLUSH_MS) flushConsole();
  else flushTimer ??= setTimeout(flushConsole, FLUSH_MS);
}

for (const level of ["log", "info", "warn", "error", "debug"] as const) {
  console[level] = (...args: unknown[]) => print(level, args);
}

// ---------------------------------------------------------------- the run

const timeline = new Timeline();
let virtual = false;
let loop: BaseEventLoop | null = null;
let recordingStart = 0;
let mainTask: Task<unknown> | null = null;
let ranMain = false;
/** The runs the program started: the run is over when all have settled. */
const runs: Promise<unknown>[] = [];

/**
 * The main task's lanes: it and the tasks under it. What the runner does after the main
 * task ends (cancelling what is left, closing async generators) is no part of the program.
 */
function programLanes(): TimelineTask[] {
  const all = timeline.tasks();
  const root = all.find((l) => l.parent === null);
  if (root === undefined) return [];
  const kept = new Set([root.id]);
  return all.filter((l) => {
    if (l.id === root.id || (l.parent !== null && kept.has(l.parent))) {
      kept.add(l.id);
      return true;
    }
    return false;
  });
}

function snapshot(): void {
  const lanes = programLanes();
  const rootEnd = lanes[0]?.end ?? null;
  const live = loop === null ? 0 : loop.time() - recordingStart;
  const now =
    rootEnd !== null && rootEnd >= 0
      ? Math.max(rootEnd, ...lanes.map((l) => l.end ?? 0))
      : Math.max(timeline.duration(), live);
  send({ type: "timeline", lanes: structuredClone(lanes), now, virtual });
}

/** `asyncio.run`, on the playground's loop, recorded, with its main task known to Stop. */
function playgroundRun<T>(main: portable.AwaitableLike<T>, options: RunOptions = {}): Promise<T> {
  ranMain = true;
  const own = options.loopFactory;
  const started = portable.run(main, {
    ...options,
    loopFactory: () => {
      const created =
        own !== undefined
          ? own()
          : virtual
            ? new portable.VirtualEventLoop()
            : new portable.BrowserEventLoop();
      if (loop === null) {
        timeline.observe(created);
        recordingStart = created.time();
      }
      loop = created;
      mainTask = null;
      addInstrument(
        {
          taskCreated(task, parent) {
            if (parent === null && mainTask === null) mainTask = task;
          },
        },
        { loop: created },
      );
      return created;
    },
  });
  // Handled here so an unawaited run that fails is no "unhandled rejection"; execute()
  // awaits it and reports its error.
  started.catch(() => {});
  runs.push(started);
  return started;
}

(globalThis as { __asyncioPlayground?: unknown }).__asyncioPlayground = {
  ...portable,
  run: playgroundRun,
};

function describeValue(v: unknown): string | null {
  return v === undefined ? null : formatArgs([v]);
}

async function execute(request: RunRequest): Promise<void> {
  virtual = request.virtual;
  const url = URL.createObjectURL(new Blob([request.code], { type: "text/javascript" }));
  const bundle: BundleInfo = { url, map: new SourceMapIndex(JSON.parse(request.map)) };
  const ticker = setInterval(snapshot, SNAPSHOT_MS);
  let outcome: Outcome;
  try {
    const module = (await import(/* @vite-ignore */ url)) as { main?: unknown };
    let value: unknown;
    if (!ranMain && typeof module.main === "function") {
      value = await playgroundRun((module.main as () => portable.AwaitableLike<unknown>)());
    }
    // A run started and not awaited (`asyncio.run(main());` as a statement): its end, and
    // its error, are the program's.
    for (let i = 0; i < runs.length; i++) await runs[i];
    outcome = { kind: "returned", value: describeValue(value) };
  } catch (e) {
    if (e instanceof portable.CancelledError) {
      outcome = { kind: "cancelled", message: e.message };
    } else {
      outcome = { kind: "failed", error: formatError(e, bundle) };
    }
  } finally {
    clearInterval(ticker);
  }
  const elapsed = loop === null ? 0 : loop.time() - recordingStart;
  timeline.stop();
  snapshot();
  flushConsole();
  send({ type: "done", outcome, elapsed, virtual });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "run") {
    void execute(message);
  } else if (message.type === "stop") {
    const task = mainTask;
    const cancelled = task !== null && !task.done() && task.cancel("stopped from the playground");
    send({ type: "stopping", cancelled });
  }
};
