/**
 * Bundles the runtime suite (test/runtimes/suite.ts) with esbuild, into one ES module per
 * entry of the library:
 *
 * - `portable.mjs`: the test files' `../src/index.js` resolved to the portable entry,
 *   bundled for the browser — what runs in Chromium (page and Web Worker), on Deno and on
 *   Bun, and on Node as the reference;
 * - `full.mjs`: the main entry, bundled for Node's API (Deno and Bun provide it), with
 *   `node:` modules and undici left to the runtime.
 *
 * The bundle's main finds out where it runs and hands its report back: a `@@report` line
 * on standard output, `globalThis.__asyncioReport` in a page, a message from a worker.
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SHIM = join(ROOT, "test/runtimes/vitest_shim.ts");
const PORTABLE = join(ROOT, "src/portable.ts");
const PORTABLE_IO_STUB = join(ROOT, "test/runtimes/portable_io_stub.ts");

/** The marker of the report line a runtime prints. */
export const REPORT_MARKER = "@@report ";

const MAIN = `
import { runRuntimeSuite } from "./test/runtimes/suite.ts";
const g = globalThis;
const where =
  typeof g.Deno !== "undefined" ? "deno" :
  typeof g.Bun !== "undefined" ? "bun" :
  typeof g.window !== "undefined" ? "chromium-page" :
  typeof g.WorkerGlobalScope !== "undefined" ? "chromium-worker" : "node";
const report = await runRuntimeSuite(where + "/" + ENTRY_NAME);
if (where === "chromium-page") g.__asyncioReport = report;
else if (where === "chromium-worker") g.postMessage(report);
else console.log(${JSON.stringify(REPORT_MARKER)} + JSON.stringify(report));
`;

/**
 * "vitest" is the shim; with `portable`, the library's main entry is the portable one, and
 * the testing harness's I/O imports are test/runtimes/portable_io_stub.ts.
 */
function aliases(portable: boolean): Plugin {
  return {
    name: "runtime-suite-aliases",
    setup(b) {
      b.onResolve({ filter: /^vitest$/ }, () => ({ path: SHIM }));
      // The test files are imported for their side effect, registering their tests, which
      // the package's `"sideEffects": false` would let esbuild drop.
      b.onResolve({ filter: /\.test\.js$/ }, (args) => ({
        path: join(args.resolveDir, args.path.replace(/\.js$/, ".ts")),
        sideEffects: true,
      }));
      if (portable) {
        b.onResolve({ filter: /\/src\/index\.js$/ }, () => ({ path: PORTABLE }));
        // The testing harness's imports of the I/O loops and resource tracking.
        b.onResolve(
          { filter: /^\.\.\/io\/(loop_io|transports|subprocess|threads)\.js$/ },
          (args) =>
            /[\\/]src[\\/]testing[\\/]/.test(args.importer)
              ? { path: PORTABLE_IO_STUB }
              : undefined,
        );
      }
    },
  };
}

/** The bundles' paths. */
export interface RuntimeBundles {
  portable: string;
  full: string;
}

/** Builds both bundles into `outDir`. */
export async function buildRuntimeBundles(outDir: string): Promise<RuntimeBundles> {
  mkdirSync(outDir, { recursive: true });
  const out = { portable: join(outDir, "portable.mjs"), full: join(outDir, "full.mjs") };
  const common = {
    bundle: true,
    format: "esm",
    target: "es2022",
    logLevel: "silent",
    absWorkingDir: ROOT,
    // The entries define two classes named NodeEventLoop (with and without I/O): keep
    // their names, which messages and toString() show, rather than NodeEventLoop2.
    keepNames: true,
    // The suites ask which loop to test on; outside Vitest it is the virtual-time one.
    define: { "process.env.ASYNCIO_TS_TEST_LOOP": '"virtual"' },
  } as const;
  await build({
    ...common,
    stdin: { contents: MAIN.replace("ENTRY_NAME", '"portable"'), resolveDir: ROOT, loader: "ts" },
    platform: "browser",
    plugins: [aliases(true)],
    outfile: out.portable,
  });
  await build({
    ...common,
    stdin: { contents: MAIN.replace("ENTRY_NAME", '"full"'), resolveDir: ROOT, loader: "ts" },
    platform: "node",
    external: ["undici"],
    plugins: [aliases(false)],
    outfile: out.full,
  });
  return out;
}
