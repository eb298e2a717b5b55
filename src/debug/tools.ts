/**
 * The reports of `asyncio-ts ps` and `asyncio-ts pstree` (asyncio 3.14's `asyncio.tools`,
 * behind `python -m asyncio ps|pstree PID`): every pending task as a table, and the await
 * tree, with cycles flagged. They work in-process too, from a REPL or a signal handler.
 *
 * Another process reaches them through Node's inspector: this module leaves a function on
 * the realm's shared runtime object (core/runtime.ts), which `asyncio-ts ps PID` evaluates
 * there (src/cli/ps.ts). It reads the running loop of that process; nothing is computed
 * until it is asked.
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import { describe } from "../core/coroutines.js";
import { _getRunningLoop } from "../core/events.js";
import { RuntimeError } from "../core/exceptions.js";
import { runtime } from "../core/runtime.js";
import { type _TaskRow, _taskReport } from "./graph.js";

/**
 * Options of {@link formatTaskTable} and {@link formatTaskTree}.
 *
 * @example
 * ```ts
 * console.log(asyncio.formatTaskTree({ loop }));
 * ```
 */
export interface TaskReportOptions {
  /** The loop whose pending tasks are shown; the running loop by default. */
  loop?: BaseEventLoop;
}

function loopOf(fn: string, options: TaskReportOptions | undefined): BaseEventLoop {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`${fn}: 'options' must be an object: received ${describe(options)}`);
  }
  const loop: unknown = options?.loop ?? _getRunningLoop();
  if (loop === null) throw new RuntimeError(`${fn}: no running event loop and no 'loop' was given`);
  if (!(loop instanceof BaseEventLoop)) {
    throw new TypeError(`${fn}: 'loop' must be an asyncio event loop: received ${describe(loop)}`);
  }
  return loop;
}

function cycleLines(rows: _TaskRow[], cycles: string[][]): string[] {
  const name = new Map(rows.map((r) => [r.id, r.name]));
  return cycles.map((c) => {
    const chain = [...c, c[0] as string].map((id) => `${name.get(id)} (${id})`).join(" awaits ");
    return `  cycle: ${chain}`;
  });
}

function table(rows: _TaskRow[], cycles: string[][]): string {
  const name = new Map(rows.map((r) => [r.id, r.name]));
  const header = [
    "task id",
    "task name",
    "coroutine stack (innermost first)",
    "waiting on",
    "awaited by",
  ];
  const cells = rows.map((r) => [
    r.id,
    r.name,
    [...r.stack].reverse().join(", "),
    r.waitingOn,
    r.awaitedBy.map((id) => `${name.get(id)} (${id})`).join(", "),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => (c[i] as string).length)),
  );
  const line = (c: string[]) =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)];
  if (cycles.length > 0) {
    out.push("", "Await cycles (these tasks wait for each other and can never finish):");
    out.push(...cycleLines(rows, cycles));
  }
  return out.join("\n");
}

function tree(rows: _TaskRow[], cycles: string[][]): string {
  if (cycles.length > 0) {
    return [
      "ERROR: the await graph contains cycles: cannot print a tree!",
      "",
      ...cycleLines(rows, cycles),
    ].join("\n");
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  // children[t]: the tasks t awaits (t is among their awaiters).
  const children = new Map<string, string[]>();
  for (const r of rows) {
    for (const w of r.awaitedBy) {
      const list = children.get(w);
      if (list === undefined) children.set(w, [r.id]);
      else list.push(r.id);
    }
  }
  const roots = rows.filter((r) => r.awaitedBy.every((w) => !byId.has(w)));
  const out: string[] = [];
  // A node is a task ("(T) name") or one of its frames; a task's awaited tasks hang under
  // its innermost frame, where it waits for them.
  interface Node {
    label: string;
    kids: () => Node[];
  }
  const taskNode = (id: string, seen: Set<string>): Node => {
    const r = byId.get(id) as _TaskRow;
    const awaited = (): Node[] =>
      (children.get(id) ?? [])
        .filter((c) => !seen.has(c))
        .map((c) => taskNode(c, new Set([...seen, c])));
    const frames = (i: number): Node[] =>
      i < r.stack.length ? [{ label: ` ${r.stack[i]}`, kids: () => frames(i + 1) }] : awaited();
    return { label: `(T) ${r.name}`, kids: () => frames(0) };
  };
  const walk = (n: Node, prefix: string, last: boolean): void => {
    out.push(`${prefix}${last ? "└── " : "├── "}${n.label}`);
    const kids = n.kids();
    kids.forEach((k, i) => {
      walk(k, `${prefix}${last ? "    " : "│   "}`, i === kids.length - 1);
    });
  };
  roots.forEach((r, i) => {
    walk(taskNode(r.id, new Set([r.id])), "", i === roots.length - 1);
  });
  return out.join("\n");
}

/**
 * Every pending task of the loop as a table: id, name, coroutine stack (innermost first),
 * what it waits on, and the tasks awaiting it; await cycles listed after. What
 * `asyncio-ts ps PID` prints for another process.
 *
 * Errors: `RuntimeError` when no loop is given and none is running; `TypeError` for a bad
 * `loop`.
 *
 * @example
 * ```ts
 * console.log(asyncio.formatTaskTable());
 * // task id  task name  coroutine stack (innermost first)  waiting on  awaited by
 * // -------  ---------  ...
 * ```
 */
export function formatTaskTable(options?: TaskReportOptions): string {
  const { tasks, cycles } = _taskReport(loopOf("formatTaskTable()", options));
  return table(tasks, cycles);
}

/**
 * The await tree of the loop's pending tasks: each task under the task awaiting it, with
 * its coroutine frames, as `asyncio-ts pstree PID` prints it. With an await cycle there is
 * no tree: the text says so and lists the cycles.
 *
 * Errors: as {@link formatTaskTable}.
 *
 * @example
 * ```ts
 * console.log(asyncio.formatTaskTree());
 * // └── (T) main
 * //     └──  main
 * //         └── (T) worker
 * ```
 */
export function formatTaskTree(options?: TaskReportOptions): string {
  const { tasks, cycles } = _taskReport(loopOf("formatTaskTree()", options));
  return tree(tasks, cycles);
}

/** What the CLI evaluates in another process (see the module comment). */
function report(what: string): { text: string; cycles: number } | { refused: string } {
  const loop = _getRunningLoop();
  if (loop === null) {
    return { refused: "asyncio-ts is loaded, but no event loop is running (nothing to show)" };
  }
  const { tasks, cycles } = _taskReport(loop);
  const text = what === "pstree" ? tree(tasks, cycles) : table(tasks, cycles);
  return { text, cycles: cycles.length };
}

runtime.report ??= report;
