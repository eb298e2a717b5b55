/**
 * Random asyncio programs for the differential test against CPython.
 *
 * A seed picks a small program in a tiny statement language (tasks, sleeps, gather,
 * cancellation, timeouts, wait, shield, TaskGroup, queues, locks, events, conditions,
 * semaphores, errors in bodies and in `finally`), which is then printed twice: as Python
 * (asyncio) and as asyncio-ts TypeScript. Every statement writes trace lines stamped with
 * the loop's virtual time; if both libraries mean the same thing, both traces are equal.
 *
 * The printed programs use a few helpers that each side's harness provides (`T`, `fmt`,
 * `show`, `TASKS`, `Q`, `L`, `E`, `C`, `S`, `Boom`, …): see harness.py and run.ts.
 *
 * Same seed, same program — but only for the same generator: changing what it draws
 * changes what a seed means, so the seed lists in known.ts go with {@link GENERATOR_VERSION}.
 */

/** Bump when a change makes old seeds mean other programs (known.ts lists seeds). */
export const GENERATOR_VERSION = 3;

/** The features a program may use; the generator draws statements among the enabled ones. */
export const FEATURES = [
  "sleep",
  "spawn",
  "eager",
  "await",
  "gather",
  "cancel",
  "cancelling",
  "raise",
  "finally",
  "timeout",
  "waitFor",
  "wait",
  "shield",
  "taskgroup",
  "queue",
  "lock",
  "event",
  "condition",
  "semaphore",
] as const;
export type Feature = (typeof FEATURES)[number];

/** How a statement's error is handled: propagate, trace and swallow, or swallow all but cancellation. */
type Guard = "none" | "all" | "exc" | "star";

type Stmt =
  | { k: "sleep"; d: number }
  | { k: "spawn"; task: string; fn: string; eager: boolean }
  | { k: "await"; task: string; guard: Guard }
  | { k: "gather"; items: GatherItem[]; retExc: boolean; guard: Guard }
  | { k: "cancel"; task: string; msg: string | null }
  | { k: "cancelling" }
  | { k: "uncancel" }
  | { k: "awaitSelf" }
  | { k: "raise" }
  | { k: "raiseGroup" }
  | { k: "timeout"; d: number | null; body: Labelled[]; guard: Guard }
  | { k: "waitFor"; fn: string; d: number | null; guard: Guard }
  | { k: "wait"; tasks: string[]; when: WaitWhen; d: number | null; guard: Guard }
  | { k: "shield"; task: string; guard: Guard }
  | { k: "taskgroup"; children: { task: string; fn: string }[]; body: Labelled[]; guard: Guard }
  | { k: "qput"; v: number; nowait: boolean; guard: Guard }
  | { k: "qget"; nowait: boolean; guard: Guard }
  | { k: "qtaskDone"; guard: Guard }
  | { k: "qjoin"; guard: Guard }
  | { k: "lock"; body: Labelled[]; guard: Guard }
  | { k: "semaphore"; body: Labelled[]; guard: Guard }
  | { k: "evset" }
  | { k: "evclear" }
  | { k: "evwait"; guard: Guard }
  | { k: "condwait"; guard: Guard }
  | { k: "condnotify"; n: number | null };

type GatherItem = { fn: string } | { task: string };
type WaitWhen = "FIRST_COMPLETED" | "FIRST_EXCEPTION" | "ALL_COMPLETED";

/** A statement with its trace label (`c3.s7`). */
type Labelled = Stmt & { label: string };

interface FnDef {
  name: string;
  body: Labelled[];
  /** Statements of the `finally` block (empty: the block only traces). */
  fin: Labelled[];
}

/** A generated program: its coroutine functions, main's body and the shared objects' sizes. */
export interface Program {
  seed: number;
  fns: FnDef[];
  main: Labelled[];
  queueSize: number;
  semaphoreValue: number;
}

/** mulberry32: small, fast, and the same numbers in every JavaScript engine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Delays are multiples of 1/4: exact binary fractions, so both clocks add them exactly. */
const DELAYS = [0, 0, 0.5, 1, 1, 1.5, 2, 3];
const TIMEOUTS: (number | null)[] = [0, 0.5, 1, 1, 1.5, 2, 2.5, null];
const MAX_FNS = 9;
const MAX_DEPTH = 3;

class Generator {
  private readonly r: () => number;
  private readonly fns: FnDef[] = [];
  private readonly tasks: string[] = [];
  private nextStmt = 0;
  private nextTask = 0;
  private readonly enabled: Set<Feature>;

  constructor(seed: number, features: readonly Feature[]) {
    // Spread neighbouring seeds apart: mulberry32's first draws of seeds 1, 2, 3 correlate.
    this.r = rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b));
    this.enabled = new Set(features);
  }

  program(seed: number): Program {
    const main = this.body("main", 0, 3 + this.int(5), false);
    return {
      seed,
      fns: this.fns,
      main,
      queueSize: this.pick([0, 1, 2]),
      semaphoreValue: this.pick([1, 2]),
    };
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }

  private chance(p: number): boolean {
    return this.r() < p;
  }

  private guard(): Guard {
    return this.pick<Guard>(["none", "all", "all", "exc", "exc"]);
  }

  /** A task created earlier in the program text (it may not exist yet when this runs). */
  private someTask(): string | null {
    return this.tasks.length === 0 ? null : this.pick(this.tasks);
  }

  private newTask(): string {
    const t = `t${++this.nextTask}`;
    this.tasks.push(t);
    return t;
  }

  /** A new coroutine function; null when the program has enough of them. */
  private newFn(depth: number): string | null {
    if (this.fns.length >= MAX_FNS || depth >= MAX_DEPTH) return null;
    const def: FnDef = { name: `c${this.fns.length + 1}`, body: [], fin: [] };
    this.fns.push(def);
    def.body = this.body(def.name, depth + 1, 1 + this.int(4), true);
    if (this.enabled.has("finally") && this.chance(0.3)) {
      def.fin = this.finallyBody(def.name);
    }
    return def.name;
  }

  private finallyBody(fn: string): Labelled[] {
    const out: Labelled[] = [];
    if (this.chance(0.6)) out.push(this.label(fn, { k: "sleep", d: this.pick(DELAYS) }));
    if (this.enabled.has("cancelling") && this.chance(0.3)) {
      out.push(this.label(fn, { k: "cancelling" }));
    }
    if (this.enabled.has("raise") && this.chance(0.4)) out.push(this.label(fn, { k: "raise" }));
    return out;
  }

  private label(fn: string, s: Stmt): Labelled {
    return { ...s, label: `${fn}.s${++this.nextStmt}` };
  }

  private body(fn: string, depth: number, n: number, inFn: boolean): Labelled[] {
    const out: Labelled[] = [];
    for (let i = 0; i < n; i++) {
      const s = this.stmt(fn, depth, inFn);
      if (s === null) continue;
      out.push(this.label(fn, s));
      if (s.k === "raise" || s.k === "raiseGroup") break;
    }
    return out;
  }

  private stmt(fn: string, depth: number, inFn: boolean): Stmt | null {
    const kinds: [Feature, number][] = [
      ["sleep", 4],
      ["spawn", 3],
      ["await", 2],
      ["gather", 1.5],
      ["cancel", 2],
      ["cancelling", 0.7],
      ["raise", inFn ? 0.8 : 0.2],
      ["timeout", 1.5],
      ["waitFor", 1],
      ["wait", 1],
      ["shield", 0.7],
      ["taskgroup", 1.2],
      ["queue", 1.5],
      ["lock", 0.6],
      ["event", 1],
      ["condition", 0.8],
      ["semaphore", 0.6],
    ];
    const live = kinds.filter(([f]) => this.enabled.has(f));
    const total = live.reduce((a, [, w]) => a + w, 0);
    let x = this.r() * total;
    let kind: Feature = "sleep";
    for (const [f, w] of live) {
      x -= w;
      if (x < 0) {
        kind = f;
        break;
      }
    }
    return this.make(kind, fn, depth);
  }

  private nested(fn: string, depth: number): Labelled[] {
    return depth >= MAX_DEPTH ? [] : this.body(fn, depth + 1, 1 + this.int(3), true);
  }

  private make(kind: Feature, fn: string, depth: number): Stmt | null {
    switch (kind) {
      case "sleep":
        return { k: "sleep", d: this.pick(DELAYS) };
      case "spawn": {
        const eager = this.enabled.has("eager") && this.chance(0.25);
        const f = this.newFn(depth);
        return f === null ? null : { k: "spawn", task: this.newTask(), fn: f, eager };
      }
      case "await": {
        const t = this.someTask();
        return t === null ? null : { k: "await", task: t, guard: this.guard() };
      }
      case "gather": {
        const items: GatherItem[] = [];
        const n = this.int(4);
        for (let i = 0; i < n; i++) {
          const t = this.chance(0.3) ? this.someTask() : null;
          if (t !== null) items.push({ task: t });
          else {
            const f = this.newFn(depth);
            if (f !== null) items.push({ fn: f });
          }
        }
        return { k: "gather", items, retExc: this.chance(0.5), guard: this.guard() };
      }
      case "cancel": {
        const t = this.someTask();
        if (t === null) return null;
        return { k: "cancel", task: t, msg: this.chance(0.4) ? `m${this.nextStmt + 1}` : null };
      }
      case "cancelling": {
        // One draw for the three, so that adding awaitSelf left the other seeds' programs as
        // they were.
        const x = this.r();
        if (x < 0.6) return { k: "cancelling" };
        return x < 0.7 ? { k: "awaitSelf" } : { k: "uncancel" };
      }
      case "raise":
        return this.chance(0.2) ? { k: "raiseGroup" } : { k: "raise" };
      case "timeout":
        return {
          k: "timeout",
          d: this.pick(TIMEOUTS),
          body: this.nested(fn, depth),
          guard: this.guard(),
        };
      case "waitFor": {
        const f = this.newFn(depth);
        if (f === null) return null;
        return { k: "waitFor", fn: f, d: this.pick(TIMEOUTS), guard: this.guard() };
      }
      case "wait": {
        const ts = new Set<string>();
        for (let i = 1 + this.int(3); i > 0; i--) {
          const t = this.someTask();
          if (t !== null) ts.add(t);
        }
        if (ts.size === 0) return null;
        return {
          k: "wait",
          tasks: [...ts],
          when: this.pick<WaitWhen>(["FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"]),
          d: this.pick(TIMEOUTS),
          guard: this.guard(),
        };
      }
      case "shield": {
        const t = this.someTask();
        return t === null ? null : { k: "shield", task: t, guard: this.guard() };
      }
      case "taskgroup": {
        const children: { task: string; fn: string }[] = [];
        for (let i = this.int(4); i > 0; i--) {
          const f = this.newFn(depth);
          if (f !== null) children.push({ task: this.newTask(), fn: f });
        }
        const guard = this.pick<Guard>(["none", "all", "exc", "star", "star"]);
        return { k: "taskgroup", children, body: this.nested(fn, depth), guard };
      }
      case "queue":
        return this.pick<Stmt>([
          { k: "qput", v: this.int(100), nowait: false, guard: this.guard() },
          { k: "qput", v: this.int(100), nowait: true, guard: "all" },
          { k: "qget", nowait: false, guard: this.guard() },
          { k: "qget", nowait: true, guard: "all" },
          { k: "qtaskDone", guard: "all" },
          { k: "qjoin", guard: this.guard() },
        ]);
      case "lock":
        return { k: "lock", body: this.nested(fn, depth), guard: this.guard() };
      case "semaphore":
        return { k: "semaphore", body: this.nested(fn, depth), guard: this.guard() };
      case "event":
        return this.pick<Stmt>([
          { k: "evset" },
          { k: "evclear" },
          { k: "evwait", guard: this.guard() },
          { k: "evwait", guard: this.guard() },
        ]);
      case "condition":
        return this.chance(0.5)
          ? { k: "condwait", guard: this.guard() }
          : { k: "condnotify", n: this.pick([1, 2, null]) };
      default:
        return null;
    }
  }
}

/** The program of `seed`, using only `features` (all of them by default). */
export function generate(seed: number, features: readonly Feature[] = FEATURES): Program {
  return new Generator(seed, features).program(seed);
}

// ------------------------------------------------------------------ printing

const IND = "    ";

function pyNum(d: number | null): string {
  if (d === null) return "None";
  return Number.isInteger(d) ? `${d}` : `${d}`;
}

/** A Python string literal (labels and messages are plain ASCII words). */
function q(s: string): string {
  return JSON.stringify(s);
}

/** The program as Python: definitions, then `main`; the harness supplies the helpers. */
export function toPython(p: Program): string {
  const out: string[] = [];
  for (const f of p.fns) {
    out.push(`async def ${f.name}():`);
    out.push(`${IND}T(${q(`${f.name} start`)})`);
    out.push(`${IND}try:`);
    pyBlock(f.body, 2, out);
    out.push(`${IND}finally:`);
    out.push(`${IND}${IND}T(${q(`${f.name} finally`)})`);
    for (const s of f.fin) pyStmt(s, 2, out);
    out.push(`${IND}T(${q(`${f.name} return`)})`);
    out.push(`${IND}return ${q(`r${f.name.slice(1)}`)}`);
    out.push("");
  }
  out.push("async def main():");
  out.push(`${IND}T("main start")`);
  for (const s of p.main) pyStmt(s, 1, out);
  out.push(`${IND}T("main end")`);
  return out.join("\n");
}

function pyBlock(body: Labelled[], depth: number, out: string[]): void {
  if (body.length === 0) out.push(`${IND.repeat(depth)}pass`);
  for (const s of body) pyStmt(s, depth, out);
}

/** `lines` (already indented relative to `depth`) wrapped in the statement's guard. */
function pyGuard(s: Labelled & { guard: Guard }, lines: string[], depth: number, out: string[]) {
  const i = IND.repeat(depth);
  if (s.guard === "none") {
    for (const l of lines) out.push(i + l);
    return;
  }
  out.push(`${i}try:`);
  for (const l of lines) out.push(i + IND + l);
  if (s.guard === "star") {
    out.push(`${i}except* Boom as g:`);
    out.push(`${i}${IND}T(${q(`${s.label} except* `)} + fmt(g))`);
    return;
  }
  out.push(`${i}except ${s.guard === "all" ? "BaseException" : "Exception"} as e:`);
  out.push(`${i}${IND}T(${q(`${s.label} caught `)} + fmt(e))`);
}

function pyStmt(s: Labelled, depth: number, out: string[]): void {
  const i = IND.repeat(depth);
  const L = s.label;
  const tr = (msg: string, expr?: string) =>
    expr === undefined ? `T(${q(`${L} ${msg}`)})` : `T(${q(`${L} ${msg} `)} + show(${expr}))`;
  const nested = (body: Labelled[]) => {
    const inner: string[] = [];
    pyBlock(body, 1, inner);
    return inner;
  };
  switch (s.k) {
    case "sleep":
      out.push(`${i}await asyncio.sleep(${pyNum(s.d)})`, i + tr(`slept ${s.d}`));
      return;
    case "spawn":
      out.push(
        s.eager
          ? `${i}TASKS[${q(s.task)}] = asyncio.Task(${s.fn}(), loop=asyncio.get_running_loop(), name=${q(s.task)}, eager_start=True)`
          : `${i}TASKS[${q(s.task)}] = asyncio.create_task(${s.fn}(), name=${q(s.task)})`,
        i + tr(`spawned ${s.task}`),
      );
      return;
    case "await":
      pyGuard(s, [`r = await tsk(${q(s.task)})`, tr(`awaited ${s.task} ->`, "r")], depth, out);
      return;
    case "gather": {
      const items = s.items.map((x) => ("fn" in x ? `${x.fn}()` : `tsk(${q(x.task)})`));
      if (s.retExc) items.push("return_exceptions=True");
      pyGuard(
        s,
        [`r = await asyncio.gather(${items.join(", ")})`, tr("gathered", "r")],
        depth,
        out,
      );
      return;
    }
    case "cancel":
      out.push(
        i +
          tr(
            `cancel ${s.task} ->`,
            `cancel_task(${q(s.task)}, ${s.msg === null ? "None" : q(s.msg)})`,
          ),
      );
      return;
    case "cancelling":
      out.push(i + tr("cancelling", "asyncio.current_task().cancelling()"));
      return;
    case "uncancel":
      out.push(i + tr("uncancel", "asyncio.current_task().uncancel()"));
      return;
    case "awaitSelf":
      out.push(
        `${i}try:`,
        `${i}${IND}r = await asyncio.current_task()`,
        `${i}${IND}${tr("awaited itself ->", "r")}`,
        `${i}except BaseException as e:`,
        `${i}${IND}T(${q(`${L} caught `)} + fmt(e))`,
      );
      return;
    case "raise":
      out.push(`${i}raise Boom(${q(L)})`);
      return;
    case "raiseGroup":
      out.push(`${i}raise ExceptionGroup(${q(L)}, [Boom(${q(`${L}a`)}), Boom(${q(`${L}b`)})])`);
      return;
    case "timeout":
      pyGuard(
        s,
        [`async with asyncio.timeout(${pyNum(s.d)}):`, ...nested(s.body), tr("timeout exited")],
        depth,
        out,
      );
      return;
    case "waitFor":
      pyGuard(
        s,
        [`r = await asyncio.wait_for(${s.fn}(), ${pyNum(s.d)})`, tr("wait_for ->", "r")],
        depth,
        out,
      );
      return;
    case "wait":
      pyGuard(
        s,
        [
          `done, pending = await asyncio.wait(tasks_of([${s.tasks.map(q).join(", ")}]), timeout=${pyNum(s.d)}, return_when=asyncio.${s.when})`,
          `T(${q(`${L} wait done `)} + names(done) + " pending " + names(pending))`,
        ],
        depth,
        out,
      );
      return;
    case "shield":
      pyGuard(s, [`r = await asyncio.shield(tsk(${q(s.task)}))`, tr("shield ->", "r")], depth, out);
      return;
    case "taskgroup": {
      const lines = ["async with asyncio.TaskGroup() as tg:"];
      for (const c of s.children) {
        lines.push(`${IND}TASKS[${q(c.task)}] = tg.create_task(${c.fn}(), name=${q(c.task)})`);
      }
      if (s.children.length > 0 && s.body.length > 0) lines.push(...nested(s.body));
      else if (s.children.length === 0) lines.push(...nested(s.body));
      lines.push(tr("taskgroup exited"));
      pyGuard(s, lines, depth, out);
      return;
    }
    case "qput":
      pyGuard(
        s,
        [s.nowait ? `Q.put_nowait(${s.v})` : `await Q.put(${s.v})`, tr(`put ${s.v}`)],
        depth,
        out,
      );
      return;
    case "qget":
      pyGuard(
        s,
        [s.nowait ? "r = Q.get_nowait()" : "r = await Q.get()", tr("got", "r")],
        depth,
        out,
      );
      return;
    case "qtaskDone":
      pyGuard(s, ["Q.task_done()", tr("task_done")], depth, out);
      return;
    case "qjoin":
      pyGuard(s, ["await Q.join()", tr("joined")], depth, out);
      return;
    case "lock":
      pyGuard(s, ["async with L:", ...nested(s.body), tr("lock released")], depth, out);
      return;
    case "semaphore":
      pyGuard(s, ["async with S:", ...nested(s.body), tr("semaphore released")], depth, out);
      return;
    case "evset":
      out.push(`${i}E.set()`, i + tr("event set"));
      return;
    case "evclear":
      out.push(`${i}E.clear()`, i + tr("event cleared"));
      return;
    case "evwait":
      pyGuard(s, ["r = await E.wait()", tr("event waited ->", "r")], depth, out);
      return;
    case "condwait":
      pyGuard(
        s,
        ["async with C:", `${IND}r = await C.wait()`, tr("condition woke ->", "r")],
        depth,
        out,
      );
      return;
    case "condnotify":
      out.push(
        `${i}async with C:`,
        `${i}${IND}${s.n === null ? "C.notify_all()" : `C.notify(${s.n})`}`,
        i + tr(`notified ${s.n === null ? "all" : s.n}`),
      );
      return;
  }
}

/** The program as asyncio-ts TypeScript; the harness supplies the helpers. */
export function toTypeScript(p: Program): string {
  const out: string[] = [];
  for (const f of p.fns) {
    out.push(`function* ${f.name}() {`);
    out.push(`  T(${q(`${f.name} start`)});`);
    out.push("  try {");
    tsBlock(f.body, 2, out);
    out.push("  } finally {");
    out.push(`    T(${q(`${f.name} finally`)});`);
    tsBlock(f.fin, 2, out);
    out.push("  }");
    out.push(`  T(${q(`${f.name} return`)});`);
    out.push(`  return ${q(`r${f.name.slice(1)}`)};`);
    out.push("}");
    out.push("");
  }
  out.push("function* main() {");
  out.push('  T("main start");');
  tsBlock(p.main, 1, out);
  out.push('  T("main end");');
  out.push("}");
  return out.join("\n");
}

function tsBlock(body: Labelled[], depth: number, out: string[]): void {
  for (const s of body) tsStmt(s, depth, out);
}

function tsNum(d: number | null): string {
  return d === null ? "null" : `${d}`;
}

function tsGuard(s: Labelled & { guard: Guard }, lines: string[], depth: number, out: string[]) {
  const i = "  ".repeat(depth);
  if (s.guard === "none") {
    // A block, so that `const r` of two statements do not clash.
    out.push(`${i}{`);
    for (const l of lines) out.push(`${i}  ${l}`);
    out.push(`${i}}`);
    return;
  }
  out.push(`${i}try {`);
  for (const l of lines) out.push(`${i}  ${l}`);
  if (s.guard === "star") {
    out.push(`${i}} catch (e) {`);
    out.push(
      `${i}  asyncio.exceptStar(e, [Boom, (g) => T(${q(`${s.label} except* `)} + fmt(g))]);`,
    );
    out.push(`${i}}`);
    return;
  }
  out.push(`${i}} catch (e) {`);
  if (s.guard === "exc") out.push(`${i}  if (!isException(e)) throw e;`);
  out.push(`${i}  T(${q(`${s.label} caught `)} + fmt(e));`);
  out.push(`${i}}`);
}

function tsStmt(s: Labelled, depth: number, out: string[]): void {
  const i = "  ".repeat(depth);
  const L = s.label;
  const tr = (msg: string, expr?: string) =>
    expr === undefined ? `T(${q(`${L} ${msg}`)});` : `T(${q(`${L} ${msg} `)} + show(${expr}));`;
  const nested = (body: Labelled[]) => {
    const inner: string[] = [];
    tsBlock(body, 1, inner);
    return inner;
  };
  switch (s.k) {
    case "sleep":
      out.push(`${i}yield* asyncio.sleep(${s.d});`, i + tr(`slept ${s.d}`));
      return;
    case "spawn":
      out.push(
        `${i}TASKS.set(${q(s.task)}, asyncio.createTask(${s.fn}(), { name: ${q(s.task)}${s.eager ? ", eagerStart: true" : ""} }));`,
        i + tr(`spawned ${s.task}`),
      );
      return;
    case "await":
      tsGuard(
        s,
        [`const r = yield* tsk(${q(s.task)});`, tr(`awaited ${s.task} ->`, "r")],
        depth,
        out,
      );
      return;
    case "gather": {
      const items = s.items.map((x) => ("fn" in x ? `${x.fn}()` : `tsk(${q(x.task)})`));
      if (s.retExc) items.push("{ returnExceptions: true }");
      tsGuard(
        s,
        [`const r = yield* asyncio.gather(${items.join(", ")});`, tr("gathered", "r")],
        depth,
        out,
      );
      return;
    }
    case "cancel":
      out.push(
        i +
          tr(
            `cancel ${s.task} ->`,
            `cancelTask(${q(s.task)}, ${s.msg === null ? "null" : q(s.msg)})`,
          ),
      );
      return;
    case "cancelling":
      out.push(i + tr("cancelling", "asyncio.currentTask().cancelling()"));
      return;
    case "uncancel":
      out.push(i + tr("uncancel", "asyncio.currentTask().uncancel()"));
      return;
    case "awaitSelf":
      out.push(
        `${i}try {`,
        `${i}  const r = yield* asyncio.currentTask();`,
        `${i}  ${tr("awaited itself ->", "r")}`,
        `${i}} catch (e) {`,
        `${i}  T(${q(`${L} caught `)} + fmt(e));`,
        `${i}}`,
      );
      return;
    case "raise":
      out.push(`${i}throw new Boom(${q(L)});`);
      return;
    case "raiseGroup":
      out.push(
        `${i}throw new asyncio.ExceptionGroup(${q(L)}, [new Boom(${q(`${L}a`)}), new Boom(${q(`${L}b`)})]);`,
      );
      return;
    case "timeout":
      tsGuard(
        s,
        [
          `yield* asyncio.asyncWith(asyncio.timeout(${tsNum(s.d)}), function* () {`,
          ...nested(s.body),
          "});",
          tr("timeout exited"),
        ],
        depth,
        out,
      );
      return;
    case "waitFor":
      tsGuard(
        s,
        [`const r = yield* asyncio.waitFor(${s.fn}(), ${tsNum(s.d)});`, tr("wait_for ->", "r")],
        depth,
        out,
      );
      return;
    case "wait":
      tsGuard(
        s,
        [
          `const [done, pending] = yield* asyncio.wait(tasksOf([${s.tasks.map(q).join(", ")}]), { timeout: ${tsNum(s.d)}, returnWhen: asyncio.${s.when} });`,
          `T(${q(`${L} wait done `)} + names(done) + " pending " + names(pending));`,
        ],
        depth,
        out,
      );
      return;
    case "shield":
      tsGuard(
        s,
        [`const r = yield* asyncio.shield(tsk(${q(s.task)}));`, tr("shield ->", "r")],
        depth,
        out,
      );
      return;
    case "taskgroup": {
      const lines = ["yield* asyncio.withTaskGroup(function* (tg) {"];
      for (const c of s.children) {
        lines.push(`  TASKS.set(${q(c.task)}, tg.createTask(${c.fn}(), { name: ${q(c.task)} }));`);
      }
      lines.push(...nested(s.body), "});", tr("taskgroup exited"));
      tsGuard(s, lines, depth, out);
      return;
    }
    case "qput":
      tsGuard(
        s,
        [s.nowait ? `Q.putNowait(${s.v});` : `yield* Q.put(${s.v});`, tr(`put ${s.v}`)],
        depth,
        out,
      );
      return;
    case "qget":
      tsGuard(
        s,
        [s.nowait ? "const r = Q.getNowait();" : "const r = yield* Q.get();", tr("got", "r")],
        depth,
        out,
      );
      return;
    case "qtaskDone":
      tsGuard(s, ["Q.taskDone();", tr("task_done")], depth, out);
      return;
    case "qjoin":
      tsGuard(s, ["yield* Q.join();", tr("joined")], depth, out);
      return;
    case "lock":
      tsGuard(
        s,
        ["yield* L.with(function* () {", ...nested(s.body), "});", tr("lock released")],
        depth,
        out,
      );
      return;
    case "semaphore":
      tsGuard(
        s,
        ["yield* S.with(function* () {", ...nested(s.body), "});", tr("semaphore released")],
        depth,
        out,
      );
      return;
    case "evset":
      out.push(`${i}E.set();`, i + tr("event set"));
      return;
    case "evclear":
      out.push(`${i}E.clear();`, i + tr("event cleared"));
      return;
    case "evwait":
      tsGuard(s, ["const r = yield* E.wait();", tr("event waited ->", "r")], depth, out);
      return;
    case "condwait":
      tsGuard(
        s,
        [
          "const r = yield* C.with(function* () {",
          "  return yield* C.wait();",
          "});",
          tr("condition woke ->", "r"),
        ],
        depth,
        out,
      );
      return;
    case "condnotify":
      out.push(
        `${i}yield* C.with(function* () {`,
        `${i}  ${s.n === null ? "C.notifyAll();" : `C.notify(${s.n});`}`,
        `${i}});`,
        i + tr(`notified ${s.n === null ? "all" : s.n}`),
      );
      return;
  }
}
