/**
 * Module resolution hooks for `asyncio-ts run` in a checkout of asyncio-ts itself: a
 * TypeScript program there imports the library's *sources* (`../src/index.js`, which tsx
 * maps to `src/index.ts`), while the built command uses `dist/src/index.js`. Two copies of
 * the library would mean two "running loops" and two `Future` classes, and nothing would
 * work. These hooks send every import of a `src/**.ts` file to its built twin in `dist/`,
 * so the program and the command share one library. Outside a checkout they do nothing.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** What `module.register()` passes to {@link initialize}. */
export interface SameLibraryData {
  /** `file:` URL of the checkout's `src/` directory, with a trailing slash. */
  srcUrl: string;
  /** `file:` URL of the built `dist/src/` directory, with a trailing slash. */
  distUrl: string;
}

let data: SameLibraryData | null = null;

/**
 * Receives the directories from `module.register(url, { data })`.
 *
 * @example
 * ```ts
 * register(hooksUrl, { data: { srcUrl, distUrl } });
 * ```
 */
export function initialize(d: SameLibraryData): void {
  data = d;
}

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}

/**
 * Resolves as the next hook does, then swaps a library source file for its built twin.
 *
 * @example
 * ```ts
 * // "../src/index.js" → file:///…/dist/src/index.js
 * ```
 */
export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context?: unknown) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context);
  if (data === null || !result.url.startsWith(data.srcUrl) || !result.url.endsWith(".ts")) {
    return result;
  }
  const built = `${data.distUrl}${result.url.slice(data.srcUrl.length, -3)}.js`;
  if (!existsSync(fileURLToPath(built))) return result;
  return { url: built, format: "module", shortCircuit: true };
}
