/**
 * The race finder's speed: schedules explored per second on the bank example
 * (examples/testing/bank.ts), and how many schedules it takes to find the bank's race
 * from different base seeds. Run by `npm run bench` (bench/run.mjs) after the main table,
 * or alone: `npx tsx bench/explore.ts [--quick]`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Bank, morning, SafeBank } from "../examples/testing/bank.js";
import { type ExploreFailure, explore } from "../src/testing/index.js";

const quick = process.argv.includes("--quick");
const accounts = () => ({ alice: 100, bob: 0, carol: 0 });

// Warm up the JIT, then time the fixed bank: every schedule runs to the end.
await explore(() => morning(new SafeBank(accounts())), { runs: 100 });
const runs = quick ? 500 : 3000;
const t0 = performance.now();
const result = await explore(() => morning(new SafeBank(accounts())), { runs });
const seconds = (performance.now() - t0) / 1000;
const perSecond = runs / seconds;

// Runs needed to find the race, from base seeds 1 … N (the failing run's number).
const found: number[] = [];
for (let seed = 1; seed <= (quick ? 10 : 50); seed++) {
  try {
    await explore(() => morning(new Bank(accounts())), { runs: 1000, seed, shrink: false });
    found.push(Number.POSITIVE_INFINITY);
  } catch (e) {
    found.push((e as ExploreFailure).run);
  }
}
const sorted = [...found].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] as number;
const max = sorted[sorted.length - 1] as number;

const out = {
  date: new Date().toISOString(),
  workload: "explore: bank example (2 transfers, ~6 timers a schedule) with a Lock",
  runs,
  seconds: +seconds.toFixed(3),
  schedules_per_second: Math.round(perSecond),
  choice_points_per_run: +(result.choicePoints / runs).toFixed(1),
  runs_to_find_race: { seeds: found.length, median, max, all: found },
};
console.log(
  `explore (bank example): ${out.schedules_per_second} schedules/s (${runs} in ${out.seconds} s); ` +
    `the race found in a median of ${median} and at most ${max} schedules over ${found.length} seeds`,
);
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
writeFileSync(
  path.join(dir, quick ? "explore-quick.json" : "explore.json"),
  `${JSON.stringify(out, null, 2)}\n`,
);
