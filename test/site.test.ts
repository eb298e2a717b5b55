/**
 * The documentation site in a real browser: builds the site (`npm run docs:build`), serves
 * site/ on a loopback port, and drives Debian's headless Chromium with playwright-core
 * (never a downloaded browser). Every page must load without a console error, every link
 * inside the site must lead to a page and an anchor that exist, and the playground must
 * compile and run programs in its worker: countasync on virtual time, a failing program
 * (its coroutine frames shown), a program stopped by cancellation (its `finally` runs) and
 * a busy loop (its worker terminated). Screenshots go to test-artifacts/ (gitignored).
 *
 * Needs /usr/bin/chromium (or CHROMIUM_PATH): skipped without it, with the reason printed;
 * a failure instead when ASYNCIO_TS_REQUIRE_ALL=1 (CI installs chromium and sets it).
 * ASYNCIO_TS_SITE_PREBUILT=1 uses the site/ already built instead of building it.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DocProgram } from "../website/.vitepress/doc-programs.js";
import { decodeProgram, encodeProgram } from "../website/playground/share.js";
import { markdownBlocks, TS_LANGS } from "./doc_examples/blocks.js";
import { markdownFiles } from "./doc_examples/check.js";

const executable = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(executable);
const required = process.env.ASYNCIO_TS_REQUIRE_ALL === "1";
if (!available) {
  const why = `documentation site suite: ${executable} not found (install Debian's chromium, or set CHROMIUM_PATH)`;
  if (required) throw new Error(`${why}; ASYNCIO_TS_REQUIRE_ALL=1 makes this a failure`);
  console.warn(`SKIPPED ${why}`);
}

const root = fileURLToPath(new URL("..", import.meta.url));
const site = join(root, "site");
const artifacts = join(root, "test-artifacts");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
  ".txt": "text/plain",
};

/** The file that serves a URL path, as a static host does with VitePress's clean URLs. */
function fileFor(urlPath: string): string | null {
  const path = decodeURIComponent(urlPath.split(/[?#]/)[0] ?? "/");
  if (path.includes("..")) return null;
  const candidates = path.endsWith("/")
    ? [`${path}index.html`]
    : [path, `${path}.html`, `${path}/index.html`];
  for (const c of candidates) {
    const file = join(site, c);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

/** Every page of the built site, as its clean URL path. */
function pages(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "assets") walk(full);
      } else if (entry.name.endsWith(".html") && entry.name !== "404.html") {
        out.push(
          `/${relative(site, full)
            .replace(/\\/g, "/")
            .replace(/(index)?\.html$/, "")}`,
        );
      }
    }
  };
  walk(site);
  return out.sort();
}

describe.skipIf(!available)(
  "the documentation site in headless Chromium",
  { timeout: 240_000 },
  () => {
    let server: Server;
    let origin = "";
    let profile = "";
    let context: BrowserContext;

    beforeAll(async () => {
      if (process.env.ASYNCIO_TS_SITE_PREBUILT !== "1" || !existsSync(join(site, "index.html"))) {
        const build = spawnSync(
          process.execPath,
          [join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/site.ts", "build"],
          {
            cwd: root,
            encoding: "utf8",
            timeout: 600_000,
          },
        );
        if (build.status !== 0) {
          throw new Error(
            `npm run docs:build failed (${build.status ?? build.signal}):\n${build.stdout.slice(-3000)}${build.stderr.slice(-3000)}`,
          );
        }
      }
      server = createServer((req, res) => {
        const file = fileFor(req.url ?? "/");
        // The cross-origin isolation headers of `npm run docs:preview`: the playground's
        // worker gets SharedArrayBuffer (the synchronous example's Atomics.wait).
        res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
        if (file === null) {
          res.writeHead(404, { "content-type": "text/html" });
          res.end(readFileSync(join(site, "404.html")));
          return;
        }
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(readFileSync(file));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      mkdirSync(artifacts, { recursive: true });
      profile = mkdtempSync(join(tmpdir(), "asyncio-ts-site-"));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: executable,
        headless: true,
        args: FLAGS,
        viewport: { width: 1280, height: 900 },
      });
      // Only the site itself: a request anywhere else would be a page reaching the network.
      await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
    }, 900_000);

    afterAll(async () => {
      await context?.close();
      await new Promise((resolve) =>
        server === undefined ? resolve(null) : server.close(resolve),
      );
      if (profile !== "") rmSync(profile, { recursive: true, force: true });
    });

    async function open(path: string): Promise<{ page: Page; errors: string[] }> {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`${path}: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`${path}: ${String(e)}`));
      await page.goto(origin + path, { waitUntil: "load" });
      return { page, errors };
    }

    it("builds a page per docs file, the overview, the Python page, the playground and the API", () => {
      const all = pages();
      for (const p of [
        "/",
        "/overview",
        "/python",
        "/playground",
        "/guide",
        "/benchmarks",
        "/structured-concurrency",
        "/api/",
        "/api/index/functions/gather",
      ]) {
        expect(all, p).toContain(p);
      }
      const docs = readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md"));
      for (const d of docs) expect(all).toContain(`/${d.replace(/\.md$/, "")}`);
      // The benchmarks page keeps its chart.
      expect(readFileSync(join(site, "benchmarks.html"), "utf8")).toMatch(
        /<img[^>]+benchmarks[^>]*\.svg/,
      );
    });

    it("links only to pages and anchors that exist, on every page", () => {
      const all = pages();
      const ids = new Map<string, Set<string>>();
      const html = new Map<string, string>();
      for (const p of all) {
        const text = readFileSync(fileFor(p) ?? "", "utf8");
        html.set(p, text);
        ids.set(p, new Set([...text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] ?? "")));
      }
      const broken: string[] = [];
      let checked = 0;
      for (const [p, text] of html) {
        for (const m of text.matchAll(/<a\s[^>]*href="([^"]+)"/g)) {
          const href = (m[1] ?? "").replaceAll("&amp;", "&");
          if (/^[a-z]+:/i.test(href) || href.startsWith("//")) continue;
          const url = new URL(href, `http://site${p}`);
          const target = fileFor(url.pathname);
          checked++;
          if (target === null) {
            broken.push(`${p} → ${href} (no such page)`);
            continue;
          }
          const anchor = decodeURIComponent(url.hash.slice(1));
          if (anchor === "" || !target.endsWith(".html") || url.pathname === "/playground")
            continue;
          const targetPath = `/${relative(site, target).replace(/(index)?\.html$/, "")}`;
          if (!(ids.get(targetPath)?.has(anchor) ?? false))
            broken.push(`${p} → ${href} (no #${anchor} there)`);
        }
      }
      expect(checked).toBeGreaterThan(1000);
      expect(broken).toEqual([]);
    });

    /**
     * The pages a browser loads: every page written by hand or from docs/, and of the API
     * reference (hundreds of pages from one TypeDoc template) each module's page and one
     * page of each kind (class, function, interface…) per module. The links and anchors of
     * every page are checked above, without a browser.
     */
    function browsedPages(): string[] {
      const seenKinds = new Set<string>();
      return pages().filter((p) => {
        const api = /^\/api\/([^/]+)\/([^/]+)\//.exec(p);
        if (api === null) return true;
        const kind = `${api[1]}/${api[2]}`;
        if (seenKinds.has(kind)) return false;
        seenKinds.add(kind);
        return true;
      });
    }

    it("loads the pages in the browser with no console error", async () => {
      const browsed = browsedPages();
      expect(browsed.length).toBeGreaterThan(40);
      const errors: string[] = [];
      const page = await context.newPage();
      let at = "";
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`${at}: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`${at}: ${String(e)}`));
      for (const p of browsed) {
        at = p;
        const response = await page.goto(origin + p, { waitUntil: "load" });
        expect(response?.status(), p).toBe(200);
        await page.locator(".VPContent").first().waitFor();
      }
      await page.close();
      expect(errors).toEqual([]);
    }, 600_000);

    it("shows the home page", async () => {
      const { page, errors } = await open("/");
      await expect(page.locator(".VPHero .name").textContent()).resolves.toContain("asyncio-ts");
      await page.screenshot({ path: join(artifacts, "site-home.png") });
      expect(errors).toEqual([]);
      await page.close();
    });

    /** Runs the playground's current program to its end; its output lines and status. */
    async function runToEnd(page: Page): Promise<{ lines: string[]; status: string }> {
      await page.locator("#pg-run:not([disabled])").click();
      await page.locator('#pg-status[data-state="idle"]').waitFor({ timeout: 120_000 });
      const lines = await page.locator("#pg-output .pg-line").allTextContents();
      return { lines, status: (await page.locator("#pg-status").textContent()) ?? "" };
    }

    it("runs countasync on virtual time: One One One Two Two Two, and a timeline of three lanes under main", async () => {
      const started = performance.now();
      const { page, errors } = await open("/playground?example=countasync");
      await page.locator("label:has(#pg-virtual)").click();
      const { lines, status } = await runToEnd(page);
      const firstRun = performance.now() - started;
      await page.screenshot({ path: join(artifacts, "site-playground.png"), fullPage: true });
      console.log(
        `site: time to first run in the playground (load, compile, run countasync): ${firstRun.toFixed(0)} ms`,
      );
      expect(lines.join(" ")).toBe("One One One Two Two Two");
      expect(status).toBe("Finished after 1.00 s of virtual time");
      const children = page.locator('#pg-timeline .lane[data-depth="1"]');
      expect(await children.count()).toBe(3);
      expect(await page.locator('#pg-timeline .lane[data-depth="0"]').count()).toBe(1);
      // Each count sleeps once: one sleep wait in each child lane.
      expect(await page.locator('#pg-timeline .lane[data-depth="1"] .wait-sleep').count()).toBe(3);
      expect(errors).toEqual([]);
      await page.close();
    });

    function playgroundUrl(code: string, virtual: boolean): string {
      return `/playground#${encodeProgram({ code, virtual })}`;
    }

    it("shows a program's error with the coroutine frames it went through, at the TypeScript's lines", async () => {
      const code = [
        'import * as asyncio from "asyncio-ts";',
        "",
        "function* check(n: number): asyncio.Coroutine<number> {",
        "  yield* asyncio.sleep(0.5);",
        '  if (n !== 42) throw new RangeError("not the answer: " + n);',
        "  return n;",
        "}",
        "",
        "export function* main(): asyncio.Coroutine<number> {",
        "  return yield* check(41);",
        "}",
      ].join("\n");
      const { page, errors } = await open(playgroundUrl(code, true));
      const { lines, status } = await runToEnd(page);
      expect(status).toBe("Failed after 0.50 s of virtual time");
      const text = lines.join("\n");
      expect(text).toContain("RangeError: not the answer: 41");
      expect(text).toMatch(/at check \(program\.ts:5:\d+\)\n\s+at main \(program\.ts:10:\d+\)/);
      expect(await page.locator('#pg-timeline .lane[data-state="failed"]').count()).toBe(1);
      expect(await page.locator("#pg-timeline .lane").count()).toBe(1);
      expect(errors).toEqual([]);
      await page.close();
    });

    it("shows an ExceptionGroup with each sub-exception and its frames, under its own name", async () => {
      const code = [
        'import * as asyncio from "asyncio-ts";',
        "",
        "function* check(n: number): asyncio.Coroutine<number> {",
        "  yield* asyncio.sleep(0.5);",
        '  if (n !== 42) throw new RangeError("not the answer: " + n);',
        "  return n;",
        "}",
        "",
        "export function* main(): asyncio.Coroutine<void> {",
        "  yield* asyncio.withTaskGroup(function* (tg) {",
        "    tg.createTask(check(42));",
        "    tg.createTask(check(41));",
        "  });",
        "}",
      ].join("\n");
      const { page, errors } = await open(playgroundUrl(code, true));
      const { lines } = await runToEnd(page);
      const text = lines.join("\n");
      expect(text).toMatch(
        /^ExceptionGroup: unhandled errors in a TaskGroup\n\s+at main \(program\.ts:10:\d+\)\n/,
      );
      expect(text).toMatch(
        /\[1\/1\]\n\s+RangeError: not the answer: 41\n\s+at check \(program\.ts:5:\d+\)/,
      );
      expect(errors).toEqual([]);
      await page.close();
    });

    it("reports a compile error at its line", async () => {
      const { page, errors } = await open(
        playgroundUrl('import * as asyncio from "asyncio-ts";\nconst x = ;\n', true),
      );
      const { lines, status } = await runToEnd(page);
      expect(status).toBe("Did not compile");
      expect(lines[0]).toMatch(/^program\.ts:2:\d+: error: /);
      expect(errors).toEqual([]);
      await page.close();
    });

    it("waits for a run the program starts without awaiting it, and reports its error", async () => {
      const code = [
        'import * as asyncio from "asyncio-ts";',
        "",
        "function* main(): asyncio.Coroutine<void> {",
        "  yield* asyncio.sleep(2);",
        '  console.log("after 2 s");',
        '  throw new Error("late failure");',
        "}",
        "",
        "asyncio.run(main());",
      ].join("\n");
      const { page, errors } = await open(playgroundUrl(code, true));
      const { lines, status } = await runToEnd(page);
      expect(lines[0]).toBe("after 2 s");
      expect(status).toMatch(/^Failed/);
      expect((await page.locator("#pg-output").textContent()) ?? "").toContain("late failure");
      expect(errors).toEqual([]);
      await page.close();
    });

    it("stops a running program by cancelling its main task: its finally block runs", async () => {
      const code = [
        'import * as asyncio from "asyncio-ts";',
        "",
        "export function* main(): asyncio.Coroutine<void> {",
        "  try {",
        '    console.log("waiting an hour");',
        "    yield* asyncio.sleep(3600);",
        "  } finally {",
        '    console.log("cleaned up in finally");',
        "  }",
        "}",
      ].join("\n");
      const { page, errors } = await open(playgroundUrl(code, false));
      await page.locator("#pg-run:not([disabled])").click();
      await page.locator("#pg-output", { hasText: "waiting an hour" }).waitFor();
      await page.locator("#pg-stop").click();
      await page.locator('#pg-status[data-state="idle"]').waitFor();
      const lines = await page.locator("#pg-output .pg-line").allTextContents();
      expect(lines).toEqual([
        "waiting an hour",
        "cleaned up in finally",
        "CancelledError: stopped from the playground",
      ]);
      await expect(page.locator("#pg-status").textContent()).resolves.toMatch(/^Cancelled after /);
      expect(await page.locator('#pg-timeline .lane[data-state="cancelled"]').count()).toBe(1);
      expect(errors).toEqual([]);
      await page.close();
    });

    it("stops a busy loop by terminating its worker, and runs again after", async () => {
      const code = 'console.log("spinning");\nwhile (true) {}\n';
      const { page, errors } = await open(playgroundUrl(code, false));
      await page.locator("#pg-run:not([disabled])").click();
      await page.locator("#pg-output", { hasText: "spinning" }).waitFor();
      await page.locator("#pg-stop").click();
      await page.locator('#pg-status[data-state="idle"]').waitFor();
      await expect(page.locator("#pg-status").textContent()).resolves.toBe("Terminated");
      await expect(page.locator("#pg-output").textContent()).resolves.toContain("a busy loop?");
      // A fresh worker runs the next program.
      await page.locator("#pg-example").selectOption("countasync");
      await page.locator("label:has(#pg-virtual)").click();
      const { lines } = await runToEnd(page);
      expect(lines.join(" ")).toBe("One One One Two Two Two");
      expect(errors).toEqual([]);
      await page.close();
    });

    /**
     * The blocks of README.md and docs/*.md the test of the documentation runs, and what the
     * build made of each (site/doc-programs.json, written by the site's config).
     */
    function documented(): DocProgram[] {
      return JSON.parse(readFileSync(join(site, "doc-programs.json"), "utf8")) as DocProgram[];
    }

    /** How many of those blocks have a Run button: it only grows (the browser can run more). */
    const RUN_BUTTONS_AT_LEAST = 37;

    /** The reasons a block the documentation's test runs may have no button. */
    const NO_BUTTON = new Set(["test", "package", "io-entry", "node", "helper", "node-only"]);

    it("gives every block the docs' test runs a Run button, unless it needs what a browser lacks", () => {
      const list = documented();
      // Every run block of the pages, found here without the build's code.
      const runs = markdownFiles(root).flatMap((f) =>
        markdownBlocks(root, f)
          .filter((b) => TS_LANGS.has(b.lang) && b.mode === "run")
          .map((b) => b.where),
      );
      expect(list.map((p) => p.where).sort()).toEqual([...runs].sort());
      const buttons = list.filter((p) => p.program !== null);
      const reasons = new Map<string, string[]>();
      for (const p of list.filter((p) => p.program === null)) {
        expect(NO_BUTTON.has(p.category), `${p.where}: ${p.category}: ${p.reason}`).toBe(true);
        reasons.set(p.category, [...(reasons.get(p.category) ?? []), p.where]);
      }
      console.log(
        `site: ${list.length} blocks run by the docs' test, ${buttons.length} with a Run button; without: ${[
          ...reasons,
        ]
          .map(([c, ws]) => `${c} ${ws.length}`)
          .join(", ")}`,
      );
      expect(buttons.length).toBeGreaterThanOrEqual(RUN_BUTTONS_AT_LEAST);
      // Each has its button, on its page, opening its program on virtual time.
      const missing: string[] = [];
      for (const p of buttons) {
        const page =
          p.file === "README.md" ? "/overview" : `/${p.file.replace(/^docs\/|\.md$/g, "")}`;
        const html = readFileSync(fileFor(page) ?? "", "utf8");
        const href = `/playground#${encodeProgram({ code: p.program ?? "", virtual: true })}`;
        if (!html.includes(`href="${href.replaceAll("&", "&amp;")}"`))
          missing.push(`${p.where} (${page})`);
      }
      expect(missing).toEqual([]);
    });

    it("opens docs blocks with their Run buttons as whole programs, and runs them to their output", async () => {
      const list = documented();
      const find = (text: string): DocProgram => {
        const p = list.find((q) => q.code.includes(text) && q.program !== null);
        if (p === undefined) throw new Error(`no block with a Run button contains ${text}`);
        return p;
      };
      const samples = [
        // A coroutine block using placeholder helpers (download, slow, poll).
        { block: find("scope.cancelledCaught"), output: ["gave up"] },
        // A `continues` block: it runs after the block it continues defines `opened`.
        { block: find("enterAsyncContext(opened(name))"), output: ["2 open", "all closed"] },
        // A block that declares main() and never calls it: the test runs it, so does this.
        { block: find("powersOfTwo(5), (i)"), output: ["[ 1, 2, 4, 8, 16 ] [ 1, 2, 16 ]"] },
      ];
      const pageOf = (p: DocProgram): string =>
        p.file === "README.md" ? "/overview" : `/${p.file.replace(/^docs\/|\.md$/g, "")}`;
      const first = samples[0]?.block;
      if (first === undefined) throw new Error("no samples");
      const { page, errors } = await open(pageOf(first));
      let at = pageOf(first);
      for (const { block, output } of samples) {
        // Back to the same page in the browser's history: the site's router keeps the
        // playground's compiler loaded (a new page load would compile its WebAssembly again).
        if (block !== first && pageOf(block) === at) await page.goBack();
        else if (block !== first) await page.goto(origin + pageOf(block));
        at = pageOf(block);
        await page.waitForURL((u) => u.pathname === at);
        const href = `/playground#${encodeProgram({ code: block.program ?? "", virtual: true })}`;
        await page.locator(`a.run-in-playground[href="${href}"]`).click();
        await page.waitForURL(/\/playground#/);
        // The editor holds the program: Share puts what it holds in the address.
        await page.locator("#pg-share").click();
        const shared = decodeProgram(new URL(page.url()).hash);
        expect(shared, block.where).toEqual({ code: block.program, virtual: true });
        const { lines, status } = await runToEnd(page);
        expect(status, `${block.where}: ${lines.join("\n")}`).toMatch(
          /^Finished after .* of virtual time$/,
        );
        expect(lines, block.where).toEqual(output);
      }
      expect(errors).toEqual([]);
      await page.close();
    });

    it("runs the program of every Run button of the docs on virtual time without a failure", async () => {
      const programs = new Map<string, string>();
      for (const p of pages()) {
        const text = readFileSync(fileFor(p) ?? "", "utf8");
        for (const m of text.matchAll(/<a class="run-in-playground" href="([^"]+)"/g)) {
          programs.set((m[1] ?? "").replaceAll("&amp;", "&"), p);
        }
      }
      expect(programs.size).toBeGreaterThanOrEqual(RUN_BUTTONS_AT_LEAST);
      const { page, errors } = await open("/playground");
      const failures: string[] = [];
      for (const [href, from] of programs) {
        await page.goto(origin + href);
        await page.locator("label:has(#pg-virtual)").click();
        await page.locator("#pg-run:not([disabled])").click();
        const ended = await page
          .locator('#pg-status[data-state="idle"]')
          .waitFor({ timeout: 30_000 })
          .then(
            () => true,
            () => false,
          );
        if (!ended) {
          await page.locator("#pg-stop").click();
          await page.locator("#pg-stop").click();
          failures.push(`${from}: did not finish in 30 s`);
          continue;
        }
        const status = (await page.locator("#pg-status").textContent()) ?? "";
        // The page of common mistakes runs them on purpose: the library's message is the point.
        const demonstrated = from === "/common-mistakes" && status.startsWith("Failed");
        if (!status.startsWith("Finished") && !demonstrated) {
          const output = await page.locator("#pg-output").textContent();
          failures.push(`${from}: ${status}: ${output?.slice(0, 300)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });

    it("runs the walkthrough's examples on virtual time without a failure", async () => {
      const { page, errors } = await open("/playground");
      await page.locator("label:has(#pg-virtual)").click();
      const names = await page
        .locator("#pg-example option:not([disabled])")
        .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
      expect(names).toContain("producer_consumer");
      for (const name of names) {
        await page.locator("#pg-example").selectOption(name);
        const { lines, status } = await runToEnd(page);
        expect(status, `${name}: ${lines.join("\n")}`).toMatch(/^Finished after/);
        expect(lines.length, name).toBeGreaterThan(0);
      }
      expect(errors).toEqual([]);
      await page.close();
    });
  },
);
