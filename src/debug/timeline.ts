/**
 * Timelines: what ran when. A {@link Timeline} is an instrument that records, per task, its
 * steps (when the task held the loop), its waits (and on what: a sleep, a Future, a lock, a
 * queue, I/O, a thread), the time it spent queued, its cancellations and how it ended —
 * and renders them as a self-contained HTML page (one lane per task, nested under its
 * parent and TaskGroup, zoomable, no network needed), as Chrome trace-event JSON (open it
 * in Perfetto or chrome://tracing), or as text lanes for a terminal.
 *
 * Times are the loop's own clock (`loop.time()`): real seconds on the Node loop, virtual
 * seconds on the virtual-time loop (where steps take no time and are drawn as thin marks).
 *
 * @module
 */

import type { BaseEventLoop } from "../core/base_events.js";
import { describe } from "../core/coroutines.js";
import { _getRunningLoop } from "../core/events.js";
import { RuntimeError } from "../core/exceptions.js";
import type { Task } from "../core/tasks.js";
import { _taskGroupOf } from "./graph.js";
import {
  addInstrument,
  type Instrument,
  removeInstrument,
  type TaskOutcome,
  type WaitKind,
  type WaitTarget,
} from "./instruments.js";

// ---------------------------------------------------------------- recorded shapes

/**
 * One span of a lane: a step, a wait, or time spent queued; seconds since the recording
 * started.
 *
 * @example
 * ```ts
 * timeline.observe(); // the running loop
 * yield* asyncio.createTask(asyncio.sleep(2), { name: "sleeper" });
 * timeline.stop();
 * const sleeper = timeline.tasks().find((t) => t.name === "sleeper")!;
 * for (const w of sleeper.waits) console.log(w.kind, w.end - w.start); // sleep 2
 * ```
 */
export interface TimelineSpan {
  readonly start: number;
  end: number;
}

/**
 * A wait of a task: from the end of a step until something queued it again.
 *
 * @example
 * ```ts
 * timeline.observe();
 * yield* asyncio.createTask(asyncio.sleep(1), { name: "napper" });
 * timeline.stop();
 * const lane = timeline.tasks().find((t) => t.name === "napper")!;
 * const sleeps = lane.waits.filter((w) => w.kind === "sleep");
 * console.log(sleeps.length); // 1
 * ```
 */
export interface TimelineWait extends TimelineSpan {
  readonly kind: WaitKind;
  readonly label: string;
}

/**
 * A cancel() request a task received.
 *
 * @example
 * ```ts
 * timeline.observe();
 * const victim = asyncio.createTask(slow(), { name: "victim" });
 * asyncio.getRunningLoop().callLater(1, () => victim.cancel("too slow"));
 * yield* asyncio.wait([victim]);
 * timeline.stop();
 * const lane = timeline.tasks().find((t) => t.name === "victim")!;
 * for (const c of lane.cancels) console.log(`cancelled by ${c.by ?? "a callback"}: ${c.message}`);
 * // cancelled by a callback: too slow
 * ```
 */
export interface TimelineCancel {
  readonly at: number;
  /** The name of the task that called cancel(); null when a callback did. */
  readonly by: string | null;
  readonly message: string | null;
}

/**
 * Everything recorded about one task: its lane.
 *
 * @example
 * ```ts
 * for (const lane of timeline.tasks()) console.log(lane.name, lane.steps.length);
 * ```
 */
export interface TimelineTask {
  /** The task's number in this recording, from 1, in creation order. */
  readonly id: number;
  name: string;
  /** The id of the task that created it; null for a task made from a callback. */
  readonly parent: number | null;
  /** The id of the TaskGroup (see {@link Timeline.groups}) it belongs to, or null. */
  group: number | null;
  readonly created: number;
  /** When it finished; null while pending. */
  end: number | null;
  outcome: TaskOutcome["state"] | null;
  /** The error, as text, when it failed. */
  error: string | null;
  readonly steps: TimelineSpan[];
  readonly waits: TimelineWait[];
  /** Time spent on the ready queue, scheduled but not yet stepping. */
  readonly queued: TimelineSpan[];
  readonly cancels: TimelineCancel[];
}

/**
 * A TaskGroup seen in the recording: its children are nested under it.
 *
 * @example
 * ```ts
 * for (const g of timeline.groups()) console.log(g.label, g.parent);
 * ```
 */
export interface TimelineGroup {
  readonly id: number;
  /** The id of the group's parent task. */
  readonly parent: number;
  readonly label: string;
}

/**
 * Options of {@link Timeline.toHTML}.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * timeline.observe();
 * yield* asyncio.gather(work(), work());
 * timeline.stop();
 * writeFileSync("run.html", timeline.toHTML({ title: "checkout flow" }));
 * ```
 */
export interface TimelineHTMLOptions {
  /** The page's title; "asyncio-ts timeline" by default. */
  title?: string;
}

/**
 * Options of {@link Timeline.toText}.
 *
 * @example
 * ```ts
 * console.log(timeline.toText({ width: 60, color: process.stdout.isTTY }));
 * ```
 */
export interface TimelineTextOptions {
  /** Characters for the time axis; 50 by default. */
  width?: number;
  /** ANSI colours; false by default. */
  color?: boolean;
  /** The seconds the width stands for (to draw runs on one scale); the run's duration by default. */
  span?: number;
  /** Which lanes to draw; all by default. */
  filter?: (task: TimelineTask) => boolean;
}

/**
 * One event of Chrome's trace-event format, as {@link Timeline.toTraceEvents} writes it.
 *
 * @example
 * ```ts
 * const steps = timeline.toTraceEvents().traceEvents.filter((e) => e.name === "step");
 * ```
 */
export interface TraceEvent {
  name: string;
  ph: "X" | "i" | "M";
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  cat?: string;
  s?: "t";
  args?: Record<string, unknown>;
}

// ---------------------------------------------------------------- recorder

interface Live {
  lane: TimelineTask;
  /** The wait or queued span in progress, if any. */
  open: TimelineSpan | null;
  openStep: TimelineSpan | null;
  /** The first step is where the TaskGroup is looked up (the group adds its task after creating it). */
  stepped: boolean;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return describe(e);
}

/**
 * An instrument that records a run, to render as HTML, Chrome trace JSON or text lanes.
 * Install it with {@link Timeline.observe} (on a loop before it runs, or on the running
 * loop from inside a coroutine) and read it after, or while, the program runs.
 *
 * Memory: every step, wait and cancellation is kept until the Timeline is dropped; record
 * a bounded run (a test, a request, a benchmark iteration), not a server's lifetime.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * const timeline = new asyncio.Timeline();
 * await asyncio.run(main(), { loopFactory: () => timeline.observe(new asyncio.VirtualEventLoop()) });
 * writeFileSync("run.html", timeline.toHTML()); // open it in a browser
 * writeFileSync("run.json", JSON.stringify(timeline.toTraceEvents())); // or in Perfetto
 * console.log(timeline.tasks().length); // 3: main() and its two pieces of work
 * ```
 */
export class Timeline implements Instrument {
  private readonly live = new Map<Task<unknown>, Live>();
  private readonly lanes: TimelineTask[] = [];
  private readonly groupList: TimelineGroup[] = [];
  private readonly groupIds = new WeakMap<object, number>();
  private origin: number | null = null;
  private loop: BaseEventLoop | null = null;
  private last = 0;

  /**
   * Starts recording `loop` (the running loop by default) and returns it, so that it fits
   * in a `loopFactory`. Tasks already pending are recorded from now on.
   *
   * Errors: as {@link addInstrument}; `RuntimeError` if this Timeline already records
   * another loop.
   */
  observe<L extends BaseEventLoop>(loop?: L): L {
    const target = loop ?? (_getRunningLoop() as L | null);
    if (target === null) {
      throw new RuntimeError("Timeline.observe(): no running event loop and no 'loop' was given");
    }
    if (this.loop !== null && this.loop !== target) {
      throw new RuntimeError("Timeline.observe(): this Timeline already records another loop");
    }
    addInstrument(this, { loop: target });
    this.loop = target;
    return target;
  }

  /** Stops recording (what was recorded stays). Returns whether it was recording. */
  stop(): boolean {
    if (this.loop === null) return false;
    return removeInstrument(this, { loop: this.loop });
  }

  private now(task: Task<unknown>): number {
    const loop = this.loop ?? task._loop;
    if (this.loop === null) this.loop = loop;
    const t = loop.time();
    if (this.origin === null) this.origin = t;
    const rel = t - this.origin;
    if (rel > this.last) this.last = rel;
    return rel;
  }

  /** The Instrument hook that records this event (called by the loop, not by you). */
  taskCreated(task: Task<unknown>, parent: Task<unknown> | null): void {
    const t = this.now(task);
    const parentLive = parent === null ? undefined : this.live.get(parent);
    const lane: TimelineTask = {
      id: this.lanes.length + 1,
      name: task.getName(),
      parent: parentLive === undefined ? null : parentLive.lane.id,
      group: null,
      created: t,
      end: null,
      outcome: null,
      error: null,
      steps: [],
      waits: [],
      queued: [],
      cancels: [],
    };
    this.lanes.push(lane);
    this.live.set(task, { lane, open: null, openStep: null, stepped: false });
  }

  /** The Instrument hook that records this event (called by the loop, not by you). */
  taskScheduled(task: Task<unknown>, _by: Task<unknown> | null): void {
    const l = this.live.get(task);
    if (l === undefined) return;
    const t = this.now(task);
    if (l.open !== null && l.lane.queued.at(-1) === l.open) return; // already queued
    if (l.open !== null) l.open.end = t;
    const q = { start: t, end: t };
    l.lane.queued.push(q);
    l.open = q;
  }

  /** The Instrument hook that records this event (called by the loop, not by you). */
  stepStarted(task: Task<unknown>, _wokenBy: WaitTarget | null): void {
    const l = this.live.get(task);
    if (l === undefined) return;
    const t = this.now(task);
    if (l.open !== null) {
      l.open.end = t;
      l.open = null;
    }
    if (!l.stepped) {
      l.stepped = true;
      const parent = l.lane.parent === null ? null : this.taskOf(l.lane.parent);
      const g = parent === null ? null : _taskGroupOf(task, parent);
      if (g !== null && l.lane.parent !== null) l.lane.group = this.groupId(g, l.lane.parent);
    }
    const step = { start: t, end: t };
    l.lane.steps.push(step);
    l.openStep = step;
  }

  /** The Instrument hook that records this event (called by the loop, not by you). */
  stepEnded(task: Task<unknown>, _duration: number, waitingOn: WaitTarget | null): void {
    const l = this.live.get(task);
    if (l === undefined) return;
    const t = this.now(task);
    if (l.openStep !== null) {
      l.openStep.end = t;
      l.openStep = null;
    }
    if (waitingOn !== null) {
      const w: TimelineWait = { start: t, end: t, kind: waitingOn.kind, label: waitingOn.label };
      l.lane.waits.push(w);
      l.open = w;
    }
  }

  /** The Instrument hook that records this event (called by the loop, not by you). */
  taskCancelled(task: Task<unknown>, by: Task<unknown> | null, message: string | undefined): void {
    const l = this.live.get(task);
    if (l === undefined) return;
    l.lane.cancels.push({
      at: this.now(task),
      by: by === null ? null : by.getName(),
      message: message ?? null,
    });
  }

  /** The Instrument hook that records this event (called by the loop, not by you). */
  taskDone(task: Task<unknown>, outcome: TaskOutcome): void {
    const l = this.live.get(task);
    if (l === undefined) return;
    const t = this.now(task);
    l.lane.end = t;
    l.lane.outcome = outcome.state;
    l.lane.name = task.getName();
    if (outcome.state === "error") l.lane.error = errorText(outcome.error);
    this.live.delete(task);
  }

  private taskOf(id: number): Task<unknown> | null {
    for (const [task, l] of this.live) if (l.lane.id === id) return task;
    return null;
  }

  private groupId(g: object, parent: number): number {
    let id = this.groupIds.get(g);
    if (id === undefined) {
      id = this.groupList.length + 1;
      this.groupIds.set(g, id);
      this.groupList.push({ id, parent, label: `TaskGroup #${id}` });
    }
    return id;
  }

  /** The lanes recorded so far, in creation order. */
  tasks(): readonly TimelineTask[] {
    return this.lanes;
  }

  /** The TaskGroups seen so far. */
  groups(): readonly TimelineGroup[] {
    return this.groupList;
  }

  /** Seconds from the first to the last recorded event. */
  duration(): number {
    return this.last;
  }

  /** Spans still open end now (for a snapshot of a run in progress). */
  private endOf(span: TimelineSpan): number {
    return Math.max(span.end, span.start);
  }

  /**
   * Chrome's trace-event format (the JSON Object form): one thread per task, named after
   * it; steps, waits and queued time as complete events; cancellations and failures as
   * instant events. `JSON.stringify` it and open it in https://ui.perfetto.dev.
   */
  toTraceEvents(): { traceEvents: TraceEvent[]; displayTimeUnit: "ms" } {
    const us = (s: number): number => Math.round(s * 1e6 * 1000) / 1000;
    const events: TraceEvent[] = [
      { name: "process_name", ph: "M", pid: 1, tid: 0, ts: 0, args: { name: "asyncio-ts" } },
    ];
    for (const lane of this.lanes) {
      const tid = lane.id;
      const groupText = lane.group === null ? "" : ` [TaskGroup #${lane.group}]`;
      events.push(
        {
          name: "thread_name",
          ph: "M",
          pid: 1,
          tid,
          ts: 0,
          args: { name: `${lane.name}${groupText}` },
        },
        { name: "thread_sort_index", ph: "M", pid: 1, tid, ts: 0, args: { sort_index: tid } },
      );
      for (const s of lane.steps) {
        events.push({
          name: "step",
          cat: "step",
          ph: "X",
          pid: 1,
          tid,
          ts: us(s.start),
          dur: us(this.endOf(s) - s.start),
        });
      }
      for (const w of lane.waits) {
        events.push({
          name: `wait: ${w.kind}`,
          cat: "wait",
          ph: "X",
          pid: 1,
          tid,
          ts: us(w.start),
          dur: us(this.endOf(w) - w.start),
          args: { on: w.label },
        });
      }
      for (const q of lane.queued) {
        events.push({
          name: "ready",
          cat: "queued",
          ph: "X",
          pid: 1,
          tid,
          ts: us(q.start),
          dur: us(this.endOf(q) - q.start),
        });
      }
      for (const c of lane.cancels) {
        events.push({
          name: "cancel",
          cat: "cancel",
          ph: "i",
          s: "t",
          pid: 1,
          tid,
          ts: us(c.at),
          args: { by: c.by, message: c.message },
        });
      }
      if (lane.end !== null && lane.outcome !== "result") {
        events.push({
          name: lane.outcome === "error" ? "error" : "cancelled",
          cat: "outcome",
          ph: "i",
          s: "t",
          pid: 1,
          tid,
          ts: us(lane.end),
          args: lane.error === null ? {} : { error: lane.error },
        });
      }
    }
    return { traceEvents: events, displayTimeUnit: "ms" };
  }

  /**
   * Text lanes for a terminal: one row per task, `█` where it ran, `·` while it slept,
   * `-` while it waited on anything else, `✕` where it was cancelled or failed.
   */
  toText(options: TimelineTextOptions = {}): string {
    const width = options.width ?? 50;
    if (!Number.isInteger(width) || width < 10) {
      throw new RangeError(
        `toText(): 'width' must be an integer >= 10: received ${describe(width)}`,
      );
    }
    const color = options.color === true;
    const span = options.span ?? this.last;
    if (typeof span !== "number" || !(span >= 0)) {
      throw new RangeError(`toText(): 'span' must be a number >= 0: received ${describe(span)}`);
    }
    const total = span > 0 ? span : 1e-9;
    const col = (t: number): number => Math.min(width - 1, Math.floor((t / total) * width));
    const paint = (c: string, code: string): string => (color ? `\x1b[${code}m${c}\x1b[0m` : c);
    const filter = options.filter;
    const ordered = orderLanes(filter === undefined ? this.lanes : this.lanes.filter(filter));
    const names = ordered.map(({ lane, depth }) => `${"  ".repeat(depth)}${lane.name}`);
    const pad = Math.min(28, Math.max(...names.map((n) => n.length), 4));
    const rows: string[] = [];
    for (const [i, { lane }] of ordered.entries()) {
      const cells = new Array<string>(width).fill(" ");
      for (const w of lane.waits) {
        const ch = w.kind === "sleep" ? "·" : "-";
        for (let c = col(w.start); c <= col(this.endOf(w)); c++) cells[c] = ch;
      }
      for (const s of lane.steps) {
        for (let c = col(s.start); c <= col(this.endOf(s)); c++) cells[c] = paint("█", "32");
      }
      for (const c of lane.cancels) cells[col(c.at)] = paint("✕", "33");
      if (lane.outcome === "error" && lane.end !== null) cells[col(lane.end)] = paint("✕", "31");
      const name = (names[i] as string).slice(0, pad).padEnd(pad);
      rows.push(`${name} │${cells.join("")}│`);
    }
    const axis = `${" ".repeat(pad)} 0${" ".repeat(Math.max(1, width - fmt(span).length))}${fmt(span)}`;
    rows.push(axis);
    return rows.join("\n");
  }

  /**
   * A self-contained HTML page: one lane per task, nested under its parent task and
   * TaskGroup; steps as solid bars, waits shaded by kind, queued time hatched,
   * cancellations and failures marked. Zoom with the buttons, `+`/`-`, or Ctrl+wheel.
   * Lanes are DOM elements carrying the task's name (`data-task`), so the page is
   * searchable (Ctrl+F) and testable.
   */
  toHTML(options: TimelineHTMLOptions = {}): string {
    return renderHTML(this, options.title ?? "asyncio-ts timeline");
  }
}

function fmt(s: number): string {
  if (s === 0) return "0 s";
  if (s < 0.001) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return `${s.toFixed(s < 10 ? 2 : 1)} s`;
}

interface Ordered {
  lane: TimelineTask;
  depth: number;
}

/** Depth-first: each task under its parent, in creation order. */
function orderLanes(lanes: readonly TimelineTask[]): Ordered[] {
  const children = new Map<number | null, TimelineTask[]>();
  const ids = new Set(lanes.map((l) => l.id));
  for (const l of lanes) {
    const p = l.parent !== null && ids.has(l.parent) ? l.parent : null;
    const list = children.get(p);
    if (list === undefined) children.set(p, [l]);
    else list.push(l);
  }
  const out: Ordered[] = [];
  const stack: Ordered[] = (children.get(null) ?? []).map((lane) => ({ lane, depth: 0 })).reverse();
  while (stack.length > 0) {
    const o = stack.pop() as Ordered;
    out.push(o);
    const kids = children.get(o.lane.id) ?? [];
    for (let i = kids.length - 1; i >= 0; i--)
      stack.push({ lane: kids[i] as TimelineTask, depth: o.depth + 1 });
  }
  return out;
}

// ---------------------------------------------------------------- HTML

const KIND_COLORS: Record<WaitKind, string> = {
  sleep: "#cfe3ff",
  future: "#e6dcff",
  task: "#dcd6f7",
  gather: "#d9d2f0",
  lock: "#ffd9b3",
  semaphore: "#ffe0c2",
  event: "#fff0b3",
  condition: "#ffe8a3",
  queue: "#c8f0d8",
  taskgroup: "#e0e0e0",
  io: "#b3ecf2",
  thread: "#f5c6dc",
  promise: "#f0e0d0",
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderHTML(tl: Timeline, title: string): string {
  const lanes = tl.tasks();
  const total = tl.duration() > 0 ? tl.duration() : 1e-9;
  const pct = (t: number): string => `${((t / total) * 100).toFixed(4)}%`;
  const width = (a: number, b: number): string =>
    `${(((Math.max(b, a) - a) / total) * 100).toFixed(4)}%`;
  const byParent = new Map<number | null, TimelineTask[]>();
  const ids = new Set(lanes.map((l) => l.id));
  for (const l of lanes) {
    const p = l.parent !== null && ids.has(l.parent) ? l.parent : null;
    const list = byParent.get(p);
    if (list === undefined) byParent.set(p, [l]);
    else list.push(l);
  }
  const kindsUsed = new Set<WaitKind>();

  const laneHTML = (l: TimelineTask): string => {
    const parts: string[] = [];
    for (const q of l.queued) {
      parts.push(
        `<div class="span queued" style="left:${pct(q.start)};width:${width(q.start, q.end)}" title="ready, queued ${esc(fmt(q.end - q.start))}"></div>`,
      );
    }
    for (const w of l.waits) {
      kindsUsed.add(w.kind);
      parts.push(
        `<div class="span wait k-${w.kind}" data-kind="${w.kind}" style="left:${pct(w.start)};width:${width(w.start, w.end)}" title="waiting on ${esc(w.label)} for ${esc(fmt(w.end - w.start))}"></div>`,
      );
    }
    for (const s of l.steps) {
      parts.push(
        `<div class="span step" style="left:${pct(s.start)};width:${width(s.start, s.end)}" title="running ${esc(fmt(s.end - s.start))} at ${esc(fmt(s.start))}"></div>`,
      );
    }
    for (const c of l.cancels) {
      const by = c.by === null ? "a callback" : c.by;
      const msg = c.message === null ? "" : `: ${c.message}`;
      parts.push(
        `<div class="mark cancel" style="left:${pct(c.at)}" title="${esc(`cancel() by ${by}${msg}`)}">✕</div>`,
      );
    }
    if (l.end !== null && l.outcome !== "result") {
      const what = l.outcome === "error" ? `failed: ${l.error ?? ""}` : "ended cancelled";
      parts.push(
        `<div class="mark end-${l.outcome}" style="left:${pct(l.end)}" title="${esc(what)}">${l.outcome === "error" ? "!" : "⊘"}</div>`,
      );
    }
    const state = l.outcome ?? "pending";
    const life = `<div class="life" style="left:${pct(l.created)};width:${width(l.created, l.end ?? total)}"></div>`;
    return `<div class="lane" data-task="${esc(l.name)}" data-id="${l.id}" data-outcome="${state}"><div class="label" title="${esc(`${l.name} (#${l.id}, ${state})`)}">${esc(l.name)}</div><div class="track">${life}${parts.join("")}</div></div>`;
  };

  const nodeHTML = (l: TimelineTask): string => {
    const kids = byParent.get(l.id) ?? [];
    const loose = kids.filter((k) => k.group === null);
    const grouped = new Map<number, TimelineTask[]>();
    for (const k of kids) {
      if (k.group === null) continue;
      const g = grouped.get(k.group);
      if (g === undefined) grouped.set(k.group, [k]);
      else g.push(k);
    }
    let inner = loose.map(nodeHTML).join("");
    for (const [gid, members] of grouped) {
      inner += `<div class="group" data-group="TaskGroup #${gid}"><div class="group-label">TaskGroup #${gid}</div><div class="children">${members.map(nodeHTML).join("")}</div></div>`;
    }
    return `<div class="node">${laneHTML(l)}${inner === "" ? "" : `<div class="children">${inner}</div>`}</div>`;
  };

  const body = (byParent.get(null) ?? []).map(nodeHTML).join("");
  const legend = [
    `<span><i class="sw step"></i>running</span>`,
    `<span><i class="sw queued"></i>ready (queued)</span>`,
    ...[...kindsUsed].map((k) => `<span><i class="sw k-${k}"></i>waiting: ${k}</span>`),
    `<span><b class="cancel">✕</b> cancel()</span>`,
    `<span><b class="end-error">!</b> failed</span>`,
    `<span><b class="end-cancelled">⊘</b> ended cancelled</span>`,
  ].join("");
  const kindCSS = Object.entries(KIND_COLORS)
    .map(([k, c]) => `.k-${k}{background:${c}}`)
    .join("");
  const summary = `${lanes.length} task${lanes.length === 1 ? "" : "s"} · ${fmt(tl.duration())}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fff}
header{padding:10px 14px;border-bottom:1px solid #ddd;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:15px;margin:0}
.controls button{font:inherit;padding:1px 8px;margin-right:4px}
.legend{display:flex;gap:12px;flex-wrap:wrap;color:#555}
.sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid #bbb}
#scroll{overflow-x:auto;padding-bottom:8px}
#timeline{--zoom:1;--label:220px;min-width:calc(var(--label) + var(--zoom) * (100vw - var(--label) - 40px));position:relative}
.axis{display:flex;height:22px;border-bottom:1px solid #ccc;position:sticky;top:0;background:#fff;z-index:2}
.axis .label{background:#fff}
.axis .track{position:relative}
.tick{position:absolute;top:3px;font-size:11px;color:#666;border-left:1px solid #ccc;padding-left:3px;height:18px}
.lane{display:flex;height:22px;align-items:center;border-bottom:1px solid #f2f2f2}
.lane:hover{background:#fafafa}
.label{width:var(--label);flex:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;position:sticky;left:0;background:inherit;z-index:1;padding-left:calc(6px + var(--depth,0) * 14px);box-sizing:border-box;background:#fff}
.children{--depth-step:1}
.node .children .label{padding-left:20px}
.node .children .children .label{padding-left:34px}
.node .children .children .children .label{padding-left:48px}
.node .children .children .children .children .label{padding-left:62px}
.track{position:relative;flex:1;height:100%}
.life{position:absolute;top:10px;height:2px;background:#e8e8e8}
.span{position:absolute;top:4px;height:14px;box-sizing:border-box}
.step{background:#2b8a3e;min-width:2px;top:3px;height:16px;z-index:1}
.queued{background:repeating-linear-gradient(45deg,#eee,#eee 3px,#ccc 3px,#ccc 5px)}
.wait{border-top:1px solid rgba(0,0,0,.08);border-bottom:1px solid rgba(0,0,0,.08)}
.mark{position:absolute;top:1px;transform:translateX(-50%);font-weight:bold;z-index:3}
.cancel{color:#d9480f}.end-error{color:#c92a2a}.end-cancelled{color:#862e9c}
.lane[data-outcome=error] .label{color:#c92a2a}
.group{margin-left:0}
.group-label{font-size:11px;color:#666;padding:2px 0 2px 20px;border-left:3px solid #adb5bd;margin-left:8px;background:#f8f9fa}
.group>.children{border-left:3px solid #adb5bd;margin-left:8px}
${kindCSS}
</style></head>
<body>
<header><h1>${esc(title)}</h1><span class="summary">${esc(summary)}</span>
<span class="controls"><button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-out" title="zoom out (-)">−</button><button id="zoom-reset" title="reset (0)">fit</button></span>
<span class="legend">${legend}</span></header>
<div id="scroll"><div id="timeline" data-duration="${tl.duration()}">
<div class="axis"><div class="label">task</div><div class="track" id="ticks"></div></div>
${body}
</div></div>
<script>
(function(){
  var tl=document.getElementById("timeline"),ticks=document.getElementById("ticks"),scroll=document.getElementById("scroll");
  var total=Number(tl.dataset.duration)||0,zoom=1;
  function fmt(s){if(s===0)return"0";if(s<0.001)return(s*1e6).toFixed(0)+" µs";if(s<1)return(s*1000).toFixed(s<0.01?2:1)+" ms";return s.toFixed(s<10?2:1)+" s";}
  function draw(){
    ticks.textContent="";
    var w=ticks.getBoundingClientRect().width||1,n=Math.max(2,Math.floor(w/90));
    for(var i=0;i<n;i++){var d=document.createElement("div");d.className="tick";d.style.left=(i/n*100)+"%";d.textContent=fmt(total*i/n);ticks.appendChild(d);}
  }
  function set(z,anchor){
    var before=scroll.scrollLeft,width=scroll.clientWidth,center=(before+(anchor==null?width/2:anchor))/(tl.scrollWidth||1);
    zoom=Math.min(1000,Math.max(1,z));tl.style.setProperty("--zoom",String(zoom));
    scroll.scrollLeft=center*tl.scrollWidth-(anchor==null?width/2:anchor);draw();
  }
  document.getElementById("zoom-in").onclick=function(){set(zoom*2);};
  document.getElementById("zoom-out").onclick=function(){set(zoom/2);};
  document.getElementById("zoom-reset").onclick=function(){set(1);};
  document.addEventListener("keydown",function(e){if(e.key==="+"||e.key==="=")set(zoom*2);else if(e.key==="-")set(zoom/2);else if(e.key==="0")set(1);});
  scroll.addEventListener("wheel",function(e){if(!e.ctrlKey)return;e.preventDefault();set(zoom*(e.deltaY<0?1.25:0.8),e.clientX);},{passive:false});
  window.addEventListener("resize",draw);draw();
})();
</script>
</body></html>
`;
}
