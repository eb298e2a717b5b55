/**
 * The public surface: exactly what src/index.ts exports, and every export documented with an
 * example (the project's rule). A change to the public API has to change this test on
 * purpose.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
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
      "AsyncFile",
      "AsyncGen",
      "Barrier",
      "BaseEventLoop",
      "BaseExceptionGroup",
      "BaseProtocol",
      "BaseTransport",
      "BoundedSemaphore",
      "BrokenBarrierError",
      "BrokenPipeError",
      "BufferedProtocol",
      "CancelScope",
      "CancelledError",
      "ClientConnectionError",
      "ClientError",
      "ClientResponse",
      "ClientResponseError",
      "ClientSession",
      "ClientTimeout",
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
      "FileOpener",
      "Future",
      "GatheringFuture",
      "GeneratorContextManager",
      "GeneratorExit",
      "Handle",
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
      "RequestContextManager",
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
      "Timeout",
      "TimeoutError",
      "TimerHandle",
      "Token",
      "TooManyRedirects",
      "Transport",
      "UnicodeDecodeError",
      "VirtualEventLoop",
      "aclosing",
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
      "fromAsync",
      "fromPromise",
      "futureAddToAwaitedBy",
      "futureDiscardFromAwaitedBy",
      "gather",
      "gatherAll",
      "getEventLoop",
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
      "openFile",
      "openUnixConnection",
      "printAllTasks",
      "printCallGraph",
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

  it("documents every export, types included, with a doc comment and an @example", () => {
    const index = fileURLToPath(new URL("../src/index.ts", import.meta.url));
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
    if (module === undefined) throw new Error("src/index.ts has no module symbol");
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
    expect(exported.length).toBeGreaterThan(200);
    expect(undocumented).toEqual([]);
    expect(withoutExample).toEqual([]);
  }, 60_000);
});
