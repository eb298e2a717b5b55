/**
 * Call-graph introspection, as asyncio 3.14's `asyncio.graph`: which coroutine frames a
 * task is suspended in, and which tasks are waiting for it — the chain that answers
 * "why is this task still pending?".
 *
 * Edges ("awaited by") come from what the runtime already knows, read at capture time so
 * that no step of any task pays for them:
 * - a Task suspended in `yield* fut` (a Future or a Task) is an awaiter of `fut`;
 * - the children of a pending `gather()` are awaited by the task awaiting the gather (as in
 *   3.14, the gather Future itself does not appear), nested gathers included;
 * - the children of an entered `TaskGroup` are awaited by its parent task, once the group
 *   has told this module about itself ({@link _noteTaskGroup}, called on entry);
 * - anything registered with {@link futureAddToAwaitedBy} (asyncio 3.14's public hook,
 *   for code that waits on futures in ways the runtime cannot see, e.g. through callbacks:
 *   `shield`, `wait`).
 *
 * Frames: a Task keeps an explicit frame stack for `coroutine()`-marked functions, so
 * every marked frame is listed by name. V8 does not expose which function made a
 * generator, so an unmarked `function*` — and every unmarked frame it awaits natively with
 * `yield*` — shows as a single frame named `coroutine`. Synchronous JavaScript frames are
 * not visible at all.
 *
 * @module
 */

import { BaseEventLoop } from "../core/base_events.js";
import { COROUTINE_FUNCTION, type Coroutine, coroutineName, describe } from "../core/coroutines.js";
import { _getRunningLoop } from "../core/events.js";
import { RuntimeError } from "../core/exceptions.js";
import { Future, isfuture } from "../core/futures.js";
import { Task } from "../core/tasks.js";
import { GatheringFuture } from "../tasks.js";

// ---------------------------------------------------------------- public shapes

/**
 * One coroutine frame of a call stack in a {@link FutureCallGraph}: asyncio's
 * `FrameCallGraphEntry`.
 *
 * @example
 * ```ts
 * yield* asyncio.sleep(0); // the task has started and is suspended in work()
 * const graph = asyncio.captureCallGraph(task);
 * for (const entry of graph?.callStack ?? []) console.log(entry.name, entry.marked);
 * ```
 */
export interface FrameCallGraphEntry {
  /** The suspended coroutine object (generator) of this frame. */
  readonly frame: Coroutine;
  /**
   * The coroutine function's name for a `coroutine()`-marked function; `"coroutine"` for
   * an unmarked `function*` (V8 does not say which function made a generator).
   */
  readonly name: string;
  /** Whether the frame's function was marked with `asyncio.coroutine()`. */
  readonly marked: boolean;
}

/**
 * A Future or Task, the frames it is suspended in (innermost first), and the graphs of
 * what awaits it: asyncio's `FutureCallGraph`.
 *
 * @example
 * ```ts
 * function* fetchIt() {
 *   yield* asyncio.sleep(1);
 * }
 * function* worker() {
 *   yield* fetchIt();
 * }
 * const task = asyncio.createTask(worker());
 * const waiter = asyncio.createTask((function* () { yield* task; })());
 * yield* asyncio.sleep(0);
 * const graph = asyncio.captureCallGraph(task);
 * if (graph !== null) {
 *   console.log(graph.callStack.map((e) => e.name)); // the frames task is suspended in
 *   console.log(graph.awaitedBy.map((g) => g.future === waiter)); // [true]
 * }
 * yield* waiter;
 * ```
 */
export interface FutureCallGraph {
  /** The Future or Task this node describes. */
  readonly future: Future<unknown>;
  /** The coroutine frames a Task is suspended in, innermost first; empty for a Future. */
  readonly callStack: readonly FrameCallGraphEntry[];
  /** A graph for each Future or Task that waits for {@link future}. */
  readonly awaitedBy: readonly FutureCallGraph[];
}

/**
 * Options of {@link captureCallGraph}, {@link formatCallGraph} and {@link printCallGraph}.
 *
 * @example
 * ```ts
 * asyncio.printCallGraph(task, { limit: -2 }); // the two innermost frames of each stack
 * ```
 */
export interface CallGraphOptions {
  /**
   * When the graph is of the *current* task: 1 (the default) keeps every frame; `n` leaves
   * out the `n - 1` innermost coroutine frames (a helper coroutine that captures on its
   * caller's behalf passes 2). Only coroutine frames count, as JavaScript hides the rest.
   * Ignored for other futures, as in asyncio.
   */
  depth?: number;
  /**
   * Truncates every call stack of the graph to `|limit|` frames: positive keeps the
   * outermost frames (where each task began), negative the innermost (where it is
   * suspended), 0 captures no stacks at all (awaited-by edges only). `null` or absent: all.
   */
  limit?: number | null;
}

/**
 * Options of {@link printCallGraph} and {@link printAllTasks}.
 *
 * @example
 * ```ts
 * asyncio.printCallGraph(task, { file: process.stderr });
 * ```
 */
export interface PrintCallGraphOptions extends CallGraphOptions {
  /** Where to write; `console.log` by default. Anything with `write(text)`, e.g. `process.stderr`. */
  file?: { write(text: string): unknown };
}

/**
 * Options of {@link formatAllTasks} and {@link printAllTasks}.
 *
 * @example
 * ```ts
 * console.log(asyncio.formatAllTasks({ limit: -3 }));
 * ```
 */
export interface AllTasksOptions {
  /** The loop whose pending tasks are listed; the running loop by default. */
  loop?: BaseEventLoop;
  /** As {@link CallGraphOptions.limit}, for each task's stack. */
  limit?: number | null;
}

// ---------------------------------------------------------------- awaited-by bookkeeping

/** Edges registered through futureAddToAwaitedBy: future → what awaits it. */
const registered = new WeakMap<Future<unknown>, Set<Future<unknown>>>();

function checkFuture(fn: string, arg: string, x: unknown): asserts x is Future<unknown> {
  if (!isfuture(x)) {
    throw new TypeError(
      `${fn}: '${arg}' must be an asyncio Future or Task: received ${describe(x)}`,
    );
  }
}

/**
 * Records that `waiter` waits for `fut`, for call graphs (asyncio 3.14's
 * `future_add_to_awaited_by`). Tasks waiting with `yield* fut` and `gather()` are found
 * without it; use it when a task waits for a future in a way the runtime cannot see — a
 * done-callback, an Event set by someone else — and undo it with
 * {@link futureDiscardFromAwaitedBy} when the wait ends.
 *
 * Errors: `TypeError` if either argument is not a Future or Task.
 *
 * @example
 * ```ts
 * const job = asyncio.getRunningLoop().createFuture<string>(); // finished by someone else
 * asyncio.getRunningLoop().callLater(1, () => job.setResult("done"));
 * const jobFinished = new asyncio.Event();
 * job.addDoneCallback(() => jobFinished.set());
 * const me = asyncio.currentTask()!;
 * asyncio.futureAddToAwaitedBy(job, me);
 * try {
 *   yield* jobFinished.wait(); // meanwhile the call graph of `job` shows `me` awaiting it
 * } finally {
 *   asyncio.futureDiscardFromAwaitedBy(job, me);
 * }
 * console.log(job.result()); // done
 * ```
 */
export function futureAddToAwaitedBy(fut: Future<unknown>, waiter: Future<unknown>): void {
  checkFuture("futureAddToAwaitedBy()", "fut", fut);
  checkFuture("futureAddToAwaitedBy()", "waiter", waiter);
  let set = registered.get(fut);
  if (set === undefined) {
    set = new Set();
    registered.set(fut, set);
  }
  set.add(waiter);
}

/**
 * Removes an edge added with {@link futureAddToAwaitedBy} (asyncio 3.14's
 * `future_discard_from_awaited_by`). Removing an edge that is not there does nothing.
 *
 * Errors: `TypeError` if either argument is not a Future or Task.
 *
 * @example
 * ```ts
 * const job = asyncio.getRunningLoop().createFuture<string>();
 * const me = asyncio.currentTask()!;
 * asyncio.futureAddToAwaitedBy(job, me);
 * asyncio.futureDiscardFromAwaitedBy(job, me);
 * console.log(asyncio.captureCallGraph(job)?.awaitedBy.length); // 0
 * ```
 */
export function futureDiscardFromAwaitedBy(fut: Future<unknown>, waiter: Future<unknown>): void {
  checkFuture("futureDiscardFromAwaitedBy()", "fut", fut);
  checkFuture("futureDiscardFromAwaitedBy()", "waiter", waiter);
  const set = registered.get(fut);
  if (set === undefined) return;
  set.delete(waiter);
  if (set.size === 0) registered.delete(fut);
}

/** The structural view of a TaskGroup that call graphs read (its fields are private). */
interface TaskGroupView {
  _parentTask: Task<unknown> | null;
  _holds(task: Task<unknown>): boolean;
  _children(): Task<unknown>[];
}

/** Entered TaskGroups by parent task; entries whose group has exited are pruned lazily. */
const groupsByParent = new WeakMap<Task<unknown>, TaskGroupView[]>();

/**
 * @internal Called by `TaskGroup.aenter()` once the group knows its parent task, so that
 * the group's children show as awaited by that task (asyncio 3.14 records the same edge
 * per child; one record per group keeps `createTask` free of bookkeeping).
 */
export function _noteTaskGroup(group: object): void {
  const view = group as TaskGroupView;
  const parent = view._parentTask;
  if (parent === null) return;
  const live = (groupsByParent.get(parent) ?? []).filter(
    (g) => g !== view && g._parentTask === parent,
  );
  live.push(view);
  groupsByParent.set(parent, live);
}

/** Who awaits what, read from the loop's pending tasks once per capture. */
class AwaiterIndex {
  private readonly edges = new Map<Future<unknown>, Set<Future<unknown>>>();

  constructor(loop: BaseEventLoop) {
    for (const task of loop._tasks) {
      const waited = task._futWaiter;
      if (waited instanceof Future) this.addWaited(waited, task, new Set());
      const groups = groupsByParent.get(task);
      if (groups !== undefined) {
        for (const g of groups) {
          if (g._parentTask !== task) continue;
          for (const child of g._children()) this.add(child, task);
        }
      }
    }
  }

  private addWaited(fut: Future<unknown>, waiter: Task<unknown>, seen: Set<unknown>): void {
    this.add(fut, waiter);
    // gather's children are awaited by the task awaiting the gather (3.14), at any nesting.
    if (fut instanceof GatheringFuture && !fut.done() && !seen.has(fut)) {
      seen.add(fut);
      for (const child of fut._children) this.addWaited(child, waiter, seen);
    }
  }

  private add(fut: Future<unknown>, waiter: Future<unknown>): void {
    const set = this.edges.get(fut);
    if (set === undefined) this.edges.set(fut, new Set([waiter]));
    else set.add(waiter);
  }

  /** Derived edges first (in task creation order), then registered ones. */
  awaitersOf(fut: Future<unknown>): Future<unknown>[] {
    const derived = this.edges.get(fut);
    const extra = registered.get(fut);
    if (extra === undefined) return derived === undefined ? [] : [...derived];
    if (derived === undefined) return [...extra];
    return [...new Set([...derived, ...extra])];
  }
}

// ---------------------------------------------------------------- capture

/** Frames of a task, outermost first. */
function framesOf(future: Future<unknown>): FrameCallGraphEntry[] {
  if (!(future instanceof Task) || future.done()) return [];
  const gens = future._frames === null ? [future._top] : [...future._frames, future._top];
  return gens.map((frame) => ({
    frame,
    name: coroutineName(frame),
    marked: COROUTINE_FUNCTION in frame,
  }));
}

/** Applies `limit` to frames listed outermost first; returns them innermost first. */
function truncate(
  outermostFirst: FrameCallGraphEntry[],
  limit: number | null,
): FrameCallGraphEntry[] {
  let kept = outermostFirst;
  if (limit !== null) {
    if (limit === 0) kept = [];
    else if (limit > 0) kept = kept.slice(0, limit);
    else kept = kept.slice(limit);
  }
  return kept.reverse();
}

/** A graph node while it is being built: its awaitedBy list is still growing. */
interface NodeInProgress {
  future: Future<unknown>;
  callStack: FrameCallGraphEntry[];
  awaitedBy: FutureCallGraph[];
}

function buildGraph(
  root: Future<unknown>,
  index: AwaiterIndex,
  limit: number | null,
  skipInnermost: number,
): FutureCallGraph {
  const node = (future: Future<unknown>, skip: number): NodeInProgress => {
    let frames = framesOf(future);
    if (skip > 0) frames = frames.slice(0, Math.max(0, frames.length - skip));
    return { future, callStack: truncate(frames, limit), awaitedBy: [] };
  };
  const rootNode = node(root, skipInnermost);
  // Depth-first with an explicit stack: an await chain of thousands of tasks must not
  // overflow the JavaScript stack. `onPath` cuts await cycles (deadlocks) where a future
  // repeats, so the graph is always finite.
  const onPath = new Set<Future<unknown>>([root]);
  const stack = [{ node: rootNode, waiters: index.awaitersOf(root), next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    if (top.next >= top.waiters.length) {
      stack.pop();
      onPath.delete(top.node.future);
      continue;
    }
    const waiter = top.waiters[top.next++] as Future<unknown>;
    const child = node(waiter, 0);
    top.node.awaitedBy.push(child);
    if (!onPath.has(waiter)) {
      onPath.add(waiter);
      stack.push({ node: child, waiters: index.awaitersOf(waiter), next: 0 });
    }
  }
  return rootNode;
}

interface ParsedArgs {
  future: Future<unknown> | null;
  depth: number;
  limit: number | null;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

function checkLimit(fn: string, limit: unknown): number | null {
  if (limit === undefined || limit === null) return null;
  if (typeof limit !== "number" || !Number.isInteger(limit)) {
    throw new TypeError(`${fn}: 'limit' must be an integer or null: received ${describe(limit)}`);
  }
  return limit;
}

function parseArgs(fn: string, futureArg: unknown, optionsArg: unknown): ParsedArgs {
  // The future is optional and comes first: `captureCallGraph({ depth: 2 })` means options.
  if (optionsArg === undefined && isPlainObject(futureArg)) {
    optionsArg = futureArg;
    futureArg = undefined;
  }
  if (futureArg !== undefined && futureArg !== null) checkFuture(fn, "future", futureArg);
  if (optionsArg !== undefined && !isPlainObject(optionsArg)) {
    throw new TypeError(`${fn}: 'options' must be an object: received ${describe(optionsArg)}`);
  }
  const options = (optionsArg ?? {}) as Record<string, unknown>;
  const depth = options.depth ?? 1;
  if (typeof depth !== "number" || !Number.isInteger(depth) || depth < 1) {
    throw new RangeError(`${fn}: 'depth' must be a positive integer: received ${describe(depth)}`);
  }
  return {
    future: (futureArg ?? null) as Future<unknown> | null,
    depth,
    limit: checkLimit(fn, options.limit),
  };
}

function capture(fn: string, futureArg: unknown, optionsArg: unknown): FutureCallGraph | null {
  const { future, depth, limit } = parseArgs(fn, futureArg, optionsArg);
  const running = _getRunningLoop();
  let subject = future;
  if (subject === null) {
    if (running === null) {
      throw new RuntimeError(
        `${fn} was called outside of a running event loop and no 'future' to introspect was given`,
      );
    }
    subject = running._currentTask;
    if (subject === null) return null;
  }
  const isCurrent = running !== null && subject === running._currentTask;
  const index = new AwaiterIndex(subject._loop);
  return buildGraph(subject, index, limit, isCurrent ? depth - 1 : 0);
}

/**
 * Captures the call graph of `future` — by default the current task: the coroutine frames
 * it is suspended in and, recursively, what awaits it. asyncio 3.14's
 * `capture_call_graph`. Returns `null` when no future is given and no task is running
 * (e.g. from a plain `callSoon` callback).
 *
 * Edges come from tasks suspended on futures and tasks, `gather()`, `TaskGroup` children
 * and {@link futureAddToAwaitedBy}. An await cycle (a deadlock) is cut where a future
 * repeats. See the module notes on which frames can be named.
 *
 * Errors: `TypeError` if `future` is not a Future or Task, or `limit` is not an integer;
 * `RangeError` if `depth` is not a positive integer; `RuntimeError` if no future is given
 * outside a running loop.
 *
 * @example
 * ```ts
 * const worker = asyncio.coroutine(function* worker() {
 *   yield* asyncio.sleep(10);
 * });
 * const main = asyncio.coroutine(function* main() {
 *   const t = asyncio.createTask(worker(), { name: "worker" });
 *   yield* asyncio.sleep(0);
 *   const graph = asyncio.captureCallGraph(t);
 *   console.log(graph?.callStack.map((e) => e.name)); // ["worker"]
 *   yield* t;
 * });
 * ```
 */
export function captureCallGraph(
  future?: Future<unknown> | null,
  options?: CallGraphOptions,
): FutureCallGraph | null;
export function captureCallGraph(options: CallGraphOptions): FutureCallGraph | null;
export function captureCallGraph(future?: unknown, options?: unknown): FutureCallGraph | null {
  return capture("captureCallGraph()", future, options);
}

// ---------------------------------------------------------------- ids and text

const ids = new WeakMap<object, number>();
let nextId = 0;

/** A small number for `obj`, stable for its lifetime (JavaScript has no addresses). */
function idOf(obj: object): string {
  let id = ids.get(obj);
  if (id === undefined) {
    id = ++nextId;
    ids.set(obj, id);
  }
  return `0x${id.toString(16)}`;
}

/** Python's repr of a string: single quotes unless the text holds one and no double. */
function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of s) {
    if (ch === "\\" || ch === q) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else out += ch;
  }
  return q + out + q;
}

function label(future: Future<unknown>): string {
  if (future instanceof Task) return `Task(name=${pyRepr(future.getName())}, id=${idOf(future)})`;
  return `Future(id=${idOf(future)})`;
}

function render(graph: FutureCallGraph): string {
  const lines: string[] = [];
  // Pre-order with an explicit stack, for the same reason as buildGraph.
  const stack: [FutureCallGraph, number][] = [[graph, 0]];
  while (stack.length > 0) {
    const [g, level] = stack.pop() as [FutureCallGraph, number];
    const indent = "    ".repeat(level);
    lines.push(`${indent}* ${label(g.future)}`);
    if (g.callStack.length > 0) {
      lines.push(`${indent}  + Call stack:`);
      for (const entry of g.callStack) lines.push(`${indent}  |   in ${entry.name}()`);
    }
    if (g.awaitedBy.length > 0) {
      lines.push(`${indent}  + Awaited by:`);
      for (let i = g.awaitedBy.length - 1; i >= 0; i--) {
        stack.push([g.awaitedBy[i] as FutureCallGraph, level + 1]);
      }
    }
  }
  return lines.join("\n");
}

/**
 * The call graph of `future` (by default the current task) as text, as asyncio 3.14's
 * `format_call_graph`; `""` when no future is given and no task is running. Frames are
 * listed innermost first, one `|   in name()` line each; each awaiter is indented below
 * `+ Awaited by:`. Ids are small numbers given to each object on first display.
 *
 * Errors: as {@link captureCallGraph}.
 *
 * @example
 * ```ts
 * console.log(asyncio.formatCallGraph(task));
 * // * Task(name='worker', id=0x2)
 * //   + Call stack:
 * //   |   in fetch()
 * //   |   in worker()
 * //   + Awaited by:
 * //     * Task(name='Task-1', id=0x1)
 * //       + Call stack:
 * //       |   in main()
 * ```
 */
export function formatCallGraph(
  future?: Future<unknown> | null,
  options?: CallGraphOptions,
): string;
export function formatCallGraph(options: CallGraphOptions): string;
export function formatCallGraph(future?: unknown, options?: unknown): string {
  const graph = capture("formatCallGraph()", future, options);
  return graph === null ? "" : render(graph);
}

function parsePrintOptions(
  fn: string,
  future: unknown,
  options: unknown,
): { future: unknown; options: unknown; file: PrintCallGraphOptions["file"] } {
  if (options === undefined && isPlainObject(future)) {
    options = future;
    future = undefined;
  }
  if (!isPlainObject(options)) return { future, options, file: undefined };
  const { file, ...rest } = options;
  if (
    file !== undefined &&
    (typeof file !== "object" ||
      file === null ||
      typeof (file as { write?: unknown }).write !== "function")
  ) {
    throw new TypeError(`${fn}: 'file' must have a write(text) method: received ${describe(file)}`);
  }
  return { future, options: rest, file: file as PrintCallGraphOptions["file"] };
}

function emit(text: string, file: PrintCallGraphOptions["file"]): void {
  if (file === undefined) console.log(text);
  else file.write(`${text}\n`);
}

/**
 * Prints {@link formatCallGraph}'s text for `future` (by default the current task), as
 * asyncio 3.14's `print_call_graph`: to `console.log`, or to `file` (e.g. `process.stderr`).
 *
 * Errors: as {@link captureCallGraph}; `TypeError` if `file` has no `write` method.
 *
 * @example
 * ```ts
 * const main = asyncio.coroutine(function* main() {
 *   asyncio.printCallGraph(); // * Task(name='Task-1', id=0x1) / + Call stack: / |   in main()
 * });
 * ```
 */
export function printCallGraph(
  future?: Future<unknown> | null,
  options?: PrintCallGraphOptions,
): void;
export function printCallGraph(options: PrintCallGraphOptions): void;
export function printCallGraph(future?: unknown, options?: unknown): void {
  const parsed = parsePrintOptions("printCallGraph()", future, options);
  const graph = capture("printCallGraph()", parsed.future, parsed.options);
  emit(graph === null ? "" : render(graph), parsed.file);
}

// ---------------------------------------------------------------- every task (`ps`)

function waitingOn(task: Task<unknown>, deadlines: () => Map<unknown, number>): string {
  if (task._loop._currentTask === task) return "running";
  const w = task._futWaiter;
  if (w === null) return "ready to run";
  if (w instanceof GatheringFuture) {
    const pending = w._children.filter((c) => !c.done()).length;
    return `gather(${w._children.length} children, ${pending} pending)`;
  }
  if (w instanceof Future) return w.done() ? `${label(w)} (done, waking up)` : label(w);
  if (typeof w === "number") {
    // The task is its own timer (see core/sleep.ts); w is the sleep's delay.
    const when = deadlines().get(task);
    return when === undefined
      ? `sleep(${w}) (done, waking up)`
      : `sleep until t=${when.toFixed(3)}`;
  }
  const when = deadlines().get(w);
  // Out of the heap: the timer fired (or the sleep was cancelled) and the task is queued.
  return when === undefined
    ? `sleep(${w._delay}) (done, waking up)`
    : `sleep until t=${when.toFixed(3)}`;
}

/** Await cycles among tasks, each listed once, starting from its earliest task. */
function findCycles(tasks: Task<unknown>[], index: AwaiterIndex): Task<unknown>[][] {
  const order = new Map(tasks.map((t, i) => [t, i] as const));
  // waits[t]: the tasks `t` is waiting for (the awaited-by edges, reversed).
  const waits = new Map<Task<unknown>, Task<unknown>[]>();
  for (const t of tasks) {
    for (const w of index.awaitersOf(t)) {
      if (!(w instanceof Task) || !order.has(w)) continue;
      const list = waits.get(w);
      if (list === undefined) waits.set(w, [t]);
      else list.push(t);
    }
  }
  const rank = (t: Task<unknown>): number => order.get(t) ?? 0;
  const cycles: Task<unknown>[][] = [];
  const reported = new Set<string>();
  const finished = new Set<Task<unknown>>();
  // An explicit DFS stack: a chain of thousands of tasks must not overflow the JS stack.
  for (const root of tasks) {
    if (finished.has(root)) continue;
    const path: Task<unknown>[] = [root];
    const next: number[] = [0];
    const onPath = new Set<Task<unknown>>([root]);
    while (path.length > 0) {
      const top = path.length - 1;
      const t = path[top] as Task<unknown>;
      const out = waits.get(t) ?? [];
      const i = next[top] as number;
      if (i >= out.length) {
        path.pop();
        next.pop();
        onPath.delete(t);
        finished.add(t);
        continue;
      }
      next[top] = i + 1;
      const w = out[i] as Task<unknown>;
      if (onPath.has(w)) {
        const cycle = path.slice(path.indexOf(w));
        // Lead with the earliest-created task, so each cycle is reported once.
        let lead = 0;
        for (let k = 1; k < cycle.length; k++) {
          if (rank(cycle[k] as Task<unknown>) < rank(cycle[lead] as Task<unknown>)) lead = k;
        }
        const rotated = [...cycle.slice(lead), ...cycle.slice(0, lead)];
        const key = rotated.map(rank).join(",");
        if (!reported.has(key)) {
          reported.add(key);
          cycles.push(rotated);
        }
      } else if (!finished.has(w)) {
        path.push(w);
        next.push(0);
        onPath.add(w);
      }
    }
  }
  return cycles;
}

/**
 * A report of every pending task of the loop — what `python -m asyncio ps` shows, for use
 * from a REPL, a signal handler or a test that hangs: one block per task, in creation
 * order, with what it is waiting on, its call stack (innermost first) and the tasks
 * awaiting it; then any await cycle (tasks waiting for each other: a deadlock).
 *
 * Errors: `RuntimeError` if no `loop` is given and none is running; `TypeError` for a
 * bad `loop` or `limit`.
 *
 * @example
 * ```ts
 * const main = asyncio.coroutine(function* main() {
 *   asyncio.createTask(worker(), { name: "worker" });
 *   yield* asyncio.sleep(1);
 *   console.log(asyncio.formatAllTasks());
 *   // 2 pending tasks
 *   //
 *   // * Task(name='Task-1', id=0x1)
 *   //   + Waiting on: running
 *   //   + Call stack:
 *   //   |   in main()
 *   // ...
 * });
 * ```
 */
export function formatAllTasks(options?: AllTasksOptions): string {
  const fn = "formatAllTasks()";
  if (options !== undefined && !isPlainObject(options)) {
    throw new TypeError(`${fn}: 'options' must be an object: received ${describe(options)}`);
  }
  const loopArg: unknown = options?.loop;
  let loop: BaseEventLoop;
  if (loopArg === undefined || loopArg === null) {
    const running = _getRunningLoop();
    if (running === null) {
      throw new RuntimeError(`${fn}: no running event loop and no 'loop' was given`);
    }
    loop = running;
  } else {
    if (!(loopArg instanceof BaseEventLoop)) {
      throw new TypeError(
        `${fn}: 'loop' must be an asyncio event loop: received ${describe(loopArg)}`,
      );
    }
    loop = loopArg;
  }
  const limit = checkLimit(fn, options?.limit);
  const tasks = [...loop._tasks];
  const index = new AwaiterIndex(loop);
  const lines: string[] = [`${tasks.length} pending task${tasks.length === 1 ? "" : "s"}`];
  // Deadlines live in the timer heap: collect them once, and only if a task sleeps.
  let deadlineMap: Map<unknown, number> | null = null;
  const deadlines = () => {
    deadlineMap ??= loop._timers.deadlines();
    return deadlineMap;
  };
  for (const task of tasks) {
    lines.push("", `* ${label(task)}`, `  + Waiting on: ${waitingOn(task, deadlines)}`);
    const stack = truncate(framesOf(task), limit);
    if (stack.length > 0) {
      lines.push("  + Call stack:");
      for (const entry of stack) lines.push(`  |   in ${entry.name}()`);
    }
    const awaiters = index.awaitersOf(task);
    if (awaiters.length > 0) lines.push(`  + Awaited by: ${awaiters.map(label).join(", ")}`);
  }
  const cycles = findCycles(tasks, index);
  for (const cycle of cycles) {
    const chain = [...cycle, cycle[0] as Task<unknown>].map(label).join(" awaits ");
    lines.push("", `Await cycle (these tasks wait for each other and can never finish): ${chain}`);
  }
  return lines.join("\n");
}

/**
 * Prints {@link formatAllTasks}'s report: to `console.log`, or to `file`.
 *
 * Errors: as {@link formatAllTasks}; `TypeError` if `file` has no `write` method.
 *
 * @example
 * ```ts
 * process.on("SIGUSR2", () => asyncio.printAllTasks({ loop, file: process.stderr }));
 * ```
 */
export function printAllTasks(
  options?: AllTasksOptions & { file?: PrintCallGraphOptions["file"] },
): void {
  if (options !== undefined && !isPlainObject(options)) {
    throw new TypeError(
      `printAllTasks(): 'options' must be an object: received ${describe(options)}`,
    );
  }
  const parsed = parsePrintOptions("printAllTasks()", undefined, options ?? {});
  emit(formatAllTasks(parsed.options as AllTasksOptions), parsed.file);
}

/**
 * @internal The entered TaskGroup of `parent` that holds `task`, if any: what timelines
 * and tracing nest a group's children under.
 */
export function _taskGroupOf(task: Task<unknown>, parent: Task<unknown>): object | null {
  const groups = groupsByParent.get(parent);
  if (groups === undefined) return null;
  for (const g of groups) if (g._parentTask === parent && g._holds(task)) return g;
  return null;
}

/** @internal One pending task, as `asyncio-ts ps` and `pstree` show it. */
export interface _TaskRow {
  id: string;
  name: string;
  /** Coroutine frames, outermost first. */
  stack: string[];
  waitingOn: string;
  /** Ids of the tasks awaiting this one. */
  awaitedBy: string[];
}

/** @internal Every pending task of `loop`, and the await cycles among them, as data. */
export function _taskReport(loop: BaseEventLoop): { tasks: _TaskRow[]; cycles: string[][] } {
  const tasks = [...loop._tasks];
  const index = new AwaiterIndex(loop);
  let deadlineMap: Map<unknown, number> | null = null;
  const deadlines = () => {
    deadlineMap ??= loop._timers.deadlines();
    return deadlineMap;
  };
  const rows = tasks.map((task) => ({
    id: idOf(task),
    name: task.getName(),
    stack: framesOf(task).map((f) => f.name),
    waitingOn: waitingOn(task, deadlines),
    awaitedBy: index
      .awaitersOf(task)
      .filter((w) => w instanceof Task)
      .map((w) => idOf(w)),
  }));
  const cycles = findCycles(tasks, index).map((c) => c.map((t) => idOf(t)));
  return { tasks: rows, cycles };
}
