/**
 * A TypeScript program over source texts held in memory, checked against the playground's
 * `asyncio-ts` (a generated module that re-exports the library's sources): what the site
 * build uses to tell which documentation programs the playground can compile.
 *
 * @module
 */

import ts from "typescript";
import { memoryHost } from "../../test/doc_examples/check.js";

/**
 * Compiles `programs` (as `${dir}/${stem}N.ts`) beside a module `${dir}/asyncio-ts.ts` with
 * the text `library`, to which both `asyncio-ts` and `asyncio-ts/portable` resolve. The
 * files exist only in memory; everything else (lib files, the library's sources) is read
 * from disk. `options` adds to or overrides the browser-like defaults (ES2022, DOM, no
 * Node types, no emit).
 *
 * @example
 * ```ts
 * const { program, names } = memoryProgram(["await 1;"], root + "/.gen", "export {};", "block");
 * const errors = program.getSemanticDiagnostics(program.getSourceFile(names[0]!));
 * ```
 */
export function memoryProgram(
  programs: readonly string[],
  dir: string,
  library: string,
  stem: string,
  options: ts.CompilerOptions = {},
): { program: ts.Program; names: string[] } {
  const libraryFile = `${dir}/asyncio-ts.ts`;
  const files = new Map<string, string>([[libraryFile, library]]);
  const names = programs.map((p, i) => {
    const name = `${dir}/${stem}${i}.ts`;
    files.set(name, p);
    return name;
  });
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    // The browser's world: no Node types (no Buffer, no process).
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
    noEmit: true,
    skipLibCheck: true,
    paths: { "asyncio-ts": [libraryFile], "asyncio-ts/portable": [libraryFile] },
    ...options,
  };
  const host = memoryHost(compilerOptions, files);
  return { program: ts.createProgram(names, compilerOptions, host), names };
}
