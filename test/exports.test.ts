/**
 * The public surface: exactly what src/index.ts exports, and every export documented with an
 * example (the project's rule). A change to the public API has to change this test on
 * purpose.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as files from "../src/files/index.js";
import * as http from "../src/http/index.js";
import * as asyncio from "../src/index.js";

const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");

describe("the public API", () => {
  it("exports exactly these runtime names", () => {
    expect(Object.keys(asyncio).sort()).toEqual([
      "AF_INET",
      "AF_INET6",
      "AF_UNSPEC",
      "AI_ADDRCONFIG",
      "AI_CANONNAME",
      "AI_NUMERICHOST",
      "AI_PASSIVE",
      "AI_V4MAPPED",
      "ALL_COMPLETED",
      "AsCompleted",
      "AsyncExitStack",
      "AsyncGen",
      "Barrier",
      "BaseEventLoop",
      "BaseExceptionGroup",
      "BaseProtocol",
      "BaseTransport",
      "BoundedSemaphore",
      "BrokenBarrierError",
      "BrokenPipeError",
      "BrowserEventLoop",
      "BufferedProtocol",
      "CancelScope",
      "CancelledError",
      "Condition",
      "ConnectionAbortedError",
      "ConnectionError",
      "ConnectionRefusedError",
      "ConnectionResetError",
      "Context",
      "ContextVar",
      "DEVNULL",
      "DatagramProtocol",
      "DatagramTransport",
      "DeadlockError",
      "Event",
      "EventLoop",
      "ExceptionGroup",
      "FIRST_COMPLETED",
      "FIRST_EXCEPTION",
      "Future",
      "GatheringFuture",
      "GeneratorContextManager",
      "GeneratorExit",
      "Handle",
      "IOEventLoop",
      "IPPROTO_TCP",
      "IPPROTO_UDP",
      "IncompleteReadError",
      "InvalidStateError",
      "KeyboardInterrupt",
      "LifoQueue",
      "LimitOverrunError",
      "Lock",
      "NI_NUMERICHOST",
      "NI_NUMERICSERV",
      "NodeEventLoop",
      "NotImplementedError",
      "OSError",
      "PIPE",
      "PriorityQueue",
      "Process",
      "ProcessLookupError",
      "Protocol",
      "Queue",
      "QueueEmpty",
      "QueueFull",
      "QueueShutDown",
      "Runner",
      "RuntimeError",
      "SOCK_DGRAM",
      "SOCK_RAW",
      "SOCK_STREAM",
      "STDOUT",
      "Semaphore",
      "SendfileNotAvailableError",
      "Server",
      "ServerSocket",
      "StreamReader",
      "StreamWriter",
      "Task",
      "TaskGroup",
      "ThreadPoolExecutor",
      "Timeline",
      "Timeout",
      "TimeoutError",
      "TimerHandle",
      "Token",
      "Transport",
      "UnicodeDecodeError",
      "VirtualEventLoop",
      "aclosing",
      "addInstrument",
      "aiter",
      "allTasks",
      "asCompleted",
      "asyncFor",
      "asyncGenerator",
      "asyncWith",
      "asynccontextmanager",
      "captureCallGraph",
      "collect",
      "copyContext",
      "coroutine",
      "createEagerTaskFactory",
      "createSubprocessExec",
      "createSubprocessShell",
      "createTask",
      "currentSignal",
      "currentTask",
      "eagerTaskFactory",
      "ensureFuture",
      "exceptStar",
      "filter",
      "formatAllTasks",
      "formatCallGraph",
      "formatTaskTable",
      "formatTaskTree",
      "fromAsync",
      "fromPromise",
      "futureAddToAwaitedBy",
      "futureDiscardFromAwaitedBy",
      "gather",
      "gatherAll",
      "getEventLoop",
      "getInstruments",
      "getRunningLoop",
      "iscoroutine",
      "isfuture",
      "map",
      "moduleFunction",
      "moveOnAfter",
      "moveOnAt",
      "naturalOrder",
      "newEventLoop",
      "openConnection",
      "openUnixConnection",
      "printAllTasks",
      "printCallGraph",
      "removeInstrument",
      "rethrowIfCancelled",
      "run",
      "runCoroutineThreadsafe",
      "setEventLoop",
      "shield",
      "sleep",
      "startServer",
      "startUnixServer",
      "take",
      "timeout",
      "timeoutAt",
      "toThread",
      "wait",
      "waitFor",
      "withTaskGroup",
    ]);
  });

  it("keeps the add-ons on their own entries", () => {
    const main = new Set(Object.keys(asyncio));
    expect(Object.keys(http).filter((name) => main.has(name))).toEqual([]);
    expect(Object.keys(http)).toEqual(
      expect.arrayContaining([
        "Application",
        "ClientConnectionError",
        "ClientError",
        "ClientResponse",
        "ClientResponseError",
        "ClientSession",
        "ClientTimeout",
        "RequestContextManager",
        "Router",
        "TooManyRedirects",
        "serve",
      ]),
    );
    expect(Object.keys(files).sort()).toEqual(["AsyncFile", "FileOpener", "openFile"]);
  });

  it.each([
    ["src/index.ts", 200],
    ["src/http/index.ts", 10],
    ["src/files/index.ts", 5],
    ["src/websockets/index.ts", 5],
    ["src/testing/index.ts", 10],
    ["src/otel/index.ts", 1],
    ["src/redis/index.ts", 1],
    ["src/eslint-plugin/index.ts", 1],
  ])(
    "documents every export of %s, types included, with a doc comment and an @example",
    (entry, atLeast) => {
      const index = fileURLToPath(new URL(`../${entry}`, import.meta.url));
      const program = ts.createProgram([index], {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
      });
      const checker = program.getTypeChecker();
      const source = program.getSourceFile(index);
      const module = source && checker.getSymbolAtLocation(source);
      if (module === undefined) throw new Error(`${entry} has no module symbol`);
      const undocumented: string[] = [];
      const withoutExample: string[] = [];
      const exported = checker.getExportsOfModule(module);
      for (const sym of exported) {
        const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
        const doc = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
        if (doc === "") undocumented.push(sym.name);
        else if (!target.getJsDocTags(checker).some((t) => t.name === "example")) {
          withoutExample.push(sym.name);
        }
      }
      expect(exported.length).toBeGreaterThan(atLeast);
      expect(undocumented).toEqual([]);
      expect(withoutExample).toEqual([]);
    },
    60_000,
  );
});

/**
 * The `_` names that stay in the published declarations: the hooks a Queue subclass is
 * documented to override, as in Python (docs/locks-and-queues.md, "Custom queues").
 * Everything else with a `_` is marked `@internal` and removed by `stripInternal`
 * (tsconfig.build.json).
 */
const PUBLISHED_UNDERSCORE_NAMES = [
  "LifoQueue._get",
  "LifoQueue._put",
  "LifoQueue._qsize",
  "PriorityQueue._get",
  "PriorityQueue._put",
  "PriorityQueue._qsize",
  "Queue._get",
  "Queue._put",
  "Queue._qsize",
];

const root = fileURLToPath(new URL("..", import.meta.url));
const distSrc = join(root, "dist/src");

/** The built declarations of the current sources (dist/ may hold files of deleted ones). */
function declarationFiles(dir = distSrc): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...declarationFiles(path));
    else if (entry.name.endsWith(".d.ts")) {
      const source = join(root, "src", relative(distSrc, path)).replace(/\.d\.ts$/, ".ts");
      if (existsSync(source)) files.push(path);
    }
  }
  return files;
}

type TsNode = import("typescript").Node;

/** Every declared name starting with `_` in a .d.ts: `Owner._member`, or a top-level `_name`. */
function underscoreNames(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: TsNode, owner: string): void => {
    const id = ts.getNameOfDeclaration(node as import("typescript").Declaration);
    const name = id !== undefined && ts.isIdentifier(id) ? id.text : "";
    const isOwner =
      ts.isClassDeclaration(node) ||
      ts.isInterfaceDeclaration(node) ||
      ts.isTypeAliasDeclaration(node);
    const isMember =
      ts.isPropertyDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isPropertySignature(node) ||
      ts.isMethodSignature(node);
    const isTopLevel =
      isOwner ||
      ts.isFunctionDeclaration(node) ||
      ts.isEnumDeclaration(node) ||
      ts.isVariableDeclaration(node);
    if (name.startsWith("_") && isMember) found.push(`${owner}.${name}`);
    else if (name.startsWith("_") && isTopLevel) found.push(name);
    ts.forEachChild(node, (child) => visit(child, isOwner ? name : owner));
  };
  visit(sf, "");
  return found;
}

describe("the published declarations (dist/, built by the global setup)", () => {
  it("show no `_` name except the documented Queue subclass hooks", () => {
    const files = declarationFiles();
    expect(files.length).toBeGreaterThan(40);
    const published: string[] = [];
    const allowed = new Set<string>();
    for (const file of files) {
      for (const name of underscoreNames(file)) {
        if (PUBLISHED_UNDERSCORE_NAMES.includes(name)) allowed.add(name);
        else published.push(`${relative(distSrc, file)}: ${name}`);
      }
    }
    expect(published).toEqual([]);
    // The hooks are really published (a subclass can override them).
    expect([...allowed].sort()).toEqual(PUBLISHED_UNDERSCORE_NAMES);
  });

  it("type-check on their own for a strict consumer (skipLibCheck off)", () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-consumer-"));
    try {
      const consumer = join(dir, "consumer.mts");
      const index = JSON.stringify(join(distSrc, "index.js"));
      writeFileSync(
        consumer,
        [
          `import * as asyncio from ${index};`,
          "class Stack<T> extends asyncio.Queue<T> {",
          "  private readonly items: T[] = [];",
          "  protected override _put(item: T): void { this.items.push(item); }",
          "  protected override _get(): T { return this.items.pop() as T; }",
          "  protected override _qsize(): number { return this.items.length; }",
          "}",
          "function* main(): asyncio.Coroutine<number> {",
          "  const q = new Stack<number>();",
          "  yield* q.put(1);",
          "  const task: asyncio.Task<number> = asyncio.createTask(q.get());",
          "  return yield* task;",
          "}",
          "export const result: Promise<number> = asyncio.run(main());",
          "",
        ].join("\n"),
      );
      const program = ts.createProgram([consumer], {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ["lib.es2022.d.ts"],
        types: ["node"],
        typeRoots: [join(root, "node_modules/@types")],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => {
        const where = d.file ? `${relative(root, d.file.fileName)}: ` : "";
        return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
      });
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
