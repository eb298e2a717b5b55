/**
 * Node's built-in modules, loaded on first use rather than at import: `node:tls`
 * alone pulls in `crypto` (some 40 internal modules), and `net`, `dgram`, `dns`,
 * `child_process` and `worker_threads` each bring their own (and an ESM import of `node:fs`
 * touches every lazy export of it, `fs/promises` and the streams included); together they cost an
 * importer tens of milliseconds of start-up for I/O most programs never do. The modules
 * that use them import their types only and ask here for the value when the first socket,
 * process or worker is made. The lighter ones used only now and then (`os` for its signal
 * table, `url`, `util` for errno names) are loaded here too: each ESM import of a
 * built-in costs its importer some tenths of a millisecond of linking.
 *
 * Loading is synchronous, so call sites stay as they were: `process.getBuiltinModule`
 * (Node >= 20.16, Deno, Bun), else `require` made by `createRequire` (older Node 20).
 *
 * @module
 */

import { createRequire } from "node:module";

/** The built-in modules loaded lazily, by id. */
interface LazyBuiltins {
  "node:child_process": typeof import("node:child_process");
  "node:dgram": typeof import("node:dgram");
  "node:dns": typeof import("node:dns");
  "node:fs": typeof import("node:fs");
  "node:inspector": typeof import("node:inspector");
  "node:module": typeof import("node:module");
  "node:net": typeof import("node:net");
  "node:os": typeof import("node:os");
  "node:tls": typeof import("node:tls");
  "node:url": typeof import("node:url");
  "node:util": typeof import("node:util");
  "node:worker_threads": typeof import("node:worker_threads");
}

const loaded: Partial<LazyBuiltins> = {};
let load: ((id: string) => unknown) | undefined;

/**
 * The built-in module `id`, loaded on the first call.
 *
 * @internal
 * @example
 * ```ts
 * const sock = builtin("node:net").connect({ host, port });
 * ```
 */
export function builtin<K extends keyof LazyBuiltins>(id: K): LazyBuiltins[K] {
  const cached = loaded[id];
  if (cached !== undefined) return cached;
  load ??=
    typeof process.getBuiltinModule === "function"
      ? (name) => process.getBuiltinModule(name)
      : createRequire(`${process.cwd()}/`);
  const mod = load(id) as LazyBuiltins[K];
  loaded[id] = mod;
  return mod;
}
