/**
 * The package as users get it: `npm pack` makes the tarball once (from the build the global
 * setup made), `npm install --offline` puts it in a temporary directory, and fresh projects
 * there use it as their authors would — an ESM program, a CommonJS program (and the two
 * copies in one process), TypeScript under `NodeNext` and `Bundler` checked by tsc 5.x and
 * by the native TypeScript 7 preview (`tsgo`), esbuild for the browser and for Node, and a
 * Vite build. The projects live in test/fixtures/consumers/.
 *
 * Offline: the tarball's one dependency (undici) is linked from the project's own
 * node_modules, so the install needs no network and no registry metadata in npm's cache.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleForBrowser } from "./fixtures/bundle.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixtures = join(root, "test/fixtures/consumers");
const require = createRequire(import.meta.url);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

let dir = "";
let files: string[] = [];

function check(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`, { cause: r.error });
  }
  return r.stdout;
}

/** Runs a command to its end without blocking the test process (tsc runs side by side). */
function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "asyncio-ts-consumers-"));
  const packed = check(
    spawnSync(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
      cwd: root,
      encoding: "utf8",
    }),
    "npm pack",
  );
  const [info] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
  files = info.files.map((f) => f.path);
  cpSync(fixtures, dir, { recursive: true });
  check(
    spawnSync(
      npm,
      [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--no-package-lock",
        join(dir, info.filename),
        // The dependency, from the project's own install: its range is satisfied by it, so
        // npm needs no registry metadata (which its cache may lack).
        join(root, "node_modules/undici"),
      ],
      { cwd: dir, encoding: "utf8" },
    ),
    "npm install --offline of the tarball",
  );
  // The consumers' type checks need Node's types, as a Node project has them.
  mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
  symlinkSync(join(root, "node_modules/@types/node"), join(dir, "node_modules/@types/node"));
}, 120_000);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("holds the bundles, the declarations and the docs, and no per-file build", () => {
    for (const f of [
      "dist/esm/index.js",
      "dist/esm/portable.js",
      "dist/esm/http/index.js",
      "dist/esm/files/index.js",
      "dist/esm/cli/main.js",
      "dist/cjs/index.js",
      "dist/cjs/package.json",
      "dist/cjs/index.d.ts",
      "dist/src/index.d.ts",
      "dist/src/portable.d.ts",
      "dist/src/http/index.d.ts",
      "README.md",
      "LICENSE",
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.startsWith("dist/src/") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => f.includes("/cli/") && f.endsWith(".d.ts"))).toEqual([]);
  });

  it("ships source maps that carry their sources", () => {
    const maps = files.filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(5);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(dir, "node_modules/asyncio-ts", m), "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent?.length, m).toBe(map.sources.length);
      expect(
        map.sourcesContent?.every((s) => typeof s === "string" && s.length > 0),
        m,
      ).toBe(true);
    }
  });

  it("loads undici only from asyncio-ts/http", () => {
    const imports = (f: string): string[] => {
      const code = readFileSync(join(dir, "node_modules/asyncio-ts", f), "utf8");
      const found = new Set<string>();
      // Static imports, dynamic imports and requires (the thread pool's worker source
      // mentions node:worker_threads inside a string: that one runs in the worker).
      const withoutWorker = code.replace(/require\("node:worker_threads"\)/g, "");
      for (const m of withoutWorker.matchAll(
        /(?:\bfrom|\bimport|\brequire\()\s*\(?\s*"([^"]+)"/g,
      )) {
        found.add(m[1] as string);
      }
      return [...found].sort();
    };
    // The rest of Node's built-ins come through src/io/builtins.ts, on first use.
    expect(imports("dist/esm/index.js")).toEqual(["node:buffer", "node:module"]);
    expect(imports("dist/cjs/index.js")).not.toContain("undici");
    expect(imports("dist/esm/http/index.js")).toContain("undici");
    expect(imports("dist/esm/portable.js")).toEqual([]);
  });
});

describe("an ESM project", () => {
  it("runs a program on the main entry, asyncio-ts/files and asyncio-ts/http", () => {
    const out = check(
      spawnSync(process.execPath, ["app.js"], { cwd: join(dir, "esm"), encoding: "utf8" }),
      "node esm/app.js",
    );
    expect(JSON.parse(out)).toEqual({
      order: ["slow", "fast"],
      lines: ["one\n", "two\n"],
      body: "hello from the server",
      clientSessionInMain: false,
    });
  });
});

describe("the installed command", () => {
  it("runs a program that imports asyncio-ts", () => {
    const bin = join(dir, "node_modules/.bin/asyncio-ts");
    const out = check(
      spawnSync(bin, ["run", "hello.js"], { cwd: join(dir, "esm"), encoding: "utf8" }),
      "asyncio-ts run hello.js",
    );
    expect(out).toBe("gathered in a task: true\n");
  });
});

describe("a CommonJS project", () => {
  it("require()s the main entry and the add-ons", () => {
    const out = check(
      spawnSync(process.execPath, ["app.js"], { cwd: join(dir, "cjs"), encoding: "utf8" }),
      "node cjs/app.js",
    );
    expect(JSON.parse(out)).toEqual(["a", "b", 3, ...Array(5).fill("function")]);
  });

  it("shares one runtime with the ESM copy in the same process", () => {
    const out = check(
      spawnSync(process.execPath, ["shared.js"], { cwd: join(dir, "cjs"), encoding: "utf8" }),
      "node cjs/shared.js",
    );
    expect(JSON.parse(out)).toEqual([true, "cjs future", "esm future", "true true"]);
  });
});

describe("TypeScript projects (skipLibCheck off, lib ESNext)", () => {
  const tsc = require.resolve("typescript/bin/tsc");
  const tsgo = join(root, "node_modules/.bin/tsgo");
  const setups: [string, string, string, string, string[]][] = [
    ["NodeNext", "tsc 5", "ts-nodenext", process.execPath, [tsc]],
    ["Bundler", "tsc 5", "ts-bundler", process.execPath, [tsc]],
    ["NodeNext", "tsgo 7", "ts-nodenext", tsgo, []],
    ["Bundler", "tsgo 7", "ts-bundler", tsgo, []],
  ];
  // One after another: tsc and tsgo each fill the cores; a test awaits its own check.
  const checks = new Map<string, Promise<{ code: number; out: string }>>();
  beforeAll(() => {
    let previous: Promise<unknown> = Promise.resolve();
    for (const [resolution, compiler, project, cmd, pre] of setups) {
      const key = `${resolution} ${compiler}`;
      const args = [...pre, "-p", "tsconfig.json", ...(cmd === tsgo ? ["--singleThreaded"] : [])];
      const check = previous.then(() => run(cmd, args, join(dir, project)));
      checks.set(key, check);
      previous = check;
    }
  });
  it.each(setups)(
    "%s type-checks under %s",
    async (resolution, compiler) => {
      const r = await checks.get(`${resolution} ${compiler}`);
      expect(r?.out).toBe("");
      expect(r?.code).toBe(0);
    },
    90_000,
  );
});

describe("bundlers", () => {
  it("esbuild for the browser resolves the portable entry, with no warning and no node: import", async () => {
    const { inputs, text: code } = await bundleForBrowser("main.js", join(dir, "browser"));
    expect(inputs.some((i) => i.includes("asyncio-ts/dist/esm/portable.js"))).toBe(true);
    expect(inputs.filter((i) => i.startsWith("node:") || i.includes("undici"))).toEqual([]);
    const scope: { consumerResult?: unknown } = {};
    new Function("globalThis", code)(scope);
    expect(scope.consumerResult).toEqual(["function", "function", 2, false]);
  });

  it("esbuild for Node bundles the main entry and asyncio-ts/http with no warning", async () => {
    const esbuild = await import("esbuild");
    const result = await esbuild.build({
      absWorkingDir: join(dir, "esm"),
      entryPoints: ["app.js"],
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "bundle",
      write: false,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it("Vite builds a page that imports asyncio-ts, with no warning", async () => {
    const vite = await import("vite");
    const warnings: string[] = [];
    const logger = vite.createLogger("warn");
    logger.warn = (msg) => warnings.push(msg);
    logger.warnOnce = (msg) => warnings.push(msg);
    const output = await vite.build({
      root: join(dir, "vite"),
      logLevel: "warn",
      customLogger: logger,
      configFile: false,
      build: { outDir: join(dir, "vite/dist"), write: true },
    });
    expect(warnings).toEqual([]);
    const outputs = (Array.isArray(output) ? output : [output]) as {
      output: { type: string; code?: string }[];
    }[];
    const js = outputs
      .flatMap((o) => o.output)
      .filter((o) => o.type === "chunk")
      .map((o) => o.code ?? "")
      .join("\n");
    expect(js).toContain("asyncio-ts.runtime.v");
    expect(js).not.toMatch(/from\s*"node:|require\("node:/);
  }, 60_000);
});
