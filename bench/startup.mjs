#!/usr/bin/env node
// Start-up cost: the CPU time (user + system) that importing a module adds to a fresh
// process, against the same process importing nothing. Each case runs in RUNS fresh
// processes, the cases interleaved round by round so that a busy machine slows them all
// alike; the median is reported. The process measures itself at exit (`process.cpuUsage()`
// in Node, `getrusage` in CPython), which covers start-up, the import and teardown of
// everything but the last few microseconds.
//
// The difference of two whole processes carries the noise of both (on a loaded machine an
// empty Node process varies by tens of milliseconds), so the import is also measured on its
// own, inside the process: `process.cpuUsage()` just before `import()` and when it settles
// (the "import alone" rows, whose figure is the cost itself). The load average during the
// measurement is reported beside the figures. An ES module program is measured against an
// empty ES module (both start Node's ESM loader).
//
//
// Bundle size: what a browser program downloads, minified by esbuild and gzipped — the
// portable entry whole (what `import * as asyncio from "asyncio-ts"` gives a browser),
// and a program that uses only `run`, `gather` and `sleep`, tree-shaken.
//
// Usage: node bench/startup.mjs [--runs N] [--json]
//   Builds the bundled entries first (scripts/build.mjs, without tsc): it imports
//   dist/esm/index.js, the file `import "asyncio-ts"` resolves to on Node.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { buildAll } from "../scripts/build.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const PYTHON = "/root/.pyenv/versions/3.13.0/bin/python3";

const NODE_EXIT_HOOK =
  'process.on("exit",()=>{const u=process.cpuUsage();' +
  'process.stdout.write("\\n"+String((u.user+u.system)/1000))});';
const PY_EXIT_HOOK =
  "import atexit, resource, sys\n" +
  "def _cpu():\n" +
  "    r = resource.getrusage(resource.RUSAGE_SELF)\n" +
  "    sys.stdout.write('\\n' + str((r.ru_utime + r.ru_stime) * 1000))\n" +
  "atexit.register(_cpu)\n";

/** A Node program printing the CPU milliseconds that `expr` (a Promise) takes to settle. */
function importAlone(expr) {
  return (
    "const t0=process.cpuUsage();" +
    `${expr}.then(()=>{const u=process.cpuUsage(t0);` +
    'process.stdout.write("\\n"+String((u.user+u.system)/1000))});'
  );
}

/**
 * The cases: a name, how to run it, and the case it is measured against (or `alone`: the
 * figure is the import's own cost).
 */
export function startupCases() {
  const entry = pathToFileURL(path.join(root, "dist/esm/index.js")).href;
  const cjs = path.join(root, "dist/cjs/index.js");
  const cases = [
    { name: "node (empty)", cmd: process.execPath, args: ["-e", NODE_EXIT_HOOK] },
    {
      name: 'node: import("asyncio-ts")',
      cmd: process.execPath,
      args: ["-e", `${NODE_EXIT_HOOK}import(${JSON.stringify(entry)})`],
      base: "node (empty)",
    },
    {
      name: 'node: require("asyncio-ts")',
      cmd: process.execPath,
      args: ["-e", `${NODE_EXIT_HOOK}require(${JSON.stringify(cjs)})`],
      base: "node (empty)",
    },
    // The like-for-like case for an ES module program: both processes start Node's ESM
    // loader (a CommonJS `-e` script starts it only at its first `import()`, and the
    // difference above counts that start-up as the library's).
    {
      name: "node (empty ES module)",
      cmd: process.execPath,
      args: ["--input-type=module", "-e", NODE_EXIT_HOOK],
    },
    {
      name: 'node: import "asyncio-ts" (an ES module)',
      cmd: process.execPath,
      args: ["--input-type=module", "-e", `import ${JSON.stringify(entry)};${NODE_EXIT_HOOK}`],
      base: "node (empty ES module)",
    },
    {
      name: 'node: import("asyncio-ts"), the import alone',
      cmd: process.execPath,
      args: ["-e", importAlone(`import(${JSON.stringify(entry)})`)],
      alone: true,
    },
    {
      name: 'node: require("asyncio-ts"), the require alone',
      cmd: process.execPath,
      args: ["-e", importAlone(`Promise.resolve(require(${JSON.stringify(cjs)}))`)],
      alone: true,
    },
  ];
  if (existsSync(PYTHON)) {
    cases.push(
      { name: "python3 (empty)", cmd: PYTHON, args: ["-c", PY_EXIT_HOOK] },
      {
        name: "python3: import asyncio",
        cmd: PYTHON,
        args: ["-c", `${PY_EXIT_HOOK}import asyncio`],
        base: "python3 (empty)",
      },
    );
  }
  return cases;
}

/** CPU milliseconds of one fresh process running `c`. */
function cpuMs(c) {
  const r = spawnSync(c.cmd, c.args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}):\n${r.stderr}`);
  const ms = Number(r.stdout.trim().split("\n").pop());
  if (!Number.isFinite(ms)) throw new Error(`${c.name}: no CPU figure in ${r.stdout}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs every case `runs` times, interleaved; returns rows with medians and deltas. */
export function measureStartup(runs = 31) {
  const cases = startupCases();
  if (!existsSync(path.join(root, "dist/esm/index.js"))) {
    throw new Error("bench/startup.mjs: no dist/esm/index.js; run `npm run build` first");
  }
  const samples = new Map(cases.map((c) => [c.name, []]));
  const load = [loadavg()[0]];
  for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.name).push(cpuMs(c));
  load.push(loadavg()[0]);
  const medians = new Map(cases.map((c) => [c.name, median(samples.get(c.name))]));
  return cases.map((c) => ({
    name: c.name,
    cpuMs: medians.get(c.name),
    overMs:
      c.alone === true
        ? medians.get(c.name)
        : c.base === undefined
          ? null
          : medians.get(c.name) - medians.get(c.base),
    runs,
    load,
  }));
}

export function formatStartup(rows) {
  const lines = ["| process | CPU ms (median) | over its empty process |", "|---|---:|---:|"];
  for (const r of rows) {
    const over = r.overMs === null ? "" : `${r.overMs >= 0 ? "+" : ""}${r.overMs.toFixed(1)}`;
    lines.push(`| ${r.name} | ${r.cpuMs.toFixed(1)} | ${over} |`);
  }
  const load = rows[0]?.load;
  if (load !== undefined) {
    lines.push(
      "",
      `${rows[0].runs} fresh processes a case; load average ${load[0].toFixed(1)} at the start, ` +
        `${load[1].toFixed(1)} at the end, on ${cpus().length} cores.`,
    );
  }
  return lines.join("\n");
}

/** Minified and gzipped bytes of `contents` bundled for the browser from the repository. */
async function browserBytes(contents, platform) {
  const result = await build({
    absWorkingDir: root,
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform,
    external: ["node:*"],
    packages: "external",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

/**
 * The browser bundle sizes. A program of `run` + `gather` + `sleep` is built from the
 * portable entry; while that entry has no `run`, from the main entry for Node instead (and
 * the row says so), which carries the I/O loop.
 */
export async function measureBundles() {
  const portableSource = readFileSync(path.join(root, "src/portable.ts"), "utf8");
  const rows = [
    {
      name: "portable entry, whole (`import * as asyncio`)",
      ...(await browserBytes(
        'import * as asyncio from "./src/portable.js"; globalThis.asyncio = asyncio;',
        "browser",
      )),
    },
  ];
  const program = (from) =>
    `import { run, gather, sleep } from "${from}";\n` +
    "function* main() { return yield* gather(sleep(0.01, 1), sleep(0.02, 2)); }\n" +
    "run(main()).then((r) => console.log(r));\n";
  if (/\brun\b/.test(portableSource)) {
    rows.push({
      name: "`run` + `gather` + `sleep` program, tree-shaken",
      ...(await browserBytes(program("./src/portable.js"), "browser")),
    });
  } else {
    rows.push({
      name: "`run` + `gather` + `sleep` program, tree-shaken (from the main entry: the portable entry has no `run` yet)",
      ...(await browserBytes(program("./src/index.js"), "node")),
    });
  }
  return rows;
}

export function formatBundles(rows) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const lines = ["| bundle | minified | minified + gzip |", "|---|---:|---:|"];
  for (const r of rows) lines.push(`| ${r.name} | ${kb(r.minified)} | ${kb(r.gzipped)} |`);
  return lines.join("\n");
}

/** Builds the entries, then measures start-up and bundle sizes. */
export async function measureAll(runs) {
  await buildAll({ tsc: false });
  return { startup: measureStartup(runs), bundles: await measureBundles() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--runs");
  const all = await measureAll(i > 0 ? Number(process.argv[i + 1]) : 31);
  console.log(
    process.argv.includes("--json")
      ? JSON.stringify(all)
      : `${formatStartup(all.startup)}\n\n${formatBundles(all.bundles)}`,
  );
}
