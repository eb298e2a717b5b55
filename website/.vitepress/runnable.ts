/**
 * Which docs code blocks get a "Run" button: those that are whole programs the playground
 * can run. `runnableProgram` (playground/share.ts) picks the candidates by their imports;
 * here the TypeScript compiler decides, all blocks in one program: a block that names
 * something it does not define (`count()` from the paragraph above, a `url` variable), or
 * uses what the playground lacks (`asyncio.toThread`, a subpath with I/O), or does not
 * parse (an elided `…`), is a snippet, not a program. Types are not otherwise judged:
 * the docs are checked for that elsewhere.
 */
import { existsSync } from "node:fs";
import ts from "typescript";
import { memoryProgram } from "./memory-program.js";

/** Diagnostics that mean "this block is not a whole program for the playground". */
const INCOMPLETE = new Set([
  2304, // Cannot find name 'x'.
  2552, // Cannot find name 'x'. Did you mean 'y'?
  2307, // Cannot find module 'x'.
  2305, // Module has no exported member 'x'.
  2724, // Module has no exported member 'x'. Did you mean 'y'?
  2503, // Cannot find namespace 'x'.
  2694, // Namespace 'x' has no exported member 'y'.
  2582, // Cannot find name 'describe' (a test).
  2593, // Cannot find name 'it' (a test).
]);

/** Uses of the loop's I/O, which the browser's loops do not have. */
const LOOP_IO =
  /\.(addSignalHandler|removeSignalHandler|addReader|addWriter|getaddrinfo|runInExecutor|createConnection|createServer|subprocessExec|subprocessShell|sockRecv|sockSendall)\(/;

/**
 * The programs, among `programs`, that compile against the playground's `asyncio-ts`
 * (the portable part and Timeline) with nothing missing.
 *
 * @example
 * ```ts
 * const ok = checkPrograms(["import * as asyncio from \"asyncio-ts\";\nawait asyncio.run(asyncio.sleep(1));"], root);
 * ```
 */
export function checkPrograms(programs: readonly string[], repository: string): Set<string> {
  // TypeScript normalises paths; a "//" would make its files differ from ours.
  const root = repository.replace(/\/+$/, "");
  const dir = `${root}/website/.gen/.programs`;
  if (!existsSync(`${root}/src/portable.ts`))
    throw new Error(`runnable: no ${root}/src/portable.ts`);
  const { program, names } = memoryProgram(
    programs,
    dir,
    `export * from "${root}/src/portable.js";\nexport { Timeline } from "${root}/src/debug/timeline.js";\n`,
    "block",
    { strict: false },
  );
  const ok = new Set<string>();
  names.forEach((name, i) => {
    const text = programs[i] ?? "";
    const source = program.getSourceFile(name);
    if (source === undefined || LOOP_IO.test(text)) return;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    const incomplete = diagnostics.some((d) => {
      if (d.category !== ts.DiagnosticCategory.Error) return false;
      if (d.code < 2000) return true; // a syntax error
      if (INCOMPLETE.has(d.code)) return true;
      // "Property 'toThread' does not exist on type 'typeof import(…asyncio-ts)'".
      return (
        d.code === 2339 &&
        ts.flattenDiagnosticMessageText(d.messageText, "\n").includes("typeof import(")
      );
    });
    if (!incomplete) ok.add(text);
  });
  return ok;
}
