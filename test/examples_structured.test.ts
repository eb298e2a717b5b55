import { afterEach, describe, expect, it, vi } from "vitest";
import { examples } from "../examples/index.js";
import { runVirtual } from "./helpers.js";

async function runExample(name: string) {
  const example = examples.find((e) => e.name === name);
  if (example === undefined) throw new Error(`example ${name} is not registered`);
  const { main } = await example.load();
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  try {
    const { elapsed } = await runVirtual(main());
    return { lines, elapsed };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("structured concurrency walkthrough examples", () => {
  it("create_task: two tasks overlap, 2 seconds in all", async () => {
    const { lines, elapsed } = await runExample("create_task");
    expect(lines).toEqual([
      "started at 0.00s",
      "task1 done: false",
      "hello",
      "task1 done: true, task2 done: false",
      "world",
      "finished at 2.00s",
    ]);
    expect(elapsed).toBe(2);
  });

  it("gather_two: results in argument order", async () => {
    const { lines, elapsed } = await runExample("gather_two");
    expect(lines).toEqual([
      "slow: started",
      "fast: started",
      "fast: finished after 1s",
      "slow: finished after 2s",
      "results: slow result, fast result",
    ]);
    expect(elapsed).toBe(2);
  });

  it("as_completed: fastest first", async () => {
    const { lines, elapsed } = await runExample("as_completed");
    expect(lines).toEqual([
      "at 1s: small.txt (1s)",
      "at 2s: photo.jpg (2s)",
      "at 3s: big.iso (3s)",
    ]);
    expect(elapsed).toBe(3);
  });

  it("exception_group: split by kind with exceptStar", async () => {
    const { lines, elapsed } = await runExample("exception_group");
    expect(lines).toEqual([
      "gathered 3 errors",
      "RangeError: bad port: -1",
      "RangeError: bad size: 0",
      "TypeError: expected a string",
      "all handled",
    ]);
    expect(elapsed).toBe(3);
  });
});
