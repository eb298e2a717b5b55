#!/usr/bin/env node
// The benchmark runner: every workload on asyncio-ts and, in the same run, on its peers
// (CPython asyncio, raw Promises, Effection, Effect, p-queue, and the bare trampolines that
// mark the limit of the design). Each (implementation, workload) runs in a fresh process,
// REPS times, in rounds that interleave the implementations; the median by wall seconds is
// reported with peak RSS. Prints a table, writes bench/results/latest.json, and (for a full,
// unfiltered run) docs/benchmarks.md and docs/benchmarks.svg.
//
// Usage: node bench/run.mjs [--quick] [--reps N] [--only impl,impl] [--workloads W1,W2]
//                           [--docs | --no-docs] [--from results.json] [--profile W3]
// See bench/README.md.
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatC10k } from "./c10k.mjs";
import { renderChart } from "./chart.mjs";
import { extractDistributed, spliceDistributed } from "./distributed_section.mjs";
import { formatBundles, formatStartup } from "./startup.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const distDir = path.join(here, "dist");
const resultsDir = path.join(here, "results");

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
const USAGE = `usage: node bench/run.mjs [--quick] [--reps N] [--only impl,impl] [--workloads W1,W2]
                         [--docs | --no-docs] [--from results.json] [--keep-dist]
                         [--profile W [--n N] [--top K] [coro]] [--heap [--workloads W2] [--n N]]
                         [--redis [--n N] [--reps R] [--only asyncio_ts,raw_stream,bullmq]]
                         [--c10k [--n CONNS] [--reps R] [--only asyncio_ts,js_raw,py_asyncio]]
See bench/README.md.`;
const BOOLEAN_OPTIONS = new Set([
  "--quick",
  "--docs",
  "--no-docs",
  "--keep-dist",
  "--heap",
  "--redis",
  "--c10k",
  "coro",
]);
const VALUE_OPTIONS = new Set([
  "--reps",
  "--only",
  "--workloads",
  "--from",
  "--profile",
  "--n",
  "--top",
]);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (VALUE_OPTIONS.has(a) && i + 1 < argv.length) i++;
  else if (!BOOLEAN_OPTIONS.has(a)) {
    console.error(`bench: unknown or incomplete option ${JSON.stringify(a)}\n${USAGE}`);
    process.exit(2);
  }
}
const has = (name) => argv.includes(`--${name}`);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const list = (name) => (flag(name, "") ?? "").split(",").filter(Boolean);
const QUICK = has("quick");
const REPS = Number(flag("reps", QUICK ? "1" : "3"));
const ONLY = list("only");
const ONLY_W = list("workloads");
const FROM = flag("from", "");
const PROFILE = flag("profile", "");
const FILTERED = ONLY.length > 0 || ONLY_W.length > 0;
const WRITE_DOCS = has("docs") || (!has("no-docs") && !QUICK && !FILTERED);
const TIMEOUT_MS = 240_000;
if (!Number.isInteger(REPS) || REPS < 1) throw new Error(`--reps must be a positive integer`);

// ---------------------------------------------------------------- workloads

/** id → [short name, what it does, what is reported, which direction is better]. */
const WORKLOADS = {
  W1: ["switch", "1 task, n `sleep(0)` (yields to the scheduler)", "yields/s"],
  W2: [
    "spawn",
    "n tasks each `sleep(0)` once and return their index; gather all",
    "tasks/s · peak RSS",
  ],
  W3: ["queue", "Queue(100), 1 producer puts 0..n-1, 4 consumers, one sentinel each", "items/s"],
  W4: [
    "timers",
    "n tasks sleep a seeded 0–50 ms each (LCG, seed 42); gather",
    "wall (overshoot) · peak RSS",
  ],
  W5: [
    "cancel",
    "n tasks asleep for 1 h, cancelled together (asyncio: one TaskGroup failure)",
    "cancellations/s of the cancel phase · peak RSS",
  ],
  W6: [
    "lock",
    "100 tasks × n/100 acquisitions of one Lock; read, yield, write while held",
    "acquisitions/s",
  ],
  W7: [
    "echo",
    "line echo server on 127.0.0.1; 50 clients × n/50 ping-pong lines of 64 B",
    "round trips/s",
  ],
  M: [
    "asleep",
    "n tasks asleep at the same time (1 h sleeps); RSS once all are asleep",
    "RSS with all asleep (and the process peak when higher)",
  ],
  TG: ["taskgroup", "a TaskGroup of n children that each `sleep(0)` once", "children/s"],
  AC: ["asCompleted", "n tasks that each `sleep(0)`, consumed through asCompleted", "tasks/s"],
  AG: [
    "asyncgen",
    "n items through an async generator consumed by a loop (JS: native `async function*` + `for await`)",
    "items/s",
  ],
  D1: ["depth 1", "innermost of an await chain of depth 1 does n `sleep(0)`", "resumes/s"],
  D10: ["depth 10", "the same at depth 10", "resumes/s"],
  D100: ["depth 100", "the same at depth 100", "resumes/s"],
  D1000: ["depth 1000", "the same at depth 1000", "resumes/s"],
};

/**
 * Workloads run once per implementation whatever --reps says: M measures memory, which
 * varies little from run to run, and a million CPython tasks take most of a minute.
 */
const ONE_REP = ["M"];

/**
 * Workloads that take a fraction of a second: on a shared 2-core machine their
 * repetitions differ by up to ±30%, so they get two rounds more than --reps (from 3 on),
 * and the median has more to stand on.
 */
const SHORT = ["W1", "W2", "W3", "W5", "W6"];
const EXTRA_SHORT_REPS = 2;

/** The repetitions workload `w` gets. */
function repsFor(w) {
  if (ONE_REP.includes(w)) return 1;
  return SHORT.includes(w) && REPS >= 3 ? REPS + EXTRA_SHORT_REPS : REPS;
}

/** n for --quick (the full n are in bench/peers/common.ts and py_asyncio.py). */
const QUICK_N = {
  W1: 50_000,
  W2: 5_000,
  W3: 50_000,
  W4: 5_000,
  W5: 5_000,
  W6: 5_000,
  W7: 2_000,
  M: 20_000,
  TG: 5_000,
  AC: 5_000,
  AG: 50_000,
  D1: 10_000,
  D10: 10_000,
  D100: 10_000,
  D1000: 10_000,
};

const D = ["D1", "D10", "D100", "D1000"];
/** The second CPython: 3.13 through pyenv, or BENCH_PYTHON313; left out when missing. */
const PYTHON313 = process.env.BENCH_PYTHON313 ?? "/root/.pyenv/versions/3.13.0/bin/python3";
const node = (file) => ["node", ["--max-old-space-size=8192", path.join(distDir, file)]];

/**
 * The implementations. `lowered`: workloads whose n is lowered for this implementation,
 * as [full-run n or null, quick-mode n or null, the reason shown under the table]. `group`: ours, the CPython reference, a JS peer
 * that returns to Node's loop, a JS peer that stays in microtasks, or a limit.
 */
const IMPLS = [
  {
    id: "asyncio_ts",
    group: "ours",
    cmd: node("asyncio_ts.mjs"),
    workloads: ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "M", "TG", "AC", "AG", ...D],
  },
  {
    id: "asyncio_ts_coro",
    group: "ours",
    cmd: node("asyncio_ts.mjs"),
    args: ["--variant", "coro"],
    workloads: D,
  },
  {
    id: "py_asyncio",
    group: "python",
    cmd: ["python3", [path.join(here, "peers", "py_asyncio.py")]],
    workloads: ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "M", "TG", "AC", "AG", ...D],
  },
  // CPython 3.13 beside the system python3 (3.11 here): the ratios use the faster of the two.
  ...(existsSync(PYTHON313)
    ? [
        {
          id: "py_asyncio_313",
          group: "python",
          cmd: [PYTHON313, [path.join(here, "peers", "py_asyncio.py")]],
          workloads: ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "M", "TG", "AC", "AG", ...D],
        },
      ]
    : []),
  {
    id: "js_raw",
    group: "js",
    cmd: node("peers/js_raw.mjs"),
    workloads: ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "M", "AG", ...D],
  },
  {
    id: "js_raw_micro",
    group: "micro",
    cmd: node("peers/js_raw.mjs"),
    args: ["--variant", "micro"],
    workloads: ["W1", "W2", "W6", ...D],
  },
  {
    id: "effection",
    group: "js",
    cmd: node("peers/effection.mjs"),
    workloads: ["W1", "W2", "W3", "W4", "W5", "W6"],
    lowered: {
      W1: [
        2_000,
        100,
        "its sleep(0) is a Node setTimeout(0), clamped to 1 ms: 1M yields would take ~18 min",
      ],
      W6: [
        1_000,
        100,
        "each hold sleeps 1 ms (setTimeout(0) clamp), serialised by the lock: 100k would take ~2 min",
      ],
      W2: [null, 1_000, "quick mode: Effection takes seconds for a few thousand tasks"],
      W4: [null, 1_000, "quick mode: Effection takes seconds for a few thousand timers"],
      W5: [null, 1_000, "quick mode: Effection takes seconds for a few thousand tasks"],
    },
  },
  {
    id: "effection_imm",
    group: "js",
    cmd: node("peers/effection.mjs"),
    args: ["--variant", "imm"],
    workloads: ["W1", "W2", "W6", ...D],
    lowered: { W2: [null, 1_000, "quick mode: Effection takes seconds for a few thousand tasks"] },
  },
  {
    id: "effect",
    group: "js",
    cmd: node("peers/effect.mjs"),
    workloads: ["W1", "W2", "W3", "W4", "W5", "W6", "M", ...D],
  },
  {
    id: "p_queue",
    group: "js",
    cmd: node("peers/p_queue.mjs"),
    workloads: ["W2", "W4", "W5", "W6"],
  },
  { id: "L", group: "limit", cmd: node("peers/trampoline.mjs"), workloads: ["W1", "W2"] },
  {
    id: "L_ystar",
    group: "limit",
    cmd: node("peers/trampoline.mjs"),
    args: ["--variant", "ystar"],
    workloads: ["W1", "W2", ...D],
  },
];

// ---------------------------------------------------------------- build

/** Bundles the .ts entries with esbuild into bench/dist/ (plain node then runs them). */
function build() {
  mkdirSync(distDir, { recursive: true });
  const esbuild = path.join(root, "node_modules", ".bin", "esbuild");
  const common = [
    "--bundle",
    "--platform=node",
    "--format=esm",

    "--target=node20",
    `--outdir=${distDir}`,
    `--outbase=${here}`,
    "--out-extension:.js=.mjs",
    "--log-level=error",
  ];
  const peers = ["js_raw", "effection", "effect", "p_queue", "trampoline"].map((p) =>
    path.join(here, "peers", `${p}.ts`),
  );
  const errors = {};
  // The peers are bundled with their libraries (one file loads 4x faster than Effect's
  // hundreds of modules); asyncio-ts keeps its npm dependencies external, as users get them.
  for (const [key, entries, extra] of [
    ["peers", peers, []],
    [
      "asyncio_ts",
      [path.join(here, "asyncio_ts.ts")],
      // The cold figure starts at the bundle's first line (see peers/common.ts).
      ["--packages=external", "--banner:js=globalThis.__benchFirstLineMs = performance.now();"],
    ],
  ]) {
    const r = spawnSync(esbuild, [...entries, ...common, ...extra], {
      cwd: root,
      encoding: "utf8",
    });
    if (r.status !== 0)
      errors[key] = `esbuild failed: ${(r.stderr || r.error?.message || "").trim().slice(0, 600)}`;
  }
  return errors;
}

// ---------------------------------------------------------------- running

/** The lowered n of `impl` on `workload` in this mode, with the reason; undefined if none. */
function loweredFor(impl, workload) {
  const entry = impl.lowered?.[workload];
  const n = entry?.[QUICK ? 1 : 0];
  return n == null ? undefined : { n, why: entry[2] };
}

function nFor(impl, workload) {
  const lowered = loweredFor(impl, workload);
  if (lowered) return lowered.n;
  return QUICK ? QUICK_N[workload] : undefined;
}

function runOnce(impl, workload, buildErrors) {
  const group = impl.id.startsWith("asyncio_ts")
    ? "asyncio_ts"
    : impl.group === "python"
      ? null
      : "peers";
  if (group && buildErrors[group])
    return { impl: impl.id, workload, ok: false, error: buildErrors[group] };
  const [exe, baseArgs] = impl.cmd;
  const args = [...baseArgs, workload, ...(impl.args ?? [])];
  const n = nFor(impl, workload);
  if (n !== undefined) args.push("--n", String(n));
  const t0 = Date.now();
  const r = spawnSync(exe, args, {
    cwd: root,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    maxBuffer: 16 << 20,
  });
  const processSeconds = (Date.now() - t0) / 1000;
  const stdout = r.stdout ?? "";
  const stderr = (r.stderr ?? "").trim();
  const line = stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .pop();
  if (!line) {
    const why =
      r.error?.code === "ETIMEDOUT"
        ? `timed out after ${TIMEOUT_MS / 1000} s`
        : `exit ${r.status ?? r.signal}`;
    const firstError = stderr.split("\n").find((l) => /Error|error:/.test(l)) ?? "";
    return {
      impl: impl.id,
      workload,
      ok: false,
      error: `${why}: ${firstError.slice(0, 200)} … ${stderr.slice(-300)}`,
      process_seconds: processSeconds,
    };
  }
  const rec = JSON.parse(line);
  rec.impl = impl.id;
  rec.process_seconds = processSeconds;
  if (rec.na) return rec;
  if (r.status !== 0 || !rec.ok) {
    rec.ok = false;
    rec.error = `self-check failed (exit ${r.status ?? r.signal}): ${rec.check}`;
  }
  if (stderr) rec.stderr = stderr.slice(-400);
  return rec;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One median record per (impl, workload): FAILED if any repetition failed, n/a if not implemented. */
function summarise(plan, runs) {
  const medians = [];
  for (const { impl, w } of plan) {
    const mine = runs.filter((r) => r.impl === impl.id && r.workload === w);
    const base = { impl: impl.id, group: impl.group, workload: w };
    if (mine.length > 0 && mine.every((r) => r.na)) {
      medians.push({ ...base, na: true, reason: mine[0].check });
      continue;
    }
    const good = mine.filter((r) => r.ok);
    if (good.length === 0 || good.length < mine.length) {
      medians.push({
        ...base,
        failed: true,
        errors: [...new Set(mine.filter((r) => !r.ok).map((r) => r.error ?? r.check))],
      });
      continue;
    }
    const secs = median(good.map((r) => r.seconds));
    const mid = good.reduce((a, b) =>
      Math.abs(b.seconds - secs) < Math.abs(a.seconds - secs) ? b : a,
    );
    const med = (key) =>
      good.every((r) => typeof r[key] === "number") ? median(good.map((r) => r[key])) : undefined;
    const lowered = loweredFor(impl, w);
    medians.push({
      ...base,
      n: mid.n,
      seconds: secs,
      rate: mid.n / secs,
      reps: good.length,
      peak_rss_mb: med("peak_rss_mb"),
      base_rss_mb: med("base_rss_mb"),
      overshoot_ms: med("overshoot_ms"),
      spawn_seconds: med("spawn_seconds"),
      rss_asleep_mb: med("rss_asleep_mb"),
      max_node_gap_ms: med("max_node_gap_ms"),
      first_node_gap_ms: med("first_node_gap_ms"),
      max_later_gap_ms: med("max_later_gap_ms"),
      cold_seconds: med("cold_seconds"),
      node_ticks: mid.node_ticks,
      node_ticks_seconds: mid.node_ticks === undefined ? undefined : mid.seconds,
      spread: [Math.min(...good.map((r) => r.seconds)), Math.max(...good.map((r) => r.seconds))],
      check: mid.check,
      lowered,
    });
  }
  return medians;
}

// ---------------------------------------------------------------- history

/**
 * One line per full run (`npm run bench` without --quick or filters): the commit, the date,
 * the machine's load, and every median, so that a regression shows the day it lands (the
 * chart draws the last runs). Kept in git: bench/history.jsonl.
 */
const HISTORY = path.join(here, "history.jsonl");

function appendHistory(data) {
  const r = (x, d = 1) => (typeof x === "number" ? +x.toFixed(d) : undefined);
  const medians = {};
  for (const m of data.medians) {
    if (m.failed || m.na) continue;
    medians[`${m.impl} ${m.workload}`] = {
      n: m.n,
      rate: r(m.rate),
      seconds: r(m.seconds, 4),
      peak_rss_mb: r(m.peak_rss_mb),
      ...(m.cold_seconds !== undefined ? { cold_seconds: r(m.cold_seconds, 4) } : {}),
      ...(m.overshoot_ms !== undefined ? { overshoot_ms: r(m.overshoot_ms) } : {}),
      ...(m.rss_asleep_mb !== undefined ? { rss_asleep_mb: r(m.rss_asleep_mb) } : {}),
    };
  }
  const commit = data.env["asyncio-ts"].match(/\(([0-9a-f]+)/)?.[1] ?? "?";
  const line = {
    commit,
    dirty: data.env["asyncio-ts"].includes("uncommitted"),
    date: data.date,
    loadavg_start: data.loadavg_start,
    loadavg_end: data.env.loadavg,
    cores: data.env.cores,
    node: data.env.node,
    python: data.env.python,
    python313: data.env.python313,
    reps: data.reps,
    ...(data.floors ? { floors: data.floors } : {}),
    medians,
  };
  appendFileSync(HISTORY, `${JSON.stringify(line)}\n`);
  process.stderr.write(`appended this run to ${path.relative(root, HISTORY)}\n`);
}

/** The runs recorded in bench/history.jsonl, oldest first ([] when there is none). */
function readHistory() {
  if (!existsSync(HISTORY)) return [];
  return readFileSync(HISTORY, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

/** bench/floors.mjs's figures in µs, {host: {operation: µs}}; null if it failed. */
function cancelFloor() {
  const r = spawnSync("node", [path.join(here, "floors.mjs"), "--json"], {
    cwd: root,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
  });
  const line = (r.stdout ?? "").trim().split("\n").pop();
  try {
    return JSON.parse(line);
  } catch {
    process.stderr.write(`floors.mjs FAILED: ${r.stderr}\n`);
    return null;
  }
}

/** The median of each floor figure over the rounds. */
function floorMedians(floors) {
  const out = {};
  for (const host of Object.keys(floors[0]))
    out[host] = Object.fromEntries(
      Object.keys(floors[0][host]).map((op) => [op, median(floors.map((f) => f[host][op]))]),
    );
  return out;
}

/** The floor under one W5 cancellation (a new Error, and a throw the child catches and re-throws, in a microtask), in µs. */
const FLOOR_ERROR = "new Error (stackTraceLimit 0)";
const FLOOR_RETHROW = "throw, catch and re-throw in the generator";
const cancelFloorUs = (floors) => {
  const m = floors?.["in a microtask"];
  return m ? { error: m[FLOOR_ERROR], rethrow: m[FLOOR_RETHROW] } : null;
};

// ---------------------------------------------------------------- environment

function versions() {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8"))
        .version;
    } catch {
      return "?";
    }
  };
  const sh = (cmd, args) => {
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : "?";
  };
  const commit = sh("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = sh("git", ["status", "--porcelain", "--", "src"]) !== "";
  return {
    "asyncio-ts": `${JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version} (${commit}${dirty ? ", with uncommitted changes in src/" : ""})`,
    node: process.version,
    python: sh("python3", ["-c", "import sys; print(sys.version.split()[0])"]),
    python313: existsSync(PYTHON313)
      ? sh(PYTHON313, ["-c", "import sys; print(sys.version.split()[0])"])
      : "not installed",
    effection: pkg("effection"),
    effect: pkg("effect"),
    "p-queue": pkg("p-queue"),
    esbuild: pkg("esbuild"),
    cpu: os.cpus()[0]?.model?.trim() ?? "?",
    cores: os.cpus().length,
    mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

// ---------------------------------------------------------------- formatting

const fmtRate = (r) =>
  r >= 1e6
    ? `${(r / 1e6).toFixed(2)}M/s`
    : r >= 1e3
      ? `${(r / 1e3).toFixed(1)}k/s`
      : `${r.toFixed(0)}/s`;
const fmtMb = (x) => `${x.toFixed(0)} MB`;
const fmtN = (n) => n.toLocaleString("en-US");

function cell(m) {
  if (!m) return "–";
  if (m.na) return "n/a";
  if (m.failed) return "FAILED";
  const star = m.lowered ? "ⁿ" : "";
  switch (m.workload) {
    case "W4":
      return `${(m.seconds * 1000).toFixed(0)} ms (+${m.overshoot_ms.toFixed(0)})${star} · ${fmtMb(m.peak_rss_mb)}`;
    case "M":
      // RSS once all are asleep; the process peak too when creating them cost more.
      return m.peak_rss_mb > m.rss_asleep_mb * 1.05
        ? `${fmtMb(m.rss_asleep_mb)} (peak ${fmtMb(m.peak_rss_mb)})`
        : fmtMb(m.rss_asleep_mb);
    case "W2":
    case "W5":
      return `${fmtRate(m.rate)}${star} · ${fmtMb(m.peak_rss_mb)}`;
    default:
      return `${fmtRate(m.rate)}${star}`;
  }
}

function rowLabel(w, medians) {
  const ns = new Set(medians.filter((m) => m.workload === w && m.n && !m.lowered).map((m) => m.n));
  return `${w} ${WORKLOADS[w][0]} (n=${[...ns].map(fmtN).join("/") || "?"})`;
}

function tableRows(cols, ws, medians) {
  return ws.map((w) => [
    rowLabel(w, medians),
    ...cols.map((c) => cell(medians.find((m) => m.impl === c && m.workload === w))),
  ]);
}

function markdownTable(header, rows, align = "---:") {
  const out = [
    `| ${header.join(" | ")} |`,
    `|---|${header
      .slice(1)
      .map(() => align)
      .join("|")}|`,
  ];
  for (const r of rows) out.push(`| ${r.join(" | ")} |`);
  return out.join("\n");
}

function textTable(header, rows) {
  const width = (s) => [...s].length;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]))));
  const line = (r) =>
    r
      .map((c, i) =>
        i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i] + (c.length - width(c))),
      )
      .join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------- cold start

const COLD_HEADER = [
  "workload",
  "asyncio_ts in run()",
  "asyncio_ts cold",
  "py_asyncio cold",
  "py_asyncio_313 cold",
  "faster CPython ÷ asyncio_ts, cold",
];

/** The cold-start table's rows: workloads where asyncio-ts and a CPython report a cold time. */
function coldRows(medians) {
  const ws = Object.keys(WORKLOADS).filter((w) =>
    medians.some(
      (m) => m.impl === "asyncio_ts" && m.workload === w && m.cold_seconds !== undefined,
    ),
  );
  const secs = (impl, w, key) => {
    const m = get(medians, impl, w);
    return m?.[key] === undefined ? undefined : m[key];
  };
  const f = (x) => (x === undefined ? "–" : fmtSecs(x));
  return ws.map((w) => {
    const ours = secs("asyncio_ts", w, "cold_seconds");
    const best = bestCold(medians, w);
    return [
      `${w} ${WORKLOADS[w][0]}`,
      f(secs("asyncio_ts", w, "seconds")),
      f(ours),
      f(secs("py_asyncio", w, "cold_seconds")),
      f(secs("py_asyncio_313", w, "cold_seconds")),
      best && ours ? `${(best.cold_seconds / ours).toFixed(1)}×` : "–",
    ];
  });
}

// ---------------------------------------------------------------- targets

const get = (medians, impl, w) =>
  medians.find((m) => m.impl === impl && m.workload === w && !m.failed && !m.na);
const JS_PEERS = (medians, w, groups) =>
  medians.filter((m) => m.workload === w && !m.failed && !m.na && groups.includes(m.group));

/** The faster CPython on `w` in this run (by rate; W4 and M are not compared by rate). */
/** The CPython with the shorter cold time on `w`. */
function bestCold(medians, w) {
  const pys = medians.filter(
    (m) => m.workload === w && m.group === "python" && m.cold_seconds !== undefined,
  );
  return pys.length === 0
    ? undefined
    : pys.reduce((a, b) => (b.cold_seconds < a.cold_seconds ? b : a));
}
const fmtSecs = (x) => (x < 1 ? `${(x * 1000).toFixed(0)} ms` : `${x.toFixed(2)} s`);

const pyName = (m) => (m.impl === "py_asyncio_313" ? "CPython 3.13" : "CPython 3.11");

function bestPython(medians, w) {
  const pys = medians.filter((m) => m.workload === w && m.group === "python" && !m.failed && !m.na);
  return pys.length === 0 ? undefined : pys.reduce((a, b) => (b.rate > a.rate ? b : a));
}

/** The performance targets, each evaluated on this run's medians (and its W5 floors). */
function evaluateTargets(medians, floors) {
  const t = [];
  const ours = (w) => get(medians, "asyncio_ts", w);
  // The faster CPython of the run (3.11 or 3.13).
  const py = (w) => bestPython(medians, w);
  const add = (w, target, f) => {
    const o = ours(w);
    if (!o) {
      const m = medians.find((x) => x.impl === "asyncio_ts" && x.workload === w);
      t.push({
        w,
        target,
        status: m?.na ? "n/a" : m?.failed ? "FAILED" : "not run",
        value: m?.na ? "not implemented" : m?.failed ? "self-check failed" : "–",
      });
      return;
    }
    const r = f(o);
    if (!r) t.push({ w, target, status: "not run", value: "peer missing from this run" });
    else t.push({ w, target, status: r.status ?? (r.ok ? "met" : "MISSED"), value: r.value });
  };
  const vsPy = (k) => (o) => {
    const p = py(o.workload);
    return (
      p && {
        ok: o.rate >= k * p.rate,
        value: `${(o.rate / p.rate).toFixed(1)}× (${fmtRate(o.rate)} vs ${fmtRate(p.rate)}, ${pyName(p)})`,
      }
    );
  };
  const aheadOf = (groups, label) => (o) => {
    const peers = JS_PEERS(medians, o.workload, groups);
    if (peers.length === 0) return null;
    const best = peers.reduce((a, b) => (b.rate > a.rate ? b : a));
    return {
      ok: o.rate > best.rate,
      value: `${(o.rate / best.rate).toFixed(2)}× the best${label}, ${best.impl} (${fmtRate(best.rate)})`,
    };
  };
  add("W1", "≥ 20× CPython asyncio", vsPy(20));
  add("W1", "ahead of every JS peer that returns to Node's loop", aheadOf(["js"], ""));
  add("W1", "≥ 60% of L_ystar (the limit of the design)", (o) => {
    const l = get(medians, "L_ystar", "W1");
    return (
      l && {
        ok: o.rate >= 0.6 * l.rate,
        value: `${((100 * o.rate) / l.rate).toFixed(0)}% (${fmtRate(l.rate)})`,
      }
    );
  });
  add("W2", "≥ 10× CPython asyncio", (o) => {
    const r = vsPy(10)(o);
    const l = get(medians, "L_ystar", "W2");
    const p = py("W2");
    // The bare yield* trampoline is the most code written this way can do: say when the
    // target sits at (or past) it.
    if (r && !r.ok && l && p) {
      r.value += `; L_ystar, the bare trampoline, is ${(l.rate / p.rate).toFixed(1)}× CPython here, and asyncio-ts runs at ${((100 * o.rate) / l.rate).toFixed(0)}% of it`;
    }
    return r;
  });
  add("W2", "ahead of every JS peer", aheadOf(["js", "micro"], ""));
  add("W2", "peak RSS ≤ raw Promises' (js_raw)", (o) => {
    const j = get(medians, "js_raw", "W2");
    return (
      j && {
        ok: o.peak_rss_mb <= j.peak_rss_mb,
        value: `${fmtMb(o.peak_rss_mb)} vs ${fmtMb(j.peak_rss_mb)}`,
      }
    );
  });
  add("W2", "peak RSS < 150 MB", (o) => ({
    ok: o.peak_rss_mb < 150,
    value: fmtMb(o.peak_rss_mb),
  }));
  add("W2", "≥ 80% of L_ystar (the bare yield* trampoline: the limit of the design)", (o) => {
    const l = get(medians, "L_ystar", "W2");
    return (
      l && {
        ok: o.rate >= 0.8 * l.rate,
        value: `${((100 * o.rate) / l.rate).toFixed(0)}% (${fmtRate(o.rate)} vs ${fmtRate(l.rate)})`,
      }
    );
  });
  add("W3", "≥ 5× CPython asyncio", vsPy(5));
  add("W3", "ahead of every JS peer", aheadOf(["js", "micro"], ""));
  for (const w of ["W2", "W3"])
    add(
      w,
      "returns to Node's loop between batches: a 1 ms Node interval fires on average at least every 10 ms, never more than 50 ms apart",
      (o) => {
        if (o.max_node_gap_ms === undefined) return null;
        const ticks = o.node_ticks ?? 0;
        const ms = o.node_ticks_seconds * 1000;
        const every = ticks > 0 ? ms / ticks : Number.POSITIVE_INFINITY;
        const control = get(medians, "js_raw", o.workload);
        const ctl =
          control?.node_ticks !== undefined
            ? `; js_raw for comparison: ${control.node_ticks} callbacks, longest gap ${control.max_node_gap_ms.toFixed(0)} ms`
            : "";
        // Where the longest gap is the workload's first step (W2: the user's loop creating
        // n coroutines and gather() wrapping them, one step of the main task), say so, with
        // the longest gap after it: the rule is still judged on every gap.
        const split =
          o.workload === "W2" &&
          o.first_node_gap_ms !== undefined &&
          o.first_node_gap_ms > o.max_later_gap_ms
            ? `; it is the first, the main task's spawning step, which no scheduler can cut (${o.first_node_gap_ms.toFixed(0)} ms); longest gap after it ${o.max_later_gap_ms.toFixed(1)} ms`
            : "";
        return {
          ok: every <= 10 && o.max_node_gap_ms <= 50,
          value: `${ticks} callbacks in ${ms.toFixed(0)} ms (every ${every.toFixed(1)} ms), longest gap ${o.max_node_gap_ms.toFixed(1)} ms${split}${ctl}`,
        };
      },
    );
  add("W4", "overshoot no worse than raw setTimeout Promises (js_raw)", (o) => {
    const j = get(medians, "js_raw", "W4");
    return (
      j && {
        ok: o.overshoot_ms <= j.overshoot_ms,
        value: `+${o.overshoot_ms.toFixed(0)} ms vs +${j.overshoot_ms.toFixed(0)} ms`,
      }
    );
  });
  for (const w of ["W5", "W6"]) {
    add(w, "≥ 10× CPython asyncio", vsPy(10));
    add(w, "ahead of every JS peer", aheadOf(["js", "micro"], ""));
  }
  add(
    "W5",
    "≥ 75% of the cancellation floor (bench/floors.mjs in the same run: a new Error, and a throw the child catches and re-throws, in a microtask)",
    (o) => {
      const f = cancelFloorUs(floors);
      if (!f) return null;
      const floorRate = 1e6 / (f.error + f.rethrow);
      return {
        ok: o.rate >= 0.75 * floorRate,
        value: `${((100 * o.rate) / floorRate).toFixed(0)}% (${fmtRate(o.rate)} vs ${fmtRate(floorRate)}: ${f.error.toFixed(2)} + ${f.rethrow.toFixed(2)} µs; asyncio-ts ${(1e6 / o.rate).toFixed(2)} µs per cancellation)`,
      };
    },
  );
  add("W7", "≥ 80% of raw node:net (js_raw)", (o) => {
    const j = get(medians, "js_raw", "W7");
    return (
      j && {
        ok: o.rate >= 0.8 * j.rate,
        value: `${((100 * o.rate) / j.rate).toFixed(0)}% (${fmtRate(o.rate)} vs ${fmtRate(j.rate)})`,
      }
    );
  });
  add("W7", "≥ 3× CPython asyncio", (o) => {
    const r = vsPy(3)(o);
    const j = get(medians, "js_raw", "W7");
    const p = py("W7");
    // A library on top of node:net cannot beat node:net: say when the target asks for that.
    if (r && !r.ok && j && p && j.rate < 3 * p.rate) {
      r.value += `; raw node:net itself is ${(j.rate / p.rate).toFixed(1)}× CPython here`;
    }
    return r;
  });
  for (const w of ["W1", "W2", "W3", "W4", "W5", "W6"]) {
    add(w, "cold (fresh process, first line to the end of run()) ≥ 5× CPython", (o) => {
      const p = bestCold(medians, w);
      if (o.cold_seconds === undefined || !p) return null;
      return {
        ok: p.cold_seconds >= 5 * o.cold_seconds,
        value: `${(p.cold_seconds / o.cold_seconds).toFixed(1)}× (${fmtSecs(o.cold_seconds)} vs ${fmtSecs(p.cold_seconds)}, ${pyName(p)})`,
      };
    });
  }
  // Await chains: a coroutine()-marked chain resumes in O(1) at any depth; a plain
  // function* chain goes through every native yield* frame, as the bare trampoline does.
  const d1coro = get(medians, "asyncio_ts_coro", "D1");
  const d1000coro = get(medians, "asyncio_ts_coro", "D1000");
  if (d1coro && d1000coro) {
    t.push({
      w: "D1000",
      target: "coroutine()-marked chain at depth 1,000 within 10% of depth 1 (same n)",
      status: d1000coro.rate >= 0.9 * d1coro.rate ? "met" : "MISSED",
      value: `${((100 * d1000coro.rate) / d1coro.rate).toFixed(0)}% (${fmtRate(d1000coro.rate)} vs ${fmtRate(d1coro.rate)})`,
    });
  }
  for (const w of ["D1", "D10", "D100", "D1000"]) {
    add(w, "plain function* chain within 10% of L_ystar at this depth", (o) => {
      const l = get(medians, "L_ystar", w);
      return (
        l && {
          ok: o.rate >= 0.9 * l.rate,
          value: `${((100 * o.rate) / l.rate).toFixed(0)}% (${fmtRate(o.rate)} vs ${fmtRate(l.rate)})`,
        }
      );
    });
  }
  add("M", "1,000,000 sleeping tasks in < 400 MB (process peak RSS)", (o) => {
    const value = `${fmtMb(o.peak_rss_mb)} at n=${fmtN(o.n)} (${fmtMb(o.rss_asleep_mb)} RSS while asleep)`;
    if (o.n < 1_000_000) return { status: "not run", value: `${value}; needs n=1,000,000` };
    return { ok: o.peak_rss_mb < 400, value };
  });
  return t.filter((x) => medians.some((m) => m.workload === x.w));
}

// ---------------------------------------------------------------- docs

const PEER_NOTES = `| impl | file | how it is written |
|---|---|---|
| asyncio_ts | \`bench/asyncio_ts.ts\` | this library's public API, as an asyncio user writes it: \`function*\` coroutines, \`yield* asyncio.sleep(0)\`, \`asyncio.gather(...coros)\`, \`new asyncio.Queue(100)\`, \`yield* lock.acquire()\` + \`try\`/\`finally\` \`lock.release()\` (W6: what Python's \`async with lock\` does, and how js_raw's Mutex is used; \`using … lock.hold()\` costs about 20% more on Node 20, whose \`using\` is compiled to helper calls), \`asyncWith(new TaskGroup(), …)\` + \`exceptStar\` (W5, TG), \`asCompleted\`, \`asyncGenerator\` + \`asyncFor\` (AG), \`startServer\`/\`openConnection\` + \`readline\`/\`drain\` (W7); a line-for-line port of \`py_asyncio.py\` |
| asyncio_ts_coro | same, \`--variant coro\` | the D workloads with \`asyncio.coroutine()\`-marked coroutines (the Task keeps the frame stack) |
| py_asyncio | \`bench/peers/py_asyncio.py\` | CPython's stdlib asyncio, default loop (no uvloop): \`await asyncio.sleep(0)\`, \`gather(*coros)\`, \`asyncio.Queue(100)\` + \`None\` sentinels, \`TaskGroup\` whose body raises (W5), \`async with asyncio.Lock()\`, \`start_server\`/\`open_connection\` + \`readline\`/\`drain\`, \`create_task\` ×n (M), \`async with TaskGroup()\` (TG), \`as_completed\` (AC), an \`async def\` generator with \`async for\` (AG), a chain of \`await\`ed \`async def\`s (D) |
| py_asyncio_313 | same, CPython 3.13 (pyenv) | the same program on CPython 3.13 (\`BENCH_PYTHON313\` names another interpreter; the column is left out when there is none); the ratios to CPython use the faster of the two |
| js_raw | \`bench/peers/js_raw.ts\` | plain Node: the yield is \`await new Promise(r => setImmediate(r))\` (a trip through Node's loop, like \`sleep(0)\`); \`Promise.all\` of async functions; a 30-line promise \`BoundedQueue\`; \`setTimeout\` promises; one \`AbortController\` per task with an abortable sleep (W5); a 15-line promise \`Mutex\`; \`net\` with a small line splitter and \`noDelay\`; async functions awaiting \`setTimeout\` promises (M); a native \`async function*\` consumed by \`for await\` (AG); a chain of async functions (D) |
| js_raw_micro | same, \`--variant micro\` | the yield is \`await null\` (a microtask: never returns to Node's loop, so it would starve I/O) |
| effection | \`bench/peers/effection.ts\` | Effection 4: \`yield* sleep(0)\` (a Node \`setTimeout(0)\`, clamped to 1 ms, so n is lowered), \`yield* all(ops)\`, two \`createQueue\`s as a bounded queue (items + free-slot tokens), \`spawn\` + \`group.halt()\` (W5), a one-token queue as mutex |
| effection_imm | same, \`--variant imm\` | the yield is an \`action\` around \`setImmediate\` — the same loop trip as js_raw's |
| effect | \`bench/peers/effect.ts\` | Effect 4 fibers (default scheduler): \`Effect.yieldNow\`, \`Effect.all(…, { concurrency: "unbounded" })\`, \`Queue.bounded(100)\`, \`Effect.forkChild\` + \`Fiber.interruptAll\`, \`Semaphore.make(1)\` + \`withPermit\`, \`Effect.forkChild\` ×n (M), nested \`Effect.gen\` (D) |
| p_queue | \`bench/peers/p_queue.ts\` | p-queue: \`queue.add\` with unbounded concurrency, \`new PQueue({ concurrency: 1 })\` as the lock, \`signal\` per task (W5); it has no yield, channel or sockets, so W1, W3, W7 do not apply |
| L | \`bench/peers/trampoline.ts\` | the limit: ~60 lines driving generators from a ring-buffer ready queue, a bare \`yield\` per switch; no timers, I/O, cancellation or return to Node's loop |
| L_ystar | same, \`--variant ystar\` | the limit for code written as asyncio-ts code is: every await a \`yield*\` into a helper generator |`;

function docsMarkdown(data, targets) {
  const { env, medians, reps, total_seconds: total, date, quick } = data;
  const cols = IMPLS.map((i) => i.id).filter((id) => medians.some((m) => m.impl === id));
  const ws = Object.keys(WORKLOADS).filter((w) => medians.some((m) => m.workload === w));
  const main = ws.filter((w) => /^W|^M$/.test(w));
  const extra = ws.filter((w) => !/^W|^M$/.test(w));
  const colsFor = (wsx) =>
    cols.filter((c) => medians.some((m) => m.impl === c && wsx.includes(m.workload)));
  const table = (wsx) =>
    markdownTable(["workload", ...colsFor(wsx)], tableRows(colsFor(wsx), wsx, medians));
  const notes = [];
  for (const m of medians) {
    if (m.lowered)
      notes.push(`- ⁿ ${m.impl} ${m.workload}: n=${fmtN(m.lowered.n)} (${m.lowered.why})`);
    if (m.failed)
      notes.push(
        `- **FAILED** ${m.impl} ${m.workload}: ${m.errors.join(" | ").replaceAll("\n", " ").slice(0, 300)}`,
      );
    if (m.na) notes.push(`- n/a ${m.impl} ${m.workload}: ${m.reason}`);
  }
  const effW2 = get(medians, "effection", "W2");
  const load1 = Math.max(data.loadavg_start?.[0] ?? 0, env.loadavg[0] ?? 0);
  const gaps = medians.filter((m) => m.impl === "asyncio_ts" && m.max_node_gap_ms !== undefined);
  const out = [];
  out.push("# Benchmarks");
  out.push("");
  out.push("<!-- Generated by `npm run bench` (bench/run.mjs). Do not edit by hand. -->");
  out.push("");
  out.push(
    `asyncio-ts and its peers, measured in one run on one machine: ${date.slice(0, 16).replace("T", " ")} UTC.`,
  );
  if (quick)
    out.push(
      "\n**Quick mode** (`--quick`): small n, one repetition — for development only, not for comparison.",
    );
  out.push("");
  out.push(
    `- Machine: ${env.cpu}, ${env.cores} cores, ${env.mem_gib} GiB; ${env.platform}; load average (1, 5, 15 min) ${data.loadavg_start ? `at the start ${data.loadavg_start.join(", ")}, ` : ""}at the end ${env.loadavg.join(", ")}${load1 > env.cores ? ` — **the machine was shared with other work during this run (1-minute load up to ${load1} on ${env.cores} cores, about 1 of it the benchmark itself), so absolute numbers are noisy; read the ratios between implementations, measured in interleaved rounds**` : ""}`,
  );
  out.push(
    `- Versions: asyncio-ts ${env["asyncio-ts"]}; Node ${env.node}; CPython ${env.python}${env.python313 && env.python313 !== "not installed" ? ` and ${env.python313} (py_asyncio_313; the ratios use the faster of the two)` : ""}; Effection ${env.effection}; Effect ${env.effect}; p-queue ${env["p-queue"]}; esbuild ${env.esbuild}`,
  );
  out.push(
    `- Method: each (implementation, workload) in a fresh process, ${reps} repetition${reps > 1 ? "s" : ""} in rounds that interleave the implementations (M once: it measures memory${reps >= 3 ? `; W1, W2, W3, W5 and W6, which take a fraction of a second each and vary by up to ±30% from one repetition to the next on this shared machine, ${reps + EXTRA_SHORT_REPS}` : ""}), the median by wall time; whole run ${total.toFixed(0)} s.${reps < 3 && !quick ? ` Repetitions were lowered from 3 to ${reps} to keep the run short on a machine shared with other work.` : ""} Times are taken inside the program (start-up excluded). RSS is the process's peak resident set (\`getrusage\`), so it includes the runtime's own baseline (Node ~40 MB, CPython ~20 MB).`,
  );
  out.push("");
  out.push(
    "![Benchmark chart: each workload's throughput or memory, asyncio-ts highlighted](benchmarks.svg)",
  );
  out.push("");
  out.push("## Targets");
  out.push("");
  out.push(
    "The performance targets (speed against CPython and the JS peers, returning to Node's loop), evaluated on this run's medians. What limits the missed ones, with the measurements behind it: [bench/README.md, Missed targets](../bench/README.md#missed-targets).",
  );
  out.push("");
  out.push(
    markdownTable(
      ["workload", "target", "this run", "status"],
      targets.map((x) => [x.w, x.target, x.value, x.status === "met" ? "met" : `**${x.status}**`]),
      "---",
    ),
  );
  out.push("");
  out.push("## Results");
  out.push("");
  out.push(table(main));
  out.push("");
  if (extra.length > 0) {
    out.push(
      "Structured concurrency, async generators, and the cost of a resume at the bottom of an await chain:",
    );
    out.push("");
    out.push(table(extra));
    out.push("");
  }
  for (const w of ws)
    out.push(`- **${w} ${WORKLOADS[w][0]}**: ${WORKLOADS[w][1]} — ${WORKLOADS[w][2]}`);
  out.push("- – : the implementation has no idiomatic form of the workload (see below).");
  out.push(...notes);
  if (gaps.length > 0) {
    out.push(
      `- Node's loop during asyncio-ts runs (longest gap between the callbacks of a 1 ms Node \`setInterval\`): ${gaps.map((m) => `${m.workload} ${m.max_node_gap_ms.toFixed(1)} ms`).join(", ")}. The scheduler runs ready callbacks in ticks of about 1 ms and returns to libuv between them; a long gap in W2 is the user's own step that creates n tasks in one go (CPython does the same). How W3's "returns to Node's loop" target is checked: the interval runs in the same process during the workload and counts how often Node's own event loop got control (so sockets and timers would have been served); js_raw and effect carry the same probe as a control — a promise-only queue never yields to Node's loop.`,
    );
  }
  out.push(
    `- M exits as soon as all tasks are asleep and RSS is read (tearing a million tasks down is not what it measures). Effection and p-queue are left out of M${effW2 ? ` (Effection peaked at ${fmtMb(effW2.peak_rss_mb)} for W2's ${fmtN(effW2.n)} tasks)` : ""}.`,
  );
  out.push(
    "- Spreads (min–max seconds over the repetitions) and every single run are in `bench/results/latest.json`.",
  );
  out.push("");
  const cold = coldRows(medians);
  if (cold.length > 0) {
    out.push("## Cold start");
    out.push("");
    out.push(
      "A user runs a script once. Each workload's time in a fresh process from the script's first line to the end of `run()` (`asyncio.run()`): module loading, loop creation and JIT warm-up included; the runtime's own start-up (Node's, the interpreter's) not. From the same runs as the table above, whose figures start inside the main coroutine. The target: W1–W6 cold at least 5× the faster CPython.",
    );
    out.push("");
    out.push(markdownTable(COLD_HEADER, cold));
    out.push("");
  }
  if (data.startup) {
    out.push("## Start-up");
    out.push("");
    out.push(
      `CPU time (user + system) of a fresh process that imports the library, against the same runtime importing nothing: ${data.startup[0].runs} fresh processes per case, the cases interleaved, each compared with its baseline round by round (the median of the paired differences, with their interquartile range as the spread; bench/startup.mjs). \`import("asyncio-ts")\` loads \`dist/esm/index.js\`, one bundled file; \`require\` loads \`dist/cjs/index.js\`. The "alone" rows measure the import inside the process (\`process.cpuUsage()\` before \`import()\` and when it settles), free of the noise of two whole processes. The target is at most 25 ms over an empty Node process.`,
    );
    out.push("");
    out.push(formatStartup(data.startup));
    out.push("");
  }
  if (data.bundles) {
    out.push("## Bundle size");
    out.push("");
    out.push(
      "What a browser program downloads: bundled by esbuild for the browser, minified, gzipped (level 9). The target is at most 25 KB.",
    );
    out.push("");
    out.push(formatBundles(data.bundles));
    out.push("");
  }
  out.push("## How each implementation is written");
  out.push("");
  out.push(PEER_NOTES);
  out.push("");
  out.push(
    "The peer programs started from the shared reference implementations (`../shared/bench-peers/`, each written the way that library's documentation writes it) and were extended with M, AG and the D workloads. The JavaScript programs are bundled with esbuild — the peers together with their libraries, which only shortens start-up — and run with plain `node`.",
  );
  out.push("");
  out.push(
    "Every program checks its own result (a checksum, a counter or the echoed lines); a run whose check fails is reported as FAILED, never as a number.",
  );
  out.push("");
  out.push("## Reproduce");
  out.push("");
  out.push("```sh");
  out.push("npm run bench                       # everything, 3 repetitions; rewrites this page");
  out.push(
    "npm run bench -- --quick            # small n, one repetition, < 1 min; leaves this page alone",
  );
  out.push("node bench/run.mjs --only asyncio_ts,py_asyncio --workloads W1,W3 --reps 5");
  out.push(
    "node bench/run.mjs --profile W3     # top self-time functions of asyncio-ts on W3",
    "node bench/run.mjs --heap           # where the memory of a sleeping task goes",
  );
  out.push("```");
  out.push("");
  return out.join("\n");
}

// ---------------------------------------------------------------- profile

/** Runs asyncio-ts on one workload under --cpu-prof and prints the top self-time functions. */
function profile(workload) {
  const errors = build();
  if (errors.asyncio_ts) throw new Error(errors.asyncio_ts);
  const dir = path.join(resultsDir, "profiles");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const variant = argv.includes("coro") ? ["--variant", "coro"] : [];
  const n = flag("n", undefined);
  const r = spawnSync(
    "node",
    [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      path.join(distDir, "asyncio_ts.mjs"),
      workload,
      ...variant,
      ...(n ? ["--n", n] : []),
    ],
    { cwd: root, encoding: "utf8" },
  );
  process.stdout.write(r.stdout);
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written: ${r.stderr}`);
  const prof = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  const dt = new Map();
  prof.samples.forEach((id, i) => {
    dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  // esbuild marks where each module starts in the bundle ("// src/core/tasks.ts"): name
  // the source module of each bundle line.
  const bundleLines = readFileSync(path.join(distDir, "asyncio_ts.mjs"), "utf8").split("\n");
  const modules = [];
  bundleLines.forEach((l, i) => {
    const m = /^\/\/ ((?:src|bench)\/\S+\.ts)$/.exec(l);
    if (m) modules.push([i, m[1]]);
  });
  const moduleOf = (line) => modules.findLast(([start]) => start <= line)?.[1] ?? "asyncio_ts.mjs";
  const self = new Map();
  let total = 0;
  for (const node of prof.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const f = node.callFrame;
    const where = f.url.endsWith("asyncio_ts.mjs")
      ? moduleOf(f.lineNumber)
      : f.url
        ? path.basename(f.url)
        : "";
    const key = `${f.functionName || "(anonymous)"}  ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(flag("top", "15")));
  console.log(
    `\nasyncio_ts ${workload}: top self time (${(total / 1000).toFixed(0)} ms sampled; ${path.relative(root, path.join(dir, file))})`,
  );
  for (const [k, us] of top)
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`,
    );
}

// ---------------------------------------------------------------- start-up and bundle size

/**
 * Start-up CPU and browser bundle sizes (bench/startup.mjs, in a child process: it builds
 * the package's bundled entries and runs many fresh processes). Null when it fails.
 */
function startupFigures() {
  const runs = QUICK ? "7" : "31";
  process.stderr.write(`start-up: ${runs} fresh processes per case, and the bundle sizes\n`);
  const r = spawnSync("node", [path.join(here, "startup.mjs"), "--json", "--runs", runs], {
    cwd: root,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    process.stderr.write(`start-up measurement FAILED:\n${r.stderr}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

// ---------------------------------------------------------------- main

function writeOutputs(data) {
  const targets = evaluateTargets(data.medians, data.floors);
  const cols = IMPLS.map((i) => i.id).filter((id) => data.medians.some((m) => m.impl === id));
  const ws = Object.keys(WORKLOADS).filter((w) => data.medians.some((m) => m.workload === w));
  const header = ["workload", ...cols];
  process.stdout.write(`\n${textTable(header, tableRows(cols, ws, data.medians))}\n\n`);
  for (const m of data.medians) {
    if (m.failed)
      process.stdout.write(
        `FAILED ${m.impl} ${m.workload}: ${m.errors.join(" | ").slice(0, 500)}\n`,
      );
    if (m.na) process.stdout.write(`n/a    ${m.impl} ${m.workload}: ${m.reason}\n`);
  }
  process.stdout.write(
    data.quick
      ? "\nTargets — QUICK MODE: small n and one repetition, so these ratios mean little:\n"
      : "\nTargets:\n",
  );
  for (const x of targets)
    process.stdout.write(`  ${x.status.padEnd(7)} ${x.w.padEnd(3)} ${x.target}: ${x.value}\n`);
  const cold = coldRows(data.medians);
  if (cold.length > 0)
    process.stdout.write(
      `\nCold start (first line to the end of run()):\n${textTable(COLD_HEADER, cold)}\n`,
    );
  if (data.startup) process.stdout.write(`\nStart-up:\n${formatStartup(data.startup)}\n`);
  if (data.bundles) process.stdout.write(`\nBundle size:\n${formatBundles(data.bundles)}\n`);
  const env = data.env;
  process.stdout.write(
    `\n${data.reps} rep(s), ${data.total_seconds.toFixed(0)} s; ${env.cpu}, ${env.cores} cores; node ${env.node}, python ${env.python}\n`,
  );
  if (WRITE_DOCS) {
    const docs = path.join(root, "docs");
    mkdirSync(docs, { recursive: true });
    const page = path.join(docs, "benchmarks.md");
    const kept = existsSync(page) ? extractDistributed(readFileSync(page, "utf8")) : "";
    writeFileSync(page, spliceDistributed(docsMarkdown(data, targets), kept));
    writeFileSync(
      path.join(docs, "benchmarks.svg"),
      renderChart(data, { workloads: WORKLOADS, impls: IMPLS, fmtRate, history: readHistory() }),
    );
    process.stdout.write("wrote docs/benchmarks.md and docs/benchmarks.svg\n");
  }
}

/**
 * Runs asyncio-ts's M (or `--workloads W2`) with a heap snapshot and prints where the memory
 * of a sleeping (or a spawned) task goes.
 */
function heap() {
  const errors = build();
  if (errors.asyncio_ts) throw new Error(errors.asyncio_ts);
  const r = spawnSync(
    "node",
    [
      "--expose-gc",
      path.join(distDir, "asyncio_ts.mjs"),
      // M (tasks asleep) by default; `--workloads W2`: spawned tasks past their first step.
      ONLY_W[0] ?? "M",
      "--n",
      flag("n", "100000"),
    ],
    { cwd: root, encoding: "utf8", env: { ...process.env, BENCH_HEAP_SUMMARY: "1" } },
  );
  process.stdout.write(r.stdout + r.stderr);
}

function main() {
  // Opt-in: the distributed workload starts its own redis-server (bench/redis.mjs).
  if (has("redis")) {
    const args = ["--n", flag("n", "100000"), "--reps", String(REPS)];
    if (ONLY.length > 0) args.push("--only", ONLY.join(","));
    const r = spawnSync(process.execPath, [path.join(here, "redis.mjs"), ...args], {
      stdio: "inherit",
    });
    process.exit(r.status ?? 1);
  }
  if (has("c10k")) return c10k();
  if (PROFILE) return profile(PROFILE);
  if (has("heap")) return heap();
  if (FROM) return writeOutputs(JSON.parse(readFileSync(path.resolve(FROM), "utf8")));
  runAll();
  if (!FILTERED) exploreBench();
}

/**
 * Opt-in: W7's echo server at 10,000 connections (bench/c10k.mjs) for asyncio-ts, raw
 * node:net and CPython, with p50/p99 round-trip latency; writes bench/results/c10k.json.
 */
function c10k() {
  const errors = build();
  if (errors.asyncio_ts || errors.peers) throw new Error(errors.asyncio_ts ?? errors.peers);
  const args = [
    path.join(here, "c10k.mjs"),
    "--json",
    "--conns",
    flag("n", "10000"),
    "--reps",
    String(REPS),
    "--seconds",
    QUICK ? "2" : "5",
  ];
  if (ONLY.length > 0) args.push("--only", ONLY.join(","));
  const r = spawnSync("node", args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  const result = JSON.parse(line);
  if (result.skipped) {
    console.log(result.skipped);
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, "c10k.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(formatC10k(result));
  const ours = result.medians.find((m) => m.impl === "asyncio_ts" && !m.failed);
  const raw = result.medians.find((m) => m.impl === "js_raw" && !m.failed);
  if (ours && raw)
    console.log(
      `\nW7 at ${result.conns.toLocaleString("en-US")} connections: asyncio-ts at ${((100 * ours.rate) / raw.rate).toFixed(0)}% of raw node:net (target ≥ 90%); p50 ${ours.p50_ms.toFixed(1)} vs ${raw.p50_ms.toFixed(1)} ms, p99 ${ours.p99_ms.toFixed(1)} vs ${raw.p99_ms.toFixed(1)} ms`,
    );
  if (result.medians.some((m) => m.failed)) process.exitCode = 1;
}

/** The race finder's schedules per second on the bank example: bench/explore.ts. */
function exploreBench() {
  const args = ["tsx", "bench/explore.ts", ...(QUICK ? ["--quick"] : [])];
  const r = spawnSync("npx", args, { cwd: root, encoding: "utf8", timeout: TIMEOUT_MS });
  process.stdout.write(r.stdout + r.stderr);
  if (r.status !== 0) process.exitCode = 1;
}

function runAll() {
  const started = Date.now();
  const loadavgStart = os.loadavg().map((x) => +x.toFixed(2));
  const buildErrors = build();
  for (const [k, e] of Object.entries(buildErrors))
    process.stderr.write(`build of ${k} FAILED: ${e}\n`);
  const unknownW = ONLY_W.filter((w) => !(w in WORKLOADS));
  const unknownI = ONLY.filter((i) => !IMPLS.some((x) => x.id === i));
  if (unknownW.length || unknownI.length)
    throw new Error(`unknown workload(s) or impl(s): ${[...unknownW, ...unknownI].join(", ")}`);
  const impls = IMPLS.filter((i) => ONLY.length === 0 || ONLY.includes(i.id));
  const order = Object.keys(WORKLOADS);
  const plan = order.flatMap((w) =>
    ONLY_W.length === 0 || ONLY_W.includes(w)
      ? impls.filter((i) => i.workloads.includes(w)).map((impl) => ({ impl, w }))
      : [],
  );
  const runs = [];
  const floors = [];
  const rounds = Math.max(...plan.map(({ w }) => repsFor(w)), 1);
  for (let rep = 1; rep <= rounds; rep++) {
    for (const { impl, w } of plan) {
      if (rep > repsFor(w)) continue;
      const rec = runOnce(impl, w, buildErrors);
      rec.rep = rep;
      runs.push(rec);
      // The cancellation floor, measured right after each asyncio-ts W5, under the same load.
      if (impl.id === "asyncio_ts" && w === "W5") {
        const f = cancelFloor();
        if (f) floors.push(f);
      }
      const status = rec.na
        ? rec.check
        : rec.ok
          ? `${rec.seconds.toFixed(3)} s  ${fmtRate(rec.rate)}  ${rec.check}`
          : `FAILED ${rec.error ?? rec.check}`;
      process.stderr.write(
        `[${rep}/${repsFor(w)}] ${impl.id.padEnd(16)} ${w.padEnd(5)} ${status.slice(0, 160)}\n`,
      );
    }
  }
  const medians = summarise(plan, runs);
  const figures = FILTERED ? null : startupFigures();
  const data = {
    date: new Date().toISOString(),
    quick: QUICK,
    reps: REPS,
    total_seconds: (Date.now() - started) / 1000,
    loadavg_start: loadavgStart,
    env: versions(),
    workloads: WORKLOADS,
    medians,
    runs,
    ...(floors.length > 0 ? { floors: floorMedians(floors) } : {}),
    ...(figures ? { startup: figures.startup, bundles: figures.bundles } : {}),
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    path.join(resultsDir, QUICK ? "quick.json" : "latest.json"),
    `${JSON.stringify(data, null, 2)}\n`,
  );
  if (!QUICK && !FILTERED) appendHistory(data);
  writeOutputs(data);
  if (medians.some((m) => m.failed)) process.exitCode = 1;
}

try {
  main();
  // The serving section (HTTP and WebSocket servers under load, bench/serving.mjs): in
  // full and quick runs, not in filtered, profiling or redrawing ones.
  if (!FILTERED && !PROFILE && !FROM && !has("heap") && !has("c10k")) {
    const serving = spawnSync(
      "node",
      [path.join(here, "serving.mjs"), ...(QUICK ? ["--quick"] : [])],
      {
        cwd: root,
        stdio: "inherit",
      },
    );
    if (serving.status !== 0) process.exitCode = 1;
  }
} finally {
  // The bundles are only needed while the run lasts; removing them keeps `biome check .`
  // and editors from reading 10,000 lines of generated code (`--keep-dist` keeps them).
  if (!has("keep-dist")) rmSync(distDir, { recursive: true, force: true });
}
