/**
 * The playground's shareable address: the program travels in the URL's fragment
 * (`/playground#code=…`), so it never reaches a server, and the page needs no backend.
 * The text is UTF-8, base64url-encoded; `loop=virtual` picks virtual time.
 *
 * Used at build time too (Node), for the "Run" buttons of the docs' code blocks, so it
 * uses only what both have: TextEncoder, btoa/atob.
 */

/** The playground's settings carried by an address. */
export interface SharedProgram {
  code: string;
  virtual: boolean;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * The fragment (without `#`) that opens `program` in the playground.
 *
 * @example
 * ```ts
 * location.hash = encodeProgram({ code: "console.log(1)", virtual: true });
 * ```
 */
export function encodeProgram(program: SharedProgram): string {
  const code = toBase64Url(new TextEncoder().encode(program.code));
  return program.virtual ? `loop=virtual&code=${code}` : `code=${code}`;
}

/**
 * The program a fragment carries, or null when it carries none or cannot be decoded.
 *
 * @example
 * ```ts
 * const shared = decodeProgram(location.hash.slice(1));
 * ```
 */
export function decodeProgram(fragment: string): SharedProgram | null {
  const params = new URLSearchParams(fragment.replace(/^#/, ""));
  const code = params.get("code");
  if (code === null) return null;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(code));
    return { code: text, virtual: params.get("loop") === "virtual" };
  } catch {
    return null;
  }
}

/** The modules a program may import in the playground. */
export const PLAYGROUND_IMPORTS = ["asyncio-ts", "asyncio-ts/portable"] as const;

/**
 * Whether a docs code block may be a program the playground can run, and the program to
 * open: TypeScript that imports nothing but asyncio-ts (no I/O subpath, no Node module, no
 * network) and runs something: it calls `asyncio.run(`, or defines `main` (then `main()`
 * is run). A block that uses `asyncio.` without importing it gets the import. Whether it
 * is whole (defines all it uses) the site's build decides with the TypeScript compiler.
 *
 * @example
 * ```ts
 * runnableProgram('function* main() {}\nawait asyncio.run(main());'); // with the import added
 * ```
 */
export function runnableProgram(code: string): string | null {
  const runs = /\basyncio\.run\(/.test(code);
  const definesMain = /^(export )?function\* main\(/m.test(code);
  if (!runs && !definesMain) return null;
  if (/\brequire\(|\bprocess\.|\bnode:|\bDeno\.|\bBun\.|\bfetch\(/.test(code)) return null;
  for (const m of code.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g)) {
    const spec = m[1] ?? m[2] ?? "";
    if (!(PLAYGROUND_IMPORTS as readonly string[]).includes(spec)) return null;
  }
  let program = code;
  if (!runs && !/^export function\* main\(/m.test(code))
    program = `${program.trimEnd()}\n\nawait asyncio.run(main());\n`;
  const imports = /\bfrom\s+["']asyncio-ts(\/portable)?["']/.test(code);
  if (!imports && /\basyncio\./.test(program))
    program = `import * as asyncio from "asyncio-ts";\n\n${program}`;
  return program;
}
