/**
 * The seeded random numbers behind every choice the testing tools make (schedules, short
 * reads, packet loss): the same seed, the same choices, on every machine.
 *
 * @module
 */

/** @internal A source of numbers in [0, 1). */
export type Random = () => number;

/**
 * @internal Mulberry32: a 32-bit-state generator, fast and good enough for choosing
 * schedules; not for cryptography.
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @internal Derives the seed of run `i` from a base seed (distinct, well mixed). */
export function deriveSeed(base: number, i: number): number {
  let h = (base ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
