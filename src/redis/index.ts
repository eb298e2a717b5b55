/**
 * `asyncio-ts/redis`: asyncio's `Queue` across processes and machines, on Redis Streams.
 *
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { RedisQueue } from "asyncio-ts/redis";
 *
 * function* consumer() {
 *   const queue = new RedisQueue<{ url: string }>("downloads", { url: "redis://127.0.0.1:6379" });
 *   try {
 *     for (;;) {
 *       const job = yield* queue.get();
 *       yield* download(job.url);
 *       queue.taskDone();
 *     }
 *   } catch (e) {
 *     if (!(e instanceof asyncio.QueueShutDown)) throw e;
 *   } finally {
 *     yield* queue.close();
 *   }
 * }
 * ```
 *
 * Design (docs/distributed.md has the whole story):
 * - one Redis stream per queue, read through one consumer group: each item goes to one
 *   consumer; an item stays in the group's pending list until `taskDone()` acknowledges
 *   it, so an item whose consumer died is claimed by another consumer once it
 *   has been idle for the visibility timeout — at-least-once delivery;
 * - every step that touches more than one key is a Lua script (scripts.ts), atomic on the
 *   server; `maxsize`, `qsize()`, `join()` and `shutdown()` read and write the same counters
 *   from every process;
 * - three connections per queue object: commands (auto-pipelined by the client, and puts and
 *   acknowledgements of one loop turn batched into one script call), a dedicated one for
 *   the blocking read (so a waiting `get()` never holds up other commands, and never the
 *   loop), and a pub/sub one that wakes waiting putters, joiners and getters.
 *
 * The Redis client (`@redis/client`, the core of `redis`) is an optional peer dependency,
 * loaded when a queue first connects.
 *
 * @module
 */

import { hostname } from "node:os";
import type * as RedisClient from "@redis/client";
import { bridgePromise } from "../core/base_events.js";
import {
  CancelledError,
  ConnectionError,
  type Coroutine,
  createTask,
  currentTask,
  Event,
  type Future,
  fromPromise,
  getRunningLoop,
  InvalidStateError,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  sleep,
  type Task,
  TimeoutError,
  waitFor,
} from "../index.js";
import * as scripts from "./scripts.js";

// ---------------------------------------------------------------- options

/**
 * Turns items into the strings stored in Redis and back. The default is JSON.
 *
 * `deserialize` may throw: the item is then moved to the dead-letter stream with the error's
 * message as the reason, and the consumer goes on with the next item.
 *
 * @example
 * ```ts
 * const dates: Serializer<Date> = {
 *   serialize: (d) => d.toISOString(),
 *   deserialize: (s) => new Date(s),
 * };
 * const queue = new RedisQueue<Date>("dates", { serializer: dates });
 * ```
 */
export interface Serializer<T> {
  serialize(value: T): string;
  deserialize(data: string): T;
}

/**
 * Options of {@link RedisQueue}. Give every process of one queue the same `maxsize`,
 * `visibilityTimeout` and `maxDeliveries`.
 *
 * @example
 * ```ts
 * const options: RedisQueueOptions<string> = { url: "redis://10.0.0.5:6379", maxsize: 1000 };
 * ```
 */
export interface RedisQueueOptions<T> {
  /** The Redis server, `redis[s]://[[user][:password]@]host[:port][/db]`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** As `Queue`'s: the most items waiting to be delivered before `put()` waits; 0 (default) unbounded. */
  maxsize?: number;
  /**
   * Seconds a delivered item may stay unfinished (no `taskDone()`) before another consumer
   * may take it. Default 30.
   */
  visibilityTimeout?: number;
  /** An item delivered more times than this is dead-lettered instead. Default 5. */
  maxDeliveries?: number;
  /** How items are stored; default JSON. */
  serializer?: Serializer<T>;
  /** The most items one read from Redis fetches for the `get()`s waiting in this process. Default 100. */
  batch?: number;
  /** Seconds to wait for the first connection before `get()`/`put()` fail. Default 10. */
  connectTimeout?: number;
  /**
   * Seconds operations wait for a lost Redis to come back (they resume when it does) before
   * they fail with `ConnectionError`. Default 30.
   */
  reconnectTimeout?: number;
  /** This consumer's name in the consumer group; default `host:pid:random`. */
  consumer?: string;
}

/**
 * An item moved to the dead-letter stream, as {@link RedisQueue.deadLetters} returns it.
 *
 * @example
 * ```ts
 * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
 * const queue = new RedisQueue<{ sku: string }>("orders", { url });
 * // Another program put plain text where this queue's consumers expect JSON:
 * const plain: Serializer<string> = { serialize: String, deserialize: String };
 * const other = new RedisQueue<string>("orders", { url, serializer: plain });
 * yield* other.put("sku-42");
 * yield* other.close();
 * try {
 *   yield* queue.getNowait(); // throws QueueEmpty: the item did not deserialize
 * } catch (e) {
 *   if (!(e instanceof QueueEmpty)) throw e;
 *   for (const dead of yield* queue.deadLetters()) {
 *     console.log(dead.data, dead.deliveries, dead.reason);
 *     // sku-42 1 cannot deserialize: Unexpected token 's', "sku-42" is not valid JSON
 *   }
 * } finally {
 *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
 *   yield* queue.close();
 * }
 * ```
 */
export interface DeadLetter {
  /** The item's id in the queue's stream. */
  id: string;
  /** The stored payload, as it was. */
  data: string;
  /** Why it was dead-lettered. */
  reason: string;
  /** How many times it had been delivered. */
  deliveries: number;
}

// ---------------------------------------------------------------- internals

/** The few client methods the queue uses: the client's own types are generic-heavy. */
interface Connection {
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: string, listener: (arg?: unknown) => void): unknown;
  close(): Promise<unknown>;
  destroy(): void;
  readonly isReady: boolean;
}

/** An item read from Redis: `data` until it is deserialized into `value` (one object each). */
interface Entry<T> {
  id: string;
  data: string;
  value: T | undefined;
  deliveries: number;
}

const JSON_SERIALIZER: Serializer<never> = {
  serialize: (value) => {
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError(`cannot serialize ${String(value)} as JSON`);
    return s;
  },
  deserialize: (data) => JSON.parse(data) as never,
};

/** States of a queue object, in order. */
enum State {
  NEW = "new",
  CONNECTING = "connecting",
  OPEN = "open",
  CLOSING = "closing",
  CLOSED = "closed",
}

/** How often waiters look again even without a notification (one may be lost on a reconnect). */
const POLL_SECONDS = 1;

let clientModule: Promise<typeof RedisClient> | undefined;

function loadClient(): Promise<typeof RedisClient> {
  clientModule ??= import("@redis/client").catch((e: unknown) => {
    clientModule = undefined;
    throw new Error(
      "asyncio-ts/redis needs the Redis client: npm install @redis/client (or redis)",
      { cause: e },
    );
  });
  return clientModule;
}

function positive(what: string, name: string, value: unknown, integer: boolean): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${what}: '${name}' must be a number: received ${String(value)}`);
  }
  if (value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `${what}: '${name}' must be a positive ${integer ? "integer" : "number"}: received ${value}`,
    );
  }
  return value;
}

/** The client's class of errors that Redis returned (set when the client is loaded). */
let ErrorReplyClass: (abstract new (...args: never[]) => Error) | null = null;

/** Whether `e` is an error Redis returned (not a connection failure). */
function isServerError(e: unknown): e is Error {
  return ErrorReplyClass !== null && e instanceof ErrorReplyClass;
}

/**
 * Replies of a Redis that is (re)starting or failing over, after which the same command
 * succeeds: it loads its data set (LOADING), a cluster slot moves (TRYAGAIN), a replica has
 * lost its primary (MASTERDOWN).
 */
const TRANSIENT_REPLY = /^(LOADING|TRYAGAIN|MASTERDOWN)\b/;

// ---------------------------------------------------------------- RedisQueue

/**
 * asyncio's `Queue`, shared by every process that opens a queue of the same `name` on the
 * same Redis: producers and consumers on many machines keep the walkthrough's loop
 * (`get`, work, `taskDone`). Built on a Redis stream and its consumer group.
 *
 * Delivery is **at-least-once**: an item a consumer took and did not finish (`taskDone()`)
 * within `visibilityTimeout` seconds — its process was killed, its machine lost — is
 * delivered to another consumer; a finished item is acknowledged, and never
 * delivered again. An item delivered more than `maxDeliveries` times, or whose payload does
 * not deserialize, goes to the dead-letter stream ({@link deadLetters}) with the reason.
 *
 * Across all processes: `maxsize` holds back every producer; `join()` waits for every item
 * put anywhere; `shutdown()` is seen by every process; `qsize()` counts items waiting to be
 * delivered. What asks Redis is a coroutine: `qsize()`, `empty()`, `full()`, and also
 * `putNowait()` / `getNowait()` (they never wait for room or for an item, but make one
 * round trip). `taskDone()` is synchronous, as asyncio's: acknowledgements are sent in the
 * background, batched, and `close()` waits until they are stored.
 *
 * The connection opens on first use (or with {@link connect}); `close()` releases it.
 *
 * Errors: `ConnectionError` naming the URL when Redis cannot be reached at start, or stays
 * unreachable longer than `reconnectTimeout`; while it restarts or is paused, operations
 * wait and resume (bound them with `asyncio.timeout()`).
 *
 * @example
 * ```ts
 * function* producer() {
 *   const queue = new RedisQueue<number>("jobs", { maxsize: 100 });
 *   for (let i = 0; i < 10; i++) yield* queue.put(i);
 *   yield* queue.join();     // every item done, by whichever process took it
 *   yield* queue.shutdown(); // consumers everywhere get QueueShutDown
 *   yield* queue.close();
 * }
 * ```
 */
export class RedisQueue<T = unknown> {
  /** The queue's name: processes that use the same name on one Redis share the queue. */
  readonly name: string;
  /** The Redis URL. */
  readonly url: string;
  /** This process's name in the consumer group. */
  readonly consumer: string;
  /** @internal */
  private readonly _maxsize: number;
  /** @internal */
  private readonly _visibilityMs: number;
  /** @internal */
  private readonly _maxDeliveries: number;
  /** @internal */
  private readonly _serializer: Serializer<T>;
  /** @internal */
  private readonly _batch: number;
  /** @internal */
  private readonly _connectMs: number;
  /** @internal */
  private readonly _reconnectMs: number;
  /** @internal */
  private readonly _keys: [string, string, string];
  /** @internal */
  private readonly _channel: string;

  /** @internal */
  private _state: State = State.NEW;
  /** @internal destroy() was called: close() deletes the keys if the queue is still empty. */
  private _destroyed = false;
  /** @internal */
  private _opening: Promise<void> | null = null;
  /** @internal */
  private _main: Connection | null = null;
  /** @internal */
  private _blocking: Connection | null = null;
  /** @internal */
  private _events: Connection | null = null;
  /** @internal */
  private _blockingId = "";
  /** @internal */
  private readonly _shas = new Map<string, string>();
  /** @internal Since when (ms) Redis has been unreachable; 0 while it is reachable. */
  private _downSince = 0;

  // Notifications: each kind bumps its event (set, then replaced) so that a waiter that
  // took the generation before asking Redis cannot miss one that arrived in between.
  /** @internal */
  private _space = new Event();
  /** @internal */
  private _done = new Event();
  /** @internal */
  private _shutdownSeen = false;

  // Getting: a pump task fetches for the waiting get()s into a local buffer. A get()
  // cancelled while the pump fetched leaves its item in the buffer for the next get().
  /** @internal */
  private _buffer = new Queue<Entry<T>>();
  /** @internal */
  private _getWaiters = 0;
  /** @internal */
  private _pump: Task<void> | null = null;
  /** @internal */
  private _pumpError: unknown = null;
  /** @internal */
  private _lastClaim = 0;
  /** @internal Read from Redis, not yet deserialized into the buffer. */
  private _arrived: Entry<T>[] = [];
  /** @internal Reads in flight (settled promises), which close() waits for. */
  private readonly _reads = new Set<Promise<void>>();

  // Items handed out and not yet done, in the order they were handed out, with the task
  // that took each: taskDone() finishes the oldest of the current task's, else the oldest.
  /** @internal */
  private readonly _inFlight = new Map<string, Task<unknown> | null>();
  /** @internal */
  private readonly _byTask = new WeakMap<Task<unknown>, string[]>();

  /** @internal A putter somewhere waits for room (heard as `putwait`): the next read announces `space`. */
  private _putWaiting = false;
  /** @internal A blocking read took items since the last `putwait` notice or `space` sent. */
  private _readSinceNotice = false;

  // Batches of one loop turn, sent as one script call.
  /** @internal The put script's arguments: maxsize, then the payloads of this loop turn. */
  private _putArgs: string[] = [];
  /** @internal The Futures of those puts, payload for payload (one each: cancelling a task cancels what it waits on). */
  private _putFutures: Future<number>[] = [];
  /** @internal */
  /** @internal */
  private _acks: string[] = [];
  /** @internal */
  private _acksScheduled = false;
  /** @internal Set while the reader is about to read again: acknowledgements wait for it. */
  private _acksWithRead = false;
  /** @internal */
  private readonly _ackFlushes = new Set<Promise<void>>();
  /** @internal */
  private _ackError: unknown = null;

  /**
   * @param name the queue's name (any non-empty string).
   * @param options see {@link RedisQueueOptions}.
   */
  constructor(name: string, options: RedisQueueOptions<T> = {}) {
    const what = "Cannot create RedisQueue";
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`${what}: 'name' must be a non-empty string: received ${String(name)}`);
    }
    const url = options.url ?? "redis://127.0.0.1:6379";
    if (typeof url !== "string" || !/^rediss?:\/\//.test(url)) {
      throw new TypeError(
        `${what}: 'url' must be a redis:// or rediss:// URL: received ${String(url)}`,
      );
    }
    const maxsize = options.maxsize ?? 0;
    if (typeof maxsize !== "number" || !Number.isInteger(maxsize)) {
      throw new TypeError(`${what}: 'maxsize' must be an integer: received ${String(maxsize)}`);
    }
    this.name = name;
    this.url = url;
    this._maxsize = Math.max(maxsize, 0);
    this._visibilityMs =
      positive(what, "visibilityTimeout", options.visibilityTimeout ?? 30, false) * 1000;
    this._maxDeliveries = positive(what, "maxDeliveries", options.maxDeliveries ?? 5, true);
    this._batch = positive(what, "batch", options.batch ?? 100, true);
    this._connectMs = positive(what, "connectTimeout", options.connectTimeout ?? 10, false) * 1000;
    this._reconnectMs =
      positive(what, "reconnectTimeout", options.reconnectTimeout ?? 30, false) * 1000;
    const serializer = options.serializer ?? (JSON_SERIALIZER as Serializer<T>);
    if (
      typeof serializer?.serialize !== "function" ||
      typeof serializer.deserialize !== "function"
    ) {
      throw new TypeError(
        `${what}: 'serializer' must have serialize() and deserialize() functions: received ${String(serializer)}`,
      );
    }
    this._serializer = serializer;
    this.consumer =
      options.consumer ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
    const base = `asyncio-ts:{${name}}`;
    this._keys = [`${base}:items`, `${base}:meta`, `${base}:dead`];
    this._channel = `${base}:events`;
  }

  /** The bound given to the constructor (0: unbounded). */
  get maxsize(): number {
    return this._maxsize;
  }

  // ---------------------------------------------------------------- connection

  /**
   * Connects now (every operation otherwise connects on first use): three connections,
   * the consumer group created if missing.
   *
   * Errors: `ConnectionError` naming the URL if Redis does not answer within
   * `connectTimeout`; `InvalidStateError` after `close()`.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("signups", { url, connectTimeout: 5 });
   * yield* queue.connect(); // fails now (ConnectionError naming the URL) if Redis is not there
   * try {
   *   yield* queue.put("ada@example.com");
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *connect(): Coroutine<void> {
    if (this._state === State.OPEN) return;
    if (this._state === State.CLOSING || this._state === State.CLOSED) {
      throw new InvalidStateError(`RedisQueue "${this.name}" is closed`);
    }
    if (this._opening === null) {
      this._state = State.CONNECTING;
      this._opening = this._open().then(
        () => {
          this._state = State.OPEN;
        },
        (e: unknown) => {
          this._state = State.NEW;
          this._opening = null;
          throw e;
        },
      );
    }
    yield* fromPromise(this._opening);
  }

  /** @internal */
  private async _open(): Promise<void> {
    const { createClient, ErrorReply } = await loadClient();
    ErrorReplyClass = ErrorReply;
    let everReady = false;
    const started = Date.now();
    const reconnectStrategy = (retries: number, cause: Error): number | Error => {
      const now = Date.now();
      if (!everReady) {
        if (now - started >= this._connectMs) return this._unreachable(cause, this._connectMs);
        return Math.min(50 * (retries + 1), 500);
      }
      if (this._downSince === 0) this._downSince = now;
      if (now - this._downSince >= this._reconnectMs) {
        return this._unreachable(cause, this._reconnectMs);
      }
      return Math.min(50 * (retries + 1), 500);
    };
    const make = (): Connection => {
      const client = createClient({
        url: this.url,
        // RESP2: stream replies as plain arrays (RESP3 turns them into maps).
        RESP: 2,
        socket: { connectTimeout: this._connectMs, reconnectStrategy },
        // No per-command deadline: a paused or restarting Redis makes commands wait; the
        // caller bounds them with asyncio.timeout().
        commandOptions: { timeout: 0 },
      }) as unknown as Connection;
      client.on("error", () => {
        // Reported through the commands that fail; the listener keeps Node from throwing.
      });
      client.on("ready", () => {
        everReady = true;
        this._downSince = 0;
      });
      return client;
    };
    const main = make();
    const blocking = make();
    const events = make();
    this._main = main;
    this._blocking = blocking;
    this._events = events;
    try {
      await Promise.all([main.connect(), blocking.connect(), events.connect()]);
    } catch (e) {
      for (const c of [main, blocking, events]) c.destroy();
      this._main = this._blocking = this._events = null;
      throw e instanceof ConnectionError ? e : this._unreachable(e, this._connectMs);
    }
    blocking.on("ready", () => {
      blocking.sendCommand(["CLIENT", "ID"]).then(
        (id) => {
          this._blockingId = String(id);
        },
        () => {},
      );
    });
    this._blockingId = String(await blocking.sendCommand(["CLIENT", "ID"]));
    await events.subscribe(this._channel, (message) => this._onEvent(message));
    await this._createGroup(main);
  }

  /** @internal */
  private _unreachable(cause: unknown, ms: number): ConnectionError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new ConnectionError(
      `RedisQueue "${this.name}": cannot reach Redis at ${this.url} (for ${ms / 1000} s): ${why}`,
      { cause },
    );
  }

  /** @internal */
  private async _createGroup(main: Connection): Promise<void> {
    try {
      await main.sendCommand(["XGROUP", "CREATE", this._keys[0], "consumers", "0", "MKSTREAM"]);
    } catch (e) {
      if (!(isServerError(e) && e.message.startsWith("BUSYGROUP"))) throw e;
    }
  }

  /** @internal */
  private _onEvent(message: string): void {
    if (message === "space") {
      const ev = this._space;
      this._space = new Event();
      ev.set();
    } else if (message === "putwait") {
      // A read whose reply came in before this notice may have run after the putter began
      // to wait: announce it now (at worst one retry too many for the putter).
      if (this._readSinceNotice) this._announceSpace();
      else this._putWaiting = true;
    } else if (message === "done") {
      const ev = this._done;
      this._done = new Event();
      ev.set();
    } else if (message === "shutdown") {
      this._shutdownSeen = true;
      for (const ev of [this._space, this._done]) ev.set();
      this._space = new Event();
      this._done = new Event();
      this._unblock();
    }
  }

  /**
   * After a blocking read took items: room for a waiting putter, announced only if one
   * waits (so a bounded queue far from full costs no command per read).
   * @internal
   */
  private _tookItems(): void {
    if (this._putWaiting) this._announceSpace();
    else this._readSinceNotice = true;
  }

  /** @internal */
  private _announceSpace(): void {
    this._putWaiting = false;
    this._readSinceNotice = false;
    if (this._main !== null) this._script(scripts.SPACE, []).catch(() => {});
  }

  /** @internal Ends the blocking read now (shutdown, close): the pump then looks at the state. */
  private _unblock(): void {
    if (this._main !== null && this._blockingId !== "") {
      this._main.sendCommand(["CLIENT", "UNBLOCK", this._blockingId]).catch(() => {});
    }
  }

  /** @internal Runs a script (EVALSHA, loading it again after a Redis restart emptied the cache). */
  private async _script(source: string, args: string[]): Promise<unknown> {
    const main = this._main;
    if (main === null) throw new InvalidStateError(`RedisQueue "${this.name}" is closed`);
    let sha = this._shas.get(source);
    if (sha === undefined) {
      sha = String(await main.sendCommand(["SCRIPT", "LOAD", source]));
      this._shas.set(source, sha);
    }
    // One array for the whole command (a put's carries a loop turn's payloads).
    const keys = this._keys;
    const command = ["EVALSHA", sha, "3", keys[0], keys[1], keys[2], this._channel];
    for (let i = 0; i < args.length; i++) command.push(args[i] as string);
    try {
      return await main.sendCommand(command);
    } catch (e) {
      if (isServerError(e) && e.message.startsWith("NOSCRIPT")) {
        command[0] = "EVAL";
        command[1] = source;
        return main.sendCommand(command);
      }
      if (isServerError(e) && e.message.includes("NOGROUP")) {
        await this._createGroup(main);
        return main.sendCommand(command);
      }
      throw e;
    }
  }

  /**
   * Runs `op` again while the connection is lost (a command in flight when the socket
   * closed is rejected by the client; one not yet sent waits for the reconnection), until
   * `reconnectTimeout` has passed. Errors Redis itself returns are not retried, except
   * those of a server that is coming back (`LOADING` its data after a restart, …).
   * @internal
   */
  private async _retrying<R>(op: () => Promise<R>): Promise<R> {
    let firstFailure = 0;
    for (;;) {
      try {
        return await op();
      } catch (e) {
        const comingBack = isServerError(e) && TRANSIENT_REPLY.test(e.message);
        if (
          (isServerError(e) && !comingBack) ||
          e instanceof InvalidStateError ||
          this._state === State.CLOSED
        ) {
          throw e;
        }
        if (e instanceof ConnectionError) throw e;
        const now = Date.now();
        if (firstFailure === 0) firstFailure = now;
        if (now - firstFailure >= this._reconnectMs) throw this._unreachable(e, this._reconnectMs);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** @internal */
  private *_ensureOpen(op: string): Coroutine<void> {
    if (this._state === State.OPEN) return;
    if (this._state === State.CLOSING || this._state === State.CLOSED) {
      throw new InvalidStateError(`RedisQueue "${this.name}": ${op} after close()`);
    }
    yield* this.connect();
  }

  // ---------------------------------------------------------------- put

  /**
   * Puts `item` at the end of the queue, first waiting while `maxsize` items (counted over
   * every process) wait to be delivered. Returns once Redis stored it.
   *
   * Errors: `QueueShutDown` if the queue is (or becomes) shut down in any process;
   * `TypeError` from the serializer, at the call. Cancellation: throws `CancelledError`; a
   * put cancelled after its item was sent to Redis may still have stored it.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<{ page: string }>("crawl", { url });
   * try {
   *   yield* queue.put({ page: "https://example.com" }); // returns once Redis stored it
   *   console.log(yield* queue.qsize()); // 1
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *put(item: T): Coroutine<void> {
    const payload = this._serializer.serialize(item);
    if (this._state !== State.OPEN) yield* this._ensureOpen("put()");
    for (;;) {
      if (this._shutdownSeen) throw new QueueShutDown("put(): the queue is shut down");
      const space = this._space;
      const stored = this._submitPut(payload);
      let result: number;
      try {
        result = yield* stored;
      } catch (e) {
        this._withdrawPut(stored);
        throw e;
      }
      if (result === 1) return;
      if (result === -1) {
        this._shutdownSeen = true;
        throw new QueueShutDown("put(): the queue is shut down");
      }
      yield* this._waitFor(space);
    }
  }

  /**
   * Puts `item` without waiting for room: `QueueFull` if `maxsize` items wait to be
   * delivered, `QueueShutDown` if the queue is shut down. It makes one round trip to Redis.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("previews", { url, maxsize: 1 });
   * try {
   *   for (const file of ["a.pdf", "b.pdf"]) {
   *     try {
   *       yield* queue.putNowait(file);
   *     } catch (e) {
   *       if (!(e instanceof QueueFull)) throw e;
   *       console.log(`queue full: ${file} skipped`); // queue full: b.pdf skipped
   *     }
   *   }
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *putNowait(item: T): Coroutine<void> {
    const payload = this._serializer.serialize(item);
    yield* this._ensureOpen("putNowait()");
    if (this._shutdownSeen) throw new QueueShutDown("putNowait(): the queue is shut down");
    const future = this._submitPut(payload);
    let stored: number;
    try {
      stored = yield* future;
    } catch (e) {
      this._withdrawPut(future);
      throw e;
    }
    if (stored === -1) {
      this._shutdownSeen = true;
      throw new QueueShutDown("putNowait(): the queue is shut down");
    }
    if (stored === 0)
      throw new QueueFull(`putNowait(): the queue is full (maxsize ${this._maxsize})`);
  }

  /**
   * Queues `payload` for this loop turn's put script; its Future gets 1 (stored), 0 (full)
   * or -1 (shut down). A plain function, not a coroutine: one generator less per put.
   * @internal
   */
  private _submitPut(payload: string): Future<number> {
    const stored = getRunningLoop().createFuture<number>();
    if (this._putFutures.length === 0) {
      this._putArgs.push(String(this._maxsize));
      queueMicrotask(() => this._flushPuts());
    }
    this._putArgs.push(payload);
    this._putFutures.push(stored);
    return stored;
  }

  /** @internal A put cancelled before its batch was sent: it is not sent (not stored). */
  private _withdrawPut(stored: Future<number>): void {
    const i = this._putFutures.indexOf(stored);
    if (i < 0) return;
    this._putFutures.splice(i, 1);
    this._putArgs.splice(i + 1, 1);
    if (this._putFutures.length === 0) this._putArgs = [];
  }

  /** @internal */
  private _flushPuts(): void {
    const futures = this._putFutures;
    if (futures.length === 0) return;
    const args = this._putArgs;
    this._putFutures = [];
    this._putArgs = [];
    // One bridge from the client's promise to the loop per batch; its putters' Futures
    // settle from there (a put cancelled meanwhile has its Future done already).
    const reply = bridgePromise(
      this._retrying(() => this._script(scripts.PUT, args)),
      (futures[0] as Future<number>).getLoop(),
    );
    reply.addDoneCallback(() => {
      if (reply.cancelled()) return;
      const error = reply.exception();
      const stored = error === null ? Number(reply.result()) : 0;
      for (let i = 0; i < futures.length; i++) {
        const p = futures[i] as Future<number>;
        if (p.done()) continue;
        if (error !== null) p.setException(error);
        else p.setResult(stored === -1 ? -1 : i < stored ? 1 : 0);
      }
    });
  }

  /** @internal Waits until `ev` is set, or POLL_SECONDS passed (a notification may have been lost). */
  private *_waitFor(ev: Event): Coroutine<void> {
    try {
      yield* waitFor(ev.wait(), POLL_SECONDS);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }
  }

  // ---------------------------------------------------------------- get

  /**
   * Removes and returns the next item, first waiting while there is none. Items whose
   * consumer did not finish them within `visibilityTimeout` come before new ones.
   *
   * Errors: `QueueShutDown` once the queue is shut down (in any process) and nothing is
   * left to deliver. Cancellation: throws `CancelledError` and loses nothing: an item that
   * arrived for it is kept for this process's next `get()` (and given back to the queue by
   * `close()`).
   *
   * The wait is a blocking read on a connection of its own, so it holds up neither the
   * loop nor other commands.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("emails", { url });
   * try {
   *   yield* queue.put("ada@example.com");
   *   const address = yield* queue.get(); // waits while the queue is empty
   *   console.log(`sending to ${address}`);
   *   queue.taskDone();
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *get(): Coroutine<T> {
    if (this._state !== State.OPEN) yield* this._ensureOpen("get()");
    for (;;) {
      if (this._pumpError !== null) this._resetAfterError();
      this._takeArrived();
      if (this._buffer.qsize() > 0) return this._handOut(this._buffer.getNowait());
      this._getWaiters++;
      this._ensurePump();
      let entry: Entry<T>;
      try {
        entry = yield* this._buffer.get();
      } catch (e) {
        if (e instanceof QueueShutDown && this._pumpError !== null) throw this._pumpError;
        if (e instanceof QueueShutDown) {
          throw new QueueShutDown("get(): the queue is shut down and empty");
        }
        throw e;
      } finally {
        this._getWaiters--;
      }
      return this._handOut(entry);
    }
  }

  /**
   * Returns the next item without waiting: `QueueEmpty` if none is waiting to be delivered
   * (`QueueShutDown` if the queue is also shut down). It makes one round trip to Redis
   * unless an item is already buffered in this process.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("resizes", { url });
   * try {
   *   yield* queue.put("cat.png");
   *   console.log(yield* queue.getNowait()); // cat.png
   *   queue.taskDone();
   *   yield* queue.getNowait(); // throws QueueEmpty
   * } catch (e) {
   *   if (!(e instanceof QueueEmpty)) throw e;
   *   console.log("nothing to resize");
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *getNowait(): Coroutine<T> {
    yield* this._ensureOpen("getNowait()");
    if (this._pumpError !== null) this._resetAfterError();
    this._takeArrived();
    if (this._buffer.qsize() > 0) return this._handOut(this._buffer.getNowait());
    for (;;) {
      const { count, shutdown } = yield* fromPromise(this._read(1, true));
      this._takeArrived();
      if (this._buffer.qsize() > 0) return this._handOut(this._buffer.getNowait());
      if (count > 0) continue; // only undeserializable ones: dead-lettered; look again
      if (shutdown) throw new QueueShutDown("getNowait(): the queue is shut down and empty");
      throw new QueueEmpty("getNowait(): the queue is empty");
    }
  }

  /** @internal */
  private _handOut(entry: Entry<T>): T {
    // Delivered here again (its visibility timeout passed): one record, the new one.
    if (this._inFlight.has(entry.id)) this._forget(entry.id);
    const task = currentTask();
    this._inFlight.set(entry.id, task);
    if (task !== null) {
      const mine = this._byTask.get(task);
      if (mine === undefined) this._byTask.set(task, [entry.id]);
      else mine.push(entry.id);
    }
    return entry.value as T;
  }

  /** @internal Drops the record of an item handed out here. */
  private _forget(id: string): void {
    const owner = this._inFlight.get(id);
    this._inFlight.delete(id);
    const list = owner == null ? undefined : this._byTask.get(owner);
    const i = list === undefined ? -1 : list.indexOf(id);
    if (list !== undefined && i >= 0) list.splice(i, 1);
  }

  /** @internal */
  private _resetAfterError(): void {
    this._pumpError = null;
    const old = this._buffer;
    this._buffer = new Queue<Entry<T>>();
    while (old.qsize() > 0) this._buffer.putNowait(old.getNowait());
  }

  /** @internal */
  private _ensurePump(): void {
    if (this._pump === null || this._pump.done()) {
      this._pump = createTask(this._runPump(), { name: `RedisQueue(${this.name}) reader` });
    }
  }

  /** @internal Fetches items while get()s wait in this process: the one reader of this queue object. */
  private *_runPump(): Coroutine<void> {
    // The blocking read alone serves a busy queue (one command a batch, as a bare stream
    // consumer). The read script — which also claims items idle past the visibility timeout
    // and sees the shutdown flag — runs first, when the queue was idle, and every quarter
    // of the visibility timeout.
    let check = true;
    try {
      for (;;) {
        const want = this._getWaiters - this._buffer.qsize();
        if (want <= 0 || this._state !== State.OPEN) return;
        const n = Math.min(want, this._batch);
        const claim =
          check || this._shutdownSeen || Date.now() - this._lastClaim >= this._visibilityMs / 4;
        if (claim || this._blocking === null || !this._shas.has(scripts.ACK)) {
          this._acksWithRead = false;
          this._flushAcks();
        }
        if (claim) {
          check = false;
          this._lastClaim = Date.now();
          const { count, shutdown } = yield* fromPromise(this._read(n, true));
          this._takeArrived();
          if (count > 0) {
            // Let the getters just woken take their items and come back for more, so the
            // next read asks for all of them at once.
            yield* sleep(0);
            continue;
          }
          if (shutdown || this._shutdownSeen) {
            this._shutdownSeen = true;
            this._buffer.shutdown();
            return;
          }
        }
        const got = yield* fromPromise(this._blockingRead(n));
        this._takeArrived();
        if (got === 0) check = true;
        else {
          // The getters just served finish their items in this turn: their
          // acknowledgements travel with the next read (one write, one reply for both).
          this._acksWithRead = true;
          yield* sleep(0);
        }
      }
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      if (this._state !== State.OPEN) return;
      this._pumpError = e;
      this._buffer.shutdown();
    } finally {
      this._acksWithRead = false;
      this._flushAcks();
    }
  }

  /**
   * Reads up to `n` items into `_arrived` — not into the caller's hands: a get() cancelled
   * while its read is in flight must not lose what the read brings (the next get() or
   * close() finds it there).
   * @internal
   */
  private _read(n: number, claim: boolean): Promise<{ count: number; shutdown: boolean }> {
    return this._trackRead(this._readNow(n, claim));
  }

  /** @internal */
  private _trackRead<R>(p: Promise<R>): Promise<R> {
    const settled = p.then(
      () => {},
      () => {},
    );
    this._reads.add(settled);
    void settled.then(() => this._reads.delete(settled));
    return p;
  }

  /** @internal */
  private _takeArrived(): void {
    if (this._arrived.length === 0) return;
    const entries = this._arrived;
    this._arrived = [];
    this._accept(entries);
  }

  /** @internal */
  private async _readNow(n: number, claim: boolean): Promise<{ count: number; shutdown: boolean }> {
    const reply = (await this._retrying(() =>
      this._script(scripts.READ, [
        this.consumer,
        String(n),
        claim ? "1" : "0",
        String(this._visibilityMs),
        String(this._maxDeliveries),
      ]),
    )) as unknown[];
    let count = 0;
    for (let i = 1; i + 2 < reply.length; i += 3) {
      this._arrived.push({
        id: String(reply[i]),
        data: String(reply[i + 1]),
        value: undefined,
        deliveries: Number(reply[i + 2]),
      });
      count++;
    }
    return { count, shutdown: Number(reply[0]) === 1 };
  }

  /** @internal XREADGROUP … BLOCK on the dedicated connection, into `_arrived`; ends early on CLIENT UNBLOCK. */
  private _blockingRead(n: number): Promise<number> {
    return this._trackRead(this._blockingReadNow(n));
  }

  /** @internal */
  private async _blockingReadNow(n: number): Promise<number> {
    const blocking = this._blocking;
    if (blocking === null) return 0;
    // Short enough to claim expired items and see a lost shutdown notice in time.
    const blockMs = Math.max(10, Math.min(Math.floor(this._visibilityMs / 4), 1000));
    const args = ["XREADGROUP", "GROUP", "consumers", this.consumer, "COUNT", String(n)];
    args.push("BLOCK", String(blockMs), "STREAMS", this._keys[0], ">");
    this._acksWithRead = false;
    this._sendAcksBefore(blocking);
    let reply: unknown;
    try {
      reply = await this._retrying(() => blocking.sendCommand(args));
    } catch (e) {
      if (isServerError(e) && e.message.includes("NOGROUP") && this._main !== null) {
        await this._createGroup(this._main);
        return 0;
      }
      if (isServerError(e) && e.message.startsWith("UNBLOCKED")) return 0;
      throw e;
    }
    if (!Array.isArray(reply)) return 0;
    const stream = reply[0] as [string, [string, string[]][]];
    const arrived = this._arrived;
    for (const [id, fields] of stream[1]) {
      arrived.push({ id, data: String(fields[1]), value: undefined, deliveries: 1 });
    }
    const count = stream[1].length;
    if (count > 0) this._tookItems();
    return count;
  }

  /** @internal Deserializes into the buffer; what does not deserialize goes to the dead letters. */
  private _accept(entries: Entry<T>[]): void {
    for (const entry of entries) {
      const { id, data, deliveries } = entry;
      try {
        entry.value = this._serializer.deserialize(data);
      } catch (e) {
        const reason = `cannot deserialize: ${e instanceof Error ? e.message : String(e)}`;
        this._track(
          this._retrying(() =>
            this._script(scripts.DEAD, [id, data, reason, String(deliveries)]),
          ).then(() => {}),
        );
        continue;
      }
      this._buffer.putNowait(entry);
    }
  }

  // ---------------------------------------------------------------- done

  /**
   * Marks an item this process took as finished: it is acknowledged in Redis,
   * in the background, batched with the others of this loop turn; `close()` waits until
   * those are stored. Synchronous, as asyncio's.
   *
   * Which item: the one the current task took last and has not finished (so in the loop
   * `get`, work, `taskDone`, an item whose work failed without `taskDone()` stays
   * unfinished, and is delivered again after the visibility timeout); from a task that took
   * none, the oldest unfinished item of this process.
   *
   * Errors: `RangeError` ("taskDone() called too many times") if this process holds no
   * unfinished item.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("payments", { url });
   * function* charge(payment: string) {
   *   console.log(`charging ${payment}`);
   *   yield* asyncio.sleep(0.1); // the payment service answers
   * }
   * try {
   *   yield* queue.put("payment-7");
   *   const payment = yield* queue.get();
   *   yield* charge(payment); // should it throw, the item is not done: delivered again later
   *   queue.taskDone(); // done: acknowledged, never delivered again
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  taskDone(): void {
    const id = this._takeInFlight();
    if (id === undefined) throw new RangeError("taskDone() called too many times");
    this._acks.push(id);
    if (!this._acksScheduled && !this._acksWithRead) {
      this._acksScheduled = true;
      queueMicrotask(() => this._flushAcks());
    }
  }

  /** @internal */
  private _takeInFlight(): string | undefined {
    const task = currentTask();
    const mine = task === null ? undefined : this._byTask.get(task);
    if (mine !== undefined && mine.length > 0) {
      const id = mine.pop() as string;
      this._inFlight.delete(id);
      return id;
    }
    const first = this._inFlight.keys().next();
    if (first.done === true) return undefined;
    this._forget(first.value);
    return first.value;
  }

  /**
   * Sends the acknowledgements waiting on `conn` (the blocking connection, just before its
   * read: Redis runs both from one write). Should that fail, they go again the usual way.
   * @internal
   */
  private _sendAcksBefore(conn: Connection): void {
    const sha = this._shas.get(scripts.ACK);
    const ids = this._acks;
    if (ids.length === 0 || sha === undefined) {
      this._flushAcks();
      return;
    }
    this._acks = [];
    const k = this._keys;
    const sent = conn.sendCommand(["EVALSHA", sha, "3", k[0], k[1], k[2], this._channel, ...ids]);
    this._track(
      sent.then(
        () => {},
        () => this._retrying(() => this._script(scripts.ACK, ids)).then(() => {}),
      ),
    );
  }

  /** @internal */
  private _flushAcks(): void {
    this._acksScheduled = false;
    const ids = this._acks;
    this._acks = [];
    if (ids.length === 0) return;
    this._track(
      this._retrying(() => this._script(scripts.ACK, ids)).then(
        () => {},
        (e: unknown) => {
          this._ackError = e;
        },
      ),
    );
  }

  /** @internal */
  private _track(p: Promise<void>): void {
    const tracked = p.catch((e: unknown) => {
      this._ackError = e;
    });
    this._ackFlushes.add(tracked);
    void tracked.finally(() => this._ackFlushes.delete(tracked));
  }

  /**
   * Waits until every item put so far, by any process, is finished (`taskDone()`,
   * dead-lettered, or dropped by `shutdown(true)`).
   *
   * Cancellation: throws `CancelledError`; nothing changes.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("pages", { url });
   * const pages = ["/", "/about"];
   * // A consumer; it could as well be in another process:
   * const crawler = asyncio.createTask((function* () {
   *   for (let i = 0; i < pages.length; i++) {
   *     console.log(`crawled ${yield* queue.get()}`);
   *     queue.taskDone();
   *   }
   * })());
   * try {
   *   for (const page of pages) yield* queue.put(page);
   *   yield* queue.join(); // every item done, by whichever process took it
   *   console.log("all crawled");
   *   yield* crawler;
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *join(): Coroutine<void> {
    yield* this._ensureOpen("join()");
    for (;;) {
      const done = this._done;
      const { unfinished } = yield* fromPromise(this._stateOf(true));
      if (unfinished <= 0) return;
      yield* this._waitFor(done);
    }
  }

  // ---------------------------------------------------------------- state

  /** @internal */
  private async _stateOf(
    join = false,
  ): Promise<{ unfinished: number; pending: number; shutdown: boolean }> {
    const r = (await this._retrying(() =>
      this._script(scripts.STATE, [join ? "1" : "0"]),
    )) as number[];
    return { unfinished: Number(r[0]), pending: Number(r[1]), shutdown: Number(r[2]) === 1 };
  }

  /**
   * How many items wait to be delivered, over every process (items taken and not yet
   * finished do not count, as in asyncio).
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("invoices", { url });
   * try {
   *   yield* queue.put("invoice-1");
   *   yield* queue.put("invoice-2");
   *   console.log(yield* queue.qsize()); // 2, as every process sees it
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *qsize(): Coroutine<number> {
    yield* this._ensureOpen("qsize()");
    const { unfinished, pending } = yield* fromPromise(this._stateOf());
    return Math.max(0, unfinished - pending);
  }

  /**
   * Whether no item waits to be delivered.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("thumbnails", { url });
   * try {
   *   if (yield* queue.empty()) console.log("idle"); // idle
   *   yield* queue.put("cat.png");
   *   console.log(yield* queue.empty()); // false
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *empty(): Coroutine<boolean> {
    return (yield* this.qsize()) === 0;
  }

  /**
   * Whether `maxsize` items wait to be delivered; never true when unbounded.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("uploads", { url, maxsize: 2 });
   * try {
   *   yield* queue.put("a.png");
   *   yield* queue.put("b.png");
   *   if (yield* queue.full()) console.log("consumers are behind"); // consumers are behind
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *full(): Coroutine<boolean> {
    if (this._maxsize === 0) return false;
    return (yield* this.qsize()) >= this._maxsize;
  }

  /**
   * The items in the dead-letter stream, oldest first (at most `count`).
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<number>("readings", { url });
   * // A sensor of an older version sent "12,5" where JSON numbers are expected:
   * const plain: Serializer<string> = { serialize: String, deserialize: String };
   * const sensor = new RedisQueue<string>("readings", { url, serializer: plain });
   * yield* sensor.put("12,5");
   * yield* sensor.close();
   * try {
   *   yield* queue.getNowait(); // throws QueueEmpty: "12,5" did not deserialize
   * } catch (e) {
   *   if (!(e instanceof QueueEmpty)) throw e;
   *   for (const d of yield* queue.deadLetters(10)) console.log(d.id, d.data, d.reason);
   *   // 1796287438282-0 12,5 cannot deserialize: Unexpected non-whitespace character after JSON …
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *deadLetters(count = 100): Coroutine<DeadLetter[]> {
    positive("RedisQueue.deadLetters()", "count", count, true);
    yield* this._ensureOpen("deadLetters()");
    const main = this._main as Connection;
    const reply = (yield* fromPromise(
      main.sendCommand(["XRANGE", this._keys[2], "-", "+", "COUNT", String(count)]),
    )) as [string, string[]][];
    return reply.map(([, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2)
        f.set(String(fields[i]), String(fields[i + 1]));
      return {
        id: f.get("id") ?? "",
        data: f.get("data") ?? "",
        reason: f.get("reason") ?? "",
        deliveries: Number(f.get("deliveries") ?? "0"),
      };
    });
  }

  // ---------------------------------------------------------------- shutdown, close

  /**
   * Shuts the queue down in every process (3.13's `Queue.shutdown`): later puts throw
   * `QueueShutDown` everywhere, and so do gets once nothing is left to deliver; waiting
   * putters and getters in every process are woken. With `immediate`, the items still
   * waiting to be delivered are dropped (each counts as done for `join()`).
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("builds", { url });
   * try {
   *   yield* queue.put("main");
   *   // Consumers everywhere finish what is queued, then stop (with shutdown(true): stop now).
   *   yield* queue.shutdown();
   *   console.log(yield* queue.get()); // main
   *   queue.taskDone();
   *   yield* queue.get(); // throws QueueShutDown: shut down, and nothing left
   * } catch (e) {
   *   if (!(e instanceof QueueShutDown)) throw e;
   *   console.log("no more builds");
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *shutdown(immediate = false): Coroutine<void> {
    if (typeof immediate !== "boolean") {
      throw new TypeError(
        `RedisQueue.shutdown(): 'immediate' must be a boolean: received ${String(immediate)}`,
      );
    }
    yield* this._ensureOpen("shutdown()");
    yield* fromPromise(
      this._retrying(() => this._script(scripts.SHUTDOWN, [immediate ? "1" : "0"])),
    );
    this._onEvent("shutdown");
    if (immediate) {
      // Items this process fetched but did not hand out are dropped too.
      const ids: string[] = [];
      while (this._buffer.qsize() > 0) ids.push(this._buffer.getNowait().id);
      if (ids.length > 0) yield* fromPromise(this._script(scripts.ACK, ids));
    }
  }

  /** Whether this process knows the queue was shut down. */
  isShutDown(): boolean {
    return this._shutdownSeen;
  }

  /**
   * Releases the connections, first storing the acknowledgements of `taskDone()` still in
   * flight; items this process fetched but never handed out go back to the queue at once.
   * Items handed out and not finished stay with this consumer until the visibility timeout.
   * Idempotent.
   *
   * Errors: the error of an acknowledgement that could not be stored (after
   * `reconnectTimeout`), so a lost `taskDone()` is never silent.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<string>("reports", { url });
   * try {
   *   yield* queue.put("daily");
   *   console.log(yield* queue.get()); // daily
   *   queue.taskDone(); // acknowledged in the background: close() waits until it is stored
   * } finally {
   *   yield* queue.destroy(); // an example's queue: leave nothing behind in Redis
   *   yield* queue.close();
   * }
   * ```
   */
  *close(): Coroutine<void> {
    if (this._state === State.CLOSED || this._state === State.CLOSING) return;
    if (this._state === State.CONNECTING && this._opening !== null) {
      try {
        yield* fromPromise(this._opening);
      } catch {
        this._state = State.CLOSED;
        return;
      }
    }
    if (this._state === State.NEW) {
      this._state = State.CLOSED;
      return;
    }
    this._state = State.CLOSING;
    try {
      this._flushPuts();
      this._flushAcks();
      while (this._ackFlushes.size > 0) yield* fromPromise(Promise.all([...this._ackFlushes]));
      const pump = this._pump;
      if (pump !== null && !pump.done()) {
        this._unblock();
        pump.cancel();
        try {
          yield* pump;
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
        }
      }
      while (this._reads.size > 0) yield* fromPromise(Promise.all([...this._reads]));
      const release: string[] = [];
      for (const entry of this._arrived) release.push(entry.id, String(entry.deliveries));
      this._arrived = [];
      while (this._buffer.qsize() > 0) {
        const entry = this._buffer.getNowait();
        release.push(entry.id, String(entry.deliveries));
      }
      yield* fromPromise(
        this._script(scripts.RELEASE, [this.consumer, String(this._visibilityMs), ...release]),
      );
      if (this._destroyed) yield* fromPromise(this._script(scripts.DROP_IF_EMPTY, []));
      this._buffer.shutdown(true);
    } finally {
      this._state = State.CLOSED;
      const conns = [this._main, this._blocking, this._events];
      this._main = this._blocking = this._events = null;
      yield* fromPromise(
        Promise.allSettled(
          conns.map((c) => (c === null ? undefined : c.close().catch(() => c.destroy()))),
        ),
      );
    }
    if (this._ackError !== null) throw this._ackError;
  }

  /**
   * Deletes the queue from Redis: its items, counters and dead letters. For tests and
   * operations; other processes using it see an empty, new queue. Closing this queue
   * object afterwards deletes the queue's keys once more if it is still empty, so that a
   * queue destroyed and then closed leaves no key behind; what any process stored in the
   * meantime is kept.
   *
   * @example
   * ```ts
   * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
   * const queue = new RedisQueue<number>("test-scores", { url });
   * yield* queue.put(1);
   * yield* queue.put(2);
   * yield* queue.destroy(); // items, counters and dead letters: gone
   * console.log(yield* queue.qsize()); // 0
   * yield* queue.close();
   * ```
   */
  *destroy(): Coroutine<void> {
    yield* this._ensureOpen("destroy()");
    const main = this._main as Connection;
    yield* fromPromise(main.sendCommand(["DEL", ...this._keys]));
    yield* fromPromise(this._createGroup(main));
    this._destroyed = true;
  }

  toString(): string {
    let s = `<RedisQueue ${JSON.stringify(this.name)} ${this.url} ${this._state}`;
    if (this._maxsize > 0) s += ` maxsize=${this._maxsize}`;
    if (this._inFlight.size > 0) s += ` unfinished-here=${this._inFlight.size}`;
    if (this._shutdownSeen) s += " shutdown";
    return `${s}>`;
  }
}

export { QueueEmpty, QueueFull, QueueShutDown };
