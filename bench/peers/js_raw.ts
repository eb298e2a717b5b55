// Peer benchmark: plain Node.js — async functions, Promises, AbortController, `net`.
//
// Usage: node bench/dist/js_raw.mjs W1..W7|M|AG|D1..D1000 [--n N] [--variant micro]
// The yield to the scheduler is `await new Promise(r => setImmediate(r))` (a trip through
// the event loop, like asyncio's sleep(0)); with `--variant micro` it is `await null`
// (a microtask only; W1, W2, W6, D*).
import net from "node:net";
import {
  abortableSleep,
  CONSUMERS,
  depthWorkloads,
  ECHO_CLIENTS,
  echoLine,
  HOUR_MS,
  LOCK_TASKS,
  lcgDelaysMs,
  lockOutcome,
  main,
  nodeLoopProbe,
  type Outcome,
  QUEUE_MAX,
  reportAsleepAndExit,
  sleep,
  sum,
  timerOutcome,
  triangular,
  yieldToLoop,
} from "./common.js";

const micro = process.argv.includes("micro");

/** The simplest correct bounded async queue: FIFO, awaits space on put, awaits items on get. */
class BoundedQueue<T> {
  readonly #items: T[] = [];
  readonly #getters: Array<(item: T) => void> = [];
  readonly #putters: Array<() => void> = [];
  constructor(readonly maxsize: number) {}

  async put(item: T): Promise<void> {
    while (this.#items.length >= this.maxsize) {
      await new Promise<void>((r) => this.#putters.push(r));
    }
    const getter = this.#getters.shift();
    if (getter)
      getter(item); // a getter waits only while the buffer is empty
    else this.#items.push(item);
  }

  async get(): Promise<T> {
    if (this.#items.length > 0) {
      const item = this.#items.shift() as T;
      this.#putters.shift()?.(); // wake one producer waiting for space
      return item;
    }
    return new Promise<T>((r) => this.#getters.push(r));
  }
}

/** The simplest promise mutex: FIFO hand-off to the next waiter. */
class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];
  async acquire(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((r) => this.#waiters.push(r)); // ownership handed over by release()
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}

async function w1Switch(n: number): Promise<Outcome> {
  const t0 = performance.now();
  let i = 0;
  if (micro) for (; i < n; i++) await null;
  else for (; i < n; i++) await yieldToLoop();
  return { seconds: (performance.now() - t0) / 1000, ok: i === n, check: `yields=${i}` };
}

async function w2Spawn(n: number): Promise<Outcome> {
  const child = async (i: number): Promise<number> => {
    if (micro) await null;
    else await yieldToLoop();
    return i;
  };
  const t0 = performance.now();
  const tasks: Promise<number>[] = [];
  for (let i = 0; i < n; i++) tasks.push(child(i));
  const results = await Promise.all(tasks);
  const seconds = (performance.now() - t0) / 1000;
  const ok = results.length === n && results.every((r, i) => r === i);
  return { seconds, ok, check: `sum=${sum(results)} expected=${triangular(n)}` };
}

async function w3Queue(n: number): Promise<Outcome> {
  const q = new BoundedQueue<number | null>(QUEUE_MAX);
  const producer = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await q.put(i);
    for (let c = 0; c < CONSUMERS; c++) await q.put(null); // one sentinel per consumer
  };
  const consumer = async (): Promise<number> => {
    let total = 0;
    for (let v = await q.get(); v !== null; v = await q.get()) total += v;
    return total;
  };
  const probe = nodeLoopProbe(); // a control for asyncio-ts's check that I/O is not starved
  const t0 = performance.now();
  const consumers = Array.from({ length: CONSUMERS }, consumer);
  const [, ...sums] = await Promise.all([producer(), ...consumers]);
  const seconds = (performance.now() - t0) / 1000;
  const total = sum(sums as number[]);
  return {
    seconds,
    ok: total === triangular(n),
    check: `sum=${total} expected=${triangular(n)}`,
    extra: probe(),
  };
}

async function w4Timers(n: number): Promise<Outcome> {
  const delays = lcgDelaysMs(n);
  const t0 = performance.now();
  const results = await Promise.all(
    delays.map(async (d) => {
      await sleep(d);
      return d;
    }),
  );
  return timerOutcome((performance.now() - t0) / 1000, results, delays);
}

async function w5Cancel(n: number): Promise<Outcome> {
  // One AbortController per task: a single shared signal with 100k listeners is quadratic
  // in Node 20 (EventTarget checks for duplicate listeners on every add).
  let started = 0;
  let cancelled = 0;
  const child = async (signal: AbortSignal): Promise<void> => {
    started++;
    try {
      await abortableSleep(HOUR_MS, signal);
    } catch (e) {
      if (signal.aborted) {
        cancelled++;
        return;
      }
      throw e;
    }
  };
  const t0 = performance.now();
  const controllers: AbortController[] = [];
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const c = new AbortController();
    controllers.push(c);
    tasks.push(child(c.signal));
  }
  await yieldToLoop();
  if (started !== n) throw new Error(`only ${started} of ${n} children started`);
  const t1 = performance.now();
  for (const c of controllers) c.abort();
  await Promise.all(tasks);
  const t2 = performance.now();
  return {
    seconds: (t2 - t1) / 1000,
    ok: cancelled === n,
    check: `started=${started} cancelled=${cancelled}`,
    extra: { spawn_seconds: +((t1 - t0) / 1000).toFixed(4) },
  };
}

async function w6Lock(n: number): Promise<Outcome> {
  const mutex = new Mutex();
  const perTask = Math.floor(n / LOCK_TASKS);
  let counter = 0;
  const worker = async (): Promise<void> => {
    for (let j = 0; j < perTask; j++) {
      await mutex.acquire();
      try {
        const v = counter;
        if (micro) await null;
        else await yieldToLoop(); // yield while holding the lock
        counter = v + 1;
      } finally {
        mutex.release();
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: LOCK_TASKS }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const expected = perTask * LOCK_TASKS;
  return lockOutcome(seconds, counter, expected);
}

/** Line splitter over a socket: readLine() resolves with the next full line (newline kept). */
function lineReader(sock: net.Socket): () => Promise<string> {
  let buf = "";
  const lines: string[] = [];
  let waiter: { resolve: (l: string) => void; reject: (e: Error) => void } | null = null;
  sock.setEncoding("latin1");
  sock.on("data", (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl + 1);
      buf = buf.slice(nl + 1);
      if (waiter) {
        const w = waiter;
        waiter = null;
        w.resolve(line);
      } else lines.push(line);
    }
  });
  sock.on("close", () => waiter?.reject(new Error("connection closed before a full line")));
  return () =>
    lines.length > 0
      ? Promise.resolve(lines.shift() as string)
      : new Promise((resolve, reject) => {
          waiter = { resolve, reject };
        });
}

async function w7Echo(n: number): Promise<Outcome> {
  const perClient = Math.floor(n / ECHO_CLIENTS);
  const server = net.createServer({ noDelay: true }, (sock) => {
    let buf = "";
    sock.setEncoding("latin1");
    sock.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        sock.write(buf.slice(0, nl + 1), "latin1");
        buf = buf.slice(nl + 1);
      }
    });
    sock.on("end", () => sock.end());
    sock.on("error", () => sock.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;

  const client = async (cid: number): Promise<number> => {
    const sock = net.connect({ host: "127.0.0.1", port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    const readLine = lineReader(sock);
    let ok = 0;
    for (let i = 0; i < perClient; i++) {
      const msg = echoLine(cid, i);
      sock.write(msg, "latin1");
      if ((await readLine()) === msg) ok++;
    }
    sock.end();
    await new Promise((r) => sock.once("close", r));
    return ok;
  };

  const t0 = performance.now();
  const oks = await Promise.all(Array.from({ length: ECHO_CLIENTS }, (_, c) => client(c)));
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => server.close(r));
  const total = sum(oks);
  const expected = perClient * ECHO_CLIENTS;
  return {
    seconds,
    n: expected,
    ok: total === expected,
    check: `echoed_ok=${total} expected=${expected}`,
  };
}

async function mSleeping(n: number): Promise<Outcome> {
  let started = 0;
  const child = async (): Promise<void> => {
    started++;
    await sleep(HOUR_MS);
  };
  const t0 = performance.now();
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < n; i++) tasks.push(child());
  await yieldToLoop();
  reportAsleepAndExit("js_raw", n, (performance.now() - t0) / 1000, started);
}

/** AG: the native form — an `async function*` consumed by `for await`. */
async function agNative(n: number): Promise<Outcome> {
  async function* numbers(): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) yield i;
  }
  const t0 = performance.now();
  let total = 0;
  let count = 0;
  for await (const v of numbers()) {
    total += v;
    count++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    ok: count === n && total === triangular(n),
    check: `sum=${total} expected=${triangular(n)}`,
  };
}

/** D*: an await chain of `depth` async functions; the innermost yields n times. */
function depthBench(depth: number) {
  return async (n: number): Promise<Outcome> => {
    const level = async (d: number): Promise<number> => {
      if (d > 1) return await level(d - 1);
      let i = 0;
      if (micro) for (; i < n; i++) await null;
      else for (; i < n; i++) await yieldToLoop();
      return i;
    };
    const t0 = performance.now();
    const resumes = await level(depth);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, ok: resumes === n, check: `resumes=${resumes} depth=${depth}` };
  };
}
const depths = {
  ...depthWorkloads(depthBench),
};

/**
 * The C10k section's server (bench/c10k.mjs): W7's echo server on 127.0.0.1 with a listen
 * backlog for thousands of connections, serving until the process is ended. Prints its
 * port as one JSON line.
 */
function echoServer(backlog: number): void {
  const server = net.createServer({ noDelay: true }, (sock) => {
    let buf = "";
    sock.setEncoding("latin1");
    sock.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        sock.write(buf.slice(0, nl + 1), "latin1");
        buf = buf.slice(nl + 1);
      }
    });
    sock.on("end", () => sock.end());
    sock.on("error", () => sock.destroy());
  });
  server.listen({ port: 0, host: "127.0.0.1", backlog }, () => {
    console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port }));
  });
}

if (process.argv[2] === "echo-server") {
  echoServer(Number(process.argv[process.argv.indexOf("--backlog") + 1]));
} else
  await main(
    "js_raw",
    micro
      ? { W1: w1Switch, W2: w2Spawn, W6: w6Lock, ...depths }
      : {
          W1: w1Switch,
          W2: w2Spawn,
          W3: w3Queue,
          W4: w4Timers,
          W5: w5Cancel,
          W6: w6Lock,
          W7: w7Echo,
          M: mSleeping,
          AG: agNative,
          ...depths,
        },
  );
