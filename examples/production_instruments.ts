/**
 * Instruments left on in production: a watcher that samples 1 task in 100 (slow steps,
 * failures) and gets the loop's counts every second (iterations, load, the longest time
 * the loop was blocked), at a cost within a few percent of the busiest workloads.
 *
 *   npx tsx examples/production_instruments.ts
 */
import * as asyncio from "../src/index.js";

/**
 * An instrument for production: reports sampled tasks whose step held the loop longer
 * than `slowStep` seconds or that failed, and a line of loop statistics per window.
 *
 * @example
 * ```ts
 * asyncio.addInstrument(loopWatcher(console.warn), { sample: 0.01, statsInterval: 10 });
 * ```
 */
export function loopWatcher(report: (line: string) => void, slowStep = 0.05): asyncio.Instrument {
  return {
    stepEnded(task, duration) {
      if (duration > slowStep) {
        report(`slow step: ${task.getName()} held the loop ${(duration * 1000).toFixed(0)} ms`);
      }
    },
    taskDone(task, outcome) {
      if (outcome.state === "error") report(`failed: ${task.getName()}: ${String(outcome.error)}`);
    },
    loopStats(_loop, s) {
      const load = s.busy + s.ioWait > 0 ? s.busy / (s.busy + s.ioWait) : 0;
      report(
        `loop: ${s.iterations} iterations, ${s.callbacks} callbacks, ${s.tasksCreated} tasks ` +
          `created, ${s.tasksPending} pending, load ${(load * 100).toFixed(0)}%, ` +
          `blocked at most ${(s.longestTick * 1000).toFixed(0)} ms`,
      );
    },
  };
}

/** Holds the thread (and so the loop) for `ms` milliseconds, as a CPU-bound step would. */
function block(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function* handle(i: number): asyncio.Coroutine<number> {
  yield* asyncio.sleep(0.001 * (i % 10));
  if (i === 99) block(60); // one request does CPU-bound work on the loop
  if (i === 199) throw new Error("bad request");
  return i;
}

/**
 * Serves 300 simulated requests under the watcher; returns the lines it reported.
 *
 * @example
 * ```ts
 * for (const line of await serve()) console.log(line);
 * ```
 */
export async function serve(): Promise<string[]> {
  const lines: string[] = [];
  await asyncio.run(
    (function* () {
      asyncio.addInstrument(
        loopWatcher((l) => lines.push(l)),
        { sample: 0.01 },
      );
      const requests = [];
      for (let i = 0; i < 300; i++) {
        requests.push(asyncio.createTask(handle(i), { name: `request-${i}` }));
      }
      yield* asyncio.gather(...requests, { returnExceptions: true });
    })(),
  );
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await serve()) console.log(line);
}
