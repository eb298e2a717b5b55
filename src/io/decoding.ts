/**
 * Strict text decoding shared by the HTTP client and the files API: invalid data raises
 * {@link UnicodeDecodeError} (as Python's codecs with `errors="strict"`), unless the caller
 * asks for `errors: "replace"` (U+FFFD for each undecodable sequence).
 *
 * @module
 */

import { describe } from "../core/coroutines.js";

/**
 * The global TextDecoder (Node, Deno, Bun and browsers have it; an import of node:util for
 * it would cost every importer of the main entry its linking), as the runtime's lib types it.
 */
export type Decoder = InstanceType<typeof TextDecoder>;

/**
 * What to do with bytes that are not valid in the encoding, as Python's `errors=`:
 * `"strict"` (the default) raises {@link UnicodeDecodeError}, `"replace"` puts U+FFFD in
 * their place.
 *
 * @example
 * ```ts
 * const errors: asyncio.DecodeErrors = "replace";
 * const resp = yield* new http.ClientSession().get(`${api}/bad-utf8`);
 * const text = yield* resp.text({ errors });
 * console.log(text); // ok�
 * ```
 */
export type DecodeErrors = "strict" | "replace";

/**
 * Bytes that are not valid in the encoding they are decoded with (Python's
 * `UnicodeDecodeError`). A `TypeError`, as the error of Node's own strict `TextDecoder`.
 *
 * @example
 * ```ts
 * try { yield* resp.text(); }
 * catch (e) {
 *   if (e instanceof asyncio.UnicodeDecodeError) console.log(e.encoding, "byte", e.start);
 * }
 * ```
 */
export class UnicodeDecodeError extends TypeError {
  /** The encoding, such as `"utf-8"`. */
  readonly encoding: string;
  /** The byte offset of the first undecodable byte (in the body, or in the file). */
  readonly start: number;
  constructor(encoding: string, start: number, message: string) {
    super(message);
    this.encoding = encoding;
    this.start = start;
  }
  override get name(): string {
    return "UnicodeDecodeError";
  }
}

/** Checks an `errors` option: a clear error naming the argument and the value. */
export function checkErrors(value: unknown, where: string): DecodeErrors {
  if (value === undefined) return "strict";
  if (value !== "strict" && value !== "replace") {
    throw new RangeError(
      `${where}: 'errors' must be "strict" or "replace": received ${describe(value)}`,
    );
  }
  return value;
}

/** A decoder for `encoding` (a WHATWG label) that is fatal unless `errors` is "replace". */
export function makeDecoder(encoding: string, errors: DecodeErrors): Decoder {
  return new TextDecoder(encoding, { fatal: errors === "strict" });
}

/**
 * Decodes `bytes`; a strict decoder's failure becomes a {@link UnicodeDecodeError} whose
 * offset is `base` plus the offending byte's index. `what` names the data in the message.
 */
export function decodeText(decoder: Decoder, bytes: Uint8Array, what: string, base = 0): string {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    if (!decoder.fatal) throw e;
    // The error path only: find where decoding fails (Node's error does not say).
    const at = decoder.encoding === "utf-8" ? invalidUtf8At(bytes) : invalidAt(decoder, bytes);
    const byte = bytes[at];
    const shown = byte === undefined ? "" : ` (0x${byte.toString(16).padStart(2, "0")})`;
    throw new UnicodeDecodeError(
      decoder.encoding,
      base + at,
      `invalid ${decoder.encoding} data at byte offset ${base + at}${shown} of ${what}; ` +
        `pass { errors: "replace" } to decode it leniently`,
    );
  }
}

/**
 * The index where the first ill-formed UTF-8 sequence starts (Unicode's well-formed
 * table, which TextDecoder follows); `bytes.length` if none.
 */
export function invalidUtf8At(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > n) return i;
    const second = bytes[i + 1] as number;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < len; k++) {
      const c = bytes[i + k] as number;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return n;
}

/** For other encodings: the index of the byte at which a streaming decode first fails. */
function invalidAt(decoder: Decoder, bytes: Uint8Array): number {
  const probe = new TextDecoder(decoder.encoding, { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      probe.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  return bytes.length;
}
