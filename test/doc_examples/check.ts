/**
 * Collects the documentation's examples, wraps them (test/doc_examples/blocks.ts) and
 * type-checks them all in one TypeScript program, against the package's sources.
 *
 * @module
 */

import { readdirSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import {
  type DocBlock,
  ENTRIES,
  exampleBlocks,
  markdownBlocks,
  TS_LANGS,
  type WrappedBlock,
  wrapBlock,
} from "./blocks.js";

/** The module a block imports its placeholder helpers from. */
export const CONTEXT_SPECIFIER = "asyncio-ts/doc-context";
export const CONTEXT_FILE = "test/doc_examples/context.ts";

/** The Markdown pages whose blocks are checked: README.md and docs/*.md. */
export function markdownFiles(root: string): string[] {
  const docs = readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

function compilerOptions(root: string): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (parsed === undefined) throw new Error("cannot read tsconfig.json");
  const paths: ts.MapLike<string[]> = { [CONTEXT_SPECIFIER]: [CONTEXT_FILE] };
  for (const [specifier, file] of Object.entries(ENTRIES)) paths[specifier] = [file];
  return { ...parsed.options, noEmit: true, baseUrl: root, paths, declaration: false };
}

/** Every block of the documentation, in page order, and the program that found the @examples. */
export interface Collected {
  readonly blocks: DocBlock[];
  readonly wrapped: WrappedBlock[];
  readonly program: ts.Program;
  readonly options: ts.CompilerOptions;
}

/** The names a module exports, each with whether it is only a type. */
function exportsOf(program: ts.Program, file: string): Map<string, boolean> {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (symbol === undefined) throw new Error(`no module at ${file}`);
  return new Map(
    checker.getExportsOfModule(symbol).map((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return [s.name, (target.flags & ts.SymbolFlags.Value) === 0];
    }),
  );
}

/** The names of the test runner that examples of tests use without importing them. */
const VITEST_NAMES = new Map([
  ["it", false],
  ["describe", false],
  ["expect", false],
]);

/**
 * Where unimported names come from: the placeholders of the context; an @example's own
 * entry (wrapBlock puts it first); the names of the subpath entries that only one entry
 * exports (`withAsyncio`, `openFile`, … but not `serve`, which two have); vitest's `it`.
 */
function nameSources(program: ts.Program, root: string): [string, Map<string, boolean>][] {
  const sources: [string, Map<string, boolean>][] = [
    [CONTEXT_SPECIFIER, exportsOf(program, join(root, CONTEXT_FILE))],
  ];
  const subpaths = Object.entries(ENTRIES).filter(
    ([s]) => s !== "asyncio-ts" && s !== "asyncio-ts/portable",
  );
  const all = subpaths.map(([s, f]) => [s, exportsOf(program, join(root, f))] as const);
  const seen = new Map<string, number>();
  for (const [, names] of all) for (const n of names.keys()) seen.set(n, (seen.get(n) ?? 0) + 1);
  for (const [specifier, names] of all) {
    const unique = new Map([...names].filter(([n]) => seen.get(n) === 1));
    sources.push([specifier, unique]);
  }
  // An @example's own entry, with all its names (the first occurrence wins in wrapBlock).
  for (const [specifier, file] of Object.entries(ENTRIES)) {
    if (specifier !== "asyncio-ts") sources.push([specifier, exportsOf(program, join(root, file))]);
  }
  sources.push(["vitest", VITEST_NAMES]);
  return sources;
}

/** Finds and wraps every block. */
export function collect(root: string): Collected {
  const options = compilerOptions(root);
  const roots = [...Object.values(ENTRIES), CONTEXT_FILE].map((f) => join(root, f));
  const program = ts.createProgram(roots, options);
  const blocks = [
    ...markdownFiles(root).flatMap((f) => markdownBlocks(root, f)),
    ...exampleBlocks(root, program),
  ];
  const sources = nameSources(program, root);
  const wrapped: WrappedBlock[] = [];
  let chain: DocBlock[] = [];
  let chainFile = "";
  for (const block of blocks) {
    if (!TS_LANGS.has(block.lang)) continue;
    const earlier = block.continues && chainFile === block.file ? chain : [];
    wrapped.push(wrapBlock(block, earlier, sources));
    chain = [...earlier, block];
    chainFile = block.file;
  }
  return { blocks, wrapped, program, options };
}

/** The virtual file name of the i-th wrapped block. */
export function blockFileName(root: string, index: number): string {
  return join(root, "test/doc_examples", `.block${String(index).padStart(4, "0")}.mts`);
}

/** A type error in a block, placed at the block's own line. */
export interface BlockDiagnostic {
  readonly line: number;
  readonly message: string;
}

/**
 * A compiler host that serves `files` (absolute name → source text) from memory and reads
 * everything else from disk: how the doc blocks, and the site's playground check, are
 * compiled without being written out.
 *
 * @example
 * ```ts
 * const files = new Map([["/tmp/x/a.ts", "export const a = 1;"]]);
 * const program = ts.createProgram([...files.keys()], options, memoryHost(options, files));
 * ```
 */
export function memoryHost(
  options: ts.CompilerOptions,
  files: ReadonlyMap<string, string>,
): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError, create) => {
    const text = files.get(name);
    if (text !== undefined) return ts.createSourceFile(name, text, version, true);
    return getSourceFile(name, version, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  return host;
}

/** Type-checks every wrapped block in one program; the errors of each, by index. */
export function typeCheck(root: string, collected: Collected): BlockDiagnostic[][] {
  const { wrapped, options, program: old } = collected;
  const files = new Map<string, string>();
  wrapped.forEach((w, i) => {
    files.set(blockFileName(root, i), w.text);
  });
  const program = ts.createProgram({
    rootNames: [...old.getRootFileNames(), ...files.keys()],
    options,
    host: memoryHost(options, files),
    oldProgram: old,
  });
  return wrapped.map((w, i) => {
    const source = program.getSourceFile(blockFileName(root, i));
    if (source === undefined) return [{ line: w.block.line, message: "not in the program" }];
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    return diagnostics.map((d) => {
      const at = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (at < w.codeLine - w.earlierLines) {
        return { line: w.block.line, message: `(in the wrapper) ${message}` };
      }
      if (at < w.codeLine) {
        return { line: w.block.line, message: `(in the block it continues) ${message}` };
      }
      return { line: w.block.line + (at - w.codeLine), message };
    });
  });
}
