/**
 * Name resolution on the loop: `loop.getaddrinfo()` and `loop.getnameinfo()` over
 * `node:dns` (`lookup`, which asks the operating system as the C library's `getaddrinfo`
 * does — `/etc/hosts` included — and `lookupService`).
 *
 * Results have Python's shapes: `getaddrinfo` gives `[family, type, proto, canonname,
 * sockaddr]` entries, `sockaddr` being `[host, port]` for IPv4 and
 * `[host, port, flowinfo, scopeId]` for IPv6. The constants are Linux's numbers, as
 * Python's `socket` module has them.
 *
 * Errors are Node's own (`code` `ENOTFOUND`, `EAI_AGAIN`, …) where Python raises
 * `socket.gaierror`. Cancellation: the awaiting task stops waiting at once; the system
 * lookup itself cannot be interrupted and its result is dropped.
 *
 * @module
 */

import { type BaseEventLoop, bridgePromise } from "../core/base_events.js";
import { describe } from "../core/coroutines.js";
import type { Future } from "../core/futures.js";
import { builtin } from "./builtins.js";

/**
 * Any address family (`socket.AF_UNSPEC`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { family: asyncio.AF_UNSPEC }); // IPv4 and IPv6
 * ```
 */
export const AF_UNSPEC = 0;
/**
 * IPv4 (`socket.AF_INET`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { family: asyncio.AF_INET }); // IPv4 only
 * ```
 */
export const AF_INET = 2;
/**
 * IPv6 (`socket.AF_INET6`, Linux's value).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("::1", 80, { family: asyncio.AF_INET6 }); // IPv6 only
 * console.log(infos.every(([family]) => family === asyncio.AF_INET6)); // true
 * ```
 */
export const AF_INET6 = 10;
/**
 * A stream socket: TCP (`socket.SOCK_STREAM`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { type: asyncio.SOCK_STREAM }); // TCP entries only
 * ```
 */
export const SOCK_STREAM = 1;
/**
 * A datagram socket: UDP (`socket.SOCK_DGRAM`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { type: asyncio.SOCK_DGRAM }); // UDP entries only
 * ```
 */
export const SOCK_DGRAM = 2;
/**
 * A raw socket (`socket.SOCK_RAW`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { type: asyncio.SOCK_RAW }); // raw entries only
 * ```
 */
export const SOCK_RAW = 3;
/**
 * TCP (`socket.IPPROTO_TCP`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { type: asyncio.SOCK_STREAM, proto: asyncio.IPPROTO_TCP });
 * ```
 */
export const IPPROTO_TCP = 6;
/**
 * UDP (`socket.IPPROTO_UDP`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { type: asyncio.SOCK_DGRAM, proto: asyncio.IPPROTO_UDP });
 * ```
 */
export const IPPROTO_UDP = 17;
/**
 * getaddrinfo flag: a `null` host means "any address", for binding (`socket.AI_PASSIVE`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo(null, 8080, { flags: asyncio.AI_PASSIVE }); // the wildcard addresses
 * ```
 */
export const AI_PASSIVE = 1;
/**
 * getaddrinfo flag: fill in `canonname` in the first entry (`socket.AI_CANONNAME`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { flags: asyncio.AI_CANONNAME });
 * console.log(infos[0]?.[3]); // the canonical name
 * ```
 */
export const AI_CANONNAME = 2;
/**
 * getaddrinfo flag: the host must be a numeric address, never looked up (`socket.AI_NUMERICHOST`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("127.0.0.1", 80, { flags: asyncio.AI_NUMERICHOST }); // no lookup
 * ```
 */
export const AI_NUMERICHOST = 4;
/**
 * getaddrinfo flag: IPv4-mapped IPv6 addresses when no IPv6 ones exist (`socket.AI_V4MAPPED`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, {
 *   family: asyncio.AF_INET6,
 *   type: asyncio.SOCK_STREAM,
 *   flags: asyncio.AI_V4MAPPED,
 * });
 * console.log(infos[0]?.[4]); // ["::1", 80, 0, 0], or ["::ffff:127.0.0.1", 80, 0, 0] without IPv6
 * ```
 */
export const AI_V4MAPPED = 8;
/**
 * getaddrinfo flag: only families configured on this host (`socket.AI_ADDRCONFIG`).
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 80, { flags: asyncio.AI_ADDRCONFIG }); // no IPv6 on an IPv4-only host
 * console.log(infos.length > 0); // true
 * ```
 */
export const AI_ADDRCONFIG = 32;
/**
 * getnameinfo flag: the host as a number, never looked up (`socket.NI_NUMERICHOST`).
 *
 * @example
 * ```ts
 * const [host, service] = yield* loop.getnameinfo(["127.0.0.1", 22], asyncio.NI_NUMERICHOST); // ["127.0.0.1", "ssh"]
 * ```
 */
export const NI_NUMERICHOST = 1;
/**
 * getnameinfo flag: the port as a number, not a service name (`socket.NI_NUMERICSERV`).
 *
 * @example
 * ```ts
 * const [host, port] = yield* loop.getnameinfo(["127.0.0.1", 22], asyncio.NI_NUMERICSERV); // ["localhost", "22"]
 * ```
 */
export const NI_NUMERICSERV = 2;

/**
 * A socket address: `[host, port]` (IPv4) or `[host, port, flowinfo, scopeId]` (IPv6).
 *
 * @example
 * ```ts
 * const addr: asyncio.SockAddr = ["127.0.0.1", 22];
 * const [host, service] = yield* loop.getnameinfo(addr); // e.g. ["localhost", "ssh"]
 * ```
 */
export type SockAddr =
  | [host: string, port: number]
  | [host: string, port: number, flowinfo: number, scopeId: number];

/**
 * One `getaddrinfo` entry: `[family, type, proto, canonname, sockaddr]`.
 *
 * @example
 * ```ts
 * const infos = yield* loop.getaddrinfo("localhost", 443, { type: asyncio.SOCK_STREAM });
 * for (const [family, type, proto, canonname, sockaddr] of infos) console.log(family, sockaddr[0]);
 * ```
 */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: SockAddr,
];

/**
 * Options of `loop.getaddrinfo()`, as asyncio's keyword arguments:
 * `loop.getaddrinfo(host, 443, { family: AF_INET, type: SOCK_STREAM })`.
 *
 * @example
 * ```ts
 * const options: asyncio.GetaddrinfoOptions = {
 *   family: asyncio.AF_INET,
 *   type: asyncio.SOCK_STREAM,
 *   flags: asyncio.AI_ADDRCONFIG,
 * };
 * const infos = yield* loop.getaddrinfo("localhost", "https", options);
 * console.log(infos); // [[2, 1, 6, "", ["127.0.0.1", 443]]]
 * ```
 */
export interface GetaddrinfoOptions {
  /** `AF_UNSPEC` (default), `AF_INET` or `AF_INET6`. */
  family?: number;
  /** `0` (every socket type, default), `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_RAW`. */
  type?: number;
  /** `0` (the type's protocol, default) or an `IPPROTO_*` number. */
  proto?: number;
  /** `AI_*` flags or-ed together. */
  flags?: number;
}

/** The few service names Python's resolver finds in /etc/services that people use. */
const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  imap: 143,
  https: 443,
  imaps: 993,
  pop3s: 995,
};

const TYPES: [type: number, proto: number][] = [
  [SOCK_STREAM, IPPROTO_TCP],
  [SOCK_DGRAM, IPPROTO_UDP],
  [SOCK_RAW, 0],
];

function checkInt(value: unknown, name: string, method: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new TypeError(
      `${method}(): '${name}' must be a non-negative integer: received ${describe(value)}`,
    );
  }
  return value as number;
}

function parsePort(port: number | string | null): number {
  if (port === null || port === undefined) return 0;
  if (typeof port === "number") {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(
        `getaddrinfo(): 'port' must be an integer in 0..65535: received ${describe(port)}`,
      );
    }
    return port;
  }
  if (typeof port === "string") {
    if (/^\d+$/.test(port)) return parsePort(Number(port));
    const known = SERVICES[port.toLowerCase()];
    if (known !== undefined) return known;
    throw new RangeError(
      `getaddrinfo(): 'port' names an unknown service: received ${describe(port)} (use a port number)`,
    );
  }
  throw new TypeError(
    `getaddrinfo(): 'port' must be a number, a string or null: received ${describe(port)}`,
  );
}

function gaiError(message: string, code: string, host: string | null): Error {
  return Object.assign(new Error(`getaddrinfo ${code} ${host ?? ""}: ${message}`), {
    code,
    hostname: host,
  });
}

/** The addresses a `null` host stands for, in the order the C library gives them. */
function noHostAddresses(flags: number): { address: string; family: number }[] {
  return flags & AI_PASSIVE
    ? [
        { address: "0.0.0.0", family: 4 },
        { address: "::", family: 6 },
      ]
    : [
        { address: "::1", family: 6 },
        { address: "127.0.0.1", family: 4 },
      ];
}

/** @internal `loop.getaddrinfo()`. */
export function getaddrinfo(
  loop: BaseEventLoop,
  host: string | null,
  port: number | string | null,
  options: GetaddrinfoOptions = {},
): Future<AddrInfo[]> {
  loop._checkClosed();
  if (host !== null && typeof host !== "string") {
    throw new TypeError(
      `getaddrinfo(): 'host' must be a string or null: received ${describe(host)}`,
    );
  }
  const family = checkInt(options.family ?? AF_UNSPEC, "family", "getaddrinfo");
  const type = checkInt(options.type ?? 0, "type", "getaddrinfo");
  const proto = checkInt(options.proto ?? 0, "proto", "getaddrinfo");
  const flags = checkInt(options.flags ?? 0, "flags", "getaddrinfo");
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) {
    throw new RangeError(
      `getaddrinfo(): 'family' must be AF_UNSPEC, AF_INET or AF_INET6: received ${family}`,
    );
  }
  if (type !== 0 && !TYPES.some(([t]) => t === type)) {
    throw new RangeError(`getaddrinfo(): 'type' must be 0 or a SOCK_* constant: received ${type}`);
  }
  const portNumber = parsePort(port);
  const nodeFamily = family === AF_INET ? 4 : family === AF_INET6 ? 6 : 0;

  let lookup: Promise<{ address: string; family: number }[]>;
  if (host === null || host === "") {
    lookup = Promise.resolve(
      noHostAddresses(flags).filter((a) => nodeFamily === 0 || a.family === nodeFamily),
    );
  } else if (flags & AI_NUMERICHOST && builtin("node:net").isIP(host) === 0) {
    lookup = Promise.reject(gaiError("Name or service not known", "EAI_NONAME", host));
  } else {
    // Node takes the C library's own values (32 and 8 on Linux), which it validates.
    const dns = builtin("node:dns");
    let hints = 0;
    if (flags & AI_ADDRCONFIG) hints |= dns.ADDRCONFIG;
    if (flags & AI_V4MAPPED) hints |= dns.V4MAPPED;
    lookup = dns.promises.lookup(host, {
      all: true,
      family: nodeFamily,
      hints,
      verbatim: true,
    });
  }
  const types = type === 0 ? TYPES : TYPES.filter(([t]) => t === type);
  const result = lookup.then((addresses) => {
    const infos: AddrInfo[] = [];
    for (const a of addresses) {
      const sockaddr: SockAddr =
        a.family === 6 ? [a.address, portNumber, 0, 0] : [a.address, portNumber];
      for (const [t, p] of types) {
        const canonname = infos.length === 0 && flags & AI_CANONNAME ? (host ?? "") : "";
        infos.push([a.family === 6 ? AF_INET6 : AF_INET, t, proto || p, canonname, sockaddr]);
      }
    }
    return infos;
  });
  return bridgePromise(result, loop);
}

/** @internal `loop.getnameinfo()`. */
export function getnameinfo(
  loop: BaseEventLoop,
  sockaddr: SockAddr,
  flags = 0,
): Future<[string, string]> {
  loop._checkClosed();
  if (
    !Array.isArray(sockaddr) ||
    (sockaddr.length !== 2 && sockaddr.length !== 4) ||
    typeof sockaddr[0] !== "string" ||
    !Number.isInteger(sockaddr[1])
  ) {
    throw new TypeError(
      `getnameinfo(): 'sockaddr' must be [host, port] or [host, port, flowinfo, scopeId]: received ${describe(sockaddr)}`,
    );
  }
  checkInt(flags, "flags", "getnameinfo");
  const [host, port] = sockaddr;
  if (port < 0 || port > 65535) {
    throw new RangeError(`getnameinfo(): the port must be in 0..65535: received ${port}`);
  }
  let result: Promise<[string, string]>;
  if (flags & NI_NUMERICHOST && flags & NI_NUMERICSERV) {
    result = Promise.resolve([host, String(port)]);
  } else {
    // Deferred so that a bad host (not an address) rejects the Future instead of throwing.
    result = Promise.resolve()
      .then(() => builtin("node:dns").promises.lookupService(host, port))
      .then(({ hostname, service }) => [
        flags & NI_NUMERICHOST ? host : hostname,
        flags & NI_NUMERICSERV ? String(port) : service,
      ]);
  }
  return bridgePromise(result, loop);
}
