/**
 * A small seeded random number generator for the examples, so that a run can be repeated
 * exactly (Python's walkthrough calls `random.seed(444)` for the same reason). Not for
 * cryptography, and not Python's Mersenne Twister: the numbers differ from CPython's.
 *
 * @example
 * ```ts
 * const rng = new Random(444);
 * rng.randint(0, 10); // the same number on every run
 * ```
 */
export class Random {
  private _state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) {
      throw new TypeError(`Random(): 'seed' must be an integer: received ${String(seed)}`);
    }
    this._state = seed >>> 0;
  }

  /** A float in [0, 1) (mulberry32: 32 bits of state, good enough for demos). */
  random(): number {
    this._state = (this._state + 0x6d2b79f5) >>> 0;
    let t = this._state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [a, b], both ends included, as Python's `random.randint`. */
  randint(a: number, b: number): number {
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) {
      throw new RangeError(`randint(): need integers a <= b: received ${a}, ${b}`);
    }
    return a + Math.floor(this.random() * (b - a + 1));
  }

  /** A float in [a, b), as Python's `random.uniform`. */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }
}
