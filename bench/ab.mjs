#!/usr/bin/env node
// A/B of asyncio-ts against an earlier commit, for checking one change on a shared machine:
// both trees' bench programs are bundled, then run in fresh processes that alternate
// (base, head, base, head, …), and the medians are compared. Wall times on a loaded
// machine move by ±30% from one run to the next; alternating puts both sides under the same
// load, and `--callgrind` counts instructions instead (valgrind; independent of the load,
// ~50× slower).
//
//   node bench/ab.mjs [--base REV] [--workloads W2,W5] [--reps 9] [--n N] [--variant coro]
//                     [--callgrind] [--node-flags "--max-semi-space-size=16"]
//
// REV defaults to HEAD~1; the head side is the working tree as it is (uncommitted changes
// included). Prints, per workload, the median seconds of each side, the ratio, the spread,
// and the medians of any numeric extras (max_node_gap_ms, node_ticks, spawn_seconds, …).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const BASE = flag("base", "HEAD~1");
const WORKLOADS = flag("workloads", "W2").split(",").filter(Boolean);
const REPS = Number(flag("reps", "9"));
const N = flag("n", "");
const VARIANT = flag("variant", "");
const CALLGRIND = argv.includes("--callgrind");
const NODE_FLAGS = flag("node-flags", "").split(" ").filter(Boolean);
if (!Number.isInteger(REPS) || REPS < 1) throw new Error(`--reps must be a positive integer`);

const tmp = mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-ab-"));

/** Bundles `<tree>/bench/asyncio_ts.ts` into `<tmp>/<name>/asyncio_ts.mjs`. */
function bundle(tree, name) {
  const outdir = path.join(tmp, name);
  mkdirSync(outdir, { recursive: true });
  const esbuild = path.join(root, "node_modules", ".bin", "esbuild");
  const r = spawnSync(
    esbuild,
    [
      path.join(tree, "bench", "asyncio_ts.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--packages=external",
      `--outfile=${path.join(outdir, "asyncio_ts.mjs")}`,
      "--log-level=error",
    ],
    { cwd: tree, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`esbuild (${name}) failed: ${r.stderr}`);
  return path.join(outdir, "asyncio_ts.mjs");
}

/** The base commit's src/ and bench/, extracted with git archive. */
function extractBase() {
  const tree = path.join(tmp, "base-tree");
  mkdirSync(tree, { recursive: true });
  const archive = spawnSync("git", ["archive", "--format=tar", BASE, "src", "bench"], {
    cwd: root,
    maxBuffer: 256 << 20,
  });
  if (archive.status !== 0) throw new Error(`git archive ${BASE}: ${archive.stderr}`);
  const untar = spawnSync("tar", ["-x", "-C", tree], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
  return tree;
}

function runOnce(file, workload) {
  const args = [...NODE_FLAGS, "--max-old-space-size=8192", file, workload];
  if (N) args.push("--n", N);
  if (VARIANT) args.push("--variant", VARIANT);
  if (!CALLGRIND) {
    const r = spawnSync("node", args, { cwd: root, encoding: "utf8", timeout: 240_000 });
    const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("{"));
    if (!line) throw new Error(`no report from ${file} ${workload}: ${r.stderr}`);
    return JSON.parse(line);
  }
  const out = path.join(tmp, `callgrind.${process.pid}.${Date.now()}`);
  // --predictable: V8 without its helper threads or timing-driven decisions, so that the
  // same program counts (nearly) the same instructions from one run to the next.
  const r = spawnSync(
    "valgrind",
    ["--tool=callgrind", `--callgrind-out-file=${out}`, "node", "--predictable", ...args],
    { cwd: root, encoding: "utf8", timeout: 1_800_000 },
  );
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("{"));
  const m = /Collected : (\d+)/.exec(r.stderr ?? "");
  if (!line || !m) throw new Error(`callgrind run failed: ${(r.stderr ?? "").slice(-800)}`);
  rmSync(out, { force: true });
  return { ...JSON.parse(line), instructions: Number(m[1]) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  const sides = { base: bundle(extractBase(), "base"), head: bundle(root, "head") };
  const key = CALLGRIND ? "instructions" : "seconds";
  for (const w of WORKLOADS) {
    const recs = { base: [], head: [] };
    for (let i = 0; i < REPS; i++) {
      // Alternate which side goes first, so neither always runs after the other.
      const order = i % 2 === 0 ? ["base", "head"] : ["head", "base"];
      for (const side of order) recs[side].push(runOnce(sides[side], w));
    }
    const line = [`${w}${VARIANT ? ` (${VARIANT})` : ""}:`];
    const med = {};
    for (const side of ["base", "head"]) {
      const xs = recs[side].map((r) => r[key]);
      med[side] = median(xs);
      const extras = Object.keys(recs[side][0])
        .filter((k) => !["seconds", "rate", "n", key].includes(k))
        .filter((k) => recs[side].every((r) => typeof r[k] === "number"))
        .map((k) => `${k}=${+median(recs[side].map((r) => r[k])).toFixed(3)}`);
      const fmt = (x) => (CALLGRIND ? `${(x / 1e6).toFixed(1)}M instr` : `${x.toFixed(4)} s`);
      line.push(
        `  ${side.padEnd(4)} ${fmt(med[side])} [${fmt(Math.min(...xs))} – ${fmt(Math.max(...xs))}] ${extras.join(" ")}`,
      );
    }
    line.push(
      `  head/base ${(med.head / med.base).toFixed(3)} (${CALLGRIND ? "instructions" : "time"}; < 1 is better); base ${BASE}, ${REPS} runs each, load ${os.loadavg()[0].toFixed(2)}`,
    );
    console.log(line.join("\n"));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
