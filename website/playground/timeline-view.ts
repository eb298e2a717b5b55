/**
 * The playground's live timeline: one lane per task, each nested under the task that
 * created it, drawn from the worker's snapshots as the program runs. Steps (the task
 * holding the loop) are solid, waits are shaded by what they wait on, queued time is
 * light; a task that failed or was cancelled is marked at its end. The scale grows with
 * the run: the whole run always fits the width.
 *
 * Lanes are DOM elements with `data-task` and `data-depth`, so they can be searched and
 * tested.
 */
import type { TimelineSpan, TimelineTask } from "../../src/debug/timeline.js";

/** At most this many lanes are drawn (a program that starts thousands of tasks). */
const MAX_LANES = 200;
/** At most this many spans of a kind per lane; the rest are merged into the last one. */
const MAX_SPANS = 1500;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Lanes depth first, each under its parent, in creation order. */
export function orderLanes(
  lanes: readonly TimelineTask[],
): { lane: TimelineTask; depth: number }[] {
  const ids = new Set(lanes.map((l) => l.id));
  const children = new Map<number | null, TimelineTask[]>();
  for (const l of lanes) {
    const parent = l.parent !== null && ids.has(l.parent) ? l.parent : null;
    const list = children.get(parent) ?? [];
    list.push(l);
    children.set(parent, list);
  }
  const out: { lane: TimelineTask; depth: number }[] = [];
  const visit = (parent: number | null, depth: number) => {
    for (const lane of children.get(parent) ?? []) {
      out.push({ lane, depth });
      visit(lane.id, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

/** A readable tick step for a run of `total` seconds: 1, 2 or 5 times a power of ten. */
function tickStep(total: number): number {
  const rough = total / 6;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}

function fmt(s: number): string {
  if (s === 0) return "0";
  if (s < 1) return `${Number((s * 1000).toPrecision(3))} ms`;
  return `${Number(s.toPrecision(4))} s`;
}

/**
 * Draws `lanes` into `container` (replacing what was there), `now` seconds long.
 *
 * @example
 * ```ts
 * drawTimeline(document.querySelector("#timeline")!, snapshot.lanes, snapshot.now);
 * ```
 */
export function drawTimeline(
  container: HTMLElement,
  lanes: readonly TimelineTask[],
  now: number,
): void {
  const total = now > 0 ? now : 1e-9;
  const pct = (t: number) => `${((Math.min(Math.max(t, 0), total) / total) * 100).toFixed(3)}%`;
  const endOf = (s: TimelineSpan) => (Number.isFinite(s.end) && s.end >= s.start ? s.end : now);
  const spans = (
    list: readonly TimelineSpan[],
    cls: (s: TimelineSpan) => string,
    title: (s: TimelineSpan) => string,
  ) => {
    const out: string[] = [];
    const shown = list.length > MAX_SPANS ? list.slice(0, MAX_SPANS) : list;
    for (const s of shown) {
      const end = endOf(s);
      out.push(
        `<div class="${cls(s)}" style="left:${pct(s.start)};width:calc(${pct(end)} - ${pct(s.start)})" title="${escapeHtml(title(s))}"></div>`,
      );
    }
    return out.join("");
  };
  const ordered = orderLanes(lanes);
  const rows: string[] = [];
  for (const { lane, depth } of ordered.slice(0, MAX_LANES)) {
    const state =
      lane.outcome === null
        ? "running"
        : lane.outcome === "result"
          ? "returned"
          : lane.outcome === "error"
            ? "failed"
            : "cancelled";
    const end = lane.end ?? now;
    rows.push(
      `<div class="lane" data-task="${escapeHtml(lane.name)}" data-depth="${depth}" data-state="${state}">`,
      `<div class="lane-name" style="padding-left:${0.3 + depth * 0.9}em" title="${escapeHtml(lane.name)}: ${state}${lane.error === null ? "" : ` (${escapeHtml(lane.error)})`}">${escapeHtml(lane.name)}</div>`,
      `<div class="lane-track"><div class="life" style="left:${pct(lane.created)};width:calc(${pct(end)} - ${pct(lane.created)})"></div>`,
      spans(
        lane.queued,
        () => "queued",
        (s) => `queued ${fmt(endOf(s) - s.start)}`,
      ),
      spans(
        lane.waits,
        (s) => `wait wait-${(s as TimelineTask["waits"][number]).kind}`,
        (s) => `${(s as TimelineTask["waits"][number]).label}: ${fmt(endOf(s) - s.start)}`,
      ),
      spans(
        lane.steps,
        () => "step",
        (s) => `step at ${fmt(s.start)}: ${fmt(endOf(s) - s.start)}`,
      ),
      state === "failed" || state === "cancelled"
        ? `<div class="mark mark-${state}" style="left:${pct(end)}" title="${state}${lane.error === null ? "" : `: ${escapeHtml(lane.error)}`}"></div>`
        : "",
      "</div></div>",
    );
  }
  if (ordered.length > MAX_LANES) {
    rows.push(`<div class="lane-more">… and ${ordered.length - MAX_LANES} more tasks</div>`);
  }
  const step = tickStep(total);
  const ticks: string[] = [];
  for (let t = 0; t <= total + step / 1000; t += step) {
    ticks.push(`<div class="tick" style="left:${pct(t)}">${fmt(Number(t.toPrecision(6)))}</div>`);
  }
  container.innerHTML = `${rows.join("")}<div class="axis"><div class="lane-name"></div><div class="lane-track">${ticks.join("")}</div></div>`;
}
