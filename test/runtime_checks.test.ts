/**
 * Checks on each runtime that need no bundled suite: `deno check --all` type-checks the
 * sources and examples with Deno's own lib (deno.json), and the browser example
 * (examples/browser), bundled as a user would, runs in headless Chromium, in its page and
 * in the Web Worker the page starts, served by a local static server.
 *
 * A runtime that is not installed is skipped with a printed reason; with
 * ASYNCIO_TS_REQUIRE_ALL=1 (set by .ci/run) it fails instead (test/runtimes/tools.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import {
  available,
  CHROMIUM,
  chromiumMissing,
  DENO,
  inChromium,
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

/**
 * What examples/browser/main.ts prints, in the page and in its worker alike. Its sleeps run
 * on real time, 0.3–0.4 s apart where the order of two of them shows, so that a loaded
 * machine does not swap them.
 */
const BROWSER_EXAMPLE_LINES = [
  "loop: BrowserEventLoop",
  "big.bin: started",
  "small.txt: started",
  "small.txt: done after 0.1s",
  "big.bin: done after 0.5s",
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
