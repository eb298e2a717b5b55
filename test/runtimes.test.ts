/**
 * The runtimes: the portable behaviour suites and the walkthrough examples, bundled
 * (test/runtimes/build.ts) and run on Deno 2 and Bun (the main entry, as they resolve it)
 * and in headless Chromium, in a page and in a Web Worker (the portable entry). Node runs
 * the portable bundle too, as the reference every runtime's example output must equal.
 *
 * A runtime that is not installed is skipped with a printed reason; with
 * ASYNCIO_TS_REQUIRE_ALL=1 (set by .ci/run) it fails instead. Deno and Bun come from the
 * devDependencies `deno` and `bun` (their platform binaries, from npm), Chromium from the
 * system (`apt-get install -y chromium`), driven by playwright-core (test/runtimes/tools.ts).
 * test/runtime_checks.test.ts type-checks the sources with Deno and runs the browser
 * example in Chromium.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildRuntimeBundles, REPORT_MARKER, type RuntimeBundles } from "./runtimes/build.js";
import type { RuntimeReport } from "./runtimes/suite.js";
import {
  available,
  BUN,
  CHROMIUM,
  chromiumMissing,
  DENO,
  inChromium,
  playwright,
  ROOT,
  RUN_TIMEOUT_MS,
  runProcess,
} from "./runtimes/tools.js";

/** The report a runtime printed. */
function parseReport(stdout: string): RuntimeReport {
  const line = stdout.split("\n").find((l) => l.startsWith(REPORT_MARKER));
  if (line === undefined) throw new Error(`no report in the output:\n${stdout.slice(-4000)}`);
  return JSON.parse(line.slice(REPORT_MARKER.length)) as RuntimeReport;
}

/**
 * Tests written for V8 that JavaScriptCore (Bun) may answer differently, and why. They may
 * fail on Bun (each one that does is printed with its reason); any other failure fails.
 */
const JSC_DIFFERENCES: Record<string, string> = {
  "await chains deeper than V8's stack > a 10,000-deep plain chain fails with a RangeError that names coroutine()":
    "JavaScriptCore's stack holds a 10,000-deep plain chain: there is no overflow to explain",
  "await chains deeper than V8's stack > the explained error is thrown into the coroutine() frame awaiting the chain":
    "the same: no overflow on JavaScriptCore",
  "await chains deeper than V8's stack > an overflow that is not an await chain keeps V8's own error":
    "JavaScriptCore's message ends with a period",
  "results and errors > awaiting a non-awaitable → TypeError naming what was given":
    "the engine's own TypeError for `yield*` of a non-iterable: JavaScriptCore's does not name the value",
  "sleep(delay > 0): the task is its own timer > many cancelled sleepers: the heap compacts their stale entries and lets the tasks go":
    "JavaScriptCore's collector scans the stack conservatively: a dropped task may stay reachable a while",
};

/** What every runtime must report: the suites green, the examples as on Node. */
function expectGreen(
  report: RuntimeReport,
  reference: RuntimeReport,
  allowed: Record<string, string> = {},
): void {
  const unexpected = report.failed.filter((f) => !(f.name in allowed));
  expect(unexpected, `${report.runtime}: failing tests`).toEqual([]);
  for (const f of report.failed) {
    console.warn(
      `runtimes: ${report.runtime}: known engine difference: ${f.name}: ${allowed[f.name]}`,
    );
  }
  expect(report.passed).toBeGreaterThan(400);
  expect(report.passed + report.skipped + report.failed.length).toBe(
    reference.passed + reference.skipped + reference.failed.length,
  );
  expect(report.examples).toEqual(reference.examples);
}

let bundles: RuntimeBundles;
let reference: RuntimeReport;
const outDir = join(ROOT, "node_modules/.cache/asyncio-ts-runtimes");

beforeAll(async () => {
  bundles = await buildRuntimeBundles(outDir);
  // The reference: the same portable bundle on Node.
  reference = parseReport(
    await runProcess(process.execPath, ["--expose-gc", bundles.portable], outDir),
  );
}, RUN_TIMEOUT_MS);

describe("the runtime suite on Node (the reference)", () => {
  it("passes every suite and prints every example", () => {
    expect(reference.failed).toEqual([]);
    expect(reference.passed).toBeGreaterThan(400);
    expect(Object.keys(reference.examples)).toHaveLength(11);
    for (const [name, lines] of Object.entries(reference.examples)) {
      expect(lines.length, name).toBeGreaterThan(0);
      expect(
        lines.filter((l) => l.startsWith("error:")),
        name,
      ).toEqual([]);
    }
    expect(reference.realTime).toEqual({
      loop: "NodeEventLoop",
      trace: ["early", "late", "timed out", "event"],
    });
  });

  it("runs every walkthrough example without I/O, and names the rest", () => {
    const index = readFileSync(join(ROOT, "examples/index.ts"), "utf8");
    const all = [...index.matchAll(/name: "([a-z_]+)"/g)].map((m) => m[1]);
    const withIO = [
      "site_status",
      "site_checker",
      "subprocess_pipeline",
      "echo_server",
      "chat_server",
    ];
    expect(all.filter((n) => !withIO.includes(n as string)).sort()).toEqual(
      Object.keys(reference.examples).sort(),
    );
  });
});

describe.concurrent("the runtime suite on Deno, Bun (the main entry) and Chromium (the portable one)", () => {
  it.runIf(available("Deno", DENO === undefined ? "no deno executable" : undefined))(
    "Deno: the suites pass, the examples print as on Node, run() uses NodeEventLoop",
    async () => {
      expect(DENO, "deno executable").toBeDefined();
      const stdout = await runProcess(
        DENO as string,
        ["run", "-A", "--v8-flags=--expose-gc", bundles.full],
        outDir,
      );
      const report = parseReport(stdout);
      expect(report.runtime).toBe("deno/full");
      expectGreen(report, reference);
      expect(report.realTime).toEqual(reference.realTime);
    },
    RUN_TIMEOUT_MS,
  );

  it.runIf(available("Bun", BUN === undefined ? "no bun executable" : undefined))(
    "Bun: the suites pass but for V8-only tests, the examples print as on Node",
    async () => {
      expect(BUN, "bun executable").toBeDefined();
      const report = parseReport(await runProcess(BUN as string, ["run", bundles.full], outDir));
      expect(report.runtime).toBe("bun/full");
      expectGreen(report, reference, JSC_DIFFERENCES);
      expect(report.realTime).toEqual(reference.realTime);
    },
    RUN_TIMEOUT_MS,
  );

  it.runIf(available("Chromium", chromiumMissing))(
    "Chromium, in a page and in a Web Worker: the suites pass, the examples print as on Node",
    async () => {
      expect(CHROMIUM, "chromium executable").toBeDefined();
      expect(playwright, "playwright-core").toBeDefined();
      const reports = await runInChromium(
        playwright as typeof import("playwright-core"),
        CHROMIUM as string,
        readFileSync(bundles.portable, "utf8"),
      );
      for (const [where, report] of Object.entries(reports)) {
        expect(report.runtime, where).toBe(`chromium-${where}/portable`);
        expectGreen(report, reference);
        expect(report.realTime).toEqual({ ...reference.realTime, loop: "BrowserEventLoop" });
      }
    },
    RUN_TIMEOUT_MS,
  );
});

/**
 * Runs the bundle in a page and in a module Web Worker that page starts, both loading it
 * from a local static server (as a real page would; a worker started from a `blob:` URL
 * could not resolve URLs relative to its module).
 */
async function runInChromium(
  pw: typeof import("playwright-core"),
  executablePath: string,
  bundle: string,
): Promise<{ page: RuntimeReport; worker: RuntimeReport }> {
  const files = {
    "/": {
      body: '<!doctype html><title>asyncio-ts</title><script type="module" src="/suite.mjs"></script>',
      contentType: "text/html",
    },
    "/suite.mjs": { body: bundle, contentType: "text/javascript" },
  };
  return inChromium(pw, executablePath, files, async (page) => {
    await page.waitForFunction(
      () => (globalThis as { __asyncioReport?: unknown }).__asyncioReport !== undefined,
      null,
      { timeout: RUN_TIMEOUT_MS, polling: 100 },
    );
    const pageReport = (await page.evaluate(
      () => (globalThis as { __asyncioReport?: unknown }).__asyncioReport,
    )) as RuntimeReport;
    const workerReport = (await page.evaluate(() => {
      // In the page, where `Worker` exists (Node's types do not declare it).
      const PageWorker = (
        globalThis as unknown as {
          Worker: new (
            url: string,
            options: { type: "module" },
          ) => {
            onmessage: ((e: { data: unknown }) => void) | null;
            onerror: ((e: { message: string }) => void) | null;
          };
        }
      ).Worker;
      const worker = new PageWorker("/suite.mjs", { type: "module" });
      return new Promise<unknown>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      });
    })) as RuntimeReport;
    return { page: pageReport, worker: workerReport };
  });
}
