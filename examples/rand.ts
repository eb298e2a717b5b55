/**
 * The walkthrough's rand: three `makerandom` coroutines, each drawing numbers until one is
 * above its threshold and sleeping `idx + 1` seconds between tries. Their lines interleave,
 * each in its own colour; the generator is seeded, so every run prints the same.
 */
import * as asyncio from "../src/index.js";
import { Random } from "./random.js";

/** ANSI colours: reset, then one per makerandom (cyan, red, magenta). */
const colours = ["\x1b[0m", "\x1b[36m", "\x1b[91m", "\x1b[35m"] as const;

function* makerandom(rng: Random, idx: number, threshold = 6): asyncio.Coroutine<number> {
  const colour = colours[idx + 1] ?? "";
  console.log(`${colour}Initiated makerandom(${idx}).`);
  let i = rng.randint(0, 10);
  while (i <= threshold) {
    console.log(`${colour}makerandom(${idx}) == ${i} too low; retrying.`);
    yield* asyncio.sleep(idx + 1);
    i = rng.randint(0, 10);
  }
  console.log(`${colour}---> Finished: makerandom(${idx}) == ${i}${colours[0]}`);
  return i;
}

/**
 * Three makerandom at once, with thresholds 9, 8 and 7.
 *
 * @example
 * ```ts
 * const [r1, r2, r3] = await asyncio.run(main());
 * ```
 */
export function* main(): asyncio.Coroutine<number[]> {
  // Seeded (the walkthrough uses 444 with Python's generator): this seed gives a run of
  // about 7 seconds in which every makerandom retries at least once.
  const rng = new Random(90);
  const [r1, r2, r3] = yield* asyncio.gather(
    makerandom(rng, 0, 10 - 0 - 1),
    makerandom(rng, 1, 10 - 1 - 1),
    makerandom(rng, 2, 10 - 2 - 1),
  );
  console.log();
  console.log(`r1: ${r1}, r2: ${r2}, r3: ${r3}`);
  return [r1, r2, r3];
}
