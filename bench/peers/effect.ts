// Peer benchmark: Effect (fiber runtime, default MixedScheduler).
//
// Usage: node bench/dist/effect.mjs W1..W6|M|D1..D1000 [--n N]
// The yield to the scheduler is `Effect.yieldNow` (the default scheduler batches
// scheduled fibers into one setImmediate per round).
import { Effect, Fiber, Queue, Semaphore } from "effect";
import {
  CONSUMERS,
  depthWorkloads,
  HOUR_MS,
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
} from "./common.js";

const now = (): number => performance.now();
const unbounded = { concurrency: "unbounded" } as const;

const w1Switch = (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const t0 = now();
      let i = 0;
      for (; i < n; i++) yield* Effect.yieldNow;
      return { seconds: (now() - t0) / 1000, ok: i === n, check: `yields=${i}` } satisfies Outcome;
    }),
  );

const w2Spawn = (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const child = (i: number) => Effect.as(Effect.yieldNow, i);
      const t0 = now();
      const results = yield* Effect.all(
        Array.from({ length: n }, (_, i) => child(i)),
        unbounded,
      );
      const seconds = (now() - t0) / 1000;
      const ok = results.length === n && results.every((r, i) => r === i);
      return {
        seconds,
        ok,
        check: `sum=${sum(results)} expected=${triangular(n)}`,
      } satisfies Outcome;
    }),
  );

const w3Queue = (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const q = yield* Queue.bounded<number>(QUEUE_MAX);
      const producer = Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* Queue.offer(q, i);
        for (let c = 0; c < CONSUMERS; c++) yield* Queue.offer(q, -1); // one sentinel per consumer
        return 0;
      });
      const consumer = Effect.gen(function* () {
        let total = 0;
        for (let v = yield* Queue.take(q); v >= 0; v = yield* Queue.take(q)) total += v;
        return total;
      });
      const probe = nodeLoopProbe(); // a control for asyncio-ts's check that I/O is not starved
      const t0 = now();
      const [, ...sums] = yield* Effect.all(
        [producer, ...Array.from({ length: CONSUMERS }, () => consumer)],
        unbounded,
      );
      const seconds = (now() - t0) / 1000;
      const total = sum(sums);
      return {
        seconds,
        ok: total === triangular(n),
        check: `sum=${total} expected=${triangular(n)}`,
        extra: probe(),
      } satisfies Outcome;
    }),
  );

const w4Timers = (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const delays = lcgDelaysMs(n);
      const t0 = now();
      const results = yield* Effect.all(
        delays.map((d) => Effect.as(Effect.sleep(d), d)),
        unbounded,
      );
      return timerOutcome((now() - t0) / 1000, results, delays);
    }),
  );

const w5Cancel = (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      let started = 0;
      let cancelled = 0;
      const child = Effect.suspend(() => {
        started++;
        return Effect.sleep(HOUR_MS);
      }).pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            cancelled++;
          }),
        ),
      );
      const t0 = now();
      const fibers: Fiber.Fiber<void>[] = [];
      for (let i = 0; i < n; i++) fibers.push(yield* Effect.forkChild(child));
      yield* Effect.yieldNow; // let every child reach its sleep
      if (started !== n) throw new Error(`only ${started} of ${n} children started`);
      const t1 = now();
      yield* Fiber.interruptAll(fibers); // interrupts and awaits every fiber
      const t2 = now();
      return {
        seconds: (t2 - t1) / 1000,
        ok: cancelled === n,
        check: `started=${started} cancelled=${cancelled}`,
        extra: { spawn_seconds: +((t1 - t0) / 1000).toFixed(4) },
      } satisfies Outcome;
    }),
  );

const w6Lock = (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const mutex = yield* Semaphore.make(1);
      const perTask = Math.floor(n / LOCK_TASKS);
      let counter = 0;
      const critical = Effect.gen(function* () {
        const v = counter;
        yield* Effect.yieldNow; // yield while holding the lock
        counter = v + 1;
      });
      const worker = Effect.gen(function* () {
        for (let j = 0; j < perTask; j++) yield* mutex.withPermit(critical);
      });
      const t0 = now();
      yield* Effect.all(
        Array.from({ length: LOCK_TASKS }, () => worker),
        unbounded,
      );
      const seconds = (now() - t0) / 1000;
      const expected = perTask * LOCK_TASKS;
      return lockOutcome(seconds, counter, expected);
    }),
  );

const mSleeping = (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      let started = 0;
      const child = Effect.suspend(() => {
        started++;
        return Effect.sleep(HOUR_MS);
      });
      const t0 = now();
      const fibers: Fiber.Fiber<void>[] = [];
      for (let i = 0; i < n; i++) fibers.push(yield* Effect.forkChild(child));
      yield* Effect.yieldNow; // let every child reach its sleep
      return reportAsleepAndExit("effect", n, (now() - t0) / 1000, started);
    }),
  );

/** D*: an await chain of `depth` Effect.gen levels; the innermost yields n times. */
const depthBench = (depth: number) => (n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const level = (d: number): Effect.Effect<number> =>
        Effect.gen(function* () {
          if (d > 1) return yield* level(d - 1);
          let i = 0;
          for (; i < n; i++) yield* Effect.yieldNow;
          return i;
        });
      const t0 = now();
      const resumes = yield* level(depth);
      const seconds = (now() - t0) / 1000;
      return {
        seconds,
        ok: resumes === n,
        check: `resumes=${resumes} depth=${depth}`,
      } satisfies Outcome;
    }),
  );

await main("effect", {
  W1: w1Switch,
  W2: w2Spawn,
  W3: w3Queue,
  W4: w4Timers,
  W5: w5Cancel,
  W6: w6Lock,
  M: mSleeping,
  ...depthWorkloads(depthBench),
});
