/**
 * Finds the code examples of the documentation — the TypeScript blocks of README.md and
 * docs/*.md, and the `@example` blocks of the doc comments of every public symbol — and
 * turns each one into a module that can be type-checked and run, as `deno test --doc` does.
 *
 * The conventions a block's info string may carry (docs/contributing.md describes them):
 *
 * - ```` ```ts ```` — type-checked, then run (on the virtual-time loop);
 * - ```` ```ts continues ```` — the block goes on from the previous TypeScript block of the
 *   same page (or doc comment): it is checked and run together with it;
 * - ```` ```ts fragment: <reason> ```` — type-checked, not run; the reason is required;
 * - ```` ```ts real-time: <reason> ```` — type-checked, then run on the real-time loop
 *   (`NodeEventLoop`) instead of the virtual one: for an example whose outside work (a
 *   socket, a fetch) waits on timers of the example's own loop; the reason is required;
 * - ```` ```ts type-error: <reason> ```` — shows code the type checker rejects: the check
 *   fails if it compiles, and it is not run.
 *
 * A block is wrapped before it is checked: `asyncio` (and `http`, `files`, `websockets`) are
 * imported when the block uses them without importing them; the placeholder helpers of
 * test/doc_examples/context.ts (`work()`, `fetchText(url)`, …) are imported when used and
 * not declared; a block with a `yield` at its top level becomes the body of a coroutine.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** What the documentation says about running a block. */
export type BlockMode = "run" | "fragment" | "type-error";

/** One code example, where it was found and how it is to be treated. */
export interface DocBlock {
  /** `README.md:78` or `src/tasks.ts:29 (sleep)`: where a reader finds it. */
  readonly where: string;
  /**
   * A name that survives edits elsewhere in the file: `src/tasks.ts (gather)`, with `[2]`
   * for a symbol's second block; for Markdown, `where`.
   */
  readonly id: string;
  /** The file it comes from, relative to the repository root. */
  readonly file: string;
  /** The 1-based line of the block's first code line in `file`. */
  readonly line: number;
  /** The info string's language word (`ts`, `js`, `sh`, …; `ts` for an unfenced @example). */
  readonly lang: string;
  readonly mode: BlockMode;
  /** The reason given with `fragment:` or `type-error:`. */
  readonly reason: string;
  /** For a block marked `real-time: <reason>` (which runs on real time): the reason. */
  readonly realTime?: string;
  /** Whether the block goes on from the previous TypeScript block of its page. */
  readonly continues: boolean;
  /** The block's code, as written. */
  readonly code: string;
  /** For an `@example`: the entry (`asyncio-ts/http`, …) whose export documents it. */
  readonly entry?: string;
  /** For an `@example`: the documented symbol, `Queue.put` for a member. */
  readonly name?: string;
  /** A malformed info string: what is wrong with it. */
  readonly markError?: string;
}

/** The languages whose blocks are type-checked. */
export const TS_LANGS: ReadonlySet<string> = new Set(["ts", "typescript"]);

/** The package's entries: specifier → source file, relative to the root. */
export const ENTRIES: Readonly<Record<string, string>> = {
  "asyncio-ts": "src/index.ts",
  "asyncio-ts/portable": "src/portable.ts",
  "asyncio-ts/http": "src/http/index.ts",
  "asyncio-ts/files": "src/files/index.ts",
  "asyncio-ts/websockets": "src/websockets/index.ts",
  "asyncio-ts/testing": "src/testing/index.ts",
  "asyncio-ts/otel": "src/otel/index.ts",
  "asyncio-ts/redis": "src/redis/index.ts",
  "asyncio-ts/eslint-plugin": "src/eslint-plugin/index.ts",
};

/** Namespace names a block may use without importing them, and what they import. */
export const NAMESPACES: Readonly<Record<string, string>> = {
  asyncio: "asyncio-ts",
  http: "asyncio-ts/http",
  files: "asyncio-ts/files",
  websockets: "asyncio-ts/websockets",
};

interface InfoString {
  lang: string;
  mode: BlockMode;
  reason: string;
  continues: boolean;
  realTime?: string;
  markError?: string;
}

/**
 * Reads an info string such as `ts continues fragment: needs a Redis server` or
 * `ts real-time: the fetch waits on this loop's sleep`.
 */
export function parseInfo(info: string): InfoString {
  const trimmed = info.trim();
  const space = trimmed.search(/\s/);
  const lang = space < 0 ? trimmed : trimmed.slice(0, space);
  let rest = space < 0 ? "" : trimmed.slice(space).trim();
  const out: InfoString = { lang, mode: "run", reason: "", continues: false };
  if (/^continues\b/.test(rest)) {
    out.continues = true;
    rest = rest.slice("continues".length).trim();
  }
  if (rest === "") return out;
  const mark = /^(fragment|type-error|real-time)\b\s*(:?)\s*(.*)$/.exec(rest);
  if (mark === null) {
    out.markError = `unknown info-string attribute ${JSON.stringify(rest)} (expected 'continues', 'fragment: <reason>', 'type-error: <reason>' or 'real-time: <reason>')`;
    return out;
  }
  const reason = (mark[3] ?? "").trim();
  if (mark[1] === "real-time") out.realTime = reason;
  else {
    out.mode = mark[1] as BlockMode;
    out.reason = reason;
  }
  if (mark[2] !== ":" || reason === "") {
    out.markError =
      mark[1] === "real-time"
        ? `'real-time' must give its reason: 'real-time: <why this block needs real time>'`
        : `'${mark[1]}' must give its reason: '${mark[1]}: <why this block cannot run>'`;
  }
  return out;
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

/** Every fenced code block of a Markdown text, with the 1-based line of its first code line. */
export function fencedBlocks(text: string): { info: string; line: number; code: string }[] {
  const lines = text.split("\n");
  const blocks: { info: string; line: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? "");
    if (open === null) continue;
    const [, indent = "", fence = "", info = ""] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? "";
      const close = FENCE.exec(line);
      if (close !== null && close[2]?.[0] === fence[0] && (close[2]?.length ?? 0) >= fence.length) {
        if ((close[3] ?? "").trim() === "") break;
      }
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({ info, line: i + 2, code: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** The code blocks of one Markdown file. */
export function markdownBlocks(root: string, file: string): DocBlock[] {
  const text = readFileSync(join(root, file), "utf8");
  return fencedBlocks(text).map(({ info, line, code }) => {
    const parsed = parseInfo(info);
    return {
      where: `${file}:${line - 1}`,
      id: `${file}:${line - 1}`,
      file,
      line,
      lang: parsed.lang,
      mode: parsed.mode,
      reason: parsed.reason,
      continues: parsed.continues,
      ...(parsed.realTime === undefined ? {} : { realTime: parsed.realTime }),
      code,
      ...(parsed.markError === undefined ? {} : { markError: parsed.markError }),
    };
  });
}

/**
 * The `@example` blocks of the doc comments of every symbol exported by the entries, and of
 * the members of exported classes and interfaces. `program` must contain the entries.
 */
export function exampleBlocks(root: string, program: ts.Program): DocBlock[] {
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Node>();
  const blocks: DocBlock[] = [];
  const counts = new Map<string, number>();
  const named = (block: Omit<DocBlock, "id">): DocBlock => {
    const key = `${block.file} (${block.name})`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return { ...block, id: n === 1 ? key : `${key}[${n}]` };
  };
  const visit = (decl: ts.Node, name: string, entry: string): void => {
    for (const tag of ts.getJSDocTags(decl)) {
      if (tag.tagName.text !== "example" || seen.has(tag)) continue;
      seen.add(tag);
      blocks.push(...tagBlocks(root, tag, name, entry).map(named));
    }
  };
  for (const [entry, path] of Object.entries(ENTRIES)) {
    const source = program.getSourceFile(join(root, path));
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`exampleBlocks(): no module at ${path}`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const decl of symbol.declarations ?? []) {
        visit(decl, exported.name, entry);
        if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) {
          for (const member of decl.members) {
            const memberName = member.name === undefined ? "" : member.name.getText();
            visit(member, `${exported.name}.${memberName}`, entry);
          }
        }
      }
    }
  }
  return blocks;
}

/** The blocks of one `@example` tag: its fenced blocks, or its whole text when it has none. */
function tagBlocks(
  root: string,
  tag: ts.JSDocTag,
  name: string,
  entry: string,
): Omit<DocBlock, "id">[] {
  const source = tag.getSourceFile();
  const file = relative(root, source.fileName);
  const start = tag.tagName.end;
  // The tag's text up to the next tag or the end of the comment, with the ` * ` prefixes off.
  const comment = source.text.slice(start, tag.parent.end);
  const next = /\n\s*\*\s*@[a-zA-Z]/.exec(comment);
  const raw = (next === null ? comment : comment.slice(0, next.index)).replace(/\*\/\s*$/, "");
  const firstLine = source.getLineAndCharacterOfPosition(start).line + 1;
  const text = raw
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join("\n");
  const fenced = fencedBlocks(text);
  const where = (line: number): string => `${file}:${line} (${name})`;
  if (fenced.length === 0) {
    const code = text.trim();
    if (code === "") return [];
    const offset = text.slice(0, text.indexOf(code)).split("\n").length - 1;
    return [
      {
        where: where(firstLine + offset),
        file,
        line: firstLine + offset,
        lang: "ts",
        mode: "run",
        reason: "",
        continues: false,
        code,
        entry,
        name,
      },
    ];
  }
  return fenced.map(({ info, line, code }) => {
    const parsed = parseInfo(info);
    const at = firstLine + line - 1;
    return {
      where: where(at - 1),
      file,
      line: at,
      lang: parsed.lang,
      mode: parsed.mode,
      reason: parsed.reason,
      continues: parsed.continues,
      ...(parsed.realTime === undefined ? {} : { realTime: parsed.realTime }),
      code,
      entry,
      name,
      ...(parsed.markError === undefined ? {} : { markError: parsed.markError }),
    };
  });
}

/**
 * The receivers of method examples: a doc comment on `Queue.put` writes `queue.put(1)`, on
 * `StreamReader.readline` `reader.readline()`. When a block uses one of these names without
 * declaring it, the wrapper declares it: with `init` when there is one (and the block then
 * runs inside a coroutine, where the loop is running); with only its type otherwise, which
 * type-checks but cannot run, so such a block must be a fragment.
 */
export const RECEIVERS: Readonly<
  Record<string, { type: string; init?: string; uses?: readonly string[] }>
> = {
  loop: { type: "asyncio.BaseEventLoop", init: "asyncio.getRunningLoop()" },
  queue: { type: "asyncio.Queue<number>", init: "new asyncio.Queue<number>()" },
  lock: { type: "asyncio.Lock", init: "new asyncio.Lock()" },
  cond: { type: "asyncio.Condition", init: "new asyncio.Condition()" },
  sem: { type: "asyncio.Semaphore", init: "new asyncio.Semaphore(2)" },
  event: { type: "asyncio.Event", init: "new asyncio.Event()" },
  task: { type: "asyncio.Task<string>", init: "asyncio.createTask(work())", uses: ["work"] },
  tasks: {
    type: "asyncio.Task<string>[]",
    init: "[asyncio.createTask(work()), asyncio.createTask(work())]",
    uses: ["work"],
  },
  test: {
    type: "ReturnType<typeof withAsyncio>",
    init: "withAsyncio(it)",
    uses: ["withAsyncio", "it"],
  },
  fut: { type: "asyncio.Future<number>", init: "asyncio.getRunningLoop().createFuture<number>()" },
  timeline: { type: "asyncio.Timeline", init: "new asyncio.Timeline()" },
  reader: { type: "asyncio.StreamReader", init: "__pair[1].reader" },
  writer: { type: "asyncio.StreamWriter", init: "__pair[0].writer" },
  transport: { type: "asyncio.Transport" },
  proc: { type: "asyncio.Process" },
  server: { type: "asyncio.Server" },
  f: { type: "files.AsyncFile<string>", init: 'yield* files.openFile("example.txt", "w+")' },
  file: { type: "files.AsyncFile<string>", init: 'yield* files.openFile("example.txt", "w+")' },
  ws: {
    type: "websockets.ClientConnection",
    init: 'yield* websockets.connect("ws://127.0.0.1:" + (yield* wsEchoServer()).port)',
    uses: ["wsEchoServer"],
  },
  session: { type: "http.ClientSession", init: "new http.ClientSession()" },
  resp: { type: "http.ClientResponse" },
  request: { type: "http.Request" },
  app: { type: "http.Router", init: "new http.Router()" },
  group: { type: "asyncio.ExceptionGroup<Error>" },
  tg: { type: "asyncio.TaskGroup" },
  stack: { type: "asyncio.AsyncExitStack" },
  barrier: { type: "asyncio.Barrier", init: "new asyncio.Barrier(1)" },
  v: { type: "asyncio.ContextVar<number>", init: 'new asyncio.ContextVar<number>("v")' },
  protocol: { type: "asyncio.BaseProtocol" },
  line: { type: "Buffer", init: "Buffer.alloc(0)" },
  ready: { type: "boolean", init: "true" },
  mainTask: { type: "asyncio.Task<unknown>", init: "asyncio.currentTask()!" },
  net: { type: "SimulatedNetwork", init: "network()", uses: ["network", "SimulatedNetwork"] },
};

/** A block made into a module: its text, and where the block's own lines start in it. */
export interface WrappedBlock {
  readonly block: DocBlock;
  /** The module's source text, with bare `asyncio-ts…` specifiers. */
  readonly text: string;
  /** The 0-based line of the module at which the block's (last part's) code starts. */
  readonly codeLine: number;
  /** The lines of the module that come from earlier blocks (`continues`), 0 if none. */
  readonly earlierLines: number;
  /** Whether the block's top level had to become the body of the coroutine `__example`. */
  readonly coroutine: boolean;
  /** Whether the harness is to run the block's own `main()` (declared, never called). */
  readonly runsMain: boolean;
}

/** Names declared at the top level of a source file (imports, functions, classes, variables). */
function topLevelNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
  };
  for (const st of source.statements) {
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) names.add(el.name.text);
      }
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) bind(d.name);
    } else if (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isEnumDeclaration(st)) &&
      st.name !== undefined
    ) {
      names.add(st.name.text);
    }
  }
  return names;
}

/** Names declared anywhere in the code: variables, parameters, functions, classes. */
function declaredAnywhere(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
  };
  const walk = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node)) {
      bind(node.name);
    } else if (
      (ts.isFunctionDeclaration(node) ||
        ts.isFunctionExpression(node) ||
        ts.isClassDeclaration(node)) &&
      node.name !== undefined
    ) {
      names.add(node.name.text);
    }
    ts.forEachChild(node, walk);
  };
  walk(source);
  return names;
}

/** Every identifier the code mentions. */
function mentioned(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const walk = (node: ts.Node): void => {
    const parent = node.parent;
    const isMemberName =
      parent !== undefined &&
      (ts.isPropertyAccessExpression(parent) ||
        ts.isPropertyAssignment(parent) ||
        ts.isPropertySignature(parent) ||
        ts.isPropertyDeclaration(parent) ||
        ts.isMethodDeclaration(parent) ||
        ts.isMethodSignature(parent) ||
        ts.isQualifiedName(parent)) &&
      (parent as { name?: ts.Node }).name === node;
    if (ts.isIdentifier(node) && !isMemberName) names.add(node.text);
    ts.forEachChild(node, walk);
  };
  walk(source);
  return names;
}

/** Whether a `yield` appears at the top level (outside every function). */
function yieldsAtTopLevel(source: ts.SourceFile): boolean {
  let found = false;
  const walk = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    // Outside a generator, the parser reads `yield` as a name (`yield* x` as a product).
    if (ts.isYieldExpression(node) || (ts.isIdentifier(node) && node.text === "yield")) {
      found = true;
    } else ts.forEachChild(node, walk);
  };
  ts.forEachChild(source, walk);
  return found;
}

/** The import specifiers of the names of `exports` (name → type only?) the code needs. */
function importable(
  exports: ReadonlyMap<string, boolean>,
  used: ReadonlySet<string>,
  declared: ReadonlySet<string>,
): string[] {
  return [...exports]
    .filter(([name]) => used.has(name) && !declared.has(name))
    .map(([name, typeOnly]) => (typeOnly ? `type ${name}` : name));
}

/** Whether the code calls `main(` anywhere, or hands `main` to something. */
function usesMain(code: string): boolean {
  return /\bmain\b(?!\s*\()|\bmain\s*\(\s*\)/.test(code.replace(/function\*?\s+main\b/g, ""));
}

/**
 * Where the names a block uses without declaring them come from, in order of preference:
 * module specifier → the names it exports (each mapped to whether it is only a type).
 */
export type NameSources = ReadonlyArray<readonly [string, ReadonlyMap<string, boolean>]>;

/**
 * Wraps `block` (after `earlier`, the blocks it continues) into a module. A name the code
 * uses and does not declare is imported from the first of `sources` that exports it (for an
 * `@example`, its own entry comes first).
 */
export function wrapBlock(
  block: DocBlock,
  earlier: readonly DocBlock[],
  sources: NameSources,
): WrappedBlock {
  const parts = [...earlier, block];
  const code = parts.map((p) => p.code).join("\n");
  const source = ts.createSourceFile("block.ts", code, ts.ScriptTarget.ES2022, true);
  const declared = topLevelNames(source);
  const used = mentioned(source);
  const header: string[] = [];
  const anywhere = declaredAnywhere(source);
  const receivers = Object.keys(RECEIVERS).filter((n) => used.has(n) && !anywhere.has(n));
  const runs = block.mode === "run";
  const needsLoop = runs && receivers.some((n) => RECEIVERS[n]?.init !== undefined);
  const awaits = /(^|[^\w.])await\s/m.test(code);
  for (const name of receivers) for (const n of RECEIVERS[name]?.uses ?? []) used.add(n);
  const taken = new Set([...declared, ...receivers]);
  for (const [name, specifier] of Object.entries(NAMESPACES)) {
    if (used.has(name) && !taken.has(name)) {
      header.push(`import * as ${name} from "${specifier}";`);
      taken.add(name);
    }
  }
  const ordered =
    block.entry === undefined ? sources : [...sources].sort(([a], [b]) => rank(a) - rank(b));
  function rank(specifier: string): number {
    return specifier === block.entry ? 0 : 1;
  }
  const visited = new Set<string>();
  for (const [specifier, exports] of ordered) {
    // A second list for one entry holds all its names: only for the entry's own examples.
    if (visited.has(specifier) && specifier !== block.entry) continue;
    visited.add(specifier);
    const names = importable(exports, used, taken);
    if (names.length === 0) continue;
    header.push(`import { ${names.join(", ")} } from "${specifier}";`);
    for (const n of names) taken.add(n.replace(/^type /, ""));
  }
  // An @example reads as code inside a coroutine on a running loop: it runs as one unless
  // it awaits at its top level or starts a loop itself.
  const startsLoop = /\basyncio\.run\(|\bnew (asyncio\.)?Runner\(|\brunTest\(/.test(code);
  const asCoroutine = block.entry !== undefined && runs && !awaits && !startsLoop;
  const coroutine = yieldsAtTopLevel(source) || ((needsLoop || asCoroutine) && !awaits);
  if (receivers.some((n) => n === "reader" || n === "writer") && runs) {
    header.push(`import { streamPair as __streamPair } from "asyncio-ts/testing";`);
  }
  for (const ns of ["files", "http", "websockets"]) {
    const type = receivers.some((n) => RECEIVERS[n]?.type.startsWith(`${ns}.`));
    if (type && !taken.has(ns)) {
      header.push(`import * as ${ns} from "${NAMESPACES[ns]}";`);
      taken.add(ns);
    }
  }
  if (receivers.length > 0 && !taken.has("asyncio")) {
    header.push(`import * as asyncio from "asyncio-ts";`);
    taken.add("asyncio");
  }
  const prelude: string[] = [];
  if (runs && receivers.some((n) => n === "reader" || n === "writer")) {
    // The reader has lines to read, then EOF, unless the block writes with `writer`.
    prelude.push("const __pair = __streamPair();");
    if (!receivers.includes("writer")) {
      prelude.push('__pair[0].writer.write(Buffer.from("hello\\r\\nworld\\r\\n"));');
      prelude.push("__pair[0].writer.close();");
    }
  }
  for (const name of receivers) {
    const { type, init } = RECEIVERS[name] ?? { type: "never" };
    prelude.push(
      runs && init !== undefined ? `let ${name}: ${type} = ${init};` : `let ${name}!: ${type};`,
    );
  }
  const imports: string[] = [];
  const body: string[] = [];
  // Imports stay at the module's top; the rest goes into the coroutine when there is one.
  const lines = code.split("\n");
  let earlierLines = 0;
  for (let i = 0; i < parts.length - 1; i++) earlierLines += parts[i]?.code.split("\n").length ?? 0;
  const importLines = new Set<number>();
  if (coroutine) {
    for (const st of source.statements) {
      if (!ts.isImportDeclaration(st)) continue;
      const from = source.getLineAndCharacterOfPosition(st.getStart(source)).line;
      const to = source.getLineAndCharacterOfPosition(st.end).line;
      for (let l = from; l <= to; l++) importLines.add(l);
    }
  }
  lines.forEach((line, i) => {
    // Keep the line count: an import moved up leaves an empty line behind.
    if (importLines.has(i)) {
      imports.push(line);
      body.push("");
    } else body.push(line);
  });
  const top = [...header, ...imports];
  const runsMain =
    !coroutine &&
    block.mode === "run" &&
    /^function\*\s*main\s*\(\s*\)/m.test(code) &&
    !usesMain(code);
  const out = [...top];
  if (coroutine) out.push("export function* __example() {");
  out.push(...prelude);
  const codeStart = out.length;
  out.push(...body);
  if (coroutine) out.push("}");
  if (runsMain) out.push("export { main as __main };");
  out.push("export {};");
  return {
    block,
    text: `${out.join("\n")}\n`,
    codeLine: codeStart + earlierLines,
    earlierLines,
    coroutine,
    runsMain,
  };
}
