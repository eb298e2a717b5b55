/**
 * I/O is a layer above the core: BaseEventLoop only declares the I/O methods (they throw
 * NotImplementedError, as asyncio's AbstractEventLoop), IOEventLoop implements them, and
 * nothing patches another module's class. A loop built on src/core alone runs programs
 * and refuses I/O clearly, and src/core loads nothing from Node.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, expectTypeOf, it } from "vitest";
import { BaseEventLoop } from "../src/core/base_events.js";
import { NotImplementedError } from "../src/core/exceptions.js";
import * as asyncio from "../src/index.js";
import { NodeEventLoop as PortableNodeEventLoop } from "../src/loops/node.js";
import { VirtualEventLoop as PortableVirtualEventLoop } from "../src/loops/virtual.js";

const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");
const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** A loop written against src/core alone: real time, woken by timers. */
class CoreOnlyLoop extends BaseEventLoop {
  private _wakeup: ReturnType<typeof setTimeout> | null = null;

  time(): number {
    return performance.now() / 1000;
  }

  protected _requestImmediate(): void {
    this._requestTimer(this.time());
  }

  protected _requestTimer(when: number): void {
    this._cancelWakeups();
    const ms = Math.max(0, (when - this.time()) * 1000);
    this._wakeup = setTimeout(() => {
      this._wakeup = null;
      this._tickSoon();
    }, ms);
  }

  protected _cancelWakeups(): void {
    if (this._wakeup !== null) clearTimeout(this._wakeup);
    this._wakeup = null;
  }
}

/** Every I/O method the core declares, called with valid arguments. */
const IO_CALLS: ReadonlyArray<[string, (loop: BaseEventLoop) => unknown]> = [
  ["createConnection", (l) => l.createConnection(() => new asyncio.Protocol(), "127.0.0.1", 1)],
  ["createServer", (l) => l.createServer(() => new asyncio.Protocol(), "127.0.0.1", 0)],
  ["createUnixConnection", (l) => l.createUnixConnection(() => new asyncio.Protocol(), "/x")],
  ["createUnixServer", (l) => l.createUnixServer(() => new asyncio.Protocol(), "/x")],
  ["createDatagramEndpoint", (l) => l.createDatagramEndpoint(() => new asyncio.DatagramProtocol())],
  [
    "startTls",
    (l) =>
      l.startTls({} as asyncio.Transport, new asyncio.Protocol(), true, { serverHostname: "x" }),
  ],
  ["runInExecutor", (l) => l.runInExecutor(null, () => 1)],
  ["setDefaultExecutor", (l) => l.setDefaultExecutor(new asyncio.ThreadPoolExecutor(1))],
  ["getaddrinfo", (l) => l.getaddrinfo("localhost", 80)],
  ["getnameinfo", (l) => l.getnameinfo(["127.0.0.1", 80])],
  ["addSignalHandler", (l) => l.addSignalHandler("SIGUSR2", () => {})],
  ["removeSignalHandler", (l) => l.removeSignalHandler("SIGUSR2")],
];

describe("a loop built on the core alone", () => {
  it("throws NotImplementedError from every I/O method, naming the loop and the method", () => {
    // The package's index is imported by this file too: had it patched BaseEventLoop's
    // prototype (as it used to), these calls would connect, listen and spawn threads.
    const loop = new CoreOnlyLoop();
    try {
      for (const [method, call] of IO_CALLS) {
        let caught: unknown;
        try {
          call(loop);
        } catch (e) {
          caught = e;
        }
        expect(caught, method).toBeInstanceOf(NotImplementedError);
        expect(caught, method).toBeInstanceOf(asyncio.RuntimeError);
        expect((caught as Error).message).toBe(
          `CoreOnlyLoop without I/O: ${method}() needs an I/O-capable loop such as ` +
            "NodeEventLoop (a loop class gets I/O by extending IOEventLoop instead of BaseEventLoop)",
        );
      }
    } finally {
      loop.close();
    }
  });

  it("runs a program under asyncio.run(); the Runner's executor shutdown has nothing to do", async () => {
    // The order comes from an Event, not from two real-time deadlines a loaded machine
    // could swap: "a" sleeps (a real timer on this loop), then lets "b" go.
    const trace: string[] = [];
    const aDone = new asyncio.Event();
    function* a() {
      yield* asyncio.sleep(0.001);
      trace.push("a");
      aDone.set();
      return "a";
    }
    function* b() {
      yield* aDone.wait();
      trace.push("b");
      return "b";
    }
    function* main() {
      return yield* asyncio.gather(b(), a());
    }
    const result = await asyncio.run(main(), { loopFactory: () => new CoreOnlyLoop() });
    expect(result).toEqual(["b", "a"]);
    expect(trace).toEqual(["a", "b"]);
  });

  it("refuses I/O reached through the module functions (toThread, openConnection)", async () => {
    function* attempt(aw: () => asyncio.Awaitable<unknown>) {
      try {
        yield* aw();
        return "no error";
      } catch (e) {
        return e instanceof NotImplementedError ? e.message : String(e);
      }
    }
    function* main() {
      return yield* asyncio.gather(
        attempt(() => asyncio.toThread(() => 1)),
        attempt(() => asyncio.openConnection("127.0.0.1", 1)),
      );
    }
    const results = await asyncio.run(main(), { loopFactory: () => new CoreOnlyLoop() });
    expect(results).toEqual([
      expect.stringMatching(/^CoreOnlyLoop without I\/O: runInExecutor\(\) needs/),
      expect.stringMatching(/^CoreOnlyLoop without I\/O: createConnection\(\) needs/),
    ]);
  });

  it("keeps the declared I/O types, as asyncio's AbstractEventLoop does", () => {
    expectTypeOf<CoreOnlyLoop["createConnection"]>().toEqualTypeOf<
      BaseEventLoop["createConnection"]
    >();
    expectTypeOf(asyncio.getRunningLoop).returns.toHaveProperty("createConnection");
  });
});

describe("the loops with I/O", () => {
  it("NodeEventLoop and VirtualEventLoop implement the I/O methods of the I/O layer", () => {
    for (const loop of [new asyncio.NodeEventLoop(), new asyncio.VirtualEventLoop()]) {
      expect(loop).toBeInstanceOf(asyncio.IOEventLoop);
      // The layer sits right above the portable loop class: the class itself adds nothing.
      const layer = Object.getPrototypeOf(Object.getPrototypeOf(loop)) as object;
      expect(Object.getPrototypeOf(layer)).toBe(
        loop instanceof asyncio.NodeEventLoop
          ? PortableNodeEventLoop.prototype
          : PortableVirtualEventLoop.prototype,
      );
      for (const [method] of IO_CALLS) {
        expect(Object.hasOwn(layer, method), method).toBe(true);
        expect(Object.hasOwn(asyncio.IOEventLoop.prototype, method), method).toBe(false);
      }
      loop.close();
    }
  });

  it("instanceof IOEventLoop tells loops with I/O from loops without", () => {
    class MyIOLoop extends asyncio.IOEventLoop {
      time(): number {
        return 0;
      }
      protected _requestImmediate(): void {}
      protected _requestTimer(_when: number): void {}
      protected _cancelWakeups(): void {}
    }
    const mine = new MyIOLoop();
    const node = new asyncio.NodeEventLoop();
    const coreOnly = new CoreOnlyLoop();
    const browser = new asyncio.BrowserEventLoop({ tick: "messageChannel" });
    try {
      expect(mine).toBeInstanceOf(asyncio.IOEventLoop);
      expect(node).toBeInstanceOf(asyncio.IOEventLoop);
      expect(coreOnly).not.toBeInstanceOf(asyncio.IOEventLoop);
      expect(browser).not.toBeInstanceOf(asyncio.IOEventLoop);
      expect(null).not.toBeInstanceOf(asyncio.IOEventLoop);
      // A subclass keeps instanceof's usual meaning: a NodeEventLoop is not a MyIOLoop.
      expect(mine).toBeInstanceOf(MyIOLoop);
      expect(node).not.toBeInstanceOf(MyIOLoop);
    } finally {
      for (const loop of [mine, node, coreOnly, browser]) loop.close();
    }
  });

  it("I/O runs on the virtual-time loop", async () => {
    function* main() {
      const server = yield* asyncio.startServer(
        function* (reader, writer) {
          writer.write(yield* reader.readline());
          yield* writer.drain();
          writer.close();
        },
        "127.0.0.1",
        0,
      );
      const [, port] = server.sockets[0]!.getsockname() as [string, number];
      const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
      writer.write(new TextEncoder().encode("ping\n"));
      const line = new TextDecoder().decode(yield* reader.readline());
      writer.close();
      server.close();
      yield* server.waitClosed();
      return line;
    }
    const line = await asyncio.run(main(), { loopFactory: () => new asyncio.VirtualEventLoop() });
    expect(line).toBe("ping\n");
  });
});

// ---------------------------------------------------------------- the module graph

/** The modules a source file loads at run time: its imports once types are erased. */
function runtimeImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText;
  const specs: string[] = [];
  for (const m of js.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s*"([^"]+)"/g)) {
    specs.push(m[1]!);
  }
  for (const m of js.matchAll(/(?:^|\n)\s*import\s*"([^"]+)"/g)) specs.push(m[1]!);
  for (const m of js.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** Every module reachable from `entries` at run time: `[module, specifier]` pairs. */
function runtimeGraph(entries: string[]): Array<[string, string]> {
  const seen = new Set<string>();
  const edges: Array<[string, string]> = [];
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of runtimeImports(file)) {
      edges.push([relative(SRC, file), spec]);
      if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
    }
  }
  return edges;
}

describe("no side effects between layers", () => {
  it("src/core loads no node: module and nothing outside src/core", () => {
    const core = join(SRC, "core");
    const entries = readdirSync(core)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(core, f));
    const edges = runtimeGraph(entries);
    expect(edges.length).toBeGreaterThan(10);
    const outside = edges.filter(
      ([from, spec]) =>
        !spec.startsWith(".") || !resolve(SRC, dirname(from), spec).startsWith(core),
    );
    expect(outside).toEqual([]);
  });

  it("no module of src/ patches a prototype of another module or merges declarations into it", () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".ts")) {
          const text = readFileSync(path, "utf8");
          if (/^\s*declare module\b/m.test(text))
            offenders.push(`${relative(SRC, path)}: declare module`);
          if (/\bBaseEventLoop\.prototype\b/.test(text)) {
            offenders.push(`${relative(SRC, path)}: BaseEventLoop.prototype`);
          }
          if (/^import "\.[^"]*";/m.test(text))
            offenders.push(`${relative(SRC, path)}: bare import`);
        }
      }
    };
    walk(SRC);
    expect(offenders).toEqual([]);
  });
});
