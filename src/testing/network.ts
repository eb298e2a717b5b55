/**
 * A simulated network on the virtual-time loop (in the spirit of Tokio's turmoil): hosts
 * with addresses, and the loop's own network methods — so `asyncio.openConnection()`,
 * `asyncio.startServer()`, `loop.createDatagramEndpoint()` and `loop.getaddrinfo()` work
 * unchanged — over links with latency, bandwidth, loss, reordering (UDP), resets and
 * partitions. Everything happens in virtual time from seeded choices: an hour of traffic
 * runs in seconds, the same on every run, and the explorer's perturbations apply to it.
 *
 * The model, and where it simplifies:
 * - TCP: connecting costs a round trip; a port nobody listens on refuses
 *   (`ConnectionRefusedError`); an unknown or partitioned host times out after
 *   `connectTimeout`. Data arrives in order, whole or in pieces, after the link's latency
 *   plus its serialization time (bytes / bandwidth); a lost piece is retransmitted after
 *   `retransmitTimeout`'s first step (0.2 s, doubling). While a partition separates two
 *   hosts, data waits; if it lasts `giveUpAfter` seconds with data waiting, the connection
 *   ends with a timeout error. An idle connection notices nothing, as without keepalive.
 * - UDP: each datagram is delivered once, or lost (`loss`, or a partition), and may be
 *   overtaken (`reorder`).
 * - No congestion control, no TLS, no Unix sockets, no IPv6.
 *
 * @module
 */

import { Context, ContextVar, copyContext } from "../core/contextvars.js";
import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { ConnectionRefusedError, OSError, RuntimeError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import type { Task } from "../core/tasks.js";
import {
  type AddrInfo,
  AF_INET,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "../io/dns.js";
import { VirtualEventLoop } from "../io/loop_io.js";
import type {
  CreateConnectionOptions,
  CreateDatagramEndpointOptions,
  CreateServerOptions,
} from "../io/loop_net.js";
import type { BaseProtocol, DatagramAddress, DatagramProtocol, Protocol } from "../io/protocols.js";
import { Server } from "../io/server.js";
import {
  _checkBytes,
  _trackResource,
  _untrackResource,
  DatagramTransport,
  type InetAddress,
  type LoopResource,
  type SocketTransport,
  type Transport,
} from "../io/transports.js";
import type { VirtualEventLoopOptions } from "../loops/virtual.js";
import { sleep } from "../tasks.js";
import { _linkedTransports, type MemoryLink } from "./memory.js";
import { mulberry32, type Random } from "./random.js";

/**
 * The qualities of a link between two hosts (each direction alike).
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { network, SimulatedLoop } from "asyncio-ts/testing";
 *
 * // Sends back the 100 kB it receives.
 * function* echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter): asyncio.Coroutine<void> {
 *   writer.write(yield* reader.readexactly(100_000));
 *   yield* writer.drain();
 *   writer.close();
 * }
 *
 * function* main(): asyncio.Coroutine<void> {
 *   const net = network();
 *   net.addHost("server");
 *   // 50 ms each way, 1 MB/s, and one packet in ten lost (and sent again).
 *   net.setLink("main", "server", { latency: 0.05, bandwidth: 1_000_000, loss: 0.1 });
 *   const srv = yield* net.host("server").run(asyncio.startServer(echo, null, 7));
 *   const loop = asyncio.getRunningLoop();
 *   const start = loop.time();
 *   const [reader, writer] = yield* asyncio.openConnection("server", 7); // a round trip: 0.1 s
 *   writer.write(Buffer.alloc(100_000)); // 0.1 s to send at 1 MB/s, 0.05 s to arrive
 *   const reply = yield* reader.readexactly(100_000); // as long again to come back
 *   // 0.4 s without loss; a lost packet is sent again 0.2 s later, once with this seed.
 *   console.log(`${reply.length} bytes back after ${(loop.time() - start).toFixed(1)} s`);
 *   // 100000 bytes back after 0.6 s
 *   writer.close();
 *   yield* writer.waitClosed();
 *   srv.close();
 *   yield* srv.waitClosed();
 * }
 *
 * await asyncio.run(main(), { loopFactory: () => new SimulatedLoop({ seed: 1 }) });
 * ```
 */
export interface LinkOptions {
  /** One-way delay in seconds; 0.001 by default. */
  latency?: number;
  /** Bytes per second; `Infinity` by default. */
  bandwidth?: number;
  /** The chance, 0 … 1, that a packet is lost (TCP retransmits it; UDP drops it); 0. */
  loss?: number;
  /** UDP: the chance, 0 … 1, that a datagram is delayed by up to 4 latencies; 0. */
  reorder?: number;
}

/**
 * Options of {@link SimulatedLoop}: the default link, TCP's timeouts, the seed.
 *
 * @example
 * ```ts
 * import { expect, it } from "vitest";
 * import * as asyncio from "asyncio-ts";
 * import { asyncioTest, network, SimulatedLoop } from "asyncio-ts/testing";
 *
 * // Every link 20 ms each way; a connect to a host out of reach fails after 3 s.
 * const loop = () => new SimulatedLoop({ latency: 0.02, connectTimeout: 3, seed: 3 });
 *
 * it("gives up on a host out of reach", asyncioTest({ loop }, function* () {
 *   const net = network();
 *   net.addHost("db");
 *   net.partition(["db"]); // cut off from every other host
 *   const start = asyncio.getRunningLoop().time();
 *   let error: unknown = null;
 *   try {
 *     yield* asyncio.openConnection("db", 5432);
 *   } catch (e) {
 *     error = e;
 *   }
 *   expect(error).toBeInstanceOf(asyncio.OSError); // Connect call failed ('10.0.0.2', 5432): timed out
 *   expect(asyncio.getRunningLoop().time() - start).toBe(3);
 * }));
 * ```
 */
export interface NetworkOptions extends LinkOptions {
  /** Seconds before a connection attempt to an unreachable host fails; 10 by default. */
  connectTimeout?: number;
  /** Seconds a connection keeps data waiting across a partition before it fails; 30. */
  giveUpAfter?: number;
  /** The seed of loss and reordering choices; 1 by default. */
  seed?: number;
  /** Options of the virtual-time loop itself. */
  virtual?: VirtualEventLoopOptions;
}

const currentHost = new ContextVar<Host | null>("asyncio-ts.testing.host", { default: null });

/**
 * One machine on a {@link SimulatedNetwork}: a name (resolvable by DNS) and an address.
 * Code runs "on" a host when started with {@link Host.run}: its connections come from
 * the host's address, its servers listen there. Code started otherwise runs on the
 * network's `main` host.
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { network, SimulatedLoop } from "asyncio-ts/testing";
 *
 * // Greets the client by its name and its address.
 * function* greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter): asyncio.Coroutine<void> {
 *   const [address] = writer.getExtraInfo("peername") as [string, number];
 *   const name = (yield* reader.readline()).toString().trim();
 *   writer.write(Buffer.from(`hello ${name}, at ${address}\n`));
 *   yield* writer.drain();
 *   writer.close();
 * }
 *
 * function* main(): asyncio.Coroutine<void> {
 *   const net = network();
 *   const server = net.addHost("server"); // 10.0.0.2
 *   const laptop = net.addHost("laptop"); // 10.0.0.3
 *   // The server listens on its host: 10.0.0.2:8080, known to DNS as "server".
 *   const srv = yield* server.run(asyncio.startServer(greet, null, 8080));
 *   // The client connects from its host.
 *   yield* laptop.run(function* () {
 *     const [reader, writer] = yield* asyncio.openConnection("server", 8080);
 *     writer.write(Buffer.from("ada\n"));
 *     console.log((yield* reader.readline()).toString().trim()); // hello ada, at 10.0.0.3
 *     writer.close();
 *     yield* writer.waitClosed();
 *   }());
 *   srv.close();
 *   yield* srv.waitClosed();
 * }
 *
 * await asyncio.run(main(), { loopFactory: () => new SimulatedLoop() });
 * ```
 */
export class Host {
  /** @internal */
  readonly _listeners = new Map<number, SimServer>();
  /** @internal */
  readonly _udp = new Map<number, SimDatagramTransport>();
  /** @internal */
  readonly _context: Context;
  /** @internal */
  private _nextPort = 49152;

  /** @internal */
  constructor(
    /** The network it is on. */
    readonly network: SimulatedNetwork,
    /** Its DNS name. */
    readonly name: string,
    /** Its IPv4 address. */
    readonly address: string,
  ) {
    const ctx = copyContext();
    ctx.run(() => currentHost.set(this));
    this._context = ctx;
  }

  /**
   * Runs `coro` as a task on this host (its connections come from here, its servers
   * listen here). Needs the network's loop to be running.
   */
  run<T>(coro: Coroutine<T>, options: { name?: string } = {}): Task<T> {
    const loop = getRunningLoop();
    if (loop !== this.network._loop) {
      throw new RuntimeError(`Host.run(): the running loop is not this network's loop`);
    }
    const ctx = new Context(this._context._vars);
    return loop.createTask(coro, {
      context: ctx,
      ...(options.name === undefined ? {} : { name: options.name }),
    });
  }

  /** @internal */
  _ephemeralPort(inUse: (port: number) => boolean): number {
    for (let i = 0; i < 16384; i++) {
      const port = this._nextPort;
      this._nextPort = port === 65535 ? 49152 : port + 1;
      if (!inUse(port)) return port;
    }
    throw new OSError("no free port", { code: "EADDRINUSE" });
  }

  toString(): string {
    return `<Host ${this.name} ${this.address}>`;
  }
}

interface Connection {
  link: MemoryLink;
  a: Host;
  b: Host;
  giveUp: ReturnType<VirtualEventLoop["callLater"]> | null;
}

/**
 * The hosts and links of a {@link SimulatedLoop}; get it with {@link network}.
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { network, SimulatedLoop } from "asyncio-ts/testing";
 *
 * function* main(): asyncio.Coroutine<void> {
 *   const net = network();
 *   const db = net.addHost("db");
 *   const srv = yield* db.run(asyncio.startServer((_reader, writer) => writer.close(), null, 5432));
 *   const loop = asyncio.getRunningLoop();
 *
 *   net.partition(["main"], ["db"]); // main and db cannot reach each other
 *   try {
 *     yield* asyncio.openConnection("db", 5432);
 *   } catch (e) {
 *     console.log(`${(e as Error).message} at t=${loop.time()}`);
 *     // Connect call failed ('10.0.0.2', 5432): timed out at t=10
 *   }
 *
 *   net.heal(); // now they can
 *   const [, writer] = yield* asyncio.openConnection("db", 5432);
 *   console.log(`connected at t=${loop.time().toFixed(3)}`); // connected at t=10.002
 *   writer.close();
 *   yield* writer.waitClosed();
 *   srv.close();
 *   yield* srv.waitClosed();
 * }
 *
 * await asyncio.run(main(), { loopFactory: () => new SimulatedLoop() });
 * ```
 */
export class SimulatedNetwork {
  /** The host that runs code started outside any {@link Host.run}: "main", 10.0.0.1. */
  readonly main: Host;
  /** @internal */
  readonly _loop: SimulatedLoop;
  /** @internal */
  readonly _random: Random;
  /** @internal */
  readonly _options: Required<Omit<NetworkOptions, "virtual" | "seed">>;
  /** @internal */
  private readonly _hosts = new Map<string, Host>();
  /** @internal */
  private readonly _byAddress = new Map<string, Host>();
  /** @internal */
  private readonly _links = new Map<string, LinkOptions>();
  /** @internal */
  private readonly _cut = new Set<string>();
  /** @internal */
  readonly _connections = new Set<Connection>();
  /** @internal next-free serialization time per direction */
  readonly _busyUntil = new Map<string, number>();

  /** @internal */
  constructor(loop: SimulatedLoop, options: NetworkOptions) {
    this._loop = loop;
    this._random = mulberry32(options.seed ?? 1);
    this._options = {
      latency: options.latency ?? 0.001,
      bandwidth: options.bandwidth ?? Number.POSITIVE_INFINITY,
      loss: options.loss ?? 0,
      reorder: options.reorder ?? 0,
      connectTimeout: options.connectTimeout ?? 10,
      giveUpAfter: options.giveUpAfter ?? 30,
    };
    this.main = this.addHost("main");
  }

  /**
   * Adds a host named `name` (its DNS name), at `address` or the next free 10.0.0.x.
   *
   * Errors: `RuntimeError` if the name or address is taken; `TypeError` for a bad name.
   */
  addHost(name: string, options: { address?: string } = {}): Host {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `addHost(): 'name' must be a non-empty string: received ${describe(name)}`,
      );
    }
    if (this._hosts.has(name)) throw new RuntimeError(`addHost(): a host named ${name} exists`);
    const address = options.address ?? `10.0.0.${this._hosts.size + 1}`;
    if (this._byAddress.has(address)) {
      throw new RuntimeError(
        `addHost(): address ${address} is taken by ${this._byAddress.get(address)}`,
      );
    }
    const host = new Host(this, name, address);
    this._hosts.set(name, host);
    this._byAddress.set(address, host);
    return host;
  }

  /** The host named `name`. `RuntimeError` if there is none. */
  host(name: string): Host {
    const h = this._hosts.get(name);
    if (h === undefined) throw new RuntimeError(`no host named ${describe(name)} on this network`);
    return h;
  }

  /** Every host, in the order they were added. */
  get hosts(): Host[] {
    return [...this._hosts.values()];
  }

  /** Sets the qualities of the link between two hosts (by name or Host). */
  setLink(a: string | Host, b: string | Host, options: LinkOptions): void {
    checkLink(options, "setLink");
    this._links.set(pairKey(this._resolve(a), this._resolve(b)), { ...options });
  }

  /**
   * Cuts every link between a host of `side` and a host of `other` (by default: all the
   * other hosts). Data in flight waits; new connections time out; datagrams are lost.
   */
  partition(side: readonly (string | Host)[], other?: readonly (string | Host)[]): void {
    const as = side.map((h) => this._resolve(h));
    const bs = (other ?? []).map((h) => this._resolve(h));
    const rest = other === undefined ? this.hosts.filter((h) => !as.includes(h)) : bs;
    for (const a of as) for (const b of rest) if (a !== b) this._cut.add(pairKey(a, b));
  }

  /** Restores every cut link (or only those between `a` and `b`); waiting data moves on. */
  heal(a?: string | Host, b?: string | Host): void {
    if (a === undefined || b === undefined) this._cut.clear();
    else this._cut.delete(pairKey(this._resolve(a), this._resolve(b)));
    for (const c of this._connections) {
      if (this.isPartitioned(c.a, c.b)) continue;
      c.giveUp?.cancel();
      c.giveUp = null;
      c.link.resume();
    }
  }

  /** Whether `a` and `b` are cut off from each other. */
  isPartitioned(a: string | Host, b: string | Host): boolean {
    const ha = this._resolve(a);
    const hb = this._resolve(b);
    return ha !== hb && this._cut.has(pairKey(ha, hb));
  }

  /**
   * Resets the TCP connections of `a` (with `b` only, when given): both ends get
   * `ConnectionResetError`. Returns how many were reset.
   */
  resetConnections(a: string | Host, b?: string | Host): number {
    const ha = this._resolve(a);
    const hb = b === undefined ? null : this._resolve(b);
    let n = 0;
    for (const c of [...this._connections]) {
      const involves = c.a === ha || c.b === ha;
      const other = c.a === ha ? c.b : c.a;
      if (!involves || (hb !== null && other !== hb)) continue;
      c.link.reset();
      this._connections.delete(c);
      n++;
    }
    return n;
  }

  /** @internal */
  _resolve(h: string | Host): Host {
    if (h instanceof Host) {
      if (h.network !== this) throw new RuntimeError(`${h} is on another network`);
      return h;
    }
    return this.host(h);
  }

  /** @internal The host `name` stands for (a host name, an address, localhost), or null. */
  _lookup(name: string, from: Host): Host | null {
    if (name === "localhost" || name === "127.0.0.1" || name === "" || name === "0.0.0.0") {
      return from;
    }
    return this._hosts.get(name) ?? this._byAddress.get(name) ?? null;
  }

  /** @internal */
  _link(a: Host, b: Host): Required<LinkOptions> {
    const o = this._links.get(pairKey(a, b)) ?? {};
    return {
      latency: o.latency ?? this._options.latency,
      bandwidth: o.bandwidth ?? this._options.bandwidth,
      loss: o.loss ?? this._options.loss,
      reorder: o.reorder ?? this._options.reorder,
    };
  }

  /** @internal Seconds until `nbytes` sent now from `a` arrive at `b` (TCP: with retransmits). */
  _delay(a: Host, b: Host, nbytes: number, retransmit: boolean): number {
    if (a === b) return 0;
    const l = this._link(a, b);
    const now = this._loop.time();
    let d = l.latency;
    if (Number.isFinite(l.bandwidth) && nbytes > 0) {
      const key = `${a.name}>${b.name}`;
      const start = Math.max(now, this._busyUntil.get(key) ?? now);
      const done = start + nbytes / l.bandwidth;
      this._busyUntil.set(key, done);
      d += done - now;
    }
    if (retransmit) {
      for (let rto = 0.2; this._random() < l.loss && rto < 120; rto *= 2) d += rto;
    }
    return d;
  }
}

function pairKey(a: Host, b: Host): string {
  return a.name < b.name ? `${a.name}|${b.name}` : `${b.name}|${a.name}`;
}

function checkLink(o: LinkOptions, fn: string): void {
  if (o === null || typeof o !== "object") {
    throw new TypeError(`${fn}(): options must be an object: received ${describe(o)}`);
  }
  const nonNeg = (v: unknown, what: string) => {
    if (v !== undefined && !(typeof v === "number" && v >= 0)) {
      throw new RangeError(`${fn}(): '${what}' must be a number >= 0: received ${describe(v)}`);
    }
  };
  nonNeg(o.latency, "latency");
  nonNeg(o.bandwidth, "bandwidth");
  for (const what of ["loss", "reorder"] as const) {
    const v = o[what];
    if (v !== undefined && !(typeof v === "number" && v >= 0 && v <= 1)) {
      throw new RangeError(
        `${fn}(): '${what}' must be a number in [0, 1]: received ${describe(v)}`,
      );
    }
  }
  if (o.bandwidth === 0) throw new RangeError(`${fn}(): 'bandwidth' must be > 0: received 0`);
}

/** A fake listening socket for Server's bookkeeping (`server.sockets`, `close()`). */
function listeningSocket(
  address: string,
  port: number,
): ConstructorParameters<typeof Server>[1][number] {
  const fake = {
    address: () => ({ address, port, family: "IPv4" }),
    close: () => fake,
  };
  return fake as unknown as ConstructorParameters<typeof Server>[1][number];
}

/** A Server listening on a simulated host. */
class SimServer extends Server<InetAddress> {
  constructor(
    loop: SimulatedLoop,
    readonly host: Host,
    readonly port: number,
    readonly protocolFactory: () => BaseProtocol,
  ) {
    super(loop, [listeningSocket(host.address, port)], () => {});
    host._listeners.set(port, this);
  }

  override close(): void {
    if (this.host._listeners.get(this.port) === this) this.host._listeners.delete(this.port);
    super.close();
  }
}

function gaiError(host: string): Error {
  return Object.assign(new Error(`getaddrinfo EAI_NONAME ${host}: Name or service not known`), {
    code: "EAI_NONAME",
    hostname: host,
  });
}

/**
 * A virtual-time loop whose network is simulated: see the module notes and
 * {@link SimulatedNetwork}. Use it as a test's loop.
 *
 * @example
 * ```ts
 * import { expect, it } from "vitest";
 * import * as asyncio from "asyncio-ts";
 * import { asyncioTest, network, SimulatedLoop } from "asyncio-ts/testing";
 *
 * // Answers one line with the same line.
 * function* echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter): asyncio.Coroutine<void> {
 *   writer.write(yield* reader.readline());
 *   yield* writer.drain();
 *   writer.close();
 * }
 *
 * const loop = () => new SimulatedLoop({ latency: 0.01 }); // 10 ms each way
 *
 * it("echoes across the network", asyncioTest({ loop }, function* () {
 *   const net = network();
 *   const srv = yield* net.addHost("server").run(asyncio.startServer(echo, null, 7));
 *   const start = asyncio.getRunningLoop().time();
 *   const [reader, writer] = yield* asyncio.openConnection("server", 7);
 *   writer.write(Buffer.from("hi\n"));
 *   expect((yield* reader.readline()).toString()).toBe("hi\n");
 *   // Two round trips of virtual time: the connect, then the line there and back.
 *   expect(asyncio.getRunningLoop().time() - start).toBeCloseTo(0.04);
 *   writer.close();
 *   yield* writer.waitClosed();
 *   srv.close();
 *   yield* srv.waitClosed();
 * }));
 * ```
 */
export class SimulatedLoop extends VirtualEventLoop {
  /** The simulated network. */
  readonly network: SimulatedNetwork;

  constructor(options: NetworkOptions = {}) {
    super(options.virtual);
    checkLink(options, "SimulatedLoop");
    for (const what of ["connectTimeout", "giveUpAfter"] as const) {
      const v = options[what];
      if (v !== undefined && !(typeof v === "number" && v > 0)) {
        throw new RangeError(
          `SimulatedLoop(): '${what}' must be a number of seconds > 0: received ${describe(v)}`,
        );
      }
    }
    this.network = new SimulatedNetwork(this, options);
  }

  /** @internal The host the calling code runs on. */
  _here(): Host {
    return currentHost.get() ?? this.network.main;
  }

  override getaddrinfo(
    host: string | null,
    port: number | string | null,
    options: { type?: number; proto?: number } = {},
  ): Future<AddrInfo[]> {
    const fut = this.createFuture<AddrInfo[]>();
    const here = this._here();
    const target = host === null ? here : this.network._lookup(host, here);
    const p = typeof port === "string" ? Number(port) : (port ?? 0);
    this.callSoon(() => {
      if (fut.done()) return;
      if (target === null) {
        fut.setException(gaiError(String(host)));
        return;
      }
      const kinds: [number, number][] =
        options.type === SOCK_DGRAM
          ? [[SOCK_DGRAM, IPPROTO_UDP]]
          : options.type === SOCK_STREAM
            ? [[SOCK_STREAM, IPPROTO_TCP]]
            : [
                [SOCK_STREAM, IPPROTO_TCP],
                [SOCK_DGRAM, IPPROTO_UDP],
              ];
      fut.setResult(kinds.map(([type, proto]) => [AF_INET, type, proto, "", [target.address, p]]));
    });
    return fut;
  }

  override createConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    options?: CreateConnectionOptions,
  ): Coroutine<[Transport, P]> {
    // Source addresses, happy eyeballs and TLS are not simulated: the options are ignored.
    void options;
    return this._connect(protocolFactory, host ?? null, port ?? null);
  }

  /** @internal */
  private *_connect<P extends BaseProtocol>(
    protocolFactory: () => P,
    host: string | null,
    port: number | null,
  ): Coroutine<[Transport, P]> {
    if (host === null || port === null) {
      throw new TypeError("createConnection(): the simulated network needs a host and a port");
    }
    const net = this.network;
    const here = this._here();
    const [info] = yield* this.getaddrinfo(host, port, { type: SOCK_STREAM });
    const address = (info as AddrInfo)[4][0] as string;
    const target = net._lookup(address, here);
    const failed = `Connect call failed ('${address}', ${port})`;
    // SYN, retried while the host cannot be reached (1 s, 2 s, 4 s … as TCP does).
    let waited = 0;
    for (let backoff = 1; target === null || net.isPartitioned(here, target); backoff *= 2) {
      const left = net._options.connectTimeout - waited;
      if (left <= 0) {
        throw new OSError(`${failed}: timed out`, { code: "ETIMEDOUT", address, port });
      }
      const step = Math.min(backoff, left);
      yield* sleep(step);
      waited += step;
    }
    yield* sleep(net._delay(here, target, 0, false));
    const server = target._listeners.get(port);
    if (server === undefined || !server.isServing()) {
      yield* sleep(net._delay(target, here, 0, false));
      throw new ConnectionRefusedError(`${failed}: connection refused`, {
        code: "ECONNREFUSED",
        address,
        port,
      });
    }
    const clientPort = here._ephemeralPort((p) => here._listeners.has(p));
    const serverProtocol = target._context.run(() => server.protocolFactory());
    const clientProtocol = protocolFactory();
    const conn: Connection = {
      link: null as unknown as MemoryLink,
      a: here,
      b: target,
      giveUp: null,
    };
    const link = _linkedTransports(
      this,
      [clientProtocol as unknown as Protocol, serverProtocol as Protocol],
      {
        names: [
          [here.address, clientPort],
          [target.address, port],
        ],
      },
      {
        random: net._random,
        delay: (nbytes, from) => {
          const [src, dst] = from === link._ends[0] ? [here, target] : [target, here];
          return net._delay(src, dst, nbytes, true);
        },
        blocked: () => net.isPartitioned(here, target),
        onBlocked: () => {
          if (conn.giveUp !== null) return;
          conn.giveUp = this.callLater(net._options.giveUpAfter, () => {
            conn.giveUp = null;
            if (!net.isPartitioned(here, target)) return;
            net._connections.delete(conn);
            for (const end of link._ends) {
              end._lose(
                new OSError("Connection timed out: no acknowledgement across a network partition", {
                  code: "ETIMEDOUT",
                }),
              );
            }
          });
        },
      },
    );
    conn.link = link;
    net._connections.add(conn);
    const [clientEnd, serverEnd] = link._ends;
    let lost = 0;
    for (const end of link._ends) {
      end._onLost = () => {
        if (++lost === 2) {
          net._connections.delete(conn);
          conn.giveUp?.cancel();
        }
      };
    }
    const previous = serverEnd._onLost;
    serverEnd._onLost = () => {
      previous?.();
      server._detach(serverEnd as unknown as SocketTransport);
    };
    server._attach(serverEnd as unknown as SocketTransport);
    target._context.run(() => serverProtocol.connectionMade(serverEnd));
    clientProtocol.connectionMade(clientEnd);
    // The SYN-ACK's way back.
    yield* sleep(net._delay(target, here, 0, false));
    return [clientEnd, clientProtocol];
  }

  override createServer(
    protocolFactory: () => BaseProtocol,
    host?: string | readonly string[] | null,
    port?: number | null,
    options: CreateServerOptions = {},
  ): Coroutine<Server<InetAddress>> {
    return this._listen(protocolFactory, host ?? null, port ?? 0, options);
  }

  /** @internal */
  private *_listen(
    protocolFactory: () => BaseProtocol,
    host: string | readonly string[] | null,
    port: number,
    options: CreateServerOptions,
  ): Coroutine<Server<InetAddress>> {
    const here = this._here();
    for (const h of typeof host === "string" ? [host] : (host ?? [])) {
      if (this.network._lookup(h, here) !== here) {
        throw new OSError(`[Errno 99] Cannot assign requested address: ${h} is not ${here}`, {
          code: "EADDRNOTAVAIL",
        });
      }
    }
    if (port !== 0 && here._listeners.has(port)) {
      throw new OSError(`[Errno 98] Address already in use: ('${here.address}', ${port})`, {
        code: "EADDRINUSE",
        port,
      });
    }
    const p = port === 0 ? here._ephemeralPort((q) => here._listeners.has(q)) : port;
    const server = new SimServer(this, here, p, protocolFactory);
    if (options.startServing !== false) yield* server.startServing();
    return server;
  }

  override createDatagramEndpoint<P extends DatagramProtocol>(
    protocolFactory: () => P,
    options: CreateDatagramEndpointOptions = {},
  ): Coroutine<[DatagramTransport, P]> {
    return this._udpEndpoint(protocolFactory, options);
  }

  /** @internal */
  private *_udpEndpoint<P extends DatagramProtocol>(
    protocolFactory: () => P,
    options: CreateDatagramEndpointOptions,
  ): Coroutine<[DatagramTransport, P]> {
    const here = this._here();
    const local = options.localAddr;
    if (local !== undefined && this.network._lookup(local[0], here) !== here) {
      throw new OSError(`[Errno 99] Cannot assign requested address: ${local[0]}`, {
        code: "EADDRNOTAVAIL",
      });
    }
    let port = local?.[1] ?? 0;
    if (port !== 0 && here._udp.has(port)) {
      throw new OSError(`[Errno 98] Address already in use: ('${here.address}', ${port})`, {
        code: "EADDRINUSE",
        port,
      });
    }
    if (port === 0) port = here._ephemeralPort((q) => here._udp.has(q));
    let remote: [string, number] | null = null;
    if (options.remoteAddr !== undefined) {
      const [info] = yield* this.getaddrinfo(options.remoteAddr[0], options.remoteAddr[1], {
        type: SOCK_DGRAM,
      });
      remote = [(info as AddrInfo)[4][0] as string, options.remoteAddr[1]];
    }
    const protocol = protocolFactory();
    const transport = new SimDatagramTransport(this, here, port, protocol, remote);
    protocol.connectionMade(transport);
    return [transport, protocol];
  }
}

/** A UDP endpoint on a simulated host. */
class SimDatagramTransport extends DatagramTransport implements LoopResource {
  private closed = false;

  constructor(
    private readonly loop: SimulatedLoop,
    private readonly host: Host,
    private readonly port: number,
    private protocol: DatagramProtocol,
    private readonly remote: [string, number] | null,
  ) {
    super({
      sockname: [host.address, port],
      ...(remote === null ? {} : { peername: remote }),
    });
    host._udp.set(port, this);
    _trackResource(loop, this);
  }

  _closeAtLoopClose(): void {
    this.abort();
  }

  sendto(data: Uint8Array, addr?: DatagramAddress): void {
    _checkBytes(data, "sendto");
    if (this.closed) return;
    const to = addr ?? this.remote;
    if (to === null || to === undefined) {
      throw new TypeError("sendto(): 'addr' is required on an unconnected endpoint");
    }
    const net = this.loop.network;
    const [toHost, toPort] = to as [string, number];
    const target = net._lookup(toHost, this.host);
    const copy = Buffer.from(data);
    if (target === null || net.isPartitioned(this.host, target)) return;
    const link = net._link(this.host, target);
    if (net._random() < link.loss) return;
    let delay = net._delay(this.host, target, copy.byteLength, false);
    if (net._random() < link.reorder) delay += net._random() * 4 * link.latency;
    const from: [string, number] = [this.host.address, this.port];
    this.loop.callLater(delay, () => target._udp.get(toPort)?._receive(copy, from));
  }

  /** @internal */
  _receive(data: Buffer, from: [string, number]): void {
    if (this.closed) return;
    const r = this.remote;
    if (r !== null && (r[0] !== from[0] || r[1] !== from[1])) return;
    try {
      this.protocol.datagramReceived(data, from);
    } catch (e) {
      this.loop.callExceptionHandler({
        message: "protocol.datagramReceived() failed",
        exception: e,
        transport: this,
        protocol: this.protocol,
      });
    }
  }

  abort(): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.host._udp.get(this.port) === this) this.host._udp.delete(this.port);
    _untrackResource(this.loop, this);
    this.loop.callSoon(() => this.protocol.connectionLost(null));
  }

  isClosing(): boolean {
    return this.closed;
  }

  getWriteBufferSize(): number {
    return 0;
  }

  setProtocol(protocol: BaseProtocol): void {
    this.protocol = protocol as DatagramProtocol;
  }

  getProtocol(): BaseProtocol {
    return this.protocol;
  }

  override toString(): string {
    return `<SimDatagramTransport ${this.closed ? "closed" : "open"} ${this.host.address}:${this.port}>`;
  }
}

/**
 * The simulated network of the running loop.
 *
 * Errors: `RuntimeError` unless the running loop is a {@link SimulatedLoop}.
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { network, SimulatedLoop } from "asyncio-ts/testing";
 *
 * function* main(): asyncio.Coroutine<void> {
 *   const net = network(); // the network of the running SimulatedLoop
 *   const db = net.addHost("db");
 *   console.log(net.hosts.map(String)); // [ '<Host main 10.0.0.1>', '<Host db 10.0.0.2>' ]
 *   // Its DNS knows the new host:
 *   const [info] = yield* asyncio.getRunningLoop().getaddrinfo("db", 5432);
 *   console.log(info?.[4], db.address); // [ '10.0.0.2', 5432 ] 10.0.0.2
 * }
 *
 * await asyncio.run(main(), { loopFactory: () => new SimulatedLoop() });
 * // On any other loop, network() throws a RuntimeError.
 * ```
 */
export function network(): SimulatedNetwork {
  const loop = getRunningLoop();
  if (!(loop instanceof SimulatedLoop)) {
    throw new RuntimeError(
      `network() needs a SimulatedLoop, and the running loop is ${String(loop)}: run the test with { loop: () => new SimulatedLoop() }`,
    );
  }
  return loop.network;
}
