/**
 * The documentation site: `tsx scripts/site.ts build | preview | dev`.
 *
 * `build` stages the pages into website/.gen (the docs/ files, the README as /overview,
 * its Python → asyncio-ts table as /python, the site's own pages from website/pages, the
 * images), generates the API reference there with TypeDoc (Markdown, one page per symbol),
 * and has VitePress build the static site into site/. `preview` serves site/ (with the
 * cross-origin isolation headers the playground's blocking examples need), `dev` runs
 * VitePress's dev server on the staged pages.
 *
 * The staged copy is rebuilt from scratch each time; it and site/ are gitignored.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DOC_PAGES } from "../website/.vitepress/sources.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const website = join(root, "website");
const staged = join(website, ".gen");

/** The entries of the API reference: every published subpath but `./portable`, a subset of `.`. */
const API_ENTRIES = [
  "src/index.ts",
  "src/http/index.ts",
  "src/files/index.ts",
  "src/websockets/index.ts",
  "src/testing/index.ts",
  "src/otel/index.ts",
  "src/redis/index.ts",
  "src/eslint-plugin/index.ts",
];

function run(what: string, args: string[]): void {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    throw new Error(`site: ${what} failed (exit ${r.status ?? r.signal}): node ${args.join(" ")}`);
  }
  console.log(`site: ${what} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The README's "Python → TypeScript" section, as a page of its own. */
function pythonPage(readme: string): string {
  const start = readme.indexOf("\n## Python → TypeScript");
  if (start === -1) throw new Error("site: README.md has no '## Python → TypeScript' section");
  const body = readme.slice(start + 1);
  const next = body.indexOf("\n## ", 3);
  const section = (next === -1 ? body : body.slice(0, next)).replace(/^## .*\n/, "");
  return [
    "# From Python's asyncio",
    "",
    "An asyncio program ports line by line: `async def` becomes `function*`, `await`",
    "becomes `yield*`, and the names are camelCase. Try any line in the",
    "[playground](/playground).",
    section,
  ].join("\n");
}

function stage(): void {
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(staged, { recursive: true });
  cpSync(join(website, "pages"), staged, { recursive: true });
  const docs = new Set(readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")));
  for (const page of DOC_PAGES) {
    if (!docs.delete(`${page}.md`)) throw new Error(`site: docs/${page}.md is listed but missing`);
    cpSync(join(root, "docs", `${page}.md`), join(staged, `${page}.md`));
  }
  if (docs.size > 0) {
    throw new Error(
      `site: docs/ has pages the site does not list (add them to DOC_PAGES and GROUPS in website/.vitepress/sources.ts): ${[...docs].join(", ")}`,
    );
  }
  const readme = readFileSync(join(root, "README.md"), "utf8");
  writeFileSync(join(staged, "overview.md"), readme);
  writeFileSync(join(staged, "python.md"), pythonPage(readme));
  cpSync(join(root, "docs", "images"), join(staged, "images"), { recursive: true });
  cpSync(join(root, "docs", "benchmarks.svg"), join(staged, "benchmarks.svg"));
}

function reference(): void {
  run("the API reference (TypeDoc)", [
    join(root, "node_modules/typedoc/bin/typedoc"),
    "--plugin",
    "typedoc-plugin-markdown",
    "--plugin",
    "typedoc-vitepress-theme",
    "--out",
    join(staged, "api"),
    "--docsRoot",
    staged,
    "--tsconfig",
    "tsconfig.build.json",
    "--excludeInternal",
    "--readme",
    "none",
    "--name",
    "API reference",
    "--logLevel",
    "Error",
    ...API_ENTRIES,
  ]);
}

function vitepress(command: "build" | "preview" | "dev"): void {
  run(`vitepress ${command}`, [
    join(root, "node_modules/vitepress/bin/vitepress.js"),
    command,
    "website",
  ]);
}

const command = process.argv[2];
if (command === "build") {
  stage();
  reference();
  vitepress("build");
} else if (command === "dev") {
  stage();
  reference();
  vitepress("dev");
} else if (command === "preview") {
  if (!existsSync(join(root, "site", "index.html"))) {
    throw new Error("site: no site/index.html: run `npm run docs:build` first");
  }
  vitepress("preview");
} else {
  throw new Error(
    `site: expected 'build', 'preview' or 'dev': received ${JSON.stringify(command)}`,
  );
}
