/**
 * The portable entry (src/portable.ts): everything that needs no I/O, loading no `node:`
 * module and nothing of src/io, so that a bundler targeting the browser resolves it with no
 * stub and no warning. The main entry is the same API with the loops and runner that have
 * I/O.
 */
import { build } from "esbuild";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as full from "../src/index.js";
import * as portable from "../src/portable.js";
import { bundleForBrowser } from "./fixtures/bundle.js";

const ENTRY = new URL("../src/portable.ts", import.meta.url).pathname;

/** The names whose main-entry value has I/O where the portable one has none. */
const WITH_IO = ["NodeEventLoop", "VirtualEventLoop", "Runner", "run", "newEventLoop"];

describe("the portable entry's module graph", () => {
  it("bundles for the browser with no node: import, nothing of src/io, no warning", async () => {
    const { inputs, imports, text } = await bundleForBrowser(ENTRY);
    expect(inputs.length).toBeGreaterThan(20);
    expect(inputs.filter((f) => f.includes("src/io/") || f.startsWith("node:"))).toEqual([]);
    expect(imports.filter((p) => p.startsWith("node:") || p.includes("/io/"))).toEqual([]);
    expect(text).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("fails that check when a node: import creeps in (the check can fail)", async () => {
    const result = await build({
      stdin: { contents: 'export * from "./src/portable.ts"; export { cpus } from "node:os";' },
      absWorkingDir: new URL("..", import.meta.url).pathname,
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
    }).catch((e: { errors: Array<{ text: string }> }) => e);
    expect("errors" in result && result.errors.length).toBeGreaterThan(0);
  });
});

describe("the portable API", () => {
  it("is the main entry's API without the I/O, and the same objects where no I/O is involved", () => {
    const missing = Object.keys(portable).filter((k) => !(k in full));
    expect(missing).toEqual([]);
    const fullEntries = new Map(Object.entries(full));
    for (const [name, value] of Object.entries(portable)) {
      if (WITH_IO.includes(name)) continue;
      expect(fullEntries.get(name), name).toBe(value);
    }
    // What only the main entry has is I/O (and its EventLoop alias).
    const onlyFull = Object.keys(full).filter((k) => !(k in portable));
    for (const name of ["openConnection", "IOEventLoop", "toThread", "EventLoop"]) {
      expect(onlyFull).toContain(name);
    }
    for (const name of ["sleep", "TaskGroup", "Queue", "timeout", "ContextVar", "fromPromise"]) {
      expect(onlyFull).not.toContain(name);
    }
  });

  it("the main entry's loops and Runner are the portable ones with I/O", () => {
    expect(full.NodeEventLoop.prototype).toBeInstanceOf(portable.NodeEventLoop);
    expect(full.VirtualEventLoop.prototype).toBeInstanceOf(portable.VirtualEventLoop);
    expect(full.Runner.prototype).toBeInstanceOf(portable.Runner);
    expect(new full.NodeEventLoop().toString()).toBe("<NodeEventLoop idle debug=false>");
  });

  it("run() gives a loop without I/O: I/O fails at the call, naming the loop", async () => {
    function* main() {
      const loop = portable.getRunningLoop();
      let error: unknown;
      try {
        yield* full.openConnection("127.0.0.1", 1);
      } catch (e) {
        error = e;
      }
      return { loop, error };
    }
    const { loop, error } = await portable.run(main());
    expect(loop).toBeInstanceOf(portable.NodeEventLoop);
    expect(loop).not.toBeInstanceOf(full.IOEventLoop);
    expect(error).toBeInstanceOf(portable.NotImplementedError);
    expect((error as Error).message).toMatch(/^NodeEventLoop without I\/O: createConnection\(\)/);
  });

  it("the main entry's run() and newEventLoop() still give the loop with I/O", async () => {
    const loop = await full.run(
      (function* () {
        yield* full.sleep(0);
        return full.getRunningLoop();
      })(),
    );
    expect(loop).toBeInstanceOf(full.NodeEventLoop);
    expect(loop).toBeInstanceOf(full.IOEventLoop);
    const fresh = full.newEventLoop();
    expect(fresh).toBeInstanceOf(full.IOEventLoop);
    fresh.close();
    const runner = new full.Runner();
    expect(runner.getLoop()).toBeInstanceOf(full.NodeEventLoop);
    await runner.close();
  });

  it("a loopFactory given to the main entry's run() is used as given", async () => {
    const loop = await full.run(
      (function* () {
        yield* full.sleep(10);
        return full.getRunningLoop();
      })(),
      { loopFactory: () => new portable.VirtualEventLoop() },
    );
    expect(loop).toBeInstanceOf(portable.VirtualEventLoop);
    expect(loop).not.toBeInstanceOf(full.IOEventLoop);
    await expect(full.run(full.sleep(0), { loopFactory: 3 as never })).rejects.toThrow(
      /Runner\(\): 'loopFactory' must be a function returning a loop: received 3/,
    );
  });
});

describe("the default loop where the host has no setImmediate (browsers, workers)", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("newEventLoop() makes a BrowserEventLoop", () => {
    vi.stubGlobal("setImmediate", undefined);
    const loop = portable.newEventLoop();
    expect(loop).toBeInstanceOf(portable.BrowserEventLoop);
    loop.close();
  });

  it("NodeEventLoop refuses to be made, saying which loop to use", () => {
    vi.stubGlobal("setImmediate", undefined);
    expect(() => new portable.NodeEventLoop()).toThrow(
      new portable.RuntimeError(
        "NodeEventLoop() needs setImmediate, which Node, Deno and Bun have: in a browser or " +
          "a Web Worker use BrowserEventLoop",
      ),
    );
  });

  it("VirtualEventLoop runs, woken through a message channel", async () => {
    vi.stubGlobal("setImmediate", undefined);
    const loop = new portable.VirtualEventLoop();
    const trace: string[] = [];
    function* main() {
      yield* portable.gather(
        (function* () {
          yield* portable.sleep(2);
          trace.push("b");
        })(),
        (function* () {
          yield* portable.sleep(1);
          trace.push("a");
        })(),
      );
      return portable.getRunningLoop().time();
    }
    const elapsed = await portable.run(main(), { loopFactory: () => loop });
    expect(trace).toEqual(["a", "b"]);
    expect(elapsed).toBe(2);
  });
});
