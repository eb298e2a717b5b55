/**
 * The event loop's network methods — `createConnection`, `createServer`, their Unix-socket
 * twins, `createDatagramEndpoint` and `startTls` — as functions of the loop, which
 * `IOEventLoop` (loop_io.ts) calls from its methods. `BaseEventLoop` only declares them: they
 * live here, not in `src/core/`, because the core imports nothing from Node.
 *
 * Every method is a coroutine: it waits for Node's callback through a Future, so it can be
 * cancelled, and cancelling it destroys the half-made socket — nothing leaks. While such a
 * wait is pending, a virtual-time loop does not jump its clock (the socket is outside work
 * it waits for, see `_externalPending`).
 *
 * @module
 */

import type * as net from "node:net";
import type * as tls from "node:tls";
import type { BaseEventLoop } from "../core/base_events.js";
import { type Coroutine, describe } from "../core/coroutines.js";
import { TimeoutError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import { _noteWait } from "../core/observer.js";
import { builtin } from "./builtins.js";
import { _osError } from "./oserror.js";
import type { BaseProtocol, DatagramAddress, DatagramProtocol } from "./protocols.js";
import { type AcceptCallback, Server } from "./server.js";
import {
  type DatagramTransport,
  type InetAddress,
  type SocketAddress,
  SocketTransport,
  type Transport,
  UdpTransport,
} from "./transports.js";

/** asyncio's default TLS handshake timeout, in seconds. */
const SSL_HANDSHAKE_TIMEOUT = 60;

/**
 * TLS settings for a client: `true` for Node's defaults (the system's CAs, certificate
 * and host name verified), or node:tls's connection options (e.g. `{ ca }` to trust a
 * private CA). Verification is on unless you pass `rejectUnauthorized: false`.
 *
 * @example
 * ```ts
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0, {
 *   ssl: { key: keyPem, cert: certPem },
 * });
 * const [, port] = server.sockets[0]!.getsockname();
 * // `ssl: true` trusts the system's CAs, as for a public server; this one's certificate
 * // is self-signed, so it is trusted by name.
 * const ssl: asyncio.ClientSSL = { ca: [caPem] };
 * const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port, { ssl });
 * writer.write(Buffer.from("over TLS\n"));
 * console.log((yield* reader.readline()).toString()); // over TLS
 * writer.close();
 * yield* writer.waitClosed();
 * server.close();
 * ```
 */
export type ClientSSL = true | tls.ConnectionOptions;

/**
 * TLS settings for a server: node:tls's server options (`key` and `cert` at least).
 *
 * @example
 * ```ts
 * const ssl: asyncio.ServerSSL = { key: keyPem, cert: certPem }; // as read from key.pem, cert.pem
 * const server = yield* asyncio.startServer(handle, "127.0.0.1", 0, { ssl });
 * console.log(server.isServing()); // true
 * server.close();
 * yield* server.waitClosed();
 * ```
 */
export type ServerSSL = tls.TlsOptions;

/**
 * Options of `loop.createConnection()` (asyncio's keyword arguments).
 *
 * @example
 * ```ts
 * const server = yield* loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0, {
 *   ssl: { key: keyPem, cert: certPem },
 * });
 * const [, port] = server.sockets[0]!.getsockname();
 * const options: asyncio.CreateConnectionOptions = {
 *   ssl: { ca: [caPem] }, // `true` for a public server: the system's CAs
 *   family: 4,
 *   sslHandshakeTimeout: 10,
 * };
 * const [transport] = yield* loop.createConnection(() => new MyProtocol(), "127.0.0.1", port, options);
 * transport.write(Buffer.from("hello")); // MyProtocol prints the echo: hello
 * yield* asyncio.sleep(0.1);
 * transport.close();
 * server.close();
 * ```
 */
export interface CreateConnectionOptions {
  /** Make a TLS connection. */
  ssl?: ClientSSL;
  /** The name the server's certificate must match; the host by default. */
  serverHostname?: string;
  /** 0 (any), 4 or 6. */
  family?: 0 | 4 | 6;
  /** Bind the local end to `[host, port]` first. */
  localAddr?: readonly [host: string, port: number];
  /** Seconds the TLS handshake may take (60 by default). */
  sslHandshakeTimeout?: number;
  /**
   * Seconds to wait for one address family before trying the next (Happy Eyeballs,
   * Node's `autoSelectFamilyAttemptTimeout`). Node tries both families by default.
   */
  happyEyeballsDelay?: number;
  /** Use this connected socket instead of connecting (host and port must be omitted). */
  sock?: net.Socket;
}

/**
 * Options of `loop.createServer()`.
 *
 * @example
 * ```ts
 * const server = yield* loop.createServer(() => new EchoProtocol(), "::", 8888, {
 *   backlog: 512,
 *   ipv6Only: true,
 * });
 * ```
 */
export interface CreateServerOptions {
  /** Serve TLS. */
  ssl?: ServerSSL;
  /** 0 (any), 4 or 6: with no host, listen on every address of that family. */
  family?: 0 | 4 | 6;
  /** The listen backlog (100 by default, as asyncio). */
  backlog?: number;
  /** Seconds a client's TLS handshake may take (60 by default). */
  sslHandshakeTimeout?: number;
  /** Start accepting at once (default true); else call `server.startServing()`. */
  startServing?: boolean;
  /** With an IPv6 host, accept only IPv6 (no dual stack). */
  ipv6Only?: boolean;
}

/**
 * Options of `loop.createUnixConnection()`.
 *
 * @example
 * ```ts
 * const path = `${process.cwd()}/tls.sock`;
 * const server = yield* loop.createUnixServer(() => new EchoProtocol(), path, {
 *   ssl: { key: keyPem, cert: certPem },
 * });
 * const options: asyncio.CreateUnixConnectionOptions = {
 *   ssl: { ca: [caPem] },
 *   serverHostname: "localhost", // a Unix socket has no host name: the certificate's
 * };
 * const [transport] = yield* loop.createUnixConnection(() => new MyProtocol(), path, options);
 * transport.write(Buffer.from("hello")); // MyProtocol prints the echo: hello
 * yield* asyncio.sleep(0.1);
 * transport.close();
 * server.close();
 * ```
 */
export interface CreateUnixConnectionOptions {
  ssl?: ClientSSL;
  /** Required with `ssl`: there is no host name to check the certificate against. */
  serverHostname?: string;
  sslHandshakeTimeout?: number;
}

/**
 * Options of `loop.createUnixServer()`.
 *
 * @example
 * ```ts
 * const server = yield* loop.createUnixServer(() => new EchoProtocol(), "/tmp/app.sock", {
 *   backlog: 64,
 *   cleanupSocket: false,
 * });
 * ```
 */
export interface CreateUnixServerOptions {
  ssl?: ServerSSL;
  backlog?: number;
  sslHandshakeTimeout?: number;
  startServing?: boolean;
  /** Remove the socket file when the server closes (3.13; default true). */
  cleanupSocket?: boolean;
}

/**
 * Options of `loop.createDatagramEndpoint()`.
 *
 * @example
 * ```ts
 * const [transport] = yield* loop.createDatagramEndpoint(() => new asyncio.DatagramProtocol(), {
 *   remoteAddr: ["127.0.0.1", 9999],
 * });
 * transport.sendto(Buffer.from("ping")); // connected: no address needed
 * ```
 */
export interface CreateDatagramEndpointOptions {
  /** Bind to `[host, port]` (port 0: any). */
  localAddr?: readonly [host: string, port: number];
  /** Connect to `[host, port]`: `sendto(data)` then needs no address. */
  remoteAddr?: readonly [host: string, port: number];
  /** 4 or 6; derived from the addresses when omitted (4 if none). */
  family?: 0 | 4 | 6;
  /** Allow sending to broadcast addresses. */
  allowBroadcast?: boolean;
  /** SO_REUSEADDR on the socket. */
  reuseAddress?: boolean;
}

/**
 * Options of `loop.startTls()`.
 *
 * @example
 * ```ts
 * const server = yield* loop.createServer(() => new asyncio.Protocol(), "127.0.0.1", 0, {
 *   ssl: { key: keyPem, cert: certPem },
 * });
 * const [, port] = server.sockets[0]!.getsockname();
 * const [transport, protocol] = yield* loop.createConnection(() => new MyProtocol(), "127.0.0.1", port);
 * const options: asyncio.StartTlsOptions = { serverHostname: "localhost", sslHandshakeTimeout: 10 };
 * const tlsTransport = yield* loop.startTls(transport, protocol, { ca: [caPem] }, options);
 * console.log(tlsTransport.getExtraInfo("peercert") !== undefined); // true
 * tlsTransport.close();
 * server.close();
 * ```
 */
export interface StartTlsOptions {
  /** This end is the server (it needs `key`/`cert` in the options). */
  serverSide?: boolean;
  serverHostname?: string;
  sslHandshakeTimeout?: number;
}

// ---------------------------------------------------------------- waiting on Node

/**
 * A wait for `okEvent` (or an `errorEvent`, rejected) on a Node emitter, through a Future
 * on the loop. The listeners are registered at once, so the Node call that may emit the
 * event can follow; `wait()` awaits it and always removes them. A `timeout` (seconds)
 * rejects with TimeoutError. The caller destroys the socket on failure or cancellation.
 */
class EventWait {
  private readonly _fut: Future<void>;
  private readonly _timer: { cancel(): void } | null;

  constructor(
    private readonly _loop: BaseEventLoop,
    private readonly _emitter: NodeJS.EventEmitter,
    private readonly _okEvent: string,
    timeout: number | null = null,
    private readonly _errorEvent = "error",
  ) {
    const fut = _loop.createFuture<void>();
    _noteWait(_loop, fut, "io");
    this._fut = fut;
    _emitter.once(_okEvent, this._onOk);
    _emitter.once(_errorEvent, this._onErr);
    this._timer =
      timeout === null
        ? null
        : _loop.callLater(timeout, () => {
            if (!fut.done()) {
              fut.setException(new TimeoutError(`${_okEvent} did not happen within ${timeout} s`));
            }
          });
    _loop._externalPending++;
  }

  private readonly _onOk = (): void => {
    // Under an explorer, a connect or handshake may complete some iterations later.
    const delay = this._loop._deliverOutside;
    if (delay === null) this._ok();
    else delay(this._ok);
  };

  private readonly _ok = (): void => {
    if (!this._fut.done()) this._fut.setResult(undefined);
  };

  private readonly _onErr = (err: unknown): void => {
    if (!this._fut.done()) {
      this._fut.setException(_osError(err ?? new Error(`${this._errorEvent} event`)));
    }
  };

  *wait(): Coroutine<void> {
    try {
      yield* this._fut;
    } finally {
      this._loop._externalPending--;
      this._timer?.cancel();
      this._emitter.removeListener(this._okEvent, this._onOk);
      this._emitter.removeListener(this._errorEvent, this._onErr);
    }
  }
}

function checkTimeout(value: number | undefined, method: string): number {
  if (value === undefined) return SSL_HANDSHAKE_TIMEOUT;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(
      `${method}(): 'sslHandshakeTimeout' must be a number of seconds > 0: received ${describe(value)}`,
    );
  }
  return value;
}

function checkFactory(f: unknown, method: string): void {
  if (typeof f !== "function") {
    throw new TypeError(
      `${method}(): 'protocolFactory' must be a function returning a protocol: received ${describe(f)}`,
    );
  }
}

function checkPort(port: unknown, method: string): void {
  if (
    port !== null &&
    port !== undefined &&
    (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535)
  ) {
    throw new RangeError(
      `${method}(): 'port' must be an integer from 0 to 65535: received ${describe(port)}`,
    );
  }
}

function makeProtocol<P extends BaseProtocol>(factory: () => P, method: string): P {
  const p = factory();
  if (p === null || typeof p !== "object" || typeof p.connectionMade !== "function") {
    throw new TypeError(
      `${method}(): 'protocolFactory' must return a protocol: received ${describe(p)}`,
    );
  }
  return p;
}

/**
 * Makes the transport and waits for `connectionMade`; on failure or cancellation the
 * transport is closed.
 */
function* makeTransport<P extends BaseProtocol>(
  loop: BaseEventLoop,
  sock: net.Socket,
  protocol: P,
  isTls: boolean,
): Coroutine<SocketTransport> {
  const waiter = loop.createFuture<void>();
  const transport = new SocketTransport(loop, sock, protocol, { waiter, tls: isTls });
  try {
    yield* waiter;
  } catch (e) {
    transport.close();
    throw e;
  }
  return transport;
}

function tlsClientOptions(
  ssl: ClientSSL,
  host: string | undefined,
  serverHostname: string | undefined,
): tls.ConnectionOptions {
  const base: tls.ConnectionOptions = ssl === true ? {} : { ...ssl };
  const name = serverHostname ?? base.servername ?? host;
  // SNI takes host names only; an IP address is still checked against the certificate.
  if (name !== undefined && builtin("node:net").isIP(name) === 0) base.servername = name;
  if (
    name !== undefined &&
    base.checkServerIdentity === undefined &&
    serverHostname !== undefined
  ) {
    base.checkServerIdentity = (_h, cert) =>
      builtin("node:tls").checkServerIdentity(serverHostname, cert);
  }
  return base;
}

/** Connects `sock` (already created) and waits for it, destroying it on failure. */
function* awaitConnect(
  loop: BaseEventLoop,
  sock: net.Socket,
  isTls: boolean,
  handshakeTimeout: number,
): Coroutine<void> {
  try {
    yield* new EventWait(
      loop,
      sock,
      isTls ? "secureConnect" : "connect",
      isTls ? handshakeTimeout : null,
    ).wait();
  } catch (e) {
    sock.destroy();
    throw e;
  }
}

// ---------------------------------------------------------------- createConnection

function* createConnection<P extends BaseProtocol>(
  this: BaseEventLoop,
  protocolFactory: () => P,
  host: string | null = null,
  port: number | null = null,
  options: CreateConnectionOptions = {},
): Coroutine<[Transport, P]> {
  checkFactory(protocolFactory, "createConnection");
  checkPort(port, "createConnection");
  const { ssl, serverHostname, family, localAddr, happyEyeballsDelay, sock: given } = options;
  const timeout = checkTimeout(options.sslHandshakeTimeout, "createConnection");
  if (serverHostname !== undefined && ssl === undefined) {
    throw new RangeError("createConnection(): 'serverHostname' is only meaningful with 'ssl'");
  }
  if (options.sslHandshakeTimeout !== undefined && ssl === undefined) {
    throw new RangeError("createConnection(): 'sslHandshakeTimeout' is only meaningful with 'ssl'");
  }
  let sock: net.Socket;
  const isTls = ssl !== undefined;
  if (given !== undefined) {
    if (host !== null || port !== null) {
      throw new RangeError(
        "createConnection(): 'host' and 'port' must be null when 'sock' is given",
      );
    }
    if (!(given instanceof builtin("node:net").Socket)) {
      throw new TypeError(
        `createConnection(): 'sock' must be a net.Socket: received ${describe(given)}`,
      );
    }
    if (isTls) {
      sock = builtin("node:tls").connect({
        ...tlsClientOptions(ssl, given.remoteAddress, serverHostname),
        socket: given,
      });
      yield* awaitConnect(this, sock, true, timeout);
    } else {
      sock = given;
    }
  } else {
    if (host === null || port === null) {
      throw new RangeError("createConnection(): 'host' and 'port' are required (or 'sock')");
    }
    if (typeof host !== "string") {
      throw new TypeError(
        `createConnection(): 'host' must be a string: received ${describe(host)}`,
      );
    }
    const netOpts: net.TcpNetConnectOpts = {
      host,
      port,
      allowHalfOpen: true,
      noDelay: true,
    };
    if (family !== undefined && family !== 0) netOpts.family = family;
    if (localAddr !== undefined) {
      netOpts.localAddress = localAddr[0];
      netOpts.localPort = localAddr[1];
    }
    if (happyEyeballsDelay !== undefined) {
      netOpts.autoSelectFamily = true;
      netOpts.autoSelectFamilyAttemptTimeout = Math.max(10, Math.round(happyEyeballsDelay * 1000));
    }
    sock = isTls
      ? builtin("node:tls").connect({ ...netOpts, ...tlsClientOptions(ssl, host, serverHostname) })
      : builtin("node:net").connect(netOpts);
    yield* awaitConnect(this, sock, isTls, timeout);
  }
  const protocol = makeProtocol(protocolFactory, "createConnection");
  const transport = yield* makeTransport(this, sock, protocol, isTls);
  return [transport, protocol];
}

function* createUnixConnection<P extends BaseProtocol>(
  this: BaseEventLoop,
  protocolFactory: () => P,
  path: string,
  options: CreateUnixConnectionOptions = {},
): Coroutine<[Transport, P]> {
  checkFactory(protocolFactory, "createUnixConnection");
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `createUnixConnection(): 'path' must be a non-empty string: received ${describe(path)}`,
    );
  }
  const { ssl, serverHostname } = options;
  const timeout = checkTimeout(options.sslHandshakeTimeout, "createUnixConnection");
  const isTls = ssl !== undefined;
  if (isTls && serverHostname === undefined) {
    throw new RangeError("createUnixConnection(): 'serverHostname' is required with 'ssl'");
  }
  const sock = isTls
    ? builtin("node:tls").connect({
        path,
        ...tlsClientOptions(ssl, undefined, serverHostname),
      } as tls.ConnectionOptions)
    : builtin("node:net").connect({ path, allowHalfOpen: true });
  yield* awaitConnect(this, sock, isTls, timeout);
  const protocol = makeProtocol(protocolFactory, "createUnixConnection");
  const transport = yield* makeTransport(this, sock, protocol, isTls);
  transport._extra.peername = path;
  return [transport, protocol];
}

// ---------------------------------------------------------------- createServer

function acceptWith(
  protocolFactory: () => BaseProtocol,
  isTls: boolean,
  unixPath: string | null,
): AcceptCallback {
  return (sock, server) => {
    const loop = server.getLoop();
    let protocol: BaseProtocol;
    try {
      protocol = makeProtocol(protocolFactory, "createServer");
    } catch (exc) {
      loop.callExceptionHandler({ message: "protocolFactory() failed", exception: exc });
      sock.destroy();
      return;
    }
    const t = new SocketTransport(loop, sock, protocol, { server, tls: isTls });
    if (unixPath !== null) t._extra.sockname = unixPath;
  };
}

function makeNetServer(
  loop: BaseEventLoop,
  ssl: ServerSSL | undefined,
  handshakeTimeout: number,
  getServer: () => Server | null,
): net.Server {
  const onSocket = (sock: net.Socket): void => {
    const server = getServer();
    if (server === null) sock.destroy();
    else server._onConnection(sock);
  };
  let srv: net.Server;
  if (ssl !== undefined) {
    srv = builtin("node:tls").createServer(
      { ...ssl, allowHalfOpen: true, handshakeTimeout: Math.round(handshakeTimeout * 1000) },
      onSocket,
    );
    srv.on("tlsClientError", (err: Error, sock: tls.TLSSocket) => {
      // asyncio logs failed handshakes only in debug mode; the client sees the failure.
      if (loop.getDebug() && !loop.isClosed()) {
        loop.callExceptionHandler({ message: "SSL handshake failed", exception: err });
      }
      sock.destroy();
    });
  } else {
    srv = builtin("node:net").createServer({ allowHalfOpen: true, pauseOnConnect: true }, onSocket);
  }
  return srv;
}

/** Makes one Node server per listen address, waits until all listen, wraps them in a Server. */
function* listenServers<A extends SocketAddress>(
  loop: BaseEventLoop,
  listens: net.ListenOptions[],
  ssl: ServerSSL | undefined,
  handshakeTimeout: number,
  accept: AcceptCallback,
  startServing: boolean,
): Coroutine<Server<A>> {
  let server: Server<A> | null = null;
  const servers: net.Server[] = [];
  try {
    for (const opts of listens) {
      const srv = makeNetServer(loop, ssl, handshakeTimeout, () => server);
      servers.push(srv);
      const listening = new EventWait(loop, srv, "listening");
      srv.listen(opts);
      yield* listening.wait();
      srv.on("error", (err) => {
        if (!loop.isClosed()) {
          loop.callExceptionHandler({
            message: "Error on server socket",
            exception: _osError(err),
          });
        }
      });
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  server = new Server<A>(loop, servers, accept);
  if (startServing) yield* server.startServing();
  return server;
}

function checkBacklog(backlog: unknown, method: string): number {
  if (backlog === undefined) return 100;
  if (typeof backlog !== "number" || !Number.isInteger(backlog) || backlog < 0) {
    throw new RangeError(
      `${method}(): 'backlog' must be an integer >= 0: received ${describe(backlog)}`,
    );
  }
  return backlog;
}

function* resolveAll(loop: BaseEventLoop, host: string, family: number): Coroutine<string[]> {
  const fut = loop.createFuture<string[]>();
  _noteWait(loop, fut, "io");
  loop._externalPending++;
  builtin("node:dns").lookup(host, { all: true, family }, (err, addresses) => {
    const settle = (): void => {
      if (fut.done() || loop.isClosed()) return;
      if (err) fut.setException(err);
      else fut.setResult([...new Set(addresses.map((a) => a.address))]);
    };
    const delay = loop._deliverOutside;
    if (delay === null) settle();
    else delay(settle);
  });
  try {
    return yield* fut;
  } finally {
    loop._externalPending--;
  }
}

function* createServer(
  this: BaseEventLoop,
  protocolFactory: () => BaseProtocol,
  host: string | readonly string[] | null = null,
  port: number | null = null,
  options: CreateServerOptions = {},
): Coroutine<Server<InetAddress>> {
  checkFactory(protocolFactory, "createServer");
  checkPort(port, "createServer");
  const { ssl, family = 0, ipv6Only, startServing = true } = options;
  const backlog = checkBacklog(options.backlog, "createServer");
  const timeout = checkTimeout(options.sslHandshakeTimeout, "createServer");
  if (options.sslHandshakeTimeout !== undefined && ssl === undefined) {
    throw new RangeError("createServer(): 'sslHandshakeTimeout' is only meaningful with 'ssl'");
  }
  const hosts: (string | null)[] =
    host === null || host === "" ? [null] : typeof host === "string" ? [host] : [...host];
  const addresses: (string | undefined)[] = [];
  for (const h of hosts) {
    if (h === null) {
      addresses.push(family === 4 ? "0.0.0.0" : family === 6 ? "::" : undefined);
    } else if (typeof h !== "string") {
      throw new TypeError(
        `createServer(): 'host' must be a string or a list of strings: received ${describe(h)}`,
      );
    } else if (builtin("node:net").isIP(h) !== 0) {
      addresses.push(h);
    } else {
      for (const a of yield* resolveAll(this, h, family)) addresses.push(a);
    }
  }
  const listens = [...new Set(addresses)].map((a) => {
    const o: net.ListenOptions = { port: port ?? 0, backlog, exclusive: true };
    if (a !== undefined) o.host = a;
    if (ipv6Only !== undefined) o.ipv6Only = ipv6Only;
    return o;
  });
  return yield* listenServers<InetAddress>(
    this,
    listens,
    ssl,
    timeout,
    acceptWith(protocolFactory, ssl !== undefined, null),
    startServing,
  );
}

function* createUnixServer(
  this: BaseEventLoop,
  protocolFactory: () => BaseProtocol,
  path: string,
  options: CreateUnixServerOptions = {},
): Coroutine<Server<string>> {
  checkFactory(protocolFactory, "createUnixServer");
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `createUnixServer(): 'path' must be a non-empty string: received ${describe(path)}`,
    );
  }
  const { ssl, startServing = true, cleanupSocket = true } = options;
  const backlog = checkBacklog(options.backlog, "createUnixServer");
  const timeout = checkTimeout(options.sslHandshakeTimeout, "createUnixServer");
  // Replace a stale socket file, as asyncio does; refuse to clobber anything else.
  try {
    const st = builtin("node:fs").statSync(path);
    if (st.isSocket()) builtin("node:fs").unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw _osError(e);
  }
  const server = yield* listenServers<string>(
    this,
    [{ path, backlog, exclusive: true }],
    ssl,
    timeout,
    acceptWith(protocolFactory, ssl !== undefined, path),
    startServing,
  );
  if (cleanupSocket) {
    // Node removes the socket file itself when a Unix server closes; this is a fallback.
    server._onClose(() => {
      try {
        if (builtin("node:fs").statSync(path).isSocket()) builtin("node:fs").unlinkSync(path);
      } catch {
        // already gone
      }
    });
  }
  return server;
}

// ---------------------------------------------------------------- datagrams

function* createDatagramEndpoint<P extends DatagramProtocol>(
  this: BaseEventLoop,
  protocolFactory: () => P,
  options: CreateDatagramEndpointOptions = {},
): Coroutine<[DatagramTransport, P]> {
  checkFactory(protocolFactory, "createDatagramEndpoint");
  const { localAddr, remoteAddr, allowBroadcast, reuseAddress } = options;
  if (localAddr !== undefined) checkPort(localAddr[1], "createDatagramEndpoint");
  if (remoteAddr !== undefined) checkPort(remoteAddr[1], "createDatagramEndpoint");
  let family = options.family ?? 0;
  if (family === 0) {
    const probe = localAddr?.[0] ?? remoteAddr?.[0];
    family = probe !== undefined && builtin("node:net").isIPv6(probe) ? 6 : 4;
  }
  const sock = builtin("node:dgram").createSocket({
    type: family === 6 ? "udp6" : "udp4",
    reuseAddr: reuseAddress ?? false,
  });
  try {
    const bound = new EventWait(this, sock, "listening");
    if (localAddr !== undefined) sock.bind(localAddr[1], localAddr[0]);
    else sock.bind(0);
    yield* bound.wait();
    if (allowBroadcast === true) sock.setBroadcast(true);
    let remote: DatagramAddress | null = null;
    if (remoteAddr !== undefined) {
      const connected = new EventWait(this, sock, "connect");
      sock.connect(remoteAddr[1], remoteAddr[0]);
      yield* connected.wait();
      const r = sock.remoteAddress();
      remote = [r.address, r.port];
    }
    const protocol = makeProtocol(protocolFactory, "createDatagramEndpoint");
    const waiter = this.createFuture<void>();
    const transport = new UdpTransport(this, sock, protocol, remote, waiter);
    try {
      yield* waiter;
    } catch (e) {
      transport.close();
      throw e;
    }
    return [transport, protocol];
  } catch (e) {
    try {
      sock.close();
    } catch {
      // already closed
    }
    throw e;
  }
}

// ---------------------------------------------------------------- startTls

function* startTls(
  this: BaseEventLoop,
  transport: Transport,
  protocol: BaseProtocol,
  sslcontext: ClientSSL | ServerSSL,
  options: StartTlsOptions = {},
): Coroutine<Transport> {
  if (!(transport instanceof SocketTransport)) {
    throw new TypeError(
      `startTls(): 'transport' must be a stream transport: received ${describe(transport)}`,
    );
  }
  if (transport.isClosing()) throw new RangeError("startTls(): the transport is closing");
  const { serverSide = false, serverHostname } = options;
  const timeout = checkTimeout(options.sslHandshakeTimeout, "startTls");
  const server = transport._takeServer();
  const raw = transport._detach();
  let sock: tls.TLSSocket;
  if (serverSide) {
    const ctxOpts = sslcontext === true ? {} : (sslcontext as tls.TlsOptions);
    sock = new (builtin("node:tls").TLSSocket)(raw, { ...ctxOpts, isServer: true });
  } else {
    sock = builtin("node:tls").connect({
      ...tlsClientOptions(sslcontext as ClientSSL, raw.remoteAddress, serverHostname),
      socket: raw,
    });
  }
  try {
    yield* new EventWait(this, sock, serverSide ? "secure" : "secureConnect", timeout).wait();
  } catch (e) {
    sock.destroy();
    raw.destroy();
    throw e;
  }
  const waiter = this.createFuture<void>();
  const t = new SocketTransport(this, sock, protocol, {
    waiter,
    tls: true,
    server,
    upgraded: true,
  });
  // connectionMade is not called again on an upgraded connection: the waiter completes
  // when the transport starts reading.
  try {
    yield* waiter;
  } catch (e) {
    t.close();
    throw e;
  }
  return t;
}

// ---------------------------------------------------------------- the methods

/**
 * The method as IOEventLoop calls it: `check` validates the arguments at the call (bad arguments
 * throw at once, not when the coroutine first runs), then the lazy coroutine is returned.
 */
function eagerly<A extends unknown[], R>(
  check: (...args: A) => void,
  co: (this: BaseEventLoop, ...args: A) => R,
): (this: BaseEventLoop, ...args: A) => R {
  return function (this: BaseEventLoop, ...args: A): R {
    check(...args);
    return co.apply(this, args);
  };
}

/** @internal Validates a port argument (shared with streams.ts). */
export function _checkPort(port: unknown, method: string): void {
  checkPort(port, method);
}

function checkConnect(
  method: string,
  factory: unknown,
  port: unknown,
  options: { sslHandshakeTimeout?: number | undefined } | undefined,
): void {
  checkFactory(factory, method);
  checkPort(port, method);
  checkTimeout(options?.sslHandshakeTimeout, method);
}

/** @internal `loop.createConnection()`. */
export const _createConnection = eagerly(
  (f: () => BaseProtocol, _h?: string | null, port?: number | null, o?: CreateConnectionOptions) =>
    checkConnect("createConnection", f, port, o),
  createConnection,
);
/** @internal `loop.createServer()`. */
export const _createServer = eagerly(
  (f: () => BaseProtocol, _h?: unknown, port?: number | null, o?: CreateServerOptions) => {
    checkConnect("createServer", f, port, o);
    checkBacklog(o?.backlog, "createServer");
  },
  createServer,
);
/** @internal `loop.createUnixConnection()`. */
export const _createUnixConnection = eagerly(
  (f: () => BaseProtocol, _p: string, o?: CreateUnixConnectionOptions) =>
    checkConnect("createUnixConnection", f, null, o),
  createUnixConnection,
);
/** @internal `loop.createUnixServer()`. */
export const _createUnixServer = eagerly(
  (f: () => BaseProtocol, _p: string, o?: CreateUnixServerOptions) => {
    checkConnect("createUnixServer", f, null, o);
    checkBacklog(o?.backlog, "createUnixServer");
  },
  createUnixServer,
);
/** @internal `loop.createDatagramEndpoint()`. */
export const _createDatagramEndpoint = eagerly(
  (f: () => DatagramProtocol, o?: CreateDatagramEndpointOptions) => {
    checkFactory(f, "createDatagramEndpoint");
    if (o?.localAddr !== undefined) checkPort(o.localAddr[1], "createDatagramEndpoint");
    if (o?.remoteAddr !== undefined) checkPort(o.remoteAddr[1], "createDatagramEndpoint");
  },
  createDatagramEndpoint,
);
/** @internal `loop.startTls()`. */
export const _startTls = eagerly(
  (_t: Transport, _p: BaseProtocol, _s: unknown, o?: StartTlsOptions) =>
    void checkTimeout(o?.sslHandshakeTimeout, "startTls"),
  startTls,
);
