/**
 * `asyncio-ts/files`: asynchronous files in the spirit of aiofiles, over
 * `node:fs/promises`. Its own entry, as aiofiles is its own package beside asyncio.
 *
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import * as files from "asyncio-ts/files";
 *
 * function* main() {
 *   const text = yield* asyncio.asyncWith(files.openFile("notes.txt"), (f) => f.read());
 *   console.log(text.length);
 * }
 * await asyncio.run(main());
 * ```
 *
 * @module
 */

export type { BinaryMode, FileEncoding, OpenFileOptions, TextMode } from "./files.js";
export { AsyncFile, FileOpener, openFile } from "./files.js";
