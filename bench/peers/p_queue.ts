// Peer benchmark: p-queue (promise task queue with concurrency control).
//
// Usage: node bench/dist/p_queue.mjs W2|W4|W5|W6 [--n N]
// p-queue runs async functions; it has no scheduler yield, channel or sockets of its
// own, so W1, W3 and W7 do not apply. Yields are the same setImmediate trip as js_raw.
import PQueue from "p-queue";
import {
  abortableSleep,
  HOUR_MS,
  LOCK_TASKS,
  lcgDelaysMs,
  lockOutcome,
  main,
  type Outcome,
  sleep,
  sum,
  timerOutcome,
  triangular,
  yieldToLoop,
} from "./common.js";

async function w2Spawn(n: number): Promise<Outcome> {
  const queue = new PQueue(); // concurrency: Infinity
  const t0 = performance.now();
  const tasks: Promise<number>[] = [];
  for (let i = 0; i < n; i++)
    tasks.push(
      queue.add(async () => {
        await yieldToLoop();
        return i;
      }),
    );
  const results = await Promise.all(tasks);
  const seconds = (performance.now() - t0) / 1000;
  const ok = results.length === n && results.every((r, i) => r === i);
  return { seconds, ok, check: `sum=${sum(results)} expected=${triangular(n)}` };
}

async function w4Timers(n: number): Promise<Outcome> {
  const queue = new PQueue();
  const delays = lcgDelaysMs(n);
  const t0 = performance.now();
  const results = await Promise.all(
    delays.map((d) =>
      queue.add(async () => {
        await sleep(d);
        return d;
      }),
    ),
  );
  return timerOutcome((performance.now() - t0) / 1000, results, delays);
}

async function w5Cancel(n: number): Promise<Outcome> {
  // One AbortController per task (see js_raw.ts for why not one shared signal).
  const queue = new PQueue();
  let started = 0;
  let cancelled = 0;
  const child = async ({ signal }: { signal?: AbortSignal | undefined }): Promise<void> => {
    started++;
    try {
      await abortableSleep(HOUR_MS, signal as AbortSignal);
    } catch (e) {
      if (signal?.aborted) cancelled++;
      throw e;
    }
  };
  const t0 = performance.now();
  const controllers: AbortController[] = [];
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const c = new AbortController();
    controllers.push(c);
    tasks.push(queue.add(child, { signal: c.signal }));
  }
  await yieldToLoop();
  if (started !== n) throw new Error(`only ${started} of ${n} children started`);
  const t1 = performance.now();
  for (const c of controllers) c.abort();
  const settled = await Promise.allSettled(tasks);
  await queue.onIdle();
  const t2 = performance.now();
  const rejected = settled.filter((s) => s.status === "rejected").length;
  return {
    seconds: (t2 - t1) / 1000,
    ok: cancelled === n && rejected === n,
    check: `started=${started} cancelled=${cancelled} rejected=${rejected}`,
    extra: { spawn_seconds: +((t1 - t0) / 1000).toFixed(4) },
  };
}

async function w6Lock(n: number): Promise<Outcome> {
  const mutex = new PQueue({ concurrency: 1 }); // p-queue's way to serialise work
  const perTask = Math.floor(n / LOCK_TASKS);
  let counter = 0;
  const critical = async (): Promise<void> => {
    const v = counter;
    await yieldToLoop(); // yield while holding the lock
    counter = v + 1;
  };
  const worker = async (): Promise<void> => {
    for (let j = 0; j < perTask; j++) await mutex.add(critical);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: LOCK_TASKS }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const expected = perTask * LOCK_TASKS;
  return lockOutcome(seconds, counter, expected);
}

await main("p_queue", { W2: w2Spawn, W4: w4Timers, W5: w5Cancel, W6: w6Lock });
