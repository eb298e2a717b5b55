/**
 * The demo's lanes: each walkthrough program is recorded with a {@link Timeline}, and when
 * a program is compared with its pair (countasync with synchronous) both runs are drawn
 * as lanes, one row per task: the blocking version's counts run one after the other, the
 * asynchronous one's overlap while they sleep.
 *
 * @module
 */

import type { BaseEventLoop } from "../core/base_events.js";
import { Timeline, type TimelineTask } from "../debug/timeline.js";

/** The program's own tasks: the main task and what descends from it (not the runner's). */
function ownTasks(tl: Timeline): (t: TimelineTask) => boolean {
  const parents = new Map(tl.tasks().map((t) => [t.id, t.parent]));
  return (t) => {
    for (let id: number | null = t.id; id !== null; id = parents.get(id) ?? null) {
      if (id === 1) return true;
    }
    return false;
  };
}

/**
 * Records the demo's runs and draws pairs of them.
 *
 * @example
 * ```ts
 * const lanes = new DemoLanes();
 * await runProgram(() => mod.main(), { onLoop: lanes.record("countasync") });
 * process.stdout.write(lanes.draw(["synchronous", "countasync"], true));
 * ```
 */
export class DemoLanes {
  private readonly runs = new Map<string, Timeline>();

  /** The `onLoop` hook that records the program `name`. */
  record(name: string): (loop: BaseEventLoop) => void {
    const tl = new Timeline();
    this.runs.set(name, tl);
    return (loop) => void tl.observe(loop);
  }

  /** The lanes of the named runs, each under a title line; "" when one was not recorded. */
  draw(names: string[], color: boolean): string {
    const runs = names.map((n) => this.runs.get(n));
    if (runs.some((r) => r === undefined)) return "";
    // One scale for all, so that the faster run is visibly shorter.
    const span = Math.max(...runs.map((r) => (r as Timeline).duration()));
    const blocks: string[] = [];
    for (const [i, tl] of (runs as Timeline[]).entries()) {
      const text = tl.toText({ width: 48, color, span, filter: ownTasks(tl) });
      blocks.push(`  ${names[i]}:\n${indent(text)}`);
    }
    blocks.push("  █ running   · sleeping (the loop runs others)   - waiting on other tasks");
    return `${blocks.join("\n")}\n`;
  }
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
