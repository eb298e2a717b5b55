import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

describe("run", () => {
  it("returns the main coroutine's result", async () => {
    function* main() {
      yield* asyncio.sleep(1);
      return 42;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result).toBe(42);
    expect(elapsed).toBe(1);
  });
});
