/**
 * The walkthrough's first programs, run on the virtual-time loop: what each one
 * prints, in order, at which virtual time, and how long it takes in total.
 */
import { describe, expect, it } from "vitest";
import * as chain from "../examples/chain.js";
import * as countasync from "../examples/countasync.js";
import { examples } from "../examples/index.js";
import * as rand from "../examples/rand.js";
import { Random } from "../examples/random.js";
import * as synchronous from "../examples/synchronous.js";
import * as asyncio from "../src/index.js";
import { capturePrinted } from "./fixtures/printed.js";
import { runVirtual } from "./helpers.js";

/** Each console.log line, with the virtual time at which it was printed. */
const lines = capturePrinted((line): [number, string] => [asyncio.getRunningLoop().time(), line]);

const text = (): string[] => lines.map(([, line]) => line);
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are the point
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, "");

describe("examples/synchronous", () => {
  it("counts one after the other, because the blocking sleep freezes the loop: 3 s", async () => {
    const { elapsed } = await runVirtual(synchronous.main());
    expect(lines).toEqual([
      [0, "One"],
      [1, "Two"],
      [1, "One"],
      [2, "Two"],
      [2, "One"],
      [3, "Two"],
    ]);
    expect(elapsed).toBe(3);
  });

  it("lets no other task run during the blocking sleep", async () => {
    function* main() {
      const ticks: number[] = [];
      const ticker = asyncio.createTask(
        (function* () {
          for (;;) {
            ticks.push(asyncio.getRunningLoop().time());
            yield* asyncio.sleep(0.5);
          }
        })(),
      );
      yield* asyncio.sleep(0);
      yield* synchronous.main();
      yield* asyncio.sleep(0.1);
      ticker.cancel();
      return ticks;
    }
    const { result } = await runVirtual(main());
    // One tick before, then none until the three blocking seconds are over (its 0.5 s
    // timer is long overdue by then, and fires once).
    expect(result).toEqual([0, 3]);
  });
});

describe("examples/countasync", () => {
  it("prints One One One, then Two Two Two, in exactly 1.0 virtual second", async () => {
    const { elapsed } = await runVirtual(countasync.main());
    expect(lines).toEqual([
      [0, "One"],
      [0, "One"],
      [0, "One"],
      [1, "Two"],
      [1, "Two"],
      [1, "Two"],
    ]);
    expect(elapsed).toBe(1.0);
  });

  it("is paired with synchronous in the walkthrough", () => {
    expect(countasync.pairWith).toBe("synchronous");
  });
});

describe("examples/rand", () => {
  const expected = [
    [0, "\x1b[36mInitiated makerandom(0)."],
    [0, "\x1b[36mmakerandom(0) == 0 too low; retrying."],
    [0, "\x1b[91mInitiated makerandom(1)."],
    [0, "\x1b[91mmakerandom(1) == 2 too low; retrying."],
    [0, "\x1b[35mInitiated makerandom(2)."],
    [0, "\x1b[35mmakerandom(2) == 3 too low; retrying."],
    [1, "\x1b[36mmakerandom(0) == 3 too low; retrying."],
    [2, "\x1b[91mmakerandom(1) == 8 too low; retrying."],
    [2, "\x1b[36mmakerandom(0) == 7 too low; retrying."],
    [3, "\x1b[35mmakerandom(2) == 5 too low; retrying."],
    [3, "\x1b[36mmakerandom(0) == 0 too low; retrying."],
    [4, "\x1b[91m---> Finished: makerandom(1) == 9\x1b[0m"],
    [4, "\x1b[36mmakerandom(0) == 2 too low; retrying."],
    [5, "\x1b[36mmakerandom(0) == 4 too low; retrying."],
    [6, "\x1b[35m---> Finished: makerandom(2) == 10\x1b[0m"],
    [6, "\x1b[36mmakerandom(0) == 3 too low; retrying."],
    [7, "\x1b[36m---> Finished: makerandom(0) == 10\x1b[0m"],
    [7, ""],
    [7, "r1: 10, r2: 9, r3: 10"],
  ];

  it("interleaves three makerandom, each in its colour, and takes exactly 7 s", async () => {
    const { result, elapsed } = await runVirtual(rand.main());
    expect(lines).toEqual(expected);
    expect(result).toEqual([10, 9, 10]);
    expect(elapsed).toBe(7);
  });

  it("repeats exactly: the generator is seeded", async () => {
    await runVirtual(rand.main());
    const first = text();
    lines.length = 0;
    await runVirtual(rand.main());
    expect(text()).toEqual(first);
  });

  it("retries each makerandom until its number beats its threshold (9, 8, 7)", async () => {
    await runVirtual(rand.main());
    for (const [idx, threshold] of [
      [0, 9],
      [1, 8],
      [2, 7],
    ] as const) {
      const mine = text()
        .map(stripAnsi)
        .filter((l) => l.startsWith(`makerandom(${idx})`) || l.includes(`makerandom(${idx}) ==`));
      const values = mine.map((l) => Number(/== (\d+)/.exec(l)?.[1]));
      expect(values.slice(0, -1).every((v) => v <= threshold)).toBe(true);
      expect(values.at(-1)).toBeGreaterThan(threshold);
    }
  });
});

describe("examples/chain", () => {
  it("runs part1 → part2 per user, the three users at once: total = slowest chain", async () => {
    const { result, elapsed } = await runVirtual(chain.main());
    expect(text()).toEqual([
      "part1: fetching user 1 (0.8 s)...",
      "part1: fetching user 2 (2.0 s)...",
      "part1: fetching user 3 (1.6 s)...",
      "part1: got User1.",
      "part2: fetching posts of User1 (0.5 s)...",
      "Returned 2 posts of User1 (took 1.30 s)",
      "part1: got User3.",
      "part2: fetching posts of User3 (0.7 s)...",
      "part1: got User2.",
      "part2: fetching posts of User2 (1.1 s)...",
      "Returned 2 posts of User3 (took 2.30 s)",
      "Returned 2 posts of User2 (took 3.10 s)",
      "==> Total time: 3.10 s",
    ]);
    // User2's chain: 2.0 s then 1.1 s, on the virtual clock (0 + 2.0 + 1.1).
    expect(elapsed).toBe(2.0 + 1.1);
    expect(result[1]).toEqual(["Post 1 by User2", "Post 2 by User2"]);
  });
});

describe("examples/index: the foundation programs", () => {
  it("registers the four programs in walkthrough order, each loadable", async () => {
    const names = examples.map((e) => e.name);
    expect(names.slice(0, 4)).toEqual(["synchronous", "countasync", "rand", "chain"]);
    for (const e of examples.slice(0, 4)) {
      expect(e.about.length).toBeGreaterThan(10);
      expect(typeof (await e.load()).main).toBe("function");
    }
  });
});

describe("examples/random", () => {
  it("is deterministic per seed and stays in range", () => {
    const a = new Random(1);
    const b = new Random(1);
    const draws = Array.from({ length: 200 }, () => a.randint(0, 10));
    expect(Array.from({ length: 200 }, () => b.randint(0, 10))).toEqual(draws);
    expect(Math.min(...draws)).toBe(0);
    expect(Math.max(...draws)).toBe(10);
    expect(() => new Random(1.5)).toThrow(/'seed' must be an integer: received 1.5/);
    expect(() => a.randint(3, 2)).toThrow(RangeError);
  });
});
