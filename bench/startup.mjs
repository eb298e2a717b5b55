#!/usr/bin/env node
// Start-up cost: the CPU time (user + system) that importing a module adds to a fresh
// process, against the same process importing nothing. Each case runs in RUNS fresh
// processes (41 by default), the cases interleaved round by round, every other round in
// reverse order, so that a busy machine slows a case and its baseline alike. The process
// measures itself at exit (`process.cpuUsage()` in Node, `getrusage` in CPython), which
// covers start-up, the import and teardown of everything but the last few microseconds.
//
// The difference of two whole processes carries the noise of both (on a loaded machine an
// empty Node process varies by tens of milliseconds). Two things keep it in check: a case
// is compared with its baseline round by round (the median of the paired differences,
// with their interquartile range as the spread: see measureStartup), and the import is
// also measured on its own, inside the process: `process.cpuUsage()` just before
// `import()` and when it settles (the "alone" rows, whose figure is the cost itself). The
// load average during the measurement is reported beside the figures. An ES module program
// is measured against an empty ES module (both start Node's ESM loader).
//
// Bundle size: what a browser program downloads, minified by esbuild and gzipped — the
// portable entry whole (what `import * as asyncio from "asyncio-ts"` gives a browser),
// and a program that uses only `run`, `gather` and `sleep`, tree-shaken. `--modules`
// prints what each source module weighs in the whole portable bundle: its minified bytes
// (esbuild's metafile) and the gzipped bytes the bundle would lose without them.
//
// Usage: node bench/startup.mjs [--runs N] [--json] [--modules]
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

/** The `q` quantile (0..1) of `xs`, interpolated between the two nearest samples. */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const median = (xs) => quantile(xs, 0.5);

/** Median and interquartile range of `xs`. */
function summary(xs) {
  return { median: median(xs), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75) };
}

/**
 * Runs every case `runs` times in fresh processes and returns a row per case.
 *
 * The cases are interleaved round by round, and every other round runs them in reverse
 * order, so that a change of machine load during a round (or a drift over the whole run)
 * falls on a case and its baseline alike. One discarded round first warms the disk cache.
 *
 * A case measured against a baseline is reported as the median of its paired differences
 * (the case minus its baseline, from the same round), not as the difference of two
 * medians: the two processes of a pair ran seconds apart, under the same load, so most of
 * the machine's noise cancels out of each difference. The spread is the interquartile
 * range (25th to 75th percentile) of those differences; for the other cases, of the
 * samples themselves.
 */
export function measureStartup(runs = 41) {
  const cases = startupCases();
  if (!existsSync(path.join(root, "dist/esm/index.js"))) {
    throw new Error("bench/startup.mjs: no dist/esm/index.js; run `npm run build` first");
  }
  const samples = new Map(cases.map((c) => [c.name, []]));
  const load = [loadavg()[0]];
  for (const c of cases) cpuMs(c);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) samples.get(c.name).push(cpuMs(c));
  }
  load.push(loadavg()[0]);
  return summarizeStartup(cases, samples, runs, load);
}

/**
 * The rows of the start-up table from the samples of each case (`samples`: case name →
 * CPU milliseconds, one per round, in round order): for a case with a `base`, the median
 * and interquartile range of its paired differences with that base; for an `alone` case,
 * of its own samples.
 */
export function summarizeStartup(cases, samples, runs, load) {
  return cases.map((c) => {
    const own = samples.get(c.name);
    const cpu = summary(own);
    let over = null;
    if (c.alone === true) over = cpu;
    else if (c.base !== undefined) {
      const base = samples.get(c.base);
      over = summary(own.map((x, i) => x - base[i]));
    }
    return {
      name: c.name,
      cpuMs: cpu.median,
      cpuSpread: [cpu.p25, cpu.p75],
      overMs: over === null ? null : over.median,
      overSpread: over === null ? null : [over.p25, over.p75],
      runs,
      load,
    };
  });
}

export function formatStartup(rows) {
  const lines = [
    "| process | CPU ms (median) | over its empty process (median of paired differences) | spread of that (25th–75th percentile) |",
    "|---|---:|---:|---:|",
  ];
  const signed = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
  for (const r of rows) {
    const over = r.overMs === null ? "" : signed(r.overMs);
    const spread =
      r.overSpread === null || r.overSpread === undefined
        ? r.cpuSpread === undefined
          ? ""
          : `${r.cpuSpread[0].toFixed(1)} to ${r.cpuSpread[1].toFixed(1)}`
        : `${signed(r.overSpread[0])} to ${signed(r.overSpread[1])}`;
    lines.push(`| ${r.name} | ${r.cpuMs.toFixed(1)} | ${over} | ${spread} |`);
  }
  const load = rows[0]?.load;
  if (load !== undefined) {
    lines.push(
      "",
      `${rows[0].runs} fresh processes a case, interleaved (every other round in reverse order); ` +
        `load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end, ` +
        `on ${cpus().length} cores. The spread of an empty process is that of the samples.`,
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

/** Decodes a source map's `mappings` into, per generated line, [column, source index]. */
function decodeMappings(mappings) {
  const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const lines = [];
  let source = 0;
  for (const line of mappings.split(";")) {
    const segments = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (segment === "") continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const d = digits.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0];
      if (fields.length > 1) source += fields[1];
      segments.push([column, fields.length > 1 ? source : -1]);
    }
    lines.push(segments);
  }
  return lines;
}

/**
 * What each source module weighs in the whole portable bundle: the minified bytes esbuild's
 * metafile attributes to it, and the gzipped bytes the bundle loses when the characters the
 * source map attributes to it are left out (gzip compresses a module against the ones
 * before it, so a module's own gzip size would overstate it). Heaviest first.
 */
export async function measureModules() {
  const result = await build({
    absWorkingDir: root,
    stdin: {
      contents: 'import * as asyncio from "./src/portable.js"; globalThis.asyncio = asyncio;',
      resolveDir: root,
      sourcefile: "entry.ts",
      loader: "ts",
    },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    external: ["node:*"],
    packages: "external",
    write: false,
    logLevel: "silent",
    metafile: true,
    sourcemap: "external",
    outfile: "portable.js",
  });
  const js = result.outputFiles.find((f) => f.path.endsWith(".js")).text;
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".map")).text);
  const inputs = result.metafile.outputs["portable.js"].inputs;
  const owner = new Int32Array(js.length).fill(-1);
  const mapped = decodeMappings(map.mappings);
  let offset = 0;
  js.split("\n").forEach((line, l) => {
    const segments = mapped[l] ?? [];
    let s = 0;
    let current = -1;
    for (let c = 0; c < line.length; c++) {
      while (s < segments.length && segments[s][0] <= c) current = segments[s++][1];
      owner[offset + c] = current;
    }
    offset += line.length + 1;
  });
  const total = gzipSync(js, { level: 9 }).length;
  const rows = map.sources.map((source, i) => {
    let kept = "";
    for (let c = 0; c < js.length; c++) if (owner[c] !== i) kept += js[c];
    const name = path.relative(root, path.resolve(root, source));
    return {
      module: name,
      minified: inputs[name]?.bytesInOutput ?? 0,
      gzipped: total - gzipSync(kept, { level: 9 }).length,
    };
  });
  return rows.filter((r) => r.module.startsWith("src/")).sort((a, b) => b.gzipped - a.gzipped);
}

export function formatModules(rows) {
  const lines = ["| module | minified bytes | gzipped bytes it adds |", "|---|---:|---:|"];
  for (const r of rows) lines.push(`| ${r.module} | ${r.minified} | ${r.gzipped} |`);
  const sum = (k) => rows.reduce((a, r) => a + r[k], 0);
  lines.push(`| all modules | ${sum("minified")} | ${sum("gzipped")} |`);
  return lines.join("\n");
}

/** Builds the entries, then measures start-up and bundle sizes. */
export async function measureAll(runs) {
  await buildAll({ tsc: false });
  return { startup: measureStartup(runs), bundles: await measureBundles() };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--modules")) {
  const rows = await measureModules();
  console.log(process.argv.includes("--json") ? JSON.stringify(rows) : formatModules(rows));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--runs");
  const all = await measureAll(i > 0 ? Number(process.argv[i + 1]) : 41);
  console.log(
    process.argv.includes("--json")
      ? JSON.stringify(all)
      : `${formatStartup(all.startup)}\n\n${formatBundles(all.bundles)}`,
  );
}
