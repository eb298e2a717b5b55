#!/usr/bin/env node
// The build, in three layers (run by `npm run build`, `prepack` and the tests' global setup):
//
// 1. tsc -> dist/src/ (and dist/examples/): the declarations every entry's `types` point
//    to, and per-file JavaScript that the tests and a checkout's CLI run.
// 2. esbuild -> dist/esm/: each ESM entry the package exports (and the command), bundled
//    into one file with whitespace and syntax minified (names kept, so stacks and error
//    messages read as in the sources; source maps embed the sources). One file instead of
//    ~45 modules is what makes `import "asyncio-ts"` cheap: Node's ESM loader costs a few
//    milliseconds per module and compile time grows with the bytes it reads.
// 3. esbuild -> dist/cjs/: the same entries as CommonJS for `require()` (Node 20 has no
//    require(esm) by default), with a copy of the declarations beside them under a
//    `{"type":"commonjs"}` package.json, so that TypeScript types a `require` as CJS.
//
// Entries are bundled separately, so `asyncio-ts/http` holds its own copy of the core it
// uses, as the CommonJS build holds one of everything: copies share one runtime (the
// running loop, the current context, the suspension protocol) through `Symbol.for` and
// recognise each other's Futures and errors by brand (src/core/runtime.ts), so a program
// that mixes them behaves as one library.
//
// The entries are read from package.json's `exports` and `bin`: each `./dist/esm/X.js` or
// `./dist/cjs/X.js` target is built from `src/X.ts`. A new subpath needs only its exports
// entry.
//
// Usage: node scripts/build.mjs [--no-tsc]
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Every string target under the exports map (conditions nested at any depth). */
function targets(node, out = []) {
  if (typeof node === "string") out.push(node);
  else if (node !== null && typeof node === "object") {
    for (const value of Object.values(node)) targets(value, out);
  }
  return out;
}

const exported = targets(pkg.exports);
const binTargets = typeof pkg.bin === "string" ? [pkg.bin] : Object.values(pkg.bin ?? {});
const entriesUnder = (dir, list) =>
  [...new Set(list)]
    .filter((t) => t.startsWith(`./dist/${dir}/`) && t.endsWith(".js"))
    .map((t) => t.slice(`./dist/${dir}/`.length, -".js".length));
const esmEntries = entriesUnder("esm", [...exported, ...binTargets]);
const cjsEntries = entriesUnder("cjs", exported);

/** The .ts files under src/ (recursively), as paths relative to src/. */
function sources(dir = join(root, "src"), base = dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sources(path, base));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      files.push(relative(base, path));
    }
  }
  return files;
}

export async function buildAll({ tsc = true } = {}) {
  if (tsc) {
    const bin = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const r = spawnSync(process.execPath, [bin, "-p", "tsconfig.build.json"], {
      cwd: root,
      stdio: "inherit",
    });
    if (r.status !== 0) throw new Error(`build: tsc -p tsconfig.build.json exited ${r.status}`);
  }
  rmSync(join(dist, "esm"), { recursive: true, force: true });
  rmSync(join(dist, "cjs"), { recursive: true, force: true });

  const common = {
    absWorkingDir: root,
    bundle: true,
    target: "es2022",
    packages: "external",
    external: ["node:*"],
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: true,
    sourcesContent: true,
    logLevel: "warning",
  };
  for (const e of esmEntries) {
    await build({
      ...common,
      entryPoints: [`src/${e}.ts`],
      outfile: `dist/esm/${e}.js`,
      format: "esm",
      platform: "neutral",
    });
  }
  for (const e of cjsEntries) {
    await build({
      ...common,
      entryPoints: [`src/${e}.ts`],
      outfile: `dist/cjs/${e}.js`,
      format: "cjs",
      platform: "node",
    });
  }
  writeFileSync(join(dist, "cjs/package.json"), '{ "type": "commonjs" }\n');
  for (const f of sources().filter((f) => !f.startsWith("cli/"))) {
    const dts = f.replace(/\.ts$/, ".d.ts");
    const from = join(dist, "src", dts);
    if (existsSync(from)) cpSync(from, join(dist, "cjs", dts));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAll({ tsc: !process.argv.includes("--no-tsc") });
}
