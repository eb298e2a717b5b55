/**
 * The HTML timeline in a real browser: Debian's headless Chromium, driven by
 * playwright-core (never a downloaded browser). The page must render without console
 * errors, show one lane per task, and zoom; screenshots are written to test-artifacts/
 * (gitignored) for a human to look at.
 *
 * Needs /usr/bin/chromium (or CHROMIUM_PATH): skipped without it, with the reason printed;
 * a failure instead when ASYNCIO_TS_REQUIRE_ALL=1 (CI installs chromium and sets it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as chainMain } from "../examples/chain.js";
import { main as countasyncMain } from "../examples/countasync.js";
import * as asyncio from "../src/index.js";
import { available, CHROMIUM, CHROMIUM_FLAGS, chromiumMissing } from "./runtimes/tools.js";

const ready = available("Chromium timeline", chromiumMissing);

const root = fileURLToPath(new URL("..", import.meta.url));
const artifacts = join(root, "test-artifacts");

async function record<T>(main: asyncio.Coroutine<T>): Promise<asyncio.Timeline> {
  const timeline = new asyncio.Timeline();
  const log = console.log;
  console.log = () => {};
  try {
    await asyncio.run(main, {
      loopFactory: () => timeline.observe(new asyncio.VirtualEventLoop()),
    });
  } finally {
    console.log = log;
  }
  return timeline;
}

describe.skipIf(!ready)("the HTML timeline in headless Chromium", { timeout: 120_000 }, () => {
  let profile = "";
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>>;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), "asyncio-ts-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM ?? "chromium",
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1100, height: 420 },
      offline: true,
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile !== "") rmSync(profile, { recursive: true, force: true });
  });

  async function open(timeline: asyncio.Timeline, name: string) {
    const file = join(artifacts, `${name}.html`);
    writeFileSync(file, timeline.toHTML({ title: `asyncio-ts: ${name}` }));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    return { page, errors };
  }

  it("renders countasync with one lane per task, nested under main, and no console error", async () => {
    const tl = await record(countasyncMain());
    const { page, errors } = await open(tl, "countasync-timeline");
    const lanes = page.locator(".lane");
    expect(await lanes.count()).toBe(tl.tasks().length);
    const names = await lanes.evaluateAll((els) => els.map((e) => e.getAttribute("data-task")));
    expect(names).toEqual(tl.tasks().map((l) => l.name));
    // The three counts are children of main's node.
    expect(await page.locator(".node > .children > .node > .lane").count()).toBe(3);
    // Each count sleeps once: one shaded wait per count lane.
    const sleeps = page.locator('.node > .children .lane .wait[data-kind="sleep"]');
    expect(await sleeps.count()).toBe(3);
    // Ticks are drawn by the page's script.
    expect(await page.locator(".tick").count()).toBeGreaterThan(1);
    await page.screenshot({ path: join(artifacts, "countasync-timeline.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("zooms: the timeline gets wider and scrolls, and fits again", async () => {
    const tl = await record(chainMain());
    const { page, errors } = await open(tl, "chain-timeline");
    const width = () => page.locator("#timeline").evaluate((e) => e.scrollWidth);
    const before = await width();
    await page.click("#zoom-in");
    await page.click("#zoom-in");
    expect(await width()).toBeGreaterThan(before * 2);
    await page.click("#zoom-reset");
    expect(await width()).toBe(before);
    await page.screenshot({ path: join(artifacts, "chain-timeline.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
