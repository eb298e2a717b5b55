/**
 * The programs behind the "Run" buttons of README.md and docs/*.md: the blocks that the
 * test of the documentation's examples (test/doc_examples.test.ts) runs, made into whole
 * programs the playground runs the way that test does.
 *
 * The test's own wrapping (test/doc_examples/check.ts) is the starting point: a `continues`
 * block comes joined with the blocks it goes on from, the names a block uses without
 * importing them are imported, a block with a top-level `yield` becomes a coroutine, a
 * block that only declares `main()` has it run. What the playground adds:
 *
 * - the placeholder helpers of test/doc_examples/context.ts that the block uses (`work()`,
 *   `download(url)`, …) are copied into the program, with the helpers they use, so the
 *   program is whole, editable and shareable; a helper that needs Node is not copied, and
 *   the block gets no button;
 * - the coroutine is run with `asyncio.run()`, on virtual time, as the test runs it.
 *
 * A block gets no button when its program imports anything but `asyncio-ts` (a test, an
 * I/O entry, a Node module, another package) or does not type-check against the playground's
 * library (website/playground/library.ts): each such block is listed with the reason.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { CONTEXT_FILE, CONTEXT_SPECIFIER, collect } from "../../test/doc_examples/check.js";
import { memoryProgram } from "./memory-program.js";

/** One block the test of the documentation runs, and what the site does with it. */
export interface DocProgram {
  /** `docs/guide.md:76`: where the block's fence opens. */
  readonly where: string;
  /** The file, relative to the repository root. */
  readonly file: string;
  /** The block's code as written (the key the fence renderer finds it by). */
  readonly code: string;
  /** The program the Run button opens, or null when there is no button. */
  readonly program: string | null;
  /** Why there is no button (empty when there is one). */
  readonly reason: string;
  /** The reason's category: `test`, `package`, `io-entry`, `node`, `helper`, `node-only`. */
  readonly category: string;
}

/** The specifiers the playground resolves to its library. */
const LIBRARY = new Set(["asyncio-ts", "asyncio-ts/portable"]);

interface Helper {
  readonly names: string[];
  readonly text: string;
  readonly uses: Set<string>;
}

/** The top-level declarations of the context, each with the top-level names it uses. */
class Context {
  readonly helpers: Helper[] = [];
  /** Names the context takes from elsewhere than asyncio: `echoLines`, `EventEmitter`, … */
  readonly foreign = new Map<string, string>();

  constructor(text: string) {
    const source = ts.createSourceFile("context.ts", text, ts.ScriptTarget.ES2022, true);
    const top = new Set<string>();
    for (const st of source.statements) {
      if (ts.isImportDeclaration(st)) {
        const from = (st.moduleSpecifier as ts.StringLiteral).text;
        const clause = st.importClause;
        const bound: string[] = [];
        if (clause?.name) bound.push(clause.name.text);
        const b = clause?.namedBindings;
        if (b && ts.isNamespaceImport(b)) bound.push(b.name.text);
        if (b && ts.isNamedImports(b)) for (const e of b.elements) bound.push(e.name.text);
        // The library is the program's own `import * as asyncio`.
        for (const n of bound) if (n !== "asyncio") this.foreign.set(n, from);
      } else if (ts.isExportDeclaration(st)) {
        const from = st.moduleSpecifier ? (st.moduleSpecifier as ts.StringLiteral).text : "";
        const c = st.exportClause;
        if (c && ts.isNamedExports(c))
          for (const e of c.elements) this.foreign.set(e.name.text, from);
      } else {
        const names = declaredNames(st);
        if (names.length === 0) continue;
        for (const n of names) top.add(n);
        this.helpers.push({ names, text: withoutExport(st, source), uses: identifiers(st) });
      }
    }
    for (const h of this.helpers) {
      for (const n of h.uses) if (!top.has(n) && !this.foreign.has(n)) h.uses.delete(n);
      for (const n of h.names) h.uses.delete(n);
    }
  }

  /**
   * The helpers that `names` need, in the context's order, or the first name that leads to
   * something the playground lacks.
   */
  closure(names: readonly string[]): { text: string } | { missing: string; via: string } {
    const needed = new Set<Helper>();
    const queue = names.map((n) => [n, n] as const);
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [name, via] = next;
      const foreign = this.foreign.get(name);
      if (foreign !== undefined) return { missing: `${name} (from ${foreign})`, via };
      const helper = this.helpers.find((h) => h.names.includes(name));
      if (helper === undefined) return { missing: name, via };
      if (needed.has(helper)) continue;
      needed.add(helper);
      for (const n of helper.uses) queue.push([n, via]);
    }
    return {
      text: this.helpers
        .filter((h) => needed.has(h))
        .map((h) => h.text)
        .join("\n\n"),
    };
  }
}

function declaredNames(st: ts.Statement): string[] {
  if (ts.isVariableStatement(st)) {
    return st.declarationList.declarations.flatMap((d) =>
      ts.isIdentifier(d.name) ? [d.name.text] : [],
    );
  }
  if (
    (ts.isFunctionDeclaration(st) ||
      ts.isClassDeclaration(st) ||
      ts.isInterfaceDeclaration(st) ||
      ts.isTypeAliasDeclaration(st)) &&
    st.name !== undefined
  ) {
    return [st.name.text];
  }
  return [];
}

/** The names a declaration refers to: not `log` of `console.log`, nor `Coroutine` of `asyncio.Coroutine`. */
function identifiers(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const walk = (n: ts.Node): void => {
    const p = n.parent;
    const member =
      p !== undefined &&
      (ts.isPropertyAccessExpression(p) ||
        ts.isQualifiedName(p) ||
        ts.isPropertyAssignment(p) ||
        ts.isPropertySignature(p) ||
        ts.isPropertyDeclaration(p) ||
        ts.isMethodDeclaration(p) ||
        ts.isMethodSignature(p)) &&
      (ts.isQualifiedName(p) ? p.right : (p as { name?: ts.Node }).name) === n;
    if (ts.isIdentifier(n) && !member) out.add(n.text);
    ts.forEachChild(n, walk);
  };
  walk(node);
  return out;
}

/** A statement's text with its doc comment and without its `export`. */
function withoutExport(st: ts.Statement, source: ts.SourceFile): string {
  const text = source.text.slice(st.getFullStart(), st.end).replace(/^\s*\n/, "");
  const mod = ts.canHaveModifiers(st)
    ? ts.getModifiers(st)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    : undefined;
  if (mod === undefined) return text.trim();
  const offset = source.text.slice(st.getFullStart(), st.end).length - text.length;
  const at = mod.getStart(source) - st.getFullStart() - offset;
  return (text.slice(0, at) + text.slice(at + "export".length).replace(/^\s+/, "")).trim();
}

/** Why a program that imports `specifier` has no button, and the category. */
function importReason(specifier: string): { reason: string; category: string } | null {
  if (LIBRARY.has(specifier) || specifier === CONTEXT_SPECIFIER) return null;
  if (specifier === "vitest") return { reason: "a test: it runs under vitest", category: "test" };
  if (specifier.startsWith("node:"))
    return { reason: `uses Node's ${specifier}`, category: "node" };
  if (specifier.startsWith("asyncio-ts/"))
    return { reason: `uses ${specifier}, which needs Node's I/O`, category: "io-entry" };
  return { reason: `uses the package ${specifier}`, category: "package" };
}

const IMPORT_LINE = /^import\s.*\sfrom\s+"([^"]+)";$/;

/**
 * The program of a wrapped block, or why there is none (before the type check).
 * `text` is the test's module; `coroutine` and `runsMain` say how the test runs it.
 */
function programOf(
  text: string,
  coroutine: boolean,
  runsMain: boolean,
  where: string,
  context: Context,
): { program: string } | { reason: string; category: string } {
  const lines = text.replace(/\n$/, "").split("\n");
  while (lines.length > 0 && /^export (\{\}|\{ main as __main \});$/.test(lines.at(-1) ?? ""))
    lines.pop();
  let top: string[];
  let body: string[];
  if (coroutine) {
    const open = lines.indexOf("export function* __example() {");
    if (open < 0 || lines.at(-1) !== "}") throw new Error(`${where}: unexpected wrapping`);
    top = lines.slice(0, open);
    body = lines.slice(open + 1, -1);
  } else {
    let n = 0;
    while (n < lines.length && IMPORT_LINE.test(lines[n] ?? "")) n++;
    top = lines.slice(0, n);
    body = lines.slice(n);
  }
  // Every import of the program, the block's own included: anything but the library is out.
  const reasons = [...text.matchAll(/\bfrom\s*"([^"]+)"|\bimport\s*\(?\s*"([^"]+)"/g)].flatMap(
    (m) => importReason(m[1] ?? m[2] ?? "") ?? [],
  );
  // The most telling first: a test is a test, whatever else it imports.
  const order = ["test", "package", "io-entry", "node"];
  reasons.sort((x, y) => order.indexOf(x.category) - order.indexOf(y.category));
  if (reasons[0] !== undefined) return reasons[0];
  let helpers = "";
  const kept: string[] = [];
  for (const line of top) {
    const m = IMPORT_LINE.exec(line);
    if (m?.[1] !== CONTEXT_SPECIFIER) {
      if (line.trim() !== "") kept.push(line);
      continue;
    }
    const names =
      /\{(.*)\}/
        .exec(line)?.[1]
        ?.split(",")
        .map((n) => n.replace(/^\s*type\s+/, "").trim()) ?? [];
    const found = context.closure(names.filter((n) => n !== ""));
    if ("missing" in found) {
      return {
        reason: `uses the placeholder ${found.via}, which needs ${found.missing}`,
        category: "helper",
      };
    }
    helpers = found.text;
  }
  const needsAsyncio = coroutine || runsMain || helpers.includes("asyncio.");
  if (
    needsAsyncio &&
    !kept.some((l) => /^import \* as asyncio from "asyncio-ts(\/portable)?";$/.test(l))
  )
    kept.unshift('import * as asyncio from "asyncio-ts";');
  const trimmed = trimBlank(body);
  const parts = [kept.join("\n")];
  if (helpers !== "") {
    parts.push(
      `// Placeholders the docs use without defining them (test/doc_examples/context.ts).\n\n${helpers}`,
    );
    parts.push(`// ${where}`);
  }
  if (coroutine) {
    const indented = trimmed.map((l) => (l === "" ? "" : `  ${l}`));
    parts.push(`function* example() {\n${indented.join("\n")}\n}\n\nawait asyncio.run(example());`);
  } else if (runsMain) {
    parts.push(`${trimmed.join("\n")}\n\nawait asyncio.run(main());`);
  } else {
    parts.push(trimmed.join("\n"));
  }
  return { program: `${parts.filter((p) => p !== "").join("\n\n")}\n` };
}

function trimBlank(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    // The wrapper leaves an empty line where it moved an import up: at most one in a row.
    if (line.trim() === "" && (out.length === 0 || out.at(-1) === "")) continue;
    out.push(line);
  }
  while (out.at(-1) === "") out.pop();
  return out;
}

/** The errors of each program against the playground's library, in one TypeScript program. */
export function typeErrors(programs: readonly string[], repository: string): string[][] {
  const root = repository.replace(/\/+$/, "");
  const dir = `${root}/website/.gen/.doc-programs`;
  const { program, names } = memoryProgram(
    programs,
    dir,
    `export * from "${root}/website/playground/library.js";\n`,
    "program",
    {
      // The worker's world: no Node types (no Buffer, no process).
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.esnext.disposable.d.ts"],
      strict: true,
    },
  );
  return names.map((name) => {
    const source = program.getSourceFile(name);
    if (source === undefined) return ["not in the program"];
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      .filter((d) => d.category === ts.DiagnosticCategory.Error)
      .map((d) => {
        const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
        const message = ts
          .flattenDiagnosticMessageText(d.messageText, " ")
          .replace(/"[^"]*\/\.doc-programs\/asyncio-ts"/g, '"asyncio-ts"')
          .replace(/ Do you need to install type definitions for node\?.*$/, "");
        return `line ${line + 1}: ${message}`;
      });
  });
}

/**
 * Every block of README.md and docs/*.md that the test of the documentation runs, with its
 * program or the reason it has none.
 *
 * @example
 * ```ts
 * const buttons = docPrograms(root).filter((p) => p.program !== null).length;
 * ```
 */
export function docPrograms(repository: string): DocProgram[] {
  const collected = collect(repository);
  const context = new Context(readFileSync(join(repository, CONTEXT_FILE), "utf8"));
  const blocks = collected.wrapped.filter(
    (w) => w.block.entry === undefined && w.block.mode === "run",
  );
  const made = blocks.map((w) =>
    programOf(w.text, w.coroutine, w.runsMain, w.block.where, context),
  );
  const candidates = made.flatMap((m) => ("program" in m ? [m.program] : []));
  const errors = typeErrors(candidates, repository);
  let next = 0;
  return blocks.map((w, i) => {
    const m = made[i];
    const base = { where: w.block.where, file: w.block.file, code: w.block.code };
    if (m === undefined || !("program" in m)) {
      return { ...base, program: null, reason: m?.reason ?? "", category: m?.category ?? "" };
    }
    const problems = errors[next++] ?? [];
    if (problems.length > 0) {
      return {
        ...base,
        program: null,
        reason: `uses what only Node's asyncio-ts has: ${problems[0]}`,
        category: "node-only",
      };
    }
    return { ...base, program: m.program, reason: "", category: "" };
  });
}
