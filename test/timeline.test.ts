/**
 * Timelines: recorded on the virtual-time loop, so every span is exact and reproducible;
 * the command's --timeline/--trace through the built CLI.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main as chainMain } from "../examples/chain.js";
import { main as countasyncMain } from "../examples/countasync.js";
import { recordChain } from "../examples/record_timeline.js";
import { takeRecordingOptions } from "../src/cli/recording.js";
import * as asyncio from "../src/index.js";

async function record<T>(main: asyncio.Coroutine<T>): Promise<asyncio.Timeline> {
  const timeline = new asyncio.Timeline();
  await asyncio.run(main, { loopFactory: () => timeline.observe(new asyncio.VirtualEventLoop()) });
  return timeline;
}

function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  return fn().finally(() => {
    console.log = log;
  });
}

describe("Timeline", () => {
  it("records countasync: main and three counts, each running, sleeping 1 s, running", async () => {
    const tl = await quietly(() => record(countasyncMain()));
    const lanes = tl.tasks().filter((l) => l.parent !== null || l.id === 1);
    expect(lanes.map((l) => l.parent)).toEqual([null, 1, 1, 1]);
    for (const count of lanes.slice(1)) {
      expect(count.waits.map((w) => [w.kind, w.start, w.end])).toEqual([["sleep", 0, 1]]);
      expect(count.steps).toHaveLength(2);
      expect(count.outcome).toBe("result");
      expect(count.end).toBe(1);
    }
    expect(lanes[0]?.waits.map((w) => w.kind)).toEqual(["gather"]);
    expect(tl.duration()).toBe(1);
  });

  it("nests a TaskGroup's children under it, and marks cancellations and failures", async () => {
    function* fails(): asyncio.Coroutine<never> {
      yield* asyncio.sleep(1);
      throw new Error("disk full");
    }
    function* main(): asyncio.Coroutine<void> {
      try {
        yield* asyncio.withTaskGroup(function* (tg) {
          tg.createTask(asyncio.sleep(5), { name: "slow" });
          tg.createTask(fails(), { name: "fails" });
        });
      } catch (e) {
        if (!(e instanceof asyncio.ExceptionGroup)) throw e;
      }
    }
    const tl = await record(main());
    const slow = tl.tasks().find((l) => l.name === "slow");
    const failing = tl.tasks().find((l) => l.name === "fails");
    expect(tl.groups()).toHaveLength(1);
    expect(slow?.group).toBe(1);
    expect(failing?.group).toBe(1);
    expect(slow?.outcome).toBe("cancelled");
    expect(slow?.cancels).toEqual([{ at: 1, by: null, message: null }]);
    expect(failing?.outcome).toBe("error");
    expect(failing?.error).toBe("Error: disk full");
    const html = tl.toHTML();
    expect(html).toMatch(/<div class="group" data-group="TaskGroup #1">.*data-task="slow"/s);
    expect(html).toContain('class="mark cancel"');
    expect(html).toContain('class="mark end-error"');
    expect(html).toContain("failed: Error: disk full");
  });

  it("writes Chrome trace events: a named thread per task, steps and waits as complete events", async () => {
    const tl = await quietly(() => record(chainMain()));
    const { traceEvents } = tl.toTraceEvents();
    const threads = traceEvents.filter((e) => e.name === "thread_name").map((e) => e.args?.name);
    expect(threads).toHaveLength(tl.tasks().length);
    const waits = traceEvents.filter((e) => e.cat === "wait");
    expect(waits.length).toBeGreaterThan(0);
    for (const e of traceEvents) {
      if (e.ph === "X") expect(e.dur).toBeGreaterThanOrEqual(0);
    }
    // Every chain sleeps twice; the longest chain ends at the total time.
    expect(Math.max(...waits.map((w) => w.ts + (w.dur ?? 0)))).toBeCloseTo(tl.duration() * 1e6, 0);
  });

  it("draws text lanes: a row per task, steps, sleeps and an axis", async () => {
    const tl = await quietly(() => record(countasyncMain()));
    const text = tl.toText({ width: 20 });
    const rows = text.split("\n");
    expect(rows).toHaveLength(tl.tasks().length + 1);
    expect(rows[1]).toMatch(/^ {2}Task-\d+ +│█·+█ *│$/);
    expect(rows.at(-1)).toMatch(/0 +1\.00 s$/);
    expect(() => tl.toText({ width: 3 })).toThrow(/'width' must be an integer >= 10: received 3/);
    expect(() => tl.toText({ span: -1 })).toThrow(/'span' must be a number >= 0: received -1/);
    expect(tl.toText({ width: 20, span: 4 }).split("\n")[1]).toMatch(/│█·+█ {14,16}│$/);
  });

  it("records from inside a coroutine, and stops", async () => {
    const tl = new asyncio.Timeline();
    function* main(): asyncio.Coroutine<void> {
      tl.observe();
      yield* asyncio.sleep(1);
      expect(tl.stop()).toBe(true);
      yield* asyncio.sleep(1);
    }
    await asyncio.run(main(), { loopFactory: () => new asyncio.VirtualEventLoop() });
    expect(tl.tasks()).toHaveLength(1);
    expect(tl.tasks()[0]?.end).toBeNull();
    expect(tl.stop()).toBe(false);
    expect(() => new asyncio.Timeline().observe()).toThrow(/no running event loop/);
  });

  it("records the steps of a cancelled run up to the cancellation", async () => {
    const tl = new asyncio.Timeline();
    const run = asyncio.run(asyncio.sleep(100), {
      loopFactory: () => {
        const loop = tl.observe(new asyncio.VirtualEventLoop());
        loop.callLater(3, () => {
          for (const t of asyncio.allTasks()) t.cancel("stop");
        });
        return loop;
      },
    });
    await expect(run).rejects.toBeInstanceOf(asyncio.CancelledError);
    const main = tl.tasks()[0];
    expect(main?.cancels).toEqual([{ at: 3, by: null, message: "stop" }]);
    expect(main?.outcome).toBe("cancelled");
  });
});

describe("examples/record_timeline.ts", () => {
  it("records the chained example and writes its page and trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-example-"));
    try {
      const lanes = await quietly(() => recordChain(dir));
      expect(lanes.split("\n").at(-1)).toMatch(/0 +3\.10 s$/);
      expect(readFileSync(join(dir, "chain.html"), "utf8")).toContain("chained coroutines");
      const trace = JSON.parse(readFileSync(join(dir, "chain.trace.json"), "utf8"));
      expect(trace.displayTimeUnit).toBe("ms");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("asyncio-ts demo lanes", () => {
  const root = fileURLToPath(new URL("..", import.meta.url));

  it("draws synchronous and countasync as lanes on one scale", { timeout: 120_000 }, async () => {
    const child = spawn(
      process.execPath,
      [join(root, "dist/src/cli/main.js"), "demo", "--virtual", "synchronous", "countasync"],
      { cwd: root, env: { ...process.env, NO_COLOR: "1" } },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
    const lines = out.split("\n");
    const sync = lines.indexOf("  synchronous:");
    const conc = lines.indexOf("  countasync:");
    expect(sync).toBeGreaterThan(0);
    // Blocking: the three counts run one after the other, no sleeping.
    const syncRows = lines.slice(sync + 2, sync + 5);
    expect(syncRows.map((r) => r.indexOf("█"))).toEqual(
      [...syncRows.map((r) => r.indexOf("█"))].sort((a, b) => a - b),
    );
    expect(new Set(syncRows.map((r) => r.indexOf("█"))).size).toBe(3);
    // Concurrent: the three start together, sleep, and end at a third of the scale.
    const concRows = lines.slice(conc + 2, conc + 5);
    expect(new Set(concRows.map((r) => r.replace(/^ *Task-\d+ */, ""))).size).toBe(1);
    expect(concRows[0]).toMatch(/│█·+█ +│$/);
    expect(out).toContain("█ running   · sleeping (the loop runs others)");
  });
});

describe("asyncio-ts run --timeline --trace", () => {
  const root = fileURLToPath(new URL("..", import.meta.url));

  it("takes its file options before FILE only, and refuses a missing file name", () => {
    expect(
      takeRecordingOptions(["--timeline", "a.html", "--trace=b.json", "x.ts", "--trace", "c"]),
    ).toEqual({
      recording: { timeline: "a.html", trace: "b.json" },
      argv: ["x.ts", "--trace", "c"],
    });
    expect(() => takeRecordingOptions(["--timeline"])).toThrow(/--timeline needs a file name/);
    expect(() => takeRecordingOptions(["--trace", "--virtual"])).toThrow(
      /--trace needs a file name/,
    );
  });

  it("writes the HTML timeline and the trace of a program", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-timeline-"));
    try {
      const html = join(dir, "t.html");
      const trace = join(dir, "t.json");
      const child = spawn(
        process.execPath,
        [
          join(root, "dist/src/cli/main.js"),
          "run",
          "--virtual",
          "--timeline",
          html,
          "--trace",
          trace,
          "examples/countasync.ts",
        ],
        { cwd: root },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(stderr).toMatch(/timeline: \d+ tasks written to/);
      expect(code).toBe(0);
      const page = readFileSync(html, "utf8");
      expect(page.match(/class="lane"/g)?.length).toBeGreaterThanOrEqual(4);
      const json = JSON.parse(readFileSync(trace, "utf8")) as { traceEvents: unknown[] };
      expect(json.traceEvents.length).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
