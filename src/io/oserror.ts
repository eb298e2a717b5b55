/**
 * Node's system errors as Python's OSError classes: the one place where an error from a
 * socket, a pipe or a connect becomes what asyncio would raise, so that
 * `instanceof asyncio.ConnectionResetError` holds whichever path it came by.
 *
 * @module
 */

import {
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  OSError,
  TimeoutError,
} from "../core/exceptions.js";
import { builtin } from "./builtins.js";

type OSErrorClass = new (
  message: string,
  options: ConstructorParameters<typeof OSError>[1],
) => OSError;

/** Python picks the class by errno; Node's errno differs by platform, its code does not. */
const CLASSES: Readonly<Record<string, OSErrorClass>> = {
  ECONNRESET: ConnectionResetError,
  EPIPE: BrokenPipeError,
  ESHUTDOWN: BrokenPipeError,
  ECONNREFUSED: ConnectionRefusedError,
  ECONNABORTED: ConnectionAbortedError,
  ETIMEDOUT: TimeoutError,
};

let systemErrors: Map<number, [string, string]> | null = null;

/** libuv's description of an errno, as Python's strerror: "connection reset by peer" → "Connection reset by peer". */
function strerror(errno: number): string | null {
  systemErrors ??= builtin("node:util").getSystemErrorMap();
  const text = systemErrors.get(errno)?.[1];
  return text === undefined ? null : text.charAt(0).toUpperCase() + text.slice(1);
}

interface NodeSystemError {
  message: string;
  code: string;
  errno: number;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
}

function isSystemError(e: unknown): e is NodeSystemError {
  if (typeof e !== "object" || e === null) return false;
  const { code, errno, syscall } = e as { code?: unknown; errno?: unknown; syscall?: unknown };
  return (
    typeof code === "string" &&
    typeof errno === "number" &&
    // Name resolution failures are Python's socket.gaierror, which asyncio-ts does not
    // have: they stay Node's errors, as asyncio.getaddrinfo() raises them.
    syscall !== "getaddrinfo" &&
    syscall !== "getnameinfo"
  );
}

/** Python's repr of a connect address: `('127.0.0.1', 1)`, or the path of a Unix socket. */
function connectTarget(address: string, port: unknown): string {
  return typeof port === "number" ? `('${address}', ${port})` : `'${address}'`;
}

/**
 * @internal `e` as asyncio would raise it: a Node system error (one with a string `code`
 * and a numeric `errno`) becomes the OSError subclass for its code, keeping `code`,
 * `errno`, `syscall`, `address`, `port` and Node's error as `cause`; the message reads as
 * Python's, then Node's (`[Errno 111] Connect call failed ('127.0.0.1', 1): connect
 * ECONNREFUSED 127.0.0.1:1`). Anything else (an OSError already, a CancelledError, a TLS
 * or name resolution error, a protocol's own exception) is returned unchanged.
 */
export function _osError(e: Error): Error;
/** @internal */
export function _osError(e: unknown): unknown;
export function _osError(e: unknown): unknown {
  if (e instanceof OSError || !isSystemError(e)) return e;
  const { code, errno, syscall, address, port } = e;
  const cls = CLASSES[code] ?? OSError;
  const what =
    syscall === "connect" && typeof address === "string"
      ? `Connect call failed ${connectTarget(address, port)}`
      : (strerror(errno) ?? code);
  return new cls(`[Errno ${Math.abs(errno)}] ${what}: ${e.message}`, {
    code,
    errno,
    ...(typeof syscall === "string" ? { syscall } : {}),
    ...(typeof address === "string" ? { address } : {}),
    ...(typeof port === "number" ? { port } : {}),
    cause: e,
  });
}
