/**
 * The documentation's examples compile and run, as `deno test --doc` checks Deno's: every
 * TypeScript block of README.md and docs/*.md, and every `@example` of the doc comments of
 * the package's exports, is type-checked in one program against the sources; every block
 * not marked `fragment: <reason>` or `type-error: <reason>` is then run, on the virtual-time
 * loop (on real time for a block marked `real-time: <reason>`). The conventions are in
 * docs/contributing.md; the extraction in test/doc_examples/.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ENTRIES, parseInfo, TS_LANGS, type WrappedBlock } from "./doc_examples/blocks.js";
import { CONTEXT_FILE, CONTEXT_SPECIFIER, collect, typeCheck } from "./doc_examples/check.js";
import { ExampleRedis, usesRedis } from "./doc_examples/redis.js";
import * as runtime from "./doc_examples/runtime.js";
import { pendingRuns, run, runningRealTime } from "./doc_examples/runtime.js";
import { takeRecordedTests } from "./doc_examples/vitest.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const collected = collect(root);
const diagnostics = typeCheck(root, collected);
const indexed = collected.wrapped.map((w, i) => ({ w, i, id: w.block.id }));

/**
 * The `@example` blocks that do not compile or run yet, each with what fails: they are
 * checked to fail still (a block that compiles now must leave the list) and are not run.
 * The list only shrinks: a new example must compile and run, or say why it cannot.
 */
const unfinished = new Map<string, string>();
for (const line of readFileSync(join(root, "test/doc_examples/unfinished.txt"), "utf8").split(
  "\n",
)) {
  if (line.trim() === "" || line.startsWith("#")) continue;
  const at = line.lastIndexOf(": ");
  unfinished.set(line.slice(0, at), line.slice(at + 2));
}

describe("the marks on documentation blocks", () => {
  it("give a reason for every fragment and type-error, and use no unknown attribute", () => {
    const bad = collected.blocks
      .filter((b) => b.markError !== undefined)
      .map((b) => `${b.where}: ${b.markError}`);
    expect(bad).toEqual([]);
  });

  it("read 'real-time: <reason>' as a block that runs, on real time; its reason is required", () => {
    expect(parseInfo("ts continues real-time: a fetch answered by this loop")).toEqual({
      lang: "ts",
      mode: "run",
      reason: "",
      continues: true,
      realTime: "a fetch answered by this loop",
    });
    expect(parseInfo("ts real-time").markError).toMatch(/'real-time' must give its reason/);
    expect(parseInfo("ts real-time:").markError).toMatch(/'real-time' must give its reason/);
    expect(parseInfo("ts realtime: x").markError).toMatch(/unknown info-string attribute/);
  });

  it("list as unfinished only @examples that exist, each with what fails", () => {
    const ids = new Map(collected.wrapped.map((w) => [w.block.id, w.block]));
    const bad = [...unfinished]
      .filter(([id, what]) => {
        const block = ids.get(id);
        return (
          block === undefined ||
          block.entry === undefined ||
          block.mode !== "run" ||
          (what !== "type-check" && what !== "run")
        );
      })
      .map(([id, what]) => `${id}: ${what}`);
    expect(bad).toEqual([]);
  });

  it("find the blocks of every page and of the doc comments of every entry", () => {
    const files = new Set(collected.wrapped.map((w) => w.block.file));
    expect(files).toContain("README.md");
    expect(files).toContain("docs/guide.md");
    // The portable entry re-exports the main entry's symbols: their examples count there.
    for (const file of Object.values(ENTRIES).filter((f) => f !== "src/portable.ts")) {
      const dir = file.replace(/\/index\.ts$/, "/");
      expect(
        [...files].some((f) => f === file || f.startsWith(dir)),
        file,
      ).toBe(true);
    }
    const ts = collected.blocks.filter((b) => TS_LANGS.has(b.lang));
    expect(collected.wrapped.length).toBe(ts.length);
  });
});

describe("documentation blocks type-check", () => {
  // A loop rather than it.each, which cuts titles to 40 characters: the ids are the names.
  for (const { w, i, id } of indexed)
    it(id, () => {
      const errors = (diagnostics[i] ?? []).map((d) => `line ${d.line}: ${d.message}`);
      if (unfinished.get(w.block.id) === "type-check") {
        const why = `${w.block.where} compiles now: remove it from test/doc_examples/unfinished.txt`;
        expect(errors.length, why).toBeGreaterThan(0);
      } else if (w.block.mode === "type-error") {
        expect(errors.length, `${w.block.where} is marked type-error but compiles`).toBeGreaterThan(
          0,
        );
      } else {
        expect(errors, `the block compiled as:\n${w.text}`).toEqual([]);
      }
    });
});

// Examples write files (`notes.txt`, `run.html`): they run in a directory of their own.
const outDir = join(root, "test-artifacts", `doc-examples-${process.pid}`);
mkdirSync(outDir, { recursive: true });
const cwd = process.cwd();
beforeAll(() => {
  process.chdir(outDir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(outDir, { recursive: true, force: true });
});

/** The block's module as it runs: `asyncio-ts` is the virtual-time one of runtime.ts. */
function runnableText(w: WrappedBlock): string {
  const target = (specifier: string): string => {
    if (specifier === "asyncio-ts") return join(root, "test/doc_examples/runtime.ts");
    if (specifier === CONTEXT_SPECIFIER) return join(root, CONTEXT_FILE);
    if (specifier === "vitest") return join(root, "test/doc_examples/vitest.ts");
    const file = ENTRIES[specifier];
    return file === undefined ? specifier : join(root, file);
  };
  return w.text.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(asyncio-ts[^"]*|vitest)"/g,
    (_, lead: string, specifier: string) => `${lead}${JSON.stringify(target(specifier))}`,
  );
}

const runnable = indexed.filter(({ w }) => w.block.mode === "run" && !unfinished.has(w.block.id));

// The examples that talk to Redis get a redis-server of their own (test/doc_examples/redis.ts).
const redis = new ExampleRedis();
const redisRuns = runnable.some(({ w }) => usesRedis(w)) && ExampleRedis.available();

describe("documentation blocks run", () => {
  beforeAll(async () => {
    if (redisRuns) await redis.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  for (const { w, i, id } of runnable)
    it(id, async ({ skip }) => {
      skip(usesRedis(w) && !redisRuns, "redis-server is not installed");
      const file = join(outDir, `block${i}.mts`);
      writeFileSync(file, runnableText(w));
      const output: string[] = [];
      const capture = (...args: unknown[]): void => {
        output.push(args.map(String).join(" "));
      };
      vi.spyOn(console, "log").mockImplementation(capture);
      vi.spyOn(console, "error").mockImplementation(capture);
      vi.spyOn(console, "warn").mockImplementation(capture);
      runningRealTime(w.block.realTime !== undefined);
      try {
        const module = (await import(pathToFileURL(file).href)) as {
          __example?: () => Generator;
          __main?: () => Generator;
        };
        if (module.__example !== undefined) await run(module.__example() as never);
        if (module.__main !== undefined) await run(module.__main() as never);
        await Promise.all(pendingRuns());
        for (const { body } of takeRecordedTests()) await body();
      } finally {
        runningRealTime(false);
        vi.restoreAllMocks();
      }
      if (usesRedis(w)) await redis.expectClean();
    }, 10_000);
});

describe("the loops blocks run on", () => {
  // What the harness promises a block: a virtual clock that holds while outside work is
  // pending (a socket read here), however long that work takes in real time; real time
  // under `real-time:`.
  it("hold the virtual clock while a read waits on a socket whose data comes late", async () => {
    const events: string[] = [];
    const loopName = await run(
      (function* () {
        const server = yield* runtime.startServer(
          function* (_reader, writer) {
            // The answer comes after 0.3 s of real time: three times the library's patience.
            yield* runtime.fromPromise(new Promise((r) => setTimeout(r, 300)));
            writer.write(Buffer.from("late\n"));
            writer.close();
          },
          "127.0.0.1",
          0,
        );
        const [, port] = server.sockets[0]!.getsockname();
        const [reader, writer] = yield* runtime.openConnection("127.0.0.1", port);
        const timer = runtime.createTask(
          (function* () {
            yield* runtime.sleep(60);
            events.push("60 s timer");
          })(),
        );
        events.push((yield* reader.readline()).toString().trim());
        timer.cancel();
        writer.close();
        server.close();
        return runtime.getRunningLoop().constructor.name;
      })(),
    );
    expect(loopName).toBe("VirtualEventLoop");
    expect(events).toEqual(["late"]);
  });

  // Outside work that waits on the loop's own timers: a promise a timer of this loop resolves.
  function* waitOnOwnTimer() {
    const loop = runtime.getRunningLoop();
    yield* runtime.fromPromise(
      new Promise<void>((resolve) => {
        loop.callLater(0.05, resolve);
      }),
    );
    return "answered";
  }

  it("cancel a block whose outside work waits on its own loop, naming the real-time mark", async () => {
    const restore = runtime.limitRealTime(300);
    let promise: Promise<string>;
    try {
      promise = run(waitOnOwnTimer());
    } finally {
      restore();
    }
    await expect(promise).rejects.toThrow(
      /waited on outside work for more than 0.3 s of real time .* mark the block 'real-time: <reason>'/,
    );
  });

  it("run such a block, marked real-time, on real time: its timer fires", async () => {
    runningRealTime(true);
    let promise: Promise<string>;
    try {
      promise = run(waitOnOwnTimer());
    } finally {
      runningRealTime(false);
    }
    expect(await promise).toBe("answered");
  });

  it("run a real-time block's asyncio.run() on the NodeEventLoop", async () => {
    runningRealTime(true);
    let promise: Promise<string>;
    try {
      promise = run(
        (function* () {
          return runtime.getRunningLoop().constructor.name;
        })(),
      );
    } finally {
      runningRealTime(false);
    }
    expect(await promise).toBe("NodeEventLoop");
    expect(
      await run(
        (function* () {
          return runtime.getRunningLoop().constructor.name;
        })(),
      ),
    ).toBe("VirtualEventLoop");
  });
});
