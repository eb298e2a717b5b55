/**
 * RedisQueue against a real redis-server (started here on a free port, AOF on). Two queue
 * objects of one name stand for two processes: each has its own connections, and nothing
 * is shared between them but Redis. The example's test runs real separate processes.
 *
 * Skipped, with the reason printed, where redis-server is not installed; a failure instead
 * when ASYNCIO_TS_REQUIRE_ALL=1 (CI).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createClient } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "../examples/distributed_queue.js";
import * as asyncio from "../src/index.js";
import { RedisQueue, type RedisQueueOptions } from "../src/redis/index.js";
import * as scripts from "../src/redis/scripts.js";
import { freePort, RedisServer, redisAvailable } from "./redis/server.js";

const enabled = redisAvailable("test/redis.test.ts");

let server: RedisServer;
let counter = 0;
const unique = (): string => `t${process.pid}-${++counter}`;

interface Admin {
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<unknown>;
}

/** A plain client, for what the tests do to Redis behind the queue's back. */
async function admin(url: string): Promise<Admin> {
  const c = createClient({ url, commandOptions: { timeout: 0 } });
  c.on("error", () => {});
  await c.connect();
  return c as unknown as Admin;
}

/** Two "processes" of one queue. */
function pair<T>(options: RedisQueueOptions<T> = {}): [RedisQueue<T>, RedisQueue<T>] {
  const name = unique();
  const all = { url: server.url, ...options };
  return [new RedisQueue<T>(name, all), new RedisQueue<T>(name, all)];
}

/** A queue of `name` that stores strings as they are: it can put a payload JSON rejects. */
function rawQueue(name: string): RedisQueue<string> {
  return new RedisQueue<string>(name, {
    url: server.url,
    serializer: { serialize: (s) => s, deserialize: (s) => s },
  });
}

/** Runs `main` on a fresh Node loop; always closes the queues. */
function run<R>(queues: RedisQueue<unknown>[], main: () => asyncio.Coroutine<R>): Promise<R> {
  return asyncio.run(
    (function* () {
      try {
        return yield* main();
      } finally {
        for (const q of queues) yield* q.close();
      }
    })(),
  );
}

/** Waits (on a condition, polled) until a client of the server is blocked in XREADGROUP. */
function* blockedReader(a: Admin): asyncio.Coroutine<void> {
  for (;;) {
    const list = yield* asyncio.fromPromise(a.sendCommand(["CLIENT", "LIST"]));
    if (String(list).includes("cmd=xreadgroup")) return;
    yield* asyncio.sleep(0.01);
  }
}

describe.skipIf(!enabled)("RedisQueue on a real Redis", () => {
  beforeAll(async () => {
    server = new RedisServer();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("hands items in FIFO order from one process to another; qsize counts across them", async () => {
    const [producer, consumer] = pair<{ n: number }>();
    const result = await run([producer, consumer], function* () {
      for (let n = 0; n < 5; n++) yield* producer.put({ n });
      const sizes = [yield* producer.qsize(), yield* consumer.qsize()];
      const got: number[] = [];
      for (let i = 0; i < 5; i++) {
        got.push((yield* consumer.get()).n);
        consumer.taskDone();
      }
      yield* producer.join();
      return { sizes, got, empty: yield* producer.empty(), full: yield* producer.full() };
    });
    expect(result).toEqual({ sizes: [5, 5], got: [0, 1, 2, 3, 4], empty: true, full: false });
  });

  it("maxsize holds back a producer in another process until a consumer takes an item", async () => {
    const [producer, consumer] = pair<number>({ maxsize: 2 });
    const log = await run([producer, consumer], function* () {
      const log: string[] = [];
      yield* producer.put(1);
      yield* producer.put(2);
      log.push(`full ${yield* consumer.full()}`);
      try {
        yield* producer.putNowait(3);
      } catch (e) {
        log.push(e instanceof asyncio.QueueFull ? "QueueFull" : String(e));
      }
      const third = asyncio.createTask(
        (function* () {
          yield* producer.put(3);
          log.push("put 3");
        })(),
      );
      const [, pending] = yield* asyncio.wait([third], { timeout: 0.3 });
      log.push(`waiting ${pending.size === 1}`);
      log.push(`got ${yield* consumer.get()}`);
      yield* third;
      log.push(`qsize ${yield* producer.qsize()}`);
      return log;
    });
    expect(log).toEqual(["full true", "QueueFull", "waiting true", "got 1", "put 3", "qsize 2"]);
  });

  it("a bounded queue far from full costs reads no extra command; a waiting putter is announced and woken by the next read", async () => {
    const [producer, consumer] = pair<number>({ maxsize: 3 });
    const spaceSha = createHash("sha1").update(scripts.SPACE).digest("hex");
    // What the queues send, and what they announce: MONITOR and SUBSCRIBE on the side.
    const monitor = createClient({ url: server.url, commandOptions: { timeout: 0 } });
    const listener = createClient({ url: server.url, commandOptions: { timeout: 0 } });
    for (const c of [monitor, listener]) c.on("error", () => {});
    await Promise.all([monitor.connect(), listener.connect()]);
    let spaceCalls = 0;
    const announced: string[] = [];
    await monitor.monitor((line) => {
      if (String(line).includes(`"EVALSHA" "${spaceSha}"`)) spaceCalls++;
    });
    await listener.subscribe(`asyncio-ts:{${producer.name}}:events`, (m) => {
      announced.push(m);
    });
    try {
      const log = await run([producer, consumer], function* () {
        const log: string[] = [];
        // Far from full: 20 items one by one, each taken by a blocking read.
        const taker = asyncio.createTask(
          (function* () {
            for (let i = 0; i < 20; i++) {
              yield* consumer.get();
              consumer.taskDone();
            }
          })(),
        );
        for (let i = 0; i < 20; i++) yield* producer.put(i);
        yield* taker;
        log.push(`far from full: ${spaceCalls} space calls, announced [${announced.join(",")}]`);
        // Full: the putter waits, says so once; the consumer's next read wakes it.
        for (let i = 0; i < 3; i++) yield* producer.put(i);
        const fourth = asyncio.createTask(producer.put(3));
        while (!announced.includes("putwait")) yield* asyncio.sleep(0.01);
        log.push(`waiting ${!fourth.done()}`);
        log.push(`got ${yield* consumer.get()}`);
        consumer.taskDone();
        yield* fourth;
        log.push("put 3");
        return log;
      });
      expect(log).toEqual([
        "far from full: 0 space calls, announced []",
        "waiting true",
        "got 0",
        "put 3",
      ]);
      // The consumer had read before the notice came, so it may announce space at once (the
      // read might have run after the putter began to wait): one retry too many at most,
      // then the putter waits again and the read wakes it.
      expect(["putwait,space", "putwait,space,putwait,space"]).toContain(announced.join(","));
    } finally {
      await Promise.allSettled([monitor.close(), listener.close()]);
    }
  });

  it("a put() cancelled before its loop turn's batch is sent stores nothing; the rest of the batch is stored", async () => {
    const [producer, consumer] = pair<string>({ maxsize: 10 });
    const log = await run([producer, consumer], function* () {
      const log: string[] = [];
      yield* producer.connect();
      // Four puts of one loop turn go as one script call; "b" is cancelled before it leaves.
      const puts = ["a", "b", "c", "d"].map((x) => asyncio.createTask(producer.put(x)));
      asyncio.createTask(
        (function* () {
          (puts[1] as asyncio.Task<void>).cancel();
        })(),
      );
      for (const [i, t] of puts.entries()) {
        try {
          yield* t;
          log.push(`put ${"abcd"[i]}`);
        } catch (e) {
          log.push(e instanceof asyncio.CancelledError ? `cancelled ${"abcd"[i]}` : String(e));
        }
      }
      log.push(`qsize ${yield* consumer.qsize()}`);
      for (let i = 0; i < 3; i++) log.push(`got ${yield* consumer.get()}`);
      return log;
    });
    expect(log).toEqual([
      "put a",
      "cancelled b",
      "put c",
      "put d",
      "qsize 3",
      "got a",
      "got c",
      "got d",
    ]);
  });

  it("many puts of one loop turn against maxsize: as many as fit are stored, the rest wait, all in order", async () => {
    const [producer, consumer] = pair<number>({ maxsize: 30 });
    const got = await run([producer, consumer], function* () {
      // 60 puts in one loop turn (one script call): 30 fit, the rest wait for room.
      const puts = Array.from({ length: 60 }, (_, i) => asyncio.createTask(producer.put(i)));
      const got: number[] = [];
      for (let i = 0; i < 60; i++) {
        got.push(yield* consumer.get());
        consumer.taskDone();
      }
      yield* asyncio.gather(...puts);
      return got;
    });
    expect(got).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it("join() returns when an item taken in another process is done, not before", async () => {
    const [producer, consumer] = pair<string>();
    const log = await run([producer, consumer], function* () {
      const log: string[] = [];
      yield* producer.put("job");
      const joiner = asyncio.createTask(
        (function* () {
          yield* producer.join();
          log.push("joined");
        })(),
      );
      log.push(`got ${yield* consumer.get()}`);
      const [, pending] = yield* asyncio.wait([joiner], { timeout: 0.3 });
      log.push(`still waiting ${pending.size === 1}`);
      consumer.taskDone();
      log.push("taskDone");
      yield* joiner;
      return log;
    });
    expect(log).toEqual(["got job", "still waiting true", "taskDone", "joined"]);
  });

  it("shutdown() in one process wakes a get() blocked in another and stops puts everywhere", async () => {
    const [a, b] = pair<number>();
    const a2 = await admin(server.url);
    try {
      const log = await run([a, b], function* () {
        const log: string[] = [];
        yield* b.connect();
        const getter = asyncio.createTask(b.get());
        yield* blockedReader(a2);
        yield* a.shutdown();
        try {
          yield* getter;
        } catch (e) {
          log.push(e instanceof asyncio.QueueShutDown ? "get: QueueShutDown" : String(e));
        }
        try {
          yield* b.put(1);
        } catch (e) {
          log.push(e instanceof asyncio.QueueShutDown ? "put: QueueShutDown" : String(e));
        }
        log.push(`b knows ${b.isShutDown()}`);
        return log;
      });
      expect(log).toEqual(["get: QueueShutDown", "put: QueueShutDown", "b knows true"]);
    } finally {
      await a2.close();
    }
  });

  it("after shutdown() consumers finish what is queued; shutdown(true) drops it and join() returns", async () => {
    const [a, b] = pair<number>();
    const [c, d] = pair<number>();
    const log = await run([a, b, c, d], function* () {
      const log: string[] = [];
      for (let i = 0; i < 3; i++) yield* a.put(i);
      yield* a.shutdown();
      for (;;) {
        try {
          log.push(`got ${yield* b.get()}`);
          b.taskDone();
        } catch (e) {
          log.push(e instanceof asyncio.QueueShutDown ? "QueueShutDown" : String(e));
          break;
        }
      }
      for (let i = 0; i < 3; i++) yield* c.put(i);
      yield* d.shutdown(true);
      yield* c.join();
      log.push(`immediate: qsize ${yield* c.qsize()}`);
      try {
        yield* d.getNowait();
      } catch (e) {
        log.push(e instanceof asyncio.QueueShutDown ? "QueueShutDown" : String(e));
      }
      return log;
    });
    expect(log).toEqual([
      "got 0",
      "got 1",
      "got 2",
      "QueueShutDown",
      "immediate: qsize 0",
      "QueueShutDown",
    ]);
  });

  it("a blocked get() does not stall the loop: other tasks run while it waits", async () => {
    const [producer, consumer] = pair<string>();
    const a2 = await admin(server.url);
    try {
      const log = await run([producer, consumer], function* () {
        const log: string[] = [];
        const getter = asyncio.createTask(
          (function* () {
            log.push(`got ${yield* consumer.get()}`);
          })(),
        );
        yield* blockedReader(a2);
        log.push("get() blocked in Redis");
        for (let i = 1; i <= 3; i++) {
          yield* asyncio.sleep(0.01);
          log.push(`tick ${i}`);
        }
        log.push("putting");
        yield* producer.put("x");
        yield* getter;
        return log;
      });
      expect(log).toEqual([
        "get() blocked in Redis",
        "tick 1",
        "tick 2",
        "tick 3",
        "putting",
        "got x",
      ]);
    } finally {
      await a2.close();
    }
  });

  it("a cancelled get() loses no item: the next get() has it, and close() gives it back", async () => {
    const [producer, consumer] = pair<string>();
    const other = new RedisQueue<string>(producer.name, { url: server.url });
    const a2 = await admin(server.url);
    try {
      const log = await run([producer, consumer, other], function* () {
        const log: string[] = [];
        yield* consumer.connect();
        const getter = asyncio.createTask(consumer.get());
        yield* blockedReader(a2);
        getter.cancel();
        try {
          yield* getter;
        } catch (e) {
          log.push(e instanceof asyncio.CancelledError ? "cancelled" : String(e));
        }
        // The reader is still blocked for the cancelled get: this item reaches the buffer.
        yield* producer.put("first");
        yield* producer.put("second");
        log.push(`got ${yield* consumer.get()}`);
        consumer.taskDone();
        // A get cancelled before its turn: "second" stays for whoever asks next.
        const late = asyncio.createTask(consumer.get());
        late.cancel();
        try {
          yield* late;
        } catch (e) {
          log.push(e instanceof asyncio.CancelledError ? "cancelled" : String(e));
        }
        yield* consumer.close(); // "second", if buffered here, goes back now
        log.push(`other got ${yield* other.get()}`);
        other.taskDone();
        yield* producer.join();
        log.push("joined");
        return log;
      });
      expect(log).toEqual(["cancelled", "got first", "cancelled", "other got second", "joined"]);
    } finally {
      await a2.close();
    }
  });

  it("an item whose consumer never finished it is delivered again after the visibility timeout", async () => {
    const [producer, dying] = pair<string>({ visibilityTimeout: 0.3 });
    const survivor = new RedisQueue<string>(producer.name, {
      url: server.url,
      visibilityTimeout: 0.3,
    });
    const log = await run([producer, dying, survivor], function* () {
      const log: string[] = [];
      yield* producer.put("lost");
      yield* producer.put("finished");
      // One task takes "lost" and never finishes it (its process dies); another task of
      // the same process finishes "finished": taskDone() finishes the current task's item.
      const worker = asyncio.createTask(dying.get());
      log.push(`dying got ${yield* worker}`);
      log.push(`dying got ${yield* dying.get()}`);
      dying.taskDone();
      yield* dying.close();
      log.push(`survivor got ${yield* survivor.get()}`);
      survivor.taskDone();
      yield* producer.join();
      try {
        yield* survivor.getNowait();
      } catch (e) {
        log.push(e instanceof asyncio.QueueEmpty ? "then empty" : String(e));
      }
      return log;
    });
    expect(log).toEqual([
      "dying got lost",
      "dying got finished",
      "survivor got lost",
      "then empty",
    ]);
  });

  it("an item delivered more than maxDeliveries times goes to the dead letters; the consumer goes on", async () => {
    const [producer, consumer] = pair<string>({ visibilityTimeout: 0.2, maxDeliveries: 2 });
    const result = await run([producer, consumer], function* () {
      yield* producer.put("poison");
      const seen: string[] = [];
      // Taken and never finished, twice (as by two crashed workers).
      seen.push(yield* consumer.get());
      seen.push(yield* consumer.get());
      // The third claim dead-letters it; this get() then waits for the next item.
      const next = asyncio.createTask(
        (function* () {
          seen.push(yield* consumer.get());
          consumer.taskDone(); // finishes what this task took: "good"
        })(),
      );
      while ((yield* consumer.deadLetters()).length === 0) yield* asyncio.sleep(0.05);
      yield* producer.put("good");
      yield* next;
      yield* producer.join();
      const dead = yield* consumer.deadLetters();
      return { seen, dead: dead.map((d) => [d.data, d.reason, d.deliveries]) };
    });
    expect(result.seen).toEqual(["poison", "poison", "good"]);
    expect(result.dead).toEqual([
      ['"poison"', "delivered 3 times without taskDone() (maxDeliveries 2)", 3],
    ]);
  });

  it("a payload that does not deserialize goes to the dead letters with the reason", async () => {
    const name = unique();
    const raw = rawQueue(name);
    const consumer = new RedisQueue<{ ok: boolean }>(name, { url: server.url });
    const result = await run([raw, consumer], function* () {
      yield* raw.put("{not json");
      yield* raw.put('{"ok":true}');
      const item = yield* consumer.get();
      consumer.taskDone();
      yield* raw.join();
      const dead = yield* consumer.deadLetters();
      return { item, dead: dead.map((d) => [d.data, d.reason.split(":")[0]]) };
    });
    expect(result).toEqual({
      item: { ok: true },
      dead: [["{not json", "cannot deserialize"]],
    });
  });

  it("destroy() then close() leaves no key behind, even after items, a dead letter and a waiting get()", async () => {
    const name = unique();
    const raw = rawQueue(name);
    const queue = new RedisQueue<{ n: number }>(name, { url: server.url });
    const a = await admin(server.url);
    const keys = () => a.sendCommand(["KEYS", `asyncio-ts:{${name}}:*`]);
    try {
      const seen = await run([raw, queue], function* () {
        yield* raw.put("{not json"); // a dead letter, once a get() meets it
        for (let n = 0; n < 3; n++) yield* queue.put({ n });
        const got: number[] = [];
        for (let i = 0; i < 3; i++) {
          got.push((yield* queue.get()).n);
          queue.taskDone();
        }
        // A get() blocked in Redis while the queue is deleted under it.
        const waiting = asyncio.createTask(queue.get());
        yield* blockedReader(a);
        const before = (yield* asyncio.fromPromise(keys())) as string[];
        const dead = (yield* queue.deadLetters()).length;
        yield* queue.destroy();
        waiting.cancel();
        yield* asyncio.gather(waiting, { returnExceptions: true });
        return { got, before: before.length, dead };
      });
      expect(seen).toEqual({ got: [0, 1, 2], before: 3, dead: 1 });
      expect(await keys()).toEqual([]);
    } finally {
      await a.close();
    }
  });

  it("close() after destroy() keeps what another process stored since, and it can be taken", async () => {
    const [wiper, other] = pair<number>();
    const name = wiper.name;
    const got = await run([other], function* () {
      yield* wiper.put(1);
      yield* wiper.destroy();
      yield* other.put(2); // stored after the destroy, before the close
      yield* wiper.close();
      const item = yield* other.get();
      other.taskDone();
      return { item, size: yield* other.qsize() };
    });
    expect(got).toEqual({ item: 2, size: 0 });
    const a = await admin(server.url);
    try {
      const keys = (await a.sendCommand(["KEYS", `asyncio-ts:{${name}}:*`])) as string[];
      expect(keys.length).toBeGreaterThan(0); // not destroyed: only emptied by its consumer
    } finally {
      await a.close();
    }
  });

  it("close() stores the acknowledgements of taskDone() still in flight", async () => {
    const [producer, consumer] = pair<number>();
    const log = await run([producer, consumer], function* () {
      const log: string[] = [];
      yield* producer.put(1);
      log.push(`got ${yield* consumer.get()}`);
      consumer.taskDone(); // sent in the background
      yield* consumer.close(); // waits until it is stored
      log.push(`unfinished after close: ${yield* producer.qsize()}`);
      yield* asyncio.waitFor(producer.join(), 10);
      log.push("joined");
      return log;
    });
    expect(log).toEqual(["got 1", "unfinished after close: 0", "joined"]);
  });

  it("close() stores acknowledgements waiting to travel with the next read", async () => {
    // The item comes through the blocking read: the acknowledgement of its taskDone() then
    // waits for the reader's next read, which close() never lets happen.
    const [producer, consumer] = pair<number>();
    const a = await admin(server.url);
    try {
      const log = await run([producer, consumer], function* () {
        const log: string[] = [];
        yield* consumer.connect();
        yield* producer.put(0);
        log.push(`got ${yield* consumer.get()}`); // the first read is the claiming script
        consumer.taskDone();
        const getter = asyncio.createTask(
          (function* () {
            const n = yield* consumer.get();
            consumer.taskDone(); // in the turn the read served it: waits for the next read
            yield* consumer.close();
            return n;
          })(),
        );
        yield* blockedReader(a);
        yield* producer.put(1);
        log.push(`got ${yield* getter}`);
        log.push(`qsize after close: ${yield* producer.qsize()}`);
        yield* asyncio.waitFor(producer.join(), 10);
        log.push("joined");
        return log;
      });
      expect(log).toEqual(["got 0", "got 1", "qsize after close: 0", "joined"]);
    } finally {
      await a.close();
    }
  });

  it("many items through blocking reads: all finished once, even across a flushed script cache; the stream is trimmed", async () => {
    const [producer, consumer] = pair<number>();
    const a = await admin(server.url);
    const total = 600;
    try {
      const result = await run([producer, consumer], function* () {
        const seen = new Map<number, number>();
        let flushed = false;
        function* worker() {
          for (;;) {
            let n: number;
            try {
              n = yield* consumer.get();
            } catch (e) {
              if (e instanceof asyncio.QueueShutDown) return;
              throw e;
            }
            seen.set(n, (seen.get(n) ?? 0) + 1);
            if (seen.size === total / 2 && !flushed) {
              // Redis forgets the scripts: acknowledgements sent with a read fail with
              // NOSCRIPT and must go again the usual way.
              flushed = true;
              yield* asyncio.fromPromise(a.sendCommand(["SCRIPT", "FLUSH"]));
            }
            consumer.taskDone();
          }
        }
        const workers = Array.from({ length: 20 }, () => asyncio.createTask(worker()));
        yield* blockedReader(a);
        let next = 0;
        function* putter() {
          while (next < total) yield* producer.put(next++);
        }
        yield* asyncio.gather(...Array.from({ length: 20 }, putter));
        yield* asyncio.waitFor(producer.join(), 15);
        yield* producer.shutdown();
        yield* asyncio.gather(...workers);
        const key = `asyncio-ts:{${producer.name}}:items`;
        const left = Number(yield* asyncio.fromPromise(a.sendCommand(["XLEN", key])));
        const counts = new Set(seen.values());
        return { distinct: seen.size, counts: [...counts], flushed, trimmed: left < total / 2 };
      });
      expect(result).toEqual({ distinct: total, counts: [1], flushed: true, trimmed: true });
    } finally {
      await a.close();
    }
  });

  it("taskDone() more often than items were taken here is a RangeError", async () => {
    const [q] = pair<number>();
    await run([q], function* () {
      yield* q.connect();
      expect(() => q.taskDone()).toThrow(new RangeError("taskDone() called too many times"));
    });
  });

  it("a Redis that is not there fails at start with an error naming the URL", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const q = new RedisQueue<number>("nowhere", { url, connectTimeout: 0.3 });
    const error = await run([q], function* () {
      try {
        yield* q.put(1);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(error).toBeInstanceOf(asyncio.ConnectionError);
    expect(String(error)).toContain(url);
  });

  it("Redis killed and restarted mid-run: puts wait and resume, no acknowledged put is lost", async () => {
    const own = new RedisServer();
    await own.start();
    try {
      const name = unique();
      const producer = new RedisQueue<number>(name, { url: own.url });
      const consumer = new RedisQueue<number>(name, { url: own.url });
      const result = await run([producer, consumer], function* () {
        for (let i = 0; i < 20; i++) yield* producer.put(i);
        yield* asyncio.fromPromise(own.kill("SIGKILL"));
        const late = asyncio.createTask(producer.put(20)); // waits for Redis
        yield* asyncio.sleep(0);
        yield* asyncio.fromPromise(own.start());
        yield* late;
        const got: number[] = [];
        for (let i = 0; i <= 20; i++) {
          got.push(yield* consumer.get());
          consumer.taskDone();
        }
        yield* producer.join();
        return got;
      });
      expect(result).toEqual(Array.from({ length: 21 }, (_, i) => i));
    } finally {
      await own.stop();
    }
  });

  it("a restarted Redis still loading its data answers LOADING: operations wait until it is done", async () => {
    const own = new RedisServer();
    await own.start();
    try {
      // 2,000 keys in the AOF's RDB base, loaded back 1 ms per key: about 2 s of LOADING.
      const a = await admin(own.url);
      for (let i = 0; i < 4; i++) {
        const pairs = Array.from({ length: 500 }, (_, j) => [`filler-${i}-${j}`, "x"]).flat();
        await a.sendCommand(["MSET", ...pairs]);
      }
      await a.sendCommand(["BGREWRITEAOF"]);
      for (;;) {
        const info = String(await a.sendCommand(["INFO", "persistence"]));
        if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await a.close();
      const name = unique();
      const producer = new RedisQueue<number>(name, { url: own.url });
      const consumer = new RedisQueue<number>(name, { url: own.url });
      const result = await run([producer, consumer], function* () {
        yield* producer.put(1);
        yield* asyncio.fromPromise(own.kill("SIGKILL"));
        // Not awaited: start() resolves when loading is over, and the put must meet it.
        const restarted = own.start(["--key-load-delay", "1000"]);
        yield* producer.put(2);
        yield* asyncio.fromPromise(restarted);
        const got = [yield* consumer.get(), yield* consumer.get()];
        consumer.taskDone();
        consumer.taskDone();
        return got;
      });
      expect(result).toEqual([1, 2]);
    } finally {
      await own.stop();
    }
  });

  it("a paused Redis (CLIENT PAUSE): operations wait and resume; asyncio.timeout bounds them", async () => {
    const [producer, consumer] = pair<string>();
    const a2 = await admin(server.url);
    try {
      const log = await run([producer, consumer], function* () {
        const log: string[] = [];
        yield* producer.connect();
        yield* consumer.connect();
        yield* asyncio.fromPromise(a2.sendCommand(["CLIENT", "PAUSE", "60000", "WRITE"]));
        const put = asyncio.createTask(producer.put("during pause"));
        const [, pending] = yield* asyncio.wait([put], { timeout: 0.3 });
        log.push(`put waiting ${pending.size === 1}`);
        try {
          yield* asyncio.waitFor(consumer.getNowait(), 0.2);
        } catch (e) {
          log.push(e instanceof asyncio.TimeoutError ? "getNowait: TimeoutError" : String(e));
        }
        yield* asyncio.fromPromise(a2.sendCommand(["CLIENT", "UNPAUSE"]));
        yield* put;
        log.push(`got ${yield* consumer.get()}`);
        consumer.taskDone();
        return log;
      });
      expect(log).toEqual(["put waiting true", "getNowait: TimeoutError", "got during pause"]);
    } finally {
      await a2.sendCommand(["CLIENT", "UNPAUSE"]);
      await a2.close();
    }
  });

  it("bad options fail at the call, naming the option and the value", () => {
    expect(() => new RedisQueue("")).toThrow(/'name' must be a non-empty string/);
    expect(() => new RedisQueue("q", { url: "http://x" })).toThrow(
      /'url' must be a redis:\/\/ or rediss:\/\/ URL: received http:\/\/x/,
    );
    expect(() => new RedisQueue("q", { visibilityTimeout: 0 })).toThrow(
      /'visibilityTimeout' must be a positive number: received 0/,
    );
    expect(() => new RedisQueue("q", { maxDeliveries: 1.5 })).toThrow(
      /'maxDeliveries' must be a positive integer: received 1.5/,
    );
    expect(() => new RedisQueue("q", { maxsize: 2.5 })).toThrow(/'maxsize' must be an integer/);
  });
});

describe.skipIf(!enabled)(
  "examples/distributed_demo: producers and consumers in separate processes",
  () => {
    it("kills a consumer mid-run with SIGKILL; every item is finished once, or delivered again", () => {
      // From the build (global-setup), so that the five child processes start quickly.
      const script = fileURLToPath(
        new URL("../dist/examples/distributed_demo.js", import.meta.url),
      );
      const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 110_000 });
      const lines = r.stdout.split("\n").filter(Boolean);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(lines[0]).toBe("redis-server started");
      expect(lines[1]).toMatch(/^killed consumer 2 \(SIGKILL\) while it held p[12]-\d+$/);
      expect(lines).toContain("producers done: 20 items put");
      expect(lines).toContain("join(): every item finished");
      expect(lines).toContain("consumers exited: 0, SIGKILL, 0");
      const once = Number(/^finished exactly once: (\d+)$/m.exec(r.stdout)?.[1]);
      const again = lines.filter((l) => l.startsWith("delivered again after the kill: "));
      expect(again.length).toBeGreaterThanOrEqual(1);
      expect(once + again.length).toBe(20);
      expect(lines.filter((l) => l.startsWith("WRONG"))).toEqual([]);
      expect(lines.at(-1)).toBe("every item finished: yes");
    }, 120_000);

    it("the worker refuses a role it does not know, naming it", () => {
      expect(() => parseArgs(["--role", "broker"])).toThrow(
        "distributed_queue: --role must be producer or consumer: received broker",
      );
      expect(parseArgs(["--role", "producer", "--id", "2", "--items", "5"])).toMatchObject({
        role: "producer",
        id: 2,
        items: 5,
      });
    });
  },
);
