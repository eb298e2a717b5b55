/**
 * The walkthrough's queue programs, run on the virtual-time loop: what each one
 * prints, in order, at which virtual time, and how long it takes in total.
 */
import { describe, expect, it } from "vitest";
import { examples } from "../examples/index.js";
import * as producerConsumer from "../examples/producer_consumer.js";
import * as producerConsumerShutdown from "../examples/producer_consumer_shutdown.js";
import * as asyncio from "../src/index.js";
import { capturePrinted } from "./fixtures/printed.js";
import { runVirtual } from "./helpers.js";

/** Each console.log line, with the virtual time at which it was printed. */
const lines = capturePrinted((line): [number, string] => [asyncio.getRunningLoop().time(), line]);

/** Rounds the float sums of the virtual clock (0.8 + 0.5 is 1.3000000000000003). */
const timed = (): [number, string][] => lines.map(([t, s]) => [Math.round(t * 100) / 100, s]);

describe("examples/producer_consumer", () => {
  it("hands each user to a consumer as soon as it is fetched; sentinels stop them: 3.1 s", async () => {
    const { elapsed } = await runVirtual(producerConsumer.main());
    expect(timed()).toEqual([
      [0, "Producer: fetching user 1..."],
      [0, "Producer: fetching user 2..."],
      [0, "Producer: fetching user 3..."],
      [0.8, "Producer: fetched User1 (done in 0.8 s)"],
      [0.8, "Consumer 1: retrieving posts of User1..."],
      [1.3, "Consumer 1: got 2 posts of User1 (done in 0.5 s):"],
      [1.3, "  - Post 1 by User1"],
      [1.3, "  - Post 2 by User1"],
      [1.6, "Producer: fetched User3 (done in 1.6 s)"],
      [1.6, "Consumer 2: retrieving posts of User3..."],
      [2, "Producer: fetched User2 (done in 2.0 s)"],
      [2, "Consumer 3: retrieving posts of User2..."],
      [2.3, "Consumer 2: got 2 posts of User3 (done in 0.7 s):"],
      [2.3, "  - Post 1 by User3"],
      [2.3, "  - Post 2 by User3"],
      [3.1, "Consumer 3: got 2 posts of User2 (done in 1.1 s):"],
      [3.1, "  - Post 1 by User2"],
      [3.1, "  - Post 2 by User2"],
      [3.1, "==> Total time: 3.10 s"],
    ]);
    // The slowest user (2.0 s) plus its posts (1.1 s): fetching and processing overlap.
    expect(elapsed).toBeCloseTo(3.1, 10);
  });

  it("prints the same on every run", async () => {
    await runVirtual(producerConsumer.main());
    const first = timed();
    lines.length = 0;
    await runVirtual(producerConsumer.main());
    expect(timed()).toEqual(first);
  });
});

describe("examples/producer_consumer_shutdown", () => {
  it("stops each consumer when the queue is shut down and empty: 3.1 s", async () => {
    const { elapsed } = await runVirtual(producerConsumerShutdown.main());
    expect(timed()).toEqual([
      [0, "Producer: fetching user 1..."],
      [0, "Producer: fetching user 2..."],
      [0, "Producer: fetching user 3..."],
      [0.8, "Producer: fetched User1 (done in 0.8 s)"],
      [0.8, "Consumer 1: retrieving posts of User1..."],
      [1.3, "Consumer 1: got 2 posts of User1 (done in 0.5 s):"],
      [1.3, "  - Post 1 by User1"],
      [1.3, "  - Post 2 by User1"],
      [1.6, "Producer: fetched User3 (done in 1.6 s)"],
      [1.6, "Consumer 2: retrieving posts of User3..."],
      [2, "Producer: fetched User2 (done in 2.0 s)"],
      [2, "Consumer 3: retrieving posts of User2..."],
      [2, "Producer: done, queue shut down"],
      // Consumer 1 was waiting in get(): shutdown() wakes it, and the queue is empty.
      [2, "Consumer 1: queue shut down, stopping"],
      [2.3, "Consumer 2: got 2 posts of User3 (done in 0.7 s):"],
      [2.3, "  - Post 1 by User3"],
      [2.3, "  - Post 2 by User3"],
      [2.3, "Consumer 2: queue shut down, stopping"],
      [3.1, "Consumer 3: got 2 posts of User2 (done in 1.1 s):"],
      [3.1, "  - Post 1 by User2"],
      [3.1, "  - Post 2 by User2"],
      [3.1, "Consumer 3: queue shut down, stopping"],
      [3.1, "==> Total time: 3.10 s"],
    ]);
    expect(elapsed).toBeCloseTo(3.1, 10);
  });
});

describe("examples/index: the queue programs", () => {
  it("registers both queue programs, in order, and each loads a main", async () => {
    const names = examples.map((e) => e.name);
    const i = names.indexOf("producer_consumer");
    expect(i).toBeGreaterThanOrEqual(0);
    expect(names[i + 1]).toBe("producer_consumer_shutdown");
    for (const e of examples.slice(i, i + 2)) {
      const mod = await e.load();
      expect(typeof mod.main).toBe("function");
      expect(e.about.length).toBeGreaterThan(0);
    }
  });
});
