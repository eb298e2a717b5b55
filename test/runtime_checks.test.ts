/**
 * Checks on each runtime that need no bundled suite: `deno check --all` type-checks the
 * sources and examples with Deno's own lib (deno.json), and the browser example
 * (examples/browser), bundled as a user would, runs in headless Chromium, in its page and
 * in the Web Worker the page starts, served by a local static server.
 *
 * A runtime that is not installed is skipped with a printed reason; with
 * ASYNCIO_TS_REQUIRE_ALL=1 (set by .ci/run) it fails instead (test/runtimes/tools.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  available,
  CHROMIUM,
  CHROMIUM_FLAGS,
  chromiumMissing,
  DENO,
  playwright,
  ROOT,
  RUN_TIMEOUT_MS,
  runProcess,
} from "./runtimes/tools.js";

describe("Deno's type check", () => {
  it.runIf(available("Deno", DENO === undefined ? "no deno executable" : undefined))(
    "Deno: `deno check --all` type-checks the sources and examples (deno.json) with Deno's lib",
    async () => {
      expect(DENO, "deno executable").toBeDefined();
      // Rejects, with Deno's diagnostics, on any type error; prints nothing else on stdout.
      const stdout = await runProcess(DENO as string, ["check", "--all", "--quiet"], ROOT);
      expect(stdout).toBe("");
    },
    RUN_TIMEOUT_MS,
  );
});

/** What examples/browser/main.ts prints, in the page and in its worker alike. */
const BROWSER_EXAMPLE_LINES = [
  "loop: BrowserEventLoop",
  "big.bin: started",
  "small.txt: started",
  "small.txt: done after 0.01s",
  "big.bin: done after 0.03s",
  "sizes: 7, 9",
  "never.iso: started",
  "never.iso: timed out",
  "worker B: job 1 finished",
  "worker B: job 2 finished",
  "worker A: job 6 finished",
  "queue: all jobs done",
  "host work ran while the loop was busy: yes",
];

describe("the browser example (examples/browser) in Chromium", () => {
  it.runIf(available("Chromium", chromiumMissing))(
    "its page and the Web Worker it starts print the walkthrough on BrowserEventLoop",
    async () => {
      expect(CHROMIUM, "chromium executable").toBeDefined();
      expect(playwright, "playwright-core").toBeDefined();
      // As a user would: bundled for the browser, from the page's own directory.
      const built = await build({
        absWorkingDir: ROOT,
        entryPoints: ["examples/browser/main.ts"],
        bundle: true,
        format: "esm",
        platform: "browser",
        target: "es2022",
        write: false,
        logLevel: "silent",
      });
      expect(built.warnings).toEqual([]);
      const files: Record<string, { body: string; contentType: string }> = {
        "/": {
          body: readFileSync(join(ROOT, "examples/browser/index.html"), "utf8"),
          contentType: "text/html",
        },
        "/main.js": { body: built.outputFiles[0]?.text ?? "", contentType: "text/javascript" },
      };
      const lines = await inChromium(
        playwright as typeof import("playwright-core"),
        CHROMIUM as string,
        files,
        async (page) => {
          await page.waitForFunction(
            () =>
              (globalThis as unknown as { document: { body: { dataset: { done?: string } } } })
                .document.body.dataset.done !== undefined,
            null,
            { timeout: RUN_TIMEOUT_MS, polling: 50 },
          );
          return page.evaluate(() => {
            const doc = (
              globalThis as unknown as {
                document: {
                  body: { dataset: { done?: string } };
                  querySelectorAll(s: string): ArrayLike<{ textContent: string | null }>;
                };
              }
            ).document;
            const list = (id: string) =>
              Array.from(doc.querySelectorAll(`#${id}-lines li`), (li) => li.textContent ?? "");
            return { done: doc.body.dataset.done, page: list("page"), worker: list("worker") };
          });
        },
      );
      expect(lines).toEqual({
        done: "ok",
        page: BROWSER_EXAMPLE_LINES,
        worker: BROWSER_EXAMPLE_LINES,
      });
    },
    RUN_TIMEOUT_MS,
  );
});

/**
 * Serves `files` (by path) from a local HTTP server, as a static server would, opens its
 * root in Chromium and hands the page to `drive`. Workers the page starts load their
 * scripts from the same server.
 */
async function inChromium<T>(
  pw: typeof import("playwright-core"),
  executablePath: string,
  files: Record<string, { body: string; contentType: string }>,
  drive: (page: Page) => Promise<T>,
): Promise<T> {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://localhost").pathname];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.contentType }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const userDataDir = mkdtempSync(join(tmpdir(), "asyncio-ts-chromium-"));
  const context = await pw.chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  const errors: string[] = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text().slice(0, 2000));
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    return await drive(page);
  } catch (e) {
    throw new Error(`Chromium run failed; console errors:\n${errors.join("\n")}`, { cause: e });
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  }
}
