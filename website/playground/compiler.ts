/**
 * TypeScript to a runnable bundle, in the browser: esbuild compiled to WebAssembly,
 * shipped with the site (no network beyond the site itself). esbuild strips types without
 * checking them, as `tsx` does; the editor is where types would be checked.
 *
 * The program may import `asyncio-ts` (or `asyncio-ts/portable`, or the examples'
 * `../src/index.js`), which the worker provides, and the walkthrough's helper modules
 * (`./random.js`, `./producer_consumer.js`), which are bundled from their sources.
 */
import * as esbuild from "esbuild-wasm";
import wasmURL from "esbuild-wasm/esbuild.wasm?url";

/** A compiled program, or why it did not compile. */
export type Compiled = { ok: true; code: string; map: string } | { ok: false; errors: string[] };

let ready: Promise<void> | null = null;

/** Loads the compiler (once; the first call costs the WebAssembly's download and compile). */
export function loadCompiler(): Promise<void> {
  ready ??= esbuild.initialize({ wasmURL, worker: true });
  return ready;
}

const LIBRARY = /^(asyncio-ts(\/portable)?|(\.\.\/)+src\/(index|portable)\.js)$/;

/**
 * Bundles `source` (a TypeScript module) with the helper modules in `helpers` (file name
 * → TypeScript, e.g. `random.ts`).
 *
 * @example
 * ```ts
 * const out = await compile('import * as asyncio from "asyncio-ts";\n…', {});
 * if (out.ok) worker.postMessage({ type: "run", code: out.code, map: out.map, virtual: true });
 * ```
 */
export async function compile(
  source: string,
  helpers: Readonly<Record<string, string>>,
): Promise<Compiled> {
  await loadCompiler();
  const plugin: esbuild.Plugin = {
    name: "playground",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (LIBRARY.test(args.path)) return { path: "asyncio-ts", namespace: "library" };
        const helper = /^\.\/([\w-]+)\.(?:js|ts)$/.exec(args.path);
        if (helper !== null && `${helper[1]}.ts` in helpers) {
          return { path: `${helper[1]}.ts`, namespace: "example" };
        }
        const available = [
          "asyncio-ts",
          ...Object.keys(helpers).map((h) => `./${h.replace(/\.ts$/, ".js")}`),
        ];
        return {
          errors: [
            {
              text: `Cannot import "${args.path}" in the playground: programs run in a Web Worker on asyncio-ts's portable part; they may import ${available.join(", ")}`,
            },
          ],
        };
      });
      build.onLoad({ filter: /.*/, namespace: "library" }, () => ({
        contents: "module.exports = globalThis.__asyncioPlayground;",
        loader: "js",
      }));
      build.onLoad({ filter: /.*/, namespace: "example" }, (args) => ({
        contents: helpers[args.path] ?? "",
        loader: "ts",
      }));
    },
  };
  try {
    const result = await esbuild.build({
      stdin: { contents: source, sourcefile: "program.ts", loader: "ts" },
      bundle: true,
      write: false,
      format: "esm",
      target: "es2022",
      platform: "browser",
      sourcemap: "external",
      outfile: "program.js",
      logLevel: "silent",
      plugins: [plugin],
    });
    const js = result.outputFiles.find((f) => f.path.endsWith(".js"));
    const map = result.outputFiles.find((f) => f.path.endsWith(".map"));
    if (js === undefined || map === undefined)
      return { ok: false, errors: ["esbuild produced no output"] };
    return {
      ok: true,
      code: js.text.replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n"),
      map: map.text,
    };
  } catch (e) {
    const failure = e as { errors?: esbuild.Message[] };
    if (Array.isArray(failure.errors) && failure.errors.length > 0) {
      return { ok: false, errors: failure.errors.map(describeMessage) };
    }
    return { ok: false, errors: [String(e)] };
  }
}

function describeMessage(m: esbuild.Message): string {
  if (m.location === null) return `error: ${m.text}`;
  const { file, line, column, lineText } = m.location;
  const where = `${file.replace(/^[a-z-]+:/, "")}:${line}:${column + 1}`;
  return `${where}: error: ${m.text}\n    ${lineText}\n    ${" ".repeat(column)}^`;
}
