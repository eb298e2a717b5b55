// asyncio-ts on the benchmark workloads, written as an asyncio user writes them: coroutines
// are `function*`, awaiting is `yield*`, and everything comes from the public API. Each
// workload mirrors the CPython program in peers/py_asyncio.py line for line.
//
// Usage: node bench/dist/asyncio_ts.mjs W1..W7|M|TG|AC|AG|D1..D1000 [--n N] [--variant coro]
// `--variant coro` runs the D workloads with `asyncio.coroutine()`-marked coroutines (the
// Task keeps the frame stack) instead of plain `function*` (native `yield*` delegation).
//
// The times are taken inside the main coroutine, as the peers take theirs, so they leave
// out process start-up and loop creation.
import * as asyncio from "../src/index.js";
import {
  CONSUMERS,
  depthWorkloads,
  ECHO_CLIENTS,
  echoLine,
  heapSummary,
  LOCK_TASKS,
  lcgDelaysMs,
  lockOutcome,
  main,
  nodeLoopProbe,
  type Outcome,
  QUEUE_MAX,
  reportAsleepAndExit,
  sum,
  timerOutcome,
  triangular,
} from "./peers/common.js";

const coro = process.argv.includes("coro");
const now = (): number => performance.now();

// ---------------------------------------------------------------- W1 switch

function* w1Main(n: number): asyncio.Coroutine<Outcome> {
  const probe = nodeLoopProbe();
  const t0 = now();
  let i = 0;
  for (; i < n; i++) yield* asyncio.sleep(0);
  const seconds = (now() - t0) / 1000;
  return { seconds, ok: i === n, check: `yields=${i}`, extra: probe() };
}

// ---------------------------------------------------------------- W2 spawn

function* w2Main(n: number): asyncio.Coroutine<Outcome> {
  function* child(i: number): asyncio.Coroutine<number> {
    yield* asyncio.sleep(0);
    return i;
  }
  // `--heap W2`: what is live per task when every child has taken its first step (the
  // first child to resume looks, before it returns).
  function* heapChild(i: number): asyncio.Coroutine<number> {
    yield* asyncio.sleep(0);
    if (i === 0) heapSummary(n, "spawned tasks, each past its first step");
    return i;
  }
  if (process.env.BENCH_HEAP_SUMMARY) {
    const coros: asyncio.Coroutine<number>[] = [];
    for (let i = 0; i < n; i++) coros.push(heapChild(i));
    const results = yield* asyncio.gather(...coros);
    return { seconds: 0, ok: results.length === n, check: "heap summary on stderr" };
  }
  const probe = nodeLoopProbe();
  const t0 = now();
  const coros: asyncio.Coroutine<number>[] = [];
  for (let i = 0; i < n; i++) coros.push(child(i));
  const results = yield* asyncio.gather(...coros);
  const seconds = (now() - t0) / 1000;
  const ok = results.length === n && results.every((r, i) => r === i);
  return { seconds, ok, check: `sum=${sum(results)} expected=${triangular(n)}`, extra: probe() };
}

// ---------------------------------------------------------------- W3 queue

function* w3Main(n: number): asyncio.Coroutine<Outcome> {
  const q = new asyncio.Queue<number | null>(QUEUE_MAX);
  function* producer(): asyncio.Coroutine<number> {
    for (let i = 0; i < n; i++) yield* q.put(i);
    for (let c = 0; c < CONSUMERS; c++) yield* q.put(null); // one sentinel per consumer
    return 0;
  }
  function* consumer(): asyncio.Coroutine<number> {
    let total = 0;
    for (let v = yield* q.get(); v !== null; v = yield* q.get()) total += v;
    return total;
  }
  const probe = nodeLoopProbe();
  const t0 = now();
  const consumers: asyncio.Coroutine<number>[] = [];
  for (let c = 0; c < CONSUMERS; c++) consumers.push(consumer());
  const [, ...sums] = yield* asyncio.gather(producer(), ...consumers);
  const seconds = (now() - t0) / 1000;
  const total = sum(sums);
  return {
    seconds,
    ok: total === triangular(n),
    check: `sum=${total} expected=${triangular(n)}`,
    extra: probe(),
  };
}

// ---------------------------------------------------------------- W4 timers

function* w4Main(n: number): asyncio.Coroutine<Outcome> {
  const delays = lcgDelaysMs(n);
  const t0 = now();
  const results = yield* asyncio.gather(...delays.map((d) => asyncio.sleep(d / 1000, d)));
  return timerOutcome((now() - t0) / 1000, results, delays);
}

// ---------------------------------------------------------------- W5 cancel

/** The error the TaskGroup body raises to cancel every child, as py_asyncio's `Stop`. */
class Stop extends Error {}

function* w5Main(n: number): asyncio.Coroutine<Outcome> {
  let started = 0;
  let cancelled = 0;
  function* child(): asyncio.Coroutine<void> {
    started++;
    try {
      yield* asyncio.sleep(3600);
    } catch (e) {
      if (e instanceof asyncio.CancelledError) cancelled++;
      throw e;
    }
  }
  const t0 = now();
  let t1 = t0;
  try {
    yield* asyncio.asyncWith(new asyncio.TaskGroup(), function* (tg) {
      for (let i = 0; i < n; i++) tg.createTask(child());
      yield* asyncio.sleep(0); // let every child reach its sleep
      if (started !== n) throw new Error(`only ${started} of ${n} children started`);
      t1 = now();
      throw new Stop(); // the TaskGroup cancels all children and waits for them
    });
  } catch (e) {
    asyncio.exceptStar(e, [Stop, () => {}]);
  }
  const t2 = now();
  return {
    seconds: (t2 - t1) / 1000,
    ok: cancelled === n,
    check: `started=${started} cancelled=${cancelled}`,
    extra: { spawn_seconds: +((t1 - t0) / 1000).toFixed(4) },
  };
}

// ---------------------------------------------------------------- W6 lock

function* w6Main(n: number): asyncio.Coroutine<Outcome> {
  const lock = new asyncio.Lock();
  const perTask = Math.floor(n / LOCK_TASKS);
  let counter = 0;
  function* worker(): asyncio.Coroutine<void> {
    for (let j = 0; j < perTask; j++) {
      // `async with lock:` is acquire() + try/finally release(), written out (as js_raw
      // uses its Mutex). `using _held = yield* lock.hold()` means the same, but Node 20 has
      // no native `using`: compiled, each block allocates two arrays and two closures (about
      // 20% slower here). `lock.with(function* () {…})` inside the loop makes a new closure
      // per acquisition, 3–5x slower: see docs/locks-and-queues.md.
      yield* lock.acquire();
      try {
        const v = counter;
        yield* asyncio.sleep(0); // yield while holding the lock
        counter = v + 1;
      } finally {
        lock.release();
      }
    }
  }
  const probe = nodeLoopProbe();
  const t0 = now();
  const workers: asyncio.Coroutine<void>[] = [];
  for (let t = 0; t < LOCK_TASKS; t++) workers.push(worker());
  yield* asyncio.gather(...workers);
  const seconds = (now() - t0) / 1000;
  const expected = perTask * LOCK_TASKS;
  return { ...lockOutcome(seconds, counter, expected), extra: probe() };
}

// ---------------------------------------------------------------- W7 echo

function* w7Main(n: number): asyncio.Coroutine<Outcome> {
  const perClient = Math.floor(n / ECHO_CLIENTS);

  function* handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) {
    try {
      for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
        writer.write(line);
        yield* writer.drain();
      }
    } finally {
      writer.close();
    }
  }

  const server = yield* asyncio.startServer(handle, "127.0.0.1", 0);
  const [, port] = server.sockets[0]!.getsockname() as [string, number];

  function* client(cid: number): asyncio.Coroutine<number> {
    const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
    let ok = 0;
    for (let i = 0; i < perClient; i++) {
      const msg = Buffer.from(echoLine(cid, i), "latin1");
      writer.write(msg);
      yield* writer.drain();
      if ((yield* reader.readline()).equals(msg)) ok++;
    }
    writer.close();
    yield* writer.waitClosed();
    return ok;
  }

  const t0 = now();
  const clients: asyncio.Coroutine<number>[] = [];
  for (let c = 0; c < ECHO_CLIENTS; c++) clients.push(client(c));
  const oks = yield* asyncio.gather(...clients);
  const seconds = (now() - t0) / 1000;
  server.close();
  yield* server.waitClosed();
  const total = sum(oks);
  const expected = perClient * ECHO_CLIENTS;
  return {
    seconds,
    n: expected,
    ok: total === expected,
    check: `echoed_ok=${total} expected=${expected}`,
  };
}

// ---------------------------------------------------------------- M: n tasks asleep

function* mMain(n: number): asyncio.Coroutine<Outcome> {
  let started = 0;
  function* child(): asyncio.Coroutine<void> {
    started++;
    yield* asyncio.sleep(3600);
  }
  const t0 = now();
  const tasks: asyncio.Task<void>[] = [];
  for (let i = 0; i < n; i++) tasks.push(asyncio.createTask(child()));
  yield* asyncio.sleep(0); // every child reaches its sleep
  return reportAsleepAndExit("asyncio_ts", n, (now() - t0) / 1000, Math.min(started, tasks.length));
}

// ---------------------------------------------------------------- TG, AC, AG

function* tgMain(n: number): asyncio.Coroutine<Outcome> {
  function* child(i: number): asyncio.Coroutine<number> {
    yield* asyncio.sleep(0);
    return i;
  }
  const t0 = now();
  const tasks: asyncio.Task<number>[] = [];
  yield* asyncio.asyncWith(new asyncio.TaskGroup(), function* (tg) {
    for (let i = 0; i < n; i++) tasks.push(tg.createTask(child(i)));
  });
  const seconds = (now() - t0) / 1000;
  const total = sum(tasks.map((t) => t.result()));
  return { seconds, ok: total === triangular(n), check: `sum=${total} expected=${triangular(n)}` };
}

function* acMain(n: number): asyncio.Coroutine<Outcome> {
  function* child(i: number): asyncio.Coroutine<number> {
    yield* asyncio.sleep(0);
    return i;
  }
  const t0 = now();
  const tasks: asyncio.Task<number>[] = [];
  for (let i = 0; i < n; i++) tasks.push(asyncio.createTask(child(i)));
  let total = 0;
  let count = 0;
  for (const nextDone of asyncio.asCompleted(tasks)) {
    total += yield* nextDone;
    count++;
  }
  const seconds = (now() - t0) / 1000;
  const ok = count === n && total === triangular(n);
  return { seconds, ok, check: `sum=${total} expected=${triangular(n)}` };
}

const numbers = asyncio.asyncGenerator(function* numbers(n: number) {
  for (let i = 0; i < n; i++) yield i;
});

function* agMain(n: number): asyncio.Coroutine<Outcome> {
  const t0 = now();
  let total = 0;
  let count = 0;
  yield* asyncio.asyncFor(numbers(n), (v) => {
    total += v;
    count++;
  });
  const seconds = (now() - t0) / 1000;
  const ok = count === n && total === triangular(n);
  return { seconds, ok, check: `sum=${total} expected=${triangular(n)}` };
}

// ---------------------------------------------------------------- D: await-chain depth

/** A plain coroutine chain: every resume goes through `depth` native `yield*` frames. */
function* level(d: number, n: number): asyncio.Coroutine<number> {
  if (d > 1) return yield* level(d - 1, n);
  let i = 0;
  for (; i < n; i++) yield* asyncio.sleep(0);
  return i;
}

/** The same chain, marked: the Task keeps the frames, so a resume costs the same at any depth. */
const markedLevel = asyncio.coroutine(function* markedLevel(
  d: number,
  n: number,
): asyncio.Coroutine<number> {
  if (d > 1) return yield* markedLevel(d - 1, n);
  let i = 0;
  for (; i < n; i++) yield* asyncio.sleep(0);
  return i;
});

function depthBench(depth: number): (n: number) => Promise<Outcome> {
  return (n) =>
    asyncio.run(
      (function* (): asyncio.Coroutine<Outcome> {
        const t0 = now();
        const resumes = yield* (coro ? markedLevel : level)(depth, n);
        const seconds = (now() - t0) / 1000;
        return { seconds, ok: resumes === n, check: `resumes=${resumes} depth=${depth}` };
      })(),
    );
}

// ---------------------------------------------------------------- C10k server

/**
 * The C10k section's server (bench/c10k.mjs): W7's echo handler on 127.0.0.1 with a listen
 * backlog for thousands of connections, serving until the process is ended. Prints its
 * port as one JSON line.
 */
function* echoServer(backlog: number): asyncio.Coroutine<void> {
  function* handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) {
    try {
      for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
        writer.write(line);
        yield* writer.drain();
      }
    } catch (e) {
      if (!(e instanceof asyncio.ConnectionError)) throw e;
    } finally {
      writer.close();
    }
  }
  const server = yield* asyncio.startServer(handle, "127.0.0.1", 0, { backlog });
  const [, port] = server.sockets[0]!.getsockname() as [string, number];
  console.log(JSON.stringify({ port }));
  yield* server.serveForever();
}

if (process.argv[2] === "echo-server") {
  await asyncio.run(echoServer(Number(process.argv[process.argv.indexOf("--backlog") + 1])));
} else
  await main(
    "asyncio_ts",
    coro
      ? depthWorkloads(depthBench)
      : {
          W1: (n) => asyncio.run(w1Main(n)),
          W2: (n) => asyncio.run(w2Main(n)),
          W3: (n) => asyncio.run(w3Main(n)),
          W4: (n) => asyncio.run(w4Main(n)),
          W5: (n) => asyncio.run(w5Main(n)),
          W6: (n) => asyncio.run(w6Main(n)),
          W7: (n) => asyncio.run(w7Main(n)),
          M: (n) => asyncio.run(mMain(n)),
          TG: (n) => asyncio.run(tgMain(n)),
          AC: (n) => asyncio.run(acMain(n)),
          AG: (n) => asyncio.run(agMain(n)),
          ...depthWorkloads(depthBench),
        },
  );
