/**
 * Errors shown as the program's author wrote it: V8's stack lines point into the bundled
 * JavaScript (a blob: URL); the source map of the bundle turns them back into
 * `program.ts:LINE:COL`. Frames of asyncio-ts itself are left out, so what remains is the
 * chain of coroutines that raised — V8 keeps the frames of every generator resumed through
 * `yield*`, so a failure in `count()` under `main()` shows both.
 */

/** A position in an original source: 1-based line, 1-based column. */
export interface SourcePosition {
  source: string;
  line: number;
  column: number;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** One decoded mapping segment: generated column → source, line, column (all 0-based). */
type Segment = [number, number, number, number];

/**
 * A source map's mappings, decoded once: `lookup(line, column)` (1-based, as V8 prints
 * them) gives the original position, or null for generated code with no source.
 *
 * @example
 * ```ts
 * const map = new SourceMapIndex(JSON.parse(mapText));
 * map.lookup(12, 5); // { source: "program.ts", line: 3, column: 9 }
 * ```
 */
export class SourceMapIndex {
  private readonly lines: Segment[][] = [];
  private readonly sources: string[];

  constructor(map: { sources: string[]; mappings: string }) {
    if (typeof map !== "object" || map === null || typeof map.mappings !== "string") {
      throw new TypeError(
        `SourceMapIndex(): 'map' must be a source map object: received ${String(map)}`,
      );
    }
    this.sources = map.sources.map((s) => s.replace(/^[a-z-]+:/, ""));
    let source = 0;
    let line = 0;
    let column = 0;
    for (const text of map.mappings.split(";")) {
      const segments: Segment[] = [];
      let generated = 0;
      for (const seg of text.split(",")) {
        if (seg === "") continue;
        const fields = decodeVlq(seg);
        generated += fields[0] ?? 0;
        if (fields.length >= 4) {
          source += fields[1] ?? 0;
          line += fields[2] ?? 0;
          column += fields[3] ?? 0;
          segments.push([generated, source, line, column]);
        }
      }
      this.lines.push(segments);
    }
  }

  /** The original position of generated `line`:`column` (both 1-based). */
  lookup(line: number, column: number): SourcePosition | null {
    const segments = this.lines[line - 1];
    if (segments === undefined || segments.length === 0) return null;
    let best: Segment | undefined;
    for (const s of segments) {
      if (s[0] <= column - 1) best = s;
      else break;
    }
    best ??= segments[0];
    if (best === undefined) return null;
    return { source: this.sources[best[1]] ?? "?", line: best[2] + 1, column: best[3] + 1 };
  }
}

function decodeVlq(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of text) {
    const digit = B64.indexOf(ch);
    if (digit === -1) throw new SyntaxError(`source map: bad VLQ character ${JSON.stringify(ch)}`);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** A stack frame of the user's program. */
export interface Frame {
  name: string;
  at: SourcePosition;
}

/**
 * The frames of `stack` that are in the bundle at `bundleUrl`, mapped to their sources,
 * innermost first. Frames elsewhere (asyncio-ts, the worker) are dropped.
 *
 * @example
 * ```ts
 * programFrames(err.stack, url, map); // [{ name: "count", at: { source: "program.ts", … } }]
 * ```
 */
export function programFrames(stack: string, bundleUrl: string, map: SourceMapIndex): Frame[] {
  const frames: Frame[] = [];
  for (const raw of stack.split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("at ")) continue;
    const at = line.lastIndexOf(bundleUrl);
    if (at === -1) continue;
    const pos = /^:(\d+):(\d+)/.exec(line.slice(at + bundleUrl.length));
    if (pos === null) continue;
    const mapped = map.lookup(Number(pos[1]), Number(pos[2]));
    if (mapped === null) continue;
    const named = /^at (?:async )?(.+?) \(/.exec(line);
    let name = named?.[1] ?? "<module>";
    // V8 names generator frames "Generator.next" only when it knows no better; methods
    // come as "Module.main" or "Object.main" from the bundle's namespace object.
    name = name.replace(/^(Object|Module)\./, "");
    frames.push({ name, at: mapped });
  }
  return frames;
}

/** What `formatError` needs to know about the program's bundle. */
export interface BundleInfo {
  url: string;
  map: SourceMapIndex;
}

/**
 * An error as the playground shows it: `Name: message`, then the program's frames
 * (`  at count (program.ts:4:11)`), then its cause and, for an ExceptionGroup, each
 * sub-exception indented under it.
 *
 * @example
 * ```ts
 * output.textContent = formatError(err, { url, map });
 * ```
 */
export function formatError(error: unknown, bundle: BundleInfo, depth = 0): string {
  const pad = "  ".repeat(depth);
  if (!(error instanceof Error))
    return `${pad}Uncaught ${typeof error === "string" ? JSON.stringify(error) : String(error)}`;
  const lines: string[] = [];
  const head = error.message === "" ? error.name : `${error.name}: ${error.message}`;
  lines.push(...head.split("\n").map((l) => pad + l));
  const frames = programFrames(error.stack ?? "", bundle.url, bundle.map);
  for (const f of frames) {
    lines.push(`${pad}    at ${f.name} (${f.at.source}:${f.at.line}:${f.at.column})`);
  }
  const subs = (error as { exceptions?: unknown }).exceptions;
  if (Array.isArray(subs)) {
    subs.forEach((sub, i) => {
      lines.push(`${pad}  [${i + 1}/${subs.length}]`);
      lines.push(formatError(sub, bundle, depth + 2));
    });
  }
  if (error.cause !== undefined && depth < 8) {
    lines.push(`${pad}  caused by:`);
    lines.push(formatError(error.cause, bundle, depth + 2));
  }
  return lines.join("\n");
}
