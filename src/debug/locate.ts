/**
 * Where a suspended coroutine is, on Node: the file, line and column of the `yield` a
 * generator object is suspended at, read from V8 through the inspector protocol (the
 * generator's `[[GeneratorLocation]]`), mapped through the file's source map when Node
 * has one (tsx, `--enable-source-maps`), so a `.ts` file reads as the user wrote it.
 *
 * JavaScript cannot ask a suspended generator where it is, and capturing a stack at every
 * suspension would cost every await. This costs nothing until an error path asks: the
 * bad-`yield` error and the deadlock report. The first question enables the debugger for
 * a moment to learn the scripts' URLs (tens of milliseconds); later ones cost about a
 * millisecond. Where the inspector is missing (a Node built without it, another runtime)
 * the locator answers null and the messages go without a location.
 *
 * @module
 */

import type { CoroutineLocation } from "../core/coroutines.js";
import { builtin } from "../io/builtins.js";

/** The part of `node:inspector`'s Session this module uses. */
interface Session {
  connect(): void;
  post(
    method: string,
    params: object,
    callback: (err: Error | null, result: unknown) => void,
  ): void;
  on(
    event: string,
    listener: (message: { params: { scriptId: string; url: string } }) => void,
  ): void;
}

/** The part of `node:module`'s SourceMap this module uses. */
interface SourceMapLike {
  findEntry(
    line: number,
    column: number,
  ): { originalSource?: string; originalLine?: number; originalColumn?: number };
}

/** Created on the first question; false once it turned out to be unavailable. */
let session: Session | null | false = null;
/** Script ids to URLs, learnt from the debugger's `scriptParsed` events. */
const scripts = new Map<string, string>();
/** Where the generator being located waits for the inspector's evaluation to find it. */
const SLOT = Symbol.for("asyncio-ts.locate.generator");

/** Inspector calls on the main thread's own session answer synchronously. */
function call<T>(s: Session, method: string, params: object = {}): T {
  let out: { err: Error | null; result: unknown } | undefined;
  s.post(method, params, (err, result) => {
    out = { err, result };
  });
  if (out === undefined) throw new Error(`inspector ${method} did not answer synchronously`);
  if (out.err !== null) throw out.err;
  return out.result as T;
}

function open(): Session | null {
  if (session === false) return null;
  if (session !== null) return session;
  try {
    const inspector = builtin("node:inspector") as unknown as { Session: new () => Session };
    const s = new inspector.Session();
    s.connect();
    s.on("Debugger.scriptParsed", (m) => {
      scripts.set(m.params.scriptId, m.params.url);
    });
    session = s;
    return s;
  } catch {
    session = false;
    return null;
  }
}

/** The URL of a script, enabling the debugger for a moment when it is not known yet. */
function scriptUrl(s: Session, scriptId: string): string | undefined {
  if (!scripts.has(scriptId)) {
    // Enabling replays a scriptParsed event for every script loaded so far.
    call(s, "Debugger.enable");
    call(s, "Debugger.disable");
  }
  return scripts.get(scriptId);
}

interface RemoteProperty {
  name: string;
  value?: {
    objectId?: string;
    value?: { scriptId: string; lineNumber: number; columnNumber: number } | string;
  };
}

/** Maps a generated position through the file's source map, when Node holds one. */
function original(file: string, line0: number, column0: number): [string, number, number] {
  try {
    const { findSourceMap } = builtin("node:module") as unknown as {
      findSourceMap?: (path: string) => SourceMapLike | undefined;
    };
    const map = findSourceMap?.(file);
    const entry = map?.findEntry(line0, column0);
    if (entry?.originalLine !== undefined && entry.originalColumn !== undefined) {
      const src = entry.originalSource ?? file;
      return [src, entry.originalLine, entry.originalColumn];
    }
  } catch {
    // no source map: the generated position is the best there is
  }
  return [file, line0, column0];
}

function displayPath(url: string): string {
  return url.startsWith("file://") ? builtin("node:url").fileURLToPath(url) : url;
}

/** Where suspended generator `gen` is, or null (not suspended, no inspector, no script). */
export function locateCoroutine(gen: object): CoroutineLocation | null {
  const s = open();
  if (s === null) return null;
  const g = globalThis as Record<symbol, unknown>;
  g[SLOT] = gen;
  const group = "asyncio-ts.locate";
  try {
    const evaluated = call<{ result: { objectId?: string } }>(s, "Runtime.evaluate", {
      expression: `globalThis[Symbol.for("asyncio-ts.locate.generator")]`,
      objectGroup: group,
    });
    const objectId = evaluated.result.objectId;
    if (objectId === undefined) return null;
    const props = call<{ internalProperties?: RemoteProperty[] }>(s, "Runtime.getProperties", {
      objectId,
      ownProperties: true,
    }).internalProperties;
    if (props === undefined) return null;
    const state = props.find((p) => p.name === "[[GeneratorState]]")?.value?.value;
    const where = props.find((p) => p.name === "[[GeneratorLocation]]")?.value?.value;
    if (state !== "suspended" || where === undefined || typeof where === "string") return null;
    const fnId = props.find((p) => p.name === "[[GeneratorFunction]]")?.value?.objectId;
    let name = "<anonymous>";
    if (fnId !== undefined) {
      const r = call<{ result: { value?: unknown } }>(s, "Runtime.callFunctionOn", {
        objectId: fnId,
        functionDeclaration: "function () { return this.name; }",
        returnByValue: true,
      });
      if (typeof r.result.value === "string" && r.result.value !== "") name = r.result.value;
    }
    const url = scriptUrl(s, where.scriptId);
    if (url === undefined || url === "") return null;
    const [file, line0, column0] = original(displayPath(url), where.lineNumber, where.columnNumber);
    return { name, file: displayPath(file), line: line0 + 1, column: column0 + 1 };
  } catch {
    return null;
  } finally {
    delete g[SLOT];
    try {
      call(s, "Runtime.releaseObjectGroup", { objectGroup: group });
    } catch {
      // the group is gone with the session
    }
  }
}
