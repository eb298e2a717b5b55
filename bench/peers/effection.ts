// Peer benchmark: Effection v4 (generator-based structured concurrency).
//
// Usage: node bench/dist/effection.mjs W1..W6|D1..D1000 [--n N] [--variant imm]
// The yield to the scheduler is the idiomatic `yield* sleep(0)`, which is a Node
// setTimeout(0) and so is clamped to 1 ms. With `--variant imm` it is an `action`
// around setImmediate — the same event-loop trip as js_raw's yield (W1, W2, W6, D*).
import { action, all, createQueue, type Operation, run, sleep, spawn, suspend } from "effection";
import {
  CONSUMERS,
  depthWorkloads,
  HOUR_MS,
  LOCK_TASKS,
  lcgDelaysMs,
  lockOutcome,
  main,
  type Outcome,
  QUEUE_MAX,
  sum,
  timerOutcome,
  triangular,
} from "./common.js";

const imm = process.argv.includes("imm");
/** One trip through Node's event loop (check phase), as an Effection operation. */
const tick: Operation<void> = action<void>((resolve) => {
  const handle = setImmediate(resolve);
  return () => clearImmediate(handle);
});
const yieldNow = (): Operation<void> => (imm ? tick : sleep(0));
const now = (): number => performance.now();

/**
 * Effection has no bounded queue: its Queue is unbounded with a synchronous add().
 * Backpressure comes from a second queue holding one token per free slot.
 */
function createBoundedQueue<T>(maxsize: number) {
  const items = createQueue<T, void>();
  const slots = createQueue<void, void>();
  for (let i = 0; i < maxsize; i++) slots.add();
  return {
    *put(item: T): Operation<void> {
      yield* slots.next(); // wait for a free slot
      items.add(item);
    },
    *get(): Operation<IteratorResult<T, void>> {
      const next = yield* items.next();
      if (!next.done) slots.add(); // give the slot back
      return next;
    },
    close: () => items.close(),
  };
}

/** Effection has no mutex either: a queue holding a single token is one (FIFO waiters). */
function createMutex() {
  const token = createQueue<void, never>();
  token.add();
  return {
    *withLock<T>(body: () => Operation<T>): Operation<T> {
      yield* token.next();
      try {
        return yield* body();
      } finally {
        token.add();
      }
    },
  };
}

const w1Switch = (n: number) =>
  run(function* (): Operation<Outcome> {
    const t0 = now();
    let i = 0;
    for (; i < n; i++) yield* yieldNow();
    return { seconds: (now() - t0) / 1000, ok: i === n, check: `yields=${i}` };
  });

const w2Spawn = (n: number) =>
  run(function* (): Operation<Outcome> {
    function* child(i: number): Operation<number> {
      yield* yieldNow();
      return i;
    }
    const t0 = now();
    const ops: Operation<number>[] = [];
    for (let i = 0; i < n; i++) ops.push(child(i));
    const results = yield* all(ops);
    const seconds = (now() - t0) / 1000;
    const ok = results.length === n && results.every((r, i) => r === i);
    return { seconds, ok, check: `sum=${sum(results)} expected=${triangular(n)}` };
  });

const w3Queue = (n: number) =>
  run(function* (): Operation<Outcome> {
    const q = createBoundedQueue<number>(QUEUE_MAX);
    function* producer(): Operation<number> {
      for (let i = 0; i < n; i++) yield* q.put(i);
      for (let c = 0; c < CONSUMERS; c++) q.close(); // one close marker per consumer
      return 0;
    }
    function* consumer(): Operation<number> {
      let total = 0;
      for (let next = yield* q.get(); !next.done; next = yield* q.get()) total += next.value;
      return total;
    }
    const t0 = now();
    const consumers = Array.from({ length: CONSUMERS }, consumer);
    const [, ...sums] = yield* all([producer(), ...consumers]);
    const seconds = (now() - t0) / 1000;
    const total = sum(sums);
    return {
      seconds,
      ok: total === triangular(n),
      check: `sum=${total} expected=${triangular(n)}`,
    };
  });

const w4Timers = (n: number) =>
  run(function* (): Operation<Outcome> {
    const delays = lcgDelaysMs(n);
    function* child(d: number): Operation<number> {
      yield* sleep(d);
      return d;
    }
    const t0 = now();
    const results = yield* all(delays.map(child));
    return timerOutcome((now() - t0) / 1000, results, delays);
  });

const w5Cancel = (n: number) =>
  run(function* (): Operation<Outcome> {
    let started = 0;
    let cancelled = 0;
    const t0 = now();
    const group = yield* spawn(function* () {
      for (let i = 0; i < n; i++) {
        yield* spawn(function* () {
          started++;
          let completed = false;
          try {
            yield* sleep(HOUR_MS);
            completed = true;
          } finally {
            if (!completed) cancelled++; // halted while suspended in sleep
          }
        });
      }
      yield* suspend();
    });
    yield* sleep(0); // let every child reach its sleep
    if (started !== n) throw new Error(`only ${started} of ${n} children started`);
    const t1 = now();
    yield* group.halt(); // halts the group and all its children
    const t2 = now();
    return {
      seconds: (t2 - t1) / 1000,
      ok: cancelled === n,
      check: `started=${started} cancelled=${cancelled}`,
      extra: { spawn_seconds: +((t1 - t0) / 1000).toFixed(4) },
    };
  });

const w6Lock = (n: number) =>
  run(function* (): Operation<Outcome> {
    const mutex = createMutex();
    const perTask = Math.floor(n / LOCK_TASKS);
    let counter = 0;
    function* critical(): Operation<void> {
      const v = counter;
      yield* yieldNow(); // yield while holding the lock
      counter = v + 1;
    }
    function* worker(): Operation<void> {
      for (let j = 0; j < perTask; j++) yield* mutex.withLock(critical);
    }
    const t0 = now();
    yield* all(Array.from({ length: LOCK_TASKS }, worker));
    const seconds = (now() - t0) / 1000;
    const expected = perTask * LOCK_TASKS;
    return lockOutcome(seconds, counter, expected);
  });

/** D*: an await chain of `depth` operations (`yield*`); the innermost yields n times. */
const depthBench = (depth: number) => (n: number) =>
  run(function* (): Operation<Outcome> {
    function* level(d: number): Operation<number> {
      if (d > 1) return yield* level(d - 1);
      let i = 0;
      for (; i < n; i++) yield* yieldNow();
      return i;
    }
    const t0 = now();
    const resumes = yield* level(depth);
    const seconds = (now() - t0) / 1000;
    return { seconds, ok: resumes === n, check: `resumes=${resumes} depth=${depth}` };
  });
const depths = {
  ...depthWorkloads(depthBench),
};

await main(
  "effection",
  imm
    ? { W1: w1Switch, W2: w2Spawn, W6: w6Lock, ...depths }
    : { W1: w1Switch, W2: w2Spawn, W3: w3Queue, W4: w4Timers, W5: w5Cancel, W6: w6Lock },
);
